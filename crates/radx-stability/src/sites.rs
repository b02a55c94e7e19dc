//! Site (scanner, centre, batch) effects in a cohort table, and ComBat harmonisation.
//!
//! Given a site per case, for every feature (key: roi, image, tag):
//!
//! * **Kruskal–Wallis** H test of "same distribution at every site" over the cases with a
//!   value (`radx_stats::kruskal_wallis`: ranks with mid-ranks for ties, tie-corrected H,
//!   χ² with `sites − 1` degrees of freedom);
//! * **Benjamini–Hochberg q-values** over the features with a p-value: with the m p-values
//!   sorted ascending `p_(1) ≤ … ≤ p_(m)`, `q_(i) = min_{j ≥ i} min(1, m p_(j) / j)`; a
//!   feature with `q ≤ α` is a discovery at false discovery rate α (Benjamini & Hochberg
//!   1995);
//! * **ComBat** (`radx_stats::combat`, Johnson et al. 2007; Orlhac et al. 2018 for radiomics)
//!   on the features × cases matrix of the *complete* features — a value for every case that
//!   has a site — excluding, with the reason, features that are constant within some site
//!   (their batch scale is 0) or over all cases; then the Kruskal–Wallis test again on the
//!   harmonised values ("after").
//!
//! Cases without a site are left out and listed; sites are compared as given (string
//! labels).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use ndarray::Array2;
use radx_stats::{Combat, CombatOptions, KruskalWallis};
use serde::{Deserialize, Serialize};

use radx_check::compare::{invalid, LongValue};
use radx_check::CheckError;

/// Reads a `case,site` CSV (header required; other columns ignored) through
/// [`radx_io::read_csv`]: a short or long row, an empty case or site, and a case listed
/// twice are errors naming the line(s).
pub fn read_sites(path: &Path) -> Result<BTreeMap<String, String>, CheckError> {
    let table = radx_io::read_csv(path, Default::default())?;
    let col = |n: &str| {
        table
            .column(n)
            .ok_or_else(|| invalid(path, format!("no `{n}` column (expected case,site)")))
    };
    let (ci, si) = (col("case")?, col("site")?);
    let mut out = BTreeMap::new();
    let mut lines = BTreeMap::new();
    for row in &table.rows {
        let (case, site) = (row.fields[ci].trim(), row.fields[si].trim());
        if case.is_empty() || site.is_empty() {
            return Err(invalid(
                path,
                format!("line {}: empty case or site", row.line),
            ));
        }
        if let Some(first) = lines.insert(case.to_string(), row.line) {
            return Err(invalid(
                path,
                format!(
                    "lines {first} and {}: case `{case}` is listed twice (sites `{}` and `{site}`)",
                    row.line, out[case]
                ),
            ));
        }
        out.insert(case.to_string(), site.to_string());
    }
    if out.is_empty() {
        return Err(invalid(path, "no case,site rows"));
    }
    Ok(out)
}

/// Options of [`assess_sites`].
#[derive(Debug, Clone, Copy)]
pub struct SitesOptions {
    pub combat: CombatOptions,
    /// Run ComBat (default true).
    pub harmonise: bool,
    /// False discovery rate for the `significant` counts (0.05).
    pub fdr: f64,
}

impl Default for SitesOptions {
    fn default() -> Self {
        SitesOptions {
            combat: CombatOptions::default(),
            harmonise: true,
            fdr: 0.05,
        }
    }
}

/// One site.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteSummary {
    pub site: String,
    pub cases: usize,
}

/// Site effect of one feature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteFeature {
    pub roi: String,
    pub image: String,
    pub tag: String,
    pub family: String,
    /// Cases (with a site) with a value.
    pub n: usize,
    /// Cases (with a site) without a value.
    pub missing: usize,
    pub kw: Option<KruskalWallis>,
    pub q_value: Option<f64>,
    /// Whether the feature went through ComBat; if not, `combat_excluded` says why.
    pub harmonised: bool,
    pub combat_excluded: Option<String>,
    pub kw_after: Option<KruskalWallis>,
    pub q_value_after: Option<f64>,
    /// Mean per site before and after ComBat (site order of the report).
    pub site_means: Vec<f64>,
    pub site_means_after: Vec<f64>,
    /// Why the test is undefined, when it is.
    pub undefined: Option<String>,
}

