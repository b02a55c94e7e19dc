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

/// How SUV is normalised: SUV = C · N / D(t), with C, D(t) as for body weight
/// ([`SuvInfo`]) and the normaliser N:
///
/// * `bw` (default): body weight, N = W (g);
/// * `lbm-james`: lean body mass by James (1976), N = LBM · 1000 with
///   LBM = 1.10 W − 128 (W/H)² (male), 1.07 W − 148 (W/H)² (female), W in kg, H in cm;
/// * `lbm-janmahasatian`: lean body mass by Janmahasatian et al. (2005), N = LBM · 1000 with
///   LBM = 9270 W / (6680 + 216 BMI) (male), 9270 W / (8780 + 244 BMI) (female),
///   BMI = W / H² (kg, m);
/// * `bsa`: body surface area by Du Bois & Du Bois (1916), N = BSA · 10⁴ (cm²) with
///   BSA = 0.007184 W^0.425 H^0.725 (m²; kg, cm).
///
/// H is PatientSize (0010,1020) in m, sex is PatientSex (0010,0040) `M` or `F`; each is an
/// error naming it when a formula needs it and it is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SuvType {
    #[default]
    BodyWeight,
    LeanBodyMassJames,
    LeanBodyMassJanmahasatian,
    BodySurfaceArea,
}

impl SuvType {
    /// `bw`, `lbm-james`, `lbm-janmahasatian` (or `lbm-janma`), `bsa`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "bw" => SuvType::BodyWeight,
            "lbm-james" => SuvType::LeanBodyMassJames,
            "lbm-janmahasatian" | "lbm-janma" => SuvType::LeanBodyMassJanmahasatian,
            "bsa" => SuvType::BodySurfaceArea,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SuvType::BodyWeight => "bw",
            SuvType::LeanBodyMassJames => "lbm-james",
            SuvType::LeanBodyMassJanmahasatian => "lbm-janmahasatian",
            SuvType::BodySurfaceArea => "bsa",
        }
    }
}

/// The normaliser N of a non-body-weight SUV (see [`SuvType`]) in the unit the SUV uses
/// (g for lean body mass, cm² for body surface area), with the value recorded (kg or m²).
fn normaliser(
    kind: SuvType,
    weight_kg: f64,
    height_m: f64,
    male: Option<bool>,
) -> Result<(f64, f64), String> {
    let h_cm = height_m * 100.0;
    let bmi = weight_kg / (height_m * height_m);
    let lbm = |v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok((v * 1000.0, v))
        } else {
            Err(format!(
                "the {} formula gives a lean body mass of {v} kg for {weight_kg} kg and {height_m} m",
                kind.name()
            ))
        }
    };
    let need_sex = || male.ok_or_else(|| "PatientSex must be M or F".to_string());
    match kind {
        SuvType::BodyWeight => Ok((weight_kg * 1000.0, weight_kg)),
        SuvType::LeanBodyMassJames => lbm(if need_sex()? {
            1.10 * weight_kg - 128.0 * (weight_kg / h_cm).powi(2)
        } else {
            1.07 * weight_kg - 148.0 * (weight_kg / h_cm).powi(2)
        }),
        SuvType::LeanBodyMassJanmahasatian => lbm(if need_sex()? {
            9270.0 * weight_kg / (6680.0 + 216.0 * bmi)
        } else {
            9270.0 * weight_kg / (8780.0 + 244.0 * bmi)
        }),
        SuvType::BodySurfaceArea => {
            let bsa = 0.007184 * weight_kg.powf(0.425) * h_cm.powf(0.725);
            Ok((bsa * 1e4, bsa))
        }
    }
}

