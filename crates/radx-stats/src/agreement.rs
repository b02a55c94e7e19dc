//! Agreement statistics: concordance correlation, Bland–Altman limits,
//! coefficient of variation, and the Koo & Li reliability bands.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// Lin's concordance correlation coefficient of two paired samples
/// (Lin 1989, *Biometrics* 45:255), with population (1/n) moments:
///
/// `ρc = 2 s_ab / (s_a² + s_b² + (ā − b̄)²)`,
/// `s_ab = (1/n) Σ (aᵢ − ā)(bᵢ − b̄)`, `s_a² = (1/n) Σ (aᵢ − ā)²`.
///
/// `−1 ≤ ρc ≤ 1`, symmetric in `a` and `b`, and `ρc = 1` iff `a = b`.
/// Returns `None` (undefined) when the lengths differ, `n < 2`, a value is
/// not finite, or the denominator is 0 (both samples constant and equal).
pub fn ccc(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 || a.iter().chain(b).any(|x| !x.is_finite()) {
        return None;
    }
    let n = a.len() as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let dx = x - ma;
        let dy = y - mb;
        saa += dx * dx;
        sbb += dy * dy;
        sab += dx * dy;
    }
    let den = saa / n + sbb / n + (ma - mb).powi(2);
    if !den.is_finite() || den <= 0.0 {
        return None;
    }
    Some(2.0 * (sab / n) / den)
}

/// Overall concordance correlation coefficient of k ≥ 2 conditions
/// (Lin's CCC generalised to k raters; Barnhart, Haber & Song 2002,
/// *Biometrics* 58:1020, eq. 2; equivalently Lin 1989 for k = 2), with
/// population (1/n) moments:
///
/// `ρc = 2 Σ_{j<l} s_jl / ((k − 1) Σ_j s_j² + Σ_{j<l} (μ_j − μ_l)²)`,
///
/// where column `j` of `data` is condition `j`, `μ_j` its mean, `s_j²` its
/// variance and `s_jl` the covariance of columns `j` and `l`. Rows are
/// subjects. For k = 2 this equals [`ccc`].
///
/// Returns `None` when there are fewer than 2 rows or 2 columns, a value is
/// not finite, or the denominator is 0 (all columns constant and equal).
pub fn overall_ccc(data: ArrayView2<f64>) -> Option<f64> {
    let (n, k) = data.dim();
    if n < 2 || k < 2 || data.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let nf = n as f64;
    let means: Vec<f64> = data.columns().into_iter().map(|c| c.sum() / nf).collect();
    // covariance matrix (population), upper triangle incl. diagonal
    let mut cov = vec![0.0; k * k];
    for row in data.outer_iter() {
        for j in 0..k {
            let dj = row[j] - means[j];
            for l in j..k {
                cov[j * k + l] += dj * (row[l] - means[l]);
            }
        }
    }
    let mut sum_var = 0.0;
    let mut sum_cov = 0.0;
    let mut sum_mean_diff = 0.0;
    for j in 0..k {
        sum_var += cov[j * k + j] / nf;
        for l in (j + 1)..k {
            sum_cov += cov[j * k + l] / nf;
            sum_mean_diff += (means[j] - means[l]).powi(2);
        }
    }
    let den = (k as f64 - 1.0) * sum_var + sum_mean_diff;
    if !den.is_finite() || den <= 0.0 {
        return None;
    }
    Some(2.0 * sum_cov / den)
}

/// Bland–Altman agreement summary of two paired samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BlandAltman {
    /// Mean difference `d̄ = (1/n) Σ (aᵢ − bᵢ)`.
    pub bias: f64,
    /// Lower 95 % limit of agreement `d̄ − 1.96 s_d`.
    pub lower: f64,
    /// Upper 95 % limit of agreement `d̄ + 1.96 s_d`.
    pub upper: f64,
    /// Number of pairs.
    pub n: usize,
}

