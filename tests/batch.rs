//! `radx batch` and `radx merge`: bad cases do not sink the batch, a killed batch resumes
//! to the same table, shards merge to the unsharded table byte for byte, and the table
//! does not depend on the thread count.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ndarray::Array3;
use nifti::writer::WriterOptions;

fn radx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_radx"))
}

fn run(args: &[&str]) -> Output {
    radx().args(args).output().unwrap()
}

fn write_nifti(path: &Path, zyx: &Array3<f32>) {
    let xyz = zyx.clone().permuted_axes([2, 1, 0]);
    WriterOptions::new(path).write_nifti(&xyz).unwrap();
}

const SETTINGS: &str =
    "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 16\n\
[discretisation.texture]\nmethod = \"fbn\"\nbins = 16\n";

/// `n` small synthetic cases (varied shapes and intensities) and the settings file.
fn cohort(dir: &Path, n: usize) -> Vec<String> {
    let mut lines = vec!["case_id,image,mask".to_string()];
    for i in 0..n {
        let size = 10 + (i % 4);
        let img = Array3::from_shape_fn((size, size, size), |(z, y, x)| {
            ((z * 31 + y * 17 + x * 7 + i * 13) % 50) as f32 + (i as f32)
        });
        let r = 2 + (i % 3) as isize;
        let c = (size / 2) as isize;
        let mask = Array3::from_shape_fn((size, size, size), |(z, y, x)| {
            let d = (z as isize - c).pow(2) + (y as isize - c).pow(2) + (x as isize - c).pow(2);
            if d <= r * r {
                1.0f32
            } else {
                0.0
            }
        });
        write_nifti(&dir.join(format!("img{i}.nii.gz")), &img);
        write_nifti(&dir.join(format!("mask{i}.nii.gz")), &mask);
        lines.push(format!("case{i:02},img{i}.nii.gz,mask{i}.nii.gz"));
    }
    std::fs::write(dir.join("settings.toml"), SETTINGS).unwrap();
    lines
}

fn write_cohort(dir: &Path, name: &str, lines: &[String]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p.display().to_string()
}

