//! Same inputs and settings give bit-identical output, whatever the thread count.

use radx_core::Settings;
use radx_pipeline::{builtin_registry, compute_features, CaseLabels};

fn table_with_threads(threads: usize, p: &radx_process::Prepared, s: &Settings) -> String {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let registry = builtin_registry();
    let labels = CaseLabels {
        case: "ct".into(),
        roi: "gtv".into(),
        image: "original".into(),
    };
    pool.install(|| radx_io::table_to_csv(&compute_features(p, s, &registry, &labels)))
}

#[test]
fn ct_phantom_table_is_identical_for_1_2_and_4_threads() {
    let s = radx_testkit::ct_bench_settings();
    let p = radx_testkit::ct_phantom(&s);
    let one = table_with_threads(1, &p, &s);
    assert!(one.lines().count() > 400);
    assert_eq!(one, table_with_threads(2, &p, &s));
    assert_eq!(one, table_with_threads(4, &p, &s));
}

#[test]
fn repeated_runs_are_identical() {
    let (p, s) = radx_testkit::digital_phantom();
    assert_eq!(table_with_threads(2, &p, &s), table_with_threads(2, &p, &s));
}
