//! Property tests of the GLRLM: agreement with a naive line-by-line count, run lengths
//! summing to the number of voxels, invariance of merged features to in-plane 90
//! degree rotation, and no non-finite value.

use std::collections::BTreeMap;

use ndarray::Array3;
use proptest::prelude::*;
use radx_core::settings::{DirectionMerging, TextureDimension};
use radx_glrlm::{Entry, Glrlm, GlrlmFamily, N_FEATURES};
use radx_texture::{
    aggregate_directional, DirectionalFamily, LevelVolume, Outcome, Scope, DIRECTIONS_2D,
    DIRECTIONS_3D,
};

fn volume() -> impl Strategy<Value = Array3<u32>> {
    (1usize..=5, 1usize..=6, 1usize..=6, 1u32..=4).prop_flat_map(|(nz, ny, nx, max)| {
        proptest::collection::vec(0u32..=max, nz * ny * nx)
            .prop_map(move |v| Array3::from_shape_vec((nz, ny, nx), v).unwrap())
    })
}

/// Naive GLRLM: walk every full line of the scope along `d` (lines start where the
/// previous position leaves the array or scope), split it into maximal runs of equal
/// non-zero levels.
fn naive(levels: &Array3<u32>, scope: Scope, d: [isize; 3]) -> Glrlm {
    let (nz, ny, nx) = levels.dim();
    let in_scope = |z: isize, y: isize, x: isize| {
        let zok = match scope {
            Scope::Volume => z >= 0 && z < nz as isize,
            Scope::Slice(s) => z == s as isize,
        };
        zok && y >= 0 && x >= 0 && y < ny as isize && x < nx as isize
    };
    let mut counts: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    let mut voxels = 0;
    for ((z, y, x), &l) in levels.indexed_iter() {
        let (z, y, x) = (z as isize, y as isize, x as isize);
        if !in_scope(z, y, x) {
            continue;
        }
        if l > 0 {
            voxels += 1;
        }
        if in_scope(z - d[0], y - d[1], x - d[2]) {
            continue; // not the start of a line
        }
        let mut line = Vec::new();
        let (mut cz, mut cy, mut cx) = (z, y, x);
        while in_scope(cz, cy, cx) {
            line.push(levels[[cz as usize, cy as usize, cx as usize]]);
            cz += d[0];
            cy += d[1];
            cx += d[2];
        }
        for run in line.chunk_by(|a, b| a == b) {
            if run[0] > 0 {
                *counts.entry((run[0], run.len() as u32)).or_default() += 1;
            }
        }
    }
    Glrlm::from_entries(
        counts
            .into_iter()
            .map(|((i, j), n)| Entry { i, j, n })
            .collect(),
        voxels,
    )
}

fn rotate(levels: &Array3<u32>) -> Array3<u32> {
    let (nz, ny, nx) = levels.dim();
    let mut out = Array3::zeros((nz, nx, ny));
    for ((z, y, x), &v) in levels.indexed_iter() {
        out[[z, x, ny - 1 - y]] = v;
    }
    out
}

