//! One case, from files to a feature table with provenance: read -> processing chain ->
//! every selected feature plugin -> table rows. Also the registry of built-in plugins.
//!
//! Must not: implement a step itself (reading: radx-io; processing: radx-process; features:
//! the plugins) or run a cohort (radx-batch).

use std::path::Path;

pub mod regions;
pub use regions::{
    derive_regions, extract_regions, load_regions, normalise_regions, read_label_names,
    record_regions, ExtraMask, ExtraMaskAsk, LoadedCase, LoadedRegion, RegionAsk,
};

use radx_core::provenance::{combined_digest, FileRecord, InputRecord, PROVENANCE_SCHEMA};
use radx_core::settings::{MaskResample, MaskSettings};
use radx_core::{
    BuildInfo, FeatureInput, FeatureRow, FeatureTable, FeatureValue, Image, Mask, Platform,
    PluginInfo, PluginOrigin, PluginRecord, Provenance, Registry, Selection, Settings,
    RADX_VERSION,
};
use radx_io::{IoError, MaskSelector};
pub use radx_io::{RoiSelector, SeriesOptions};
pub use radx_plugin_host::PluginLoadError;
use radx_process::{prepare, prepare_filtered, Prepared, ProcessError, ResponseMap};
use rayon::prelude::*;
use thiserror::Error;

/// Errors of one extraction.
#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{image} with {mask}: {source}")]
    Process {
        image: String,
        mask: String,
        source: ProcessError,
    },
    #[error("settings name feature family `{0}`, which no plugin provides; families: {1}")]
    UnknownFamily(String, String),
    /// Two regions of one case would write the same `roi`.
    #[error("two regions of the case are named `{name}` (from {first} and {second}): each ROI of a case needs its own name")]
    DuplicateRegion {
        name: String,
        first: String,
        second: String,
    },
    /// A derivation (`with_mask`) or the normalisation (`within`) names an extra mask the
    /// case does not give.
    #[error("the settings use the extra mask `{name}` ([[roi.derived]] with_mask, [normalisation] within), which this case does not give (radx extract --extra-mask {name}=PATH, radx batch: a cohort column extra_mask_{name}); extra masks given: {given}")]
    MissingExtraMask { name: String, given: String },
    /// Deriving regions on the interpolated grid (`[roi] derive_on = "interpolated"`)
    /// failed: interpolating the image or a mask.
    #[error("deriving the regions on the interpolated grid: {0}")]
    Derive(ProcessError),
    /// A region of a case with several failed; the error names it.
    #[error("ROI `{roi}`: {image} with {mask}: {source}")]
    Region {
        roi: String,
        image: String,
        mask: String,
        source: Box<ProcessError>,
    },
}

impl PipelineError {
    /// The stage of a case's error record (`radx batch`, `radx stability`) this error
    /// belongs to: `read`, `settings` or `process`.
    pub fn stage(&self) -> &'static str {
        match self {
            PipelineError::Io(_)
            | PipelineError::DuplicateRegion { .. }
            | PipelineError::MissingExtraMask { .. } => "read",
            PipelineError::UnknownFamily(..) => "settings",
            PipelineError::Process { .. }
            | PipelineError::Region { .. }
            | PipelineError::Derive(_) => "process",
        }
    }
}

/// The registry of every built-in plugin, in computation order.
pub fn builtin_registry() -> Registry {
    let mut r = Registry::new();
    for p in [
        radx_morphology::plugin(),
        radx_local_intensity::plugin(),
        radx_intensity_stats::plugin(),
        radx_intensity_histogram::plugin(),
        radx_ivh::plugin(),
        radx_glcm::plugin(),
        radx_glrlm::plugin(),
        radx_glszm::plugin(),
        radx_gldzm::plugin(),
        radx_ngtdm::plugin(),
        radx_ngldm::plugin(),
    ] {
        r.register(p).expect("built-in families are distinct");
    }
    r
}

/// The built-in registry plus every run-time plugin the manifest names. A plugin that
/// cannot be loaded (missing file, sha256, ABI, symbols, descriptor) is an error naming
/// the plugin and its file: a run never goes on without a plugin its settings name.
pub fn registry_for(settings: &Settings) -> Result<Registry, PluginLoadError> {
    let mut r = builtin_registry();
    for p in radx_plugin_host::load_all(settings)? {
        // names are validated unique and distinct from built-ins by the settings
        let _ = r.register(Box::new(p));
    }
    Ok(r)
}

