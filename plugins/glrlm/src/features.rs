//! GLRLM features from one (possibly merged) matrix (IBSI 03_Image_features.rst,
//! "Grey level run length based features").
//!
//! Notation: `r_ij` the number of runs of grey level `i` (the level value) and length
//! `j`; `N_s = sum r_ij` the number of runs; `N_v` the number of voxels (summed over
//! merged matrices); `r_i. = sum_j r_ij` and `r_.j = sum_i r_ij` the marginal sums;
//! `p_ij = r_ij / N_s`.
//!
//! | tag | IBSI | definition |
//! | --- | --- | --- |
//! | `sre` | 22OV | `sum_j r_.j / j^2 / N_s` (short runs emphasis) |
//! | `lre` | W4KF | `sum_j j^2 r_.j / N_s` (long runs emphasis) |
//! | `lgre` | V3SW | `sum_i r_i. / i^2 / N_s` (low grey level run emphasis) |
//! | `hgre` | G3QZ | `sum_i i^2 r_i. / N_s` (high grey level run emphasis) |
//! | `srlge` | HTZT | `sum r_ij / (i^2 j^2) / N_s` |
//! | `srhge` | GD3A | `sum i^2 r_ij / j^2 / N_s` |
//! | `lrlge` | IVPO | `sum j^2 r_ij / i^2 / N_s` |
//! | `lrhge` | 3KUM | `sum i^2 j^2 r_ij / N_s` |
//! | `glnu` | R5YN | `sum_i r_i.^2 / N_s` (grey level non-uniformity) |
//! | `glnu_norm` | OVBL | `sum_i r_i.^2 / N_s^2` |
//! | `rlnu` | W92Y | `sum_j r_.j^2 / N_s` (run length non-uniformity) |
//! | `rlnu_norm` | IC23 | `sum_j r_.j^2 / N_s^2` |
//! | `r_perc` | 9ZK5 | `N_s / N_v` (run percentage) |
//! | `gl_var` | 8CE5 | `sum (i - mu_i)^2 p_ij`, `mu_i = sum i p_ij` |
//! | `rl_var` | SXLW | `sum (j - mu_j)^2 p_ij`, `mu_j = sum j p_ij` |
//! | `rl_entr` | HJ9O | `-sum p_ij log2 p_ij` (run entropy) |
//!
//! Every feature is defined for a matrix with at least one run (a GLRLM is empty only
//! when its scope holds no ROI voxel; the aggregation skips such matrices).

use radx_texture::Outcome;

use crate::matrix::Glrlm;

/// Number of GLRLM features.
pub const N_FEATURES: usize = 16;

/// `(tag name, IBSI identifier)` of every feature, in output order.
pub const FEATURES: [(&str, &str); N_FEATURES] = [
    ("sre", "22OV"),
    ("lre", "W4KF"),
    ("lgre", "V3SW"),
    ("hgre", "G3QZ"),
    ("srlge", "HTZT"),
    ("srhge", "GD3A"),
    ("lrlge", "IVPO"),
    ("lrhge", "3KUM"),
    ("glnu", "R5YN"),
    ("glnu_norm", "OVBL"),
    ("rlnu", "W92Y"),
    ("rlnu_norm", "IC23"),
    ("r_perc", "9ZK5"),
    ("gl_var", "8CE5"),
    ("rl_var", "SXLW"),
    ("rl_entr", "HJ9O"),
];

/// Every GLRLM feature of a matrix, in the order of [`FEATURES`].
pub fn compute(m: &Glrlm) -> Vec<Outcome> {
    let runs = m.runs();
    if runs == 0 {
        return vec![Err("no run to count".into()); N_FEATURES];
    }
    let ns = runs as f64;
    let entries = m.entries();

    let mut sre = 0.0;
    let mut lre = 0.0;
    let mut lgre = 0.0;
    let mut hgre = 0.0;
    let mut srlge = 0.0;
    let mut srhge = 0.0;
    let mut lrlge = 0.0;
    let mut lrhge = 0.0;
    let mut entr = 0.0;
    let mut mu_i = 0.0;
    let mut mu_j = 0.0;
    // Marginal over run lengths, indexed by length.
    let max_len = entries.iter().map(|e| e.j).max().unwrap_or(0) as usize;
    let mut by_length = vec![0u64; max_len + 1];
    // Marginal over grey levels: entries are sorted by level, so equal levels are
    // adjacent and the row sums are accumulated in one sweep.
    let mut glnu_sum = 0.0;
    let mut row_level = None;
    let mut row_sum = 0u64;
    for e in entries {
        let n = e.n as f64;
        let (i, j) = (e.i as f64, e.j as f64);
        let (i2, j2) = (i * i, j * j);
        sre += n / j2;
        lre += n * j2;
        lgre += n / i2;
        hgre += n * i2;
        srlge += n / (i2 * j2);
        srhge += n * i2 / j2;
        lrlge += n * j2 / i2;
        lrhge += n * i2 * j2;
        let p = n / ns;
        entr -= p * p.log2();
        mu_i += i * p;
        mu_j += j * p;
        by_length[e.j as usize] += e.n;
        if row_level != Some(e.i) {
            glnu_sum += (row_sum as f64).powi(2);
            row_level = Some(e.i);
            row_sum = 0;
        }
        row_sum += e.n;
    }
    glnu_sum += (row_sum as f64).powi(2);
    let rlnu_sum: f64 = by_length.iter().map(|&c| (c as f64).powi(2)).sum();
    let mut gl_var = 0.0;
    let mut rl_var = 0.0;
    for e in entries {
        let p = e.n as f64 / ns;
        gl_var += (e.i as f64 - mu_i).powi(2) * p;
        rl_var += (e.j as f64 - mu_j).powi(2) * p;
    }
    let r_perc = if m.voxels() > 0 {
        Ok(ns / m.voxels() as f64)
    } else {
        Err("run percentage is undefined: no voxel counted".to_string())
    };
    vec![
        Ok(sre / ns),             // 22OV
        Ok(lre / ns),             // W4KF
        Ok(lgre / ns),            // V3SW
        Ok(hgre / ns),            // G3QZ
        Ok(srlge / ns),           // HTZT
        Ok(srhge / ns),           // GD3A
        Ok(lrlge / ns),           // IVPO
        Ok(lrhge / ns),           // 3KUM
        Ok(glnu_sum / ns),        // R5YN
        Ok(glnu_sum / (ns * ns)), // OVBL
        Ok(rlnu_sum / ns),        // W92Y
        Ok(rlnu_sum / (ns * ns)), // IC23
        r_perc,                   // 9ZK5
        Ok(gl_var),               // 8CE5
        Ok(rl_var),               // SXLW
        Ok(entr),                 // HJ9O
    ]
}
