//! `radx validate ibsi`: computes features on the IBSI phantoms with the matching preset
//! and compares every consensus row of the reference tables.

use std::collections::BTreeMap;

use crate::compliance::{complies, round_significant};
use radx_core::{FeatureTable, Registry, Settings};
use radx_io::MaskSelector;
use radx_pipeline::CaseLabels;
use serde::Serialize;

use crate::reference::{read_ibsi1_table, CheckError, ReferenceData};

/// A validation set: name, preset, image, mask, reference table.
pub struct IbsiSet {
    pub name: &'static str,
    pub preset: &'static str,
    pub image: &'static str,
    pub mask: &'static str,
    pub table: &'static str,
}

const CT_IMAGE: &str = "ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz";
const CT_MASK: &str = "ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz";

/// The IBSI 1 sets radx validates against.
pub const IBSI_SETS: &[IbsiSet] = &[
    IbsiSet {
        name: "digital-phantom",
        preset: "ibsi-digital-phantom",
        image: "ibsi_1_digital_phantom/nifti/image/phantom.nii.gz",
        mask: "ibsi_1_digital_phantom/nifti/mask/mask.nii.gz",
        table: "reference_values/ibsi_1/ibsi_1_dig_phantom.csv",
    },
    IbsiSet {
        name: "config-a",
        preset: "ibsi-config-a",
        image: CT_IMAGE,
        mask: CT_MASK,
        table: "reference_values/ibsi_1/ibsi_1_chest_config_a.csv",
    },
    IbsiSet {
        name: "config-b",
        preset: "ibsi-config-b",
        image: CT_IMAGE,
        mask: CT_MASK,
        table: "reference_values/ibsi_1/ibsi_1_chest_config_b.csv",
    },
    IbsiSet {
        name: "config-c",
        preset: "ibsi-config-c",
        image: CT_IMAGE,
        mask: CT_MASK,
        table: "reference_values/ibsi_1/ibsi_1_chest_config_c.csv",
    },
    IbsiSet {
        name: "config-d",
        preset: "ibsi-config-d",
        image: CT_IMAGE,
        mask: CT_MASK,
        table: "reference_values/ibsi_1/ibsi_1_chest_config_d.csv",
    },
    IbsiSet {
        name: "config-e",
        preset: "ibsi-config-e",
        image: CT_IMAGE,
        mask: CT_MASK,
        table: "reference_values/ibsi_1/ibsi_1_chest_config_e.csv",
    },
];

/// A reference row that was not matched.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub tag: String,
    /// The computed value (unrounded), or null when radx gave none.
    pub value: Option<f64>,
    /// Why no value was computed, when none was.
    pub reason: Option<String>,
    pub reference: f64,
    pub tolerance: f64,
}

/// Matched and total rows of one family.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Count {
    pub matched: usize,
    pub total: usize,
}

/// The result of one set.
#[derive(Debug, Clone, Serialize)]
pub struct SetReport {
    pub set: String,
    pub matched: usize,
    pub total: usize,
    pub families: BTreeMap<String, Count>,
    pub misses: Vec<Miss>,
    /// IBSI 2 response maps (set `filters-maps`): each map's worst deviation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub maps: Vec<crate::ibsi2::MapResult>,
}

/// The result of a validation run.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    pub sets: Vec<SetReport>,
}

impl ValidationReport {
    pub fn all_matched(&self) -> bool {
        self.sets.iter().all(|s| s.matched == s.total)
    }
}

/// The family a reference tag belongs to: its prefix, or `diagnostics` for the
/// diagnostic values of the processing steps (tags ending in `_img` or `_roi`).
pub fn family_of(tag: &str) -> String {
    if tag.ends_with("_img") || tag.ends_with("_roi") {
        return "diagnostics".into();
    }
    tag.split('_').next().unwrap_or(tag).to_string()
}

