//! The `stat_`, `ih_` and `ivh_` consensus rows of every IBSI 1 CT phantom configuration
//! (A-E), with the CT phantom processed by the shipped presets `ibsi-config-{a..e}`.
//! This exercises the three intensity families together with the processing chain
//! (interpolation for B-E, outlier re-segmentation for D and E) and all three IVH cases:
//! unit grid on HU (A, B, D), FBS bin centres (C) and FBN bin numbers (E).

use radx_core::{FeaturePlugin, FeatureValue, Settings};
use radx_testkit::{assert_complies, ct_phantom, input, reference_rows};

fn check(config: &str) {
    let s = Settings::preset(&format!("ibsi-config-{config}")).unwrap();
    let p = ct_phantom(&s);
    let plugins: [Box<dyn FeaturePlugin>; 3] = [
        radx_intensity_stats::plugin(),
        radx_intensity_histogram::plugin(),
        radx_ivh::plugin(),
    ];
    let mut values: Vec<(String, FeatureValue)> = Vec::new();
    for pl in &plugins {
        let prefix = pl.info().prefix.clone();
        for v in pl.compute(&input(&p, &s)).unwrap() {
            values.push((format!("{prefix}_{}", v.name), v));
        }
    }
    let file = format!("ibsi_1_chest_config_{config}.csv");
    let mut rows = reference_rows(&file, "stat_");
    rows.extend(reference_rows(&file, "ih_"));
    rows.extend(reference_rows(&file, "ivh_"));
    assert_eq!(rows.len(), 18 + 23 + 6);
    assert_complies(&rows, |tag| {
        values
            .iter()
            .find(|(t, _)| t == tag)
            .and_then(|(_, v)| v.value)
    });
}

#[test]
fn configuration_a() {
    check("a");
}

#[test]
fn configuration_b() {
    check("b");
}

#[test]
fn configuration_c() {
    check("c");
}

#[test]
fn configuration_d() {
    check("d");
}

#[test]
fn configuration_e() {
    check("e");
}