fn batch(cohort: &str, out: &Path, settings: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "batch",
        "--cohort",
        cohort,
        "--settings",
        settings.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn read(p: PathBuf) -> String {
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn bad_cases_get_error_records_and_the_rest_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lines = cohort(d, 4);
    // corrupt image, missing file, empty mask
    std::fs::write(d.join("corrupt.nii.gz"), b"\x1f\x8b\x08\x00garbage").unwrap();
    write_nifti(&d.join("empty.nii.gz"), &Array3::zeros((10, 10, 10)));
    lines.push("bad_corrupt,corrupt.nii.gz,mask0.nii.gz".into());
    lines.push("bad_missing,nothere.nii.gz,mask0.nii.gz".into());
    lines.push("bad_empty,img0.nii.gz,empty.nii.gz".into());
    let c = write_cohort(d, "cohort.csv", &lines);
    let out = d.join("out");
    let o = batch(&c, &out, &d.join("settings.toml"), &["--threads", "2"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "some cases failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    for (case, needle) in [
        ("bad_corrupt", "corrupt.nii.gz"),
        ("bad_missing", "nothere.nii.gz"),
        ("bad_empty", "empty.nii.gz"),
    ] {
        let rec: serde_json::Value =
            serde_json::from_str(&read(out.join(format!("errors/{case}.json")))).unwrap();
        assert_eq!(rec["case"], case);
        assert_eq!(rec["stage"], "read");
        assert!(rec["message"].as_str().unwrap().contains(needle), "{rec}");
        assert!(!out.join(format!("cases/{case}.csv")).exists());
    }
    // each good case equals a single-case extraction
    for i in 0..4 {
        let single = d.join(format!("single{i}.csv"));
        let o = run(&[
            "extract",
            "--image",
            d.join(format!("img{i}.nii.gz")).to_str().unwrap(),
            "--mask",
            d.join(format!("mask{i}.nii.gz")).to_str().unwrap(),
            "--settings",
            d.join("settings.toml").to_str().unwrap(),
            "--case",
            &format!("case{i:02}"),
            "--out",
            single.to_str().unwrap(),
        ]);
        assert!(o.status.success());
        assert_eq!(
            read(single),
            read(out.join(format!("cases/case{i:02}.csv")))
        );
    }
    let table = read(out.join("features.csv"));
    assert!(table.lines().count() > 4 * 100);
    assert!(!table.contains("bad_"));
}

#[test]
fn shards_merge_to_the_unsharded_table_and_threads_do_not_matter() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = cohort(d, 7);
    let c = write_cohort(d, "cohort.csv", &lines);
    let s = d.join("settings.toml");
    let whole = d.join("whole");
    assert!(batch(&c, &whole, &s, &["--threads", "1"]).status.success());
    let two = d.join("two");
    assert!(batch(&c, &two, &s, &["--threads", "2"]).status.success());
    let reference = read(whole.join("features.csv"));
    assert_eq!(reference, read(two.join("features.csv")));
    let mut shard_dirs = Vec::new();
    for i in 1..=3 {
        let sd = d.join(format!("shard{i}"));
        let o = batch(&c, &sd, &s, &["--shard", &format!("{i}/3")]);
        assert!(o.status.success());
        shard_dirs.push(sd.display().to_string());
    }
    let merged = d.join("merged.csv");
    let mut args = vec!["merge"];
    args.extend(shard_dirs.iter().map(|s| s.as_str()));
    args.extend(["--out", merged.to_str().unwrap()]);
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(reference, read(merged));
}

#[test]
fn a_killed_batch_resumes_to_the_same_table() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 40;
    let lines = cohort(d, n);
    let c = write_cohort(d, "cohort.csv", &lines);
    let s = d.join("settings.toml");
    let reference_dir = d.join("reference");
    assert!(batch(&c, &reference_dir, &s, &["--threads", "1"])
        .status
        .success());

    let out = d.join("interrupted");
    let mut child = radx()
        .args([
            "batch",
            "--cohort",
            &c,
            "--settings",
            s.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            "1",
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let finished = |o: &Path| {
        std::fs::read_dir(o.join("cases"))
            .map(|r| {
                r.flatten()
                    .filter(|e| e.path().to_string_lossy().ends_with(".provenance.json"))
                    .count()
            })
            .unwrap_or(0)
    };
    while finished(&out) < 3 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = finished(&out);
    assert!(before >= 3, "some cases finished before the kill");
    assert!(
        before < n,
        "the kill came after the last case; make the cases slower"
    );
    // resume
    let o = batch(&c, &out, &s, &["--threads", "2"]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{before} kept from an earlier run")),
        "{err}"
    );
    assert_eq!(
        read(reference_dir.join("features.csv")),
        read(out.join("features.csv"))
    );
}

#[test]
fn cohort_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let c = write_cohort(
        d,
        "dup.csv",
        &["case_id,image,mask".into(), "a,x,y".into(), "a,x,y".into()],
    );
    std::fs::write(d.join("s.toml"), SETTINGS).unwrap();
    let o = batch(&c, &d.join("o"), &d.join("s.toml"), &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("dup.csv") && e.contains("line 3") && e.contains("repeats"),
        "{e}"
    );
}

/// Every family, on a small texture discretisation, after interpolation to 1 mm (the
/// cases' own spacing).
const SMALL: &str = "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 8\n\
[discretisation.texture]\nmethod = \"fbn\"\nbins = 8\n\
[interpolation]\nspacing_mm = [1.0, 1.0, 1.0]\n";

/// Writes `zyx` as NIfTI with cubic voxels of `spacing_mm`.
fn write_nifti_spaced(path: &Path, zyx: &Array3<f32>, spacing_mm: f32) {
    // no sform or qform: the geometry is the pixdim
    let header = nifti::NiftiHeader {
        pixdim: [1.0, spacing_mm, spacing_mm, spacing_mm, 1.0, 1.0, 1.0, 1.0],
        sform_code: 0,
        qform_code: 0,
        ..Default::default()
    };
    let xyz = zyx.clone().permuted_axes([2, 1, 0]);
    WriterOptions::new(path)
        .reference_header(&header)
        .write_nifti(&xyz)
        .unwrap();
}

/// `n` small cases (40³ images, a ball of radius 12..13; about 10 ms each) and the
/// small settings file.
fn tiny_cohort(dir: &Path, n: usize) -> Vec<String> {
    let mut lines = vec!["case_id,image,mask,label".to_string()];
    for i in 0..n {
        let img = Array3::from_shape_fn((40, 40, 40), |(z, y, x)| {
            ((z * 31 + y * 17 + x * 7 + i * 13) % 40) as f32
        });
        let r = 12 + (i % 2) as isize;
        let mask = Array3::from_shape_fn((40, 40, 40), |(z, y, x)| {
            let d = (z as isize - 20).pow(2) + (y as isize - 20).pow(2) + (x as isize - 20).pow(2);
            f32::from(u8::from(d <= r * r))
        });
        write_nifti(&dir.join(format!("img{i}.nii.gz")), &img);
        write_nifti(&dir.join(format!("mask{i}.nii.gz")), &mask);
        lines.push(format!("case{i:02},img{i}.nii.gz,mask{i}.nii.gz,"));
    }
    std::fs::write(dir.join("small.toml"), SMALL).unwrap();
    lines
}

/// Every file under a folder, relative path -> bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn count(dir: &Path, suffix: &str) -> usize {
    std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
                .count()
        })
        .unwrap_or(0)
}

