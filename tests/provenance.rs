//! Provenance that names the code and every byte read; `radx reproduce`; `radx methods`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ndarray::Array3;
use nifti::writer::WriterOptions;

fn radx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .output()
        .expect("radx runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn write_nifti(path: &Path, zyx: &Array3<f32>) {
    let xyz = zyx.clone().permuted_axes([2, 1, 0]);
    WriterOptions::new(path).write_nifti(&xyz).unwrap();
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sha256(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const SETTINGS: &str =
    "radx_settings = 1\n[features]\nfamilies = [\"morphology\", \"intensity_stats\", \"glcm\"]\n\
[morphology]\nmoran_geary = \"skip\"\n[discretisation.texture]\nmethod = \"fbn\"\nbins = 8\n";

/// An 8³ image, a mask with labels 1 and 2, and the settings file.
fn case(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let img = Array3::from_shape_fn((8, 8, 8), |(z, y, x)| {
        ((z * 31 + y * 17 + x * 7) % 23) as f32
    });
    let mask = Array3::from_shape_fn((8, 8, 8), |(z, y, x)| {
        let inside = (2..6).contains(&z) && (2..6).contains(&y) && (1..7).contains(&x);
        match (inside, x < 4) {
            (false, _) => 0.0,
            (true, true) => 1.0,
            (true, false) => 2.0,
        }
    });
    let (i, m, s) = (
        dir.join("img.nii.gz"),
        dir.join("mask.nii.gz"),
        dir.join("s.toml"),
    );
    write_nifti(&i, &img);
    write_nifti(&m, &mask);
    std::fs::write(&s, SETTINGS).unwrap();
    (i, m, s)
}

fn extract(image: &Path, mask: &Path, settings: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "extract",
        "--image",
        image.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--settings",
        settings.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    radx(&args)
}

#[test]
fn version_prints_the_build_identity() {
    let o = radx(&["--version"]);
    assert!(o.status.success());
    let (out, _) = text(&o);
    for key in [
        "commit:",
        "dirty:",
        "rustc:",
        "target:",
        "profile:",
        "Cargo.lock sha256:",
    ] {
        assert!(out.contains(key), "{key} in {out}");
    }
    assert!(
        out.starts_with(&format!("radx {} (", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    let short = text(&radx(&["-V"])).0;
    assert_eq!(short.lines().count(), 1, "{short}");
    assert!(out.contains(&short.trim().to_string()), "{short} / {out}");
}

#[test]
fn the_record_names_the_build_every_file_the_selection_and_the_table() {
    let t = tempfile::tempdir().unwrap();
    let (i, m, s) = case(t.path());
    let out = t.path().join("t.csv");
    let o = extract(&i, &m, &s, &out, &["--label", "2"]);
    assert!(o.status.success(), "{}", text(&o).1);
    let p = json(&t.path().join("t.csv.provenance.json"));
    assert_eq!(p["provenance_schema"], 2);
    let version = text(&radx(&["--version"])).0;
    let b = &p["build"];
    for key in ["commit", "rustc", "target", "profile", "cargo_lock_sha256"] {
        let v = b[key].as_str().unwrap();
        assert!(version.contains(v), "{key} {v} not in --version");
    }
    // every input with its files and sha256; the settings file is an input too
    let roles: Vec<&str> = p["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["image", "mask", "settings"]);
    for (k, f) in [(0, &i), (1, &m), (2, &s)] {
        let input = &p["inputs"][k];
        assert_eq!(input["files"][0]["sha256"], sha256(f));
        assert_eq!(
            input["sha256"],
            sha256(f),
            "a one-file input's digest is the file's"
        );
    }
    assert_eq!(p["inputs"][0]["format"], "NIfTI");
    assert_eq!(p["selection"]["label_value"], 2);
    assert_eq!(p["selection"]["label_rule"], "label");
    assert_eq!(
        p["selection"]["image_shape_zyx"],
        serde_json::json!([8, 8, 8])
    );
    assert_eq!(p["request"]["label"], 2);
    // the table's own digest
    assert_eq!(p["table"]["file"], "t.csv");
    assert_eq!(p["table"]["sha256"], sha256(&out));
    // built-in plugins: their own version and a source digest each
    for plugin in p["plugins"].as_array().unwrap() {
        assert_eq!(plugin["origin"], "builtin");
        assert_eq!(plugin["version"], "0.1.0");
        assert_eq!(
            plugin["source_sha256"].as_str().unwrap().len(),
            64,
            "{plugin}"
        );
    }
    let digests: std::collections::BTreeSet<&str> = p["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["source_sha256"].as_str().unwrap())
        .collect();
    assert_eq!(digests.len(), 3, "each plugin has its own source digest");
}

/// The CT phantom's DICOM series, copied to `dir`.
fn ct_dicom(dir: &Path) -> (PathBuf, PathBuf) {
    let src = radx_testkit::data("ibsi_1_ct_radiomics_phantom/dicom");
    for sub in ["image", "mask"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for e in std::fs::read_dir(src.join(sub))
            .unwrap_or_else(|e| panic!("{}: {e}", src.display()))
            .flatten()
        {
            std::fs::copy(e.path(), dir.join(sub).join(e.file_name())).unwrap();
        }
    }
    let mask = std::fs::read_dir(dir.join("mask"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    (dir.join("image"), mask)
}

fn flip_last_byte(p: &Path) {
    let mut b = std::fs::read(p).unwrap();
    let n = b.len() - 1;
    b[n] ^= 0x01;
    std::fs::write(p, b).unwrap();
}

#[test]
fn one_byte_of_any_dicom_slice_changes_the_image_digest_and_reproduce_names_it() {
    let t = tempfile::tempdir().unwrap();
    let (series, rtstruct) = ct_dicom(&t.path().join("ct"));
    std::fs::write(
        t.path().join("s.toml"),
        "radx_settings = 1\n[features]\nfamilies = [\"intensity_stats\"]\n",
    )
    .unwrap();
    let s = t.path().join("s.toml");
    // The image named by one slice: the whole series is read, and recorded.
    let first_slice = series.join("DCM_IMG_00000.dcm");
    let out = t.path().join("a.csv");
    let o = extract(&first_slice, &rtstruct, &s, &out, &[]);
    assert!(o.status.success(), "{}", text(&o).1);
    let p = json(&t.path().join("a.csv.provenance.json"));
    let image = &p["inputs"][0];
    assert_eq!(image["format"], "DICOM series");
    let files = image["files"].as_array().unwrap();
    assert_eq!(files.len(), 60, "every slice of the series");
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "sorted by path");
    let sel = &p["selection"];
    assert!(sel["series_instance_uid"].as_str().unwrap().len() > 10);
    assert!(sel["frame_of_reference_uid"].as_str().is_some());
    assert_eq!(sel["modality"], "CT");
    assert!(
        sel["roi_name"].as_str().is_some() && sel["roi_number"].as_i64().is_some(),
        "{sel}"
    );
    assert_eq!(p["inputs"][1]["format"], "DICOM RTSTRUCT");

    // A fresh record reproduces bit for bit.
    let o = radx(&[
        "reproduce",
        t.path().join("a.csv.provenance.json").to_str().unwrap(),
    ]);
    let (so, se) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{so}{se}");
    assert!(so.contains("verdict:  bit-identical"), "{so}");

    // One byte of another slice than the one named: another image digest.
    let victim = series.join("DCM_IMG_00031.dcm");
    flip_last_byte(&victim);
    let out2 = t.path().join("b.csv");
    assert!(extract(&first_slice, &rtstruct, &s, &out2, &[])
        .status
        .success());
    let p2 = json(&t.path().join("b.csv.provenance.json"));
    assert_ne!(p2["inputs"][0]["sha256"], image["sha256"]);
    let changed: Vec<&str> = p2["inputs"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .zip(files)
        .filter(|(a, b)| a["sha256"] != b["sha256"])
        .map(|(a, _)| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(changed, [victim.to_str().unwrap()]);

    // reproduce on the first record now fails and names the slice.
    let o = radx(&[
        "reproduce",
        t.path().join("a.csv.provenance.json").to_str().unwrap(),
    ]);
    let (so, se) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{so}{se}");
    assert!(
        so.contains(&format!("changed: {}", victim.display())),
        "{so}"
    );
    assert!(!so.contains("verdict:  bit-identical\n"), "{so}");
}

#[test]
fn reproduce_a_fresh_record_then_a_changed_input() {
    let t = tempfile::tempdir().unwrap();
    let (i, m, s) = case(t.path());
    for out in ["r.csv", "r.json"] {
        let out = t.path().join(out);
        assert!(extract(&i, &m, &s, &out, &[]).status.success());
        let rec = radx_io::provenance_path(&out);
        let kept = t.path().join("again");
        let o = radx(&[
            "reproduce",
            rec.to_str().unwrap(),
            "--out",
            kept.to_str().unwrap(),
        ]);
        let (so, se) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{so}{se}");
        assert!(so.contains("verdict:  bit-identical"), "{so}");
        assert!(so.contains("build:    same as recorded"), "{so}");
        let again = kept.join(out.file_name().unwrap());
        if out.extension().unwrap() == "csv" {
            assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&out).unwrap());
        }
    }
    // One byte of the mask changes (a voxel label 0 -> 1 in the raw data): not
    // bit-identical, exit 1, the file named.
    let rec = t.path().join("r.csv.provenance.json");
    let nii = radx_io::read_image(&m).unwrap();
    let mut data = nii.data.clone();
    data[[1, 1, 1]] = 1.0;
    radx_io::write_nifti_image(&radx_core::Image::new(nii.grid, data).unwrap(), &m).unwrap();
    let o = radx(&["reproduce", rec.to_str().unwrap()]);
    let (so, se) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{so}{se}");
    assert!(
        so.contains(&format!("changed: {} (mask", m.display())),
        "{so}"
    );
    assert!(so.contains("verdict:  different"), "{so}");

    // A missing input: exit 1, named.
    std::fs::remove_file(&i).unwrap();
    let o = radx(&["reproduce", rec.to_str().unwrap()]);
    let (so, _) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        so.contains(&format!("missing: {} (image)", i.display())),
        "{so}"
    );

    // A record made by another build says so.
    let mut v = json(&rec);
    v["build"]["commit"] = serde_json::Value::String("a".repeat(40));
    std::fs::write(&rec, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (so, _) = text(&radx(&["reproduce", rec.to_str().unwrap()]));
    assert!(
        so.contains("build:    differs from the recorded one"),
        "{so}"
    );
    assert!(so.contains("commit: \"aaaa"), "{so}");

    // Not a record: could not start.
    let o = radx(&["reproduce", s.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn reproduce_every_case_of_a_batch_folder() {
    let t = tempfile::tempdir().unwrap();
    let (i, m, s) = case(t.path());
    std::fs::write(
        t.path().join("cohort.csv"),
        format!(
            "case_id,image,mask,label\na,{0},{1},1\nb,{0},{1},2\n",
            i.display(),
            m.display()
        ),
    )
    .unwrap();
    let out = t.path().join("out");
    let o = radx(&[
        "batch",
        "--cohort",
        t.path().join("cohort.csv").to_str().unwrap(),
        "--settings",
        s.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o).1);
    let o = radx(&["reproduce", out.to_str().unwrap()]);
    let (so, se) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{so}{se}");
    assert_eq!(so.matches("verdict:  bit-identical").count(), 2, "{so}");
    assert!(so.contains("overall: 2 records: 2 bit-identical"), "{so}");
    // The batch records name the cohort file as an input.
    let p = json(&out.join("cases/a.provenance.json"));
    assert!(p["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["role"] == "cohort"));
    // A value changed in one case table: that case is no longer bit-identical.
    let table = out.join("cases/b.csv");
    let t2 = std::fs::read_to_string(&table).unwrap();
    let altered: Vec<String> = t2
        .lines()
        .map(|l| {
            let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
            if f.get(7).map(String::as_str) == Some("stat_mean") {
                f[9] = format!("9{}", f[9]);
            }
            f.join(",")
        })
        .collect();
    assert_ne!(altered.join("\n") + "\n", t2);
    std::fs::write(&table, altered.join("\n") + "\n").unwrap();
    let o = radx(&["reproduce", out.to_str().unwrap()]);
    let (so, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{so}");
    assert!(so.contains("altered since it was recorded"), "{so}");
    assert!(so.contains("largest relative difference"), "{so}");
    assert!(so.contains("verdict:  different"), "{so}");
}

/// Every item of the IBSI reporting guidelines (IBSI manual, chapter 4).
const ITEMS: &[&str] = &[
    "1", "2a", "2b", "2c", "3a", "3b", "3c", "3d", "3e", "4a", "4b", "4c", "4d", "4e", "5", "6",
    "7", "8", "9a", "9b", "9c", "10", "11", "12", "13", "14", "15", "16", "17", "18a", "18b",
    "18c", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31a", "31b",
    "31c", "32a", "32b", "32c", "33", "34a", "34b", "35a", "35b", "36", "37", "38", "39", "40",
    "41", "42", "43", "44", "45", "46", "47", "48a", "48b", "48c", "48d", "49", "50a", "50b",
    "50c", "50d", "51", "52", "53", "54", "55", "56a", "56b", "56c", "57", "58", "59", "60", "61",
    "62", "63", "64", "65", "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76",
];

#[test]
fn methods_for_ibsi_config_e() {
    let id = radx_core::Settings::preset("ibsi-config-e").unwrap().id();
    let o = radx(&["methods", "--preset", "ibsi-config-e"]);
    let (md, se) = text(&o);
    assert!(o.status.success(), "{se}");
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
    for item in ITEMS {
        assert!(
            rows.iter().any(|r| r.starts_with(&format!("| {item} | "))),
            "item {item} missing"
        );
    }
    let paragraph = md
        .lines()
        .find(|l| l.starts_with("Radiomic features were extracted"))
        .unwrap();
    assert!(paragraph.contains(&id), "{paragraph}");
    assert!(paragraph.contains("radx 0.1.0"), "{paragraph}");

    let o = radx(&["methods", "--preset", "ibsi-config-e", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["settings_id"], id.as_str());
    let items = v["items"].as_array().unwrap();
    let got: Vec<&str> = items.iter().map(|i| i["item"].as_str().unwrap()).collect();
    assert_eq!(got, ITEMS);
    let item = |k: &str| items.iter().find(|i| i["item"] == k).unwrap();
    // what configuration E sets, and the defaults stated
    assert!(item("50a")["value"].as_str().unwrap().contains("B-spline"));
    assert!(item("51")["value"]
        .as_str()
        .unwrap()
        .contains("2 x 2 x 2 mm"));
    assert!(item("55")["value"]
        .as_str()
        .unwrap()
        .contains("[-1000, 400]"));
    assert!(item("56b")["value"].as_str().unwrap().contains("32 bins"));
    assert_eq!(item("65")["status"], "default");
    assert_eq!(item("65")["value"], "Chebyshev distance 1");
    assert_eq!(item("64")["value"], "symmetric");
    // what radx cannot know
    for k in ["6", "48a", "14"] {
        assert_eq!(item(k)["status"], "author", "{k}");
        assert!(item(k)["value"]
            .as_str()
            .unwrap()
            .contains("to be completed by the author"));
    }
    // compliance counts from a validation report
    let t = tempfile::tempdir().unwrap();
    let report = t.path().join("v.json");
    std::fs::write(
        &report,
        r#"{"sets":[{"set":"config-e","matched":400,"total":401,"families":{},"misses":[]}]}"#,
    )
    .unwrap();
    let o = radx(&[
        "methods",
        "--preset",
        "ibsi-config-e",
        "--validation",
        report.to_str().unwrap(),
        "--format",
        "html",
    ]);
    let (html, se) = text(&o);
    assert!(o.status.success(), "{se}");
    assert!(
        html.contains("matched 400 of 401 IBSI reference values"),
        "{html}"
    );
    assert!(html.starts_with("<!DOCTYPE html>"));
}

#[test]
fn methods_from_a_provenance_record() {
    let t = tempfile::tempdir().unwrap();
    let (i, m, s) = case(t.path());
    let out = t.path().join("t.csv");
    assert!(extract(&i, &m, &s, &out, &[]).status.success());
    let o = radx(&[
        "methods",
        "--provenance",
        t.path().join("t.csv.provenance.json").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", text(&o).1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let item = |k: &str| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["item"] == k)
            .unwrap()
            .clone()
    };
    assert!(
        item("28")["value"]
            .as_str()
            .unwrap()
            .contains("8 x 8 matrix"),
        "{}",
        item("28")
    );
    assert_eq!(item("49")["status"], "not_applicable");
    assert_eq!(
        item("71")["status"],
        "not_applicable",
        "no NGLDM in these settings"
    );
}

#[test]
fn every_built_in_plugin_has_its_own_version_and_source_digest() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("p.csv");
    let o = radx(&["extract", "--phantom", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o).1);
    let p = json(&t.path().join("p.csv.provenance.json"));
    let plugins = p["plugins"].as_array().unwrap();
    assert_eq!(plugins.len(), 11);
    let mut digests = std::collections::BTreeSet::new();
    for plugin in plugins {
        assert!(!plugin["version"].as_str().unwrap().is_empty());
        let d = plugin["source_sha256"].as_str().unwrap();
        assert_eq!(d.len(), 64, "{plugin}");
        digests.insert(d.to_string());
    }
    assert_eq!(digests.len(), 11);
    assert_eq!(p["request"]["phantom"], true);
    assert!(p["inputs"].as_array().unwrap().is_empty());
    // reproduce works on the built-in phantom too
    let o = radx(&[
        "reproduce",
        t.path().join("p.csv.provenance.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).0);
}
