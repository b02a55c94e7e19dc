//! The `radx` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use radx_core::Settings;
use radx_io::MaskSelector;
use radx_pipeline::{builtin_registry, CaseLabels};

mod filter;
mod stability;

#[derive(Parser)]
#[command(
    name = "radx",
    version,
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
    /// Merge batch output folders (e.g. shards) into one table.
    Merge {
        /// Batch output folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The merged long table (.csv).
        #[arg(long, short = 'o')]
        out: PathBuf,
    },
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
    /// Raise (or lower) a resource limit, e.g. `--limit max_grey_levels=100000`; wins over
    /// the manifest's `[limits]`. Repeat for several. Keys: max_image_voxels,
    /// max_grid_voxels, max_grey_levels, max_histogram_bins, max_matrix_cells,
    /// max_conditions, max_threads, min_spacing_mm (see the README's `[limits]`).
    #[arg(long = "limit", value_name = "KEY=VALUE")]
    limits: Vec<String>,
}

impl SettingsSource {
    fn load(&self) -> Result<Settings> {
        self.load_or_preset("")
    }

    /// The settings, or the preset `default` ("": the defaults) when neither a manifest
    /// nor a preset is given; `--limit` applied either way.
    fn load_or_preset(&self, default: &str) -> Result<Settings> {
        Ok(match (&self.settings, &self.preset) {
            (Some(p), _) => Settings::from_file_with_limits(p, &self.limits)?,
            (None, Some(n)) => Settings::preset_with_limits(n, &self.limits)?,
            (None, None) if !default.is_empty() => {
                Settings::preset_with_limits(default, &self.limits)?
            }
            (None, None) => {
                Settings::from_toml_str_with_limits("radx_settings = 1\n", "--limit", &self.limits)?
            }
        })
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
    /// Validate a manifest (including its sizes against the resource limits); exit status
    /// 0 when valid.
    Check {
        /// Settings manifest (TOML).
        file: PathBuf,
        /// Raise (or lower) a resource limit, `KEY=VALUE` (as for extract).
        #[arg(long = "limit", value_name = "KEY=VALUE")]
        limits: Vec<String>,
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

/// Runs the command line; errors are printed with their context chain.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("radx: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Extract(a) => extract(a),
        Command::Settings(SettingsCommand::Show(src)) => {
            let s = src.load()?;
            println!("# settings id: {}", s.id());
            print!("{}", s.canonical());
            let limits = s.limits.non_default_toml();
            if !limits.is_empty() {
                print!(
                    "\n# resource limits: not part of the canonical form or the settings id\n\
                     [limits]\n{limits}"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Settings(SettingsCommand::Check { file, limits }) => {
            let s = Settings::from_file_with_limits(&file, &limits)?;
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
        Command::Batch(a) => batch(a),
        Command::Filter(a) => filter::filter(a),
        Command::Compare(a) => compare(a),
        Command::Stability(a) => stability::stability(a),
        Command::Merge { dirs, out } => {
            let n = radx_batch::merge(&dirs, &out)?;
            eprintln!("radx: merged {n} cases into {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
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

/// Sets up the global thread pool with `threads` workers (default: one per core), after
/// checking the count against `limits.max_threads` (a pool of 100000 threads took 84 s to
/// fail).
fn set_threads(threads: Option<usize>, limits: &radx_core::Limits) -> Result<()> {
    if let Some(n) = threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        limits.check(
            radx_core::Limit::Threads,
            &format!("--threads {n}"),
            n as u128,
        )?;
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("setting up the thread pool")?;
    }
    Ok(())
}

/// `radx batch`: exit status 0 when every case succeeded, else the number of failed
/// cases (at most 250); 2 when the batch could not start.
fn batch(a: BatchArgs) -> Result<ExitCode> {
    use std::io::IsTerminal;
    let settings = a.settings.load()?;
    set_threads(a.threads, &settings.limits)?;
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
            radx_batch::CaseOutcome::Done => "done".to_string(),
            radx_batch::CaseOutcome::Skipped => "skipped (result exists)".to_string(),
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
    let summary = radx_batch::run_batch(&cases, &settings, &registry, &a.out, &progress)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    eprintln!(
        "radx: {} done, {} skipped, {} failed; table {}",
        summary.done,
        summary.skipped,
        summary.failed.len(),
        a.out.join("features.csv").display()
    );
    Ok(match summary.failed.len() {
        0 => ExitCode::SUCCESS,
        n => ExitCode::from(n.min(250) as u8),
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

fn extract(a: ExtractArgs) -> Result<ExitCode> {
    let settings = if a.phantom {
        a.settings.load_or_preset("ibsi-digital-phantom")?
    } else {
        a.settings.load()?
    };
    set_threads(a.threads, &settings.limits)?;
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
        let prov = radx_pipeline::provenance(&settings, &registry, Vec::new());
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
        radx_pipeline::extract_inputs(image, mask, &options, &settings, &registry, &labels)?
    };
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
