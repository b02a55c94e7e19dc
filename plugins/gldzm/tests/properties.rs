//! Property tests of the GLDZM implied by its definition.

use ndarray::Array3;
use proptest::prelude::*;
use radx_core::settings::DistanceNorm;
use radx_gldzm::Gldzm;
use radx_glszm::matrix::ZoneMatrix;
use radx_glszm::Glszm;
use radx_texture::{LevelVolume, Scope};

/// Grey levels 0..=3 (0 = outside the intensity mask) and a morphological mask that
/// contains the intensity mask and possibly more voxels.
fn case() -> impl Strategy<Value = (Array3<u32>, Array3<bool>)> {
    (1usize..5, 1usize..7, 1usize..7).prop_flat_map(|(z, y, x)| {
        let n = z * y * x;
        (
            prop::collection::vec(0u32..=3, n),
            prop::collection::vec(any::<bool>(), n),
        )
            .prop_map(move |(l, extra)| {
                let levels = Array3::from_shape_vec((z, y, x), l).unwrap();
                let morph = Array3::from_shape_vec((z, y, x), extra).unwrap();
                let morph = ndarray::Zip::from(&morph)
                    .and(&levels)
                    .map_collect(|&e, &l| e || l > 0);
                (levels, morph)
            })
    })
}

fn norm() -> impl Strategy<Value = DistanceNorm> {
    prop_oneof![
        Just(DistanceNorm::Manhattan),
        Just(DistanceNorm::Chebyshev),
        Just(DistanceNorm::Euclidean)
    ]
}

fn gldzm(
    a: &Array3<u32>,
    m: &Array3<bool>,
    scope: Scope,
    linkage: u32,
    norm: DistanceNorm,
) -> ZoneMatrix {
    let vol = LevelVolume {
        levels: a.view(),
        n_levels: 3,
    };
    Gldzm {
        morphological: m.view(),
        linkage,
        norm,
    }
    .matrix(&vol, scope)
}

