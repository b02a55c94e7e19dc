//! The checker's tables through the csv crate: strict readers (long tables, PyRadiomics
//! CSVs, IBSI reference tables) and writers whose output reads back.

use std::path::{Path, PathBuf};

use radx_check::compare::LongValue;
use radx_check::pyradiomics::{import_pyradiomics, ImportOptions, Mapping};
use radx_check::table::{check_unique, read_long_table, write_long_table};

const HEADER: &str = radx_io::CSV_HEADER;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn row(case: &str, tag: &str, value: &str) -> String {
    format!("{case},label_1,original,intensity_stats,x,,,{tag},,{value},")
}

fn long_err(dir: &Path, name: &str, text: &str) -> String {
    let p = write(dir, name, text);
    let e = read_long_table(&p).unwrap_err().to_string();
    assert!(e.contains(name), "the error does not name {name}: {e}");
    e
}

#[test]
fn long_tables_refuse_cut_short_long_and_unparsable_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let whole = format!(
        "{HEADER}\n{}\n{}\n",
        row("c1", "stat_mean", "1.5"),
        row("c1", "stat_var", "7.9132")
    );
    let v = read_long_table(&write(d, "whole.csv", &whole)).unwrap();
    assert_eq!(v[1].value, Some(7.9132));
    // Cut in the middle of the last value: `7.91` was read as a value before.
    let cut = &whole[..whole.find("7.9132").unwrap() + 4];
    let e = long_err(d, "cut.csv", cut);
    assert!(e.contains("line 3") && e.contains("no newline"), "{e}");
    // Cut in the middle of the last row.
    let e = long_err(d, "cut-row.csv", &whole[..whole.len() - 20]);
    assert!(e.contains("line 3"), "{e}");
    // A short row in the middle.
    let short = format!(
        "{HEADER}\n{}\nc2,label_1\n{}\n",
        row("c1", "stat_mean", "1.5"),
        row("c3", "stat_mean", "2.5")
    );
    let e = long_err(d, "short.csv", &short);
    assert!(e.contains("line 3: 2 fields, the header has 11"), "{e}");
    // A long row.
    let e = long_err(
        d,
        "long.csv",
        &format!("{HEADER}\n{},9\n", row("c1", "stat_mean", "1.5")),
    );
    assert!(e.contains("line 2: 12 fields"), "{e}");
    // Not a number.
    let e = long_err(
        d,
        "nan.csv",
        &format!("{HEADER}\n{}\n", row("c1", "stat_mean", "1.5e")),
    );
    assert!(e.contains("line 2: value `1.5e` is not a number"), "{e}");
}

#[test]
fn duplicate_rows_are_errors_naming_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}\n{}\n{}\n{}\n",
        row("c1", "stat_mean", "1.5"),
        row("c2", "stat_mean", "2"),
        row("c1", "stat_mean", "1.6")
    );
    let e = long_err(dir.path(), "dup.csv", &text);
    assert!(
        e.contains("lines 2 and 4") && e.contains("case `c1`") && e.contains("tag `stat_mean`"),
        "{e}"
    );
    // The same (case, image, tag) under two ROIs is fine, until the ROI is ignored.
    let v = vec![
        LongValue {
            case: "c".into(),
            roi: "a".into(),
            tag: "t".into(),
            ..Default::default()
        },
        LongValue {
            case: "c".into(),
            roi: "b".into(),
            tag: "t".into(),
            ..Default::default()
        },
    ];
    assert!(check_unique(&v, Path::new("x")).is_ok());
    let mut blank = v.clone();
    blank.iter_mut().for_each(|x| x.roi.clear());
    let e = check_unique(&blank, Path::new("x.csv"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("x.csv") && e.contains("appears twice"), "{e}");
}

#[test]
fn quoted_newline_comma_and_quote_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let values = vec![
        LongValue {
            case: "a,\"b\"\nc".into(),
            roi: "r\r\n".into(),
            image: "original".into(),
            tag: "stat_mean".into(),
            family: "fam,ily".into(),
            value: Some(0.1 + 0.2),
            ..Default::default()
        },
        LongValue {
            case: "plain".into(),
            roi: "r".into(),
            image: "original".into(),
            tag: "stat_mean".into(),
            value: None,
            missing_reason: Some("undefined: \"flat\",\nsee log".into()),
            ..Default::default()
        },
    ];
    let p = dir.path().join("q.csv");
    write_long_table(&p, &values).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains("\"a,\"\"b\"\"\nc\""), "{text}");
    assert_eq!(read_long_table(&p).unwrap(), values);
}

#[test]
fn pyradiomics_tables_refuse_short_cut_and_duplicate_columns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = Mapping::builtin().unwrap();
    let o = ImportOptions {
        id_column: Some("ID".into()),
        roi: None,
    };
    let header = "ID,Image,original_firstorder_Mean,original_firstorder_Kurtosis";
    let good = format!("{header}\nc1,/i/c1.nii,7.9132,3.5\nc2,/i/c2.nii,8.5,4.25\n");
    let r = import_pyradiomics(&write(d, "good.csv", &good), &m, &o).unwrap();
    assert_eq!(r.values.len(), 4);
    let e = |name: &str, text: &str| {
        let e = import_pyradiomics(&write(d, name, text), &m, &o)
            .unwrap_err()
            .to_string();
        assert!(e.contains(name), "{e}");
        e
    };
    let s = e(
        "short.csv",
        &format!("{header}\nc1,/i/c1.nii\nc2,/i/c2.nii,8.5,4.25\n"),
    );
    assert!(s.contains("line 2: 2 fields, the header has 4"), "{s}");
    let s = e("cut.csv", &good[..good.len() - 4]);
    assert!(s.contains("line 3") && s.contains("no newline"), "{s}");
    let s = e(
        "dupcol.csv",
        &format!("{header},original_firstorder_Mean\nc1,/i/c1.nii,1,2,3\n"),
    );
    assert!(s.contains("column `original_firstorder_Mean` twice"), "{s}");
    let s = e(
        "duprow.csv",
        &format!("{header}\nc1,/i/c1.nii,1,2\nc2,/i/c2.nii,1,2\nc1,/i/c1.nii,1,2\n"),
    );
    assert!(s.contains("lines 2 and 4"), "{s}");
    // Two image types that become the same radx image label give one case two values.
    let s = e(
        "samelabel.csv",
        "ID,log-sigma-1-0-mm-3D_firstorder_Mean,log-sigma-1-00-mm-3D_firstorder_Mean\nc1,1,2\n",
    );
    assert!(s.contains("appears twice"), "{s}");
}

#[test]
fn ibsi_reference_tables_are_read_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = write(
        d,
        "ref.csv",
        "reference value;tolerance;tag\n556;4;morph_volume\n;;morph_x\n0,5;;stat_y\n",
    );
    let e = radx_check::reference::read_ibsi1_table(&ok)
        .unwrap_err()
        .to_string();
    // `0,5` is not a number (the decimal separator is a point).
    assert!(e.contains("line 4") && e.contains("`0,5`"), "{e}");
    let ok = write(
        d,
        "ref2.csv",
        "reference value;tolerance;tag\n556;4;morph_volume\n;;morph_x\n",
    );
    let rows = radx_check::reference::read_ibsi1_table(&ok).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].value, rows[0].tolerance), (556.0, 4.0));
    let short = write(d, "short.csv", "reference value;tolerance;tag\n556;4\n");
    let e = radx_check::reference::read_ibsi1_table(&short)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("short.csv") && e.contains("line 2: expected 3 fields, found 2"),
        "{e}"
    );
}
