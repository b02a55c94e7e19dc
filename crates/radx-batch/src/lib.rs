//! Cohort extraction: every case of a cohort CSV in parallel, each result written
//! atomically under an output folder, failures (and panics) recorded per case, earlier
//! results reused only when they are exactly this run's, deterministic shards, and a
//! merge that gives the same table as one run.
//!
//! Output folder layout:
//!
//! ```text
//! DIR/batch.json                     what the folder was made with: settings id, build
//!                                    identity, cohort file and its case ids, shard
//! DIR/cases/<case>.csv               the case's long feature table (written atomically)
//! DIR/cases/<case>.provenance.json   its provenance, with the table's sha256; written
//!                                    last, it marks the case done
//! DIR/errors/<case>.json             {case, stage, message, internal} when the case failed
//! DIR/features.csv                   every finished case of DIR, sorted by case id
//! ```
//!
//! Resume rule ([`reuse_check`]): a case's earlier result is kept only when its record
//! has the same build identity, settings id, image and mask digests (every file read),
//! plugins (with run-time library hashes), cohort row, and the table on disk still has
//! the sha256 its record names. Anything else is recomputed, and the summary says why.
//!
//! A folder belongs to one settings id and one set of cases ([`prepare_folder`]):
//! another run into it is refused unless `overwrite`, so `features.csv` never mixes two
//! settings ids or keeps cases that the cohort no longer lists.
//!
//! Must not: compute features itself (radx-pipeline does, per case), assess stability
//! (radx-stability) or parse command-line arguments (radx-cli).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use radx_core::provenance::InputRecord;
use radx_core::{BuildIdentity, BuildInfo, Provenance, Registry, Request, Settings, TableRecord};
use radx_pipeline::{LoadedCase, RegionAsk, RoiSelector};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub mod observers;

/// Errors that stop a whole batch (a bad cohort file, an unwritable folder). A failing
/// case never does: it gets an error record.
#[derive(Debug, Error)]
pub enum BatchError {
    #[error("{path}: {message}")]
    Cohort { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Output { path: PathBuf, message: String },
    #[error("shard `{0}`: expected i/n with 1 <= i <= n, or auto")]
    Shard(String),
    /// `--shard auto` outside a scheduler's array task, or with inconsistent variables.
    #[error("--shard auto: {0}")]
    ShardAuto(String),
}

/// One row of the cohort CSV.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CohortCase {
    /// Case identifier (letters, digits, `-`, `_`, `.`): names the result files.
    pub case_id: String,
    pub image: PathBuf,
    pub mask: PathBuf,
    /// Label maps: the label that forms the ROI; RTSTRUCT / SEG: the ROI or segment
    /// number. Empty: see `roi`.
    #[serde(default)]
    pub label: Option<i64>,
    /// The ROI name written into the rows (empty: `label_N` or `nonzero`). Without a
    /// `label`, it also selects: the RTSTRUCT ROI of that ROIName or the SEG segment of
    /// that SegmentLabel (exact); for a label map it only names the rows (the ROI is every
    /// non-zero voxel). `*`: every ROI / segment / non-zero label of the mask, each
    /// named from the file. See [`region_ask`].
    #[serde(default)]
    pub roi: Option<String>,
    /// Acquisition site, for the checker; not used by extraction.
    #[serde(default)]
    pub site: Option<String>,
    /// The case's extra masks: the non-empty cells of the columns `extra_mask_NAME` (a
    /// brain or body mask that `[[roi.derived]]` uses as `with_mask = "NAME"`), in column
    /// order. Every row of a case gives the same ones.
    #[serde(skip)]
    pub extra_masks: Vec<radx_pipeline::ExtraMaskAsk>,
    /// 4D NIfTI images: the volume to read, 0-based (as `radx extract --volume`); the rows
    /// of a case share it. Empty: a 3D image.
    #[serde(default)]
    pub volume: Option<usize>,
}