/// Checks that every family the settings select (for the image and, with filters, for
/// the response maps) is provided by `registry`.
pub fn check_families(settings: &Settings, registry: &Registry) -> Result<(), PipelineError> {
    let on_maps = if settings.filters.maps.is_empty() {
        Vec::new()
    } else {
        settings.filters.families_or(&settings.features)
    };
    for f in settings.features.families.iter().chain(&on_maps) {
        if registry.get(f).is_none() {
            let all: Vec<String> = registry
                .plugins()
                .map(|p| p.info().family.clone())
                .collect();
            return Err(PipelineError::UnknownFamily(f.clone(), all.join(", ")));
        }
    }
    Ok(())
}

/// Labels written into each row.
#[derive(Debug, Clone)]
pub struct CaseLabels {
    pub case: String,
    pub roi: String,
    pub image: String,
}

/// Computes every selected family on a prepared ROI. Families run in parallel on the
/// current rayon pool; rows come out in registry order whatever the thread count.
pub fn compute_features(
    prepared: &Prepared,
    settings: &Settings,
    registry: &Registry,
    labels: &CaseLabels,
) -> FeatureTable {
    let input = FeatureInput {
        roi: &prepared.roi,
        settings,
        histogram: &prepared.histogram,
        texture: &prepared.texture,
        ivh: &prepared.ivh,
    };
    let selected: Vec<_> = registry.selected(settings).collect();
    let per_plugin: Vec<Vec<FeatureRow>> = selected
        .par_iter()
        .map(|p| {
            let info = p.info();
            let values = match p.compute(&input) {
                Ok(v) => v,
                Err(e) => missing_family(info, settings, &e.to_string()),
            };
            values
                .into_iter()
                .map(|v| feature_row(info, v, labels, &labels.image))
                .collect()
        })
        .collect();
    let mut rows: Vec<FeatureRow> = prepared
        .diagnostics
        .iter()
        .map(|d| FeatureRow {
            case: labels.case.clone(),
            roi: labels.roi.clone(),
            image: labels.image.clone(),
            family: "diagnostics".into(),
            feature: d.tag.clone(),
            ibsi_id: String::new(),
            aggregation: String::new(),
            tag: d.tag.clone(),
            unit: String::new(),
            value: Some(d.value),
            missing_reason: None,
        })
        .collect();
    rows.extend(per_plugin.into_iter().flatten());
    FeatureTable { rows }
}

/// The settings under which the families run on a response map: the `[filters]`
/// families (never morphology) and discretisation in place of `[features]` and
/// `[discretisation]`.
pub fn response_map_settings(settings: &Settings) -> Settings {
    let mut s = settings.clone();
    s.features.families = settings
        .filters
        .families_or(&settings.features)
        .into_iter()
        .filter(|f| f != "morphology")
        .collect();
    if let Some(d) = &settings.filters.discretisation {
        s.discretisation = d.clone();
    }
    s
}

/// The feature rows of the original image ([`compute_features`], with the diagnostic
/// values) followed, for each response map in order, by the rows of the response-map
/// families computed on it, labelled `image` = the filter's canonical name (no diagnostic
/// rows).
pub fn compute_all_features(
    prepared: &Prepared,
    maps: &[ResponseMap],
    settings: &Settings,
    registry: &Registry,
    labels: &CaseLabels,
) -> FeatureTable {
    let mut table = compute_features(prepared, settings, registry, labels);
    if maps.is_empty() {
        return table;
    }
    let on_maps = response_map_settings(settings);
    for m in maps {
        let l = CaseLabels {
            image: m.name.clone(),
            ..labels.clone()
        };
        let t = compute_features(&m.prepared, &on_maps, registry, &l);
        table.rows.extend(t.rows);
    }
    table
}

