//! Low-level DICOM access shared by the series, RTSTRUCT and SEG readers: opening a file
//! (its element headers walked first, see [`super::scan`]) with errors that name it, and
//! reading attributes with errors that name the attribute. Pixel decoding is in
//! [`super::pixels`], world geometry in [`super::geometry`].

use std::path::Path;

use dicom_core::header::HasLength;
use dicom_core::value::{PrimitiveValue, Value};
use dicom_core::{DataDictionary, Tag};
use dicom_dictionary_std::{tags, StandardDataDictionary};
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};

use super::scan;
use crate::{invalid, open_error, IoError};

/// SOP class UID of an RT Structure Set.
pub(crate) const RTSTRUCT_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.481.3";
/// SOP class UID of a Segmentation.
pub(crate) const SEG_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.66.4";

/// The byte offset and magic of a DICOM Part 10 file ("DICM" after a 128-byte preamble).
pub(crate) fn has_dicm_magic(head: &[u8]) -> bool {
    head.len() >= 132 && &head[128..132] == b"DICM"
}

/// `Name (gggg,eeee)` for messages.
pub(crate) fn tag_name(tag: Tag) -> String {
    match StandardDataDictionary.by_tag(tag) {
        Some(e) => format!("{} {}", e.alias, tag),
        None => format!("{tag}"),
    }
}

/// Message of an error and of every error it wraps, joined with ": ", plus whether an
/// unexpected end of file is among them.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> (String, bool) {
    let mut parts = vec![e.to_string()];
    let mut eof = false;
    let mut cur = e.source();
    while let Some(s) = cur {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::UnexpectedEof {
                eof = true;
            }
        }
        let m = s.to_string();
        if !parts.contains(&m) {
            parts.push(m);
        }
        cur = s.source();
    }
    (parts.join(": "), eof)
}

/// Where to stop reading a DICOM file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upto {
    /// Everything.
    All,
    /// Everything before the pixel data.
    PixelData,
    /// The identifying attributes at the start: up to and including SOPClassUID,
    /// Modality, SeriesDescription, SeriesInstanceUID and SeriesNumber (group 0020 up
    /// to (0020,0011)).
    Identity,
}

/// Opens a DICOM Part 10 file, reading as far as `upto` says. The bytes are first walked
/// by [`scan::check`], so that a corrupt length field is reported at once.
pub(crate) fn open(path: &Path, upto: Upto) -> Result<DefaultDicomObject, IoError> {
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
    if meta.is_dir() {
        return Err(invalid(path, "is a folder; a DICOM file is expected"));
    }
    // The whole file for a full read (parsed from memory); otherwise the parser reads the
    // file itself, stopping early. Either way every element header of the file is walked
    // first (`scan`), so that no declared length exceeds what the file holds.
    // A deflated data set is inflated once, by the walk, and the parser is then given the
    // inflated bytes (explicit VR little endian) rather than inflating them a second time.
    let mut inflated: Option<Vec<u8>> = None;
    let bytes = if upto == Upto::All {
        let bytes = std::fs::read(path).map_err(|e| open_error(path, e))?;
        inflated = scan::check_keep_inflated(&bytes).map_err(|why| IoError::Truncated {
            path: path.into(),
            message: why,
        })?;
        bytes
    } else {
        let f = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
        let file_len = f.metadata().map_err(|e| open_error(path, e))?.len();
        let src = scan::FileSource::new(f);
        let deflated = |pos: u64| -> Result<Vec<u8>, String> {
            use std::io::{Seek, SeekFrom};
            let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
            f.seek(SeekFrom::Start(pos)).map_err(|e| e.to_string())?;
            scan::inflate(std::io::BufReader::new(f))
        };
        // (a partial read is parsed from the file: the inflated bytes are not kept)
        scan::check_source(&src, file_len, &deflated).map_err(|why| IoError::Truncated {
            path: path.into(),
            message: why,
        })?;
        Vec::new()
    };
    let mut opts = OpenFileOptions::new();
    match upto {
        Upto::All => {}
        Upto::PixelData => opts = opts.read_until(tags::PIXEL_DATA),
        Upto::Identity => opts = opts.read_until(Tag(0x0020, 0x0012)),
    }
    // The parser is third-party code: a panic inside it on malformed data becomes an error.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if upto == Upto::All {
            if let Some(data_set) = &inflated {
                return read_inflated(&bytes[128..], data_set);
            }
            if !has_dicm_magic(&bytes) {
                return opts.open_file(path);
            }
            opts.read_preamble(dicom_object::file::ReadPreamble::Never)
                .from_reader(&bytes[128..])
        } else {
            opts.open_file(path)
        }
    }))
    .map_err(|_| invalid(path, "the DICOM parser failed on malformed data"))?;
    parsed.map_err(|e| {
        let (message, eof) = error_chain(&e);
        if eof {
            IoError::Truncated {
                path: path.into(),
                message: format!("DICOM data end before the end of an element ({message})"),
            }
        } else {
            invalid(path, format!("cannot parse as DICOM: {message}"))
        }
    })
}

