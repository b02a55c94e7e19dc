//! Specification of the IBSI 2 convolutional filters: [`FilterSpec`] and its parameter
//! types, with their validation and canonical names.
//!
//! These types live in radx-core so that the settings manifest ([`crate::Settings`],
//! section `[filters]`) can name filters. Everything numeric about a filter (kernels,
//! wavelet filter banks, boundary extension, how far a kernel reaches, convolutions, FFTs,
//! rotation pooling) is in the `radx-filters` crate, which re-exports everything here.
//!
//! Conventions (IBSI 2): arrays are indexed `(z, y, x)`; kernel names list the axes x
//! first (Laws `E5L5S5` is E5 along x, L5 along y, S5 along z; wavelet sub-band `LHL` is
//! low-pass along x, high-pass along y, low-pass along z); Riesz orders are `[x, y, z]`.

use serde::{Deserialize, Serialize};

/// How voxels outside the image are defined (IBSI 2, "boundary conditions").
///
/// With `a b c d` the voxels of a line of the image:
///
/// | condition | extension to the left of `a b c d` |
/// | --- | --- |
/// | `zero` (constant) | `0 0 0 0 \| a b c d` |
/// | `nearest` | `a a a a \| a b c d` |
/// | `periodic` (wrap) | `a b c d \| a b c d` |
/// | `mirror` (symmetric about the voxel edge) | `d c b a \| a b c d` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    /// Zero outside the image (IBSI "constant value padding" with value 0).
    #[serde(alias = "constant")]
    Zero,
    /// The nearest edge voxel is repeated.
    Nearest,
    /// The image repeats periodically.
    #[serde(alias = "wrap", alias = "periodisation")]
    Periodic,
    /// The image is mirrored about its edge: `d c b a | a b c d | d c b a`.
    #[default]
    #[serde(alias = "reflect", alias = "symmetric")]
    Mirror,
}

impl Boundary {
    /// Short lowercase name, as used in the canonical filter name.
    pub fn name(self) -> &'static str {
        match self {
            Boundary::Zero => "zero",
            Boundary::Nearest => "nearest",
            Boundary::Periodic => "periodic",
            Boundary::Mirror => "mirror",
        }
    }
}

/// An invalid filter specification: the family and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid filter specification ({filter}): {message}")]
pub struct FilterSpecError {
    /// The filter family (`mean`, `log`, ...).
    pub filter: String,
    pub message: String,
}

/// Whether a filter acts on each axial slice or on the whole volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Dimensions {
    /// Every axial slice (axes y, x) filtered independently.
    #[serde(rename = "2d", alias = "2D")]
    Slice,
    /// The volume filtered in 3D.
    #[default]
    #[serde(rename = "3d", alias = "3D")]
    Volume,
}

impl Dimensions {
    pub fn name(self) -> &'static str {
        match self {
            Dimensions::Slice => "2d",
            Dimensions::Volume => "3d",
        }
    }

    /// Filtered axes, `(z, y, x)` numbering.
    pub fn axes(self) -> &'static [usize] {
        match self {
            Dimensions::Slice => &[1, 2],
            Dimensions::Volume => &[0, 1, 2],
        }
    }

    /// Number of filtered axes (2 or 3).
    pub fn count(self) -> usize {
        self.axes().len()
    }
}

/// How responses are combined voxel-wise over rotations (or orientations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    #[serde(alias = "mean")]
    Average,
    Max,
    Min,
}

impl Pooling {
    pub fn name(self) -> &'static str {
        match self {
            Pooling::Average => "avg",
            Pooling::Max => "max",
            Pooling::Min => "min",
        }
    }
}

fn default_truncate() -> f64 {
    4.0
}
fn default_gabor_truncate() -> f64 {
    4.0
}
fn default_level() -> usize {
    1
}

/// Default of `fourier_margin` (see [`FilterSpec::Simoncelli`]): 16 voxels.
pub const DEFAULT_FOURIER_MARGIN: usize = 16;

fn default_fourier_margin() -> usize {
    DEFAULT_FOURIER_MARGIN
}
fn is_default_fourier_margin(m: &usize) -> bool {
    *m == DEFAULT_FOURIER_MARGIN
}
fn pool_max() -> Pooling {
    Pooling::Max
}
fn pool_avg() -> Pooling {
    Pooling::Average
}

