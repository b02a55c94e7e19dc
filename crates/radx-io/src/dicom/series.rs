//! DICOM image series: a folder of single-frame slices, or of enhanced multi-frame images
//! (each frame a plane placed by its per-frame / shared functional groups) → one [`Image`].
//!
//! Geometry rules (every one checked, every failure an error naming the folder or file):
//!
//! * Slices are the DICOM files of the folder (not its subfolders) that hold pixel data
//!   and are neither an RTSTRUCT nor a SEG. Files without the DICOM Part 10 signature
//!   are skipped; a file with the signature that does not parse is an error.
//! * One series is read: the one named by [`SeriesOptions::series_uid`], else the only one
//!   present. Several series and no choice → an error listing them. A file whose
//!   SeriesInstanceUID is absent or empty is grouped by FrameOfReferenceUID, Modality, size,
//!   orientation and pixel spacing instead, and [`SeriesInfo::grouping`] says so.
//! * Enhanced multi-frame images: every frame is a plane, placed and rescaled by its
//!   PerFrameFunctionalGroupsSequence item, else the SharedFunctionalGroupsSequence
//!   (PlanePosition, PlaneOrientation, PixelMeasures, PixelValueTransformation); planes
//!   then follow the same rules as single-frame slices.
//! * The row and column directions come from ImageOrientationPatient (identical, within
//!   1e-4, on every slice); the slice normal is their cross product. Slices are sorted by
//!   the projection of ImagePositionPatient on the normal (never by file name or
//!   InstanceNumber), and the index z axis points along the normal.
//! * The spacing between slices is (last − first position) / (count − 1) along the
//!   normal; SliceThickness is not used (except for a single-slice series, where
//!   SpacingBetweenSlices, else SliceThickness, gives the z spacing). Two slices at one
//!   position, a gap, or any step differing from the median step by more than 1 % (or
//!   0.01 mm, whichever is larger) is an error listing the positions. Slices whose positions
//!   drift in-plane (a tilted gantry) are an error too.
//! * Pixel (row, column) `(j, i)` of the slice at sorted place `k` becomes voxel
//!   `(z, y, x) = (k, j, i)`; x runs along the row direction and y along the column
//!   direction; spacing (y, x) = PixelSpacing (row spacing, column spacing).
//! * World coordinates are converted from DICOM's LPS to the project's RAS (as the NIfTI
//!   reader takes the sform): x → −x, y → −y for the origin and every direction.
//! * Values: stored value × RescaleSlope + RescaleIntercept, per slice (1 and 0 when
//!   absent), then × the SUV factor when [`SeriesOptions::suv`] asks for it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use ndarray::Array3;
use radx_core::{Grid, Image};

use super::dcm::{self, Attrs};
use super::geometry::{cross, dot, lps_to_ras, norm, orientation, sub};
use super::pixels::{append_values, stored_values, PixelFormat};
use super::suv::{suv_factors, SuvInfo, SuvType};
use crate::{invalid, open_error, unsupported, IoError};

/// How to read a DICOM series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesOptions {
    /// SeriesInstanceUID of the series to read; needed when the folder holds several.
    pub series_uid: Option<String>,
    /// Convert PET activity concentration to body-weight SUV (see [`SuvInfo`]).
    pub suv: bool,
    /// The SUV normalisation when `suv` is set (default body weight; see [`SuvType`]).
    pub suv_type: SuvType,
    /// NIfTI only: the volume (0-based, along dim\[4\]) of a 4D image to read; a 4D image
    /// holding several volumes needs it. An error for DICOM and NRRD images.
    pub volume: Option<usize>,
}

/// What was read, beside the voxels: the identity of the series (for checking masks that
/// refer to it) and the file of every slice.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInfo {
    pub folder: PathBuf,
    pub series_uid: String,
    pub study_uid: Option<String>,
    pub frame_of_reference_uid: Option<String>,
    pub modality: Option<String>,
    pub series_description: Option<String>,
    /// SOPInstanceUID of each slice, in z order.
    pub sop_instance_uids: Vec<String>,
    /// File of each slice, in z order.
    pub files: Vec<PathBuf>,
    /// Position of each slice along the slice normal (LPS, mm), in z order.
    pub slice_positions_mm: Vec<f64>,
    /// Transfer syntax UID of the first slice.
    pub transfer_syntax: String,
    /// Present when SUV was asked for.
    pub suv: Option<SuvInfo>,
    /// How the slices were grouped into a series when their SeriesInstanceUID is absent or
    /// empty (then `series_uid` is a description of the group, not a UID); None when the
    /// series was chosen by its SeriesInstanceUID.
    pub grouping: Option<String>,
}

