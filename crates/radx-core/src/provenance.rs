//! The provenance record written beside every feature table.

use serde::{Deserialize, Serialize};
use sha2::Digest;

/// Schema version of the provenance record this build writes. Version 1 records (radx
/// before the build identity) have no `provenance_schema` key and read as 0.
pub const PROVENANCE_SCHEMA: u32 = 2;

/// One file read and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: String,
    /// Lowercase hex sha256 of the file's bytes.
    pub sha256: String,
}

/// One input and the digest of every file it was read from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputRecord {
    /// `image`, `mask`, `cohort` or `settings`.
    pub role: String,
    /// The path as given (a file, or a DICOM series folder or slice).
    pub path: String,
    /// The input's combined digest: the file's sha256 when the input is that one file;
    /// otherwise the sha256 of the lines `<sha256> <name>\n` of [`InputRecord::files`] in
    /// path order, `<name>` relative to the input's folder (see [`combined_digest`]).
    pub sha256: String,
    /// The format read (`NIfTI`, `NRRD`, `DICOM series`, `DICOM RTSTRUCT`, `DICOM SEG`,
    /// `CSV`, `TOML`); empty in older records.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub format: String,
    /// Every file read for this input, sorted by path, with its sha256 (each slice of a
    /// DICOM series, an NRRD header and its data file, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileRecord>,
}

/// The combined digest of an input read from `files` (sorted by path): the file's own
/// sha256 when it is the single file `input` names, else the sha256 of the lines
/// `<sha256> <name>\n`, `<name>` being the path relative to `base` (the input's folder)
/// when it lies under it, else the full path. Renaming or moving the whole input keeps
/// its digest; changing, adding, removing or renaming one of its files changes it.
pub fn combined_digest(
    input: &std::path::Path,
    base: &std::path::Path,
    files: &[FileRecord],
) -> String {
    if let [only] = files {
        if std::path::Path::new(&only.path) == input {
            return only.sha256.clone();
        }
    }
    let mut listing = String::new();
    for f in files {
        let p = std::path::Path::new(&f.path);
        let name = p.strip_prefix(base).unwrap_or(p);
        listing.push_str(&format!("{} {}\n", f.sha256, name.display()));
    }
    crate::settings::hex(&sha2::Sha256::digest(listing.as_bytes()))
}

/// What the inputs resolved to: the series, frame of reference, ROI, segment or label,
/// the SUV conversion and the image grid as read. Fields that do not apply are absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// DICOM: SeriesInstanceUID of the image series read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_instance_uid: Option<String>,
    /// 4D NIfTI: the volume read (0-based index along dim\[4\]) and how many the file
    /// holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_volume: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_volumes: Option<usize>,
    /// DICOM: FrameOfReferenceUID of the image series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_of_reference_uid: Option<String>,
    /// DICOM: Modality of the image series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modality: Option<String>,
    /// DICOM: the compressed transfer syntax of the image series and the codec that decoded
    /// it (e.g. `1.2.840.10008.1.2.4.90 JPEG 2000 (lossless only), decoded by
    /// jpeg2k/openjp2`); absent for uncompressed pixel data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pixel_decoding: Option<String>,
    /// DICOM: how the slices were grouped into a series when their SeriesInstanceUID was
    /// absent or empty (then `series_instance_uid` is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_grouping: Option<String>,
    /// A label map given on another grid than the image, resampled onto the image grid
    /// (`[mask] resample_to_image`): the method and both grids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_resampling: Option<String>,
    /// RTSTRUCT: ROIName and ROINumber of the ROI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roi_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roi_number: Option<i64>,
    /// SEG: SegmentNumber and SegmentLabel of the segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_number: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_label: Option<String>,
    /// Label maps: the label value of the ROI; absent with `label_rule` = `nonzero`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_value: Option<i64>,
    /// Label maps: `label` or `nonzero`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_rule: Option<String>,
    /// RTSTRUCT / SEG: the frame of reference the ROI is drawn in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_frame_of_reference_uid: Option<String>,
    /// PET: the body-weight SUV conversion applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suv: Option<SuvRecord>,
    /// The image grid as read, before any processing: voxels and spacing (z, y, x), mm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_shape_zyx: Option<[usize; 3]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_spacing_zyx_mm: Option<[f64; 3]>,
    /// `[normalisation]`: the parameters used for this region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalisation: Option<NormalisationRecord>,
}

