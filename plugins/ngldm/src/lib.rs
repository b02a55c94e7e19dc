//! radx built-in plugin: neighbouring grey level dependence matrix (NGLDM) features,
//! IBSI 1 section "Neighbouring grey level dependence based features" (REK0).
//!
//! Every ROI voxel `k` of grey level `i` is the centre of a Chebyshev neighbourhood of
//! radius `δ` (`texture.ngldm_distance`; in-plane for 2D, volumetric for 3D). Its
//! dependence count `j_k` is 1 (the centre itself) plus the number of neighbours inside
//! the ROI whose grey level differs from `i` by at most `α` (`texture.ngldm_alpha`);
//! neighbours outside the ROI are ignored. `s_ij` counts the voxels with grey level `i`
//! and dependence `j`. Features: see [`features`].
//!
//! Aggregations (shared [`radx_texture::aggregate_neighbourhood`]): `2D` (features per
//! slice, averaged: 8QNN), `2_5D` (slice matrices summed element-wise, with `N_v`: 62GR),
//! `3D` (one volumetric matrix: KOBO).
//!
//! Must not: read files, discretise or implement texture aggregation itself (radx-process
//! and radx-texture do); a plugin computes its family's features from the
//! [`radx_core::FeatureInput`] it is given.

mod features;
mod matrix;

pub use features::features;
pub use matrix::{build, NgldmMatrix};

use radx_core::settings::TextureDimension;
use radx_core::{
    FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, Limit, LimitError, PluginError,
    PluginInfo,
};
use radx_texture::{
    aggregate_neighbourhood, texture_levels, values_by_aggregation, LevelVolume,
    NeighbourhoodFamily, Outcome, Scope,
};

/// `(name, IBSI identifier)` of every feature, in output order; every feature is
/// dimensionless.
pub const FEATURES: [(&str, &str); 17] = [
    ("lde", "SODN"),
    ("hde", "IMOQ"),
    ("lgce", "TL9H"),
    ("hgce", "OAE7"),
    ("ldlge", "EQ3F"),
    ("ldhge", "JA6D"),
    ("hdlge", "NBZI"),
    ("hdhge", "9QMG"),
    ("glnu", "FP8K"),
    ("glnu_norm", "5SPA"),
    ("dcnu", "Z87G"),
    ("dcnu_norm", "OKJI"),
    ("dc_perc", "6XV8"),
    ("gl_var", "1PFV"),
    ("dc_var", "DNX2"),
    ("dc_entr", "FCBV"),
    ("dc_energy", "CAS9"),
];

/// Aggregation tags this family can emit.
pub const AGGREGATIONS: [&str; 3] = radx_texture::NEIGHBOURHOOD_AGGREGATIONS;

/// The NGLDM family at Chebyshev distance `delta` with coarseness `alpha`, for the
/// shared aggregation.
#[derive(Debug, Clone, Copy)]
pub struct Ngldm {
    pub delta: u32,
    pub alpha: u32,
}

impl NeighbourhoodFamily for Ngldm {
    type Matrix = NgldmMatrix;

    fn build(&self, vol: &LevelVolume, scope: Scope) -> NgldmMatrix {
        build(vol, scope, self.delta, self.alpha)
    }

    fn features(&self, matrix: &NgldmMatrix) -> Vec<Outcome> {
        features(matrix)
    }
}

pub struct Plugin(PluginInfo);

pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "ngldm".into(),
        prefix: "ngl".into(),
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

    /// The dense matrix holds `N_g x N_d` counts, `N_d` the largest dependence count:
    /// at most the neighbourhood box `(2 δ + 1)^3` (3D; `(2 δ + 1)^2` in-plane) and the ROI's
    /// voxel count. That bound, with `N_g` the texture grey levels, must be within
    /// `limits.max_matrix_cells`.
    fn check_limits(&self, input: &FeatureInput) -> Result<(), LimitError> {
        let Ok(d) = input.texture.as_ref() else {
            // Undefined discretisation: the features are missing, nothing is built.
            return Ok(());
        };
        let t = &input.settings.texture;
        let n_voxels = d.levels.iter().filter(|&&l| l > 0).count() as u128;
        let side = 2 * t.ngldm_distance as u128 + 1;
        let in_3d = t.dimensions.contains(&TextureDimension::D3);
        let box_size = if in_3d { side.pow(3) } else { side.pow(2) };
        let cells = d.n_levels as u128 * box_size.min(n_voxels);
        input.settings.limits.check(
            Limit::MatrixCells,
            &format!(
                "ngldm with texture.ngldm_distance = {} on {} texture grey levels and {n_voxels} \
                 ROI voxels (a matrix of grey levels x dependence counts)",
                t.ngldm_distance, d.n_levels
            ),
            cells,
        )
    }

    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        self.check_limits(input)
            .map_err(|e| PluginError::Failed(e.to_string()))?;
        let vol = texture_levels(input)?;
        let t = &input.settings.texture;
        let family = Ngldm {
            delta: t.ngldm_distance,
            alpha: t.ngldm_alpha,
        };
        let aggregated = aggregate_neighbourhood(&family, &vol, &t.dimensions, FEATURES.len());
        Ok(values_by_aggregation(aggregated, &FEATURES))
    }
}