impl SeriesInfo {
    /// For compressed pixel data: the transfer syntax, its name and the codec that decoded
    /// it, as recorded in the provenance; None for uncompressed (native) pixel data.
    pub fn pixel_decoding(&self) -> Option<String> {
        let codec = super::pixels::codec_of(&self.transfer_syntax)?;
        Some(format!(
            "{} {}, decoded by {codec}",
            self.transfer_syntax,
            super::pixels::transfer_syntax_name(&self.transfer_syntax)
        ))
    }
}

/// A DICOM series as an image plus what identifies it.
#[derive(Debug, Clone)]
pub struct DicomSeries {
    pub image: Image,
    pub info: SeriesInfo,
}

/// One series found in a folder.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSummary {
    pub series_uid: String,
    pub modality: Option<String>,
    pub series_description: Option<String>,
    pub series_number: Option<String>,
    pub files: usize,
}

impl std::fmt::Display for SeriesSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} files, modality {}, series number {}, description {:?})",
            self.series_uid,
            self.files,
            self.modality.as_deref().unwrap_or("?"),
            self.series_number.as_deref().unwrap_or("?"),
            self.series_description.as_deref().unwrap_or("")
        )
    }
}

/// Regular files directly in `folder` that carry the DICOM Part 10 signature, by name.
pub(crate) fn dicom_files(folder: &Path) -> Result<Vec<PathBuf>, IoError> {
    let rd = std::fs::read_dir(folder).map_err(|e| open_error(folder, e))?;
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| open_error(folder, e))?;
        let p = entry.path();
        if !p.is_file() {
            continue;
        }
        if is_dicom_file(&p)? {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Whether a file starts with a 128-byte preamble and "DICM".
pub(crate) fn is_dicom_file(p: &Path) -> Result<bool, IoError> {
    use std::io::Read;
    let mut f = std::fs::File::open(p).map_err(|e| open_error(p, e))?;
    let mut head = [0u8; 132];
    let mut got = 0;
    while got < head.len() {
        match f.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) => return Err(open_error(p, e)),
        }
    }
    Ok(dcm::has_dicm_magic(&head[..got]))
}

/// Whether a parsed DICOM object is an image slice (pixel data, not RTSTRUCT/SEG).
fn is_image(obj: &DefaultDicomObject) -> bool {
    let a = Attrs::new(obj, Path::new(""));
    let class = a.str_opt(tags::SOP_CLASS_UID).unwrap_or_default();
    let modality = a.str_opt(tags::MODALITY).unwrap_or_default();
    obj.get(tags::PIXEL_DATA).is_some()
        && class != dcm::RTSTRUCT_SOP_CLASS
        && class != dcm::SEG_SOP_CLASS
        && modality != "SEG"
        && modality != "RTSTRUCT"
}

/// Whether a parsed DICOM object without pixel data looks like an image slice (it has
/// Rows, Columns and ImagePositionPatient and is not an RTSTRUCT or SEG).
fn is_pixelless_slice(obj: &DefaultDicomObject) -> bool {
    let a = Attrs::new(obj, Path::new(""));
    let class = a.str_opt(tags::SOP_CLASS_UID).unwrap_or_default();
    let modality = a.str_opt(tags::MODALITY).unwrap_or_default();
    obj.get(tags::PIXEL_DATA).is_none()
        && obj.get(tags::ROWS).is_some()
        && obj.get(tags::COLUMNS).is_some()
        && obj.get(tags::IMAGE_POSITION_PATIENT).is_some()
        && class != dcm::RTSTRUCT_SOP_CLASS
        && class != dcm::SEG_SOP_CLASS
        && modality != "SEG"
        && modality != "RTSTRUCT"
}

/// What is said when slices are grouped without a SeriesInstanceUID.
const GROUPING_NOTE: &str = "SeriesInstanceUID (0020,000E) absent or empty: slices grouped by \
     frame of reference and geometry (FrameOfReferenceUID, Modality, Rows x Columns, \
     ImageOrientationPatient, PixelSpacing)";

