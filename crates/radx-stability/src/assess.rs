//! Feature stability across conditions: one cohort extracted under several conditions
//! (settings grids, seeded perturbations of image or ROI, other platforms or software), one
//! long table per condition; per feature, agreement statistics of the cases × conditions
//! matrix and a reliability class.
//!
//! # What is computed, per feature (key: roi, image, tag)
//!
//! The matrix `Y` (rows: cases, columns: conditions) holds the cases that have a value in
//! **every** condition. Cases with a row for the feature in some condition but not a value in
//! all of them are *dropped*, and every dropped (case, condition) is recorded with its reason
//! (`no row`, or the table's missing reason) — nothing is dropped silently.
//!
//! * **ICC(2,1)** (two-way random effects, absolute agreement, single measurement) and
//!   **ICC(3,1)** (two-way mixed, consistency) with their confidence intervals (McGraw &
//!   Wong 1996; computed by `radx_stats::icc`);
//! * **overall CCC** (Lin's concordance generalised to several conditions, Barnhart 2002)
//!   and the **pairwise CCC** of every condition against the reference condition (Lin 1989,
//!   population moments);
//! * **mean CV**: the mean over cases of the coefficient of variation of the case's values
//!   across conditions (`radx_stats::coefficient_of_variation`: sample standard deviation
//!   over |mean|); cases whose mean is 0 are left out of the mean and counted;
//! * **class**: the reliability class of ICC(2,1)'s point estimate (Koo & Li 2016): excellent
//!   above 0.9, good from 0.75, moderate from 0.5, poor below — and the class of the lower
//!   confidence bound, the conservative verdict;
//! * **Bland–Altman** bias and 95 % limits of agreement of (worst condition − reference),
//!   the worst condition being the one with the lowest pairwise CCC.
//!
//! An undefined statistic (fewer than 2 cases or 2 conditions, zero variance, ...) is
//! `None` with the reason in `undefined`.
//!
//! # Heat map aggregate
//!
//! Per (group, condition) with the group the radx family (`image:family` when the tables hold
//! more than one image label): the **median over the group's features of CCC(reference,
//! condition)**, with the number of features that have that CCC defined. The median is
//! robust to the few ill-conditioned features every family has; CCC (not ICC) because it is
//! defined per condition pair.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use ndarray::Array2;
use radx_stats::{Estimate, Reliability};
use serde::{Deserialize, Serialize};

use radx_check::compare::{invalid, LongValue};
use radx_check::table::read_long_table;
use radx_check::CheckError;

/// One condition's table.
#[derive(Debug, Clone)]
pub struct ConditionTable {
    pub name: String,
    pub values: Vec<LongValue>,
    /// The provenance sidecar, when one was found.
    pub provenance: Option<serde_json::Value>,
}

impl ConditionTable {
    /// Reads a radx long CSV and its provenance sidecar (`<csv>.provenance.json`, optional;
    /// present but unreadable is an error).
    pub fn read(name: impl Into<String>, path: &Path) -> Result<Self, CheckError> {
        let values = read_long_table(path)?;
        let side = provenance_path(path);
        let provenance = if side.exists() {
            let text = std::fs::read_to_string(&side).map_err(|e| {
                CheckError::Io(radx_io::IoError::Read {
                    path: side.clone(),
                    message: e.to_string(),
                })
            })?;
            Some(
                serde_json::from_str(&text)
                    .map_err(|e| invalid(&side, format!("provenance is not JSON: {e}")))?,
            )
        } else {
            None
        };
        Ok(ConditionTable {
            name: name.into(),
            values,
            provenance,
        })
    }
}

/// The provenance sidecar of a table: `<table>.provenance.json` (radx-io's rule).
pub use radx_io::provenance_path;

