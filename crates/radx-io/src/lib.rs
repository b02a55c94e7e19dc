//! radx-io: every reader and writer of images, masks and tables.
//!
//! * Images and masks in: NIfTI ([`read_image`], [`read_mask`]), NRRD ([`nrrd`]), DICOM
//!   series, RTSTRUCT and SEG ([`dicom`]); [`formats`] recognises a file's format by its
//!   content and dispatches ([`read_image_any`], [`load_mask_any`]). Every reader returns
//!   radx-core types on the project's conventions (arrays `(z, y, x)`, world coordinates
//!   RAS in mm) and checks sizes against [`guard`] before it allocates.
//! * Images out: NIfTI ([`write_nifti_image`], response maps) and NRRD.
//! * Tables in and out ([`tables`]): the long feature table (CSV, JSON) and its provenance
//!   sidecar, strict CSV reading (radx long tables, PyRadiomics batch tables), and
//!   [`write_atomic`], the one way radx writes a file that a later run trusts.
//!
//! Every error is an [`IoError`] that names the file and the problem; no input makes a
//! reader panic.
//!
//! Must not: process images (interpolation, filters, features: radx-process and the
//! plugins), or know about cohorts, batches or the checker's statistics.

pub mod dicom;
pub mod formats;
pub mod guard;
mod nifti_reader;
mod nifti_writer;
pub mod nrrd;
pub mod regions;
pub mod tables;
pub mod wide;
mod writers;

use std::path::{Path, PathBuf};

use thiserror::Error;

pub use dicom::{
    list_segments, list_series, read_rtstruct, read_seg_mask, read_series, Contour, DicomSeries,
    RtStruct, SegmentInfo, SeriesInfo, SeriesOptions, SeriesSummary, StructureRoi, SuvInfo,
    SuvType,
};
pub use formats::{
    detect_format, load_mask_any, read_image_any, read_label_map, read_mask_any, Format,
    ImageOptions, LoadedImage, LoadedMask, MaskSelection, MaskTarget, NativeLabelMap, RoiSelector,
    VolumeChoice, SEG_FRACTION_THRESHOLD,
};
pub use nifti_reader::{read_image, read_image_volume, read_mask, select_labels, MaskSelector};
pub use nifti_writer::{write_nifti_image, write_nifti_map, write_nifti_volumes};
pub use nrrd::{read_nrrd, read_nrrd_image, write_nrrd_image, write_nrrd_mask, NrrdEncoding};
pub use regions::{load_masks_any, near_miss, MaskRequest};
pub use tables::{
    read_csv, read_long_table, table_to_csv, CsvOptions, CsvTable, CsvText, LongTable, CSV_HEADER,
};
pub use writers::{
    provenance_path, sha256_hex, table_to_json, write_atomic, write_outputs, write_text_outputs,
    OutputFormat,
};

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

/// An [`IoError::Invalid`] naming `path`.
pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> IoError {
    IoError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// An [`IoError::Unsupported`] naming `path`.
pub(crate) fn unsupported(path: &Path, message: impl Into<String>) -> IoError {
    IoError::Unsupported {
        path: path.into(),
        message: message.into(),
    }
}
