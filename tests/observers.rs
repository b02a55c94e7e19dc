//! `radx stability --observers` end to end on the shipped test cohort (the 6 STS FDG-PET
//! cases of `reference-data/cohorts/sts-mini/`, each file checked against its sha256), with
//! synthetic observers: `a` is the shipped GTV, `b` a seeded contour randomisation of it
//! (radx-perturb), `c` a byte copy of `a`'s file. Checks the per-feature inter-observer ICCs,
//! the segmentation agreement of every pair (identical masks: Dice 1, Hausdorff 0; the
//! randomised one: the Dice the perturbation itself recorded) and the report; then a cohort
//! with an empty, a missing and a mis-gridded mask, which must fail only those cases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use radx_core::{Image, Mask};

fn radx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_radx"))
}

const SETTINGS: &str = r#"radx_settings = 1
[features]
families = ["morphology", "intensity_stats", "glcm"]

[interpolation]
spacing_mm = [3.0, 3.0, 3.0]
image_method = "linear"
mask_method = "linear"
partial_volume_threshold = 0.5

[discretisation.texture]
method = "fbs"
bin_width = 0.25

[texture]
dimensions = ["3D"]
direction_merging = ["avg"]
"#;

fn as_image(mask: &Mask) -> Image {
    Image {
        grid: mask.grid.clone(),
        data: mask.data.mapv(|b| if b { 1.0 } else { 0.0 }),
    }
}

use radx_testkit::CohortFiles as Case;

fn pet_cases() -> Vec<Case> {
    let cases = radx_testkit::cohort_files("PET");
    assert_eq!(cases.len(), 6, "the test cohort has 6 PET cases");
    cases
}

