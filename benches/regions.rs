//! Derived regions: deriving the 0–5 mm outer ring of the IBSI CT phantom's GTV (exact
//! Euclidean distance transform on the whole image grid) against the extraction that
//! ring feeds (configuration E: interpolation, re-segmentation, every IBSI 1 family), on
//! one thread. Issue #20: deriving a ring must cost less than that extraction.

use criterion::{criterion_group, criterion_main, Criterion};
use radx_core::{Mask, Settings};
use radx_io::MaskSelector;
use radx_pipeline::{builtin_registry, extract, CaseLabels};

fn bench(c: &mut Criterion) {
    let settings = Settings::preset("ibsi-config-e").unwrap();
    let registry = builtin_registry();
    let image = radx_testkit::data("ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz");
    let mask = radx_testkit::data("ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz");
    let img = radx_io::read_image(&image).unwrap();
    let m = radx_io::read_mask(&mask, MaskSelector::NonZero).unwrap();
    let sp = img.grid.spacing_zyx;
    let ring = Mask::new(
        img.grid.clone(),
        radx_regions::outer_ring(&m.data, 0.0, 5.0, sp),
    )
    .unwrap();
    let labels = CaseLabels {
        case: "ct".into(),
        roi: "ring_0_5mm".into(),
        image: "original".into(),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut g = c.benchmark_group("ct_phantom_ring_0_5mm");
    g.sample_size(10);
    g.bench_function("derive_ring", |b| {
        b.iter(|| radx_regions::outer_ring(&m.data, 0.0, 5.0, sp))
    });
    g.bench_function("extract_on_ring_config_e", |b| {
        b.iter(|| {
            pool.install(|| {
                extract(img.clone(), ring.clone(), &settings, &registry, &labels).unwrap()
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
