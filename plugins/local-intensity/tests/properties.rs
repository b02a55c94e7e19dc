//! Property tests: the run/prefix-sum peaks equal a brute-force evaluation.

use ndarray::Array3;
use proptest::prelude::*;
use radx_core::Grid;
use radx_local_intensity::{sphere_radius_mm, Peaks};

/// Straightforward O(N_roi * N_image) evaluation of both peaks.
fn brute(grid: &Grid, image: &Array3<f64>, mask: &Array3<bool>) -> Peaks {
    let r = sphere_radius_mm();
    let s = grid.spacing_zyx;
    let mean_at = |c: (usize, usize, usize)| {
        let (mut sum, mut n) = (0.0, 0.0);
        for ((z, y, x), &v) in image.indexed_iter() {
            let d2 = ((z as f64 - c.0 as f64) * s[0]).powi(2)
                + ((y as f64 - c.1 as f64) * s[1]).powi(2)
                + ((x as f64 - c.2 as f64) * s[2]).powi(2);
            if d2 <= r * r {
                sum += v;
                n += 1.0;
            }
        }
        sum / n
    };
    let max = image
        .iter()
        .zip(mask.iter())
        .filter(|(_, &m)| m)
        .map(|(&v, _)| v)
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut local, mut global) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (c, &m) in mask.indexed_iter() {
        if m {
            let mean = mean_at(c);
            global = global.max(mean);
            if image[c] == max {
                local = local.max(mean);
            }
        }
    }
    Peaks { local, global }
}

fn volume() -> impl Strategy<Value = (Grid, Array3<f64>, Array3<bool>)> {
    volume_in(7, 0.5)
}

/// Volumes of up to `max` voxels per axis, spacings in `[min_spacing, 3.5)` mm.
fn volume_in(
    max: usize,
    min_spacing: f64,
) -> impl Strategy<Value = (Grid, Array3<f64>, Array3<bool>)> {
    (
        1usize..max,
        1usize..max + 1,
        1usize..max + 2,
        min_spacing..3.5,
        min_spacing..3.5,
        min_spacing..3.5,
    )
        .prop_flat_map(|(nz, ny, nx, sz, sy, sx)| {
            let n = nz * ny * nx;
            (
                Just((nz, ny, nx, sz, sy, sx)),
                prop::collection::vec(-5i32..6, n),
                prop::collection::vec(any::<bool>(), n),
                0..n,
            )
        })
        .prop_map(|((nz, ny, nx, sz, sy, sx), vals, mut m, force)| {
            m[force] = true;
            let grid = Grid::new([nz, ny, nx], [sz, sy, sx], [0.0; 3]);
            let image =
                Array3::from_shape_vec((nz, ny, nx), vals.into_iter().map(f64::from).collect())
                    .unwrap();
            let mask = Array3::from_shape_vec((nz, ny, nx), m).unwrap();
            (grid, image, mask)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Larger volumes with coarse voxels: most centres have the whole sphere inside the
    /// image (the unclipped fast path).
    #[test]
    fn peaks_equal_brute_force_large((grid, image, mask) in volume_in(14, 1.8)) {
        let fast = Peaks::compute(&grid, &image, &mask).unwrap();
        let slow = brute(&grid, &image, &mask);
        prop_assert!((fast.local - slow.local).abs() < 1e-9, "{fast:?} vs {slow:?}");
        prop_assert!((fast.global - slow.global).abs() < 1e-9, "{fast:?} vs {slow:?}");
    }
}

proptest! {
    #[test]
    fn peaks_equal_brute_force((grid, image, mask) in volume()) {
        let fast = Peaks::compute(&grid, &image, &mask).unwrap();
        let slow = brute(&grid, &image, &mask);
        prop_assert!((fast.local - slow.local).abs() < 1e-9, "{fast:?} vs {slow:?}");
        prop_assert!((fast.global - slow.global).abs() < 1e-9, "{fast:?} vs {slow:?}");
        prop_assert!(fast.global >= fast.local);
    }

    #[test]
    fn peaks_shift_with_intensity_offset((grid, image, mask) in volume(), c in -100i32..100) {
        let a = Peaks::compute(&grid, &image, &mask).unwrap();
        let b = Peaks::compute(&grid, &image.mapv(|v| v + c as f64), &mask).unwrap();
        prop_assert!((b.local - a.local - c as f64).abs() < 1e-9);
        prop_assert!((b.global - a.global - c as f64).abs() < 1e-9);
    }
}
