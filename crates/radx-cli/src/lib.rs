//! The `radx` command line.
//!
//! Must not: hold a step of the analysis: it parses arguments, calls the library crates and
//! prints; numerics, tables and reports live in the crates below it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use radx_core::{BuildInfo, Request, Settings};
use radx_pipeline::{builtin_registry, CaseLabels, RegionAsk};

mod filter;
mod maps;
mod methods;
mod output;
mod reproduce;
mod stability;

use output::{eprintln, out, outln};

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
    /// Voxel-wise feature maps: every family but morphology in a cube or sphere around
    /// each ROI voxel, one float32 NIfTI per feature, with provenance.
    Maps(maps::MapsArgs),
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
        /// The merged table (.csv).
        #[arg(long, short = 'o')]
        out: PathBuf,
        /// `long` (one row per value, default) or `wide` (one row per (case, roi), one
        /// column per `<image>__<tag>`).
        #[arg(long, value_enum, default_value = "long")]
        format: TableShape,
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
    /// Fail (exit 1) when a feature's largest relative difference exceeds this (a finite
    /// number >= 0).
    #[arg(long, value_parser = parse_max_rel_diff, allow_hyphen_values = true)]
    max_rel_diff: Option<f64>,
    /// Fail (exit 1) when a feature's concordance correlation coefficient is below this
    /// (a number in [-1, 1]).
    #[arg(long, value_parser = parse_min_ccc, allow_hyphen_values = true)]
    min_ccc: Option<f64>,
    /// With a guard (--max-rel-diff, --min-ccc, --tolerances): do not fail because of
    /// features or cases present in one table only (they are still reported), e.g. when
    /// comparing with a tool that computes a subset of the features.
    #[arg(long)]
    allow_one_sided: bool,
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

/// `--max-rel-diff`: a finite number >= 0 (NaN would switch the guard off).
fn parse_max_rel_diff(s: &str) -> Result<f64, String> {
    radx_check::compare::check_max_rel_diff(s.trim().parse().unwrap_or(f64::NAN))
        .map_err(|why| format!("`{s}`: {why}"))
}

/// `--min-ccc`: a number in [-1, 1] (NaN would switch the guard off).
fn parse_min_ccc(s: &str) -> Result<f64, String> {
    radx_check::compare::check_min_ccc(s.trim().parse().unwrap_or(f64::NAN))
        .map_err(|why| format!("`{s}`: {why}"))
}

/// The shape of a written feature table.
#[derive(Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
enum TableShape {
    /// One row per value (case, roi, image, family, feature, ..., value).
    #[default]
    Long,
    /// One row per (case, roi), one column per `<image>__<tag>`.
    Wide,
}

/// `table` as CSV text in the shape asked for.
fn render_csv(table: &radx_core::FeatureTable, shape: TableShape) -> Result<String> {
    Ok(match shape {
        TableShape::Long => radx_io::table_to_csv(table),
        TableShape::Wide => radx_io::wide::WideTable::from_rows(&table.rows)?.to_csv(),
    })
}

