//! Grey level distance zone matrix (GLDZM) features, IBSI 1 section 3.9
//! (03_Image_features.rst, "Grey level distance zone based features", *VMDZ*).
//!
//! Zones are those of the GLSZM (radx-texture's [`radx_texture::zones`]: voxels of equal discretised grey level linked within
//! Chebyshev distance `texture.zone_linkage_distance`, found on the intensity mask). The
//! distance of a zone is the smallest distance to the ROI edge of its voxels, read from
//! a distance map of the *morphological* mask ([`distance`]: by default the Manhattan
//! distance, i.e. 6-connected erosions in 3D and 4-connected in-plane erosions in 2D,
//! with distance 1 for a voxel on the edge; `texture.gldzm_distance_norm`). Element
//! `d_ij` of the GLDZM counts the zones of grey level `i` at distance `j`; `N_v` is the
//! number of voxels of the intensity mask.
//!
//! For the `2D` and `2_5D` aggregations the distance map of each slice is computed
//! in-plane from that slice of the mask; for `3D` in the volume.
//!
//! The distance map is computed on the union of the morphological and intensity masks,
//! which is the morphological mask whenever the intensity mask lies inside it (as the
//! processing chain guarantees); the union keeps every zone at distance >= 1 otherwise.
//!
//! Must not: read files, discretise or implement texture aggregation itself (radx-process
//! and radx-texture do); a plugin computes its family's features from the
//! [`radx_core::FeatureInput`] it is given.

pub mod distance;

use ndarray::ArrayView3;
use radx_core::settings::DistanceNorm;
use radx_core::{FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo};
use radx_texture::zone_matrix::{zone_features, ZoneMatrix, N_FEATURES};
use radx_texture::zones::{bounding_box, find_zones_in, union_box, Zones};
use radx_texture::{
    aggregate_neighbourhood, texture_levels, values_by_aggregation, LevelVolume,
    NeighbourhoodFamily, Outcome, Scope,
};

/// The GLDZM features: `(tag name, IBSI identifier)`, in output order (the order of
/// [`radx_texture::zone_matrix::zone_features`]). With `d_ij` the GLDZM, `N_s = Σ d_ij`,
/// `d_i. = Σ_j d_ij`, `d_.j = Σ_i d_ij`, `p_ij = d_ij / N_s`:
///
/// * `sde` *0GBI* small distance emphasis, `Σ_j d_.j / j² / N_s`
/// * `lde` *MB4I* large distance emphasis, `Σ_j j² d_.j / N_s`
/// * `lgze` *S1RA* low grey level zone emphasis, `Σ_i d_i. / i² / N_s`
/// * `hgze` *K26C* high grey level zone emphasis, `Σ_i i² d_i. / N_s`
/// * `sdlge` *RUVG* small distance low grey level emphasis, `Σ_ij d_ij / (i² j²) / N_s`
/// * `sdhge` *DKNJ* small distance high grey level emphasis, `Σ_ij i² d_ij / j² / N_s`
/// * `ldlge` *A7WM* large distance low grey level emphasis, `Σ_ij j² d_ij / i² / N_s`
/// * `ldhge` *KLTH* large distance high grey level emphasis, `Σ_ij i² j² d_ij / N_s`
/// * `glnu` *VFT7* grey level non-uniformity, `Σ_i d_i.² / N_s`
/// * `glnu_norm` *7HP3* normalised grey level non-uniformity, `Σ_i d_i.² / N_s²`
/// * `zdnu` *V294* zone distance non-uniformity, `Σ_j d_.j² / N_s`
/// * `zdnu_norm` *IATH* normalised zone distance non-uniformity, `Σ_j d_.j² / N_s²`
/// * `z_perc` *VIWW* zone percentage, `N_s / N_v`
/// * `gl_var` *QK93* grey level variance, `Σ_ij (i - μ)² p_ij`, `μ = Σ_ij i p_ij`
/// * `zd_var` *7WT1* zone distance variance, `Σ_ij (j - μ)² p_ij`, `μ = Σ_ij j p_ij`
/// * `zd_entr` *GBDU* zone distance entropy, `-Σ_ij p_ij log2 p_ij`
pub const FEATURES: [(&str, &str); N_FEATURES] = [
    ("sde", "0GBI"),
    ("lde", "MB4I"),
    ("lgze", "S1RA"),
    ("hgze", "K26C"),
    ("sdlge", "RUVG"),
    ("sdhge", "DKNJ"),
    ("ldlge", "A7WM"),
    ("ldhge", "KLTH"),
    ("glnu", "VFT7"),
    ("glnu_norm", "7HP3"),
    ("zdnu", "V294"),
    ("zdnu_norm", "IATH"),
    ("z_perc", "VIWW"),
    ("gl_var", "QK93"),
    ("zd_var", "7WT1"),
    ("zd_entr", "GBDU"),
];

