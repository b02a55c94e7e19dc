//! The wide table: one row per (case, roi), one column per (image, tag), the shape that
//! PyRadiomics users feed to scikit-learn. It is a pivot of the long table (written by
//! `radx extract|batch|merge --format wide` and by Python's `radx.wide`), so the two
//! always agree.
//!
//! A column is named `<image>__<tag>` (e.g. `original__morph_volume`,
//! `log_s1.5mm_3d__stat_mean`): the image label and the IBSI tag joined by two
//! underscores, as scikit-learn's ColumnTransformer names its output. Image labels never
//! hold `__` (checked), so a name splits back at its first `__` ([`split_column`]) and the
//! wide table turns back into the long one's (case, roi, image, tag, value). Rows keep the
//! order in which their (case, roi) first appears in the long table, columns the order in
//! which their (image, tag) first appears; a value a case lacks, or that is missing, is an
//! empty cell (NaN in pandas).

use std::collections::HashMap;

use radx_core::FeatureRow;
use thiserror::Error;

use crate::tables::{csv_number, CsvText};

/// What joins the image label and the tag in a column name.
pub const COLUMN_SEPARATOR: &str = "__";

/// A long table that cannot be pivoted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WideError {
    /// The same (case, roi, image, tag) twice: which value would the cell hold?
    #[error("case `{case}` roi `{roi}` image `{image}` tag `{tag}` appears twice: a wide table holds one value per (case, roi) and column")]
    Duplicate {
        case: String,
        roi: String,
        image: String,
        tag: String,
    },
    /// An image label holding the separator: its column names would not split back.
    #[error("image label `{0}` holds `__`, which separates the image from the tag in a wide column name")]
    ImageLabel(String),
}

/// The column name of an image and a tag: `<image>__<tag>`.
pub fn column_name(image: &str, tag: &str) -> String {
    format!("{image}{COLUMN_SEPARATOR}{tag}")
}

/// The (image, tag) of a wide column name: split at its first `__`; `None` when it holds
/// none (e.g. `case`, `roi`).
pub fn split_column(name: &str) -> Option<(&str, &str)> {
    name.split_once(COLUMN_SEPARATOR)
}

/// A wide table: `values[r * columns.len() + c]` is the value of case and ROI `keys[r]`
/// in column `columns[c]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WideTable {
    /// (case, roi) of each row.
    pub keys: Vec<(String, String)>,
    /// (image, tag) of each column.
    pub columns: Vec<(String, String)>,
    /// Row-major values; `None` where the long table has no value.
    pub values: Vec<Option<f64>>,
}

impl WideTable {
    /// Pivots long rows given as (case, roi, image, tag, value).
    pub fn pivot<'a, I>(rows: I) -> Result<Self, WideError>
    where
        I: IntoIterator<Item = (&'a str, &'a str, &'a str, &'a str, Option<f64>)>,
    {
        let mut key_index: HashMap<(&str, &str), usize> = HashMap::new();
        let mut col_index: HashMap<(&str, &str), usize> = HashMap::new();
        let mut keys: Vec<(&str, &str)> = Vec::new();
        let mut cols: Vec<(&str, &str)> = Vec::new();
        let mut cells: Vec<(usize, usize, Option<f64>)> = Vec::new();
        for (case, roi, image, tag, value) in rows {
            let k = *key_index.entry((case, roi)).or_insert_with(|| {
                keys.push((case, roi));
                keys.len() - 1
            });
            let c = match col_index.get(&(image, tag)) {
                Some(&c) => c,
                None => {
                    if image.contains(COLUMN_SEPARATOR) {
                        return Err(WideError::ImageLabel(image.to_string()));
                    }
                    cols.push((image, tag));
                    col_index.insert((image, tag), cols.len() - 1);
                    cols.len() - 1
                }
            };
            cells.push((k, c, value));
        }
        let width = cols.len();
        let mut values = vec![None; keys.len() * width];
        let mut filled = vec![false; keys.len() * width];
        for (k, c, v) in cells {
            let i = k * width + c;
            if filled[i] {
                let ((case, roi), (image, tag)) = (keys[k], cols[c]);
                return Err(WideError::Duplicate {
                    case: case.into(),
                    roi: roi.into(),
                    image: image.into(),
                    tag: tag.into(),
                });
            }
            filled[i] = true;
            values[i] = v;
        }
        let own = |(a, b): (&str, &str)| (a.to_string(), b.to_string());
        Ok(WideTable {
            keys: keys.into_iter().map(own).collect(),
            columns: cols.into_iter().map(own).collect(),
            values,
        })
    }