/// One filter with its parameters (IBSI 2). Deserialisable from a TOML table with a
/// `type` key, e.g. `{ type = "log", sigma_mm = 1.5, dimensions = "3d" }`. Unknown keys
/// are rejected. `boundary` defaults to `mirror`, `dimensions` to `3d`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FilterSpec {
    /// Mean filter (S60F): `out(i) = (1 / M^d) sum_{|j_a| <= (M-1)/2} f(i + j)`, the
    /// average over a cube (a square in 2D, `d = 2`) of `M = support` voxels per side
    /// (odd).
    Mean {
        support: usize,
        #[serde(default)]
        boundary: Boundary,
        #[serde(default)]
        dimensions: Dimensions,
    },
    /// Laplacian of Gaussian (L6PA): `sum_a d^2/di_a^2 (G * f)`, `G` the Gaussian of
    /// standard deviation `sigma_mm` (in voxels `sigma_mm / spacing_a` along axis `a`),
    /// derivatives with respect to voxel indices, the sum over the filtered axes. The
    /// kernel is truncated at `truncate` standard deviations (default 4): `M = 1 + 2
    /// floor(truncate sigma + 1/2)` voxels. Optionally followed by the Riesz transform of
    /// order `riesz_order` (`[x, y, z]`, see [`FilterSpec::Simoncelli`]), computed in the
    /// Fourier domain with the padding margin `fourier_margin` (see there).
    Log {
        sigma_mm: f64,
        #[serde(default = "default_truncate")]
        truncate: f64,
        #[serde(default)]
        boundary: Boundary,
        #[serde(default)]
        dimensions: Dimensions,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        riesz_order: Option<[u32; 3]>,
        #[serde(
            default = "default_fourier_margin",
            skip_serializing_if = "is_default_fourier_margin"
        )]
        fourier_margin: usize,
    },
    /// Laws kernel (JTXT): the outer product of normalised 1-D Laws kernels (see
    /// [`LAWS_FACTORS`]) named e.g. `E5L5S5` (3D) or `L5E5` (2D), first factor along x;
    /// optionally pooled over right-angle rotations (default pooling: max), and optionally
    /// the texture energy map `E(i) = (2 delta + 1)^-d sum_{|j_a| <= delta} |r(i + j)|`
    /// with `delta = energy_delta`, computed on the (pooled) response `r`.
    Laws {
        kernel: String,
        #[serde(default)]
        boundary: Boundary,
        #[serde(default)]
        dimensions: Dimensions,
        #[serde(default)]
        rotation_invariant: bool,
        #[serde(default = "pool_max")]
        pooling: Pooling,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        energy_delta: Option<usize>,
    },
    /// Gabor filter (Q88H): `|g * f|`, the modulus of the response to the 2D kernel
    /// `g(x, y) = exp(-(x~^2 + gamma^2 y~^2) / (2 sigma^2)) exp(i 2 pi x~ / lambda)`,
    /// `x~ = x cos(theta) + y sin(theta)`, `y~ = -x sin(theta) + y cos(theta)`, with `x` and
    /// `y` in mm along the in-plane axes (x, y in the axial plane), not normalised
    /// (`g(0, 0) = 1`), truncated at `truncate` times `max(sigma, sigma / gamma)` (default
    /// 4). In 2D, and in 3D without rotation invariance, the kernel acts in the axial plane.
    /// With rotation invariance the moduli at `theta_deg + k theta_step_deg` (`k` over a
    /// full turn) are pooled (default: average); in 3D also over the axial, coronal and
    /// sagittal planes.
    Gabor {
        sigma_mm: f64,
        lambda_mm: f64,
        gamma: f64,
        #[serde(default)]
        theta_deg: f64,
        #[serde(default)]
        boundary: Boundary,
        #[serde(default)]
        dimensions: Dimensions,
        #[serde(default)]
        rotation_invariant: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        theta_step_deg: Option<f64>,
        #[serde(default = "pool_avg")]
        pooling: Pooling,
        #[serde(default = "default_gabor_truncate")]
        truncate: f64,
    },
    /// Separable wavelet (25BO), undecimated ("a trous"): the sub-band `subband` (`LHL`:
    /// low-pass along x, high-pass along y, low-pass along z; two letters in 2D) at
    /// decomposition `level`: along each axis, `level - 1` low-pass stages then the
    /// requested pass, the filters of stage `l` dilated by `2^(l-1)` (see
    /// [`WaveletFamily`] for the filter banks). Optionally pooled over right-angle
    /// rotations (default pooling: average).
    Wavelet {
        family: WaveletFamily,
        subband: String,
        #[serde(default = "default_level")]
        level: usize,
        #[serde(default)]
        boundary: Boundary,
        #[serde(default)]
        dimensions: Dimensions,
        #[serde(default)]
        rotation_invariant: bool,
        #[serde(default = "pool_avg")]
        pooling: Pooling,
    },
    /// Simoncelli non-separable wavelet (LODD): the radial band-pass transfer function
    /// `psi(2^(level-1) |w|)`, `psi(r) = cos(pi/2 log2(2 r / pi))` for `pi/4 < r <= pi` and
    /// 0 elsewhere (`w` in radians per voxel; the response is the real part). Optionally
    /// followed by the Riesz transform of order `l = riesz_order` (`[x, y, z]`), the
    /// multiplier `sqrt(|l|! / prod l_a!) prod_a (-i w_a / |w|)^(l_a)`.
    ///
    /// Filters defined in the Fourier domain act on a periodic signal. Under the
    /// `periodic` boundary the image is transformed as it is; under any other boundary it
    /// is first extended along each filtered axis by the filter's main lobe (`2^level`
    /// voxels; the LoG radius for a Riesz-transformed LoG) plus `fourier_margin` voxels
    /// (default [`DEFAULT_FOURIER_MARGIN`]). No source specifies this width: it is a
    /// convention of radx, stated in the settings so that it is reproducible.
    Simoncelli {
        #[serde(default = "default_level")]
        level: usize,
        #[serde(default)]
        boundary: Boundary,
        #[serde(default)]
        dimensions: Dimensions,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        riesz_order: Option<[u32; 3]>,
        #[serde(
            default = "default_fourier_margin",
            skip_serializing_if = "is_default_fourier_margin"
        )]
        fourier_margin: usize,
    },
}

