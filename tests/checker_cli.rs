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

fn run(args: &[String]) -> (Option<i32>, String, String) {
    let out = radx().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Every broken table of the hostile corpus (radx long tables, PyRadiomics CSVs, site
/// tables, thresholds) is refused with the documented status, a message naming the file
/// and the problem, and no panic.
#[test]
fn broken_tables_are_refused_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = radx_testkit::hostile_tables::broken_tables(tmp.path());
    assert!(cases.len() >= 25, "{}", cases.len());
    let mut names = std::collections::BTreeSet::new();
    for c in &cases {
        assert!(names.insert(c.name), "{} twice", c.name);
        let (code, _, err) = run(&c.args);
        assert!(!err.contains("panicked"), "{}: {err}", c.name);
        assert_eq!(code, Some(c.code), "{}: {err}", c.name);
        assert!(
            err.contains(c.expect),
            "{}: expected `{}` in: {err}",
            c.name,
            c.expect
        );
        if let Some(p) = &c.path {
            let file = p.file_name().unwrap().to_string_lossy();
            assert!(
                err.contains(&*file),
                "{}: the message does not name {file}: {err}",
                c.name
            );
        }
    }
    // The valid tables the broken ones are compared with are fine.
    let good = tmp.path().join("good.csv").display().to_string();
    let (code, _, err) = run(&strings(&["compare", &good, &good, "--max-rel-diff", "0"]));
    assert_eq!(code, Some(0), "{err}");
    let py = tmp
        .path()
        .join("good-pyradiomics.csv")
        .display()
        .to_string();
    let (code, _, err) = run(&strings(&[
        "compare",
        &py,
        &py,
        "--a-format",
        "pyradiomics",
        "--b-format",
        "pyradiomics",
        "--id-column",
        "ID",
    ]));
    assert_eq!(code, Some(0), "{err}");
}

/// Features and cases present in one table only are reported (text: stderr; JSON:
/// `coverage`); with a guard they fail the comparison (exit 1) unless --allow-one-sided.
#[test]
fn compare_reports_features_and_cases_on_one_side() {
    use radx_testkit::hostile_tables::good_long_rows;
    let tmp = tempfile::tempdir().unwrap();
    let rows = good_long_rows();
    let write = |name: &str, rows: Vec<radx_core::FeatureRow>| {
        let p = tmp.path().join(name);
        std::fs::write(&p, radx_io::table_to_csv(&radx_core::FeatureTable { rows })).unwrap();
        p.display().to_string()
    };
    let a = write("a.csv", rows.clone());
    // b: without stat_var (a feature on one side) and without case3 (a case on one side).
    let b = write(
        "b.csv",
        rows.iter()
            .filter(|r| r.tag != "stat_var" && r.case != "case3")
            .cloned()
            .collect(),
    );
    let (code, stdout, err) = run(&strings(&["compare", &a, &b]));
    assert_eq!(code, Some(0), "no guard: reported only; {err}");
    assert!(
        err.contains("only in") && err.contains("a.csv: 1 feature (stat_var); 1 case (case3)"),
        "{err}"
    );
    assert!(stdout.starts_with("tag\tn\t"), "{stdout}");
    let (code, _, err) = run(&strings(&["compare", &a, &b, "--max-rel-diff", "0.5"]));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--allow-one-sided"), "{err}");
    let (code, _, err) = run(&strings(&[
        "compare",
        &a,
        &b,
        "--min-ccc",
        "-1",
        "--allow-one-sided",
    ]));
    assert_eq!(code, Some(0), "{err}");
    let (code, stdout, err) = run(&strings(&[
        "compare",
        &a,
        &b,
        "--min-ccc",
        "0.5",
        "--format",
        "json",
    ]));
    assert_eq!(code, Some(1), "{err}");
    let j: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        j["coverage"]["only_in_a"]["features"],
        serde_json::json!(["stat_var"])
    );
    assert_eq!(
        j["coverage"]["only_in_a"]["cases"],
        serde_json::json!(["case3"])
    );
    assert_eq!(
        j["coverage"]["only_in_b"]["features"],
        serde_json::json!([])
    );
    assert_eq!(j["coverage_fails"], true);
    assert_eq!(j["passed"], false);
    assert_eq!(j["failing"], serde_json::json!([]));
    // The same tables both ways round: nothing one-sided, the guard passes.
    let (code, stdout, err) = run(&strings(&[
        "compare",
        &b,
        &b,
        "--min-ccc",
        "0.5",
        "--format",
        "json",
    ]));
    assert_eq!(code, Some(0), "{err}");
    let j: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(j["passed"], true);
}

/// NaN or out-of-range thresholds are argument errors (exit 2), not a guard switched off.
#[test]
fn compare_rejects_nan_and_out_of_range_thresholds() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("t.csv");
    std::fs::write(&p, radx_testkit::hostile_tables::good_long_table()).unwrap();
    let t = p.display().to_string();
    for (flag, value) in [
        ("--max-rel-diff", "NaN"),
        ("--max-rel-diff", "-1"),
        ("--min-ccc", "NaN"),
        ("--min-ccc", "-1.01"),
        ("--min-ccc", "2"),
    ] {
        let (code, _, err) = run(&strings(&["compare", &t, &t, flag, value]));
        assert_eq!(code, Some(2), "{flag} {value}: {err}");
        assert!(err.contains(flag) && err.contains(value), "{err}");
    }
}

/// A case id with a comma, quotes and a newline survives `extract -o` and is read back by
/// `compare` (the old line-based reader split the row at the newline).
#[test]
fn quoted_newline_comma_and_quote_round_trip_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("t.csv");
    let case = "a,\"b\"\nc";
    let out = radx()
        .args(["extract", "--phantom", "--case", case, "-o"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(
        text.contains("\"a,\"\"b\"\"\nc\",roi,original,"),
        "{}",
        &text[..300]
    );
    let back = radx_io::read_long_table(&p).unwrap();
    assert!(back.rows.iter().all(|r| r.case == case));
    let t = p.display().to_string();
    let (code, stdout, err) = run(&strings(&["compare", &t, &t, "--max-rel-diff", "0"]));
    assert_eq!(code, Some(0), "{err}");
    assert!(stdout.lines().count() > 100, "{stdout}");
}

/// `--ignore-roi` with two ROIs of one case would pair values at random: an error.
#[test]
fn ignore_roi_refuses_two_rois_of_one_case() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rows = radx_testkit::hostile_tables::good_long_rows();
    let mut second = rows[0].clone();
    second.roi = "label_2".into();
    rows.push(second);
    let p = tmp.path().join("two-rois.csv");
    std::fs::write(&p, radx_io::table_to_csv(&radx_core::FeatureTable { rows })).unwrap();
    let t = p.display().to_string();
    let (code, _, err) = run(&strings(&["compare", &t, &t]));
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run(&strings(&["compare", &t, &t, "--ignore-roi"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("two-rois.csv")
            && err.contains("appears twice")
            && err.contains("one ROI per case"),
        "{err}"
    );
}
