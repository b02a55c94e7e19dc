//! Runs a cohort under several *conditions* for the stability checker: the points of a
//! settings grid ([`grid`]), seeded perturbations of each case's image and ROI
//! (radx-perturb), or the masks of several observers ([`run_observers`], with the
//! segmentation agreement of every pair of observers per case, [`agreement`]). Each condition gives one radx long table of every case; [`assess`] turns
//! the tables (these, or tables made elsewhere) into a verdict per feature, [`sites`] tests
//! and harmonises (ComBat) site effects, and [`output`] writes both reports as JSON and CSV.
//! The statistics themselves (ICC, CCC, Kruskal–Wallis, ComBat) are radx-stats'.
//!
//! Must not: parse command-line arguments or print (radx-cli), render HTML (radx-report),
//! or implement a statistic (radx-stats).
//!
//! Output folder layout:
//!
//! ```text
//! DIR/conditions.json                              the conditions, in order
//! DIR/conditions/<slug>/cases/<case>.csv           one case under one condition
//! DIR/conditions/<slug>/cases/<case>.provenance.json
//!                                                  its provenance, with the perturbation
//!                                                  steps drawn for the case and what they did
//! DIR/conditions/<slug>/errors/<case>.json         a case that failed under the condition
//! DIR/conditions/<slug>/features.csv               every case, sorted by case id
//! DIR/conditions/<slug>/features.provenance.json   the condition's provenance
//! ```
//!
//! (`radx stability --observers` also writes `DIR/segmentation-agreement.csv` from
//! [`RunSummary::agreement`].)
//!
//! Inputs: each case is read as `radx batch` reads it ([`radx_pipeline::load_regions`]:
//! the cohort's `volume` of a 4D NIfTI, its `extra_mask_NAME` columns, `[mask]
//! resample_to_image`), once per mask file and `[mask]` settings; `[normalisation]` is
//! fitted per condition ([`radx_pipeline::derive_regions`]), and under a perturbation after
//! it (see `normalise_perturbed`), its parameters recorded in the case's
//! `selection.normalisation`.
//!
//! Resume: run the same command again and every case × condition whose provenance records
//! the same build identity, inputs (every file's sha256), settings id, plugins, cohort
//! row and perturbation plan, and whose table still has the sha256 its record names, is
//! kept; anything else is recomputed, and the summary says why (radx-batch's
//! [`Recompute`] reasons). Tables are written atomically, the provenance last, so an
//! interrupted run leaves nothing half-written that a later run would trust.
//!
//! A panic while a case is read, perturbed or processed becomes that case's error record
//! under the condition (`internal`, "internal error: please report"); the others go on.
//!
//! Determinism: a case's perturbation seed is derived from the run seed, the case id and
//! the perturbation index ([`case_seed`]), never from the order in which threads pick
//! cases, so the tables are bit-identical whatever the thread count. A case that fails
//! (unreadable, empty ROI, a perturbation that cannot apply) gets an error record under
//! that condition; the other cases and conditions are unaffected.

// The checker's readers and the stability analysis return radx-check's `CheckError` as they
// did in radx-check, where clippy does not flag it; its size is that of the pipeline error
// it wraps, and it is returned once per run, never in a loop.
pub mod agreement;
#[allow(clippy::result_large_err)]
pub mod assess;
pub mod attribution;
pub mod grid;
#[allow(clippy::result_large_err)]
pub mod output;
#[allow(clippy::result_large_err)]
pub mod sites;
#[allow(clippy::result_large_err)]
pub mod study;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use radx_batch::observers::ObserverCohort;
pub use radx_batch::Recompute;
use radx_batch::{catch_panic, internal_error_message, sha256_hex, write_atomic, CohortCase};
use radx_core::settings::MaskSettings;
use radx_core::{BuildInfo, Image, Mask, Registry, Settings};
use radx_perturb::{Perturbation, PerturbationSpace};
use radx_pipeline::{CaseLabels, SeriesOptions};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use grid::{settings_grid, Axis, GridPoint};

/// Errors that stop a whole run (a bad grid, an unwritable folder). A failing case never
/// does: it gets an error record under its condition.
#[derive(Debug, Error)]
pub enum StabilityError {
    #[error("settings grid {0}")]
    Grid(String),
    #[error("{path}: {message}")]
    Output { path: PathBuf, message: String },
    #[error("stability run: {0}")]
    Plan(String),
}

