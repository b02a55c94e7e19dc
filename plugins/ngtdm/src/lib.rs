//! radx built-in plugin: neighbourhood grey tone difference matrix (NGTDM) features,
//! IBSI 1 section "Neighbourhood grey tone difference based features" (IPET).
//!
//! For every ROI voxel `k` with grey level `i`, the mean grey level `X̄_k` of its ROI
//! neighbours within Chebyshev distance `δ` (`texture.ngtdm_distance`; centre excluded;
//! in-plane for 2D, volumetric for 3D) is compared with `i`: `s_i = Σ_k |i - X̄_k|`, and
//! `n_i` counts those voxels. A voxel without any ROI neighbour is not counted. Features
//! are computed from `p_i = n_i / N_v,c` and `s_i` (see [`features`]).
//!
//! Aggregations (shared [`radx_texture::aggregate_neighbourhood`]): `2D` (features per
//! slice, averaged: 8QNN), `2_5D` (slice matrices merged by summing `s_i` and `n_i`, then
//! `p_i` recomputed: 62GR), `3D` (one volumetric matrix: KOBO).
//!
//! Must not: read files, discretise or implement texture aggregation itself (radx-process
//! and radx-texture do); a plugin computes its family's features from the
//! [`radx_core::FeatureInput`] it is given.

mod features;
mod matrix;

pub use features::features;
pub use matrix::{build, NgtdmMatrix};

use radx_core::{FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo};
use radx_texture::{
    aggregate_neighbourhood, texture_levels, values_by_aggregation, LevelVolume,
    NeighbourhoodFamily, Outcome, Scope,
};

/// `(name, IBSI identifier)` of every feature, in output order; every feature is
/// dimensionless.
pub const FEATURES: [(&str, &str); 5] = [
    ("coarseness", "QCDE"),
    ("contrast", "65HE"),
    ("busyness", "NQ30"),
    ("complexity", "HDEZ"),
    ("strength", "1X9X"),
];

/// Aggregation tags this family can emit.
pub const AGGREGATIONS: [&str; 3] = radx_texture::NEIGHBOURHOOD_AGGREGATIONS;

/// The NGTDM family at Chebyshev distance `delta`, for the shared aggregation.
#[derive(Debug, Clone, Copy)]
pub struct Ngtdm {
    pub delta: u32,
}

impl NeighbourhoodFamily for Ngtdm {
    type Matrix = NgtdmMatrix;

    fn build(&self, vol: &LevelVolume, scope: Scope) -> NgtdmMatrix {
        build(vol, scope, self.delta)
    }

    fn features(&self, matrix: &NgtdmMatrix) -> Vec<Outcome> {
        features(matrix)
    }
}

pub struct Plugin(PluginInfo);

pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "ngtdm".into(),
        prefix: "ngt".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        features: FEATURES
            .iter()
            .map(|(name, id)| FeatureDef::new(name, id, "1"))
            .collect(),
        aggregations: AGGREGATIONS.iter().map(|s| s.to_string()).collect(),
    }))
}

impl FeaturePlugin for Plugin {
    fn info(&self) -> &PluginInfo {
        &self.0
    }

    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        let vol = texture_levels(input)?;
        let t = &input.settings.texture;
        let family = Ngtdm {
            delta: t.ngtdm_distance,
        };
        let aggregated = aggregate_neighbourhood(&family, &vol, &t.dimensions, FEATURES.len());
        Ok(values_by_aggregation(aggregated, &FEATURES))
    }
}
