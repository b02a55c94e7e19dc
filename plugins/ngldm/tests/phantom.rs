//! The IBSI 1 digital phantom: the manual's NGLDMs (06_Digital_phantom_texture_matrices.rst)
//! and every consensus `ngl_` reference value; and the CT phantom, configuration A.

use radx_core::Discretised;
use radx_ngldm::{build, NgldmMatrix};
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

/// Asserts that the non-zero elements of `m` are exactly `expected` (`(i, j, s_ij)`).
fn assert_matrix(m: &NgldmMatrix, expected: &[(usize, usize, u64)], what: &str) {
    let got: Vec<_> = m.entries().collect();
    assert_eq!(got, expected, "{what}");
}

#[test]
fn matrices_match_the_manual() {
    let (p, _) = digital_phantom();
    let d = p.texture.as_ref().unwrap();
    let v = vol(d);
    let slices = v.occupied_slices();
    assert_eq!(slices.len(), 4, "the phantom has 4 slices");
    // 06_Digital_phantom_texture_matrices.rst, "Neighbouring grey level dependence
    // matrix (2D)" (distance 1, coarseness 0), slices in order.
    let manual_2d: [&[(usize, usize, u64)]; 4] = [
        &[
            (1, 2, 3),
            (1, 3, 1),
            (1, 4, 3),
            (1, 5, 2),
            (4, 2, 2),
            (4, 3, 4),
            (4, 4, 2),
            (6, 2, 2),
            (6, 3, 1),
        ],
        &[
            (1, 3, 2),
            (1, 4, 6),
            (1, 6, 4),
            (3, 1, 1),
            (4, 2, 4),
            (6, 1, 2),
        ],
        &[
            (1, 3, 1),
            (1, 4, 5),
            (1, 5, 3),
            (1, 6, 3),
            (1, 7, 2),
            (4, 2, 2),
            (6, 1, 1),
        ],
        &[
            (1, 3, 1),
            (1, 4, 3),
            (1, 5, 3),
            (1, 6, 4),
            (1, 7, 1),
            (1, 8, 3),
            (4, 2, 2),
            (6, 1, 1),
        ],
    ];
    let mut merged = NgldmMatrix::default();
    for (k, (&z, expected)) in slices.iter().zip(manual_2d).enumerate() {
        let m = build(&v, Scope::Slice(z), 1, 0);
        assert_matrix(&m, expected, &format!("slice {}", k + 1));
        assert_eq!(m.n_neighbourhoods(), m.n_voxels());
        merged.merge(&m);
    }
    assert_eq!((merged.n_neighbourhoods(), merged.n_voxels()), (74, 74));
    // "Neighbouring grey level dependence matrix (3D)".
    let m3 = build(&v, Scope::Volume, 1, 0);
    assert_matrix(
        &m3,
        &[
            (1, 5, 2),
            (1, 6, 2),
            (1, 7, 1),
            (1, 8, 6),
            (1, 9, 4),
            (1, 10, 6),
            (1, 11, 5),
            (1, 12, 5),
            (1, 13, 3),
            (1, 14, 2),
            (1, 15, 5),
            (1, 16, 3),
            (1, 17, 3),
            (1, 18, 2),
            (1, 21, 1),
            (3, 1, 1),
            (4, 2, 2),
            (4, 4, 2),
            (4, 5, 6),
            (4, 6, 4),
            (4, 7, 2),
            (6, 2, 1),
            (6, 3, 4),
            (6, 4, 1),
            (6, 5, 1),
        ],
        "3D",
    );
    assert_eq!((m3.n_neighbourhoods(), m3.n_voxels()), (74, 74));
    assert_eq!(
        m3.n_dep(),
        21,
        "columns end at the largest dependence found"
    );
}

#[test]
fn every_digital_phantom_reference_value() {
    let plugin = radx_ngldm::plugin();
    let (p, s) = digital_phantom();
    assert_eq!(
        tagged_values(&*plugin, &p, &s).len(),
        51,
        "17 features x 3 aggregations"
    );
    assert_eq!(assert_digital_phantom_complies(&*plugin), 51);
}

/// CT phantom, configuration A (no interpolation, re-segmentation [-500, 400] HU, fixed
/// bin size 25 HU, 2D and 2.5D): the bench settings are exactly that configuration.
#[test]
fn ct_phantom_configuration_a() {
    let s = radx_testkit::ct_bench_settings();
    let p = radx_testkit::ct_phantom(&s);
    let rows = assert_family_complies(&*radx_ngldm::plugin(), &p, &s, "ibsi_1_chest_config_a.csv");
    assert_eq!(rows, 34);
}
