//! IBSI 1 CT phantom, configurations A–E: every consensus row (features and diagnostic
//! values of each processing step), through `radx validate ibsi --set config-X`.

use radx_check::{validate_set, ReferenceData};
use radx_pipeline::builtin_registry;

/// Asserts that every consensus row of `set` matches, listing every miss otherwise.
fn check(set: &str, expected_total: usize) {
    let data = ReferenceData::ibsi().unwrap();
    let report = validate_set(set, &data, &builtin_registry()).unwrap();
    assert_eq!(report.total, expected_total, "consensus rows of {set}");
    let detail: Vec<String> = report
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
        detail.is_empty(),
        "{set}: {} of {} matched; misses:\n{}",
        report.matched,
        report.total,
        detail.join("\n")
    );
    assert_eq!(report.matched, expected_total);
}

#[test]
fn config_a() {
    check("config-a", 406);
}

#[test]
fn config_b() {
    check("config-b", 406);
}

#[test]
fn config_c() {
    check("config-c", 270);
}

#[test]
fn config_d() {
    check("config-d", 270);
}

#[test]
fn config_e() {
    check("config-e", 270);
}
