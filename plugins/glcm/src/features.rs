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
//! The features that depend on `|i - j|` only (`contrast`, `dissimilarity`, the
//! inverse differences, `inv_var`) are summed over the diagonal probabilities
//! `p_{x-y}(k)`, as the IBSI also writes them. Marginal and diagonal counts are summed
//! as exact integers before any division.
//!
//! Every feature is defined for a non-empty matrix except `corr` and `info_corr1`;
//! the aggregation of `radx-texture` skips empty matrices.

use radx_texture::Outcome;

use crate::matrix::Glcm;

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

/// Largest key for which counts are summed in a dense table rather than by sorting.
const DENSE_KEYS: u64 = 1 << 17;

/// The counts of `pairs` summed by key: the non-zero `(key, count)` sorted by key.
/// Integer sums are exact, so the result does not depend on the summation path.
fn counts_by_key(pairs: impl Iterator<Item = (u64, u64)>, max_key: u64) -> Vec<(u64, u64)> {
    if max_key <= DENSE_KEYS {
        let mut table = vec![0u64; max_key as usize + 1];
        for (k, n) in pairs {
            table[k as usize] += n;
        }
        table
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(k, &n)| (k as u64, n))
            .collect()
    } else {
        let mut v: Vec<(u64, u64)> = pairs.collect();
        v.sort_unstable();
        let mut out: Vec<(u64, u64)> = Vec::with_capacity(v.len());
        for (k, n) in v {
            match out.last_mut() {
                Some(g) if g.0 == k => g.1 += n,
                _ => out.push((k, n)),
            }
        }
        out
    }
}

/// Mean, variance and entropy (base 2) of the distribution `count / total` over keys,
/// and the number of keys.
fn moments(counts: &[(u64, u64)], total: f64) -> (f64, f64, f64, usize) {
    let mut mean = 0.0;
    let mut entr = 0.0;
    for &(k, c) in counts {
        let p = c as f64 / total;
        mean += k as f64 * p;
        entr += neg_p_log2_p(p);
    }
    let var = counts
        .iter()
        .map(|&(k, c)| (k as f64 - mean).powi(2) * (c as f64 / total))
        .sum();
    (mean, var, entr, counts.len())
}

/// Every GLCM feature of a non-empty matrix, in the order of [`FEATURES`]. `n_g` is the
/// number of grey levels `N_g` of the discretisation.
pub fn compute(m: &Glcm, n_g: f64) -> Vec<Outcome> {
    let total = m.total();
    if total == 0 {
        return vec![Err("no voxel pair to count".into()); N_FEATURES];
    }
    let tot = total as f64;
    let entries = m.entries();

    // First pass over the non-zero elements: the features of p_ij itself and the row
    // marginal counts `(grey level, count)`, exact integers (entries are sorted by
    // `(i, j)`, so the row marginal is one sweep).
    let mut row: Vec<(u64, u64)> = Vec::new();
    let mut max_n = 0u64;
    let mut joint_entr = 0.0;
    let mut energy = 0.0;
    let mut auto_corr = 0.0;
    let mut max_level = 0u64;
    for e in entries {
        let p = e.n as f64 / tot;
        match row.last_mut() {
            Some(r) if r.0 == e.i as u64 => r.1 += e.n,
            _ => row.push((e.i as u64, e.n)),
        }
        max_level = max_level.max(e.i.max(e.j) as u64);
        max_n = max_n.max(e.n);
        joint_entr += neg_p_log2_p(p);
        energy += p * p;
        auto_corr += e.i as f64 * e.j as f64 * p;
    }
    let joint_max = max_n as f64 / tot;

    // Column marginal, diagonal (|i - j|) and cross-diagonal (i + j) counts.
    let col = counts_by_key(entries.iter().map(|e| (e.j as u64, e.n)), max_level);
    let diff = counts_by_key(
        entries.iter().map(|e| (e.i.abs_diff(e.j) as u64, e.n)),
        max_level,
    );
    let sum = counts_by_key(
        entries.iter().map(|e| (e.i as u64 + e.j as u64, e.n)),
        2 * max_level,
    );

    // Marginal moments and entropies; the number of grey levels each holds.
    let (mu_x, var_x, hx, levels_x) = moments(&row, tot);
    let (mu_y, var_y, hy, levels_y) = moments(&col, tot);
    let (diff_avg, diff_var, diff_entr, _) = moments(&diff, tot);
    let (sum_avg, sum_var, sum_entr, _) = moments(&sum, tot);

    // Features that depend on |i - j| only, from the diagonal probabilities
    // p_{x-y}(k) (the IBSI gives these forms too): contrast, dissimilarity, the inverse
    // differences and the inverse variance.
    let n_g2 = n_g * n_g;
    let mut contrast = 0.0;
    let mut dissimilarity = 0.0;
    let mut inv_diff = 0.0;
    let mut inv_diff_norm = 0.0;
    let mut inv_diff_mom = 0.0;
    let mut inv_diff_mom_norm = 0.0;
    let mut inv_var = 0.0;
    for &(k, c) in &diff {
        let p = c as f64 / tot;
        let k = k as f64;
        contrast += k * k * p;
        dissimilarity += k * p;
        inv_diff += p / (1.0 + k);
        inv_diff_norm += p / (1.0 + k / n_g);
        inv_diff_mom += p / (1.0 + k * k);
        inv_diff_mom_norm += p / (1.0 + k * k / n_g2);
        if k > 0.0 {
            inv_var += p / (k * k);
        }
    }

    // Second pass: moments about the marginal means.
    let mut cov = 0.0;
    let mut clust_tend = 0.0;
    let mut clust_shade = 0.0;
    let mut clust_prom = 0.0;
    for e in entries {
        let p = e.n as f64 / tot;
        let (i, j) = (e.i as f64, e.j as f64);
        cov += (i - mu_x) * (j - mu_y) * p;
        let t = i + j - mu_x - mu_y;
        let t2 = t * t;
        clust_tend += t2 * p;
        clust_shade += t2 * t * p;
        clust_prom += t2 * t2 * p;
    }

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
