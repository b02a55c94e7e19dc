//! Placeholder: being written.
use radx_core::{FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo};

pub struct Plugin(PluginInfo);

pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "intensity_stats".into(),
        prefix: "intensity_stats".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        features: vec![],
        aggregations: vec![],
    }))
}

impl FeaturePlugin for Plugin {
    fn info(&self) -> &PluginInfo {
        &self.0
    }
    fn compute(&self, _input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        Err(PluginError::Failed("not implemented yet".into()))
    }
}
