//! The batch folder: exact resume with reasons, panic isolation, one settings id per
//! folder and per merged table, tables verified against their records, no temporary
//! file left behind.

use std::path::{Path, PathBuf};

use ndarray::Array3;
use radx_batch::{prepare_folder, run_batch, BatchContext, BatchManifest, CohortCase, Recompute};
use radx_core::{BuildInfo, Grid, Image, Registry, Settings};

const SETTINGS: &str =
    "radx_settings = 1\n[features]\nfamilies = [\"morphology\", \"intensity_stats\", \"glcm\"]\n\
[morphology]\nmoran_geary = \"skip\"\n[discretisation.texture]\nmethod = \"fbn\"\nbins = 8\n";

fn cohort(dir: &Path, n: usize) -> Vec<CohortCase> {
    (0..n)
        .map(|i| {
            let grid = Grid::new([12, 12, 12], [2.0, 1.5, 1.5], [0.0, 0.0, 0.0]);
            let img = Array3::from_shape_fn((12, 12, 12), |(z, y, x)| {
                (x as f64) * (1.0 + i as f64) + ((z * 7 + y * 3 + x * 5 + i) % 11) as f64
            });
            let r = 3.0 + (i % 2) as f64;
            let mask = Array3::from_shape_fn((12, 12, 12), |(z, y, x)| {
                let d = |a: usize| a as f64 - 5.5;
                f64::from(d(z).powi(2) + d(y).powi(2) + d(x).powi(2) <= r * r)
            });
            let image = dir.join(format!("c{i}_image.nii.gz"));
            let mask_path = dir.join(format!("c{i}_mask.nii.gz"));
            radx_io::write_nifti_image(&Image::new(grid.clone(), img).unwrap(), &image).unwrap();
            radx_io::write_nifti_image(&Image::new(grid, mask).unwrap(), &mask_path).unwrap();
            CohortCase {
                case_id: format!("c{i}"),
                image,
                mask: mask_path,
                label: None,
                roi: None,
                site: None,
                extra_masks: Vec::new(),
                volume: None,
            }
        })
        .collect()
}

fn manifest(settings: &Settings, build: &BuildInfo, cases: &[CohortCase]) -> BatchManifest {
    BatchManifest {
        radx_batch: 1,
        settings_id: settings.id(),
        build: build.identity.clone(),
        cohort: None,
        shard: None,
        cases: radx_batch::case_ids(cases),
    }
}

fn run(
    cases: &[CohortCase],
    settings: &Settings,
    registry: &Registry,
    build: &BuildInfo,
    out: &Path,
) -> radx_batch::BatchSummary {
    prepare_folder(out, &manifest(settings, build, cases), false).unwrap();
    let ctx = BatchContext {
        settings,
        registry,
        build,
        extra_inputs: Vec::new(),
        panic_case: None,
        scheduler: None,
    };
    run_batch(cases, &ctx, out, &|_, _| {}).unwrap()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            v.extend(files(&e.path()));
        } else {
            v.push(e.path());
        }
    }
    v.sort();
    v
}

#[test]
fn resume_reuses_only_exact_results_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = cohort(tmp.path(), 4);
    let settings = Settings::from_toml_str(SETTINGS, "test").unwrap();
    let registry = radx_pipeline::builtin_registry();
    let build = radx_build::info();
    let out = tmp.path().join("out");
    let first = run(&cases, &settings, &registry, &build, &out);
    assert_eq!((first.done, first.skipped), (4, 0));
    assert_eq!(first.reasons.get(&Recompute::New), Some(&4));
    let table = std::fs::read(out.join("features.csv")).unwrap();

    let second = run(&cases, &settings, &registry, &build, &out);
    assert_eq!((second.done, second.skipped), (0, 4));

    // One table cut short, one input byte changed.
    let t1 = out.join("cases/c1.csv");
    let bytes = std::fs::read(&t1).unwrap();
    std::fs::write(&t1, &bytes[..bytes.len() - 10]).unwrap();
    let img = std::fs::read(&cases[2].image).unwrap();
    let nii = radx_io::read_image(&cases[2].image).unwrap();
    let mut data = nii.data.clone();
    data[[6, 6, 6]] += 1.0;
    radx_io::write_nifti_image(&Image::new(nii.grid, data).unwrap(), &cases[2].image).unwrap();
    assert_ne!(std::fs::read(&cases[2].image).unwrap(), img);
    let third = run(&cases, &settings, &registry, &build, &out);
    assert_eq!((third.done, third.skipped), (2, 2));
    assert_eq!(third.reasons.get(&Recompute::Table), Some(&1));
    assert_eq!(third.reasons.get(&Recompute::Input), Some(&1));
    assert_eq!(
        std::fs::read(&t1).unwrap(),
        bytes,
        "the damaged table is whole again"
    );
    assert_ne!(std::fs::read(out.join("features.csv")).unwrap(), table);

    // Another build (simulated: a different commit in the identity handed to the
    // library): everything is recomputed, for that reason.
    let mut other = build.clone();
    other.identity.commit = "f".repeat(40);
    let fourth = run(&cases, &settings, &registry, &other, &out);
    assert_eq!((fourth.done, fourth.skipped), (4, 0));
    assert_eq!(fourth.reasons.get(&Recompute::Build), Some(&4));
    assert!(fourth.recomputed_text().contains("4 changed build"));

    // A record in which a plugin had been refused is never trusted.
    let rec = out.join("cases/c0.provenance.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rec).unwrap()).unwrap();
    v["plugins"][0]["sha256"] = serde_json::Value::String("refused".into());
    std::fs::write(&rec, serde_json::to_string(&v).unwrap()).unwrap();
    let fifth = run(&cases, &settings, &registry, &other, &out);
    assert_eq!((fifth.done, fifth.skipped), (1, 3));
    assert_eq!(fifth.reasons.get(&Recompute::Plugins), Some(&1));
}

