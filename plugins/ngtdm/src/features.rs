//! NGTDM features (03_Image_features.rst, "Neighbourhood grey tone difference based
//! features").
//!
//! Notation: `n_i` and `s_i` from the matrix, `N_v,c = Σ n_i`, `p_i = n_i / N_v,c`;
//! double sums run over the grey levels with `p_i > 0` only (their number is `N_g,p`),
//! over ordered pairs `(i1, i2)` including `i1 = i2`.
//!
//! Where the manual replaces a division by zero with a conventional number (coarseness
//! 10^6, contrast, busyness and strength 0), radx reports the value as missing with the
//! reason instead: those numbers are not values of the formula, and a conventional 10^6
//! would dominate any average over slices.

use radx_texture::Outcome;

use crate::matrix::NgtdmMatrix;

/// One present grey level: level `i`, count `n_i`, probability `p_i`, difference `s_i`.
struct Level {
    i: f64,
    iu: u128,
    n: u128,
    p: f64,
    s: f64,
}

/// Every NGTDM feature of `m`, in [`crate::FEATURES`] order. `m` must not be empty.
pub fn features(m: &NgtdmMatrix) -> Vec<Outcome> {
    let nvc = m.n_counted();
    if nvc == 0 {
        return vec![Err("no voxel has a neighbour in the ROI".to_string()); 5];
    }
    let nvc_f = nvc as f64;
    let levels: Vec<Level> = m
        .rows()
        .map(|(i, s, n)| Level {
            i: i as f64,
            iu: i as u128,
            n: n as u128,
            p: n as f64 / nvc_f,
            s,
        })
        .collect();
    let sum_ps: f64 = levels.iter().map(|l| l.p * l.s).sum();
    let sum_s: f64 = levels.iter().map(|l| l.s).sum();
    let ngp = levels.len();

    // Pair sums over a < b (every summand is symmetric and vanishes for a = b), doubled.
    let mut pp_d2 = 0.0; // Σ p1 p2 (i1 - i2)^2
    let mut ip_abs = 0u128; // Σ |i1 n1 - i2 n2|   (= N_v,c Σ |i1 p1 - i2 p2|)
    let mut cplx = 0.0; // Σ |i1 - i2| (p1 s1 + p2 s2) / (p1 + p2)
    let mut psum_d2 = 0.0; // Σ (p1 + p2) (i1 - i2)^2
    for (a, la) in levels.iter().enumerate() {
        for lb in &levels[a + 1..] {
            let d = lb.i - la.i;
            let d2 = d * d;
            pp_d2 += la.p * lb.p * d2;
            ip_abs += (la.iu * la.n).abs_diff(lb.iu * lb.n);
            cplx += d.abs() * (la.p * la.s + lb.p * lb.s) / (la.p + lb.p);
            psum_d2 += (la.p + lb.p) * d2;
        }
    }
    let (pp_d2, cplx, psum_d2) = (2.0 * pp_d2, 2.0 * cplx, 2.0 * psum_d2);
    let ip_abs = 2.0 * ip_abs as f64 / nvc_f;

    vec![
        coarseness(sum_ps),
        contrast(ngp, pp_d2, sum_s, nvc_f),
        busyness(sum_ps, ip_abs, ngp),
        complexity(cplx, nvc_f),
        strength(psum_d2, sum_s),
    ]
}

/// Coarseness (QCDE): `1 / Σ p_i s_i`. Undefined when `Σ p_i s_i = 0` (every counted
/// voxel equals its neighbourhood mean; the manual sets 10^6 by convention).
fn coarseness(sum_ps: f64) -> Outcome {
    if sum_ps > 0.0 {
        Ok(1.0 / sum_ps)
    } else {
        Err("NGTDM coarseness is undefined: every grey tone difference s_i is 0 (IBSI sets 10^6 by convention)".into())
    }
}

/// Contrast (65HE):
/// `[1 / (N_g,p (N_g,p - 1)) Σ_i1 Σ_i2 p_i1 p_i2 (i1 - i2)²] · [(1 / N_v,c) Σ_i s_i]`.
/// Undefined when `N_g,p = 1` (the manual sets 0 by convention).
fn contrast(ngp: usize, pp_d2: f64, sum_s: f64, nvc: f64) -> Outcome {
    if ngp < 2 {
        return Err(
            "NGTDM contrast is undefined for a single grey level (IBSI sets 0 by convention)"
                .into(),
        );
    }
    let g = ngp as f64;
    Ok(pp_d2 / (g * (g - 1.0)) * (sum_s / nvc))
}

/// Busyness (NQ30), in the IBSI form: `Σ p_i s_i / Σ_i1 Σ_i2 |i1 p_i1 - i2 p_i2|`.
/// Undefined when the denominator is 0: always for `N_g,p = 1` (the manual sets 0 by
/// convention), and for some probability distributions of two levels (e.g. `p_1 = 2/3`,
/// `p_2 = 1/3`). The denominator is summed exactly, in integers, as `Σ |i1 n_i1 - i2 n_i2|`.
fn busyness(sum_ps: f64, denom: f64, ngp: usize) -> Outcome {
    if denom > 0.0 {
        Ok(sum_ps / denom)
    } else if ngp < 2 {
        Err(
            "NGTDM busyness is undefined for a single grey level (IBSI sets 0 by convention)"
                .into(),
        )
    } else {
        Err("NGTDM busyness is undefined: Σ |i1 p_i1 - i2 p_i2| is 0".into())
    }
}

/// Complexity (HDEZ):
/// `(1 / N_v,c) Σ_i1 Σ_i2 |i1 - i2| (p_i1 s_i1 + p_i2 s_i2) / (p_i1 + p_i2)`.
/// Always defined for a non-empty matrix (0 when a single grey level is present: the
/// only summand has `i1 = i2`).
fn complexity(pair_sum: f64, nvc: f64) -> Outcome {
    Ok(pair_sum / nvc)
}

/// Strength (1X9X): `Σ_i1 Σ_i2 (p_i1 + p_i2)(i1 - i2)² / Σ_i s_i`. Undefined when
/// `Σ s_i = 0` (the manual sets 0 by convention).
fn strength(psum_d2: f64, sum_s: f64) -> Outcome {
    if sum_s > 0.0 {
        Ok(psum_d2 / sum_s)
    } else {
        Err("NGTDM strength is undefined: every grey tone difference s_i is 0 (IBSI sets 0 by convention)".into())
    }
}
