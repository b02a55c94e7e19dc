//! Laplacian of Gaussian (IBSI 2, L6PA).

use ndarray::Array3;

use crate::boundary::Boundary;
use crate::conv::{convolve_axis, Kernel1};

/// The 1-D Gaussian of standard deviation `s` voxels and its second derivative, sampled at
/// `i = -r..=r`: `g(i) = exp(-i^2 / (2 s^2)) / (s sqrt(2 pi))` and
/// `g''(i) = g(i) (i^2 - s^2) / s^4`. Truncation and sampling leave the sums slightly off
/// their continuous values (1 and 0); the kernels are corrected so that they hold exactly:
/// `g` is divided by its sum and `g''` has `(sum g'') g` subtracted, so a constant image
/// has a zero Laplacian of Gaussian.
pub(crate) fn gaussian_pair(s: f64, r: usize) -> (Kernel1, Kernel1) {
    let norm = 1.0 / (s * (2.0 * std::f64::consts::PI).sqrt());
    let xs: Vec<f64> = (-(r as isize)..=r as isize).map(|i| i as f64).collect();
    let mut g: Vec<f64> = xs
        .iter()
        .map(|x| norm * (-x * x / (2.0 * s * s)).exp())
        .collect();
    let mut d2: Vec<f64> = g
        .iter()
        .zip(&xs)
        .map(|(v, x)| v * (x * x - s * s) / (s * s * s * s))
        .collect();
    let sum_g: f64 = g.iter().sum();
    for v in &mut g {
        *v /= sum_g;
    }
    let sum_d2: f64 = d2.iter().sum();
    for (d, v) in d2.iter_mut().zip(&g) {
        *d -= sum_d2 * v;
    }
    (Kernel1::centred(g), Kernel1::centred(d2))
}

/// Radius in voxels of a Gaussian (and LoG) kernel of standard deviation `s` voxels
/// truncated at `truncate` standard deviations: `floor(truncate s + 1/2)`, so the kernel
/// has `M = 1 + 2 floor(truncate s + 1/2)` taps (IBSI 2, L6PA).
pub fn log_radius(s: f64, truncate: f64) -> usize {
    (truncate * s + 0.5).floor().max(0.0) as usize
}

/// LoG response: the sum over the filtered axes of the second derivative of the
/// Gaussian-smoothed image, `sum_a d^2/di_a^2 (G * f)`, with `G` the Gaussian of standard
/// deviation `sigma_mm / spacing_a` voxels along axis `a` and `i_a` voxel indices (for an
/// isotropic spacing `s` this is `s^2` times the Laplacian in mm). `axes` lists the
/// filtered axes (all three in 3D; y and x for by-slice filtering). Evaluated
/// separably: each term is `g''` along its axis and `g` along the other filtered axes.
pub(crate) fn log(
    img: &Array3<f64>,
    spacing: [f64; 3],
    sigma_mm: f64,
    truncate: f64,
    axes: &[usize],
    mode: Boundary,
) -> Array3<f64> {
    let pairs: Vec<(usize, Kernel1, Kernel1)> = axes
        .iter()
        .map(|&a| {
            let s = sigma_mm / spacing[a];
            let (g, d2) = gaussian_pair(s, log_radius(s, truncate));
            (a, g, d2)
        })
        .collect();
    let mut total = Array3::<f64>::zeros(img.dim());
    for (t, (ax_t, _, d2)) in pairs.iter().enumerate() {
        // Smooth along the other axes, then differentiate along `ax_t`.
        let mut cur: Option<Array3<f64>> = None;
        for (o, (ax_o, g, _)) in pairs.iter().enumerate() {
            if o != t {
                cur = Some(convolve_axis(cur.as_ref().unwrap_or(img), *ax_o, g, mode));
            }
        }
        let term = convolve_axis(cur.as_ref().unwrap_or(img), *ax_t, d2, mode);
        total += &term;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_sums_to_one_and_its_second_derivative_to_zero() {
        for s in [0.3, 1.0, 1.5, 2.5, 4.0] {
            let (g, d2) = gaussian_pair(s, log_radius(s, 4.0));
            let sg: f64 = g.h.iter().sum();
            let sd: f64 = d2.h.iter().sum();
            assert!((sg - 1.0).abs() < 1e-14, "sum g = {sg}");
            assert!(sd.abs() < 1e-14, "sum g'' = {sd}");
            // Symmetric kernels.
            let n = g.h.len();
            for i in 0..n {
                assert_eq!(g.h[i], g.h[n - 1 - i]);
                assert_eq!(d2.h[i], d2.h[n - 1 - i]);
            }
        }
        for s in [1.0, 1.5, 2.5, 4.0] {
            let (_, d2) = gaussian_pair(s, log_radius(s, 6.0));
            // sum x^2 g(x)'' = 2, as the integral of x^2 g'' (integration by parts).
            let m2: f64 =
                d2.h.iter()
                    .enumerate()
                    .map(|(j, v)| {
                        let x = j as f64 - (d2.h.len() / 2) as f64;
                        x * x * v
                    })
                    .sum();
            assert!((m2 - 2.0).abs() < 1e-5, "second moment {m2}");
        }
    }

    #[test]
    fn radius_follows_the_truncation_rule() {
        assert_eq!(log_radius(1.5, 4.0), 6);
        assert_eq!(log_radius(2.5, 4.0), 10);
        assert_eq!(log_radius(0.1, 4.0), 0);
    }
}
