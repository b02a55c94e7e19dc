//! `radx reproduce RECORD.provenance.json | BATCH_FOLDER [--out DIR]`: re-hashes every
//! input a record names, re-runs the extraction with the record's canonical settings and
//! request, and compares the new table with the recorded one: first its sha256 (the
//! table rendered as it was written), then value by value. One verdict per record:
//! bit-identical, same values within tolerance, or different.
//!
//! Exit status: 0 when every record is bit-identical and none of its image or mask
//! files changed; 1 otherwise; 2 when a record cannot be re-run at all (unreadable, made
//! by a radx without the needed fields, settings or plugins refused).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::output::outln;
use anyhow::{bail, Context, Result};
use clap::Args;
use radx_check::compare::{compare_tables, LongValue};
use radx_core::{FeatureTable, Provenance, Settings};
use radx_pipeline::{CaseLabels, InputOptions, RoiSelector};

#[derive(Args)]
pub(crate) struct ReproduceArgs {
    /// A provenance record (`<table>.provenance.json`), or a batch output folder (every
    /// `cases/<case>.provenance.json` in it).
    record: PathBuf,
    /// Keep the new tables (with their provenance) in this folder.
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
    /// Largest relative difference |a - b| / max(|a|, |b|) for "same values within
    /// tolerance".
    #[arg(long, default_value_t = 1e-6)]
    max_rel_diff: f64,
    /// Worker threads (default: all cores). Results are identical for any count.
    #[arg(long)]
    threads: Option<usize>,
}

/// The verdict on one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    BitIdentical,
    WithinTolerance,
    Different,
}

impl Verdict {
    fn text(self) -> &'static str {
        match self {
            Verdict::BitIdentical => "bit-identical",
            Verdict::WithinTolerance => "same values within tolerance",
            Verdict::Different => "different",
        }
    }
}

/// What became of one record.
struct Outcome {
    verdict: Verdict,
    /// Image or mask files that changed, appeared or are missing.
    inputs_changed: bool,
}

pub(crate) fn reproduce(a: ReproduceArgs, build: &radx_core::BuildInfo) -> Result<ExitCode> {
    crate::set_threads(a.threads, &radx_core::Limits::default())?;
    if !(a.max_rel_diff.is_finite() && a.max_rel_diff >= 0.0) {
        bail!("--max-rel-diff must be a finite number >= 0");
    }
    let records: Vec<PathBuf> = if a.record.is_dir() {
        let cases = a.record.join("cases");
        let mut v: Vec<PathBuf> = std::fs::read_dir(&cases)
            .with_context(|| format!("{}: not a radx batch folder", a.record.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let n = p.file_name().unwrap_or_default().to_string_lossy();
                n.ends_with(".provenance.json") && !n.starts_with('.')
            })
            .collect();
        v.sort();
        if v.is_empty() {
            bail!(
                "{}: no provenance record in {}",
                a.record.display(),
                cases.display()
            );
        }
        v
    } else {
        vec![a.record.clone()]
    };
    if let Some(o) = &a.out {
        std::fs::create_dir_all(o).with_context(|| o.display().to_string())?;
    }
    let mut outcomes = Vec::new();
    for r in &records {
        if records.len() > 1 {
            outln!();
        }
        outcomes.push(reproduce_one(r, &a, build)?);
    }
    let identical = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::BitIdentical && !o.inputs_changed)
        .count();
    if records.len() > 1 {
        let mut by: BTreeMap<Verdict, usize> = BTreeMap::new();
        for o in &outcomes {
            *by.entry(o.verdict).or_default() += 1;
        }
        let parts: Vec<String> = by
            .iter()
            .map(|(v, n)| format!("{n} {}", v.text()))
            .collect();
        outln!();
        outln!(
            "overall: {} records: {}; {} with changed inputs",
            records.len(),
            parts.join(", "),
            outcomes.iter().filter(|o| o.inputs_changed).count()
        );
    }
    Ok(if identical == outcomes.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    radx_core::settings::hex(&Sha256::digest(bytes))
}

/// Whether the CSV at `path` is a wide table (`radx extract --format wide`): its header
/// starts `case,roi,` and is not the long table's.
fn recorded_is_wide(path: &Path) -> bool {
    use std::io::BufRead;
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut first = String::new();
    if std::io::BufReader::new(f).read_line(&mut first).is_err() {
        return false;
    }
    let first = first.trim_end();
    first.starts_with("case,roi,") && first != radx_io::CSV_HEADER
}

