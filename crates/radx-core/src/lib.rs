//! radx core: the data model every other crate speaks.
//!
//! * [`Grid`] — voxel geometry. Arrays are indexed `(z, y, x)` in C order; world
//!   coordinates at the I/O boundary are `(x, y, z)` in mm.
//! * [`Image`], [`Mask`], [`Roi`] — an image, a binary mask, and the IBSI region of
//!   interest with its separate intensity and morphological masks.
//! * [`Settings`] — the versioned, hashed settings manifest.
//! * [`FeaturePlugin`] and [`Registry`] — the feature-plugin contract.
//! * [`FeatureTable`] and [`Provenance`] — what an extraction produces.
//! * [`Discretised`] — the grey levels of an ROI, as feature plugins receive them (the
//!   discretisation itself is radx-process's).
//! * [`limits`] — the resource limits every size decided by settings or data is checked
//!   against before it is allocated.
//! * [`filter_spec::FilterSpec`] — the IBSI 2 convolutional filters a manifest can name
//!   (computed by the radx-filters crate).
//!
//! Must not: hold the numerics of one step (filters: radx-filters; discretisation and the
//! processing chain: radx-process; texture machinery: radx-texture), read or write files
//! (radx-io), or compare with reference values (radx-check).

pub mod discretised;
pub mod error;
pub mod filter_spec;
pub mod grid;
pub mod limits;
pub mod phantom;
pub mod plugin;
pub mod provenance;
pub mod settings;
pub mod table;
pub mod volume;

pub use discretised::Discretised;
pub use error::CoreError;
pub use filter_spec::FilterSpec;
pub use grid::Grid;
pub use limits::{Limit, LimitError, Limits};
pub use plugin::{
    FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo, PluginOrigin,
    Registry,
};
pub use provenance::{
    BuildIdentity, BuildInfo, DerivationRecord, Platform, PluginRecord, Provenance, RegionRecord,
    Request, Selection, TableRecord,
};
pub use settings::{Settings, SettingsError};
pub use table::{FeatureRow, FeatureTable};
pub use volume::{Image, Mask, Roi};

/// Version of this radx build, as written into provenance records.
pub const RADX_VERSION: &str = env!("CARGO_PKG_VERSION");