/// Hash maps for the in-memory indexes, with the Fx hash (rustc-hash): the keys are
/// strings of the tables being analysed, where SipHash's protection against adversarial
/// collisions buys nothing and costs most of the indexing time.
type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// Options of [`assess`].
#[derive(Debug, Clone)]
pub struct StabilityOptions {
    /// Reference condition for pairwise CCC, heat map and Bland–Altman (default: the first).
    pub reference: Option<String>,
    /// Confidence level of the ICC intervals (0.95).
    pub level: f64,
    /// How many of the least stable features get Bland–Altman data for plots (6).
    pub bland_altman_features: usize,
    /// Pair values across conditions by (case, image, tag) only, e.g. when one table names
    /// the ROI `nonzero` and another (a PyRadiomics import) `label_1`; features then carry
    /// an empty `roi`. A case must then hold one ROI per table.
    pub ignore_roi: bool,
}

impl Default for StabilityOptions {
    fn default() -> Self {
        StabilityOptions {
            reference: None,
            level: 0.95,
            bland_altman_features: 6,
            ignore_roi: false,
        }
    }
}

/// Class thresholds, as stated in the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Thresholds {
    pub excellent_above: f64,
    pub good_from: f64,
    pub moderate_from: f64,
    pub statistic: String,
    pub source: String,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            excellent_above: radx_stats::EXCELLENT_ABOVE,
            good_from: radx_stats::GOOD_FROM,
            moderate_from: radx_stats::MODERATE_FROM,
            statistic: "ICC(2,1) point estimate (class_lower: its lower confidence bound)".into(),
            source: "Koo & Li 2016, J Chiropr Med 15:155".into(),
        }
    }
}

/// Summary of one condition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConditionSummary {
    pub name: String,
    pub values: usize,
    pub missing: usize,
    pub cases: usize,
    /// From the provenance sidecar, when present.
    pub settings_id: Option<String>,
    pub radx_version: Option<String>,
    /// `family version (origin)` of each plugin.
    pub plugins: Vec<String>,
    /// `os arch [cpu features]`.
    pub platform: Option<String>,
    /// The provenance's `perturbation` record, when the run had one.
    pub perturbation: Option<serde_json::Value>,
}

/// A dropped (case, condition) of one feature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DroppedValue {
    pub case: String,
    pub condition: String,
    pub reason: String,
}

/// Pairwise CCC of one condition with the reference.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairCcc {
    pub condition: String,
    pub ccc: Option<f64>,
}

/// An undefined statistic and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Undefined {
    pub statistic: String,
    pub reason: String,
}

/// Bland–Altman summary of (worst condition − reference).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorstPair {
    pub condition: String,
    pub bias: f64,
    pub lower: f64,
    pub upper: f64,
    pub n: usize,
}

/// Stability of one feature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureStability {
    pub roi: String,
    pub image: String,
    pub tag: String,
    pub family: String,
    pub feature: String,
    pub ibsi_id: String,
    /// Cases with a row for the feature in at least one condition.
    pub cases_seen: usize,
    /// Cases with a value in every condition (rows of the matrix).
    pub cases_used: usize,
    /// Every (case, condition) without a value, for cases left out of the matrix.
    pub dropped: Vec<DroppedValue>,
    pub icc2_1: Option<Estimate>,
    pub icc3_1: Option<Estimate>,
    pub overall_ccc: Option<f64>,
    /// CCC of each non-reference condition with the reference.
    pub pairwise_ccc: Vec<PairCcc>,
    pub mean_cv: Option<f64>,
    /// Cases whose CV was undefined (mean 0) and left out of `mean_cv`.
    pub cv_undefined_cases: usize,
    /// Class of ICC(2,1)'s point estimate.
    pub class: Option<Reliability>,
    /// Class of ICC(2,1)'s lower confidence bound.
    pub class_lower: Option<Reliability>,
    pub worst: Option<WorstPair>,
    pub undefined: Vec<Undefined>,
}

impl FeatureStability {
    /// `roi/image/tag`.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.roi, self.image, self.tag)
    }
}

/// One cell of the family × condition heat map.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeatCell {
    pub group: String,
    pub condition: String,
    /// Median over the group's features of CCC(reference, condition).
    pub median_ccc: Option<f64>,
    /// Features with that CCC defined.
    pub features: usize,
}

