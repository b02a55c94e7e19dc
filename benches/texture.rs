//! Criterion benches of the texture feature families on the IBSI CT phantom (GTV),
//! prepared once with `radx_testkit::ct_bench_settings()` (no interpolation,
//! re-segmentation to [-500, 400] HU, fixed bin size 25 HU).
//!
//! Each bench times one plugin's `compute` (matrices, aggregation and features) for one
//! texture dimensionality: `<family>_3d` with `dimensions = ["3D"]`, `<family>_2d` with
//! `dimensions = ["2D"]`; directional families run both direction mergings (`avg` and
//! `comb`).
//!
//! `texture_set_{1,2}_thread` times the six families together (every aggregation) through
//! the pipeline on one and on two threads.

use std::sync::OnceLock;

use criterion::{criterion_group, criterion_main, Criterion};
use radx_core::settings::TextureDimension;
use radx_core::Settings;
use radx_process::Prepared;

/// The CT phantom, prepared once for every bench.
fn ct() -> &'static (Prepared, Settings) {
    static CT: OnceLock<(Prepared, Settings)> = OnceLock::new();
    CT.get_or_init(|| {
        let settings = radx_testkit::ct_bench_settings();
        (radx_testkit::ct_phantom(&settings), settings)
    })
}

/// 3D texture only.
const D3: &[TextureDimension] = &[TextureDimension::D3];
/// 2D (per slice) texture only.
const D2: &[TextureDimension] = &[TextureDimension::D2];

/// Times the plugin of `family` on the CT phantom with texture dimensions `dims`.
fn bench_family(c: &mut Criterion, bench: &str, family: &str, dims: &[TextureDimension]) {
    let (prepared, base) = ct();
    let mut settings = base.clone();
    settings.texture.dimensions = dims.to_vec();
    let registry = radx_pipeline::builtin_registry();
    let plugin = registry
        .get(family)
        .unwrap_or_else(|| panic!("no plugin for family `{family}`"));
    let input = radx_testkit::input(prepared, &settings);
    // Fail loudly rather than time an error path.
    plugin
        .compute(&input)
        .unwrap_or_else(|e| panic!("{family}: {e}"));
    c.bench_function(bench, |b| {
        b.iter(|| std::hint::black_box(plugin.compute(&input)))
    });
}

// ---- GLCM and GLRLM -------------------------------------------------------------

fn glcm_3d(c: &mut Criterion) {
    bench_family(c, "glcm_3d", "glcm", D3);
}

fn glcm_2d(c: &mut Criterion) {
    bench_family(c, "glcm_2d", "glcm", D2);
}

fn glrlm_3d(c: &mut Criterion) {
    bench_family(c, "glrlm_3d", "glrlm", D3);
}

fn glrlm_2d(c: &mut Criterion) {
    bench_family(c, "glrlm_2d", "glrlm", D2);
}

// ---- GLSZM and GLDZM ------------------------------------------------------------

fn glszm_3d(c: &mut Criterion) {
    bench_family(c, "glszm_3d", "glszm", D3);
}

fn glszm_2d(c: &mut Criterion) {
    bench_family(c, "glszm_2d", "glszm", D2);
}

fn gldzm_3d(c: &mut Criterion) {
    bench_family(c, "gldzm_3d", "gldzm", D3);
}

fn gldzm_2d(c: &mut Criterion) {
    bench_family(c, "gldzm_2d", "gldzm", D2);
}

// ---- NGTDM and NGLDM ------------------------------------------------------------

fn ngtdm_3d(c: &mut Criterion) {
    bench_family(c, "ngtdm_3d", "ngtdm", D3);
}

fn ngtdm_2d(c: &mut Criterion) {
    bench_family(c, "ngtdm_2d", "ngtdm", D2);
}

fn ngldm_3d(c: &mut Criterion) {
    bench_family(c, "ngldm_3d", "ngldm", D3);
}

fn ngldm_2d(c: &mut Criterion) {
    bench_family(c, "ngldm_2d", "ngldm", D2);
}

// ---- The whole texture set (six families, 2D + 2.5D + 3D, avg + comb) -----------

/// All six texture families through the pipeline (families in parallel on the pool),
/// on one thread and on two.
fn texture_set(c: &mut Criterion) {
    let (prepared, base) = ct();
    let mut settings = base.clone();
    settings.features.families = ["glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let registry = radx_pipeline::builtin_registry();
    let labels = radx_pipeline::CaseLabels {
        case: "ct".into(),
        roi: "gtv".into(),
        image: "original".into(),
    };
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        c.bench_function(&format!("texture_set_{threads}_thread"), |b| {
            b.iter(|| {
                pool.install(|| {
                    radx_pipeline::compute_features(prepared, &settings, &registry, &labels)
                })
            })
        });
    }
}

criterion_group!(
    benches,
    // GLCM and GLRLM
    glcm_3d,
    glcm_2d,
    glrlm_3d,
    glrlm_2d,
    // GLSZM and GLDZM
    glszm_3d,
    glszm_2d,
    gldzm_3d,
    gldzm_2d,
    // NGTDM and NGLDM
    ngtdm_3d,
    ngtdm_2d,
    ngldm_3d,
    ngldm_2d,
    // all six
    texture_set,
);
criterion_main!(benches);