/// The series a file belongs to: its SeriesInstanceUID; or, when that element is absent or
/// empty (the standard makes it type 1, but exports do leave it empty), a key made of the
/// frame of reference and the geometry, with [`GROUPING_NOTE`]. `reopen` gives the whole
/// header when `a` holds only the identifying attributes.
fn series_key(
    a: &Attrs,
    reopen: impl FnOnce() -> Result<DefaultDicomObject, IoError>,
) -> Result<(String, Option<String>), IoError> {
    if let Some(uid) = a.str_opt(tags::SERIES_INSTANCE_UID) {
        return Ok((uid, None));
    }
    let full;
    let a = if a.obj.get(tags::ROWS).is_some() {
        *a
    } else {
        full = reopen()?;
        Attrs::new(&full, a.path)
    };
    let fmt = PixelFormat::read(&a)?;
    let plane = planes_of(&a, fmt.frames)?.swap_remove(0);
    let nums = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{:.4}", x + 0.0))
            .collect::<Vec<_>>()
            .join("\\")
    };
    let key = format!(
        "(no SeriesInstanceUID) frame of reference {}, modality {}, {} x {} pixels, orientation {}, pixel spacing {}",
        a.str_opt(tags::FRAME_OF_REFERENCE_UID).as_deref().unwrap_or("(none)"),
        a.str_opt(tags::MODALITY).as_deref().unwrap_or("(none)"),
        fmt.rows,
        fmt.columns,
        nums(&plane.iop),
        nums(&plane.ps)
    );
    Ok((key, Some(GROUPING_NOTE.to_string())))
}

/// Lists the image series in a folder (reads headers only).
pub fn list_series(folder: &Path) -> Result<Vec<SeriesSummary>, IoError> {
    let mut map: BTreeMap<String, SeriesSummary> = BTreeMap::new();
    for p in dicom_files(folder)? {
        let obj = dcm::open(&p, dcm::Upto::Identity)?;
        let a = Attrs::new(&obj, &p);
        let class = a.str_opt(tags::SOP_CLASS_UID).unwrap_or_default();
        let modality = a.str_opt(tags::MODALITY);
        if class == dcm::RTSTRUCT_SOP_CLASS
            || class == dcm::SEG_SOP_CLASS
            || matches!(modality.as_deref(), Some("SEG" | "RTSTRUCT"))
        {
            continue;
        }
        let (uid, _) = series_key(&a, || dcm::open(&p, dcm::Upto::PixelData))?;
        let e = map.entry(uid.clone()).or_insert_with(|| SeriesSummary {
            series_uid: uid,
            modality,
            series_description: a.str_opt(tags::SERIES_DESCRIPTION),
            series_number: a.str_opt(tags::SERIES_NUMBER),
            files: 0,
        });
        e.files += 1;
    }
    Ok(map.into_values().collect())
}

/// One plane of the volume: a single-frame file, or one frame of an enhanced multi-frame
/// file (the file's data set is shared by its frames).
pub(crate) struct Slice {
    pub path: PathBuf,
    pub obj: Arc<DefaultDicomObject>,
    pub pos: [f64; 3],
    pub along: f64,
    /// Frame index (0-based) in a multi-frame file; None for a single-frame file.
    pub frame: Option<usize>,
    pub slope: f64,
    pub intercept: f64,
    /// SpacingBetweenSlices, else SliceThickness, of this plane (used for a one-plane series).
    pub thickness: Option<f64>,
}

/// Geometry and rescale of one plane, from the top-level attributes (single-frame) or the
/// functional groups (enhanced multi-frame: per-frame item first, then the shared one).
struct Plane {
    iop: Vec<f64>,
    ps: Vec<f64>,
    ipp: Vec<f64>,
    slope: f64,
    intercept: f64,
    thickness: Option<f64>,
    frame: Option<usize>,
}