/// Shortest decimal form of a parameter (`1.5`, `3`).
fn num(v: f64) -> String {
    let s = format!("{v}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

fn riesz_suffix(o: &Option<[u32; 3]>) -> String {
    o.map(|o| format!("_riesz{}{}{}", o[0], o[1], o[2]))
        .unwrap_or_default()
}

fn margin_suffix(m: usize) -> String {
    if m == DEFAULT_FOURIER_MARGIN {
        String::new()
    } else {
        format!("_fm{m}")
    }
}

impl FilterSpec {
    /// The family name (`mean`, `log`, `laws`, `gabor`, `wavelet`, `simoncelli`).
    pub fn family(&self) -> &'static str {
        match self {
            FilterSpec::Mean { .. } => "mean",
            FilterSpec::Log { .. } => "log",
            FilterSpec::Laws { .. } => "laws",
            FilterSpec::Gabor { .. } => "gabor",
            FilterSpec::Wavelet { .. } => "wavelet",
            FilterSpec::Simoncelli { .. } => "simoncelli",
        }
    }

    /// The boundary condition.
    pub fn boundary(&self) -> Boundary {
        match self {
            FilterSpec::Mean { boundary, .. }
            | FilterSpec::Log { boundary, .. }
            | FilterSpec::Laws { boundary, .. }
            | FilterSpec::Gabor { boundary, .. }
            | FilterSpec::Wavelet { boundary, .. }
            | FilterSpec::Simoncelli { boundary, .. } => *boundary,
        }
    }

    /// Label of the response map, used to name feature rows: the family and every
    /// parameter that changes the response, e.g. `log_s1.5mm_3d`,
    /// `laws_l5e5e5_invar_max_energy_d7_3d`, `wavelet_db3_llh_l1_invar_avg_3d`. The boundary
    /// condition is appended unless it is the default (`mirror`): `mean_m15_3d_zero`.
    pub fn canonical_name(&self) -> String {
        let mut s = match self {
            FilterSpec::Mean {
                support,
                dimensions,
                ..
            } => format!("mean_m{support}_{}", dimensions.name()),
            FilterSpec::Log {
                sigma_mm,
                truncate,
                dimensions,
                riesz_order,
                fourier_margin,
                ..
            } => {
                let t = if *truncate == default_truncate() {
                    String::new()
                } else {
                    format!("_t{}", num(*truncate))
                };
                format!(
                    "log_s{}mm{t}{}{}_{}",
                    num(*sigma_mm),
                    riesz_suffix(riesz_order),
                    margin_suffix(*fourier_margin),
                    dimensions.name()
                )
            }
            FilterSpec::Laws {
                kernel,
                dimensions,
                rotation_invariant,
                pooling,
                energy_delta,
                ..
            } => {
                let mut s = format!("laws_{}", kernel.to_ascii_lowercase());
                if *rotation_invariant {
                    s += &format!("_invar_{}", pooling.name());
                }
                if let Some(d) = energy_delta {
                    s += &format!("_energy_d{d}");
                }
                format!("{s}_{}", dimensions.name())
            }
            FilterSpec::Gabor {
                sigma_mm,
                lambda_mm,
                gamma,
                theta_deg,
                dimensions,
                rotation_invariant,
                theta_step_deg,
                pooling,
                truncate,
                ..
            } => {
                let mut s = format!(
                    "gabor_s{}mm_l{}mm_g{}",
                    num(*sigma_mm),
                    num(*lambda_mm),
                    num(*gamma)
                );
                if *rotation_invariant {
                    if *theta_deg != 0.0 {
                        s += &format!("_t{}deg", num(*theta_deg));
                    }
                    s += &format!(
                        "_invar{}deg_{}",
                        num(theta_step_deg.unwrap_or(0.0)),
                        pooling.name()
                    );
                } else {
                    s += &format!("_t{}deg", num(*theta_deg));
                }
                if *truncate != default_gabor_truncate() {
                    s += &format!("_tr{}", num(*truncate));
                }
                format!("{s}_{}", dimensions.name())
            }
            FilterSpec::Wavelet {
                family,
                subband,
                level,
                dimensions,
                rotation_invariant,
                pooling,
                ..
            } => {
                let mut s = format!(
                    "wavelet_{}_{}_l{level}",
                    family.name(),
                    subband.to_ascii_lowercase()
                );
                if *rotation_invariant {
                    s += &format!("_invar_{}", pooling.name());
                }
                format!("{s}_{}", dimensions.name())
            }
            FilterSpec::Simoncelli {
                level,
                dimensions,
                riesz_order,
                fourier_margin,
                ..
            } => {
                format!(
                    "simoncelli_l{level}{}{}_{}",
                    riesz_suffix(riesz_order),
                    margin_suffix(*fourier_margin),
                    dimensions.name()
                )
            }
        };
        let b = self.boundary();
        if b != Boundary::default() {
            s += "_";
            s += b.name();
        }
        s
    }

    /// Checks the parameters (radx-filters' `apply` calls this first).
    pub fn validate(&self) -> Result<(), FilterSpecError> {
        let bad = |m: String| FilterSpecError {
            filter: self.family().to_string(),
            message: m,
        };
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(bad(format!("{name} must be a positive number, got {v}")))
            }
        };
        let riesz = |o: &Option<[u32; 3]>, d: Dimensions| -> Result<(), FilterSpecError> {
            if let Some(o) = o {
                if o.iter().sum::<u32>() == 0 || o.iter().sum::<u32>() > 8 {
                    return Err(bad(format!(
                        "riesz_order {o:?} must have a total order between 1 and 8"
                    )));
                }
                if d == Dimensions::Slice && o[2] != 0 {
                    return Err(bad("a 2d filter has no Riesz order along z".into()));
                }
            }
            Ok(())
        };
        let margin = |m: usize| -> Result<(), FilterSpecError> {
            if m > MAX_RADIUS {
                return Err(bad(format!(
                    "fourier_margin must be at most {MAX_RADIUS} voxels, got {m}"
                )));
            }
            Ok(())
        };
        match self {
            FilterSpec::Mean { support, .. } => {
                if *support == 0 || support & 1 == 0 || *support > MAX_SUPPORT {
                    return Err(bad(format!(
                        "support must be an odd number of voxels up to {MAX_SUPPORT}, got {support}"
                    )));
                }
            }
            FilterSpec::Log {
                sigma_mm,
                truncate,
                riesz_order,
                dimensions,
                fourier_margin,
                ..
            } => {
                positive("sigma_mm", *sigma_mm)?;
                positive("truncate", *truncate)?;
                riesz(riesz_order, *dimensions)?;
                if riesz_order.is_none() && *fourier_margin != DEFAULT_FOURIER_MARGIN {
                    return Err(bad(
                        "fourier_margin applies only to a Fourier-domain filter (log with riesz_order, or simoncelli)".into(),
                    ));
                }
                margin(*fourier_margin)?;
            }
            FilterSpec::Laws {
                kernel,
                dimensions,
                energy_delta,
                ..
            } => {
                let k = laws_factors(kernel).ok_or_else(|| {
                    bad(format!(
                        "kernel {kernel:?} is not a sequence of L3 E3 S3 L5 E5 S5 W5 R5"
                    ))
                })?;
                if k.len() != dimensions.count() {
                    return Err(bad(format!(
                        "kernel {kernel:?} has {} factors; a {} filter needs {}",
                        k.len(),
                        dimensions.name(),
                        dimensions.count()
                    )));
                }
                if energy_delta.is_some_and(|d| 2 * d + 1 > MAX_SUPPORT) {
                    return Err(bad(format!(
                        "energy_delta must be at most {}",
                        MAX_SUPPORT / 2
                    )));
                }
            }
            FilterSpec::Gabor {
                sigma_mm,
                lambda_mm,
                gamma,
                theta_deg,
                rotation_invariant,
                theta_step_deg,
                truncate,
                ..
            } => {
                positive("sigma_mm", *sigma_mm)?;
                positive("lambda_mm", *lambda_mm)?;
                positive("gamma", *gamma)?;
                positive("truncate", *truncate)?;
                if !theta_deg.is_finite() {
                    return Err(bad("theta_deg must be finite".into()));
                }
                if *rotation_invariant {
                    let step = theta_step_deg
                        .ok_or_else(|| bad("rotation_invariant needs theta_step_deg".into()))?;
                    positive("theta_step_deg", step)?;
                    let k = 360.0 / step;
                    if (k - k.round()).abs() > 1e-9 || k.round() > 360.0 {
                        return Err(bad(format!(
                            "theta_step_deg {step} must divide 360 (at most 360 angles)"
                        )));
                    }
                } else if theta_step_deg.is_some() {
                    return Err(bad("theta_step_deg needs rotation_invariant = true".into()));
                }
            }
            FilterSpec::Wavelet {
                subband,
                level,
                dimensions,
                ..
            } => {
                if subband.len() != dimensions.count()
                    || !subband.chars().all(|c| matches!(c, 'L' | 'H' | 'l' | 'h'))
                {
                    return Err(bad(format!(
                        "subband {subband:?} must be {} letters L or H",
                        dimensions.count()
                    )));
                }
                if *level == 0 || *level > MAX_LEVEL {
                    return Err(bad(format!("level must be 1..={MAX_LEVEL}, got {level}")));
                }
            }
            FilterSpec::Simoncelli {
                level,
                riesz_order,
                dimensions,
                fourier_margin,
                ..
            } => {
                if *level == 0 || *level > MAX_LEVEL {
                    return Err(bad(format!("level must be 1..={MAX_LEVEL}, got {level}")));
                }
                riesz(riesz_order, *dimensions)?;
                margin(*fourier_margin)?;
            }
        }
        Ok(())
    }
}

