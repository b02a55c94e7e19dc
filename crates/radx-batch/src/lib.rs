//! Cohort extraction: every case of a cohort CSV in parallel, each result written
//! atomically under an output folder, failures recorded per case, finished cases skipped
//! on a re-run, deterministic shards, and a merge that gives the same table as one run.
//!
//! Output folder layout:
//!
//! ```text
//! DIR/cases/<case>.csv               the case's long feature table (written atomically)
//! DIR/cases/<case>.provenance.json   its provenance; written last, it marks the case done
//! DIR/errors/<case>.json             {case, stage, message} when the case failed
//! DIR/features.csv                   every finished case of DIR, sorted by case id
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use radx_core::{Provenance, Registry, Settings};
use radx_io::MaskSelector;
use radx_pipeline::{CaseLabels, PipelineError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors that stop a whole batch (a bad cohort file, an unwritable folder). A failing
/// case never does: it gets an error record.
#[derive(Debug, Error)]
pub enum BatchError {
    #[error("{path}: {message}")]
    Cohort { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Output { path: PathBuf, message: String },
    #[error("shard `{0}`: expected i/n with 1 <= i <= n")]
    Shard(String),
}

/// One row of the cohort CSV.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CohortCase {
    /// Case identifier (letters, digits, `-`, `_`, `.`): names the result files.
    pub case_id: String,
    pub image: PathBuf,
    pub mask: PathBuf,
    /// Mask label; empty: every non-zero voxel.
    #[serde(default)]
    pub label: Option<i64>,
    /// ROI name written into the rows; empty: `label_N` or `nonzero`.
    #[serde(default)]
    pub roi: Option<String>,
    /// Acquisition site, for the checker; not used by extraction.
    #[serde(default)]
    pub site: Option<String>,
}

/// Reads a cohort CSV (`case_id,image,mask[,label][,roi][,site]`). Relative paths resolve
/// against the CSV's folder. Duplicate or unsafe case ids are errors naming the line.
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
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, rec) in reader.deserialize::<CohortCase>().enumerate() {
        let line = i + 2;
        let mut c = rec.map_err(|e| err(format!("line {line}: {e}")))?;
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
        if !seen.insert(c.case_id.clone()) {
            return Err(err(format!("line {line}: case_id `{}` repeats", c.case_id)));
        }
        for p in [&mut c.image, &mut c.mask] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
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
    pub fn select(&self, cases: Vec<CohortCase>) -> Vec<CohortCase> {
        cases
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % self.count == self.index - 1)
            .map(|(_, c)| c)
            .collect()
    }
}

/// The error record of a failed case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseError {
    pub case: String,
    /// `read`, `process`, `settings` or `write`.
    pub stage: String,
    pub message: String,
}

/// What happened to one case.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseOutcome {
    Done,
    /// A result for the same inputs, settings and radx version was already there.
    Skipped,
    Failed(CaseError),
}

/// Summary of a batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchSummary {
    pub done: usize,
    pub skipped: usize,
    pub failed: Vec<CaseError>,
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

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so
/// a reader (or a later run) sees the whole file or none of it.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// True when the case's recorded provenance matches these inputs and settings.
fn already_done(out: &Path, case: &CohortCase, settings_id: &str) -> bool {
    let (Ok(text), true) = (
        std::fs::read_to_string(provenance_path(out, &case.case_id)),
        table_path(out, &case.case_id).is_file(),
    ) else {
        return false;
    };
    let Ok(p) = serde_json::from_str::<Provenance>(&text) else {
        return false;
    };
    if p.settings_id != settings_id || p.radx_version != radx_core::RADX_VERSION {
        return false;
    }
    let hash = |path: &Path| radx_io::sha256_file(path).ok();
    let want = [("image", hash(&case.image)), ("mask", hash(&case.mask))];
    want.iter().all(|(role, h)| {
        h.is_some()
            && p.inputs
                .iter()
                .any(|i| i.role == *role && Some(&i.sha256) == h.as_ref())
    })
}

fn stage_of(e: &PipelineError) -> &'static str {
    match e {
        PipelineError::Io(_) => "read",
        PipelineError::Process { .. } => "process",
        PipelineError::UnknownFamily(..) => "settings",
    }
}

