//! `--format wide` on `radx extract`, `radx batch` and `radx merge`: one row per (case,
//! roi), one column per `<image>__<tag>`, holding exactly the long table's values.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

fn radx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// (case, roi, column) -> value text, from a wide CSV (no quoted fields in these tests).
fn wide_cells(text: &str) -> BTreeMap<(String, String, String), String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[..2], ["case", "roi"]);
    let mut out = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), header.len(), "{l}");
        for (name, v) in header[2..].iter().zip(&f[2..]) {
            out.insert((f[0].into(), f[1].into(), name.to_string()), v.to_string());
        }
    }
    out
}

/// The same cells from a long CSV: `<image>__<tag>` -> value text.
fn long_cells(text: &str) -> BTreeMap<(String, String, String), String> {
    let t = radx_io::tables::parse_long_table(text.as_bytes(), Path::new("long.csv")).unwrap();
    t.rows
        .iter()
        .map(|r| {
            (
                (
                    r.case.clone(),
                    r.roi.clone(),
                    format!("{}__{}", r.image, r.tag),
                ),
                r.value.map(|v| format!("{v:?}")).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn extract_wide_holds_the_long_values() {
    let long = ok(&radx(&["extract", "--phantom"]));
    let wide = ok(&radx(&["extract", "--phantom", "--format", "wide"]));
    assert_eq!(wide.lines().count(), 2, "one header, one (case, roi) row");
    assert!(
        wide.starts_with("case,roi,original__img_dim_x_init_img,"),
        "{}",
        &wide[..80]
    );
    let cells = wide_cells(&wide);
    assert_eq!(cells, long_cells(&long));
    assert!(cells.len() > 400);

    // To a file, with a provenance sidecar naming its sha256; .json is refused.
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("w.csv");
    ok(&radx(&[
        "extract",
        "--phantom",
        "--format",
        "wide",
        "-o",
        out.to_str().unwrap(),
    ]));
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written, wide.as_bytes());
    let side: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.path().join("w.csv.provenance.json")).unwrap(),
    )
    .unwrap();
    use sha2::Digest;
    let sha = radx_core::settings::hex(&sha2::Sha256::digest(&written));
    assert_eq!(side["table"]["sha256"], sha.as_str());
    // radx reproduce renders the new table wide too: bit-identical.
    let r = radx(&[
        "reproduce",
        d.path().join("w.csv.provenance.json").to_str().unwrap(),
    ]);
    assert!(
        r.status.success() && String::from_utf8_lossy(&r.stdout).contains("bit-identical"),
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    let json = d.path().join("w.json");
    let e = radx(&[
        "extract",
        "--phantom",
        "--format",
        "wide",
        "-o",
        json.to_str().unwrap(),
    ]);
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("--format wide writes CSV"));
}

#[test]
fn batch_and_merge_write_wide_tables() {
    let d = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dp = root.join("reference-data/ibsi/ibsi_1_digital_phantom/nifti");
    let cohort = d.path().join("cohort.csv");
    std::fs::write(
        &cohort,
        format!(
            "case_id,image,mask\nb,{img},{mask}\na,{img},{mask}\n",
            img = dp.join("image/phantom.nii.gz").display(),
            mask = dp.join("mask/mask.nii.gz").display()
        ),
    )
    .unwrap();
    let out = d.path().join("out");
    ok(&radx(&[
        "batch",
        "--cohort",
        cohort.to_str().unwrap(),
        "--preset",
        "ibsi-digital-phantom",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "wide",
    ]));
    let long = std::fs::read_to_string(out.join("features.csv")).unwrap();
    assert!(
        long.starts_with(radx_io::CSV_HEADER),
        "features.csv stays long"
    );
    let wide = std::fs::read_to_string(out.join("features_wide.csv")).unwrap();
    let cases: Vec<&str> = wide
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(cases, ["a", "b"], "sorted by case id, as features.csv");
    assert_eq!(wide_cells(&wide), long_cells(&long));

    let merged = d.path().join("merged.csv");
    ok(&radx(&[
        "merge",
        out.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
        "--format",
        "wide",
    ]));
    assert_eq!(std::fs::read_to_string(&merged).unwrap(), wide);
}