/// The table row of one value `v` of the family `info`: tag `prefix_name[_aggregation]`,
/// IBSI identifier and unit from the family's feature list.
fn feature_row(info: &PluginInfo, v: FeatureValue, labels: &CaseLabels, image: &str) -> FeatureRow {
    let def = info.features.iter().find(|f| f.name == v.name);
    let aggregation = v.aggregation.clone().unwrap_or_default();
    let tag = if aggregation.is_empty() {
        format!("{}_{}", info.prefix, v.name)
    } else {
        format!("{}_{}_{}", info.prefix, v.name, aggregation)
    };
    FeatureRow {
        case: labels.case.clone(),
        roi: labels.roi.clone(),
        image: image.to_string(),
        family: info.family.clone(),
        feature: v.name,
        ibsi_id: def.map(|d| d.ibsi_id.clone()).unwrap_or_default(),
        aggregation,
        tag,
        unit: def.map(|d| d.unit.clone()).unwrap_or_default(),
        value: v.value,
        missing_reason: v.missing_reason,
    }
}

/// The table [`extract`] would write for a region, every value missing with `reason`
/// (no diagnostic rows): the `[features]` families on the original image and, with
/// `[filters]`, the response-map families on each filter's map.
pub fn missing_table(
    settings: &Settings,
    registry: &Registry,
    labels: &CaseLabels,
    reason: &str,
) -> FeatureTable {
    let mut rows = Vec::new();
    let mut push = |s: &Settings, image: &str| {
        for p in registry.selected(s) {
            let info = p.info();
            for v in missing_family(info, s, reason) {
                rows.push(feature_row(info, v, labels, image));
            }
        }
    };
    push(settings, &labels.image);
    if !settings.filters.maps.is_empty() {
        let on_maps = response_map_settings(settings);
        for m in &settings.filters.maps {
            push(&on_maps, &m.canonical_name());
        }
    }
    FeatureTable { rows }
}

/// Every value a family would have produced under `settings`, each missing with `reason`.
fn missing_family(info: &PluginInfo, settings: &Settings, reason: &str) -> Vec<FeatureValue> {
    let t = &settings.texture;
    let aggregations: Vec<Option<&str>> = if info.aggregations.is_empty() {
        vec![None]
    } else {
        info.aggregations
            .iter()
            .filter(|a| {
                let dim_ok = t
                    .dimensions
                    .iter()
                    .any(|d| a.as_str() == d.tag() || a.starts_with(&format!("{}_", d.tag())));
                let merge_ok = t
                    .direction_merging
                    .iter()
                    .any(|m| a.ends_with(&format!("_{}", m.tag())))
                    || !(a.ends_with("_avg") || a.ends_with("_comb"));
                dim_ok && merge_ok
            })
            .map(|a| Some(a.as_str()))
            .collect()
    };
    info.features
        .iter()
        .flat_map(|f| {
            aggregations
                .iter()
                .map(move |a| FeatureValue::missing(&f.name, *a, reason))
        })
        .collect()
}

/// Runs the processing chain and the feature plugins on an image and mask in memory; with
/// `[filters]`, also on every response map ([`compute_all_features`]).
pub fn extract(
    image: Image,
    mask: Mask,
    settings: &Settings,
    registry: &Registry,
    labels: &CaseLabels,
) -> Result<FeatureTable, ProcessError> {
    if settings.filters.maps.is_empty() {
        let prepared = prepare(image, mask, settings)?;
        check_plugin_limits(&prepared, &[], settings, registry)?;
        return Ok(compute_features(&prepared, settings, registry, labels));
    }
    let (prepared, maps) = prepare_filtered(image, mask, settings)?;
    check_plugin_limits(&prepared, &maps, settings, registry)?;
    Ok(compute_all_features(
        &prepared, &maps, settings, registry, labels,
    ))
}

/// Asks every selected plugin whether the arrays it would build stay within the limits
/// ([`radx_core::FeaturePlugin::check_limits`]), on the original image and on every
/// response map, before any of them computes: a refusal is an error of the case.
pub fn check_plugin_limits(
    prepared: &Prepared,
    maps: &[ResponseMap],
    settings: &Settings,
    registry: &Registry,
) -> Result<(), ProcessError> {
    let check = |p: &Prepared, s: &Settings, image: &str| -> Result<(), ProcessError> {
        let input = FeatureInput {
            roi: &p.roi,
            settings: s,
            histogram: &p.histogram,
            texture: &p.texture,
            ivh: &p.ivh,
        };
        for plugin in registry.selected(s) {
            plugin.check_limits(&input).map_err(|mut e| {
                if !image.is_empty() {
                    e.subject = format!("response map `{image}`: {}", e.subject);
                }
                ProcessError::from(e)
            })?;
        }
        Ok(())
    };
    check(prepared, settings, "")?;
    if !maps.is_empty() {
        let on_maps = response_map_settings(settings);
        for m in maps {
            check(&m.prepared, &on_maps, &m.name)?;
        }
    }
    Ok(())
}

