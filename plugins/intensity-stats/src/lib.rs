//! radx built-in plugin: intensity-based statistical features, IBSI 1 section
//! "Intensity-based statistical features" (UHIW).
//!
//! The features describe the intensities `X_gl` of the voxels in the ROI *intensity* mask
//! (after re-segmentation), without discretisation, over the whole volume (DHQ4). The
//! formula of each feature is documented on [`Statistics`]; percentiles follow
//! [`percentile`].
//!
//! Must not: read files, discretise or implement texture aggregation itself (radx-process
//! and radx-texture do); a plugin computes its family's features from the
//! [`radx_core::FeatureInput`] it is given.

pub mod percentile;
mod stats;

pub use stats::{statistics, Statistics};

use radx_core::{FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo};

/// `(name, IBSI identifier, unit)` of every feature, in output order. The name is the
/// IBSI reference tag without the `stat_` prefix.
pub const FEATURES: [(&str, &str, &str); 18] = [
    ("mean", "Q4LE", "intensity"),
    ("var", "ECT3", "intensity^2"),
    ("skew", "KE2A", "1"),
    ("kurt", "IPH6", "1"),
    ("median", "Y12H", "intensity"),
    ("min", "1GSF", "intensity"),
    ("p10", "QG58", "intensity"),
    ("p90", "8DWT", "intensity"),
    ("max", "84IY", "intensity"),
    ("iqr", "SALO", "intensity"),
    ("range", "2OJQ", "intensity"),
    ("mad", "4FUA", "intensity"),
    ("rmad", "1128", "intensity"),
    ("medad", "N72L", "intensity"),
    ("cov", "7TET", "1"),
    ("qcod", "9S40", "1"),
    ("energy", "N8CA", "intensity^2"),
    ("rms", "5ZWQ", "intensity"),
];

pub struct Plugin(PluginInfo);

pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "intensity_stats".into(),
        prefix: "stat".into(),
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
        let values = input.roi.intensity_values();
        let mut s = statistics(&values).map_err(PluginError::Undefined)?;
        let shift = input.settings.conventions.energy_shift;
        if shift != 0.0 {
            s.shift_energy(&values, shift);
        }
        Ok(s.values()
            .into_iter()
            .map(|(name, v)| FeatureValue::outcome(name, None, v))
            .collect())
    }
}
