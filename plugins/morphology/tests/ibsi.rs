//! IBSI reference values for the morphological features.

use radx_testkit::{assert_complies, ct_bench_settings, ct_phantom, digital_phantom, input, reference_rows};

fn values(p: &radx_process::Prepared, s: &radx_core::Settings) -> Vec<(String, Option<f64>)> {
    let plugin = radx_morphology::plugin();
    let prefix = plugin.info().prefix.clone();
    plugin
        .compute(&input(p, s))
        .unwrap()
        .into_iter()
        .map(|v| (format!("{prefix}_{}", v.name), v.value))
        .collect()
}

fn print(got: &[(String, Option<f64>)], rows: &[(String, f64, f64)]) {
    for (tag, v) in got {
        let r = rows.iter().find(|r| &r.0 == tag);
        eprintln!("{tag:28} {v:>16.6?}  ref {:?}", r.map(|r| (r.1, r.2)));
    }
}

#[test]
fn digital_phantom_consensus_rows() {
    let (p, s) = digital_phantom();
    let got = values(&p, &s);
    let rows = reference_rows("ibsi_1_dig_phantom.csv", "morph_");
    print(&got, &rows);
    assert_eq!(rows.len(), 25);
    assert_complies(&rows, |tag| got.iter().find(|(t, _)| t == tag).and_then(|g| g.1));
}

/// Configuration A (05_Reference_data_sets.rst) needs no interpolation: the CT phantom
/// GTV on its own 0.977 x 0.977 x 3 mm grid, re-segmented to [-500, 400] HU — exactly
/// the bench settings. The `morph_mask_*` rows are diagnostics of the processing chain.
#[test]
fn ct_phantom_config_a_rows() {
    let s = ct_bench_settings();
    let p = ct_phantom(&s);
    let got = values(&p, &s);
    let rows: Vec<_> = reference_rows("ibsi_1_chest_config_a.csv", "morph_")
        .into_iter()
        .filter(|r| !r.0.starts_with("morph_mask_"))
        .collect();
    print(&got, &rows);
    assert_eq!(rows.len(), 25);
    assert_complies(&rows, |tag| got.iter().find(|(t, _)| t == tag).and_then(|g| g.1));
}
