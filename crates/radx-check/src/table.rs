//! The tables the checker reads and writes, all through the `csv` crate (via
//! [`radx_io::tables`]):
//!
//! * [`read_long_table`] — the one reader of radx long tables (`compare`, `stability
//!   --table`, the conditions of a stability run);
//! * [`read_pyradiomics_table`] / [`parse_pyradiomics_table`] — the one reader of
//!   PyRadiomics batch CSVs (the import in [`crate::pyradiomics`] maps what it returns);
//! * [`long_table_csv`] / [`write_long_table`] — the long-table writer (radx-io's, shared
//!   with `radx extract` and `radx batch`), and [`CsvText`] for the report tables.
//!
//! Both readers refuse short, long and unparsable rows, unclosed quotes and text that is
//! not UTF-8, naming the file and the line; tables ending without a newline are truncated
//! (radx and PyRadiomics end every row with one). A long table holding the same (case,
//! roi, image, tag) twice is an error naming both lines ([`check_unique`] applies the same
//! rule to values from elsewhere).

use std::path::Path;

pub use radx_io::tables::{csv_number, CsvOptions, CsvRow, CsvTable, CsvText};

use crate::compare::{invalid, write_file, LongValue};
use crate::reference::CheckError;

impl From<radx_core::FeatureRow> for LongValue {
    fn from(r: radx_core::FeatureRow) -> Self {
        LongValue {
            case: r.case,
            roi: r.roi,
            image: r.image,
            tag: r.tag,
            value: r.value,
            family: r.family,
            feature: r.feature,
            ibsi_id: r.ibsi_id,
            aggregation: r.aggregation,
            unit: r.unit,
            missing_reason: r.missing_reason,
        }
    }
}

/// Reads a radx long table (CSV with at least the columns case, roi, image, tag, value;
/// the other columns of [`radx_io::CSV_HEADER`] are read when present), strictly: see
/// [`radx_io::tables::read_long_table`]. A value that does not parse as a finite number, a
/// short or long row, a last line without its newline and a repeated (case, roi, image,
/// tag) are errors naming the file and the line(s).
pub fn read_long_table(path: &Path) -> Result<Vec<LongValue>, CheckError> {
    Ok(radx_io::read_long_table(path)?
        .rows
        .into_iter()
        .map(LongValue::from)
        .collect())
}

/// The radx long CSV of these values (same format as `radx extract`).
pub fn long_table_csv(values: &[LongValue]) -> String {
    let rows: Vec<radx_core::FeatureRow> = values.iter().map(LongValue::to_row).collect();
    radx_io::tables::rows_to_csv(&rows)
}

/// Writes these values as a radx long CSV.
pub fn write_long_table(path: &Path, values: &[LongValue]) -> Result<(), CheckError> {
    write_file(path, &long_table_csv(values))
}

/// Reads a PyRadiomics batch CSV: header and rows of the header's length, each with its
/// line. Short, long or unparsable rows, an unclosed quote and a last line without a
/// newline (PyRadiomics, through Python's `csv` module, ends every row with one) are
/// errors naming the file and the line.
pub fn read_pyradiomics_table(path: &Path) -> Result<CsvTable, CheckError> {
    let bytes = std::fs::read(path).map_err(|e| {
        CheckError::Io(radx_io::IoError::Read {
            path: path.into(),
            message: e.to_string(),
        })
    })?;
    parse_pyradiomics_table(&bytes, path)
}

/// As [`read_pyradiomics_table`], from the file's bytes (`path` names it in errors).
pub fn parse_pyradiomics_table(bytes: &[u8], path: &Path) -> Result<CsvTable, CheckError> {
    let table = radx_io::tables::parse_csv(
        bytes,
        path,
        CsvOptions {
            require_final_newline: true,
            ..Default::default()
        },
    )?;
    if table.rows.is_empty() {
        return Err(invalid(path, "no data rows"));
    }
    Ok(table)
}

/// Refuses values holding the same (case, roi, image, tag) twice, e.g. two ROIs of one
/// case once `--ignore-roi` blanked the ROI names; `what` names the table in the error.
pub fn check_unique(values: &[LongValue], what: &Path) -> Result<(), CheckError> {
    let keys = values.iter().map(|v| {
        (
            v.case.as_str(),
            v.roi.as_str(),
            v.image.as_str(),
            v.tag.as_str(),
        )
    });
    match radx_io::tables::first_duplicate(keys) {
        None => Ok(()),
        Some((_, b)) => {
            let v = &values[b];
            Err(invalid(
                what,
                format!(
                    "case `{}` roi `{}` image `{}` tag `{}` appears twice",
                    v.case, v.roi, v.image, v.tag
                ),
            ))
        }
    }
}