/// A plugin that panics when the ROI holds more than 150 voxels.
struct PanicsOnBigRois(radx_core::PluginInfo);

impl radx_core::FeaturePlugin for PanicsOnBigRois {
    fn info(&self) -> &radx_core::PluginInfo {
        &self.0
    }
    fn compute(
        &self,
        input: &radx_core::FeatureInput,
    ) -> Result<Vec<radx_core::FeatureValue>, radx_core::PluginError> {
        let n = input.roi.morphological_count();
        if n > 150 {
            let v: Vec<usize> = Vec::new();
            // an out-of-bounds index, as a bug would
            return Ok(vec![radx_core::FeatureValue::number(
                "n",
                None,
                v[n] as f64,
            )]);
        }
        Ok(vec![radx_core::FeatureValue::number("n", None, n as f64)])
    }
    fn origin(&self) -> radx_core::PluginOrigin {
        radx_core::PluginOrigin::Library {
            path: "test".into(),
            sha256: "0".repeat(64),
        }
    }
}

#[test]
fn a_panic_becomes_the_case_s_error_record_and_the_batch_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = cohort(tmp.path(), 4); // radius 3 (123 voxels) and 4 (257 voxels)
    let settings = Settings::from_toml_str(SETTINGS, "test").unwrap();
    let mut registry = radx_pipeline::builtin_registry();
    registry
        .register(Box::new(PanicsOnBigRois(radx_core::PluginInfo {
            family: "buggy".into(),
            prefix: "buggy".into(),
            version: "1".into(),
            features: vec![radx_core::FeatureDef::new("n", "", "")],
            aggregations: Vec::new(),
        })))
        .unwrap();
    let build = radx_build::info();
    let out = tmp.path().join("out");
    let s = run(&cases, &settings, &registry, &build, &out);
    assert_eq!(s.done, 2);
    let failed: Vec<&str> = s.failed.iter().map(|f| f.case.as_str()).collect();
    assert_eq!(failed, ["c1", "c3"]);
    for f in &s.failed {
        assert_eq!(f.stage, "process");
        assert!(f.internal);
        assert!(
            f.message.starts_with("internal error: please report"),
            "{}",
            f.message
        );
        assert!(f.message.contains("index out of bounds"), "{}", f.message);
        assert!(f.message.contains("folder.rs"), "{}", f.message);
        let rec: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(format!("errors/{}.json", f.case))).unwrap(),
        )
        .unwrap();
        assert_eq!(rec["internal"], true);
    }
    assert!(out.join("cases/c0.csv").is_file() && out.join("cases/c2.csv").is_file());
}

#[test]
fn a_folder_keeps_one_settings_id_and_one_set_of_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = cohort(tmp.path(), 3);
    let settings = Settings::from_toml_str(SETTINGS, "test").unwrap();
    let registry = radx_pipeline::builtin_registry();
    let build = radx_build::info();
    let out = tmp.path().join("out");
    run(&cases, &settings, &registry, &build, &out);

    let other = Settings::from_toml_str(&SETTINGS.replace("bins = 8", "bins = 16"), "t").unwrap();
    let e = prepare_folder(&out, &manifest(&other, &build, &cases), false).unwrap_err();
    assert!(
        e.to_string().contains("settings id") && e.to_string().contains("--overwrite"),
        "{e}"
    );
    let e = prepare_folder(&out, &manifest(&settings, &build, &cases[..2]), false).unwrap_err();
    assert!(e.to_string().contains("another set of cases"), "{e}");

    // --overwrite: the cases not in the run go, features.csv is re-made from this run.
    let notes = prepare_folder(&out, &manifest(&other, &build, &cases[..2]), true).unwrap();
    assert_eq!(notes.removed, 2, "c2's table and record");
    assert!(!out.join("cases/c2.csv").exists() && !out.join("features.csv").exists());
    let ctx = BatchContext {
        settings: &other,
        registry: &registry,
        build: &build,
        extra_inputs: Vec::new(),
        panic_case: None,
        scheduler: None,
    };
    let s = run_batch(&cases[..2], &ctx, &out, &|_, _| {}).unwrap();
    assert_eq!(s.reasons.get(&Recompute::Settings), Some(&2));
    let table = std::fs::read_to_string(out.join("features.csv")).unwrap();
    assert!(!table.contains("\nc2,"));

    // Merging folders of two settings ids is refused.
    let first = tmp.path().join("first");
    run(&cases[2..], &settings, &registry, &build, &first);
    let e =
        radx_batch::merge(&[out.clone(), first.clone()], &tmp.path().join("m.csv")).unwrap_err();
    assert!(e.to_string().contains("settings id"), "{e}");

    // A results folder without batch.json is not taken over silently.
    std::fs::remove_file(first.join("batch.json")).unwrap();
    let e = prepare_folder(&first, &manifest(&settings, &build, &cases[2..]), false).unwrap_err();
    assert!(e.to_string().contains("no batch.json"), "{e}");
}

