//! `radx stability`: a cohort under several conditions (a settings grid, or seeded
//! perturbations), or feature tables made elsewhere (other machines, versions, PyRadiomics),
//! turned into a stability verdict per feature with a self-contained HTML report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use radx_perturb::{ContourSettings, PerturbationSpace};
use radx_stability::assess::{ConditionTable, StabilityOptions};
use radx_stability::study::{analyse, import_tables, StudyOptions, StudyOutcome};
use radx_stability::{grid_conditions, perturbation_conditions, Axis, Condition};

use crate::output::eprintln;
use crate::SettingsSource;

#[derive(Args)]
pub(crate) struct StabilityArgs {
    /// Cohort CSV (case_id,image,mask[,label][,roi][,site][,volume][,extra_mask_NAME...])
    /// to extract under every condition, each case read as `radx batch` reads it (4D
    /// volume, extra masks, [mask] resample_to_image, [normalisation] recorded); with
    /// --observers, one mask column per observer (mask_<observer>). Without it, give --table.
    #[arg(long)]
    cohort: Option<PathBuf>,
    #[command(flatten)]
    settings: SettingsSource,
    /// A settings-grid axis `key=v1,v2,...` (dotted manifest key, TOML values; keys joined
    /// by `+` take each value together). Repeat for a Cartesian product, e.g.
    /// `--vary discretisation.texture.bin_width=10,25,50 --vary interpolation.spacing_mm=[1,1,1],[2,2,2]`.
    #[arg(long = "vary", value_name = "KEY=VALUES")]
    vary: Vec<String>,
    /// With --vary: instead of the full grid, the base settings and one condition per
    /// varied value, each changing that one setting from the base; writes
    /// attribution.csv (per condition and feature, the change against the base) and
    /// attribution-ranking.csv (the conditions ranked by how many features they move by
    /// more than 1 %). Vary the `conventions.*` keys to attribute a platform difference.
    #[arg(long = "one-at-a-time", requires = "vary")]
    one_at_a_time: bool,
    /// Perturb image and ROI instead: comma-separated kinds among noise, rotation,
    /// translation, volume, contour.
    #[arg(long, value_delimiter = ',')]
    perturb: Vec<PerturbKind>,
    /// Number of perturbed versions of each case (the unperturbed original is the
    /// reference condition besides).
    #[arg(long, default_value_t = 10)]
    perturbations: usize,
    /// Seed of the perturbations (recorded in provenance).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Rotation range in degrees, `lo,hi`.
    #[arg(long, value_parser = parse_range, default_value = "-15,15", allow_hyphen_values = true)]
    rotation_degrees: [f64; 2],
    /// Volume adaptation range as fractions of the ROI volume, `lo,hi`.
    #[arg(long, value_parser = parse_range, default_value = "-0.1,0.1", allow_hyphen_values = true)]
    volume_fraction: [f64; 2],
    /// Contour randomisation: standard deviation of the boundary displacement, mm.
    #[arg(long, default_value_t = 2.0)]
    contour_sd_mm: f64,
    /// Contour randomisation: correlation length of the displacement field, mm.
    #[arg(long, default_value_t = 10.0)]
    contour_correlation_mm: f64,
    /// Inter-observer study: each observer's masks are a condition (the cohort's
    /// `mask_<observer>` columns, or --masks); writes segmentation-agreement.csv (Dice,
    /// Jaccard, volume difference, Hausdorff distances of every pair of observers per case).
    #[arg(long, requires = "cohort")]
    observers: bool,
    /// With --observers: an observer and its cohort column, `NAME=COLUMN`. Repeat; without
    /// it every column `mask_<observer>` is an observer.
    #[arg(long = "masks", value_name = "NAME=COLUMN", requires = "observers")]
    masks: Vec<String>,
    /// With --observers: the reference observer (default: the first).
    #[arg(long, requires = "observers")]
    reference_observer: Option<String>,
    /// Existing tables as conditions, `NAME=PATH` (radx long CSV, with its provenance
    /// sidecar when present). Repeat; the first is the reference.
    #[arg(long = "table", value_name = "NAME=PATH")]
    tables: Vec<String>,
    /// PyRadiomics batch CSVs as conditions, `NAME=PATH` (mapped to IBSI tags).
    #[arg(long = "pyradiomics", value_name = "NAME=PATH")]
    pyradiomics: Vec<String>,
    /// Reference condition (default: the first).
    #[arg(long)]
    reference: Option<String>,
    /// Pair values across conditions by case, image and tag only (e.g. radx's `nonzero`
    /// ROI and PyRadiomics' `label_1`).
    #[arg(long)]
    ignore_roi: bool,
    /// Also assess the processing chain's diagnostic values (image and ROI dimensions,
    /// voxel counts), which are left out by default: they describe the chain, not the ROI.
    #[arg(long)]
    include_diagnostics: bool,
    /// Sites per case (CSV case,site) for distribution-shift tests and ComBat on the
    /// reference condition's table; by default the cohort's `site` column when it has one.
    #[arg(long)]
    sites: Option<PathBuf>,
    /// Output folder: conditions/, stability*.json|csv, sites/, report.html.
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PerturbKind {
    Noise,
    Rotation,
    Translation,
    Volume,
    Contour,
}

impl StabilityArgs {
    fn space(&self) -> Result<PerturbationSpace> {
        let has = |k| self.perturb.contains(&k);
        let space = PerturbationSpace {
            noise: has(PerturbKind::Noise),
            rotation_degrees: has(PerturbKind::Rotation).then_some(self.rotation_degrees),
            translation: has(PerturbKind::Translation),
            volume_fraction: has(PerturbKind::Volume).then_some(self.volume_fraction),
            contour: has(PerturbKind::Contour).then_some(ContourSettings {
                sd_mm: self.contour_sd_mm,
                correlation_mm: self.contour_correlation_mm,
            }),
        };
        space.validate().context("perturbation settings")?;
        Ok(space)
    }
}

/// A range `lo,hi` of two finite numbers with `lo <= hi`.
fn parse_range(s: &str) -> Result<[f64; 2], String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [lo, hi] = parts[..] else {
        return Err(format!("`{s}`: expected lo,hi"));
    };
    let num = |t: &str| {
        t.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("`{t}` is not a finite number"))
    };
    let (lo, hi) = (num(lo)?, num(hi)?);
    if lo > hi {
        return Err(format!("`{s}`: lo must not exceed hi"));
    }
    Ok([lo, hi])
}