/// An intensity normalisation as applied (`[normalisation]`): every intensity `x` became
/// `(x - center) * factor + offset`, then limited to `clip` when set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalisationRecord {
    /// `zscore`, `percentile`, `range` or `fixed`.
    pub method: String,
    /// The voxels the statistics came from: `roi`, `image` or `extra_mask_NAME` (empty for
    /// `fixed`).
    pub within: String,
    /// How many voxels the statistics came from.
    pub voxels: usize,
    /// `zscore`: their mean and population standard deviation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    /// `percentile`: the percentiles asked and their values; `range`: `[0, 100]` and the
    /// minimum and maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentiles: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<[f64; 2]>,
    pub center: f64,
    pub factor: f64,
    pub offset: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip: Option<[f64; 2]>,
}

impl NormalisationRecord {
    /// `x` normalised.
    pub fn apply(&self, x: f64) -> f64 {
        let y = (x - self.center) * self.factor + self.offset;
        match self.clip {
            Some([lo, hi]) => y.clamp(lo, hi),
            None => y,
        }
    }
}

/// The body-weight SUV conversion applied to a PET series (radx-io's `SuvInfo` is this
/// type; its documentation gives the formula).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SuvRecord {
    /// Units of the stored values: "BQML" or "GML".
    pub source_units: String,
    /// DecayCorrection of the images (ADMIN, START or NONE); empty for GML input.
    pub decay_correction: String,
    pub weight_kg: Option<f64>,
    pub injected_dose_bq: Option<f64>,
    pub half_life_s: Option<f64>,
    /// Decay time Δt in s for each slice in z order (one value repeated unless NONE).
    pub decay_time_s: Vec<f64>,
    /// The factor each slice's values were multiplied by, in z order.
    pub factor: Vec<f64>,
    /// The SUV normalisation when it is not body weight: `lbm-james`, `lbm-janmahasatian`
    /// or `bsa` (absent: body weight).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub suv_type: String,
    /// PatientSize (m) and PatientSex used by a lean-body-mass or body-surface-area SUV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sex: String,
    /// The normaliser of a non-body-weight SUV: lean body mass (kg) or body surface
    /// area (m²).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normaliser: Option<f64>,
}

/// What was asked for, so that `radx reproduce` can ask again: the row labels and how
/// the ROI and series were chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The case id written in every row.
    pub case: String,
    /// The ROI name written in every row.
    pub roi: String,
    /// The built-in IBSI digital phantom instead of files.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub phantom: bool,
    /// Label maps: the label (absent: every non-zero voxel). RTSTRUCT / SEG: the ROI or
    /// segment number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<i64>,
    /// RTSTRUCT / SEG: the ROI or segment name asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roi_name: Option<String>,
    /// DICOM: the SeriesInstanceUID asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_uid: Option<String>,
    /// DICOM PET: SUV conversion asked for.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suv: bool,
    /// 4D NIfTI: the volume asked for (0-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<usize>,
}

/// One region of a case with several (see [`Provenance::regions`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionRecord {
    /// The `roi` written in its rows.
    pub roi: String,
    /// The mask file it was read from (the input of role `mask` with this path).
    pub mask: String,
    /// What was asked for: `label` and `roi_name` as in [`Request`] (`case` and `roi`
    /// repeat the case and this region's name); `all` when it came from asking for every
    /// region of the mask.
    pub request: Request,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
    /// What it resolved to (ROI, segment or label; the image fields as in
    /// [`Provenance::selection`]). A derived region has its source ROI's.
    pub selection: Selection,
    /// A region derived from the ROI by the manifest's `[[roi.derived]]`: how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derivation: Option<DerivationRecord>,
}

