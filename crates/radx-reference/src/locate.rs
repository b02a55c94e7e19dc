//! Where the reference data is.

use std::path::{Path, PathBuf};

use crate::ReferenceError;

/// A data set radx ships under `reference-data/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSet {
    /// The IBSI 1 and IBSI 2 phantoms and reference values (`reference-data/ibsi/`).
    Ibsi,
    /// The test cohort (`reference-data/cohorts/sts-mini/`): STS PET and CT cases, one also
    /// as DICOM + RTSTRUCT.
    Cohort,
}

impl DataSet {
    /// The environment variable that names the folder.
    pub fn variable(self) -> &'static str {
        match self {
            DataSet::Ibsi => "RADX_REFERENCE_DATA",
            DataSet::Cohort => "RADX_COHORT_DATA",
        }
    }

    /// The command-line flag that names the folder.
    pub fn flag(self) -> &'static str {
        match self {
            DataSet::Ibsi => "--reference-data",
            DataSet::Cohort => "--cohort-data",
        }
    }

    /// The folder below `reference-data/`.
    pub fn subfolder(self) -> &'static str {
        match self {
            DataSet::Ibsi => "ibsi",
            DataSet::Cohort => "cohorts/sts-mini",
        }
    }

    fn what(self) -> &'static str {
        match self {
            DataSet::Ibsi => "IBSI reference data",
            DataSet::Cohort => "test cohort",
        }
    }
}

/// The `reference-data/` folder of the workspace this crate was compiled in.
fn build_workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reference-data")
}

/// The `reference-data/` folders a checkout holding the running executable would have:
/// each ancestor of the executable's folder (`target/release/radx`,
/// `target/release/deps/test-binary`) that holds a `reference-data/` folder.
fn beside_executable() -> Vec<PathBuf> {
    let Ok(exe) = std::env::current_exe() else {
        return Vec::new();
    };
    exe.ancestors()
        .skip(1)
        .take(5)
        .map(|a| a.join("reference-data"))
        .filter(|p| p.join("ibsi.toml").is_file())
        .collect()
}

/// The folder of `set`: `explicit` (a command-line argument), else its environment
/// variable, else `reference-data/<subfolder>` of the checkout holding the running
/// executable, else that of the workspace radx was built from. An explicit folder or
/// variable that does not exist is an error (it is never silently replaced by the default).
pub fn locate(set: DataSet, explicit: Option<&Path>) -> Result<PathBuf, ReferenceError> {
    let var = set.variable();
    let named = explicit
        .map(|p| (p.to_path_buf(), set.flag().to_string()))
        .or_else(|| match std::env::var_os(var) {
            Some(v) if !v.is_empty() => Some((PathBuf::from(v), format!("${var}"))),
            _ => None,
        });
    if let Some((dir, source)) = named {
        if dir.is_dir() {
            return Ok(dir);
        }
        return Err(ReferenceError::NotFound {
            what: set.what(),
            looked: format!("  {} (from {source}): not a folder", dir.display()),
            hint: format!(
                "Point {source} at the folder that holds the {}.",
                set.what()
            ),
        });
    }
    let mut candidates = beside_executable();
    candidates.push(build_workspace());
    let mut looked = Vec::new();
    for root in candidates {
        let dir = root.join(set.subfolder());
        if dir.is_dir() {
            return Ok(dir);
        }
        looked.push(format!("  {}", dir.display()));
    }
    looked.dedup();
    Err(ReferenceError::NotFound {
        what: set.what(),
        looked: looked.join("\n"),
        hint: format!(
            "radx ships it in reference-data/{} of its source checkout; set {var} or pass {} to use another folder.",
            set.subfolder(),
            set.flag()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_folder_that_does_not_exist_is_an_error_naming_it() {
        let e = locate(DataSet::Ibsi, Some(Path::new("/nonexistent/radx-data"))).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("/nonexistent/radx-data"), "{m}");
        assert!(m.contains("--reference-data"), "{m}");
    }

    #[test]
    fn explicit_folder_wins() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(locate(DataSet::Cohort, Some(d.path())).unwrap(), d.path());
    }
}
