//! The IBSI 1 CT phantom with the bench settings of `radx_testkit::ct_bench_settings`:
//! no interpolation, re-segmentation to [-500, 400] HU, fixed bin size 25 HU. These are
//! the settings of IBSI configuration A, whose `rlm_` rows (2D and 2.5D) are checked.

use radx_testkit::{assert_complies, ct_bench_settings, ct_phantom, input, reference_rows};

#[test]
fn ct_phantom_config_a_rows() {
    let settings = ct_bench_settings();
    let prepared = ct_phantom(&settings);
    let plugin = radx_glrlm::plugin();
    let values = plugin.compute(&input(&prepared, &settings)).unwrap();
    assert!(
        values.iter().all(|v| v.value.is_some()),
        "every value defined"
    );
    let prefix = &plugin.info().prefix;
    let lookup = |tag: &str| {
        values
            .iter()
            .find(|v| {
                format!(
                    "{prefix}_{}_{}",
                    v.name,
                    v.aggregation.as_deref().unwrap_or("")
                ) == tag
            })
            .and_then(|v| v.value)
    };
    let rows = reference_rows("ibsi_1_chest_config_a.csv", "rlm_");
    assert!(!rows.is_empty());
    assert_complies(&rows, lookup);
}
