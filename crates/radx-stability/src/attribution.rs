//! Attribution of a cross-platform difference to named conventions (`radx stability
//! --vary KEY=VALUES ... --one-at-a-time`).
//!
//! Starting from a base manifest (usually the IBSI one), each axis value is applied on its
//! own ([`one_at_a_time_conditions`]): condition 1 is the base, every other condition differs
//! from it in one setting (e.g. `conventions.fbs_origin=zero`). [`attribute`] then compares
//! each condition with the base, case by case: for a feature with base value `b` and value
//! `v` the relative change is `|v - b| / |b|` (`|v - b|` when `b = 0`). Per condition and
//! feature it reports the median and largest change over cases and the number of cases
//! moved by more than 1 %; the conditions are ranked by the number of features they move by
//! more than 1 % in at least one case, then by the median change of those features.

use std::collections::BTreeMap;

use radx_core::Settings;

use crate::assess::ConditionTable;
use crate::grid::{settings_grid, Axis};
use crate::{grid_conditions, Condition, StabilityError};

/// A change above this fraction counts as "moved" (1 %).
pub const MOVED: f64 = 0.01;

/// The base condition followed by one condition per axis value that changes the settings,
/// each differing from the base in that axis only. Values equal to the base's are skipped.
pub fn one_at_a_time_conditions(
    base: &Settings,
    axes: &[Axis],
) -> Result<Vec<Condition>, StabilityError> {
    let mut out = grid_conditions(base, &[])?;
    let base_id = base.id();
    let mut seen = vec![base_id];
    for axis in axes {
        for p in settings_grid(base, std::slice::from_ref(axis))? {
            let id = p.settings.id();
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            let name = p
                .changes
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let slug: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            out.push(Condition {
                slug: format!("{:02}-{slug}", out.len() + 1),
                name,
                settings: p.settings,
                changes: p.changes,
                perturbation: None,
                observer: None,
            });
        }
    }
    Ok(out)
}

/// The effect of one condition on one feature, against the base.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureEffect {
    pub condition: String,
    /// `image/tag` of the feature.
    pub feature: String,
    /// Cases with a value under both the base and the condition.
    pub cases: usize,
    pub median_change: f64,
    pub max_change: f64,
    /// Cases whose value moved by more than [`MOVED`].
    pub cases_moved: usize,
}

/// One condition's overall effect.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionEffect {
    pub condition: String,
    /// Features moved by more than 1 % in at least one case.
    pub features_moved: usize,
    /// Features compared.
    pub features: usize,
    /// Median over the moved features of their median change (0 when none moved).
    pub median_change_of_moved: f64,
    /// Largest change of any feature in any case.
    pub max_change: f64,
}

/// The attribution of every condition's differences from the base (the first table).
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    pub base: String,
    /// Every (condition, feature) with at least one case, conditions in table order.
    pub effects: Vec<FeatureEffect>,
    /// Conditions ranked by effect, largest first.
    pub ranking: Vec<ConditionEffect>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Compares every table with the first (the base). Fails with fewer than two tables.
pub fn attribute(tables: &[ConditionTable]) -> Result<Attribution, StabilityError> {
    let Some((base, rest)) = tables.split_first() else {
        return Err(StabilityError::Grid(
            "attribution needs the base condition and at least one other".into(),
        ));
    };
    if rest.is_empty() {
        return Err(StabilityError::Grid(
            "attribution needs at least one condition besides the base (every --vary value equals the base)".into(),
        ));
    }
    let key = |v: &radx_check::compare::LongValue| {
        (
            format!("{}/{}", v.image, v.tag),
            format!("{}/{}", v.case, v.roi),
        )
    };
    let mut base_values: BTreeMap<(String, String), f64> = BTreeMap::new();
    for v in &base.values {
        if let Some(x) = v.value {
            base_values.insert(key(v), x);
        }
    }
    let mut effects = Vec::new();
    let mut ranking = Vec::new();
    for t in rest {
        let mut per_feature: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for v in &t.values {
            let (feature, case) = key(v);
            let (Some(x), Some(&b)) = (v.value, base_values.get(&(feature.clone(), case))) else {
                continue;
            };
            let d = (x - b).abs();
            let change = if b == 0.0 { d } else { d / b.abs() };
            per_feature.entry(feature).or_default().push(change);
        }
        let mut moved_medians = Vec::new();
        let mut max_all = 0.0f64;
        let features = per_feature.len();
        for (feature, mut changes) in per_feature {
            let max_change = changes.iter().copied().fold(0.0, f64::max);
            let cases_moved = changes.iter().filter(|&&c| c > MOVED).count();
            let med = median(&mut changes);
            if cases_moved > 0 {
                moved_medians.push(med);
            }
            max_all = max_all.max(max_change);
            effects.push(FeatureEffect {
                condition: t.name.clone(),
                feature,
                cases: changes.len(),
                median_change: med,
                max_change,
                cases_moved,
            });
        }
        ranking.push(ConditionEffect {
            condition: t.name.clone(),
            features_moved: moved_medians.len(),
            features,
            median_change_of_moved: median(&mut moved_medians),
            max_change: max_all,
        });
    }
    ranking.sort_by(|a, b| {
        b.features_moved
            .cmp(&a.features_moved)
            .then(
                b.median_change_of_moved
                    .total_cmp(&a.median_change_of_moved),
            )
            .then(a.condition.cmp(&b.condition))
    });
    Ok(Attribution {
        base: base.name.clone(),
        effects,
        ranking,
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Attribution {
    /// `attribution.csv`: condition, feature, cases, median_change, max_change,
    /// cases_moved_over_1pct (only features that moved at all).
    pub fn effects_csv(&self) -> String {
        let mut out = String::from(
            "condition,feature,cases,median_change,max_change,cases_moved_over_1pct\n",
        );
        for e in self.effects.iter().filter(|e| e.max_change > 0.0) {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                csv_field(&e.condition),
                csv_field(&e.feature),
                e.cases,
                e.median_change,
                e.max_change,
                e.cases_moved
            ));
        }
        out
    }

    /// `attribution-ranking.csv`: rank, condition, features moved over 1 %, features
    /// compared, median change of the moved features, largest change.
    pub fn ranking_csv(&self) -> String {
        let mut out = String::from(
            "rank,condition,features_moved_over_1pct,features,median_change_of_moved,max_change\n",
        );
        for (i, r) in self.ranking.iter().enumerate() {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                i + 1,
                csv_field(&r.condition),
                r.features_moved,
                r.features,
                r.median_change_of_moved,
                r.max_change
            ));
        }
        out
    }
}
