//! GLCM features from one (possibly merged) matrix (IBSI 03_Image_features.rst,
//! "Grey level co-occurrence based features").
//!
//! Notation: `p_ij = M_ij / sum(M)` over grey levels `i, j` (the level values, not
//! their ranks); `p_x(i) = sum_j p_ij` and `p_y(j) = sum_i p_ij` the row and column
//! marginals with means `mu_x, mu_y` and standard deviations `sigma_x, sigma_y`;
//! `p_{x-y}(k) = sum_ij p_ij [k = |i - j|]` the diagonal and
//! `p_{x+y}(k) = sum_ij p_ij [k = i + j]` the cross-diagonal probabilities; `N_g` the
//! number of grey levels of the discretisation; logarithms are base 2. The IBSI GLCM is
//! symmetric, so `p_x = p_y`; the formulas are written for the general matrix
//! (`glcm_symmetric = false`) and reduce to the IBSI forms when it is symmetric.
//!
//! | tag | IBSI | definition |
//! | --- | --- | --- |
//! | `joint_max` | GYBY | `max p_ij` |
//! | `joint_avg` | 60VM | `mu = sum i p_ij` (= `mu_x`) |
//! | `joint_var` | UR99 | `sum (i - mu)^2 p_ij` (= `sigma_x^2`) |
//! | `joint_entr` | TU9B | `HXY = -sum p_ij log2 p_ij` |
//! | `diff_avg` | TF7R | `mu_d = sum_k k p_{x-y}(k)` |
//! | `diff_var` | D3YU | `sum_k (k - mu_d)^2 p_{x-y}(k)` |
//! | `diff_entr` | NTRS | `-sum_k p_{x-y}(k) log2 p_{x-y}(k)` |
//! | `sum_avg` | ZGXS | `mu_s = sum_k k p_{x+y}(k)` |
//! | `sum_var` | OEEB | `sum_k (k - mu_s)^2 p_{x+y}(k)` |
//! | `sum_entr` | P6QZ | `-sum_k p_{x+y}(k) log2 p_{x+y}(k)` |
//! | `energy` | 8ZQL | `sum p_ij^2` (angular second moment) |
//! | `contrast` | ACUI | `sum (i - j)^2 p_ij` |
//! | `dissimilarity` | 8S9J | `sum abs(i - j) p_ij` |
//! | `inv_diff` | IB1Z | `sum p_ij / (1 + abs(i - j))` |
//! | `inv_diff_norm` | NDRX | `sum p_ij / (1 + abs(i - j) / N_g)` |
//! | `inv_diff_mom` | WF0Z | `sum p_ij / (1 + (i - j)^2)` |
//! | `inv_diff_mom_norm` | 1QCO | `sum p_ij / (1 + (i - j)^2 / N_g^2)` |
//! | `inv_var` | E8JP | `sum_{i != j} p_ij / (i - j)^2` (= `sum_{k>=1} p_{x-y}(k) / k^2`) |
//! | `corr` | NI2N | `sum (i - mu_x)(j - mu_y) p_ij / (sigma_x sigma_y)`; undefined when a marginal holds one grey level |
//! | `auto_corr` | QWB0 | `sum i j p_ij` |
//! | `clust_tend` | DG8W | `sum (i + j - mu_x - mu_y)^2 p_ij` |
//! | `clust_shade` | 7NFM | `sum (i + j - mu_x - mu_y)^3 p_ij` |
//! | `clust_prom` | AE86 | `sum (i + j - mu_x - mu_y)^4 p_ij` |
//! | `info_corr1` | R8DG | `(HXY - HXY1) / max(HX, HY)`; undefined when both marginal entropies are 0 (one grey level) |
//! | `info_corr2` | JN9H | `sqrt(1 - exp(-2 (HXY2 - HXY)))` |
//!
//! with `HX = -sum p_x log2 p_x`, `HY` likewise, `HXY1 = -sum p_ij log2(p_x(i) p_y(j))`
//! and `HXY2 = -sum_ij p_x(i) p_y(j) log2(p_x(i) p_y(j))`. Both `HXY1` and `HXY2` equal
//! `HX + HY` exactly (summing `p_ij` over `j` gives `p_x(i)`, and each marginal sums to
//! 1), which is how they are computed: in `O(K)` rather than `O(K^2)`. Their difference
//! from `HXY` (the mutual information) is clamped at 0 against rounding. Note that the
//! IBSI takes entropies in base 2 but `exp` in base e in `info_corr2`; so does this code.
//!
//! Every feature is defined for a non-empty matrix except `corr` and `info_corr1`;
//! the aggregation of `radx-texture` skips empty matrices.

