//! Morphology and local intensity on the IBSI CT phantom GTV (configuration A grid:
//! 0.977 x 0.977 x 3 mm, ~125k voxels in the morphological mask), prepared with
//! `radx_testkit::ct_bench_settings()`.
//!
//! * `morphology/family`: every morphological feature, Moran's I and Geary's C exact.
//! * `morphology/family_without_moran_geary`: the same with `morphology.moran_geary =
//!   "skip"`; the difference is the cost of the exact (FFT) Moran's I / Geary's C, which
//!   the root package cannot call on its own (the plugin crates are not its direct
//!   dependencies).
//! * `local_intensity/family`: local and global intensity peaks.
//! * `morphology/family_config_e`: the whole family on the configuration E grid (2 mm
//!   isotropic, ~46k voxels), for comparison.

use criterion::{criterion_group, criterion_main, Criterion};
use radx_core::settings::SpatialAutocorrelation;
use radx_testkit::{ct_bench_settings, ct_phantom, input};

fn bench(c: &mut Criterion) {
    let settings = ct_bench_settings();
    let prepared = ct_phantom(&settings);
    let mut skip = settings.clone();
    skip.morphology.moran_geary = SpatialAutocorrelation::Skip;
    let registry = radx_pipeline::builtin_registry();
    let morph = registry.get("morphology").expect("morphology plugin");
    let local = registry
        .get("local_intensity")
        .expect("local intensity plugin");

    let exact_input = input(&prepared, &settings);
    let skip_input = input(&prepared, &skip);
    c.bench_function("morphology/family", |b| {
        b.iter(|| morph.compute(&exact_input).expect("morphology computes"))
    });
    c.bench_function("morphology/family_without_moran_geary", |b| {
        b.iter(|| morph.compute(&skip_input).expect("morphology computes"))
    });
    c.bench_function("local_intensity/family", |b| {
        b.iter(|| {
            local
                .compute(&exact_input)
                .expect("local intensity computes")
        })
    });
    let config_e = radx_core::Settings::preset("ibsi-config-e").expect("preset");
    let prepared_e = ct_phantom(&config_e);
    let input_e = input(&prepared_e, &config_e);
    c.bench_function("morphology/family_config_e", |b| {
        b.iter(|| morph.compute(&input_e).expect("morphology computes"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
