//! Every consensus `rlm_` row of the IBSI 1 digital phantom reference table.

use radx_testkit::{assert_complies, digital_phantom, input, reference_rows};

#[test]
fn digital_phantom_every_rlm_row() {
    let (prepared, settings) = digital_phantom();
    let plugin = radx_glrlm::plugin();
    let values = plugin.compute(&input(&prepared, &settings)).unwrap();
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
    let rows = reference_rows("ibsi_1_dig_phantom.csv", "rlm_");
    assert_eq!(rows.len(), 96, "reference rows");
    assert_complies(&rows, lookup);
}
