//! Low-level DICOM helpers shared by the series, RTSTRUCT and SEG readers: opening a
//! file with errors that name it, reading attributes with errors that name the
//! attribute, decoding stored pixel values, and the LPS → RAS change of world frame.

use std::path::Path;

use dicom_core::header::HasLength;
use dicom_core::value::{DicomValueType, PrimitiveValue, Value};
use dicom_core::{DataDictionary, Tag};
use dicom_dictionary_std::{tags, StandardDataDictionary};
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use radx_io::IoError;

/// SOP class UID of an RT Structure Set.
pub(crate) const RTSTRUCT_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.481.3";
/// SOP class UID of a Segmentation.
pub(crate) const SEG_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.66.4";

/// The byte offset and magic of a DICOM Part 10 file ("DICM" after a 128-byte preamble).
pub(crate) fn has_dicm_magic(head: &[u8]) -> bool {
    head.len() >= 132 && &head[128..132] == b"DICM"
}

pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> IoError {
    IoError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

pub(crate) fn unsupported(path: &Path, message: impl Into<String>) -> IoError {
    IoError::Unsupported {
        path: path.into(),
        message: message.into(),
    }
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
fn error_chain(e: &(dyn std::error::Error + 'static)) -> (String, bool) {
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
/// by [`crate::scan::check`], so that a corrupt length field is reported at once.
pub(crate) fn open(path: &Path, upto: Upto) -> Result<DefaultDicomObject, IoError> {
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
    if meta.is_dir() {
        return Err(invalid(path, "is a folder; a DICOM file is expected"));
    }
    // The whole file for a full read (parsed from memory); otherwise the parser reads the
    // file itself, stopping early. Either way every element header of the file is walked
    // first (`scan`), so that no declared length exceeds what the file holds.
    let bytes = if upto == Upto::All {
        let bytes = std::fs::read(path).map_err(|e| open_error(path, e))?;
        crate::scan::check(&bytes).map_err(|why| IoError::Truncated {
            path: path.into(),
            message: why,
        })?;
        bytes
    } else {
        let f = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
        let file_len = f.metadata().map_err(|e| open_error(path, e))?.len();
        let src = crate::scan::FileSource::new(f);
        let deflated = |pos: u64| -> Result<Vec<u8>, String> {
            use std::io::{Seek, SeekFrom};
            let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
            f.seek(SeekFrom::Start(pos)).map_err(|e| e.to_string())?;
            crate::scan::inflate(std::io::BufReader::new(f))
        };
        crate::scan::check_source(&src, file_len, &deflated).map_err(|why| IoError::Truncated {
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

pub(crate) fn open_error(path: &Path, e: std::io::Error) -> IoError {
    if e.kind() == std::io::ErrorKind::NotFound {
        IoError::NotFound { path: path.into() }
    } else {
        IoError::Read {
            path: path.into(),
            message: e.to_string(),
        }
    }
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

    pub fn str_req(&self, tag: Tag) -> Result<String, IoError> {
        self.str_opt(tag).ok_or_else(|| self.missing(tag))
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

/// The pixel-level description needed to turn stored bits into numbers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PixelFormat {
    pub rows: usize,
    pub columns: usize,
    pub frames: usize,
    pub bits_allocated: u32,
    pub bits_stored: u32,
    pub high_bit: u32,
    pub signed: bool,
}

impl PixelFormat {
    pub fn read(a: &Attrs) -> Result<Self, IoError> {
        let rows = a.uint_req(tags::ROWS)? as usize;
        let columns = a.uint_req(tags::COLUMNS)? as usize;
        if rows == 0 || columns == 0 {
            return Err(invalid(
                a.path,
                format!("image of {rows} rows and {columns} columns"),
            ));
        }
        if rows > 65535 || columns > 65535 {
            return Err(invalid(
                a.path,
                format!("image of {rows} rows and {columns} columns (at most 65535 each)"),
            ));
        }
        let frames = a.uint_opt(tags::NUMBER_OF_FRAMES)?.unwrap_or(1).max(1);
        if frames > i32::MAX as u64 {
            return Err(invalid(
                a.path,
                format!("NumberOfFrames {frames} is not plausible"),
            ));
        }
        let frames = frames as usize;
        let spp = a.uint_opt(tags::SAMPLES_PER_PIXEL)?.unwrap_or(1);
        if spp != 1 {
            return Err(unsupported(
                a.path,
                format!("{spp} samples per pixel (colour image); radx reads greyscale images"),
            ));
        }
        let ba = a.uint_req(tags::BITS_ALLOCATED)?;
        if !matches!(ba, 1 | 8 | 16 | 32) {
            return Err(unsupported(
                a.path,
                format!("BitsAllocated {ba} (1, 8, 16 or 32 are read)"),
            ));
        }
        let bits_allocated = ba as u32;
        let bs = a.uint_opt(tags::BITS_STORED)?.unwrap_or(ba);
        let hb = a.uint_opt(tags::HIGH_BIT)?.unwrap_or(bs.saturating_sub(1));
        if bs > ba || hb >= ba {
            return Err(invalid(
                a.path,
                format!("inconsistent BitsAllocated {ba}, BitsStored {bs}, HighBit {hb}"),
            ));
        }
        // both below BitsAllocated (at most 32) now
        let (bits_stored, high_bit) = (bs as u32, hb as u32);
        if bits_stored == 0
            || bits_stored > bits_allocated
            || high_bit >= bits_allocated
            || high_bit + 1 < bits_stored
        {
            return Err(invalid(
                a.path,
                format!(
                    "inconsistent BitsAllocated {bits_allocated}, BitsStored {bits_stored}, HighBit {high_bit}"
                ),
            ));
        }
        let signed = a.uint_opt(tags::PIXEL_REPRESENTATION)?.unwrap_or(0) == 1;
        Ok(PixelFormat {
            rows,
            columns,
            frames,
            bits_allocated,
            bits_stored,
            high_bit,
            signed,
        })
    }

    pub fn frame_len(&self) -> usize {
        self.rows * self.columns
    }

    /// Pixels of every frame, checked against the voxel limit
    /// ([`radx_io::guard::max_voxels`]).
    pub fn pixel_count(&self, path: &Path) -> Result<usize, IoError> {
        radx_io::guard::voxel_count(
            path,
            &[self.frames as u64, self.rows as u64, self.columns as u64],
        )
    }

    /// The number a stored sample stands for: the `bits_stored` bits ending at
    /// `high_bit`, sign-extended when the pixel representation is signed.
    #[inline]
    fn value_of(&self, raw: u32) -> f64 {
        let shift = self.high_bit + 1 - self.bits_stored;
        let mask = (1u64 << self.bits_stored) - 1;
        let v = ((raw >> shift) as u64) & mask;
        if self.signed {
            let sign = 1u64 << (self.bits_stored - 1);
            ((v ^ sign) as i64 - sign as i64) as f64
        } else {
            v as f64
        }
    }
}

/// Stored pixel values of every frame, frame after frame, each frame row after row, as
/// numbers (before any rescale). Native (uncompressed) pixel data is read directly;
/// encapsulated (compressed) pixel data is decoded with `dicom-pixeldata` where a pure-Rust
/// decoder exists (RLE Lossless, JPEG baseline/extended/lossless); other compressions are
/// an error naming the transfer syntax. 1-bit data (binary SEG) gives 0 and 1.
pub(crate) fn stored_values(
    obj: &DefaultDicomObject,
    path: &Path,
    fmt: &PixelFormat,
) -> Result<Vec<f64>, IoError> {
    // No reservation from the declared size: `append_values` checks it against the data.
    let mut out = Vec::new();
    append_values(obj, path, fmt, (1.0, 0.0), &mut out)?;
    Ok(out)
}

/// Appends `slope · v + intercept` for every stored value `v` (see [`stored_values`]).
pub(crate) fn append_values(
    obj: &DefaultDicomObject,
    path: &Path,
    fmt: &PixelFormat,
    (slope, intercept): (f64, f64),
    out: &mut Vec<f64>,
) -> Result<(), IoError> {
    let pixel = obj
        .get(tags::PIXEL_DATA)
        .ok_or_else(|| invalid(path, format!("missing {}", tag_name(tags::PIXEL_DATA))))?;
    let n = fmt.pixel_count(path)?;
    let ts = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    let big_endian = ts == "1.2.840.10008.1.2.2";
    let short = |have: usize, unit: &str| {
        IoError::Truncated {
            path: path.into(),
            message: format!(
                "pixel data holds {have} {unit} where {n} pixels of {} bits ({} rows x {} columns x {} frames) are expected",
                fmt.bits_allocated, fmt.rows, fmt.columns, fmt.frames
            ),
        }
    };
    match pixel.value() {
        Value::Primitive(p) => {
            if fmt.bits_allocated == 1 {
                let bytes: Vec<u8> = match p {
                    PrimitiveValue::U8(b) => b.to_vec(),
                    PrimitiveValue::U16(w) => w.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    PrimitiveValue::I16(w) => w.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    other => {
                        return Err(invalid(
                            path,
                            format!(
                                "1-bit pixel data of unexpected type {:?}",
                                other.value_type()
                            ),
                        ))
                    }
                };
                if bytes.len() * 8 < n {
                    return Err(short(bytes.len(), "bytes"));
                }
                unpack_bits(&bytes, n, out);
                return Ok(());
            }
            match (p, fmt.bits_allocated) {
                (PrimitiveValue::U8(b), 8) => {
                    if b.len() < n {
                        return Err(short(b.len(), "bytes"));
                    }
                    out.extend(
                        b[..n]
                            .iter()
                            .map(|&v| fmt.value_of(v as u32) * slope + intercept),
                    );
                }
                (PrimitiveValue::U8(b), 16) => {
                    if b.len() < 2 * n {
                        return Err(short(b.len(), "bytes"));
                    }
                    out.extend(b[..2 * n].chunks_exact(2).map(|c| {
                        let raw = if big_endian {
                            u16::from_be_bytes([c[0], c[1]])
                        } else {
                            u16::from_le_bytes([c[0], c[1]])
                        };
                        fmt.value_of(raw as u32) * slope + intercept
                    }));
                }
                (PrimitiveValue::U8(b), 32) => {
                    if b.len() < 4 * n {
                        return Err(short(b.len(), "bytes"));
                    }
                    out.extend(b[..4 * n].chunks_exact(4).map(|c| {
                        let a = [c[0], c[1], c[2], c[3]];
                        let raw = if big_endian {
                            u32::from_be_bytes(a)
                        } else {
                            u32::from_le_bytes(a)
                        };
                        fmt.value_of(raw) * slope + intercept
                    }));
                }
                (PrimitiveValue::U16(w), 16) => {
                    if w.len() < n {
                        return Err(short(w.len(), "16-bit words"));
                    }
                    out.extend(
                        w[..n]
                            .iter()
                            .map(|&v| fmt.value_of(v as u32) * slope + intercept),
                    );
                }
                (PrimitiveValue::I16(w), 16) => {
                    if w.len() < n {
                        return Err(short(w.len(), "16-bit words"));
                    }
                    out.extend(
                        w[..n]
                            .iter()
                            .map(|&v| fmt.value_of(v as u16 as u32) * slope + intercept),
                    );
                }
                (PrimitiveValue::U16(w), 8) => {
                    // 8-bit samples read as OW words: two samples a word, low byte first.
                    let bytes: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
                    if bytes.len() < n {
                        return Err(short(bytes.len(), "bytes"));
                    }
                    out.extend(
                        bytes[..n]
                            .iter()
                            .map(|&v| fmt.value_of(v as u32) * slope + intercept),
                    );
                }
                (PrimitiveValue::U32(w), 32) => {
                    if w.len() < n {
                        return Err(short(w.len(), "32-bit words"));
                    }
                    out.extend(w[..n].iter().map(|&v| fmt.value_of(v) * slope + intercept));
                }
                (PrimitiveValue::I32(w), 32) => {
                    if w.len() < n {
                        return Err(short(w.len(), "32-bit words"));
                    }
                    out.extend(
                        w[..n]
                            .iter()
                            .map(|&v| fmt.value_of(v as u32) * slope + intercept),
                    );
                }
                (other, bits) => {
                    return Err(invalid(
                        path,
                        format!(
                            "pixel data of type {:?} with BitsAllocated {bits}",
                            other.value_type()
                        ),
                    ))
                }
            }
            Ok(())
        }
        Value::PixelSequence(_) => {
            decode_encapsulated(obj, path, fmt, &ts, (slope, intercept), out)
        }
        Value::Sequence(_) => Err(invalid(path, "PixelData is a sequence")),
    }
}

fn decode_encapsulated(
    obj: &DefaultDicomObject,
    path: &Path,
    fmt: &PixelFormat,
    ts: &str,
    (slope, intercept): (f64, f64),
    out: &mut Vec<f64>,
) -> Result<(), IoError> {
    use dicom_pixeldata::PixelDecoder;
    let n = fmt.pixel_count(path)?;
    let declared = n as u64 * (fmt.bits_allocated as u64).div_ceil(8);
    if declared > MAX_DECODED_BYTES {
        return Err(unsupported(
            path,
            format!(
                "compressed pixel data declares {declared} decoded bytes ({} rows x {} columns x {} frames), more than radx decodes ({MAX_DECODED_BYTES})",
                fmt.rows, fmt.columns, fmt.frames
            ),
        ));
    }
    let decoded =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| obj.decode_pixel_data()))
            .map_err(|_| {
                unsupported(
                    path,
                    format!(
                        "the pixel data decoder failed on malformed data (transfer syntax {ts})"
                    ),
                )
            })?
            .map_err(|e| {
                let (message, _) = error_chain(&e);
                unsupported(
                    path,
                    format!(
                        "cannot decode compressed pixel data (transfer syntax {ts}): {message}"
                    ),
                )
            })?;
    let data = decoded.data();
    let bytes_per = (fmt.bits_allocated as usize).div_ceil(8);
    if fmt.bits_allocated == 1 {
        // Decoders hand 1-bit data back one byte a sample (0 or 255) or still packed.
        if data.len() >= n {
            out.extend(data[..n].iter().map(|&v| if v != 0 { 1.0 } else { 0.0 }));
        } else if data.len() * 8 >= n {
            unpack_bits(data, n, out);
        } else {
            return Err(IoError::Truncated {
                path: path.into(),
                message: format!(
                    "decoded pixel data holds {} bytes for {n} pixels",
                    data.len()
                ),
            });
        }
        return Ok(());
    }
    if data.len() < n * bytes_per {
        return Err(IoError::Truncated {
            path: path.into(),
            message: format!(
                "decoded pixel data holds {} bytes where {} are expected",
                data.len(),
                n * bytes_per
            ),
        });
    }
    match bytes_per {
        1 => out.extend(
            data[..n]
                .iter()
                .map(|&v| fmt.value_of(v as u32) * slope + intercept),
        ),
        2 => out.extend(
            data[..2 * n]
                .chunks_exact(2)
                .map(|c| fmt.value_of(u16::from_ne_bytes([c[0], c[1]]) as u32) * slope + intercept),
        ),
        _ => out.extend(data[..4 * n].chunks_exact(4).map(|c| {
            fmt.value_of(u32::from_ne_bytes([c[0], c[1], c[2], c[3]])) * slope + intercept
        })),
    }
    Ok(())
}

/// Largest decoded size of one file's compressed pixel data radx accepts (guards against
/// absurd declared sizes before a decoder allocates them).
const MAX_DECODED_BYTES: u64 = 1 << 31;

/// Unpacks `n` bits, least significant bit of each byte first (DICOM bit order), into 0/1.
fn unpack_bits(bytes: &[u8], n: usize, out: &mut Vec<f64>) {
    for i in 0..n {
        let bit = (bytes[i / 8] >> (i % 8)) & 1;
        out.push(bit as f64);
    }
}

/// LPS (DICOM patient coordinates) to RAS (the project's world frame, as the NIfTI
/// reader takes the sform): x and y change sign. The map is its own inverse.
#[inline]
pub(crate) fn lps_to_ras(v: [f64; 3]) -> [f64; 3] {
    [-v[0], -v[1], v[2]]
}

pub(crate) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(crate) fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

pub(crate) fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// Row and column direction cosines from ImageOrientationPatient (LPS), normalised and
/// checked for orthogonality.
pub(crate) fn orientation(
    iop: &[f64],
    path: &Path,
    what: &str,
) -> Result<([f64; 3], [f64; 3]), IoError> {
    let r = [iop[0], iop[1], iop[2]];
    let c = [iop[3], iop[4], iop[5]];
    let (nr, nc) = (norm(r), norm(c));
    if !(nr > 0.5 && nc > 0.5 && nr < 1.5 && nc < 1.5) {
        return Err(invalid(
            path,
            format!("{what} {iop:?} does not hold two unit vectors"),
        ));
    }
    let r = [r[0] / nr, r[1] / nr, r[2] / nr];
    let c = [c[0] / nc, c[1] / nc, c[2] / nc];
    if dot(r, c).abs() > 1e-3 {
        return Err(invalid(
            path,
            format!("{what} {iop:?}: row and column directions are not orthogonal"),
        ));
    }
    Ok((r, c))
}

/// Inverse of a 3x3 matrix, None when singular.
#[allow(clippy::needless_range_loop)] // index arithmetic on a 3x3 matrix
pub(crate) fn inverse3(m: [[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if !det.is_finite() || det.abs() < 1e-12 {
        return None;
    }
    let inv_det = 1.0 / det;
    let mut out = [[0.0; 3]; 3];
    for r in 0..3 {
        for c in 0..3 {
            // cofactor of (c, r)
            let (r1, r2) = ((c + 1) % 3, (c + 2) % 3);
            let (c1, c2) = ((r + 1) % 3, (r + 2) % 3);
            out[r][c] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) * inv_det;
        }
    }
    Some(out)
}

/// Continuous voxel index (x, y, z) of a world point (x, y, z) on a grid.
pub(crate) struct WorldToIndex {
    inv: [[f64; 3]; 3],
    origin: [f64; 3],
}

impl WorldToIndex {
    #[allow(clippy::needless_range_loop)]
    pub fn new(grid: &radx_core::Grid) -> Option<Self> {
        let sp = [
            grid.spacing_zyx[2],
            grid.spacing_zyx[1],
            grid.spacing_zyx[0],
        ];
        let mut m = [[0.0; 3]; 3];
        for r in 0..3 {
            for c in 0..3 {
                m[r][c] = grid.direction[r][c] * sp[c];
            }
        }
        Some(WorldToIndex {
            inv: inverse3(m)?,
            origin: grid.origin_xyz,
        })
    }

    /// Continuous index (i along x, j along y, k along z) of world point `p`.
    #[inline]
    pub fn index(&self, p: [f64; 3]) -> [f64; 3] {
        let d = sub(p, self.origin);
        [
            dot(self.inv[0], d),
            dot(self.inv[1], d),
            dot(self.inv[2], d),
        ]
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_rotation_scale() {
        let m = [[0.0, -2.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 0.5]];
        let inv = inverse3(m).unwrap();
        for r in 0..3 {
            for c in 0..3 {
                let mut s = 0.0;
                for k in 0..3 {
                    s += m[r][k] * inv[k][c];
                }
                assert!((s - if r == c { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(inverse3([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0]]).is_none());
    }

    #[test]
    fn stored_value_bits_and_sign() {
        let f = PixelFormat {
            rows: 1,
            columns: 1,
            frames: 1,
            bits_allocated: 16,
            bits_stored: 12,
            high_bit: 11,
            signed: true,
        };
        assert_eq!(f.value_of(0x0FFF), -1.0);
        assert_eq!(f.value_of(0xF7FF), 2047.0); // bits above the high bit are ignored
        assert_eq!(f.value_of(0x0800), -2048.0);
        let u = PixelFormat { signed: false, ..f };
        assert_eq!(u.value_of(0xFFFF), 4095.0);
        let s16 = PixelFormat {
            bits_stored: 16,
            high_bit: 15,
            ..f
        };
        assert_eq!(s16.value_of(0xFC18), -1000.0);
    }

    #[test]
    fn bits_unpack_lsb_first() {
        let mut out = Vec::new();
        unpack_bits(&[0b0000_0101, 0b1000_0000], 16, &mut out);
        assert_eq!(out[0], 1.0);
        assert_eq!(out[1], 0.0);
        assert_eq!(out[2], 1.0);
        assert_eq!(out[15], 1.0);
        assert_eq!(out.iter().sum::<f64>(), 3.0);
    }
}