use radx_texture::Outcome;

use crate::matrix::{Glcm, LevelIndex, ABSENT};

/// Number of GLCM features.
pub const N_FEATURES: usize = 25;

/// `(tag name, IBSI identifier)` of every feature, in output order.
pub const FEATURES: [(&str, &str); N_FEATURES] = [
    ("joint_max", "GYBY"),
    ("joint_avg", "60VM"),
    ("joint_var", "UR99"),
    ("joint_entr", "TU9B"),
    ("diff_avg", "TF7R"),
    ("diff_var", "D3YU"),
    ("diff_entr", "NTRS"),
    ("sum_avg", "ZGXS"),
    ("sum_var", "OEEB"),
    ("sum_entr", "P6QZ"),
    ("energy", "8ZQL"),
    ("contrast", "ACUI"),
    ("dissimilarity", "8S9J"),
    ("inv_diff", "IB1Z"),
    ("inv_diff_norm", "NDRX"),
    ("inv_diff_mom", "WF0Z"),
    ("inv_diff_mom_norm", "1QCO"),
    ("inv_var", "E8JP"),
    ("corr", "NI2N"),
    ("auto_corr", "QWB0"),
    ("clust_tend", "DG8W"),
    ("clust_shade", "7NFM"),
    ("clust_prom", "AE86"),
    ("info_corr1", "R8DG"),
    ("info_corr2", "JN9H"),
];

/// `-p log2 p`, 0 for `p = 0`.
#[inline]
fn neg_p_log2_p(p: f64) -> f64 {
    if p > 0.0 {
        -p * p.log2()
    } else {
        0.0
    }
}

/// Mean, variance and entropy of a distribution given as `(key, probability)` pairs,
/// after summing the probabilities of equal keys. `pairs` is sorted in place (stable,
/// so the summation order is fixed).
fn key_distribution(pairs: &mut [(u64, f64)]) -> (f64, f64, f64) {
    pairs.sort_by_key(|&(k, _)| k);
    let mut grouped: Vec<(f64, f64)> = Vec::with_capacity(pairs.len());
    let mut last: Option<u64> = None;
    for &(k, p) in pairs.iter() {
        if last == Some(k) {
            if let Some(g) = grouped.last_mut() {
                g.1 += p;
            }
        } else {
            grouped.push((k as f64, p));
            last = Some(k);
        }
    }
    let mean: f64 = grouped.iter().map(|&(k, p)| k * p).sum();
    let var: f64 = grouped.iter().map(|&(k, p)| (k - mean).powi(2) * p).sum();
    let entr: f64 = grouped.iter().map(|&(_, p)| neg_p_log2_p(p)).sum();
    (mean, var, entr)
}