/// Bland–Altman bias and 95 % limits of agreement (Bland & Altman 1986,
/// *Lancet* 327:307): with `dᵢ = aᵢ − bᵢ`, bias `d̄`, sample standard
/// deviation `s_d = √(Σ (dᵢ − d̄)² / (n − 1))`, limits `d̄ ± 1.96 s_d`.
///
/// Returns `None` for `n < 2`, mismatched lengths or a non-finite value.
pub fn bland_altman(a: &[f64], b: &[f64]) -> Option<BlandAltman> {
    if a.len() != b.len() || a.len() < 2 || a.iter().chain(b).any(|x| !x.is_finite()) {
        return None;
    }
    let n = a.len();
    let nf = n as f64;
    let bias = a.iter().zip(b).map(|(x, y)| x - y).sum::<f64>() / nf;
    let ss: f64 = a.iter().zip(b).map(|(x, y)| (x - y - bias).powi(2)).sum();
    let sd = (ss / (nf - 1.0)).sqrt();
    let (lower, upper) = (bias - 1.96 * sd, bias + 1.96 * sd);
    if !(bias.is_finite() && lower.is_finite() && upper.is_finite()) {
        return None;
    }
    Some(BlandAltman {
        bias,
        lower,
        upper,
        n,
    })
}

/// Coefficient of variation `s / |x̄|` with the sample standard deviation
/// `s = √(Σ (xᵢ − x̄)² / (n − 1))` (e.g. Everitt & Skrondal, *Cambridge
/// Dictionary of Statistics*, 4th ed., 2010).
///
/// Returns `None` when `n < 2`, the mean is 0, or a value is not finite.
pub fn coefficient_of_variation(values: &[f64]) -> Option<f64> {
    if values.len() < 2 || values.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if mean == 0.0 || !mean.is_finite() {
        return None;
    }
    let ss: f64 = values.iter().map(|x| (x - mean).powi(2)).sum();
    let cv = (ss / (n - 1.0)).sqrt() / mean.abs();
    cv.is_finite().then_some(cv)
}

/// ICC above which reliability is excellent (Koo & Li 2016).
pub const EXCELLENT_ABOVE: f64 = 0.9;
/// ICC from which (inclusive) reliability is good (Koo & Li 2016).
pub const GOOD_FROM: f64 = 0.75;
/// ICC from which (inclusive) reliability is moderate (Koo & Li 2016).
pub const MODERATE_FROM: f64 = 0.5;

/// Reliability band of an ICC after Koo & Li (2016), *J. Chiropr. Med.*
/// 15:155: "below 0.5 poor, between 0.5 and 0.75 moderate, between 0.75 and
/// 0.9 good, above 0.9 excellent".
///
/// The paper leaves the boundaries open; this crate uses
/// `icc > 0.9` excellent, `0.75 ≤ icc ≤ 0.9` good, `0.5 ≤ icc < 0.75`
/// moderate, `icc < 0.5` poor (so exactly 0.9 is good, exactly 0.75 good,
/// exactly 0.5 moderate). A NaN ICC is classified as poor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reliability {
    /// ICC > 0.9.
    Excellent,
    /// 0.75 ≤ ICC ≤ 0.9.
    Good,
    /// 0.5 ≤ ICC < 0.75.
    Moderate,
    /// ICC < 0.5 (or NaN).
    Poor,
}

impl Reliability {
    /// Band of `icc` (boundary convention in the type documentation).
    pub fn of(icc: f64) -> Reliability {
        if icc > EXCELLENT_ABOVE {
            Reliability::Excellent
        } else if icc >= GOOD_FROM {
            Reliability::Good
        } else if icc >= MODERATE_FROM {
            Reliability::Moderate
        } else {
            Reliability::Poor
        }
    }

    /// Lower-case name, identical to the serde representation:
    /// `"excellent"`, `"good"`, `"moderate"`, `"poor"`.
    pub fn name(self) -> &'static str {
        match self {
            Reliability::Excellent => "excellent",
            Reliability::Good => "good",
            Reliability::Moderate => "moderate",
            Reliability::Poor => "poor",
        }
    }
}
