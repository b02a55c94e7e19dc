//! Bench functions for the NGTDM and NGLDM families on the IBSI CT phantom prepared with
//! `radx_testkit::ct_bench_settings()` (GTV, re-segmented to [-500, 400] HU, fixed bin
//! size 25 HU: IBSI configuration A without the 2D restriction). Plain functions, to be
//! placed in a criterion group by a bench target, e.g.
//! `criterion_group!(benches, neighbourhood_bench_fns::bench_ngtdm, neighbourhood_bench_fns::bench_ngldm)`.
//!
//! Each family is timed through its registered plugin, for the 3D aggregation alone, for
//! 2D + 2.5D (per-slice matrices), and for all three aggregations (the default).

use criterion::Criterion;
use radx_core::settings::TextureDimension;
use radx_core::Settings;

fn bench_family(c: &mut Criterion, family: &str) {
    let base = radx_testkit::ct_bench_settings();
    let prepared = radx_testkit::ct_phantom(&base);
    let registry = radx_pipeline::builtin_registry();
    let plugin = registry
        .get(family)
        .unwrap_or_else(|| panic!("no built-in plugin for family `{family}`"));
    let variants: [(&str, Vec<TextureDimension>); 3] = [
        ("3D", vec![TextureDimension::D3]),
        ("2D+2.5D", vec![TextureDimension::D2, TextureDimension::D25]),
        (
            "2D+2.5D+3D",
            vec![
                TextureDimension::D2,
                TextureDimension::D25,
                TextureDimension::D3,
            ],
        ),
    ];
    let mut group = c.benchmark_group(format!("{family}/ct_phantom"));
    for (name, dims) in variants {
        let mut settings: Settings = base.clone();
        settings.texture.dimensions = dims;
        let input = radx_testkit::input(&prepared, &settings);
        group.bench_function(name, |b| {
            b.iter(|| plugin.compute(&input).expect("family computes"))
        });
    }
    group.finish();
}

/// NGTDM (distance 1) on the CT phantom: 3D, 2D + 2.5D, and all aggregations.
pub fn bench_ngtdm(c: &mut Criterion) {
    bench_family(c, "ngtdm");
}

/// NGLDM (distance 1, coarseness 0) on the CT phantom: 3D, 2D + 2.5D, and all
/// aggregations.
pub fn bench_ngldm(c: &mut Criterion) {
    bench_family(c, "ngldm");
}
