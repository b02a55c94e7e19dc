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

fn write_atomic(path: &Path, text: &str) -> Result<(), IoError> {
    let err = |e: std::io::Error| IoError::Write {
        path: path.into(),
        message: e.to_string(),
    };
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// The provenance sidecar's path: `<out>.provenance.json`.
pub fn provenance_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".provenance.json");
    out.with_file_name(name)
}

/// Writes the table (format by extension) and its provenance sidecar; returns the
/// sidecar's path.
pub fn write_outputs(
    out: &Path,
    table: &FeatureTable,
    provenance: &Provenance,
) -> Result<PathBuf, IoError> {
    let text = match OutputFormat::from_path(out)? {
        OutputFormat::Csv => table_to_csv(table),
        OutputFormat::Json => table_to_json(table, provenance),
    };
    write_atomic(out, &text)?;
    let side = provenance_path(out);
    write_atomic(
        &side,
        &(serde_json::to_string_pretty(provenance).expect("provenance serialises") + "\n"),
    )?;
    Ok(side)
}
