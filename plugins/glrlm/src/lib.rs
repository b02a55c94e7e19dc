//! radx built-in plugin: grey level run length matrix (GLRLM) features, IBSI
//! 03_Image_features.rst "Grey level run length based features" (TP0I).
//!
//! For every requested aggregation (`2D_avg`, `2D_comb`, `2_5D_avg`, `2_5D_comb`,
//! `3D_avg`, `3D_comb`; settings `texture.dimensions` and `texture.direction_merging`)
//! the 16 features of [`features`] are computed by `radx_texture::aggregate_directional`
//! from run length matrices along the 4 in-plane or 13 volumetric directions. Merged
//! matrices sum their voxel counts `N_v` as well as their run counts, so that the run
//! percentage of a merged matrix is `N_s / (N_v x number of merged matrices)` as the
//! IBSI asks.
//!
//! Must not: read files, discretise or implement texture aggregation itself (radx-process
//! and radx-texture do); a plugin computes its family's features from the
//! [`radx_core::FeatureInput`] it is given.

pub mod features;
pub mod matrix;

use std::sync::Mutex;

use ndarray::ArrayView3;
use radx_core::{FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo};
use radx_texture::{
    aggregate_directional, texture_levels, values_by_feature, DirectionalFamily, LevelVolume,
    Outcome, Scope,
};

pub use features::{FEATURES, N_FEATURES};
pub use matrix::{build_glrlm, Entry, Glrlm, RankVolume};

/// The aggregation tags this family can emit.
pub const AGGREGATIONS: [&str; 6] = [
    "2D_avg",
    "2D_comb",
    "2_5D_avg",
    "2_5D_comb",
    "3D_avg",
    "3D_comb",
];

/// The GLRLM family for one level volume, prepared once for counting (grey levels
/// ranked, ROI extent of every row).
pub struct GlrlmFamily<'a> {
    source: ArrayView3<'a, u32>,
    prepared: RankVolume,
    /// Run-length scratch space, reused from one matrix to the next.
    scratch: Mutex<Vec<u32>>,
    force_sort: bool,
}

impl<'a> GlrlmFamily<'a> {
    /// The family for `vol`, prepared once here; [`DirectionalFamily::build`] reuses the
    /// preparation when it is given this same volume (and prepares any other volume anew).
    pub fn new(vol: &LevelVolume<'a>) -> Self {
        GlrlmFamily {
            source: vol.levels,
            prepared: RankVolume::new(&vol.levels, 1),
            scratch: Mutex::new(Vec::new()),
            force_sort: false,
        }
    }

    /// Counts runs by sorting even for few grey levels (to test both counting paths).
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

impl DirectionalFamily for GlrlmFamily<'_> {
    type Matrix = Glrlm;

    fn build(&self, vol: &LevelVolume, scope: Scope, direction: [isize; 3]) -> Glrlm {
        // The IBSI directions are unit steps; a longer step needs more padding.
        let reach = direction
            .iter()
            .map(|d| d.unsigned_abs())
            .max()
            .unwrap_or(0);
        let dim = vol.levels.dim();
        let pad = reach.min(dim.0.max(dim.1).max(dim.2)).max(1);
        // A poisoned lock only means another build panicked; the scratch holds no
        // state that a build relies on.
        let mut scratch = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_source(&vol.levels) && pad <= self.prepared.pad {
            build_glrlm(
                &self.prepared,
                scope,
                direction,
                &mut scratch,
                self.force_sort,
            )
        } else {
            let prepared = RankVolume::new(&vol.levels, pad);
            build_glrlm(&prepared, scope, direction, &mut scratch, self.force_sort)
        }
    }

    fn features(&self, m: &Glrlm) -> Vec<Outcome> {
        features::compute(m)
    }
}

/// The plugin.
pub struct Plugin(PluginInfo);

/// The GLRLM plugin (family `glrlm`, tag prefix `rlm`).
pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "glrlm".into(),
        prefix: "rlm".into(),
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
        let family = GlrlmFamily::new(&vol);
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
