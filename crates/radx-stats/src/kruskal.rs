//! Kruskal–Wallis one-way analysis of variance on ranks.

use serde::{Deserialize, Serialize};

use crate::dist::chi2_sf;
use crate::StatsError;

/// Result of a Kruskal–Wallis test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KruskalWallis {
    /// Tie-corrected statistic H.
    pub h: f64,
    /// Degrees of freedom g − 1 (g = number of groups).
    pub df: usize,
    /// Upper-tail χ²(g − 1) probability of H (asymptotic p-value).
    pub p_value: f64,
    /// Total number of observations N.
    pub n: usize,
}

/// Kruskal–Wallis H test that g groups come from the same distribution
/// (Kruskal & Wallis 1952, *J. Am. Stat. Assoc.* 47:583).
///
/// All N values are ranked together, ties receiving their mid-rank (mean of
/// the ranks they span). With `Rᵢ` the rank sum and `nᵢ` the size of group i:
///
/// `H₀ = 12/(N(N+1)) Σᵢ Rᵢ²/nᵢ − 3(N+1)`,
/// tie correction `C = 1 − Σ_t (t³ − t)/(N³ − N)` over tie groups of size t,
/// `H = H₀ / C`, and `p = Pr(χ²_{g−1} > H)` (the usual large-sample
/// approximation; conservative guidance: every nᵢ ≥ 5).
///
/// The result depends on the data only through their ranks, so it is
/// invariant under any strictly increasing transform and under reordering of
/// the groups.
///
/// Errors: fewer than 2 groups → [`StatsError::TooFewGroups`]; an empty
/// group → [`StatsError::EmptyGroup`]; NaN/∞ → [`StatsError::NonFinite`];
/// all N values equal (C = 0) → [`StatsError::ZeroVariance`].
pub fn kruskal_wallis(groups: &[Vec<f64>]) -> Result<KruskalWallis, StatsError> {
    if groups.len() < 2 {
        return Err(StatsError::TooFewGroups {
            groups: groups.len(),
        });
    }
    if let Some(index) = groups.iter().position(|g| g.is_empty()) {
        return Err(StatsError::EmptyGroup { index });
    }
    if groups.iter().flatten().any(|x| !x.is_finite()) {
        return Err(StatsError::NonFinite);
    }
    // (value, group) pairs sorted by value; total order is fine (all finite)
    let mut pooled: Vec<(f64, usize)> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, v)| v.iter().map(move |&x| (x, g)))
        .collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let n = pooled.len();
    let nf = n as f64;
    let mut rank_sums = vec![0.0; groups.len()];
    let mut tie_sum = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        // -0.0 and 0.0 are equal values: compare with ==, not total order
        while j < n && pooled[j].0 == pooled[i].0 {
            j += 1;
        }
        let t = (j - i) as f64;
        // ranks i+1 ..= j, mid-rank (i + 1 + j) / 2
        let mid = 0.5 * ((i + 1 + j) as f64);
        for &(_, g) in &pooled[i..j] {
            rank_sums[g] += mid;
        }
        tie_sum += t * t * t - t;
        i = j;
    }
    let correction = 1.0 - tie_sum / (nf * nf * nf - nf);
    if correction <= 0.0 {
        return Err(StatsError::ZeroVariance {
            what: "all observations are equal (Kruskal-Wallis tie correction is 0)".into(),
        });
    }
    let sum_r2n: f64 = rank_sums
        .iter()
        .zip(groups)
        .map(|(r, g)| r * r / g.len() as f64)
        .sum();
    let h0 = 12.0 / (nf * (nf + 1.0)) * sum_r2n - 3.0 * (nf + 1.0);
    // H₀ ≥ 0 mathematically; rounding can give −1e-15 when all rank means agree
    let h = (h0 / correction).max(0.0);
    let df = groups.len() - 1;
    Ok(KruskalWallis {
        h,
        df,
        p_value: chi2_sf(h, df as f64),
        n,
    })
}
