//! The IBSI reference tables: `;`-separated, one header line, a row per tag.
//!
//! * IBSI 1 (`reference_values/ibsi_1/*.csv`): `reference value;tolerance;tag`.
//! * IBSI 2 phase 2 (`reference_values/ibsi_2/reference_feature_values.csv`):
//!   `filter_id;feature;feature_tag;consensus_value;tolerance`.
//!
//! Read with the csv crate (`;` delimiter). A row without a reference value has no consensus and is not a compliance target; an
//! empty tolerance is 0. Any other irregularity (wrong number of fields, a value that is not
//! a number, a tag given twice) is an error naming the file and the line: a reference that
//! cannot be read in full is never used in part.

use std::collections::HashMap;
use std::path::Path;

use crate::ReferenceError;

/// One consensus row of an IBSI 1 reference table.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceValue {
    pub tag: String,
    pub value: f64,
    pub tolerance: f64,
}

/// One consensus row of the IBSI 2 phase 2 table.
#[derive(Debug, Clone, PartialEq)]
pub struct Ibsi2Row {
    pub filter_id: String,
    pub tag: String,
    pub value: f64,
    pub tolerance: f64,
}

fn malformed(path: &Path, message: String) -> ReferenceError {
    ReferenceError::Malformed {
        path: path.into(),
        message,
    }
}

/// The consensus rows of a `;`-separated table with `fields` columns: each row's line
/// number and trimmed fields, without the header, blank lines and rows whose
/// `value_column` is empty. `key_columns` must be unique across rows.
fn consensus_rows(
    path: &Path,
    fields: usize,
    value_column: usize,
    key_columns: &[usize],
) -> Result<Vec<(usize, Vec<String>)>, ReferenceError> {
    let text = std::fs::read_to_string(path).map_err(|e| malformed(path, e.to_string()))?;
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(malformed(
            path,
            "the last line has no line end: the file is truncated".into(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut seen: HashMap<Vec<String>, usize> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| malformed(path, e.to_string()))?;
        let line_no = record.position().map_or(0, |p| p.line() as usize);
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        let f: Vec<String> = record.iter().map(|x| x.trim().to_string()).collect();
        if f.len() != fields {
            return Err(malformed(
                path,
                format!(
                    "line {line_no}: expected {fields} fields, found {}",
                    f.len()
                ),
            ));
        }
        let key: Vec<String> = key_columns.iter().map(|&c| f[c].clone()).collect();
        if let Some(first) = seen.insert(key.clone(), line_no) {
            return Err(malformed(
                path,
                format!(
                    "line {line_no}: `{}` is given again (first on line {first})",
                    key.join(";")
                ),
            ));
        }
        if !f[value_column].is_empty() {
            out.push((line_no, f));
        }
    }
    Ok(out)
}

/// A number of a reference table; `what` names it in the error.
fn table_number(path: &Path, line: usize, s: &str, what: &str) -> Result<f64, ReferenceError> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(malformed(
            path,
            format!("line {line}: {what} `{s}` is not a finite number"),
        )),
    }
}

/// A tolerance of a reference table: empty means 0; negative is an error.
fn table_tolerance(path: &Path, line: usize, s: &str) -> Result<f64, ReferenceError> {
    if s.is_empty() {
        return Ok(0.0);
    }
    let t = table_number(path, line, s, "tolerance")?;
    if t < 0.0 {
        return Err(malformed(
            path,
            format!("line {line}: tolerance `{s}` is negative"),
        ));
    }
    Ok(t)
}

/// Reads the consensus rows of an IBSI 1 reference table (`reference value;tolerance;tag`).
pub fn read_ibsi1_table(path: &Path) -> Result<Vec<ReferenceValue>, ReferenceError> {
    consensus_rows(path, 3, 0, &[2])?
        .into_iter()
        .map(|(line, f)| {
            Ok(ReferenceValue {
                value: table_number(path, line, &f[0], "reference value")?,
                tolerance: table_tolerance(path, line, &f[1])?,
                tag: f[2].clone(),
            })
        })
        .collect()
}

/// Reads the consensus rows of the IBSI 2 phase 2 table
/// (`filter_id;feature;feature_tag;consensus_value;tolerance`).
pub fn read_ibsi2_table(path: &Path) -> Result<Vec<Ibsi2Row>, ReferenceError> {
    consensus_rows(path, 5, 3, &[0, 2])?
        .into_iter()
        .map(|(line, f)| {
            Ok(Ibsi2Row {
                filter_id: f[0].clone(),
                tag: f[2].clone(),
                value: table_number(path, line, &f[3], "consensus value")?,
                tolerance: table_tolerance(path, line, &f[4])?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.csv");
        std::fs::write(&p, text).unwrap();
        (d, p)
    }

    #[test]
    fn reads_consensus_rows_and_skips_rows_without_a_value() {
        let (_d, p) = table("reference value;tolerance;tag\n1.5;0.1;a\n;;b\n2;;c\n");
        let rows = read_ibsi1_table(&p).unwrap();
        assert_eq!(
            rows,
            vec![
                ReferenceValue {
                    tag: "a".into(),
                    value: 1.5,
                    tolerance: 0.1
                },
                ReferenceValue {
                    tag: "c".into(),
                    value: 2.0,
                    tolerance: 0.0
                }
            ]
        );
    }

    #[test]
    fn every_irregular_row_is_an_error_naming_file_and_line() {
        for (text, needle) in [
            ("h\n1;0.1\n", "line 2: expected 3 fields"),
            ("h\n1;0.1;a;x\n", "line 2: expected 3 fields"),
            ("h\nx;0.1;a\n", "line 2: reference value `x`"),
            ("h\n1;nan;a\n", "line 2: tolerance `nan`"),
            ("h\n1;-1;a\n", "line 2: tolerance `-1` is negative"),
            (
                "h\n1;0;a\n2;0;a\n",
                "line 3: `a` is given again (first on line 2)",
            ),
            ("h\n1;0;a\n2;0", "truncated"),
        ] {
            let (_d, p) = table(text);
            let e = read_ibsi1_table(&p).unwrap_err().to_string();
            assert!(e.contains("t.csv") && e.contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn ibsi2_rows_are_keyed_by_filter_and_tag() {
        let (_d, p) = table("h\n1.A;mean;stat_mean;1;0.1\n1.B;mean;stat_mean;2;0.1\n");
        assert_eq!(read_ibsi2_table(&p).unwrap().len(), 2);
        let (_d, p) = table("h\n1.A;mean;stat_mean;1;0.1\n1.A;mean;stat_mean;2;0.1\n");
        assert!(read_ibsi2_table(&p).is_err());
    }
}