/// Largest mean-filter support and Laws energy window, in voxels.
pub const MAX_SUPPORT: usize = 10_001;
/// Largest wavelet decomposition level.
pub const MAX_LEVEL: usize = 10;
/// Largest radius in voxels of LoG and Gabor kernels.
pub const MAX_RADIUS: usize = 1000;

/// Orthogonal wavelet families with their decomposition filter banks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WaveletFamily {
    /// Haar (= Daubechies 1), 2 taps.
    #[serde(alias = "db1")]
    Haar,
    /// Daubechies 2, 4 taps.
    Db2,
    /// Daubechies 3, 6 taps.
    Db3,
    /// Daubechies 4, 8 taps.
    Db4,
    /// Coiflet 1, 6 taps.
    Coif1,
}

impl WaveletFamily {
    pub fn name(self) -> &'static str {
        match self {
            WaveletFamily::Haar => "haar",
            WaveletFamily::Db2 => "db2",
            WaveletFamily::Db3 => "db3",
            WaveletFamily::Db4 => "db4",
            WaveletFamily::Coif1 => "coif1",
        }
    }
}

/// The 1-D Laws kernels of the IBSI 2 table with their lengths: `L` level, `E` edge, `S`
/// spot, `W` wave, `R` ripple. (Their coefficients are radx-filters' `laws::laws_1d`.)
pub const LAWS_FACTORS: [(&str, usize); 8] = [
    ("L3", 3),
    ("E3", 3),
    ("S3", 3),
    ("L5", 5),
    ("E5", 5),
    ("S5", 5),
    ("W5", 5),
    ("R5", 5),
];

