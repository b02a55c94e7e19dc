//! Body-weight SUV of a PET series: the factor of each slice from the patient weight,
//! the injected dose and its decay from injection to scan (see [`SuvInfo`]).

use std::path::Path;

use dicom_dictionary_std::tags;

use super::datetime::{elapsed, when, When};
use super::dcm::{self, Attrs};
use super::series::Slice;
use crate::{invalid, IoError};

/// How body-weight SUV was obtained.
///
/// SUVbw = C · W / D(t), with C the activity concentration in Bq/mL (the rescaled
/// voxel value, Units = BQML), W the patient weight in g (PatientWeight × 1000) and
/// D(t) = D₀ · 2^(−Δt / T½) the injected dose D₀ (RadionuclideTotalDose, Bq) decayed over
/// Δt with half-life T½ (RadionuclideHalfLife, s). Δt follows DecayCorrection:
/// `ADMIN` (images already decay corrected to the administration time) → Δt = 0;
/// `START` (corrected to the acquisition start) → Δt = series start − injection time,
/// where series start is SeriesDate/SeriesTime, or the earliest AcquisitionDate/Time when
/// the series time is missing or later than it; `NONE` (not decay corrected) → Δt per
/// slice = that slice's acquisition time − injection time. Injection time is
/// RadiopharmaceuticalStartDateTime, else RadiopharmaceuticalStartTime on the series
/// date. Images whose Units are already `GML` with SUVType `BW` (or no SUVType) are body
/// weight SUV: they are taken as they are (factor 1).
/// (The provenance record's type: the reader fills in what the record keeps.)
pub type SuvInfo = radx_core::provenance::SuvRecord;