/// Margin (mm) kept around the ROI when a perturbed case is cropped before perturbing:
/// wider than the processing chain's own crop, so that rotation and translation never
/// pull in voxels from beyond the kept region for the features.
pub const PERTURBATION_CROP_MARGIN_MM: f64 = 30.0;

/// How a condition perturbs each case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerturbationDraw {
    /// The kinds of perturbation and their ranges.
    pub space: PerturbationSpace,
    /// The run's seed.
    pub seed: u64,
    /// Which perturbation of the run this condition is (0-based).
    pub index: usize,
}

/// One condition: settings, and optionally a perturbation of every case.
#[derive(Debug, Clone)]
pub struct Condition {
    /// Human-readable name (`bin_width=25, spacing_mm=2x2x2`, `perturbation 3`).
    pub name: String,
    /// Folder name: letters, digits, `-`, `_`, `.`.
    pub slug: String,
    pub settings: Settings,
    /// `key=value` pairs of a settings-grid point.
    pub changes: Vec<(String, String)>,
    pub perturbation: Option<PerturbationDraw>,
    /// Inter-observer study: the observer whose masks this condition uses (position in
    /// [`ObserverCohort::observers`]); `None`: the cohort's `mask`.
    pub observer: Option<usize>,
}

/// One condition per observer of an inter-observer study, in the cohort's order, all
/// under `settings`; named by the observer.
pub fn observer_conditions(settings: &Settings, cohort: &ObserverCohort) -> Vec<Condition> {
    cohort
        .observers
        .iter()
        .enumerate()
        .map(|(i, o)| Condition {
            name: o.name.clone(),
            slug: format!("obs{:02}-{}", i + 1, slugify(&o.name)),
            settings: settings.clone(),
            changes: vec![("observer".into(), o.name.clone())],
            perturbation: None,
            observer: Some(i),
        })
        .collect()
}

/// The conditions of a settings grid, named by what each point changes.
pub fn grid_conditions(base: &Settings, axes: &[Axis]) -> Result<Vec<Condition>, StabilityError> {
    let points = settings_grid(base, axes)?;
    Ok(points
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let name = if p.changes.is_empty() {
                "base settings".to_string()
            } else {
                p.changes
                    .iter()
                    .map(|(k, v)| format!("{}={v}", short_key(k)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Condition {
                slug: format!("{:02}-{}", i + 1, slugify(&name)),
                name,
                settings: p.settings,
                changes: p.changes,
                perturbation: None,
                observer: None,
            }
        })
        .collect())
}

/// `count` perturbation conditions under `settings`, preceded by the unperturbed original
/// (the reference condition) when `with_original` is set.
pub fn perturbation_conditions(
    settings: &Settings,
    space: &PerturbationSpace,
    count: usize,
    seed: u64,
    with_original: bool,
) -> Vec<Condition> {
    let mut out = Vec::new();
    if with_original {
        out.push(Condition {
            name: "original".into(),
            slug: "00-original".into(),
            settings: settings.clone(),
            changes: Vec::new(),
            perturbation: None,
            observer: None,
        });
    }
    out.extend((0..count).map(|index| Condition {
        name: format!("perturbation {}", index + 1),
        slug: format!("p{:03}", index + 1),
        settings: settings.clone(),
        changes: Vec::new(),
        perturbation: Some(PerturbationDraw {
            space: space.clone(),
            seed,
            index,
        }),
        observer: None,
    }));
    out
}

/// The last part of a dotted key (several keys joined by `+`: the first's last part).
fn short_key(key: &str) -> &str {
    let first = key.split('+').next().unwrap_or(key);
    first.rsplit('.').next().unwrap_or(first)
}

fn slugify(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    s.trim_matches('_').chars().take(80).collect()
}

/// The seed of a case's perturbation: the first 8 bytes (little endian) of
/// sha256(`"{run_seed}:{case_id}:{index}"`). Independent of case order and threads.
pub fn case_seed(run_seed: u64, case_id: &str, index: usize) -> u64 {
    let d = Sha256::digest(format!("{run_seed}:{case_id}:{index}").as_bytes());
    u64::from_le_bytes(d[..8].try_into().expect("8 bytes"))
}

/// What happened to one case under one condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseFailure {
    pub case: String,
    pub condition: String,
    /// `read`, `perturb`, `process` or `write`.
    pub stage: String,
    pub message: String,
    /// A panic inside radx (a bug), not a problem of the input.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
}