/// The GLDZM as a non-directional texture family.
pub struct Gldzm<'a> {
    /// The morphological ROI mask (same shape as the grey levels).
    pub morphological: ArrayView3<'a, bool>,
    /// Chebyshev distance within which voxels of equal grey level are linked.
    pub linkage: u32,
    /// Norm of the distance to the ROI edge.
    pub norm: DistanceNorm,
}

impl Gldzm<'_> {
    /// The zones of `vol` within `scope` and the distance map of the mask, in the zones'
    /// padded layout (the bounding box of the ROI voxels of both masks in the scope).
    pub fn zones_and_distances(&self, vol: &LevelVolume, scope: Scope) -> (Zones, Vec<u32>) {
        let bb = union_box(
            bounding_box(vol.levels, scope, |&l| l > 0),
            bounding_box(self.morphological, scope, |&m| m),
        );
        let zones = find_zones_in(vol.levels, scope, self.linkage, bb);
        let layout = zones.layout;
        let mut inside = layout.pad_copy(self.morphological, false);
        or_roi(&mut inside, &zones.levels);
        let dist = distance::distance_map(&layout, &inside, self.norm);
        (zones, dist)
    }

    /// The GLDZM of `vol` within `scope`: zones counted by grey level and distance.
    pub fn matrix(&self, vol: &LevelVolume, scope: Scope) -> ZoneMatrix {
        let (zones, dist) = self.zones_and_distances(vol, scope);
        let mut zone_dist = vec![u32::MAX; zones.zone_level.len()];
        for (&z, &d) in zones.zone.iter().zip(&dist) {
            if z != radx_texture::zones::NO_ZONE {
                let slot = &mut zone_dist[z as usize];
                *slot = (*slot).min(d);
            }
        }
        ZoneMatrix::from_zones(
            zones.zone_level.iter().copied().zip(zone_dist),
            zones.n_voxels,
        )
    }
}

/// `inside[i] |= levels[i] > 0` (a function of its own so that the loop vectorises).
#[inline(never)]
fn or_roi(inside: &mut [bool], levels: &[u32]) {
    for (m, &l) in inside.iter_mut().zip(levels) {
        *m |= l > 0;
    }
}

impl NeighbourhoodFamily for Gldzm<'_> {
    type Matrix = ZoneMatrix;
    fn build(&self, vol: &LevelVolume, scope: Scope) -> ZoneMatrix {
        self.matrix(vol, scope)
    }
    fn features(&self, m: &ZoneMatrix) -> Vec<Outcome> {
        zone_features(m)
    }
}

pub struct Plugin(PluginInfo);

pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "gldzm".into(),
        prefix: "dzm".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        features: FEATURES
            .iter()
            .map(|(n, id)| FeatureDef::new(n, id, "1"))
            .collect(),
        aggregations: radx_texture::NEIGHBOURHOOD_AGGREGATIONS
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }))
}

impl FeaturePlugin for Plugin {
    fn info(&self) -> &PluginInfo {
        &self.0
    }
    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        let vol = texture_levels(input)?;
        let morphological = input.roi.morphological.view();
        if morphological.dim() != vol.levels.dim() {
            return Err(PluginError::Failed(format!(
                "morphological mask shape {:?} differs from the grey level shape {:?}",
                morphological.dim(),
                vol.levels.dim()
            )));
        }
        let t = &input.settings.texture;
        let family = Gldzm {
            morphological,
            linkage: t.zone_linkage_distance,
            norm: t.gldzm_distance_norm,
        };
        let aggregated = aggregate_neighbourhood(&family, &vol, &t.dimensions, N_FEATURES);
        Ok(values_by_aggregation(aggregated, &FEATURES))
    }
}
