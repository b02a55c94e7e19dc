//! IBSI 2 (convolutional filters) validation sets:
//!
//! * `filters-maps` (phase 1): every reference response map. The filter of each test is
//!   the shipped preset `ibsi2-phase1-<test>`, applied to the whole digital phantom
//!   ([`radx_process::filter_whole_image`]). A map complies when every voxel lies within
//!   1% of the reference map's intensity range (`max - min`) of the reference value; the
//!   report gives the worst deviation of each map.
//! * `filters-features` (phase 2): the 323 consensus rows of
//!   `reference_feature_values.csv` (`filter_id;feature;feature_tag;consensus_value;
//!   tolerance`), computed on the IBSI 2 CT phantom with the presets `ibsi2-1a` ...
//!   `ibsi2-9b`. A value complies as in IBSI 1 ([`crate::compliance::complies`]): rounded
//!   to the significant digits of the reference (at least 3), it lies within the tolerance.
//!
//! Configurations whose settings differ only in their filters share one run of the
//! pipeline (the 2D configurations one, the 3D ones another), each filter a response map.

use std::collections::BTreeMap;

use radx_core::{FeatureTable, Registry, Settings};
use radx_io::MaskSelector;
use radx_pipeline::CaseLabels;
use serde::Serialize;

use crate::ibsi::{compare, Count, Miss, SetReport};
pub use crate::reference::{read_ibsi2_table, Ibsi2Row};
use crate::reference::{CheckError, ReferenceData, ReferenceValue};

/// The IBSI 2 CT phantom (identical to the IBSI 1 CT phantom).
pub const CT_IMAGE: &str = "ibsi_2_ct_radiomics_phantom/nifti/image/phantom.nii.gz";
pub const CT_MASK: &str = "ibsi_2_ct_radiomics_phantom/nifti/mask/mask.nii.gz";
/// The IBSI 2 phase 2 reference table.
pub const FEATURE_TABLE: &str = "reference_values/ibsi_2/reference_feature_values.csv";

/// Phase 1 tests: `(test id, preset, phantom image)`, as listed by radx-filters (the
/// presets hold the parameters). The reference map of a test is [`reference_map`].
pub const PHASE1: &[(&str, &str, &str)] = radx_filters::presets::IBSI2_PHASE1_PRESETS;

/// Phase 2 configurations: `(filter id of the reference table, preset)`.
pub const PHASE2: &[(&str, &str)] = radx_filters::presets::IBSI2_PHASE2_PRESETS;

/// Path of the reference response map of a phase 1 test, relative to the reference data.
pub fn reference_map(test_id: &str) -> String {
    radx_filters::ibsi2_reference_map(test_id)
}

/// The comparison of one response map with its reference.
#[derive(Debug, Clone, Serialize)]
pub struct MapResult {
    pub test: String,
    /// The filter's canonical name.
    pub filter: String,
    /// Largest `|computed - reference|` over the voxels, relative to the reference range.
    pub max_deviation: f64,
    /// Where (z, y, x) it occurs, with both values there.
    pub at: [usize; 3],
    pub reference: f64,
    pub computed: f64,
    pub passed: bool,
}

/// Largest `|got - reference| / (max - min of reference)` and where; a non-finite
/// deviation (NaN) counts as infinite. `None` when the shapes differ.
pub fn max_relative_deviation(
    got: &ndarray::Array3<f64>,
    reference: &ndarray::Array3<f64>,
) -> Option<(f64, [usize; 3])> {
    if got.dim() != reference.dim() {
        return None;
    }
    let lo = reference.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = reference.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = hi - lo;
    let mut worst = (0.0, [0; 3]);
    for (((z, y, x), r), g) in reference.indexed_iter().zip(got.iter()) {
        let d = (r - g).abs() / range;
        let d = if d.is_nan() { f64::INFINITY } else { d };
        if d > worst.0 {
            worst = (d, [z, y, x]);
        }
    }
    Some(worst)
}

