//! End-to-end tests of the `radx` binary: extraction with provenance, settings,
//! feature listing, and clear errors on bad input.

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

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Writes a float32 NIfTI volume given in (z, y, x) order.
fn write_nifti(path: &Path, data_zyx: &Array3<f32>) {
    let xyz = data_zyx.clone().permuted_axes([2, 1, 0]);
    WriterOptions::new(path).write_nifti(&xyz).unwrap();
}

fn cube(n: usize, f: impl Fn(usize, usize, usize) -> f32) -> Array3<f32> {
    Array3::from_shape_fn((n, n, n), |(z, y, x)| f(z, y, x))
}

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Self {
        Case {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
    /// A 6³ image with a 4³ ROI and a mask with labels 1 and 2.
    fn good(&self) -> (String, String) {
        write_nifti(
            &self.path("img.nii.gz"),
            &cube(6, |z, y, x| (10 * z + 3 * y + x) as f32),
        );
        write_nifti(
            &self.path("mask.nii.gz"),
            &cube(6, |z, y, x| {
                let inside = (1..5).contains(&z) && (1..5).contains(&y) && (1..5).contains(&x);
                if inside {
                    if x < 3 {
                        1.0
                    } else {
                        2.0
                    }
                } else {
                    0.0
                }
            }),
        );
        (self.s("img.nii.gz"), self.s("mask.nii.gz"))
    }
}

const SMALL_SETTINGS: &str =
    "radx_settings = 1\n[discretisation.texture]\nmethod = \"fbn\"\nbins = 8\n";

#[test]
fn extract_builtin_phantom_writes_table_and_provenance() {
    let c = Case::new();
    let out = c.s("phantom.csv");
    let o = radx(&["extract", "--phantom", "--out", &out]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "case,roi,image,family,feature,ibsi_id,aggregation,tag,unit,value,missing_reason"
    );
    let volume = csv
        .lines()
        .find(|l| l.contains(",morph_volume,"))
        .expect("a morph_volume row");
    assert!(volume.contains(",RNU0,"), "{volume}");
    let prov: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(c.path("phantom.csv.provenance.json")).unwrap(),
    )
    .unwrap();
    let id = prov["settings_id"].as_str().unwrap();
    assert_eq!(
        id,
        radx_core::Settings::preset("ibsi-digital-phantom")
            .unwrap()
            .id()
    );
    assert!(prov["settings"]
        .as_str()
        .unwrap()
        .contains("radx_settings = 1"));
    assert_eq!(prov["radx_version"], env!("CARGO_PKG_VERSION"));
    assert!(prov["plugins"].as_array().unwrap().len() >= 11);
    assert!(prov["platform"]["arch"].as_str().is_some());
}

