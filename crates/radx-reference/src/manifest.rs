//! A reference data folder and its manifest: every file's path, source, licence and sha256.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::locate::{locate, DataSet};
use crate::ReferenceError;

/// The manifest of the IBSI data (`reference-data/ibsi.toml`).
pub const IBSI_MANIFEST: &str = include_str!("../../../reference-data/ibsi.toml");
/// The manifest of the test cohort (`reference-data/sts-mini.toml`).
pub const COHORT_MANIFEST: &str = include_str!("../../../reference-data/sts-mini.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    #[allow(dead_code)]
    manifest_version: u32,
    file: Vec<ManifestEntry>,
}

/// One file of a manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Path relative to the data folder, with `/` separators.
    pub path: String,
    /// The data set it belongs to (e.g. `ibsi_1_ct_radiomics_phantom`).
    pub set: String,
    /// What the file is.
    pub what: String,
    /// Where it comes from.
    pub source: String,
    /// Its licence.
    pub licence: String,
    /// Lowercase hex sha256 of its bytes.
    pub sha256: String,
}

/// Lowercase hex sha256 of a file's bytes.
pub fn sha256_file(path: &Path) -> Result<String, ReferenceError> {
    let read_error = |e: std::io::Error| ReferenceError::Read {
        path: path.into(),
        message: e.to_string(),
    };
    let mut f = std::fs::File::open(path).map_err(read_error)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(read_error)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A file as verified: path, size, modification time and expected hash.
type VerifiedKey = (PathBuf, u64, Option<SystemTime>, String);

/// Files already verified in this process: a file is hashed once per process unless it
/// changes.
fn verified_cache() -> &'static Mutex<HashSet<VerifiedKey>> {
    static CACHE: OnceLock<Mutex<HashSet<VerifiedKey>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// A reference data folder with its manifest.
#[derive(Debug, Clone)]
pub struct ReferenceData {
    set: DataSet,
    dir: PathBuf,
    entries: BTreeMap<String, ManifestEntry>,
}

impl ReferenceData {
    /// The folder of `set` found by [`locate`] (with an optional explicit folder).
    pub fn open(set: DataSet, explicit: Option<&Path>) -> Result<Self, ReferenceError> {
        Ok(Self::at(set, locate(set, explicit)?))
    }

    /// The IBSI data: `$RADX_REFERENCE_DATA`, else the shipped `reference-data/ibsi/`.
    pub fn ibsi() -> Result<Self, ReferenceError> {
        Self::open(DataSet::Ibsi, None)
    }

    /// The test cohort: `$RADX_COHORT_DATA`, else the shipped
    /// `reference-data/cohorts/sts-mini/`.
    pub fn cohort() -> Result<Self, ReferenceError> {
        Self::open(DataSet::Cohort, None)
    }

    /// `set`'s manifest over a given folder.
    pub fn at(set: DataSet, dir: PathBuf) -> Self {
        let text = match set {
            DataSet::Ibsi => IBSI_MANIFEST,
            DataSet::Cohort => COHORT_MANIFEST,
        };
        let m: ManifestFile = toml::from_str(text).expect("the shipped manifest parses");
        ReferenceData {
            set,
            dir,
            entries: m.file.into_iter().map(|e| (e.path.clone(), e)).collect(),
        }
    }

    /// The data set.
    pub fn set(&self) -> DataSet {
        self.set
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every file of the manifest, by path.
    pub fn entries(&self) -> impl Iterator<Item = &ManifestEntry> {
        self.entries.values()
    }

    /// The full path of a reference file after checking its sha256 against the manifest.
    pub fn verified(&self, rel: &str) -> Result<PathBuf, ReferenceError> {
        let entry = self
            .entries
            .get(rel)
            .ok_or_else(|| ReferenceError::NotInManifest(rel.to_string()))?;
        let path = self.dir.join(rel);
        let meta = std::fs::metadata(&path).ok().filter(|m| m.is_file());
        let Some(meta) = meta else {
            return Err(ReferenceError::Missing {
                path,
                dir: self.dir.clone(),
                var: self.set.variable(),
                flag: self.set.flag(),
            });
        };
        let key = (
            path.clone(),
            meta.len(),
            meta.modified().ok(),
            entry.sha256.clone(),
        );
        if verified_cache().lock().is_ok_and(|c| c.contains(&key)) {
            return Ok(path);
        }
        let found = sha256_file(&path)?;
        if found != entry.sha256 {
            return Err(ReferenceError::HashMismatch {
                path,
                expected: entry.sha256.clone(),
                found,
            });
        }
        if let Ok(mut c) = verified_cache().lock() {
            c.insert(key);
        }
        Ok(path)
    }

    /// The full path of a folder of the data after checking every manifest file under it
    /// (e.g. the slices of a DICOM series). A folder without any manifest file is
    /// [`ReferenceError::NotInManifest`].
    pub fn verified_dir(&self, rel: &str) -> Result<PathBuf, ReferenceError> {
        let prefix = format!("{}/", rel.trim_end_matches('/'));
        let mut any = false;
        for path in self.entries.keys().filter(|p| p.starts_with(&prefix)) {
            self.verified(path)?;
            any = true;
        }
        if !any {
            return Err(ReferenceError::NotInManifest(rel.to_string()));
        }
        Ok(self.dir.join(rel))
    }

    /// Checks every file of the manifest; returns how many were checked.
    pub fn verify_all(&self) -> Result<usize, ReferenceError> {
        for path in self.entries.keys() {
            self.verified(path)?;
        }
        Ok(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_list_sha256_of_every_file() {
        for set in [DataSet::Ibsi, DataSet::Cohort] {
            let r = ReferenceData::at(set, PathBuf::from("/nonexistent"));
            assert!(r.entries().count() > 10);
            assert!(r
                .entries()
                .all(|e| e.sha256.len() == 64 && !e.licence.is_empty()));
        }
        let r = ReferenceData::at(DataSet::Ibsi, PathBuf::from("/nonexistent"));
        assert!(matches!(
            r.verified("reference_values/ibsi_1/ibsi_1_dig_phantom.csv"),
            Err(ReferenceError::Missing { .. })
        ));
        assert!(matches!(
            r.verified("not/listed.csv"),
            Err(ReferenceError::NotInManifest(_))
        ));
    }

    #[test]
    fn tampered_file_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("reference_values/ibsi_1");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(
            sub.join("ibsi_1_dig_phantom.csv"),
            "reference value;tolerance;tag\n",
        )
        .unwrap();
        let r = ReferenceData::at(DataSet::Ibsi, dir.path().to_path_buf());
        let e = r
            .verified("reference_values/ibsi_1/ibsi_1_dig_phantom.csv")
            .unwrap_err();
        assert!(matches!(e, ReferenceError::HashMismatch { .. }), "{e}");
        assert!(e.to_string().contains("ibsi_1_dig_phantom.csv"));
        // the folder is refused too, naming the first of its files that is absent or changed
        let e = r.verified_dir("reference_values/ibsi_1").unwrap_err();
        assert!(e.to_string().contains("reference_values/ibsi_1/"), "{e}");
    }
}