impl SiteFeature {
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.roi, self.image, self.tag)
    }
}

/// The sites report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SitesReport {
    pub sites: Vec<SiteSummary>,
    /// Cases in the table without a site (left out).
    pub cases_without_site: Vec<String>,
    pub fdr: f64,
    /// Features with q ≤ fdr, before and after ComBat.
    pub significant_before: usize,
    pub significant_after: Option<usize>,
    pub combat_options: Option<CombatOptions>,
    /// Why ComBat did not run, when it did not.
    pub combat_error: Option<String>,
    pub features: Vec<SiteFeature>,
}

/// ComBat estimates with the feature keys of their columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CombatEstimates {
    /// `roi/image/tag` of each feature (column of the per-batch arrays).
    pub features: Vec<String>,
    /// Cases (columns of `adjusted`).
    pub cases: Vec<String>,
    pub combat: Combat,
}

/// Everything [`assess_sites`] produces.
#[derive(Debug, Clone)]
pub struct SitesResult {
    pub report: SitesReport,
    /// The harmonised long table (harmonised features only), when ComBat ran.
    pub harmonised: Vec<LongValue>,
    pub combat: Option<CombatEstimates>,
}

/// Benjamini–Hochberg adjusted p-values (q-values), same order as `p`; `None` stays `None`
/// and does not count in m.
pub fn benjamini_hochberg(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_some()).collect();
    idx.sort_by(|&a, &b| {
        p[a].unwrap_or(0.0)
            .total_cmp(&p[b].unwrap_or(0.0))
            .then(a.cmp(&b))
    });
    let m = idx.len() as f64;
    let mut q = vec![None; p.len()];
    let mut running = 1.0f64;
    for (r, &i) in idx.iter().enumerate().rev() {
        let v = (m * p[i].unwrap_or(1.0) / (r as f64 + 1.0)).min(1.0);
        running = running.min(v);
        q[i] = Some(running);
    }
    q
}