/// Summary of a run.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    /// Cases × conditions that gave a table.
    pub done: usize,
    /// Cases × conditions whose table from an earlier run was kept (same build, inputs,
    /// settings, plugins, perturbation steps, and an intact table).
    pub skipped: usize,
    /// Of `done`: how many for each reason (`New` = no earlier result).
    pub reasons: BTreeMap<Recompute, usize>,
    pub failed: Vec<CaseFailure>,
    /// `conditions/<slug>/features.csv` of each condition, in condition order.
    pub tables: Vec<PathBuf>,
    /// Inter-observer study ([`run_observers`]): the segmentation agreement of every pair
    /// of observers per case, in cohort order; empty otherwise.
    pub agreement: Vec<agreement::PairAgreement>,
}

/// The folder of a condition's results.
pub fn condition_dir(out: &Path, c: &Condition) -> PathBuf {
    out.join("conditions").join(&c.slug)
}

/// A case's inputs as `radx batch` reads them (one region: the cohort row's): the image
/// (the cohort's `volume` of a 4D NIfTI), the mask, and the extra masks (`extra_mask_NAME`
/// columns), every mask on the image grid or resampled onto it by `[mask]
/// resample_to_image` ([`radx_pipeline::load_regions`]). Read once per mask file and
/// `[mask]` settings, and shared by every condition that reads the case alike.
type LoadedCase = radx_pipeline::LoadedCase;

fn load_case(case: &CohortCase, mask: &MaskSettings) -> Result<LoadedCase, String> {
    let series = SeriesOptions {
        volume: case.volume,
        ..Default::default()
    };
    let ask = radx_pipeline::RegionAsk::One {
        mask: case.mask.clone(),
        selector: radx_batch::selector_of(case),
        name: roi_label(case),
    };
    let l = radx_pipeline::load_regions(&case.image, &series, &[ask], &case.extra_masks, mask)
        .map_err(|e| e.to_string())?;
    if l.regions.len() != 1 {
        return Err(format!(
            "{}: {} regions where radx stability takes one",
            case.mask.display(),
            l.regions.len()
        ));
    }
    Ok(l)
}

/// Fits `[normalisation]` of `settings` to the case as `radx batch` does
/// ([`radx_pipeline::derive_regions`], which with no derived region is
/// [`radx_pipeline::normalise_regions`]): the parameters go to the region's
/// `selection.normalisation` (none when the settings do not normalise). Run for every
/// condition, since conditions may differ in their `[normalisation]`.
fn fit_normalisation(
    loaded: &mut LoadedCase,
    settings: &Settings,
) -> Result<(), radx_pipeline::PipelineError> {
    for r in &mut loaded.regions {
        r.selection.normalisation = None;
    }
    radx_pipeline::derive_regions(loaded, settings)
}

fn roi_label(case: &CohortCase) -> String {
    radx_batch::roi_label(case)
}

/// The perturbation steps of a case under a condition, and the seed they use.
pub fn case_steps(draw: &PerturbationDraw, case_id: &str) -> (Vec<Perturbation>, u64) {
    let seed = case_seed(draw.seed, case_id, draw.index);
    (radx_perturb::draw(&draw.space, seed, draw.index), seed)
}

/// The provenance record of one case under one condition (before its table exists).
fn case_record(
    case: &CohortCase,
    condition: &Condition,
    ctx: &RunContext,
    loaded: &LoadedCase,
    perturbation: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut provenance =
        radx_pipeline::provenance(&condition.settings, ctx.registry, loaded.inputs.clone());
    radx_pipeline::stamp_build(&mut provenance, ctx.build);
    provenance.selection = Some(loaded.regions[0].selection.clone());
    provenance.request = Some(radx_batch::request_of(case));
    let mut record = serde_json::to_value(&provenance).expect("provenance serialises");
    record["condition"] = serde_json::Value::String(condition.name.clone());
    if let Some(p) = perturbation {
        record["perturbation"] = p;
    }
    record
}

