//! Criterion benches of the GLSZM and GLDZM families on the IBSI CT phantom prepared
//! with `radx_testkit::ct_bench_settings()` (GTV re-segmented to [-500, 400] HU, fixed
//! bin size 25 HU). To be wired into a bench target, e.g.
//!
//! ```ignore
//! #[path = "zones_bench_fns.rs"]
//! mod zones_bench_fns;
//! criterion_group!(benches, zones_bench_fns::bench_glszm, zones_bench_fns::bench_gldzm);
//! ```
//!
//! The plugins are reached through the built-in registry of `radx-pipeline` (the root
//! package does not depend on the plugin crates directly).
//!
//! Cargo also discovers this file as a bench target of its own (no benches run there);
//! hence the `dead_code` allowance.
#![allow(dead_code)]

use criterion::Criterion;
use radx_core::settings::TextureDimension;
use radx_core::Settings;

/// The aggregation sets benched: each alone and all three together (the default).
fn dimension_sets() -> Vec<(&'static str, Vec<TextureDimension>)> {
    vec![
        ("3D", vec![TextureDimension::D3]),
        ("2D", vec![TextureDimension::D2]),
        ("2.5D", vec![TextureDimension::D25]),
        (
            "all",
            vec![TextureDimension::D2, TextureDimension::D25, TextureDimension::D3],
        ),
    ]
}

fn bench_family(c: &mut Criterion, family: &str) {
    let base = radx_testkit::ct_bench_settings();
    let prepared = radx_testkit::ct_phantom(&base);
    let registry = radx_pipeline::builtin_registry();
    let plugin = registry
        .get(family)
        .unwrap_or_else(|| panic!("no built-in plugin for family `{family}`"));
    let mut group = c.benchmark_group(format!("{family}_ct_phantom"));
    for (label, dims) in dimension_sets() {
        let mut settings: Settings = base.clone();
        settings.texture.dimensions = dims;
        let input = radx_testkit::input(&prepared, &settings);
        group.bench_function(label, |b| {
            b.iter(|| plugin.compute(std::hint::black_box(&input)).expect("computes"))
        });
    }
    group.finish();
}

/// GLSZM on the CT phantom: 3D, 2D, 2.5D and all aggregations.
pub fn bench_glszm(c: &mut Criterion) {
    bench_family(c, "glszm");
}

/// GLDZM on the CT phantom: 3D, 2D, 2.5D and all aggregations.
pub fn bench_gldzm(c: &mut Criterion) {
    bench_family(c, "gldzm");
}
