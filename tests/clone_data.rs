//! A clone verifies itself: every data file the tests and `radx validate` read ships in
//! `reference-data/`, is found without any environment variable, and is checked against its
//! sha256; nothing reads the shared data folder that sits beside the workspace in CI.

use std::path::{Path, PathBuf};
use std::process::Command;

use radx_reference::{DataSet, ReferenceData};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_test_or_library_reads_the_shared_folder() {
    let ws = workspace();
    let mut files = Vec::new();
    for top in ["src", "tests", "crates", "plugins"] {
        rust_files(&ws.join(top), &mut files);
    }
    assert!(files.len() > 100, "found only {} sources", files.len());
    let needle = ["..", "/shared"].concat();
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .any(|l| l.contains(&needle) || l.contains(&["shared", "/ibsi"].concat()))
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "these read data outside the clone: {offenders:?}"
    );
}

#[test]
fn every_shipped_file_is_found_without_environment_and_matches_its_manifest() {
    // The lookup a test does, without the variables (child process: the environment of
    // this one is shared by its threads).
    if std::env::var_os("RADX_CLONE_DATA_CHILD").is_some() {
        for set in [DataSet::Ibsi, DataSet::Cohort] {
            let data = ReferenceData::open(set, None).unwrap_or_else(|e| panic!("{e}"));
            let shipped = workspace().join("reference-data").join(set.subfolder());
            assert_eq!(
                data.dir().canonicalize().unwrap(),
                shipped.canonicalize().unwrap(),
                "{set:?} was not found in the clone's reference-data/"
            );
            let n = data.verify_all().unwrap_or_else(|e| panic!("{e}"));
            println!("{set:?}: {n} files verified in {}", data.dir().display());
        }
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "every_shipped_file_is_found_without_environment_and_matches_its_manifest",
            "--exact",
            "--nocapture",
        ])
        .env_remove("RADX_REFERENCE_DATA")
        .env_remove("RADX_COHORT_DATA")
        .env("RADX_CLONE_DATA_CHILD", "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Ibsi: 136 files verified"), "{text}");
    assert!(text.contains("Cohort: 146 files verified"), "{text}");
}

/// Copies `src` into `dst` recursively.
fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten() {
        let to = dst.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

#[test]
fn radx_validate_finds_the_data_of_the_checkout_holding_it_and_refuses_a_changed_byte() {
    // A clone laid out in a temporary folder, with nothing beside it: the binary in
    // target/release/, the IBSI data in reference-data/ibsi/.
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("radx");
    let bin_dir = clone.join("target/release");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let radx = bin_dir.join("radx");
    std::fs::copy(env!("CARGO_BIN_EXE_radx"), &radx).unwrap();
    std::fs::create_dir_all(clone.join("reference-data")).unwrap();
    std::fs::copy(
        workspace().join("reference-data/ibsi.toml"),
        clone.join("reference-data/ibsi.toml"),
    )
    .unwrap();
    copy_tree(
        &workspace().join("reference-data/ibsi/ibsi_1_digital_phantom"),
        &clone.join("reference-data/ibsi/ibsi_1_digital_phantom"),
    );
    copy_tree(
        &workspace().join("reference-data/ibsi/reference_values/ibsi_1"),
        &clone.join("reference-data/ibsi/reference_values/ibsi_1"),
    );
    let validate = || {
        Command::new(&radx)
            .args(["validate", "ibsi", "--set", "digital-phantom"])
            .current_dir(tmp.path())
            .env_remove("RADX_REFERENCE_DATA")
            .env_remove("RADX_COHORT_DATA")
            .output()
            .unwrap()
    };
    let out = validate();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("482"), "{stdout}");

    // One changed byte in the copy: validation fails naming that file.
    let table = clone.join("reference-data/ibsi/reference_values/ibsi_1/ibsi_1_dig_phantom.csv");
    let mut bytes = std::fs::read(&table).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&table, bytes).unwrap();
    let out = validate();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&table.display().to_string()) && stderr.contains("sha256"),
        "{stderr}"
    );

    // Pointed at a folder that is not there: the error says where it looked and how to
    // point elsewhere.
    let out = Command::new(&radx)
        .args(["validate", "ibsi", "--set", "digital-phantom"])
        .env("RADX_REFERENCE_DATA", tmp.path().join("nowhere"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("nowhere") && stderr.contains("RADX_REFERENCE_DATA"),
        "{stderr}"
    );
}
