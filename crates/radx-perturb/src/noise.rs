//! Additive Gaussian noise and Immerkær's fast noise-level estimate.

use ndarray::Array3;
use radx_core::Image;

use crate::rng::Rng;

/// Adds `sd · N(0, 1)` to every voxel, in C order (z, then y, then x), one deviate per
/// voxel. `sd == 0` leaves the data bit-identical (no deviate is drawn).
pub fn add_noise(data: &mut Array3<f64>, sd: f64, rng: &mut Rng) {
    if sd == 0.0 {
        return;
    }
    for v in data.iter_mut() {
        *v += sd * rng.normal();
    }
}

/// Immerkær (1996, "Fast noise variance estimation", CVIU 64:300) noise standard
/// deviation of an image, from its axial slices.
///
/// Each slice is convolved with the Laplacian-difference mask
/// ```text
///      1 −2  1
/// N = −2  4 −2
///      1 −2  1
/// ```
/// which cancels locally planar (and most smooth) signal. For white Gaussian noise of sd
/// σ the response is N(0, 36σ²) (Σ N² = 36), whose mean absolute value is 6σ·√(2/π), so
/// ```text
/// σ̂ = √(π/2) · 1 / (6 · n) · Σ |(I ∗ N)(y, x)|
/// ```
/// summed over the `n` interior positions (with a full 3 × 3 neighbourhood of finite
/// values) of all axial slices together — slices are combined by pooling their
/// interior positions, i.e. weighted by their interior size.
///
/// Returns 0 when no slice has an interior position (in-plane size below 3 × 3, or no
/// finite neighbourhood); use [`noise_sd_estimate`] to tell that case apart.
pub fn estimate_noise_sd(image: &Image) -> f64 {
    noise_sd_estimate(image).unwrap_or(0.0)
}

/// [`estimate_noise_sd`], or `None` when no slice has an interior position.
pub fn noise_sd_estimate(image: &Image) -> Option<f64> {
    let data = image.data.as_standard_layout();
    let (nz, ny, nx) = data.dim();
    if ny < 3 || nx < 3 || nz == 0 {
        return None;
    }
    let s = data.as_slice()?;
    let mut sum = 0.0;
    let mut n: u64 = 0;
    for z in 0..nz {
        let sl = &s[z * ny * nx..(z + 1) * ny * nx];
        for y in 1..ny - 1 {
            let (r0, r1, r2) = (
                &sl[(y - 1) * nx..y * nx],
                &sl[y * nx..(y + 1) * nx],
                &sl[(y + 1) * nx..(y + 2) * nx],
            );
            for x in 1..nx - 1 {
                let v = (r0[x - 1] + r0[x + 1] + r2[x - 1] + r2[x + 1])
                    - 2.0 * (r0[x] + r2[x] + r1[x - 1] + r1[x + 1])
                    + 4.0 * r1[x];
                if v.is_finite() {
                    sum += v.abs();
                    n += 1;
                }
            }
        }
    }
    if n == 0 {
        return None;
    }
    Some((std::f64::consts::PI / 2.0).sqrt() * sum / (6.0 * n as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use radx_core::Grid;

    fn image(data: Array3<f64>) -> Image {
        let d = data.dim();
        Image::new(Grid::new([d.0, d.1, d.2], [2.0, 1.0, 1.0], [0.0; 3]), data).unwrap()
    }

    #[test]
    fn planar_image_has_zero_noise() {
        let img = image(Array3::from_shape_fn((3, 8, 9), |(z, y, x)| {
            5.0 + 2.0 * z as f64 - 1.5 * y as f64 + 0.25 * x as f64
        }));
        assert_eq!(estimate_noise_sd(&img), 0.0);
    }

    #[test]
    fn hand_computed_single_spike() {
        // A unit spike in the middle of a 3 x 3 slice: the only interior response is 4,
        // so sigma = sqrt(pi/2) * 4 / 6.
        let mut a = Array3::zeros((1, 3, 3));
        a[[0, 1, 1]] = 1.0;
        let want = (std::f64::consts::PI / 2.0).sqrt() * 4.0 / 6.0;
        assert!((estimate_noise_sd(&image(a)) - want).abs() < 1e-15);
    }

    #[test]
    fn too_small_in_plane_is_unestimable() {
        assert_eq!(noise_sd_estimate(&image(Array3::zeros((5, 2, 9)))), None);
        assert_eq!(estimate_noise_sd(&image(Array3::zeros((5, 2, 9)))), 0.0);
    }

    #[test]
    fn non_finite_neighbourhoods_are_skipped() {
        let mut a = Array3::from_elem((1, 3, 4), 1.0);
        a[[0, 0, 0]] = f64::NAN; // spoils only the window centred at (1, 1)
        assert_eq!(noise_sd_estimate(&image(a)), Some(0.0));
    }

    #[test]
    fn zero_sd_is_identity_and_positive_sd_matches() {
        let base = Array3::from_shape_fn((4, 50, 50), |(z, y, x)| (z + y * x) as f64);
        let mut a = base.clone();
        add_noise(&mut a, 0.0, &mut Rng::new(3));
        assert_eq!(a, base);
        add_noise(&mut a, 2.5, &mut Rng::new(3));
        let diff: Vec<f64> = a.iter().zip(base.iter()).map(|(p, q)| p - q).collect();
        let n = diff.len() as f64;
        let mean = diff.iter().sum::<f64>() / n;
        let sd = (diff.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        // sampling sd of a sample sd is sd / sqrt(2 (n - 1)) ~ 0.018 for n = 10000
        assert!(
            (sd - 2.5).abs() < 4.0 * 2.5 / (2.0 * (n - 1.0)).sqrt(),
            "{sd}"
        );
        assert!(mean.abs() < 4.0 * 2.5 / n.sqrt(), "{mean}");
    }

    #[test]
    fn estimate_recovers_known_noise_on_smooth_image() {
        let base = Array3::from_shape_fn((10, 64, 64), |(z, y, x)| {
            let (z, y, x) = (z as f64, y as f64, x as f64);
            100.0 + 20.0 * (x / 15.0).sin() * (y / 11.0).cos() + 3.0 * z
        });
        for &sd in &[1.0, 5.0] {
            let mut a = base.clone();
            add_noise(&mut a, sd, &mut Rng::new(11));
            let est = estimate_noise_sd(&image(a));
            assert!((est / sd - 1.0).abs() < 0.10, "sd {sd}: estimate {est}");
        }
    }
}
