//! IBSI 1 digital phantom: every consensus row of ibsi_1_dig_phantom.csv, through the
//! same path as `radx validate ibsi --set digital-phantom`.

use radx_check::{validate_set, ReferenceData};
use radx_pipeline::builtin_registry;

#[test]
fn digital_phantom_every_consensus_row() {
    let data = ReferenceData::ibsi().unwrap();
    let report = validate_set("digital-phantom", &data, &builtin_registry()).unwrap();
    assert_eq!(report.total, 482, "consensus rows in the reference table");
    let misses: Vec<String> = report
        .misses
        .iter()
        .map(|m| {
            format!(
                "{}: {:?} ({:?}) vs {} ± {}",
                m.tag, m.value, m.reason, m.reference, m.tolerance
            )
        })
        .collect();
    assert!(
        misses.is_empty(),
        "{} of 482 matched; misses:\n{}",
        report.matched,
        misses.join("\n")
    );
}