/// Paired values of the reference and the worst condition of one feature, for plots.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlandAltmanData {
    pub key: String,
    pub tag: String,
    pub reference: String,
    pub condition: String,
    pub cases: Vec<String>,
    pub reference_values: Vec<f64>,
    pub condition_values: Vec<f64>,
}

/// The stability report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StabilityReport {
    pub conditions: Vec<ConditionSummary>,
    pub reference: String,
    pub level: f64,
    pub thresholds: Thresholds,
    /// Features per class name, plus `undefined`.
    pub class_counts: BTreeMap<String, usize>,
    /// Same, by the class of the lower confidence bound.
    pub class_lower_counts: BTreeMap<String, usize>,
    pub heat_map_statistic: String,
    pub heat_map: Vec<HeatCell>,
    pub features: Vec<FeatureStability>,
    pub bland_altman: Vec<BlandAltmanData>,
}

fn summarise(c: &ConditionTable, cases: usize) -> ConditionSummary {
    let p = c.provenance.as_ref();
    let s = |k: &str| {
        p.and_then(|p| p.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let plugins = p
        .and_then(|p| p.get("plugins"))
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .map(|pl| {
                    let f = |k: &str| pl.get(k).and_then(|v| v.as_str()).unwrap_or("");
                    format!("{} {} ({})", f("family"), f("version"), f("origin"))
                })
                .collect()
        })
        .unwrap_or_default();
    let platform = p.and_then(|p| p.get("platform")).map(|pl| {
        let f = |k: &str| pl.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let cpu: Vec<&str> = pl
            .get("cpu_features")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        format!("{} {} [{}]", f("os"), f("arch"), cpu.join(" "))
    });
    ConditionSummary {
        name: c.name.clone(),
        values: c.values.len(),
        missing: c.values.iter().filter(|v| v.value.is_none()).count(),
        cases,
        settings_id: s("settings_id"),
        radx_version: s("radx_version"),
        plugins,
        platform,
        perturbation: p.and_then(|p| p.get("perturbation")).cloned(),
    }
}

/// Summary (counts and provenance) of one table, e.g. for the two sides of `radx compare`.
pub fn summarise_condition(table: &ConditionTable) -> ConditionSummary {
    let mut cases: Vec<&str> = table.values.iter().map(|v| v.case.as_str()).collect();
    cases.sort_unstable();
    cases.dedup();
    summarise(table, cases.len())
}

/// Name of a class for counts and tables.
pub fn class_name(c: Option<Reliability>) -> &'static str {
    c.map_or("undefined", |c| c.name())
}

