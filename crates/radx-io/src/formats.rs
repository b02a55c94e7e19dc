//! Format detection and the entry points that read any supported format: NIfTI, NRRD, a
//! DICOM series, DICOM RTSTRUCT and SEG. The format is recognised by content, not by name
//! ([`detect_format`]); each reader sits in its own module (`nifti_reader`, [`crate::nrrd`],
//! [`crate::dicom`]) and this module dispatches to it.
//!
//! Entry points:
//! * [`read_image_any`] — a NIfTI file, an NRRD file (`.nrrd`/`.nhdr`), a DICOM series
//!   folder, or one DICOM slice file (its folder's series is read).
//! * [`read_mask_any`] — a NIfTI or NRRD label map, a DICOM RTSTRUCT or SEG file, or a
//!   folder holding exactly one RTSTRUCT or SEG file, onto the grid of an image.
//! * [`load_mask_any`] — the same, also naming every file read and the ROI, segment or
//!   label the selector resolved to ([`LoadedImage::files`] does this for images).

use std::path::{Path, PathBuf};

use ndarray::Array3;
use radx_core::{Grid, Image, Mask};

use crate::dicom::{dcm, read_series, seg, SeriesInfo, SeriesOptions};
use crate::{invalid, nrrd, open_error, IoError};

/// Default threshold for fractional SEG segments: a voxel is inside when its fraction is
/// at least one half.
pub const SEG_FRACTION_THRESHOLD: f64 = 0.5;

/// The input formats radx recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// NIfTI-1 (`.nii`, `.nii.gz`), read by radx-io.
    Nifti,
    /// NRRD with attached or detached data.
    Nrrd,
    /// A DICOM image series (a folder, or one slice of it).
    DicomSeries,
    /// A DICOM RT Structure Set file.
    RtStruct,
    /// A DICOM Segmentation file.
    Seg,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Nifti => "NIfTI",
            Format::Nrrd => "NRRD",
            Format::DicomSeries => "DICOM series",
            Format::RtStruct => "DICOM RTSTRUCT",
            Format::Seg => "DICOM SEG",
        })
    }
}

const ACCEPTED: &str = "expected a NIfTI file (.nii, .nii.gz), an NRRD file (.nrrd, .nhdr), \
a folder of DICOM slices, or a DICOM RTSTRUCT or SEG file";

/// Recognises the format of a path by its content (not its name). A folder is a DICOM
/// series, unless its only DICOM file is an RTSTRUCT or SEG (then that format). A file is
/// NRRD when it starts with `NRRD000`, DICOM when it has the Part 10 signature (then
/// RTSTRUCT, SEG or an image slice by its SOP class and modality), NIfTI when it is gzip
/// data or starts with the NIfTI-1 header size 348 or the NIfTI-2 header size 540.
pub fn detect_format(path: &Path) -> Result<Format, IoError> {
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
    if meta.is_dir() {
        let files = crate::dicom::series::dicom_files(path)?;
        if files.is_empty() {
            return Err(invalid(
                path,
                format!("folder holds no DICOM file; {ACCEPTED}"),
            ));
        }
        if files.len() == 1 {
            if let [(_, f)] = seg::mask_files_in(path)?.as_slice() {
                return Ok(*f);
            }
        }
        return Ok(Format::DicomSeries);
    }
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let mut head = Vec::with_capacity(352);
    f.by_ref()
        .take(352)
        .read_to_end(&mut head)
        .map_err(|e| open_error(path, e))?;
    if nrrd::has_nrrd_magic(&head) {
        return Ok(Format::Nrrd);
    }
    if dcm::has_dicm_magic(&head) {
        let obj = dcm::open(path, dcm::Upto::Identity)?;
        let a = dcm::Attrs::new(&obj, path);
        let class = a
            .str_opt(dicom_dictionary_std::tags::SOP_CLASS_UID)
            .unwrap_or_default();
        let modality = a
            .str_opt(dicom_dictionary_std::tags::MODALITY)
            .unwrap_or_default();
        return Ok(
            if class == dcm::RTSTRUCT_SOP_CLASS || modality == "RTSTRUCT" {
                Format::RtStruct
            } else if class == dcm::SEG_SOP_CLASS || modality == "SEG" {
                Format::Seg
            } else {
                Format::DicomSeries
            },
        );
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Format::Nifti);
    }
    if head.len() >= 4 {
        let le = i32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let be = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        // 348: NIfTI-1; 540: NIfTI-2
        if [348, 540].contains(&le) || [348, 540].contains(&be) {
            return Ok(Format::Nifti);
        }
    }
    if head.is_empty() {
        return Err(IoError::Truncated {
            path: path.into(),
            message: "file is empty".into(),
        });
    }
    Err(invalid(path, format!("unrecognised format; {ACCEPTED}")))
}