/// Reads a cohort CSV (`case_id,image,mask[,label][,roi][,site][,extra_mask_NAME...]`).
/// Relative paths resolve against the CSV's folder. A case may have several rows (several ROIs of one image):
/// they must name the same image and differ in their ROI name ([`roi_label`]); a repeated
/// (case, roi), a case whose rows name different images, and unsafe case ids are errors
/// naming the line.
pub fn read_cohort(path: &Path) -> Result<Vec<CohortCase>, BatchError> {
    let err = |message: String| BatchError::Cohort {
        path: path.into(),
        message,
    };
    if path.is_dir() {
        return Err(err(
            "is a folder; a cohort CSV file (case_id,image,mask[,label][,roi][,site]) is expected"
                .into(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| err(e.to_string()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let headers = reader.headers().map_err(|e| err(e.to_string()))?.clone();
    let mut extra_columns: Vec<(usize, String)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(name) = h.strip_prefix("extra_mask_") {
            if !radx_core::settings::is_extra_mask_name(name) {
                return Err(err(format!(
                    "column `{h}`: an extra mask's name (after extra_mask_) is letters, digits, `_` and `-`"
                )));
            }
            if extra_columns.iter().any(|(_, n)| n == name) {
                return Err(err(format!("column `{h}` repeats")));
            }
            extra_columns.push((i, name.to_string()));
        }
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(format!("line {line}: {e}")))?;
        let mut c: CohortCase = rec
            .deserialize(Some(&headers))
            .map_err(|e| err(format!("line {line}: {e}")))?;
        for (col, name) in &extra_columns {
            let cell = rec.get(*col).unwrap_or("").trim();
            if !cell.is_empty() {
                let p = PathBuf::from(cell);
                c.extra_masks.push(radx_pipeline::ExtraMaskAsk {
                    name: name.clone(),
                    path: if p.is_relative() { base.join(p) } else { p },
                });
            }
        }
        if c.case_id.is_empty()
            || !c
                .case_id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
            || c.case_id.starts_with('.')
        {
            return Err(err(format!(
                "line {line}: case_id `{}` must be letters, digits, '-', '_' or '.'",
                c.case_id
            )));
        }
        if !seen.insert((c.case_id.clone(), roi_label(&c))) {
            return Err(err(format!(
                "line {line}: case_id `{}` with roi `{}` repeats (a case may have several rows, one per ROI)",
                c.case_id,
                roi_label(&c)
            )));
        }
        for p in [&mut c.image, &mut c.mask] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        if let Some(first) = out.iter().find(|o: &&CohortCase| {
            o.case_id == c.case_id && o.image == c.image && o.extra_masks != c.extra_masks
        }) {
            let show = |v: &[radx_pipeline::ExtraMaskAsk]| {
                v.iter()
                    .map(|e| format!("{}={}", e.name, e.path.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(err(format!(
                "line {line}: case_id `{}` gives the extra masks [{}], but an earlier row of the case gives [{}]: the rows of a case share their extra masks",
                c.case_id,
                show(&c.extra_masks),
                show(&first.extra_masks)
            )));
        }
        if let Some(first) = out.iter().find(|o: &&CohortCase| {
            o.case_id == c.case_id && (o.image != c.image || o.volume != c.volume)
        }) {
            let vol = |v: Option<usize>| v.map_or("none".to_string(), |v| v.to_string());
            return Err(err(format!(
                "line {line}: case_id `{}` names image {} (volume {}), but an earlier row of the case names {} (volume {}): the rows of a case share one image and volume",
                c.case_id,
                c.image.display(),
                vol(c.volume),
                first.image.display(),
                vol(first.volume)
            )));
        }
        out.push(c);
    }
    if out.is_empty() {
        return Err(err("the cohort lists no case".into()));
    }
    Ok(out)
}

/// A shard `i/n` (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = BatchError;
    fn from_str(s: &str) -> Result<Self, BatchError> {
        let (a, b) = s
            .split_once('/')
            .ok_or_else(|| BatchError::Shard(s.into()))?;
        let index: usize = a.trim().parse().map_err(|_| BatchError::Shard(s.into()))?;
        let count: usize = b.trim().parse().map_err(|_| BatchError::Shard(s.into()))?;
        if count == 0 || index == 0 || index > count {
            return Err(BatchError::Shard(s.into()));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// The cases of this shard: every case whose position in the cohort, counted from 0,
    /// is `index - 1` modulo `count`. Deterministic, and the shards partition the cohort.
    ///
    /// Positions count cases, not rows: every row of a case goes to the shard of the
    /// case's first row.
    pub fn select(&self, cases: Vec<CohortCase>) -> Vec<CohortCase> {
        let mut order: Vec<String> = Vec::new();
        for c in &cases {
            if !order.contains(&c.case_id) {
                order.push(c.case_id.clone());
            }
        }
        cases
            .into_iter()
            .filter(|c| {
                let i = order
                    .iter()
                    .position(|o| o == &c.case_id)
                    .expect("listed above");
                i % self.count == self.index - 1
            })
            .collect()
    }
}

/// The scheduler's environment variables that `--shard auto` reads.
pub const SCHEDULER_VARIABLES: [&str; 8] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
    "SLURM_ARRAY_JOB_ID",
    "JOB_COMPLETION_INDEX",
    "RADX_SHARD_COUNT",
];

/// The shard of this process's scheduler task (`--shard auto`), and the record of that
/// task for the provenance. `var` looks up an environment variable (`std::env::var`
/// in use; a map in tests); `count` is `--shard-count`.
///
/// * SLURM job array (`SLURM_ARRAY_TASK_ID` set): shard
///   `(TASK_ID - TASK_MIN) / TASK_STEP + 1` of `SLURM_ARRAY_TASK_COUNT`, so `--array=1-16`,
///   `0-15` and `0-30:2` all give shards 1..16 of 16. `TASK_MIN` defaults to 1 and
///   `TASK_STEP` to 1. An array that is not an evenly spaced range (`--array=1,3,7`) is
///   refused: its task ids cannot be numbered without gaps.
/// * Kubernetes indexed Job (`JOB_COMPLETION_INDEX` set, counted from 0): shard
///   `JOB_COMPLETION_INDEX + 1` of `count`, else of `RADX_SHARD_COUNT` (the Job's
///   `completions`, which the pod is not told).
///
/// Anything else (no scheduler, a SLURM job that is not an array, both schedulers'
/// variables, a variable that is not a number, an index beyond the count, a
/// `--shard-count` that contradicts SLURM's) is an error saying which variable.
pub fn shard_from_scheduler(
    var: &dyn Fn(&str) -> Option<String>,
    count: Option<usize>,
) -> Result<(Shard, radx_core::provenance::SchedulerRecord), BatchError> {
    let fail = |m: String| BatchError::ShardAuto(m);
    let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let number = |name: &str, v: &str| -> Result<usize, BatchError> {
        v.trim().parse::<usize>().map_err(|_| {
            fail(format!(
                "{name}={v:?} is not a non-negative whole number (the scheduler sets it; do not set it by hand)"
            ))
        })
    };
    let slurm = get("SLURM_ARRAY_TASK_ID");
    let kube = get("JOB_COMPLETION_INDEX");
    match (slurm, kube) {
        (Some(_), Some(_)) => Err(fail(
            "both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set: cannot tell the scheduler; use --shard i/n".into(),
        )),
        (Some(id_text), None) => {
            let id = number("SLURM_ARRAY_TASK_ID", &id_text)?;
            let total = match get("SLURM_ARRAY_TASK_COUNT") {
                Some(v) => number("SLURM_ARRAY_TASK_COUNT", &v)?,
                None => {
                    return Err(fail(
                        "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not (SLURM sets both for a job array)".into(),
                    ))
                }
            };
            let min = match get("SLURM_ARRAY_TASK_MIN") {
                Some(v) => number("SLURM_ARRAY_TASK_MIN", &v)?,
                None => 1,
            };
            let step = match get("SLURM_ARRAY_TASK_STEP") {
                Some(v) => number("SLURM_ARRAY_TASK_STEP", &v)?,
                None => 1,
            };
            if total == 0 || step == 0 {
                return Err(fail(format!(
                    "SLURM_ARRAY_TASK_COUNT={total}, SLURM_ARRAY_TASK_STEP={step}: both must be at least 1"
                )));
            }
            if let Some(v) = get("SLURM_ARRAY_TASK_MAX") {
                let max = number("SLURM_ARRAY_TASK_MAX", &v)?;
                let spanned = max
                    .checked_sub(min)
                    .map(|d| d % step == 0 && d / step + 1 == total);
                if spanned != Some(true) {
                    return Err(fail(format!(
                        "the job array is not an evenly spaced range (SLURM_ARRAY_TASK_MIN={min}, SLURM_ARRAY_TASK_MAX={max}, SLURM_ARRAY_TASK_STEP={step}, SLURM_ARRAY_TASK_COUNT={total}): submit with --array=1-N (or A-B, A-B:S), or use --shard i/n"
                    )));
                }
            }
            let offset = id.checked_sub(min).filter(|d| d % step == 0);
            let index = offset.map(|d| d / step + 1).filter(|&i| i <= total);
            let Some(index) = index else {
                return Err(fail(format!(
                    "SLURM_ARRAY_TASK_ID={id} is not one of the {total} tasks from SLURM_ARRAY_TASK_MIN={min} in steps of {step}"
                )));
            };
            if let Some(c) = count {
                if c != total {
                    return Err(fail(format!(
                        "--shard-count {c} contradicts the job array's SLURM_ARRAY_TASK_COUNT={total}"
                    )));
                }
            }
            let shard = Shard {
                index,
                count: total,
            };
            Ok((
                shard,
                radx_core::provenance::SchedulerRecord {
                    scheduler: "slurm".into(),
                    job_id: get("SLURM_ARRAY_JOB_ID"),
                    task_id: id.to_string(),
                    shard: shard.to_string(),
                },
            ))
        }
        (None, Some(index_text)) => {
            let index0 = number("JOB_COMPLETION_INDEX", &index_text)?;
            let total = match (count, get("RADX_SHARD_COUNT")) {
                (Some(c), _) => c,
                (None, Some(v)) => number("RADX_SHARD_COUNT", &v)?,
                (None, None) => {
                    return Err(fail(format!(
                        "JOB_COMPLETION_INDEX={index0} (a Kubernetes indexed Job) gives this task's index but not the number of tasks: pass --shard-count N or set RADX_SHARD_COUNT to the Job's completions"
                    )))
                }
            };
            if index0 >= total {
                return Err(fail(format!(
                    "JOB_COMPLETION_INDEX={index0} is not below the shard count {total} (indices count from 0)"
                )));
            }
            let shard = Shard {
                index: index0 + 1,
                count: total,
            };
            Ok((
                shard,
                radx_core::provenance::SchedulerRecord {
                    scheduler: "kubernetes".into(),
                    job_id: None,
                    task_id: index0.to_string(),
                    shard: shard.to_string(),
                },
            ))
        }
        (None, None) => Err(fail(match get("SLURM_JOB_ID") {
            Some(job) => format!(
                "SLURM job {job} is not a job array (SLURM_ARRAY_TASK_ID is not set): submit with sbatch --array=1-N, or use --shard i/n"
            ),
            None => "no scheduler task found: neither SLURM_ARRAY_TASK_ID (a SLURM job array, sbatch --array) nor JOB_COMPLETION_INDEX (a Kubernetes indexed Job) is set; outside a scheduler use --shard i/n".into(),
        })),
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The error record of a failed case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseError {
    pub case: String,
    /// `read`, `process`, `settings` or `write`: the step that failed (or panicked).
    pub stage: String,
    pub message: String,
    /// A panic inside radx (a bug), not a problem of the input.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
}

/// Why an earlier result of a case was not reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Recompute {
    /// No earlier result.
    New,
    /// The record was made by another build (or has no build identity).
    Build,
    /// Another settings id.
    Settings,
    /// An image or mask file differs (content, or the set of files read).
    Input,
    /// Other plugins, another run-time library, or a plugin that had been refused.
    Plugins,
    /// The case's cohort row asks for something else (ROI label or name).
    Request,
    /// The table is missing, cut short or altered: its sha256 is not the recorded one.
    Table,
    /// The record cannot be read.
    Record,
}

impl Recompute {
    /// A short phrase for summaries: `changed build`, `damaged table`, ...
    pub fn phrase(self) -> &'static str {
        match self {
            Recompute::New => "new",
            Recompute::Build => "changed build",
            Recompute::Settings => "changed settings",
            Recompute::Input => "changed input",
            Recompute::Plugins => "changed plugins",
            Recompute::Request => "changed cohort row",
            Recompute::Table => "damaged table",
            Recompute::Record => "unreadable record",
        }
    }
}

/// What happened to one case.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseOutcome {
    /// Computed; why (no earlier result, or why the earlier one was not reused).
    Done(Recompute),
    /// An exactly matching earlier result was kept.
    Skipped,
    Failed(CaseError),
}

/// Summary of a batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchSummary {
    /// Cases computed in this run.
    pub done: usize,
    /// Cases whose earlier result was kept.
    pub skipped: usize,
    /// Of `done`: how many for each reason (`New` = no earlier result).
    pub reasons: std::collections::BTreeMap<Recompute, usize>,
    pub failed: Vec<CaseError>,
}

impl BatchSummary {
    /// Cases recomputed although an earlier result existed.
    pub fn recomputed(&self) -> usize {
        self.reasons
            .iter()
            .filter(|(r, _)| **r != Recompute::New)
            .map(|(_, n)| n)
            .sum()
    }

    /// `36 recomputed: 30 changed build, 6 damaged table` (empty when none).
    pub fn recomputed_text(&self) -> String {
        let parts: Vec<String> = self
            .reasons
            .iter()
            .filter(|(r, _)| **r != Recompute::New)
            .map(|(r, n)| format!("{n} {}", r.phrase()))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("{} recomputed: {}", self.recomputed(), parts.join(", "))
        }
    }
}

/// What a batch run needs besides its cases: settings, plugins, the build, and the
/// records of the cohort and settings files (added to every case's inputs).
pub struct BatchContext<'a> {
    pub settings: &'a Settings,
    pub registry: &'a Registry,
    pub build: &'a BuildInfo,
    /// Records of the other files the run read (the cohort CSV, the settings manifest).
    pub extra_inputs: Vec<InputRecord>,
    /// Test hook (a hidden command-line flag): the case with this id panics while it is
    /// processed, to exercise panic isolation.
    #[doc(hidden)]
    pub panic_case: Option<String>,
    /// The scheduler task running the batch (`--shard auto`), recorded in every case
    /// computed by this run; `None` outside a scheduler (the records are then unchanged).
    pub scheduler: Option<radx_core::provenance::SchedulerRecord>,
}

fn cases_dir(out: &Path) -> PathBuf {
    out.join("cases")
}
fn errors_dir(out: &Path) -> PathBuf {
    out.join("errors")
}
fn table_path(out: &Path, case: &str) -> PathBuf {
    cases_dir(out).join(format!("{case}.csv"))
}
fn provenance_path(out: &Path, case: &str) -> PathBuf {
    cases_dir(out).join(format!("{case}.provenance.json"))
}
fn error_path(out: &Path, case: &str) -> PathBuf {
    errors_dir(out).join(format!("{case}.json"))
}
/// The folder's manifest: `DIR/batch.json`.
pub fn manifest_path(out: &Path) -> PathBuf {
    out.join("batch.json")
}

/// radx-io's atomic writer and byte digest, re-exported for the batch's callers.
pub use radx_io::{sha256_hex, write_atomic};

/// The peak resident memory of this process so far, in bytes (`getrusage`'s
/// `ru_maxrss`), or `None` where it cannot be read.
pub fn peak_rss_bytes() -> Option<u64> {
    // SAFETY: getrusage only writes into the zeroed struct we pass it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc != 0 || usage.ru_maxrss <= 0 {
        return None;
    }
    // Linux reports kibibytes, macOS bytes.
    let unit: u64 = if cfg!(target_os = "macos") { 1 } else { 1024 };
    Some(usage.ru_maxrss as u64 * unit)
}

/// What a batch folder was made with (`DIR/batch.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchManifest {
    /// Format version of this file: 1.
    pub radx_batch: u32,
    pub settings_id: String,
    /// The build of the last run into the folder.
    pub build: BuildIdentity,
    /// The cohort file as read (path and sha256).
    pub cohort: Option<InputRecord>,
    /// The shard taken, `i/n`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The ids of the cases the folder holds results for, sorted.
    pub cases: Vec<String>,
}

