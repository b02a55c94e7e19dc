//! Whole-case extraction of the IBSI CT phantom under configuration E (interpolation,
//! re-segmentation, every IBSI 1 family with exact Moran's I and Geary's C), from the
//! NIfTI files to the feature table, on one and on two threads.

use criterion::{criterion_group, criterion_main, Criterion};
use radx_core::Settings;
use radx_io::MaskSelector;
use radx_pipeline::{builtin_registry, extract_files, CaseLabels};

fn bench(c: &mut Criterion) {
    let settings = Settings::preset("ibsi-config-e").unwrap();
    let registry = builtin_registry();
    let image = radx_testkit::data("ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz");
    let mask = radx_testkit::data("ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz");
    let labels = CaseLabels {
        case: "ct".into(),
        roi: "gtv".into(),
        image: "original".into(),
    };
    let mut g = c.benchmark_group("extract_ct_phantom_config_e");
    g.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        g.bench_function(format!("{threads}_thread"), |b| {
            b.iter(|| {
                pool.install(|| {
                    extract_files(
                        &image,
                        &mask,
                        MaskSelector::NonZero,
                        &settings,
                        &registry,
                        &labels,
                    )
                    .unwrap()
                })
            })
        });
    }
    g.finish();

    // The processing chain alone (read once, prepare many times).
    let img = radx_io::read_image(&image).unwrap();
    let m = radx_io::read_mask(&mask, MaskSelector::NonZero).unwrap();
    c.bench_function("prepare_ct_phantom_config_e", |b| {
        b.iter(|| radx_process::prepare(img.clone(), m.clone(), &settings).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
