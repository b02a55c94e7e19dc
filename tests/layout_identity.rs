//! Byte identity of radx's tables across a restructuring of the code (issue 16): `radx batch`
//! on the shipped test cohort (`reference-data/cohorts/sts-mini/`, PET and CT, NIfTI and DICOM)
//! and `radx stability` on its PET cases (seeded perturbations, a settings grid, two sites),
//! with the settings in `tests/layout_identity/`. The sha256 of every table they write must
//! equal the digests in `tests/layout_identity/tables.sha256`, which were recorded with the
//! binary built from the code before the move (main at 797ead3).
//!
//! The platform column of `stability-conditions.csv` is compared without its CPU feature list
//! (see `without_cpu_features`), which says which machine ran the test, not what the code did.
//!
//! Tables only: the provenance records (`*.provenance.json`, `batch.json`), `stability.json`
//! and `report.html` name the build and the platform, so they differ between builds by design.
//!
//! The digests depend on floating-point results, which are the same for any thread count but
//! may differ on another architecture or C library; they were recorded on x86_64 Linux (glibc),
//! where the test runs. To record them again after a deliberate change of output, run
//! `RADX_RECORD_LAYOUT_IDENTITY=1 cargo test --release --test layout_identity` and commit the
//! file with the reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

fn settings(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/layout_identity")
        .join(name)
}

fn golden_path() -> PathBuf {
    settings("tables.sha256")
}

/// A cohort CSV of the test cohort's `modality` cases (NIfTI), plus STS_002 read from its
/// DICOM series and RTSTRUCT; sites alternate between two made-up centres.
fn cohort(dir: &Path, modality: &str) -> PathBuf {
    let mut csv = String::from("case_id,image,mask,site\n");
    let cases = radx_testkit::cohort_cases(modality);
    assert!(!cases.is_empty(), "no {modality} case in the test cohort");
    for (i, c) in cases.iter().enumerate() {
        let file = |what: &str| {
            radx_testkit::cohort(&format!("nifti/{c}/{modality}_{what}.nii.gz"))
                .display()
                .to_string()
        };
        let site = if i % 2 == 0 { "centre_a" } else { "centre_b" };
        csv.push_str(&format!("{c},{},{},{site}\n", file("image"), file("mask")));
    }
    let image = radx_testkit::cohort(&format!("dicom/STS_002/{modality}/image"));
    let mask = radx_testkit::cohort(&format!("dicom/STS_002/{modality}/mask/RS.dcm"));
    csv.push_str(&format!(
        "STS_002_dicom,{},{},centre_a\n",
        image.display(),
        mask.display()
    ));
    let path = dir.join(format!("{modality}.csv"));
    std::fs::write(&path, csv).unwrap();
    path
}

/// Runs radx in `dir` (output folders are given relative to it, so that the files naming
/// them do not depend on where the temporary folder is).
fn radx(dir: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_radx"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "radx {args:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Every table under `dir`: the CSV files, and the JSON files that hold no provenance (the
/// conditions of a stability run, the site analysis).
fn tables(root: &Path, dir: &Path, into: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            tables(root, &path, into);
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let name = path.file_name().unwrap().to_string_lossy();
        let is_table = name.ends_with(".csv")
            || name == "conditions.json"
            || rel.contains("/sites/") && name.ends_with(".json");
        if is_table {
            let mut bytes = std::fs::read(&path).unwrap();
            if name == "stability-conditions.csv" {
                bytes = without_cpu_features(&bytes);
            }
            let digest = Sha256::digest(&bytes);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            into.insert(rel, hex);
        }
    }
}

/// `stability-conditions.csv` names the platform of each condition, CPU features included
/// (`linux x86_64 [sse2 ... avx512f]`): the machine's, not the code's. The digest covers the
/// table with each bracketed list of CPU features replaced by `[..]`, so that the test holds on any
/// x86_64 machine while every other byte of the table is still compared.
fn without_cpu_features(bytes: &[u8]) -> Vec<u8> {
    const FEATURES: [&str; 6] = ["sse2", "sse4.1", "avx", "avx2", "fma", "avx512f"];
    let text = String::from_utf8(bytes.to_vec()).expect("stability-conditions.csv is UTF-8");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c) else {
            break;
        };
        let inside = &rest[open + 1..close];
        let is_feature_list = inside
            .split(' ')
            .all(|f| f.is_empty() || FEATURES.contains(&f));
        out.push_str(&rest[..=open]);
        out.push_str(if is_feature_list { ".." } else { inside });
        rest = &rest[close..];
    }
    out.push_str(rest);
    out.into_bytes()
}