/// How to read an image.
pub type ImageOptions = SeriesOptions;

/// An image with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    pub image: Image,
    pub format: Format,
    /// Identity of the DICOM series, when the image is one (used to check that an
    /// RTSTRUCT or SEG refers to it).
    pub series: Option<SeriesInfo>,
    /// Every file whose bytes make the image, sorted by path: the NIfTI file; the NRRD
    /// header and its detached data file; each slice of the DICOM series.
    pub files: Vec<PathBuf>,
    /// A 4D NIfTI image: the volume read (0-based) and how many the file holds.
    pub volume: Option<VolumeChoice>,
}

/// One volume of a 4D image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolumeChoice {
    /// 0-based index along dim\[4\].
    pub index: usize,
    /// Number of volumes in the file.
    pub of: usize,
}

impl LoadedImage {
    /// What a mask must be rasterised onto / checked against.
    pub fn mask_target(&self) -> MaskTarget {
        MaskTarget {
            grid: self.image.grid.clone(),
            series: self.series.clone(),
            volume: self.volume.map(|v| v.index),
        }
    }
}

/// The grid a mask is read onto, with the DICOM identity of the image when known.
#[derive(Debug, Clone)]
pub struct MaskTarget {
    pub grid: Grid,
    pub series: Option<SeriesInfo>,
    /// The volume read from a 4D image: a 4D label map gives its volume of the same index
    /// (a 3D label map applies to any volume).
    pub volume: Option<usize>,
}

impl From<&Grid> for MaskTarget {
    fn from(grid: &Grid) -> Self {
        MaskTarget {
            grid: grid.clone(),
            series: None,
            volume: None,
        }
    }
}

/// Which region of a mask file forms the ROI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RoiSelector {
    /// Label maps (NIfTI, NRRD): every non-zero voxel. RTSTRUCT / SEG: the only ROI or
    /// segment (an error listing them when there are several).
    #[default]
    Auto,
    /// Label maps: voxels of this value. RTSTRUCT: ROINumber. SEG: SegmentNumber.
    Label(i64),
    /// RTSTRUCT: ROIName (exact). SEG: SegmentLabel (exact). Not valid for label maps.
    Name(String),
}

impl RoiSelector {
    /// From command-line text: empty → Auto, an integer → Label, anything else → Name.
    pub fn parse(s: &str) -> RoiSelector {
        let t = s.trim();
        if t.is_empty() {
            RoiSelector::Auto
        } else if let Ok(n) = t.parse::<i64>() {
            RoiSelector::Label(n)
        } else {
            RoiSelector::Name(t.to_string())
        }
    }
}