/// Observer `b`'s mask of a case: the shipped GTV with its contour randomised (seeded by
/// the case's position), written to `dir`; returns the path and the Dice the perturbation
/// recorded against the original.
fn second_observer(case: &Case, seed: u64, dir: &Path) -> (PathBuf, f64) {
    let l = radx_pipeline::load_inputs(&case.image, &case.mask, &Default::default()).unwrap();
    let step = radx_perturb::Perturbation::ContourRandomisation {
        sd_mm: 3.0,
        correlation_mm: 15.0,
    };
    let p = radx_perturb::apply_step(&l.image, &l.mask, &step, seed).unwrap();
    let path = dir.join(format!("{}_b.nii.gz", case.id));
    radx_io::write_nifti_image(&as_image(&p.mask), &path).unwrap();
    let dice = p.applied[0].details["dice"];
    (path, dice)
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `radx stability --cohort COHORT --settings SETTINGS --observers EXTRA... --out OUT`: exit
/// status and stderr.
fn observers_run(cohort: &Path, settings: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    let mut cmd = radx();
    cmd.arg("stability")
        .arg("--cohort")
        .arg(cohort)
        .arg("--settings")
        .arg(settings)
        .arg("--observers")
        .args(extra)
        .arg("--out")
        .arg(out);
    run(&mut cmd)
}

/// `segmentation-agreement.csv` as maps of column to value, one per row.
fn agreement_rows(out: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(out.join("segmentation-agreement.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, k: &str) -> f64 {
    row[k]
        .parse()
        .unwrap_or_else(|_| panic!("`{k}` is not a number in {row:?}"))
}

#[test]
fn three_observers_on_sts_pet() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = pet_cases();
    let mut csv = String::from("case_id,image,mask_a,mask_b,mask_c\n");
    let mut recorded_dice = BTreeMap::new();
    for (i, c) in cases.iter().enumerate() {
        let (b, dice) = second_observer(c, 2024 + i as u64, tmp.path());
        recorded_dice.insert(c.id.clone(), dice);
        let copy = tmp.path().join(format!("{}_c.nii.gz", c.id));
        std::fs::copy(&c.mask, &copy).unwrap();
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            c.id,
            c.image.display(),
            c.mask.display(),
            b.display(),
            copy.display()
        ));
    }
    let cohort = tmp.path().join("cohort.csv");
    std::fs::write(&cohort, csv).unwrap();
    let settings = tmp.path().join("pet.toml");
    std::fs::write(&settings, SETTINGS).unwrap();
    let out = tmp.path().join("obs");
    let (code, stderr) = observers_run(&cohort, &settings, &out, &["--threads", "2"]);
    assert_eq!(code, 0, "{stderr}");
    if let Some(dest) = std::env::var_os("RADX_OBSERVERS_OUT") {
        for f in [
            "segmentation-agreement.csv",
            "stability-features.csv",
            "report.html",
        ] {
            std::fs::copy(out.join(f), Path::new(&dest).join(f)).unwrap();
        }
        std::fs::write(Path::new(&dest).join("stderr.txt"), &stderr).unwrap();
    }
    assert!(
        stderr.contains("observers a vs b: 6 of 6 cases compared"),
        "{stderr}"
    );

    // Segmentation agreement: 6 cases x 3 pairs, in cohort then pair order.
    let rows = agreement_rows(&out);
    assert_eq!(rows.len(), 18);
    for (k, c) in cases.iter().enumerate() {
        let of = |a: &str, b: &str| {
            let r = &rows[3 * k
                + [("a", "b"), ("a", "c"), ("b", "c")]
                    .iter()
                    .position(|p| *p == (a, b))
                    .unwrap()];
            assert_eq!(
                (
                    r["case"].as_str(),
                    r["observer_a"].as_str(),
                    r["observer_b"].as_str()
                ),
                (c.id.as_str(), a, b)
            );
            r
        };
        let same = of("a", "c");
        assert_eq!(num(same, "dice"), 1.0, "{same:?}");
        assert_eq!(num(same, "jaccard"), 1.0);
        assert_eq!(num(same, "hausdorff95_mm"), 0.0);
        assert_eq!(num(same, "hausdorff_max_mm"), 0.0);
        assert_eq!(num(same, "volume_difference_mm3"), 0.0);
        assert_eq!(same["missing_reason"], "");
        let ab = of("a", "b");
        let dice = num(ab, "dice");
        // The same Dice as the perturbation recorded for its own output.
        assert!(
            (dice - recorded_dice[&c.id]).abs() < 1e-12,
            "{}: Dice {dice} vs recorded {}",
            c.id,
            recorded_dice[&c.id]
        );
        assert!(dice > 0.5 && dice < 1.0, "{ab:?}");
        let j = num(ab, "jaccard");
        assert!((j - dice / (2.0 - dice)).abs() < 1e-12);
        let (hd95, hd) = (num(ab, "hausdorff95_mm"), num(ab, "hausdorff_max_mm"));
        // A boundary moved by a field of SD 3 mm on 4-5 mm PET voxels: the farthest
        // surface voxels a voxel or a few apart, never far; the 95th percentile no more
        // (0 when under 5 % of the surface voxels moved).
        assert!(
            hd > 0.0 && hd < 40.0 && (0.0..=hd).contains(&hd95),
            "{ab:?}"
        );
        // b vs c is b vs a (c is a copy of a).
        let bc = of("b", "c");
        assert_eq!(num(bc, "dice"), dice);
        assert_eq!(num(bc, "hausdorff_max_mm"), hd);
        assert_eq!(
            num(bc, "volume_difference_mm3"),
            -num(ab, "volume_difference_mm3")
        );
    }

    // Per-feature inter-observer reliability: the observers are the conditions.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stability.json")).unwrap())
            .unwrap();
    assert_eq!(report["reference"], "a");
    let feats: BTreeMap<String, serde_json::Value> = report["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["tag"].as_str().unwrap().to_string(), f.clone()))
        .collect();
    let vol = &feats["morph_volume"];
    let icc21 = vol["icc2_1"]["value"].as_f64().unwrap();
    let icc31 = vol["icc3_1"]["value"].as_f64().unwrap();
    // Volumes differ far more between patients than between observers.
    assert!(icc21 > 0.9 && icc31 > 0.9, "{vol}");
    assert_eq!(vol["class"], "excellent");
    // The mean SUV too.
    assert!(feats["stat_mean"]["icc2_1"]["value"].as_f64().unwrap() > 0.75);
    let features_csv = std::fs::read_to_string(out.join("stability-features.csv")).unwrap();
    let header = features_csv.lines().next().unwrap();
    assert!(
        header.contains("icc2_1") && header.contains("icc3_1") && header.contains("class"),
        "{header}"
    );
    let conditions: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("conditions.json")).unwrap())
            .unwrap();
    let names: Vec<&str> = conditions
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    // Each observer's case record names that observer's mask.
    let rec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            out.join("conditions/obs02-b/cases")
                .join(format!("{}.provenance.json", cases[0].id)),
        )
        .unwrap(),
    )
    .unwrap();
    let mask_input = rec["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["role"] == "mask")
        .unwrap();
    assert!(mask_input["path"].as_str().unwrap().ends_with("_b.nii.gz"));

    // Report: summary, plot and table.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Segmentation agreement between observers"));
    assert!(html.contains("<svg class=\"dice-plot\""));
    assert_eq!(html.matches("class=\"dice-point\"").count(), 18);
    assert_eq!(html.matches("class=\"agreement-row\"").count(), 18);
    assert!(html.contains("id=\"agreement-summary\""));
    assert!(html.contains("<svg class=\"forest-plot\""));

    // The same run on one thread, into a new folder: the same bytes. Run again into the
    // first folder: every result kept, the agreement the same.
    let agreement_bytes = std::fs::read(out.join("segmentation-agreement.csv")).unwrap();
    let out1 = tmp.path().join("obs-1thread");
    for (dir, threads) in [(&out1, "1"), (&out, "2")] {
        let (code, stderr) = observers_run(&cohort, &settings, dir, &["--threads", threads]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(
            std::fs::read(dir.join("segmentation-agreement.csv")).unwrap(),
            agreement_bytes
        );
        if dir == &out {
            assert!(stderr.contains("18 kept from an earlier run"), "{stderr}");
        }
    }
    assert_eq!(
        std::fs::read(out1.join("stability-features.csv")).unwrap(),
        std::fs::read(out.join("stability-features.csv")).unwrap()
    );

    // --masks and --reference-observer: two of the columns, b as the reference.
    let out2 = tmp.path().join("obs-named");
    let (code, stderr) = observers_run(
        &cohort,
        &settings,
        &out2,
        &[
            "--masks",
            "reader1=mask_a",
            "--masks",
            "reader2=mask_b",
            "--reference-observer",
            "reader2",
            "--threads",
            "2",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    if let Some(dest) = std::env::var_os("RADX_OBSERVERS_OUT") {
        let f = "stability-features.csv";
        std::fs::copy(
            out2.join(f),
            Path::new(&dest).join("two-observers-".to_string() + f),
        )
        .unwrap();
    }
    let rows2 = agreement_rows(&out2);
    assert_eq!(rows2.len(), 6);
    assert_eq!(rows2[0]["observer_a"], "reader1");
    assert_eq!(rows2[0]["dice"], rows[0]["dice"]);
    let report2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("stability.json")).unwrap())
            .unwrap();
    assert_eq!(report2["reference"], "reader2");
}

#[test]
fn bad_masks_fail_their_case_only() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = pet_cases();
    let settings = tmp.path().join("pet.toml");
    std::fs::write(&settings, SETTINGS).unwrap();
    // case 0: b's mask is empty; case 1: b's file is missing; case 2: b's mask is on
    // another grid (the CT mask of STS_002 given with a PET image); case 3: b's cell is
    // empty; cases 4, 5: b = a.
    let l =
        radx_pipeline::load_inputs(&cases[0].image, &cases[0].mask, &Default::default()).unwrap();
    let empty = tmp.path().join("empty.nii.gz");
    radx_io::write_nifti_image(
        &as_image(&Mask {
            grid: l.mask.grid.clone(),
            data: l.mask.data.mapv(|_| false),
        }),
        &empty,
    )
    .unwrap();
    let ct_mask = radx_testkit::cohort("nifti/STS_002/CT_mask.nii.gz");
    let b_of = |i: usize| -> String {
        match i {
            0 => empty.display().to_string(),
            1 => tmp.path().join("missing.nii.gz").display().to_string(),
            2 => ct_mask.display().to_string(),
            3 => String::new(),
            _ => cases[i].mask.display().to_string(),
        }
    };
    let mut csv = String::from("case_id,image,mask_a,mask_b\n");
    for (i, c) in cases.iter().enumerate() {
        csv.push_str(&format!(
            "{},{},{},{}\n",
            c.id,
            c.image.display(),
            c.mask.display(),
            b_of(i)
        ));
    }
    let cohort = tmp.path().join("cohort.csv");
    std::fs::write(&cohort, csv).unwrap();
    let out = tmp.path().join("obs");
    let (code, stderr) = observers_run(&cohort, &settings, &out, &["--threads", "2"]);
    assert_eq!(code, 1, "some cases failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let rows = agreement_rows(&out);
    assert_eq!(rows.len(), 6);
    let reason = |i: usize| rows[i]["missing_reason"].clone();
    assert!(
        reason(0).contains("observer `b`") && reason(0).contains("empty"),
        "{}",
        reason(0)
    );
    assert!(reason(1).contains("missing.nii.gz"), "{}", reason(1));
    assert!(
        reason(2).contains("CT_mask.nii.gz") && reason(2).contains("grid"),
        "{}",
        reason(2)
    );
    assert!(
        reason(3).contains("column `mask_b` is empty"),
        "{}",
        reason(3)
    );
    for i in 0..4 {
        assert_eq!(rows[i]["dice"], "", "{:?}", rows[i]);
        let err = out
            .join("conditions/obs02-b/errors")
            .join(format!("{}.json", cases[i].id));
        assert!(err.is_file(), "no error record for {}", cases[i].id);
        // observer a's result of the case is there
        assert!(out
            .join("conditions/obs01-a/cases")
            .join(format!("{}.csv", cases[i].id))
            .is_file());
    }
    for row in &rows[4..] {
        assert_eq!(num(row, "dice"), 1.0);
        assert_eq!(num(row, "hausdorff_max_mm"), 0.0);
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("class=\"dice-missing\"").count(), 4);

    // One mask column is not an inter-observer study: exit 2, naming the file.
    let single = tmp.path().join("single.csv");
    std::fs::write(
        &single,
        format!(
            "case_id,image,mask_a\n{},{},{}\n",
            cases[0].id,
            cases[0].image.display(),
            cases[0].mask.display()
        ),
    )
    .unwrap();
    let (code, stderr) = observers_run(&single, &settings, &tmp.path().join("x"), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("single.csv") && stderr.contains("at least two observers"),
        "{stderr}"
    );
    let (code, stderr) = observers_run(
        &cohort,
        &settings,
        &tmp.path().join("y"),
        &["--reference-observer", "z"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--reference-observer `z`"), "{stderr}");
}