/// Whether `cases/<case>.csv` and its provenance are exactly the result of `record` (the
/// record this run would write): same build identity, inputs, settings id, plugins,
/// cohort row, condition and perturbation plan, and a table whose sha256 is the recorded
/// one. (Numbers compare exactly: serde_json is built with `float_roundtrip`, so a
/// parsed f64 is the one written.)
fn reuse_check(dir: &Path, case: &str, record: &serde_json::Value) -> Result<(), Recompute> {
    let cases = dir.join("cases");
    let Ok(text) = std::fs::read_to_string(cases.join(format!("{case}.provenance.json"))) else {
        return Err(Recompute::New);
    };
    let mut old =
        serde_json::from_str::<serde_json::Value>(&text).map_err(|_| Recompute::Record)?;
    // What the steps did is recorded after the run; the plan is what must match. So is
    // the normalisation of a perturbed case, fitted on the perturbed image.
    if let Some(p) = old.get_mut("perturbation").and_then(|p| p.as_object_mut()) {
        p.remove("applied");
        if let Some(s) = old.get_mut("selection").and_then(|s| s.as_object_mut()) {
            s.remove("normalisation");
        }
    }
    let same = |k: &str| old.get(k) == record.get(k);
    if old.get("build").is_none_or(|b| b.is_null()) || !same("build") || !same("radx_version") {
        return Err(Recompute::Build);
    }
    if !same("settings_id") || !same("condition") || !same("perturbation") {
        return Err(Recompute::Settings);
    }
    if !same("inputs") {
        return Err(Recompute::Input);
    }
    // what the inputs resolved to: series, grid, mask resampling, normalisation parameters
    if !same("selection") {
        return Err(Recompute::Settings);
    }
    let refused = old["plugins"]
        .as_array()
        .is_some_and(|a| a.iter().any(|p| p["sha256"] == "refused"));
    if !same("plugins") || refused {
        return Err(Recompute::Plugins);
    }
    if !same("request") {
        return Err(Recompute::Request);
    }
    let (Some(file), Some(sha)) = (
        old["table"]["file"].as_str(),
        old["table"]["sha256"].as_str(),
    ) else {
        return Err(Recompute::Table);
    };
    match std::fs::read(cases.join(file)) {
        Ok(bytes) if sha256_hex(&bytes) == sha => Ok(()),
        _ => Err(Recompute::Table),
    }
}

/// What a run needs besides its cases and conditions.
pub struct RunContext<'a> {
    pub registry: &'a Registry,
    pub build: &'a BuildInfo,
}

/// What one case under one condition came to.
enum Outcome {
    Done(Recompute),
    Skipped,
}

/// `[normalisation]` of a perturbed case. Normalisation is image post-acquisition
/// processing in the IBSI chain, so a perturbed image (a different acquisition of the same
/// patient, as far as the study is concerned) is normalised *after* the perturbation, with
/// statistics of the perturbed intensities:
///
/// * `within = "roi"`: the perturbed ROI's voxels of the perturbed image;
/// * `within = "image"` or an extra mask: the image as read with the perturbed crop (the
///   ROI's bounding box widened by [`PERTURBATION_CROP_MARGIN_MM`], where the steps work)
///   put back in its place, and the extra mask as read (the steps do not move it).
///
/// Fitted by the pipeline's own [`radx_pipeline::derive_regions`]; `None` when the settings
/// do not normalise. `bounds` is the crop ([`radx_perturb::crop_bounds`]).
fn normalise_perturbed(
    loaded: &LoadedCase,
    bounds: [[usize; 3]; 2],
    image: &Image,
    mask: &Mask,
    settings: &Settings,
) -> Result<Option<radx_core::provenance::NormalisationRecord>, radx_pipeline::PipelineError> {
    if settings.normalisation.is_off() {
        return Ok(None);
    }
    let [lo, hi] = bounds;
    let crop = ndarray::s![lo[0]..hi[0], lo[1]..hi[1], lo[2]..hi[2]];
    let mut whole = loaded.image.clone();
    whole.data.slice_mut(crop).assign(&image.data);
    let region = &loaded.regions[0];
    let mut roi = ndarray::Array3::from_elem(region.mask.data.dim(), false);
    roi.slice_mut(crop).assign(&mask.data);
    let mut case = LoadedCase {
        image: whole,
        inputs: loaded.inputs.clone(),
        image_selection: loaded.image_selection.clone(),
        regions: vec![radx_pipeline::LoadedRegion {
            mask: Mask {
                grid: region.mask.grid.clone(),
                data: roi,
            },
            ..region.clone()
        }],
        extra_masks: loaded.extra_masks.clone(),
        interpolated: None,
    };
    fit_normalisation(&mut case, settings)?;
    Ok(case.regions.remove(0).selection.normalisation)
}

/// Runs one case under one condition and writes its table and provenance (or its error
/// record). A result of an earlier run of the same computation is kept.
fn run_one(
    case: &CohortCase,
    loaded: &mut LoadedCase,
    condition: &Condition,
    ctx: &RunContext,
    out: &Path,
) -> Result<Outcome, CaseFailure> {
    let stage = std::cell::Cell::new("perturb");
    match catch_panic(|| run_one_inner(case, loaded, condition, ctx, out, &stage)) {
        Ok(r) => r,
        Err(panic) => Err(CaseFailure {
            case: case.case_id.clone(),
            condition: condition.name.clone(),
            stage: stage.get().into(),
            message: internal_error_message(&panic),
            internal: true,
        }),
    }
}

