//! radx built-in plugin: intensity histogram features, IBSI 1 section "Intensity
//! histogram features" (ZVCW).
//!
//! The features describe the discretised grey levels `X_d` of the voxels in the ROI
//! intensity mask (the `[discretisation.histogram]` method), over the whole volume
//! (DHQ4), through the histogram `H = {n_1, ..., n_Ng}` with every bin `1..=N_g` kept,
//! empty or not. Formulas are documented on [`HistogramFeatures`].
//!
//! Must not: read files, discretise or implement texture aggregation itself (radx-process
//! and radx-texture do); a plugin computes its family's features from the
//! [`radx_core::FeatureInput`] it is given.

mod histogram;

pub use histogram::{features, Histogram, HistogramFeatures};

use radx_core::{FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo};

/// `(name, IBSI identifier, unit)` of every feature, in output order. The name is the
/// IBSI reference tag without the `ih_` prefix.
///
/// The online manual (03_Image_features.rst) repeats 1PR8 (the minimum) for the 10th
/// percentile and gives GPMT for the 90th; the IBSI codes registered in DICOM (CID 7478)
/// are GPMT for the 10th and OZ0C for the 90th percentile, which radx uses.
pub const FEATURES: [(&str, &str, &str); 23] = [
    ("mean", "X6K6", "grey level"),
    ("var", "CH89", "grey level^2"),
    ("skew", "88K1", "1"),
    ("kurt", "C3I7", "1"),
    ("median", "WIFQ", "grey level"),
    ("min", "1PR8", "grey level"),
    ("p10", "GPMT", "grey level"),
    ("p90", "OZ0C", "grey level"),
    ("max", "3NCY", "grey level"),
    ("mode", "AMMC", "grey level"),
    ("iqr", "WR0O", "grey level"),
    ("range", "5Z3W", "grey level"),
    ("mad", "D2ZX", "grey level"),
    ("rmad", "WRZB", "grey level"),
    ("medad", "4RNL", "grey level"),
    ("cov", "CWYJ", "1"),
    ("qcod", "SLWD", "1"),
    ("entropy", "TLU2", "bit"),
    ("uniformity", "BJ5W", "1"),
    ("max_grad", "12CE", "voxels"),
    ("max_grad_g", "8E6O", "grey level"),
    ("min_grad", "VQB3", "voxels"),
    ("min_grad_g", "RHQZ", "grey level"),
];

pub struct Plugin(PluginInfo);

pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "intensity_histogram".into(),
        prefix: "ih".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        features: FEATURES
            .iter()
            .map(|(name, id, unit)| FeatureDef::new(name, id, unit))
            .collect(),
        aggregations: vec![],
    }))
}

impl FeaturePlugin for Plugin {
    fn info(&self) -> &PluginInfo {
        &self.0
    }

    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        let d = input.histogram.as_ref().map_err(|e| {
            PluginError::Undefined(format!("intensity histogram discretisation failed: {e}"))
        })?;
        let h = Histogram::from_levels(d.levels.iter(), d.n_levels);
        let f = features(&h).map_err(PluginError::Undefined)?;
        Ok(f.values()
            .into_iter()
            .map(|(name, v)| FeatureValue::outcome(name, None, v))
            .collect())
    }
}
