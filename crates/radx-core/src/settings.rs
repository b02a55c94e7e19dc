//! The settings manifest (schema version 1).
//!
//! A manifest is a TOML file whose first key is `radx_settings = 1`. Every section is
//! optional; a missing key takes the documented default. Unknown keys and impossible
//! values are errors naming the key and the file. The canonical form of a manifest is
//! the TOML serialisation of the fully populated [`Settings`] (every default filled in,
//! keys in a fixed order); its sha256 is the *settings id*.
//!
//! Later schema versions add sections with defaults that reproduce version 1
//! behaviour, so a version 1 file keeps its meaning.
//!
//! # Convolutional filters (`[filters]`, IBSI 2)
//!
//! Each entry of `[[filters.maps]]` names one filter (see [`FilterSpec`] for every type
//! and parameter); each produces a *response map* on which features are computed as well,
//! in rows whose `image` label is the filter's canonical name (e.g. `log_s1.5mm_3d`):
//!
//! ```toml
//! [filters]
//! families = ["intensity_stats", "intensity_histogram"]   # default: see below
//!
//! [[filters.maps]]
//! type = "log"
//! sigma_mm = 1.5
//! dimensions = "3d"          # "2d": every axial slice on its own; default "3d"
//! boundary = "mirror"        # zero | nearest | periodic | mirror (default)
//!
//! [[filters.maps]]
//! type = "wavelet"
//! family = "db3"
//! subband = "LLH"
//! rotation_invariant = true
//! ```
//!
//! The chain follows the IBSI 2 reference manual: the image is rounded and interpolated as
//! for the original image, then filtered; the intensity mask is the one re-segmented on the
//! *unfiltered* (interpolated) intensities, and the features of a response map are
//! computed on the response values inside that mask.
//!
//! * `families`: the feature families computed on every response map. Default: the
//!   `[features] families` without `morphology` (the shape of the ROI does not depend on
//!   intensities, so morphology never runs on a response map and may not be named here).
//!   The default is written out in the canonical form.
//! * `[filters.discretisation.*]`: discretisation of the response maps (histogram,
//!   texture, IVH), with the keys of `[discretisation.*]`. Default: the same as
//!   `[discretisation]` (written out in the canonical form). Response values are not in
//!   image units, so fixed bin numbers usually suit them better than fixed bin sizes.
//! * `[filters.resegmentation]`: an optional range (`min`, `max`) and outlier
//!   (`outlier_sd`) re-segmentation applied to the response values, on top of the
//!   intensity mask. Default: none (IBSI 2).
//!
//! Without `[filters]` (the default) the canonical form does not mention the section, so
//! its introduction changed no existing settings id.

use std::path::Path;

pub use crate::filter_spec::FilterSpec;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The newest schema version this build reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Every built-in feature family, in computation order.
pub const BUILTIN_FAMILIES: &[&str] = &[
    "morphology",
    "local_intensity",
    "intensity_stats",
    "intensity_histogram",
    "ivh",
    "glcm",
    "glrlm",
    "glszm",
    "gldzm",
    "ngtdm",
    "ngldm",
];

