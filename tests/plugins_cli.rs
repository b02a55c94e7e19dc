//! `radx plugin inspect`, and a manifest-named plugin through `radx features list`,
//! `radx extract`, `radx batch` and `radx stability`: the pin cannot be bypassed through
//! the loader's search path, unpinned code runs only in a child process, and a plugin
//! that cannot be loaded stops the run before any case (exit 2, naming the file).

use std::path::{Path, PathBuf};
use std::process::Command;

fn radx(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn inspect_pin_and_extract_with_a_c_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join(format!(
        "{}roi_stats{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ok = Command::new("cc")
        .args(["-std=c99", "-O2", "-shared", "-fPIC", "-I"])
        .arg(root.join("crates/radx-plugin-sdk/include"))
        .arg("-o")
        .arg(&lib)
        .arg(root.join("plugins/example-c/roi_stats.c"))
        .status()
        .unwrap();
    assert!(ok.success());
    let o = radx(&["plugin", "inspect", lib.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    let hash = radx_io::sha256_file(&lib).unwrap();
    assert!(text.contains(&format!("sha256    {hash}")), "{text}");
    assert!(text.contains("cstats_voxel_count"), "{text}");
    // paste the printed manifest lines into a manifest (relative path: beside it)
    let pinned = text
        .split("# to load it, add to a settings manifest:\n")
        .nth(1)
        .unwrap();
    let pinned = pinned.replace(
        lib.to_str().unwrap(),
        lib.file_name().unwrap().to_str().unwrap(),
    );
    let manifest = dir.path().join("s.toml");
    std::fs::write(
        &manifest,
        format!("radx_settings = 1\n[features]\nfamilies = [\"intensity_stats\"]\n{pinned}"),
    )
    .unwrap();
    let o = radx(&["features", "list", "--settings", manifest.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("roi_stats\tmean"));
    let out = dir.path().join("t.csv");
    let o = radx(&[
        "extract",
        "--phantom",
        "--settings",
        manifest.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.contains(",cstats_voxel_count,1,74.0,"), "{csv}");
    let prov = std::fs::read_to_string(dir.path().join("t.csv.provenance.json")).unwrap();
    assert!(prov.contains(&hash));
    // a rebuilt (different) library is an error of the run: exit 2, nothing written
    std::fs::write(&lib, b"not the same library").unwrap();
    let out2 = dir.path().join("t2.csv");
    let o = radx(&[
        "extract",
        "--phantom",
        "--settings",
        manifest.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("differs from the manifest"), "{err}");
    assert!(err.contains(lib.to_str().unwrap()), "{err}");
    assert!(!out2.exists());
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn dylib(stem: &str) -> String {
    format!(
        "{}{stem}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// Builds a C plugin source (relative to the workspace) into `lib`.
fn build_c(lib: &Path, source: &str, flags: &[&str]) {
    std::fs::create_dir_all(lib.parent().unwrap()).unwrap();
    let ok = Command::new("cc")
        .args(["-std=c99", "-O2", "-shared", "-fPIC", "-I"])
        .arg(root().join("crates/radx-plugin-sdk/include"))
        .args(flags)
        .arg("-o")
        .arg(lib)
        .arg(root().join(source))
        .status()
        .expect("a C compiler (cc) is installed");
    assert!(ok.success(), "building {source}");
}

const ROI_STATS: &str = "plugins/example-c/roi_stats.c";
/// The C example plus a constructor that records the id of the process loading it in
/// the file `$RADX_TEST_MARKER` (or, with `-DRADX_TEST_ABORT`, aborts).
const CONSTRUCTOR: &str = "crates/radx-plugin-host/tests/c/constructor.c";

fn manifest_text(families: &str, name: &str, path: &str, sha: &str) -> String {
    format!(
        "radx_settings = 1\n[features]\nfamilies = [{families}]\n\
         [[plugins]]\nname = \"{name}\"\npath = \"{path}\"\nsha256 = \"{sha}\"\n"
    )
}

fn sha(p: &Path) -> String {
    radx_io::sha256_file(p).unwrap()
}

fn marker_pids(marker: &Path) -> Vec<u32> {
    std::fs::read_to_string(marker)
        .unwrap_or_default()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect()
}

#[test]
fn the_loader_search_path_cannot_replace_a_pinned_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let pinned_dir = dir.path().join("pinned");
    let evil_dir = dir.path().join("evil");
    let pinned = pinned_dir.join(dylib("roi_stats"));
    let evil = evil_dir.join(dylib("roi_stats"));
    build_c(&pinned, ROI_STATS, &[]);
    build_c(&evil, CONSTRUCTOR, &[]);
    let marker = dir.path().join("marker");
    // a bare file name, in a manifest named relative to the current folder
    std::fs::write(
        pinned_dir.join("s.toml"),
        manifest_text(
            "\"intensity_stats\"",
            "roi_stats",
            &dylib("roi_stats"),
            &sha(&pinned),
        ),
    )
    .unwrap();
    let extract = |out: &str| {
        Command::new(env!("CARGO_BIN_EXE_radx"))
            .current_dir(&pinned_dir)
            .env("LD_LIBRARY_PATH", &evil_dir)
            .env("DYLD_LIBRARY_PATH", &evil_dir)
            .env("RADX_TEST_MARKER", &marker)
            .args(["extract", "--phantom", "--settings", "s.toml", "--out", out])
            .output()
            .unwrap()
    };
    let o = extract("t.csv");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        !marker.exists(),
        "the library on LD_LIBRARY_PATH ran instead of the pinned one"
    );
    let csv = std::fs::read_to_string(pinned_dir.join("t.csv")).unwrap();
    assert!(csv.contains(",cstats_voxel_count,1,74.0,"), "{csv}");
    let prov: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(pinned_dir.join("t.csv.provenance.json")).unwrap(),
    )
    .unwrap();
    let rec = prov["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["family"] == "roi_stats")
        .unwrap();
    assert_eq!(rec["sha256"], sha(&pinned).as_str());
    assert_eq!(rec["version"], "1.0.0");
    // the absolute path of the file that was read and hashed
    let abs = std::fs::canonicalize(&pinned_dir)
        .unwrap()
        .join(dylib("roi_stats"));
    assert_eq!(rec["origin"], abs.to_str().unwrap());

    // without the pinned file, the run fails naming it; the other one still never runs
    std::fs::remove_file(&pinned).unwrap();
    let o = extract("t2.csv");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(abs.to_str().unwrap()), "{err}");
    assert!(err.contains("not found"), "{err}");
    assert!(!marker.exists());
    assert!(!pinned_dir.join("t2.csv").exists());
}

#[test]
fn inspect_runs_an_unpinned_library_only_in_a_child_process() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join(dylib("roi_stats_ctor"));
    build_c(&lib, CONSTRUCTOR, &[]);
    let marker = dir.path().join("marker");
    let inspect = |extra: &[&str]| {
        let child = Command::new(env!("CARGO_BIN_EXE_radx"))
            .env("RADX_TEST_MARKER", &marker)
            .args(["plugin", "inspect"])
            .arg(&lib)
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        (pid, child.wait_with_output().unwrap())
    };
    let (main_pid, o) = inspect(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(&format!("sha256    {}", sha(&lib))), "{text}");
    assert!(text.contains("cstats_voxel_count"), "{text}");
    assert!(text.contains("abi       2"), "{text}");
    // the constructor ran once, in another process than the one the user started
    let pids = marker_pids(&marker);
    assert_eq!(pids.len(), 1, "{pids:?}");
    assert_ne!(pids[0], main_pid);

    // pinned with --sha256: checked first, then read in process
    std::fs::remove_file(&marker).unwrap();
    let (main_pid, o) = inspect(&["--sha256", &sha(&lib)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(marker_pids(&marker), vec![main_pid]);
    // a wrong pin: refused before any of its code runs
    std::fs::remove_file(&marker).unwrap();
    let (_, o) = inspect(&["--sha256", &"0".repeat(64)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("differs") && err.contains(lib.to_str().unwrap()),
        "{err}"
    );
    assert!(!marker.exists());
}

#[test]
fn inspect_of_a_library_that_crashes_reports_it_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join(dylib("roi_stats_abort"));
    build_c(&lib, CONSTRUCTOR, &["-DRADX_TEST_ABORT"]);
    let o = radx(&["plugin", "inspect", lib.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(lib.to_str().unwrap()), "{err}");
    assert!(err.contains("crashed the inspection process"), "{err}");
    // a library of another ABI: the child's message comes back, naming the file once
    let old = dir.path().join(dylib("roi_stats_v1"));
    build_c(&old, ROI_STATS, &["-DRADX_TEST_ABI_VERSION=1"]);
    let o = radx(&["plugin", "inspect", old.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("ABI version 1"), "{err}");
    assert_eq!(err.matches(old.to_str().unwrap()).count(), 1, "{err}");
}

/// A one-case cohort (NIfTI image and mask) in `dir`.
fn one_case_cohort(dir: &Path) -> PathBuf {
    use nifti::writer::WriterOptions;
    let img = ndarray::Array3::from_shape_fn((8, 8, 8), |(z, y, x)| (z + 2 * y + 3 * x) as f32);
    let mask = ndarray::Array3::from_shape_fn((8, 8, 8), |(z, y, x)| {
        if (2..6).contains(&z) && (2..6).contains(&y) && (2..6).contains(&x) {
            1.0f32
        } else {
            0.0
        }
    });
    WriterOptions::new(dir.join("img.nii.gz"))
        .write_nifti(&img)
        .unwrap();
    WriterOptions::new(dir.join("mask.nii.gz"))
        .write_nifti(&mask)
        .unwrap();
    let cohort = dir.join("cohort.csv");
    std::fs::write(&cohort, "case_id,image,mask\nc1,img.nii.gz,mask.nii.gz\n").unwrap();
    cohort
}

#[test]
fn a_plugin_that_cannot_load_stops_every_run_before_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let cohort = one_case_cohort(dir.path());
    let lib = dir.path().join(dylib("roi_stats"));
    build_c(&lib, ROI_STATS, &[]);
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        manifest_text(
            "\"intensity_stats\"",
            "roi_stats",
            &dylib("roi_stats"),
            &sha(&lib),
        ),
    )
    .unwrap();
    // the three ways to fail: no file, another hash, another ABI
    let v1 = dir.path().join(dylib("roi_stats_v1"));
    build_c(&v1, ROI_STATS, &["-DRADX_TEST_ABI_VERSION=1"]);
    let cases: [(&str, PathBuf, String, &str); 3] = [
        (
            "missing",
            dir.path().join(dylib("nowhere")),
            "0".repeat(64),
            "not found",
        ),
        (
            "hash",
            lib.clone(),
            "0".repeat(64),
            "differs from the manifest",
        ),
        ("abi", v1.clone(), sha(&v1), "ABI version 1"),
    ];
    let check = |what: &str, o: std::process::Output, file: &Path, expect: &str| {
        assert_eq!(o.status.code(), Some(2), "{what}: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(file.to_str().unwrap()), "{what}: {err}");
        assert!(err.contains(expect), "{what}: {err}");
        assert!(err.contains("plugin `roi_stats`"), "{what}: {err}");
    };
    for (what, file, hash, expect) in &cases {
        let settings = dir.path().join(format!("{what}.toml"));
        std::fs::write(
            &settings,
            manifest_text(
                "\"intensity_stats\"",
                "roi_stats",
                file.file_name().unwrap().to_str().unwrap(),
                hash,
            ),
        )
        .unwrap();
        let s = settings.to_str().unwrap();
        let out = dir.path().join(format!("{what}-extract.csv"));
        let o = radx(&[
            "extract",
            "--phantom",
            "--settings",
            s,
            "--out",
            out.to_str().unwrap(),
        ]);
        check(what, o, file, expect);
        assert!(!out.exists());

        let out = dir.path().join(format!("{what}-batch"));
        let o = radx(&[
            "batch",
            "--cohort",
            cohort.to_str().unwrap(),
            "--settings",
            s,
            "--out",
            out.to_str().unwrap(),
        ]);
        check(what, o, file, expect);
        assert!(!out.join("features.csv").exists());
        assert!(!out.join("cases").exists());

        let out = dir.path().join(format!("{what}-stability"));
        let o = radx(&[
            "stability",
            "--cohort",
            cohort.to_str().unwrap(),
            "--settings",
            s,
            "--perturb",
            "noise",
            "--perturbations",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        check(what, o, file, expect);
        assert!(!out.join("stability.json").exists());

        for args in [
            vec!["settings", "check", s],
            vec!["features", "list", "--settings", s],
        ] {
            check(what, radx(&args), file, expect);
        }
    }
    // and the good manifest runs the case with the plugin's values
    let out = dir.path().join("good-batch");
    let o = radx(&[
        "batch",
        "--cohort",
        cohort.to_str().unwrap(),
        "--settings",
        good.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("features.csv")).unwrap();
    assert!(csv.contains(",cstats_voxel_count,1,64.0,"), "{csv}");
}