/// Computes and compares one phase 1 map.
pub fn check_map(
    test: &str,
    preset: &str,
    phantom: &str,
    data: &ReferenceData,
) -> Result<MapResult, CheckError> {
    let settings = Settings::preset(preset)?;
    let image_path = data.verified(phantom)?;
    let ref_path = data.verified(&reference_map(test))?;
    let image = radx_io::read_image(&image_path)?;
    let reference = radx_io::read_image(&ref_path)?;
    let maps = radx_process::filter_whole_image(image, &settings, Some(0)).map_err(|e| {
        CheckError::Malformed {
            path: image_path.clone(),
            message: format!("preset {preset}: {e}"),
        }
    })?;
    let (name, got) = maps.into_iter().next().expect("one filter requested");
    let (dev, at) = max_relative_deviation(&got.data, &reference.data).ok_or_else(|| {
        CheckError::Malformed {
            path: ref_path.clone(),
            message: format!(
                "reference map shape {:?} differs from the response map's {:?}",
                reference.grid.shape_zyx, got.grid.shape_zyx
            ),
        }
    })?;
    Ok(MapResult {
        test: test.to_string(),
        filter: name,
        max_deviation: dev,
        at,
        reference: reference.data[at],
        computed: got.data[at],
        passed: dev <= 0.01,
    })
}

/// The `filters-maps` set: every phase 1 map; a miss per failing map (value: its worst
/// relative deviation, reference 0, tolerance 0.01).
pub fn validate_maps(data: &ReferenceData) -> Result<(SetReport, Vec<MapResult>), CheckError> {
    let mut results = Vec::new();
    let mut misses = Vec::new();
    for (test, preset, phantom) in PHASE1 {
        let r = check_map(test, preset, phantom, data)?;
        if !r.passed {
            misses.push(Miss {
                tag: format!("{test} {}", r.filter),
                value: Some(r.max_deviation),
                reason: Some(format!(
                    "worst voxel {:?}: computed {} vs reference {}",
                    r.at, r.computed, r.reference
                )),
                reference: 0.0,
                tolerance: 0.01,
            });
        }
        results.push(r);
    }
    let matched = results.iter().filter(|r| r.passed).count();
    let mut families = BTreeMap::new();
    families.insert(
        "response_map".to_string(),
        Count {
            matched,
            total: results.len(),
        },
    );
    Ok((
        SetReport {
            set: "filters-maps".into(),
            matched,
            total: results.len(),
            families,
            misses,
            maps: results.clone(),
        },
        results,
    ))
}

