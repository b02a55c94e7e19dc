//! `radx compare` on PyRadiomics output: the batch CSV is mapped to IBSI tags, and a
//! changed value is caught by the threshold (exit status 1).

use std::path::PathBuf;
use std::process::Command;

fn radx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_radx"))
}

fn pyradiomics_csv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/radx-check/tests/data/pyradiomics_batch.csv")
}

#[test]
fn compare_reads_pyradiomics_tables_and_guards_thresholds() {
    let src = pyradiomics_csv();
    let same = radx()
        .args(["compare", src.to_str().unwrap(), src.to_str().unwrap()])
        .args([
            "--a-format",
            "pyradiomics",
            "--b-format",
            "pyradiomics",
            "--id-column",
            "ID",
        ])
        .args(["--max-rel-diff", "0", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        same.status.success(),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&same.stdout).unwrap();
    let tags: Vec<&str> = report["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["tag"].as_str().unwrap())
        .collect();
    // PyRadiomics' names became IBSI tags.
    assert!(tags.contains(&"stat_mean"), "{tags:?}");
    assert!(tags.contains(&"stat_kurt"), "{tags:?}");

    // Change one value of the first case: the comparison fails the threshold.
    let text = std::fs::read_to_string(&src).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "original_firstorder_Mean")
        .unwrap();
    // The Spacing column holds a quoted "(a, b, c)": count fields with quotes in mind.
    let mut fields = Vec::new();
    let (mut cur, mut quoted) = (String::new(), false);
    for c in lines[1].chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c)
            }
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    let v: f64 = fields[col].parse().unwrap();
    fields[col] = format!("{}", v * 2.0 + 1.0);
    lines[1] = fields.join(",");
    let tmp = tempfile::tempdir().unwrap();
    let changed = tmp.path().join("changed.csv");
    std::fs::write(&changed, lines.join("\n") + "\n").unwrap();
    let out = radx()
        .args(["compare", src.to_str().unwrap(), changed.to_str().unwrap()])
        .args([
            "--a-format",
            "pyradiomics",
            "--b-format",
            "pyradiomics",
            "--id-column",
            "ID",
        ])
        .args(["--max-rel-diff", "0.01"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("stat_mean\t")),
        "{stdout}"
    );
}

#[test]
fn stability_refuses_bad_plans_with_named_errors() {
    let run = |args: &[&str]| {
        let out = radx()
            .args([
                "stability",
                "--cohort",
                "cohort.csv",
                "--preset",
                "ibsi-config-e",
            ])
            .args(args)
            .args(["--out", "unused"])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = run(&["--perturb", "volume", "--volume-fraction", "0.3,0.1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("lo must not exceed hi"), "{err}");
    let (code, err) = run(&["--perturb", "volume", "--volume-fraction", "-1.5,0.1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("volume adaptation fraction"), "{err}");
    let (code, err) = run(&["--perturb", "noise", "--vary", "texture.glcm_distance=1,2"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("separate studies"), "{err}");
    let (code, err) = run(&["--vary", "discretisation.texture.bins=-3"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("grid point"), "{err}");
    let (code, err) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("nothing varies"), "{err}");
}
