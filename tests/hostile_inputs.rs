//! Hostile inputs through `radx extract`: exit 2, a message naming the file and the
//! problem, no panic; each within 5 s and, on Unix, under a 1 GiB address-space limit.

use std::process::{Command, Output};

use radx_testkit::hostile::{self, Hostile};

/// Runs `radx` with `args`, under `ulimit -v` (KiB) on Unix.
fn radx_limited(args: &[String], limit_kib: u64) -> Output {
    let bin = env!("CARGO_BIN_EXE_radx");
    if cfg!(unix) {
        // few threads and malloc arenas: the limit is on address space, which idle thread
        // stacks and per-thread arenas reserve on many-core machines
        Command::new("sh")
            .env("MALLOC_ARENA_MAX", "2")
            .arg("-c")
            .arg(format!("ulimit -v {limit_kib} && exec \"$0\" \"$@\""))
            .arg(bin)
            .args(args)
            .output()
            .expect("sh runs radx")
    } else {
        Command::new(bin).args(args).output().expect("radx runs")
    }
}

fn extract_args(h: &Hostile) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "extract".into(),
        "--image".into(),
        h.image.display().to_string(),
        "--mask".into(),
        h.mask.display().to_string(),
        "--threads".into(),
        "2".into(),
    ];
    a.extend(h.args.iter().cloned());
    a
}

/// The input fails with exit 2 and its message, in < 5 s under 1 GiB of address space.
fn fails_cleanly(h: &Hostile) -> String {
    let t = std::time::Instant::now();
    let o = radx_limited(&extract_args(h), 1 << 20);
    let took = t.elapsed();
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{}: {e}", h.name);
    assert!(!e.contains("panicked"), "{}: {e}", h.name);
    assert!(
        e.contains(&h.names.display().to_string()) && e.contains(h.expect),
        "{}: {e}",
        h.name
    );
    assert_eq!(e.lines().count(), 1, "{}: one line: {e}", h.name);
    assert!(took.as_secs_f64() < 5.0, "{}: {took:?}", h.name);
    e
}

fn run(gen: hostile::Generator) -> String {
    let dir = tempfile::tempdir().unwrap();
    fails_cleanly(&gen(dir.path()))
}

#[test]
fn vox_offset_1e30_exits_2_without_a_panic() {
    let e = run(hostile::nifti_vox_offset_huge);
    assert!(e.contains("vox_offset = 1e30"), "{e}");
}

#[test]
fn gzip_bomb_exits_2_at_once() {
    run(hostile::nifti_gz_trailing_bomb);
}

#[test]
fn nrrd_dev_zero_and_etc_passwd_exit_2() {
    run(hostile::nrrd_data_file_dev_zero);
    run(hostile::nrrd_data_file_etc_passwd);
}

#[test]
fn dicom_slice_without_pixel_data_exits_2_naming_the_slice() {
    run(hostile::dicom_slice_without_pixel_data);
}

#[test]
fn label_0_and_a_non_integer_mask_exit_2() {
    run(hostile::mask_label_zero);
    run(hostile::mask_non_integer);
}

#[test]
fn negative_dim_and_dim0_9_are_named() {
    let e = run(hostile::nifti_negative_dim);
    assert!(!e.contains("expected"), "{e}");
    let e = run(hostile::nifti_dim0_9);
    assert!(!e.contains("datatype"), "{e}");
}

#[test]
fn every_hostile_input_fails_cleanly() {
    for (_, gen) in hostile::all() {
        run(gen);
    }
}

#[test]
fn a_process_error_is_printed_once_with_its_range_in_plain_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = hostile::good_pair(dir.path());
    let s = dir.path().join("reseg.toml");
    std::fs::write(&s, "radx_settings = 1\n[resegmentation]\nmin = 1000.0\n").unwrap();
    let args: Vec<String> = [
        "extract",
        "--image",
        &image.display().to_string(),
        "--mask",
        &mask.display().to_string(),
        "--settings",
        &s.display().to_string(),
        "--threads",
        "2",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let o = radx_limited(&args, 1 << 22);
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.matches("re-segmentation").count(), 1, "{e}");
    assert!(e.contains("[1000, inf]") && !e.contains("Some("), "{e}");
}

#[test]
fn a_cohort_that_is_a_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(["batch", "--cohort"])
        .arg(dir.path())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains(&dir.path().display().to_string()) && e.contains("is a folder"),
        "{e}"
    );
}
