//! radx-perturb: seeded image and ROI perturbations for assessing feature robustness.
//!
//! After Zwanenburg et al. 2019, "Assessing robustness of radiomic features by image
//! perturbation", Sci Rep 9:614. A robustness study computes each feature on many
//! perturbed versions of every image/ROI of a cohort and then a per-feature intraclass
//! correlation coefficient; this crate produces the perturbed `(Image, Mask)` pairs.
//!
//! Perturbations ([`Perturbation`]):
//!
//! | kind | what it does | implementation |
//! | --- | --- | --- |
//! | `noise` | adds Gaussian noise N(0, sd²) to every voxel | sd given, or [`estimate_noise_sd`] (Immerkær 1996) |
//! | `rotation` | rotates image and mask in-plane about the ROI centre of mass | bilinear resampling on the original grid ([`resample`]) |
//! | `translation` | shifts image and mask by sub-voxel fractions | trilinear resampling on the original grid |
//! | `volume_adaptation` | grows / shrinks the ROI by a volume fraction | exact Euclidean distance transform, threshold at the closest distance shell ([`volume`]) |
//! | `contour_randomisation` | random boundary change mimicking another rater | smooth Gaussian random field added to the signed distance map ([`contour`]) |
//!
//! A robustness run over a family of random perturbations (Zwanenburg's chains):
//!
//! ```
//! # use ndarray::Array3;
//! # use radx_core::{Grid, Image, Mask};
//! use radx_perturb::{apply_drawn, crop_to_roi, ContourSettings, PerturbationSpace};
//! # let g = Grid::new([20, 30, 30], [2.0, 1.0, 1.0], [0.0; 3]);
//! # let image = Image::new(g.clone(), Array3::from_shape_fn((20, 30, 30), |(z, y, x)| {
//! #     ((z * 7 + y * 3 + x) % 11) as f64
//! # })).unwrap();
//! # let mask = Mask::new(g, Array3::from_shape_fn((20, 30, 30), |(z, y, x)| {
//! #     (8..12).contains(&z) && (10..20).contains(&y) && (10..20).contains(&x)
//! # })).unwrap();
//! // perturbing a whole CT is wasteful: crop around the ROI first
//! let (image, mask) = crop_to_roi(&image, &mask, 15.0)?;
//! let space = PerturbationSpace {
//!     noise: true,
//!     rotation_degrees: Some([-15.0, 15.0]),
//!     translation: true,
//!     volume_fraction: Some([-0.2, 0.2]),
//!     contour: Some(ContourSettings { sd_mm: 1.0, correlation_mm: 5.0 }),
//! };
//! for index in 0..4 {
//!     let p = apply_drawn(&image, &mask, &space, 2024, index)?;
//!     assert_eq!(p.applied.len(), 5); // N, R, T, V, C with what was done in `details`
//!     // ... compute features on (p.image, p.mask)
//! }
//! # Ok::<(), radx_perturb::PerturbError>(())
//! ```
//!
//! Everything is deterministic: [`apply`] seeds step `i` with
//! `derive_seed(seed, DOMAIN_APPLY, i)` (see [`rng`]); the random generator
//! (xoshiro256++ seeded by SplitMix64, polar-method normal deviates) is written in this
//! crate so the streams never change with a dependency update. Results do not depend on
//! the thread count (all loops are sequential, in C order).
//!
//! Resampling is always onto the *original* grid, so a feature computed on a perturbed
//! image differs from the unperturbed one only by the perturbation (and the smoothing of
//! linear interpolation for rotations / translations that are not whole voxels).
//!
//! Must not: compute features or assess stability (radx-stability runs the perturbed cases
//! and assesses them).

use std::collections::BTreeMap;

use radx_core::{Image, Mask};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub mod contour;
pub mod crop;
/// The exact Euclidean distance transform, shared with derived regions (radx-regions).
pub use radx_regions::edt;
pub mod noise;
pub mod resample;
pub mod rng;
pub mod volume;

pub use crop::{crop_bounds, crop_to_roi};
pub use noise::{estimate_noise_sd, noise_sd_estimate};