/// Runs one case and writes its result or its error record.
pub fn run_case(
    case: &CohortCase,
    settings: &Settings,
    registry: &Registry,
    out: &Path,
) -> CaseOutcome {
    if already_done(out, case, &settings.id()) {
        return CaseOutcome::Skipped;
    }
    let labels = CaseLabels {
        case: case.case_id.clone(),
        roi: case.roi.clone().unwrap_or_else(|| {
            case.label
                .map_or("nonzero".to_string(), |l| format!("label_{l}"))
        }),
        image: "original".into(),
    };
    let selector = case
        .label
        .map_or(MaskSelector::NonZero, MaskSelector::Label);
    let fail = |stage: &str, message: String| {
        let e = CaseError {
            case: case.case_id.clone(),
            stage: stage.into(),
            message,
        };
        let _ = std::fs::remove_file(provenance_path(out, &case.case_id));
        let _ = std::fs::remove_file(table_path(out, &case.case_id));
        let _ = write_atomic(
            &error_path(out, &case.case_id),
            &(serde_json::to_string_pretty(&e).expect("error records serialise") + "\n"),
        );
        CaseOutcome::Failed(e)
    };
    match radx_pipeline::extract_files(
        &case.image,
        &case.mask,
        selector,
        settings,
        registry,
        &labels,
    ) {
        Err(e) => fail(stage_of(&e), e.to_string()),
        Ok((table, provenance)) => {
            let written = write_atomic(
                &table_path(out, &case.case_id),
                &radx_io::table_to_csv(&table),
            )
            .and_then(|_| {
                write_atomic(
                    &provenance_path(out, &case.case_id),
                    &(serde_json::to_string_pretty(&provenance).expect("provenance serialises")
                        + "\n"),
                )
            });
            match written {
                Ok(()) => {
                    let _ = std::fs::remove_file(error_path(out, &case.case_id));
                    CaseOutcome::Done
                }
                Err(e) => fail("write", format!("{}: {e}", out.display())),
            }
        }
    }
}

/// Runs every case on the current rayon pool; `progress` is called once per finished
/// case (from worker threads). Then writes `DIR/features.csv`.
pub fn run_batch(
    cases: &[CohortCase],
    settings: &Settings,
    registry: &Registry,
    out: &Path,
    progress: &(dyn Fn(&CohortCase, &CaseOutcome) + Sync),
) -> Result<BatchSummary, BatchError> {
    for d in [cases_dir(out), errors_dir(out)] {
        std::fs::create_dir_all(&d).map_err(|e| BatchError::Output {
            path: d.clone(),
            message: e.to_string(),
        })?;
    }
    let outcomes: Vec<CaseOutcome> = cases
        .par_iter()
        .map(|c| {
            let o = run_case(c, settings, registry, out);
            progress(c, &o);
            o
        })
        .collect();
    let mut summary = BatchSummary::default();
    for o in outcomes {
        match o {
            CaseOutcome::Done => summary.done += 1,
            CaseOutcome::Skipped => summary.skipped += 1,
            CaseOutcome::Failed(e) => summary.failed.push(e),
        }
    }
    merge(&[out.to_path_buf()], &out.join("features.csv"))?;
    Ok(summary)
}

/// Merges the finished cases of one or more batch folders into one long table, sorted
/// by case id (rows of a case keep their order). Shards merged this way give the same
/// bytes as one unsharded run. A case present in two folders is an error.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<usize, BatchError> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for d in dirs {
        let cd = cases_dir(d);
        let entries = std::fs::read_dir(&cd).map_err(|e| BatchError::Output {
            path: cd.clone(),
            message: format!("not a radx batch folder: {e}"),
        })?;
        for entry in entries.flatten() {
            let p = entry.path();
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if let Some(case) = name.strip_suffix(".csv") {
                if case.starts_with('.') || !provenance_path(d, case).is_file() {
                    continue; // unfinished
                }
                if found.iter().any(|(c, _)| c == case) {
                    return Err(BatchError::Output {
                        path: p.clone(),
                        message: format!("case `{case}` appears in more than one folder"),
                    });
                }
                found.push((case.to_string(), p));
            }
        }
    }
    found.sort();
    let mut text = String::from(radx_io::CSV_HEADER);
    text.push('\n');
    for (_, p) in &found {
        let t = std::fs::read_to_string(p).map_err(|e| BatchError::Output {
            path: p.clone(),
            message: e.to_string(),
        })?;
        let mut lines = t.lines();
        if lines.next() != Some(radx_io::CSV_HEADER) {
            return Err(BatchError::Output {
                path: p.clone(),
                message: "unexpected header: not a radx case table".into(),
            });
        }
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
    }
    write_atomic(out, &text).map_err(|e| BatchError::Output {
        path: out.into(),
        message: e.to_string(),
    })?;
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
