//! ComBat batch harmonisation (location/scale model with empirical-Bayes
//! shrinkage), without covariates.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::StatsError;

/// Relative convergence tolerance of the parametric empirical-Bayes
/// iteration (the value of the original implementation, Johnson et al. 2007).
pub const COMBAT_TOLERANCE: f64 = 1e-4;
/// Iteration cap of the parametric empirical-Bayes iteration; reaching it
/// gives [`StatsError::NotConverged`] (in practice 5–30 iterations suffice).
pub const COMBAT_MAX_ITERATIONS: usize = 10_000;

/// Options of [`combat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CombatOptions {
    /// Parametric priors (normal for the location, inverse-gamma for the
    /// scale; Johnson et al. 2007, §3.2) when `true`; the non-parametric
    /// kernel prior (empirical distribution of the other features' estimates,
    /// Johnson et al. 2007, supplementary material) when `false`.
    pub parametric: bool,
    /// Adjust only the batch location (`δ* = 1`), keeping each batch's spread.
    pub mean_only: bool,
}

impl Default for CombatOptions {
    /// Parametric priors, location and scale adjustment (the usual ComBat).
    fn default() -> Self {
        CombatOptions {
            parametric: true,
            mean_only: false,
        }
    }
}

/// Result of [`combat`]: every estimate of the model and the harmonised data.
///
/// Per-batch arrays have one row per entry of `batches` (sorted labels) and
/// one column per feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Combat {
    /// Sorted unique batch labels (byte-wise order); row order of the
    /// per-batch arrays.
    pub batches: Vec<String>,
    /// `α_g`: mean of feature g over all samples (the batch means weighted by
    /// batch size).
    pub grand_mean: Vec<f64>,
    /// `σ_g`: pooled within-batch standard deviation of feature g,
    /// `σ_g² = (1/N) Σ_i Σ_j (y_ijg − ȳ_ig)²`.
    pub pooled_sd: Vec<f64>,
    /// `γ̂_ig`: mean of the standardised feature g in batch i.
    pub gamma_hat: Array2<f64>,
    /// `δ̂²_ig`: sample variance (n_i − 1 denominator) of the standardised
    /// feature g in batch i; all 1 when `mean_only`.
    pub delta_hat: Array2<f64>,
    /// `γ*_ig`: empirical-Bayes (shrunken) location estimate.
    pub gamma_star: Array2<f64>,
    /// `δ*²_ig`: empirical-Bayes scale estimate; all 1 when `mean_only`.
    pub delta_star: Array2<f64>,
    /// `γ̄_i`: mean over features of `γ̂_ig` (location prior mean).
    pub gamma_bar: Vec<f64>,
    /// `τ̄²_i`: sample variance over features of `γ̂_ig` (location prior
    /// variance).
    pub tau2: Vec<f64>,
    /// `λ̄_i`: inverse-gamma shape of the scale prior, `(2 s² + m²)/s²` with
    /// `m`, `s²` the mean and sample variance over features of `δ̂²_ig`.
    /// Empty unless the parametric scale prior is used (`parametric` and not
    /// `mean_only`).
    pub a_prior: Vec<f64>,
    /// `θ̄_i`: inverse-gamma scale of the scale prior, `(m s² + m³)/s²`.
    /// Empty unless the parametric scale prior is used.
    pub b_prior: Vec<f64>,
    /// Harmonised data, features × samples (same layout as the input):
    /// `y*_ijg = σ_g (z_ijg − γ*_ig)/δ*_ig + α_g`.
    pub adjusted: Array2<f64>,
}

