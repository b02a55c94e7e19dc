//! Run-time plugins end to end: the Rust and C examples are built, pinned by hash,
//! loaded from the verified bytes and run beside the built-in families; every kind of bad
//! plugin is refused with a clear message naming its file, before any case runs; a
//! plugin receives the manifest's discretisation.

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
    c_source_plugin(
        out_dir,
        name,
        &workspace().join("plugins/example-c/roi_stats.c"),
        flags,
    )
}

/// Builds a C plugin source with the system compiler and extra flags.
fn c_source_plugin(out_dir: &Path, name: &str, source: &Path, flags: &[&str]) -> PathBuf {
    let lib = out_dir.join(dylib(name));
    let status = Command::new("cc")
        .args(["-std=c99", "-O2", "-shared", "-fPIC", "-I"])
        .arg(workspace().join("crates/radx-plugin-sdk/include"))
        .args(flags)
        .arg("-o")
        .arg(&lib)
        .arg(source)
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

/// A 20³ cube ROI in a 24³ image (intensities z + 2y + 3x: 12..=126 in the ROI).
fn run(settings: &Settings) -> FeatureTable {
    run_with(settings, &registry_for(settings).unwrap())
}

fn run_with(settings: &Settings, registry: &radx_core::Registry) -> FeatureTable {
    let mut img = Array3::<f64>::zeros((24, 24, 24));
    img.indexed_iter_mut()
        .for_each(|((z, y, x), v)| *v = (z + 2 * y + 3 * x) as f64);
    let mut mask = Array3::from_elem((24, 24, 24), false);
    mask.slice_mut(s![2..22, 2..22, 2..22]).fill(true);
    let grid = Grid::new([24, 24, 24], [1.0; 3], [0.0; 3]);
    let labels = CaseLabels {
        case: "c".into(),
        roi: "r".into(),
        image: "original".into(),
    };
    extract(
        Image::new(grid.clone(), img).unwrap(),
        Mask::new(grid, mask).unwrap(),
        settings,
        registry,
        &labels,
    )
    .unwrap()
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
    let t = run(&s);
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
    let registry = registry_for(&s).unwrap();
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
    let t = run(&s);
    builtins_present(&t);
    assert_eq!(t.value("cstats_voxel_count"), Some(8000.0));
    assert_eq!(t.value("cstats_mean"), t.value("stat_mean"));
    let i = radx_plugin_host::inspect_pinned(&lib, &sha(&lib)).unwrap();
    assert_eq!(i.info.family, "roi_stats");
    assert_eq!(i.info.features.len(), 2);
    assert_eq!(i.sha256, sha(&lib));
}

fn tempfile_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("radx-plugin-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The settings name a plugin that cannot be loaded: building the registry fails with a
/// message naming the plugin, its file and each of `expect`.
fn refused_with(s: &Settings, name: &str, lib: &Path, expect: &[&str]) {
    let e = match registry_for(s) {
        Ok(_) => panic!("plugin `{name}` was loaded"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains(&format!("plugin `{name}`")), "{e}");
    assert!(e.contains(&lib.display().to_string()), "{e}");
    for x in expect {
        assert!(e.contains(x), "error `{e}` lacks `{x}`");
    }
}

/// A plugin that loads but fails for a case: its features are missing with the reason,
/// the built-in families are computed.
fn fails_case_with(s: &Settings, family_tag: &str, expect: &[&str]) {
    let t = run(s);
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
    refused_with(&s, "roi_stats", &lib, &["sha256", "differs"]);
}

#[test]
fn unknown_abi_version_is_refused() {
    let dir = tempfile_dir("abi");
    let lib = c_plugin(&dir, "roi_stats_abi", &["-DRADX_TEST_ABI_VERSION=99"]);
    let s = manifest(&[("roi_stats", &lib, &sha(&lib), "")]);
    refused_with(
        &s,
        "roi_stats",
        &lib,
        &["ABI version 99", "speaks version 2"],
    );
}

#[test]
fn missing_symbol_is_refused() {
    let dir = tempfile_dir("sym");
    let lib = c_plugin(&dir, "roi_stats_nofree", &["-DRADX_TEST_OMIT_FREE"]);
    let s = manifest(&[("roi_stats", &lib, &sha(&lib), "")]);
    refused_with(
        &s,
        "roi_stats",
        &lib,
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
    fails_case_with(&s, "faulty_voxels", &["panicked", "deliberate panic"]);
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
    fails_case_with(&s, "faulty_voxels", &["returned 1 values for 2 features"]);
    // and the well-behaved mode works
    let ok = manifest(&[("faulty", &lib, &sha(&lib), "")]);
    let t = run(&ok);
    assert_eq!(t.value("faulty_twice_voxels"), Some(16000.0));
}

#[test]
fn descriptor_name_must_match_the_manifest() {
    let dir = tempfile_dir("name");
    let lib = c_plugin(&dir, "roi_stats_named", &[]);
    let s = manifest(&[("other_name", &lib, &sha(&lib), "")]);
    refused_with(
        &s,
        "other_name",
        &lib,
        &["descriptor names the plugin `roi_stats`"],
    );
}

#[test]
fn a_version_1_library_is_refused_with_a_rebuild_hint() {
    let dir = tempfile_dir("abi1");
    let lib = c_plugin(&dir, "roi_stats_abi1", &["-DRADX_TEST_ABI_VERSION=1"]);
    let s = manifest(&[("roi_stats", &lib, &sha(&lib), "")]);
    refused_with(
        &s,
        "roi_stats",
        &lib,
        &["ABI version 1", "speaks version 2", "rebuild"],
    );
}

#[test]
fn a_missing_library_is_an_error_naming_the_file() {
    let dir = tempfile_dir("missing");
    let lib = dir.join(dylib("nowhere"));
    let s = manifest(&[("roi_stats", &lib, &"0".repeat(64), "")]);
    refused_with(&s, "roi_stats", &lib, &["not found"]);
}

/// Mapped files of this process (Linux).
#[cfg(target_os = "linux")]
fn mapped_files() -> String {
    std::fs::read_to_string("/proc/self/maps").unwrap()
}

#[test]
fn the_library_runs_from_the_verified_bytes_never_from_its_path() {
    let dir = tempfile_dir("bytes");
    let lib = c_plugin(&dir, "roi_stats_bytes", &[]);
    let other = c_source_plugin(
        &dir,
        "echo_other",
        &workspace().join("crates/radx-plugin-host/tests/c/echo_settings.c"),
        &[],
    );
    let pinned = sha(&lib);
    let s = manifest(&[("roi_stats", &lib, &pinned, "")]);
    let registry = registry_for(&s).unwrap();
    // the platform's loader got the bytes, not the path: the file is not mapped
    #[cfg(target_os = "linux")]
    assert!(
        !mapped_files().contains(&lib.display().to_string()),
        "{} is mapped from its path",
        lib.display()
    );
    // replace the file: what runs, and what provenance records, is what was hashed
    std::fs::rename(&other, &lib).unwrap();
    assert_ne!(sha(&lib), pinned);
    let t = run_with(&s, &registry);
    assert_eq!(t.value("cstats_voxel_count"), Some(8000.0));
    assert!(t.value("echo_texture_method").is_none());
    let prov = radx_pipeline::provenance(&s, &registry, Vec::new());
    let rec = prov
        .plugins
        .iter()
        .find(|p| p.family == "roi_stats")
        .unwrap();
    assert_eq!(rec.sha256, pinned);
    assert_eq!(rec.version, "1.0.0");
    assert_eq!(rec.origin, lib.display().to_string());
}

#[test]
fn libraries_loaded_one_after_another_stay_distinct() {
    // the loader knows libraries by name: a library unloaded (or not) must never be
    // mistaken for the next one loaded
    let fractal = rust_plugin("radx-example-fractal", "radx_example_fractal");
    let faulty = rust_plugin("radx-example-faulty", "radx_example_faulty");
    let dir = tempfile_dir("distinct");
    let c = c_plugin(&dir, "roi_stats_distinct", &[]);
    for _ in 0..2 {
        for (name, lib, tag) in [
            ("fractal", &fractal, "fractal_box_dimension"),
            ("faulty", &faulty, "faulty_voxels"),
            ("roi_stats", &c, "cstats_voxel_count"),
        ] {
            let s = manifest(&[(name, lib, &sha(lib), "")]);
            let t = run(&s);
            assert!(t.value(tag).is_some(), "{name}: {:?}", t.by_tag(tag));
        }
    }
}

fn echo_plugin(dir: &Path) -> PathBuf {
    c_source_plugin(
        dir,
        "echo_settings",
        &workspace().join("crates/radx-plugin-host/tests/c/echo_settings.c"),
        &[],
    )
}

/// Grey levels of the 20³ cube of [`run`] under fixed bin size `w` from `lower`.
fn fbs_level_sum(w: f64, lower: f64) -> f64 {
    let mut sum = 0.0;
    for z in 2..22 {
        for y in 2..22 {
            for x in 2..22 {
                let v = (z + 2 * y + 3 * x) as f64;
                sum += ((v - lower) / w).floor() + 1.0;
            }
        }
    }
    sum
}

#[test]
fn a_c_plugin_receives_the_manifest_discretisation() {
    let dir = tempfile_dir("echo");
    let lib = echo_plugin(&dir);
    let text = format!(
        "radx_settings = 1
[features]
families = [\"morphology\", \"intensity_stats\"]
[discretisation.texture]
method = \"fbs\"
bin_width = 12.5
lower_bound = 10.0
[discretisation.histogram]
method = \"fbn\"
bins = 7
[discretisation.ivh]
method = \"none\"
[[plugins]]
name = \"echo_settings\"
path = \"{}\"
sha256 = \"{}\"
",
        lib.display(),
        sha(&lib)
    );
    let s = Settings::from_toml_str(&text, "echo").unwrap();
    let t = run(&s);
    let v = |tag: &str| t.value(&format!("echo_{tag}"));
    assert_eq!(v("texture_method"), Some(2.0));
    assert_eq!(v("texture_bins"), Some(0.0));
    assert_eq!(v("texture_bin_width_setting"), Some(12.5));
    assert_eq!(v("texture_lower_bound_setting"), Some(10.0));
    // intensities 12..=126 from 10 in bins of 12.5: levels 1..=10
    assert_eq!(v("texture_n_levels"), Some(10.0));
    assert_eq!(v("texture_lower_edge"), Some(10.0));
    assert_eq!(v("texture_bin_width"), Some(12.5));
    assert_eq!(v("texture_levels_sum"), Some(fbs_level_sum(12.5, 10.0)));
    assert_eq!(v("histogram_method"), Some(1.0));
    assert_eq!(v("histogram_bins"), Some(7.0));
    assert_eq!(v("histogram_n_levels"), Some(7.0));
    assert_eq!(v("ivh_method"), Some(0.0));
    assert_eq!(v("manifest_has_bin_width_12_5"), Some(1.0));

    // on a response map, the [filters] discretisation
    let with_maps = text.replace(
        "[[plugins]]",
        "[filters]
families = [\"intensity_stats\"]
[filters.discretisation.texture]
method = \"fbn\"
bins = 5
[[filters.maps]]
type = \"mean\"
support = 3
[[plugins]]",
    );
    let s = Settings::from_toml_str(&with_maps, "echo-maps").unwrap();
    let t = run(&s);
    let on = |image_original: bool, tag: &str| {
        t.rows
            .iter()
            .find(|r| r.tag == format!("echo_{tag}") && (r.image == "original") == image_original)
            .unwrap_or_else(|| panic!("echo_{tag}"))
            .value
    };
    assert_eq!(on(true, "texture_bin_width_setting"), Some(12.5));
    assert_eq!(on(false, "texture_method"), Some(1.0));
    assert_eq!(on(false, "texture_bins"), Some(5.0));
    assert_eq!(on(false, "texture_n_levels"), Some(5.0));
    // a [filters.discretisation] section is whole: its histogram is the default FBN 32
    assert_eq!(on(false, "histogram_bins"), Some(32.0));
}

#[test]
fn a_rust_plugin_receives_the_manifest_settings_and_discretisation() {
    let lib = rust_plugin("radx-example-faulty", "radx_example_faulty");
    let text = format!(
        "radx_settings = 1
[features]
families = [\"morphology\", \"intensity_stats\"]
[discretisation.texture]
method = \"fbn\"
bins = 7
[[plugins]]
name = \"faulty\"
path = \"{}\"
sha256 = \"{}\"
[plugins.settings]
mode = \"discretisation\"
",
        lib.display(),
        sha(&lib)
    );
    let s = Settings::from_toml_str(&text, "faulty-discretisation").unwrap();
    let t = run(&s);
    // the settings' bin count, and the ROI's bin width: (126 - 12) / 7
    assert_eq!(t.value("faulty_voxels"), Some(7.0));
    assert_eq!(t.value("faulty_twice_voxels"), Some(114.0 / 7.0));
}