fn parse_golden(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (hash, path) = l
                .split_once("  ")
                .unwrap_or_else(|| panic!("bad line in tables.sha256: {l}"));
            (path.to_string(), hash.to_string())
        })
        .collect()
}

#[test]
fn batch_and_stability_tables_are_byte_identical_to_the_recorded_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pet = cohort(dir, "PET");
    let ct = cohort(dir, "CT");
    let s = |name: &str| settings(name).display().to_string();
    let (pet, ct) = (pet.display().to_string(), ct.display().to_string());
    let batch = |cohort: &str, toml: &str, out: &str| {
        radx(
            dir,
            &[
                "batch",
                "--cohort",
                cohort,
                "--settings",
                &s(toml),
                "--out",
                out,
                "--threads",
                "2",
            ],
        )
    };
    batch(&pet, "batch-pet.toml", "batch-pet");
    batch(&ct, "batch-ct.toml", "batch-ct");
    let stability = |extra: &[&str], out: &str| {
        let settings = s("stability.toml");
        let mut args = vec![
            "stability",
            "--cohort",
            &pet,
            "--settings",
            &settings,
            "--threads",
            "2",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        radx(dir, &args)
    };
    stability(
        &[
            "--perturb",
            "noise,rotation,translation,volume,contour",
            "--perturbations",
            "3",
            "--seed",
            "2019",
        ],
        "stability-perturbed",
    );
    stability(
        &[
            "--vary",
            "discretisation.texture.bin_width+discretisation.histogram.bin_width=0.1,0.5",
            "--vary",
            "interpolation.spacing_mm=[3.0,3.0,3.0],[4.0,4.0,4.0]",
        ],
        "stability-grid",
    );

    let mut got = BTreeMap::new();
    for out in [
        "batch-pet",
        "batch-ct",
        "stability-perturbed",
        "stability-grid",
    ] {
        tables(dir, &dir.join(out), &mut got);
    }
    // Every run wrote its main tables (an empty or missing folder cannot pass).
    for must in [
        "batch-pet/features.csv",
        "batch-ct/features.csv",
        "stability-perturbed/stability-features.csv",
        "stability-perturbed/sites/harmonised.csv",
        "stability-grid/stability-features.csv",
    ] {
        assert!(got.contains_key(must), "{must} was not written");
    }

    if std::env::var_os("RADX_RECORD_LAYOUT_IDENTITY").is_some() {
        let mut text = String::from(
            "# sha256 of every table written by tests/layout_identity.rs (see its module doc)\n",
        );
        for (path, hash) in &got {
            text.push_str(&format!("{hash}  {path}\n"));
        }
        std::fs::write(golden_path(), text).unwrap();
        eprintln!(
            "recorded {} digests in {}",
            got.len(),
            golden_path().display()
        );
        return;
    }

    let golden = parse_golden(&std::fs::read_to_string(golden_path()).unwrap());
    let mut differences = Vec::new();
    for (path, hash) in &golden {
        match got.get(path) {
            None => differences.push(format!("{path}: not written")),
            Some(h) if h != hash => {
                differences.push(format!("{path}: sha256 {h}, recorded {hash}"))
            }
            Some(_) => {}
        }
    }
    for path in got.keys().filter(|p| !golden.contains_key(*p)) {
        differences.push(format!("{path}: written but not recorded"));
    }
    assert!(
        differences.is_empty(),
        "{} of {} tables differ from tests/layout_identity/tables.sha256:\n{}",
        differences.len(),
        golden.len(),
        differences.join("\n")
    );
}