fn run_one_inner(
    case: &CohortCase,
    loaded: &mut LoadedCase,
    condition: &Condition,
    ctx: &RunContext,
    out: &Path,
    stage: &std::cell::Cell<&'static str>,
) -> Result<Outcome, CaseFailure> {
    let registry = ctx.registry;
    let dir = condition_dir(out, condition);
    let fail = |stage: &str, message: String| CaseFailure {
        case: case.case_id.clone(),
        condition: condition.name.clone(),
        stage: stage.into(),
        message,
        internal: false,
    };
    // The perturbation steps are drawn before anything is computed, so that a finished
    // result can be recognised by its record.
    let steps = condition
        .perturbation
        .as_ref()
        .map(|draw| (draw, case_steps(draw, &case.case_id)));
    let planned = steps.as_ref().map(|(draw, (steps, seed))| {
        serde_json::json!({
            "index": draw.index,
            "run_seed": draw.seed,
            "case_seed": seed,
            "crop_margin_mm": PERTURBATION_CROP_MARGIN_MM,
            "steps": steps,
        })
    });
    // Unperturbed, the normalisation is fitted on the case as read, before the record that
    // names its parameters; perturbed, after the perturbation ([`normalise_perturbed`]),
    // which the plan in the record determines.
    stage.set("process");
    if steps.is_none() {
        fit_normalisation(loaded, &condition.settings)
            .map_err(|e| fail(e.stage(), e.to_string()))?;
    } else {
        for r in &mut loaded.regions {
            r.selection.normalisation = None;
        }
    }
    let planned_record = case_record(case, condition, ctx, loaded, planned.clone());
    let why = match reuse_check(&dir, &case.case_id, &planned_record) {
        Ok(()) => {
            let _ = std::fs::remove_file(dir.join("errors").join(format!("{}.json", case.case_id)));
            return Ok(Outcome::Skipped);
        }
        Err(why) => why,
    };
    stage.set("perturb");
    let region = &loaded.regions[0];
    let (image, mask, applied, normalisation) = match &steps {
        None => (
            loaded.image.clone(),
            region.mask.clone(),
            None,
            region.selection.normalisation.clone(),
        ),
        Some((_, (steps, seed))) => {
            let perturb = |e: radx_perturb::PerturbError| fail("perturb", e.to_string());
            let bounds = radx_perturb::crop_bounds(
                &loaded.image.grid,
                &region.mask,
                PERTURBATION_CROP_MARGIN_MM,
            )
            .map_err(perturb)?;
            let (image, mask) =
                radx_perturb::crop_to_roi(&loaded.image, &region.mask, PERTURBATION_CROP_MARGIN_MM)
                    .map_err(perturb)?;
            let p = radx_perturb::apply(&image, &mask, steps, *seed).map_err(perturb)?;
            stage.set("process");
            let normalisation =
                normalise_perturbed(loaded, bounds, &p.image, &p.mask, &condition.settings)
                    .map_err(|e| fail(e.stage(), e.to_string()))?;
            (p.image, p.mask, Some(p.applied), normalisation)
        }
    };
    // the parameters fitted above, applied as recorded
    let mut settings = std::borrow::Cow::Borrowed(&condition.settings);
    if let Some(rec) = &normalisation {
        settings.to_mut().normalisation.resolved = Some(rec.clone());
    }
    let labels = CaseLabels {
        case: case.case_id.clone(),
        roi: roi_label(case),
        image: "original".into(),
    };
    stage.set("process");
    let table = radx_pipeline::extract(image, mask, &settings, registry, &labels).map_err(|e| {
        fail(
            "process",
            format!("{} with {}: {e}", case.image.display(), case.mask.display()),
        )
    })?;
    let mut record = planned_record;
    if let Some(applied) = applied {
        record["perturbation"]["applied"] = serde_json::to_value(applied).expect("json");
        if let Some(rec) = &normalisation {
            record["selection"]["normalisation"] = serde_json::to_value(rec).expect("json");
        }
    }
    let slices = radx_pipeline::largest_slices(&table);
    if !slices.is_empty() {
        record["largest_slices"] = serde_json::to_value(slices).expect("json");
    }
    stage.set("write");
    let cases = dir.join("cases");
    let write = |name: String, text: &str| {
        let p = cases.join(name);
        write_atomic(&p, text)
            .map_err(|e| fail("write", format!("{}: cannot write: {e}", p.display())))
    };
    // A result being replaced stops counting as done before its table changes.
    let prov = cases.join(format!("{}.provenance.json", case.case_id));
    if prov.exists() {
        std::fs::remove_file(&prov)
            .map_err(|e| fail("write", format!("{}: {e}", prov.display())))?;
    }
    let csv = radx_io::table_to_csv(&table);
    write(format!("{}.csv", case.case_id), &csv)?;
    record["table"] = serde_json::json!({
        "file": format!("{}.csv", case.case_id),
        "sha256": sha256_hex(csv.as_bytes()),
    });
    write(
        format!("{}.provenance.json", case.case_id),
        &(serde_json::to_string_pretty(&record).expect("json") + "\n"),
    )?;
    let _ = std::fs::remove_file(dir.join("errors").join(format!("{}.json", case.case_id)));
    Ok(Outcome::Done(why))
}

