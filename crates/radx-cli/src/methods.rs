//! `radx methods (--settings S | --preset P | --provenance R) [--format md|html|json]`:
//! what a paper's methods section needs about feature extraction.
//!
//! The items are those of the IBSI reporting guidelines (IBSI reference manual, chapter
//! 4, "Radiomics reporting guidelines and nomenclature"; item numbers as there, topics
//! and requests in radx's own words). radx fills every item its settings (and, with a
//! provenance record, its inputs) determine, saying when a value is radx's default;
//! items radx cannot know (patient, acquisition, reconstruction, segmentation, analysis)
//! are listed as "to be completed by the author". A short paragraph cites the settings
//! id, the radx build and its IBSI compliance counts (from a `radx validate ibsi`
//! report given with `--validation`, or run now with `--validate`).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::outln;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use radx_core::settings::{
    Discretisation, DistanceNorm, InterpolationMethod, Resegmentation, TextureDimension,
};
use radx_core::{BuildIdentity, Provenance, Selection, Settings};
use serde::Serialize;

#[derive(Args)]
pub(crate) struct MethodsArgs {
    /// Settings manifest (TOML).
    #[arg(long, short = 's', group = "source")]
    settings: Option<PathBuf>,
    /// A shipped preset (see `radx settings presets`).
    #[arg(long, group = "source")]
    preset: Option<String>,
    /// A provenance record: its settings, build, inputs and ROI.
    #[arg(long, group = "source")]
    provenance: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    format: MethodsFormat,
    /// IBSI compliance counts from this report (`radx validate ibsi --set all --format json`).
    #[arg(long, conflicts_with = "validate")]
    validation: Option<PathBuf>,
    /// Run `radx validate ibsi --set all` now for the compliance counts (needs the IBSI
    /// reference data, $RADX_REFERENCE_DATA).
    #[arg(long)]
    validate: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MethodsFormat {
    Md,
    Html,
    Json,
}

/// How an item is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    /// Set in the manifest (or read from the inputs).
    Stated,
    /// radx's default, which the manifest left as it is.
    Default,
    /// Does not apply to this extraction.
    NotApplicable,
    /// radx cannot know it.
    Author,
}

const AUTHOR: &str = "to be completed by the author";

/// One reporting item.
#[derive(Debug, Clone, Serialize)]
struct Item {
    item: &'static str,
    section: &'static str,
    topic: &'static str,
    /// Modalities the item applies to (empty: all).
    modality: &'static str,
    value: String,
    status: Status,
}

/// The report.
#[derive(Debug, Clone, Serialize)]
struct Methods {
    settings_id: String,
    settings_source: String,
    build: BuildIdentity,
    compliance: Option<Compliance>,
    paragraph: String,
    items: Vec<Item>,
}

/// IBSI compliance counts from a validation report.
#[derive(Debug, Clone, Serialize)]
struct Compliance {
    matched: usize,
    total: usize,
    /// Per set: (set, matched, total).
    sets: Vec<(String, usize, usize)>,
}

