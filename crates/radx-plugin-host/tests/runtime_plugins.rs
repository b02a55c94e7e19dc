//! Run-time plugins end to end: the Rust and C examples are built, pinned by hash,
//! loaded and run beside the built-in families; every kind of bad plugin is refused with
//! a clear message while the built-in features of the case are still computed.

use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::{s, Array3};
use radx_core::{FeatureTable, Grid, Image, Mask, Settings};
use radx_pipeline::{extract, registry_for, CaseLabels};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// target/<profile> of the running test binary.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn dylib(stem: &str) -> String {
    format!(
        "{}{stem}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// Builds a Rust example plugin with the same profile and target dir as this test.
fn rust_plugin(package: &str, stem: &str) -> PathBuf {
    let dir = profile_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace())
        .args(["build", "--quiet", "-p", package, "--target-dir"])
        .arg(dir.parent().unwrap());
    if dir.file_name().unwrap() == "release" {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "building {package}");
    let lib = dir.join(dylib(stem));
    assert!(lib.is_file(), "{}", lib.display());
    lib
}

/// Builds the C example with the system compiler and extra flags.
fn c_plugin(out_dir: &Path, name: &str, flags: &[&str]) -> PathBuf {
    let lib = out_dir.join(dylib(name));
    let status = Command::new("cc")
        .args(["-std=c99", "-O2", "-shared", "-fPIC", "-I"])
        .arg(workspace().join("crates/radx-plugin-sdk/include"))
        .args(flags)
        .arg("-o")
        .arg(&lib)
        .arg(workspace().join("plugins/example-c/roi_stats.c"))
        .status()
        .expect("a C compiler (cc) is installed");
    assert!(status.success());
    lib
}

fn sha(p: &Path) -> String {
    radx_io::sha256_file(p).unwrap()
}

fn manifest(plugins: &[(&str, &Path, &str, &str)]) -> Settings {
    let mut text = String::from(
        "radx_settings = 1\n[features]\nfamilies = [\"morphology\", \"intensity_stats\"]\n",
    );
    for (name, path, hash, extra) in plugins {
        text.push_str(&format!(
            "[[plugins]]\nname = \"{name}\"\npath = \"{}\"\nsha256 = \"{hash}\"\n{extra}",
            path.display()
        ));
    }
    Settings::from_toml_str(&text, "test-manifest").unwrap()
}

/// A 20³ cube ROI in a 24³ image.
fn run(settings: &Settings) -> (FeatureTable, Vec<String>) {
    let mut img = Array3::<f64>::zeros((24, 24, 24));
    img.indexed_iter_mut()
        .for_each(|((z, y, x), v)| *v = (z + 2 * y + 3 * x) as f64);
    let mut mask = Array3::from_elem((24, 24, 24), false);
    mask.slice_mut(s![2..22, 2..22, 2..22]).fill(true);
    let grid = Grid::new([24, 24, 24], [1.0; 3], [0.0; 3]);
    let (registry, refused) = registry_for(settings);
    let labels = CaseLabels {
        case: "c".into(),
        roi: "r".into(),
        image: "original".into(),
    };
    let t = extract(
        Image::new(grid.clone(), img).unwrap(),
        Mask::new(grid, mask).unwrap(),
        settings,
        &registry,
        &labels,
    )
    .unwrap();
    (t, refused.iter().map(|e| e.to_string()).collect())
}

fn builtins_present(t: &FeatureTable) {
    assert_eq!(t.value("morph_vol_approx"), Some(8000.0));
    assert!(t.value("stat_mean").is_some());
}

#[test]
fn rust_fractal_plugin_runs_beside_builtins() {
    let lib = rust_plugin("radx-example-fractal", "radx_example_fractal");
    let s = manifest(&[(
        "fractal",
        &lib,
        &sha(&lib),
        "[plugins.settings]\nmax_scales = 4\n",
    )]);
    let (t, refused) = run(&s);
    assert!(refused.is_empty(), "{refused:?}");
    builtins_present(&t);
    // a solid 20³ cube: N(s) = 20³, 10³, 5³, 3³ boxes for s = 1, 2, 4, 8; the dimension is
    // the least-squares slope of ln N against ln(1/s), worked out here by hand
    let pts = [
        (0.0, 8000f64),
        (-2f64.ln(), 1000.0),
        (-4f64.ln(), 125.0),
        (-8f64.ln(), 27.0),
    ];
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / 4.0;
    let my = pts.iter().map(|p| p.1.ln()).sum::<f64>() / 4.0;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1.ln() - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let d = t.value("fractal_box_dimension").unwrap();
    assert!((d - sxy / sxx).abs() < 1e-12, "{d} vs {}", sxy / sxx);
    assert!((2.7..3.0).contains(&d), "{d}");
    let row = t.by_tag("fractal_box_dimension").unwrap();
    assert_eq!(row.family, "fractal");
    let registry = registry_for(&s).0;
    let prov = radx_pipeline::provenance(&s, &registry, Vec::new());
    let rec = prov.plugins.iter().find(|p| p.family == "fractal").unwrap();
    assert_eq!(rec.sha256, sha(&lib));
    assert_eq!(rec.origin, lib.display().to_string());
    assert_eq!(rec.version, env!("CARGO_PKG_VERSION"));
}

