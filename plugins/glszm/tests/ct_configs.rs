//! The IBSI 1 CT phantom: the szm_ consensus rows of configurations A to E
//! (B to E rely on the processing chain's interpolation).

use std::collections::HashMap;

use radx_core::Settings;

fn values(config: &str) -> HashMap<String, Option<f64>> {
    let s = Settings::preset(&format!("ibsi-config-{config}")).unwrap();
    let p = radx_testkit::ct_phantom(&s);
    let plugin = radx_glszm::plugin();
    let prefix = plugin.info().prefix.clone();
    plugin
        .compute(&radx_testkit::input(&p, &s))
        .expect("computes on the CT phantom")
        .into_iter()
        .map(|v| {
            (
                format!("{prefix}_{}_{}", v.name, v.aggregation.unwrap()),
                v.value,
            )
        })
        .collect()
}

fn check(config: &str) {
    let rows = radx_testkit::reference_rows(&format!("ibsi_1_chest_config_{config}.csv"), "szm_");
    assert!(!rows.is_empty());
    let t = values(config);
    radx_testkit::assert_complies(&rows, |tag| t.get(tag).copied().flatten());
}

#[test]
fn config_a_complies() {
    let rows = radx_testkit::reference_rows("ibsi_1_chest_config_a.csv", "szm_");
    assert_eq!(rows.len(), 32, "16 features x (2D, 2.5D)");
    check("a");
}

#[test]
fn config_b_complies() {
    check("b");
}

#[test]
fn config_c_complies() {
    check("c");
}

#[test]
fn config_d_complies() {
    check("d");
}

#[test]
fn config_e_complies() {
    check("e");
}