/// The plugins whose values a run writes: those selected by `[features]` and, when
/// there are response maps, by `[filters] families`; in registry order.
fn contributing_plugins<'r>(
    settings: &Settings,
    registry: &'r Registry,
) -> Vec<&'r dyn radx_core::FeaturePlugin> {
    let mut families: Vec<String> = registry
        .selected(settings)
        .map(|p| p.info().family.clone())
        .collect();
    if !settings.filters.maps.is_empty() {
        let on_maps = response_map_settings(settings);
        families.extend(registry.selected(&on_maps).map(|p| p.info().family.clone()));
    }
    registry
        .plugins()
        .filter(|p| families.contains(&p.info().family))
        .collect()
}

/// A provenance record for a run on these inputs. It carries no build identity until
/// [`stamp_build`] adds it (the libraries do not know which binary runs them); a record
/// without one is never trusted for resuming.
pub fn provenance(
    settings: &Settings,
    registry: &Registry,
    inputs: Vec<InputRecord>,
) -> Provenance {
    Provenance {
        provenance_schema: PROVENANCE_SCHEMA,
        radx_version: RADX_VERSION.to_string(),
        build: None,
        selection: None,
        request: None,
        regions: Vec::new(),
        table: None,
        scheduler: None,
        largest_slices: Vec::new(),
        settings_id: settings.id(),
        settings: settings.canonical(),
        inputs,
        plugins: contributing_plugins(settings, registry)
            .into_iter()
            .map(|p| {
                let (origin, sha256) = match p.origin() {
                    PluginOrigin::Builtin => ("builtin".to_string(), String::new()),
                    PluginOrigin::Library { path, sha256 } => (path, sha256),
                };
                PluginRecord {
                    family: p.info().family.clone(),
                    version: p.info().version.clone(),
                    origin,
                    sha256,
                    source_sha256: String::new(),
                }
            })
            .collect(),
        platform: Platform::current(),
        threads: rayon::current_num_threads(),
    }
}

/// Copies the slices chosen by `[features] slice_selection = "largest"` (the diagnostic rows
/// `diag_largest_slice_*` of each (roi, image) of `table`) into the provenance.
pub fn record_largest_slices(p: &mut Provenance, table: &FeatureTable) {
    p.largest_slices = largest_slices(table);
}

/// The slices chosen by `[features] slice_selection = "largest"`, read from the diagnostic
/// rows `diag_largest_slice_*` of each (roi, image) of `table`; empty without them.
pub fn largest_slices(table: &FeatureTable) -> Vec<radx_core::provenance::LargestSlice> {
    let mut slices = Vec::new();
    let value = |roi: &str, image: &str, tag: &str| {
        table
            .rows
            .iter()
            .find(|r| r.roi == roi && r.image == image && r.family == "diagnostics" && r.tag == tag)
            .and_then(|r| r.value)
    };
    for r in table
        .rows
        .iter()
        .filter(|r| r.family == "diagnostics" && r.tag == "diag_largest_slice_index")
    {
        let (Some(index), Some(z_mm), Some(voxels)) = (
            r.value,
            value(&r.roi, &r.image, "diag_largest_slice_z_mm"),
            value(&r.roi, &r.image, "diag_largest_slice_voxels"),
        ) else {
            continue;
        };
        slices.push(radx_core::provenance::LargestSlice {
            roi: r.roi.clone(),
            image: r.image.clone(),
            index: index as usize,
            z_mm,
            voxels: voxels as usize,
        });
    }
    slices
}

/// The package name of a built-in plugin's crate: `radx-` and the family with `-` for
/// `_` (`local_intensity` -> `radx-local-intensity`).
pub fn builtin_crate(family: &str) -> String {
    format!("radx-{}", family.replace('_', "-"))
}

/// Adds the build identity to a record, and to each built-in plugin the source digest
/// of its crate (`build.sources`, see radx-build).
pub fn stamp_build(provenance: &mut Provenance, build: &BuildInfo) {
    provenance.build = Some(build.identity.clone());
    for p in &mut provenance.plugins {
        if p.origin == "builtin" {
            if let Some(d) = build.sources.get(&builtin_crate(&p.family)) {
                p.source_sha256 = d.clone();
            }
        }
    }
}

