//! Property tests of the GLCM: agreement with a naive count, totals, symmetry,
//! invariance of merged features to in-plane 90 degree rotation, and no non-finite value.

use std::collections::BTreeMap;

use ndarray::Array3;
use proptest::prelude::*;
use radx_core::settings::{DirectionMerging, TextureDimension};
use radx_glcm::{Glcm, GlcmFamily, N_FEATURES};
use radx_texture::{
    aggregate_directional, DirectionalFamily, LevelVolume, Outcome, Scope, DIRECTIONS_2D,
    DIRECTIONS_3D,
};

/// A random level volume: shape up to 5 x 6 x 6, levels 0..=max (0 outside the ROI).
fn volume() -> impl Strategy<Value = Array3<u32>> {
    (1usize..=5, 1usize..=6, 1usize..=6, 1u32..=6).prop_flat_map(|(nz, ny, nx, max)| {
        proptest::collection::vec(0u32..=max, nz * ny * nx)
            .prop_map(move |v| Array3::from_shape_vec((nz, ny, nx), v).unwrap())
    })
}

/// Naive GLCM by coordinates: pairs (v, v + offset) inside the array and the scope.
fn naive(levels: &Array3<u32>, scope: Scope, offset: [isize; 3], symmetric: bool) -> Glcm {
    let (nz, ny, nx) = levels.dim();
    let mut counts: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    for ((z, y, x), &a) in levels.indexed_iter() {
        if let Scope::Slice(s) = scope {
            if z != s {
                continue;
            }
        }
        let (z2, y2, x2) = (
            z as isize + offset[0],
            y as isize + offset[1],
            x as isize + offset[2],
        );
        if z2 < 0 || y2 < 0 || x2 < 0 || z2 >= nz as isize || y2 >= ny as isize || x2 >= nx as isize
        {
            continue;
        }
        if let Scope::Slice(s) = scope {
            if z2 as usize != s {
                continue;
            }
        }
        let b = levels[[z2 as usize, y2 as usize, x2 as usize]];
        if a > 0 && b > 0 {
            *counts.entry((a, b)).or_default() += 1;
            if symmetric {
                *counts.entry((b, a)).or_default() += 1;
            }
        }
    }
    Glcm::from_entries(
        counts
            .into_iter()
            .map(|((i, j), n)| radx_glcm::Entry { i, j, n })
            .collect(),
    )
}

/// Number of ordered voxel pairs at `offset` with both voxels in the ROI.
fn pair_count(levels: &Array3<u32>, offset: [isize; 3]) -> u64 {
    naive(levels, Scope::Volume, offset, false).total()
}

/// Rotates every slice by 90 degrees in-plane: new[z][x][ny - 1 - y] = old[z][y][x].
fn rotate(levels: &Array3<u32>) -> Array3<u32> {
    let (nz, ny, nx) = levels.dim();
    let mut out = Array3::zeros((nz, nx, ny));
    for ((z, y, x), &v) in levels.indexed_iter() {
        out[[z, x, ny - 1 - y]] = v;
    }
    out
}

fn all_aggregations(levels: &Array3<u32>, distance: u32) -> Vec<(String, Vec<Outcome>)> {
    let vol = LevelVolume {
        levels: levels.view(),
        n_levels: levels.iter().copied().max().unwrap_or(0),
    };
    aggregate_directional(
        &GlcmFamily::new(&vol, distance, true),
        &vol,
        &[
            TextureDimension::D2,
            TextureDimension::D25,
            TextureDimension::D3,
        ],
        &[DirectionMerging::Avg, DirectionMerging::Comb],
        N_FEATURES,
    )
}

/// A random level volume with many grey levels (up to 300, so that more than 64 are
/// present and pairs are counted with a list of touched elements).
fn many_level_volume() -> impl Strategy<Value = Array3<u32>> {
    (1usize..=3, 4usize..=12, 4usize..=12).prop_flat_map(|(nz, ny, nx)| {
        proptest::collection::vec(prop_oneof![1 => Just(0u32), 6 => 1u32..=300], nz * ny * nx)
            .prop_map(move |v| Array3::from_shape_vec((nz, ny, nx), v).unwrap())
    })
}

