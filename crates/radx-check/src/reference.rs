//! Access to the IBSI reference data through the manifest in `reference-data/ibsi.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

/// The project's manifest of reference files (path, sha256, source, licence).
pub const MANIFEST: &str = include_str!("../../../reference-data/ibsi.toml");

/// Errors reaching or checking reference data.
#[derive(Debug, Error)]
pub enum CheckError {
    #[error("{path}: reference file not found (set RADX_REFERENCE_DATA to the folder holding the IBSI data; now {dir})")]
    Missing { path: PathBuf, dir: PathBuf },
    #[error("{path}: sha256 {found} differs from the manifest's {expected}: the reference file was changed or is a different version")]
    HashMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{0}: not listed in reference-data/ibsi.toml")]
    NotInManifest(String),
    #[error("{path}: malformed reference table: {message}")]
    Malformed { path: PathBuf, message: String },
    #[error("unknown validation set `{0}`; sets: {1}")]
    UnknownSet(String, String),
    #[error(transparent)]
    Io(#[from] radx_io::IoError),
    #[error(transparent)]
    Pipeline(#[from] radx_pipeline::PipelineError),
    #[error("{0}")]
    Settings(#[from] radx_core::SettingsError),
}

#[derive(Deserialize)]
struct ManifestFile {
    #[allow(dead_code)]
    manifest_version: u32,
    file: Vec<ManifestEntry>,
}

/// One file of the manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestEntry {
    pub path: String,
    pub set: String,
    pub what: String,
    pub source: String,
    pub licence: String,
    pub sha256: String,
}

/// The reference data folder with its manifest.
pub struct ReferenceData {
    dir: PathBuf,
    entries: BTreeMap<String, ManifestEntry>,
}

impl ReferenceData {
    /// The folder named by `$RADX_REFERENCE_DATA` (default `../shared/ibsi`).
    pub fn from_env() -> Self {
        Self::at(radx_core::reference_data_dir())
    }

    /// A given folder.
    pub fn at(dir: PathBuf) -> Self {
        let m: ManifestFile = toml::from_str(MANIFEST).expect("the shipped manifest parses");
        ReferenceData {
            dir,
            entries: m.file.into_iter().map(|e| (e.path.clone(), e)).collect(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn entries(&self) -> impl Iterator<Item = &ManifestEntry> {
        self.entries.values()
    }

    /// The full path of a reference file after checking its sha256 against the manifest.
    pub fn verified(&self, rel: &str) -> Result<PathBuf, CheckError> {
        let entry = self
            .entries
            .get(rel)
            .ok_or_else(|| CheckError::NotInManifest(rel.to_string()))?;
        let path = self.dir.join(rel);
        if !path.is_file() {
            return Err(CheckError::Missing {
                path,
                dir: self.dir.clone(),
            });
        }
        let found = radx_io::sha256_file(&path)?;
        if found != entry.sha256 {
            return Err(CheckError::HashMismatch {
                path,
                expected: entry.sha256.clone(),
                found,
            });
        }
        Ok(path)
    }
}

/// One consensus row of an IBSI 1 reference table.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceValue {
    pub tag: String,
    pub value: f64,
    pub tolerance: f64,
}

/// The consensus rows of a `;`-separated reference table with `fields` columns: each
/// row's line number and trimmed fields, without the header, blank lines and rows whose
/// `value_column` is empty (no consensus value).
pub(crate) fn consensus_rows(
    path: &Path,
    fields: usize,
    value_column: usize,
) -> Result<Vec<(usize, Vec<String>)>, CheckError> {
    let malformed = |message: String| CheckError::Malformed {
        path: path.into(),
        message,
    };
    let options = radx_io::CsvOptions {
        delimiter: b';',
        ..Default::default()
    };
    let table = radx_io::read_csv(path, options).map_err(|e| match e {
        radx_io::IoError::Invalid { message, .. } | radx_io::IoError::Truncated { message, .. } => {
            malformed(message)
        }
        other => CheckError::Io(other),
    })?;
    if table.header.len() != fields {
        return Err(malformed(format!(
            "line 1: expected {fields} fields, found {}",
            table.header.len()
        )));
    }
    Ok(table
        .rows
        .into_iter()
        .map(|r| {
            let f: Vec<String> = r.fields.iter().map(|x| x.trim().to_string()).collect();
            (r.line as usize, f)
        })
        .filter(|(_, f)| !f[value_column].is_empty())
        .collect())
}

/// A number of a reference table; `what` names it in the error.
pub(crate) fn table_number(
    path: &Path,
    line: usize,
    s: &str,
    what: &str,
) -> Result<f64, CheckError> {
    s.parse::<f64>().map_err(|_| CheckError::Malformed {
        path: path.into(),
        message: format!("line {line}: {what} `{s}` is not a number"),
    })
}

/// A tolerance of a reference table: empty means 0.
pub(crate) fn table_tolerance(path: &Path, line: usize, s: &str) -> Result<f64, CheckError> {
    if s.is_empty() {
        Ok(0.0)
    } else {
        table_number(path, line, s, "tolerance")
    }
}

/// Reads the consensus rows of an IBSI 1 reference CSV (`reference value;tolerance;tag`;
/// rows without a value have no consensus and are skipped).
pub fn read_ibsi1_table(path: &Path) -> Result<Vec<ReferenceValue>, CheckError> {
    consensus_rows(path, 3, 0)?
        .into_iter()
        .map(|(line, f)| {
            Ok(ReferenceValue {
                value: table_number(path, line, &f[0], "reference value")?,
                tolerance: table_tolerance(path, line, &f[1])?,
                tag: f[2].clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lists_the_reference_tables() {
        let r = ReferenceData::at(PathBuf::from("/nonexistent"));
        assert!(r
            .entries()
            .any(|e| e.path == "reference_values/ibsi_1/ibsi_1_dig_phantom.csv"));
        assert!(r.entries().all(|e| e.sha256.len() == 64));
        assert!(matches!(
            r.verified("reference_values/ibsi_1/ibsi_1_dig_phantom.csv"),
            Err(CheckError::Missing { .. })
        ));
        assert!(matches!(
            r.verified("not/listed.csv"),
            Err(CheckError::NotInManifest(_))
        ));
    }

    #[test]
    fn tampered_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("radx-ref-{}", std::process::id()));
        let sub = dir.join("reference_values/ibsi_1");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(
            sub.join("ibsi_1_dig_phantom.csv"),
            "reference value;tolerance;tag\n",
        )
        .unwrap();
        let r = ReferenceData::at(dir.clone());
        let e = r
            .verified("reference_values/ibsi_1/ibsi_1_dig_phantom.csv")
            .unwrap_err();
        assert!(matches!(e, CheckError::HashMismatch { .. }), "{e}");
        assert!(e.to_string().contains("ibsi_1_dig_phantom.csv"));
        std::fs::remove_dir_all(dir).ok();
    }
}