/// How to read the inputs: which ROI of the mask, and DICOM options.
#[derive(Debug, Clone, Default)]
pub struct InputOptions {
    /// Label maps: `Auto` (non-zero) or a label; RTSTRUCT / SEG: a name or number.
    pub roi: RoiSelector,
    /// DICOM series: which series, SUV conversion.
    pub series: SeriesOptions,
}

impl From<MaskSelector> for InputOptions {
    fn from(s: MaskSelector) -> Self {
        InputOptions {
            roi: match s {
                MaskSelector::NonZero => RoiSelector::Auto,
                MaskSelector::Label(l) => RoiSelector::Label(l),
            },
            series: SeriesOptions::default(),
        }
    }
}

/// The record of an input read from `files`: each file's sha256 and the combined
/// digest ([`combined_digest`]; the base is the input itself when it is a folder, else
/// its folder).
pub fn input_record(
    role: &str,
    path: &Path,
    format: &str,
    files: &[std::path::PathBuf],
) -> Result<InputRecord, IoError> {
    let mut records = Vec::with_capacity(files.len());
    for f in files {
        records.push(FileRecord {
            path: f.display().to_string(),
            sha256: radx_io::sha256_file(f)?,
        });
    }
    records.sort_by(|a, b| a.path.cmp(&b.path));
    let base = if path.is_dir() {
        path
    } else {
        path.parent().unwrap_or(Path::new(""))
    };
    Ok(InputRecord {
        role: role.into(),
        path: path.display().to_string(),
        sha256: combined_digest(path, base, &records),
        format: format.into(),
        files: records,
    })
}

/// The provenance note of a label map (format `format`, on grid `from`) resampled onto the
/// image grid `to` by `[mask] resample_to_image`: the method and both grids.
pub fn resampling_note(
    format: &str,
    from: &radx_core::Grid,
    to: &radx_core::Grid,
    mask_settings: &MaskSettings,
) -> String {
    format!(
        "{} label map resampled onto the image grid by {}{} in physical space: mask grid shape (z, y, x) {:?}, spacing {:?} mm, origin {:?}, direction {:?}; image grid shape {:?}, spacing {:?} mm, origin {:?}, direction {:?}",
        format,
        mask_settings.resample_to_image,
        if mask_settings.resample_to_image == MaskResample::Linear {
            format!(" (partial-volume threshold {})", mask_settings.partial_volume_threshold)
        } else {
            String::new()
        },
        from.shape_zyx,
        from.spacing_zyx,
        from.origin_xyz,
        from.direction,
        to.shape_zyx,
        to.spacing_zyx,
        to.origin_xyz,
        to.direction
    )
}

/// The inputs of one case, read, with their records and what they resolved to.
#[derive(Debug, Clone)]
pub struct LoadedInputs {
    pub image: Image,
    pub mask: Mask,
    /// `image` and `mask`, each with every file read.
    pub inputs: Vec<InputRecord>,
    pub selection: Selection,
}

/// Reads an image and mask (NIfTI, NRRD, DICOM series, RTSTRUCT, SEG: detected from the
/// path) and extracts features, with provenance.
pub fn extract_inputs(
    image_path: &Path,
    mask_path: &Path,
    options: &InputOptions,
    settings: &Settings,
    registry: &Registry,
    labels: &CaseLabels,
) -> Result<(FeatureTable, Provenance), PipelineError> {
    check_families(settings, registry)?;
    let loaded = load_inputs_with(image_path, mask_path, options, &settings.mask)?;
    let table =
        extract(loaded.image, loaded.mask, settings, registry, labels).map_err(|source| {
            PipelineError::Process {
                image: image_path.display().to_string(),
                mask: mask_path.display().to_string(),
                source,
            }
        })?;
    let mut p = provenance(settings, registry, loaded.inputs);
    p.selection = Some(loaded.selection);
    Ok((table, p))
}

/// Reads an image and its mask (any supported format, detected from the path) and hashes
/// every file read: the inputs of one case, with their provenance records and what the
/// selectors resolved to. A label map on another grid than the image is an error (see
/// [`load_inputs_with`] for the `[mask]` settings that resample it).
pub fn load_inputs(
    image_path: &Path,
    mask_path: &Path,
    options: &InputOptions,
) -> Result<LoadedInputs, PipelineError> {
    load_inputs_with(image_path, mask_path, options, &MaskSettings::default())
}

