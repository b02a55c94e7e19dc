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
//!   relative slack of 1e-9 for floating-point representation);
//! * the values of each table without a counterpart in the other (`unpaired_a`,
//!   `unpaired_b`).
//!
//! Nothing is left out silently: [`coverage`] lists the tags and cases present in one table
//! only, and the shared tags without a single pair of values.

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

pub use crate::table::{long_table_csv, read_long_table, write_long_table};

/// An input error naming the file.
pub fn invalid(path: &Path, message: impl Into<String>) -> CheckError {
    CheckError::Io(radx_io::IoError::Invalid {
        path: path.into(),
        message: message.into(),
    })
}

/// Writes a text file, the error naming it.
pub fn write_file(path: &Path, text: &str) -> Result<(), CheckError> {
    std::fs::write(path, text).map_err(|e| {
        CheckError::Io(radx_io::IoError::Write {
            path: path.into(),
            message: e.to_string(),
        })
    })
}

/// Agreement statistics of one feature.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureAgreement {
    pub tag: String,
    /// Cases (case, roi, image) with a value in both tables.
    pub n: usize,
    /// Values of the first table without a value for the same (case, roi, image) in the
    /// second (no row there, or a missing value), and the other way round.
    pub unpaired_a: usize,
    pub unpaired_b: usize,
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

/// The pairing key of a value: (tag, case, roi, image).
fn key(v: &LongValue) -> (&str, &str, &str, &str) {
    (
        v.tag.as_str(),
        v.case.as_str(),
        v.roi.as_str(),
        v.image.as_str(),
    )
}

/// Feature tags and cases one table holds and the other does not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OneSided {
    /// Tags with rows in this table only (sorted).
    pub features: Vec<String>,
    /// Case ids with rows in this table only (sorted).
    pub cases: Vec<String>,
}

/// What a comparison of two tables cannot cover: features and cases present on one side
/// only, and shared features without a single pair of values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub only_in_a: OneSided,
    pub only_in_b: OneSided,
    /// Tags with rows in both tables and values in at least one, but no (case, roi, image)
    /// with a value in both (sorted): [`compare_tables`] has no row for them. (A tag
    /// without any value in either table — undefined on both sides — is not listed.)
    pub features_without_pairs: Vec<String>,
}

impl Coverage {
    /// True when both tables hold the same tags and cases and every tag has a pair.
    pub fn is_complete(&self) -> bool {
        self == &Coverage::default()
    }
}

/// What the comparison of `a` and `b` leaves out (see [`Coverage`]).
pub fn coverage(a: &[LongValue], b: &[LongValue]) -> Coverage {
    use std::collections::BTreeSet;
    type Field = fn(&LongValue) -> &str;
    fn set(t: &[LongValue], f: Field) -> BTreeSet<&str> {
        t.iter().map(f).collect()
    }
    let tag: Field = |v| v.tag.as_str();
    let case: Field = |v| v.case.as_str();
    let (ta, tb, ca, cb) = (set(a, tag), set(b, tag), set(a, case), set(b, case));
    let minus = |x: &BTreeSet<&str>, y: &BTreeSet<&str>| -> Vec<String> {
        x.difference(y).map(|s| s.to_string()).collect()
    };
    let valued_b: std::collections::HashSet<_> =
        b.iter().filter(|v| v.value.is_some()).map(key).collect();
    let valued: BTreeSet<&str> = a
        .iter()
        .chain(b)
        .filter(|v| v.value.is_some())
        .map(|v| v.tag.as_str())
        .collect();
    let paired: BTreeSet<&str> = a
        .iter()
        .filter(|v| v.value.is_some() && valued_b.contains(&key(v)))
        .map(|v| v.tag.as_str())
        .collect();
    Coverage {
        only_in_a: OneSided {
            features: minus(&ta, &tb),
            cases: minus(&ca, &cb),
        },
        only_in_b: OneSided {
            features: minus(&tb, &ta),
            cases: minus(&cb, &ca),
        },
        features_without_pairs: ta
            .intersection(&tb)
            .filter(|t| valued.contains(*t) && !paired.contains(*t))
            .map(|s| s.to_string())
            .collect(),
    }
}

/// The guards of a comparison (`radx compare`'s thresholds): a feature fails when its largest
/// relative difference exceeds `max_rel_diff`, its CCC is below `min_ccc`, or a pair lies outside
/// its tolerance. With any guard in use, tags or cases present in one table only fail the
/// comparison too, unless `allow_one_sided`.
#[derive(Debug, Clone, Default)]
pub struct Guards {
    pub max_rel_diff: Option<f64>,
    pub min_ccc: Option<f64>,
    /// Absolute tolerance per tag (e.g. an IBSI reference set's); `None` when not given.
    pub tolerances: Option<BTreeMap<String, f64>>,
    pub allow_one_sided: bool,
}