/// Named presets shipped with radx: `(name, manifest text)`.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "ibsi-digital-phantom",
        include_str!("../presets/ibsi-digital-phantom.toml"),
    ),
    (
        "ibsi-config-a",
        include_str!("../presets/ibsi-config-a.toml"),
    ),
    (
        "ibsi-config-b",
        include_str!("../presets/ibsi-config-b.toml"),
    ),
    (
        "ibsi-config-c",
        include_str!("../presets/ibsi-config-c.toml"),
    ),
    (
        "ibsi-config-d",
        include_str!("../presets/ibsi-config-d.toml"),
    ),
    (
        "ibsi-config-e",
        include_str!("../presets/ibsi-config-e.toml"),
    ), // IBSI 2 phase 2 (CT phantom, configurations 1.A ... 9.B), then the phase 1 filter
    // tests (digital phantoms, for `radx filter`).
    ("ibsi2-1a", include_str!("../presets/ibsi2-1a.toml")),
    ("ibsi2-1b", include_str!("../presets/ibsi2-1b.toml")),
    ("ibsi2-2a", include_str!("../presets/ibsi2-2a.toml")),
    ("ibsi2-2b", include_str!("../presets/ibsi2-2b.toml")),
    ("ibsi2-3a", include_str!("../presets/ibsi2-3a.toml")),
    ("ibsi2-3b", include_str!("../presets/ibsi2-3b.toml")),
    ("ibsi2-4a", include_str!("../presets/ibsi2-4a.toml")),
    ("ibsi2-4b", include_str!("../presets/ibsi2-4b.toml")),
    ("ibsi2-5a", include_str!("../presets/ibsi2-5a.toml")),
    ("ibsi2-5b", include_str!("../presets/ibsi2-5b.toml")),
    ("ibsi2-6a", include_str!("../presets/ibsi2-6a.toml")),
    ("ibsi2-6b", include_str!("../presets/ibsi2-6b.toml")),
    ("ibsi2-7a", include_str!("../presets/ibsi2-7a.toml")),
    ("ibsi2-7b", include_str!("../presets/ibsi2-7b.toml")),
    ("ibsi2-8a", include_str!("../presets/ibsi2-8a.toml")),
    ("ibsi2-8b", include_str!("../presets/ibsi2-8b.toml")),
    ("ibsi2-9a", include_str!("../presets/ibsi2-9a.toml")),
    ("ibsi2-9b", include_str!("../presets/ibsi2-9b.toml")),
    (
        "ibsi2-phase1-1a1",
        include_str!("../presets/ibsi2-phase1-1a1.toml"),
    ),
    (
        "ibsi2-phase1-1a2",
        include_str!("../presets/ibsi2-phase1-1a2.toml"),
    ),
    (
        "ibsi2-phase1-1a3",
        include_str!("../presets/ibsi2-phase1-1a3.toml"),
    ),
    (
        "ibsi2-phase1-1a4",
        include_str!("../presets/ibsi2-phase1-1a4.toml"),
    ),
    (
        "ibsi2-phase1-1b1",
        include_str!("../presets/ibsi2-phase1-1b1.toml"),
    ),
    (
        "ibsi2-phase1-2a",
        include_str!("../presets/ibsi2-phase1-2a.toml"),
    ),
    (
        "ibsi2-phase1-2b",
        include_str!("../presets/ibsi2-phase1-2b.toml"),
    ),
    (
        "ibsi2-phase1-2c",
        include_str!("../presets/ibsi2-phase1-2c.toml"),
    ),
    (
        "ibsi2-phase1-3a1",
        include_str!("../presets/ibsi2-phase1-3a1.toml"),
    ),
    (
        "ibsi2-phase1-3a2",
        include_str!("../presets/ibsi2-phase1-3a2.toml"),
    ),
    (
        "ibsi2-phase1-3a3",
        include_str!("../presets/ibsi2-phase1-3a3.toml"),
    ),
    (
        "ibsi2-phase1-3b1",
        include_str!("../presets/ibsi2-phase1-3b1.toml"),
    ),
    (
        "ibsi2-phase1-3b2",
        include_str!("../presets/ibsi2-phase1-3b2.toml"),
    ),
    (
        "ibsi2-phase1-3b3",
        include_str!("../presets/ibsi2-phase1-3b3.toml"),
    ),
    (
        "ibsi2-phase1-3c1",
        include_str!("../presets/ibsi2-phase1-3c1.toml"),
    ),
    (
        "ibsi2-phase1-3c2",
        include_str!("../presets/ibsi2-phase1-3c2.toml"),
    ),
    (
        "ibsi2-phase1-3c3",
        include_str!("../presets/ibsi2-phase1-3c3.toml"),
    ),
    (
        "ibsi2-phase1-4a1",
        include_str!("../presets/ibsi2-phase1-4a1.toml"),
    ),
    (
        "ibsi2-phase1-4a2",
        include_str!("../presets/ibsi2-phase1-4a2.toml"),
    ),
    (
        "ibsi2-phase1-4b1",
        include_str!("../presets/ibsi2-phase1-4b1.toml"),
    ),
    (
        "ibsi2-phase1-4b2",
        include_str!("../presets/ibsi2-phase1-4b2.toml"),
    ),
    (
        "ibsi2-phase1-5a1",
        include_str!("../presets/ibsi2-phase1-5a1.toml"),
    ),
    (
        "ibsi2-phase1-5a2",
        include_str!("../presets/ibsi2-phase1-5a2.toml"),
    ),
    (
        "ibsi2-phase1-6a1",
        include_str!("../presets/ibsi2-phase1-6a1.toml"),
    ),
    (
        "ibsi2-phase1-6a2",
        include_str!("../presets/ibsi2-phase1-6a2.toml"),
    ),
    (
        "ibsi2-phase1-7a1",
        include_str!("../presets/ibsi2-phase1-7a1.toml"),
    ),
    (
        "ibsi2-phase1-7a2",
        include_str!("../presets/ibsi2-phase1-7a2.toml"),
    ),
    (
        "ibsi2-phase1-8a1",
        include_str!("../presets/ibsi2-phase1-8a1.toml"),
    ),
    (
        "ibsi2-phase1-8a2",
        include_str!("../presets/ibsi2-phase1-8a2.toml"),
    ),
    (
        "ibsi2-phase1-8a3",
        include_str!("../presets/ibsi2-phase1-8a3.toml"),
    ),
    (
        "ibsi2-phase1-9a",
        include_str!("../presets/ibsi2-phase1-9a.toml"),
    ),
    (
        "ibsi2-phase1-9b1",
        include_str!("../presets/ibsi2-phase1-9b1.toml"),
    ),
    (
        "ibsi2-phase1-10b1",
        include_str!("../presets/ibsi2-phase1-10b1.toml"),
    ),
];

