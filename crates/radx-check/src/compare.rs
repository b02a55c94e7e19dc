//! `radx compare`: agreement of two feature tables of the same cases, per feature.
//!
//! For each feature tag present in both tables, over the cases (and ROIs and images) that
//! have a value in both:
//! * absolute difference `|a - b|` (mean and max) and relative difference
//!   `|a - b| / max(|a|, |b|)` (max; 0 when both are 0);
//! * Lin's concordance correlation coefficient
//!   `CCC = 2 s_ab / (s_a² + s_b² + (ā - b̄)²)` with population (1/n) moments
//!   (Lin 1989); undefined (absent) for fewer than two cases; 1 when both columns are
//!   the same constant;
//! * Bland–Altman bias `d̄ = mean(a - b)` and 95% limits of agreement
//!   `d̄ ± 1.96 s_d` with the sample standard deviation of the differences;
//! * whether every pair lies within a tolerance, when one is given for the tag (with a
//!   relative slack of 1e-9 for floating-point representation).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::reference::CheckError;

/// One value of a long table.
///
/// `case`, `roi`, `image`, `tag` and `value` are always read; the descriptive columns
/// (`family`, `feature`, `ibsi_id`, `aggregation`, `unit`, `missing_reason`) are empty when
/// a table does not carry them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LongValue {
    pub case: String,
    pub roi: String,
    pub image: String,
    pub tag: String,
    pub value: Option<f64>,
    pub family: String,
    pub feature: String,
    pub ibsi_id: String,
    pub aggregation: String,
    pub unit: String,
    pub missing_reason: Option<String>,
}

impl LongValue {
    /// The long-table row of this value (for the radx writers).
    pub fn to_row(&self) -> radx_core::FeatureRow {
        radx_core::FeatureRow {
            case: self.case.clone(),
            roi: self.roi.clone(),
            image: self.image.clone(),
            family: self.family.clone(),
            feature: self.feature.clone(),
            ibsi_id: self.ibsi_id.clone(),
            aggregation: self.aggregation.clone(),
            tag: self.tag.clone(),
            unit: self.unit.clone(),
            value: self.value,
            missing_reason: self.missing_reason.clone(),
        }
    }
}