/// ComBat harmonisation of `data` (features × samples) across the batches
/// given by `batch` (one label per sample, i.e. per column).
///
/// Model (Johnson, Li & Rabinovic 2007, *Biostatistics* 8:118; applied to
/// radiomics by Orlhac et al. 2018, *J. Nucl. Med.* 59:1321 and Orlhac et al.
/// 2019, *Radiology* 291:53), for feature g, batch i, sample j:
/// `y_ijg = α_g + γ_ig + δ_ig ε_ijg`, `ε ~ N(0, σ_g²)`. No covariates.
///
/// 1. **Standardise**: `α_g = (1/N) Σ_ij y_ijg` (= the batch means weighted
///    by `n_i/N`), `σ_g² = (1/N) Σ_ij (y_ijg − ȳ_ig)²` (pooled residual
///    variance around the batch means, 1/N as in the reference
///    implementation), `z_ijg = (y_ijg − α_g)/σ_g`.
/// 2. **Batch estimates**: `γ̂_ig = mean_j z_ijg`,
///    `δ̂²_ig = Σ_j (z_ijg − γ̂_ig)²/(n_i − 1)` (1 when `mean_only`).
/// 3. **Method-of-moments priors** over the G features of batch i:
///    `γ̄_i = mean_g γ̂_ig`, `τ̄²_i = var_g γ̂_ig`; with `m = mean_g δ̂²_ig`,
///    `s² = var_g δ̂²_ig`: `λ̄_i = (2s² + m²)/s²`, `θ̄_i = (m s² + m³)/s²`
///    (sample variances, n − 1 denominators).
/// 4. **Empirical Bayes**
///    * parametric: iterate from `δ*² = δ̂²`
///      `γ* = (n_i τ̄² γ̂ + δ*² γ̄)/(n_i τ̄² + δ*²)`,
///      `δ*² = (θ̄ + ½ Σ_j (z_ij − γ*)²)/(n_i/2 + λ̄ − 1)`
///      until the largest relative change over all features of the batch,
///      `max(|Δγ*|/|γ*_old|, |Δδ*²|/δ*²_old)`, is below 1e-4 (an absolute
///      change is used where the old value is exactly 0);
///      with `mean_only`: `γ* = (τ̄² γ̂ + γ̄)/(τ̄² + 1)`, `δ*² = 1` (the
///      reference implementation's choice of n = 1, δ² = 1);
///    * non-parametric: the prior of feature g is the empirical distribution
///      of the other features' `(γ̂_ih, δ̂²_ih)`, h ≠ g, so
///      `γ*_ig = Σ_h w_h γ̂_ih / Σ_h w_h`, `δ*²_ig = Σ_h w_h δ̂²_ih / Σ_h w_h`,
///      `w_h = Π_j φ(z_ijg; γ̂_ih, δ̂²_ih)` (normal likelihood of batch i's
///      data of feature g under feature h's estimates; evaluated in log space
///      with the maximum subtracted, which leaves the ratios unchanged;
///      features h with `δ̂²_ih = 0` get weight 0).
/// 5. **Adjust**: `y*_ijg = σ_g (z_ijg − γ*_ig)/δ*_ig + α_g`.
///
/// Errors: `batch.len()` ≠ number of samples → [`StatsError::Ragged`]; one
/// batch → [`StatsError::SingleBatch`]; a batch with fewer than 2 samples
/// (unless `mean_only`, where 1 is allowed) → [`StatsError::BatchTooSmall`];
/// fewer than 2 features (the priors are moments across features) →
/// [`StatsError::TooFewFeatures`]; NaN/∞ → [`StatsError::NonFinite`];
/// a feature constant over all samples (σ_g = 0), or identical `δ̂²` for
/// every feature of a batch in the parametric scale model (s² = 0, prior
/// undefined) → [`StatsError::ZeroVariance`]; no usable feature in the
/// non-parametric prior → [`StatsError::ZeroVariance`]; no convergence →
/// [`StatsError::NotConverged`].
///
/// Deterministic: a fixed sequential summation order, no randomness.
pub fn combat(
    data: ArrayView2<f64>,
    batch: &[String],
    options: &CombatOptions,
) -> Result<Combat, StatsError> {
    let (n_features, n_samples) = data.dim();
    if batch.len() != n_samples {
        return Err(StatsError::Ragged);
    }
    if data.iter().any(|x| !x.is_finite()) {
        return Err(StatsError::NonFinite);
    }
    let mut batches: Vec<String> = batch.to_vec();
    batches.sort();
    batches.dedup();
    if batches.len() < 2 {
        return Err(StatsError::SingleBatch);
    }
    if n_features < 2 {
        return Err(StatsError::TooFewFeatures {
            features: n_features,
            needed: 2,
        });
    }
    let n_batches = batches.len();
    // sample indices of each batch, in sample order
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_batches];
    for (j, label) in batch.iter().enumerate() {
        let i = batches
            .binary_search(label)
            .expect("label is one of the sorted unique labels");
        members[i].push(j);
    }
    let min_size = if options.mean_only { 1 } else { 2 };
    for (label, m) in batches.iter().zip(&members) {
        if m.len() < min_size {
            return Err(StatsError::BatchTooSmall {
                batch: label.clone(),
                n: m.len(),
            });
        }
    }
    let nf = n_samples as f64;

    // 1. standardisation
    let mut grand_mean = vec![0.0; n_features];
    let mut pooled_sd = vec![0.0; n_features];
    let mut z = Array2::<f64>::zeros((n_features, n_samples));
    for g in 0..n_features {
        let row = data.row(g);
        let alpha = row.sum() / nf;
        let mut ss = 0.0;
        for m in &members {
            let bm = m.iter().map(|&j| row[j]).sum::<f64>() / m.len() as f64;
            ss += m.iter().map(|&j| (row[j] - bm).powi(2)).sum::<f64>();
        }
        let sd = (ss / nf).sqrt();
        if !sd.is_finite() || sd <= 0.0 || !alpha.is_finite() {
            return Err(StatsError::ZeroVariance {
                what: format!(
                    "feature {g}: pooled within-batch standard deviation is {sd} (constant within every batch)"
                ),
            });
        }
        grand_mean[g] = alpha;
        pooled_sd[g] = sd;
        for j in 0..n_samples {
            z[[g, j]] = (row[j] - alpha) / sd;
        }
    }

    // 2. batch location / scale estimates
    let mut gamma_hat = Array2::<f64>::zeros((n_batches, n_features));
    let mut delta_hat = Array2::<f64>::ones((n_batches, n_features));
    for (i, m) in members.iter().enumerate() {
        let ni = m.len() as f64;
        for g in 0..n_features {
            let mean = m.iter().map(|&j| z[[g, j]]).sum::<f64>() / ni;
            gamma_hat[[i, g]] = mean;
            if !options.mean_only {
                delta_hat[[i, g]] =
                    m.iter().map(|&j| (z[[g, j]] - mean).powi(2)).sum::<f64>() / (ni - 1.0);
            }
        }
    }

    // 3. priors
    let use_scale_prior = options.parametric && !options.mean_only;
    let mut gamma_bar = Vec::with_capacity(n_batches);
    let mut tau2 = Vec::with_capacity(n_batches);
    let mut a_prior = Vec::new();
    let mut b_prior = Vec::new();
    for (i, label) in batches.iter().enumerate() {
        let (m, v) = mean_var(gamma_hat.row(i).iter().copied());
        gamma_bar.push(m);
        tau2.push(v);
        if use_scale_prior {
            let (m, s2) = mean_var(delta_hat.row(i).iter().copied());
            if s2.is_nan() || s2 <= 0.0 {
                return Err(StatsError::ZeroVariance {
                    what: format!(
                        "batch '{label}': within-batch variances identical for all features (inverse-gamma prior undefined)"
                    ),
                });
            }
            a_prior.push((2.0 * s2 + m * m) / s2);
            b_prior.push((m * s2 + m * m * m) / s2);
        }
    }

    // 4. empirical Bayes
    let mut gamma_star = Array2::<f64>::zeros((n_batches, n_features));
    let mut delta_star = Array2::<f64>::ones((n_batches, n_features));
    for (i, m) in members.iter().enumerate() {
        let ni = m.len() as f64;
        if options.parametric {
            if options.mean_only {
                for g in 0..n_features {
                    gamma_star[[i, g]] =
                        (tau2[i] * gamma_hat[[i, g]] + gamma_bar[i]) / (tau2[i] + 1.0);
                }
            } else {
                let (gs, ds) = parametric_eb(
                    &z,
                    m,
                    &gamma_hat.row(i).to_vec(),
                    &delta_hat.row(i).to_vec(),
                    gamma_bar[i],
                    tau2[i],
                    a_prior[i],
                    b_prior[i],
                )
                .map_err(|iterations| StatsError::NotConverged {
                    what: format!("ComBat empirical-Bayes iteration of batch '{}'", batches[i]),
                    iterations,
                })?;
                for g in 0..n_features {
                    gamma_star[[i, g]] = gs[g];
                    delta_star[[i, g]] = ds[g];
                }
            }
        } else {
            for g in 0..n_features {
                // sufficient statistics of feature g in batch i
                let mean = gamma_hat[[i, g]];
                let ss: f64 = m.iter().map(|&j| (z[[g, j]] - mean).powi(2)).sum();
                let mut loglik = Vec::with_capacity(n_features - 1);
                for h in (0..n_features).filter(|&h| h != g) {
                    let d = delta_hat[[i, h]];
                    if d > 0.0 {
                        // Σ_j (z_j − γ̂_h)² = SS + n (z̄ − γ̂_h)²
                        let sum2 = ss + ni * (mean - gamma_hat[[i, h]]).powi(2);
                        let ll =
                            -0.5 * ni * (2.0 * std::f64::consts::PI * d).ln() - sum2 / (2.0 * d);
                        loglik.push((h, ll));
                    }
                }
                let max = loglik
                    .iter()
                    .map(|&(_, l)| l)
                    .fold(f64::NEG_INFINITY, f64::max);
                if loglik.is_empty() || !max.is_finite() {
                    return Err(StatsError::ZeroVariance {
                        what: format!(
                            "batch '{}', feature {g}: no other feature with positive within-batch variance for the non-parametric prior",
                            batches[i]
                        ),
                    });
                }
                let (mut sw, mut swg, mut swd) = (0.0, 0.0, 0.0);
                for &(h, l) in &loglik {
                    let w = (l - max).exp();
                    sw += w;
                    swg += w * gamma_hat[[i, h]];
                    swd += w * delta_hat[[i, h]];
                }
                gamma_star[[i, g]] = swg / sw;
                delta_star[[i, g]] = swd / sw;
            }
        }
    }

    // 5. adjustment
    let mut adjusted = Array2::<f64>::zeros((n_features, n_samples));
    for (i, m) in members.iter().enumerate() {
        for g in 0..n_features {
            let gs = gamma_star[[i, g]];
            let ds = delta_star[[i, g]].sqrt();
            for &j in m {
                adjusted[[g, j]] = pooled_sd[g] * (z[[g, j]] - gs) / ds + grand_mean[g];
            }
        }
    }
    if adjusted.iter().any(|x| !x.is_finite()) {
        return Err(StatsError::NonFinite);
    }

    Ok(Combat {
        batches,
        grand_mean,
        pooled_sd,
        gamma_hat,
        delta_hat,
        gamma_star,
        delta_star,
        gamma_bar,
        tau2,
        a_prior,
        b_prior,
        adjusted,
    })
}

