//! Criterion benches of voxel-wise feature maps (radx-maps) on the IBSI CT phantom (GTV),
//! prepared once with IBSI configuration E (2 mm grid, range and outlier re-segmentation,
//! FBN 32 bins, 3D texture), with a 5 x 5 x 5 voxel cube kernel (radius 4 mm = 2 voxels).
//!
//! `maps_<family>` times the maps of one family at every ROI voxel (on the current rayon
//! pool: all cores); `maps_first_order_1_thread` the intensity statistics and histogram
//! on one thread. `benches/pyradiomics/maps.sh` compares whole runs with PyRadiomics.

use std::sync::OnceLock;

use criterion::{criterion_group, criterion_main, Criterion};
use radx_core::Settings;
use radx_maps::{compute_maps, KernelShape, MapOptions};
use radx_process::Prepared;

fn ct() -> &'static (Prepared, Settings) {
    static CT: OnceLock<(Prepared, Settings)> = OnceLock::new();
    CT.get_or_init(|| {
        let settings = Settings::preset("ibsi-config-e").expect("preset");
        (radx_testkit::ct_phantom(&settings), settings)
    })
}

fn options(families: &[&str]) -> MapOptions {
    MapOptions {
        kernel: KernelShape::Cube,
        radius_mm: 4.0,
        stride: 1,
        features: families
            .iter()
            .map(|f| f.parse().expect("family"))
            .collect(),
    }
}

fn bench(c: &mut Criterion, name: &str, families: &[&str], threads: Option<usize>) {
    let (prepared, settings) = ct();
    let registry = radx_pipeline::builtin_registry();
    let o = options(families);
    let run = || compute_maps(prepared, settings, &registry, &o).expect("maps");
    let pool = threads.map(|n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("pool")
    });
    let maps = run();
    eprintln!(
        "{name}: {} maps, {} ROI voxels, kernel of {} voxels",
        maps.maps.len(),
        maps.roi_voxels,
        maps.kernel.voxels
    );
    let mut g = c.benchmark_group("maps");
    g.sample_size(10);
    g.bench_function(name, |b| match &pool {
        Some(p) => b.iter(|| p.install(|| std::hint::black_box(run()))),
        None => b.iter(|| std::hint::black_box(run())),
    });
    g.finish();
}

fn first_order(c: &mut Criterion) {
    bench(
        c,
        "maps_first_order_1_thread",
        &["intensity_stats", "intensity_histogram"],
        Some(1),
    );
    for f in [
        "intensity_stats",
        "intensity_histogram",
        "ivh",
        "local_intensity",
    ] {
        bench(c, &format!("maps_{f}"), &[f], None);
    }
}

fn texture(c: &mut Criterion) {
    for f in ["glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm"] {
        bench(c, &format!("maps_{f}"), &[f], None);
    }
}

criterion_group!(benches, first_order, texture);
criterion_main!(benches);