/// How a derived region was made (the manifest's `[[roi.derived]]` entry, applied).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DerivationRecord {
    /// The derived name in the manifest.
    pub name: String,
    /// The operation (`ring`, `rim`, `dilate`, ...).
    pub op: String,
    /// The region it was derived from (its table name), and the second one for union,
    /// intersection and difference (a region's table name, or `extra_mask_NAME`).
    pub of: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
    /// Its parameters as `key=value` (`r1_mm=0`, `r2_mm=5`).
    pub parameters: Vec<String>,
    /// Where it was computed: `image` (the image grid as read, before interpolation) or
    /// `interpolated` (the `[interpolation]` grid, `[roi] derive_on = "interpolated"`).
    pub grid: String,
    /// Its voxels on that grid (0: empty, every feature missing).
    pub voxels: usize,
}

/// The table a record describes: its file (relative to the record's folder) and the
/// sha256 of its bytes as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRecord {
    pub file: String,
    pub sha256: String,
}

/// The scheduler task that computed a case, when `radx batch --shard auto` took its
/// shard from the scheduler's environment (a SLURM array task, a Kubernetes indexed Job).
/// Absent otherwise, so a run outside a scheduler writes the same record as before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulerRecord {
    /// `slurm` or `kubernetes`.
    pub scheduler: String,
    /// The job: SLURM's array job id (`SLURM_ARRAY_JOB_ID`); absent for Kubernetes,
    /// whose pods are not told their Job's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The task within the job: `SLURM_ARRAY_TASK_ID` or `JOB_COMPLETION_INDEX`, as set.
    pub task_id: String,
    /// The shard this task took, `i/n`.
    pub shard: String,
}

/// A plugin that contributed values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginRecord {
    pub family: String,
    /// The plugin's own version (each built-in plugin crate has its own).
    pub version: String,
    /// `builtin`, or the path of a run-time library.
    pub origin: String,
    /// sha256 of a run-time library; empty for built-in plugins.
    pub sha256: String,
    /// Built-in plugins: sha256 of the plugin crate's source and of the radx crates it
    /// builds on (see radx-build), so that a change to a feature changes the record.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source_sha256: String,
}

/// Which code made a record: the radx build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildIdentity {
    /// The radx (workspace) version.
    pub version: String,
    /// The git commit built, or `unknown` outside a git checkout.
    pub commit: String,
    /// Whether the sources differed from that commit; absent when the commit is unknown.
    pub dirty: Option<bool>,
    /// With `dirty`: sha256 of the changed sources (paths and contents), so that two
    /// different uncommitted builds differ.
    pub diff_sha256: Option<String>,
    /// `rustc -V` of the compiler.
    pub rustc: String,
    /// Target triple.
    pub target: String,
    /// Cargo profile (`release`, `debug`) with its optimisation level.
    pub profile: String,
    /// sha256 of Cargo.lock (every dependency's version).
    pub cargo_lock_sha256: String,
}

impl BuildIdentity {
    /// One line: `radx 0.1.0 (commit 1a2b3c4d5e6f, dirty a1b2c3d4e5f6; rustc 1.80.0; x86_64-unknown-linux-gnu; release)`.
    pub fn summary(&self) -> String {
        let short = |s: &str| s.chars().take(12).collect::<String>();
        let commit = if self.commit == "unknown" {
            "commit unknown".to_string()
        } else {
            format!("commit {}", short(&self.commit))
        };
        let dirty = match (self.dirty, &self.diff_sha256) {
            (Some(true), Some(d)) => format!(", dirty {}", short(d)),
            (Some(true), None) => ", dirty".into(),
            _ => String::new(),
        };
        format!(
            "radx {} ({commit}{dirty}; {}; {}; {})",
            self.version, self.rustc, self.target, self.profile
        )
    }

    /// The text of `radx --version`: the summary line, then one `key: value` line per
    /// field.
    pub fn version_text(&self) -> String {
        let mut s = format!("{}\n", self.summary());
        s.push_str(&format!("version:           {}\n", self.version));
        s.push_str(&format!("commit:            {}\n", self.commit));
        s.push_str(&format!(
            "dirty:             {}\n",
            match (self.dirty, &self.diff_sha256) {
                (Some(true), Some(d)) => format!("yes (diff sha256 {d})"),
                (Some(true), None) => "yes".into(),
                (Some(false), _) => "no".into(),
                (None, _) => "unknown".into(),
            }
        ));
        s.push_str(&format!("rustc:             {}\n", self.rustc));
        s.push_str(&format!("target:            {}\n", self.target));
        s.push_str(&format!("profile:           {}\n", self.profile));
        s.push_str(&format!("Cargo.lock sha256: {}\n", self.cargo_lock_sha256));
        s
    }

