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
        Some(3),
        "{}",
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
    assert!(err.contains(&format!("{before} skipped")), "{err}");
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
