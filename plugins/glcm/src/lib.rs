//! radx built-in plugin: grey level co-occurrence matrix (GLCM) features, IBSI
//! 03_Image_features.rst "Grey level co-occurrence based features" (LFYI).
//!
//! For every requested aggregation (`2D_avg`, `2D_comb`, `2_5D_avg`, `2_5D_comb`,
//! `3D_avg`, `3D_comb`; settings `texture.dimensions` and `texture.direction_merging`)
//! the 25 features of [`features`] are computed by `radx_texture::aggregate_directional`
//! from matrices counted along the 4 in-plane or 13 volumetric directions.
//!
//! Settings: `texture.glcm_distance` is the Chebyshev distance `delta` (the neighbour of a
//! voxel along direction `m` is the voxel at `delta * m`); `texture.glcm_symmetric`
//! (default `true`, as the IBSI) counts each pair in both orders, `M = M(+m) + M(+m)^T`.
//! `N_g` in the normalised inverse differences is the number of grey levels of the
//! texture discretisation (`Discretised::n_levels`); the features use the grey levels
//! themselves, so levels absent from the ROI simply contribute nothing.
//!
//! Must not: read files, discretise or implement texture aggregation itself (radx-process
//! and radx-texture do); a plugin computes its family's features from the
//! [`radx_core::FeatureInput`] it is given.

pub mod features;
pub mod matrix;

use ndarray::ArrayView3;
use radx_core::settings::TextureSettings;
use radx_core::{FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo};
use radx_texture::{
    aggregate_directional, texture_levels, values_by_feature, DirectionalFamily, LevelVolume,
    Outcome, Scope,
};

pub use features::{FEATURES, N_FEATURES};
pub use matrix::{build_glcm, Entry, Glcm, RankVolume};

/// The aggregation tags this family can emit.
pub const AGGREGATIONS: [&str; 6] = [
    "2D_avg",
    "2D_comb",
    "2_5D_avg",
    "2_5D_comb",
    "3D_avg",
    "3D_comb",
];

/// The GLCM family for one level volume: the volume prepared once for counting (grey
/// levels ranked, ROI extent of every row), the number of grey levels of the
/// discretisation and the GLCM settings.
pub struct GlcmFamily<'a> {
    source: ArrayView3<'a, u32>,
    prepared: RankVolume,
    n_g: f64,
    distance: isize,
    symmetric: bool,
    force_sort: bool,
}

impl<'a> GlcmFamily<'a> {
    /// The family for `vol`, prepared once here; [`DirectionalFamily::build`] reuses the
    /// preparation when it is given this same volume (and prepares any other volume anew).
    pub fn new(vol: &LevelVolume<'a>, distance: u32, symmetric: bool) -> Self {
        GlcmFamily {
            source: vol.levels,
            prepared: RankVolume::new(&vol.levels, 0),
            n_g: vol.n_levels.max(1) as f64,
            distance: distance as isize,
            symmetric,
            force_sort: false,
        }
    }

    /// From the texture settings.
    pub fn from_settings(vol: &LevelVolume<'a>, t: &TextureSettings) -> Self {
        Self::new(vol, t.glcm_distance, t.glcm_symmetric)
    }

    /// Counts pairs by sorting even for few grey levels (to test both counting paths).
    #[doc(hidden)]
    pub fn with_sorted_counting(mut self) -> Self {
        self.force_sort = true;
        self
    }

    fn is_source(&self, levels: &ArrayView3<u32>) -> bool {
        levels.as_ptr() == self.source.as_ptr()
            && levels.dim() == self.source.dim()
            && levels.strides() == self.source.strides()
    }
}

impl DirectionalFamily for GlcmFamily<'_> {
    type Matrix = Glcm;

    fn build(&self, vol: &LevelVolume, scope: Scope, direction: [isize; 3]) -> Glcm {
        let offset = direction.map(|d| d * self.distance);
        let build = |p: &RankVolume| build_glcm(p, scope, offset, self.symmetric, self.force_sort);
        if self.is_source(&vol.levels) {
            build(&self.prepared)
        } else {
            build(&RankVolume::new(&vol.levels, 0))
        }
    }

    fn features(&self, m: &Glcm) -> Vec<Outcome> {
        features::compute(m, self.n_g)
    }
}

/// The plugin.
pub struct Plugin(PluginInfo);

/// The GLCM plugin (family `glcm`, tag prefix `cm`).
pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "glcm".into(),
        prefix: "cm".into(),
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
        let family = GlcmFamily::from_settings(&vol, t);
        let aggregated = aggregate_directional(
            &family,
            &vol,
            &t.dimensions,
            &t.direction_merging,
            N_FEATURES,
        );
        Ok(values_by_feature(&aggregated, &FEATURES))
    }
}