/// The feature rows of every phase 2 configuration, by filter id: the rows of the
/// configuration's response map (or of the original image for configurations without a
/// filter). Configurations whose presets differ only in their filters run together.
pub fn phase2_tables(
    data: &ReferenceData,
    registry: &Registry,
) -> Result<BTreeMap<String, FeatureTable>, CheckError> {
    let image = data.verified(CT_IMAGE)?;
    let mask = data.verified(CT_MASK)?;
    // Group the configurations whose settings differ only in their filters (same options
    // for the response maps): one pipeline run per group, a response map per filter.
    let mut groups: Vec<Group> = Vec::new();
    for (id, preset) in PHASE2 {
        let s = Settings::preset(preset)?;
        let name = match s.filters.maps.as_slice() {
            [] => None,
            [one] => Some(one.canonical_name()),
            _ => {
                return Err(CheckError::Malformed {
                    path: format!("preset:{preset}").into(),
                    message: "an IBSI 2 phase 2 preset names at most one filter".into(),
                })
            }
        };
        let fits = |g: &Group| {
            let (a, b) = (&g.settings.filters, &s.filters);
            base_of(&g.settings).canonical() == base_of(&s).canonical()
                && (a.maps.is_empty()
                    || b.maps.is_empty()
                    || (a.families == b.families
                        && a.discretisation == b.discretisation
                        && a.resegmentation == b.resegmentation))
        };
        match groups.iter_mut().find(|g| fits(g)) {
            Some(g) => {
                if g.settings.filters.maps.is_empty() {
                    g.settings.filters = s.filters.clone();
                } else {
                    g.settings
                        .filters
                        .maps
                        .extend(s.filters.maps.iter().cloned());
                }
                g.members.push((id, name));
            }
            None => groups.push(Group {
                settings: s,
                members: vec![(id, name)],
            }),
        }
    }
    let mut out = BTreeMap::new();
    for Group { settings, members } in groups {
        let labels = CaseLabels {
            case: "ibsi2-ct-phantom".into(),
            roi: "GTV-1".into(),
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
        for (id, name) in members {
            let want = name.unwrap_or_else(|| "original".into());
            let rows = table
                .rows
                .iter()
                .filter(|r| r.image == want)
                .cloned()
                .collect();
            out.insert(id.to_string(), FeatureTable { rows });
        }
    }
    Ok(out)
}

/// Configurations run together: the merged settings, and each member's filter id with the
/// `image` label of its rows (`None`: the original image).
struct Group {
    settings: Settings,
    members: Vec<(&'static str, Option<String>)>,
}

/// The settings without their `[filters]` section.
fn base_of(s: &Settings) -> Settings {
    let mut b = s.clone();
    b.filters = Default::default();
    b
}

/// The `filters-features` set: every consensus row of the phase 2 table.
pub fn validate_features(
    data: &ReferenceData,
    registry: &Registry,
) -> Result<SetReport, CheckError> {
    let table_path = data.verified(FEATURE_TABLE)?;
    let rows = read_ibsi2_table(&table_path)?;
    let tables = phase2_tables(data, registry)?;
    let mut report = SetReport {
        set: "filters-features".into(),
        matched: 0,
        total: 0,
        families: BTreeMap::new(),
        misses: Vec::new(),
        maps: Vec::new(),
    };
    for (id, _) in PHASE2 {
        let refs: Vec<ReferenceValue> = rows
            .iter()
            .filter(|r| r.filter_id == *id)
            .map(|r| ReferenceValue {
                tag: r.tag.clone(),
                value: r.value,
                tolerance: r.tolerance,
            })
            .collect();
        let empty = FeatureTable { rows: Vec::new() };
        let part = compare(id, tables.get(*id).unwrap_or(&empty), &refs);
        report.matched += part.matched;
        report.total += part.total;
        report.families.insert(
            id.to_string(),
            Count {
                matched: part.matched,
                total: part.total,
            },
        );
        report.misses.extend(part.misses.into_iter().map(|mut m| {
            m.tag = format!("{id} {}", m.tag);
            m
        }));
    }
    if report.total != rows.len() {
        return Err(CheckError::Malformed {
            path: table_path,
            message: format!(
                "{} consensus rows, {} of them under a known configuration id",
                rows.len(),
                report.total
            ),
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deviation_is_relative_to_the_reference_range() {
        let r = ndarray::Array3::from_shape_fn((1, 2, 2), |(_, y, x)| (2 * y + x) as f64);
        let mut g = r.clone();
        g[[0, 1, 0]] += 0.06; // range 3: 2% deviation
        let (d, at) = max_relative_deviation(&g, &r).unwrap();
        assert!((d - 0.02).abs() < 1e-12);
        assert_eq!(at, [0, 1, 0]);
        g[[0, 0, 0]] = f64::NAN;
        assert_eq!(max_relative_deviation(&g, &r).unwrap().0, f64::INFINITY);
        assert!(max_relative_deviation(&ndarray::Array3::zeros((1, 1, 1)), &r).is_none());
    }

    #[test]
    fn presets_exist_for_every_test() {
        for (_, preset, _) in PHASE1 {
            let s = Settings::preset(preset).unwrap();
            assert_eq!(s.filters.maps.len(), 1, "{preset}");
        }
        for (id, preset) in PHASE2 {
            let s = Settings::preset(preset).unwrap();
            assert_eq!(s.filters.maps.len(), usize::from(!id.starts_with('1')));
        }
    }
}
