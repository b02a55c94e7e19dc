//! The IBSI 1 digital phantom: every GLSZM consensus row of `ibsi_1_dig_phantom.csv`,
//! and the GLSZMs worked out in 06_Digital_phantom_texture_matrices.rst.

use radx_glszm::Glszm;
use radx_texture::{LevelVolume, Scope};

#[test]
fn every_consensus_row_complies() {
    let plugin = radx_glszm::plugin();
    let (p, s) = radx_testkit::digital_phantom();
    let values = radx_testkit::tagged_values(&*plugin, &p, &s);
    assert_eq!(values.len(), 48, "one value per feature and aggregation");
    let rows = radx_testkit::assert_digital_phantom_complies(&*plugin);
    assert_eq!(rows, 48, "16 features x 3 aggregations");
}

/// (grey level, zone size, count), per the manual's tables.
type Cells = Vec<(u32, u32, u64)>;

fn matrices() -> (Vec<Cells>, Cells) {
    let (p, _) = radx_testkit::digital_phantom();
    let d = p.texture.as_ref().unwrap();
    let vol = LevelVolume {
        levels: d.levels.view(),
        n_levels: d.n_levels,
    };
    let f = Glszm { linkage: 1 };
    let slices = (0..d.levels.dim().0)
        .map(|z| f.matrix(&vol, Scope::Slice(z)).triples())
        .collect();
    (slices, f.matrix(&vol, Scope::Volume).triples())
}

#[test]
fn slice_matrices_match_the_manual() {
    let (slices, _) = matrices();
    let manual: Vec<Cells> = vec![
        vec![(1, 3, 1), (1, 6, 1), (4, 2, 1), (4, 6, 1), (6, 3, 1)],
        vec![(1, 4, 1), (1, 8, 1), (3, 1, 1), (4, 2, 2), (6, 1, 2)],
        vec![(1, 14, 1), (4, 2, 1), (6, 1, 1)],
        vec![(1, 15, 1), (4, 2, 1), (6, 1, 1)],
    ];
    assert_eq!(slices, manual);
}

#[test]
fn volume_matrix_matches_the_manual() {
    let (_, volume) = matrices();
    assert_eq!(
        volume,
        vec![(1, 50, 1), (3, 1, 1), (4, 2, 1), (4, 14, 1), (6, 7, 1)]
    );
}
