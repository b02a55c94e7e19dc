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
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::reference::CheckError;

/// One value of a long table.
#[derive(Debug, Clone, PartialEq)]
pub struct LongValue {
    pub case: String,
    pub roi: String,
    pub image: String,
    pub tag: String,
    pub value: Option<f64>,
}

/// Reads a radx long table (CSV with at least the columns case, roi, image, tag, value).
pub fn read_long_table(path: &Path) -> Result<Vec<LongValue>, CheckError> {
    let bad = |message: String| CheckError::Malformed {
        path: PathBuf::from(path),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| bad("empty file".into()))?
        .split(',')
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| bad(format!("no `{name}` column; expected a radx long table")))
    };
    let (ci, ri, ii, ti, vi) = (
        col("case")?,
        col("roi")?,
        col("image")?,
        col("tag")?,
        col("value")?,
    );
    let mut out = Vec::new();
    for (n, line) in lines.enumerate() {
        let f = split_csv(line);
        let get = |i: usize| f.get(i).cloned().unwrap_or_default();
        let v = get(vi);
        let value = if v.is_empty() {
            None
        } else {
            Some(
                v.parse::<f64>()
                    .map_err(|_| bad(format!("line {}: value `{v}` is not a number", n + 2)))?,
            )
        };
        out.push(LongValue {
            case: get(ci),
            roi: get(ri),
            image: get(ii),
            tag: get(ti),
            value,
        });
    }
    Ok(out)
}

/// Splits one CSV line, honouring double quotes.
fn split_csv(line: &str) -> Vec<String> {
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

/// Lin's concordance correlation coefficient (population moments). When both columns are
/// constant it is 1 if they are equal, else 0.
pub fn ccc(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len();
    if n < 2 || n != b.len() {
        return None;
    }
    let nf = n as f64;
    let ma = a.iter().sum::<f64>() / nf;
    let mb = b.iter().sum::<f64>() / nf;
    let va = a.iter().map(|x| (x - ma).powi(2)).sum::<f64>() / nf;
    let vb = b.iter().map(|x| (x - mb).powi(2)).sum::<f64>() / nf;
    let cov = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / nf;
    let den = va + vb + (ma - mb).powi(2);
    if den == 0.0 {
        return Some(1.0);
    }
    Some(2.0 * cov / den)
}

/// Bland–Altman bias and 95% limits of agreement of `a - b`.
pub fn bland_altman(a: &[f64], b: &[f64]) -> (f64, Option<(f64, f64)>) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let n = d.len() as f64;
    let bias = d.iter().sum::<f64>() / n;
    if d.len() < 2 {
        return (bias, None);
    }
    let sd = (d.iter().map(|x| (x - bias).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    (bias, Some((bias - 1.96 * sd, bias + 1.96 * sd)))
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