/// The case ids of a cohort, sorted.
pub fn case_ids(cases: &[CohortCase]) -> Vec<String> {
    let mut ids: Vec<String> = cases.iter().map(|c| c.case_id.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The rows of each case, cases in the order of their first row.
pub fn group_cases(cases: &[CohortCase]) -> Vec<Vec<CohortCase>> {
    let mut groups: Vec<Vec<CohortCase>> = Vec::new();
    for c in cases {
        match groups.iter_mut().find(|g| g[0].case_id == c.case_id) {
            Some(g) => g.push(c.clone()),
            None => groups.push(vec![c.clone()]),
        }
    }
    groups
}

/// The region a cohort row asks for:
///
/// * `roi` = `*` (and no `label`): every region of the mask ([`RegionAsk::All`]);
/// * a `label`: that label value (label maps) or ROI / segment number (RTSTRUCT, SEG);
/// * else a `roi` with an RTSTRUCT or SEG mask (or a folder holding one): the ROI or
///   segment of that name, matched exactly;
/// * else every non-zero voxel of the label map (or the only ROI / segment).
///
/// The rows are named [`roi_label`].
pub fn region_ask(case: &CohortCase) -> RegionAsk {
    if case.label.is_none() && case.roi.as_deref() == Some("*") {
        return RegionAsk::All {
            mask: case.mask.clone(),
            label_names: Default::default(),
        };
    }
    RegionAsk::One {
        mask: case.mask.clone(),
        selector: selector_of(case),
        name: roi_label(case),
    }
}

/// The selector of a cohort row that asks for one region (see [`region_ask`]).
pub fn selector_of(case: &CohortCase) -> RoiSelector {
    if let Some(l) = case.label {
        return RoiSelector::Label(l);
    }
    let label_map = matches!(
        radx_io::detect_format(&case.mask),
        Ok(radx_io::Format::Nifti | radx_io::Format::Nrrd)
    );
    match &case.roi {
        Some(r) if !label_map && !r.trim().is_empty() => RoiSelector::Name(r.clone()),
        _ => RoiSelector::Auto,
    }
}

/// What [`prepare_folder`] did besides checking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FolderNotes {
    /// Results (tables, records, error records) of cases not in this run, removed
    /// under `overwrite`.
    pub removed: usize,
    /// Temporary files of an interrupted run, removed.
    pub stale_tmp: usize,
}

fn output_error(path: &Path, message: impl Into<String>) -> BatchError {
    BatchError::Output {
        path: path.into(),
        message: message.into(),
    }
}

/// Creates a folder (and its parents) and checks that a file can be written in it (a
/// probe file, removed again): an unwritable output folder is found before any work.
pub fn create_writable_dir(d: &Path) -> Result<(), BatchError> {
    std::fs::create_dir_all(d).map_err(|e| output_error(d, e.to_string()))?;
    let probe = d.join(format!(".radx-write-probe.{}", std::process::id()));
    let written = std::fs::write(&probe, b"radx: checking that this folder is writable\n");
    let _ = std::fs::remove_file(&probe);
    written.map_err(|e| output_error(d, format!("cannot write here: {e}")))
}

/// Removes the temporary files (`.<name>.tmp`) that a killed run left in a folder (one
/// run at a time per folder); returns how many.
pub fn remove_stale_tmp(d: &Path) -> Result<usize, BatchError> {
    let mut n = 0;
    for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') && name.ends_with(".tmp") && e.path().is_file() {
            std::fs::remove_file(e.path())
                .map_err(|err| output_error(&e.path(), err.to_string()))?;
            n += 1;
        }
    }
    Ok(n)
}