/// Items radx cannot fill: (item, section, topic, modality).
const AUTHOR_ITEMS: &[(&str, &str, &str, &str)] = &[
    (
        "2a",
        "Patient",
        "Patient preparation: instructions before imaging",
        "",
    ),
    (
        "2b",
        "Patient",
        "Patient preparation: drugs given before imaging",
        "",
    ),
    (
        "2c",
        "Patient",
        "Patient preparation: comfort equipment during the scan",
        "",
    ),
    (
        "3a",
        "Patient",
        "Radioactive tracer: which tracer",
        "PET, SPECT",
    ),
    (
        "3b",
        "Patient",
        "Radioactive tracer: how it was administered",
        "PET, SPECT",
    ),
    (
        "3c",
        "Patient",
        "Radioactive tracer: activity injected",
        "PET, SPECT",
    ),
    (
        "3d",
        "Patient",
        "Radioactive tracer: uptake time",
        "PET, SPECT",
    ),
    (
        "3e",
        "Patient",
        "Radioactive tracer: control of competing substances",
        "PET, SPECT",
    ),
    ("4a", "Patient", "Contrast agent: which agent", ""),
    (
        "4b",
        "Patient",
        "Contrast agent: how it was administered",
        "",
    ),
    ("4c", "Patient", "Contrast agent: quantity", ""),
    ("4d", "Patient", "Contrast agent: uptake time", ""),
    (
        "4e",
        "Patient",
        "Contrast agent: control of competing substances",
        "",
    ),
    ("5", "Patient", "Comorbidities that affect imaging", ""),
    ("6", "Acquisition", "Acquisition protocol", ""),
    ("7", "Acquisition", "Scanner type and vendor", ""),
    ("9a", "Acquisition", "Static or dynamic scans", ""),
    ("9b", "Acquisition", "Time per frame", "dynamic scans"),
    ("9c", "Acquisition", "Temporal modelling", "dynamic scans"),
    ("10", "Acquisition", "Scanner calibration", ""),
    (
        "11",
        "Acquisition",
        "Patient instructions during the scan",
        "",
    ),
    ("12", "Acquisition", "Anatomical motion correction", ""),
    ("13", "Acquisition", "Scan duration", ""),
    ("14", "Acquisition", "Tube voltage", "CT"),
    ("15", "Acquisition", "Tube current", "CT"),
    ("16", "Acquisition", "Time-of-flight", "PET"),
    ("17", "Acquisition", "RF coil", "MRI"),
    ("18a", "Acquisition", "Scanning sequence", "MRI"),
    ("18b", "Acquisition", "Sequence variant", "MRI"),
    ("18c", "Acquisition", "Scan options", "MRI"),
    ("19", "Acquisition", "Repetition time", "MRI"),
    ("20", "Acquisition", "Echo time", "MRI"),
    ("21", "Acquisition", "Echo train length", "MRI"),
    ("22", "Acquisition", "Inversion time", "MRI"),
    ("23", "Acquisition", "Flip angle", "MRI"),
    ("24", "Acquisition", "Acquisition type (2D, 3D)", "MRI"),
    ("25", "Acquisition", "k-space trajectory", "MRI"),
    ("26", "Acquisition", "Number of averages", "MRI"),
    ("27", "Acquisition", "Magnetic field strength", "MRI"),
    ("29", "Reconstruction", "Slice thickness", ""),
    ("31a", "Reconstruction", "Convolution kernel", "CT"),
    (
        "31b",
        "Reconstruction",
        "Iterative reconstruction settings",
        "CT",
    ),
    ("31c", "Reconstruction", "Exposure", "CT"),
    ("32a", "Reconstruction", "Reconstruction method", "PET"),
    ("32b", "Reconstruction", "Iterations", "PET"),
    ("32c", "Reconstruction", "Subsets", "PET"),
    (
        "33",
        "Reconstruction",
        "Point spread function modelling",
        "PET",
    ),
    ("34a", "Reconstruction", "Attenuation correction", "PET"),
    (
        "34b",
        "Reconstruction",
        "Other corrections (scatter, randoms, dead time)",
        "PET",
    ),
    ("35a", "Reconstruction", "Reconstruction method", "MRI"),
    ("35b", "Reconstruction", "Artefact suppression", "MRI"),
    ("36", "Reconstruction", "Diffusion b-values", "DWI-MRI"),
    ("37", "Image registration", "Registration method", ""),
    ("39", "Data conversion", "ADC computation", "DWI-MRI"),
    (
        "40",
        "Data conversion",
        "Other conversions (e.g. perfusion maps)",
        "",
    ),
    (
        "43",
        "Post-acquisition processing",
        "Post-reconstruction smoothing",
        "PET",
    ),
    (
        "44",
        "Post-acquisition processing",
        "Skull stripping",
        "MRI (brain)",
    ),
    (
        "45",
        "Post-acquisition processing",
        "Non-uniformity correction",
        "MRI",
    ),
    ("48a", "Segmentation", "Segmentation method", ""),
    (
        "48b",
        "Segmentation",
        "Experts, expertise and consensus",
        "",
    ),
    (
        "48c",
        "Segmentation",
        "Semi-automatic or automatic method and settings",
        "",
    ),
    ("48d", "Segmentation", "Image used for segmentation", ""),
    (
        "60",
        "Image biomarker computation",
        "Robustness assessment",
        "",
    ),
    (
        "72",
        "Machine learning and radiomics analysis",
        "Diagnostic and prognostic modelling (TRIPOD)",
        "",
    ),
    (
        "73",
        "Machine learning and radiomics analysis",
        "Comparison with known factors",
        "",
    ),
    (
        "74",
        "Machine learning and radiomics analysis",
        "Multicollinearity",
        "",
    ),
    (
        "75",
        "Machine learning and radiomics analysis",
        "Model availability",
        "",
    ),
    (
        "76",
        "Machine learning and radiomics analysis",
        "Data availability",
        "",
    ),
];

/// Every item number of the guidelines, in order (for sorting and for the tests).
pub(crate) const ALL_ITEMS: &[&str] = &[
    "1", "2a", "2b", "2c", "3a", "3b", "3c", "3d", "3e", "4a", "4b", "4c", "4d", "4e", "5", "6",
    "7", "8", "9a", "9b", "9c", "10", "11", "12", "13", "14", "15", "16", "17", "18a", "18b",
    "18c", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31a", "31b",
    "31c", "32a", "32b", "32c", "33", "34a", "34b", "35a", "35b", "36", "37", "38", "39", "40",
    "41", "42", "43", "44", "45", "46", "47", "48a", "48b", "48c", "48d", "49", "50a", "50b",
    "50c", "50d", "51", "52", "53", "54", "55", "56a", "56b", "56c", "57", "58", "59", "60", "61",
    "62", "63", "64", "65", "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76",
];

/// IBSI identifiers of the feature families.
const FAMILY_IDS: &[(&str, &str, &str)] = &[
    ("morphology", "morphology", "HCUG"),
    ("local_intensity", "local intensity", "9ST6"),
    ("intensity_stats", "intensity-based statistics", "UHIW"),
    ("intensity_histogram", "intensity histogram", "ZVCW"),
    ("ivh", "intensity-volume histogram", "P88C"),
    ("glcm", "grey level co-occurrence matrix", "LFYI"),
    ("glrlm", "grey level run length matrix", "TP0I"),
    ("glszm", "grey level size zone matrix", "9SAK"),
    ("gldzm", "grey level distance zone matrix", "VMDZ"),
    ("ngtdm", "neighbourhood grey tone difference matrix", "IPET"),
    ("ngldm", "neighbouring grey level dependence matrix", "REK0"),
];

