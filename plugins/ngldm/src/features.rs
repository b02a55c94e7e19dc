//! NGLDM features (03_Image_features.rst, "Neighbouring grey level dependence based
//! features").
//!
//! Notation: `s_ij` the matrix (grey level `i`, dependence `j`), `N_s = Σ s_ij` the
//! number of neighbourhoods, `N_v` the number of ROI voxels, marginals
//! `s_i. = Σ_j s_ij` and `s_.j = Σ_i s_ij`, and `p_ij = s_ij / N_s`. Every feature is
//! defined for a non-empty matrix.

use radx_texture::Outcome;

use crate::matrix::NgldmMatrix;

/// Every NGLDM feature of `m`, in [`crate::FEATURES`] order.
pub fn features(m: &NgldmMatrix) -> Vec<Outcome> {
    let ns_u = m.n_neighbourhoods();
    if ns_u == 0 {
        return vec![Err("no neighbourhood was counted".to_string()); 17];
    }
    let ns = ns_u as f64;
    let mut row = vec![0u64; m.n_levels()]; // s_i.
    let mut col = vec![0u64; m.n_dep()]; // s_.j
                                         // Sums over the non-zero elements, in row-major order.
    let (mut ldlge, mut ldhge, mut hdlge, mut hdhge) = (0.0, 0.0, 0.0, 0.0);
    let (mut mu_i, mut mu_j, mut entropy, mut energy) = (0.0, 0.0, 0.0, 0.0);
    for (i, j, c) in m.entries() {
        row[i - 1] += c;
        col[j - 1] += c;
        let (fi, fj, s) = (i as f64, j as f64, c as f64);
        let (i2, j2) = (fi * fi, fj * fj);
        ldlge += s / (i2 * j2);
        ldhge += s * i2 / j2;
        hdlge += s * j2 / i2;
        hdhge += s * i2 * j2;
        let p = s / ns;
        mu_i += fi * p;
        mu_j += fj * p;
        entropy -= p * p.log2();
        energy += p * p;
    }
    let (mut var_i, mut var_j) = (0.0, 0.0);
    for (i, j, c) in m.entries() {
        let p = c as f64 / ns;
        var_i += (i as f64 - mu_i).powi(2) * p;
        var_j += (j as f64 - mu_j).powi(2) * p;
    }
    let (mut lde, mut hde, mut dcnu) = (0.0, 0.0, 0.0);
    for (k, &c) in col.iter().enumerate() {
        let (j, s) = ((k + 1) as f64, c as f64);
        lde += s / (j * j);
        hde += s * j * j;
        dcnu += s * s;
    }
    let (mut lgce, mut hgce, mut glnu) = (0.0, 0.0, 0.0);
    for (k, &c) in row.iter().enumerate() {
        let (i, s) = ((k + 1) as f64, c as f64);
        lgce += s / (i * i);
        hgce += s * i * i;
        glnu += s * s;
    }
    vec![
        // lde (SODN): (1/N_s) Σ_j s_.j / j²
        Ok(lde / ns),
        // hde (IMOQ): (1/N_s) Σ_j j² s_.j
        Ok(hde / ns),
        // lgce (TL9H): (1/N_s) Σ_i s_i. / i²
        Ok(lgce / ns),
        // hgce (OAE7): (1/N_s) Σ_i i² s_i.
        Ok(hgce / ns),
        // ldlge (EQ3F): (1/N_s) Σ_i Σ_j s_ij / (i² j²)
        Ok(ldlge / ns),
        // ldhge (JA6D): (1/N_s) Σ_i Σ_j i² s_ij / j²
        Ok(ldhge / ns),
        // hdlge (NBZI): (1/N_s) Σ_i Σ_j j² s_ij / i²
        Ok(hdlge / ns),
        // hdhge (9QMG): (1/N_s) Σ_i Σ_j i² j² s_ij
        Ok(hdhge / ns),
        // glnu (FP8K): (1/N_s) Σ_i s_i.²
        Ok(glnu / ns),
        // glnu_norm (5SPA): (1/N_s²) Σ_i s_i.²
        Ok(glnu / (ns * ns)),
        // dcnu (Z87G): (1/N_s) Σ_j s_.j²
        Ok(dcnu / ns),
        // dcnu_norm (OKJI): (1/N_s²) Σ_j s_.j²
        Ok(dcnu / (ns * ns)),
        // dc_perc (6XV8): N_s / N_v (1 under the IBSI definition, every ROI voxel being
        // the centre of a neighbourhood)
        dc_perc(ns_u, m.n_voxels()),
        // gl_var (1PFV): Σ_i Σ_j (i - μ)² p_ij, μ = Σ_i Σ_j i p_ij
        Ok(var_i),
        // dc_var (DNX2): Σ_i Σ_j (j - μ)² p_ij, μ = Σ_i Σ_j j p_ij
        Ok(var_j),
        // dc_entr (FCBV): -Σ_i Σ_j p_ij log2 p_ij (over p_ij > 0)
        Ok(entropy),
        // dc_energy (CAS9): Σ_i Σ_j p_ij²
        Ok(energy),
    ]
}

/// Dependence count percentage (6XV8): `N_s / N_v`.
fn dc_perc(ns: u64, nv: u64) -> Outcome {
    if nv == 0 {
        Err("the matrix records no ROI voxel count N_v".into())
    } else {
        Ok(ns as f64 / nv as f64)
    }
}