/// Makes `out` ready for a run described by `manifest`, before any case runs:
///
/// * creates `cases/` and `errors/` and checks that files can be written there (a
///   probe file, removed again), so that an unwritable folder stops the run at once;
/// * refuses a folder made with another settings id or for another set of cases, or
///   holding results without a `batch.json` — unless `overwrite`, which removes the
///   results of cases this run does not list and `features.csv` (the other results are
///   then kept only if they pass the exact-resume check, as if recomputed);
/// * removes temporary files left by an interrupted run;
/// * writes `batch.json`.
pub fn prepare_folder(
    out: &Path,
    manifest: &BatchManifest,
    overwrite: bool,
) -> Result<FolderNotes, BatchError> {
    if out.exists() && !out.is_dir() {
        return Err(output_error(out, "exists and is not a folder"));
    }
    for d in [cases_dir(out), errors_dir(out)] {
        create_writable_dir(&d)?;
    }
    let mut notes = FolderNotes::default();
    for d in [cases_dir(out), errors_dir(out), out.to_path_buf()] {
        notes.stale_tmp += remove_stale_tmp(&d)?;
    }
    let holds_results = [cases_dir(out), errors_dir(out)].iter().any(|d| {
        std::fs::read_dir(d)
            .map(|mut r| r.next().is_some())
            .unwrap_or(false)
    });
    let mp = manifest_path(out);
    let refusal: Option<String> = if mp.is_file() {
        match std::fs::read_to_string(&mp)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<BatchManifest>(&t).map_err(|e| e.to_string()))
        {
            Err(e) => Some(format!("{}: unreadable ({e})", mp.display())),
            Ok(old) if old.settings_id != manifest.settings_id => Some(format!(
                "was made with settings id {}; this run has settings id {}",
                old.settings_id, manifest.settings_id
            )),
            Ok(old) if old.cases != manifest.cases => {
                let old_set: BTreeSet<&String> = old.cases.iter().collect();
                let new_set: BTreeSet<&String> = manifest.cases.iter().collect();
                let gone = old_set.difference(&new_set).count();
                let added = new_set.difference(&old_set).count();
                Some(format!(
                    "was made for another set of cases ({} cases; this run has {}: {gone} not in this run, {added} new)",
                    old.cases.len(),
                    manifest.cases.len()
                ))
            }
            Ok(_) => None,
        }
    } else if holds_results {
        Some("holds results but no batch.json (not made by this radx, or damaged)".into())
    } else {
        None
    };
    if let Some(why) = refusal {
        if !overwrite {
            return Err(output_error(
                out,
                format!(
                    "{why}. Use another output folder, or --overwrite to re-make this one for this run"
                ),
            ));
        }
        let keep: BTreeSet<&str> = manifest.cases.iter().map(|s| s.as_str()).collect();
        for d in [cases_dir(out), errors_dir(out)] {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                let case = name
                    .strip_suffix(".provenance.json")
                    .or_else(|| name.strip_suffix(".csv"))
                    .or_else(|| name.strip_suffix(".json"))
                    .unwrap_or(&name);
                if !keep.contains(case) && e.path().is_file() {
                    std::fs::remove_file(e.path())
                        .map_err(|err| output_error(&e.path(), err.to_string()))?;
                    notes.removed += 1;
                }
            }
        }
        let features = out.join("features.csv");
        if features.is_file() {
            std::fs::remove_file(&features).map_err(|e| output_error(&features, e.to_string()))?;
        }
    }
    write_atomic(
        &mp,
        &(serde_json::to_string_pretty(manifest).expect("manifests serialise") + "\n"),
    )
    .map_err(|e| output_error(&mp, format!("cannot write: {e}")))?;
    Ok(notes)
}

