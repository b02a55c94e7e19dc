//! The IBSI 1 digital phantom: every GLDZM consensus row of `ibsi_1_dig_phantom.csv`,
//! the GLDZMs worked out in 06_Digital_phantom_texture_matrices.rst and a distance map
//! worked out by hand.

use radx_core::settings::DistanceNorm;
use radx_gldzm::Gldzm;
use radx_texture::{LevelVolume, Scope};

#[test]
fn every_consensus_row_complies() {
    let plugin = radx_gldzm::plugin();
    let (p, s) = radx_testkit::digital_phantom();
    let values = radx_testkit::tagged_values(&*plugin, &p, &s);
    assert_eq!(values.len(), 48, "one value per feature and aggregation");
    let rows = radx_testkit::assert_digital_phantom_complies(&*plugin);
    assert_eq!(rows, 48, "16 features x 3 aggregations");
}

type Cells = Vec<(u32, u32, u64)>;

fn with_family<R>(f: impl FnOnce(&Gldzm, &LevelVolume, usize) -> R) -> R {
    let (p, _) = radx_testkit::digital_phantom();
    let d = p.texture.as_ref().unwrap();
    let vol = LevelVolume {
        levels: d.levels.view(),
        n_levels: d.n_levels,
    };
    let fam = Gldzm {
        morphological: p.roi.morphological.view(),
        linkage: 1,
        norm: DistanceNorm::Manhattan,
    };
    f(&fam, &vol, d.levels.dim().0)
}

#[test]
fn slice_matrices_match_the_manual() {
    let slices: Vec<Cells> = with_family(|f, vol, nz| {
        (0..nz)
            .map(|z| f.matrix(vol, Scope::Slice(z)).triples())
            .collect()
    });
    let manual: Vec<Cells> = vec![
        vec![(1, 1, 2), (4, 1, 2), (6, 1, 1)],
        vec![(1, 1, 2), (3, 2, 1), (4, 1, 2), (6, 1, 1), (6, 2, 1)],
        vec![(1, 1, 1), (4, 1, 1), (6, 1, 1)],
        vec![(1, 1, 1), (4, 1, 1), (6, 1, 1)],
    ];
    assert_eq!(slices, manual);
}

#[test]
fn volume_matrix_matches_the_manual() {
    let m = with_family(|f, vol, _| f.matrix(vol, Scope::Volume).triples());
    assert_eq!(m, vec![(1, 1, 1), (3, 1, 1), (4, 1, 2), (6, 1, 1)]);
}

/// Reads a distance map back in unpadded `(y, x)` order for one slice.
fn slice_map(z: usize) -> Vec<Vec<u32>> {
    with_family(|f, vol, _| {
        let (zones, dist) = f.zones_and_distances(vol, Scope::Slice(z));
        let l = zones.layout;
        let (_, ny, nx) = vol.levels.dim();
        (0..ny)
            .map(|y| {
                (0..nx)
                    .map(|x| l.index_of([z, y, x]).map_or(0, |i| dist[i]))
                    .collect()
            })
            .collect()
    })
}

#[test]
fn slice_distance_maps_by_hand() {
    // Slice 2 of the phantom: a 4 x 5 mask missing the voxel at (y 2, x 0). Distance
    // 1 on the edge and beside the hole; the inner voxels are 2 steps (Manhattan) from
    // the outside.
    assert_eq!(
        slice_map(1),
        vec![
            vec![1, 1, 1, 1, 1],
            vec![1, 2, 2, 2, 1],
            vec![0, 1, 2, 2, 1],
            vec![1, 1, 1, 1, 1],
        ]
    );
    // Slice 3: the mask misses (0, 3), (0, 4) and (2, 2).
    assert_eq!(
        slice_map(2),
        vec![
            vec![1, 1, 1, 0, 0],
            vec![1, 2, 1, 1, 1],
            vec![1, 1, 0, 1, 1],
            vec![1, 1, 1, 1, 1],
        ]
    );
}

#[test]
fn volume_distance_map_by_hand() {
    // In 3D the first and last slices lie on the edge. Inner voxels of slices 2 and 3
    // (indices 1, 2) are 2 steps from the outside unless a 6-neighbour is missing from
    // the mask: (1, 2, 1) beside the hole (1, 2, 0) and (1, 2, 2) above the hole
    // (2, 2, 2) have distance 1.
    let map = with_family(|f, vol, _| {
        let (zones, dist) = f.zones_and_distances(vol, Scope::Volume);
        let l = zones.layout;
        let (nz, ny, nx) = vol.levels.dim();
        let mut out = vec![vec![vec![0; nx]; ny]; nz];
        for (z, plane) in out.iter_mut().enumerate() {
            for (y, row) in plane.iter_mut().enumerate() {
                for (x, v) in row.iter_mut().enumerate() {
                    *v = l.index_of([z, y, x]).map_or(0, |i| dist[i]);
                }
            }
        }
        out
    });
    assert_eq!(map[0], vec![vec![1; 5]; 4]);
    assert_eq!(
        map[3],
        vec![vec![1, 1, 1, 0, 0], vec![1; 5], vec![1; 5], vec![1; 5]]
    );
    assert_eq!(
        map[1],
        vec![
            vec![1, 1, 1, 1, 1],
            vec![1, 2, 2, 2, 1],
            vec![0, 1, 1, 2, 1],
            vec![1, 1, 1, 1, 1],
        ]
    );
    assert_eq!(
        map[2],
        vec![
            vec![1, 1, 1, 0, 0],
            vec![1, 2, 1, 1, 1],
            vec![1, 1, 0, 1, 1],
            vec![1, 1, 1, 1, 1],
        ]
    );
}