/// Errors reading or validating a settings manifest. Each names its source (a file path
/// or `preset:NAME`).
#[derive(Debug, Error)]
pub enum SettingsError {
    #[error("{source_name}: cannot read settings file: {message}")]
    Io {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: invalid settings manifest: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: key `{key}`: {message}")]
    Invalid {
        source_name: String,
        key: String,
        message: String,
    },
    #[error("no preset named `{0}`; presets: {1}")]
    UnknownPreset(String, String),
}

/// The settings manifest, schema version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Schema version of the manifest; must be 1 (the first key of the file).
    pub radx_settings: u32,
    #[serde(default)]
    pub input: InputSettings,
    #[serde(default)]
    pub features: FeatureSelection,
    #[serde(default)]
    pub interpolation: Interpolation,
    #[serde(default)]
    pub resegmentation: Resegmentation,
    #[serde(default)]
    pub discretisation: DiscretisationSettings,
    #[serde(default)]
    pub morphology: MorphologySettings,
    #[serde(default)]
    pub texture: TextureSettings,
    /// `[filters]`: IBSI 2 convolutional filters and the features computed on their
    /// response maps (see the module documentation). Absent from the canonical form when
    /// it holds nothing, so adding this section to the schema changed no settings id.
    #[serde(default, skip_serializing_if = "FilterSettings::is_empty")]
    pub filters: FilterSettings,
    /// `[[plugins]]`: run-time plugins, each pinned by the sha256 of its library. Absent
    /// from the canonical form when there are none, so adding this section to the schema
    /// changed no existing settings id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<PluginSpec>,
    /// Folder of the manifest file, against which relative plugin paths resolve. Not part
    /// of the manifest or its canonical form.
    #[serde(skip)]
    pub source_dir: Option<std::path::PathBuf>,
}

/// `[filters]`: the convolutional filters whose response maps are analysed, and how (see
/// the module documentation for the chain and an example).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSettings {
    /// Feature families computed on every response map. Default (`None` before
    /// [`FilterSettings::fill_defaults`]): the `[features] families` without `morphology`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub families: Option<Vec<String>>,
    /// Discretisation of the response maps. Default: the `[discretisation]` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discretisation: Option<DiscretisationSettings>,
    /// Re-segmentation applied to the response values (on top of the intensity mask
    /// re-segmented on the original intensities). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resegmentation: Option<Resegmentation>,
    /// `[[filters.maps]]`: the filters, one response map each, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maps: Vec<FilterSpec>,
}

impl FilterSettings {
    /// True when the section says nothing (no map and no option): it is then left out of
    /// the canonical form.
    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
            && self.families.is_none()
            && self.discretisation.is_none()
            && self.resegmentation.is_none()
    }

    /// Writes out the defaults that depend on other sections (families, discretisation)
    /// when there is at least one map, so that the canonical form shows what runs.
    pub fn fill_defaults(&mut self, features: &FeatureSelection, disc: &DiscretisationSettings) {
        if self.maps.is_empty() {
            return;
        }
        if self.families.is_none() {
            self.families = Some(
                features
                    .families
                    .iter()
                    .filter(|f| f.as_str() != "morphology")
                    .cloned()
                    .collect(),
            );
        }
        if self.discretisation.is_none() {
            self.discretisation = Some(disc.clone());
        }
    }

    /// The families computed on response maps: `families`, else the `[features]`
    /// families without morphology.
    pub fn families_or(&self, features: &FeatureSelection) -> Vec<String> {
        match &self.families {
            Some(f) => f.clone(),
            None => features
                .families
                .iter()
                .filter(|f| f.as_str() != "morphology")
                .cloned()
                .collect(),
        }
    }
}

/// One run-time plugin: a shared library speaking the radx plugin ABI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginSpec {
    /// The plugin's family name; must equal the name in the library's descriptor.
    pub name: String,
    /// Path of the library; relative paths resolve against the manifest's folder.
    pub path: String,
    /// Lowercase hex sha256 of the library file (`radx plugin inspect LIB` prints it).
    /// A library whose hash differs is refused.
    pub sha256: String,
    /// The plugin's own settings, passed to it as JSON.
    #[serde(default)]
    pub settings: toml::Table,
}

impl PluginSpec {
    /// The library path, resolved against `base` when relative.
    pub fn resolved_path(&self, base: Option<&Path>) -> std::path::PathBuf {
        let p = Path::new(&self.path);
        match base {
            Some(b) if p.is_relative() => b.join(p),
            _ => p.to_path_buf(),
        }
    }
}

/// `[input]`: how the image is taken in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSettings {
    /// Round image intensities to the nearest integer after reading (IBSI asks this of
    /// the CT phantom). Default `false`.
    #[serde(default)]
    pub round_intensities: bool,
}

