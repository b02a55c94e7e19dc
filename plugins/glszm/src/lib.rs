//! Grey level size zone matrix (GLSZM) features, IBSI 1 section 3.8
//! (03_Image_features.rst, "Grey level size zone based features", *9SAK*).
//!
//! A zone is a group of linked voxels of equal discretised grey level
//! ([`zones::find_zones`]; linkage by Chebyshev distance
//! `texture.zone_linkage_distance`, default 1: 26-connectedness in 3D, 8-connectedness
//! in a slice). Element `s_ij` of the GLSZM counts the zones of grey level `i` and size
//! (number of voxels) `j`; `N_v` is the number of voxels of the intensity mask.
//!
//! Aggregation (IBSI *8QNN*, *62GR*, *KOBO*) is the shared one of [`radx_texture`]:
//! `2D` features per slice averaged over slices, `2_5D` the slice matrices summed (with
//! their `N_v`), `3D` one matrix of the volume.
//!
//! The zone finder ([`zones`]) and the sparse zone matrix with the 16 features shared with
//! the GLDZM ([`matrix`]) are radx-texture's (`radx_texture::zones`,
//! `radx_texture::zone_matrix`), re-exported here under their former paths.
//!
//! Must not: read files, discretise or implement texture aggregation itself (radx-process
//! and radx-texture do); a plugin computes its family's features from the
//! [`radx_core::FeatureInput`] it is given.

pub use radx_texture::zone_matrix as matrix;
pub use radx_texture::zones;

use radx_core::{FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo};
use radx_texture::{
    aggregate_neighbourhood, texture_levels, values_by_aggregation, LevelVolume,
    NeighbourhoodFamily, Outcome, Scope,
};

use matrix::{zone_features, ZoneMatrix, N_FEATURES};

/// The GLSZM features: `(tag name, IBSI identifier)`, in output order (the order of
/// [`matrix::zone_features`]).
///
/// * `sze` *5QRC* small zone emphasis, `Σ_j s_.j / j² / N_s`
/// * `lze` *48P8* large zone emphasis, `Σ_j j² s_.j / N_s`
/// * `lgze` *XMSY* low grey level zone emphasis, `Σ_i s_i. / i² / N_s`
/// * `hgze` *5GN9* high grey level zone emphasis, `Σ_i i² s_i. / N_s`
/// * `szlge` *5RAI* small zone low grey level emphasis, `Σ_ij s_ij / (i² j²) / N_s`
/// * `szhge` *HW1V* small zone high grey level emphasis, `Σ_ij i² s_ij / j² / N_s`
/// * `lzlge` *YH51* large zone low grey level emphasis, `Σ_ij j² s_ij / i² / N_s`
/// * `lzhge` *J17V* large zone high grey level emphasis, `Σ_ij i² j² s_ij / N_s`
/// * `glnu` *JNSA* grey level non-uniformity, `Σ_i s_i.² / N_s`
/// * `glnu_norm` *Y1RO* normalised grey level non-uniformity, `Σ_i s_i.² / N_s²`
/// * `zsnu` *4JP3* zone size non-uniformity, `Σ_j s_.j² / N_s`
/// * `zsnu_norm` *VB3A* normalised zone size non-uniformity, `Σ_j s_.j² / N_s²`
/// * `z_perc` *P30P* zone percentage, `N_s / N_v`
/// * `gl_var` *BYLV* grey level variance, `Σ_ij (i - μ)² p_ij`, `μ = Σ_ij i p_ij`,
///   `p_ij = s_ij / N_s`
/// * `zs_var` *3NSA* zone size variance, `Σ_ij (j - μ)² p_ij`, `μ = Σ_ij j p_ij`
/// * `zs_entr` *GU8N* zone size entropy, `-Σ_ij p_ij log2 p_ij`
pub const FEATURES: [(&str, &str); N_FEATURES] = [
    ("sze", "5QRC"),
    ("lze", "48P8"),
    ("lgze", "XMSY"),
    ("hgze", "5GN9"),
    ("szlge", "5RAI"),
    ("szhge", "HW1V"),
    ("lzlge", "YH51"),
    ("lzhge", "J17V"),
    ("glnu", "JNSA"),
    ("glnu_norm", "Y1RO"),
    ("zsnu", "4JP3"),
    ("zsnu_norm", "VB3A"),
    ("z_perc", "P30P"),
    ("gl_var", "BYLV"),
    ("zs_var", "3NSA"),
    ("zs_entr", "GU8N"),
];

/// The GLSZM as a non-directional texture family.
pub struct Glszm {
    /// Chebyshev distance within which voxels of equal grey level are linked.
    pub linkage: u32,
}

impl Glszm {
    /// The GLSZM of `vol` within `scope`: zones counted by grey level and size.
    pub fn matrix(&self, vol: &LevelVolume, scope: Scope) -> ZoneMatrix {
        let z = zones::find_zones(vol.levels, scope, self.linkage);
        let pairs = z
            .zone_level
            .iter()
            .copied()
            .zip(z.zone_size.iter().copied());
        ZoneMatrix::from_zones(pairs, z.n_voxels)
    }
}

impl NeighbourhoodFamily for Glszm {
    type Matrix = ZoneMatrix;
    fn build(&self, vol: &LevelVolume, scope: Scope) -> ZoneMatrix {
        self.matrix(vol, scope)
    }
    fn features(&self, m: &ZoneMatrix) -> Vec<Outcome> {
        zone_features(m)
    }
}

/// The aggregation tags the zone families can emit.
pub fn aggregation_tags() -> Vec<String> {
    radx_texture::NEIGHBOURHOOD_AGGREGATIONS
        .iter()
        .map(|s| s.to_string())
        .collect()
}

pub struct Plugin(PluginInfo);

pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "glszm".into(),
        prefix: "szm".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        features: FEATURES
            .iter()
            .map(|(n, id)| FeatureDef::new(n, id, "1"))
            .collect(),
        aggregations: aggregation_tags(),
    }))
}

impl FeaturePlugin for Plugin {
    fn info(&self) -> &PluginInfo {
        &self.0
    }
    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        let vol = texture_levels(input)?;
        let family = Glszm {
            linkage: input.settings.texture.zone_linkage_distance,
        };
        let aggregated = aggregate_neighbourhood(
            &family,
            &vol,
            &input.settings.texture.dimensions,
            N_FEATURES,
        );
        Ok(values_by_aggregation(aggregated, &FEATURES))
    }
}