/// The 60-case acceptance run of issue 15: 6 broken cases (one panics through the
/// hidden test hook `--debug-panic-case`; one has 50 mm voxels, so its 1 mm interpolation
/// grid exceeds the voxel limit), 54 tables, 6 error records, exit 1; a run killed with
/// SIGKILL and resumed ends byte-identical to an uninterrupted one.
#[test]
fn sixty_cases_six_broken_exit_1_and_a_killed_run_resumes_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lines = tiny_cohort(d, 54);
    std::fs::write(d.join("corrupt.nii.gz"), b"\x1f\x8b\x08\x00garbage").unwrap();
    write_nifti(&d.join("empty.nii.gz"), &Array3::zeros((40, 40, 40)));
    write_nifti(&d.join("small_mask.nii.gz"), &Array3::ones((5, 5, 5)));
    // 40³ voxels of 50 mm: 2000 mm a side, 8e9 voxels at 1 mm
    write_nifti_spaced(&d.join("coarse.nii.gz"), &Array3::ones((40, 40, 40)), 50.0);
    write_nifti_spaced(
        &d.join("coarse_mask.nii.gz"),
        &Array3::ones((40, 40, 40)),
        50.0,
    );
    lines.push("bad1_corrupt,corrupt.nii.gz,mask0.nii.gz,".into());
    lines.push("bad2_missing,nothere.nii.gz,mask0.nii.gz,".into());
    lines.push("bad3_empty,img0.nii.gz,empty.nii.gz,".into());
    lines.push("bad4_grid,img0.nii.gz,small_mask.nii.gz,".into());
    lines.push("bad5_grid_limit,coarse.nii.gz,coarse_mask.nii.gz,".into());
    lines.push("bad6_panics,img1.nii.gz,mask1.nii.gz,".into());
    let c = write_cohort(d, "cohort.csv", &lines);
    let s = d.join("small.toml");
    let hook = ["--threads", "1", "--debug-panic-case", "bad6_panics"];

    let start = Instant::now();
    let whole = d.join("whole");
    let o = batch(&c, &whole, &s, &hook);
    let uninterrupted = start.elapsed();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(count(&whole.join("cases"), ".csv"), 54);
    assert_eq!(count(&whole.join("cases"), ".provenance.json"), 54);
    assert_eq!(count(&whole.join("errors"), ".json"), 6);
    assert!(err.contains("60 cases: 54 computed"), "{err}");
    assert!(err.contains("6 failed cases, error records in"), "{err}");
    assert!(
        err.contains("bad6_panics") && err.contains("1 internal errors"),
        "{err}"
    );
    let panic: serde_json::Value =
        serde_json::from_str(&read(whole.join("errors/bad6_panics.json"))).unwrap();
    assert_eq!(panic["stage"], "process");
    assert_eq!(panic["internal"], true);
    assert!(panic["message"]
        .as_str()
        .unwrap()
        .starts_with("internal error: please report"));
    for (case, stage) in [
        ("bad1_corrupt", "read"),
        ("bad2_missing", "read"),
        ("bad3_empty", "read"),
        ("bad4_grid", "read"),
        ("bad5_grid_limit", "process"),
    ] {
        let rec: serde_json::Value =
            serde_json::from_str(&read(whole.join(format!("errors/{case}.json")))).unwrap();
        assert_eq!(rec["stage"], stage, "{case}: {rec}");
        assert!(rec.get("internal").is_none(), "{case}");
    }
    let limit = read(whole.join("errors/bad5_grid_limit.json"));
    assert!(limit.contains("limits.max_"), "{limit}");
    let table = read(whole.join("features.csv"));
    assert!(!table.contains("bad"));
    let manifest: serde_json::Value =
        serde_json::from_str(&read(whole.join("batch.json"))).unwrap();
    assert_eq!(manifest["cases"].as_array().unwrap().len(), 60);
    assert!(manifest["build"]["commit"].as_str().is_some());

    // Killed mid-run with SIGKILL, then resumed.
    let out = d.join("interrupted");
    let mut args = vec![
        "batch".to_string(),
        "--cohort".into(),
        c.clone(),
        "--settings".into(),
        s.display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    args.extend(hook.iter().map(|a| a.to_string()));
    let mut child = radx().args(&args).stderr(Stdio::null()).spawn().unwrap();
    let t0 = Instant::now();
    while count(&out.join("cases"), ".provenance.json") < 10
        && t0.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = count(&out.join("cases"), ".provenance.json");
    assert!((10..54).contains(&before), "killed after {before} cases");
    let start = Instant::now();
    let o = batch(&c, &out, &s, &hook);
    let resumed = start.elapsed();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("{before} kept from an earlier run")),
        "{err}"
    );
    assert_eq!(
        tree(&out),
        tree(&whole),
        "the resumed folder equals the uninterrupted one"
    );
    eprintln!(
        "60 cases: uninterrupted {:.2} s, resumed after {before} cases {:.2} s",
        uninterrupted.as_secs_f64(),
        resumed.as_secs_f64()
    );
}

