//! The `radx` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use radx_core::{BuildInfo, Request, Settings};
use radx_io::MaskSelector;
use radx_pipeline::{builtin_registry, CaseLabels};

mod filter;
mod methods;
mod reproduce;
mod stability;

#[derive(Parser)]
#[command(
    name = "radx",
    about = "Standardised, reproducible radiomics: IBSI features with provenance"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract features from an image and a mask (or the built-in IBSI digital phantom).
    Extract(ExtractArgs),
    /// Show, check or list settings manifests.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// List feature families and features.
    #[command(subcommand)]
    Features(FeaturesCommand),
    /// Validate radx against reference values.
    #[command(subcommand)]
    Validate(ValidateCommand),
    /// Write the response maps of the settings' convolutional filters (IBSI 2) for a
    /// whole image, as float32 NIfTI.
    Filter(filter::FilterArgs),
    /// Run-time plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Extract a whole cohort: parallel, resumable, shardable.
    Batch(BatchArgs),
    /// Agreement of two feature tables of the same cases, per feature.
    Compare(CompareArgs),
    /// Stability of every feature across conditions (a settings grid, seeded
    /// perturbations, other platforms): ICC, CCC, CV, classes, sites, HTML report.
    Stability(stability::StabilityArgs),
    /// Merge batch output folders (e.g. shards) into one table. Refuses folders made with
    /// different settings and tables that do not match their provenance record.
    Merge {
        /// Batch output folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The merged long table (.csv).
        #[arg(long, short = 'o')]
        out: PathBuf,
    },
    /// Re-run a provenance record (or every case of a batch folder) and say whether it
    /// still holds: bit-identical (exit 0), same values within tolerance, or different.
    Reproduce(reproduce::ReproduceArgs),
    /// The methods section of a paper: the IBSI reporting items and a short paragraph,
    /// from a settings manifest, a preset or a provenance record.
    Methods(methods::MethodsArgs),
}

