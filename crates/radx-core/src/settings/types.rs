//! The types of the settings manifest: [`Settings`] and its sections, with their defaults
//! (serde fills a missing key with the documented default).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::*;

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
    /// `[conventions]`: platform conventions (see [`super::conventions`]). Absent from the
    /// canonical form when every convention is the IBSI one, so adding this section to the
    /// schema changed no settings id.
    #[serde(default, skip_serializing_if = "Conventions::is_ibsi")]
    pub conventions: Conventions,
    /// `[filters]`: IBSI 2 convolutional filters and the features computed on their
    /// response maps (see the module documentation). Absent from the canonical form when
    /// it holds nothing, so adding this section to the schema changed no settings id.
    #[serde(default, skip_serializing_if = "FilterSettings::is_empty")]
    pub filters: FilterSettings,
    /// `[roi]`: derived regions (rings, rims, ROI algebra; see [`super::regions`]). Absent
    /// from the canonical form when it derives nothing, so adding it changed no settings id.
    #[serde(default, skip_serializing_if = "RoiSettings::is_empty")]
    pub roi: RoiSettings,
    /// `[[plugins]]`: run-time plugins, each pinned by the sha256 of its library. Absent
    /// from the canonical form when there are none, so adding this section to the schema
    /// changed no existing settings id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<PluginSpec>,
    /// `[mask]`: a mask on another grid resampled onto the image grid (see
    /// [`MaskSettings`]). Absent from the canonical form at its defaults (`off`), so adding
    /// this section changed no settings id.
    #[serde(default, skip_serializing_if = "MaskSettings::is_default")]
    pub mask: MaskSettings,
    /// `[normalisation]`: intensity normalisation (see [`super::normalisation`]). Absent from
    /// the canonical form when off, so adding this section changed no settings id.
    #[serde(default, skip_serializing_if = "Normalisation::is_off")]
    pub normalisation: Normalisation,
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
    /// Which part of the ROI the features describe: `all` (default: the whole ROI, with the
    /// IBSI 2D / 2.5D / 3D aggregations) or `largest`: only the axial slice holding the most
    /// ROI voxels on the grid the features are computed on (after interpolation and
    /// re-segmentation; ties go to the lowest slice index). Left out of the canonical form
    /// at its default, so settings ids are unchanged.
    #[serde(default, skip_serializing_if = "SliceSelection::is_all")]
    pub slice_selection: SliceSelection,
}

impl Default for FeatureSelection {
    fn default() -> Self {
        FeatureSelection {
            families: default_families(),
            slice_selection: SliceSelection::All,
        }
    }
}

/// `[features] slice_selection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SliceSelection {
    /// The whole ROI.
    #[default]
    All,
    /// The axial slice with the most ROI voxels (a clinical single-slice protocol, outside
    /// the IBSI aggregation methods).
    Largest,
}

impl SliceSelection {
    pub fn is_all(&self) -> bool {
        *self == SliceSelection::All
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
            conventions: Conventions::default(),
            filters: FilterSettings::default(),
            roi: RoiSettings::default(),
            plugins: Vec::new(),
            mask: MaskSettings::default(),
            normalisation: Normalisation::default(),
            limits: Limits::default(),
            source_dir: None,
        }
    }
}