fn method_name(m: InterpolationMethod) -> &'static str {
    match m {
        InterpolationMethod::Nearest => "nearest neighbour",
        InterpolationMethod::Linear => "trilinear",
        InterpolationMethod::CubicConvolution => "tricubic convolution (Keys, a = -0.5)",
        InterpolationMethod::CubicSpline => "tricubic B-spline",
    }
}

fn disc_text(d: &Discretisation) -> String {
    match d {
        Discretisation::Fbn { bins } => format!("fixed bin number (FBN), {bins} bins"),
        Discretisation::Fbs {
            bin_width,
            lower_bound,
        } => format!(
            "fixed bin size (FBS), bin width {bin_width}, first bin from {}",
            lower_bound.map_or(
                "the re-segmentation minimum, else the ROI minimum".to_string(),
                |l| l.to_string()
            )
        ),
        Discretisation::None => "none (intensities used as they are)".into(),
    }
}

fn reseg_text(r: &Resegmentation) -> String {
    let mut parts = Vec::new();
    match (r.min, r.max) {
        (None, None) => {}
        (lo, hi) => parts.push(format!(
            "intensity range [{}, {}]",
            lo.map_or("-inf".to_string(), |v| v.to_string()),
            hi.map_or("+inf".to_string(), |v| v.to_string())
        )),
    }
    if let Some(sd) = r.outlier_sd {
        parts.push(format!("outlier filter (mean ± {sd} SD)"));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", then ")
    }
}

fn norm_text(n: DistanceNorm) -> &'static str {
    match n {
        DistanceNorm::Chebyshev => "Chebyshev",
        DistanceNorm::Manhattan => "Manhattan",
        DistanceNorm::Euclidean => "Euclidean",
    }
}

/// Everything the items are filled from.
struct Source {
    settings: Settings,
    settings_source: String,
    build: BuildIdentity,
    this_build: BuildIdentity,
    record: Option<Provenance>,
}

impl Source {
    fn selection(&self) -> Option<&Selection> {
        self.record.as_ref().and_then(|r| r.selection.as_ref())
    }
    fn modality(&self) -> Option<&str> {
        self.selection().and_then(|s| s.modality.as_deref())
    }
    fn mask_format(&self) -> Option<&str> {
        self.record
            .as_ref()
            .and_then(|r| r.input("mask"))
            .map(|i| i.format.as_str())
    }
    fn has(&self, family: &str) -> bool {
        self.settings.features.families.iter().any(|f| f == family)
            || (!self.settings.filters.maps.is_empty()
                && self
                    .settings
                    .filters
                    .families_or(&self.settings.features)
                    .iter()
                    .any(|f| f == family))
    }
}

/// Whether an item restricted to `modality` applies to a study of `known` modality.
fn modality_applies(modality: &str, known: Option<&str>) -> Option<bool> {
    let known = known?;
    if modality.is_empty() || modality == "dynamic scans" {
        return Some(true);
    }
    let k = match known {
        "MR" => "MRI",
        "PT" => "PET",
        "NM" => "SPECT",
        other => other,
    };
    Some(modality.split(',').any(|m| m.trim().starts_with(k)))
}