fn write_failure(out: &Path, condition: &Condition, f: &CaseFailure) {
    let path = condition_dir(out, condition)
        .join("errors")
        .join(format!("{}.json", f.case));
    let _ = std::fs::remove_file(
        condition_dir(out, condition)
            .join("cases")
            .join(format!("{}.provenance.json", f.case)),
    );
    let _ = write_atomic(
        &path,
        &(serde_json::to_string_pretty(f).expect("json") + "\n"),
    );
}

/// Runs every case under every condition on the current rayon pool (cases in parallel;
/// a case's inputs are read once for all its conditions), then merges each condition's
/// table. `progress` is called once per finished case.
pub fn run(
    cases: &[CohortCase],
    conditions: &[Condition],
    ctx: &RunContext,
    out: &Path,
    progress: &(dyn Fn(&CohortCase) + Sync),
) -> Result<RunSummary, StabilityError> {
    let planned: Vec<PlannedCase> = cases
        .iter()
        .map(|c| PlannedCase {
            case: c,
            per_condition: vec![Ok(c.clone()); conditions.len()],
            observers: Vec::new(),
        })
        .collect();
    run_planned(&planned, conditions, ctx, out, progress)
}

/// [`run`] for an inter-observer study: `conditions` from [`observer_conditions`], each
/// case under each observer's mask (the image is read with each mask). Besides the
/// tables, [`RunSummary::agreement`] holds the segmentation agreement of every pair of
/// observers per case ([`agreement::compare_masks`]); a case whose mask of an observer is
/// missing, unreadable or on another grid than the image gets that observer's error record
/// and agreement rows with the reason, and the other cases go on.
pub fn run_observers(
    cohort: &ObserverCohort,
    conditions: &[Condition],
    ctx: &RunContext,
    out: &Path,
    progress: &(dyn Fn(&CohortCase) + Sync),
) -> Result<RunSummary, StabilityError> {
    let n = cohort.observers.len();
    let views = |c: &radx_batch::observers::ObserverCase| -> Vec<Result<CohortCase, String>> {
        (0..n)
            .map(|i| {
                c.as_observer(i).ok_or_else(|| {
                    format!(
                        "no mask of observer `{}`: the cohort's column `{}` is empty for this case",
                        cohort.observers[i].name, cohort.observers[i].column
                    )
                })
            })
            .collect()
    };
    let planned: Vec<PlannedCase> = cohort
        .cases
        .iter()
        .map(|c| {
            let v = views(c);
            let per_condition = conditions
                .iter()
                .map(|cond| match cond.observer {
                    Some(i) if i < n => v[i].clone(),
                    _ => Err(format!("condition `{}` names no observer", cond.name)),
                })
                .collect();
            PlannedCase {
                case: &c.case,
                per_condition,
                observers: cohort
                    .observers
                    .iter()
                    .map(|o| o.name.clone())
                    .zip(v)
                    .collect(),
            }
        })
        .collect();
    run_planned(&planned, conditions, ctx, out, progress)
}

/// A case as each condition sees it: the cohort row with the mask that condition uses,
/// or why there is none; for an observer study also each observer's view.
struct PlannedCase<'a> {
    case: &'a CohortCase,
    per_condition: Vec<Result<CohortCase, String>>,
    observers: Vec<(String, Result<CohortCase, String>)>,
}

type Load = Result<LoadedCase, (String, bool)>;

/// The loads of one case: per mask file and `[mask]` settings.
type LoadCache = Vec<((PathBuf, MaskSettings), Load)>;

