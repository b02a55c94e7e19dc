//! radx: standardised, reproducible radiomics.
//!
//! This crate re-exports the public API of the workspace: the core model
//! ([`core`]), input and output ([`io`]), the processing chain ([`process`]), one-case
//! extraction with the built-in plugins ([`pipeline`]) and the checker ([`check`]).

pub use radx_check as check;
pub use radx_core as core;
pub use radx_io as io;
pub use radx_pipeline as pipeline;
pub use radx_process as process;

pub use radx_core::{
    FeatureInput, FeaturePlugin, FeatureTable, FeatureValue, Grid, Image, Mask, Provenance,
    Registry, Roi, Settings,
};
pub use radx_pipeline::{builtin_registry, extract, extract_files};