/// Rewrites the long table at `path` as a wide one at `dest` (atomically).
fn write_wide_from_long(path: &Path, dest: &Path) -> Result<()> {
    let long = radx_io::read_long_table(path)?;
    let text = radx_io::wide::WideTable::from_rows(&long.rows)
        .with_context(|| path.display().to_string())?
        .to_csv();
    radx_batch::write_atomic(dest, &text).with_context(|| dest.display().to_string())?;
    Ok(())
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
    /// `auto`: the shard of this scheduler task, from a SLURM job array
    /// (SLURM_ARRAY_TASK_ID, _COUNT, _MIN, _STEP) or a Kubernetes indexed Job
    /// (JOB_COMPLETION_INDEX, with --shard-count or RADX_SHARD_COUNT); an error elsewhere.
    #[arg(long)]
    shard: Option<String>,
    /// With --shard auto in a Kubernetes indexed Job: the number of shards (the Job's
    /// completions); default $RADX_SHARD_COUNT. Under SLURM it must match the array.
    #[arg(long, requires = "shard")]
    shard_count: Option<usize>,
    /// Re-make an output folder that was made with other settings or for other cases:
    /// results of cases not in this run are deleted; the others are kept only if they
    /// are exactly this run's (the resume rule), else recomputed.
    #[arg(long)]
    overwrite: bool,
    /// Test hook: make the case with this id panic while it is processed.
    #[arg(long, hide = true)]
    debug_panic_case: Option<String>,
    /// `wide`: also write DIR/features_wide.csv, one row per (case, roi) and one column
    /// per `<image>__<tag>` (features.csv stays the long table).
    #[arg(long, value_enum, default_value = "long")]
    format: TableShape,
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Print a plugin library's descriptor and the sha256 to pin in a manifest. The file
    /// is read once and hashed; its code (constructors, descriptor) runs in a separate
    /// radx process, or, with --sha256, in this one once the hash matches.
    Inspect {
        /// The shared library (.so / .dylib / .dll).
        lib: PathBuf,
        /// Expected sha256 of the library: refuse it when it differs.
        #[arg(long)]
        sha256: Option<String>,
    },
    /// Internal: the child process of `radx plugin inspect`, reading the library's bytes
    /// from standard input.
    #[command(hide = true)]
    InspectChild {
        /// The library's path, for messages only.
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
    /// RTSTRUCT / SEG: the ROI or segment, by name (exact) or number (label maps: use
    /// --label). Repeat it for several ROIs: the image is read once and each ROI's rows
    /// carry its name.
    #[arg(long)]
    roi: Vec<String>,
    /// RTSTRUCT / SEG: every ROI / segment, each named from the file.
    #[arg(long, conflicts_with_all = ["roi", "label", "all_labels"])]
    all_rois: bool,
    /// Label map: every non-zero label, each named `label_N` or from --label-names.
    #[arg(long, conflicts_with_all = ["roi", "label"])]
    all_labels: bool,
    /// A CSV `label,name` naming the labels of a label map (with --all-labels or --label).
    #[arg(long, value_name = "CSV")]
    label_names: Option<PathBuf>,
    /// An extra mask (every non-zero voxel, on the image grid) that `[[roi.derived]]`
    /// entries use as `with_mask = "NAME"`, e.g. a brain or body mask; repeatable.
    #[arg(long, value_name = "NAME=PATH", value_parser = parse_extra_mask)]
    extra_mask: Vec<radx_pipeline::ExtraMaskAsk>,
    /// DICOM PET: convert to SUV (body weight, decay-corrected) from the DICOM tags.
    #[arg(long)]
    suv: bool,
    /// DICOM PET: the SUV normalisation, implies --suv: bw (body weight, default),
    /// lbm-james, lbm-janmahasatian (lean body mass) or bsa (body surface area, Du Bois).
    #[arg(long, value_parser = ["bw", "lbm-james", "lbm-janmahasatian", "bsa"])]
    suv_type: Option<String>,
    /// DICOM: the SeriesInstanceUID to read when the folder holds several series.
    #[arg(long)]
    series_uid: Option<String>,
    /// 4D NIfTI: the volume to read, 0-based (0 is the first). A 4D mask gives its volume
    /// of the same index; a 3D mask applies to any volume.
    #[arg(long, value_name = "N")]
    volume: Option<usize>,
    /// Use the built-in IBSI digital phantom (no files needed; default preset
    /// `ibsi-digital-phantom`).
    #[arg(long, conflicts_with_all = ["image", "mask"])]
    phantom: bool,
    /// Mask label that forms the ROI (default: every non-zero voxel); RTSTRUCT / SEG: the
    /// ROI / segment number. Repeat it for several ROIs.
    #[arg(long)]
    label: Vec<i64>,
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
    /// CSV shape: `long` (one row per value, default) or `wide` (one row per (case, roi),
    /// one column per `<image>__<tag>`, the shape scikit-learn takes).
    #[arg(long, value_enum, default_value = "long")]
    format: TableShape,
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
    /// Translate a PyRadiomics parameter file (YAML) into a radx manifest with PyRadiomics'
    /// conventions, and print the mapping table: each key, the radx setting it became, or
    /// why it has none. Unknown keys are errors.
    ImportPyradiomics {
        /// The PyRadiomics parameter file (`setting`, `imageType`, `featureClass`).
        params: PathBuf,
        /// Write the manifest here (the table goes to standard output); without it the
        /// manifest goes to standard output and the table to standard error.
        #[arg(long)]
        out: Option<PathBuf>,
    },
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
    /// Compare with the IBSI reference values shipped in reference-data/ibsi (or
    /// --reference-data DIR, or $RADX_REFERENCE_DATA); every file is checked against its sha256.
    Ibsi {
        /// Set(s): digital-phantom, config-a ... config-e (IBSI 1); filters-maps,
        /// filters-features, or ibsi2 for both (IBSI 2); all.
        #[arg(long = "set", required = true)]
        sets: Vec<String>,
        /// The folder of the IBSI data (default: $RADX_REFERENCE_DATA, else reference-data/ibsi
        /// of the radx checkout).
        #[arg(long = "reference-data", value_name = "DIR")]
        reference_data: Option<PathBuf>,
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

/// Runs the command line `args` (without the program name) in this process, as `radx
/// ARGS...` would, and returns its exit status, or its error unprinted (see
/// [`error_text`]). The Python package runs `batch` and `stability` through it, so they
/// are the CLI's own code. Help and usage errors are errors here too.
pub fn run_args<I, T>(args: I, build: &BuildInfo) -> Result<ExitCode>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let argv =
        std::iter::once(std::ffi::OsString::from("radx")).chain(args.into_iter().map(Into::into));
    let matches = command(build).try_get_matches_from(argv)?;
    run(Cli::from_arg_matches(&matches)?, build)
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
        // The reader of stdout has gone (`radx features list | head -1`): stop quietly.
        Err(e) if output::is_stdout_closed(&e) => ExitCode::from(output::BROKEN_PIPE_EXIT),
        Err(e) => {
            use std::io::Write;
            // Not eprintln!: it panics when stderr is a closed pipe as well.
            let _ = writeln!(std::io::stderr(), "radx: error: {}", error_text(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes joined with ": ", leaving out a cause whose text the message
/// already holds (library errors often repeat their source in their own message), so no
/// message is printed twice.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if part.is_empty() || text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

fn run(cli: Cli, build: &BuildInfo) -> Result<ExitCode> {
    match cli.command {
        Command::Extract(a) => extract(a, build),
        Command::Settings(SettingsCommand::Show(src)) => {
            let s = src.load()?;
            outln!("# settings id: {}", s.id());
            out!("{}", s.canonical());
            let limits = s.limits.non_default_toml();
            if !limits.is_empty() {
                out!(
                    "\n# resource limits: not part of the canonical form or the settings id\n\
                     [limits]\n{limits}"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Settings(SettingsCommand::Check { file, limits }) => {
            let s = Settings::from_file_with_limits(&file, &limits)?;
            let registry =
                radx_pipeline::registry_for(&s).with_context(|| file.display().to_string())?;
            radx_pipeline::check_families(&s, &registry)
                .with_context(|| file.display().to_string())?;
            outln!("{}: valid (settings id {})", file.display(), s.id());
            Ok(ExitCode::SUCCESS)
        }
        Command::Settings(SettingsCommand::ImportPyradiomics { params, out }) => {
            let name = params.display().to_string();
            let text = std::fs::read_to_string(&params)
                .with_context(|| format!("{name}: cannot read the parameter file"))?;
            let import = radx_check::pyradiomics_params::import_pyradiomics_params(&text, &name)?;
            let manifest = import.manifest(&name);
            match out {
                Some(path) => {
                    std::fs::write(&path, &manifest)
                        .with_context(|| format!("{}: cannot write", path.display()))?;
                    out!("{}", import.table_text());
                    outln!(
                        "# wrote {} (settings id {})",
                        path.display(),
                        import.settings.id()
                    );
                }
                None => {
                    eprint!("{}", import.table_text());
                    out!("{manifest}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Settings(SettingsCommand::Presets) => {
            for (name, _) in radx_core::settings::PRESETS {
                let s = Settings::preset(name)?;
                outln!("{name}\t{}", s.id());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Batch(a) => batch(a, build),
        Command::Filter(a) => filter::filter(a),
        Command::Maps(a) => maps::maps(a, build),
        Command::Compare(a) => compare(a),
        Command::Stability(a) => stability::stability(a, build),
        Command::Merge { dirs, out, format } => {
            let n = radx_batch::merge(&dirs, &out)?;
            if format == TableShape::Wide {
                write_wide_from_long(&out, &out)?;
            }
            eprintln!("radx: merged {n} cases into {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Reproduce(a) => reproduce::reproduce(a, build),
        Command::Methods(a) => methods::methods(a, &build.identity),
        Command::Plugin(PluginCommand::Inspect { lib, sha256 }) => {
            let i = match sha256 {
                // pinned: the bytes read are checked, then loaded in this process
                Some(h) => radx_plugin_host::inspect_pinned(&lib, &h)?,
                // not pinned: the library's code runs in a child process only
                None => {
                    let exe = std::env::current_exe()
                        .context("finding the radx executable to run the inspection in")?;
                    let abs = radx_plugin_host::absolute(&lib)?;
                    let mut child = std::process::Command::new(exe);
                    child.args(["plugin", "inspect-child"]).arg(&abs);
                    radx_plugin_host::inspect_isolated(&abs, child)?
                }
            };
            outln!("name      {}", i.info.family);
            outln!("prefix    {}", i.info.prefix);
            outln!("version   {}", i.info.version);
            outln!("abi       {}", i.abi_version);
            outln!("sha256    {}", i.sha256);
            outln!("features");
            for f in &i.info.features {
                outln!("  {}_{}\t{}\t{}", i.info.prefix, f.name, f.ibsi_id, f.unit);
            }
            outln!();
            outln!("# to load it, add to a settings manifest:");
            outln!("[[plugins]]");
            outln!("name = \"{}\"", i.info.family);
            outln!("path = \"{}\"", toml_escape(&i.path.display().to_string()));
            outln!("sha256 = \"{}\"", i.sha256);
            Ok(ExitCode::SUCCESS)
        }
        Command::Plugin(PluginCommand::InspectChild { lib }) => {
            let stdout = std::io::stdout();
            radx_plugin_host::serve_inspection(&lib, std::io::stdin().lock(), stdout.lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Features(FeaturesCommand::List(src)) => {
            let s = src.load()?;
            let registry = radx_pipeline::registry_for(&s)?;
            outln!("family\tname\tibsi_id\tunit\taggregations");
            for p in registry.selected(&s) {
                let info = p.info();
                for f in &info.features {
                    outln!(
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
        Command::Validate(ValidateCommand::Ibsi {
            sets,
            format,
            reference_data,
        }) => {
            let data = radx_check::ReferenceData::open(
                radx_check::reference::DataSet::Ibsi,
                reference_data.as_deref(),
            )?;
            let report = radx_check::validate(&sets, &data, &builtin_registry())?;
            match format {
                ReportFormat::Text => out!("{}", radx_check::ibsi::report_text(&report)),
                ReportFormat::Json => {
                    outln!("{}", serde_json::to_string_pretty(&report)?)
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

/// Applies the run's resource limits to the process: the readers' voxel limit
/// (`limits.max_image_voxels`), and the global thread pool with `threads` workers (default:
/// one per core), after checking the count against `limits.max_threads` (a pool of 100000
/// threads took 84 s to fail).
fn set_threads(threads: Option<usize>, limits: &radx_core::Limits) -> Result<()> {
    radx_io::guard::set_max_voxels(limits.max_image_voxels);
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

/// `radx batch`: exit status 0 when every case succeeded, 1 when some failed (each has
/// an error record), 2 when the batch could not start (bad cohort or settings, a refused
/// output folder).
fn batch(a: BatchArgs, build: &BuildInfo) -> Result<ExitCode> {
    use std::io::IsTerminal;
    let settings = a.settings.load()?;
    set_threads(a.threads, &settings.limits)?;
    let registry = radx_pipeline::registry_for(&settings)?;
    radx_pipeline::check_families(&settings, &registry)?;
    let mut cases = radx_batch::read_cohort(&a.cohort)?;
    let (shard, scheduler) = match a.shard.as_deref() {
        None => (None, None),
        Some("auto") => {
            let (shard, task) = radx_batch::shard_from_scheduler(
                &|name: &str| std::env::var(name).ok(),
                a.shard_count,
            )?;
            eprintln!(
                "radx: --shard auto: shard {shard} ({} task {}{})",
                task.scheduler,
                task.task_id,
                task.job_id
                    .as_deref()
                    .map(|j| format!(" of job {j}"))
                    .unwrap_or_default()
            );
            (Some(shard), Some(task))
        }
        Some(s) => {
            if a.shard_count.is_some() {
                bail!("--shard-count goes with --shard auto only (--shard {s} names its count)");
            }
            (Some(s.parse::<radx_batch::Shard>()?), None)
        }
    };
    if let Some(shard) = &shard {
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
        shard: shard.map(|s| s.to_string()),
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
        scheduler,
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
    // The process's peak memory after each case, and the case that last raised it
    // (with one thread, exactly the case that needed the most; with more, one of the
    // cases in flight when the peak was reached). Printed, never written to a table.
    let peak: std::sync::Mutex<(u64, Option<String>)> = std::sync::Mutex::new((0, None));
    let progress = |c: &radx_batch::CohortCase, o: &radx_batch::CaseOutcome| {
        let k = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if let (Some(rss), Ok(mut p)) = (radx_batch::peak_rss_bytes(), peak.lock()) {
            if rss > p.0 {
                *p = (rss, Some(c.case_id.clone()));
            }
        }
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
    if a.format == TableShape::Wide {
        let long = a.out.join("features.csv");
        write_wide_from_long(&long, &a.out.join("features_wide.csv"))?;
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
    if let Ok((bytes, Some(case))) = peak.into_inner() {
        eprintln!(
            "radx: peak memory {:.0} MiB (maxrss of this process, {} threads), reached with case {case}; size --mem from it (README: \"Sizing a cluster request\")",
            bytes as f64 / (1024.0 * 1024.0),
            rayon::current_num_threads()
        );
    }
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

/// `radx compare`: exit 0 when every feature meets the thresholds, 1 otherwise. Features
/// and cases present in one table only (and shared features without a single pair of
/// values) are reported; with a guard in use they fail the comparison too, unless
/// `--allow-one-sided`.
fn compare(a: CompareArgs) -> Result<ExitCode> {
    let mut ta = read_table(&a.a, a.a_format, a.id_column.as_deref())?;
    let mut tb = read_table(&a.b, a.b_format, a.id_column.as_deref())?;
    if a.ignore_roi {
        ta.iter_mut()
            .chain(tb.iter_mut())
            .for_each(|v| v.roi.clear());
        for (t, p) in [(&ta, &a.a), (&tb, &a.b)] {
            radx_check::table::check_unique(t, p).context("--ignore-roi needs one ROI per case")?;
        }
    }
    let guards = radx_check::compare::Guards {
        max_rel_diff: a.max_rel_diff,
        min_ccc: a.min_ccc,
        tolerances: match &a.tolerances {
            Some(p) => Some(
                radx_check::reference::read_ibsi1_table(p)?
                    .into_iter()
                    .map(|r| (r.tag, r.tolerance))
                    .collect(),
            ),
            None => None,
        },
        allow_one_sided: a.allow_one_sided,
    };
    let verdict = radx_check::compare::judge(&ta, &tb, &guards);
    if verdict.features.is_empty() {
        bail!(
            "{} and {} share no feature value (same case, roi, image and tag)",
            a.a.display(),
            a.b.display()
        );
    }
    match a.format {
        ReportFormat::Json => outln!("{}", serde_json::to_string_pretty(&verdict)?),
        ReportFormat::Text => {
            outln!("tag\tn\tmax_abs_diff\tmax_rel_diff\tccc\tbias\tloa_low\tloa_high\twithin_tolerance\tunpaired_a\tunpaired_b");
            let opt = |v: Option<f64>| v.map_or("".to_string(), |x| format!("{x:.6e}"));
            for r in &verdict.features {
                outln!(
                    "{}\t{}\t{:.6e}\t{:.6e}\t{}\t{:.6e}\t{}\t{}\t{}\t{}\t{}",
                    r.tag,
                    r.n,
                    r.max_abs_diff,
                    r.max_rel_diff,
                    opt(r.ccc),
                    r.bias,
                    opt(r.loa_low),
                    opt(r.loa_high),
                    r.within_tolerance.map_or("".into(), |w| w.to_string()),
                    r.unpaired_a,
                    r.unpaired_b
                );
            }
            for line in coverage_lines(&verdict.coverage, &a.a, &a.b) {
                eprintln!("radx: {line}");
            }
            eprintln!(
                "radx: {} features compared, {} beyond the thresholds",
                verdict.features.len(),
                verdict.failing.len()
            );
            if verdict.coverage_fails {
                eprintln!(
                    "radx: the guard fails: features or cases are present in one table only \
                     (--allow-one-sided compares the shared ones only)"
                );
            }
        }
    }
    Ok(if verdict.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The text report of what a comparison left out, one line per non-empty list.
fn coverage_lines(cov: &radx_check::compare::Coverage, a: &Path, b: &Path) -> Vec<String> {
    fn list(what: &str, items: &[String]) -> String {
        const SHOWN: usize = 10;
        let mut names = items[..items.len().min(SHOWN)].join(", ");
        if items.len() > SHOWN {
            names.push_str(&format!(", ... ({} more)", items.len() - SHOWN));
        }
        let plural = if items.len() == 1 { "" } else { "s" };
        format!("{} {what}{plural} ({names})", items.len())
    }
    let mut out = Vec::new();
    for (side, path) in [(&cov.only_in_a, a), (&cov.only_in_b, b)] {
        let mut parts = Vec::new();
        if !side.features.is_empty() {
            parts.push(list("feature", &side.features));
        }
        if !side.cases.is_empty() {
            parts.push(list("case", &side.cases));
        }
        if !parts.is_empty() {
            out.push(format!("only in {}: {}", path.display(), parts.join("; ")));
        }
    }
    if !cov.features_without_pairs.is_empty() {
        out.push(format!(
            "in both tables but without a value in both for any case: {}",
            list("feature", &cov.features_without_pairs)
        ));
    }
    out
}

fn extract(a: ExtractArgs, build: &BuildInfo) -> Result<ExitCode> {
    let settings = if a.phantom {
        a.settings.load_or_preset("ibsi-digital-phantom")?
    } else {
        a.settings.load()?
    };
    set_threads(a.threads, &settings.limits)?;
    let registry = radx_pipeline::registry_for(&settings)?;
    let (table, provenance) = if a.phantom {
        if !a.extra_mask.is_empty() {
            bail!("--extra-mask applies to --image/--mask cases, not to --phantom");
        }
        if !settings.roi.is_empty() {
            bail!("the settings derive regions ([[roi.derived]]); they apply to --image/--mask cases, not to --phantom");
        }
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
        let case = a.case.clone().unwrap_or_else(|| case_name(image));
        let label_names = match &a.label_names {
            Some(p) => radx_pipeline::read_label_names(p)?,
            None => Default::default(),
        };
        let mut asks: Vec<RegionAsk> = Vec::new();
        for r in &a.roi {
            asks.push(RegionAsk::One {
                mask: mask.to_path_buf(),
                selector: radx_pipeline::RoiSelector::parse(r),
                name: r.clone(),
            });
        }
        for l in &a.label {
            asks.push(RegionAsk::One {
                mask: mask.to_path_buf(),
                selector: radx_pipeline::RoiSelector::Label(*l),
                name: label_names
                    .get(l)
                    .cloned()
                    .unwrap_or_else(|| format!("label_{l}")),
            });
        }
        if a.all_rois || a.all_labels {
            asks.push(RegionAsk::All {
                mask: mask.to_path_buf(),
                label_names: label_names.clone(),
            });
        }
        if asks.is_empty() {
            asks.push(RegionAsk::One {
                mask: mask.to_path_buf(),
                selector: radx_pipeline::RoiSelector::Auto,
                name: "nonzero".into(),
            });
        }
        let series = radx_pipeline::SeriesOptions {
            suv: a.suv || a.suv_type.is_some(),
            suv_type: match &a.suv_type {
                Some(t) => radx_io::SuvType::parse(t)
                    .with_context(|| format!("--suv-type {t}: not an SUV normalisation"))?,
                None => Default::default(),
            },
            series_uid: a.series_uid.clone(),
            volume: a.volume,
        };
        radx_pipeline::check_families(&settings, &registry)?;
        {
            let mut loaded =
                radx_pipeline::load_regions(image, &series, &asks, &a.extra_mask, &settings.mask)?;
            check_region_kind(mask, &loaded, a.all_rois, a.all_labels)?;
            radx_pipeline::derive_regions(&mut loaded, &settings)?;
            let table = radx_pipeline::extract_regions(&loaded, &settings, &registry, &case)
                .map_err(|(roi, source)| {
                    if loaded.regions.len() == 1 {
                        radx_pipeline::PipelineError::Process {
                            image: image.display().to_string(),
                            mask: mask.display().to_string(),
                            source,
                        }
                    } else {
                        radx_pipeline::PipelineError::Region {
                            roi,
                            image: image.display().to_string(),
                            mask: mask.display().to_string(),
                            source: Box::new(source),
                        }
                    }
                })?;
            let mut prov = radx_pipeline::provenance(&settings, &registry, loaded.inputs.clone());
            let base = Request {
                case,
                phantom: false,
                series_uid: a.series_uid.clone(),
                suv: series.suv,
                volume: a.volume,
                ..Default::default()
            };
            radx_pipeline::record_regions(&mut prov, &loaded, &base);
            if let Some(p) = &a.label_names {
                prov.inputs.push(radx_pipeline::input_record(
                    "label_names",
                    p,
                    "CSV",
                    std::slice::from_ref(p),
                )?);
            }
            (table, prov)
        }
    };
    let mut provenance = provenance;
    provenance.inputs.extend(a.settings.input_record()?);
    radx_pipeline::stamp_build(&mut provenance, build);
    radx_pipeline::record_largest_slices(&mut provenance, &table);
    if a.format == TableShape::Wide
        && a.out.as_deref().is_some_and(|o| {
            radx_io::OutputFormat::from_path(o).ok() == Some(radx_io::OutputFormat::Json)
        })
    {
        bail!("--format wide writes CSV: give --out a .csv file (or none, for stdout)");
    }
    match &a.out {
        Some(out) if a.format == TableShape::Wide => {
            radx_io::OutputFormat::from_path(out)?;
            let side =
                radx_io::write_text_outputs(out, &render_csv(&table, a.format)?, &provenance)?;
            eprintln!(
                "radx: wrote the wide table ({} columns) to {} and provenance to {}",
                table
                    .rows
                    .iter()
                    .map(|r| (&r.image, &r.tag))
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                out.display(),
                side.display()
            );
        }
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
        None => out!("{}", render_csv(&table, a.format)?),
    }
    Ok(ExitCode::SUCCESS)
}

/// `--all-rois` asks for the ROIs of an RTSTRUCT / segments of a SEG, `--all-labels` for
/// the labels of a label map: the other kind of mask is refused, naming it.
/// `--extra-mask NAME=PATH`.
fn parse_extra_mask(s: &str) -> Result<radx_pipeline::ExtraMaskAsk, String> {
    let (name, path) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected NAME=PATH"))?;
    if !radx_core::settings::is_extra_mask_name(name) {
        return Err(format!(
            "{name:?}: an extra mask's name is letters, digits, `_` and `-`"
        ));
    }
    if path.is_empty() {
        return Err(format!("{s:?}: the path is empty"));
    }
    Ok(radx_pipeline::ExtraMaskAsk {
        name: name.to_string(),
        path: PathBuf::from(path),
    })
}

fn check_region_kind(
    mask: &Path,
    loaded: &radx_pipeline::LoadedCase,
    all_rois: bool,
    all_labels: bool,
) -> Result<()> {
    let label_map = loaded
        .regions
        .iter()
        .any(|r| r.selection.label_rule.is_some());
    if all_rois && label_map {
        bail!(
            "{}: --all-rois takes every ROI of an RTSTRUCT or segment of a SEG; this is a label map: use --all-labels",
            mask.display()
        );
    }
    if all_labels && !label_map {
        bail!(
            "{}: --all-labels takes every label of a label map; this is an RTSTRUCT or SEG: use --all-rois",
            mask.display()
        );
    }
    Ok(())
}

/// `s` as the inside of a TOML basic string.
fn toml_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The case id `radx extract` writes when `--case` is not given: the image's file name
/// without `.gz` and `.nii`.
pub fn case_name(image: &Path) -> String {
    let name = image
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| image.display().to_string());
    name.trim_end_matches(".gz")
        .trim_end_matches(".nii")
        .to_string()
}
