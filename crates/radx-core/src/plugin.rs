//! The feature-plugin contract and the registry of plugins.

use thiserror::Error;

use crate::{Discretised, Roi, Settings};

/// One feature a plugin computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureDef {
    /// Feature name as in IBSI tags, without family prefix or aggregation (e.g. `volume`).
    pub name: String,
    /// 4-character IBSI identifier (e.g. `RNU0`); empty for features the IBSI does not define.
    pub ibsi_id: String,
    /// Unit (`mm^3`, `mm`, `intensity`, `1` for dimensionless).
    pub unit: String,
}

impl FeatureDef {
    pub fn new(name: &str, ibsi_id: &str, unit: &str) -> Self {
        FeatureDef {
            name: name.into(),
            ibsi_id: ibsi_id.into(),
            unit: unit.into(),
        }
    }
}

/// What a plugin says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// Family name (e.g. `morphology`, `glcm`), as named in `[features] families`.
    pub family: String,
    /// Tag prefix of the IBSI reference tables (e.g. `morph`, `cm`).
    pub prefix: String,
    /// Plugin version.
    pub version: String,
    /// Every feature, in output order.
    pub features: Vec<FeatureDef>,
    /// Aggregation suffixes this family can emit (e.g. `2D_avg`); empty when the family
    /// has no aggregation.
    pub aggregations: Vec<String>,
}

/// One computed feature value; `value` is `None` exactly when `missing_reason` says why.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureValue {
    pub name: String,
    pub aggregation: Option<String>,
    pub value: Option<f64>,
    pub missing_reason: Option<String>,
}

impl FeatureValue {
    /// A value; a non-finite number is turned into a missing value that says so.
    pub fn number(name: &str, aggregation: Option<&str>, value: f64) -> Self {
        if value.is_finite() {
            FeatureValue {
                name: name.into(),
                aggregation: aggregation.map(Into::into),
                value: Some(value),
                missing_reason: None,
            }
        } else {
            Self::missing(
                name,
                aggregation,
                &format!("the computation gave a non-finite value ({value})"),
            )
        }
    }

    /// A missing value with its reason.
    pub fn missing(name: &str, aggregation: Option<&str>, reason: &str) -> Self {
        FeatureValue {
            name: name.into(),
            aggregation: aggregation.map(Into::into),
            value: None,
            missing_reason: Some(reason.into()),
        }
    }

    /// From a computation that may be undefined.
    pub fn outcome(name: &str, aggregation: Option<&str>, v: Result<f64, String>) -> Self {
        match v {
            Ok(x) => Self::number(name, aggregation, x),
            Err(r) => Self::missing(name, aggregation, &r),
        }
    }
}

/// Everything a plugin may read for one ROI.
pub struct FeatureInput<'a> {
    /// The processed ROI (after interpolation and re-segmentation).
    pub roi: &'a Roi,
    pub settings: &'a Settings,
    /// Discretisation for the intensity histogram, or why it failed.
    pub histogram: &'a Result<Discretised, String>,
    /// Discretisation for the texture matrices, or why it failed.
    pub texture: &'a Result<Discretised, String>,
    /// Discretisation for the intensity-volume histogram, or why it failed.
    pub ivh: &'a Result<Discretised, String>,
}

/// A plugin's failure for one ROI. The pipeline reports every feature of the family as
/// missing with this reason; other families are unaffected.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PluginError {
    #[error("{0}")]
    Undefined(String),
    #[error("plugin failure: {0}")]
    Failed(String),
}

/// Where a plugin's code comes from, for provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginOrigin {
    /// Compiled into radx.
    Builtin,
    /// A run-time library, pinned by its sha256.
    Library { path: String, sha256: String },
}

/// A feature family.
pub trait FeaturePlugin: Send + Sync {
    fn info(&self) -> &PluginInfo;
    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError>;
    /// Checks, before any plugin computes, that the arrays this plugin would build for
    /// `input` stay within `input.settings.limits` (see [`crate::limits`]). A refusal is an
    /// error of the case (nothing is computed for it), not a missing family. The default
    /// checks nothing: a plugin whose memory follows the ROI, or the discretisations
    /// (already checked), needs no more.
    fn check_limits(&self, input: &FeatureInput) -> Result<(), crate::LimitError> {
        let _ = input;
        Ok(())
    }
    /// Where the plugin comes from. Built-in plugins keep the default.
    fn origin(&self) -> PluginOrigin {
        PluginOrigin::Builtin
    }
}

/// The plugins available to an extraction, in computation order.
#[derive(Default)]
pub struct Registry {
    plugins: Vec<Box<dyn FeaturePlugin>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a plugin; a second plugin with the same family name is refused.
    pub fn register(&mut self, plugin: Box<dyn FeaturePlugin>) -> Result<(), String> {
        let family = plugin.info().family.clone();
        if self.get(&family).is_some() {
            return Err(format!(
                "a plugin for family `{family}` is already registered"
            ));
        }
        self.plugins.push(plugin);
        Ok(())
    }

    pub fn plugins(&self) -> impl Iterator<Item = &dyn FeaturePlugin> {
        self.plugins.iter().map(|p| p.as_ref())
    }

    /// The plugins an extraction with `settings` runs: built-in families named in
    /// `[features] families`, and every run-time plugin (the manifest names each one).
    pub fn selected<'a>(
        &'a self,
        settings: &'a Settings,
    ) -> impl Iterator<Item = &'a dyn FeaturePlugin> + 'a {
        self.plugins().filter(move |p| {
            p.origin() != PluginOrigin::Builtin
                || settings
                    .features
                    .families
                    .iter()
                    .any(|f| f == &p.info().family)
        })
    }

    pub fn get(&self, family: &str) -> Option<&dyn FeaturePlugin> {
        self.plugins().find(|p| p.info().family == family)
    }
}
