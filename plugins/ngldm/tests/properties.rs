//! Hand-worked examples, degenerate inputs, and property tests against a direct
//! (unoptimised) transcription of the IBSI definition.

use ndarray::Array3;
use proptest::prelude::*;
use radx_core::settings::{Discretisation, TextureDimension};
use radx_core::{FeatureInput, Grid, Roi, Settings};
use radx_ngldm::{build, features, Ngldm, NgldmMatrix};
use radx_process::discretise;
use radx_texture::{aggregate_neighbourhood, LevelVolume, Outcome, Scope, TextureMatrix};

fn lv(a: &Array3<u32>) -> LevelVolume<'_> {
    LevelVolume {
        levels: a.view(),
        n_levels: a.iter().copied().max().unwrap_or(0),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

/// The IBSI definition, read literally: `(i, j) -> count` for every ROI voxel of the
/// scope, `j` counting the centre and every ROI neighbour within Chebyshev distance
/// `delta` (in-plane for a slice) whose level differs by at most `alpha`.
fn naive(a: &Array3<u32>, scope: Scope, delta: u32, alpha: u32) -> Vec<(usize, usize, u64)> {
    let (nz, ny, nx) = a.dim();
    let d = delta as isize;
    let dz = if matches!(scope, Scope::Slice(_)) {
        0
    } else {
        d
    };
    let mut map = std::collections::BTreeMap::new();
    for ((z, y, x), &l) in a.indexed_iter() {
        if l == 0 || matches!(scope, Scope::Slice(k) if k != z) {
            continue;
        }
        let mut j = 0usize;
        for mz in -dz..=dz {
            for my in -d..=d {
                for mx in -d..=d {
                    let (z2, y2, x2) = (z as isize + mz, y as isize + my, x as isize + mx);
                    if z2 < 0
                        || y2 < 0
                        || x2 < 0
                        || z2 >= nz as isize
                        || y2 >= ny as isize
                        || x2 >= nx as isize
                    {
                        continue;
                    }
                    let v = a[[z2 as usize, y2 as usize, x2 as usize]];
                    if v > 0 && (v as i64 - l as i64).abs() <= alpha as i64 {
                        j += 1;
                    }
                }
            }
        }
        *map.entry((l as usize, j)).or_insert(0u64) += 1;
    }
    map.into_iter().map(|((i, j), c)| (i, j, c)).collect()
}

fn slice(rows: &[&[u32]]) -> Array3<u32> {
    let (ny, nx) = (rows.len(), rows[0].len());
    Array3::from_shape_fn((1, ny, nx), |(_, y, x)| rows[y][x])
}

fn ok(v: &Outcome) -> f64 {
    v.clone().unwrap_or_else(|e| panic!("undefined: {e}"))
}

/// 2 x 2 slice `[[1, 2], [3, 4]]`, distance 1, every pixel neighbouring the others.
/// alpha 0: nothing depends, j = 1 everywhere. alpha 1: pixel 1 depends on 2 (j = 2),
/// 2 on 1 and 3 (j = 3), 3 on 2 and 4 (j = 3), 4 on 3 (j = 2).
#[test]
fn hand_worked_two_by_two() {
    let a = slice(&[&[1, 2], &[3, 4]]);
    let m0 = build(&lv(&a), Scope::Slice(0), 1, 0);
    assert_eq!(
        m0.entries().collect::<Vec<_>>(),
        vec![(1, 1, 1), (2, 1, 1), (3, 1, 1), (4, 1, 1)]
    );
    let m1 = build(&lv(&a), Scope::Slice(0), 1, 1);
    assert_eq!(
        m1.entries().collect::<Vec<_>>(),
        vec![(1, 2, 1), (2, 3, 1), (3, 3, 1), (4, 2, 1)]
    );
    assert_eq!(build(&lv(&a), Scope::Slice(0), 1, 3).n_dep(), 4);
    let f = features(&m1);
    let expect = [
        (0.25 * (2.0 / 4.0 + 2.0 / 9.0)),                            // lde
        (0.25 * (2.0 * 4.0 + 2.0 * 9.0)),                            // hde
        (0.25 * (1.0 + 1.0 / 4.0 + 1.0 / 9.0 + 1.0 / 16.0)),         // lgce
        (0.25 * 30.0),                                               // hgce
        (0.25 * (1.0 / 4.0 + 1.0 / 36.0 + 1.0 / 81.0 + 1.0 / 64.0)), // ldlge
        (0.25 * (1.0 / 4.0 + 4.0 / 9.0 + 9.0 / 9.0 + 16.0 / 4.0)),   // ldhge
        (0.25 * (4.0 + 9.0 / 4.0 + 9.0 / 9.0 + 4.0 / 16.0)),         // hdlge
        (0.25 * (4.0 + 36.0 + 81.0 + 64.0)),                         // hdhge
        1.0,                                                         // glnu: 4 / 4
        0.25,                                                        // glnu_norm
        2.0,                                                         // dcnu: (4 + 4) / 4
        0.5,                                                         // dcnu_norm
        1.0,                                                         // dc_perc
        1.25,                                                        // gl_var of 1..4
        0.25,                                                        // dc_var of 2, 3, 3, 2
        2.0,                                                         // dc_entr: 4 x 1/4
        0.25,                                                        // dc_energy
    ];
    for (k, (got, want)) in f.iter().zip(expect).enumerate() {
        assert!(
            close(ok(got), want),
            "{}: {got:?} vs {want}",
            radx_ngldm::FEATURES[k].0
        );
    }
}

/// A single voxel: j = 1, every feature defined.
#[test]
fn a_single_voxel() {
    let mut a = Array3::zeros((3, 3, 3));
    a[[1, 1, 1]] = 3;
    let m = build(&lv(&a), Scope::Volume, 1, 0);
    assert_eq!(m.entries().collect::<Vec<_>>(), vec![(3, 1, 1)]);
    let f = features(&m);
    assert!(f.iter().all(|v| v.as_ref().is_ok_and(|x| x.is_finite())));
    assert_eq!(f[13], Ok(0.0)); // gl_var
    assert_eq!(f[15], Ok(0.0)); // dc_entr
    assert_eq!(f[16], Ok(1.0)); // dc_energy
}

/// Merging sums s_ij and N_v and widens to the larger matrix.
#[test]
fn merge_widens_and_sums() {
    let mut a = NgldmMatrix::from_rows(&[vec![1, 2]], 3).unwrap();
    let b = NgldmMatrix::from_rows(&[vec![0, 0, 1], vec![4, 0, 0]], 5).unwrap();
    a.merge(&b);
    assert_eq!((a.n_levels(), a.n_dep(), a.n_voxels()), (2, 3, 8));
    assert_eq!(
        a.entries().collect::<Vec<_>>(),
        vec![(1, 1, 1), (1, 2, 2), (1, 3, 1), (2, 1, 4)]
    );
    assert!(NgldmMatrix::from_rows(&[vec![1], vec![1, 2]], 3).is_err());
    assert!(NgldmMatrix::default().is_empty());
}

/// The plugin on degenerate ROIs (one voxel, flat, sparse): no panic, no NaN.
#[test]
fn plugin_on_degenerate_rois() {
    let settings = Settings::default();
    for (shape, mask_all) in [((1, 1, 1), true), ((2, 4, 4), true), ((3, 3, 3), false)] {
        let grid = Grid::new([shape.0, shape.1, shape.2], [1.0; 3], [0.0; 3]);
        let image = Array3::from_elem(shape, 7.0);
        let mut mask = Array3::from_elem(shape, mask_all);
        mask[[0, 0, 0]] = true;
        let roi = Roi {
            grid,
            image,
            morphological: mask.clone(),
            intensity: mask,
        };
        let tex = discretise(&roi, &Discretisation::Fbn { bins: 32 }, None);
        let input = FeatureInput {
            roi: &roi,
            settings: &settings,
            histogram: &tex,
            texture: &tex,
            ivh: &tex,
        };
        let values = radx_ngldm::plugin().compute(&input).unwrap();
        assert_eq!(values.len(), 51);
        for v in &values {
            assert!(v.value.is_some_and(f64::is_finite), "{v:?}");
        }
    }
    let grid = Grid::new([1, 1, 1], [1.0; 3], [0.0; 3]);
    let roi = Roi {
        grid,
        image: Array3::from_elem((1, 1, 1), 1.0),
        morphological: Array3::from_elem((1, 1, 1), true),
        intensity: Array3::from_elem((1, 1, 1), true),
    };
    let bad: Result<radx_core::Discretised, String> = Err("boom".into());
    let input = FeatureInput {
        roi: &roi,
        settings: &settings,
        histogram: &bad,
        texture: &bad,
        ivh: &bad,
    };
    assert!(radx_ngldm::plugin()
        .compute(&input)
        .unwrap_err()
        .to_string()
        .contains("boom"));
}

/// Random level volumes: 0 (outside the ROI) or a grey level 1..=`max_level`.
fn volume(max_dim: usize, max_level: u32) -> impl Strategy<Value = Array3<u32>> {
    (1..=max_dim, 1..=max_dim, 1..=max_dim).prop_flat_map(move |(nz, ny, nx)| {
        proptest::collection::vec(
            prop_oneof![1 => Just(0u32), 3 => 1..=max_level],
            nz * ny * nx,
        )
        .prop_map(move |v| Array3::from_shape_vec((nz, ny, nx), v).unwrap())
    })
}

/// Rotation by 90° in the (y, x) plane: `new[z, i, j] = old[z, ny - 1 - j, i]`.
fn rotate(a: &Array3<u32>) -> Array3<u32> {
    let (nz, ny, nx) = a.dim();
    Array3::from_shape_fn((nz, nx, ny), |(z, i, j)| a[[z, ny - 1 - j, i]])
}

fn roi_count(a: &Array3<u32>, z: Option<usize>) -> u64 {
    a.indexed_iter()
        .filter(|((k, _, _), &l)| l > 0 && !matches!(z, Some(z) if z != *k))
        .count() as u64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The row-wise implementation equals the literal definition, for every slice and
    /// the volume, distances 1 to 3 and coarseness 0 to 2.
    #[test]
    fn equals_the_definition(a in volume(6, 5), delta in 1u32..=3, alpha in 0u32..=2) {
        let v = lv(&a);
        let m = build(&v, Scope::Volume, delta, alpha);
        prop_assert_eq!(m.entries().collect::<Vec<_>>(), naive(&a, Scope::Volume, delta, alpha));
        for z in 0..a.dim().0 {
            let m = build(&v, Scope::Slice(z), delta, alpha);
            prop_assert_eq!(m.entries().collect::<Vec<_>>(), naive(&a, Scope::Slice(z), delta, alpha));
        }
    }

    /// Every ROI voxel is the centre of exactly one neighbourhood: Σ s_ij = N_v, for the
    /// volume, every slice, and the merged slices; dependence never exceeds the box.
    #[test]
    fn counts_sum_to_the_roi_voxels(a in volume(7, 4), delta in 1u32..=2, alpha in 0u32..=3) {
        let v = lv(&a);
        let m = build(&v, Scope::Volume, delta, alpha);
        prop_assert_eq!(m.n_neighbourhoods(), roi_count(&a, None));
        prop_assert_eq!(m.n_voxels(), roi_count(&a, None));
        prop_assert!(m.n_dep() <= (2 * delta as usize + 1).pow(3));
        let mut merged = NgldmMatrix::default();
        for z in 0..a.dim().0 {
            let s = build(&v, Scope::Slice(z), delta, alpha);
            prop_assert_eq!(s.n_neighbourhoods(), roi_count(&a, Some(z)));
            prop_assert!(s.n_dep() <= (2 * delta as usize + 1).pow(2));
            merged.merge(&s);
        }
        prop_assert_eq!(merged.n_neighbourhoods(), roi_count(&a, None));
        prop_assert_eq!(merged.n_voxels(), roi_count(&a, None));
    }

    /// A coarseness at least the level range makes every ROI neighbour dependent.
    #[test]
    fn large_alpha_counts_every_roi_neighbour(a in volume(5, 4)) {
        let v = lv(&a);
        let m = build(&v, Scope::Volume, 1, 3);
        let mut any = NgldmMatrix::default();
        // Same as levels all equal: replace every ROI level by 1.
        let ones = a.mapv(|l| (l > 0) as u32);
        let m1 = build(&lv(&ones), Scope::Volume, 1, 0);
        any.merge(&m1);
        let by_j = |m: &NgldmMatrix| {
            (1..=m.n_dep()).map(|j| (1..=m.n_levels()).map(|i| m.get(i, j)).sum::<u64>()).collect::<Vec<_>>()
        };
        prop_assert_eq!(by_j(&m), by_j(&any));
    }

    /// A 90° in-plane rotation changes neither the 3D matrix nor the slice matrices, and
    /// so none of the 2D, 2.5D and 3D features.
    #[test]
    fn invariant_under_in_plane_rotation(a in volume(6, 5), delta in 1u32..=2, alpha in 0u32..=1) {
        let r = rotate(&a);
        let (va, vr) = (lv(&a), lv(&r));
        prop_assert_eq!(build(&va, Scope::Volume, delta, alpha), build(&vr, Scope::Volume, delta, alpha));
        for z in 0..a.dim().0 {
            prop_assert_eq!(build(&va, Scope::Slice(z), delta, alpha), build(&vr, Scope::Slice(z), delta, alpha));
        }
        let dims = [TextureDimension::D2, TextureDimension::D25, TextureDimension::D3];
        let fam = Ngldm { delta, alpha };
        prop_assert_eq!(
            aggregate_neighbourhood(&fam, &va, &dims, 17),
            aggregate_neighbourhood(&fam, &vr, &dims, 17)
        );
    }

    /// Features of a non-empty matrix are finite, probabilities-based ones in range.
    #[test]
    fn features_are_finite(a in volume(5, 6), delta in 1u32..=2, alpha in 0u32..=2) {
        let m = build(&lv(&a), Scope::Volume, delta, alpha);
        if !m.is_empty() {
            let f: Vec<f64> = features(&m).into_iter().map(|v| v.unwrap()).collect();
            prop_assert!(f.iter().all(|x| x.is_finite() && *x >= 0.0));
            prop_assert!(f[0] <= 1.0 && f[2] <= 1.0 && f[4] <= 1.0); // lde, lgce, ldlge
            prop_assert!(f[9] <= 1.0 && f[11] <= 1.0 && f[16] <= 1.0); // *_norm, energy
            prop_assert_eq!(f[12], 1.0); // dc_perc
        }
    }
}
