//! Cohorts of an inter-observer study: one row per case with one mask column per observer,
//! `mask_<observer>` (e.g. `mask_a`, `mask_b`), or columns named on the command line
//! (`--masks NAME=COLUMN`). Columns `extra_mask_<name>` (extra regions) are not observers.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::{BatchError, CohortCase};

/// One observer: the name used in the outputs and the cohort column holding its masks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observer {
    pub name: String,
    pub column: String,
}

/// One case of an observer cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct ObserverCase {
    /// The row as a cohort case (its `mask` is that of the first observer with one).
    pub case: CohortCase,
    /// Each observer's mask, in the order of [`ObserverCohort::observers`]; `None` when
    /// the row's cell is empty.
    pub masks: Vec<Option<PathBuf>>,
}

impl ObserverCase {
    /// The case as observer `i` drew it (`None` when that observer's cell is empty).
    pub fn as_observer(&self, i: usize) -> Option<CohortCase> {
        self.masks[i].as_ref().map(|m| CohortCase {
            mask: m.clone(),
            ..self.case.clone()
        })
    }
}

/// An observer cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct ObserverCohort {
    pub observers: Vec<Observer>,
    pub cases: Vec<ObserverCase>,
}

/// Reads an observer cohort: columns `case_id,image` and the observers' mask columns,
/// optionally `label`, `roi`, `site` (as [`crate::read_cohort`]; relative paths resolve
/// against the CSV's folder). `named` (`NAME`, `COLUMN`) chooses the observers' columns;
/// empty: every column `mask_<observer>` in header order. At least two observers, one row
/// per case; an unknown column, a repeated name or case, or a bad case id is an error
/// naming the file (and line).
pub fn read_observer_cohort(
    path: &Path,
    named: &[(String, String)],
) -> Result<ObserverCohort, BatchError> {
    let err = |message: String| BatchError::Cohort {
        path: path.into(),
        message,
    };
    if path.is_dir() {
        return Err(err("is a folder; a cohort CSV file is expected".into()));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| err(e.to_string()))?;
    let headers = reader.headers().map_err(|e| err(e.to_string()))?.clone();
    let columns: Vec<&str> = headers.iter().collect();
    let observers: Vec<Observer> = if named.is_empty() {
        columns
            .iter()
            .filter_map(|c| {
                c.strip_prefix("mask_")
                    .filter(|n| !n.is_empty())
                    .map(|n| (n, c))
            })
            .map(|(n, c)| Observer {
                name: n.to_string(),
                column: c.to_string(),
            })
            .collect()
    } else {
        let mut v = Vec::new();
        for (name, column) in named {
            if !columns.contains(&column.as_str()) {
                return Err(err(format!(
                    "no column `{column}` (observer `{name}`); the columns are {}",
                    columns.join(", ")
                )));
            }
            v.push(Observer {
                name: name.clone(),
                column: column.clone(),
            });
        }
        v
    };
    if observers.len() < 2 {
        return Err(err(format!(
            "an inter-observer study needs at least two observers' mask columns `mask_<observer>` (or --masks NAME=COLUMN); found {} among the columns {}",
            observers.len(),
            columns.join(", ")
        )));
    }
    let mut names = BTreeSet::new();
    let mut cols = BTreeSet::new();
    for o in &observers {
        if !names.insert(o.name.as_str()) {
            return Err(err(format!("observer `{}` is named twice", o.name)));
        }
        if !cols.insert(o.column.as_str()) {
            return Err(err(format!(
                "column `{}` is given to two observers",
                o.column
            )));
        }
    }
    // Each observer's view of a row: the row deserialised as a cohort case with that
    // observer's column read as `mask` (and any other `mask` column ignored).
    let header_for = |column: &str| -> csv::StringRecord {
        headers
            .iter()
            .map(|h| {
                if h == column {
                    "mask"
                } else if h == "mask" {
                    "mask (not an observer)"
                } else {
                    h
                }
            })
            .collect()
    };
    let views: Vec<csv::StringRecord> = observers.iter().map(|o| header_for(&o.column)).collect();
    let base = path.parent().unwrap_or(Path::new("."));
    let mut seen = BTreeSet::new();
    let mut cases = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(format!("line {line}: {e}")))?;
        let mut case: Option<CohortCase> = None;
        let mut masks = Vec::with_capacity(observers.len());
        for view in &views {
            let mut c: CohortCase = rec
                .deserialize(Some(view))
                .map_err(|e| err(format!("line {line}: {e}")))?;
            if c.image.is_relative() {
                c.image = base.join(&c.image);
            }
            if c.mask.as_os_str().is_empty() {
                masks.push(None);
            } else {
                if c.mask.is_relative() {
                    c.mask = base.join(&c.mask);
                }
                masks.push(Some(c.mask.clone()));
            }
            if case.as_ref().is_none_or(|k| k.mask.as_os_str().is_empty()) {
                case = Some(c);
            }
        }
        let case = case.expect("at least two observers");
        let id = &case.case_id;
        if id.is_empty()
            || id.starts_with('.')
            || !id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
        {
            return Err(err(format!(
                "line {line}: case_id `{id}` must be letters, digits, '-', '_' or '.'"
            )));
        }
        if !seen.insert(id.clone()) {
            return Err(err(format!(
                "line {line}: case_id `{id}` repeats: an inter-observer study takes one row per case (one mask column per observer)"
            )));
        }
        cases.push(ObserverCase { case, masks });
    }
    if cases.is_empty() {
        return Err(err("the cohort lists no case".into()));
    }
    Ok(ObserverCohort { observers, cases })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("cohort.csv");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn mask_columns_are_observers_extra_masks_are_not() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            d.path(),
            "case_id,image,mask_a,extra_mask_liver,mask_b,site\nc1,i1.nii,a1.nii,l.nii,b1.nii,s1\nc2,/abs/i2.nii,a2.nii,,,s2\n",
        );
        let c = read_observer_cohort(&p, &[]).unwrap();
        let names: Vec<_> = c.observers.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(c.cases.len(), 2);
        assert_eq!(c.cases[0].masks[1], Some(d.path().join("b1.nii")));
        assert_eq!(c.cases[0].case.image, d.path().join("i1.nii"));
        assert_eq!(c.cases[0].case.site.as_deref(), Some("s1"));
        assert_eq!(c.cases[1].masks[1], None);
        assert_eq!(c.cases[1].case.image, PathBuf::from("/abs/i2.nii"));
        assert_eq!(
            c.cases[0].as_observer(1).unwrap().mask,
            d.path().join("b1.nii")
        );
        assert!(c.cases[1].as_observer(1).is_none());
    }

    #[test]
    fn named_columns_and_errors() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            d.path(),
            "case_id,image,mask,reader2,label\nc1,i.nii,m.nii,r.nii,2\n",
        );
        let named = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let c = read_observer_cohort(&p, &named(&[("r1", "mask"), ("r2", "reader2")])).unwrap();
        assert_eq!(c.cases[0].masks[0], Some(d.path().join("m.nii")));
        assert_eq!(c.cases[0].as_observer(1).unwrap().label, Some(2));
        let e = read_observer_cohort(&p, &[]).unwrap_err().to_string();
        assert!(
            e.contains("at least two observers") && e.contains("cohort.csv"),
            "{e}"
        );
        let e = read_observer_cohort(&p, &named(&[("r1", "mask"), ("r2", "nope")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no column `nope`"), "{e}");
        let e = read_observer_cohort(&p, &named(&[("r", "mask"), ("r", "reader2")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("named twice"), "{e}");
        let p = write(
            d.path(),
            "case_id,image,mask_a,mask_b\nc1,i.nii,a.nii,b.nii\nc1,i.nii,a.nii,b.nii\n",
        );
        let e = read_observer_cohort(&p, &[]).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("repeats"), "{e}");
        let p = write(
            d.path(),
            "case_id,image,mask_a,mask_b\n../x,i.nii,a.nii,b.nii\n",
        );
        let e = read_observer_cohort(&p, &[]).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("case_id"), "{e}");
    }
}
