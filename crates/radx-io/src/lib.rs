//! Readers and writers: NIfTI images and masks in, feature tables, provenance and NIfTI
//! images (response maps) out.
//! Every error names the file it concerns.

pub mod guard;
mod nifti_reader;
mod nifti_writer;
pub mod tables;
mod writers;

use std::path::{Path, PathBuf};

use thiserror::Error;

pub use nifti_reader::{read_image, read_mask, select_labels, MaskSelector};
pub use nifti_writer::{write_nifti_image, write_nifti_map};
pub use tables::{
    read_csv, read_long_table, table_to_csv, CsvOptions, CsvTable, CsvText, LongTable, CSV_HEADER,
};
pub use writers::{provenance_path, table_to_json, write_outputs, OutputFormat};

/// An input or output error, naming the file.
#[derive(Debug, Error)]
pub enum IoError {
    #[error("{path}: file not found")]
    NotFound { path: PathBuf },
    #[error("{path}: cannot read: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path}: not a NIfTI-1 file (.nii or .nii.gz): {message}")]
    NotNifti { path: PathBuf, message: String },
    #[error("{path}: file is truncated or corrupt: {message}")]
    Truncated { path: PathBuf, message: String },
    #[error("{path}: unsupported data: {message}")]
    Unsupported { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: cannot write: {message}")]
    Write { path: PathBuf, message: String },
}

/// Lowercase hex sha256 of a file's bytes.
pub fn sha256_file(path: &Path) -> Result<String, IoError> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| IoError::Read {
            path: path.into(),
            message: e.to_string(),
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(radx_core::settings::hex(&hasher.finalize()))
}

pub(crate) fn open_error(path: &Path, e: std::io::Error) -> IoError {
    if e.kind() == std::io::ErrorKind::NotFound {
        IoError::NotFound { path: path.into() }
    } else {
        IoError::Read {
            path: path.into(),
            message: e.to_string(),
        }
    }
}