/// Reads a radx long table (CSV with at least the columns case, roi, image, tag, value;
/// the other columns of [`radx_io::CSV_HEADER`] are read when present). A value
/// that does not parse as a finite number is an error naming the line.
pub fn read_long_table(path: &Path) -> Result<Vec<LongValue>, CheckError> {
    let bad = |message: String| invalid(path, message);
    let text = std::fs::read_to_string(path).map_err(|e| {
        CheckError::Io(radx_io::IoError::Read {
            path: path.into(),
            message: e.to_string(),
        })
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = text.lines();
    let header: Vec<String> = split_csv(lines.next().ok_or_else(|| bad("empty file".into()))?)
        .into_iter()
        .map(|h| h.trim().to_string())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| {
        col(name).ok_or_else(|| bad(format!("no `{name}` column; expected a radx long table")))
    };
    let (ci, ri, ii, ti, vi) = (
        need("case")?,
        need("roi")?,
        need("image")?,
        need("tag")?,
        need("value")?,
    );
    let optional = [
        col("family"),
        col("feature"),
        col("ibsi_id"),
        col("aggregation"),
        col("unit"),
        col("missing_reason"),
    ];
    let mut out = Vec::new();
    for (n, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv(line);
        let get = |i: usize| f.get(i).cloned().unwrap_or_default();
        let opt = |i: Option<usize>| i.map(get).unwrap_or_default();
        let v = get(vi);
        let value = if v.trim().is_empty() {
            None
        } else {
            let x = v
                .trim()
                .parse::<f64>()
                .map_err(|_| bad(format!("line {}: value `{v}` is not a number", n + 2)))?;
            if !x.is_finite() {
                return Err(bad(format!(
                    "line {}: value `{v}` is not finite (write undefined values empty, with a missing_reason)",
                    n + 2
                )));
            }
            Some(x)
        };
        let reason = opt(optional[5]);
        out.push(LongValue {
            case: get(ci),
            roi: get(ri),
            image: get(ii),
            tag: get(ti),
            value,
            family: opt(optional[0]),
            feature: opt(optional[1]),
            ibsi_id: opt(optional[2]),
            aggregation: opt(optional[3]),
            unit: opt(optional[4]),
            missing_reason: (!reason.is_empty()).then_some(reason),
        });
    }
    Ok(out)
}

/// The radx long CSV of these values (same format as `radx extract`).
pub fn long_table_csv(values: &[LongValue]) -> String {
    radx_io::table_to_csv(&radx_core::FeatureTable {
        rows: values.iter().map(LongValue::to_row).collect(),
    })
}

/// Writes these values as a radx long CSV.
pub fn write_long_table(path: &Path, values: &[LongValue]) -> Result<(), CheckError> {
    write_file(path, &long_table_csv(values))
}

/// An input error naming the file.
pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> CheckError {
    CheckError::Io(radx_io::IoError::Invalid {
        path: path.into(),
        message: message.into(),
    })
}

/// Writes a text file, the error naming it.
pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), CheckError> {
    std::fs::write(path, text).map_err(|e| {
        CheckError::Io(radx_io::IoError::Write {
            path: path.into(),
            message: e.to_string(),
        })
    })
}

/// Splits one CSV line, honouring double quotes.
pub(crate) fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Agreement statistics of one feature.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureAgreement {
    pub tag: String,
    /// Cases (case, roi, image) with a value in both tables.
    pub n: usize,
    pub mean_abs_diff: f64,
    pub max_abs_diff: f64,
    pub max_rel_diff: f64,
    /// Lin's CCC; `None` when fewer than two pairs.
    pub ccc: Option<f64>,
    pub bias: f64,
    pub loa_low: Option<f64>,
    pub loa_high: Option<f64>,
    /// Whether every pair is within the tag's tolerance, when one was given.
    pub within_tolerance: Option<bool>,
}

/// Lin's concordance correlation coefficient (population moments), from
/// [`radx_stats::ccc`]. `radx_stats` leaves the CCC of two constant columns undefined (0/0);
/// here two *identical* constant columns (at least two pairs) agree perfectly and get 1, as
/// `radx compare` always reported. Two different constants get 0 from the formula.
pub fn ccc(a: &[f64], b: &[f64]) -> Option<f64> {
    radx_stats::ccc(a, b).or_else(|| {
        (a.len() >= 2 && a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)).then_some(1.0)
    })
}

/// Bland–Altman bias and 95% limits of agreement of `a - b` ([`radx_stats::bland_altman`]);
/// with one pair the bias is the difference and the limits are undefined.
pub fn bland_altman(a: &[f64], b: &[f64]) -> (f64, Option<(f64, f64)>) {
    match radx_stats::bland_altman(a, b) {
        Some(r) => (r.bias, Some((r.lower, r.upper))),
        None => {
            let n = a.len().min(b.len()).max(1) as f64;
            let bias = a.iter().zip(b).map(|(x, y)| x - y).sum::<f64>() / n;
            (bias, None)
        }
    }
}