#[test]
fn merge_never_takes_a_table_cut_short() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = cohort(tmp.path(), 2);
    let settings = Settings::from_toml_str(SETTINGS, "test").unwrap();
    let registry = radx_pipeline::builtin_registry();
    let build = radx_build::info();
    let out = tmp.path().join("out");
    run(&cases, &settings, &registry, &build, &out);
    let t = out.join("cases/c0.csv");
    let bytes = std::fs::read(&t).unwrap();
    std::fs::write(&t, &bytes[..bytes.len() / 3]).unwrap();
    let e = radx_batch::merge(std::slice::from_ref(&out), &tmp.path().join("m.csv")).unwrap_err();
    assert!(
        e.to_string().contains("c0.csv") && e.to_string().contains("cut short"),
        "{e}"
    );
    assert!(!tmp.path().join("m.csv").exists());
}

#[test]
fn a_failed_write_leaves_no_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    // The rename fails: a non-empty folder stands where the file should go.
    let target = tmp.path().join("table.csv");
    std::fs::create_dir_all(target.join("inside")).unwrap();
    assert!(radx_batch::write_atomic(&target, "case,roi\n").is_err());
    let left: Vec<PathBuf> = files(tmp.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn an_output_path_that_is_a_file_stops_the_batch_before_any_case() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = cohort(tmp.path(), 1);
    let settings = Settings::from_toml_str(SETTINGS, "test").unwrap();
    let build = radx_build::info();
    let blocker = tmp.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let e = prepare_folder(
        &blocker.join("out"),
        &manifest(&settings, &build, &cases),
        false,
    )
    .unwrap_err();
    assert!(e.to_string().contains("a-file"), "{e}");
}

/// A scheduler task's record goes into the cases it computes (and only into those), is
/// absent without a scheduler, and does not stop a resubmitted job from keeping them.
#[test]
fn scheduler_task_is_recorded_in_computed_cases_and_not_compared_on_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = cohort(tmp.path(), 3);
    let settings = Settings::from_toml_str(SETTINGS, "test").unwrap();
    let registry = radx_pipeline::builtin_registry();
    let build = radx_build::info();
    let record = |out: &Path, c: &str| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(out.join(format!("cases/{c}.provenance.json"))).unwrap(),
        )
        .unwrap()
    };
    let plain = tmp.path().join("plain");
    run(&cases, &settings, &registry, &build, &plain);
    assert!(record(&plain, "c0").get("scheduler").is_none());

    let task = |job: &str| radx_core::provenance::SchedulerRecord {
        scheduler: "slurm".into(),
        job_id: Some(job.into()),
        task_id: "2".into(),
        shard: "2/3".into(),
    };
    let out = tmp.path().join("shard");
    let run_as = |job: &str, cases: &[CohortCase]| {
        prepare_folder(&out, &manifest(&settings, &build, cases), false).unwrap();
        let ctx = BatchContext {
            settings: &settings,
            registry: &registry,
            build: &build,
            extra_inputs: Vec::new(),
            panic_case: None,
            scheduler: Some(task(job)),
        };
        run_batch(cases, &ctx, &out, &|_, _| {}).unwrap()
    };
    let first = run_as("100", &cases);
    assert_eq!(first.done, 3);
    let c1 = record(&out, "c1");
    assert_eq!(c1["scheduler"]["scheduler"], "slurm");
    assert_eq!(c1["scheduler"]["job_id"], "100");
    assert_eq!(c1["scheduler"]["task_id"], "2");
    assert_eq!(c1["scheduler"]["shard"], "2/3");
    // The same tables as without a scheduler.
    assert_eq!(
        std::fs::read(out.join("features.csv")).unwrap(),
        std::fs::read(plain.join("features.csv")).unwrap()
    );
    // A lost task: c1's result is gone; the resubmitted job (another job id) keeps c0
    // and c2, made by job 100, and computes c1 only.
    std::fs::remove_file(out.join("cases/c1.provenance.json")).unwrap();
    let second = run_as("200", &cases);
    assert_eq!((second.done, second.skipped), (1, 2));
    assert_eq!(record(&out, "c0")["scheduler"]["job_id"], "100");
    assert_eq!(record(&out, "c2")["scheduler"]["job_id"], "100");
    assert_eq!(record(&out, "c1")["scheduler"]["job_id"], "200");
}
