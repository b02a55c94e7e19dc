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
//!
//! # Resource limits (`[limits]`)
//!
//! The largest sizes radx agrees to allocate (see [`crate::limits`] for every key, its
//! default and why). Parsing checks what the settings alone decide: fixed bin numbers
//! against `max_grey_levels` (texture) and `max_histogram_bins` (histogram, IVH), and
//! interpolation spacings against `min_spacing_mm`. Limits are never part of the canonical
//! form or the settings id; [`Settings::manifest`] writes non-default ones after it.
//! `--limit KEY=VALUE` overrides ([`Settings::from_toml_str_with_limits`]) win over the
//! section.

use std::path::Path;

pub use crate::filter_spec::FilterSpec;
use crate::limits::{Limit, LimitError, Limits};
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
    /// A setting asks for more than a resource limit allows.
    #[error("{source_name}: {limit}")]
    Limit {
        source_name: String,
        limit: LimitError,
    },
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
    /// `[limits]`: resource limits (see [`crate::limits`]). They decide only whether radx
    /// agrees to compute, never a value, so they are not part of the canonical form or the
    /// settings id ([`Settings::manifest`] writes them out).
    #[serde(default, skip_serializing)]
    pub limits: Limits,
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

impl Discretisation {
    /// The limit on the grey levels of the discretisation named `which` (`texture`:
    /// [`Limit::GreyLevels`]; `histogram` and `ivh`: [`Limit::HistogramBins`]).
    pub fn limit_for(which: &str) -> Limit {
        if which == "texture" {
            Limit::GreyLevels
        } else {
            Limit::HistogramBins
        }
    }
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
            limits: Limits::default(),
            source_dir: None,
        }
    }
}