#[test]
fn c_plugin_runs_beside_builtins() {
    let dir = tempfile_dir("c-ok");
    let lib = c_plugin(&dir, "roi_stats", &[]);
    let s = manifest(&[("roi_stats", &lib, &sha(&lib), "")]);
    let (t, refused) = run(&s);
    assert!(refused.is_empty(), "{refused:?}");
    builtins_present(&t);
    assert_eq!(t.value("cstats_voxel_count"), Some(8000.0));
    assert_eq!(t.value("cstats_mean"), t.value("stat_mean"));
    let i = radx_plugin_host::inspect(&lib).unwrap();
    assert_eq!(i.info.family, "roi_stats");
    assert_eq!(i.info.features.len(), 2);
    assert_eq!(i.sha256, sha(&lib));
}

fn tempfile_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("radx-plugin-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn refused_with(s: &Settings, family_tag: &str, expect: &[&str]) {
    let (t, _) = run(s);
    builtins_present(&t);
    let row = t
        .rows
        .iter()
        .find(|r| r.tag.starts_with(family_tag))
        .unwrap_or_else(|| panic!("a row for {family_tag}"));
    assert!(row.value.is_none());
    let reason = row.missing_reason.clone().unwrap();
    for e in expect {
        assert!(reason.contains(e), "reason `{reason}` lacks `{e}`");
    }
}

#[test]
fn wrong_hash_is_refused_before_loading() {
    let dir = tempfile_dir("hash");
    let lib = c_plugin(&dir, "roi_stats", &[]);
    let s = manifest(&[("roi_stats", &lib, &"0".repeat(64), "")]);
    let (_, refused) = run(&s);
    assert!(
        refused[0].contains("sha256") && refused[0].contains("roi_stats"),
        "{refused:?}"
    );
    refused_with(&s, "roi_stats_plugin", &["sha256", "differs"]);
}

#[test]
fn unknown_abi_version_is_refused() {
    let dir = tempfile_dir("abi");
    let lib = c_plugin(&dir, "roi_stats_abi", &["-DRADX_TEST_ABI_VERSION=99"]);
    let s = manifest(&[("roi_stats", &lib, &sha(&lib), "")]);
    refused_with(&s, "roi_stats_plugin", &["ABI version 99", "version 1"]);
}

#[test]
fn missing_symbol_is_refused() {
    let dir = tempfile_dir("sym");
    let lib = c_plugin(&dir, "roi_stats_nofree", &["-DRADX_TEST_OMIT_FREE"]);
    let s = manifest(&[("roi_stats", &lib, &sha(&lib), "")]);
    refused_with(
        &s,
        "roi_stats_plugin",
        &["missing symbol", "radx_plugin_free"],
    );
}

#[test]
fn a_panicking_plugin_becomes_an_error_for_the_case() {
    let lib = rust_plugin("radx-example-faulty", "radx_example_faulty");
    let s = manifest(&[(
        "faulty",
        &lib,
        &sha(&lib),
        "[plugins.settings]\nmode = \"panic\"\n",
    )]);
    refused_with(&s, "faulty_voxels", &["panicked", "deliberate panic"]);
}

#[test]
fn a_wrong_number_of_values_is_refused() {
    let lib = rust_plugin("radx-example-faulty", "radx_example_faulty");
    let s = manifest(&[(
        "faulty",
        &lib,
        &sha(&lib),
        "[plugins.settings]\nmode = \"short\"\n",
    )]);
    refused_with(&s, "faulty_voxels", &["returned 1 values for 2 features"]);
    // and the well-behaved mode works
    let ok = manifest(&[("faulty", &lib, &sha(&lib), "")]);
    let (t, _) = run(&ok);
    assert_eq!(t.value("faulty_twice_voxels"), Some(16000.0));
}

#[test]
fn descriptor_name_must_match_the_manifest() {
    let dir = tempfile_dir("name");
    let lib = c_plugin(&dir, "roi_stats_named", &[]);
    let s = manifest(&[("other_name", &lib, &sha(&lib), "")]);
    refused_with(&s, "other_name_plugin", &["roi_stats", "other_name"]);
}