    /// Pivots the rows of a long table.
    pub fn from_rows(rows: &[FeatureRow]) -> Result<Self, WideError> {
        Self::pivot(rows.iter().map(|r| {
            (
                r.case.as_str(),
                r.roi.as_str(),
                r.image.as_str(),
                r.tag.as_str(),
                r.value,
            )
        }))
    }

    /// The column names: `<image>__<tag>` ([`column_name`]).
    pub fn column_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|(i, t)| column_name(i, t))
            .collect()
    }

    /// CSV: header `case,roi,<column names>`, one line per (case, roi); numbers in the
    /// shortest form that reads back to the same f64 (as in the long table), missing
    /// values empty.
    pub fn to_csv(&self) -> String {
        let names = self.column_names();
        let mut t =
            CsvText::with_header(["case", "roi"].into_iter().map(str::to_string).chain(names));
        let width = self.columns.len();
        for (r, (case, roi)) in self.keys.iter().enumerate() {
            let row = &self.values[r * width..(r + 1) * width];
            t.row(
                [case.clone(), roi.clone()]
                    .into_iter()
                    .chain(row.iter().map(|v| csv_number(*v))),
            );
        }
        t.into_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Option<f64>,
    )> {
        vec![
            ("b", "gtv", "original", "morph_volume", Some(2.5)),
            ("b", "gtv", "original", "stat_mean", None),
            ("b", "gtv", "log_s1mm_3d", "stat_mean", Some(0.1)),
            ("a", "gtv", "original", "morph_volume", Some(1.0)),
            ("a", "gtv", "original", "ih_mode", Some(7.0)),
        ]
    }

    #[test]
    fn pivots_in_order_of_first_appearance_with_gaps_empty() {
        let w = WideTable::pivot(rows()).unwrap();
        assert_eq!(
            w.keys,
            [("b".into(), "gtv".into()), ("a".into(), "gtv".into())]
        );
        assert_eq!(
            w.column_names(),
            [
                "original__morph_volume",
                "original__stat_mean",
                "log_s1mm_3d__stat_mean",
                "original__ih_mode"
            ]
        );
        assert_eq!(
            w.values,
            [
                Some(2.5),
                None,
                Some(0.1),
                None,
                Some(1.0),
                None,
                None,
                Some(7.0)
            ]
        );
        assert_eq!(
            w.to_csv(),
            "case,roi,original__morph_volume,original__stat_mean,log_s1mm_3d__stat_mean,original__ih_mode\n\
             b,gtv,2.5,,0.1,\n\
             a,gtv,1.0,,,7.0\n"
        );
    }

    #[test]
    fn column_names_split_back() {
        let w = WideTable::pivot(rows()).unwrap();
        for (name, (image, tag)) in w.column_names().iter().zip(&w.columns) {
            assert_eq!(split_column(name), Some((image.as_str(), tag.as_str())));
        }
        assert_eq!(split_column("case"), None);
    }

    #[test]
    fn duplicates_and_ambiguous_labels_are_refused() {
        let mut r = rows();
        r.push(("a", "gtv", "original", "ih_mode", Some(8.0)));
        let e = WideTable::pivot(r).unwrap_err().to_string();
        assert!(
            e.contains("case `a` roi `gtv` image `original` tag `ih_mode` appears twice"),
            "{e}"
        );
        let e = WideTable::pivot([("a", "r", "x__y", "t", None)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("`x__y`"), "{e}");
    }

    #[test]
    fn text_fields_are_quoted_as_in_the_long_table() {
        let w = WideTable::pivot([("case, one", "r", "original", "t", Some(0.1 + 0.2))]).unwrap();
        assert_eq!(
            w.to_csv(),
            "case,roi,original__t\n\"case, one\",r,0.30000000000000004\n"
        );
    }
}