    /// The fields in which `other` differs from `self`, as `field: self -> other`.
    pub fn differences(&self, other: &BuildIdentity) -> Vec<String> {
        let a = serde_json::to_value(self).expect("build identity serialises");
        let b = serde_json::to_value(other).expect("build identity serialises");
        let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
            return Vec::new();
        };
        a.iter()
            .filter(|(k, v)| b.get(*k) != Some(*v))
            .map(|(k, v)| format!("{k}: {v} -> {}", b.get(k).cloned().unwrap_or_default()))
            .collect()
    }
}

/// A build's identity and the source digest of each of its crates (crate name ->
/// sha256 of its sources and of the radx crates it depends on), filled by radx-build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    pub identity: BuildIdentity,
    pub sources: std::collections::BTreeMap<String, String>,
}

/// Where the computation ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub family: String,
    /// CPU features detected at run time that may affect floating point code paths.
    pub cpu_features: Vec<String>,
}

impl Platform {
    pub fn current() -> Self {
        #[allow(unused_mut)]
        let mut cpu_features = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            for (name, present) in [
                ("sse2", std::is_x86_feature_detected!("sse2")),
                ("sse4.1", std::is_x86_feature_detected!("sse4.1")),
                ("avx", std::is_x86_feature_detected!("avx")),
                ("avx2", std::is_x86_feature_detected!("avx2")),
                ("fma", std::is_x86_feature_detected!("fma")),
                ("avx512f", std::is_x86_feature_detected!("avx512f")),
            ] {
                if present {
                    cpu_features.push(name.to_string());
                }
            }
        }
        Platform {
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            family: std::env::consts::FAMILY.into(),
            cpu_features,
        }
    }
}

/// Everything needed to say which code, settings and inputs produced a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// [`PROVENANCE_SCHEMA`]; 0 for records written before it existed.
    #[serde(default)]
    pub provenance_schema: u32,
    /// The radx (workspace) version; the build identity says more.
    pub radx_version: String,
    /// The build that made the record (absent in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildIdentity>,
    pub settings_id: String,
    /// The canonical settings manifest.
    pub settings: String,
    /// Every input with every file read for it.
    pub inputs: Vec<InputRecord>,
    /// What the inputs resolved to (series, ROI, segment, label, SUV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Selection>,
    /// What was asked for (labels, ROI and series choice), for `radx reproduce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
    /// Several regions of one case (`radx extract` with several ROIs, `radx batch` with
    /// several cohort rows of a case): what each asked for and resolved to, in table
    /// order. Empty (and absent) with one region: `request` and `selection` say it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionRecord>,
    pub plugins: Vec<PluginRecord>,
    pub platform: Platform,
    pub threads: usize,
    /// The table this record describes and its sha256 (absent when the table went to
    /// stdout, and in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<TableRecord>,
    /// The scheduler task that made the record (`radx batch --shard auto`); absent
    /// otherwise. Not compared when resuming: a resubmitted job keeps finished cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<SchedulerRecord>,
    /// `[features] slice_selection = "largest"`: the slice each (roi, image) of the table
    /// was computed on. Absent otherwise. Not compared when resuming (it follows from the
    /// settings and inputs, which are).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub largest_slices: Vec<LargestSlice>,
}

/// The axial slice chosen by `[features] slice_selection = "largest"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LargestSlice {
    pub roi: String,
    /// `original` or the response map's name.
    pub image: String,
    /// z index (0-based) on the grid the features are computed on (after interpolation).
    pub index: usize,
    /// World z (RAS, mm) of the slice's first voxel.
    pub z_mm: f64,
    /// ROI voxels on the slice.
    pub voxels: usize,
}

impl Provenance {
    /// The inputs of a role (`image`, `mask`, ...).
    pub fn input(&self, role: &str) -> Option<&InputRecord> {
        self.inputs.iter().find(|i| i.role == role)
    }
}