/// Mean and sample variance (n − 1 denominator) of a sequence of ≥ 2 values.
fn mean_var(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / n;
    let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Parametric empirical-Bayes iteration of one batch (step 4 of [`combat`]).
/// Returns `(γ*, δ*²)` per feature, or the iteration count on failure.
#[allow(clippy::too_many_arguments)]
fn parametric_eb(
    z: &Array2<f64>,
    members: &[usize],
    gamma_hat: &[f64],
    delta_hat: &[f64],
    gamma_bar: f64,
    tau2: f64,
    a: f64,
    b: f64,
) -> Result<(Vec<f64>, Vec<f64>), usize> {
    let n = members.len() as f64;
    let g_count = gamma_hat.len();
    let mut g_old = gamma_hat.to_vec();
    let mut d_old = delta_hat.to_vec();
    let mut g_new = vec![0.0; g_count];
    let mut d_new = vec![0.0; g_count];
    let rel = |new: f64, old: f64| {
        if old == 0.0 {
            (new - old).abs()
        } else {
            (new - old).abs() / old.abs()
        }
    };
    for iteration in 1..=COMBAT_MAX_ITERATIONS {
        let mut change = 0.0_f64;
        for g in 0..g_count {
            let gn = (tau2 * n * gamma_hat[g] + d_old[g] * gamma_bar) / (tau2 * n + d_old[g]);
            let sum2: f64 = members.iter().map(|&j| (z[[g, j]] - gn).powi(2)).sum();
            let dn = (b + 0.5 * sum2) / (0.5 * n + a - 1.0);
            change = change.max(rel(gn, g_old[g])).max(rel(dn, d_old[g]));
            g_new[g] = gn;
            d_new[g] = dn;
        }
        std::mem::swap(&mut g_old, &mut g_new);
        std::mem::swap(&mut d_old, &mut d_new);
        if change.is_nan() {
            return Err(iteration);
        }
        if change < COMBAT_TOLERANCE {
            return Ok((g_old, d_old));
        }
    }
    Err(COMBAT_MAX_ITERATIONS)
}