/// SUV factor of each slice (see [`SuvInfo`], [`SuvType`]).
pub(crate) fn suv_factors(
    folder: &Path,
    slices: &[Slice],
    kind: SuvType,
) -> Result<SuvInfo, IoError> {
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
    if units == "GML" && kind != SuvType::BodyWeight {
        return Err(invalid(
            path,
            format!(
                "values are already SUV (Units GML, SUVType {}); a {} SUV needs activity \
                 concentration (Units BQML)",
                a.str_opt(tags::SUV_TYPE).as_deref().unwrap_or("absent"),
                kind.name()
            ),
        ));
    }
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
            ..Default::default()
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
    let height = a.f64_opt(tags::PATIENT_SIZE)?;
    let sex = a.str_opt(tags::PATIENT_SEX).unwrap_or_default();
    if kind != SuvType::BodyWeight && height.is_none() {
        missing.push(format!(
            "{} (needed by the {} SUV)",
            dcm::tag_name(tags::PATIENT_SIZE),
            kind.name()
        ));
    }
    if matches!(
        kind,
        SuvType::LeanBodyMassJames | SuvType::LeanBodyMassJanmahasatian
    ) && !matches!(sex.as_str(), "M" | "F")
    {
        missing.push(format!(
            "{} M or F (needed by the {} SUV; found {:?})",
            dcm::tag_name(tags::PATIENT_SEX),
            kind.name(),
            sex
        ));
    }
    // The PET Image module's CorrectedImage says which corrections were applied: an
    // uncorrected attenuation makes any SUV meaningless, and its DECY must agree with
    // DecayCorrection.
    if let Some(corr) = a.str_opt(tags::CORRECTED_IMAGE) {
        let has = |c: &str| corr.split('\\').any(|v| v.trim() == c);
        if !has("ATTN") {
            return Err(invalid(
                path,
                format!(
                    "cannot compute SUV: {} is {corr:?}, without ATTN: the activity is not \
                     attenuation corrected",
                    dcm::tag_name(tags::CORRECTED_IMAGE)
                ),
            ));
        }
        if let Some(d) = decay.as_deref() {
            if (d == "NONE") == has("DECY") {
                return Err(invalid(
                    path,
                    format!(
                        "cannot compute SUV: {} {d} contradicts {} {corr:?} ({} DECY)",
                        dcm::tag_name(tags::DECAY_CORRECTION),
                        dcm::tag_name(tags::CORRECTED_IMAGE),
                        if has("DECY") { "with" } else { "without" }
                    ),
                ));
            }
        }
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
    // The acquisition time of a plane: a frame of an enhanced (multi-frame) image has its
    // own, FrameAcquisitionDateTime in the FrameContentSequence of its per-frame functional
    // group; a single-frame slice (or a frame without one) uses the data set's
    // AcquisitionDateTime, else AcquisitionDate / SeriesDate with AcquisitionTime.
    let acq = |s: &Slice| {
        let a = Attrs::new(&s.obj, &s.path);
        if let Some(f) = s.frame {
            let frame_time = a
                .items(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
                .get(f)
                .and_then(|g| a.at(g, "").items(tags::FRAME_CONTENT_SEQUENCE).first())
                .and_then(|c| a.at(c, "").str_opt(tags::FRAME_ACQUISITION_DATE_TIME))
                .and_then(|dt| when(None, None, Some(dt)));
            if frame_time.is_some() {
                return frame_time;
            }
        }
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
                            "cannot compute SUV: DecayCorrection NONE needs {} of every slice \
                             (or {} of every frame)",
                            dcm::tag_name(tags::ACQUISITION_TIME),
                            dcm::tag_name(tags::FRAME_ACQUISITION_DATE_TIME)
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
    if let Some(h) = height.filter(|_| kind != SuvType::BodyWeight) {
        if !(h > 0.0 && h < 3.0) {
            return Err(invalid(
                path,
                format!(
                    "cannot compute SUV: {} is {h} m, not a plausible height",
                    dcm::tag_name(tags::PATIENT_SIZE)
                ),
            ));
        }
    }
    let male = match sex.as_str() {
        "M" => Some(true),
        "F" => Some(false),
        _ => None,
    };
    let (norm, recorded) = normaliser(kind, weight, height.unwrap_or(0.0), male)
        .map_err(|why| invalid(path, format!("cannot compute SUV: {why}")))?;
    let factor = decay_time
        .iter()
        .map(|&t| norm / (dose * (-t / half * std::f64::consts::LN_2).exp()))
        .collect();
    let other = kind != SuvType::BodyWeight;
    Ok(SuvInfo {
        source_units: units,
        decay_correction: decay,
        weight_kg: Some(weight),
        injected_dose_bq: Some(dose),
        half_life_s: Some(half),
        decay_time_s: decay_time,
        factor,
        suv_type: if other {
            kind.name().into()
        } else {
            String::new()
        },
        height_m: if other { height } else { None },
        sex: if other { sex } else { String::new() },
        normaliser: other.then_some(recorded),
    })
}