/// Body-weight SUV factor of each slice (see [`SuvInfo`]).
pub(crate) fn suv_factors(folder: &Path, slices: &[Slice]) -> Result<SuvInfo, IoError> {
    let s0 = &slices[0];
    let a = Attrs::new(&s0.obj, &s0.path);
    let path = &s0.path;
    let modality = a.str_opt(tags::MODALITY).unwrap_or_default();
    if modality != "PT" {
        return Err(invalid(
            path,
            format!("SUV asked for, but Modality is {modality:?}, not PT (PET)"),
        ));
    }
    let units = a.str_opt(tags::UNITS).ok_or_else(|| {
        invalid(
            path,
            format!(
                "cannot compute SUV: missing {} (BQML expected)",
                dcm::tag_name(tags::UNITS)
            ),
        )
    })?;
    let n = slices.len();
    if units == "GML" {
        if let Some(t) = a.str_opt(tags::SUV_TYPE) {
            if t != "BW" {
                return Err(invalid(
                    path,
                    format!("values are already SUV of type {t} (SUVType), not body weight (BW)"),
                ));
            }
        }
        return Ok(SuvInfo {
            source_units: units,
            decay_correction: a.str_opt(tags::DECAY_CORRECTION).unwrap_or_default(),
            weight_kg: a.f64_opt(tags::PATIENT_WEIGHT)?,
            injected_dose_bq: None,
            half_life_s: None,
            decay_time_s: vec![0.0; n],
            factor: vec![1.0; n],
        });
    }
    if units != "BQML" {
        return Err(invalid(
            path,
            format!(
                "cannot compute SUV from Units {units:?}: activity concentration in BQML is needed"
            ),
        ));
    }
    let mut missing: Vec<String> = Vec::new();
    let weight = a.f64_opt(tags::PATIENT_WEIGHT)?;
    if weight.is_none() {
        missing.push(dcm::tag_name(tags::PATIENT_WEIGHT));
    }
    let decay = a.str_opt(tags::DECAY_CORRECTION);
    if decay.is_none() {
        missing.push(dcm::tag_name(tags::DECAY_CORRECTION));
    }
    let rp_items = a.items(tags::RADIOPHARMACEUTICAL_INFORMATION_SEQUENCE);
    let ctx = "RadiopharmaceuticalInformationSequence";
    let (mut dose, mut half, mut inj) = (None, None, None);
    if let Some(item) = rp_items.first() {
        let r = a.at(item, ctx);
        dose = r.f64_opt(tags::RADIONUCLIDE_TOTAL_DOSE)?;
        half = r.f64_opt(tags::RADIONUCLIDE_HALF_LIFE)?;
        inj = when(
            a.str_opt(tags::SERIES_DATE).or(a.str_opt(tags::STUDY_DATE)),
            r.str_opt(tags::RADIOPHARMACEUTICAL_START_TIME),
            r.str_opt(tags::RADIOPHARMACEUTICAL_START_DATE_TIME),
        );
        for (v, tag) in [
            (dose.is_some(), tags::RADIONUCLIDE_TOTAL_DOSE),
            (half.is_some(), tags::RADIONUCLIDE_HALF_LIFE),
        ] {
            if !v {
                missing.push(format!("{} in {ctx}", dcm::tag_name(tag)));
            }
        }
        if inj.is_none() && decay.as_deref() != Some("ADMIN") {
            missing.push(format!(
                "{} or {} in {ctx}",
                dcm::tag_name(tags::RADIOPHARMACEUTICAL_START_DATE_TIME),
                dcm::tag_name(tags::RADIOPHARMACEUTICAL_START_TIME)
            ));
        }
    } else {
        missing.push(dcm::tag_name(
            tags::RADIOPHARMACEUTICAL_INFORMATION_SEQUENCE,
        ));
    }
    if !missing.is_empty() {
        return Err(invalid(
            path,
            format!("cannot compute SUV: missing {}", missing.join(", ")),
        ));
    }
    let (weight, dose, half, decay) = (
        weight.unwrap_or_default(),
        dose.unwrap_or_default(),
        half.unwrap_or_default(),
        decay.unwrap_or_default(),
    );
    for (name, v) in [
        ("PatientWeight", weight),
        ("RadionuclideTotalDose", dose),
        ("RadionuclideHalfLife", half),
    ] {
        if v <= 0.0 {
            return Err(invalid(
                path,
                format!("cannot compute SUV: {name} is {v}, not a positive number"),
            ));
        }
    }
    let acq = |s: &Slice| {
        let a = Attrs::new(&s.obj, &s.path);
        when(
            a.str_opt(tags::ACQUISITION_DATE)
                .or(a.str_opt(tags::SERIES_DATE)),
            a.str_opt(tags::ACQUISITION_TIME),
            a.str_opt(tags::ACQUISITION_DATE_TIME),
        )
    };
    let decay_time: Vec<f64> = match decay.as_str() {
        "ADMIN" => vec![0.0; n],
        "START" => {
            let inj = inj.unwrap_or(When {
                secs: 0.0,
                dated: false,
            });
            let series = when(
                a.str_opt(tags::SERIES_DATE),
                a.str_opt(tags::SERIES_TIME),
                None,
            );
            let earliest_acq = slices
                .iter()
                .filter_map(acq)
                .min_by(|x, y| x.secs.total_cmp(&y.secs));
            let start = match (series, earliest_acq) {
                (Some(s), Some(e)) if s.dated == e.dated && s.secs > e.secs => e,
                (Some(s), _) => s,
                (None, Some(e)) => e,
                (None, None) => {
                    return Err(invalid(
                        path,
                        format!(
                            "cannot compute SUV: DecayCorrection START needs {} or {}",
                            dcm::tag_name(tags::SERIES_TIME),
                            dcm::tag_name(tags::ACQUISITION_TIME)
                        ),
                    ))
                }
            };
            vec![elapsed(inj, start); n]
        }
        "NONE" => {
            let inj = inj.unwrap_or(When {
                secs: 0.0,
                dated: false,
            });
            let mut out = Vec::with_capacity(n);
            for s in slices {
                let t = acq(s).ok_or_else(|| {
                    invalid(
                        &s.path,
                        format!(
                            "cannot compute SUV: DecayCorrection NONE needs {} of every slice",
                            dcm::tag_name(tags::ACQUISITION_TIME)
                        ),
                    )
                })?;
                out.push(elapsed(inj, t));
            }
            out
        }
        other => {
            return Err(invalid(
                path,
                format!(
                    "cannot compute SUV: unknown DecayCorrection {other:?} (ADMIN, START or NONE)"
                ),
            ))
        }
    };
    if let Some(t) = decay_time.iter().find(|t| **t < 0.0 || **t > 7.0 * 86400.0) {
        return Err(invalid(
            folder,
            format!("cannot compute SUV: decay time {t} s from injection to scan is not plausible"),
        ));
    }
    let factor = decay_time
        .iter()
        .map(|&t| weight * 1000.0 / (dose * (-t / half * std::f64::consts::LN_2).exp()))
        .collect();
    Ok(SuvInfo {
        source_units: units,
        decay_correction: decay,
        weight_kg: Some(weight),
        injected_dose_bq: Some(dose),
        half_life_s: Some(half),
        decay_time_s: decay_time,
        factor,
    })
}