fn items(
    src: &Source,
    compliance: Option<&Compliance>,
    registry: &radx_core::Registry,
) -> Vec<Item> {
    let s = &src.settings;
    let d = Settings::default();
    let mut out: Vec<Item> = Vec::new();
    let mut push = |item: &'static str,
                    section: &'static str,
                    topic: &'static str,
                    modality: &'static str,
                    value: String,
                    status: Status| {
        out.push(Item {
            item,
            section,
            topic,
            modality,
            value,
            status,
        })
    };
    let st = |is_default: bool| {
        if is_default {
            Status::Default
        } else {
            Status::Stated
        }
    };
    let sel = src.selection();

    // 1: the ROI
    match sel {
        Some(sel) if sel.roi_name.is_some() || sel.segment_label.is_some() => {
            let what = match (
                &sel.roi_name,
                sel.roi_number,
                &sel.segment_label,
                sel.segment_number,
            ) {
                (Some(n), Some(k), _, _) => format!("RTSTRUCT ROI {n:?} (number {k})"),
                (_, _, Some(l), Some(k)) => format!("SEG segment {l:?} (number {k})"),
                _ => String::new(),
            };
            push(
                "1",
                "Patient",
                "Region of interest",
                "",
                format!("{what}; the anatomy: {AUTHOR}"),
                Status::Author,
            )
        }
        _ => push(
            "1",
            "Patient",
            "Region of interest",
            "",
            AUTHOR.into(),
            Status::Author,
        ),
    }
    // 8: modality
    match src.modality() {
        Some(m) => push(
            "8",
            "Acquisition",
            "Imaging modality",
            "",
            format!("{m} (DICOM Modality of the image series)"),
            Status::Stated,
        ),
        None => push(
            "8",
            "Acquisition",
            "Imaging modality",
            "",
            AUTHOR.into(),
            Status::Author,
        ),
    }
    // 28, 30: grid as read
    match sel.and_then(|s| s.image_spacing_zyx_mm.zip(s.image_shape_zyx)) {
        Some((sp, sh)) => {
            push(
                "28",
                "Reconstruction",
                "In-plane resolution",
                "",
                format!(
                    "{} x {} mm pixels, {} x {} matrix (as read)",
                    sp[2], sp[1], sh[2], sh[1]
                ),
                Status::Stated,
            );
            push(
                "30",
                "Reconstruction",
                "Slice spacing",
                "",
                format!("{} mm, {} slices (as read)", sp[0], sh[0]),
                Status::Stated,
            );
        }
        None => {
            push(
                "28",
                "Reconstruction",
                "In-plane resolution",
                "",
                AUTHOR.into(),
                Status::Author,
            );
            push(
                "30",
                "Reconstruction",
                "Slice spacing",
                "",
                AUTHOR.into(),
                Status::Author,
            );
        }
    }
    // 38: SUV
    match (src.record.as_ref(), sel.and_then(|s| s.suv.as_ref())) {
        (_, Some(suv)) => push("38", "Data conversion", "SUV normalisation", "PET", format!(
            "body-weight SUV computed by radx from the DICOM tags (units {}, decay correction {}, weight {} kg, injected dose {} Bq)",
            suv.source_units,
            if suv.decay_correction.is_empty() { "-" } else { &suv.decay_correction },
            suv.weight_kg.map_or("?".into(), |v| v.to_string()),
            suv.injected_dose_bq.map_or("?".into(), |v| v.to_string())
        ), Status::Stated),
        (Some(_), None) => push("38", "Data conversion", "SUV normalisation", "PET", "none by radx (values used as read)".into(), Status::Stated),
        (None, None) => push("38", "Data conversion", "SUV normalisation", "PET", format!("radx converts to body-weight SUV only when asked (extract --suv); {AUTHOR}"), Status::Author),
    }
    let interp = s.interpolation.spacing_mm.is_some();
    push(
        "41",
        "Post-acquisition processing",
        "Anti-aliasing",
        "",
        if interp {
            "none: radx applies no anti-aliasing filter before resampling".into()
        } else {
            "not applicable: no interpolation".into()
        },
        if interp {
            Status::Stated
        } else {
            Status::NotApplicable
        },
    );
    push(
        "42",
        "Post-acquisition processing",
        "Noise suppression",
        "",
        format!("none in radx; processing before radx: {AUTHOR}"),
        Status::Stated,
    );
    push(
        "46",
        "Post-acquisition processing",
        "Intensity normalisation",
        "",
        format!("none in radx; processing before radx: {AUTHOR}"),
        Status::Stated,
    );
    push(
        "47",
        "Post-acquisition processing",
        "Other processing",
        "",
        if s.input.round_intensities {
            "intensities rounded to the nearest integer after reading".into()
        } else {
            "none (intensities used as read)".into()
        },
        st(s.input == d.input),
    );
    // 49: conversion to mask
    let rule = "RTSTRUCT contours rasterised by radx: each closed planar contour on its nearest slice, voxel centres inside by the even-odd rule over all contours of the slice (holes cut), centres on an edge decided half-open";
    match src.mask_format() {
        Some("DICOM RTSTRUCT") => push(
            "49",
            "Segmentation",
            "Conversion to mask",
            "",
            rule.into(),
            Status::Stated,
        ),
        Some("DICOM SEG") => push(
            "49",
            "Segmentation",
            "Conversion to mask",
            "",
            "DICOM SEG on the image grid (fractional segments: inside at a fraction >= 0.5)".into(),
            Status::Stated,
        ),
        Some(f) => push(
            "49",
            "Segmentation",
            "Conversion to mask",
            "",
            format!("not applicable: a voxel label map ({f})"),
            Status::NotApplicable,
        ),
        None => push(
            "49",
            "Segmentation",
            "Conversion to mask",
            "",
            format!("label maps: not applicable; {rule}"),
            Status::Stated,
        ),
    }
    // 50-54: interpolation
    let i = &s.interpolation;
    if let Some(sp) = i.spacing_mm {
        push(
            "50a",
            "Image interpolation",
            "Interpolation method",
            "",
            method_name(i.image_method).into(),
            st(i.image_method == d.interpolation.image_method),
        );
        push(
            "50b",
            "Image interpolation",
            "Grid position",
            "",
            "grid centres aligned with the original grid (IBSI)".into(),
            Status::Default,
        );
        push(
            "50c",
            "Image interpolation",
            "Grid dimensions",
            "",
            "ceil(original extent / new spacing) voxels per axis".into(),
            Status::Default,
        );
        push(
            "50d",
            "Image interpolation",
            "Extrapolation",
            "",
            "nearest: boundary intensities repeated".into(),
            Status::Default,
        );
        push(
            "51",
            "Image interpolation",
            "Voxel dimensions",
            "",
            if i.in_plane_only {
                format!(
                    "{} x {} mm in plane, slice spacing kept (2D interpolation)",
                    sp[0], sp[1]
                )
            } else {
                format!("{} x {} x {} mm (x, y, z)", sp[0], sp[1], sp[2])
            },
            Status::Stated,
        );
        push(
            "52",
            "Image interpolation",
            "Intensity rounding",
            "CT",
            if i.round_intensities {
                "interpolated intensities rounded to the nearest integer".into()
            } else {
                "none".into()
            },
            st(i.round_intensities == d.interpolation.round_intensities),
        );
        push(
            "53",
            "ROI interpolation",
            "Interpolation method",
            "",
            method_name(i.mask_method).into(),
            st(i.mask_method == d.interpolation.mask_method),
        );
        push(
            "54",
            "ROI interpolation",
            "Partially masked voxels",
            "",
            format!(
                "in the ROI when the interpolated mask value is >= {}",
                i.partial_volume_threshold
            ),
            st(i.partial_volume_threshold == d.interpolation.partial_volume_threshold),
        );
    } else {
        for (item, section, topic, m) in [
            ("50a", "Image interpolation", "Interpolation method", ""),
            ("50b", "Image interpolation", "Grid position", ""),
            ("50c", "Image interpolation", "Grid dimensions", ""),
            ("50d", "Image interpolation", "Extrapolation", ""),
            ("51", "Image interpolation", "Voxel dimensions", ""),
            ("52", "Image interpolation", "Intensity rounding", "CT"),
            ("53", "ROI interpolation", "Interpolation method", ""),
            ("54", "ROI interpolation", "Partially masked voxels", ""),
        ] {
            push(
                item,
                section,
                topic,
                m,
                "no interpolation (the image grid as read; radx default)".into(),
                Status::Default,
            );
        }
    }
    push(
        "55",
        "Re-segmentation",
        "Re-segmentation",
        "",
        reseg_text(&s.resegmentation),
        st(s.resegmentation == d.resegmentation),
    );
    let dz = &s.discretisation;
    let dd = &d.discretisation;
    let mut disc = Vec::new();
    if s.features
        .families
        .iter()
        .any(|f| f == "intensity_histogram")
    {
        disc.push(("intensity histogram", &dz.histogram, &dd.histogram));
    }
    if ["glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm"]
        .iter()
        .any(|f| src.has(f))
    {
        disc.push(("texture", &dz.texture, &dd.texture));
    }
    if s.features.families.iter().any(|f| f == "ivh") {
        disc.push(("intensity-volume histogram", &dz.ivh, &dd.ivh));
    }
    let all_default = disc.iter().all(|(_, a, b)| a == b);
    if disc.is_empty() {
        for (item, topic) in [
            ("56a", "Discretisation method"),
            ("56b", "Bins or bin size"),
            ("56c", "Lowest intensity of the first bin (FBS)"),
        ] {
            push(
                item,
                "Discretisation",
                topic,
                "",
                "not applicable: no family discretises".into(),
                Status::NotApplicable,
            );
        }
    } else {
        let methods: Vec<String> = disc
            .iter()
            .map(|(w, m, _)| {
                format!(
                    "{w}: {}",
                    match m {
                        Discretisation::Fbn { .. } => "FBN",
                        Discretisation::Fbs { .. } => "FBS",
                        Discretisation::None => "none",
                    }
                )
            })
            .collect();
        push(
            "56a",
            "Discretisation",
            "Discretisation method",
            "",
            methods.join("; "),
            st(all_default),
        );
        let params: Vec<String> = disc
            .iter()
            .map(|(w, m, _)| format!("{w}: {}", disc_text(m)))
            .collect();
        push(
            "56b",
            "Discretisation",
            "Bins or bin size",
            "",
            params.join("; "),
            st(all_default),
        );
        let fbs: Vec<String> = disc
            .iter()
            .filter_map(|(w, m, _)| match m {
                Discretisation::Fbs { lower_bound, .. } => Some(format!(
                    "{w}: {}",
                    lower_bound.map_or_else(
                        || match s.resegmentation.min {
                            Some(m) => format!("{m} (the re-segmentation minimum)"),
                            None => "the ROI minimum".into(),
                        },
                        |l| l.to_string()
                    )
                )),
                _ => None,
            })
            .collect();
        if fbs.is_empty() {
            push(
                "56c",
                "Discretisation",
                "Lowest intensity of the first bin (FBS)",
                "",
                "not applicable: no fixed bin size".into(),
                Status::NotApplicable,
            );
        } else {
            push(
                "56c",
                "Discretisation",
                "Lowest intensity of the first bin (FBS)",
                "",
                fbs.join("; "),
                Status::Stated,
            );
        }
    }
    let f = &s.filters;
    push(
        "57",
        "Image transformation",
        "Image filters",
        "",
        if f.maps.is_empty() {
            "none (features of the original image only)".into()
        } else {
            format!(
                "IBSI 2 convolutional filters, one response map each: {}; families on the maps: {}",
                f.maps
                    .iter()
                    .map(|m| m.canonical_name())
                    .collect::<Vec<_>>()
                    .join(", "),
                f.families_or(&s.features).join(", ")
            )
        },
        st(f.maps.is_empty()),
    );
    let fam: Vec<String> = registry
        .selected(s)
        .map(|p| {
            let info = p.info();
            match FAMILY_IDS.iter().find(|(n, _, _)| *n == info.family) {
                Some((_, name, id)) => format!("{name} ({id}, {} features)", info.features.len()),
                None => format!(
                    "{} (run-time plugin {}, {} features)",
                    info.family,
                    info.version,
                    info.features.len()
                ),
            }
        })
        .collect();
    push("58", "Image biomarker computation", "Biomarker set", "", format!(
        "{}; each feature's IBSI identifier is in the feature table (column ibsi_id) and `radx features list`",
        fam.join(", ")
    ), st(s.features == d.features));
    match compliance {
        Some(c) => push("59", "Image biomarker computation", "IBSI compliance", "", format!(
            "{} of {} IBSI reference values matched ({})",
            c.matched,
            c.total,
            c.sets.iter().map(|(n, m, t)| format!("{n} {m}/{t}")).collect::<Vec<_>>().join(", ")
        ), Status::Stated),
        None => push("59", "Image biomarker computation", "IBSI compliance", "", format!(
            "{AUTHOR}: run `radx validate ibsi --set all --format json` with this build and pass the report with --validation"
        ), Status::Author),
    }
    push(
        "61",
        "Image biomarker computation",
        "Software and version",
        "",
        {
            let mut t = src.build.summary();
            if src.build != src.this_build {
                t.push_str(&format!(
                    " (the record's build; this radx is {})",
                    src.this_build.summary()
                ));
            }
            t
        },
        Status::Stated,
    );
    // 62-71: texture parameters
    let t = &s.texture;
    let dt = &d.texture;
    let tex = ["glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm"]
        .iter()
        .any(|f| src.has(f));
    let na = |what: &str| format!("not applicable: {what} not computed");
    if tex {
        let dims: Vec<&str> = t
            .dimensions
            .iter()
            .map(|d| match d {
                TextureDimension::D2 => "2D (per slice, averaged over slices)",
                TextureDimension::D25 => "2.5D (matrices merged over slices)",
                TextureDimension::D3 => "3D (one volumetric matrix)",
            })
            .collect();
        let merge: Vec<&str> = t
            .direction_merging
            .iter()
            .map(|m| match m {
                radx_core::settings::DirectionMerging::Avg => "features averaged over directions",
                radx_core::settings::DirectionMerging::Comb => "matrices merged over directions",
            })
            .collect();
        push(
            "62",
            "Texture parameters",
            "Texture matrix aggregation",
            "",
            format!("{}; GLCM and GLRLM: {}", dims.join(", "), merge.join(", ")),
            st(t.dimensions == dt.dimensions && t.direction_merging == dt.direction_merging),
        );
        push(
            "63",
            "Texture parameters",
            "Distance weighting",
            "",
            "none".into(),
            Status::Default,
        );
    } else {
        push(
            "62",
            "Texture parameters",
            "Texture matrix aggregation",
            "",
            na("no texture family"),
            Status::NotApplicable,
        );
        push(
            "63",
            "Texture parameters",
            "Distance weighting",
            "",
            na("no texture family"),
            Status::NotApplicable,
        );
    }
    if src.has("glcm") {
        push(
            "64",
            "Texture parameters",
            "CM symmetry",
            "",
            if t.glcm_symmetric {
                "symmetric".into()
            } else {
                "asymmetric".into()
            },
            st(t.glcm_symmetric == dt.glcm_symmetric),
        );
        push(
            "65",
            "Texture parameters",
            "CM distance",
            "",
            format!("Chebyshev distance {}", t.glcm_distance),
            st(t.glcm_distance == dt.glcm_distance),
        );
    } else {
        push(
            "64",
            "Texture parameters",
            "CM symmetry",
            "",
            na("GLCM"),
            Status::NotApplicable,
        );
        push(
            "65",
            "Texture parameters",
            "CM distance",
            "",
            na("GLCM"),
            Status::NotApplicable,
        );
    }
    let link = |fam: &str| {
        if src.has(fam) {
            (
                format!("Chebyshev distance {}", t.zone_linkage_distance),
                st(t.zone_linkage_distance == dt.zone_linkage_distance),
            )
        } else {
            (na(&fam.to_uppercase()), Status::NotApplicable)
        }
    };
    let (v, k) = link("glszm");
    push("66", "Texture parameters", "SZM linkage distance", "", v, k);
    let (v, k) = link("gldzm");
    push("67", "Texture parameters", "DZM linkage distance", "", v, k);
    if src.has("gldzm") {
        push(
            "68",
            "Texture parameters",
            "DZM zone distance norm",
            "",
            format!(
                "{} distance to the ROI border",
                norm_text(t.gldzm_distance_norm)
            ),
            st(t.gldzm_distance_norm == dt.gldzm_distance_norm),
        );
    } else {
        push(
            "68",
            "Texture parameters",
            "DZM zone distance norm",
            "",
            na("GLDZM"),
            Status::NotApplicable,
        );
    }
    if src.has("ngtdm") {
        push(
            "69",
            "Texture parameters",
            "NGTDM distance",
            "",
            format!("Chebyshev distance {}", t.ngtdm_distance),
            st(t.ngtdm_distance == dt.ngtdm_distance),
        );
    } else {
        push(
            "69",
            "Texture parameters",
            "NGTDM distance",
            "",
            na("NGTDM"),
            Status::NotApplicable,
        );
    }
    if src.has("ngldm") {
        push(
            "70",
            "Texture parameters",
            "NGLDM distance",
            "",
            format!("Chebyshev distance {}", t.ngldm_distance),
            st(t.ngldm_distance == dt.ngldm_distance),
        );
        push(
            "71",
            "Texture parameters",
            "NGLDM coarseness",
            "",
            format!("alpha = {}", t.ngldm_alpha),
            st(t.ngldm_alpha == dt.ngldm_alpha),
        );
    } else {
        push(
            "70",
            "Texture parameters",
            "NGLDM distance",
            "",
            na("NGLDM"),
            Status::NotApplicable,
        );
        push(
            "71",
            "Texture parameters",
            "NGLDM coarseness",
            "",
            na("NGLDM"),
            Status::NotApplicable,
        );
    }
    // Items radx cannot know; modality-specific ones are not applicable when the record
    // names another modality.
    for (item, section, topic, modality) in AUTHOR_ITEMS {
        let (value, status) = match modality_applies(modality, src.modality()) {
            Some(false) => (
                format!("not applicable: modality {}", src.modality().unwrap_or("")),
                Status::NotApplicable,
            ),
            _ if modality.is_empty() => (AUTHOR.to_string(), Status::Author),
            _ => (format!("{AUTHOR} ({modality} only)"), Status::Author),
        };
        push(item, section, topic, modality, value, status);
    }
    out.sort_by_key(|i| {
        ALL_ITEMS
            .iter()
            .position(|x| *x == i.item)
            .unwrap_or(usize::MAX)
    });
    out
}