/// A record from another build: simulated by rewriting the build identity stored in
/// each case's provenance (a different commit), as a newer radx would find it.
#[test]
fn a_batch_resumed_by_another_build_recomputes_every_case_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = tiny_cohort(d, 5);
    let c = write_cohort(d, "cohort.csv", &lines);
    let s = d.join("small.toml");
    let out = d.join("out");
    assert!(batch(&c, &out, &s, &[]).status.success());
    let reference = read(out.join("features.csv"));
    for i in 0..5 {
        let p = out.join(format!("cases/case{i:02}.provenance.json"));
        let mut v: serde_json::Value = serde_json::from_str(&read(p.clone())).unwrap();
        v["build"]["commit"] = serde_json::Value::String("0123456789".repeat(4));
        std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    }
    let o = batch(&c, &out, &s, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("5 computed (5 recomputed: 5 changed build), 0 kept"),
        "{err}"
    );
    assert!(err.contains("recomputed (changed build)"), "{err}");
    assert_eq!(read(out.join("features.csv")), reference);
    // ...and the records carry this build again: a further run keeps everything.
    let err = String::from_utf8_lossy(&batch(&c, &out, &s, &[]).stderr).to_string();
    assert!(
        err.contains("0 computed, 5 kept from an earlier run"),
        "{err}"
    );
}