/// The provenance record a case would get from these inputs (before its table exists).
fn case_record(case: &CohortCase, ctx: &BatchContext, loaded: &LoadedCase) -> Provenance {
    let mut inputs = loaded.inputs.clone();
    inputs.extend(ctx.extra_inputs.iter().cloned());
    let mut p = radx_pipeline::provenance(ctx.settings, ctx.registry, inputs);
    radx_pipeline::stamp_build(&mut p, ctx.build);
    let base = Request {
        case: case.case_id.clone(),
        volume: case.volume,
        ..Default::default()
    };
    radx_pipeline::record_regions(&mut p, loaded, &base);
    p.scheduler = ctx.scheduler.clone();
    p
}

/// What a cohort row asks for.
pub fn request_of(case: &CohortCase) -> Request {
    Request {
        case: case.case_id.clone(),
        roi: roi_label(case),
        label: case.label,
        roi_name: match selector_of(case) {
            RoiSelector::Name(n) => Some(n),
            _ => None,
        },
        volume: case.volume,
        ..Default::default()
    }
}

/// The ROI name written into the rows: the cohort's `roi`, else `label_N` or `nonzero`.
pub fn roi_label(case: &CohortCase) -> String {
    case.roi.clone().unwrap_or_else(|| {
        case.label
            .map_or("nonzero".to_string(), |l| format!("label_{l}"))
    })
}

/// The image and mask records of a provenance: role, format and combined digest (which
/// covers every file read and its name within the input).
fn case_inputs(p: &Provenance) -> Vec<(&str, &str, &str)> {
    let mut v: Vec<_> = p
        .inputs
        .iter()
        .filter(|i| i.role == "image" || i.role == "mask")
        .map(|i| (i.role.as_str(), i.format.as_str(), i.sha256.as_str()))
        .collect();
    v.sort();
    v
}

/// Whether the stored result of a case is exactly the result of `want` (the record this
/// run would write, without its table): same build identity, settings id, image and
/// mask digests, plugins, cohort row, and a table whose sha256 is the recorded one.
/// Platform, thread count and the paths and digests of the cohort and settings files
/// are not compared: they do not change the values.
pub fn reuse_check(cases: &Path, case: &str, want: &Provenance) -> Result<(), Recompute> {
    let record = cases.join(format!("{case}.provenance.json"));
    let text = match std::fs::read_to_string(&record) {
        Ok(t) => t,
        Err(_) => return Err(Recompute::New),
    };
    let old: Provenance = serde_json::from_str(&text).map_err(|_| Recompute::Record)?;
    if old.build.is_none() || old.build != want.build {
        return Err(Recompute::Build);
    }
    if old.settings_id != want.settings_id {
        return Err(Recompute::Settings);
    }
    if case_inputs(&old) != case_inputs(want) {
        return Err(Recompute::Input);
    }
    if old.plugins != want.plugins || old.plugins.iter().any(|p| p.sha256 == "refused") {
        return Err(Recompute::Plugins);
    }
    if old.request != want.request || old.regions != want.regions {
        return Err(Recompute::Request);
    }
    let Some(t) = &old.table else {
        return Err(Recompute::Table);
    };
    match std::fs::read(cases.join(&t.file)) {
        Ok(bytes) if sha256_hex(&bytes) == t.sha256 => Ok(()),
        _ => Err(Recompute::Table),
    }
}

