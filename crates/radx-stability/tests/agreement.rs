//! Properties of the segmentation agreement measures on random small masks: symmetry,
//! ranges, the Dice–Jaccard identity, the Hausdorff distances against a brute-force
//! computation, and their behaviour under translation.

use ndarray::Array3;
use proptest::prelude::*;
use radx_stability::agreement::{compare_masks, quantile, surface};

fn mask(shape: [usize; 3], bits: &[bool]) -> Array3<bool> {
    let n = shape.iter().product::<usize>();
    Array3::from_shape_vec((shape[0], shape[1], shape[2]), bits[..n].to_vec()).unwrap()
}

/// Every directed surface distance, both directions, by brute force.
fn brute_distances(a: &Array3<bool>, b: &Array3<bool>, s: [f64; 3]) -> Vec<f64> {
    let pts = |m: &Array3<bool>| -> Vec<[f64; 3]> {
        surface(m)
            .indexed_iter()
            .filter(|(_, v)| **v)
            .map(|((z, y, x), _)| [z as f64 * s[0], y as f64 * s[1], x as f64 * s[2]])
            .collect()
    };
    let (pa, pb) = (pts(a), pts(b));
    let dir = |from: &[[f64; 3]], to: &[[f64; 3]]| -> Vec<f64> {
        from.iter()
            .map(|p| {
                to.iter()
                    .map(|q| {
                        ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2))
                            .sqrt()
                    })
                    .fold(f64::INFINITY, f64::min)
            })
            .collect()
    };
    let mut d = dir(&pa, &pb);
    d.extend(dir(&pb, &pa));
    d
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #[test]
    fn symmetric_in_range_and_equal_to_brute_force(
        nz in 1usize..5, ny in 1usize..6, nx in 1usize..6,
        s in prop::array::uniform3(0.3f64..4.0),
        bits_a in prop::collection::vec(prop::bool::weighted(0.4), 150),
        bits_b in prop::collection::vec(prop::bool::weighted(0.4), 150),
    ) {
        let shape = [nz, ny, nx];
        let (a, b) = (mask(shape, &bits_a), mask(shape, &bits_b));
        let ab = compare_masks(&a, &b, s).unwrap();
        let ba = compare_masks(&b, &a, s).unwrap();
        prop_assert_eq!(ab.dice, ba.dice);
        prop_assert_eq!(ab.jaccard, ba.jaccard);
        prop_assert_eq!(ab.hausdorff_max_mm, ba.hausdorff_max_mm);
        prop_assert_eq!(ab.volume_difference_mm3, -ba.volume_difference_mm3);
        if let (Some(d), Some(j)) = (ab.dice, ab.jaccard) {
            prop_assert!((0.0..=1.0).contains(&d));
            prop_assert!((0.0..=1.0).contains(&j));
            prop_assert!(close(j, d / (2.0 - d)));
        }
        match (ab.hausdorff_max_mm, ab.hausdorff95_mm) {
            (Some(hd), Some(hd95)) => {
                prop_assert!(close(ab.hausdorff95_mm.unwrap(), ba.hausdorff95_mm.unwrap()));
                let mut d = brute_distances(&a, &b, s);
                let max = d.iter().copied().fold(0.0, f64::max);
                prop_assert!(close(hd, max), "{} vs {}", hd, max);
                prop_assert!(close(hd95, quantile(&mut d, 0.95).unwrap()));
                prop_assert!(hd95 <= hd + 1e-12);
            }
            (None, None) => prop_assert!(ab.voxels_a == 0 || ab.voxels_b == 0),
            other => prop_assert!(false, "one Hausdorff distance without the other: {:?}", other),
        }
        let same = compare_masks(&a, &a, s).unwrap();
        if ab.voxels_a > 0 {
            prop_assert_eq!(same.dice, Some(1.0));
            prop_assert_eq!(same.hausdorff_max_mm, Some(0.0));
            prop_assert_eq!(same.hausdorff95_mm, Some(0.0));
        }
    }

    /// A shape moved by `k` voxels along one axis (staying clear of the grid's edge):
    /// every surface voxel's moved copy is a surface voxel of the moved shape, so the
    /// Hausdorff distance is at most `k` times that axis' spacing; for a box at least as
    /// thick as the shift along that axis it is exactly that; and the volumes are equal.
    #[test]
    fn translation_bounds_the_hausdorff_distance(
        bits in prop::collection::vec(prop::bool::weighted(0.5), 64),
        axis in 0usize..3, k in 1usize..4,
        s in prop::array::uniform3(0.3f64..4.0),
    ) {
        let pad = 5;
        let n = 4 + 2 * pad;
        let place = |shift: usize| {
            let mut m = Array3::from_elem((n, n, n), false);
            for z in 0..4 {
                for y in 0..4 {
                    for x in 0..4 {
                        if bits[(z * 4 + y) * 4 + x] {
                            let mut p = [z + pad - 2, y + pad - 2, x + pad - 2];
                            p[axis] += shift;
                            m[p] = true;
                        }
                    }
                }
            }
            m
        };
        let (a, b) = (place(0), place(k));
        let r = compare_masks(&a, &b, s).unwrap();
        prop_assert_eq!(r.volume_difference_mm3, 0.0);
        if let Some(hd) = r.hausdorff_max_mm {
            prop_assert!(hd <= k as f64 * s[axis] + 1e-9, "{} > {}", hd, k as f64 * s[axis]);
        }
        // a 4 x 4 x 4 box moved by k <= 3 voxels: exactly k spacings
        let boxed = |shift: usize| {
            let mut m = Array3::from_elem((n, n, n), false);
            for i in 0..64 {
                let (z, y, x) = (i / 16, (i / 4) % 4, i % 4);
                let mut p = [z + pad - 2, y + pad - 2, x + pad - 2];
                p[axis] += shift;
                m[p] = true;
            }
            m
        };
        let r = compare_masks(&boxed(0), &boxed(k), s).unwrap();
        prop_assert!(close(r.hausdorff_max_mm.unwrap(), k as f64 * s[axis]));
        prop_assert!(close(r.dice.unwrap(), (4 - k) as f64 / 4.0));
    }
}