/// `[features]`: which feature families run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSelection {
    /// Families to compute, by name (`radx features list`). Default: every built-in family.
    #[serde(default = "default_families")]
    pub families: Vec<String>,
}

impl Default for FeatureSelection {
    fn default() -> Self {
        FeatureSelection {
            families: default_families(),
        }
    }
}

fn default_families() -> Vec<String> {
    BUILTIN_FAMILIES.iter().map(|s| s.to_string()).collect()
}

/// Interpolation method for image or mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterpolationMethod {
    Nearest,
    Linear,
    /// Tricubic convolution (Catmull–Rom / Keys, a = -0.5).
    CubicConvolution,
    /// Cubic B-spline (with prefiltering), as IBSI "tricubic spline".
    CubicSpline,
}

/// `[interpolation]`: resampling to a new voxel spacing (IBSI 02, "Interpolation").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interpolation {
    /// New voxel spacing (x, y, z) in mm; absent means no interpolation.
    #[serde(default)]
    pub spacing_mm: Option<[f64; 3]>,
    /// Interpolate in-plane only (2D): the z spacing is kept. Default `false`.
    #[serde(default)]
    pub in_plane_only: bool,
    /// Image interpolation method. Default `linear`.
    #[serde(default = "default_linear")]
    pub image_method: InterpolationMethod,
    /// Mask interpolation method. Default `linear`.
    #[serde(default = "default_linear")]
    pub mask_method: InterpolationMethod,
    /// Partial-volume threshold: an interpolated mask value at or above it is in the ROI.
    /// Default 0.5.
    #[serde(default = "default_pv")]
    pub partial_volume_threshold: f64,
    /// Round interpolated intensities to integers. Default `false`.
    #[serde(default)]
    pub round_intensities: bool,
}

fn default_linear() -> InterpolationMethod {
    InterpolationMethod::Linear
}
fn default_pv() -> f64 {
    0.5
}

impl Default for Interpolation {
    fn default() -> Self {
        Interpolation {
            spacing_mm: None,
            in_plane_only: false,
            image_method: InterpolationMethod::Linear,
            mask_method: InterpolationMethod::Linear,
            partial_volume_threshold: 0.5,
            round_intensities: false,
        }
    }
}

/// `[resegmentation]`: which voxels of the morphological mask enter the intensity mask.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resegmentation {
    /// Lower bound of the intensity range (inclusive); absent: no lower bound.
    #[serde(default)]
    pub min: Option<f64>,
    /// Upper bound of the intensity range (inclusive); absent: no upper bound.
    #[serde(default)]
    pub max: Option<f64>,
    /// Outlier filter: keep voxels within mean ± `outlier_sd` standard deviations.
    #[serde(default)]
    pub outlier_sd: Option<f64>,
}

/// A discretisation method (IBSI 02, "Discretisation").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Discretisation {
    /// Fixed bin number: `bins` bins between the ROI minimum and maximum.
    Fbn { bins: u32 },
    /// Fixed bin size `bin_width`; the first bin's lower edge is `lower_bound`, else the
    /// re-segmentation minimum, else the ROI minimum.
    Fbs {
        bin_width: f64,
        #[serde(default)]
        lower_bound: Option<f64>,
    },
    /// No discretisation: intensities must already be integer grey levels >= 1 (texture
    /// and histogram), or are used as they are (IVH).
    None,
}

/// `[discretisation.*]`: one method each for the intensity histogram, the texture
/// matrices and the intensity-volume histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscretisationSettings {
    /// Default: fixed bin number, 32 bins.
    #[serde(default = "default_fbn32")]
    pub histogram: Discretisation,
    /// Default: fixed bin number, 32 bins.
    #[serde(default = "default_fbn32")]
    pub texture: Discretisation,
    /// Default: none (intensities as they are).
    #[serde(default = "default_none")]
    pub ivh: Discretisation,
}

fn default_fbn32() -> Discretisation {
    Discretisation::Fbn { bins: 32 }
}
fn default_none() -> Discretisation {
    Discretisation::None
}

impl Default for DiscretisationSettings {
    fn default() -> Self {
        DiscretisationSettings {
            histogram: default_fbn32(),
            texture: default_fbn32(),
            ivh: default_none(),
        }
    }
}

/// How Moran's I and Geary's C are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpatialAutocorrelation {
    /// Exact, over every pair of ROI voxels (FFT convolution).
    Exact,
    /// Not computed: reported missing with that reason.
    Skip,
}

/// `[morphology]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MorphologySettings {
    /// Moran's I and Geary's C: `exact` (default) or `skip`.
    #[serde(default = "default_exact")]
    pub moran_geary: SpatialAutocorrelation,
}

fn default_exact() -> SpatialAutocorrelation {
    SpatialAutocorrelation::Exact
}