/// The message of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

thread_local! {
    static PANIC_LOCATION: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f`, turning a panic into `Err((message, location))`. The process's panic hook
/// is kept (it still prints the panic) and extended once to note where the panic
/// happened, for the error record.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            PANIC_LOCATION.with(|p| *p.borrow_mut() = at);
            previous(info);
        }));
    });
    PANIC_LOCATION.with(|p| *p.borrow_mut() = None);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let at = PANIC_LOCATION.with(|p| p.borrow_mut().take());
        let msg = panic_message(payload.as_ref());
        match at {
            Some(at) => format!("{msg} (at {at})"),
            None => msg,
        }
    })
}

/// The message of an error record for a panic.
pub fn internal_error_message(panic: &str) -> String {
    format!("internal error: please report: radx panicked: {panic}")
}

/// Runs one case (its cohort rows: one per ROI, see [`group_cases`]) and writes its
/// result or its error record. A panic anywhere in the case becomes its error record
/// (stage = the step that panicked, `internal`).
pub fn run_case(rows: &[CohortCase], ctx: &BatchContext, out: &Path) -> CaseOutcome {
    let case = &rows[0];
    let stage = std::cell::Cell::new("read");
    let result = catch_panic(|| run_case_inner(rows, ctx, out, &stage));
    let fail = |e: CaseError| {
        let _ = std::fs::remove_file(provenance_path(out, &case.case_id));
        let _ = std::fs::remove_file(table_path(out, &case.case_id));
        let _ = write_atomic(
            &error_path(out, &case.case_id),
            &(serde_json::to_string_pretty(&e).expect("error records serialise") + "\n"),
        );
        CaseOutcome::Failed(e)
    };
    match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => fail(e),
        Err(panic) => fail(CaseError {
            case: case.case_id.clone(),
            stage: stage.get().into(),
            message: internal_error_message(&panic),
            internal: true,
        }),
    }
}

fn run_case_inner(
    rows: &[CohortCase],
    ctx: &BatchContext,
    out: &Path,
    stage: &std::cell::Cell<&'static str>,
) -> Result<CaseOutcome, CaseError> {
    let case = &rows[0];
    let err = |stage: &str, message: String| CaseError {
        case: case.case_id.clone(),
        stage: stage.into(),
        message,
        internal: false,
    };
    let asks: Vec<RegionAsk> = rows.iter().map(region_ask).collect();
    stage.set("read");
    let series = radx_pipeline::SeriesOptions {
        volume: case.volume,
        ..Default::default()
    };
    let mut loaded = radx_pipeline::load_regions(
        &case.image,
        &series,
        &asks,
        &case.extra_masks,
        &ctx.settings.mask,
    )
    .map_err(|e| err(e.stage(), e.to_string()))?;
    radx_pipeline::derive_regions(&mut loaded, ctx.settings)
        .map_err(|e| err(e.stage(), e.to_string()))?;
    let mut record = case_record(case, ctx, &loaded);
    let why = match reuse_check(&cases_dir(out), &case.case_id, &record) {
        Ok(()) => {
            let _ = std::fs::remove_file(error_path(out, &case.case_id));
            return Ok(CaseOutcome::Skipped);
        }
        Err(why) => why,
    };
    stage.set("process");
    if ctx.panic_case.as_deref() == Some(case.case_id.as_str()) {
        panic!("deliberate panic for case `{}` (test hook)", case.case_id);
    }
    let table = radx_pipeline::extract_regions(&loaded, ctx.settings, ctx.registry, &case.case_id)
        .map_err(|(roi, e)| {
            let mask = loaded
                .regions
                .iter()
                .find(|r| r.name == roi)
                .map(|r| r.mask_path.display().to_string())
                .unwrap_or_default();
            let what = if loaded.regions.len() > 1 {
                format!("ROI `{roi}`: ")
            } else {
                String::new()
            };
            err(
                "process",
                format!("{what}{} with {mask}: {e}", case.image.display()),
            )
        })?;
    stage.set("write");
    let write_err =
        |p: &Path, e: std::io::Error| err("write", format!("{}: cannot write: {e}", p.display()));
    // A result being replaced stops counting as done before its table changes.
    let prov = provenance_path(out, &case.case_id);
    if prov.exists() {
        std::fs::remove_file(&prov).map_err(|e| write_err(&prov, e))?;
    }
    let csv = radx_io::table_to_csv(&table);
    let tp = table_path(out, &case.case_id);
    write_atomic(&tp, &csv).map_err(|e| write_err(&tp, e))?;
    record.table = Some(TableRecord {
        file: format!("{}.csv", case.case_id),
        sha256: sha256_hex(csv.as_bytes()),
    });
    radx_pipeline::record_largest_slices(&mut record, &table);
    write_atomic(
        &prov,
        &(serde_json::to_string_pretty(&record).expect("provenance serialises") + "\n"),
    )
    .map_err(|e| write_err(&prov, e))?;
    let _ = std::fs::remove_file(error_path(out, &case.case_id));
    Ok(CaseOutcome::Done(why))
}

/// Runs every case on the current rayon pool; `progress` is called once per finished
/// case (from worker threads). Then writes `DIR/features.csv`. The folder must have
/// been made ready by [`prepare_folder`].
pub fn run_batch(
    cases: &[CohortCase],
    ctx: &BatchContext,
    out: &Path,
    progress: &(dyn Fn(&CohortCase, &CaseOutcome) + Sync),
) -> Result<BatchSummary, BatchError> {
    let groups = group_cases(cases);
    let outcomes: Vec<CaseOutcome> = groups
        .par_iter()
        .map(|rows| {
            let o = run_case(rows, ctx, out);
            progress(&rows[0], &o);
            o
        })
        .collect();
    let mut summary = BatchSummary::default();
    for o in outcomes {
        match o {
            CaseOutcome::Done(why) => {
                summary.done += 1;
                *summary.reasons.entry(why).or_default() += 1;
            }
            CaseOutcome::Skipped => summary.skipped += 1,
            CaseOutcome::Failed(e) => summary.failed.push(e),
        }
    }
    summary.failed.sort_by(|a, b| a.case.cmp(&b.case));
    merge(&[out.to_path_buf()], &out.join("features.csv"))?;
    Ok(summary)
}

/// A finished case of a batch folder: its record and table, the table verified against
/// the sha256 in its record.
struct FinishedCase {
    case: String,
    table: PathBuf,
    settings_id: String,
    bytes: Vec<u8>,
}

/// The finished cases of a batch folder, each table checked against its record.
fn finished_cases(dir: &Path) -> Result<Vec<FinishedCase>, BatchError> {
    let cd = cases_dir(dir);
    let entries = std::fs::read_dir(&cd)
        .map_err(|e| output_error(&cd, format!("not a radx batch folder: {e}")))?;
    let mut out = Vec::new();
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    for name in names {
        let Some(case) = name.strip_suffix(".provenance.json") else {
            continue;
        };
        if case.starts_with('.') {
            continue;
        }
        let rp = provenance_path(dir, case);
        let record: Provenance = std::fs::read_to_string(&rp)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            .map_err(|e| output_error(&rp, format!("unreadable provenance record: {e}")))?;
        let Some(t) = &record.table else {
            return Err(output_error(
                &rp,
                "the record names no table digest (made by an older radx): run radx batch into this folder again",
            ));
        };
        let tp = cd.join(&t.file);
        let bytes = std::fs::read(&tp).map_err(|e| output_error(&tp, e.to_string()))?;
        if sha256_hex(&bytes) != t.sha256 {
            return Err(output_error(
                &tp,
                format!(
                    "the table does not match its provenance record (sha256 {} recorded, {} on disk): it was cut short or altered; run radx batch into this folder again to recompute it",
                    t.sha256,
                    sha256_hex(&bytes)
                ),
            ));
        }
        out.push(FinishedCase {
            case: case.to_string(),
            table: tp,
            settings_id: record.settings_id,
            bytes,
        });
    }
    Ok(out)
}

/// Merges the finished cases of one or more batch folders into one long table, sorted
/// by case id (rows of a case keep their order). Shards merged this way give the same
/// bytes as one unsharded run. Refused: a case present in two folders, cases made with
/// different settings ids, and a table whose sha256 is not the one its record names.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<usize, BatchError> {
    let mut found: Vec<(FinishedCase, PathBuf)> = Vec::new();
    for d in dirs {
        for c in finished_cases(d)? {
            if let Some((other, od)) = found.iter().find(|(f, _)| f.case == c.case) {
                return Err(output_error(
                    &c.table,
                    format!(
                        "case `{}` appears in more than one folder (also {})",
                        c.case,
                        od.join("cases")
                            .join(format!("{}.csv", other.case))
                            .display()
                    ),
                ));
            }
            if let Some((first, fd)) = found.first() {
                if first.settings_id != c.settings_id {
                    return Err(output_error(
                        d,
                        format!(
                            "case `{}` was made with settings id {}, but case `{}` of {} with settings id {}: one table never mixes two settings",
                            c.case,
                            c.settings_id,
                            first.case,
                            fd.display(),
                            first.settings_id
                        ),
                    ));
                }
            }
            found.push((c, d.clone()));
        }
    }
    found.sort_by(|a, b| a.0.case.cmp(&b.0.case));
    let mut text = String::from(radx_io::CSV_HEADER);
    text.push('\n');
    for (c, _) in &found {
        let t = String::from_utf8_lossy(&c.bytes);
        let mut lines = t.lines();
        if lines.next() != Some(radx_io::CSV_HEADER) {
            return Err(output_error(
                &c.table,
                "unexpected header: not a radx case table",
            ));
        }
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
    }
    write_atomic(out, &text).map_err(|e| output_error(out, e.to_string()))?;
    Ok(found.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_cohort() {
        let cases: Vec<CohortCase> = (0..10)
            .map(|i| CohortCase {
                case_id: format!("c{i}"),
                image: "i".into(),
                mask: "m".into(),
                label: None,
                roi: None,
                site: None,
                extra_masks: Vec::new(),
                volume: None,
            })
            .collect();
        let mut all: Vec<String> = Vec::new();
        for i in 1..=3 {
            let s: Shard = format!("{i}/3").parse().unwrap();
            all.extend(s.select(cases.clone()).into_iter().map(|c| c.case_id));
        }
        all.sort();
        let mut want: Vec<String> = cases.iter().map(|c| c.case_id.clone()).collect();
        want.sort();
        assert_eq!(all, want);
        assert!("0/3".parse::<Shard>().is_err());
        assert!("4/3".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }

    /// `shard_from_scheduler` over a fixed set of variables.
    fn auto(
        vars: &[(&str, &str)],
        count: Option<usize>,
    ) -> Result<(Shard, radx_core::provenance::SchedulerRecord), BatchError> {
        let map: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        shard_from_scheduler(&|name: &str| map.get(name).cloned(), count)
    }

    fn slurm(
        id: usize,
        min: usize,
        max: usize,
        step: usize,
        count: usize,
    ) -> Vec<(String, String)> {
        [
            ("SLURM_ARRAY_TASK_ID", id),
            ("SLURM_ARRAY_TASK_MIN", min),
            ("SLURM_ARRAY_TASK_MAX", max),
            ("SLURM_ARRAY_TASK_STEP", step),
            ("SLURM_ARRAY_TASK_COUNT", count),
            ("SLURM_ARRAY_JOB_ID", 4711),
            ("SLURM_JOB_ID", 4711 + id),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn auto_owned(
        vars: &[(String, String)],
        count: Option<usize>,
    ) -> Result<(Shard, radx_core::provenance::SchedulerRecord), BatchError> {
        let v: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        auto(&v, count)
    }

    #[test]
    fn slurm_arrays_from_1_from_0_and_stepped_give_shards_1_to_n() {
        // --array=1-16, --array=0-15, --array=0-30:2, --array=5-20
        for (min, step) in [(1, 1), (0, 1), (0, 2), (5, 1)] {
            let max = min + 15 * step;
            let mut got = Vec::new();
            for k in 0..16 {
                let id = min + k * step;
                let (s, rec) = auto_owned(&slurm(id, min, max, step, 16), None).unwrap();
                assert_eq!(s.count, 16);
                assert_eq!(rec.scheduler, "slurm");
                assert_eq!(rec.job_id.as_deref(), Some("4711"));
                assert_eq!(rec.task_id, id.to_string());
                assert_eq!(rec.shard, format!("{}/16", s.index));
                got.push(s.index);
            }
            assert_eq!(got, (1..=16).collect::<Vec<_>>(), "min {min} step {step}");
        }
    }

    #[test]
    fn slurm_min_and_step_default_to_1_and_a_matching_shard_count_is_accepted() {
        let (s, _) = auto(
            &[
                ("SLURM_ARRAY_TASK_ID", "3"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
            ],
            Some(3),
        )
        .unwrap();
        assert_eq!(s, Shard { index: 3, count: 3 });
    }

    #[test]
    fn slurm_variables_that_do_not_make_a_shard_are_refused_by_name() {
        type Case<'a> = (Vec<(String, String)>, Option<usize>, &'a str);
        let cases: Vec<Case> = vec![
            // --array=1,3,7: not evenly spaced
            (slurm(3, 1, 7, 1, 3), None, "evenly spaced"),
            // a task id below the minimum, or off the step
            (slurm(0, 1, 4, 1, 4), None, "SLURM_ARRAY_TASK_ID=0"),
            (slurm(3, 0, 6, 2, 4), None, "SLURM_ARRAY_TASK_ID=3"),
            // beyond the count
            (slurm(9, 1, 8, 1, 8), None, "SLURM_ARRAY_TASK_ID=9"),
            // --shard-count contradicting the array
            (slurm(1, 1, 4, 1, 4), Some(5), "--shard-count 5"),
        ];
        for (vars, count, want) in cases {
            let e = auto_owned(&vars, count).unwrap_err().to_string();
            assert!(
                e.starts_with("--shard auto: ") && e.contains(want),
                "{want}: {e}"
            );
        }
        for (vars, want) in [
            (vec![("SLURM_ARRAY_TASK_ID", "2")], "SLURM_ARRAY_TASK_COUNT"),
            (
                vec![
                    ("SLURM_ARRAY_TASK_ID", "x"),
                    ("SLURM_ARRAY_TASK_COUNT", "3"),
                ],
                "SLURM_ARRAY_TASK_ID=\"x\"",
            ),
            (
                vec![
                    ("SLURM_ARRAY_TASK_ID", "1"),
                    ("SLURM_ARRAY_TASK_COUNT", "0"),
                ],
                "at least 1",
            ),
        ] {
            let e = auto(&vars, None).unwrap_err().to_string();
            assert!(e.contains(want), "{want}: {e}");
        }
    }

    #[test]
    fn kubernetes_index_counts_from_0_with_the_count_from_the_flag_or_the_variable() {
        for i in 0..4 {
            let idx = i.to_string();
            let (s, rec) = auto(&[("JOB_COMPLETION_INDEX", &idx)], Some(4)).unwrap();
            assert_eq!(
                s,
                Shard {
                    index: i + 1,
                    count: 4
                }
            );
            assert_eq!(rec.scheduler, "kubernetes");
            assert_eq!(rec.task_id, idx);
            assert_eq!(rec.job_id, None);
            let (s2, _) = auto(
                &[("JOB_COMPLETION_INDEX", &idx), ("RADX_SHARD_COUNT", "4")],
                None,
            )
            .unwrap();
            assert_eq!(s, s2);
        }
        // the flag wins over the variable
        let (s, _) = auto(
            &[("JOB_COMPLETION_INDEX", "5"), ("RADX_SHARD_COUNT", "4")],
            Some(8),
        )
        .unwrap();
        assert_eq!(s, Shard { index: 6, count: 8 });
        let e = auto(&[("JOB_COMPLETION_INDEX", "4")], Some(4))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("JOB_COMPLETION_INDEX=4") && e.contains("from 0"),
            "{e}"
        );
        let e = auto(&[("JOB_COMPLETION_INDEX", "0")], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--shard-count") && e.contains("RADX_SHARD_COUNT"),
            "{e}"
        );
    }

    #[test]
    fn auto_outside_a_scheduler_or_with_both_is_refused_plainly() {
        let e = auto(&[], None).unwrap_err().to_string();
        assert!(
            e.contains("no scheduler task found") && e.contains("--shard i/n"),
            "{e}"
        );
        let e = auto(&[("SLURM_JOB_ID", "77")], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("SLURM job 77 is not a job array"), "{e}");
        let e = auto(
            &[
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "2"),
                ("JOB_COMPLETION_INDEX", "0"),
            ],
            Some(2),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("both"), "{e}");
    }

    #[test]
    fn shards_from_the_scheduler_partition_the_cohort_like_explicit_ones() {
        let cases: Vec<CohortCase> = (0..11)
            .map(|i| CohortCase {
                case_id: format!("c{i}"),
                image: "i".into(),
                mask: "m".into(),
                label: None,
                roi: None,
                site: None,
                extra_masks: Vec::new(),
                volume: None,
            })
            .collect();
        for id in 0..3 {
            let (s, _) = auto_owned(&slurm(id, 0, 2, 1, 3), None).unwrap();
            let explicit: Shard = format!("{}/3", id + 1).parse().unwrap();
            assert_eq!(s, explicit);
            assert_eq!(s.to_string(), format!("{}/3", id + 1));
            assert_eq!(s.select(cases.clone()), explicit.select(cases.clone()));
        }
    }

    #[test]
    fn a_cohort_that_is_a_folder_is_named_as_such() {
        let dir = std::env::temp_dir();
        let e = read_cohort(&dir).unwrap_err().to_string();
        assert!(
            e.contains(&dir.display().to_string())
                && e.contains("is a folder")
                && e.contains("CSV"),
            "{e}"
        );
    }
}