impl Settings {
    /// Parses and validates a manifest. `source_name` names it in errors.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Self, SettingsError> {
        Self::from_toml_str_with_limits::<&str>(text, source_name, &[])
    }

    /// [`Settings::from_toml_str`] with `KEY=VALUE` limit overrides (`--limit`), applied
    /// over the manifest's `[limits]` before the settings are validated against them.
    pub fn from_toml_str_with_limits<S: AsRef<str>>(
        text: &str,
        source_name: &str,
        limit_overrides: &[S],
    ) -> Result<Self, SettingsError> {
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
            .limits
            .apply(limit_overrides)
            .map_err(|e| SettingsError::Invalid {
                source_name: "--limit".into(),
                key: format!("limits.{}", e.key),
                message: e.message,
            })?;
        settings
            .filters
            .fill_defaults(&settings.features, &settings.discretisation);
        settings.validate(source_name)?;
        Ok(settings)
    }

    /// Reads and validates a manifest file.
    pub fn from_file(path: &Path) -> Result<Self, SettingsError> {
        Self::from_file_with_limits::<&str>(path, &[])
    }

    /// [`Settings::from_file`] with `KEY=VALUE` limit overrides (see
    /// [`Settings::from_toml_str_with_limits`]).
    pub fn from_file_with_limits<S: AsRef<str>>(
        path: &Path,
        limit_overrides: &[S],
    ) -> Result<Self, SettingsError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Io {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        let mut s = Self::from_toml_str_with_limits(&text, &name, limit_overrides)?;
        s.source_dir = path.parent().map(|p| p.to_path_buf());
        Ok(s)
    }

    /// A shipped preset by name (see [`PRESETS`]).
    pub fn preset(name: &str) -> Result<Self, SettingsError> {
        Self::preset_with_limits::<&str>(name, &[])
    }

    /// [`Settings::preset`] with `KEY=VALUE` limit overrides (see
    /// [`Settings::from_toml_str_with_limits`]).
    pub fn preset_with_limits<S: AsRef<str>>(
        name: &str,
        limit_overrides: &[S],
    ) -> Result<Self, SettingsError> {
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
        Self::from_toml_str_with_limits(text, &format!("preset:{name}"), limit_overrides)
    }

    /// Checks values that parse but are impossible.
    pub fn validate(&self, source_name: &str) -> Result<(), SettingsError> {
        let bad = |key: &str, message: String| SettingsError::Invalid {
            source_name: source_name.to_string(),
            key: key.to_string(),
            message,
        };
        self.limits
            .validate()
            .map_err(|e| bad(&format!("limits.{}", e.key), e.message))?;
        if let Some(sp) = self.interpolation.spacing_mm {
            if sp.iter().any(|&s| !(s.is_finite() && s > 0.0)) {
                return Err(bad(
                    "interpolation.spacing_mm",
                    format!("every spacing must be a positive number, got {sp:?}"),
                ));
            }
            let min = self.limits.min_spacing_mm;
            if let Some(s) = sp.iter().find(|&&s| s < min) {
                return Err(bad(
                    "interpolation.spacing_mm",
                    format!(
                        "{sp:?}: a spacing of {s} mm is below the smallest that radx accepts, \
                         {min} mm (limits.min_spacing_mm); lower it in [limits] or with \
                         --limit min_spacing_mm=X if this is intended"
                    ),
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
        check_discretisation(
            &self.discretisation,
            "discretisation",
            &self.limits,
            source_name,
            &bad,
        )?;
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
        self.validate_filters(source_name, &bad)
    }

    /// Checks the `[filters]` section: every map's parameters, distinct response-map
    /// names, the families (no morphology, none twice) and the optional discretisation
    /// and re-segmentation.
    fn validate_filters(
        &self,
        source_name: &str,
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
            check_discretisation(d, "filters.discretisation", &self.limits, source_name, bad)?;
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

    /// The canonical form followed by the `[limits]` that differ from the defaults: a
    /// manifest that gives back these settings, limits included. Without raised or
    /// lowered limits it is the canonical form.
    pub fn manifest(&self) -> String {
        let limits = self.limits.non_default_toml();
        if limits.is_empty() {
            self.canonical()
        } else {
            format!("{}\n[limits]\n{limits}", self.canonical())
        }
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

/// Checks a discretisation section (`prefix` names it in errors), and its fixed bin
/// numbers against the limits (texture: `max_grey_levels`; histogram and IVH:
/// `max_histogram_bins`). Fixed bin sizes depend on the data's range and are checked at
/// extraction.
fn check_discretisation(
    d: &DiscretisationSettings,
    prefix: &str,
    limits: &Limits,
    source_name: &str,
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
            Discretisation::Fbn { bins } => {
                let limit = Discretisation::limit_for(name);
                limits
                    .check(limit, &format!("{key}.bins = {bins}"), *bins as u128)
                    .map_err(|limit| SettingsError::Limit {
                        source_name: source_name.to_string(),
                        limit,
                    })?;
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

    /// The settings id of every shipped preset, as printed by `radx settings presets`
    /// before the `[limits]` section existed: limits are not part of the canonical form,
    /// so no id may change.
    const PRESET_IDS_BEFORE_LIMITS: &[(&str, &str)] = &[
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
        (
            "ibsi2-1a",
            "40d2f699063d9751dc5abbf685fce840560f8bdbe5fcb530750b21a6913d2b03",
        ),
        (
            "ibsi2-1b",
            "2871dbc13edb0768dbae52fe96d631e1d01f328cbbc4513f7a4980a3fcc21171",
        ),
        (
            "ibsi2-2a",
            "ce99b60b88122852d0f7c7c09d3e3482ac1b0d98709e2b4bc94e19b984225470",
        ),
        (
            "ibsi2-2b",
            "1edacfad64dcefa66f2c0433fdafb77b17cef0ea84493d1391866ee95e55b6e0",
        ),
        (
            "ibsi2-3a",
            "019550c4ec62cb6ae9c5992192293c99f57dd34d6f469572a860c6c424f8ce49",
        ),
        (
            "ibsi2-3b",
            "7d56fa6cbc578da80275a76e71e40ac4cd3640d7b4a9851f314e023ecd912eef",
        ),
        (
            "ibsi2-4a",
            "14602398e4a3606edf1414c3bc957328cb4f3f093b293053c0ea3d16baef4df2",
        ),
        (
            "ibsi2-4b",
            "93567f7e70b25af1f7f94e4bba59908f2d7f2372b586b5696ff54cc650e9d692",
        ),
        (
            "ibsi2-5a",
            "7642205b48e513787591f4d6a3b6098d3014d1a6e77458659b41addc3433e7ce",
        ),
        (
            "ibsi2-5b",
            "df36a3b26d5a59e812fc041bf4a1a109306240da9db7bb99453b2087495f6d90",
        ),
        (
            "ibsi2-6a",
            "2c4ce4a6c35e38d420ddd12652c6a37889fabf017d40cf028ca2d6c8ac7c37e6",
        ),
        (
            "ibsi2-6b",
            "5627e377b0efd377962b2fbece7c1205c451fb3675e1031d51073808f6e7ac41",
        ),
        (
            "ibsi2-7a",
            "a86ea11673aec909ea35681c45c4b11623be7655aa1f7aae80abbd1f34514157",
        ),
        (
            "ibsi2-7b",
            "66b3b45813184b1e28e64c44137913f64595bc463cd0e2e35af5dd2906fc5eb4",
        ),
        (
            "ibsi2-8a",
            "df609f6f059f481e91512fc36a761b6872143bef527820689fdf8fc1682a989c",
        ),
        (
            "ibsi2-8b",
            "b2e133407496551ec0802bdf826e3148d246e1ab40bc5ed709b1a20de18d68fb",
        ),
        (
            "ibsi2-9a",
            "7f4be14d8e1a89c579a5a385fab178fe2eb1c8344513c9eedf9d7d5b3939cac3",
        ),
        (
            "ibsi2-9b",
            "80e2b6942abeee5f30356a1a0bb97ad5c055aaf12db29e16e21d4f2729548580",
        ),
        (
            "ibsi2-phase1-1a1",
            "ea3c3b43169cef623987a48fcb916e06258e63b2ced2b1931d67ddd964b3042c",
        ),
        (
            "ibsi2-phase1-1a2",
            "4ea8589d60c3f8cd5ec4fba7f5c843ecb73c309255997e3b0d797626d0253489",
        ),
        (
            "ibsi2-phase1-1a3",
            "38873b1e4300c6d8036c9a5d4114e38e33b28e5ee98d9d29eb075121446ff712",
        ),
        (
            "ibsi2-phase1-1a4",
            "2c26a2bbfd8aa4ed259f1640f22a9c48583261703495e6fa0d49bc91beac3698",
        ),
        (
            "ibsi2-phase1-1b1",
            "42af378d7dc7f42ed30be021a9ca86fbeca64ef28c2b02b8a711912561798996",
        ),
        (
            "ibsi2-phase1-2a",
            "059a092ae5f090620f654295a0382c9f8d245c5bf352728fedd32806faca9524",
        ),
        (
            "ibsi2-phase1-2b",
            "bbbfc8451680909ea5429f1ad00c8d677fed105d9d6047f94f6ac64bd1bf0c62",
        ),
        (
            "ibsi2-phase1-2c",
            "4c32bbb958d80d4d558bff3e1fe9a4d18e7b745123360067639ab56517f59cfb",
        ),
        (
            "ibsi2-phase1-3a1",
            "8695345f425868fbc8cf0c18b364dd2a1f4bad82757d17ed7c06be80945da5ee",
        ),
        (
            "ibsi2-phase1-3a2",
            "6698785110e69ce9b3e9688a80e61299c5afc996c95bbe2a1f0ac7ba5703f23f",
        ),
        (
            "ibsi2-phase1-3a3",
            "c4a1fb08e0e08e326e951632f87d81a0266d76314f63d66c77b4df9995ab6c89",
        ),
        (
            "ibsi2-phase1-3b1",
            "df7e1f8432fca38ecb15a405a4f9d1b8518a9b4034d92f289a5633939b63e663",
        ),
        (
            "ibsi2-phase1-3b2",
            "63eb377d8029e136d04f85f9afdc863e64e73f996ded1b0ca0d2795271b1e5b4",
        ),
        (
            "ibsi2-phase1-3b3",
            "ad46ecd1f1129378191c45545652a14f4f8575c15b4b6a4332201284b660e0d8",
        ),
        (
            "ibsi2-phase1-3c1",
            "aed32181ba2c4a709369dd9444f9a01f6ff0006967ca10fdfc26da56b3ea4da0",
        ),
        (
            "ibsi2-phase1-3c2",
            "c6281dbcd62fb219fd5d9422c5983d26b1bda3f4aab865f93186d125d1dbdb11",
        ),
        (
            "ibsi2-phase1-3c3",
            "2f452b7d407b0beb5c224b9d6f80664f94b6735b9c3d068b91c34d72e792a375",
        ),
        (
            "ibsi2-phase1-4a1",
            "fade5cc2de48c21a763ae251faa891c2acbf454fff25836b11e1b2218d50d335",
        ),
        (
            "ibsi2-phase1-4a2",
            "70f6aed80d02b4654e1dd2b1803404d975a8aa08b74bfd6e1b8011a0f4bf05d7",
        ),
        (
            "ibsi2-phase1-4b1",
            "ebe334c49472423e677265d7bb6af58a264fc38d692bf755558d6f5352797d2c",
        ),
        (
            "ibsi2-phase1-4b2",
            "a9cac16f987c9a65fbb8911e9aad7314ee45674111bf993b5e881ad0de303a5f",
        ),
        (
            "ibsi2-phase1-5a1",
            "71b045e812b45b797bd8b48a1661587ba0b8adde3a8b339bc5d37b2b7b57cd81",
        ),
        (
            "ibsi2-phase1-5a2",
            "365bd83312e5c58d8f632db25850ab842f22bb02639158302adcff29610d0bab",
        ),
        (
            "ibsi2-phase1-6a1",
            "aa9a4fa44526e7ee153a4b5f4196e035eb063b785b851037ec1362ecc1897f46",
        ),
        (
            "ibsi2-phase1-6a2",
            "163cb55b4e6a990df4a651a1d96eda74de9baafa4cf4b9e97722c5ba0e6df1f3",
        ),
        (
            "ibsi2-phase1-7a1",
            "c5ae5eeee50730880d350bd7038e99cd10003b2ebbd8a5355bb00275b350ad8d",
        ),
        (
            "ibsi2-phase1-7a2",
            "1394e2459b420438ec06f04cc3cde1d2461e9c98ad43aaab933569569d2ee27b",
        ),
        (
            "ibsi2-phase1-8a1",
            "8bf59aa3507277f12408e9cd4a4d30f7315cb11fe43b98316b383ee299738394",
        ),
        (
            "ibsi2-phase1-8a2",
            "57b3de020349b5cf721dd2e64aa3990369b09f25a4feddf49e7c9516e82f6dba",
        ),
        (
            "ibsi2-phase1-8a3",
            "9d5b533e45f1c0a45def2b1d029758664f66fea10f23ce1390a1229f0c415378",
        ),
        (
            "ibsi2-phase1-9a",
            "e32e2608154316e80103363b1330d4e3a7be7d53c75366a064e0944ecb051a8a",
        ),
        (
            "ibsi2-phase1-9b1",
            "41196b02c49127a918a2dee5f8054b8973a6819d30dd16b904f5d5db4f8bf0bd",
        ),
        // the boundary of 10.b.1 became `nearest` when its source was found (not a
        // change of the limits)
        (
            "ibsi2-phase1-10b1",
            "fb5c73f5133f0f565d9b46d4482d5793b695133741d3a142cc5b57d37dfee173",
        ),
    ];

    #[test]
    fn settings_ids_of_every_preset_are_unchanged_by_the_limits_section() {
        assert_eq!(PRESET_IDS_BEFORE_LIMITS.len(), PRESETS.len());
        for (name, id) in PRESET_IDS_BEFORE_LIMITS {
            let s = Settings::preset(name).unwrap();
            assert_eq!(&s.id(), id, "{name}");
            assert!(!s.canonical().contains("limits"), "{name}");
            // Raised limits change neither the canonical form nor the id.
            let raised =
                Settings::preset_with_limits(name, &["max_grey_levels=1000000", "max_threads=4"])
                    .unwrap();
            assert_eq!(&raised.id(), id, "{name}");
            assert_eq!(raised.canonical(), s.canonical(), "{name}");
        }
    }

    #[test]
    fn limits_section_parses_is_validated_and_kept_out_of_the_canonical_form() {
        let text = "radx_settings = 1\n[discretisation.texture]\nmethod = \"fbn\"\nbins = 100000\n";
        // Beyond the default texture limit: refused, naming the setting, size, limit and key.
        let e = Settings::from_toml_str(text, "b.toml").unwrap_err();
        assert!(matches!(e, SettingsError::Limit { .. }), "{e}");
        let e = e.to_string();
        assert!(
            e.starts_with("b.toml: discretisation.texture.bins = 100000 needs 100000 grey levels, more than the limit of 65536 grey levels (limits.max_grey_levels)"),
            "{e}"
        );
        // Raised in the manifest: accepted, same id as without the section.
        let raised = format!("{text}[limits]\nmax_grey_levels = 100000\n");
        let s = Settings::from_toml_str(&raised, "b.toml").unwrap();
        assert_eq!(s.limits.max_grey_levels, 100000);
        assert!(!s.canonical().contains("limits"));
        // The manifest form keeps the limits and reads back to the same settings.
        let m = s.manifest();
        assert!(m.contains("[limits]\nmax_grey_levels = 100000\n"), "{m}");
        assert_eq!(Settings::from_toml_str(&m, "m").unwrap(), s);
        assert_eq!(
            Settings::default().manifest(),
            Settings::default().canonical()
        );
        // Raised with an override (`--limit`): the same.
        let o = Settings::from_toml_str_with_limits(text, "b.toml", &["max_grey_levels=100000"])
            .unwrap();
        assert_eq!(o, s);
        assert_eq!(o.id(), s.id());
        // The override wins over the manifest.
        let e = Settings::from_toml_str_with_limits(&raised, "b.toml", &["max_grey_levels=99999"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("limit of 99999 grey levels"), "{e}");
        // Histogram and IVH bins have their own limit.
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 1000000000\n",
            "h.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("discretisation.histogram.bins = 1000000000")
                && e.contains("limits.max_histogram_bins"),
            "{e}"
        );
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[[filters.maps]]\ntype = \"mean\"\nsupport = 3\n[filters.discretisation.ivh]\nmethod = \"fbn\"\nbins = 2000000\n",
            "f.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("filters.discretisation.ivh.bins = 2000000"),
            "{e}"
        );
        // Bad limit values and unknown keys are named.
        for (bad, key) in [
            ("[limits]\nmax_threads = 0\n", "limits.max_threads"),
            ("[limits]\nmin_spacing_mm = -1.0\n", "limits.min_spacing_mm"),
            ("[limits]\nmax_thread = 4\n", "max_thread"),
            ("[limits]\nmax_threads = -4\n", "max_threads"),
        ] {
            let e = Settings::from_toml_str(&format!("radx_settings = 1\n{bad}"), "l.toml")
                .unwrap_err()
                .to_string();
            assert!(e.contains("l.toml") && e.contains(key), "{bad}: {e}");
        }
        let e = Settings::from_toml_str_with_limits("radx_settings = 1\n", "d", &["max_theads=3"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_theads") && e.contains("max_threads"), "{e}");
    }

    #[test]
    fn spacing_below_the_smallest_accepted_is_refused() {
        let text = "radx_settings = 1\n[interpolation]\nspacing_mm = [0.001, 0.001, 0.001]\n";
        let e = Settings::from_toml_str(text, "s.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("s.toml")
                && e.contains("interpolation.spacing_mm")
                && e.contains("limits.min_spacing_mm")
                && e.contains("0.01 mm"),
            "{e}"
        );
        assert!(
            Settings::from_toml_str_with_limits(text, "s.toml", &["min_spacing_mm=0.001"]).is_ok()
        );
        // 0.05 mm cannot be judged without the image: accepted here, checked at extraction.
        assert!(Settings::from_toml_str(
            "radx_settings = 1\n[interpolation]\nspacing_mm = [0.05, 0.05, 0.05]\n",
            "t"
        )
        .is_ok());
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(256))]

        /// `settings check` (parsing validates) never accepts declared bins beyond their
        /// limit, and accepts every manifest within it.
        #[test]
        fn declared_bins_are_accepted_exactly_within_the_limits(
            texture in 1u32..200_000,
            histogram in 1u32..3_000_000,
            ivh in 1u32..3_000_000,
            grey in proptest::option::of(1u64..200_000),
            bins in proptest::option::of(1u64..3_000_000),
            in_filters in proptest::bool::ANY,
        ) {
            let prefix = if in_filters { "filters.discretisation" } else { "discretisation" };
            let mut text = String::from("radx_settings = 1\n");
            if in_filters {
                text.push_str("[[filters.maps]]\ntype = \"mean\"\nsupport = 3\n");
            }
            for (name, n) in [("texture", texture), ("histogram", histogram), ("ivh", ivh)] {
                text.push_str(&format!("[{prefix}.{name}]\nmethod = \"fbn\"\nbins = {n}\n"));
            }
            if grey.is_some() || bins.is_some() {
                text.push_str("[limits]\n");
                if let Some(g) = grey {
                    text.push_str(&format!("max_grey_levels = {g}\n"));
                }
                if let Some(b) = bins {
                    text.push_str(&format!("max_histogram_bins = {b}\n"));
                }
            }
            let max_grey = grey.unwrap_or(65536);
            let max_bins = bins.unwrap_or(1 << 20);
            let within = texture as u64 <= max_grey
                && histogram as u64 <= max_bins
                && ivh as u64 <= max_bins;
            match Settings::from_toml_str(&text, "p.toml") {
                Ok(s) => {
                    proptest::prop_assert!(within, "accepted beyond the limits:\n{text}");
                    proptest::prop_assert_eq!(s.limits.max_grey_levels, max_grey);
                }
                Err(e) => {
                    proptest::prop_assert!(!within, "refused within the limits: {e}\n{text}");
                    let is_limit = matches!(e, SettingsError::Limit { .. });
                    proptest::prop_assert!(is_limit, "{e}");
                    let e = e.to_string();
                    proptest::prop_assert!(e.contains("limits.max_"), "{e}");
                }
            }
        }
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
