//! `radx stability` end to end on the shipped test cohort (6 STS FDG-PET cases,
//! `reference-data/cohorts/sts-mini/`, each file checked against its sha256): a settings grid
//! of 3 bin widths x 2 voxel spacings, and separately 10 seeded perturbations per case, each
//! giving the report files and the patterns that must hold.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn radx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_radx"))
}

/// A cohort CSV of every PET case of the test cohort, sites alternating between two
/// made-up centres.
fn pet_cohort(dir: &Path) -> PathBuf {
    assert_eq!(
        radx_testkit::cohort_cases("PET").len(),
        6,
        "the test cohort has 6 PET cases"
    );
    radx_testkit::write_cohort_csv(dir, "PET", true)
}

const SETTINGS: &str = r#"radx_settings = 1
[features]
families = ["morphology", "intensity_stats", "intensity_histogram", "glcm", "glszm"]

[interpolation]
spacing_mm = [3.0, 3.0, 3.0]
image_method = "linear"
mask_method = "linear"
partial_volume_threshold = 0.5

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

/// `features` of stability.json by tag (one ROI, one image here).
fn features(out: &Path) -> BTreeMap<String, serde_json::Value> {
    let text = std::fs::read_to_string(out.join("stability.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    report["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["tag"].as_str().unwrap().to_string(), f.clone()))
        .collect()
}

fn icc21(f: &serde_json::Value) -> f64 {
    f["icc2_1"]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("no ICC(2,1) in {f}"))
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}\n{}",
        cmd,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn settings_grid_bin_width_by_spacing_on_sts_pet() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = pet_cohort(tmp.path());
    let settings = tmp.path().join("pet.toml");
    std::fs::write(&settings, SETTINGS).unwrap();
    let out = tmp.path().join("grid");
    run_ok(radx().args([
        "stability",
        "--cohort",
        cohort.to_str().unwrap(),
        "--settings",
        settings.to_str().unwrap(),
        "--vary",
        "discretisation.texture.bin_width+discretisation.histogram.bin_width=0.1,0.25,0.5",
        "--vary",
        "interpolation.spacing_mm=[3.0,3.0,3.0],[4.0,4.0,4.0]",
        "--threads",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]));
    for f in [
        "report.html",
        "stability.json",
        "stability-features.csv",
        "stability-heatmap.csv",
        "stability-conditions.csv",
        "conditions.json",
        "sites/sites.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let conditions: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("conditions.json")).unwrap())
            .unwrap();
    assert_eq!(conditions.as_array().unwrap().len(), 6);
    let feats = features(&out);
    // The ROI volume does not depend on the bin width and hardly on the spacing: excellent.
    let vol = &feats["morph_volume"];
    assert_eq!(vol["class"], "excellent", "{vol}");
    assert!(icc21(vol) > 0.95, "{vol}");
    // So are the mean and the maximum of the SUV (intensity statistics ignore bins).
    assert_eq!(feats["stat_mean"]["class"], "excellent");
    // A texture feature that counts bins is not the same across bin widths of 0.1 to 0.5
    // SUV: the GLCM joint entropy grows by about log2(5) bits from the widest to the
    // narrowest bins, so its absolute agreement cannot be excellent.
    let ent = &feats["cm_joint_entr_3D_avg"];
    assert_ne!(ent["class"], "excellent", "{ent}");
    // ICC(3,1) (consistency) forgives such an offset; ICC(2,1) (absolute) does not.
    assert!(
        ent["icc3_1"]["value"].as_f64().unwrap() > icc21(ent),
        "{ent}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg"));
    // Self-contained: nothing is fetched (the SVG namespace URI is an identifier, not a
    // fetch).
    for fetch in ["src=\"http", "href=\"http", "<link", "@import", "url(http"] {
        assert!(
            !html.contains(fetch),
            "the report fetches something: {fetch}"
        );
    }
}

#[test]
fn seeded_perturbations_on_sts_pet_are_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = pet_cohort(tmp.path());
    let settings = tmp.path().join("pet.toml");
    std::fs::write(&settings, SETTINGS).unwrap();
    let run = |out: &Path, threads: &str| {
        run_ok(radx().args([
            "stability",
            "--cohort",
            cohort.to_str().unwrap(),
            "--settings",
            settings.to_str().unwrap(),
            "--perturb",
            "noise,rotation,translation,volume,contour",
            "--perturbations",
            "10",
            "--seed",
            "2019",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
        ]));
    };
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    run(&a, "2");
    run(&b, "1");
    let feats = features(&a);
    let conditions: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("conditions.json")).unwrap()).unwrap();
    assert_eq!(conditions.as_array().unwrap().len(), 11, "original + 10");
    // Volume changes by at most 10% per perturbation while it spans orders of magnitude
    // across patients: still excellent.
    assert_eq!(feats["morph_volume"]["class"], "excellent");
    // Every feature is assessed over all 6 cases (no case failed).
    assert_eq!(feats["morph_volume"]["cases_used"], 6);
    // Same seed, other thread count: bit-identical tables.
    for i in 1..=10 {
        let t = format!("conditions/p{i:03}/features.csv");
        assert_eq!(
            std::fs::read(a.join(&t)).unwrap(),
            std::fs::read(b.join(&t)).unwrap(),
            "{t} differs between 2 threads and 1"
        );
    }
    // The perturbation of each case is in its provenance, with the seed.
    let p: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(a.join("conditions/p003/cases/STS_007.provenance.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(p["perturbation"]["run_seed"], 2019);
    assert_eq!(p["perturbation"]["index"], 2);
    assert!(p["perturbation"]["steps"].as_array().unwrap().len() >= 4);
    // A perturbed table differs from the original.
    assert_ne!(
        std::fs::read(a.join("conditions/00-original/features.csv")).unwrap(),
        std::fs::read(a.join("conditions/p001/features.csv")).unwrap()
    );
}

#[test]
fn identical_conditions_give_icc_one() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = pet_cohort(tmp.path());
    let settings = tmp.path().join("pet.toml");
    std::fs::write(&settings, SETTINGS).unwrap();
    let batch = tmp.path().join("batch");
    // One batch run, offered twice as two conditions (as a table copied to another machine
    // would be).
    let out = radx()
        .args([
            "batch",
            "--cohort",
            cohort.to_str().unwrap(),
            "--settings",
            settings.to_str().unwrap(),
            "--out",
            batch.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = batch.join("features.csv");
    let copy = tmp.path().join("copy.csv");
    std::fs::copy(&table, &copy).unwrap();
    let report = tmp.path().join("same");
    run_ok(radx().args([
        "stability",
        "--table",
        &format!("here={}", table.display()),
        "--table",
        &format!("there={}", copy.display()),
        "--out",
        report.to_str().unwrap(),
    ]));
    let feats = features(&report);
    let mut defined = 0;
    for (tag, f) in &feats {
        if let Some(v) = f["icc2_1"]["value"].as_f64() {
            assert_eq!(v, 1.0, "{tag}: {f}");
            assert_eq!(f["class"], "excellent", "{tag}");
            defined += 1;
        }
    }
    assert!(defined > 100, "only {defined} features with an ICC");
}
