//! Intensity families (statistics, intensity histogram, intensity-volume histogram) on the
//! IBSI CT phantom GTV, prepared with `radx_testkit::ct_bench_settings()`
//! (re-segmentation [-500, 400] HU, FBS 25 HU histogram, FBS 2.5 HU IVH).
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use radx_testkit::{ct_bench_settings, ct_phantom, input};

fn bench(c: &mut Criterion) {
    let settings = ct_bench_settings();
    let prepared = ct_phantom(&settings);
    eprintln!(
        "CT phantom: {} voxels in the intensity mask, grid {:?}",
        prepared.roi.intensity_count(),
        prepared.roi.grid.shape_zyx
    );
    let registry = radx_pipeline::builtin_registry();
    let features = input(&prepared, &settings);
    let mut group = c.benchmark_group("intensity");
    for family in ["intensity_stats", "intensity_histogram", "ivh"] {
        let plugin = registry.get(family).expect("built-in family");
        // the bench measures working code only
        let values = plugin.compute(&features).expect("family computes");
        assert!(
            values.iter().all(|v| v.value.is_some()),
            "{family}: {values:?}"
        );
        group.bench_function(family, |b| {
            b.iter(|| plugin.compute(black_box(&features)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
