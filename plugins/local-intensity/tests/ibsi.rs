//! IBSI reference values for the local intensity features.

use radx_testkit::{
    assert_ct_config_complies, assert_digital_phantom_complies, assert_family_complies,
    ct_bench_settings, ct_phantom, tagged_values,
};

#[test]
fn digital_phantom_consensus_rows() {
    assert_eq!(
        assert_digital_phantom_complies(&*radx_local_intensity::plugin()),
        2
    );
}

/// Configuration A (05_Reference_data_sets.rst) needs no interpolation: the CT phantom
/// GTV on its own 0.977 x 0.977 x 3 mm grid, re-segmented to [-500, 400] HU — exactly
/// the bench settings.
#[test]
fn ct_phantom_config_a_rows() {
    let s = ct_bench_settings();
    let p = ct_phantom(&s);
    let plugin = radx_local_intensity::plugin();
    assert!(tagged_values(&*plugin, &p, &s)
        .values()
        .all(Option::is_some));
    assert_eq!(
        assert_family_complies(&*plugin, &p, &s, "ibsi_1_chest_config_a.csv"),
        2
    );
}

/// Configurations C, D and E (3D, interpolated to 2 mm isotropic voxels by the
/// processing chain of `radx-process`).
#[test]
fn ct_phantom_config_c_d_e_rows() {
    for cfg in ["c", "d", "e"] {
        assert_eq!(
            assert_ct_config_complies(&*radx_local_intensity::plugin(), cfg),
            2
        );
    }
}
