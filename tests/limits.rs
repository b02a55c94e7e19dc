//! Resource limits end to end (issue 15, item 3): settings and inputs that asked for
//! unbounded allocations (and aborted radx with SIGABRT, or took 84 s to fail) are refused
//! with an error naming the setting, the size it needs and the limit; `settings check`
//! refuses what it can judge without data; inside a batch such a case is that case's error
//! and the others finish.
//!
//! Every command runs as a child process under an address-space limit of 1 GiB (`ulimit
//! -v`), so that a regression shows as a failed assertion (an abort, exit 134) rather than
//! as a test process eating the machine's memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use ndarray::Array3;
use nifti::writer::WriterOptions;

/// Address space allowed to radx, in KiB (1 GiB).
const ADDRESS_SPACE_KIB: u64 = 1 << 20;

/// Runs radx with `args` in `dir` under the address-space limit; returns its output and
/// how long it took.
fn radx_in(dir: &Path, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("sh runs radx");
    (out, start.elapsed())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Asserts a clean error exit (status 2, not a signal) whose message names every part of
/// `parts`.
fn assert_refused(o: &Output, parts: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "status {:?}: {e}", o.status);
    for p in parts {
        assert!(e.contains(p), "`{p}` missing from: {e}");
    }
    assert!(!e.contains("panicked"), "{e}");
}

/// Writes a float32 NIfTI volume given in (z, y, x) order (1 mm voxels).
fn write_nifti(path: &Path, data_zyx: &Array3<f32>) {
    let xyz = data_zyx.clone().permuted_axes([2, 1, 0]);
    WriterOptions::new(path).write_nifti(&xyz).unwrap();
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// A 20 x 40 x 40 (z, y, x) image with intensities -100..99 (HU-like) and a second one
    /// with intensities spread over 0..199000, both with a 10 x 20 x 20 ROI.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let shape = (20, 40, 40);
        let pattern = |z: usize, y: usize, x: usize| ((x * 7 + y * 13 + z * 29) % 200) as f32;
        write_nifti(
            &dir.path().join("img.nii.gz"),
            &Array3::from_shape_fn(shape, |(z, y, x)| pattern(z, y, x) - 100.0),
        );
        write_nifti(
            &dir.path().join("wide.nii.gz"),
            &Array3::from_shape_fn(shape, |(z, y, x)| pattern(z, y, x) * 1000.0),
        );
        write_nifti(
            &dir.path().join("mask.nii.gz"),
            &Array3::from_shape_fn(shape, |(z, y, x)| {
                ((5..15).contains(&z) && (10..30).contains(&y) && (10..30).contains(&x)) as u8
                    as f32
            }),
        );
        Fixture { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a settings manifest `name` (the schema line is added).
    fn settings(&self, name: &str, body: &str) -> String {
        std::fs::write(self.path(name), format!("radx_settings = 1\n{body}")).unwrap();
        name.to_string()
    }

    fn run(&self, args: &[&str]) -> (Output, Duration) {
        radx_in(self.dir.path(), args)
    }

    fn extract(&self, image: &str, settings: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "extract",
            "-i",
            image,
            "-m",
            "mask.nii.gz",
            "-s",
            settings,
            "-o",
            "out.csv",
            "--threads",
            "2",
        ];
        args.extend_from_slice(extra);
        self.run(&args).0
    }
}