#[derive(Args)]
struct CompareArgs {
    /// First table (a radx long CSV, or see --a-format).
    a: PathBuf,
    /// Second table (a radx long CSV, or see --b-format).
    b: PathBuf,
    /// Fail (exit 1) when a feature's largest relative difference exceeds this.
    #[arg(long)]
    max_rel_diff: Option<f64>,
    /// Fail (exit 1) when a feature's concordance correlation coefficient is below this.
    #[arg(long)]
    min_ccc: Option<f64>,
    /// IBSI reference table (`value;tolerance;tag`) whose tolerances apply per tag.
    #[arg(long)]
    tolerances: Option<PathBuf>,
    /// Pair values by case, image and tag only (e.g. the same ROI named differently by
    /// two readers).
    #[arg(long)]
    ignore_roi: bool,
    /// Output: text (default) or json.
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
    /// What the first table is: a radx long table (default) or PyRadiomics' batch CSV,
    /// mapped to IBSI tags (reference-data/pyradiomics-mapping.toml).
    #[arg(long, value_enum, default_value = "radx")]
    a_format: TableFormat,
    /// What the second table is.
    #[arg(long, value_enum, default_value = "radx")]
    b_format: TableFormat,
    /// PyRadiomics tables: the column holding the case id (default: from the Image path).
    #[arg(long)]
    id_column: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TableFormat {
    Radx,
    Pyradiomics,
}

/// Reads a feature table in radx's long format, or PyRadiomics' batch CSV mapped to IBSI
/// tags.
fn read_table(
    path: &Path,
    format: TableFormat,
    id_column: Option<&str>,
) -> Result<Vec<radx_check::compare::LongValue>> {
    Ok(match format {
        TableFormat::Radx => radx_check::compare::read_long_table(path)?,
        TableFormat::Pyradiomics => {
            let mapping = radx_check::pyradiomics::Mapping::builtin()?;
            let options = radx_check::pyradiomics::ImportOptions {
                id_column: id_column.map(str::to_string),
                ..Default::default()
            };
            let imported = radx_check::pyradiomics::import_pyradiomics(path, &mapping, &options)?;
            eprintln!(
                "radx: {}: {} PyRadiomics feature columns mapped to IBSI tags, {} without an equivalent",
                path.display(),
                imported.mapped_columns,
                imported.unmapped.len()
            );
            imported.values
        }
    })
}

#[derive(Args)]
struct BatchArgs {
    /// Cohort CSV: case_id,image,mask[,label][,roi][,site]; relative paths resolve against
    /// the CSV's folder.
    #[arg(long)]
    cohort: PathBuf,
    #[command(flatten)]
    settings: SettingsSource,
    /// Output folder (cases/, errors/, features.csv).
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Take only shard i of n (1-based), e.g. 2/8: cases whose position modulo n is i - 1.
    #[arg(long)]
    shard: Option<String>,
    /// Re-make an output folder that was made with other settings or for other cases:
    /// results of cases not in this run are deleted; the others are kept only if they
    /// are exactly this run's (the resume rule), else recomputed.
    #[arg(long)]
    overwrite: bool,
    /// Test hook: make the case with this id panic while it is processed.
    #[arg(long, hide = true)]
    debug_panic_case: Option<String>,
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Print a plugin library's descriptor and the sha256 to pin in a manifest.
    Inspect {
        /// The shared library (.so / .dylib / .dll).
        lib: PathBuf,
    },
}

#[derive(Args)]
struct SettingsSource {
    /// Settings manifest (TOML).
    #[arg(long, short = 's', conflicts_with = "preset")]
    settings: Option<PathBuf>,
    /// A shipped preset (see `radx settings presets`).
    #[arg(long)]
    preset: Option<String>,
}

impl SettingsSource {
    fn load(&self) -> Result<Settings> {
        Ok(match (&self.settings, &self.preset) {
            (Some(p), _) => Settings::from_file(p)?,
            (None, Some(n)) => Settings::preset(n)?,
            (None, None) => Settings::default(),
        })
    }

    /// The provenance record of the manifest file, when the settings came from one.
    fn input_record(&self) -> Result<Option<radx_core::provenance::InputRecord>> {
        self.settings
            .as_deref()
            .map(|p| radx_pipeline::input_record("settings", p, "TOML", &[p.to_path_buf()]))
            .transpose()
            .map_err(Into::into)
    }
}

#[derive(Args)]
struct ExtractArgs {
    /// Image: a NIfTI (.nii, .nii.gz) or NRRD (.nrrd, .nhdr) file, or a DICOM series
    /// folder.
    #[arg(long, short = 'i', required_unless_present = "phantom")]
    image: Option<PathBuf>,
    /// Mask: a NIfTI or NRRD label map on the image's grid, a DICOM RTSTRUCT or SEG file.
    #[arg(long, short = 'm', required_unless_present = "phantom")]
    mask: Option<PathBuf>,
    /// RTSTRUCT / SEG: the ROI or segment, by name or number (label maps: use --label).
    #[arg(long, conflicts_with = "label")]
    roi: Option<String>,
    /// DICOM PET: convert to SUV (body weight, decay-corrected) from the DICOM tags.
    #[arg(long)]
    suv: bool,
    /// DICOM: the SeriesInstanceUID to read when the folder holds several series.
    #[arg(long)]
    series_uid: Option<String>,
    /// Use the built-in IBSI digital phantom (no files needed; default preset
    /// `ibsi-digital-phantom`).
    #[arg(long, conflicts_with_all = ["image", "mask"])]
    phantom: bool,
    /// Mask label that forms the ROI (default: every non-zero voxel).
    #[arg(long)]
    label: Option<i64>,
    #[command(flatten)]
    settings: SettingsSource,
    /// Output file: .csv (long table) or .json; a provenance sidecar
    /// `<out>.provenance.json` is written beside it. Without it, CSV goes to stdout.
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
    /// Case identifier written in every row (default: the image file name).
    #[arg(long)]
    case: Option<String>,
    /// Worker threads (default: all cores). Results are identical for any count.
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Subcommand)]
enum SettingsCommand {
    /// Print the canonical form of a manifest and its settings id (sha256).
    Show(SettingsSource),
    /// Validate a manifest; exit status 0 when valid.
    Check {
        /// Settings manifest (TOML).
        file: PathBuf,
    },
    /// List the shipped presets.
    Presets,
}