impl Default for MorphologySettings {
    fn default() -> Self {
        MorphologySettings {
            moran_geary: SpatialAutocorrelation::Exact,
        }
    }
}

/// Spatial dimensionality of texture aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TextureDimension {
    /// By slice: features per slice, averaged over slices (tag `_2D`).
    #[serde(rename = "2D")]
    D2,
    /// Matrices of all slices merged, then features (tag `_2_5D`).
    #[serde(rename = "2.5D")]
    D25,
    /// Whole volume with 3D neighbourhoods (tag `_3D`).
    #[serde(rename = "3D")]
    D3,
}

impl TextureDimension {
    /// The tag fragment of IBSI reference tables.
    pub fn tag(self) -> &'static str {
        match self {
            TextureDimension::D2 => "2D",
            TextureDimension::D25 => "2_5D",
            TextureDimension::D3 => "3D",
        }
    }
}

/// For directional families (GLCM, GLRLM): how directions are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectionMerging {
    /// Features per direction, then averaged (tag `_avg`).
    Avg,
    /// Matrices of all directions merged, then features (tag `_comb`).
    Comb,
}

impl DirectionMerging {
    pub fn tag(self) -> &'static str {
        match self {
            DirectionMerging::Avg => "avg",
            DirectionMerging::Comb => "comb",
        }
    }
}

/// Distance norm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceNorm {
    Chebyshev,
    Manhattan,
    Euclidean,
}

/// `[texture]`: texture matrix parameters and aggregation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextureSettings {
    /// Which dimensionalities to compute. Default `["2D", "2.5D", "3D"]`.
    #[serde(default = "default_dimensions")]
    pub dimensions: Vec<TextureDimension>,
    /// Direction merging for GLCM and GLRLM. Default `["avg", "comb"]`.
    #[serde(default = "default_merging")]
    pub direction_merging: Vec<DirectionMerging>,
    /// GLCM neighbour distance (Chebyshev). Default 1.
    #[serde(default = "one")]
    pub glcm_distance: u32,
    /// GLCM symmetrised (IBSI). Default `true`.
    #[serde(default = "yes")]
    pub glcm_symmetric: bool,
    /// GLSZM and GLDZM zone linkage distance (Chebyshev). Default 1.
    #[serde(default = "one")]
    pub zone_linkage_distance: u32,
    /// GLDZM distance-to-edge norm. Default `manhattan` (IBSI).
    #[serde(default = "default_manhattan")]
    pub gldzm_distance_norm: DistanceNorm,
    /// NGTDM neighbourhood distance (Chebyshev). Default 1.
    #[serde(default = "one")]
    pub ngtdm_distance: u32,
    /// NGLDM neighbourhood distance (Chebyshev). Default 1.
    #[serde(default = "one")]
    pub ngldm_distance: u32,
    /// NGLDM coarseness parameter alpha. Default 0.
    #[serde(default)]
    pub ngldm_alpha: u32,
}

fn default_dimensions() -> Vec<TextureDimension> {
    vec![
        TextureDimension::D2,
        TextureDimension::D25,
        TextureDimension::D3,
    ]
}
fn default_merging() -> Vec<DirectionMerging> {
    vec![DirectionMerging::Avg, DirectionMerging::Comb]
}
fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}
fn default_manhattan() -> DistanceNorm {
    DistanceNorm::Manhattan
}

impl Default for TextureSettings {
    fn default() -> Self {
        TextureSettings {
            dimensions: default_dimensions(),
            direction_merging: default_merging(),
            glcm_distance: 1,
            glcm_symmetric: true,
            zone_linkage_distance: 1,
            gldzm_distance_norm: DistanceNorm::Manhattan,
            ngtdm_distance: 1,
            ngldm_distance: 1,
            ngldm_alpha: 0,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            radx_settings: SCHEMA_VERSION,
            input: InputSettings::default(),
            features: FeatureSelection::default(),
            interpolation: Interpolation::default(),
            resegmentation: Resegmentation::default(),
            discretisation: DiscretisationSettings::default(),
            morphology: MorphologySettings::default(),
            texture: TextureSettings::default(),
            filters: FilterSettings::default(),
            plugins: Vec::new(),
            source_dir: None,
        }
    }
}

