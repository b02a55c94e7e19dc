//! The reference data radx ships in `reference-data/`, and the one way to read it.
//!
//! * [`locate`] finds a data folder: a `--reference-data` / `--cohort-data` argument, else
//!   `$RADX_REFERENCE_DATA` / `$RADX_COHORT_DATA`, else the `reference-data/` folder of the
//!   checkout that holds the running binary, else the one of the workspace this crate was
//!   built from. A folder that is not there is an error listing where it looked.
//! * [`ReferenceData`] pairs a folder with its manifest (`reference-data/ibsi.toml`,
//!   `reference-data/sts-mini.toml`: path, source, licence and sha256 of every file) and hands
//!   out a file's path only after the file's sha256 matched; a changed byte is an error naming
//!   the file.
//! * [`tables`] reads the IBSI 1 and IBSI 2 reference tables strictly: a malformed row is an
//!   error naming the file and line, never skipped.
//!
//! * [`compliance`] is the rule that says whether a computed value matches a reference value
//!   (rounding to the published significant digits, tolerance). It lives here, beside the
//!   values, so that test support can apply it without the pipeline; radx-check re-exports
//!   it as `radx_check::compliance`.
//!
//! This crate only finds, verifies and parses reference data and states the compliance
//! rule; it must not compute features or run validations (radx-check's job).

pub mod compliance;
pub mod locate;
pub mod manifest;
pub mod tables;

use std::path::PathBuf;

use thiserror::Error;

pub use locate::{locate, DataSet};
pub use manifest::{sha256_file, ManifestEntry, ReferenceData};
pub use tables::{read_ibsi1_table, read_ibsi2_table, Ibsi2Row, ReferenceValue};

/// Errors finding, checking or reading reference data.
#[derive(Debug, Error)]
pub enum ReferenceError {
    /// No folder of the data set was found.
    #[error("{what} not found; looked in:\n{looked}\n{hint}")]
    NotFound {
        what: &'static str,
        looked: String,
        hint: String,
    },
    /// A file the manifest lists is not in the folder.
    #[error("{path}: reference file not found in {dir} (point {var} or {flag} at the folder holding the data)")]
    Missing {
        path: PathBuf,
        dir: PathBuf,
        var: &'static str,
        flag: &'static str,
    },
    /// A file's bytes differ from the manifest's sha256.
    #[error("{path}: sha256 {found} differs from the manifest's {expected}: the reference file was changed or is a different version")]
    HashMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },
    /// A path the manifest does not list.
    #[error("{0}: not listed in the reference data manifest")]
    NotInManifest(String),
    /// A reference table that does not parse.
    #[error("{path}: malformed reference table: {message}")]
    Malformed { path: PathBuf, message: String },
    /// A file that could not be read.
    #[error("{path}: {message}")]
    Read { path: PathBuf, message: String },
}