/// The recorded table's values: a radx long CSV, or the `features` of a JSON table.
fn recorded_values(path: &Path) -> Result<Vec<LongValue>> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
        let v: serde_json::Value =
            serde_json::from_str(&text).with_context(|| path.display().to_string())?;
        let rows = v["features"]
            .as_array()
            .with_context(|| format!("{}: no `features` array", path.display()))?;
        let s = |r: &serde_json::Value, k: &str| r[k].as_str().unwrap_or_default().to_string();
        Ok(rows
            .iter()
            .map(|r| LongValue {
                case: s(r, "case"),
                roi: s(r, "roi"),
                image: s(r, "image"),
                tag: s(r, "tag"),
                value: r["value"].as_f64(),
                family: s(r, "family"),
                feature: s(r, "feature"),
                ibsi_id: s(r, "ibsi_id"),
                aggregation: s(r, "aggregation"),
                unit: s(r, "unit"),
                missing_reason: r["missing_reason"].as_str().map(str::to_string),
            })
            .collect())
    } else {
        Ok(radx_check::compare::read_long_table(path)?)
    }
}

fn long_values(t: &FeatureTable) -> Vec<LongValue> {
    t.rows
        .iter()
        .map(|r| LongValue {
            case: r.case.clone(),
            roi: r.roi.clone(),
            image: r.image.clone(),
            tag: r.tag.clone(),
            value: r.value,
            family: r.family.clone(),
            feature: r.feature.clone(),
            ibsi_id: r.ibsi_id.clone(),
            aggregation: r.aggregation.clone(),
            unit: r.unit.clone(),
            missing_reason: r.missing_reason.clone(),
        })
        .collect()
}

/// Re-hashes the files of the record's inputs; prints and returns whether an image or
/// mask file changed or is missing, and the list of missing image/mask files.
fn check_inputs(record: &Provenance) -> Result<(bool, Vec<String>)> {
    let mut changed = false;
    let mut missing = Vec::new();
    let mut n = 0;
    let mut lines = Vec::new();
    for input in &record.inputs {
        let data = input.role == "image" || input.role == "mask";
        let files: Vec<(String, String)> = if input.files.is_empty() {
            vec![(input.path.clone(), input.sha256.clone())]
        } else {
            input
                .files
                .iter()
                .map(|f| (f.path.clone(), f.sha256.clone()))
                .collect()
        };
        for (path, want) in files {
            n += 1;
            match radx_io::sha256_file(Path::new(&path)) {
                Ok(h) if h == want => {}
                Ok(h) => {
                    lines.push(format!(
                        "  changed: {path} ({}; sha256 recorded {want}, now {h})",
                        input.role
                    ));
                    changed |= data;
                }
                Err(_) => {
                    lines.push(format!("  missing: {path} ({})", input.role));
                    if data {
                        changed = true;
                        missing.push(path);
                    }
                }
            }
        }
    }
    if lines.is_empty() {
        outln!("inputs:   {n} files re-hashed, all as recorded");
    } else {
        outln!(
            "inputs:   {n} files re-hashed, {} not as recorded:",
            lines.len()
        );
        for l in lines {
            outln!("{l}");
        }
    }
    Ok((changed, missing))
}

