//! The stability checker's tables: the conditions and site tables are read strictly
//! (radx-io's CSV reader), and the report tables stay rectangular CSV whatever the names.

use std::path::{Path, PathBuf};

use radx_check::compare::LongValue;
use radx_stability::assess::{assess, ConditionTable, StabilityOptions};
use radx_stability::sites::read_sites;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn conditions_are_read_by_the_strict_long_table_reader() {
    let dir = tempfile::tempdir().unwrap();
    let cut = write(
        dir.path(),
        "cut.csv",
        &format!(
            "{}\nc1,label_1,original,intensity_stats,x,,,stat_mean,,1.5,",
            radx_io::CSV_HEADER
        ),
    );
    let e = ConditionTable::read("cut", &cut).unwrap_err().to_string();
    assert!(e.contains("cut.csv") && e.contains("no newline"), "{e}");
}

#[test]
fn stability_and_sites_reports_read_back_with_awkward_names() {
    // Conditions named with a comma, a quote and a newline: the report tables stay
    // rectangular CSV (the header names them quoted).
    let names = ["ref", "b,2", "c\"3\nx"];
    let conditions: Vec<ConditionTable> = names
        .iter()
        .enumerate()
        .map(|(j, n)| ConditionTable {
            name: n.to_string(),
            values: (0..6)
                .map(|i| LongValue {
                    case: format!("case,{i}"),
                    roi: "r".into(),
                    image: "original".into(),
                    tag: "stat_mean".into(),
                    family: "intensity, stats".into(),
                    value: Some(i as f64 * 2.0 + (i * j % 3) as f64 * 0.1),
                    ..Default::default()
                })
                .collect(),
            provenance: None,
        })
        .collect();
    let r = assess(&conditions, &StabilityOptions::default()).unwrap();
    let p = Path::new("report.csv");
    for text in [
        r.features_csv(),
        r.heat_map_csv(),
        r.conditions_csv(),
        r.dropped_csv(),
    ] {
        let t = radx_io::tables::parse_csv(text.as_bytes(), p, Default::default()).unwrap();
        assert!(text.ends_with('\n'));
        for row in &t.rows {
            assert_eq!(row.fields.len(), t.header.len());
        }
    }
    let t = radx_io::tables::parse_csv(r.features_csv().as_bytes(), p, Default::default()).unwrap();
    assert!(
        t.header.contains(&"ccc_c\"3\nx".to_string()),
        "{:?}",
        t.header
    );
    assert_eq!(t.rows[0].fields[3], "intensity, stats");
    let t =
        radx_io::tables::parse_csv(r.conditions_csv().as_bytes(), p, Default::default()).unwrap();
    let got: Vec<&str> = t.rows.iter().map(|r| r.fields[0].as_str()).collect();
    assert_eq!(got, names);
}

#[test]
fn site_tables_refuse_short_rows_and_repeated_cases() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = read_sites(&write(d, "ok.csv", "case,site\nc1,\"A, north\"\nc2,B")).unwrap();
    assert_eq!(ok["c1"], "A, north");
    assert_eq!(ok["c2"], "B");
    let e = read_sites(&write(d, "short.csv", "case,site\nc1,A\nc2\n"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("short.csv") && e.contains("line 3: 1 fields"),
        "{e}"
    );
    let e = read_sites(&write(d, "rep.csv", "case,site\nc1,A\nc2,B\nc1,A\n"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("rep.csv") && e.contains("lines 2 and 4"), "{e}");
}