/// Assesses the stability of every feature across the conditions.
///
/// Errors: fewer than two conditions, duplicate condition names, an unknown reference, or a
/// table holding the same (case, roi, image, tag) twice.
pub fn assess(
    conditions: &[ConditionTable],
    options: &StabilityOptions,
) -> Result<StabilityReport, CheckError> {
    let here = Path::new("stability");
    if conditions.len() < 2 {
        return Err(invalid(here, "needs at least two conditions"));
    }
    for (i, c) in conditions.iter().enumerate() {
        if conditions[..i].iter().any(|d| d.name == c.name) {
            return Err(invalid(here, format!("condition `{}` given twice", c.name)));
        }
    }
    let reference = match &options.reference {
        Some(r) => conditions
            .iter()
            .position(|c| &c.name == r)
            .ok_or_else(|| {
                invalid(
                    here,
                    format!("reference condition `{r}` is not one of the conditions"),
                )
            })?,
        None => 0,
    };
    let k = conditions.len();

    // Index cases and features (one hash look-up per value), then fill a dense
    // (feature, case, condition) table.
    let mut case_ix: FastMap<&str, u32> = FastMap::default();
    let mut case_names: Vec<&str> = Vec::new();
    let mut feat_ix: FastMap<(&str, &str, &str), u32> = FastMap::default();
    let mut feat_first: Vec<&LongValue> = Vec::new();
    let mut cells: Vec<Vec<(u32, u32)>> = Vec::with_capacity(k);
    // Tables list the same features in the same order for every case: predict each value's
    // feature from the previous case's sequence and fall back to the hash map on a miss.
    let mut pred: Vec<u32> = Vec::new();
    let mut cur: Vec<u32> = Vec::new();
    for c in conditions {
        let mut idx = Vec::with_capacity(c.values.len());
        let mut last: Option<(&str, u32)> = None;
        let mut pos = 0usize;
        for v in &c.values {
            let i = match last {
                Some((name, i)) if name == v.case => i,
                _ => {
                    let n = case_names.len() as u32;
                    let i = *case_ix.entry(v.case.as_str()).or_insert_with(|| {
                        case_names.push(v.case.as_str());
                        n
                    });
                    last = Some((v.case.as_str(), i));
                    if !cur.is_empty() {
                        pred = std::mem::take(&mut cur);
                    }
                    pos = 0;
                    i
                }
            };
            let roi = if options.ignore_roi {
                ""
            } else {
                v.roi.as_str()
            };
            let predicted = pred.get(pos).copied().filter(|&f| {
                let p = feat_first[f as usize];
                p.tag == v.tag && p.image == v.image && (options.ignore_roi || p.roi == v.roi)
            });
            let f = match predicted {
                Some(f) => f,
                None => {
                    let n = feat_first.len() as u32;
                    *feat_ix
                        .entry((roi, v.image.as_str(), v.tag.as_str()))
                        .or_insert_with(|| {
                            feat_first.push(v);
                            n
                        })
                }
            };
            pos += 1;
            cur.push(f);
            idx.push((f, i));
        }
        if !cur.is_empty() {
            pred = std::mem::take(&mut cur);
        }
        cells.push(idx);
    }
    let nc = case_names.len();
    let nf = feat_first.len();
    // 0: no row; 1: value; 2: missing with reason
    let mut state = vec![0u8; nf * nc * k];
    let mut value = vec![0.0f64; nf * nc * k];
    let mut reason: HashMap<usize, &str> = HashMap::new();
    for (j, c) in conditions.iter().enumerate() {
        for (v, &(f, i)) in c.values.iter().zip(&cells[j]) {
            let cell = (f as usize * nc + i as usize) * k + j;
            if state[cell] != 0 {
                return Err(invalid(
                    here,
                    format!(
                        "condition `{}` holds case `{}` roi `{}` image `{}` tag `{}` twice",
                        c.name, v.case, v.roi, v.image, v.tag
                    ),
                ));
            }
            match v.value {
                Some(x) => {
                    state[cell] = 1;
                    value[cell] = x;
                }
                None => {
                    state[cell] = 2;
                    reason.insert(cell, v.missing_reason.as_deref().unwrap_or("missing"));
                }
            }
        }
    }
    let cases_per_condition: Vec<usize> = cells
        .iter()
        .map(|idx| {
            let mut seen = vec![false; nc];
            idx.iter().for_each(|&(_, i)| seen[i as usize] = true);
            seen.iter().filter(|&&b| b).count()
        })
        .collect();
    drop(cells);

    // Features in a stable order: roi, image, tag.
    let mut order: Vec<usize> = (0..nf).collect();
    let ig = options.ignore_roi;
    order.sort_by(|&a, &b| {
        let (x, y) = (feat_first[a], feat_first[b]);
        (roi_key(x, ig), &x.image, &x.tag).cmp(&(roi_key(y, ig), &y.image, &y.tag))
    });
    let mut case_order: Vec<usize> = (0..nc).collect();
    case_order.sort_by(|&a, &b| case_names[a].cmp(case_names[b]));

    let mut features = Vec::with_capacity(nf);
    let mut ba_pairs: Vec<(Vec<String>, Vec<f64>, Vec<f64>)> = Vec::with_capacity(nf);
    for &f in &order {
        let first = feat_first[f];
        let mut used: Vec<usize> = Vec::new();
        let mut seen = 0;
        let mut dropped = Vec::new();
        for &i in &case_order {
            let cells = &state[(f * nc + i) * k..(f * nc + i + 1) * k];
            if cells.iter().all(|&s| s == 0) {
                continue;
            }
            seen += 1;
            if cells.iter().all(|&s| s == 1) {
                used.push(i);
            } else {
                for (j, &s) in cells.iter().enumerate() {
                    if s != 1 {
                        dropped.push(DroppedValue {
                            case: case_names[i].to_string(),
                            condition: conditions[j].name.clone(),
                            reason: if s == 0 {
                                "no row".to_string()
                            } else {
                                reason[&((f * nc + i) * k + j)].to_string()
                            },
                        });
                    }
                }
            }
        }
        let n = used.len();
        let mut y = Array2::<f64>::zeros((n, k));
        for (r, &i) in used.iter().enumerate() {
            let base = (f * nc + i) * k;
            for j in 0..k {
                y[[r, j]] = value[base + j];
            }
        }
        let mut undefined = Vec::new();
        let mut undef = |stat: &str, why: String| {
            undefined.push(Undefined {
                statistic: stat.to_string(),
                reason: why,
            })
        };
        let (icc2_1, icc3_1) = match radx_stats::icc(y.view(), options.level) {
            Ok(r) => (Some(r.icc2_1), Some(r.icc3_1)),
            Err(e) => {
                undef("icc", e.to_string());
                (None, None)
            }
        };
        let overall_ccc = radx_stats::overall_ccc(y.view());
        if overall_ccc.is_none() {
            undef(
                "overall_ccc",
                format!("undefined for {n} cases (needs 2 or more and a non-zero total variance)"),
            );
        }
        let col = |j: usize| y.column(j).to_vec();
        let ref_col = col(reference);
        let mut pairwise_ccc = Vec::with_capacity(k - 1);
        for j in (0..k).filter(|&j| j != reference) {
            let c = radx_stats::ccc(&ref_col, &col(j));
            pairwise_ccc.push(PairCcc {
                condition: conditions[j].name.clone(),
                ccc: c,
            });
        }
        let mut cv_sum = 0.0;
        let mut cv_n = 0usize;
        for r in 0..n {
            let row = y.row(r).to_vec();
            if let Some(cv) = radx_stats::coefficient_of_variation(&row) {
                cv_sum += cv;
                cv_n += 1;
            }
        }
        let mean_cv = (cv_n > 0).then(|| cv_sum / cv_n as f64);
        if mean_cv.is_none() {
            undef(
                "mean_cv",
                format!("no case with a defined coefficient of variation ({n} cases; mean 0 or fewer than 2 conditions)"),
            );
        }
        // Worst condition: lowest pairwise CCC (ties: first).
        let worst_j = pairwise_ccc
            .iter()
            .enumerate()
            .filter_map(|(p, c)| c.ccc.map(|v| (p, v)))
            .fold(None::<(usize, f64)>, |acc, (p, v)| match acc {
                Some((_, b)) if b <= v => acc,
                _ => Some((p, v)),
            })
            .map(|(p, _)| (0..k).filter(|&j| j != reference).nth(p).unwrap_or(0));
        let worst = worst_j.and_then(|j| {
            let other = col(j);
            radx_stats::bland_altman(&other, &ref_col).map(|b| WorstPair {
                condition: conditions[j].name.clone(),
                bias: b.bias,
                lower: b.lower,
                upper: b.upper,
                n: b.n,
            })
        });
        if worst.is_none() {
            undef(
                "bland_altman",
                "no condition with a defined CCC against the reference, or fewer than 2 cases"
                    .into(),
            );
        }
        ba_pairs.push(match worst_j {
            Some(j) => (
                used.iter().map(|&i| case_names[i].to_string()).collect(),
                ref_col.clone(),
                col(j),
            ),
            None => Default::default(),
        });
        let class = icc2_1.as_ref().map(|e| Reliability::of(e.value));
        let class_lower = icc2_1.as_ref().map(|e| Reliability::of(e.lower));
        features.push(FeatureStability {
            roi: roi_key(first, ig).to_string(),
            image: first.image.clone(),
            tag: first.tag.clone(),
            family: first.family.clone(),
            feature: first.feature.clone(),
            ibsi_id: first.ibsi_id.clone(),
            cases_seen: seen,
            cases_used: n,
            dropped,
            icc2_1,
            icc3_1,
            overall_ccc,
            pairwise_ccc,
            mean_cv,
            cv_undefined_cases: n - cv_n,
            class,
            class_lower,
            worst,
            undefined,
        });
    }

    // Counts per class.
    let mut class_counts = BTreeMap::new();
    let mut class_lower_counts = BTreeMap::new();
    for name in ["excellent", "good", "moderate", "poor", "undefined"] {
        class_counts.insert(name.to_string(), 0);
        class_lower_counts.insert(name.to_string(), 0);
    }
    for f in &features {
        *class_counts.entry(class_name(f.class).into()).or_insert(0) += 1;
        *class_lower_counts
            .entry(class_name(f.class_lower).into())
            .or_insert(0) += 1;
    }

    // Heat map.
    let mut images: Vec<&str> = features.iter().map(|f| f.image.as_str()).collect();
    images.sort_unstable();
    images.dedup();
    let group_of = |f: &FeatureStability| {
        let fam = if f.family.is_empty() {
            f.tag.split('_').next().unwrap_or("").to_string()
        } else {
            f.family.clone()
        };
        if images.len() > 1 {
            format!("{}:{fam}", f.image)
        } else {
            fam
        }
    };
    let mut groups: BTreeMap<String, Vec<&FeatureStability>> = BTreeMap::new();
    for f in &features {
        groups.entry(group_of(f)).or_default().push(f);
    }
    let mut heat_map = Vec::new();
    for (g, fs) in &groups {
        for (p, j) in (0..k).filter(|&j| j != reference).enumerate() {
            let mut v: Vec<f64> = fs.iter().filter_map(|f| f.pairwise_ccc[p].ccc).collect();
            v.sort_by(f64::total_cmp);
            heat_map.push(HeatCell {
                group: g.clone(),
                condition: conditions[j].name.clone(),
                median_ccc: median_sorted(&v),
                features: v.len(),
            });
        }
    }

    // Bland–Altman data of the least stable features (lowest ICC(2,1); undefined last).
    let mut rank: Vec<usize> = (0..features.len())
        .filter(|&i| features[i].worst.is_some() && features[i].icc2_1.is_some())
        .collect();
    rank.sort_by(|&a, &b| {
        let (x, y) = (&features[a], &features[b]);
        let (vx, vy) = (
            x.icc2_1.as_ref().map_or(f64::INFINITY, |e| e.value),
            y.icc2_1.as_ref().map_or(f64::INFINITY, |e| e.value),
        );
        vx.total_cmp(&vy).then_with(|| x.key().cmp(&y.key()))
    });
    let bland_altman = rank
        .into_iter()
        .take(options.bland_altman_features)
        .map(|i| {
            let f = &features[i];
            let (cases, rv, cv) = ba_pairs[i].clone();
            BlandAltmanData {
                key: f.key(),
                tag: f.tag.clone(),
                reference: conditions[reference].name.clone(),
                condition: f
                    .worst
                    .as_ref()
                    .map(|w| w.condition.clone())
                    .unwrap_or_default(),
                cases,
                reference_values: rv,
                condition_values: cv,
            }
        })
        .collect();

    Ok(StabilityReport {
        conditions: conditions
            .iter()
            .zip(cases_per_condition)
            .map(|(c, n)| summarise(c, n))
            .collect(),
        reference: conditions[reference].name.clone(),
        level: options.level,
        thresholds: Thresholds::default(),
        class_counts,
        class_lower_counts,
        heat_map_statistic: "median over the group's features of CCC(reference, condition)".into(),
        heat_map,
        features,
        bland_altman,
    })
}

fn roi_key(v: &LongValue, ignore_roi: bool) -> &str {
    if ignore_roi {
        ""
    } else {
        &v.roi
    }
}

fn median_sorted(v: &[f64]) -> Option<f64> {
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some(0.5 * (v[n / 2 - 1] + v[n / 2])),
    }
}