/// Whether a data set is an enhanced (multi-frame) image: it has functional groups.
fn is_enhanced(a: &Attrs) -> bool {
    a.obj
        .get(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .is_some()
        || a.obj.get(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).is_some()
}

fn thickness_of(a: &Attrs) -> Result<Option<f64>, IoError> {
    Ok(a.f64_opt(tags::SPACING_BETWEEN_SLICES)?
        .or(a.f64_opt(tags::SLICE_THICKNESS)?))
}

/// The planes of one file: itself for a single-frame image; each frame of an enhanced
/// multi-frame image (Enhanced CT / MR / PET and their Legacy Converted forms), with
/// PlanePositionSequence › ImagePositionPatient, PlaneOrientationSequence ›
/// ImageOrientationPatient, PixelMeasuresSequence › PixelSpacing (SpacingBetweenSlices,
/// SliceThickness) and PixelValueTransformationSequence › RescaleSlope / RescaleIntercept
/// taken from the frame's PerFrameFunctionalGroupsSequence item, else from the
/// SharedFunctionalGroupsSequence, else from the top level of the data set.
fn planes_of(a: &Attrs, frames: usize) -> Result<Vec<Plane>, IoError> {
    let top_slope = a.f64_opt(tags::RESCALE_SLOPE)?;
    let top_intercept = a.f64_opt(tags::RESCALE_INTERCEPT)?;
    if !is_enhanced(a) {
        if frames != 1 {
            return Err(unsupported(
                a.path,
                format!(
                    "multi-frame image ({frames} frames) without functional groups \
                     (PerFrameFunctionalGroupsSequence): the position of each frame is unknown"
                ),
            ));
        }
        return Ok(vec![Plane {
            iop: a.f64s_req(tags::IMAGE_ORIENTATION_PATIENT, 6)?,
            ps: a.f64s_req(tags::PIXEL_SPACING, 2)?,
            ipp: a.f64s_req(tags::IMAGE_POSITION_PATIENT, 3)?,
            slope: top_slope.unwrap_or(1.0),
            intercept: top_intercept.unwrap_or(0.0),
            thickness: thickness_of(a)?,
            frame: None,
        }]);
    }
    let shared = a.items(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).first();
    let per_frame = a.items(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    if per_frame.len() != frames {
        return Err(invalid(
            a.path,
            format!(
                "{} holds {} items for {frames} frames (NumberOfFrames)",
                dcm::tag_name(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE),
                per_frame.len()
            ),
        ));
    }
    let shared_ctx = "SharedFunctionalGroupsSequence";
    let mut out = Vec::with_capacity(frames);
    for (k, item) in per_frame.iter().enumerate() {
        let ctx = format!("PerFrameFunctionalGroupsSequence item {}", k + 1);
        // The macro `seq` of this frame: per-frame first, then shared.
        let group = |seq| -> Option<(Attrs, String)> {
            let pf = a.at(item, "").items(seq).first();
            if let Some(g) = pf {
                return Some((a.at(g, ""), format!("{} in {ctx}", dcm::tag_name(seq))));
            }
            let sh = shared.and_then(|s| a.at(s, "").items(seq).first())?;
            Some((
                a.at(sh, ""),
                format!("{} in {shared_ctx}", dcm::tag_name(seq)),
            ))
        };
        let need = |seq, tag, n: usize| -> Result<Vec<f64>, IoError> {
            let (g, where_) = group(seq).ok_or_else(|| {
                invalid(
                    a.path,
                    format!(
                        "missing {} for frame {} (neither in {ctx} nor in {shared_ctx})",
                        dcm::tag_name(seq),
                        k + 1
                    ),
                )
            })?;
            Attrs {
                context: &where_,
                ..g
            }
            .f64s_req(tag, n)
        };
        let ipp = need(
            tags::PLANE_POSITION_SEQUENCE,
            tags::IMAGE_POSITION_PATIENT,
            3,
        )?;
        let iop = need(
            tags::PLANE_ORIENTATION_SEQUENCE,
            tags::IMAGE_ORIENTATION_PATIENT,
            6,
        )?;
        let ps = need(tags::PIXEL_MEASURES_SEQUENCE, tags::PIXEL_SPACING, 2)?;
        let thickness = match group(tags::PIXEL_MEASURES_SEQUENCE) {
            Some((g, _)) => thickness_of(&g)?,
            None => None,
        };
        let (mut slope, mut intercept) = (top_slope, top_intercept);
        if let Some((g, where_)) = group(tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE) {
            let g = Attrs {
                context: &where_,
                ..g
            };
            slope = g.f64_opt(tags::RESCALE_SLOPE)?.or(slope);
            intercept = g.f64_opt(tags::RESCALE_INTERCEPT)?.or(intercept);
        }
        out.push(Plane {
            iop,
            ps,
            ipp,
            slope: slope.unwrap_or(1.0),
            intercept: intercept.unwrap_or(0.0),
            thickness,
            frame: Some(k),
        });
    }
    Ok(out)
}

/// How many files of a folder are parsed at once (in parallel) while looking for a series.
const PARSE_BATCH: usize = 64;

/// Reads a DICOM series from a folder (or from the folder of a given slice file, choosing
/// that file's series unless `opts.series_uid` says otherwise). See the module
/// documentation for the geometry rules.
pub fn read_series(path: &Path, opts: &SeriesOptions) -> Result<DicomSeries, IoError> {
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
    let (folder, mut wanted) = if meta.is_dir() {
        (path.to_path_buf(), opts.series_uid.clone())
    } else {
        let obj = dcm::open(path, dcm::Upto::Identity)?;
        let (uid, _) = series_key(&Attrs::new(&obj, path), || {
            dcm::open(path, dcm::Upto::PixelData)
        })?;
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        (folder, Some(opts.series_uid.clone().unwrap_or(uid)))
    };
    let files = dicom_files(&folder)?;
    if files.is_empty() {
        return Err(invalid(&folder, "holds no DICOM file"));
    }

    // One pass: parse every file; keep the slices of the wanted series (or of the first
    // series met when none is named) and only summaries of the others.
    let mut kept: Vec<(PathBuf, DefaultDicomObject)> = Vec::new();
    let mut summaries: BTreeMap<String, SeriesSummary> = BTreeMap::new();
    // Image slices whose pixel data are missing, with their series.
    let mut pixelless: Vec<(PathBuf, Option<String>)> = Vec::new();
    // Series grouped without a SeriesInstanceUID, with what is said about it.
    let mut notes: BTreeMap<String, Option<String>> = BTreeMap::new();
    // Files are parsed in parallel, a bounded batch at a time (the objects of other series
    // are dropped batch by batch), and handled in file-name order, so that the result and
    // the first error reported do not depend on the thread count.
    for batch in files.chunks(PARSE_BATCH) {
        let objs: Vec<Result<DefaultDicomObject, IoError>> = batch
            .par_iter()
            .map(|p| dcm::open(p, dcm::Upto::All))
            .collect();
        for (p, obj) in batch.iter().zip(objs) {
            let (p, obj) = (p.clone(), obj?);
            if !is_image(&obj) {
                if is_pixelless_slice(&obj) {
                    let uid = Attrs::new(&obj, &p).str_opt(tags::SERIES_INSTANCE_UID);
                    pixelless.push((p, uid));
                }
                continue;
            }
            let a = Attrs::new(&obj, &p);
            let (uid, note) = series_key(&a, || unreachable_reopen(&p))?;
            if note.is_some() {
                notes.insert(uid.clone(), note);
            }
            summaries
                .entry(uid.clone())
                .or_insert_with(|| SeriesSummary {
                    series_uid: uid.clone(),
                    modality: a.str_opt(tags::MODALITY),
                    series_description: a.str_opt(tags::SERIES_DESCRIPTION),
                    series_number: a.str_opt(tags::SERIES_NUMBER),
                    files: 0,
                })
                .files += 1;
            if opts.series_uid.is_none() && wanted.is_none() {
                wanted = Some(uid.clone());
            }
            if wanted.as_deref() == Some(uid.as_str()) {
                kept.push((p, obj));
            }
        }
    }
    let list = |s: &BTreeMap<String, SeriesSummary>| {
        s.values()
            .map(|v| format!("  {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let no_pixels = |p: &Path| {
        invalid(
            p,
            format!(
                "an image slice (Rows, Columns, ImagePositionPatient) without {}: the file is \
                 truncated or its pixel data were removed",
                dcm::tag_name(tags::PIXEL_DATA)
            ),
        )
    };
    if summaries.is_empty() {
        if let Some((p, _)) = pixelless.first() {
            return Err(no_pixels(p));
        }
        return Err(invalid(
            &folder,
            "holds no DICOM image (no file with pixel data)",
        ));
    }
    if opts.series_uid.is_none() && meta.is_dir() && summaries.len() > 1 {
        return Err(invalid(
            &folder,
            format!(
                "holds {} image series; choose one by SeriesInstanceUID:\n{}",
                summaries.len(),
                list(&summaries)
            ),
        ));
    }
    let wanted = wanted.unwrap_or_default();
    if let Some((p, _)) = pixelless
        .iter()
        .find(|(_, uid)| uid.as_deref() == Some(wanted.as_str()))
    {
        return Err(no_pixels(p));
    }
    if kept.is_empty() {
        return Err(invalid(
            &folder,
            format!(
                "holds no series with SeriesInstanceUID {wanted}; series present:\n{}",
                list(&summaries)
            ),
        ));
    }
    let grouping = notes.remove(&wanted).flatten();
    let mut series = build(&folder, wanted, kept, opts)?;
    series.info.grouping = grouping;
    Ok(series)
}

/// The full header is at hand (files read whole): never called, but an error, not a panic.
fn unreachable_reopen(p: &Path) -> Result<DefaultDicomObject, IoError> {
    Err(invalid(p, "internal: header without Rows"))
}

fn build(
    folder: &Path,
    series_uid: String,
    kept: Vec<(PathBuf, DefaultDicomObject)>,
    opts: &SeriesOptions,
) -> Result<DicomSeries, IoError> {
    // Every plane: the file of a single-frame slice, or each frame of a multi-frame file.
    let p0 = kept[0].0.clone();
    let fmt0 = PixelFormat::read(&Attrs::new(&kept[0].1, &p0))?;
    let mut planes: Vec<(PathBuf, Arc<DefaultDicomObject>, Plane)> = Vec::new();
    for (path, obj) in kept {
        let obj = Arc::new(obj);
        let a = Attrs::new(&obj, &path);
        let fmt = PixelFormat::read(&a)?;
        if (fmt.rows, fmt.columns) != (fmt0.rows, fmt0.columns) {
            return Err(invalid(
                &path,
                format!(
                    "{} rows x {} columns, but {} has {} x {}; a series must have one slice size",
                    fmt.rows,
                    fmt.columns,
                    p0.display(),
                    fmt0.rows,
                    fmt0.columns
                ),
            ));
        }
        for plane in planes_of(&a, fmt.frames)? {
            planes.push((path.clone(), obj.clone(), plane));
        }
    }
    // Reference geometry from the first plane of the first file (by name); every plane must
    // agree with it.
    let iop0 = planes[0].2.iop.clone();
    let (row_dir, col_dir) = orientation(&iop0, &p0, "ImageOrientationPatient")?;
    let normal = cross(row_dir, col_dir);
    let ps0 = planes[0].2.ps.clone();
    if ps0.iter().any(|&v| v <= 0.0) {
        return Err(invalid(
            &p0,
            format!("PixelSpacing {ps0:?} is not positive"),
        ));
    }
    let frame_note =
        |f: Option<usize>| f.map(|k| format!(" (frame {})", k + 1)).unwrap_or_default();

    let mut slices = Vec::with_capacity(planes.len());
    for (path, obj, plane) in planes {
        let iop = &plane.iop;
        if iop.iter().zip(&iop0).any(|(x, y)| (x - y).abs() > 1e-4) {
            return Err(invalid(
                &path,
                format!(
                    "ImageOrientationPatient {iop:?}{} differs from {iop0:?} of {}",
                    frame_note(plane.frame),
                    p0.display()
                ),
            ));
        }
        let ps = &plane.ps;
        if ps
            .iter()
            .zip(&ps0)
            .any(|(x, y)| (x - y).abs() > 1e-4 * y.abs().max(1e-3))
        {
            return Err(invalid(
                &path,
                format!(
                    "PixelSpacing {ps:?}{} differs from {ps0:?} of {}",
                    frame_note(plane.frame),
                    p0.display()
                ),
            ));
        }
        let pos = [plane.ipp[0], plane.ipp[1], plane.ipp[2]];
        slices.push(Slice {
            along: dot(pos, normal),
            pos,
            path,
            obj,
            frame: plane.frame,
            slope: plane.slope,
            intercept: plane.intercept,
            thickness: plane.thickness,
        });
    }
    // Sort along the normal; ties keep file-name (then frame) order (then reported as
    // duplicates).
    slices.sort_by(|a, b| a.along.total_cmp(&b.along));
    let n = slices.len();

    let spacing_z =
        if n == 1 {
            match slices[0].thickness {
                Some(v) if v > 0.0 => v,
                _ => return Err(invalid(
                    &slices[0].path,
                    "single-slice series without a positive SpacingBetweenSlices or SliceThickness",
                )),
            }
        } else {
            check_spacing(folder, &slices)?
        };
    check_stacking(folder, &slices, row_dir, col_dir, ps0[0].min(ps0[1]))?;

    // Voxels.
    let (ny, nx) = (fmt0.rows, fmt0.columns);
    crate::guard::voxel_count(folder, &[n as u64, ny as u64, nx as u64])?;
    let suv = if opts.suv {
        Some(suv_factors(folder, &slices, opts.suv_type)?)
    } else {
        None
    };
    // Stored values of each multi-frame file, decoded once (all its frames), the files in
    // parallel.
    let mut multi_files: Vec<(&PathBuf, &DefaultDicomObject)> = Vec::new();
    for s in slices.iter().filter(|s| s.frame.is_some()) {
        if multi_files.last().map(|(p, _)| *p) != Some(&s.path)
            && !multi_files.iter().any(|(p, _)| *p == &s.path)
        {
            multi_files.push((&s.path, &s.obj));
        }
    }
    let decoded: Vec<Result<Vec<f64>, IoError>> = multi_files
        .par_iter()
        .map(|(path, obj)| {
            let fmt = PixelFormat::read(&Attrs::new(obj, path))?;
            stored_values(obj, path, &fmt)
        })
        .collect();
    let mut multi: BTreeMap<PathBuf, Vec<f64>> = BTreeMap::new();
    for ((path, _), values) in multi_files.iter().zip(decoded) {
        multi.insert((*path).clone(), values?);
    }
    // The voxels of slice k (rescaled, SUV factor applied), exactly ny x nx of them.
    let slice_values = |k: usize| -> Result<Vec<f64>, IoError> {
        let s = &slices[k];
        let a = Attrs::new(&s.obj, &s.path);
        let fmt = PixelFormat::read(&a)?;
        let factor = suv.as_ref().map_or(1.0, |s| s.factor[k]);
        let (slope, intercept) = (s.slope * factor, s.intercept * factor);
        let len = fmt.frame_len();
        let mut out = Vec::new();
        match s.frame {
            None => append_values(&s.obj, &s.path, &fmt, (slope, intercept), &mut out)?,
            Some(f) => {
                let all = &multi[&s.path];
                let frame = all.get(f * len..(f + 1) * len).ok_or_else(|| {
                    invalid(&s.path, format!("pixel data hold no frame {}", f + 1))
                })?;
                out.extend(frame.iter().map(|&v| v * slope + intercept));
            }
        }
        if out.len() != ny * nx {
            return Err(invalid(
                &s.path,
                format!(
                    "{} pixel values where {ny} rows x {nx} columns are expected",
                    out.len()
                ),
            ));
        }
        Ok(out)
    };
    // Reserve for the whole volume only once the first slice has shown real pixel data of
    // the declared size (a header alone never makes radx allocate). The other slices are
    // then decoded in parallel, each into its place, so the volume is the same whatever the
    // thread count; the first error in slice order is reported.
    let first = slice_values(0)?;
    let mut data: Vec<f64> = Vec::new();
    data.try_reserve_exact(n * ny * nx).map_err(|_| {
        invalid(
            folder,
            format!("not enough memory for {n} x {ny} x {nx} voxels"),
        )
    })?;
    data.extend_from_slice(&first);
    drop(first);
    data.resize(n * ny * nx, 0.0);
    let results: Vec<Result<(), IoError>> = data
        .par_chunks_mut(ny * nx)
        .enumerate()
        .skip(1)
        .map(|(k, chunk)| {
            chunk.copy_from_slice(&slice_values(k)?);
            Ok(())
        })
        .collect();
    results.into_iter().collect::<Result<Vec<()>, IoError>>()?;
    let sop_uids: Vec<String> = slices
        .iter()
        .map(|s| {
            Attrs::new(&s.obj, &s.path)
                .str_opt(tags::SOP_INSTANCE_UID)
                .unwrap_or_default()
        })
        .collect();
    let data = Array3::from_shape_vec((n, ny, nx), data)
        .map_err(|e| invalid(folder, format!("voxel array: {e}")))?;

    let origin = lps_to_ras(slices[0].pos);
    let cols = [lps_to_ras(row_dir), lps_to_ras(col_dir), lps_to_ras(normal)];
    let mut direction = [[0.0; 3]; 3];
    for (c, col) in cols.iter().enumerate() {
        let l = norm(*col);
        for r in 0..3 {
            direction[r][c] = col[r] / l;
        }
    }
    let grid = Grid {
        shape_zyx: [n, ny, nx],
        spacing_zyx: [spacing_z, ps0[0], ps0[1]],
        origin_xyz: origin,
        direction,
    };
    crate::guard::check_grid(folder, &grid)?;
    let image = Image::new(grid, data).map_err(|e| invalid(folder, e.to_string()))?;

    let a0 = Attrs::new(&slices[0].obj, &slices[0].path);
    let info = SeriesInfo {
        folder: folder.to_path_buf(),
        series_uid,
        study_uid: a0.str_opt(tags::STUDY_INSTANCE_UID),
        frame_of_reference_uid: a0.str_opt(tags::FRAME_OF_REFERENCE_UID),
        modality: a0.str_opt(tags::MODALITY),
        series_description: a0.str_opt(tags::SERIES_DESCRIPTION),
        sop_instance_uids: sop_uids,
        files: slices.iter().map(|s| s.path.clone()).collect(),
        slice_positions_mm: slices.iter().map(|s| s.along).collect(),
        transfer_syntax: slices[0]
            .obj
            .meta()
            .transfer_syntax()
            .trim_end_matches('\0')
            .to_string(),
        suv,
        grouping: None,
    };
    Ok(DicomSeries { image, info })
}

fn fmt_positions(slices: &[Slice]) -> String {
    slices
        .iter()
        .map(|s| format!("{:.3}", s.along))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Mean spacing along the normal, after checking that consecutive steps are equal.
fn check_spacing(folder: &Path, slices: &[Slice]) -> Result<f64, IoError> {
    let n = slices.len();
    for w in slices.windows(2) {
        if (w[1].along - w[0].along).abs() < 1e-3 {
            return Err(invalid(
                folder,
                format!(
                    "two slices at the same position {:.3} mm along the slice normal: {} and {} \
                     (several acquisitions, echoes or time points in one series are not supported)",
                    w[0].along,
                    w[0].path.display(),
                    w[1].path.display()
                ),
            ));
        }
    }
    let mean = (slices[n - 1].along - slices[0].along) / (n - 1) as f64;
    // Steps are compared with their median, so that one gap stands out on its own.
    let mut steps: Vec<f64> = (1..n)
        .map(|k| slices[k].along - slices[k - 1].along)
        .collect();
    steps.sort_by(|a, b| a.total_cmp(b));
    let median = steps[steps.len() / 2];
    let tol = (0.01 * median).max(0.01);
    let bad: Vec<usize> = (1..n)
        .filter(|&k| ((slices[k].along - slices[k - 1].along) - median).abs() > tol)
        .collect();
    if !bad.is_empty() {
        let steps: Vec<String> = bad
            .iter()
            .take(10)
            .map(|&k| {
                format!(
                    "{:.3} -> {:.3} (step {:.3}, {} -> {})",
                    slices[k - 1].along,
                    slices[k].along,
                    slices[k].along - slices[k - 1].along,
                    file_name(&slices[k - 1].path),
                    file_name(&slices[k].path)
                )
            })
            .collect();
        return Err(invalid(
            folder,
            format!(
                "slices are not evenly spaced (missing slice or uneven spacing): usual step {median:.4} mm, \
                 uneven steps along the slice normal: {}; all positions (mm): {}",
                steps.join("; "),
                fmt_positions(slices)
            ),
        ));
    }
    Ok(mean)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Every slice position must lie on the line through the first along the normal.
fn check_stacking(
    folder: &Path,
    slices: &[Slice],
    row_dir: [f64; 3],
    col_dir: [f64; 3],
    pixel: f64,
) -> Result<(), IoError> {
    let tol = (0.01 * pixel).max(0.01);
    let p0 = slices[0].pos;
    for s in slices {
        let d = sub(s.pos, p0);
        let (u, v) = (dot(d, row_dir), dot(d, col_dir));
        if u.abs() > tol || v.abs() > tol {
            return Err(invalid(
                folder,
                format!(
                    "slice {} is shifted in-plane by ({u:.3}, {v:.3}) mm from the first slice: slices \
                     are not stacked along the slice normal (tilted gantry?), not supported",
                    s.path.display()
                ),
            ));
        }
    }
    Ok(())
}
