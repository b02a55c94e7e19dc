//! One case, from files to a feature table with provenance: read -> processing chain ->
//! every selected feature plugin -> table rows. Also the registry of built-in plugins.

use std::path::Path;

use radx_core::provenance::InputRecord;
use radx_core::{
    FeatureInput, FeatureRow, FeatureTable, FeatureValue, Image, Mask, Platform, PluginInfo,
    PluginOrigin, PluginRecord, Provenance, Registry, Settings, RADX_VERSION,
};
pub use radx_dicom::{RoiSelector, SeriesOptions};
use radx_io::{IoError, MaskSelector};
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
                .map(|v| {
                    let def = info.features.iter().find(|f| f.name == v.name);
                    let agg = v.aggregation.clone().unwrap_or_default();
                    let tag = if agg.is_empty() {
                        format!("{}_{}", info.prefix, v.name)
                    } else {
                        format!("{}_{}_{}", info.prefix, v.name, agg)
                    };
                    FeatureRow {
                        case: labels.case.clone(),
                        roi: labels.roi.clone(),
                        image: labels.image.clone(),
                        family: info.family.clone(),
                        feature: v.name,
                        ibsi_id: def.map(|d| d.ibsi_id.clone()).unwrap_or_default(),
                        aggregation: agg,
                        tag,
                        unit: def.map(|d| d.unit.clone()).unwrap_or_default(),
                        value: v.value,
                        missing_reason: v.missing_reason,
                    }
                })
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

/// A provenance record for a run on these inputs.
pub fn provenance(
    settings: &Settings,
    registry: &Registry,
    inputs: Vec<InputRecord>,
) -> Provenance {
    Provenance {
        radx_version: RADX_VERSION.to_string(),
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
                }
            })
            .collect(),
        platform: Platform::current(),
        threads: rayon::current_num_threads(),
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

/// sha256 of an input: of the file's bytes, or for a folder (a DICOM series) of the
/// lines `<file name> <sha256>` of its files in name order.
pub fn hash_input(path: &Path) -> Result<String, IoError> {
    if !path.is_dir() {
        return radx_io::sha256_file(path);
    }
    let mut files: Vec<_> = std::fs::read_dir(path)
        .map_err(|e| IoError::Read {
            path: path.into(),
            message: e.to_string(),
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut listing = String::new();
    for f in &files {
        listing.push_str(&format!(
            "{} {}\n",
            f.file_name().unwrap_or_default().to_string_lossy(),
            radx_io::sha256_file(f)?
        ));
    }
    Ok(radx_core::settings::hex(&sha2_digest(listing.as_bytes())))
}

fn sha2_digest(bytes: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).to_vec()
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
    let (image, mask, inputs) = load_inputs(image_path, mask_path, options)?;
    let table = extract(image, mask, settings, registry, labels).map_err(|source| {
        PipelineError::Process {
            image: image_path.display().to_string(),
            mask: mask_path.display().to_string(),
            source,
        }
    })?;
    Ok((table, provenance(settings, registry, inputs)))
}

/// Reads an image and its mask (any supported format, detected from the path) and hashes
/// both files: the inputs of one case, with their provenance records.
pub fn load_inputs(
    image_path: &Path,
    mask_path: &Path,
    options: &InputOptions,
) -> Result<(Image, Mask, Vec<InputRecord>), PipelineError> {
    let loaded = radx_dicom::read_image_any(image_path, &options.series)?;
    let mask = radx_dicom::read_mask_any(mask_path, &loaded.mask_target(), &options.roi)?;
    let inputs = vec![
        InputRecord {
            role: "image".into(),
            path: image_path.display().to_string(),
            sha256: hash_input(image_path)?,
        },
        InputRecord {
            role: "mask".into(),
            path: mask_path.display().to_string(),
            sha256: hash_input(mask_path)?,
        },
    ];
    Ok((loaded.image, mask, inputs))
}

/// Reads an image in any supported format (NIfTI, NRRD, a DICOM series folder: detected
/// from the path) with the default series options.
pub fn read_image(path: &Path) -> Result<Image, IoError> {
    radx_dicom::read_image_any(path, &SeriesOptions::default()).map(|l| l.image)
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
