//! The IBSI 1 digital phantom: the manual's NGTDMs (06_Digital_phantom_texture_matrices.rst)
//! and every consensus `ngt_` reference value; and the CT phantom, configuration A.

use radx_core::Discretised;
use radx_ngtdm::{build, NgtdmMatrix};
use radx_testkit::{
    assert_digital_phantom_complies, assert_family_complies, digital_phantom, tagged_values,
};
use radx_texture::{LevelVolume, Scope, TextureMatrix};

fn vol(d: &Discretised) -> LevelVolume<'_> {
    LevelVolume {
        levels: d.levels.view(),
        n_levels: d.n_levels,
    }
}

/// Asserts `m` holds exactly the rows `(i, s_i, n_i)` (s to the manual's printed digits).
fn assert_matrix(m: &NgtdmMatrix, expected: &[(u32, f64, u64)], what: &str) {
    let got: Vec<(u32, f64, u64)> = m.rows().collect();
    assert_eq!(
        got.len(),
        expected.len(),
        "{what}: rows {got:?} vs {expected:?}"
    );
    for (g, e) in got.iter().zip(expected) {
        assert_eq!((g.0, g.2), (e.0, e.2), "{what}: {got:?} vs {expected:?}");
        assert!(
            (g.1 - e.1).abs() < 1e-6,
            "{what}: s_{} = {} vs {}",
            g.0,
            g.1,
            e.1
        );
    }
}

#[test]
fn matrices_match_the_manual() {
    let (p, _) = digital_phantom();
    let d = p.texture.as_ref().unwrap();
    let v = vol(d);
    let slices = v.occupied_slices();
    assert_eq!(slices.len(), 4, "the phantom has 4 slices");
    // 06_Digital_phantom_texture_matrices.rst, "Neighbourhood grey tone difference
    // matrix (2D)", slices in order.
    let manual_2d: [&[(u32, f64, u64)]; 4] = [
        &[(1, 14.575, 9), (4, 5.775, 8), (6, 7.325, 3)],
        &[(1, 11.928571, 12), (3, 0.375, 1), (4, 4.8, 4), (6, 8.0, 2)],
        &[(1, 7.985714, 14), (4, 4.65, 2), (6, 5.0, 1)],
        &[(1, 7.582143, 15), (4, 4.65, 2), (6, 5.0, 1)],
    ];
    let mut merged = NgtdmMatrix::default();
    for (k, (&z, expected)) in slices.iter().zip(manual_2d).enumerate() {
        let m = build(&v, Scope::Slice(z), 1);
        assert_matrix(&m, expected, &format!("slice {}", k + 1));
        merged.merge(&m);
    }
    // "Neighbourhood grey tone difference matrix (3D)".
    let m3 = build(&v, Scope::Volume, 1);
    assert_matrix(
        &m3,
        &[
            (1, 39.946954, 50),
            (3, 0.2, 1),
            (4, 20.825401, 16),
            (6, 24.127005, 7),
        ],
        "3D",
    );
    // Every one of the 74 ROI voxels has a neighbour, in 3D and in-plane.
    assert_eq!(m3.n_counted(), 74);
    assert_eq!(merged.n_counted(), 74);
}

#[test]
fn every_digital_phantom_reference_value() {
    let plugin = radx_ngtdm::plugin();
    let (p, s) = digital_phantom();
    assert_eq!(
        tagged_values(&*plugin, &p, &s).len(),
        15,
        "5 features x 3 aggregations"
    );
    assert_eq!(assert_digital_phantom_complies(&*plugin), 15);
}

/// CT phantom, configuration A (no interpolation, re-segmentation [-500, 400] HU, fixed
/// bin size 25 HU, 2D and 2.5D): the bench settings are exactly that configuration.
#[test]
fn ct_phantom_configuration_a() {
    let s = radx_testkit::ct_bench_settings();
    let p = radx_testkit::ct_phantom(&s);
    let rows = assert_family_complies(&*radx_ngtdm::plugin(), &p, &s, "ibsi_1_chest_config_a.csv");
    assert_eq!(rows, 10);
}