/// A deflated file from its meta group (`meta`: the bytes from "DICM" on) and its data set
/// already inflated by [`scan::check_keep_inflated`]: the data set is parsed as explicit VR
/// little endian; the file keeps its meta group (and so its transfer syntax UID).
fn read_inflated(
    meta: &[u8],
    data_set: &[u8],
) -> Result<DefaultDicomObject, dicom_object::ReadError> {
    let mut meta = dicom_object::FileMetaTable::from_reader(meta)
        .map_err(|source| dicom_object::ReadError::ParseMetaDataSet { source })?;
    let obj = InMemDicomObject::read_dataset_with_ts(
        data_set,
        &dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN.erased(),
    )?;
    // as the parser does: an empty media storage SOP class / instance UID is taken from
    // the data set
    let uid = |tag: Tag| -> Option<String> {
        obj.get(tag)?
            .value()
            .to_str()
            .ok()
            .map(|s| s.trim_end_matches('\0').to_string())
    };
    if meta.media_storage_sop_class_uid().is_empty() {
        if let Some(u) = uid(tags::SOP_CLASS_UID) {
            meta.media_storage_sop_class_uid = u;
        }
    }
    if meta.media_storage_sop_instance_uid().is_empty() {
        if let Some(u) = uid(tags::SOP_INSTANCE_UID) {
            meta.media_storage_sop_instance_uid = u;
        }
    }
    Ok(obj.with_exact_meta(meta))
}

/// Attribute access on one data set, with errors that name the file and the attribute.
#[derive(Clone, Copy)]
pub(crate) struct Attrs<'a> {
    pub obj: &'a InMemDicomObject,
    pub path: &'a Path,
    /// Where the data set sits in the file, e.g. "ROIContourSequence item 2", for messages.
    pub context: &'a str,
}

impl<'a> Attrs<'a> {
    pub fn new(obj: &'a InMemDicomObject, path: &'a Path) -> Self {
        Attrs {
            obj,
            path,
            context: "",
        }
    }

    fn where_(&self, tag: Tag) -> String {
        if self.context.is_empty() {
            tag_name(tag)
        } else {
            format!("{} in {}", tag_name(tag), self.context)
        }
    }

    pub fn missing(&self, tag: Tag) -> IoError {
        invalid(self.path, format!("missing {}", self.where_(tag)))
    }

    fn bad(&self, tag: Tag, why: impl std::fmt::Display) -> IoError {
        invalid(self.path, format!("bad {}: {why}", self.where_(tag)))
    }

    /// A present, non-empty string value (trimmed), else None.
    pub fn str_opt(&self, tag: Tag) -> Option<String> {
        let e = self.obj.get(tag)?;
        let s = e.value().to_str().ok()?;
        let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        (!s.is_empty()).then(|| s.to_string())
    }

    /// Every number of a numeric or DS/IS attribute; None when absent or empty.
    pub fn f64s_opt(&self, tag: Tag) -> Result<Option<Vec<f64>>, IoError> {
        let Some(e) = self.obj.get(tag) else {
            return Ok(None);
        };
        if e.is_empty() {
            return Ok(None);
        }
        if let Value::Primitive(PrimitiveValue::Empty) = e.value() {
            return Ok(None);
        }
        let v = e
            .value()
            .to_multi_float64()
            .map_err(|err| self.bad(tag, err))?;
        if v.is_empty() {
            return Ok(None);
        }
        if let Some(x) = v.iter().find(|x| !x.is_finite()) {
            return Err(self.bad(tag, format!("value {x} is not finite")));
        }
        Ok(Some(v))
    }

    /// Exactly `n` numbers.
    pub fn f64s_req(&self, tag: Tag, n: usize) -> Result<Vec<f64>, IoError> {
        let v = self.f64s_opt(tag)?.ok_or_else(|| self.missing(tag))?;
        if v.len() != n {
            return Err(self.bad(tag, format!("{} values where {n} are expected", v.len())));
        }
        Ok(v)
    }

    pub fn f64_opt(&self, tag: Tag) -> Result<Option<f64>, IoError> {
        Ok(self.f64s_opt(tag)?.map(|v| v[0]))
    }

    pub fn f64_req(&self, tag: Tag) -> Result<f64, IoError> {
        self.f64_opt(tag)?.ok_or_else(|| self.missing(tag))
    }

    /// A non-negative integer attribute (US, IS, UL...).
    pub fn uint_opt(&self, tag: Tag) -> Result<Option<u64>, IoError> {
        match self.f64_opt(tag)? {
            None => Ok(None),
            Some(v) if v >= 0.0 && v.fract() == 0.0 && v < 1e15 => Ok(Some(v as u64)),
            Some(v) => Err(self.bad(tag, format!("{v} is not a non-negative integer"))),
        }
    }

    pub fn uint_req(&self, tag: Tag) -> Result<u64, IoError> {
        self.uint_opt(tag)?.ok_or_else(|| self.missing(tag))
    }

    /// Items of a sequence attribute; empty when absent.
    pub fn items(&self, tag: Tag) -> &'a [InMemDicomObject] {
        self.obj
            .get(tag)
            .and_then(|e| e.value().items())
            .unwrap_or(&[])
    }

    pub fn items_req(&self, tag: Tag) -> Result<&'a [InMemDicomObject], IoError> {
        let it = self.items(tag);
        if it.is_empty() {
            return Err(self.missing(tag));
        }
        Ok(it)
    }

    /// The same file, another data set (a sequence item).
    pub fn at(&self, obj: &'a InMemDicomObject, context: &'a str) -> Attrs<'a> {
        Attrs {
            obj,
            path: self.path,
            context,
        }
    }
}