/// Reads a case's inputs (once per mask file and `[mask]` settings, which a settings grid
/// may vary: the loads are kept in `cache`).
fn load_cached<'c>(
    cache: &'c mut LoadCache,
    case: &CohortCase,
    mask: &MaskSettings,
) -> &'c mut Load {
    if let Some(i) = cache
        .iter()
        .position(|((p, m), _)| *p == case.mask && m == mask)
    {
        return &mut cache[i].1;
    }
    let l = match catch_panic(|| load_case(case, mask)) {
        Ok(Ok(l)) => Ok(l),
        Ok(Err(message)) => Err((message, false)),
        Err(panic) => Err((internal_error_message(&panic), true)),
    };
    cache.push(((case.mask.clone(), mask.clone()), l));
    &mut cache.last_mut().expect("pushed").1
}

/// The agreement rows of one case: every pair of observers, in observer order.
fn case_agreement(
    case: &CohortCase,
    observers: &[(String, Result<CohortCase, String>)],
    cache: &mut LoadCache,
    mask_settings: &MaskSettings,
) -> Vec<agreement::PairAgreement> {
    let masks: Vec<Result<Mask, String>> = observers
        .iter()
        .map(|(name, view)| match view {
            Err(m) => Err(format!("observer `{name}`: {m}")),
            Ok(c) => match load_cached(cache, c, mask_settings) {
                Ok(l) => Ok(l.regions[0].mask.clone()),
                Err((m, _)) => Err(format!("observer `{name}`: {m}")),
            },
        })
        .collect();
    let mut rows = Vec::new();
    for i in 0..observers.len() {
        for j in i + 1..observers.len() {
            let (metrics, reason) = match (&masks[i], &masks[j]) {
                (Err(a), Err(b)) => (None, format!("{a}; {b}")),
                (Err(a), _) | (_, Err(a)) => (None, a.clone()),
                (Ok(a), Ok(b)) => match a.grid.mismatch(&b.grid, 1e-3) {
                    Some(m) => (
                        None,
                        format!(
                            "the masks of `{}` and `{}` are on different grids: {m}",
                            observers[i].0, observers[j].0
                        ),
                    ),
                    None => match agreement::compare_masks(&a.data, &b.data, a.grid.spacing_zyx) {
                        Err(e) => (None, e.to_string()),
                        Ok(m) => {
                            let empty: Vec<&str> = [(i, m.voxels_a), (j, m.voxels_b)]
                                .iter()
                                .filter(|(_, n)| *n == 0)
                                .map(|(k, _)| observers[*k].0.as_str())
                                .collect();
                            let reason = if empty.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    "surface distances undefined: the mask of {} is empty",
                                    empty.join(" and ")
                                )
                            };
                            (Some(m), reason)
                        }
                    },
                },
            };
            rows.push(agreement::PairAgreement {
                case: case.case_id.clone(),
                observer_a: observers[i].0.clone(),
                observer_b: observers[j].0.clone(),
                agreement: metrics,
                missing_reason: reason,
            });
        }
    }
    rows
}