impl Settings {
    /// Parses and validates a manifest. `source_name` names it in errors.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Self, SettingsError> {
        let value: toml::Value = toml::from_str(text).map_err(|e| SettingsError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        match value.get("radx_settings") {
            None => {
                return Err(SettingsError::Invalid {
                    source_name: source_name.into(),
                    key: "radx_settings".into(),
                    message: format!(
                        "missing schema version; the first line should be `radx_settings = {SCHEMA_VERSION}`"
                    ),
                })
            }
            Some(toml::Value::Integer(v)) if *v >= 1 && *v <= SCHEMA_VERSION as i64 => {}
            Some(v) => {
                return Err(SettingsError::Invalid {
                    source_name: source_name.into(),
                    key: "radx_settings".into(),
                    message: format!(
                        "schema version {v} is not one this radx reads (1..={SCHEMA_VERSION})"
                    ),
                })
            }
        }
        let mut settings: Settings = toml::from_str(text).map_err(|e| SettingsError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        settings
            .filters
            .fill_defaults(&settings.features, &settings.discretisation);
        settings.validate(source_name)?;
        Ok(settings)
    }

    /// Reads and validates a manifest file.
    pub fn from_file(path: &Path) -> Result<Self, SettingsError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Io {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        let mut s = Self::from_toml_str(&text, &name)?;
        s.source_dir = path.parent().map(|p| p.to_path_buf());
        Ok(s)
    }

    /// A shipped preset by name (see [`PRESETS`]).
    pub fn preset(name: &str) -> Result<Self, SettingsError> {
        let text = PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                SettingsError::UnknownPreset(
                    name.to_string(),
                    PRESETS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
        Self::from_toml_str(text, &format!("preset:{name}"))
    }

    /// Checks values that parse but are impossible.
    pub fn validate(&self, source_name: &str) -> Result<(), SettingsError> {
        let bad = |key: &str, message: String| SettingsError::Invalid {
            source_name: source_name.to_string(),
            key: key.to_string(),
            message,
        };
        if let Some(sp) = self.interpolation.spacing_mm {
            if sp.iter().any(|&s| !(s.is_finite() && s > 0.0)) {
                return Err(bad(
                    "interpolation.spacing_mm",
                    format!("every spacing must be a positive number, got {sp:?}"),
                ));
            }
        }
        let pv = self.interpolation.partial_volume_threshold;
        if !(pv > 0.0 && pv <= 1.0) {
            return Err(bad(
                "interpolation.partial_volume_threshold",
                format!("must lie in (0, 1], got {pv}"),
            ));
        }
        check_resegmentation(&self.resegmentation, "resegmentation", &bad)?;
        check_discretisation(&self.discretisation, "discretisation", &bad)?;
        let t = &self.texture;
        for (key, v) in [
            ("texture.glcm_distance", t.glcm_distance),
            ("texture.zone_linkage_distance", t.zone_linkage_distance),
            ("texture.ngtdm_distance", t.ngtdm_distance),
            ("texture.ngldm_distance", t.ngldm_distance),
        ] {
            if v == 0 {
                return Err(bad(key, "must be at least 1".into()));
            }
        }
        if t.dimensions.is_empty() {
            return Err(bad(
                "texture.dimensions",
                "name at least one of \"2D\", \"2.5D\", \"3D\"".into(),
            ));
        }
        if t.direction_merging.is_empty() {
            return Err(bad(
                "texture.direction_merging",
                "name at least one of \"avg\", \"comb\"".into(),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for p in &self.plugins {
            if p.name.is_empty() || BUILTIN_FAMILIES.contains(&p.name.as_str()) {
                return Err(bad(
                    "plugins.name",
                    format!(
                        "`{}` must be a non-empty name that no built-in family uses",
                        p.name
                    ),
                ));
            }
            if !names.insert(&p.name) {
                return Err(bad(
                    "plugins.name",
                    format!("plugin `{}` is listed twice", p.name),
                ));
            }
            if p.sha256.len() != 64
                || !p
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            {
                return Err(bad(
                    "plugins.sha256",
                    format!(
                        "plugin `{}`: expected 64 lowercase hex digits (radx plugin inspect LIB prints it), got `{}`",
                        p.name, p.sha256
                    ),
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in &self.features.families {
            if !seen.insert(f) {
                return Err(bad(
                    "features.families",
                    format!("family `{f}` is listed twice"),
                ));
            }
        }
        self.validate_filters(&bad)
    }

    /// Checks the `[filters]` section: every map's parameters, distinct response-map
    /// names, the families (no morphology, none twice) and the optional discretisation
    /// and re-segmentation.
    fn validate_filters(
        &self,
        bad: &dyn Fn(&str, String) -> SettingsError,
    ) -> Result<(), SettingsError> {
        let f = &self.filters;
        let mut names = std::collections::BTreeMap::new();
        for (i, spec) in f.maps.iter().enumerate() {
            spec.validate()
                .map_err(|e| bad(&format!("filters.maps[{i}]"), e.to_string()))?;
            if let Some(j) = names.insert(spec.canonical_name(), i) {
                return Err(bad(
                    &format!("filters.maps[{i}]"),
                    format!(
                        "same filter as filters.maps[{j}] (`{}`): every response map needs \
                         its own name",
                        spec.canonical_name()
                    ),
                ));
            }
        }
        if let Some(fams) = &f.families {
            let mut seen = std::collections::BTreeSet::new();
            for fam in fams {
                if fam == "morphology" {
                    return Err(bad(
                        "filters.families",
                        "morphology does not run on response maps (the ROI's shape does not \
                         depend on intensities); remove it"
                            .into(),
                    ));
                }
                if !seen.insert(fam) {
                    return Err(bad(
                        "filters.families",
                        format!("family `{fam}` is listed twice"),
                    ));
                }
            }
        }
        if let Some(d) = &f.discretisation {
            check_discretisation(d, "filters.discretisation", bad)?;
        }
        if let Some(r) = &f.resegmentation {
            check_resegmentation(r, "filters.resegmentation", bad)?;
        }
        Ok(())
    }

    /// The canonical form: every default filled in, keys in a fixed order.
    pub fn canonical(&self) -> String {
        toml::to_string(self).expect("settings always serialise to TOML")
    }

    /// The settings id: lowercase hex sha256 of the canonical form.
    pub fn id(&self) -> String {
        hex(&Sha256::digest(self.canonical().as_bytes()))
    }
}

/// Checks a re-segmentation section (`prefix` names it in errors).
fn check_resegmentation(
    r: &Resegmentation,
    prefix: &str,
    bad: &dyn Fn(&str, String) -> SettingsError,
) -> Result<(), SettingsError> {
    for (key, v) in [("min", r.min), ("max", r.max)] {
        if let Some(v) = v {
            if !v.is_finite() {
                return Err(bad(
                    &format!("{prefix}.{key}"),
                    format!("must be a finite number, got {v}"),
                ));
            }
        }
    }
    if let (Some(lo), Some(hi)) = (r.min, r.max) {
        if lo > hi {
            return Err(bad(
                &format!("{prefix}.min"),
                format!("lower bound {lo} exceeds upper bound {hi}"),
            ));
        }
    }
    if let Some(sd) = r.outlier_sd {
        if !(sd.is_finite() && sd > 0.0) {
            return Err(bad(
                &format!("{prefix}.outlier_sd"),
                format!("must be a positive number, got {sd}"),
            ));
        }
    }
    Ok(())
}

/// Checks a discretisation section (`prefix` names it in errors).
fn check_discretisation(
    d: &DiscretisationSettings,
    prefix: &str,
    bad: &dyn Fn(&str, String) -> SettingsError,
) -> Result<(), SettingsError> {
    for (name, d) in [
        ("histogram", &d.histogram),
        ("texture", &d.texture),
        ("ivh", &d.ivh),
    ] {
        let key = format!("{prefix}.{name}");
        match d {
            Discretisation::Fbn { bins } if *bins == 0 => {
                return Err(bad(&format!("{key}.bins"), "must be at least 1".into()))
            }
            Discretisation::Fbs { bin_width, .. }
                if !(bin_width.is_finite() && *bin_width > 0.0) =>
            {
                return Err(bad(
                    &format!("{key}.bin_width"),
                    format!("must be a positive number, got {bin_width}"),
                ))
            }
            Discretisation::Fbs {
                lower_bound: Some(lb),
                ..
            } if !lb.is_finite() => {
                return Err(bad(
                    &format!("{key}.lower_bound"),
                    format!("must be finite, got {lb}"),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Lowercase hexadecimal of a byte slice.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_manifest_takes_defaults() {
        let s = Settings::from_toml_str("radx_settings = 1\n", "t.toml").unwrap();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn canonical_form_round_trips_and_hash_is_stable() {
        let s = Settings::preset("ibsi-digital-phantom").unwrap();
        let again = Settings::from_toml_str(&s.canonical(), "canon").unwrap();
        assert_eq!(s, again);
        assert_eq!(s.id(), again.id());
        assert_eq!(s.id().len(), 64);
        assert_ne!(s.id(), Settings::default().id());
    }

    #[test]
    fn every_preset_parses() {
        for (name, _) in PRESETS {
            Settings::preset(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[texture]\nglcm_distanse = 2\n",
            "x.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("x.toml") && e.contains("glcm_distanse"), "{e}");
    }

    #[test]
    fn impossible_value_is_named() {
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[discretisation.texture]\nmethod = \"fbs\"\nbin_width = -2.0\n",
            "y.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("y.toml") && e.contains("discretisation.texture.bin_width"),
            "{e}"
        );
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[resegmentation]\nmin = 5.0\nmax = 1.0\n",
            "z.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("resegmentation.min"), "{e}");
    }

    #[test]
    fn plugins_section_is_optional_and_checked() {
        let with =
            "radx_settings = 1\n[[plugins]]\nname = \"fractal\"\npath = \"lib.so\"\nsha256 = \""
                .to_string()
                + &"ab".repeat(32)
                + "\"\n[plugins.settings]\nscales = 4\n";
        let s = Settings::from_toml_str(&with, "p.toml").unwrap();
        assert_eq!(s.plugins[0].settings["scales"].as_integer(), Some(4));
        assert!(s.canonical().contains("[[plugins]]"));
        let again = Settings::from_toml_str(&s.canonical(), "c").unwrap();
        assert_eq!(again, s);
        // no plugins: the canonical form does not mention them
        assert!(!Settings::default().canonical().contains("plugins"));
        let bad = with.replace(&"ab".repeat(32), "xyz");
        let e = Settings::from_toml_str(&bad, "q.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("plugins.sha256") && e.contains("q.toml"), "{e}");
        let e = Settings::from_toml_str(&with.replace("fractal", "glcm"), "r.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("plugins.name"), "{e}");
    }

    /// Settings ids of the presets and the default before the `[filters]` section existed
    /// (printed by `radx settings show` of that build): the new section must not change
    /// them.
    #[test]
    fn settings_ids_are_unchanged_by_the_filters_section() {
        for (name, id) in [
            (
                "ibsi-digital-phantom",
                "408d4736f2ce600ed0970b94963a9f4a0d346a3d4e8ca5491de92d1d068aba08",
            ),
            (
                "ibsi-config-a",
                "18c4d4d4bf784e100a36f26517e03f90e6ebf543a81d9b48b0bf977d778f7fcd",
            ),
            (
                "ibsi-config-b",
                "3d1bc8c6aea4dea4061008eeaaab45c39c66e97a57ef87ab9c14fac651174cad",
            ),
            (
                "ibsi-config-c",
                "8e6e7f004ce5bdc7b71a7df3137f1f667d367ed4929a4b6ff0ed5e722fc3a159",
            ),
            (
                "ibsi-config-d",
                "def8c3ccb766163edd7868cf89c87a8fa6c6057943b80d8b9331f5727fe3ec69",
            ),
            (
                "ibsi-config-e",
                "4fa3d547bf03bcd4bfca932b41ad1c43689395470a568b89e611773ca821469e",
            ),
        ] {
            let s = Settings::preset(name).unwrap();
            assert_eq!(s.id(), id, "{name}");
            assert!(!s.canonical().contains("filters"), "{name}");
        }
        assert_eq!(
            Settings::default().id(),
            "32ff4e4aaa58b2cf22b6c9cb1a57378211a93dfc96dc4d6d5b0741710ec939e0"
        );
    }

    #[test]
    fn filters_section_parses_fills_defaults_and_round_trips() {
        let text = "radx_settings = 1\n[features]\nfamilies = [\"morphology\", \"intensity_stats\", \"glcm\"]\n\
                    [[filters.maps]]\ntype = \"log\"\nsigma_mm = 1.5\n\
                    [[filters.maps]]\ntype = \"wavelet\"\nfamily = \"db3\"\nsubband = \"LLH\"\nrotation_invariant = true\n";
        let s = Settings::from_toml_str(text, "f.toml").unwrap();
        assert_eq!(s.filters.maps.len(), 2);
        assert_eq!(s.filters.maps[0].canonical_name(), "log_s1.5mm_3d");
        // default families: those of [features] without morphology, written out
        assert_eq!(
            s.filters.families.as_deref(),
            Some(&["intensity_stats".to_string(), "glcm".to_string()][..])
        );
        assert_eq!(s.filters.discretisation.as_ref(), Some(&s.discretisation));
        let canon = s.canonical();
        assert!(canon.contains("[[filters.maps]]"), "{canon}");
        let again = Settings::from_toml_str(&canon, "c").unwrap();
        assert_eq!(again, s);
        assert_eq!(again.id(), s.id());
        assert_ne!(s.id(), Settings::default().id());
    }

    #[test]
    fn invalid_filters_are_named() {
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[[filters.maps]]\ntype = \"mean\"\nsupport = 4\n",
            "m.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("m.toml") && e.contains("filters.maps[0]") && e.contains("support"),
            "{e}"
        );
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[[filters.maps]]\ntype = \"gauss\"\n",
            "u.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("u.toml") && e.contains("gauss"), "{e}");
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[filters]\nfamilies = [\"morphology\"]\n[[filters.maps]]\ntype = \"mean\"\nsupport = 3\n",
            "g.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("filters.families") && e.contains("morphology"),
            "{e}"
        );
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[[filters.maps]]\ntype = \"mean\"\nsupport = 3\n[[filters.maps]]\ntype = \"mean\"\nsupport = 3\n",
            "d.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("filters.maps[1]") && e.contains("mean_m3_3d"),
            "{e}"
        );
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[filters.resegmentation]\nmin = 3.0\nmax = 1.0\n",
            "r.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("filters.resegmentation.min"), "{e}");
    }

    #[test]
    fn schema_version_is_required_and_checked() {
        let e = Settings::from_toml_str("[texture]\n", "a.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("radx_settings"), "{e}");
        let e = Settings::from_toml_str("radx_settings = 7\n", "b.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("schema version 7"), "{e}");
    }
}