/// Compares two long tables feature by feature. `tolerances` maps tags to an absolute
/// tolerance (e.g. the IBSI tolerance of a reference set).
pub fn compare_tables(
    a: &[LongValue],
    b: &[LongValue],
    tolerances: &BTreeMap<String, f64>,
) -> Vec<FeatureAgreement> {
    type Key<'a> = (&'a str, &'a str, &'a str, &'a str);
    let index: BTreeMap<Key, f64> = b
        .iter()
        .filter_map(|v| {
            Some((
                (
                    v.tag.as_str(),
                    v.case.as_str(),
                    v.roi.as_str(),
                    v.image.as_str(),
                ),
                v.value?,
            ))
        })
        .collect();
    let mut pairs: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for v in a {
        if let Some(x) = v.value {
            if let Some(&y) = index.get(&(
                v.tag.as_str(),
                v.case.as_str(),
                v.roi.as_str(),
                v.image.as_str(),
            )) {
                let e = pairs.entry(v.tag.as_str()).or_default();
                e.0.push(x);
                e.1.push(y);
            }
        }
    }
    pairs
        .into_iter()
        .map(|(tag, (xa, xb))| {
            let diffs: Vec<f64> = xa.iter().zip(&xb).map(|(x, y)| (x - y).abs()).collect();
            let rel = xa
                .iter()
                .zip(&xb)
                .map(|(x, y)| {
                    let m = x.abs().max(y.abs());
                    if m == 0.0 {
                        0.0
                    } else {
                        (x - y).abs() / m
                    }
                })
                .fold(0.0, f64::max);
            let (bias, loa) = bland_altman(&xa, &xb);
            FeatureAgreement {
                tag: tag.to_string(),
                n: xa.len(),
                mean_abs_diff: diffs.iter().sum::<f64>() / diffs.len() as f64,
                max_abs_diff: diffs.iter().copied().fold(0.0, f64::max),
                max_rel_diff: rel,
                ccc: ccc(&xa, &xb),
                bias,
                loa_low: loa.map(|l| l.0),
                loa_high: loa.map(|l| l.1),
                within_tolerance: tolerances.get(tag).map(|t| {
                    xa.iter()
                        .zip(&xb)
                        .all(|(x, y)| (x - y).abs() <= t + 1e-9 * x.abs().max(y.abs()).max(1.0))
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ccc_hand_computed() {
        // a = 1,2,3; b = 2,3,4: means 2 and 3, variances 2/3 each, covariance 2/3:
        // CCC = (4/3) / (2/3 + 2/3 + 1) = 4/7
        let c = ccc(&[1.0, 2.0, 3.0], &[2.0, 3.0, 4.0]).unwrap();
        assert!((c - 4.0 / 7.0).abs() < 1e-15);
        assert_eq!(ccc(&[1.0, 2.0], &[1.0, 2.0]), Some(1.0));
        assert_eq!(ccc(&[5.0, 5.0], &[5.0, 5.0]), Some(1.0));
        assert!((ccc(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-15);
        assert_eq!(ccc(&[1.0], &[1.0]), None);
    }

    #[test]
    fn bland_altman_hand_computed() {
        // differences -1, 1, 0 : bias 0, sample sd 1, limits ±1.96
        let (bias, loa) = bland_altman(&[1.0, 3.0, 5.0], &[2.0, 2.0, 5.0]);
        assert_eq!(bias, 0.0);
        let (lo, hi) = loa.unwrap();
        assert!((lo + 1.96).abs() < 1e-12 && (hi - 1.96).abs() < 1e-12);
    }

    #[test]
    fn tables_pair_by_case_and_tag() {
        let mk = |case: &str, tag: &str, v: Option<f64>| LongValue {
            case: case.into(),
            roi: "r".into(),
            image: "original".into(),
            tag: tag.into(),
            value: v,
            ..Default::default()
        };
        let a = vec![
            mk("c1", "x", Some(1.0)),
            mk("c2", "x", Some(2.0)),
            mk("c1", "y", None),
        ];
        let b = vec![
            mk("c2", "x", Some(2.5)),
            mk("c1", "x", Some(1.0)),
            mk("c1", "y", Some(3.0)),
        ];
        let tol = BTreeMap::from([("x".to_string(), 0.1)]);
        let r = compare_tables(&a, &b, &tol);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].n, 2);
        assert_eq!(r[0].max_abs_diff, 0.5);
        assert_eq!(r[0].max_rel_diff, 0.2);
        assert_eq!(r[0].within_tolerance, Some(false));
        assert_eq!(split_csv("a,\"b,c\",\"d\"\"e\""), vec!["a", "b,c", "d\"e"]);
    }
}