/// One perturbation step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Perturbation {
    /// Additive Gaussian noise, N(0, sd²) independently per voxel, on the whole image;
    /// `sd` in image units, or `None` = the image's noise level estimated by
    /// [`estimate_noise_sd`] (Immerkær 1996). `sd = 0` is the identity.
    Noise { sd: Option<f64> },
    /// In-plane rotation (about the grid's z index axis, i.e. the axial plane of an axial
    /// acquisition) of image and mask about the ROI centre of mass, in degrees; positive
    /// angles turn the +x index axis towards the +y index axis. Distances are in mm, so
    /// anisotropic in-plane spacing is handled. 0° (mod 360°) is the exact identity.
    Rotation { degrees: f64 },
    /// Shift of image and mask content by fractions of a voxel along (z, y, x), each in
    /// `[0, 1)`: the content at index `p` moves to `p + f` (trilinear interpolation; the
    /// mask, thresholded at 0.5, moves by whole voxels — see [`resample::translate`]).
    /// All zero is the exact identity.
    Translation { fraction_zyx: [f64; 3] },
    /// Grow (`> 0`) or shrink (`< 0`) the ROI by this fraction of its volume (e.g. 0.1 /
    /// −0.1), by thresholding the exact Euclidean distance to the ROI at the distance
    /// shell that gets closest to the asked volume. Must be `> −1`. 0 is the identity.
    VolumeAdaptation { fraction: f64 },
    /// Random change of the ROI boundary mimicking another rater: a Gaussian random field
    /// with standard deviation `sd_mm` (the typical boundary displacement, in mm) and
    /// Gaussian correlation function of length `correlation_mm`,
    /// `C(r) = sd_mm² exp(−r² / (2 correlation_mm²))`, is added to the signed distance to
    /// the ROI surface; the new ROI is where the sum is positive, reduced to its largest
    /// 26-connected component. `sd_mm = 0` is the exact identity.
    ContourRandomisation { sd_mm: f64, correlation_mm: f64 },
}

