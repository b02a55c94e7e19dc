//! Feature table writers: long CSV and JSON, with a provenance sidecar.

use std::path::{Path, PathBuf};

use radx_core::{FeatureTable, Provenance};

use crate::tables::table_to_csv;
use crate::IoError;

/// Output format, chosen from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Csv,
    Json,
}

impl OutputFormat {
    /// `.csv` or `.json`; anything else is an error naming the file.
    pub fn from_path(path: &Path) -> Result<Self, IoError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("csv") => Ok(OutputFormat::Csv),
            Some("json") => Ok(OutputFormat::Json),
            _ => Err(IoError::Invalid {
                path: path.into(),
                message: "output must end in .csv or .json".into(),
            }),
        }
    }
}

/// JSON: `{"provenance": {...}, "features": [rows]}`.
pub fn table_to_json(table: &FeatureTable, provenance: &Provenance) -> String {
    let v = serde_json::json!({ "provenance": provenance, "features": table.rows });
    serde_json::to_string_pretty(&v).expect("feature tables serialise") + "\n"
}

/// Writes `text` to `path` through a temporary file in the same folder (`.<name>.<pid>.tmp`)
/// and a rename, so a reader (or a later run) sees the whole file or none of it. On any
/// error the temporary file is removed (a full disk, a folder in the way). The one way radx
/// writes a file that a later run trusts.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// [`write_atomic`], the error naming the file.
fn write_named(path: &Path, text: &str) -> Result<(), IoError> {
    write_atomic(path, text).map_err(|e| IoError::Write {
        path: path.into(),
        message: e.to_string(),
    })
}

/// Lowercase hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    radx_core::settings::hex(&Sha256::digest(bytes))
}

/// The provenance sidecar's path: `<out>.provenance.json`.
pub fn provenance_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".provenance.json");
    out.with_file_name(name)
}

/// Writes the table (format by extension) and its provenance sidecar; returns the
/// sidecar's path. The sidecar records the table's file name and the sha256 of the
/// bytes written ([`radx_core::TableRecord`]); a JSON table embeds the provenance
/// without that record.
pub fn write_outputs(
    out: &Path,
    table: &FeatureTable,
    provenance: &Provenance,
) -> Result<PathBuf, IoError> {
    let text = match OutputFormat::from_path(out)? {
        OutputFormat::Csv => table_to_csv(table),
        OutputFormat::Json => table_to_json(table, provenance),
    };
    write_text_outputs(out, &text, provenance)
}

/// Writes `text` (a table already rendered, e.g. a wide CSV) to `out` and its provenance
/// sidecar, as [`write_outputs`] does; returns the sidecar's path.
pub fn write_text_outputs(
    out: &Path,
    text: &str,
    provenance: &Provenance,
) -> Result<PathBuf, IoError> {
    let side = provenance_path(out);
    // An older sidecar must not describe the new table, even for a moment.
    if side.exists() {
        std::fs::remove_file(&side).map_err(|e| IoError::Write {
            path: side.clone(),
            message: e.to_string(),
        })?;
    }
    write_named(out, text)?;
    let mut record = provenance.clone();
    record.table = Some(radx_core::TableRecord {
        file: out
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        sha256: sha256_hex(text.as_bytes()),
    });
    write_named(
        &side,
        &(serde_json::to_string_pretty(&record).expect("provenance serialises") + "\n"),
    )?;
    Ok(side)
}

#[cfg(test)]
mod tests {
    use super::*;
    use radx_core::{FeatureRow, Platform};

    fn fixture() -> (FeatureTable, Provenance) {
        let table = FeatureTable {
            rows: vec![FeatureRow {
                case: "c".into(),
                roi: "r".into(),
                image: "original".into(),
                family: "f".into(),
                feature: "x".into(),
                ibsi_id: String::new(),
                aggregation: String::new(),
                tag: "f_x".into(),
                unit: String::new(),
                value: Some(1.5),
                missing_reason: None,
            }],
        };
        let provenance = Provenance {
            provenance_schema: radx_core::provenance::PROVENANCE_SCHEMA,
            radx_version: "0".into(),
            build: None,
            settings_id: "id".into(),
            settings: String::new(),
            inputs: Vec::new(),
            selection: None,
            request: None,
            regions: Vec::new(),
            plugins: Vec::new(),
            platform: Platform::current(),
            threads: 1,
            table: None,
            scheduler: None,
            largest_slices: Vec::new(),
        };
        (table, provenance)
    }

    #[test]
    fn the_sidecar_records_the_table_digest() {
        let dir = tempfile::tempdir().unwrap();
        let (table, provenance) = fixture();
        for name in ["t.csv", "t.json"] {
            let out = dir.path().join(name);
            let side = write_outputs(&out, &table, &provenance).unwrap();
            let p: Provenance =
                serde_json::from_str(&std::fs::read_to_string(side).unwrap()).unwrap();
            let t = p.table.unwrap();
            assert_eq!(t.file, name);
            use sha2::{Digest, Sha256};
            let want = radx_core::settings::hex(&Sha256::digest(std::fs::read(&out).unwrap()));
            assert_eq!(t.sha256, want);
        }
    }

    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let (table, provenance) = fixture();
        // a non-empty folder where the table should go: the rename fails
        let out = dir.path().join("t.csv");
        std::fs::create_dir_all(out.join("x")).unwrap();
        let e = write_outputs(&out, &table, &provenance).unwrap_err();
        assert!(e.to_string().contains("t.csv"), "{e}");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["t.csv"], "no temporary file left");
    }
}