/// [`load_inputs`] with the `[mask]` settings: with `resample_to_image` = `nearest` or
/// `linear`, a NIfTI / NRRD label map whose grid differs from the image's is resampled onto
/// the image grid in physical space (`radx_process::mask_grid`), and
/// `selection.mask_resampling` records it; `off` (the default) keeps the error naming both
/// grids. A label map already on the image grid is read as usual either way.
pub fn load_inputs_with(
    image_path: &Path,
    mask_path: &Path,
    options: &InputOptions,
    mask_settings: &MaskSettings,
) -> Result<LoadedInputs, PipelineError> {
    let loaded = radx_io::read_image_any(image_path, &options.series)?;
    let mut resampling = None;
    let native = match mask_settings.resample_to_image {
        MaskResample::Off => None,
        _ => radx_io::read_label_map(mask_path, &options.roi)?
            .filter(|n| loaded.image.grid.mismatch(&n.grid, 1e-3).is_some()),
    };
    let mask = match native {
        None => radx_io::load_mask_any(mask_path, &loaded.mask_target(), &options.roi)?,
        Some(n) => {
            let target = &loaded.image.grid;
            resampling = Some(resampling_note(
                &n.format.to_string(),
                &n.grid,
                target,
                mask_settings,
            ));
            regions::resample_label_map(n, target, mask_settings, mask_path)?
        }
    };
    let inputs = vec![
        input_record(
            "image",
            image_path,
            &loaded.format.to_string(),
            &loaded.files,
        )?,
        input_record("mask", mask_path, &mask.format.to_string(), &mask.files)?,
    ];
    let mut selection = selection_of(&loaded, mask.format, &mask.selection);
    selection.mask_resampling = resampling;
    Ok(LoadedInputs {
        image: loaded.image,
        mask: mask.mask,
        inputs,
        selection,
    })
}

/// What the image and one region of a mask resolved to.
fn selection_of(
    loaded: &radx_io::LoadedImage,
    mask_format: radx_io::Format,
    m: &radx_io::MaskSelection,
) -> Selection {
    let series = loaded.series.as_ref();
    let label_map = matches!(mask_format, radx_io::Format::Nifti | radx_io::Format::Nrrd);
    let grid = &loaded.image.grid;
    Selection {
        series_instance_uid: series
            .filter(|s| s.grouping.is_none())
            .map(|s| s.series_uid.clone()),
        image_volume: loaded.volume.map(|v| v.index),
        image_volumes: loaded.volume.map(|v| v.of),
        frame_of_reference_uid: series.and_then(|s| s.frame_of_reference_uid.clone()),
        modality: series.and_then(|s| s.modality.clone()),
        pixel_decoding: series.and_then(|s| s.pixel_decoding()),
        series_grouping: series.and_then(|s| s.grouping.clone()),
        mask_resampling: None,
        roi_name: m.roi_name.clone(),
        roi_number: m.roi_number,
        segment_number: m.segment_number,
        segment_label: m.segment_label.clone(),
        label_value: m.label_value,
        label_rule: label_map.then(|| {
            if m.label_value.is_some() {
                "label".to_string()
            } else {
                "nonzero".to_string()
            }
        }),
        mask_frame_of_reference_uid: m.frame_of_reference_uid.clone(),
        suv: series.and_then(|s| s.suv.clone()),
        image_shape_zyx: Some(grid.shape_zyx),
        image_spacing_zyx_mm: Some(grid.spacing_zyx),
        normalisation: None,
    }
}

/// Reads an image in any supported format (NIfTI, NRRD, a DICOM series folder: detected
/// from the path) with the default series options.
pub fn read_image(path: &Path) -> Result<Image, IoError> {
    radx_io::read_image_any(path, &SeriesOptions::default()).map(|l| l.image)
}

