//! radx-check: radx checked against others.
//!
//! * [`ibsi`], [`ibsi2`] — IBSI 1 and IBSI 2 validation: radx run on the shipped phantoms
//!   and configurations, every value compared with the consensus through [`compliance`]
//!   (the reference data is read, hash-checked, by radx-reference; [`reference`]).
//! * [`compare`] — agreement of two radx long tables (or a radx and an imported table).
//! * [`pyradiomics`] — import of PyRadiomics batch CSVs as radx long values.
//! * [`pyradiomics_params`] — a PyRadiomics parameter file translated into a radx manifest
//!   with PyRadiomics' conventions, and the mapping table of its keys.
//! * [`table`] — the checker's view of radx-io's long-table reader and writer
//!   ([`compare::LongValue`]), and the PyRadiomics CSV reader.
//!
//! Must not: run a cohort (radx-batch, radx-stability), compute stability or site
//! statistics (radx-stability), or read images itself (radx-io).

pub mod compare;
/// IBSI compliance arithmetic (defined beside the reference values in radx-reference).
pub use radx_reference::compliance;
pub mod ibsi;
pub mod ibsi2;
pub mod pyradiomics;
pub mod pyradiomics_params;
pub mod reference;
pub mod table;

pub use ibsi::{validate, validate_set, SetReport, ValidationReport, IBSI_SETS};
pub use reference::{CheckError, ReferenceData};
