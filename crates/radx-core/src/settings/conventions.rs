//! `[conventions]`: the places where radiomics platforms make different, defensible choices,
//! as explicit settings. Every key defaults to the IBSI behaviour; the alternatives are the
//! conventions of PyRadiomics 3 and MIRP 2, so that radx can reproduce either and a
//! cross-platform difference can be attributed to a named convention (`radx stability
//! --vary conventions.KEY=...`).
//!
//! ```toml
//! [conventions]
//! fbs_origin = "zero"                 # PyRadiomics binWidth: edges at multiples of w_b
//! grid_alignment = "origin_corner"    # PyRadiomics/SimpleITK resampled grid
//! energy_shift = 1000.0               # PyRadiomics voxelArrayShift
//! mask_extrapolation = "zero"         # PyRadiomics: mask is 0 beyond the image edge
//! mask_extrapolation = "zero_beyond_centres"  # MIRP: 0 beyond the outer voxel centres
//! local_intensity_outside = "constant"  # MIRP: pad the 1 cm^3 sphere with a constant
//! local_intensity_constant = 0.0
//! ivh_fbs_range = "extended"          # MIRP: the FBS IVH range ends one bin higher
//! ```
//!
//! A manifest that sets none of them (every key at its IBSI default) leaves the section out
//! of the canonical form, so the section's introduction changed no settings id.

use serde::{Deserialize, Serialize};

/// Where the bin edges of a fixed-bin-size discretisation lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FbsOrigin {
    /// IBSI: the first bin's lower edge is the FBS `lower_bound`, else the
    /// re-segmentation minimum, else the ROI minimum: `X_d = floor((X - X_min) / w_b) + 1`.
    #[default]
    LowerBound,
    /// PyRadiomics (`binWidth`): edges at integer multiples of `w_b`, the first bin the one
    /// holding the ROI minimum: `X_d = floor(X / w_b) - floor(X_roi,min / w_b) + 1`
    /// (`lower_bound` and the re-segmentation minimum are not used).
    Zero,
}

/// How the interpolation grid is placed on the original grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridAlignment {
    /// IBSI "align grid centres" (3WE3): the centres of both grids coincide.
    #[default]
    Centre,
    /// PyRadiomics/SimpleITK: the outer corners of the first voxels coincide; output voxel
    /// `k` lies at original grid coordinate `((2k + 1) s_b - s_a) / (2 s_a)`.
    OriginCorner,
}

/// What the mask is beyond the image edge when it is interpolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskExtrapolation {
    /// IBSI (and radx's image interpolation): the boundary value continues (nearest).
    #[default]
    Nearest,
    /// PyRadiomics (SimpleITK): the mask is 0 beyond the image edge, so an ROI touching the
    /// first or last slice loses part of its edge voxels' weight: along each axis the
    /// interpolation reads 0 for original voxels `i < 0` or `i >= n`.
    Zero,
    /// MIRP (scipy `map_coordinates` with `mode = "constant"`): an interpolated mask value is
    /// 0 wherever the sample position lies beyond the outermost voxel centres along some
    /// axis (original grid coordinate `x < 0` or `x > n - 1`), with no interpolation towards
    /// the edge; inside that hull the mask is interpolated as usual. An ROI touching the
    /// image side loses the samples between its edge voxels' centres and the image edge.
    ZeroBeyondCentres,
}

/// How the local-intensity sphere treats voxels beyond the image edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutsideImage {
    /// IBSI/radx: sphere voxels outside the image are left out of the mean.
    #[default]
    Exclude,
    /// MIRP: sphere voxels outside the image count with the value
    /// `local_intensity_constant`.
    Constant,
}

/// The intensity range `G` of an intensity-volume histogram with fixed bin size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IvhFbsRange {
    /// IBSI: `G = [X_min + w_b/2, X_max - w_b/2]`.
    #[default]
    Ibsi,
    /// MIRP: `ceil((X_max - X_min) / w_b) + 1` bins from `X_min`, the range running to the
    /// last bin's centre, `max G = X_min + (ceil((X_max - X_min) / w_b) + 1/2) w_b`: one to
    /// two bins beyond the IBSI end (`X_min`, `X_max` as for IBSI).
    Extended,
}

/// `[conventions]` (see the module documentation).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conventions {
    /// Fixed-bin-size edges, for every `fbs` discretisation (histogram, texture, IVH, and
    /// those of `[filters]`). Default `lower_bound` (IBSI).
    #[serde(default)]
    pub fbs_origin: FbsOrigin,
    /// Placement of the interpolation grid. Default `centre` (IBSI).
    #[serde(default)]
    pub grid_alignment: GridAlignment,
    /// Mask values beyond the image edge during interpolation. Default `nearest` (IBSI).
    #[serde(default)]
    pub mask_extrapolation: MaskExtrapolation,
    /// Local-intensity sphere voxels beyond the image edge. Default `exclude` (IBSI).
    #[serde(default)]
    pub local_intensity_outside: OutsideImage,
    /// The intensity of sphere voxels beyond the image edge with
    /// `local_intensity_outside = "constant"`. Default 0.
    #[serde(default)]
    pub local_intensity_constant: f64,
    /// The range of a fixed-bin-size IVH. Default `ibsi`.
    #[serde(default)]
    pub ivh_fbs_range: IvhFbsRange,
    /// A constant `c` added to every intensity for the energy (`Σ (X + c)^2`, IBSI N8CA at
    /// `c = 0`) and root mean square (`sqrt(Σ (X + c)^2 / N_v)`, 5ZWQ at `c = 0`)
    /// features only, as PyRadiomics' `voxelArrayShift`. Default 0 (IBSI).
    #[serde(default)]
    pub energy_shift: f64,
}

impl Conventions {
    /// True when every convention is the IBSI one: the section is then left out of the
    /// canonical form.
    pub fn is_ibsi(&self) -> bool {
        *self == Conventions::default()
    }

    /// The keys (as `conventions.KEY`) that differ from the IBSI default, in declaration
    /// order.
    pub fn non_default_keys(&self) -> Vec<&'static str> {
        let d = Conventions::default();
        let mut keys = Vec::new();
        if self.fbs_origin != d.fbs_origin {
            keys.push("conventions.fbs_origin");
        }
        if self.grid_alignment != d.grid_alignment {
            keys.push("conventions.grid_alignment");
        }
        if self.mask_extrapolation != d.mask_extrapolation {
            keys.push("conventions.mask_extrapolation");
        }
        if self.local_intensity_outside != d.local_intensity_outside {
            keys.push("conventions.local_intensity_outside");
        }
        if self.local_intensity_constant != d.local_intensity_constant {
            keys.push("conventions.local_intensity_constant");
        }
        if self.ivh_fbs_range != d.ivh_fbs_range {
            keys.push("conventions.ivh_fbs_range");
        }
        if self.energy_shift != d.energy_shift {
            keys.push("conventions.energy_shift");
        }
        keys
    }

    /// The sphere padding of the local-intensity features: `None` to leave voxels beyond
    /// the image out, `Some(c)` to count them with intensity `c`.
    pub fn local_intensity_padding(&self) -> Option<f64> {
        match self.local_intensity_outside {
            OutsideImage::Exclude => None,
            OutsideImage::Constant => Some(self.local_intensity_constant),
        }
    }
}