#[test]
fn a_truncated_case_table_is_recomputed_never_merged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = tiny_cohort(d, 4);
    let c = write_cohort(d, "cohort.csv", &lines);
    let s = d.join("small.toml");
    let out = d.join("out");
    assert!(batch(&c, &out, &s, &[]).status.success());
    let reference = read(out.join("features.csv"));
    let t = out.join("cases/case02.csv");
    let full = read(t.clone());
    std::fs::write(&t, &full[..full.len() * 2 / 3]).unwrap();
    // merge refuses it
    let o = run(&[
        "merge",
        out.to_str().unwrap(),
        "--out",
        d.join("m.csv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("case02.csv") && err.contains("cut short"),
        "{err}"
    );
    // batch recomputes it
    let o = batch(&c, &out, &s, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("1 recomputed: 1 damaged table"), "{err}");
    assert_eq!(read(t), full);
    assert_eq!(read(out.join("features.csv")), reference);
}

#[test]
fn other_settings_or_cohort_into_a_folder_need_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = tiny_cohort(d, 4);
    let c = write_cohort(d, "cohort.csv", &lines);
    let s = d.join("small.toml");
    let out = d.join("out");
    assert!(batch(&c, &out, &s, &[]).status.success());
    std::fs::write(d.join("other.toml"), SMALL.replace("bins = 8", "bins = 4")).unwrap();
    let other = d.join("other.toml");
    let o = batch(&c, &out, &other, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("settings id") && err.contains("--overwrite"),
        "{err}"
    );
    assert_eq!(count(&out.join("cases"), ".csv"), 4, "nothing was touched");
    // a smaller cohort
    let smaller = write_cohort(d, "smaller.csv", &lines[..3]);
    let o = batch(&smaller, &out, &s, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("another set of cases"));
    // --overwrite: the folder is this run's; features.csv holds one settings id, 2 cases
    let o = batch(&smaller, &out, &other, &["--overwrite"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(count(&out.join("cases"), ".csv"), 2);
    let table = read(out.join("features.csv"));
    assert!(table.contains("\ncase01,") && !table.contains("\ncase03,"));
    let id = radx_core::Settings::from_file(&other).unwrap().id();
    for case in ["case00", "case01"] {
        let p: serde_json::Value =
            serde_json::from_str(&read(out.join(format!("cases/{case}.provenance.json")))).unwrap();
        assert_eq!(p["settings_id"], id.as_str());
    }
    // merging folders of two settings ids is refused
    let first = d.join("first");
    assert!(batch(&c, &first, &s, &[]).status.success());
    let o = run(&[
        "merge",
        out.to_str().unwrap(),
        first.to_str().unwrap(),
        "--out",
        d.join("m.csv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("settings id") || err.contains("more than one folder"),
        "{err}"
    );
}

/// Runs radx under `sh` with a file-size limit (in 512-byte blocks, `ulimit -f`) and
/// SIGXFSZ ignored, so that writes beyond it fail with EFBIG, as on a full disk.
#[cfg(unix)]
fn radx_with_file_limit(blocks: u32, args: &[&str]) -> Output {
    let mut script = format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$0\"");
    for i in 0..args.len() {
        script.push_str(&format!(" \"${}\"", i + 1));
    }
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn an_unwritable_folder_stops_the_batch_before_any_case_and_failed_writes_leave_no_tmp() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = tiny_cohort(d, 3);
    let c = write_cohort(d, "cohort.csv", &lines);
    let s = d.join("small.toml");
    let args = |out: &Path| {
        vec![
            "batch".to_string(),
            "--cohort".into(),
            c.clone(),
            "--settings".into(),
            s.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    // Nothing can be written: refused at once, exit 2, no case run.
    let out = d.join("full");
    let a = args(&out);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = radx_with_file_limit(0, &a);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot write here"), "{err}");
    assert!(!err.contains("case00"), "no case ran: {err}");
    // Small files fit, case tables do not: every case fails at `write`, exit 1, and no
    // temporary file is left anywhere.
    let out = d.join("nearly_full");
    let a = args(&out);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = radx_with_file_limit(8, &a);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for i in 0..3 {
        let rec: serde_json::Value =
            serde_json::from_str(&read(out.join(format!("errors/case{i:02}.json")))).unwrap();
        assert_eq!(rec["stage"], "write", "{rec}");
    }
    let tmp: Vec<String> = tree(&out)
        .into_keys()
        .filter(|k| k.ends_with(".tmp"))
        .collect();
    assert!(tmp.is_empty(), "{tmp:?}");
    assert_eq!(count(&out.join("cases"), ".csv"), 0);
}

#[test]
fn stability_exit_codes_are_0_1_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lines = tiny_cohort(d, 3);
    let c = write_cohort(d, "good.csv", &lines);
    let s = d.join("small.toml");
    let stability = |cohort: &str, out: &str| {
        run(&[
            "stability",
            "--cohort",
            cohort,
            "--settings",
            s.to_str().unwrap(),
            "--vary",
            "discretisation.texture.bins=4,8",
            "--out",
            d.join(out).to_str().unwrap(),
        ])
    };
    let o = stability(&c, "good");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    lines.push("bad,nothere.nii.gz,mask0.nii.gz,".into());
    lines.push("bad2,img0.nii.gz,mask0.nii.gz,9".into());
    let c = write_cohort(d, "bad.csv", &lines);
    let o = stability(&c, "bad");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(1),
        "two failed cases -> 1, not 4: {err}"
    );
    assert!(err.contains("4 failed"), "{err}");
    let o = stability(d.join("nope.csv").to_str().unwrap(), "nope");
    assert_eq!(o.status.code(), Some(2));
}

/// `radx batch --shard auto` with a scheduler's variables (as in a SLURM array task and a
/// Kubernetes indexed Job), and without any (a clear refusal, exit 2).
fn batch_in_env(cohort: &str, out: &Path, settings: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = radx();
    cmd.args([
        "batch",
        "--cohort",
        cohort,
        "--settings",
        settings.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--shard",
        "auto",
    ]);
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
        "SLURM_ARRAY_TASK_STEP",
        "SLURM_ARRAY_JOB_ID",
        "SLURM_JOB_ID",
        "JOB_COMPLETION_INDEX",
        "RADX_SHARD_COUNT",
    ] {
        cmd.env_remove(v);
    }
    cmd.envs(env.iter().copied());
    cmd.output().unwrap()
}

#[test]
fn shard_auto_takes_the_scheduler_task_records_it_and_merges_to_the_unsharded_table() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let lines = cohort(d, 7);
    let c = write_cohort(d, "cohort.csv", &lines);
    let settings = d.join("settings.toml");
    let plain = batch(&c, &d.join("plain"), &settings, &[]);
    assert!(plain.status.success(), "{plain:?}");
    let err = String::from_utf8_lossy(&plain.stderr);
    assert!(
        err.contains("radx: peak memory ") && err.contains("reached with case case"),
        "{err}"
    );
    for r in std::fs::read_dir(d.join("plain/cases")).unwrap().flatten() {
        if r.file_name()
            .to_string_lossy()
            .ends_with(".provenance.json")
        {
            assert!(
                !read(r.path()).contains("\"scheduler\""),
                "no scheduler key without one"
            );
        }
    }

    // A SLURM array --array=0-2 (starting at 0): tasks 0, 1, 2 are shards 1, 2, 3.
    let mut dirs = Vec::new();
    for id in 0..3 {
        let out = d.join(format!("slurm-{id}"));
        let o = batch_in_env(
            &c,
            &out,
            &settings,
            &[
                ("SLURM_ARRAY_TASK_ID", &id.to_string()),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("SLURM_ARRAY_TASK_MAX", "2"),
                ("SLURM_ARRAY_TASK_STEP", "1"),
                ("SLURM_ARRAY_JOB_ID", "812"),
            ],
        );
        assert!(o.status.success(), "{o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("shard {}/3 (slurm task {id} of job 812)", id + 1)),
            "{err}"
        );
        let manifest: serde_json::Value =
            serde_json::from_str(&read(out.join("batch.json"))).unwrap();
        assert_eq!(manifest["shard"], format!("{}/3", id + 1));
        // positions id, id + 3, id + 6 of the cohort
        let first = format!("case{id:02}");
        let rec: serde_json::Value =
            serde_json::from_str(&read(out.join(format!("cases/{first}.provenance.json"))))
                .unwrap();
        assert_eq!(rec["scheduler"]["scheduler"], "slurm");
        assert_eq!(rec["scheduler"]["job_id"], "812");
        assert_eq!(rec["scheduler"]["task_id"], id.to_string());
        assert_eq!(rec["scheduler"]["shard"], format!("{}/3", id + 1));
        dirs.push(out);
    }
    let merged = d.join("merged.csv");
    let mut args = vec!["merge".to_string()];
    args.extend(dirs.iter().map(|p| p.display().to_string()));
    args.extend(["--out".to_string(), merged.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert!(run(&args).status.success());
    assert_eq!(
        std::fs::read(&merged).unwrap(),
        std::fs::read(d.join("plain/features.csv")).unwrap()
    );

    // Kubernetes: index 1 of RADX_SHARD_COUNT=3 is shard 2/3, the same cases as SLURM's.
    let k = d.join("kube");
    let o = batch_in_env(
        &c,
        &k,
        &settings,
        &[("JOB_COMPLETION_INDEX", "1"), ("RADX_SHARD_COUNT", "3")],
    );
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        read(k.join("features.csv")),
        read(d.join("slurm-1/features.csv"))
    );
    let rec: serde_json::Value =
        serde_json::from_str(&read(k.join("cases/case01.provenance.json"))).unwrap();
    assert_eq!(rec["scheduler"]["scheduler"], "kubernetes");
    assert!(rec["scheduler"].get("job_id").is_none());

    // Outside a scheduler: exit 2, nothing written.
    let none = d.join("none");
    let o = batch_in_env(&c, &none, &settings, &[]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--shard auto: no scheduler task found") && err.contains("--shard i/n"),
        "{err}"
    );
    assert!(!none.exists());
    // --shard-count belongs to --shard auto.
    let o = batch(
        &c,
        &d.join("x"),
        &settings,
        &["--shard", "1/3", "--shard-count", "3"],
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}
