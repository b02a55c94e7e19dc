//! DICOM image series: a folder of single-frame slices → one [`Image`].
//!
//! Geometry rules (every one checked, every failure an error naming the folder or file):
//!
//! * Slices are the DICOM files of the folder (not its subfolders) that hold pixel data
//!   and are neither an RTSTRUCT nor a SEG. Files without the DICOM Part 10 signature
//!   are skipped; a file with the signature that does not parse is an error.
//! * One series is read: the one named by [`SeriesOptions::series_uid`], else the only one
//!   present. Several series and no choice → an error listing them.
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

use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use ndarray::Array3;
use radx_core::{Grid, Image};

use super::dcm::{self, Attrs};
use super::geometry::{cross, dot, lps_to_ras, norm, orientation, sub};
use super::pixels::{append_values, PixelFormat};
use super::suv::{suv_factors, SuvInfo};
use crate::{invalid, open_error, unsupported, IoError};

/// How to read a DICOM series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesOptions {
    /// SeriesInstanceUID of the series to read; needed when the folder holds several.
    pub series_uid: Option<String>,
    /// Convert PET activity concentration to body-weight SUV (see [`SuvInfo`]).
    pub suv: bool,
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
        let uid = a.str_req(tags::SERIES_INSTANCE_UID)?;
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

pub(crate) struct Slice {
    pub path: PathBuf,
    pub obj: DefaultDicomObject,
    pub pos: [f64; 3],
    pub along: f64,
}

/// Reads a DICOM series from a folder (or from the folder of a given slice file, choosing
/// that file's series unless `opts.series_uid` says otherwise). See the module
/// documentation for the geometry rules.
pub fn read_series(path: &Path, opts: &SeriesOptions) -> Result<DicomSeries, IoError> {
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
    let (folder, mut wanted) = if meta.is_dir() {
        (path.to_path_buf(), opts.series_uid.clone())
    } else {
        let obj = dcm::open(path, dcm::Upto::Identity)?;
        let uid = Attrs::new(&obj, path).str_req(tags::SERIES_INSTANCE_UID)?;
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
    for p in files {
        let obj = dcm::open(&p, dcm::Upto::All)?;
        if !is_image(&obj) {
            if is_pixelless_slice(&obj) {
                let uid = Attrs::new(&obj, &p).str_opt(tags::SERIES_INSTANCE_UID);
                pixelless.push((p, uid));
            }
            continue;
        }
        let a = Attrs::new(&obj, &p);
        let uid = a.str_req(tags::SERIES_INSTANCE_UID)?;
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
    build(&folder, wanted, kept, opts)
}

fn build(
    folder: &Path,
    series_uid: String,
    kept: Vec<(PathBuf, DefaultDicomObject)>,
    opts: &SeriesOptions,
) -> Result<DicomSeries, IoError> {
    // Reference geometry from the first file (by name); every slice must agree with it.
    let p0 = kept[0].0.clone();
    let a0 = Attrs::new(&kept[0].1, &p0);
    let iop0 = a0.f64s_req(tags::IMAGE_ORIENTATION_PATIENT, 6)?;
    let (row_dir, col_dir) = orientation(&iop0, &p0, "ImageOrientationPatient")?;
    let normal = cross(row_dir, col_dir);
    let ps0 = a0.f64s_req(tags::PIXEL_SPACING, 2)?;
    if ps0.iter().any(|&v| v <= 0.0) {
        return Err(invalid(
            &p0,
            format!("PixelSpacing {ps0:?} is not positive"),
        ));
    }
    let fmt0 = PixelFormat::read(&a0)?;

    let mut slices = Vec::with_capacity(kept.len());
    for (path, obj) in kept {
        let a = Attrs::new(&obj, &path);
        let fmt = PixelFormat::read(&a)?;
        if fmt.frames != 1 {
            return Err(unsupported(
                &path,
                format!(
                    "multi-frame image ({} frames); radx reads series of single-frame slices",
                    fmt.frames
                ),
            ));
        }
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
        let iop = a.f64s_req(tags::IMAGE_ORIENTATION_PATIENT, 6)?;
        if iop.iter().zip(&iop0).any(|(x, y)| (x - y).abs() > 1e-4) {
            return Err(invalid(
                &path,
                format!(
                    "ImageOrientationPatient {iop:?} differs from {iop0:?} of {}",
                    p0.display()
                ),
            ));
        }
        let ps = a.f64s_req(tags::PIXEL_SPACING, 2)?;
        if ps
            .iter()
            .zip(&ps0)
            .any(|(x, y)| (x - y).abs() > 1e-4 * y.abs().max(1e-3))
        {
            return Err(invalid(
                &path,
                format!(
                    "PixelSpacing {ps:?} differs from {ps0:?} of {}",
                    p0.display()
                ),
            ));
        }
        let ipp = a.f64s_req(tags::IMAGE_POSITION_PATIENT, 3)?;
        let pos = [ipp[0], ipp[1], ipp[2]];
        slices.push(Slice {
            along: dot(pos, normal),
            pos,
            path,
            obj,
        });
    }
    // Sort along the normal; ties keep file-name order (then reported as duplicates).
    slices.sort_by(|a, b| a.along.total_cmp(&b.along));
    let n = slices.len();

    let spacing_z =
        if n == 1 {
            let a = Attrs::new(&slices[0].obj, &slices[0].path);
            match a
                .f64_opt(tags::SPACING_BETWEEN_SLICES)?
                .or(a.f64_opt(tags::SLICE_THICKNESS)?)
            {
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
        Some(suv_factors(folder, &slices)?)
    } else {
        None
    };
    // Reserve for the whole volume only once the first slice has shown real pixel data of
    // the declared size (a header alone never makes radx allocate).
    let mut data: Vec<f64> = Vec::new();
    let mut sop_uids = Vec::with_capacity(n);
    for (k, s) in slices.iter().enumerate() {
        let a = Attrs::new(&s.obj, &s.path);
        let fmt = PixelFormat::read(&a)?;
        let slope = a.f64_opt(tags::RESCALE_SLOPE)?.unwrap_or(1.0);
        let intercept = a.f64_opt(tags::RESCALE_INTERCEPT)?.unwrap_or(0.0);
        let factor = suv.as_ref().map_or(1.0, |s| s.factor[k]);
        append_values(
            &s.obj,
            &s.path,
            &fmt,
            (slope * factor, intercept * factor),
            &mut data,
        )?;
        if k == 0 {
            data.try_reserve_exact((n - 1) * ny * nx).map_err(|_| {
                invalid(
                    folder,
                    format!("not enough memory for {n} x {ny} x {nx} voxels"),
                )
            })?;
        }
        sop_uids.push(a.str_opt(tags::SOP_INSTANCE_UID).unwrap_or_default());
    }
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