/// `levels` placed at `(oz, oy, ox)` in a larger volume of zeros (outside the ROI).
fn embed(levels: &Array3<u32>, oz: usize, oy: usize, ox: usize) -> Array3<u32> {
    let (nz, ny, nx) = levels.dim();
    let mut out = Array3::zeros((nz + oz + 2, ny + oy + 1, nx + ox + 3));
    for ((z, y, x), &v) in levels.indexed_iter() {
        out[[z + oz, y + oy, x + ox]] = v;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn matrices_do_not_depend_on_the_margin_around_the_roi(
        levels in volume(), oz in 0usize..3, oy in 0usize..3, ox in 0usize..3,
    ) {
        let big = embed(&levels, oz, oy, ox);
        let va = LevelVolume { levels: levels.view(), n_levels: 6 };
        let vb = LevelVolume { levels: big.view(), n_levels: 6 };
        let (a, b) = (GlcmFamily::new(&va, 1, true), GlcmFamily::new(&vb, 1, true));
        for d in DIRECTIONS_3D {
            prop_assert_eq!(a.build(&va, Scope::Volume, d), b.build(&vb, Scope::Volume, d));
        }
        for z in 0..big.dim().0 {
            for d in DIRECTIONS_2D {
                let m = b.build(&vb, Scope::Slice(z), d);
                if z >= oz && z - oz < levels.dim().0 {
                    prop_assert_eq!(&m, &a.build(&va, Scope::Slice(z - oz), d));
                } else {
                    prop_assert!(radx_texture::TextureMatrix::is_empty(&m));
                }
            }
        }
    }

    #[test]
    fn many_levels_equal_a_naive_count(levels in many_level_volume(), symmetric: bool) {
        let vol = LevelVolume { levels: levels.view(), n_levels: 300 };
        let family = GlcmFamily::new(&vol, 1, symmetric);
        let sorted = GlcmFamily::new(&vol, 1, symmetric).with_sorted_counting();
        for d in DIRECTIONS_3D {
            let m = family.build(&vol, Scope::Volume, d);
            prop_assert_eq!(&m, &naive(&levels, Scope::Volume, d, symmetric));
            prop_assert_eq!(&m, &sorted.build(&vol, Scope::Volume, d));
            // features do not depend on the counting path, bit for bit
            let (a, b) = (family.features(&m), sorted.features(&m));
            prop_assert_eq!(format!("{:?}", a), format!("{:?}", b));
        }
    }

    #[test]
    fn another_volume_is_prepared_anew(a in volume(), b in volume()) {
        // A family made for `a` and given `b` counts `b`.
        let va = LevelVolume { levels: a.view(), n_levels: 6 };
        let vb = LevelVolume { levels: b.view(), n_levels: 6 };
        let family = GlcmFamily::new(&va, 1, true);
        for d in DIRECTIONS_3D {
            prop_assert_eq!(family.build(&vb, Scope::Volume, d), naive(&b, Scope::Volume, d, true));
        }
    }

    #[test]
    fn matrices_equal_a_naive_count(levels in volume(), distance in 1isize..=3, symmetric: bool) {
        let vol = LevelVolume { levels: levels.view(), n_levels: 6 };
        let family = GlcmFamily::new(&vol, distance as u32, symmetric);
        let sorted = GlcmFamily::new(&vol, distance as u32, symmetric).with_sorted_counting();
        for d in DIRECTIONS_3D {
            let off = d.map(|c| c * distance);
            let m = family.build(&vol, Scope::Volume, d);
            prop_assert_eq!(&m, &naive(&levels, Scope::Volume, off, symmetric), "direction {:?}", d);
            prop_assert_eq!(&m, &sorted.build(&vol, Scope::Volume, d));
        }
        for z in 0..levels.dim().0 {
            for d in DIRECTIONS_2D {
                let off = d.map(|c| c * distance);
                let m = family.build(&vol, Scope::Slice(z), d);
                prop_assert_eq!(&m, &naive(&levels, Scope::Slice(z), off, symmetric), "slice {} direction {:?}", z, d);
            }
        }
    }

    #[test]
    fn totals_count_the_pairs_and_symmetric_equals_transpose(levels in volume(), distance in 1isize..=2) {
        let vol = LevelVolume { levels: levels.view(), n_levels: 6 };
        let sym = GlcmFamily::new(&vol, distance as u32, true);
        let asym = GlcmFamily::new(&vol, distance as u32, false);
        for d in DIRECTIONS_3D {
            let pairs = pair_count(&levels, d.map(|c| c * distance));
            let s = sym.build(&vol, Scope::Volume, d);
            let a = asym.build(&vol, Scope::Volume, d);
            prop_assert_eq!(s.total(), 2 * pairs);
            prop_assert_eq!(a.total(), pairs);
            prop_assert_eq!(&s, &s.transposed());
            // M = M(+m) + M(+m)^T
            let mut sum = a.clone();
            radx_texture::TextureMatrix::merge(&mut sum, &a.transposed());
            prop_assert_eq!(&s, &sum);
        }
    }

    #[test]
    fn merged_features_are_invariant_to_in_plane_rotation(levels in volume(), distance in 1u32..=2) {
        let a = all_aggregations(&levels, distance);
        let b = all_aggregations(&rotate(&levels), distance);
        prop_assert_eq!(a.len(), b.len());
        for ((tag, fa), (tag_b, fb)) in a.iter().zip(&b) {
            prop_assert_eq!(tag, tag_b);
            for (k, (x, y)) in fa.iter().zip(fb).enumerate() {
                match (x, y) {
                    (Ok(x), Ok(y)) => {
                        if tag.ends_with("comb") {
                            // merged matrices are identical, so the values are bit-identical
                            prop_assert_eq!(x.to_bits(), y.to_bits(), "{} feature {}", tag, k);
                        } else {
                            // averages over permuted matrices: equal up to rounding
                            prop_assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{} feature {}: {} vs {}", tag, k, x, y);
                        }
                    }
                    (Err(_), Err(_)) => {}
                    _ => prop_assert!(false, "{} feature {}: {:?} vs {:?}", tag, k, x, y),
                }
            }
        }
    }

    #[test]
    fn values_are_finite_or_missing(levels in volume(), distance in 1u32..=3) {
        for (tag, values) in all_aggregations(&levels, distance) {
            for x in values.into_iter().flatten() {
                prop_assert!(x.is_finite(), "{}: {}", tag, x);
            }
        }
    }
}