#[test]
fn settings_check_refuses_bins_beyond_the_limits() {
    let f = Fixture::new();
    let texture = f.settings(
        "fbn.toml",
        "[discretisation.texture]\nmethod = \"fbn\"\nbins = 1000000000\n",
    );
    let (o, _) = f.run(&["settings", "check", &texture]);
    assert_refused(
        &o,
        &[
            "fbn.toml",
            "discretisation.texture.bins = 1000000000",
            "needs 1000000000 grey levels",
            "limit of 65536 grey levels",
            "limits.max_grey_levels",
        ],
    );
    let histogram = f.settings(
        "hist.toml",
        "[discretisation.histogram]\nmethod = \"fbn\"\nbins = 1000000000\n",
    );
    let (o, _) = f.run(&["settings", "check", &histogram]);
    assert_refused(
        &o,
        &[
            "hist.toml",
            "discretisation.histogram.bins = 1000000000",
            "limits.max_histogram_bins",
        ],
    );
    // The same manifests are refused by extract before any input is read.
    let o = f.extract("img.nii.gz", &texture, &[]);
    assert_refused(
        &o,
        &["discretisation.texture.bins", "limits.max_grey_levels"],
    );
    // Raised in [limits] or with --limit, they are valid (and keep their settings id).
    let raised = f.settings(
        "raised.toml",
        "[discretisation.texture]\nmethod = \"fbn\"\nbins = 1000000000\n[limits]\nmax_grey_levels = 1000000000\n",
    );
    let (o, _) = f.run(&["settings", "check", &raised]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (o2, _) = f.run(&[
        "settings",
        "check",
        &texture,
        "--limit",
        "max_grey_levels=1000000000",
    ]);
    assert_eq!(o2.status.code(), Some(0), "{}", stderr(&o2));
    let id = |o: &Output| {
        let s = String::from_utf8_lossy(&o.stdout).to_string();
        s.split("settings id ")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(id(&o), id(&o2));
    assert!(!id(&o).is_empty());
    // `settings show` prints the raised limit after the canonical form, outside the id.
    let (o3, _) = f.run(&["settings", "show", "-s", &raised]);
    let shown = String::from_utf8_lossy(&o3.stdout).to_string();
    assert!(
        shown.contains(&format!("# settings id: {}", id(&o)))
            && shown.ends_with("[limits]\nmax_grey_levels = 1000000000\n"),
        "{shown}"
    );
    // A mistyped limit is named.
    let (o, _) = f.run(&["settings", "check", &texture, "--limit", "max_grey_level=5"]);
    assert_refused(&o, &["max_grey_level", "max_grey_levels"]);
}

#[test]
fn settings_check_refuses_an_absurd_spacing_and_extract_an_oversized_grid() {
    let f = Fixture::new();
    let tiny = f.settings(
        "tiny.toml",
        "[interpolation]\nspacing_mm = [0.001, 0.001, 0.001]\n",
    );
    let (o, _) = f.run(&["settings", "check", &tiny]);
    assert_refused(
        &o,
        &[
            "tiny.toml",
            "interpolation.spacing_mm",
            "limits.min_spacing_mm",
        ],
    );
    // 0.05 mm cannot be judged without the image: valid for settings check, refused at
    // extraction before the grid is allocated (it aborted radx, asking for 2 GB).
    let fine = f.settings(
        "fine.toml",
        "[interpolation]\nspacing_mm = [0.05, 0.05, 0.05]\n",
    );
    let (o, _) = f.run(&["settings", "check", &fine]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = f.extract("img.nii.gz", &fine, &[]);
    assert_refused(
        &o,
        &[
            "img.nii.gz",
            "interpolation.spacing_mm = [0.05, 0.05, 0.05]",
            "800 x 800 x 400 voxels",
            "needs 256000000 voxels",
            "limits.max_image_voxels",
        ],
    );
    // With the grid limit lowered, the whole interpolation grid is what is refused.
    let o = f.extract("img.nii.gz", &fine, &["--limit", "max_grid_voxels=1000000"]);
    assert_refused(
        &o,
        &[
            "an interpolation grid of 800 x 800 x 400 voxels",
            "limits.max_grid_voxels",
        ],
    );
}

#[test]
fn a_fixed_bin_size_is_checked_against_the_intensity_range_at_extraction() {
    let f = Fixture::new();
    let fbs = f.settings(
        "fbs.toml",
        "[discretisation.texture]\nmethod = \"fbs\"\nbin_width = 1e-9\n",
    );
    let (o, _) = f.run(&["settings", "check", &fbs]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // It asked for 288 GB in the NGTDM and aborted.
    let o = f.extract("img.nii.gz", &fbs, &[]);
    assert_refused(
        &o,
        &[
            "img.nii.gz",
            "discretisation.texture.bin_width = 1e-9",
            "-100..99",
            "needs 199000000001 grey levels",
            "limits.max_grey_levels",
        ],
    );
    assert!(!f.path("out.csv").exists());
    // A width that fits is extracted; one just beyond the limit is refused until raised.
    let unit = f.settings(
        "unit.toml",
        "[discretisation.texture]\nmethod = \"fbs\"\nbin_width = 1.0\n",
    );
    let o = f.extract("img.nii.gz", &unit, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = f.extract("wide.nii.gz", &unit, &[]);
    assert_refused(&o, &["needs 199001 grey levels", "limits.max_grey_levels"]);
    let o = f.extract("wide.nii.gz", &unit, &["--limit", "max_grey_levels=200000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn threads_and_perturbations_are_bounded_before_anything_starts() {
    let f = Fixture::new();
    let plain = f.settings("plain.toml", "");
    // A pool of 100000 threads took 84 s to fail.
    let (o, took) = f.run(&[
        "extract",
        "-i",
        "img.nii.gz",
        "-m",
        "mask.nii.gz",
        "-s",
        &plain,
        "--threads",
        "100000",
    ]);
    assert_refused(
        &o,
        &[
            "--threads 100000",
            "limit of 256 threads",
            "limits.max_threads",
        ],
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    // A billion perturbations: the conditions alone did not fit in memory (SIGABRT).
    std::fs::write(
        f.path("cohort.csv"),
        "case_id,image,mask\nc1,img.nii.gz,mask.nii.gz\n",
    )
    .unwrap();
    let (o, took) = f.run(&[
        "stability",
        "--cohort",
        "cohort.csv",
        "-s",
        &plain,
        "--perturb",
        "noise",
        "--perturbations",
        "1000000000",
        "-o",
        "st",
        "--threads",
        "2",
    ]);
    assert_refused(
        &o,
        &[
            "--perturbations 1000000000",
            "needs 1000000001 conditions",
            "limits.max_conditions",
        ],
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    // A settings grid of 10^8 points likewise.
    let values = (1..=100)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut args = vec![
        "stability".to_string(),
        "--cohort".into(),
        "cohort.csv".into(),
        "-s".into(),
        plain.clone(),
        "-o".into(),
        "st".into(),
    ];
    for key in [
        "texture.glcm_distance",
        "texture.ngtdm_distance",
        "texture.ngldm_distance",
        "texture.zone_linkage_distance",
    ] {
        args.push("--vary".into());
        args.push(format!("{key}={values}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (o, _) = f.run(&args);
    assert_refused(
        &o,
        &["100 x 100 x 100 x 100 points", "needs 100000000 conditions"],
    );
}

#[test]
fn a_case_beyond_a_limit_fails_alone_in_a_batch_and_reruns_with_the_limit_raised() {
    let f = Fixture::new();
    std::fs::write(
        f.path("cohort.csv"),
        "case_id,image,mask\nc1,img.nii.gz,mask.nii.gz\nc2,wide.nii.gz,mask.nii.gz\nc3,img.nii.gz,mask.nii.gz\n",
    )
    .unwrap();
    // Unit bins: 200 grey levels for c1 and c3, 199001 for c2.
    let unit = f.settings(
        "unit.toml",
        "[discretisation.texture]\nmethod = \"fbs\"\nbin_width = 1.0\n",
    );
    let batch = |extra: &[&str]| {
        let mut args = vec![
            "batch",
            "--cohort",
            "cohort.csv",
            "-s",
            &unit,
            "-o",
            "out",
            "--threads",
            "2",
        ];
        args.extend_from_slice(extra);
        f.run(&args).0
    };
    let o = batch(&[]);
    let e = stderr(&o);
    // One failed case: exit 1 (the batch rules), never an abort.
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("c2: FAILED at process") && e.contains("limits.max_grey_levels"),
        "{e}"
    );
    for c in ["c1", "c3"] {
        assert!(f.path(&format!("out/cases/{c}.csv")).is_file(), "{c}: {e}");
    }
    let record = std::fs::read_to_string(f.path("out/errors/c2.json")).unwrap();
    assert!(
        record.contains("needs 199001 grey levels") && record.contains("max_grey_levels"),
        "{record}"
    );
    let table = std::fs::read_to_string(f.path("out/features.csv")).unwrap();
    assert!(table.contains("c1,") && table.contains("c3,") && !table.contains("c2,"));
    // Raising the limit keeps the settings id: the finished cases are kept, c2 runs.
    let o = batch(&["--limit", "max_grey_levels=200000"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert!(
        e.contains("1 computed, 2 kept from an earlier run, 0 failed"),
        "{e}"
    );
    assert!(f.path("out/cases/c2.csv").is_file());
}
