//! Property tests of the GLSZM implied by its definition.

use ndarray::Array3;
use proptest::prelude::*;
use radx_glszm::matrix::ZoneMatrix;
use radx_glszm::Glszm;
use radx_texture::{LevelVolume, Scope, TextureMatrix};

/// Grey levels 0..=max_level (0 = outside the ROI) on a small random grid.
fn volume(max_level: u32) -> impl Strategy<Value = Array3<u32>> {
    (1usize..5, 1usize..7, 1usize..7).prop_flat_map(move |(z, y, x)| {
        prop::collection::vec(0u32..=max_level, z * y * x)
            .prop_map(move |v| Array3::from_shape_vec((z, y, x), v).unwrap())
    })
}

fn matrix(a: &Array3<u32>, scope: Scope, linkage: u32) -> ZoneMatrix {
    let vol = LevelVolume {
        levels: a.view(),
        n_levels: a.iter().copied().max().unwrap_or(0),
    };
    Glszm { linkage }.matrix(&vol, scope)
}

/// Zones found independently: breadth-first flood fill with bounds checks over every
/// neighbour within Chebyshev distance `linkage` (in-plane when `slice` is given).
fn naive_zones(a: &Array3<u32>, slice: Option<usize>, linkage: usize) -> Vec<(u32, u32)> {
    let (nz, ny, nx) = a.dim();
    let r = linkage as isize;
    let mut seen = Array3::from_elem(a.dim(), false);
    let mut out = Vec::new();
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
                let mut queue = vec![(z, y, x)];
                let mut size = 0;
                while let Some((cz, cy, cx)) = queue.pop() {
                    size += 1;
                    let rz = if slice.is_some() { 0 } else { r };
                    for dz in -rz..=rz {
                        for dy in -r..=r {
                            for dx in -r..=r {
                                let (qz, qy, qx) =
                                    (cz as isize + dz, cy as isize + dy, cx as isize + dx);
                                if qz < 0 || qy < 0 || qx < 0 {
                                    continue;
                                }
                                let q = [qz as usize, qy as usize, qx as usize];
                                if q[0] >= nz || q[1] >= ny || q[2] >= nx {
                                    continue;
                                }
                                if a[q] == l && !seen[q] {
                                    seen[q] = true;
                                    queue.push((q[0], q[1], q[2]));
                                }
                            }
                        }
                    }
                }
                out.push((l, size));
            }
        }
    }
    out.sort_unstable();
    out
}

fn cells_of(pairs: &mut [(u32, u32)], n: u64) -> Vec<(u32, u32, u64)> {
    ZoneMatrix::from_zones(pairs.iter().copied(), n).triples()
}

/// Rotates every slice by 90 degrees in-plane.
fn rotate(a: &Array3<u32>) -> Array3<u32> {
    let (nz, ny, nx) = a.dim();
    let mut b = Array3::zeros((nz, nx, ny));
    for ((z, y, x), &v) in a.indexed_iter() {
        b[[z, x, ny - 1 - y]] = v;
    }
    b
}

fn scopes(a: &Array3<u32>) -> Vec<Scope> {
    let mut s: Vec<Scope> = (0..a.dim().0).map(Scope::Slice).collect();
    s.push(Scope::Volume);
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every ROI voxel belongs to exactly one zone: Σ j s_ij = N_v, per slice, merged
    /// over slices (2.5D) and in 3D.
    #[test]
    fn sizes_times_counts_sum_to_the_voxel_count(a in volume(3), linkage in 1u32..3) {
        let n_roi = a.iter().filter(|&&l| l > 0).count() as u64;
        let mut merged = ZoneMatrix::default();
        for z in 0..a.dim().0 {
            let m = matrix(&a, Scope::Slice(z), linkage);
            let in_slice = a.outer_iter().nth(z).unwrap().iter().filter(|&&l| l > 0).count() as u64;
            let sum: u64 = m.cells().iter().map(|c| c.column as u64 * c.count).sum();
            prop_assert_eq!(sum, in_slice);
            prop_assert_eq!(m.n_voxels(), in_slice);
            merged.merge(&m);
        }
        let sum: u64 = merged.cells().iter().map(|c| c.column as u64 * c.count).sum();
        prop_assert_eq!(sum, n_roi);
        prop_assert_eq!(merged.n_voxels(), n_roi);
        let m = matrix(&a, Scope::Volume, linkage);
        let sum: u64 = m.cells().iter().map(|c| c.column as u64 * c.count).sum();
        prop_assert_eq!(sum, n_roi);
    }

    /// The zones are those of an independent flood fill, for linkage distances that use
    /// every code path (13 or 4 neighbours, up to 64 with covering, more without).
    #[test]
    fn zones_equal_a_naive_flood_fill(a in volume(3), linkage in 1u32..7) {
        for scope in scopes(&a) {
            let slice = match scope { Scope::Slice(z) => Some(z), Scope::Volume => None };
            let n = matrix(&a, scope, linkage).n_voxels();
            let mut naive = naive_zones(&a, slice, linkage as usize);
            prop_assert_eq!(
                matrix(&a, scope, linkage).triples(),
                cells_of(&mut naive, n),
                "scope {:?}", scope
            );
        }
    }

    /// A 90-degree in-plane rotation changes no zone (the Chebyshev neighbourhood is
    /// symmetric under it): same zone count and same matrix, per slice and in 3D.
    #[test]
    fn in_plane_rotation_keeps_the_zones(a in volume(3), linkage in 1u32..3) {
        let b = rotate(&a);
        for scope in scopes(&a) {
            let (ma, mb) = (matrix(&a, scope, linkage), matrix(&b, scope, linkage));
            prop_assert_eq!(ma.n_zones(), mb.n_zones());
            prop_assert_eq!(ma, mb);
        }
    }

    /// With a single grey level the zones are the connected components of the ROI.
    #[test]
    fn one_grey_level_gives_the_connected_components(m in volume(1)) {
        for scope in scopes(&m) {
            let slice = match scope { Scope::Slice(z) => Some(z), Scope::Volume => None };
            let mut sizes: Vec<u32> = naive_zones(&m, slice, 1).into_iter().map(|(_, s)| s).collect();
            sizes.sort_unstable();
            let got = matrix(&m, scope, 1);
            let mut expected: Vec<(u32, u32, u64)> = Vec::new();
            for s in sizes {
                match expected.last_mut() {
                    Some(c) if c.1 == s => c.2 += 1,
                    _ => expected.push((1, s, 1)),
                }
            }
            prop_assert_eq!(got.triples(), expected);
        }
    }
}

#[test]
fn a_known_component_count() {
    // A voxel touching a pair only through a corner across slices (linked in 3D
    // under 26-connectedness, not within a slice), and an isolated voxel.
    let mut a = Array3::zeros((2, 3, 5));
    a[[0, 0, 0]] = 1;
    a[[1, 1, 1]] = 1;
    a[[1, 1, 2]] = 1;
    a[[0, 0, 4]] = 1;
    assert_eq!(
        matrix(&a, Scope::Volume, 1).triples(),
        vec![(1, 1, 1), (1, 3, 1)]
    );
    assert_eq!(matrix(&a, Scope::Slice(0), 1).triples(), vec![(1, 1, 2)]);
    assert_eq!(matrix(&a, Scope::Slice(1), 1).triples(), vec![(1, 2, 1)]);
}