/// Compares a feature table with reference rows.
pub fn compare(
    set: &str,
    table: &FeatureTable,
    rows: &[crate::reference::ReferenceValue],
) -> SetReport {
    let by_tag: BTreeMap<&str, &radx_core::FeatureRow> =
        table.rows.iter().map(|r| (r.tag.as_str(), r)).collect();
    let mut families: BTreeMap<String, Count> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut matched = 0;
    for r in rows {
        let c = families.entry(family_of(&r.tag)).or_default();
        c.total += 1;
        let got = by_tag.get(r.tag.as_str());
        let value = got.and_then(|g| g.value);
        if value.is_some_and(|v| complies(v, r.value, r.tolerance)) {
            c.matched += 1;
            matched += 1;
        } else {
            misses.push(Miss {
                tag: r.tag.clone(),
                value,
                reason: match got {
                    None => Some("not computed by radx".into()),
                    Some(g) => g.missing_reason.clone(),
                },
                reference: r.value,
                tolerance: r.tolerance,
            });
        }
    }
    SetReport {
        set: set.to_string(),
        matched,
        total: rows.len(),
        families,
        misses,
        maps: Vec::new(),
    }
}

/// The IBSI 2 sets (see [`crate::ibsi2`]): the phase 1 response maps and the phase 2
/// features; `ibsi2` names both.
pub const IBSI2_SETS: &[&str] = &["filters-maps", "filters-features"];

/// Validates one set by name.
pub fn validate_set(
    name: &str,
    data: &ReferenceData,
    registry: &Registry,
) -> Result<SetReport, CheckError> {
    match name {
        "filters-maps" => return crate::ibsi2::validate_maps(data).map(|(r, _)| r),
        "filters-features" => return crate::ibsi2::validate_features(data, registry),
        _ => {}
    }
    let set = IBSI_SETS.iter().find(|s| s.name == name).ok_or_else(|| {
        CheckError::UnknownSet(
            name.to_string(),
            IBSI_SETS
                .iter()
                .map(|s| s.name)
                .chain(IBSI2_SETS.iter().copied())
                .chain(["ibsi2", "all"])
                .collect::<Vec<_>>()
                .join(", "),
        )
    })?;
    let settings = Settings::preset(set.preset)?;
    let table_path = data.verified(set.table)?;
    let rows = read_ibsi1_table(&table_path)?;
    let image = data.verified(set.image)?;
    let mask = data.verified(set.mask)?;
    let labels = CaseLabels {
        case: set.name.into(),
        roi: "roi".into(),
        image: "original".into(),
    };
    let (table, _) = radx_pipeline::extract_files(
        &image,
        &mask,
        MaskSelector::NonZero,
        &settings,
        registry,
        &labels,
    )?;
    Ok(compare(set.name, &table, &rows))
}

/// Validates a list of sets (`ibsi2` expands to the IBSI 2 sets, `all` to every set).
pub fn validate(
    names: &[String],
    data: &ReferenceData,
    registry: &Registry,
) -> Result<ValidationReport, CheckError> {
    let mut list: Vec<&str> = Vec::new();
    for n in names {
        if n == "all" {
            list.extend(IBSI_SETS.iter().map(|s| s.name));
            list.extend(IBSI2_SETS.iter().copied());
        } else if n == "ibsi2" {
            list.extend(IBSI2_SETS.iter().copied());
        } else {
            list.push(n);
        }
    }
    let sets = list
        .into_iter()
        .map(|n| validate_set(n, data, registry))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ValidationReport { sets })
}

/// A plain-text report: per set and family matched / total, then each miss.
pub fn report_text(report: &ValidationReport) -> String {
    let mut s = String::new();
    let (mut m, mut t) = (0, 0);
    for set in &report.sets {
        m += set.matched;
        t += set.total;
        s.push_str(&format!(
            "{}: {} of {} matched\n",
            set.set, set.matched, set.total
        ));
        for (fam, c) in &set.families {
            s.push_str(&format!("  {fam:<12} {:>4} / {:<4}\n", c.matched, c.total));
        }
        for m in &set.maps {
            s.push_str(&format!(
                "  {:<7} {} worst deviation {:.3}% of the reference range  {}\n",
                m.test,
                if m.passed { "pass" } else { "FAIL" },
                100.0 * m.max_deviation,
                m.filter
            ));
        }
        for miss in &set.misses {
            let v = match (miss.value, &miss.reason) {
                (Some(v), _) => format!("{} (rounded {})", v, round_significant(v, 3)),
                (None, Some(r)) => format!("missing: {r}"),
                (None, None) => "missing".into(),
            };
            s.push_str(&format!(
                "  miss {}: {} vs reference {} ± {}\n",
                miss.tag, v, miss.reference, miss.tolerance
            ));
        }
    }
    if report.sets.len() > 1 {
        s.push_str(&format!("overall: {m} of {t} matched\n"));
    }
    s
}