/// `NAME=PATH`.
fn named_path(s: &str) -> Result<(String, PathBuf)> {
    match s.split_once('=') {
        Some((n, p)) if !n.is_empty() && !p.is_empty() => Ok((n.to_string(), p.into())),
        _ => bail!("`{s}`: expected NAME=PATH"),
    }
}

pub(crate) fn stability(a: StabilityArgs, build: &radx_core::BuildInfo) -> Result<ExitCode> {
    let base = a.settings.load()?;
    crate::set_threads(a.threads, &base.limits)?;
    let mut tables: Vec<ConditionTable> = Vec::new();
    let mut run_failed = 0usize;
    let mut cohort_sites = std::collections::BTreeMap::new();
    let mut agreement = Vec::new();
    let mut agreement_file = None;
    if let Some(cohort) = &a.cohort {
        if !a.tables.is_empty() || !a.pyradiomics.is_empty() {
            bail!("give either --cohort (radx extracts every condition) or --table/--pyradiomics");
        }
        let observer_cohort = if a.observers {
            if !a.vary.is_empty() || !a.perturb.is_empty() {
                bail!("--observers is a study of its own: run --vary and --perturb separately");
            }
            let named = a
                .masks
                .iter()
                .map(|m| named_path(m).map(|(n, c)| (n, c.display().to_string())))
                .collect::<Result<Vec<_>>>()?;
            let oc = radx_batch::observers::read_observer_cohort(cohort, &named)?;
            if let Some(r) = &a.reference_observer {
                if !oc.observers.iter().any(|o| &o.name == r) {
                    bail!(
                        "--reference-observer `{r}`: the observers are {}",
                        oc.observers
                            .iter()
                            .map(|o| format!("`{}` (column {})", o.name, o.column))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
            Some(oc)
        } else {
            None
        };
        let conditions: Vec<Condition> = match (a.vary.is_empty(), a.perturb.is_empty()) {
            _ if observer_cohort.is_some() => radx_stability::observer_conditions(
                &base,
                observer_cohort.as_ref().expect("checked"),
            ),
            (false, false) => {
                bail!("--vary and --perturb are separate studies: run them one at a time")
            }
            (true, true) => {
                bail!("nothing varies: give --vary KEY=VALUES (a settings grid) or --perturb KINDS")
            }
            (false, true) => {
                let axes = a
                    .vary
                    .iter()
                    .map(|v| v.parse::<Axis>())
                    .collect::<Result<Vec<_>, _>>()?;
                if a.one_at_a_time {
                    radx_stability::attribution::one_at_a_time_conditions(&base, &axes)?
                } else {
                    grid_conditions(&base, &axes)?
                }
            }
            (true, false) => {
                if a.perturbations == 0 {
                    bail!("--perturbations must be at least 1");
                }
                base.limits.check(
                    radx_core::Limit::Conditions,
                    &format!(
                        "--perturbations {} (the original and each perturbation)",
                        a.perturbations
                    ),
                    a.perturbations as u128 + 1,
                )?;
                perturbation_conditions(&base, &a.space()?, a.perturbations, a.seed, true)
            }
        };
        let registry = radx_pipeline::registry_for(&base)?;
        radx_pipeline::check_families(&base, &registry)?;
        if !base.roi.is_empty() || conditions.iter().any(|c| !c.settings.roi.is_empty()) {
            bail!("the settings derive regions ([[roi.derived]]): radx stability assesses the case's ROI only; remove [roi] from its manifest");
        }
        let cases = match &observer_cohort {
            Some(oc) => oc.cases.iter().map(|c| c.case.clone()).collect(),
            None => radx_batch::read_cohort(cohort)?,
        };
        if let Some(c) = cases
            .iter()
            .enumerate()
            .find(|(i, c)| cases[..*i].iter().any(|o| o.case_id == c.case_id))
            .map(|(_, c)| c)
        {
            bail!(
                "{}: case `{}` has several rows (several ROIs); radx stability takes one row per case: give each ROI its own case id",
                cohort.display(),
                c.case_id
            );
        }
        for c in &cases {
            if let Some(s) = &c.site {
                cohort_sites.insert(c.case_id.clone(), s.clone());
            }
        }
        eprintln!(
            "radx: {} cases x {} conditions",
            cases.len(),
            conditions.len()
        );
        let done = std::sync::atomic::AtomicUsize::new(0);
        let total = cases.len();
        let progress = |c: &radx_batch::CohortCase| {
            let k = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            eprintln!("[{k}/{total}] {}", c.case_id);
        };
        let ctx = radx_stability::RunContext {
            registry: &registry,
            build,
        };
        let summary = match &observer_cohort {
            Some(oc) => radx_stability::run_observers(oc, &conditions, &ctx, &a.out, &progress)?,
            None => radx_stability::run(&cases, &conditions, &ctx, &a.out, &progress)?,
        };
        if observer_cohort.is_some() {
            let path = a.out.join("segmentation-agreement.csv");
            radx_batch::write_atomic(
                &path,
                &radx_stability::agreement::agreement_csv(&summary.agreement),
            )
            .with_context(|| path.display().to_string())?;
            print_agreement(&summary.agreement);
            agreement_file = Some(path);
        }
        agreement = summary.agreement.clone();
        for f in &summary.failed {
            eprintln!(
                "radx: {} under `{}` failed at {}: {}",
                f.case, f.condition, f.stage, f.message
            );
        }
        run_failed = summary.failed.len();
        let recomputed: Vec<String> = summary
            .reasons
            .iter()
            .filter(|(r, _)| **r != radx_stability::Recompute::New)
            .map(|(r, n)| format!("{n} {}", r.phrase()))
            .collect();
        eprintln!(
            "radx: {} case x condition results computed{}, {} kept from an earlier run, {} failed{}",
            summary.done,
            if recomputed.is_empty() {
                String::new()
            } else {
                format!(" (recomputed: {})", recomputed.join(", "))
            },
            summary.skipped,
            run_failed,
            if run_failed > 0 {
                format!(
                    " (error records in {}/conditions/*/errors/)",
                    a.out.display()
                )
            } else {
                String::new()
            }
        );
        for (c, path) in conditions.iter().zip(&summary.tables) {
            tables.push(ConditionTable::read(c.name.clone(), path)?);
        }
    } else {
        let named = |v: &[String]| v.iter().map(|t| named_path(t)).collect::<Result<Vec<_>>>();
        let (imported, notes) = import_tables(&named(&a.tables)?, &named(&a.pyradiomics)?)?;
        for n in notes {
            eprintln!(
                "radx: {}: {} cases, {} feature columns mapped, {} without an IBSI equivalent",
                n.path.display(),
                n.cases,
                n.mapped_columns,
                n.unmapped_columns
            );
        }
        tables = imported;
        if tables.len() < 2 {
            bail!("give --cohort with --vary or --perturb, or at least two --table/--pyradiomics");
        }
    }

    let options = StudyOptions {
        stability: StabilityOptions {
            reference: a.reference_observer.clone().or_else(|| a.reference.clone()),
            ignore_roi: a.ignore_roi,
            ..Default::default()
        },
        include_diagnostics: a.include_diagnostics,
        sites_file: a.sites.clone(),
    };
    let mut attribution_files = Vec::new();
    if a.one_at_a_time {
        let att = radx_stability::attribution::attribute(&tables)?;
        for (name, text) in [
            ("attribution.csv", att.effects_csv()),
            ("attribution-ranking.csv", att.ranking_csv()),
        ] {
            let path = a.out.join(name);
            std::fs::write(&path, text).with_context(|| path.display().to_string())?;
            attribution_files.push(path);
        }
        eprintln!("radx: conventions ranked by effect against `{}`:", att.base);
        for (i, r) in att.ranking.iter().enumerate() {
            eprintln!(
                "  {}. {}: {} of {} features moved > 1% (median change {:.3}%, max {:.3}%)",
                i + 1,
                r.condition,
                r.features_moved,
                r.features,
                100.0 * r.median_change_of_moved,
                100.0 * r.max_change
            );
        }
    }
    let StudyOutcome {
        report,
        mut written,
        sites: sites_result,
    } = analyse(tables, cohort_sites, &options, &a.out)?;
    let html = radx_report::stability_page(
        &report,
        sites_result.as_ref().map(|r| &r.report),
        (!agreement.is_empty() || agreement_file.is_some()).then_some(agreement.as_slice()),
    );
    let page = a.out.join("report.html");
    std::fs::write(&page, html).with_context(|| page.display().to_string())?;
    written.extend(attribution_files);
    written.extend(agreement_file);
    print_summary(&report, &written, &page);
    // 0: every case under every condition gave a table; 1: some failed (each has an
    // error record); 2 (from the caller): the run could not start.
    Ok(if run_failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_summary(
    report: &radx_stability::assess::StabilityReport,
    written: &[PathBuf],
    page: &Path,
) {
    let counts: Vec<String> = report
        .class_counts
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    eprintln!(
        "radx: {} features over {} conditions (reference `{}`): {}",
        report.features.len(),
        report.conditions.len(),
        report.reference,
        counts.join(", ")
    );
    for p in written {
        eprintln!("  {}", p.display());
    }
    eprintln!("  {}", page.display());
}

/// Per pair of observers: the cases compared and the median Dice and HD95.
fn print_agreement(rows: &[radx_stability::agreement::PairAgreement]) {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for r in rows {
        let p = (r.observer_a.clone(), r.observer_b.clone());
        if !pairs.contains(&p) {
            pairs.push(p);
        }
    }
    for (a, b) in pairs {
        let of = |f: fn(&radx_stability::agreement::SegmentationAgreement) -> Option<f64>| {
            let mut v: Vec<f64> = rows
                .iter()
                .filter(|r| r.observer_a == a && r.observer_b == b)
                .filter_map(|r| r.agreement.as_ref().and_then(f))
                .collect();
            let n = v.len();
            (n, radx_stability::agreement::quantile(&mut v, 0.5))
        };
        let (n, dice) = of(|m| m.dice);
        let (_, hd95) = of(|m| m.hausdorff95_mm);
        let total = rows
            .iter()
            .filter(|r| r.observer_a == a && r.observer_b == b)
            .count();
        let f = |v: Option<f64>| v.map_or("undefined".to_string(), |x| format!("{x:.3}"));
        eprintln!(
            "radx: observers {a} vs {b}: {n} of {total} cases compared, median Dice {}, median HD95 {} mm",
            f(dice),
            f(hd95)
        );
    }
}
