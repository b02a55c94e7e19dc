//! The IBSI reference data, through radx-reference: one reader, with every file checked
//! against its sha256 in `reference-data/ibsi.toml`.

use thiserror::Error;

pub use radx_reference::{
    read_ibsi1_table, read_ibsi2_table, DataSet, Ibsi2Row, ManifestEntry, ReferenceData,
    ReferenceError, ReferenceValue,
};

/// Errors of the checker.
#[derive(Debug, Error)]
pub enum CheckError {
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error("{path}: malformed reference table: {message}")]
    Malformed {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("unknown validation set `{0}`; sets: {1}")]
    UnknownSet(String, String),
    #[error(transparent)]
    Io(#[from] radx_io::IoError),
    #[error(transparent)]
    Pipeline(#[from] radx_pipeline::PipelineError),
    #[error("{0}")]
    Settings(#[from] radx_core::SettingsError),
}