/// Every GLCM feature of a non-empty matrix, in the order of [`FEATURES`]. `n_g` is the
/// number of grey levels `N_g` of the discretisation; `index` ranks the grey levels
/// that may occur in `m`.
pub fn compute(m: &Glcm, index: &LevelIndex, n_g: f64) -> Vec<Outcome> {
    let total = m.total();
    if total == 0 {
        return vec![Err("no voxel pair to count".into()); N_FEATURES];
    }
    let tot = total as f64;
    let k = index.len();
    // Marginal counts by grey-level rank (exact integers).
    let mut row = vec![0u64; k];
    let mut col = vec![0u64; k];
    let mut diff: Vec<(u64, f64)> = Vec::with_capacity(m.entries().len());
    let mut sum: Vec<(u64, f64)> = Vec::with_capacity(m.entries().len());

    let mut joint_max = 0.0f64;
    let mut joint_entr = 0.0;
    let mut energy = 0.0;
    let mut contrast = 0.0;
    let mut dissimilarity = 0.0;
    let mut inv_diff = 0.0;
    let mut inv_diff_norm = 0.0;
    let mut inv_diff_mom = 0.0;
    let mut inv_diff_mom_norm = 0.0;
    let mut inv_var = 0.0;
    let mut auto_corr = 0.0;
    let n_g2 = n_g * n_g;
    for e in m.entries() {
        let p = e.n as f64 / tot;
        let (i, j) = (e.i as f64, e.j as f64);
        let (ri, rj) = (index.rank(e.i), index.rank(e.j));
        if ri == ABSENT || rj == ABSENT {
            return vec![Err("internal error: grey level outside the ROI's levels".into()); N_FEATURES];
        }
        row[ri as usize] += e.n;
        col[rj as usize] += e.n;
        let d = e.i.abs_diff(e.j);
        let df = d as f64;
        diff.push((d as u64, p));
        sum.push((e.i as u64 + e.j as u64, p));
        joint_max = joint_max.max(p);
        joint_entr += neg_p_log2_p(p);
        energy += p * p;
        contrast += df * df * p;
        dissimilarity += df * p;
        inv_diff += p / (1.0 + df);
        inv_diff_norm += p / (1.0 + df / n_g);
        inv_diff_mom += p / (1.0 + df * df);
        inv_diff_mom_norm += p / (1.0 + df * df / n_g2);
        if d > 0 {
            inv_var += p / (df * df);
        }
        auto_corr += i * j * p;
    }

    // Marginal moments and entropies.
    let marginal = |counts: &[u64]| {
        let mut mean = 0.0;
        let mut entr = 0.0;
        let mut levels = 0usize;
        for (r, &c) in counts.iter().enumerate() {
            if c > 0 {
                let p = c as f64 / tot;
                mean += index.values[r] as f64 * p;
                entr += neg_p_log2_p(p);
                levels += 1;
            }
        }
        let mut var = 0.0;
        for (r, &c) in counts.iter().enumerate() {
            if c > 0 {
                var += (index.values[r] as f64 - mean).powi(2) * (c as f64 / tot);
            }
        }
        (mean, var, entr, levels)
    };
    let (mu_x, var_x, hx, levels_x) = marginal(&row);
    let (mu_y, var_y, hy, levels_y) = marginal(&col);

    // Second pass: moments about the marginal means.
    let mut cov = 0.0;
    let mut clust_tend = 0.0;
    let mut clust_shade = 0.0;
    let mut clust_prom = 0.0;
    for e in m.entries() {
        let p = e.n as f64 / tot;
        let (i, j) = (e.i as f64, e.j as f64);
        cov += (i - mu_x) * (j - mu_y) * p;
        let t = i + j - mu_x - mu_y;
        let t2 = t * t;
        clust_tend += t2 * p;
        clust_shade += t2 * t * p;
        clust_prom += t2 * t2 * p;
    }

    let (diff_avg, diff_var, diff_entr) = key_distribution(&mut diff);
    let (sum_avg, sum_var, sum_entr) = key_distribution(&mut sum);

    // Correlation is undefined when a marginal holds a single grey level (zero SD).
    let corr = if levels_x < 2 || levels_y < 2 {
        Err("correlation is undefined: the co-occurrence matrix holds a single grey level (zero variance)".to_string())
    } else {
        Ok(cov / (var_x.sqrt() * var_y.sqrt()))
    };
    // HXY1 = -sum p_ij log2(p_x(i) p_y(j)) and HXY2 = -sum p_x(i) p_y(j) log2(p_x(i) p_y(j))
    // both equal HX + HY exactly (sum over j of p_ij is p_x(i), and the marginals sum to 1).
    let mutual = (hx + hy - joint_entr).max(0.0);
    let info_corr1 = if levels_x < 2 && levels_y < 2 {
        Err("information correlation 1 is undefined: the co-occurrence matrix holds a single grey level (zero marginal entropy)".to_string())
    } else {
        Ok(-mutual / hx.max(hy))
    };
    let info_corr2 = (1.0 - (-2.0 * mutual).exp()).max(0.0).sqrt();

    vec![
        Ok(joint_max),         // GYBY
        Ok(mu_x),              // 60VM joint average
        Ok(var_x),             // UR99 joint variance
        Ok(joint_entr),        // TU9B
        Ok(diff_avg),          // TF7R
        Ok(diff_var),          // D3YU
        Ok(diff_entr),         // NTRS
        Ok(sum_avg),           // ZGXS
        Ok(sum_var),           // OEEB
        Ok(sum_entr),          // P6QZ
        Ok(energy),            // 8ZQL
        Ok(contrast),          // ACUI
        Ok(dissimilarity),     // 8S9J
        Ok(inv_diff),          // IB1Z
        Ok(inv_diff_norm),     // NDRX
        Ok(inv_diff_mom),      // WF0Z
        Ok(inv_diff_mom_norm), // 1QCO
        Ok(inv_var),           // E8JP
        corr,                  // NI2N
        Ok(auto_corr),         // QWB0
        Ok(clust_tend),        // DG8W
        Ok(clust_shade),       // 7NFM
        Ok(clust_prom),        // AE86
        info_corr1,            // R8DG
        Ok(info_corr2),        // JN9H
    ]
}
