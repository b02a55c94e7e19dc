//! IBSI reference values for the local intensity features.

use radx_testkit::{
    assert_complies, ct_bench_settings, ct_phantom, digital_phantom, input, reference_rows,
};

fn values(p: &radx_process::Prepared, s: &radx_core::Settings) -> Vec<(String, f64)> {
    let plugin = radx_local_intensity::plugin();
    let prefix = plugin.info().prefix.clone();
    plugin
        .compute(&input(p, s))
        .unwrap()
        .into_iter()
        .map(|v| {
            (
                format!("{prefix}_{}", v.name),
                v.value.expect("value present"),
            )
        })
        .collect()
}

#[test]
fn digital_phantom_consensus_rows() {
    let (p, s) = digital_phantom();
    let got = values(&p, &s);
    let rows = reference_rows("ibsi_1_dig_phantom.csv", "loc_");
    assert_eq!(rows.len(), 2);
    assert_complies(&rows, |tag| got.iter().find(|(t, _)| t == tag).map(|g| g.1));
}

/// Configuration A (05_Reference_data_sets.rst) needs no interpolation: the CT phantom
/// GTV on its own 0.977 x 0.977 x 3 mm grid, re-segmented to [-500, 400] HU — exactly
/// the bench settings.
#[test]
fn ct_phantom_config_a_rows() {
    let s = ct_bench_settings();
    let p = ct_phantom(&s);
    let got = values(&p, &s);
    let rows = reference_rows("ibsi_1_chest_config_a.csv", "loc_");
    assert_eq!(rows.len(), 2);
    assert_complies(&rows, |tag| got.iter().find(|(t, _)| t == tag).map(|g| g.1));
}

/// Configurations C, D and E (3D, interpolated to 2 mm isotropic voxels by the
/// processing chain of `radx-process`).
#[test]
fn ct_phantom_config_c_d_e_rows() {
    for cfg in ["c", "d", "e"] {
        let s = radx_core::Settings::preset(&format!("ibsi-config-{cfg}")).unwrap();
        let p = ct_phantom(&s);
        let got = values(&p, &s);
        eprintln!("config {cfg}: {got:?}");
        let rows = reference_rows(&format!("ibsi_1_chest_config_{cfg}.csv"), "loc_");
        assert_eq!(rows.len(), 2);
        assert_complies(&rows, |tag| got.iter().find(|(t, _)| t == tag).map(|g| g.1));
    }
}
