//! Hand-worked examples, undefined cases, and property tests against a direct
//! (unoptimised) transcription of the IBSI definition.

use ndarray::Array3;
use proptest::prelude::*;
use radx_core::{settings::Discretisation, FeatureInput, Grid, Roi, Settings};
use radx_ngtdm::{build, features, NgtdmMatrix};
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

/// The IBSI definition, read literally: per ROI voxel, the ROI neighbours within
/// Chebyshev distance `delta` (in-plane for a slice), bounds checked per axis.
fn naive(a: &Array3<u32>, scope: Scope, delta: u32) -> (Vec<f64>, Vec<u64>) {
    let (nz, ny, nx) = a.dim();
    let ng = a.iter().copied().max().unwrap_or(0) as usize;
    let (mut s, mut n) = (vec![0.0; ng], vec![0u64; ng]);
    let d = delta as isize;
    let dz = if matches!(scope, Scope::Slice(_)) {
        0
    } else {
        d
    };
    for ((z, y, x), &l) in a.indexed_iter() {
        if l == 0 || matches!(scope, Scope::Slice(k) if k != z) {
            continue;
        }
        let (mut sum, mut w) = (0.0, 0.0);
        for mz in -dz..=dz {
            for my in -d..=d {
                for mx in -d..=d {
                    let (z2, y2, x2) = (z as isize + mz, y as isize + my, x as isize + mx);
                    if (mz, my, mx) == (0, 0, 0)
                        || z2 < 0
                        || y2 < 0
                        || x2 < 0
                        || z2 >= nz as isize
                        || y2 >= ny as isize
                        || x2 >= nx as isize
                    {
                        continue;
                    }
                    let v = a[[z2 as usize, y2 as usize, x2 as usize]];
                    if v > 0 {
                        sum += v as f64;
                        w += 1.0;
                    }
                }
            }
        }
        if w > 0.0 {
            s[l as usize - 1] += (l as f64 - sum / w).abs();
            n[l as usize - 1] += 1;
        }
    }
    (s, n)
}

fn assert_same(m: &NgtdmMatrix, s: &[f64], n: &[u64]) {
    let got: Vec<_> = m.rows().collect();
    let want: Vec<_> = (0..n.len()).filter(|&k| n[k] > 0).collect();
    assert_eq!(got.len(), want.len(), "{got:?} vs s {s:?} n {n:?}");
    for (g, &k) in got.iter().zip(&want) {
        assert_eq!((g.0 as usize, g.2), (k + 1, n[k]));
        assert!(close(g.1, s[k]), "s_{} = {} vs {}", k + 1, g.1, s[k]);
    }
}

fn slice(rows: &[&[u32]]) -> Array3<u32> {
    let (ny, nx) = (rows.len(), rows[0].len());
    Array3::from_shape_fn((1, ny, nx), |(_, y, x)| rows[y][x])
}

fn ok(v: &Outcome) -> f64 {
    v.clone().unwrap_or_else(|e| panic!("undefined: {e}"))
}

/// 2 x 2 slice `[[1, 2], [3, 4]]`, distance 1: every pixel sees the three others.
/// Neighbour means 3, 8/3, 7/3, 2, so s = (2, 2/3, 2/3, 2), n = (1, 1, 1, 1), p_i = 1/4.
#[test]
fn hand_worked_two_by_two() {
    let a = slice(&[&[1, 2], &[3, 4]]);
    let m = build(&lv(&a), Scope::Slice(0), 1);
    assert_same(&m, &[2.0, 2.0 / 3.0, 2.0 / 3.0, 2.0], &[1, 1, 1, 1]);
    let f = features(&m);
    // Σ p s = (16/3)/4 = 4/3.
    assert!(close(ok(&f[0]), 0.75), "coarseness {:?}", f[0]);
    // (1/(4·3)) · (1/16) · 40 · (16/3)/4 = 5/18.
    assert!(close(ok(&f[1]), 5.0 / 18.0), "contrast {:?}", f[1]);
    // (4/3) / ((1/4) Σ|i1 - i2| = 5) = 4/15.
    assert!(close(ok(&f[2]), 4.0 / 15.0), "busyness {:?}", f[2]);
    // (1/4) Σ |i1 - i2| (s1 + s2)/2 over ordered pairs = (1/4)(88/3) = 22/3.
    assert!(close(ok(&f[3]), 22.0 / 3.0), "complexity {:?}", f[3]);
    // Σ (p1 + p2)(i1 - i2)² = 20, / Σ s = 16/3 → 15/4.
    assert!(close(ok(&f[4]), 3.75), "strength {:?}", f[4]);
}

