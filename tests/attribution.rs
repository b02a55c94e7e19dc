//! Attribution recipe (`radx stability --vary conventions.* --one-at-a-time`) on the shipped
//! test cohort (6 STS FDG-PET cases, `reference-data/cohorts/sts-mini/`): starting from the
//! IBSI manifest, each PyRadiomics convention is switched on alone and the ranking names the
//! convention that moves each feature.

use std::path::{Path, PathBuf};
use std::process::Command;

fn pet_cohort(dir: &Path) -> PathBuf {
    radx_testkit::write_cohort_csv(dir, "PET", false)
}

const SETTINGS: &str = r#"radx_settings = 1
[features]
families = ["intensity_stats", "intensity_histogram", "glcm", "local_intensity"]

[interpolation]
spacing_mm = [3.0, 3.0, 3.0]
image_method = "linear"
mask_method = "linear"

[discretisation.histogram]
method = "fbs"
bin_width = 0.25

[discretisation.texture]
method = "fbs"
bin_width = 0.25

[texture]
dimensions = ["3D"]
direction_merging = ["avg"]
"#;

#[test]
fn one_convention_at_a_time_ranks_the_conventions_by_their_effect() {
    let dir = tempfile::tempdir().unwrap();
    let cohort = pet_cohort(dir.path());
    let settings = dir.path().join("ibsi.toml");
    std::fs::write(&settings, SETTINGS).unwrap();
    let out = dir.path().join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(["stability", "--cohort"])
        .arg(&cohort)
        .arg("--settings")
        .arg(&settings)
        .args([
            "--vary",
            "conventions.fbs_origin=zero",
            "--vary",
            "conventions.energy_shift=0.0,10.0",
            "--one-at-a-time",
            "--threads",
            "2",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let ranking = std::fs::read_to_string(out.join("attribution-ranking.csv")).unwrap();
    let rows: Vec<Vec<&str>> = ranking
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    // energy_shift=0.0 is the base value: only two conditions besides the base.
    assert_eq!(rows.len(), 2, "{ranking}");
    assert!(rows[0][1] == "conventions.fbs_origin=zero", "{ranking}");
    assert!(rows[1][1].contains("energy_shift=10"), "{ranking}");
    // The energy shift moves energy and RMS only.
    assert_eq!(rows[1][2], "2", "{ranking}");
    let fbs_moved: usize = rows[0][2].parse().unwrap();
    assert!(fbs_moved > 10, "{ranking}");
    let effects = std::fs::read_to_string(out.join("attribution.csv")).unwrap();
    let shifted: Vec<&str> = effects
        .lines()
        .filter(|l| l.contains("energy_shift"))
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(
        shifted,
        vec!["original/stat_energy", "original/stat_rms"],
        "{effects}"
    );
    // Fixed-bin-size edges never move unbinned statistics or the local peaks.
    assert!(
        !effects
            .lines()
            .any(|l| l.contains("fbs_origin") && (l.contains("/stat_") || l.contains("/loc_"))),
        "{effects}"
    );
}