/// Reads an image in any supported format (see [`detect_format`]). `opts.series_uid`
/// chooses a DICOM series; `opts.suv` converts a DICOM PET series to body-weight SUV and
/// is an error for other formats (they carry no PET dose information).
pub fn read_image_any(path: &Path, opts: &ImageOptions) -> Result<LoadedImage, IoError> {
    let format = detect_format(path)?;
    let not_dicom = |what: &str| {
        invalid(
            path,
            format!("{what} only applies to DICOM series; this is a {format} file"),
        )
    };
    match format {
        Format::Nifti | Format::Nrrd => {
            if opts.suv {
                return Err(not_dicom("SUV conversion"));
            }
            if opts.series_uid.is_some() {
                return Err(not_dicom("a series UID"));
            }
            let (image, mut files, volume) = if format == Format::Nifti {
                let (image, of) = crate::read_image_volume(path, opts.volume)?;
                let volume = (of > 1 || opts.volume.is_some()).then(|| VolumeChoice {
                    index: opts.volume.unwrap_or(0),
                    of,
                });
                (image, vec![path.to_path_buf()], volume)
            } else {
                if opts.volume.is_some() {
                    return Err(invalid(
                        path,
                        "a volume choice applies to 4D NIfTI images; this is an NRRD file",
                    ));
                }
                let (grid, data, files) = nrrd::read_nrrd_files(path)?;
                let image = Image::new(grid, data).map_err(|e| invalid(path, e.to_string()))?;
                (image, files, None)
            };
            files.sort();
            Ok(LoadedImage {
                image,
                format,
                series: None,
                files,
                volume,
            })
        }
        Format::DicomSeries => {
            if opts.volume.is_some() {
                return Err(not_dicom_volume(path));
            }
            let s = read_series(path, opts)?;
            let mut files = s.info.files.clone();
            files.sort();
            files.dedup(); // the frames of a multi-frame file
            Ok(LoadedImage {
                image: s.image,
                format,
                series: Some(s.info),
                files,
                volume: None,
            })
        }
        Format::RtStruct | Format::Seg => Err(invalid(
            path,
            format!("is a {format} (a mask), not an image"),
        )),
    }
}

fn not_dicom_volume(path: &Path) -> IoError {
    invalid(
        path,
        "a volume choice applies to 4D NIfTI images; this is a DICOM series (a multi-frame or \
         dynamic series is read as one 3D volume)",
    )
}

/// A mask with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedMask {
    pub mask: Mask,
    pub format: Format,
    /// Every file whose bytes make the mask, sorted by path (a label map, its NRRD data
    /// file, the RTSTRUCT or SEG file).
    pub files: Vec<PathBuf>,
    /// What the selector resolved to.
    pub selection: MaskSelection,
}

/// The region a [`RoiSelector`] resolved to in a mask file. Only the fields that apply
/// to the format are set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MaskSelection {
    /// RTSTRUCT: ROIName of the chosen ROI.
    pub roi_name: Option<String>,
    /// RTSTRUCT: its ROINumber.
    pub roi_number: Option<i64>,
    /// SEG: SegmentNumber of the chosen segment.
    pub segment_number: Option<i64>,
    /// SEG: its SegmentLabel.
    pub segment_label: Option<String>,
    /// Label maps: the label value that forms the ROI (`None`: every non-zero voxel).
    pub label_value: Option<i64>,
    /// RTSTRUCT / SEG: the frame of reference the ROI is drawn in.
    pub frame_of_reference_uid: Option<String>,
}

/// Reads a mask in any supported format onto `target` (the image's grid); see
/// [`load_mask_any`], which also says which files were read and what was selected.
pub fn read_mask_any(path: &Path, target: &MaskTarget, sel: &RoiSelector) -> Result<Mask, IoError> {
    load_mask_any(path, target, sel).map(|m| m.mask)
}

/// Reads a mask in any supported format onto `target` (the image's grid).
///
/// * NIfTI / NRRD label maps: voxels selected by `sel` (Auto = non-zero); the file's grid
///   must match the target's within 1e-3 mm (positions) and relative 1e-4 (spacing,
///   direction), and the mask is returned on the target grid.
/// * RTSTRUCT: the ROI's contours rasterised onto the target grid
///   (rule: [`RtStruct::rasterise`] / the `rtstruct` module documentation).
/// * SEG: the segment pasted onto the target grid ([`read_seg_mask`], threshold
///   [`SEG_FRACTION_THRESHOLD`] for fractional segments).
/// * A folder: its single RTSTRUCT or SEG file.
pub fn load_mask_any(
    path: &Path,
    target: &MaskTarget,
    sel: &RoiSelector,
) -> Result<LoadedMask, IoError> {
    let request = [crate::regions::MaskRequest::One(sel.clone())];
    crate::regions::load_masks_any(path, target, &request)?
        .pop()
        .and_then(|mut masks| masks.pop())
        .ok_or_else(|| invalid(path, "no region was read for the one asked for"))
}