/// Row `[1, 1, 2]`: s = (0 + 1/2, 1), n = (2, 1); p = (2/3, 1/3).
/// Σ |i1 n1 - i2 n2| = 2 |1·2 - 2·1| = 0: busyness is undefined, the rest is not.
#[test]
fn busyness_with_a_vanishing_denominator() {
    let a = slice(&[&[1, 1, 2]]);
    let m = build(&lv(&a), Scope::Slice(0), 1);
    assert_same(&m, &[0.5, 1.0], &[2, 1]);
    let f = features(&m);
    assert!(close(ok(&f[0]), 1.5));
    assert!(f[2].as_ref().unwrap_err().contains("busyness"));
    // contrast: (1/2) · 2 · (2/9) · (1.5 / 3) = 1/9
    assert!(close(ok(&f[1]), 1.0 / 9.0));
    // complexity: (1/3) · 2 · (2/3 · 1/2 + 1/3 · 1) / 1 = 4/9
    assert!(close(ok(&f[3]), 4.0 / 9.0));
    // strength: 2 · 1 / 1.5 = 4/3
    assert!(close(ok(&f[4]), 4.0 / 3.0));
}

/// A flat ROI: every s_i is 0. Coarseness, contrast, busyness and strength are undefined
/// (reported with a reason, never NaN); complexity is 0.
#[test]
fn single_grey_level_is_undefined_not_nan() {
    let a = Array3::from_elem((2, 3, 3), 5u32);
    for scope in [Scope::Slice(1), Scope::Volume] {
        let m = build(&lv(&a), scope, 1);
        assert!(!m.is_empty());
        let f = features(&m);
        for k in [0, 1, 2, 4] {
            let e = f[k].as_ref().unwrap_err();
            assert!(e.contains("undefined"), "{e}");
        }
        assert_eq!(f[3], Ok(0.0));
    }
}

/// Isolated voxels have no valid neighbourhood: the matrix is empty, and the shared
/// aggregation reports every feature as missing.
#[test]
fn isolated_voxels_give_an_empty_matrix() {
    let mut a = Array3::zeros((3, 3, 3));
    a[[0, 0, 0]] = 2;
    a[[2, 2, 2]] = 3;
    let m = build(&lv(&a), Scope::Volume, 1);
    assert!(m.is_empty());
    assert_eq!(m.n_counted(), 0);
    let out = aggregate_neighbourhood(
        &radx_ngtdm::Ngtdm { delta: 1 },
        &lv(&a),
        &[
            radx_core::settings::TextureDimension::D2,
            radx_core::settings::TextureDimension::D25,
            radx_core::settings::TextureDimension::D3,
        ],
        5,
    );
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|(_, v)| v.iter().all(|x| x.is_err())));
    // At distance 2 they see each other.
    let m2 = build(&lv(&a), Scope::Volume, 2);
    assert_same(&m2, &[0.0, 1.0, 1.0], &[0, 1, 1]);
}

/// The plugin on degenerate ROIs: one voxel, and a flat ROI. No panic, no NaN.
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
        let (h, i) = (tex.clone(), tex.clone());
        let input = FeatureInput {
            roi: &roi,
            settings: &settings,
            histogram: &h,
            texture: &tex,
            ivh: &i,
        };
        let values = radx_ngtdm::plugin().compute(&input).unwrap();
        assert_eq!(values.len(), 15);
        for v in &values {
            assert!(v.value.is_none_or(f64::is_finite));
            assert_eq!(v.value.is_none(), v.missing_reason.is_some());
        }
    }
    // A failed discretisation is an Undefined error naming the reason.
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
    let e = radx_ngtdm::plugin().compute(&input).unwrap_err();
    assert!(e.to_string().contains("boom"));
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

fn assert_matrices_close(a: &NgtdmMatrix, b: &NgtdmMatrix) {
    let (ra, rb): (Vec<_>, Vec<_>) = (a.rows().collect(), b.rows().collect());
    assert_eq!(ra.len(), rb.len());
    for (x, y) in ra.iter().zip(&rb) {
        assert_eq!((x.0, x.2), (y.0, y.2));
        assert!(close(x.1, y.1), "{ra:?} vs {rb:?}");
    }
}

