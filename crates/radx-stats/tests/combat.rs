//! ComBat: hand-checked estimates, empirical-Bayes fixed point,
//! harmonisation properties, errors.

use ndarray::{array, Array2};
use proptest::prelude::*;
use radx_stats::{combat, Combat, CombatOptions, StatsError, COMBAT_TOLERANCE};

#[track_caller]
fn close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got:.15}, want {want:.15}");
}

fn labels(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Two features × six samples; batch "A" = samples 0..3, "B" = 3..6
/// (labels deliberately interleaved in the input order).
fn small() -> (Array2<f64>, Vec<String>) {
    // sample order: A, B, A, B, A, B
    let data = array![
        [1., 5., 2., 6., 3., 7.], // feature 0: A = 1,2,3   B = 5,6,7
        [0., 1., 2., 2., 4., 3.], // feature 1: A = 0,2,4   B = 1,2,3
    ];
    (data, labels(&["A", "B", "A", "B", "A", "B"]))
}

#[test]
fn hand_checked_location_scale_estimates() {
    let (data, batch) = small();
    let r = combat(data.view(), &batch, &CombatOptions::default()).unwrap();
    assert_eq!(r.batches, labels(&["A", "B"]));
    // feature 0: α = 4, residuals about batch means −1,0,1,−1,0,1 → σ² = 4/6
    // feature 1: α = 2, residuals −2,0,2,−1,0,1 → σ² = 10/6
    close(r.grand_mean[0], 4.0, 1e-15);
    close(r.grand_mean[1], 2.0, 1e-15);
    close(r.pooled_sd[0], (4.0f64 / 6.0).sqrt(), 1e-15);
    close(r.pooled_sd[1], (10.0f64 / 6.0).sqrt(), 1e-15);
    // γ̂ = batch mean of z = (y − α)/σ: feature 0 ∓2/σ = ∓√6, feature 1: 0
    let s6 = 6f64.sqrt();
    close(r.gamma_hat[[0, 0]], -s6, 1e-14);
    close(r.gamma_hat[[1, 0]], s6, 1e-14);
    close(r.gamma_hat[[0, 1]], 0.0, 1e-15);
    close(r.gamma_hat[[1, 1]], 0.0, 1e-15);
    // δ̂ = sample variance of z in the batch: feature 0: 1/σ² = 1.5 (both);
    // feature 1: A 4/σ² = 2.4, B 1/σ² = 0.6
    close(r.delta_hat[[0, 0]], 1.5, 1e-14);
    close(r.delta_hat[[1, 0]], 1.5, 1e-14);
    close(r.delta_hat[[0, 1]], 2.4, 1e-14);
    close(r.delta_hat[[1, 1]], 0.6, 1e-14);
    // priors: γ̄_A = −√6/2, γ̄_B = √6/2, τ² = var(±√6, 0) = 3 for both
    close(r.gamma_bar[0], -s6 / 2.0, 1e-14);
    close(r.gamma_bar[1], s6 / 2.0, 1e-14);
    close(r.tau2[0], 3.0, 1e-13);
    close(r.tau2[1], 3.0, 1e-13);
    // δ̂ moments: A m = 1.95, s² = 0.405; B m = 1.05, s² = 0.405
    // λ = (2s² + m²)/s², θ = (m s² + m³)/s²
    close(r.a_prior[0], (0.81 + 1.95 * 1.95) / 0.405, 1e-11);
    close(
        r.b_prior[0],
        (1.95 * 0.405 + 1.95f64.powi(3)) / 0.405,
        1e-11,
    );
    close(r.a_prior[1], (0.81 + 1.05 * 1.05) / 0.405, 1e-11);
    close(
        r.b_prior[1],
        (1.05 * 0.405 + 1.05f64.powi(3)) / 0.405,
        1e-11,
    );
}

/// z-scores of `data` as ComBat standardises them.
fn standardised(r: &Combat, data: &Array2<f64>) -> Array2<f64> {
    let mut z = data.clone();
    for (g, mut row) in z.rows_mut().into_iter().enumerate() {
        row.mapv_inplace(|y| (y - r.grand_mean[g]) / r.pooled_sd[g]);
    }
    z
}

#[test]
fn parametric_eb_is_a_fixed_point_of_the_posterior_equations() {
    // Johnson et al. (2007): γ* = (n τ² γ̂ + δ* γ̄)/(n τ² + δ*),
    // δ* = (θ + ½ Σ (z − γ*)²)/(n/2 + λ − 1); iterated to 1e-4 relative.
    let (data, batch) = small();
    let r = combat(data.view(), &batch, &CombatOptions::default()).unwrap();
    let z = standardised(&r, &data);
    for (i, label) in r.batches.iter().enumerate() {
        let cols: Vec<usize> = (0..batch.len()).filter(|&j| &batch[j] == label).collect();
        let n = cols.len() as f64;
        for g in 0..2 {
            let gs = r.gamma_star[[i, g]];
            let ds = r.delta_star[[i, g]];
            let g_next =
                (n * r.tau2[i] * r.gamma_hat[[i, g]] + ds * r.gamma_bar[i]) / (n * r.tau2[i] + ds);
            let sum2: f64 = cols.iter().map(|&j| (z[[g, j]] - gs).powi(2)).sum();
            let d_next = (r.b_prior[i] + 0.5 * sum2) / (n / 2.0 + r.a_prior[i] - 1.0);
            // one more iteration moves the estimates by less than the tolerance
            assert!((g_next - gs).abs() <= 2.0 * COMBAT_TOLERANCE * gs.abs().max(1e-12));
            assert!((d_next - ds).abs() <= 2.0 * COMBAT_TOLERANCE * ds);
            // shrinkage: γ* lies between γ̂ and γ̄
            let (lo, hi) = if r.gamma_hat[[i, g]] < r.gamma_bar[i] {
                (r.gamma_hat[[i, g]], r.gamma_bar[i])
            } else {
                (r.gamma_bar[i], r.gamma_hat[[i, g]])
            };
            assert!(lo - 1e-12 <= gs && gs <= hi + 1e-12);
            // adjusted value of the first sample of this batch
            let j = cols[0];
            let want = r.pooled_sd[g] * (z[[g, j]] - gs) / ds.sqrt() + r.grand_mean[g];
            close(r.adjusted[[g, j]], want, 1e-12);
        }
    }
}

#[test]
fn mean_only_uses_the_closed_form() {
    let (data, batch) = small();
    let opts = CombatOptions {
        parametric: true,
        mean_only: true,
    };
    let r = combat(data.view(), &batch, &opts).unwrap();
    for i in 0..2 {
        for g in 0..2 {
            let want = (r.tau2[i] * r.gamma_hat[[i, g]] + r.gamma_bar[i]) / (r.tau2[i] + 1.0);
            close(r.gamma_star[[i, g]], want, 1e-14);
            assert_eq!(r.delta_star[[i, g]], 1.0);
            assert_eq!(r.delta_hat[[i, g]], 1.0);
        }
    }
    assert!(r.a_prior.is_empty() && r.b_prior.is_empty());
    // within-batch spread is kept: differences inside a batch unchanged
    close(r.adjusted[[1, 4]] - r.adjusted[[1, 0]], 4.0, 1e-12);
    // a batch of a single sample is allowed in mean-only mode
    let d1 = array![[1., 2., 3., 9.], [4., 4.5, 6., 1.]];
    let b1 = labels(&["x", "x", "x", "y"]);
    assert!(combat(d1.view(), &b1, &opts).is_ok());
    assert_eq!(
        combat(d1.view(), &b1, &CombatOptions::default()),
        Err(StatsError::BatchTooSmall {
            batch: "y".into(),
            n: 1
        })
    );
}

#[test]
fn non_parametric_with_two_features_takes_the_other_features_estimates() {
    // With G = 2 the prior of feature g is the single point (γ̂_h, δ̂_h), h ≠ g.
    let (data, batch) = small();
    let opts = CombatOptions {
        parametric: false,
        mean_only: false,
    };
    let r = combat(data.view(), &batch, &opts).unwrap();
    for i in 0..2 {
        for g in 0..2 {
            close(r.gamma_star[[i, g]], r.gamma_hat[[i, 1 - g]], 1e-15);
            close(r.delta_star[[i, g]], r.delta_hat[[i, 1 - g]], 1e-15);
        }
    }
    assert!(r.a_prior.is_empty());
}

#[test]
fn non_parametric_weights_are_normal_likelihoods() {
    // three features, direct (linear-space) evaluation of the kernel weights
    let data = array![
        [1.0, 2.0, 1.5, 3.0, 2.2, 2.9, 0.7, 3.3],
        [5.0, 4.0, 6.0, 5.5, 4.4, 6.1, 5.2, 4.9],
        [0.1, 0.9, 0.3, 0.2, 0.8, 0.5, 0.4, 1.0],
    ];
    let batch = labels(&["p", "q", "p", "q", "p", "q", "p", "q"]);
    let opts = CombatOptions {
        parametric: false,
        mean_only: false,
    };
    let r = combat(data.view(), &batch, &opts).unwrap();
    let z = standardised(&r, &data);
    for (i, label) in r.batches.iter().enumerate() {
        let cols: Vec<usize> = (0..8).filter(|&j| &batch[j] == label).collect();
        for g in 0..3 {
            let (mut sw, mut swg, mut swd) = (0.0, 0.0, 0.0);
            for h in (0..3).filter(|&h| h != g) {
                let (gh, dh) = (r.gamma_hat[[i, h]], r.delta_hat[[i, h]]);
                let w: f64 = cols
                    .iter()
                    .map(|&j| {
                        (-(z[[g, j]] - gh).powi(2) / (2.0 * dh)).exp()
                            / (2.0 * std::f64::consts::PI * dh).sqrt()
                    })
                    .product();
                sw += w;
                swg += w * gh;
                swd += w * dh;
            }
            close(r.gamma_star[[i, g]], swg / sw, 1e-12);
            close(r.delta_star[[i, g]], swd / sw, 1e-12);
        }
    }
}

/// Deterministic standard normal variates (xorshift64* + Box–Muller).
struct Normal(u64);
impl Normal {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn next(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn batch_moments(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (
        m,
        x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

#[test]
fn weak_prior_equalises_batch_means_and_variances() {
    // 6 features with very different batch shifts and scales (so τ² is large
    // and the inverse-gamma prior is diffuse), 1000 samples per batch: the
    // remaining shrinkage of δ* towards the prior is O(λ/n).
    let mut rng = Normal(42);
    let (g_count, n) = (6, 1000);
    let shifts = [
        [0.0, 5.0],
        [-8.0, 1.0],
        [3.0, -2.0],
        [0.5, 12.0],
        [-4.0, -9.0],
        [7.0, 0.0],
    ];
    let scales = [
        [1.0, 2.0],
        [0.7, 1.4],
        [2.0, 1.0],
        [1.0, 0.6],
        [1.5, 2.0],
        [0.8, 0.8],
    ];
    let mut data = Array2::zeros((g_count, 2 * n));
    let mut batch = Vec::new();
    for j in 0..2 * n {
        let b = j % 2;
        batch.push(if b == 0 {
            "s1".to_string()
        } else {
            "s2".to_string()
        });
        for g in 0..g_count {
            data[[g, j]] = 100.0 + shifts[g][b] + scales[g][b] * rng.next();
        }
    }
    let r = combat(data.view(), &batch, &CombatOptions::default()).unwrap();
    for g in 0..g_count {
        let a: Vec<f64> = (0..2 * n).step_by(2).map(|j| r.adjusted[[g, j]]).collect();
        let b: Vec<f64> = (1..2 * n).step_by(2).map(|j| r.adjusted[[g, j]]).collect();
        let (ma, va) = batch_moments(&a);
        let (mb, vb) = batch_moments(&b);
        let sd = r.pooled_sd[g];
        assert!((ma - mb).abs() < 0.01 * sd, "feature {g}: means {ma} {mb}");
        assert!(
            (va / vb - 1.0).abs() < 0.05,
            "feature {g}: variances {va} {vb}"
        );
        // and the harmonised batches sit at the grand mean with the pooled sd
        assert!((ma - r.grand_mean[g]).abs() < 0.01 * sd);
        assert!((va.sqrt() / sd - 1.0).abs() < 0.05);
    }
    // before harmonisation the batches clearly differ
    let raw_a: Vec<f64> = (0..2 * n).step_by(2).map(|j| data[[0, j]]).collect();
    let raw_b: Vec<f64> = (1..2 * n).step_by(2).map(|j| data[[0, j]]).collect();
    assert!((batch_moments(&raw_a).0 - batch_moments(&raw_b).0).abs() > 4.0);
}

#[test]
fn constant_shift_of_one_feature_is_removed() {
    // batch 2 is a copy of batch 1 except feature 0, shifted by +10
    let mut rng = Normal(7);
    let (g_count, n) = (5, 40);
    let mut data = Array2::zeros((g_count, 2 * n));
    for j in 0..n {
        for g in 0..g_count {
            let v = 50.0 + (g as f64 + 1.0) * rng.next();
            data[[g, j]] = v;
            data[[g, j + n]] = if g == 0 { v + 10.0 } else { v };
        }
    }
    let batch: Vec<String> = (0..2 * n)
        .map(|j| if j < n { "old".into() } else { "new".into() })
        .collect();
    for opts in [
        CombatOptions::default(),
        CombatOptions {
            parametric: true,
            mean_only: true,
        },
    ] {
        let r = combat(data.view(), &batch, &opts).unwrap();
        let row = r.adjusted.row(0);
        let m1 = row.iter().take(n).sum::<f64>() / n as f64;
        let m2 = row.iter().skip(n).sum::<f64>() / n as f64;
        // the 10-unit shift shrinks to a small fraction; EB shrinkage towards
        // γ̄ keeps a little: with n τ² = 40·5 in the full model (< 5 % left),
        // but mean-only ComBat uses n = 1, δ = 1 in the posterior mean
        // (as the reference implementation), so γ* = (5·5 + 1)/6 for
        // γ̂ ≈ 5 and ≈ 13 % of the shift remains.
        let allowed = if opts.mean_only { 2.0 } else { 0.5 };
        assert!(
            (m2 - m1).abs() < allowed,
            "{opts:?}: residual shift {}",
            m2 - m1
        );
        // features without shift: copies stay copies up to the (nearly equal)
        // batch adjustments. Not in mean-only mode: there the strong pull of
        // γ* towards γ̄ (which feature 0 moved by ±1) shifts the other
        // features by about σ·γ̄/(τ² + 1), a known property of that variant.
        if opts.mean_only {
            continue;
        }
        for g in 1..g_count {
            for j in 0..n {
                close(
                    r.adjusted[[g, j]],
                    r.adjusted[[g, j + n]],
                    0.05 * (g as f64 + 1.0),
                );
            }
        }
    }
}

#[test]
fn deterministic_output() {
    let mut rng = Normal(3);
    let data = Array2::from_shape_fn((30, 24), |(g, _)| g as f64 + rng.next());
    let batch: Vec<String> = (0..24).map(|j| format!("b{}", j % 3)).collect();
    for parametric in [true, false] {
        let opts = CombatOptions {
            parametric,
            mean_only: false,
        };
        let a = combat(data.view(), &batch, &opts).unwrap();
        let b = combat(data.view(), &batch, &opts).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.batches, labels(&["b0", "b1", "b2"]));
        assert_eq!(a.gamma_hat.dim(), (3, 30));
    }
}

#[test]
fn errors() {
    let (data, batch) = small();
    let opts = CombatOptions::default();
    assert_eq!(
        combat(data.view(), &batch[..5], &opts),
        Err(StatsError::Ragged)
    );
    assert_eq!(
        combat(data.view(), &labels(&["A"; 6]), &opts),
        Err(StatsError::SingleBatch)
    );
    assert_eq!(
        combat(data.slice(ndarray::s![0..1, ..]), &batch, &opts),
        Err(StatsError::TooFewFeatures {
            features: 1,
            needed: 2
        })
    );
    let mut bad = data.clone();
    bad[[1, 2]] = f64::NAN;
    assert_eq!(
        combat(bad.view(), &batch, &opts),
        Err(StatsError::NonFinite)
    );
    let constant = array![[1., 1., 1., 1., 1., 1.], [0., 1., 2., 2., 4., 3.]];
    assert!(matches!(
        combat(constant.view(), &batch, &opts),
        Err(StatsError::ZeroVariance { .. })
    ));
    // constant within each batch but different between them: σ = 0 as well
    let step = array![[1., 2., 1., 2., 1., 2.], [0., 1., 2., 2., 4., 3.]];
    assert!(matches!(
        combat(step.view(), &batch, &opts),
        Err(StatsError::ZeroVariance { .. })
    ));
}

#[test]
fn result_types_are_serde() {
    fn is_serde<T: serde::Serialize + serde::de::DeserializeOwned>() {}
    is_serde::<Combat>();
    is_serde::<CombatOptions>();
    is_serde::<radx_stats::Icc>();
    is_serde::<radx_stats::KruskalWallis>();
    is_serde::<radx_stats::BlandAltman>();
    is_serde::<radx_stats::Reliability>();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Within a batch the adjustment is an increasing affine map, so ranks
    /// (and the order of any two samples) are preserved.
    #[test]
    fn ranks_within_batch_preserved(
        values in prop::collection::vec(-50.0f64..50.0, 4 * 12),
        parametric in any::<bool>(),
        mean_only in any::<bool>(),
    ) {
        let data = Array2::from_shape_vec((4, 12), values).unwrap();
        let batch: Vec<String> = (0..12).map(|j| ["u", "v", "w"][j % 3].to_string()).collect();
        let r = combat(data.view(), &batch, &CombatOptions { parametric, mean_only }).unwrap();
        for g in 0..4 {
            for j in 0..12 {
                for k in 0..12 {
                    if j % 3 == k % 3 && data[[g, j]] < data[[g, k]] {
                        prop_assert!(r.adjusted[[g, j]] < r.adjusted[[g, k]]);
                    }
                }
            }
        }
        prop_assert!(r.delta_star.iter().all(|&d| d > 0.0));
    }
}