/// [`extract_inputs`] with a label-map selector.
pub fn extract_files(
    image_path: &Path,
    mask_path: &Path,
    selector: MaskSelector,
    settings: &Settings,
    registry: &Registry,
    labels: &CaseLabels,
) -> Result<(FeatureTable, Provenance), PipelineError> {
    extract_inputs(
        image_path,
        mask_path,
        &selector.into(),
        settings,
        registry,
        labels,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cube_case(n: usize) -> (Image, Mask) {
        let grid = radx_core::Grid::new([n; 3], [1.0; 3], [0.0; 3]);
        let image = Image::new(
            grid.clone(),
            ndarray::Array3::from_shape_fn((n, n, n), |(z, y, x)| {
                ((7 * z + 13 * y + 29 * x) % 97) as f64
            }),
        )
        .unwrap();
        let mask = Mask::new(grid, ndarray::Array3::from_elem((n, n, n), true)).unwrap();
        (image, mask)
    }

    fn labels() -> CaseLabels {
        CaseLabels {
            case: "c".into(),
            roi: "r".into(),
            image: "original".into(),
        }
    }

    #[test]
    fn a_dense_texture_matrix_beyond_the_limit_fails_the_case() {
        let (image, mask) = cube_case(8);
        let text = |bins: u32, families: &str| {
            format!(
                "radx_settings = 1\n[features]\nfamilies = [{families}]\n\
                 [discretisation.texture]\nmethod = \"fbn\"\nbins = {bins}\n\
                 [limits]\nmax_matrix_cells = 1000\n"
            )
        };
        let registry = builtin_registry();
        // 32 levels x 27 dependence counts = 864 cells: computed.
        let s = Settings::from_toml_str(&text(32, "\"ngldm\""), "t").unwrap();
        assert!(extract(image.clone(), mask.clone(), &s, &registry, &labels()).is_ok());
        // 64 x 27 = 1728: the case fails, naming the family, the size and the limit.
        let s = Settings::from_toml_str(&text(64, "\"ngldm\""), "t").unwrap();
        let e = extract(image.clone(), mask.clone(), &s, &registry, &labels())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ngldm with texture.ngldm_distance = 1 on 64 texture grey levels")
                && e.contains("needs 1728 matrix cells")
                && e.contains("limits.max_matrix_cells"),
            "{e}"
        );
        // The plugin refuses on its own too (called outside the pipeline).
        let p = prepare(image.clone(), mask.clone(), &s).unwrap();
        let input = FeatureInput {
            roi: &p.roi,
            settings: &s,
            histogram: &p.histogram,
            texture: &p.texture,
            ivh: &p.ivh,
        };
        let r = registry.get("ngldm").unwrap().compute(&input);
        assert!(
            matches!(r, Err(radx_core::PluginError::Failed(ref m)) if m.contains("limits.max_matrix_cells"))
        );
        // Without NGLDM nothing is that large.
        let s = Settings::from_toml_str(&text(64, "\"ngtdm\", \"glcm\""), "t").unwrap();
        assert!(extract(image, mask, &s, &registry, &labels()).is_ok());
    }

    #[test]
    fn the_local_intensity_sphere_is_bounded() {
        let (image, mask) = cube_case(6);
        let registry = builtin_registry();
        let text = "radx_settings = 1\n[features]\nfamilies = [\"local_intensity\"]\n\
                    [limits]\nmax_image_voxels = 2000\n";
        // 1 mm voxels: the 6.2 mm sphere spans 13 x 13 x 13 = 2197 voxels.
        let s = Settings::from_toml_str(text, "t").unwrap();
        let e = extract(image.clone(), mask.clone(), &s, &registry, &labels())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("local_intensity") && e.contains("13 x 13 x 13") && e.contains("2197"),
            "{e}"
        );
        let s = Settings::from_toml_str(&text.replace("2000", "2197"), "t").unwrap();
        assert!(extract(image, mask, &s, &registry, &labels()).is_ok());
    }

    #[test]
    fn provenance_lists_the_families_that_run_only_on_response_maps() {
        let text = r#"radx_settings = 1
[features]
families = ["morphology"]
[filters]
families = ["intensity_stats"]
[[filters.maps]]
type = "mean"
support = 3
"#;
        let settings = Settings::from_toml_str(text, "test").unwrap();
        let p = provenance(&settings, &builtin_registry(), Vec::new());
        let families: Vec<&str> = p.plugins.iter().map(|p| p.family.as_str()).collect();
        assert_eq!(families, ["morphology", "intensity_stats"]);
        // Without maps, only `[features]`.
        let plain = Settings::from_toml_str(
            "radx_settings = 1\n[features]\nfamilies = [\"morphology\"]\n",
            "test",
        )
        .unwrap();
        let p = provenance(&plain, &builtin_registry(), Vec::new());
        assert_eq!(p.plugins.len(), 1);
    }
}