fn all_aggregations(levels: &Array3<u32>) -> Vec<(String, Vec<Outcome>)> {
    let vol = LevelVolume {
        levels: levels.view(),
        n_levels: levels.iter().copied().max().unwrap_or(0),
    };
    aggregate_directional(
        &GlrlmFamily::new(&vol),
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
        let (a, b) = (GlrlmFamily::new(&va), GlrlmFamily::new(&vb));
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
    fn any_step_equals_a_naive_count(
        levels in volume(),
        d in prop::array::uniform3(-3isize..=3).prop_filter("non-zero", |d| *d != [0, 0, 0]),
    ) {
        // Not IBSI directions: steps longer than one voxel, and either orientation.
        let vol = LevelVolume { levels: levels.view(), n_levels: 4 };
        let family = GlrlmFamily::new(&vol);
        prop_assert_eq!(family.build(&vol, Scope::Volume, d), naive(&levels, Scope::Volume, d));
        prop_assert_eq!(
            family.build(&vol, Scope::Volume, d),
            family.build(&vol, Scope::Volume, d.map(|c| -c))
        );
        for z in 0..levels.dim().0 {
            prop_assert_eq!(family.build(&vol, Scope::Slice(z), d), naive(&levels, Scope::Slice(z), d));
        }
    }

    #[test]
    fn another_volume_is_prepared_anew(a in volume(), b in volume()) {
        let va = LevelVolume { levels: a.view(), n_levels: 4 };
        let vb = LevelVolume { levels: b.view(), n_levels: 4 };
        let family = GlrlmFamily::new(&va);
        for d in DIRECTIONS_3D {
            prop_assert_eq!(family.build(&vb, Scope::Volume, d), naive(&b, Scope::Volume, d));
        }
    }

    #[test]
    fn many_levels_and_sorted_counting(
        levels in (1usize..=3, 2usize..=10, 2usize..=10).prop_flat_map(|(nz, ny, nx)| {
            proptest::collection::vec(prop_oneof![1 => Just(0u32), 3 => 1u32..=3, 2 => 1u32..=500], nz * ny * nx)
                .prop_map(move |v| Array3::from_shape_vec((nz, ny, nx), v).unwrap())
        })
    ) {
        let vol = LevelVolume { levels: levels.view(), n_levels: 500 };
        let family = GlrlmFamily::new(&vol);
        let sorted = GlrlmFamily::new(&vol).with_sorted_counting();
        for d in DIRECTIONS_3D {
            let m = family.build(&vol, Scope::Volume, d);
            prop_assert_eq!(&m, &naive(&levels, Scope::Volume, d));
            prop_assert_eq!(&m, &sorted.build(&vol, Scope::Volume, d));
        }
    }

    #[test]
    fn matrices_equal_a_naive_count(levels in volume()) {
        let vol = LevelVolume { levels: levels.view(), n_levels: 4 };
        let family = GlrlmFamily::new(&vol);
        let sorted = GlrlmFamily::new(&vol).with_sorted_counting();
        for d in DIRECTIONS_3D {
            let m = family.build(&vol, Scope::Volume, d);
            prop_assert_eq!(&m, &naive(&levels, Scope::Volume, d), "direction {:?}", d);
            prop_assert_eq!(&m, &sorted.build(&vol, Scope::Volume, d));
        }
        for z in 0..levels.dim().0 {
            for d in DIRECTIONS_2D {
                let m = family.build(&vol, Scope::Slice(z), d);
                prop_assert_eq!(&m, &naive(&levels, Scope::Slice(z), d), "slice {} direction {:?}", z, d);
            }
        }
    }

    #[test]
    fn run_lengths_sum_to_the_voxel_count(levels in volume()) {
        let vol = LevelVolume { levels: levels.view(), n_levels: 4 };
        let family = GlrlmFamily::new(&vol);
        let n_roi = levels.iter().filter(|&&l| l > 0).count() as u64;
        for d in DIRECTIONS_3D {
            let m = family.build(&vol, Scope::Volume, d);
            prop_assert_eq!(m.voxels(), n_roi);
            prop_assert_eq!(m.run_voxels(), n_roi);
        }
        for z in 0..levels.dim().0 {
            let in_slice = levels.index_axis(ndarray::Axis(0), z).iter().filter(|&&l| l > 0).count() as u64;
            for d in DIRECTIONS_2D {
                let m = family.build(&vol, Scope::Slice(z), d);
                prop_assert_eq!(m.run_voxels(), in_slice);
                prop_assert_eq!(m.voxels(), in_slice);
            }
        }
    }

    #[test]
    fn merged_features_are_invariant_to_in_plane_rotation(levels in volume()) {
        let a = all_aggregations(&levels);
        let b = all_aggregations(&rotate(&levels));
        prop_assert_eq!(a.len(), b.len());
        for ((tag, fa), (tag_b, fb)) in a.iter().zip(&b) {
            prop_assert_eq!(tag, tag_b);
            for (k, (x, y)) in fa.iter().zip(fb).enumerate() {
                match (x, y) {
                    (Ok(x), Ok(y)) => {
                        if tag.ends_with("comb") {
                            prop_assert_eq!(x.to_bits(), y.to_bits(), "{} feature {}", tag, k);
                        } else {
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
    fn values_are_finite_or_missing(levels in volume()) {
        for (tag, values) in all_aggregations(&levels) {
            for x in values.into_iter().flatten() {
                prop_assert!(x.is_finite(), "{}: {}", tag, x);
            }
        }
    }
}
