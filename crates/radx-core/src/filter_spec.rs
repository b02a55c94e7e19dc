//! Specification of the IBSI 2 convolutional filters: [`FilterSpec`] and its parameter
//! types, with their validation, canonical names and spatial reach.
//!
//! These types live in radx-core so that the settings manifest ([`crate::Settings`],
//! section `[filters]`) can name filters; the filtering itself (convolutions, FFTs,
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

    /// Index inside `0..n` whose value the extended line holds at position `k`
    /// (any integer), or `None` where the extension is zero. `n` must be positive.
    #[inline]
    pub fn source(self, k: isize, n: usize) -> Option<usize> {
        let ni = n as isize;
        if (0..ni).contains(&k) {
            return Some(k as usize);
        }
        match self {
            Boundary::Zero => None,
            Boundary::Nearest => Some(k.clamp(0, ni - 1) as usize),
            Boundary::Periodic => Some(k.rem_euclid(ni) as usize),
            Boundary::Mirror => {
                let m = k.rem_euclid(2 * ni);
                Some(if m < ni { m } else { 2 * ni - 1 - m } as usize)
            }
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

/// Radius in voxels of a Gaussian (and LoG) kernel of standard deviation `s` voxels
/// truncated at `truncate` standard deviations: `floor(truncate s + 1/2)`, so the kernel
/// has `M = 1 + 2 floor(truncate s + 1/2)` taps (IBSI 2, L6PA).
pub fn log_radius(s: f64, truncate: f64) -> usize {
    (truncate * s + 0.5).floor().max(0.0) as usize
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
    /// [`laws_1d`]) named e.g. `E5L5S5` (3D) or `L5E5` (2D), first factor along x;
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

    /// How far (in voxels, per axis `(z, y, x)`) the response at a voxel depends on the
    /// image: filtering a sub-volume gives the same response as filtering the whole image
    /// at every voxel at least this far from the sub-volume's faces (where the boundary
    /// condition does not act). `None` for filters computed in the Fourier domain
    /// (Simoncelli, Riesz), whose kernels have unbounded support: filter the whole image.
    pub fn reach_voxels(&self, spacing_zyx: [f64; 3]) -> Option<[usize; 3]> {
        let on = |dims: Dimensions, r: [usize; 3]| -> [usize; 3] {
            std::array::from_fn(|a| if dims.axes().contains(&a) { r[a] } else { 0 })
        };
        match self {
            FilterSpec::Mean {
                support,
                dimensions,
                ..
            } => Some(on(*dimensions, [support / 2; 3])),
            FilterSpec::Log {
                sigma_mm,
                truncate,
                dimensions,
                riesz_order,
                ..
            } => {
                if riesz_order.is_some() {
                    return None;
                }
                Some(on(
                    *dimensions,
                    std::array::from_fn(|a| log_radius(sigma_mm / spacing_zyx[a], *truncate)),
                ))
            }
            FilterSpec::Laws {
                kernel,
                dimensions,
                energy_delta,
                ..
            } => {
                let k = parse_laws(kernel)?;
                let r =
                    k.iter().map(|h| h.len() / 2).max().unwrap_or(0) + energy_delta.unwrap_or(0);
                Some(on(*dimensions, [r; 3]))
            }
            FilterSpec::Gabor {
                sigma_mm,
                gamma,
                dimensions,
                rotation_invariant,
                truncate,
                ..
            } => {
                let extent = truncate * sigma_mm.max(sigma_mm / gamma);
                let r: [usize; 3] =
                    std::array::from_fn(|a| (extent / spacing_zyx[a] + 0.5).floor() as usize);
                if *rotation_invariant && *dimensions == Dimensions::Volume {
                    Some(r)
                } else {
                    Some([0, r[1], r[2]])
                }
            }
            FilterSpec::Wavelet {
                family,
                level,
                dimensions,
                ..
            } => Some(on(*dimensions, [family.cascade_reach(*level); 3])),
            FilterSpec::Simoncelli { .. } => None,
        }
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
                let k = parse_laws(kernel).ok_or_else(|| {
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

    /// The orthonormal scaling (reconstruction low-pass) filter `h`, with
    /// `sum h = sqrt 2` and `sum h[k] h[k + 2m] = delta(m)`.
    pub fn scaling_filter(self) -> Vec<f64> {
        let s2 = std::f64::consts::SQRT_2;
        match self {
            WaveletFamily::Haar => vec![1.0 / s2, 1.0 / s2],
            WaveletFamily::Db2 => {
                let s3 = 3f64.sqrt();
                let d = 4.0 * s2;
                vec![
                    (1.0 + s3) / d,
                    (3.0 + s3) / d,
                    (3.0 - s3) / d,
                    (1.0 - s3) / d,
                ]
            }
            WaveletFamily::Db3 => {
                // Closed form of the 6-tap Daubechies filter.
                let r10 = 10f64.sqrt();
                let a = (5.0 + 2.0 * r10).sqrt();
                let d = 16.0 * s2;
                vec![
                    (1.0 + r10 + a) / d,
                    (5.0 + r10 + 3.0 * a) / d,
                    (10.0 - 2.0 * r10 + 2.0 * a) / d,
                    (10.0 - 2.0 * r10 - 2.0 * a) / d,
                    (5.0 + r10 - 3.0 * a) / d,
                    (1.0 + r10 - a) / d,
                ]
            }
            WaveletFamily::Db4 => vec![
                0.230_377_813_308_855_23,
                0.714_846_570_552_541_5,
                0.630_880_767_929_590_4,
                -0.027_983_769_416_983_85,
                -0.187_034_811_718_881_14,
                0.030_841_381_835_986_965,
                0.032_883_011_666_982_945,
                -0.010_597_401_784_997_278,
            ],
            WaveletFamily::Coif1 => {
                let r7 = 7f64.sqrt();
                let c = s2 / 32.0;
                vec![
                    c * (1.0 - r7),
                    c * (5.0 + r7),
                    c * (14.0 + 2.0 * r7),
                    c * (14.0 - 2.0 * r7),
                    c * (1.0 - r7),
                    c * (-3.0 + r7),
                ]
            }
        }
    }

    /// Number of taps of the filter bank.
    pub fn taps(self) -> usize {
        match self {
            WaveletFamily::Haar => 2,
            WaveletFamily::Db2 => 4,
            WaveletFamily::Db3 | WaveletFamily::Coif1 => 6,
            WaveletFamily::Db4 => 8,
        }
    }

    /// Reach in voxels, to either side, of the undecimated cascade of `level` stages: the
    /// `n`-tap kernel centred at `n / 2` reaches `max(n / 2, n - 1 - n / 2)` voxels, and stage
    /// `l` dilates it by `2^(l-1)`, so the cascade reaches `(2^level - 1) max(n / 2, n - 1 -
    /// n / 2)`. A mirrored kernel (rotation pooling) reaches as far.
    pub fn cascade_reach(self, level: usize) -> usize {
        let n = self.taps();
        let one = (n / 2).max(n - 1 - n / 2);
        ((1usize << level.min(usize::BITS as usize - 1)) - 1) * one
    }

    /// Decomposition low-pass filter: the time-reversed scaling filter.
    pub fn dec_lo(self) -> Vec<f64> {
        let mut h = self.scaling_filter();
        h.reverse();
        h
    }

    /// Decomposition high-pass filter: `g[k] = (-1)^(k+1) h[k]` with `h` the scaling
    /// filter (the quadrature mirror of the low-pass).
    pub fn dec_hi(self) -> Vec<f64> {
        self.scaling_filter()
            .iter()
            .enumerate()
            .map(|(k, v)| if k % 2 == 0 { -v } else { *v })
            .collect()
    }
}

/// The normalised 1-D Laws kernels (IBSI 2 table): `L` level, `E` edge, `S` spot,
/// `W` wave, `R` ripple, of length 3 or 5, each scaled to unit Euclidean norm.
pub fn laws_1d(name: &str) -> Option<Vec<f64>> {
    let raw: &[f64] = match name {
        "L3" => &[1.0, 2.0, 1.0],
        "E3" => &[-1.0, 0.0, 1.0],
        "S3" => &[-1.0, 2.0, -1.0],
        "L5" => &[1.0, 4.0, 6.0, 4.0, 1.0],
        "E5" => &[-1.0, -2.0, 0.0, 2.0, 1.0],
        "S5" => &[-1.0, 0.0, 2.0, 0.0, -1.0],
        "W5" => &[-1.0, 2.0, 0.0, -2.0, 1.0],
        "R5" => &[1.0, -4.0, 6.0, -4.0, 1.0],
        _ => return None,
    };
    let norm = raw.iter().map(|v| v * v).sum::<f64>().sqrt();
    Some(raw.iter().map(|v| v / norm).collect())
}

/// Parses a Laws kernel name such as `E5L5S5` (3D) or `L5S5` (2D) into its 1-D kernels,
/// in the order of the name: the first acts along x, the second along y, the third
/// along z. Case-insensitive.
pub fn parse_laws(name: &str) -> Option<Vec<Vec<f64>>> {
    let up = name.to_ascii_uppercase();
    if up.len() & 1 == 1 || up.is_empty() || !up.is_ascii() {
        return None;
    }
    up.as_bytes()
        .chunks(2)
        .map(|c| laws_1d(std::str::from_utf8(c).ok()?))
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

    #[test]
    fn reach_follows_the_kernel_sizes() {
        // LoG sigma 1.5 mm at 1 mm: radius floor(4 * 1.5 + 0.5) = 6; 2D: no reach along z.
        let log = parse("type = \"log\"\nsigma_mm = 1.5\ndimensions = \"2d\"\n").unwrap();
        assert_eq!(log.reach_voxels([1.0; 3]), Some([0, 6, 6]));
        assert_eq!(log_radius(1.5, 4.0), 6);
        // Laws 5-tap kernels (radius 2) plus the energy window delta 7.
        let laws = parse("type = \"laws\"\nkernel = \"L5E5E5\"\nenergy_delta = 7\n").unwrap();
        assert_eq!(laws.reach_voxels([1.0; 3]), Some([9, 9, 9]));
        // db3 (6 taps, reach 3) at level 2: (2^2 - 1) * 3 = 9.
        let w =
            parse("type = \"wavelet\"\nfamily = \"db3\"\nsubband = \"HHH\"\nlevel = 2\n").unwrap();
        assert_eq!(w.reach_voxels([1.0; 3]), Some([9, 9, 9]));
        assert_eq!(WaveletFamily::Haar.cascade_reach(1), 1);
        // Fourier-domain filters have unbounded support.
        let s = parse("type = \"simoncelli\"\n").unwrap();
        assert_eq!(s.reach_voxels([1.0; 3]), None);
        let r = parse("type = \"log\"\nsigma_mm = 1.0\nriesz_order = [1, 0, 0]\n").unwrap();
        assert_eq!(r.reach_voxels([1.0; 3]), None);
    }

    #[test]
    fn boundary_sources_follow_the_definitions() {
        // line a b c (n = 3), positions -2..5
        let src = |b: Boundary| (-2..5).map(|k| b.source(k, 3)).collect::<Vec<_>>();
        assert_eq!(
            src(Boundary::Zero),
            [None, None, Some(0), Some(1), Some(2), None, None]
        );
        assert_eq!(
            src(Boundary::Mirror),
            [
                Some(1),
                Some(0),
                Some(0),
                Some(1),
                Some(2),
                Some(2),
                Some(1)
            ]
        );
        assert_eq!(
            src(Boundary::Periodic),
            [
                Some(1),
                Some(2),
                Some(0),
                Some(1),
                Some(2),
                Some(0),
                Some(1)
            ]
        );
        assert_eq!(
            src(Boundary::Nearest),
            [
                Some(0),
                Some(0),
                Some(0),
                Some(1),
                Some(2),
                Some(2),
                Some(2)
            ]
        );
    }

    #[test]
    fn laws_kernels_have_unit_norm() {
        for n in ["L3", "E3", "S3", "L5", "E5", "S5", "W5", "R5"] {
            let k = laws_1d(n).unwrap();
            let norm: f64 = k.iter().map(|v| v * v).sum();
            assert!((norm - 1.0).abs() < 1e-12, "{n}");
        }
        assert_eq!(parse_laws("e5l5s5").map(|v| v.len()), Some(3));
        assert!(parse_laws("E5X5").is_none());
    }
}
