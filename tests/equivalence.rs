//! radx against PyRadiomics and MIRP without either: the values they gave on the shipped test
//! cohort (reference-data/equivalence/, each file checked against its sha256 in
//! reference-data/equivalence.toml) must be reproduced within 1 % by radx run with the
//! matching manifest: for PyRadiomics the one `radx settings import-pyradiomics` makes of the
//! same parameter file (benches/pyradiomics/equivalence/), for MIRP the hand-written manifest
//! of the run (benches/mirp/RUN.toml, MIRP's conventions set). Every value that agreed when
//! measured must still agree; the share that agrees must stay at or above the measured one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use radx_pipeline::{builtin_registry, extract_files, CaseLabels};
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn checked(path: &Path) -> String {
    let manifest = std::fs::read_to_string(root().join("reference-data/equivalence.toml")).unwrap();
    let doc: toml::Value = toml::from_str(&manifest).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let entry = doc["file"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("{name} is not in reference-data/equivalence.toml"));
    let bytes = std::fs::read(path).unwrap();
    let sum: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        Some(sum.as_str()),
        entry["sha256"].as_str(),
        "{name}: sha256"
    );
    String::from_utf8(bytes).unwrap()
}

/// The settings radx reproduces `tool`'s run `run` with.
fn settings_of(tool: &str, run: &str) -> radx_core::Settings {
    match tool {
        "pyradiomics" => {
            let path = root().join(format!("benches/pyradiomics/equivalence/{run}.yaml"));
            let params = std::fs::read_to_string(&path).unwrap();
            radx_check::pyradiomics_params::import_pyradiomics_params(&params, run)
                .unwrap()
                .settings
        }
        "mirp" => {
            let path = root().join(format!("benches/mirp/{run}.toml"));
            radx_core::Settings::from_file(&path).unwrap()
        }
        other => panic!("no tool {other}"),
    }
}

fn check(run: &str, modality: &str) {
    check_tool("pyradiomics", run, modality);
}

fn check_tool(tool: &str, run: &str, modality: &str) {
    let fixture = root().join(format!(
        "reference-data/equivalence/{tool}-sts-mini-{run}.csv"
    ));
    let text = checked(&fixture);
    let settings = settings_of(tool, run);
    let registry = builtin_registry();
    let mut radx: BTreeMap<String, radx_core::FeatureTable> = BTreeMap::new();
    let (mut agreed_then, mut agree_now, mut total) = (0usize, 0usize, 0usize);
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (case, column, tag, py, agreed) = (f[0], f[1], f[2], f[3], f[4] == "yes");
        let py: f64 = py.parse().unwrap();
        let table = radx.entry(case.to_string()).or_insert_with(|| {
            let file = |what: &str| {
                radx_testkit::cohort(&format!("nifti/{case}/{modality}_{what}.nii.gz"))
            };
            let labels = CaseLabels {
                case: case.into(),
                roi: "roi".into(),
                image: "original".into(),
            };
            extract_files(
                &file("image"),
                &file("mask"),
                radx_io::MaskSelector::NonZero,
                &settings,
                &registry,
                &labels,
            )
            .unwrap()
            .0
        });
        let r = table
            .value(tag)
            .unwrap_or_else(|| panic!("{tool} {run} {case}: radx has no {tag}"));
        let rel = if py == 0.0 {
            (r - py).abs()
        } else {
            (r - py).abs() / py.abs()
        };
        total += 1;
        if rel <= 0.01 {
            agree_now += 1;
        }
        if agreed {
            agreed_then += 1;
            assert!(
                rel <= 0.01,
                "{tool} {run} {case} {column} ({tag}): radx {r}, {tool} {py}, relative difference {rel:.2e}"
            );
        }
    }
    assert!(total > 100, "{tool} {run}: only {total} values");
    assert!(
        agree_now >= agreed_then,
        "{tool} {run}: {agree_now} agree now, {agreed_then} when measured"
    );
}

#[test]
fn pet_native_grid_reproduces_pyradiomics() {
    check("pet-native", "PET");
}

#[test]
fn pet_resampled_to_2mm_reproduces_pyradiomics() {
    check("pet-2mm", "PET");
}

#[test]
fn ct_with_energy_shift_reproduces_pyradiomics() {
    check("ct-native", "CT");
}

#[test]
fn ct_resampled_to_2mm_reproduces_pyradiomics() {
    check("ct-2mm", "CT");
}

#[test]
fn pet_native_grid_reproduces_mirp() {
    check_tool("mirp", "pet-native", "PET");
}

#[test]
fn pet_resampled_to_2mm_reproduces_mirp() {
    check_tool("mirp", "pet-2mm", "PET");
}

#[test]
fn ct_native_grid_reproduces_mirp() {
    check_tool("mirp", "ct-native", "CT");
}

#[test]
fn ct_resampled_to_2mm_reproduces_mirp() {
    check_tool("mirp", "ct-2mm", "CT");
}

/// Every MIRP value that did not agree within 1 % when measured belongs to a feature whose
/// difference `reference-data/mirp-mapping.toml` explains, and every explained feature is one
/// the fixtures pair.
#[test]
fn every_mirp_disagreement_is_explained_in_the_mapping() {
    let text = std::fs::read_to_string(root().join("reference-data/mirp-mapping.toml")).unwrap();
    let mapping: toml::Value = toml::from_str(&text).unwrap();
    let explained: Vec<&str> = mapping["exception"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(
                !e["why"].as_str().unwrap().is_empty(),
                "an exception without a reason"
            );
            e["tag"].as_str().unwrap()
        })
        .collect();
    let mut paired = std::collections::BTreeSet::new();
    for run in ["pet-native", "pet-2mm", "ct-native", "ct-2mm"] {
        let fixture = root().join(format!(
            "reference-data/equivalence/mirp-sts-mini-{run}.csv"
        ));
        let text = checked(&fixture);
        for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            paired.insert(f[2].to_string());
            if f[4] != "yes" {
                assert!(
                    explained.contains(&f[2]),
                    "{run} {}: {} disagreed and reference-data/mirp-mapping.toml does not explain it",
                    f[0],
                    f[2]
                );
            }
        }
    }
    for tag in explained {
        assert!(
            paired.contains(tag),
            "the mapping explains {tag}, which no fixture pairs"
        );
    }
}
