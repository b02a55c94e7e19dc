//! radx built-in plugin: intensity-volume histogram (IVH) features, IBSI 1 section
//! "Intensity-volume histogram features" (P88C).
//!
//! The cumulative IVH relates each grid intensity `i` of the total range `G` to the
//! fraction `ν` of the intensity-mask volume with intensity at least `i`; `γ` is the
//! fraction of `G` below `i`. How intensities, `G` and the interval `w_d` follow from
//! `[discretisation.ivh]` and the re-segmentation range is documented on
//! [`Ivh::from_input`]. Features are computed over the whole volume (DHQ4).
//!
//! Volume and intensity fractions are reported as fractions (0..1), not percent, as in
//! the IBSI reference values. The area under the IVH curve (9CMM) is not computed: the
//! manual gives it no reference value and says it should not be used.
//!
//! Must not: read files, discretise or implement texture aggregation itself (radx-process
//! and radx-texture do); a plugin computes its family's features from the
//! [`radx_core::FeatureInput`] it is given.

mod ivh;

pub use ivh::Ivh;

use radx_core::{FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo};

/// `(name, IBSI identifier, unit)` of every feature, in output order. The name is the
/// IBSI reference tag without the `ivh_` prefix. The manual gives one identifier per
/// definition: BC2M for every `V_x`, GBPN for every `I_x`.
pub const FEATURES: [(&str, &str, &str); 6] = [
    ("v10", "BC2M", "1"),
    ("v90", "BC2M", "1"),
    ("i10", "GBPN", "intensity"),
    ("i90", "GBPN", "intensity"),
    ("diff_v10_v90", "DDTU", "1"),
    ("diff_i10_i90", "CNV2", "intensity"),
];

pub struct Plugin(PluginInfo);

pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "ivh".into(),
        prefix: "ivh".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        features: FEATURES
            .iter()
            .map(|(name, id, unit)| FeatureDef::new(name, id, unit))
            .collect(),
        aggregations: vec![],
    }))
}

/// The six IVH features of `ivh`, in [`FEATURES`] order:
///
/// * `v10`, `v90` — volume at 10 % / 90 % intensity fraction, [`Ivh::volume_at_intensity_fraction`];
/// * `i10`, `i90` — intensity at 10 % / 90 % volume fraction, [`Ivh::intensity_at_volume_fraction`];
/// * `diff_v10_v90` (DDTU) — `V_10 - V_90`;
/// * `diff_i10_i90` (CNV2) — `I_10 - I_90`.
pub fn features(ivh: &Ivh) -> Vec<(&'static str, Result<f64, String>)> {
    let v = ivh.volumes_at_intensity_fractions(10, 90);
    let (i10, i90) = ivh.intensities_at_volume_fractions(10, 90);
    vec![
        ("v10", v.clone().map(|v| v.0)),
        ("v90", v.clone().map(|v| v.1)),
        ("i10", Ok(i10)),
        ("i90", Ok(i90)),
        ("diff_v10_v90", v.map(|(a, b)| a - b)),
        ("diff_i10_i90", Ok(i10 - i90)),
    ]
}

impl FeaturePlugin for Plugin {
    fn info(&self) -> &PluginInfo {
        &self.0
    }

    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        let ivh = Ivh::from_input(input).map_err(PluginError::Undefined)?;
        Ok(features(&ivh)
            .into_iter()
            .map(|(name, v)| FeatureValue::outcome(name, None, v))
            .collect())
    }
}