fn reproduce_one(path: &Path, a: &ReproduceArgs, build: &radx_core::BuildInfo) -> Result<Outcome> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let record: Provenance = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a radx provenance record", path.display()))?;
    outln!("record:   {}", path.display());
    let (Some(request), Some(table_rec)) = (&record.request, &record.table) else {
        bail!(
            "{}: the record names no request or table digest (made by a radx before provenance schema 2): it cannot be re-run",
            path.display()
        );
    };
    if !record.regions.is_empty() {
        bail!(
            "{}: the record is of {} ROIs of one case (`regions`); radx reproduce re-runs single-ROI records only: re-run each ROI with radx extract --roi",
            path.display(),
            record.regions.len()
        );
    }
    match &record.build {
        Some(b) if *b == build.identity => outln!("build:    same as recorded ({})", b.summary()),
        Some(b) => {
            outln!("build:    differs from the recorded one");
            outln!("  recorded: {}", b.summary());
            outln!("  this:     {}", build.identity.summary());
            for d in b.differences(&build.identity) {
                outln!("  {d}");
            }
        }
        None => outln!(
            "build:    not recorded (this: {})",
            build.identity.summary()
        ),
    }
    let mut settings = Settings::from_toml_str(&record.settings, &path.display().to_string())
        .with_context(|| format!("{}: the recorded settings", path.display()))?;
    if settings.id() != record.settings_id {
        bail!(
            "{}: the recorded manifest has settings id {}, not the recorded {}: the record was altered",
            path.display(),
            settings.id(),
            record.settings_id
        );
    }
    settings.source_dir = record
        .input("settings")
        .and_then(|i| Path::new(&i.path).parent().map(Path::to_path_buf));
    outln!(
        "settings: {} (the record's canonical manifest)",
        record.settings_id
    );
    let (inputs_changed, missing) = check_inputs(&record)?;

    let folder = path.parent().unwrap_or(Path::new(""));
    let table_path = folder.join(&table_rec.file);
    // Whether the table file is the one the record describes (`None`: missing).
    let table_intact = match std::fs::read(&table_path) {
        Ok(b) if sha256_hex(&b) == table_rec.sha256 => {
            outln!(
                "table:    {} (sha256 {}, as recorded)",
                table_path.display(),
                table_rec.sha256
            );
            Some(true)
        }
        Ok(b) => {
            outln!(
                "table:    {}: altered since it was recorded (sha256 recorded {}, on disk {})",
                table_path.display(),
                table_rec.sha256,
                sha256_hex(&b)
            );
            Some(false)
        }
        Err(_) => {
            outln!("table:    {}: missing", table_path.display());
            None
        }
    };
    if !missing.is_empty() {
        outln!(
            "verdict:  different (cannot re-run: {} input files missing)",
            missing.len()
        );
        return Ok(Outcome {
            verdict: Verdict::Different,
            inputs_changed: true,
        });
    }

    let registry =
        radx_pipeline::registry_for(&settings).with_context(|| path.display().to_string())?;
    radx_pipeline::check_families(&settings, &registry)?;
    let labels = CaseLabels {
        case: request.case.clone(),
        roi: request.roi.clone(),
        image: "original".into(),
    };
    let (table, mut new_record) = if request.phantom {
        let (image, mask) = radx_core::phantom::ibsi_digital_phantom();
        let t = radx_pipeline::extract(image, mask, &settings, &registry, &labels)?;
        (
            t,
            radx_pipeline::provenance(&settings, &registry, Vec::new()),
        )
    } else {
        let (image, mask) = match (record.input("image"), record.input("mask")) {
            (Some(i), Some(m)) => (PathBuf::from(&i.path), PathBuf::from(&m.path)),
            _ => bail!("{}: the record names no image or mask", path.display()),
        };
        let mut options = InputOptions {
            roi: match (&request.roi_name, request.label) {
                (Some(n), _) => RoiSelector::Name(n.clone()),
                (None, Some(l)) => RoiSelector::Label(l),
                (None, None) => RoiSelector::Auto,
            },
            ..Default::default()
        };
        options.series.series_uid = request.series_uid.clone();
        options.series.suv = request.suv;
        options.series.volume = request.volume;
        // A lean-body-mass or body-surface-area SUV is recorded in the selection.
        if let Some(t) = record
            .selection
            .as_ref()
            .and_then(|s| s.suv.as_ref())
            .and_then(|s| radx_io::SuvType::parse(&s.suv_type))
        {
            options.series.suv_type = t;
        }
        match radx_pipeline::extract_inputs(&image, &mask, &options, &settings, &registry, &labels)
        {
            Ok(r) => r,
            Err(e) => {
                outln!("verdict:  different (the re-run failed: {e})");
                return Ok(Outcome {
                    verdict: Verdict::Different,
                    inputs_changed,
                });
            }
        }
    };
    // Files read now that the record does not name (a slice added to the series).
    for input in &new_record.inputs {
        if let Some(old) = record.input(&input.role) {
            for f in &input.files {
                if !old.files.iter().any(|o| o.path == f.path) {
                    outln!(
                        "  added:   {} ({}: read now, not recorded)",
                        f.path,
                        input.role
                    );
                }
            }
        }
    }
    let inputs_changed = inputs_changed
        || ["image", "mask"]
            .iter()
            .any(|r| record.input(r).map(|i| &i.sha256) != new_record.input(r).map(|i| &i.sha256));

    // The new table, rendered as the recorded one was.
    let json = table_rec.file.to_ascii_lowercase().ends_with(".json");
    let rendered = if json {
        let mut embedded = record.clone();
        embedded.table = None;
        radx_io::table_to_json(&table, &embedded)
    } else if recorded_is_wide(&table_path) {
        // written by `radx extract --format wide`
        crate::render_csv(&table, crate::TableShape::Wide)?
    } else {
        radx_io::table_to_csv(&table)
    };
    if let Some(out) = &a.out {
        new_record.request = record.request.clone();
        new_record.selection = new_record.selection.or(record.selection.clone());
        new_record.inputs.extend(
            record
                .inputs
                .iter()
                .filter(|i| i.role != "image" && i.role != "mask")
                .cloned(),
        );
        radx_pipeline::stamp_build(&mut new_record, build);
        let dest = out.join(&table_rec.file);
        radx_io::write_outputs(&dest, &table, &new_record)?;
        outln!("new:      {}", dest.display());
    }
    let same_as_record = sha256_hex(rendered.as_bytes()) == table_rec.sha256;
    let verdict = match (same_as_record, table_intact) {
        (true, Some(true)) | (true, None) => {
            outln!(
                "compare:  the new table has the recorded sha256 {}",
                table_rec.sha256
            );
            Verdict::BitIdentical
        }
        (true, Some(false)) => {
            outln!(
                "compare:  the new table has the recorded sha256 {}, but the table file does not: it was changed after it was written",
                table_rec.sha256
            );
            compare_values(&table_path, &table, a.max_rel_diff)?.max(Verdict::WithinTolerance)
        }
        (false, Some(_)) => compare_values(&table_path, &table, a.max_rel_diff)?,
        (false, None) => {
            outln!("compare:  the new table's sha256 is not the recorded one, and the recorded table is missing");
            Verdict::Different
        }
    };
    let note = if inputs_changed && verdict == Verdict::BitIdentical {
        " (but input files changed)"
    } else {
        ""
    };
    outln!("verdict:  {}{note}", verdict.text());
    Ok(Outcome {
        verdict,
        inputs_changed,
    })
}

