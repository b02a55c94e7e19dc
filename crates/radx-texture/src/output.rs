//! What every texture plugin does around its family: read the texture discretisation's
//! grey levels, and turn aggregated outcomes into named feature values.

use radx_core::{FeatureInput, FeatureValue, PluginError};

use crate::{Aggregated, LevelVolume};

/// The grey levels of the texture discretisation, or why they are unavailable (a missing
/// family with that reason).
pub fn texture_levels<'a>(input: &'a FeatureInput) -> Result<LevelVolume<'a>, PluginError> {
    let d = input
        .texture
        .as_ref()
        .map_err(|e| PluginError::Undefined(format!("the texture discretisation failed: {e}")))?;
    Ok(LevelVolume {
        levels: d.levels.view(),
        n_levels: d.n_levels,
    })
}

/// Feature values named by `features` (`(name, IBSI id)`), aggregation by aggregation:
/// every feature of the first aggregation, then of the next.
pub fn values_by_aggregation(
    aggregated: Vec<Aggregated>,
    features: &[(&str, &str)],
) -> Vec<FeatureValue> {
    let mut out = Vec::with_capacity(aggregated.len() * features.len());
    for (agg, values) in aggregated {
        for ((name, _), v) in features.iter().zip(values) {
            out.push(FeatureValue::outcome(name, Some(&agg), v));
        }
    }
    out
}

/// Feature values named by `features`, feature by feature (every aggregation of the first
/// feature, then of the next), the order of the IBSI reference tables. A feature an
/// aggregation did not produce is missing with an internal-error reason.
pub fn values_by_feature(
    aggregated: &[Aggregated],
    features: &[(&str, &str)],
) -> Vec<FeatureValue> {
    let mut out = Vec::with_capacity(features.len() * aggregated.len());
    for (k, (name, _)) in features.iter().enumerate() {
        for (agg, values) in aggregated {
            let v = values
                .get(k)
                .cloned()
                .unwrap_or_else(|| Err("internal error: feature missing".into()));
            out.push(FeatureValue::outcome(name, Some(agg), v));
        }
    }
    out
}