/// The single RTSTRUCT or SEG file of a folder given as a mask.
pub(crate) fn mask_file_of_folder(path: &Path) -> Result<PathBuf, IoError> {
    let masks = seg::mask_files_in(path)?;
    match masks.as_slice() {
        [(p, _)] => Ok(p.clone()),
        [] => Err(invalid(
            path,
            "folder holds no RTSTRUCT or SEG file: not a mask (give the mask file)",
        )),
        many => Err(invalid(
            path,
            format!(
                "folder holds {} RTSTRUCT/SEG files; name one: {}",
                many.len(),
                many.iter()
                    .map(|(p, _)| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// A label-map mask (NIfTI, NRRD) on its own grid, its ROI selected but not checked
/// against any image grid: for resampling a mask given on another grid.
#[derive(Debug, Clone)]
pub struct NativeLabelMap {
    pub grid: Grid,
    pub roi: Array3<bool>,
    pub format: Format,
    /// Every file read, sorted by path.
    pub files: Vec<PathBuf>,
    pub label_value: Option<i64>,
}

/// Reads a NIfTI / NRRD label map on its own grid with the ROI of `sel`; None for other
/// formats (RTSTRUCT, SEG, folders: they are placed on the image grid by their readers).
pub fn read_label_map(path: &Path, sel: &RoiSelector) -> Result<Option<NativeLabelMap>, IoError> {
    if path.is_dir() {
        return Ok(None);
    }
    let format = detect_format(path)?;
    if !matches!(format, Format::Nifti | Format::Nrrd) {
        return Ok(None);
    }
    let (grid, data, files) = read_label_volume(path, format, None)?;
    let roi = select_labels(path, &data, sel)?;
    Ok(Some(NativeLabelMap {
        grid,
        roi,
        format,
        files,
        label_value: match sel {
            RoiSelector::Label(l) => Some(*l),
            _ => None,
        },
    }))
}

/// A NIfTI or NRRD label map as read: its grid, its values and every file read (sorted).
/// A NIfTI or NRRD label map. With `volume` (the volume read from a 4D image), a 4D NIfTI
/// label map gives its volume of that index; a 3D one is used whatever the volume.
pub(crate) fn read_label_volume(
    path: &Path,
    format: Format,
    volume: Option<usize>,
) -> Result<(Grid, Array3<f64>, Vec<PathBuf>), IoError> {
    let (grid, data, mut files) = if format == Format::Nifti {
        let (grid, data) = crate::nifti_reader::read_label_nifti(path, volume)?;
        (grid, data, vec![path.to_path_buf()])
    } else {
        nrrd::read_nrrd_files(path)?
    };
    files.sort();
    Ok((grid, data, files))
}

/// A label map must lie on the image grid (the error names both grids' difference).
pub(crate) fn check_mask_grid(
    path: &Path,
    target: &MaskTarget,
    grid: &Grid,
) -> Result<(), IoError> {
    match target.grid.mismatch(grid, 1e-3) {
        Some(why) => Err(invalid(
            path,
            format!("mask grid differs from the image grid: {why}"),
        )),
        None => Ok(()),
    }
}

/// Label-map selection shared by NIfTI and NRRD masks (radx-io's rule; names are not
/// valid for label maps).
pub(crate) fn select_labels(
    path: &Path,
    data: &Array3<f64>,
    sel: &RoiSelector,
) -> Result<Array3<bool>, IoError> {
    let selector = match sel {
        RoiSelector::Auto => crate::MaskSelector::NonZero,
        RoiSelector::Label(l) => crate::MaskSelector::Label(*l),
        RoiSelector::Name(n) => {
            return Err(invalid(
                path,
                format!("a label map has no ROI names; give a label number instead of {n:?}"),
            ))
        }
    };
    crate::select_labels(path, data, selector)
}