fn assert_features_close(a: &[Outcome], b: &[Outcome]) {
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (Ok(x), Ok(y)) => assert!(close(*x, *y), "{x} vs {y}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{x:?} vs {y:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The flat-offset implementation equals the literal definition, for every slice and
    /// the volume, at distances 1 to 3.
    #[test]
    fn equals_the_definition(a in volume(6, 5), delta in 1u32..=3) {
        let v = lv(&a);
        let m = build(&v, Scope::Volume, delta);
        let (s, n) = naive(&a, Scope::Volume, delta);
        assert_same(&m, &s, &n);
        for z in 0..a.dim().0 {
            let m = build(&v, Scope::Slice(z), delta);
            let (s, n) = naive(&a, Scope::Slice(z), delta);
            assert_same(&m, &s, &n);
        }
    }

    /// Σ n_i is the number of ROI voxels with at least one ROI neighbour.
    #[test]
    fn counts_sum_to_the_voxels_with_a_neighbour(a in volume(6, 4)) {
        let (nz, ny, nx) = a.dim();
        let has_neighbour = |z: usize, y: usize, x: usize, in_plane: bool| {
            let zr = if in_plane { z..=z } else { z.saturating_sub(1)..=(z + 1).min(nz - 1) };
            zr.flat_map(|z2| (y.saturating_sub(1)..=(y + 1).min(ny - 1)).map(move |y2| (z2, y2)))
                .flat_map(|(z2, y2)| (x.saturating_sub(1)..=(x + 1).min(nx - 1)).map(move |x2| (z2, y2, x2)))
                .any(|(z2, y2, x2)| (z2, y2, x2) != (z, y, x) && a[[z2, y2, x2]] > 0)
        };
        let counted_3d = a.indexed_iter().filter(|((z, y, x), &l)| l > 0 && has_neighbour(*z, *y, *x, false)).count();
        prop_assert_eq!(build(&lv(&a), Scope::Volume, 1).n_counted(), counted_3d as u64);
        for z in 0..nz {
            let counted = a.indexed_iter()
                .filter(|((z2, y, x), &l)| *z2 == z && l > 0 && has_neighbour(z, *y, *x, true))
                .count();
            prop_assert_eq!(build(&lv(&a), Scope::Slice(z), 1).n_counted(), counted as u64);
        }
    }

    /// A 90° in-plane rotation changes neither the 3D matrix nor the slice matrices, and
    /// so none of the 2D, 2.5D and 3D features.
    #[test]
    fn invariant_under_in_plane_rotation(a in volume(6, 5), delta in 1u32..=2) {
        let r = rotate(&a);
        let (va, vr) = (lv(&a), lv(&r));
        let (ma, mr) = (build(&va, Scope::Volume, delta), build(&vr, Scope::Volume, delta));
        assert_matrices_close(&ma, &mr);
        for z in 0..a.dim().0 {
            assert_matrices_close(&build(&va, Scope::Slice(z), delta), &build(&vr, Scope::Slice(z), delta));
        }
        let dims = [
            radx_core::settings::TextureDimension::D2,
            radx_core::settings::TextureDimension::D25,
            radx_core::settings::TextureDimension::D3,
        ];
        let fam = radx_ngtdm::Ngtdm { delta };
        let (fa, fr) = (
            aggregate_neighbourhood(&fam, &va, &dims, 5),
            aggregate_neighbourhood(&fam, &vr, &dims, 5),
        );
        for ((ta, xa), (tr, xr)) in fa.iter().zip(&fr) {
            prop_assert_eq!(ta, tr);
            assert_features_close(xa, xr);
        }
    }

    /// Features are finite or undefined with a reason, never NaN; merging is order-free
    /// in the counts.
    #[test]
    fn features_are_finite_or_undefined(a in volume(5, 6), delta in 1u32..=2) {
        let v = lv(&a);
        let m = build(&v, Scope::Volume, delta);
        if !m.is_empty() {
            for f in features(&m) {
                match f {
                    Ok(x) => prop_assert!(x.is_finite() && x >= 0.0),
                    Err(r) => prop_assert!(!r.is_empty()),
                }
            }
        }
        let per_slice: Vec<_> = (0..a.dim().0).map(|z| build(&v, Scope::Slice(z), delta)).collect();
        let mut fwd = NgtdmMatrix::default();
        per_slice.iter().for_each(|m| fwd.merge(m));
        let mut bwd = NgtdmMatrix::default();
        per_slice.iter().rev().for_each(|m| bwd.merge(m));
        prop_assert_eq!(fwd.n(), bwd.n());
        prop_assert_eq!(fwd.n_counted(), per_slice.iter().map(|m| m.n_counted()).sum::<u64>());
    }

    /// Embedding the volume in a larger array of non-ROI voxels changes nothing
    /// (bit for bit).
    #[test]
    fn independent_of_the_surrounding_array(a in volume(5, 4), pad in (0usize..3, 0usize..3, 0usize..3)) {
        let (nz, ny, nx) = a.dim();
        let mut big = Array3::zeros((nz + 2 * pad.0, ny + 2 * pad.1, nx + 2 * pad.2));
        for ((z, y, x), &l) in a.indexed_iter() {
            big[[z + pad.0, y + pad.1, x + pad.2]] = l;
        }
        prop_assert_eq!(build(&lv(&a), Scope::Volume, 1), build(&lv(&big), Scope::Volume, 1));
    }
}