fn run_planned(
    planned: &[PlannedCase],
    conditions: &[Condition],
    ctx: &RunContext,
    out: &Path,
    progress: &(dyn Fn(&CohortCase) + Sync),
) -> Result<RunSummary, StabilityError> {
    if conditions.is_empty() {
        return Err(StabilityError::Plan("no condition to run".into()));
    }
    let mut slugs = std::collections::BTreeSet::new();
    for c in conditions {
        if !slugs.insert(c.slug.as_str()) {
            return Err(StabilityError::Plan(format!(
                "two conditions share the folder name `{}`",
                c.slug
            )));
        }
        let d = condition_dir(out, c);
        for sub in ["cases", "errors"] {
            let sd = d.join(sub);
            radx_batch::create_writable_dir(&sd)
                .and_then(|_| radx_batch::remove_stale_tmp(&sd))
                .map_err(|e| StabilityError::Output {
                    path: sd.clone(),
                    message: e.to_string(),
                })?;
        }
    }
    type CaseResults = (
        Vec<Result<Outcome, CaseFailure>>,
        Vec<agreement::PairAgreement>,
    );
    let outcomes: Vec<CaseResults> = planned
        .par_iter()
        .map(|p| {
            let case = p.case;
            let mut cache: LoadCache = Vec::new();
            let results = conditions
                .iter()
                .zip(&p.per_condition)
                .map(|(c, view)| {
                    let failure = |message: String, internal: bool| CaseFailure {
                        case: case.case_id.clone(),
                        condition: c.name.clone(),
                        stage: "read".into(),
                        message,
                        internal,
                    };
                    match view {
                        Err(m) => Err(failure(m.clone(), false)),
                        Ok(v) => match load_cached(&mut cache, v, &c.settings.mask) {
                            Err((m, internal)) => Err(failure(m.clone(), *internal)),
                            Ok(loaded) => run_one(v, loaded, c, ctx, out),
                        },
                    }
                })
                .collect();
            let agreement =
                case_agreement(case, &p.observers, &mut cache, &conditions[0].settings.mask);
            progress(case);
            (results, agreement)
        })
        .collect();
    let mut summary = RunSummary::default();
    for (per_case, agreement) in outcomes {
        summary.agreement.extend(agreement);
        for (c, r) in conditions.iter().zip(per_case) {
            match r {
                Ok(Outcome::Done(why)) => {
                    summary.done += 1;
                    *summary.reasons.entry(why).or_default() += 1;
                }
                Ok(Outcome::Skipped) => summary.skipped += 1,
                Err(f) => {
                    write_failure(out, c, &f);
                    summary.failed.push(f);
                }
            }
        }
    }
    for c in conditions {
        let dir = condition_dir(out, c);
        let table = dir.join("features.csv");
        radx_batch::merge(std::slice::from_ref(&dir), &table).map_err(|e| {
            StabilityError::Output {
                path: table.clone(),
                message: e.to_string(),
            }
        })?;
        write_condition_provenance(c, ctx, &dir)?;
        summary.tables.push(table);
    }
    let listing: Vec<_> = conditions
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c.name,
                "slug": c.slug,
                "settings_id": c.settings.id(),
                "changes": c.changes.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<BTreeMap<_, _>>(),
                "perturbation": c.perturbation,
                "table": condition_dir(out, c).join("features.csv"),
})
        })
        .collect();
    let path = out.join("conditions.json");
    write_atomic(
        &path,
        &(serde_json::to_string_pretty(&listing).expect("json") + "\n"),
    )
    .map_err(|e| StabilityError::Output {
        path,
        message: e.to_string(),
    })?;
    Ok(summary)
}

/// The provenance of a condition's merged table: settings, versions, platform, and per
/// case its inputs and perturbation (gathered from the case records).
fn write_condition_provenance(
    c: &Condition,
    ctx: &RunContext,
    dir: &Path,
) -> Result<(), StabilityError> {
    let mut provenance = radx_pipeline::provenance(&c.settings, ctx.registry, Vec::new());
    radx_pipeline::stamp_build(&mut provenance, ctx.build);
    let mut record = serde_json::to_value(provenance).expect("provenance serialises");
    record["condition"] = serde_json::Value::String(c.name.clone());
    record["changes"] = serde_json::json!(c
        .changes
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect::<BTreeMap<_, _>>());
    if let Some(p) = &c.perturbation {
        record["perturbation"] = serde_json::to_value(p).expect("json");
    }
    let mut cases = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("cases")) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(case) = name.strip_suffix(".provenance.json") {
                if let Ok(v) = std::fs::read_to_string(e.path())
                    .map_err(|e| e.to_string())
                    .and_then(|t| {
                        serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string())
                    })
                {
                    cases.insert(
                        case.to_string(),
                        serde_json::json!({
                            "inputs": v["inputs"],
                            "perturbation": v.get("perturbation").cloned().unwrap_or_default(),
                        }),
                    );
                }
            }
        }
    }
    record["cases"] = serde_json::to_value(cases).expect("json");
    let path = radx_io::provenance_path(&dir.join("features.csv"));
    write_atomic(
        &path,
        &(serde_json::to_string_pretty(&record).expect("json") + "\n"),
    )
    .map_err(|e| StabilityError::Output {
        path,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_seeds_depend_on_seed_case_and_index_only() {
        assert_eq!(case_seed(7, "STS_001", 3), case_seed(7, "STS_001", 3));
        assert_ne!(case_seed(7, "STS_001", 3), case_seed(7, "STS_002", 3));
        assert_ne!(case_seed(7, "STS_001", 3), case_seed(7, "STS_001", 4));
        assert_ne!(case_seed(7, "STS_001", 3), case_seed(8, "STS_001", 3));
    }

    #[test]
    fn slugs_are_safe_folder_names() {
        assert_eq!(
            slugify("bin_width=25, spacing_mm=2x2x2"),
            "bin_width_25_spacing_mm_2x2x2"
        );
        assert_eq!(
            short_key("discretisation.texture.bin_width+x.y"),
            "bin_width"
        );
    }
}