fn kw_of(groups: &[Vec<f64>]) -> Result<KruskalWallis, String> {
    let nonempty: Vec<Vec<f64>> = groups.iter().filter(|g| !g.is_empty()).cloned().collect();
    radx_stats::kruskal_wallis(&nonempty).map_err(|e| e.to_string())
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Site effects per feature and ComBat harmonisation of the complete features.
pub fn assess_sites(
    values: &[LongValue],
    sites: &BTreeMap<String, String>,
    options: &SitesOptions,
) -> Result<SitesResult, CheckError> {
    let here = Path::new("sites");
    // Cases with a site, in sorted order; sites sorted.
    let mut cases: Vec<&str> = values.iter().map(|v| v.case.as_str()).collect();
    cases.sort_unstable();
    cases.dedup();
    let cases_without_site: Vec<String> = cases
        .iter()
        .filter(|c| !sites.contains_key(**c))
        .map(|c| c.to_string())
        .collect();
    let cases: Vec<&str> = cases
        .into_iter()
        .filter(|c| sites.contains_key(*c))
        .collect();
    if cases.is_empty() {
        return Err(invalid(here, "no case of the table has a site"));
    }
    let mut site_names: Vec<&str> = cases.iter().map(|c| sites[*c].as_str()).collect();
    site_names.sort_unstable();
    site_names.dedup();
    if site_names.len() < 2 {
        return Err(invalid(
            here,
            "the cases of the table come from one site only",
        ));
    }
    let site_ix: HashMap<&str, usize> = site_names
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, i))
        .collect();
    let case_ix: HashMap<&str, usize> = cases.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let case_site: Vec<usize> = cases.iter().map(|c| site_ix[sites[*c].as_str()]).collect();
    let nc = cases.len();
    let ns = site_names.len();

    // Feature index and case × feature values.
    let mut feat_ix: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    for v in values {
        let n = feat_ix.len();
        feat_ix
            .entry((v.roi.as_str(), v.image.as_str(), v.tag.as_str()))
            .or_insert(n);
    }
    // Re-number features in key order.
    let keys: Vec<(&str, &str, &str)> = feat_ix.keys().copied().collect();
    for (i, k) in keys.iter().enumerate() {
        feat_ix.insert(*k, i);
    }
    let nf = keys.len();
    let mut cell: Vec<Option<f64>> = vec![None; nf * nc];
    let mut seen = vec![false; nf * nc];
    let mut first: Vec<Option<&LongValue>> = vec![None; nf];
    for v in values {
        let Some(&c) = case_ix.get(v.case.as_str()) else {
            continue;
        };
        let f = feat_ix[&(v.roi.as_str(), v.image.as_str(), v.tag.as_str())];
        first[f].get_or_insert(v);
        let i = f * nc + c;
        if seen[i] {
            return Err(invalid(
                here,
                format!(
                    "case `{}` roi `{}` image `{}` tag `{}` appears twice",
                    v.case, v.roi, v.image, v.tag
                ),
            ));
        }
        seen[i] = true;
        cell[i] = v.value;
    }

    let mut features = Vec::with_capacity(nf);
    for (f, key) in keys.iter().enumerate() {
        let mut groups = vec![Vec::new(); ns];
        let mut missing = 0;
        for c in 0..nc {
            match cell[f * nc + c] {
                Some(x) => groups[case_site[c]].push(x),
                None => missing += 1,
            }
        }
        let n = groups.iter().map(Vec::len).sum();
        let (kw, undefined) = match kw_of(&groups) {
            Ok(k) => (Some(k), None),
            Err(e) => (None, Some(e)),
        };
        features.push(SiteFeature {
            roi: key.0.to_string(),
            image: key.1.to_string(),
            tag: key.2.to_string(),
            family: first[f].map(|v| v.family.clone()).unwrap_or_default(),
            n,
            missing,
            kw,
            q_value: None,
            harmonised: false,
            combat_excluded: None,
            kw_after: None,
            q_value_after: None,
            site_means: groups.iter().map(|g| mean(g)).collect(),
            site_means_after: Vec::new(),
            undefined,
        });
    }
    let q = benjamini_hochberg(
        &features
            .iter()
            .map(|f| f.kw.map(|k| k.p_value))
            .collect::<Vec<_>>(),
    );
    for (f, q) in features.iter_mut().zip(q) {
        f.q_value = q;
    }

    // ComBat on the complete, non-degenerate features.
    let mut harmonised = Vec::new();
    let mut combat_est = None;
    let mut combat_error = None;
    if options.harmonise {
        let mut included = Vec::new();
        for (f, feat) in features.iter_mut().enumerate() {
            let col: Vec<Option<f64>> = (0..nc).map(|c| cell[f * nc + c]).collect();
            let why = if col.iter().any(Option::is_none) {
                Some(format!("{} of {nc} cases without a value", feat.missing))
            } else {
                let mut per_site = vec![Vec::new(); ns];
                for (c, v) in col.iter().enumerate() {
                    per_site[case_site[c]].push(v.unwrap_or(0.0));
                }
                let constant = |g: &Vec<f64>| g.iter().all(|x| *x == g[0]);
                if per_site.iter().flatten().all(|x| Some(*x) == col[0]) {
                    Some("constant over all cases".to_string())
                } else if !options.combat.mean_only && per_site.iter().any(constant) {
                    Some("constant within a site (batch variance 0)".to_string())
                } else {
                    None
                }
            };
            match why {
                Some(w) => feat.combat_excluded = Some(w),
                None => included.push(f),
            }
        }
        let batch: Vec<String> = case_site
            .iter()
            .map(|&s| site_names[s].to_string())
            .collect();
        let mut data = Array2::<f64>::zeros((included.len(), nc));
        for (r, &f) in included.iter().enumerate() {
            for c in 0..nc {
                data[[r, c]] = cell[f * nc + c].unwrap_or(0.0);
            }
        }
        match radx_stats::combat(data.view(), &batch, &options.combat) {
            Ok(cb) => {
                for (r, &f) in included.iter().enumerate() {
                    let feat = &mut features[f];
                    feat.harmonised = true;
                    let mut groups = vec![Vec::new(); ns];
                    for c in 0..nc {
                        groups[case_site[c]].push(cb.adjusted[[r, c]]);
                    }
                    feat.kw_after = kw_of(&groups).ok();
                    feat.site_means_after = groups.iter().map(|g| mean(g)).collect();
                    let proto = first[f].cloned().unwrap_or_default();
                    for (c, case) in cases.iter().enumerate() {
                        harmonised.push(LongValue {
                            case: case.to_string(),
                            value: Some(cb.adjusted[[r, c]]),
                            missing_reason: None,
                            ..proto.clone()
                        });
                    }
                }
                combat_est = Some(CombatEstimates {
                    features: included.iter().map(|&f| features[f].key()).collect(),
                    cases: cases.iter().map(|c| c.to_string()).collect(),
                    combat: cb,
                });
            }
            Err(e) => {
                combat_error = Some(format!(
                    "ComBat on {} complete features × {nc} cases: {e}",
                    included.len()
                ))
            }
        }
        let qa = benjamini_hochberg(
            &features
                .iter()
                .map(|f| f.kw_after.map(|k| k.p_value))
                .collect::<Vec<_>>(),
        );
        for (f, q) in features.iter_mut().zip(qa) {
            f.q_value_after = q;
        }
    }
    let significant_before = features
        .iter()
        .filter(|f| f.q_value.is_some_and(|q| q <= options.fdr))
        .count();
    let significant_after = combat_est.as_ref().map(|_| {
        features
            .iter()
            .filter(|f| f.q_value_after.is_some_and(|q| q <= options.fdr))
            .count()
    });
    let report = SitesReport {
        sites: site_names
            .iter()
            .enumerate()
            .map(|(s, name)| SiteSummary {
                site: name.to_string(),
                cases: case_site.iter().filter(|&&x| x == s).count(),
            })
            .collect(),
        cases_without_site,
        fdr: options.fdr,
        significant_before,
        significant_after,
        combat_options: options.harmonise.then_some(options.combat),
        combat_error,
        features,
    };
    Ok(SitesResult {
        report,
        harmonised,
        combat: combat_est,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benjamini_hochberg_hand_computed() {
        // p = 0.01, 0.04, 0.03, 0.5 (m = 4): sorted 0.01, 0.03, 0.04, 0.5;
        // m p / rank = 0.04, 0.06, 0.0533, 0.5; running minimum from the top:
        // 0.04, 0.0533, 0.0533, 0.5.
        let q = benjamini_hochberg(&[Some(0.01), Some(0.04), Some(0.03), None, Some(0.5)]);
        let want = [
            Some(0.04),
            Some(0.16 / 3.0),
            Some(0.16 / 3.0),
            None,
            Some(0.5),
        ];
        for (a, b) in q.iter().zip(want) {
            match (a, b) {
                (Some(x), Some(y)) => assert!((x - y).abs() < 1e-15, "{x} vs {y}"),
                (None, None) => {}
                _ => panic!("{q:?}"),
            }
        }
        assert_eq!(benjamini_hochberg(&[Some(0.9)]), vec![Some(0.9)]);
        assert_eq!(
            benjamini_hochberg(&[Some(1.0), Some(1.0)]),
            vec![Some(1.0), Some(1.0)]
        );
    }
}
