//! The stability checker on a real cohort: the 25 FDG-PET cases of the STS cohort, each
//! under its original and 20 seeded perturbations (noise, rotation, translation, volume
//! adaptation, contour randomisation), every IBSI 1 family at 3 mm, then the per-feature
//! ICC / CCC / CV assessment of the 21 tables. Two threads. Also the assessment alone.
//!
//! `cargo bench --bench stability` (the cohort from `$RADX_COHORT_DATA`, else the full
//! cohort at `../shared/cohorts/sts` beside the workspace when it is there, else the shipped
//! test cohort `reference-data/cohorts/sts-mini`).

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use radx_core::Settings;
use radx_perturb::{ContourSettings, PerturbationSpace};
use radx_stability::assess::{assess, ConditionTable, StabilityOptions};

const SETTINGS: &str = r#"radx_settings = 1
[interpolation]
spacing_mm = [3.0, 3.0, 3.0]
image_method = "linear"
mask_method = "linear"
[discretisation.histogram]
method = "fbs"
bin_width = 0.25
[discretisation.texture]
method = "fbs"
bin_width = 0.25
[texture]
dimensions = ["3D"]
direction_merging = ["avg"]
"#;

fn cohort() -> Vec<radx_batch::CohortCase> {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/cohorts/sts");
    let dir = match std::env::var_os("RADX_COHORT_DATA") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ if full.is_dir() => full,
        _ => radx_reference::locate(radx_reference::DataSet::Cohort, None).unwrap(),
    }
    .join("nifti");
    eprintln!("stability bench: cohort {}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("STS_"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| radx_batch::CohortCase {
            image: dir.join(&n).join("PET_image.nii.gz"),
            mask: dir.join(&n).join("PET_mask.nii.gz"),
            case_id: n,
            label: None,
            roi: None,
            site: None,
            extra_masks: Vec::new(),
            volume: None,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let settings = Settings::from_toml_str(SETTINGS, "bench").unwrap();
    let registry = radx_pipeline::builtin_registry();
    let cases = cohort();
    let space = PerturbationSpace {
        noise: true,
        rotation_degrees: Some([-15.0, 15.0]),
        translation: true,
        volume_fraction: Some([-0.1, 0.1]),
        contour: Some(ContourSettings {
            sd_mm: 2.0,
            correlation_mm: 10.0,
        }),
    };
    let conditions = radx_stability::perturbation_conditions(&settings, &space, 20, 1, true);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let build = radx_build::info();
    let ctx = radx_stability::RunContext {
        registry: &registry,
        build: &build,
    };
    let mut g = c.benchmark_group("stability_sts_pet_25_cases");
    g.sample_size(10);
    g.bench_function("20_perturbations_run_and_assess_2_threads", |b| {
        b.iter(|| {
            pool.install(|| {
                let s =
                    radx_stability::run(&cases, &conditions, &ctx, out.path(), &|_| {}).unwrap();
                assert!(s.failed.is_empty());
                let tables: Vec<ConditionTable> = conditions
                    .iter()
                    .zip(&s.tables)
                    .map(|(c, p)| ConditionTable::read(c.name.clone(), p).unwrap())
                    .collect();
                assess(&tables, &StabilityOptions::default()).unwrap()
            })
        })
    });
    let tables: Vec<ConditionTable> = conditions
        .iter()
        .map(|c| {
            let p = radx_stability::condition_dir(out.path(), c).join("features.csv");
            ConditionTable::read(c.name.clone(), &p).unwrap()
        })
        .collect();
    g.bench_function("assess_21_tables", |b| {
        b.iter(|| assess(&tables, &StabilityOptions::default()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