#[test]
fn extract_files_records_input_hashes_and_json_output() {
    let c = Case::new();
    let (img, mask) = c.good();
    std::fs::write(c.path("s.toml"), SMALL_SETTINGS).unwrap();
    let out = c.s("out.json");
    let o = radx(&[
        "extract",
        "--image",
        &img,
        "--mask",
        &mask,
        "--settings",
        &c.s("s.toml"),
        "--out",
        &out,
        "--label",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let inputs = v["provenance"]["inputs"].as_array().unwrap();
    let roles: Vec<&str> = inputs.iter().map(|i| i["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["image", "mask", "settings"]);
    let img_hash = inputs[0]["sha256"].as_str().unwrap();
    assert_eq!(img_hash.len(), 64);
    let rows = v["features"].as_array().unwrap();
    let vol = rows
        .iter()
        .find(|r| r["tag"] == "morph_vol_approx")
        .expect("vol_approx row");
    // label 2 is x in 3..5 of a 4³ block: 2 × 4 × 4 voxels of 1 mm³
    assert_eq!(vol["value"].as_f64().unwrap(), 32.0);
}

#[test]
fn settings_show_check_and_presets() {
    let c = Case::new();
    std::fs::write(c.path("s.toml"), SMALL_SETTINGS).unwrap();
    let o = radx(&["settings", "show", "--settings", &c.s("s.toml")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let id = radx_core::Settings::from_toml_str(SMALL_SETTINGS, "x")
        .unwrap()
        .id();
    assert!(text.starts_with(&format!("# settings id: {id}")), "{text}");
    let o = radx(&["settings", "check", &c.s("s.toml")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = radx(&["settings", "presets"]);
    assert!(stdout(&o).contains("ibsi-config-e"));
}

#[test]
fn features_list_names_ibsi_identifiers() {
    let o = radx(&["features", "list"]);
    assert!(o.status.success());
    let t = stdout(&o);
    assert!(t.contains("morphology\tvolume\tRNU0\tmm^3"), "{t}");
    let families: std::collections::BTreeSet<&str> = t
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert_eq!(families.len(), 11, "{families:?}");
    // every feature has a 4-character IBSI identifier
    for l in t.lines().skip(1) {
        let id = l.split('\t').nth(2).unwrap();
        assert_eq!(id.len(), 4, "{l}");
    }
}

/// Runs extraction expecting failure; returns stderr.
fn fails(args: &[&str]) -> String {
    let o = radx(args);
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit 2; stderr: {}",
        stderr(&o)
    );
    let e = stderr(&o);
    assert!(!e.contains("panicked"), "{e}");
    e
}

#[test]
fn bad_input_missing_file() {
    let c = Case::new();
    let (_, mask) = c.good();
    let e = fails(&["extract", "--image", &c.s("nope.nii.gz"), "--mask", &mask]);
    assert!(e.contains("nope.nii.gz") && e.contains("not found"), "{e}");
}

#[test]
fn bad_input_not_nifti() {
    let c = Case::new();
    let (_, mask) = c.good();
    std::fs::write(c.path("text.nii"), "this is not an image at all, just some text that is long enough to be read as a header maybe; ".repeat(8)).unwrap();
    let e = fails(&["extract", "--image", &c.s("text.nii"), "--mask", &mask]);
    assert!(e.contains("text.nii"), "{e}");
}

#[test]
fn bad_input_truncated_gz() {
    let c = Case::new();
    let (img, mask) = c.good();
    let bytes = std::fs::read(&img).unwrap();
    std::fs::write(c.path("cut.nii.gz"), &bytes[..bytes.len() / 2]).unwrap();
    let e = fails(&["extract", "--image", &c.s("cut.nii.gz"), "--mask", &mask]);
    assert!(e.contains("cut.nii.gz") && e.contains("truncated"), "{e}");
}

#[test]
fn bad_input_different_grids() {
    let c = Case::new();
    let (img, _) = c.good();
    write_nifti(&c.path("small.nii.gz"), &cube(5, |_, _, _| 1.0));
    let e = fails(&["extract", "--image", &img, "--mask", &c.s("small.nii.gz")]);
    assert!(
        e.contains("small.nii.gz") && e.contains("grid") && e.contains("[5, 5, 5]"),
        "{e}"
    );
}

#[test]
fn bad_input_empty_mask() {
    let c = Case::new();
    let (img, _) = c.good();
    write_nifti(&c.path("empty.nii.gz"), &cube(6, |_, _, _| 0.0));
    let e = fails(&["extract", "--image", &img, "--mask", &c.s("empty.nii.gz")]);
    assert!(e.contains("empty.nii.gz") && e.contains("empty"), "{e}");
}

#[test]
fn bad_input_absent_label() {
    let c = Case::new();
    let (img, mask) = c.good();
    let e = fails(&["extract", "--image", &img, "--mask", &mask, "--label", "7"]);
    assert!(
        e.contains("mask.nii.gz") && e.contains("label 7") && e.contains("1, 2"),
        "{e}"
    );
}

#[test]
fn bad_input_nan_in_roi() {
    let c = Case::new();
    let (_, mask) = c.good();
    write_nifti(
        &c.path("nan.nii.gz"),
        &cube(6, |z, y, x| {
            if (z, y, x) == (2, 2, 2) {
                f32::NAN
            } else {
                1.0
            }
        }),
    );
    let e = fails(&["extract", "--image", &c.s("nan.nii.gz"), "--mask", &mask]);
    assert!(e.contains("nan.nii.gz") && e.contains("NaN"), "{e}");
}

#[test]
fn bad_input_invalid_settings() {
    let c = Case::new();
    let (img, mask) = c.good();
    std::fs::write(
        c.path("bad.toml"),
        "radx_settings = 1\n[texture]\nglcm_distance = 0\n",
    )
    .unwrap();
    let e = fails(&[
        "extract",
        "--image",
        &img,
        "--mask",
        &mask,
        "--settings",
        &c.s("bad.toml"),
    ]);
    assert!(
        e.contains("bad.toml") && e.contains("texture.glcm_distance"),
        "{e}"
    );
    std::fs::write(
        c.path("typo.toml"),
        "radx_settings = 1\n[interpolation]\nspacing = [1.0, 1.0, 1.0]\n",
    )
    .unwrap();
    let e = fails(&["settings", "check", &c.s("typo.toml")]);
    assert!(e.contains("typo.toml") && e.contains("spacing"), "{e}");
    std::fs::write(
        c.path("fam.toml"),
        "radx_settings = 1\n[features]\nfamilies = [\"glcm\", \"fractal\"]\n",
    )
    .unwrap();
    let e = fails(&["settings", "check", &c.s("fam.toml")]);
    assert!(e.contains("fam.toml") && e.contains("fractal"), "{e}");
}

#[test]
fn unsupported_datatype_is_refused() {
    let c = Case::new();
    let (_, mask) = c.good();
    // An RGB24 header: datatype 128, bitpix 24.
    let mut hdr = vec![0u8; 352];
    hdr[0..4].copy_from_slice(&348i32.to_le_bytes());
    for (i, d) in [3i16, 2, 2, 2, 1, 1, 1, 1].iter().enumerate() {
        hdr[40 + 2 * i..42 + 2 * i].copy_from_slice(&d.to_le_bytes());
    }
    hdr[70..72].copy_from_slice(&128i16.to_le_bytes());
    hdr[72..74].copy_from_slice(&24i16.to_le_bytes());
    for i in 0..4 {
        hdr[76 + 4 * i..80 + 4 * i].copy_from_slice(&1f32.to_le_bytes());
    }
    hdr[108..112].copy_from_slice(&352f32.to_le_bytes());
    hdr[344..348].copy_from_slice(b"n+1\0");
    hdr.extend(vec![0u8; 8 * 3]);
    std::fs::write(c.path("rgb.nii"), &hdr).unwrap();
    let e = fails(&["extract", "--image", &c.s("rgb.nii"), "--mask", &mask]);
    assert!(e.contains("rgb.nii") && e.contains("not supported"), "{e}");
}

#[test]
fn compare_two_tables_guards_a_pipeline() {
    let c = Case::new();
    let a = c.s("a.csv");
    assert!(radx(&["extract", "--phantom", "--out", &a])
        .status
        .success());
    // identical tables agree
    let o = radx(&[
        "compare",
        &a,
        &a,
        "--max-rel-diff",
        "0",
        "--min-ccc",
        "0.99",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("morph_volume\t1\t0.000000e0"),
        "{}",
        stdout(&o)
    );
    // a changed bin count changes histogram features: the guard trips
    std::fs::write(c.path("fbn.toml"), "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 3\n[discretisation.texture]\nmethod = \"none\"\n").unwrap();
    let b = c.s("b.csv");
    let o = radx(&[
        "extract",
        "--phantom",
        "--settings",
        &c.s("fbn.toml"),
        "--out",
        &b,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = radx(&[
        "compare",
        &a,
        &b,
        "--max-rel-diff",
        "0.01",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let failing: Vec<&str> = v["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(failing.contains(&"ih_mean"), "{failing:?}");
    assert!(!failing.contains(&"morph_volume"), "{failing:?}");
}

/// Runs radx with its stdout a pipe whose reader is already gone: the write end of the
/// stdin pipe of a `true` that has exited. (Deterministic: nothing can read, so radx's
/// first write fails with a broken pipe, as under `radx ... | head -1` once head exits.)
#[cfg(unix)]
fn radx_with_closed_stdout(args: &[&str]) -> Output {
    use std::process::Stdio;
    let mut reader = Command::new("true")
        .stdin(Stdio::piped())
        .spawn()
        .expect("`true` runs");
    let write_end = reader.stdin.take().expect("piped stdin");
    reader.wait().expect("`true` exits");
    Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .stdout(Stdio::from(write_end))
        .stderr(Stdio::piped())
        .output()
        .expect("radx runs")
}

/// A closed stdout ends radx quietly with status 141 (128 + SIGPIPE), never a panic
/// (exit 101) and never 0 (the output was cut off).
#[cfg(unix)]
#[test]
fn closed_stdout_ends_quietly_with_status_141() {
    let case = Case::new();
    let table = case.path("t.csv");
    let made = radx(&["extract", "--phantom", "-o", table.to_str().unwrap()]);
    assert!(made.status.success(), "{}", stderr(&made));
    let t = table.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["features", "list"],
        vec!["settings", "presets"],
        vec!["settings", "show", "--preset", "ibsi-digital-phantom"],
        vec!["extract", "--phantom"],
        vec!["compare", t, t],
        vec!["compare", t, t, "--format", "json"],
        vec!["validate", "ibsi", "--set", "digital-phantom"],
    ];
    for args in &commands {
        let o = radx_with_closed_stdout(args);
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(141), "{args:?}: {err}");
        // Quiet: no error message about the closed pipe.
        assert!(!err.contains("radx: error"), "{args:?}: {err}");
    }
}

/// A closed stderr (`radx ... 2>&1 | head -1` once head has gone) does not make radx
/// panic on its progress and summary messages: they are dropped, the work is done.
#[cfg(unix)]
#[test]
fn closed_stderr_does_not_panic() {
    use std::process::Stdio;
    let case = Case::new();
    let table = case.path("t.csv");
    let t = table.to_str().unwrap().to_string();
    for args in [
        vec!["extract", "--phantom", "-o", t.as_str()],
        vec!["compare", t.as_str(), t.as_str()],
    ] {
        let mut reader = Command::new("true")
            .stdin(Stdio::piped())
            .spawn()
            .expect("`true` runs");
        let write_end = reader.stdin.take().expect("piped stdin");
        reader.wait().expect("`true` exits");
        let status = Command::new(env!("CARGO_BIN_EXE_radx"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::from(write_end))
            .status()
            .expect("radx runs");
        assert_eq!(status.code(), Some(0), "{args:?}");
    }
    assert!(table.is_file());
}

/// The rows of one ROI of a long CSV, without the header.
fn roi_rows(csv: &str, roi: &str) -> Vec<String> {
    csv.lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1) == Some(roi))
        .map(String::from)
        .collect()
}

#[test]
fn extract_several_labels_in_one_run_equals_each_label_alone() {
    let c = Case::new();
    let (img, mask) = c.good();
    std::fs::write(c.path("s.toml"), SMALL_SETTINGS).unwrap();
    let s = c.s("s.toml");
    let base = [
        "extract",
        "--image",
        &img,
        "--mask",
        &mask,
        "--settings",
        &s,
    ];
    let alone = |label: &str| {
        let o = radx(&[&base[..], &["--label", label]].concat());
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let (one, two) = (alone("1"), alone("2"));
    for threads in ["1", "2"] {
        let o = radx(
            &[
                &base[..],
                &["--label", "2", "--label", "1", "--threads", threads],
            ]
            .concat(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let both = stdout(&o);
        assert_eq!(roi_rows(&both, "label_1"), roi_rows(&one, "label_1"));
        assert_eq!(roi_rows(&both, "label_2"), roi_rows(&two, "label_2"));
        assert_eq!(
            both.lines().count(),
            one.lines().count() + two.lines().count() - 1
        );
        // rows in the order asked
        assert!(both.lines().nth(1).unwrap().starts_with("img,label_2,"));
    }
    // --all-labels, named through a labels.csv; the record lists both regions
    std::fs::write(c.path("labels.csv"), "label,name\n1,core\n2,edge\n").unwrap();
    let out = c.s("all.csv");
    let o = radx(
        &[
            &base[..],
            &[
                "--all-labels",
                "--label-names",
                &c.s("labels.csv"),
                "--out",
                &out,
            ],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let all = std::fs::read_to_string(&out).unwrap();
    let renamed = |rows: Vec<String>, from: &str, to: &str| -> Vec<String> {
        rows.into_iter()
            .map(|r| r.replacen(&format!(",{from},"), &format!(",{to},"), 1))
            .collect()
    };
    assert_eq!(
        roi_rows(&all, "core"),
        renamed(roi_rows(&one, "label_1"), "label_1", "core")
    );
    assert_eq!(
        roi_rows(&all, "edge"),
        renamed(roi_rows(&two, "label_2"), "label_2", "edge")
    );
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(c.path("all.csv.provenance.json")).unwrap())
            .unwrap();
    let regions = prov["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 2);
    assert_eq!(regions[1]["roi"], "edge");
    assert_eq!(regions[1]["selection"]["label_value"], 2);
    assert_eq!(regions[1]["all"], true);
    let roles: Vec<&str> = prov["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["image", "mask", "label_names", "settings"]);
    // --all-rois is for RTSTRUCT / SEG
    let e = fails(&[&base[..], &["--all-rois"]].concat());
    assert!(e.contains("this is a label map: use --all-labels"), "{e}");
}
