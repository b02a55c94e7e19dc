//! The checker: IBSI reference data (hash-checked against the project's manifest) and
//! compliance validation of radx against it.

pub mod compare;
/// IBSI compliance arithmetic (defined beside the reference values in radx-reference).
pub use radx_reference::compliance;
pub mod ibsi;
pub mod ibsi2;
pub mod pyradiomics;
pub mod reference;
pub mod sites;
pub mod stability;
pub mod table;

pub use ibsi::{validate, validate_set, SetReport, ValidationReport, IBSI_SETS};
pub use reference::{CheckError, ReferenceData};