impl Guards {
    /// Checks the thresholds (a NaN would switch a guard off silently); the error names the
    /// threshold, its value and the rule.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(m) = self.max_rel_diff {
            check_max_rel_diff(m).map_err(|why| format!("max_rel_diff={m}: {why}"))?;
        }
        if let Some(m) = self.min_ccc {
            check_min_ccc(m).map_err(|why| format!("min_ccc={m}: {why}"))?;
        }
        Ok(())
    }
}

/// A relative-difference threshold must be a finite number >= 0.
pub fn check_max_rel_diff(x: f64) -> Result<f64, &'static str> {
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err("a relative difference threshold must be a finite number >= 0")
    }
}

/// A CCC threshold must be a number in [-1, 1].
pub fn check_min_ccc(x: f64) -> Result<f64, &'static str> {
    if (-1.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err("a concordance correlation coefficient threshold must be a number in [-1, 1]")
    }
}

/// The outcome of `radx compare`, as its JSON report writes it (fields in the report's key
/// order).
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub coverage: Coverage,
    /// Guards are in use, one-sided tags or cases are not allowed, and there are some.
    pub coverage_fails: bool,
    /// Tags beyond a threshold.
    pub failing: Vec<String>,
    pub features: Vec<FeatureAgreement>,
    pub passed: bool,
}

/// Compares two long tables under `guards`: per-feature agreement, coverage and verdict.
pub fn judge(a: &[LongValue], b: &[LongValue], guards: &Guards) -> Comparison {
    let empty = BTreeMap::new();
    let features = compare_tables(a, b, guards.tolerances.as_ref().unwrap_or(&empty));
    let coverage = coverage(a, b);
    let guarded =
        guards.max_rel_diff.is_some() || guards.min_ccc.is_some() || guards.tolerances.is_some();
    let coverage_fails = guarded && !guards.allow_one_sided && !coverage.is_complete();
    let failing: Vec<String> = features
        .iter()
        .filter(|r| {
            guards.max_rel_diff.is_some_and(|m| r.max_rel_diff > m)
                || guards.min_ccc.is_some_and(|m| r.ccc.is_some_and(|c| c < m))
                || r.within_tolerance == Some(false)
        })
        .map(|r| r.tag.clone())
        .collect();
    let passed = failing.is_empty() && !coverage_fails;
    Comparison {
        coverage,
        coverage_fails,
        failing,
        features,
        passed,
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
    fn valued(t: &[LongValue]) -> BTreeMap<Key<'_>, f64> {
        t.iter().filter_map(|v| Some((key(v), v.value?))).collect()
    }
    let (in_a, in_b) = (valued(a), valued(b));
    let mut pairs: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let mut unpaired_a: BTreeMap<&str, usize> = BTreeMap::new();
    for v in a {
        if let Some(x) = v.value {
            match in_b.get(&key(v)) {
                Some(&y) => {
                    let e = pairs.entry(v.tag.as_str()).or_default();
                    e.0.push(x);
                    e.1.push(y);
                }
                None => *unpaired_a.entry(v.tag.as_str()).or_default() += 1,
            }
        }
    }
    let mut unpaired_b: BTreeMap<&str, usize> = BTreeMap::new();
    for k in in_b.keys().filter(|k| !in_a.contains_key(*k)) {
        *unpaired_b.entry(k.0).or_default() += 1;
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
                unpaired_a: unpaired_a.get(tag).copied().unwrap_or(0),
                unpaired_b: unpaired_b.get(tag).copied().unwrap_or(0),
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
        // c2's x has no counterpart in b besides the pair; y is valued in b only.
        assert_eq!((r[0].unpaired_a, r[0].unpaired_b), (0, 0));
        let cov = coverage(&a, &b);
        assert_eq!(cov.features_without_pairs, ["y"]);
        assert!(cov.only_in_a.features.is_empty() && cov.only_in_b.cases.is_empty());
        assert!(!cov.is_complete());
    }

    #[test]
    fn features_and_cases_on_one_side_are_reported() {
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
            mk("c1", "only_a", Some(1.0)),
            mk("c3", "x", Some(3.0)),
        ];
        let b = vec![
            mk("c1", "x", Some(1.0)),
            mk("c2", "x", Some(2.0)),
            mk("c4", "x", Some(4.0)),
            mk("c1", "only_b", Some(1.0)),
        ];
        let cov = coverage(&a, &b);
        assert_eq!(cov.only_in_a.features, ["only_a"]);
        assert_eq!(cov.only_in_b.features, ["only_b"]);
        assert_eq!(cov.only_in_a.cases, ["c3"]);
        assert_eq!(cov.only_in_b.cases, ["c4"]);
        assert!(cov.features_without_pairs.is_empty());
        let r = compare_tables(&a, &b, &BTreeMap::new());
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].n, r[0].unpaired_a, r[0].unpaired_b), (2, 1, 1));
        assert!(coverage(&a, &a).is_complete());
        // A feature undefined on both sides is not one-sided.
        let none = vec![mk("c1", "z", None)];
        assert!(coverage(&none, &none).is_complete());
    }
}