/// Value-by-value comparison of the recorded table (when it can be read) with the new
/// one, through radx-check's compare.
fn compare_values(recorded: &Path, table: &FeatureTable, max_rel: f64) -> Result<Verdict> {
    let old = match recorded_values(recorded) {
        Ok(v) => v,
        Err(e) => {
            outln!("compare:  the recorded table cannot be read ({e:#}); sha256 differs");
            return Ok(Verdict::Different);
        }
    };
    let new = long_values(table);
    type Key = (String, String, String, String);
    let key = |v: &LongValue| -> Key {
        (
            v.case.clone(),
            v.roi.clone(),
            v.image.clone(),
            v.tag.clone(),
        )
    };
    let old_keys: BTreeMap<Key, Option<f64>> = old.iter().map(|v| (key(v), v.value)).collect();
    let new_keys: BTreeMap<Key, Option<f64>> = new.iter().map(|v| (key(v), v.value)).collect();
    let only_old = old_keys
        .keys()
        .filter(|k| !new_keys.contains_key(*k))
        .count();
    let only_new = new_keys
        .keys()
        .filter(|k| !old_keys.contains_key(*k))
        .count();
    let missing_changed = old_keys
        .iter()
        .filter(|(k, v)| new_keys.get(*k).is_some_and(|w| w.is_some() != v.is_some()))
        .count();
    let rows = compare_tables(&old, &new, &BTreeMap::new());
    let worst = rows
        .iter()
        .max_by(|a, b| a.max_rel_diff.total_cmp(&b.max_rel_diff));
    let beyond: Vec<&str> = rows
        .iter()
        .filter(|r| r.max_rel_diff > max_rel)
        .map(|r| r.tag.as_str())
        .collect();
    outln!(
        "compare:  sha256 differs; {} values recorded, {} now: {} only recorded, {} only new, {} present on one side and missing on the other",
        old.len(),
        new.len(),
        only_old,
        only_new,
        missing_changed
    );
    if let Some(w) = worst {
        outln!(
            "          largest relative difference {:.3e} ({}); {} features beyond {max_rel:e}{}",
            w.max_rel_diff,
            w.tag,
            beyond.len(),
            if beyond.is_empty() {
                String::new()
            } else {
                format!(
                    ": {}{}",
                    beyond
                        .iter()
                        .take(8)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", "),
                    if beyond.len() > 8 { ", ..." } else { "" }
                )
            }
        );
    }
    Ok(
        if only_old == 0 && only_new == 0 && missing_changed == 0 && beyond.is_empty() {
            Verdict::WithinTolerance
        } else {
            Verdict::Different
        },
    )
}