fn paragraph(
    src: &Source,
    compliance: Option<&Compliance>,
    registry: &radx_core::Registry,
) -> String {
    let s = &src.settings;
    let b = &src.build;
    let mut p = format!(
        "Radiomic features were extracted with radx {} ({}{}; {}; {}), an IBSI-standardised feature extraction software, using the settings manifest {} (settings id {}).",
        b.version,
        if b.commit == "unknown" { "commit unknown".to_string() } else { format!("commit {}", &b.commit[..b.commit.len().min(12)]) },
        if b.dirty == Some(true) { ", with uncommitted changes" } else { "" },
        b.rustc,
        b.target,
        src.settings_source,
        s.id()
    );
    let i = &s.interpolation;
    match i.spacing_mm {
        Some(sp) => p.push_str(&format!(
            " Images were resampled to {} mm voxels by {} interpolation (grid centres aligned) and ROI masks by {} interpolation with a partial-volume threshold of {}.",
            if i.in_plane_only { format!("{} x {} (in plane)", sp[0], sp[1]) } else { format!("{} x {} x {}", sp[0], sp[1], sp[2]) },
            method_name(i.image_method),
            method_name(i.mask_method),
            i.partial_volume_threshold
        )),
        None => p.push_str(" Images were used on their original grid (no interpolation)."),
    }
    let r = reseg_text(&s.resegmentation);
    if r != "none" {
        p.push_str(&format!(" The intensity mask was re-segmented: {r}."));
    }
    p.push_str(&format!(
        " Intensities were discretised for the texture matrices by {}{}.",
        disc_text(&s.discretisation.texture),
        if s.discretisation.histogram != s.discretisation.texture {
            format!(
                " and for the intensity histogram by {}",
                disc_text(&s.discretisation.histogram)
            )
        } else {
            " (the same for the intensity histogram)".to_string()
        }
    ));
    let n_features: usize = registry.selected(s).map(|p| p.info().features.len()).sum();
    p.push_str(&format!(
        " {n_features} features of {} families were computed{}.",
        registry.selected(s).count(),
        if s.filters.maps.is_empty() {
            String::new()
        } else {
            format!(", also on {} filter response maps", s.filters.maps.len())
        }
    ));
    match compliance {
        Some(c) => p.push_str(&format!(
            " This radx build matched {} of {} IBSI reference values ({}).",
            c.matched,
            c.total,
            c.sets.iter().map(|(n, m, t)| format!("{n}: {m}/{t}")).collect::<Vec<_>>().join(", ")
        )),
        None => p.push_str(" IBSI compliance of this build: [to be completed by the author: radx validate ibsi --set all]."),
    }
    p.push_str(" Patient preparation, image acquisition, reconstruction and segmentation are [to be completed by the author].");
    p
}

