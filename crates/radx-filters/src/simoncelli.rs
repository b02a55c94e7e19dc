//! Non-separable wavelets defined in the Fourier domain: the Simoncelli isotropic wavelet
//! (IBSI 2 non-separable wavelets, LODD) and the Riesz transform.

use rustfft::num_complex::Complex64;

/// Simoncelli band-pass transfer function at decomposition level `level` (1-based):
/// `psi(2^(level-1) r)` with `psi(r) = cos(pi/2 log2(2 r / pi))` for `pi/4 < r <= pi` and 0
/// elsewhere, `r = |omega|` the radial frequency in radians per voxel.
pub(crate) fn simoncelli(r: f64, level: u32) -> f64 {
    use std::f64::consts::PI;
    let r = r * f64::from(1u32 << (level - 1));
    if r > PI / 4.0 && r <= PI {
        (PI / 2.0 * (2.0 * r / PI).log2()).cos()
    } else {
        0.0
    }
}

/// Riesz transform multiplier of order `l` (per axis `(z, y, x)`) at angular frequency
/// `w`: `sqrt(|l|! / prod l_k!) prod_k (-i w_k / |w|)^(l_k)`, 0 at `w = 0`.
pub(crate) fn riesz(order: [u32; 3], w: [f64; 3]) -> Complex64 {
    let total: u32 = order.iter().sum();
    if total == 0 {
        return Complex64::new(1.0, 0.0);
    }
    let norm = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
    if norm == 0.0 {
        return Complex64::new(0.0, 0.0);
    }
    let fact = |n: u32| (1..=n).map(f64::from).product::<f64>();
    let c = (fact(total) / order.iter().map(|&o| fact(o)).product::<f64>()).sqrt();
    let mut v = Complex64::new(c, 0.0);
    for k in 0..3 {
        for _ in 0..order[k] {
            v *= Complex64::new(0.0, -w[k] / norm);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn simoncelli_bands_tile_the_spectrum() {
        // Squared band-pass responses of consecutive levels sum to 1 between pi/2^L and pi/2...
        for i in 1..200 {
            let r = PI / 8.0 + (PI - PI / 8.0) * i as f64 / 200.0;
            let s: f64 = (1..=3).map(|l| simoncelli(r, l).powi(2)).sum();
            if r > PI / 4.0 * 0.999 && r < PI / 2.0 {
                assert!((s - 1.0).abs() < 1e-9, "r {r}: {s}");
            }
        }
        assert_eq!(simoncelli(PI / 2.0, 1), 1.0);
        assert_eq!(simoncelli(0.1, 1), 0.0);
        assert_eq!(simoncelli(PI / 4.0, 2), 1.0);
    }

    #[test]
    fn riesz_first_order_components_have_unit_energy() {
        // sum over the first-order components of |R|^2 is 1 away from the origin.
        let w = [0.3, -1.2, 0.7];
        let s: f64 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
            .iter()
            .map(|&o| riesz(o, w).norm_sqr())
            .sum();
        assert!((s - 1.0).abs() < 1e-12);
        // Second order: sum over |l| = 2 of |R^l|^2 is also 1.
        let orders = [
            [2, 0, 0],
            [0, 2, 0],
            [0, 0, 2],
            [1, 1, 0],
            [1, 0, 1],
            [0, 1, 1],
        ];
        let s: f64 = orders.iter().map(|&o| riesz(o, w).norm_sqr()).sum();
        assert!((s - 1.0).abs() < 1e-12);
        assert_eq!(riesz([1, 0, 0], [0.0; 3]), Complex64::new(0.0, 0.0));
    }
}
