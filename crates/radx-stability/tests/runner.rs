//! The runner on a small synthetic cohort: one table per condition, a bad case that costs
//! no other case its result, resume, and the same tables whatever the thread count.

use std::path::{Path, PathBuf};

use ndarray::Array3;
use radx_batch::CohortCase;
use radx_core::{BuildInfo, Registry};
use radx_core::{Grid, Image, Settings};
use radx_perturb::PerturbationSpace;
use radx_stability::{
    grid_conditions, perturbation_conditions, run, Axis, Condition, Recompute, RunContext,
};

const SETTINGS: &str =
    "radx_settings = 1\n[features]\nfamilies = [\"morphology\", \"intensity_stats\", \"glcm\"]\n\
[morphology]\nmoran_geary = \"skip\"\n[discretisation.texture]\nmethod = \"fbn\"\nbins = 8\n";

/// `n` cases: a blob of radius 3..5 voxels in a 16^3 image with a gradient and texture.
fn cohort(dir: &Path, n: usize) -> Vec<CohortCase> {
    (0..n)
        .map(|i| {
            let grid = Grid::new([16, 16, 16], [2.0, 1.5, 1.5], [0.0, 0.0, 0.0]);
            let img = Array3::from_shape_fn((16, 16, 16), |(z, y, x)| {
                (x as f64) * (1.0 + i as f64) + ((z * 7 + y * 3 + x * 5 + i) % 11) as f64
            });
            let r = 3.0 + (i % 3) as f64;
            let mask = Array3::from_shape_fn((16, 16, 16), |(z, y, x)| {
                let d = |a: usize| a as f64 - 7.5;
                if d(z).powi(2) + d(y).powi(2) + d(x).powi(2) <= r * r {
                    1.0
                } else {
                    0.0
                }
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

fn conditions() -> Vec<Condition> {
    let settings = Settings::from_toml_str(SETTINGS, "test").unwrap();
    let space = PerturbationSpace {
        noise: true,
        rotation_degrees: Some([-15.0, 15.0]),
        translation: true,
        volume_fraction: Some([-0.2, 0.2]),
        contour: None,
    };
    perturbation_conditions(&settings, &space, 3, 42, true)
}

fn ctx<'a>(registry: &'a Registry, build: &'a BuildInfo) -> RunContext<'a> {
    RunContext { registry, build }
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

fn tables(out: &Path, conditions: &[Condition]) -> Vec<Vec<u8>> {
    conditions
        .iter()
        .map(|c| std::fs::read(radx_stability::condition_dir(out, c).join("features.csv")).unwrap())
        .collect()
}

#[test]
fn a_bad_case_costs_no_other_case_and_resume_keeps_finished_results() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cases = cohort(tmp.path(), 3);
    cases.push(CohortCase {
        case_id: "missing".into(),
        image: PathBuf::from("/nonexistent/image.nii.gz"),
        mask: PathBuf::from("/nonexistent/mask.nii.gz"),
        label: None,
        roi: None,
        site: None,
        extra_masks: Vec::new(),
        volume: None,
    });
    let conditions = conditions();
    let registry = radx_pipeline::builtin_registry();
    let build = radx_build::info();
    let out = tmp.path().join("out");
    let first = in_pool(2, || {
        run(&cases, &conditions, &ctx(&registry, &build), &out, &|_| {})
    })
    .unwrap();
    assert_eq!(first.done, 3 * 4);
    assert_eq!(first.skipped, 0);
    assert_eq!(
        first.failed.len(),
        4,
        "the missing case, under every condition"
    );
    assert!(first
        .failed
        .iter()
        .all(|f| f.case == "missing" && f.stage == "read"));
    assert!(first.failed[0]
        .message
        .contains("/nonexistent/image.nii.gz"));
    for c in &conditions {
        let dir = radx_stability::condition_dir(&out, c);
        assert!(dir.join("errors/missing.json").is_file());
        let table = std::fs::read_to_string(dir.join("features.csv")).unwrap();
        for case in ["c0", "c1", "c2"] {
            assert!(
                table.contains(&format!("\n{case},")),
                "{case} under {}",
                c.name
            );
        }
    }
    let before = tables(&out, &conditions);
    // The perturbation record of a case: the seed and what the steps did.
    let p: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("conditions/p002/cases/c1.provenance.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(p["perturbation"]["index"], 1);
    assert_eq!(p["perturbation"]["applied"].as_array().unwrap().len(), 4);

    // Run again: every finished result is kept, byte for byte.
    let second = in_pool(1, || {
        run(&cases, &conditions, &ctx(&registry, &build), &out, &|_| {})
    })
    .unwrap();
    assert_eq!((second.done, second.skipped), (0, 12));
    assert_eq!(tables(&out, &conditions), before);

    // A changed input is recomputed, only for that case.
    std::fs::copy(&cases[0].image, &cases[1].image).unwrap();
    let third = in_pool(2, || {
        run(&cases, &conditions, &ctx(&registry, &build), &out, &|_| {})
    })
    .unwrap();
    assert_eq!((third.done, third.skipped), (4, 8));
    assert_eq!(third.reasons.get(&Recompute::Input), Some(&4));

    // A table cut short is recomputed (and the condition's table is whole again).
    let damaged = radx_stability::condition_dir(&out, &conditions[2]).join("cases/c2.csv");
    let text = std::fs::read(&damaged).unwrap();
    std::fs::write(&damaged, &text[..text.len() / 2]).unwrap();
    let fourth = in_pool(2, || {
        run(&cases, &conditions, &ctx(&registry, &build), &out, &|_| {})
    })
    .unwrap();
    assert_eq!((fourth.done, fourth.skipped), (1, 11));
    assert_eq!(fourth.reasons.get(&Recompute::Table), Some(&1));
    assert_eq!(std::fs::read(&damaged).unwrap(), text);

    // Another build: every result is recomputed, and the summary says why.
    let mut other = build.clone();
    other.identity.commit = "0".repeat(40);
    let fifth = in_pool(2, || {
        run(&cases, &conditions, &ctx(&registry, &other), &out, &|_| {})
    })
    .unwrap();
    assert_eq!((fifth.done, fifth.skipped), (12, 0));
    assert_eq!(fifth.reasons.get(&Recompute::Build), Some(&12));
}

/// A plugin that panics on the brightest case (mean ROI intensity above 24).
struct PanicsOnBrightCases(radx_core::PluginInfo);

impl radx_core::FeaturePlugin for PanicsOnBrightCases {
    fn info(&self) -> &radx_core::PluginInfo {
        &self.0
    }
    fn compute(
        &self,
        input: &radx_core::FeatureInput,
    ) -> Result<Vec<radx_core::FeatureValue>, radx_core::PluginError> {
        let roi = input.roi;
        let (mut sum, mut n) = (0.0, 0.0);
        for (v, inside) in roi.image.iter().zip(roi.intensity.iter()) {
            if *inside {
                sum += v;
                n += 1.0;
            }
        }
        if sum / n > 24.0 {
            panic!("a bug in a feature family");
        }
        Ok(vec![radx_core::FeatureValue::number("mean", None, sum / n)])
    }
    fn origin(&self) -> radx_core::PluginOrigin {
        radx_core::PluginOrigin::Library {
            path: "test".into(),
            sha256: "0".repeat(64),
        }
    }
}

#[test]
fn a_panic_is_that_case_s_error_record_and_the_others_go_on() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = cohort(tmp.path(), 3);
    let conditions = conditions();
    let mut registry = radx_pipeline::builtin_registry();
    registry
        .register(Box::new(PanicsOnBrightCases(radx_core::PluginInfo {
            family: "boom".into(),
            prefix: "boom".into(),
            version: "1".into(),
            features: vec![radx_core::FeatureDef::new("mean", "", "")],
            aggregations: Vec::new(),
        })))
        .unwrap();
    let build = radx_build::info();
    let out = tmp.path().join("out");
    let s = in_pool(2, || {
        run(&cases, &conditions, &ctx(&registry, &build), &out, &|_| {})
    })
    .unwrap();
    assert!(!s.failed.is_empty());
    for f in &s.failed {
        assert_eq!(f.case, "c2", "{f:?}");
        assert_eq!(f.stage, "process");
        assert!(f.internal);
        assert!(
            f.message.contains("internal error: please report"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("a bug in a feature family"),
            "{}",
            f.message
        );
    }
    assert_eq!(s.done + s.failed.len(), 12);
    for c in &conditions {
        let dir = radx_stability::condition_dir(&out, c);
        for case in ["c0", "c1"] {
            assert!(
                dir.join(format!("cases/{case}.csv")).is_file(),
                "{case} {}",
                c.name
            );
        }
    }
}

#[test]
fn tables_do_not_depend_on_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = cohort(tmp.path(), 4);
    let registry = radx_pipeline::builtin_registry();
    let build = radx_build::info();
    let base = Settings::from_toml_str(SETTINGS, "test").unwrap();
    let mut conditions = conditions();
    conditions.extend(
        grid_conditions(
            &base,
            &["discretisation.texture.bins=4,16".parse::<Axis>().unwrap()],
        )
        .unwrap(),
    );
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    in_pool(1, || {
        run(&cases, &conditions, &ctx(&registry, &build), &a, &|_| {})
    })
    .unwrap();
    in_pool(2, || {
        run(&cases, &conditions, &ctx(&registry, &build), &b, &|_| {})
    })
    .unwrap();
    assert_eq!(tables(&a, &conditions), tables(&b, &conditions));
    // Perturbed tables differ from the original and from each other.
    let t = tables(&a, &conditions);
    assert_ne!(t[0], t[1]);
    assert_ne!(t[1], t[2]);
}