fn compliance_of(report: &serde_json::Value) -> Option<Compliance> {
    let sets = report["sets"].as_array()?;
    let mut c = Compliance {
        matched: 0,
        total: 0,
        sets: Vec::new(),
    };
    for s in sets {
        let m = s["matched"].as_u64()? as usize;
        let t = s["total"].as_u64()? as usize;
        c.matched += m;
        c.total += t;
        c.sets.push((s["set"].as_str()?.to_string(), m, t));
    }
    Some(c)
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn status_text(s: Status) -> &'static str {
    match s {
        Status::Stated => "set",
        Status::Default => "radx default",
        Status::NotApplicable => "not applicable",
        Status::Author => "author",
    }
}

pub(crate) fn methods(a: MethodsArgs, this_build: &BuildIdentity) -> Result<ExitCode> {
    let this_build = this_build.clone();
    let src = match (&a.settings, &a.preset, &a.provenance) {
        (Some(p), _, _) => Source {
            settings: Settings::from_file(p)?,
            settings_source: format!("`{}`", p.display()),
            build: this_build.clone(),
            this_build,
            record: None,
        },
        (_, Some(n), _) => Source {
            settings: Settings::preset(n)?,
            settings_source: format!("preset `{n}`"),
            build: this_build.clone(),
            this_build,
            record: None,
        },
        (_, _, Some(r)) => {
            let text = std::fs::read_to_string(r).with_context(|| r.display().to_string())?;
            let record: Provenance = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a radx provenance record", r.display()))?;
            let settings = Settings::from_toml_str(&record.settings, &r.display().to_string())?;
            Source {
                settings,
                settings_source: format!("recorded in `{}`", r.display()),
                build: record.build.clone().unwrap_or_else(|| this_build.clone()),
                this_build,
                record: Some(record),
            }
        }
        _ => bail!("give --settings, --preset or --provenance"),
    };
    let compliance = if let Some(v) = &a.validation {
        let text = std::fs::read_to_string(v).with_context(|| v.display().to_string())?;
        let report: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{}: not JSON", v.display()))?;
        Some(compliance_of(&report).with_context(|| {
            format!(
                "{}: not a `radx validate ibsi --format json` report",
                v.display()
            )
        })?)
    } else if a.validate {
        let data = radx_check::ReferenceData::ibsi()?;
        let report = radx_check::validate(
            &["all".to_string()],
            &data,
            &radx_pipeline::builtin_registry(),
        )?;
        compliance_of(&serde_json::to_value(&report)?)
    } else {
        None
    };
    let registry = radx_pipeline::registry_for(&src.settings)?;
    let m = Methods {
        settings_id: src.settings.id(),
        settings_source: src.settings_source.clone(),
        build: src.build.clone(),
        paragraph: paragraph(&src, compliance.as_ref(), &registry),
        items: items(&src, compliance.as_ref(), &registry),
        compliance,
    };
    match a.format {
        MethodsFormat::Json => outln!("{}", serde_json::to_string_pretty(&m)?),
        MethodsFormat::Md => {
            outln!("## Feature extraction\n");
            outln!("{}\n", m.paragraph);
            outln!("### IBSI reporting items (IBSI reference manual, chapter 4)\n");
            outln!("| Item | Section | Topic | Modality | Value | Source |");
            outln!("| --- | --- | --- | --- | --- | --- |");
            for i in &m.items {
                outln!(
                    "| {} | {} | {} | {} | {} | {} |",
                    i.item,
                    i.section,
                    i.topic,
                    i.modality,
                    i.value.replace('|', "\\|"),
                    status_text(i.status)
                );
            }
        }
        MethodsFormat::Html => {
            outln!(
                "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>radx methods</title>"
            );
            outln!("<style>body{{font-family:sans-serif;max-width:70em;margin:auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.2em .5em;vertical-align:top}}tr.author td{{color:#a40}}</style></head><body>");
            outln!(
                "<h2>Feature extraction</h2>\n<p>{}</p>",
                escape_html(&m.paragraph)
            );
            outln!("<h3>IBSI reporting items (IBSI reference manual, chapter 4)</h3>\n<table>");
            outln!("<tr><th>Item</th><th>Section</th><th>Topic</th><th>Modality</th><th>Value</th><th>Source</th></tr>");
            for i in &m.items {
                outln!(
                    "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    if i.status == Status::Author { "author" } else { "" },
                    i.item,
                    escape_html(i.section),
                    escape_html(i.topic),
                    escape_html(i.modality),
                    escape_html(&i.value),
                    status_text(i.status)
                );
            }
            outln!("</table>\n</body></html>");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_listed_once_for_any_settings() {
        for preset in ["ibsi-config-e", "ibsi-digital-phantom", "ibsi2-4a"] {
            let settings = Settings::preset(preset).unwrap();
            let src = Source {
                settings,
                settings_source: preset.into(),
                build: radx_build::identity(),
                this_build: radx_build::identity(),
                record: None,
            };
            let registry = radx_pipeline::builtin_registry();
            let got: Vec<&str> = items(&src, None, &registry)
                .iter()
                .map(|i| i.item)
                .collect();
            assert_eq!(got, ALL_ITEMS, "{preset}");
        }
    }

    #[test]
    fn modality_specific_items() {
        assert_eq!(modality_applies("MRI", Some("CT")), Some(false));
        assert_eq!(modality_applies("PET, SPECT", Some("PT")), Some(true));
        assert_eq!(modality_applies("CT", None), None);
        assert_eq!(modality_applies("", Some("CT")), Some(true));
    }
}