/// Splits a Laws kernel name such as `E5L5S5` (3D) or `L5S5` (2D) into its 1-D factors, in
/// the order of the name (the first acts along x, the second along y, the third along z),
/// as `(name, length)` of [`LAWS_FACTORS`]; `None` when a factor is not one of them.
/// Case-insensitive.
pub fn laws_factors(name: &str) -> Option<Vec<(&'static str, usize)>> {
    let up = name.to_ascii_uppercase();
    if up.len() & 1 == 1 || up.is_empty() || !up.is_ascii() {
        return None;
    }
    up.as_bytes()
        .chunks(2)
        .map(|c| {
            LAWS_FACTORS
                .iter()
                .copied()
                .find(|(n, _)| n.as_bytes() == c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FilterSpec, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn specs_parse_with_defaults_and_name_themselves() {
        let s = parse("type = \"log\"\nsigma_mm = 1.5\n").unwrap();
        assert_eq!(s.canonical_name(), "log_s1.5mm_3d");
        assert_eq!(s.boundary(), Boundary::Mirror);
        let s =
            parse("type = \"mean\"\nsupport = 15\nboundary = \"constant\"\ndimensions = \"2D\"\n")
                .unwrap();
        assert_eq!(s.canonical_name(), "mean_m15_2d_zero");
        let s = parse(
            "type = \"laws\"\nkernel = \"L5E5E5\"\nrotation_invariant = true\nenergy_delta = 7\n",
        )
        .unwrap();
        assert_eq!(s.canonical_name(), "laws_l5e5e5_invar_max_energy_d7_3d");
        let s = parse("type = \"simoncelli\"\nlevel = 2\nriesz_order = [0, 2, 0]\n").unwrap();
        assert_eq!(s.canonical_name(), "simoncelli_l2_riesz020_3d");
        assert!(parse("type = \"mean\"\nsupport = 3\nsize = 4\n").is_err());
    }

    #[test]
    fn validation_names_the_family_and_the_problem() {
        let e = parse("type = \"mean\"\nsupport = 4\n")
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(e.filter, "mean");
        assert!(e.message.contains("odd"), "{e}");
        let e = parse("type = \"laws\"\nkernel = \"L5E5\"\n")
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("3d filter needs 3"), "{e}");
        let e = parse("type = \"laws\"\nkernel = \"E5X5E5\"\n")
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(e.message.contains("not a sequence of L3"), "{e}");
        assert_eq!(laws_factors("e5l3"), Some(vec![("E5", 5), ("L3", 3)]));
        let e = parse("type = \"wavelet\"\nfamily = \"haar\"\nsubband = \"LXL\"\n")
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(e.message.contains("subband"), "{e}");
        assert!(parse("type = \"gabor\"\nsigma_mm = 5.0\nlambda_mm = 2.0\ngamma = 1.5\nrotation_invariant = true\ntheta_step_deg = 22.5\n")
            .unwrap()
            .validate()
            .is_ok());
    }
}
