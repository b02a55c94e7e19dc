//! A plugin for the host's tests. Its setting `mode` chooses: `"panic"` panics inside
//! compute, `"short"` returns one value fewer than it declares, `"discretisation"` returns
//! what it received about the texture discretisation (the settings' bin count or bin
//! width, and the bin width of the ROI's texture grey levels), anything else returns the
//! ROI voxel count.

use radx_core::{FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo};

pub struct Faulty(PluginInfo);

impl Faulty {
    fn new() -> Self {
        Faulty(PluginInfo {
            family: "faulty".into(),
            prefix: "faulty".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            features: vec![
                FeatureDef::new("voxels", "", "1"),
                FeatureDef::new("twice_voxels", "", "1"),
            ],
            aggregations: Vec::new(),
        })
    }
}

impl FeaturePlugin for Faulty {
    fn info(&self) -> &PluginInfo {
        &self.0
    }
    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        let settings = radx_plugin_sdk::plugin_settings_json();
        let n = input.roi.morphological_count() as f64;
        if settings.contains("\"panic\"") {
            panic!("deliberate panic for the test");
        }
        if settings.contains("\"discretisation\"") {
            let setting = match input.settings.discretisation.texture {
                radx_core::settings::Discretisation::Fbn { bins } => bins as f64,
                radx_core::settings::Discretisation::Fbs { bin_width, .. } => bin_width,
                radx_core::settings::Discretisation::None => 0.0,
            };
            let width = input
                .texture
                .as_ref()
                .map(|d| d.bin_width)
                .map_err(|e| PluginError::Failed(e.clone()))?;
            return Ok(vec![
                FeatureValue::number("voxels", None, setting),
                FeatureValue::number("twice_voxels", None, width),
            ]);
        }
        let mut v = vec![
            FeatureValue::number("voxels", None, n),
            FeatureValue::number("twice_voxels", None, 2.0 * n),
        ];
        if settings.contains("\"short\"") {
            v.pop();
        }
        Ok(v)
    }
}

radx_plugin_sdk::export_plugin!(Faulty::new());