/// Distance to the edge by brute force: the smallest distance from `p` to a voxel
/// outside `m` (in-plane for a slice), voxels beyond the array being outside.
fn brute_distance(m: &Array3<bool>, p: [usize; 3], in_plane: bool, norm: DistanceNorm) -> u32 {
    let (nz, ny, nx) = m.dim();
    let r = (nz.max(ny).max(nx) + 1) as isize;
    let rz = if in_plane { 0 } else { r };
    let mut best = f64::INFINITY;
    for dz in -rz..=rz {
        for dy in -r..=r {
            for dx in -r..=r {
                let q = [p[0] as isize + dz, p[1] as isize + dy, p[2] as isize + dx];
                let outside = q[0] < 0
                    || q[1] < 0
                    || q[2] < 0
                    || q[0] >= nz as isize
                    || q[1] >= ny as isize
                    || q[2] >= nx as isize
                    || !m[[q[0] as usize, q[1] as usize, q[2] as usize]];
                if !outside {
                    continue;
                }
                let d = [dz.abs() as f64, dy.abs() as f64, dx.abs() as f64];
                let v = match norm {
                    DistanceNorm::Manhattan => d[0] + d[1] + d[2],
                    DistanceNorm::Chebyshev => d[0].max(d[1]).max(d[2]),
                    DistanceNorm::Euclidean => (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt(),
                };
                best = best.min(v);
            }
        }
    }
    best.round() as u32
}

/// The GLDZM computed naively: zones by flood fill with bounds checks (linkage 1), the
/// zone distance as the minimum brute-force distance over its voxels.
fn naive_gldzm(
    a: &Array3<u32>,
    m: &Array3<bool>,
    slice: Option<usize>,
    norm: DistanceNorm,
) -> Vec<(u32, u32, u64)> {
    let (nz, ny, nx) = a.dim();
    let mut seen = Array3::from_elem(a.dim(), false);
    let mut pairs = Vec::new();
    let mut n_vox = 0;
    for z in 0..nz {
        if slice.is_some_and(|s| s != z) {
            continue;
        }
        for y in 0..ny {
            for x in 0..nx {
                let l = a[[z, y, x]];
                if l == 0 || seen[[z, y, x]] {
                    continue;
                }
                seen[[z, y, x]] = true;
                let mut stack = vec![[z, y, x]];
                let mut dmin = u32::MAX;
                while let Some(c) = stack.pop() {
                    n_vox += 1;
                    dmin = dmin.min(brute_distance(m, c, slice.is_some(), norm));
                    let rz: isize = if slice.is_some() { 0 } else { 1 };
                    for dz in -rz..=rz {
                        for dy in -1isize..=1 {
                            for dx in -1isize..=1 {
                                let q =
                                    [c[0] as isize + dz, c[1] as isize + dy, c[2] as isize + dx];
                                if q.iter().any(|&v| v < 0) {
                                    continue;
                                }
                                let q = [q[0] as usize, q[1] as usize, q[2] as usize];
                                if q[0] >= nz || q[1] >= ny || q[2] >= nx {
                                    continue;
                                }
                                if a[q] == l && !seen[q] {
                                    seen[q] = true;
                                    stack.push(q);
                                }
                            }
                        }
                    }
                }
                pairs.push((l, dmin));
            }
        }
    }
    ZoneMatrix::from_zones(pairs, n_vox).triples()
}

fn scopes(a: &Array3<u32>) -> Vec<Scope> {
    let mut s: Vec<Scope> = (0..a.dim().0).map(Scope::Slice).collect();
    s.push(Scope::Volume);
    s
}

fn rotate<T: Copy + Default>(a: &Array3<T>) -> Array3<T> {
    let (nz, ny, nx) = a.dim();
    let mut b = Array3::from_elem((nz, nx, ny), T::default());
    for ((z, y, x), &v) in a.indexed_iter() {
        b[[z, x, ny - 1 - y]] = v;
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// The GLDZM equals a naive computation (flood-filled zones, brute-force distances
    /// on the morphological mask), for every norm, per slice and in 3D.
    #[test]
    fn equals_a_naive_computation((a, m) in case(), norm in norm()) {
        for scope in scopes(&a) {
            let slice = match scope { Scope::Slice(z) => Some(z), Scope::Volume => None };
            prop_assert_eq!(
                gldzm(&a, &m, scope, 1, norm).triples(),
                naive_gldzm(&a, &m, slice, norm),
                "scope {:?}", scope
            );
        }
    }

    /// The GLDZM counts the zones of the GLSZM, each at a distance >= 1, over the same
    /// voxels.
    #[test]
    fn counts_the_glszm_zones((a, m) in case(), norm in norm(), linkage in 1u32..3) {
        let vol = LevelVolume { levels: a.view(), n_levels: 3 };
        for scope in scopes(&a) {
            let d = gldzm(&a, &m, scope, linkage, norm);
            let s = Glszm { linkage }.matrix(&vol, scope);
            prop_assert_eq!(d.n_zones(), s.n_zones());
            prop_assert_eq!(d.n_voxels(), s.n_voxels());
            prop_assert!(d.cells().iter().all(|c| c.column >= 1));
        }
    }

    /// A 90-degree in-plane rotation of grey levels and mask leaves the matrix unchanged.
    #[test]
    fn in_plane_rotation_keeps_the_matrix((a, m) in case(), norm in norm(), linkage in 1u32..3) {
        let (ra, rm) = (rotate(&a), rotate(&m));
        for scope in scopes(&a) {
            prop_assert_eq!(
                gldzm(&a, &m, scope, linkage, norm),
                gldzm(&ra, &rm, scope, linkage, norm)
            );
        }
    }

    /// Growing the morphological mask never brings a zone closer to the edge.
    #[test]
    fn a_larger_mask_moves_zones_inwards((a, m) in case(), norm in norm()) {
        let tight = a.mapv(|l| l > 0);
        let vol = LevelVolume { levels: a.view(), n_levels: 3 };
        let fam = |mask: &Array3<bool>| {
            let f = Gldzm { morphological: mask.view(), linkage: 1, norm };
            let (zones, dist) = f.zones_and_distances(&vol, Scope::Volume);
            zones.zone.iter().zip(dist).filter(|(z, _)| **z != u32::MAX).map(|(_, d)| d).collect::<Vec<_>>()
        };
        let (dt, dm) = (fam(&tight), fam(&m));
        prop_assert!(dt.iter().zip(&dm).all(|(t, l)| t <= l));
    }
}

#[test]
fn cube_distances() {
    // A full 5x5x5 cube of one grey level with a distinct centre voxel: the centre is
    // 3 steps from the outside in 3D (Manhattan, Chebyshev and Euclidean alike).
    let mut a = Array3::from_elem((5, 5, 5), 1u32);
    a[[2, 2, 2]] = 2;
    let m = a.mapv(|_| true);
    for norm in [
        DistanceNorm::Manhattan,
        DistanceNorm::Chebyshev,
        DistanceNorm::Euclidean,
    ] {
        assert_eq!(
            gldzm(&a, &m, Scope::Volume, 1, norm).triples(),
            vec![(1, 1, 1), (2, 3, 1)]
        );
        // in the middle slice, in-plane, the centre is also 3 steps away
        assert_eq!(
            gldzm(&a, &m, Scope::Slice(2), 1, norm).triples(),
            vec![(1, 1, 1), (2, 3, 1)]
        );
    }
    // a corner-adjacent voxel: Manhattan 2 + ... differs from Chebyshev
    let mut b = Array3::from_elem((1, 5, 5), 1u32);
    b[[0, 1, 1]] = 2;
    let mb = b.mapv(|_| true);
    assert_eq!(
        gldzm(&b, &mb, Scope::Slice(0), 1, DistanceNorm::Manhattan).triples(),
        vec![(1, 1, 1), (2, 2, 1)]
    );
}