#[derive(Subcommand)]
enum FeaturesCommand {
    /// Every feature: family, name, IBSI identifier, unit.
    List(SettingsSource),
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum ValidateCommand {
    /// Compare with the IBSI reference values ($RADX_REFERENCE_DATA, default ../shared/ibsi).
    Ibsi {
        /// Set(s): digital-phantom, config-a ... config-e (IBSI 1); filters-maps,
        /// filters-features, or ibsi2 for both (IBSI 2); all.
        #[arg(long = "set", required = true)]
        sets: Vec<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
    },
}

/// The command line with this build's identity as its version (`radx -V`: one line;
/// `radx --version`: every field).
fn command(build: &BuildInfo) -> clap::Command {
    let summary = build.identity.summary();
    let short = summary
        .strip_prefix("radx ")
        .unwrap_or(&summary)
        .to_string();
    Cli::command()
        .version(&*Box::leak(short.into_boxed_str()))
        .long_version(&*Box::leak(
            // clap prints the command name before it
            build
                .identity
                .version_text()
                .trim_start_matches("radx ")
                .to_string()
                .into_boxed_str(),
        ))
}

/// Runs the command line of the build `build` (the `radx` binary passes
/// `radx_build::info()`: the identity that goes into every provenance record and
/// `radx --version`); errors are printed with their context chain.
pub fn main(build: BuildInfo) -> ExitCode {
    let matches = command(&build).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    match run(cli, &build) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("radx: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli, build: &BuildInfo) -> Result<ExitCode> {
    match cli.command {
        Command::Extract(a) => extract(a, build),
        Command::Settings(SettingsCommand::Show(src)) => {
            let s = src.load()?;
            println!("# settings id: {}", s.id());
            print!("{}", s.canonical());
            Ok(ExitCode::SUCCESS)
        }
        Command::Settings(SettingsCommand::Check { file }) => {
            let s = Settings::from_file(&file)?;
            let (registry, refused) = radx_pipeline::registry_for(&s);
            if let Some(e) = refused.first() {
                bail!("{}: {e}", file.display());
            }
            radx_pipeline::check_families(&s, &registry)
                .with_context(|| file.display().to_string())?;
            println!("{}: valid (settings id {})", file.display(), s.id());
            Ok(ExitCode::SUCCESS)
        }
        Command::Settings(SettingsCommand::Presets) => {
            for (name, _) in radx_core::settings::PRESETS {
                let s = Settings::preset(name)?;
                println!("{name}\t{}", s.id());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Batch(a) => batch(a, build),
        Command::Filter(a) => filter::filter(a),
        Command::Compare(a) => compare(a),
        Command::Stability(a) => stability::stability(a, build),
        Command::Merge { dirs, out } => {
            let n = radx_batch::merge(&dirs, &out)?;
            eprintln!("radx: merged {n} cases into {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Reproduce(a) => reproduce::reproduce(a, build),
        Command::Methods(a) => methods::methods(a, &build.identity),
        Command::Plugin(PluginCommand::Inspect { lib }) => {
            let i = radx_plugin_host::inspect(&lib)?;
            println!("name      {}", i.info.family);
            println!("prefix    {}", i.info.prefix);
            println!("version   {}", i.info.version);
            println!("abi       {}", i.abi_version);
            println!("sha256    {}", i.sha256);
            println!("features");
            for f in &i.info.features {
                println!("  {}_{}\t{}\t{}", i.info.prefix, f.name, f.ibsi_id, f.unit);
            }
            println!();
            println!("# to load it, add to a settings manifest:");
            println!("[[plugins]]");
            println!("name = \"{}\"", i.info.family);
            println!("path = \"{}\"", lib.display());
            println!("sha256 = \"{}\"", i.sha256);
            Ok(ExitCode::SUCCESS)
        }
        Command::Features(FeaturesCommand::List(src)) => {
            let s = src.load()?;
            let (registry, refused) = radx_pipeline::registry_for(&s);
            if let Some(e) = refused.first() {
                bail!("{e}");
            }
            println!("family\tname\tibsi_id\tunit\taggregations");
            for p in registry.selected(&s) {
                let info = p.info();
                for f in &info.features {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        info.family,
                        f.name,
                        f.ibsi_id,
                        f.unit,
                        info.aggregations.join(",")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate(ValidateCommand::Ibsi { sets, format }) => {
            let data = radx_check::ReferenceData::from_env();
            let report = radx_check::validate(&sets, &data, &builtin_registry())?;
            match format {
                ReportFormat::Text => print!("{}", radx_check::ibsi::report_text(&report)),
                ReportFormat::Json => {
                    println!("{}", serde_json::to_string_pretty(&report)?)
                }
            }
            Ok(if report.all_matched() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn set_threads(threads: Option<usize>) -> Result<()> {
    if let Some(n) = threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("setting up the thread pool")?;
    }
    Ok(())
}

/// `radx batch`: exit status 0 when every case succeeded, 1 when some failed (each has
/// an error record), 2 when the batch could not start (bad cohort or settings, a refused
/// output folder).
fn batch(a: BatchArgs, build: &BuildInfo) -> Result<ExitCode> {
    use std::io::IsTerminal;
    set_threads(a.threads)?;
    let settings = a.settings.load()?;
    let (registry, refused) = radx_pipeline::registry_for(&settings);
    for e in &refused {
        eprintln!("radx: warning: {e}; its features are reported missing, the other families run");
    }
    radx_pipeline::check_families(&settings, &registry)?;
    let mut cases = radx_batch::read_cohort(&a.cohort)?;
    if let Some(s) = &a.shard {
        let shard: radx_batch::Shard = s.parse()?;
        cases = shard.select(cases);
    }
    let cohort_record =
        radx_pipeline::input_record("cohort", &a.cohort, "CSV", std::slice::from_ref(&a.cohort))?;
    let mut extra_inputs = vec![cohort_record.clone()];
    extra_inputs.extend(a.settings.input_record()?);
    let manifest = radx_batch::BatchManifest {
        radx_batch: 1,
        settings_id: settings.id(),
        build: build.identity.clone(),
        cohort: Some(cohort_record),
        shard: a.shard.clone(),
        cases: radx_batch::case_ids(&cases),
    };
    let notes = radx_batch::prepare_folder(&a.out, &manifest, a.overwrite)?;
    if notes.removed > 0 {
        eprintln!(
            "radx: --overwrite: removed {} files of cases not in this run",
            notes.removed
        );
    }
    if notes.stale_tmp > 0 {
        eprintln!(
            "radx: removed {} temporary files of an interrupted run",
            notes.stale_tmp
        );
    }
    let ctx = radx_batch::BatchContext {
        settings: &settings,
        registry: &registry,
        build,
        extra_inputs,
        panic_case: a.debug_panic_case.clone(),
    };
    let total = cases.len() as u64;
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} cases, {elapsed} elapsed, eta {eta} {msg}",
            )
            .expect("valid template"),
        );
        Some(b)
    } else {
        None
    };
    let done = std::sync::atomic::AtomicU64::new(0);
    let progress = |c: &radx_batch::CohortCase, o: &radx_batch::CaseOutcome| {
        let k = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let what = match o {
            radx_batch::CaseOutcome::Done(radx_batch::Recompute::New) => "done".to_string(),
            radx_batch::CaseOutcome::Done(why) => format!("recomputed ({})", why.phrase()),
            radx_batch::CaseOutcome::Skipped => "kept (an identical result exists)".to_string(),
            radx_batch::CaseOutcome::Failed(e) => format!("FAILED at {}: {}", e.stage, e.message),
        };
        match &bar {
            Some(b) => {
                b.inc(1);
                if let radx_batch::CaseOutcome::Failed(_) = o {
                    b.println(format!("{}: {what}", c.case_id));
                }
            }
            None => eprintln!("[{k}/{total}] {}: {what}", c.case_id),
        }
    };
    let summary = radx_batch::run_batch(&cases, &ctx, &a.out, &progress)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let recomputed = summary.recomputed_text();
    eprintln!(
        "radx: {} cases: {} computed{}, {} kept from an earlier run, {} failed; table {}",
        cases.len(),
        summary.done,
        if recomputed.is_empty() {
            String::new()
        } else {
            format!(" ({recomputed})")
        },
        summary.skipped,
        summary.failed.len(),
        a.out.join("features.csv").display()
    );
    if !summary.failed.is_empty() {
        let names: Vec<&str> = summary.failed.iter().map(|e| e.case.as_str()).collect();
        let internal = summary.failed.iter().filter(|e| e.internal).count();
        eprintln!(
            "radx: {} failed cases, error records in {}: {}{}",
            summary.failed.len(),
            a.out.join("errors").display(),
            names.join(", "),
            if internal > 0 {
                format!(" ({internal} internal errors: please report them)")
            } else {
                String::new()
            }
        );
    }
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `radx compare`: exit 0 when every feature meets the thresholds, 1 otherwise.
fn compare(a: CompareArgs) -> Result<ExitCode> {
    use radx_check::compare::compare_tables;
    let mut ta = read_table(&a.a, a.a_format, a.id_column.as_deref())?;
    let mut tb = read_table(&a.b, a.b_format, a.id_column.as_deref())?;
    if a.ignore_roi {
        ta.iter_mut()
            .chain(tb.iter_mut())
            .for_each(|v| v.roi.clear());
    }
    let tolerances = match &a.tolerances {
        Some(p) => radx_check::reference::read_ibsi1_table(p)?
            .into_iter()
            .map(|r| (r.tag, r.tolerance))
            .collect(),
        None => Default::default(),
    };
    let rows = compare_tables(&ta, &tb, &tolerances);
    if rows.is_empty() {
        bail!(
            "{} and {} share no feature value (same case, roi, image and tag)",
            a.a.display(),
            a.b.display()
        );
    }
    let failing: Vec<&str> = rows
        .iter()
        .filter(|r| {
            a.max_rel_diff.is_some_and(|m| r.max_rel_diff > m)
                || a.min_ccc.is_some_and(|m| r.ccc.is_some_and(|c| c < m))
                || r.within_tolerance == Some(false)
        })
        .map(|r| r.tag.as_str())
        .collect();
    match a.format {
        ReportFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"features": rows, "failing": failing})
            )?
        ),
        ReportFormat::Text => {
            println!("tag\tn\tmax_abs_diff\tmax_rel_diff\tccc\tbias\tloa_low\tloa_high\twithin_tolerance");
            let opt = |v: Option<f64>| v.map_or("".to_string(), |x| format!("{x:.6e}"));
            for r in &rows {
                println!(
                    "{}\t{}\t{:.6e}\t{:.6e}\t{}\t{:.6e}\t{}\t{}\t{}",
                    r.tag,
                    r.n,
                    r.max_abs_diff,
                    r.max_rel_diff,
                    opt(r.ccc),
                    r.bias,
                    opt(r.loa_low),
                    opt(r.loa_high),
                    r.within_tolerance.map_or("".into(), |w| w.to_string())
                );
            }
            eprintln!(
                "radx: {} features compared, {} beyond the thresholds",
                rows.len(),
                failing.len()
            );
        }
    }
    Ok(if failing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn extract(a: ExtractArgs, build: &BuildInfo) -> Result<ExitCode> {
    set_threads(a.threads)?;
    let settings = if a.phantom && a.settings.settings.is_none() && a.settings.preset.is_none() {
        Settings::preset("ibsi-digital-phantom")?
    } else {
        a.settings.load()?
    };
    let (registry, refused) = radx_pipeline::registry_for(&settings);
    for e in &refused {
        eprintln!("radx: warning: {e}; its features are reported missing, the other families run");
    }
    let selector = a.label.map_or(MaskSelector::NonZero, MaskSelector::Label);
    let (table, provenance) = if a.phantom {
        radx_pipeline::check_families(&settings, &registry)?;
        let (image, mask) = radx_core::phantom::ibsi_digital_phantom();
        let labels = CaseLabels {
            case: a
                .case
                .clone()
                .unwrap_or_else(|| "ibsi-digital-phantom".into()),
            roi: "roi".into(),
            image: "original".into(),
        };
        let table = radx_pipeline::extract(image, mask, &settings, &registry, &labels)
            .context("built-in IBSI digital phantom")?;
        let mut prov = radx_pipeline::provenance(&settings, &registry, Vec::new());
        prov.request = Some(Request {
            case: labels.case.clone(),
            roi: labels.roi.clone(),
            phantom: true,
            ..Default::default()
        });
        (table, prov)
    } else {
        let image = a.image.as_deref().expect("clap requires --image");
        let mask = a.mask.as_deref().expect("clap requires --mask");
        let labels = CaseLabels {
            case: a.case.clone().unwrap_or_else(|| case_name(image)),
            roi: match (&a.roi, a.label) {
                (Some(r), _) => r.clone(),
                (None, Some(l)) => format!("label_{l}"),
                (None, None) => "nonzero".into(),
            },
            image: "original".into(),
        };
        let mut options = radx_pipeline::InputOptions::from(selector);
        if let Some(r) = &a.roi {
            options.roi = radx_pipeline::RoiSelector::parse(r);
        }
        options.series.suv = a.suv;
        options.series.series_uid = a.series_uid.clone();
        let (table, mut prov) =
            radx_pipeline::extract_inputs(image, mask, &options, &settings, &registry, &labels)?;
        prov.request = Some(Request {
            case: labels.case.clone(),
            roi: labels.roi.clone(),
            phantom: false,
            label: match &options.roi {
                radx_pipeline::RoiSelector::Label(l) => Some(*l),
                _ => None,
            },
            roi_name: match &options.roi {
                radx_pipeline::RoiSelector::Name(n) => Some(n.clone()),
                _ => None,
            },
            series_uid: a.series_uid.clone(),
            suv: a.suv,
        });
        (table, prov)
    };
    let mut provenance = provenance;
    provenance.inputs.extend(a.settings.input_record()?);
    radx_pipeline::stamp_build(&mut provenance, build);
    match &a.out {
        Some(out) => {
            let side = radx_io::write_outputs(out, &table, &provenance)?;
            let missing = table.rows.iter().filter(|r| r.value.is_none()).count();
            eprintln!(
                "radx: wrote {} values ({} missing) to {} and provenance to {}",
                table.rows.len(),
                missing,
                out.display(),
                side.display()
            );
        }
        None => print!("{}", radx_io::table_to_csv(&table)),
    }
    Ok(ExitCode::SUCCESS)
}

fn case_name(image: &Path) -> String {
    let name = image
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| image.display().to_string());
    name.trim_end_matches(".gz")
        .trim_end_matches(".nii")
        .to_string()
}