impl Perturbation {
    /// Short snake-case name of the kind (the serde tag).
    pub fn kind(&self) -> &'static str {
        match self {
            Perturbation::Noise { .. } => "noise",
            Perturbation::Rotation { .. } => "rotation",
            Perturbation::Translation { .. } => "translation",
            Perturbation::VolumeAdaptation { .. } => "volume_adaptation",
            Perturbation::ContourRandomisation { .. } => "contour_randomisation",
        }
    }

    /// Checks the parameters (finite, in range) without touching an image.
    pub fn validate(&self) -> Result<(), PerturbError> {
        let bad = |what: String| Err(PerturbError::InvalidParameter { what });
        match *self {
            Perturbation::Noise { sd: Some(sd) } if !(sd.is_finite() && sd >= 0.0) => {
                bad(format!("noise sd must be finite and >= 0, got {sd}"))
            }
            Perturbation::Noise { .. } => Ok(()),
            Perturbation::Rotation { degrees } if !degrees.is_finite() => {
                bad(format!("rotation angle must be finite, got {degrees}"))
            }
            Perturbation::Rotation { .. } => Ok(()),
            Perturbation::Translation { fraction_zyx } => {
                if fraction_zyx
                    .iter()
                    .all(|f| f.is_finite() && (0.0..1.0).contains(f))
                {
                    Ok(())
                } else {
                    bad(format!(
                        "translation fractions (z, y, x) must each be in [0, 1), got {fraction_zyx:?}"
                    ))
                }
            }
            Perturbation::VolumeAdaptation { fraction }
                if !(fraction.is_finite() && fraction > -1.0) =>
            {
                bad(format!(
                    "volume adaptation fraction must be finite and > -1, got {fraction}"
                ))
            }
            Perturbation::VolumeAdaptation { .. } => Ok(()),
            Perturbation::ContourRandomisation {
                sd_mm,
                correlation_mm,
            } => {
                if !(sd_mm.is_finite() && sd_mm >= 0.0) {
                    bad(format!(
                        "contour randomisation sd_mm must be finite and >= 0, got {sd_mm}"
                    ))
                } else if !(correlation_mm.is_finite() && correlation_mm >= 0.0) {
                    bad(format!(
                        "contour randomisation correlation_mm must be finite and >= 0, got {correlation_mm}"
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// A step as it was applied: the asked perturbation, the seed of its random stream (pass
/// it to [`apply_step`] to reproduce the step alone), and what was actually done.
///
/// `details` keys per kind (all values f64; counts are voxel counts):
/// * all: `voxels_before`, `voxels_after`, and from [`apply`] `step` (index in the chain);
/// * noise: `sd` (the sd used), `estimated_sd` (when it was estimated);
/// * rotation: `degrees`, `centre_y`, `centre_x` (index coordinates of the ROI centre of mass);
/// * translation: `fraction_z`, `fraction_y`, `fraction_x`;
/// * volume adaptation: `asked_fraction`, `achieved_fraction`, `target_voxels`,
///   `shell_voxels` (voxels in the distance shell at the threshold: the granularity),
///   `distance_threshold_mm`, `clamped` (1 when the target could not be reached);
/// * contour randomisation: `achieved_fraction`, `dice` (overlap with the input ROI),
///   `components_removed`, `voxels_removed` (outside the largest component).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedPerturbation {
    pub perturbation: Perturbation,
    /// Seed of this step's random stream (`derive_seed(run seed, DOMAIN_APPLY, step)`).
    pub seed: u64,
    pub details: BTreeMap<String, f64>,
}

/// A perturbed image and mask (on the input grid) with the record of what was applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Perturbed {
    pub image: Image,
    pub mask: Mask,
    pub applied: Vec<AppliedPerturbation>,
}

/// Why a perturbation could not be applied.
#[derive(Error, Debug, Clone, PartialEq)]
pub enum PerturbError {
    #[error("the region of interest is empty")]
    EmptyRoi,
    #[error("image and mask are on different grids: {0}")]
    GridMismatch(String),
    #[error("image data shape {data:?} differs from its grid shape {grid:?}")]
    ShapeMismatch { data: [usize; 3], grid: [usize; 3] },
    #[error("invalid perturbation parameter: {what}")]
    InvalidParameter { what: String },
    #[error("step {step} ({kind}) left the region of interest empty")]
    EmptyResult { step: usize, kind: &'static str },
    #[error("cannot estimate the image noise level: {0}")]
    NoiseUnestimable(String),
    #[error("the region of interest fills the whole grid, so it has no boundary to move inwards; crop with a margin first")]
    NoBoundary,
}

/// Applies the steps in order; step `i` uses a generator seeded with
/// `derive_seed(seed, DOMAIN_APPLY, i)`. Deterministic: the same inputs and seed give
/// bit-identical output.
///
/// Errors: image/mask on different grids, an empty mask, invalid parameters (checked for
/// all steps before any work), a step that empties the ROI, an unestimable noise level.
pub fn apply(
    image: &Image,
    mask: &Mask,
    steps: &[Perturbation],
    seed: u64,
) -> Result<Perturbed, PerturbError> {
    check_inputs(image, mask)?;
    for s in steps {
        s.validate()?;
    }
    let mut img = image.clone();
    let mut msk = mask.clone();
    let mut applied = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let step_seed = rng::derive_seed(seed, rng::DOMAIN_APPLY, i as u64);
        let mut details = apply_in_place(&mut img, &mut msk, step, step_seed, i)?;
        details.insert("step".into(), i as f64);
        applied.push(AppliedPerturbation {
            perturbation: step.clone(),
            seed: step_seed,
            details,
        });
    }
    Ok(Perturbed {
        image: img,
        mask: msk,
        applied,
    })
}

/// Applies one step with the given stream seed (e.g. [`AppliedPerturbation::seed`]).
pub fn apply_step(
    image: &Image,
    mask: &Mask,
    step: &Perturbation,
    step_seed: u64,
) -> Result<Perturbed, PerturbError> {
    check_inputs(image, mask)?;
    step.validate()?;
    let mut img = image.clone();
    let mut msk = mask.clone();
    let details = apply_in_place(&mut img, &mut msk, step, step_seed, 0)?;
    Ok(Perturbed {
        image: img,
        mask: msk,
        applied: vec![AppliedPerturbation {
            perturbation: step.clone(),
            seed: step_seed,
            details,
        }],
    })
}

fn check_inputs(image: &Image, mask: &Mask) -> Result<(), PerturbError> {
    check_shape(&image.grid.shape_zyx, image.data.dim())?;
    check_shape(&mask.grid.shape_zyx, mask.data.dim())?;
    if let Some(why) = image.grid.mismatch(&mask.grid, 1e-3) {
        return Err(PerturbError::GridMismatch(why));
    }
    let sp = image.grid.spacing_zyx;
    if !sp.iter().all(|&v| v.is_finite() && v > 0.0) {
        return Err(PerturbError::InvalidParameter {
            what: format!("grid spacing (z, y, x) must be finite and > 0 mm, got {sp:?}"),
        });
    }
    if !mask.data.iter().any(|&m| m) {
        return Err(PerturbError::EmptyRoi);
    }
    Ok(())
}

pub(crate) fn check_shape(
    grid: &[usize; 3],
    dim: (usize, usize, usize),
) -> Result<(), PerturbError> {
    let data = [dim.0, dim.1, dim.2];
    if &data != grid {
        return Err(PerturbError::ShapeMismatch { data, grid: *grid });
    }
    Ok(())
}

fn apply_in_place(
    img: &mut Image,
    msk: &mut Mask,
    step: &Perturbation,
    step_seed: u64,
    index: usize,
) -> Result<BTreeMap<String, f64>, PerturbError> {
    let mut d = BTreeMap::new();
    let before = msk.data.iter().filter(|&&m| m).count();
    d.insert("voxels_before".into(), before as f64);
    let mut r = rng::Rng::new(step_seed);
    match *step {
        Perturbation::Noise { sd } => {
            let sd = match sd {
                Some(sd) => sd,
                None => {
                    let est = noise_sd_estimate(img).ok_or_else(|| {
                        PerturbError::NoiseUnestimable(format!(
                            "no axial slice of {:?} voxels (z, y, x) has a 3 x 3 neighbourhood of finite values",
                            img.grid.shape_zyx
                        ))
                    })?;
                    d.insert("estimated_sd".into(), est);
                    est
                }
            };
            d.insert("sd".into(), sd);
            noise::add_noise(&mut img.data, sd, &mut r);
        }
        Perturbation::Rotation { degrees } => {
            let c = resample::centre_of_mass(&msk.data);
            d.insert("degrees".into(), degrees);
            d.insert("centre_y".into(), c[1]);
            d.insert("centre_x".into(), c[2]);
            let sp = img.grid.spacing_zyx;
            if let Some((im, mk)) =
                resample::rotate_z(&img.data, &msk.data, [sp[1], sp[2]], [c[1], c[2]], degrees)
            {
                img.data = im;
                msk.data = mk;
            }
        }
        Perturbation::Translation { fraction_zyx } => {
            d.insert("fraction_z".into(), fraction_zyx[0]);
            d.insert("fraction_y".into(), fraction_zyx[1]);
            d.insert("fraction_x".into(), fraction_zyx[2]);
            resample::translate(&mut img.data, &mut msk.data, fraction_zyx);
        }
        Perturbation::VolumeAdaptation { fraction } => {
            volume::adapt_volume(&mut msk.data, msk.grid.spacing_zyx, fraction, &mut d)?;
        }
        Perturbation::ContourRandomisation {
            sd_mm,
            correlation_mm,
        } => {
            contour::randomise_contour(
                &mut msk.data,
                msk.grid.spacing_zyx,
                sd_mm,
                correlation_mm,
                &mut r,
                &mut d,
            );
        }
    }
    let after = msk.data.iter().filter(|&&m| m).count();
    d.insert("voxels_after".into(), after as f64);
    if after == 0 {
        return Err(PerturbError::EmptyResult {
            step: index,
            kind: step.kind(),
        });
    }
    Ok(d)
}

/// Settings of the contour randomisation in a [`PerturbationSpace`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContourSettings {
    /// Standard deviation of the boundary displacement field, mm.
    pub sd_mm: f64,
    /// Correlation length of the displacement field, mm.
    pub correlation_mm: f64,
}

/// A recipe for a family of random perturbation chains (Zwanenburg et al. 2019): which
/// kinds are used and the ranges their parameters are drawn from by [`draw`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerturbationSpace {
    /// Add noise at the image's estimated noise level.
    pub noise: bool,
    /// Rotation angle range `[lo, hi]` in degrees (uniform).
    pub rotation_degrees: Option<[f64; 2]>,
    /// Random sub-voxel translation, each fraction uniform in `[0, 1)`.
    pub translation: bool,
    /// Volume fraction range `[lo, hi]` (uniform), each `> −1`.
    pub volume_fraction: Option<[f64; 2]>,
    /// Contour randomisation settings.
    pub contour: Option<ContourSettings>,
}

impl PerturbationSpace {
    /// Checks the ranges (finite, `lo <= hi`, volume fractions `> −1`, contour settings valid).
    pub fn validate(&self) -> Result<(), PerturbError> {
        let range = |name: &str, r: [f64; 2]| {
            if r[0].is_finite() && r[1].is_finite() && r[0] <= r[1] {
                Ok(())
            } else {
                Err(PerturbError::InvalidParameter {
                    what: format!("{name} range must be finite with lo <= hi, got {r:?}"),
                })
            }
        };
        if let Some(r) = self.rotation_degrees {
            range("rotation_degrees", r)?;
        }
        if let Some(r) = self.volume_fraction {
            range("volume_fraction", r)?;
            Perturbation::VolumeAdaptation { fraction: r[0] }.validate()?;
        }
        if let Some(c) = self.contour {
            Perturbation::ContourRandomisation {
                sd_mm: c.sd_mm,
                correlation_mm: c.correlation_mm,
            }
            .validate()?;
        }
        Ok(())
    }
}

/// Perturbation number `index` of a run seeded with `seed`: the steps [`draw`]n for it,
/// applied with the seed [`chain_seed`]`(seed, index)` — so every index has its own noise
/// and contour realisations (passing the run seed itself to [`apply`] for every index
/// would repeat the same noise field). Deterministic.
pub fn apply_drawn(
    image: &Image,
    mask: &Mask,
    space: &PerturbationSpace,
    seed: u64,
    index: usize,
) -> Result<Perturbed, PerturbError> {
    space.validate()?;
    apply(
        image,
        mask,
        &draw(space, seed, index),
        chain_seed(seed, index),
    )
}

/// Seed that [`apply_drawn`] passes to [`apply`] for perturbation `index` of a run:
/// `derive_seed(seed, DOMAIN_CHAIN, index)`.
pub fn chain_seed(seed: u64, index: usize) -> u64 {
    rng::derive_seed(seed, rng::DOMAIN_CHAIN, index as u64)
}

/// Draws the steps of perturbation number `index` (0-based) of a run seeded with `seed`.
///
/// Deterministic. The generator seeded with `derive_seed(seed, DOMAIN_DRAW, index)`
/// always yields, in this order, the rotation uniform `u_r`, the three translation
/// uniforms `u_z, u_y, u_x` and the volume uniform `u_v` — whether or not the kind is
/// enabled — so enabling one kind does not change the values drawn for another. Steps, in
/// chain order:
/// 1. `Noise { sd: None }` if `noise` (estimated level: the noise step comes first, on the
///    unresampled image);
/// 2. `Rotation { degrees: lo + u_r (hi − lo) }`;
/// 3. `Translation { fraction_zyx: [u_z, u_y, u_x] }` (uniform in `[0, 1)`);
/// 4. `VolumeAdaptation { fraction: lo + u_v (hi − lo) }`;
/// 5. `ContourRandomisation` with the given settings (its randomness is the step's own
///    stream in [`apply`]).
///
/// Invalid ranges are not checked here (see [`PerturbationSpace::validate`]); [`apply`]
/// rejects the invalid parameters they produce. Apply the steps with a seed that differs
/// per index, e.g. [`chain_seed`] — or use [`apply_drawn`], which does both.
pub fn draw(space: &PerturbationSpace, seed: u64, index: usize) -> Vec<Perturbation> {
    let mut r = rng::Rng::new(rng::derive_seed(seed, rng::DOMAIN_DRAW, index as u64));
    let u_r = r.uniform();
    let u_t = [r.uniform(), r.uniform(), r.uniform()];
    let u_v = r.uniform();
    let mut steps = Vec::new();
    if space.noise {
        steps.push(Perturbation::Noise { sd: None });
    }
    if let Some([lo, hi]) = space.rotation_degrees {
        steps.push(Perturbation::Rotation {
            degrees: lo + u_r * (hi - lo),
        });
    }
    if space.translation {
        steps.push(Perturbation::Translation { fraction_zyx: u_t });
    }
    if let Some([lo, hi]) = space.volume_fraction {
        steps.push(Perturbation::VolumeAdaptation {
            fraction: lo + u_v * (hi - lo),
        });
    }
    if let Some(c) = space.contour {
        steps.push(Perturbation::ContourRandomisation {
            sd_mm: c.sd_mm,
            correlation_mm: c.correlation_mm,
        });
    }
    steps
}
