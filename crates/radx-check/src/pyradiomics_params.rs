//! Translation of a PyRadiomics parameter file (YAML: `setting`, `imageType`, `featureClass`,
//! `voxelSetting`) into a radx settings manifest with PyRadiomics' conventions set
//! (`radx settings import-pyradiomics`).
//!
//! Every key of the file ends up in the [`Import::table`]: either the radx setting it became,
//! or the reason it has no radx equivalent. A key PyRadiomics does not document is an error
//! naming it; nothing is dropped silently. The mapping (written for radx from the PyRadiomics
//! documentation of its customisation keys):
//!
//! | PyRadiomics | radx |
//! | --- | --- |
//! | `binWidth: w` | `[discretisation.histogram]`, `[discretisation.texture]` `fbs` `bin_width = w`, and `[conventions] fbs_origin = "zero"` |
//! | `binCount: n` | `fbn` `bins = n` for histogram and texture |
//! | `resampledPixelSpacing: [x, y, z]` | `[interpolation] spacing_mm` (a 0, "keep this axis", only as `[x, y, 0]` → `in_plane_only`), and `[conventions] grid_alignment = "origin_corner"`, `mask_extrapolation = "zero"` (SimpleITK fills the resampled mask with 0 beyond the image) |
//! | `interpolator` | `image_method` (`sitkNearestNeighbor`/1 → nearest, `sitkLinear`/2 → linear, `sitkBSpline`/3 → cubic_spline); the mask is always nearest neighbour in PyRadiomics → `mask_method = "nearest"` |
//! | `resegmentRange: [a, b]` (`resegmentMode: absolute`) | `[resegmentation] min = a, max = b` |
//! | `resegmentRange: [-k, k]`, `resegmentMode: sigma` | `[resegmentation] outlier_sd = k` |
//! | `force2D: true` (`force2Ddimension: 0`) | `[texture] dimensions = ["2.5D"]` |
//! | `distances: [d]` | `glcm_distance`, `ngtdm_distance`, `ngldm_distance = d` |
//! | `symmetricalGLCM` | `glcm_symmetric` |
//! | `gldm_a` | `ngldm_alpha` |
//! | `voxelArrayShift: c` | `[conventions] energy_shift = c` |
//! | `imageType: LoG: {sigma: [...]}` | one `[[filters.maps]]` `log` per sigma (3D, mirror boundary) |
//! | `imageType: Wavelet: {wavelet, start_level, level}` | the 8 undecimated sub-bands of each level, `periodic` boundary |
//! | `featureClass` | `[features] families` (`firstorder` → intensity_stats + intensity_histogram, `shape` → morphology, `gldm` → ngldm, ...) |
//!
//! The file's texture settings are PyRadiomics' defaults where it says nothing: bin width 25,
//! 3D texture with directions averaged (`3D_avg`, and `3D` for zone matrices), symmetric GLCM,
//! distance 1, `gldm_a = 0`, no resampling, B-spline image interpolation.

use std::collections::BTreeSet;

use radx_core::Settings;
use serde_yaml_ng::Value;
use thiserror::Error;
use toml::Table;

/// Errors of a PyRadiomics parameter import; each names the file.
#[derive(Debug, Error)]
pub enum ParamsError {
    #[error("{file}: not a PyRadiomics parameter file: {message}")]
    Yaml { file: String, message: String },
    #[error("{file}: unknown PyRadiomics key `{key}` in `{section}` (not a documented customisation key)")]
    UnknownKey {
        file: String,
        section: String,
        key: String,
    },
    #[error("{file}: `{key}`: {message}")]
    BadValue {
        file: String,
        key: String,
        message: String,
    },
    #[error("{file}: the translated manifest is refused by radx: {message}")]
    Settings { file: String, message: String },
}

/// One line of the mapping table.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedKey {
    /// The PyRadiomics key, as `section.key` (e.g. `setting.binWidth`).
    pub key: String,
    /// The value as written in the file (YAML, one line).
    pub value: String,
    /// The radx settings it became (`; `-separated), empty when none.
    pub radx: String,
    /// Why it has no radx equivalent (empty when it has one).
    pub reason: String,
}

/// The outcome of an import.
#[derive(Debug, Clone)]
pub struct Import {
    /// The radx settings (validated).
    pub settings: Settings,
    /// One line per key of the file, in file order.
    pub table: Vec<MappedKey>,
}

impl Import {
    /// The manifest text: a header naming the source, then the canonical form.
    pub fn manifest(&self, source: &str) -> String {
        format!(
            "# Translated by `radx settings import-pyradiomics` from {source}\n# with PyRadiomics' conventions; keys without a radx equivalent are listed by the command.\n{}",
            self.settings.manifest()
        )
    }

    /// The mapping table as aligned text columns.
    pub fn table_text(&self) -> String {
        let mut out = String::from("pyradiomics key\tvalue\tradx setting\tno equivalent because\n");
        for m in &self.table {
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                m.key,
                m.value,
                if m.radx.is_empty() { "-" } else { &m.radx },
                if m.reason.is_empty() { "-" } else { &m.reason }
            ));
        }
        out
    }
}

const SETTING_KEYS: &[&str] = &[
    "binWidth",
    "binCount",
    "resampledPixelSpacing",
    "interpolator",
    "padDistance",
    "label",
    "label_channel",
    "resegmentRange",
    "resegmentMode",
    "resegmentShape",
    "normalize",
    "normalizeScale",
    "removeOutliers",
    "force2D",
    "force2Ddimension",
    "distances",
    "symmetricalGLCM",
    "weightingNorm",
    "gldm_a",
    "voxelArrayShift",
    "minimumROIDimensions",
    "minimumROISize",
    "preCrop",
    "correctMask",
    "geometryTolerance",
    "additionalInfo",
    "enableCExtensions",
    "sigma",
    "wavelet",
    "start_level",
    "level",
    "lbp2DRadius",
    "lbp2DSamples",
    "lbp2DMethod",
    "lbp3DLevels",
    "lbp3DIcosphereRadius",
    "lbp3DIcosphereSubdivision",
    "gradientUseSpacing",
];

const IMAGE_TYPES: &[&str] = &[
    "Original",
    "LoG",
    "Wavelet",
    "Square",
    "SquareRoot",
    "Logarithm",
    "Exponential",
    "Gradient",
    "LBP2D",
    "LBP3D",
];

const VOXEL_KEYS: &[&str] = &["kernelRadius", "maskedKernel", "initValue", "voxelBatch"];

fn one_line(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Sequence(s) => format!(
            "[{}]",
            s.iter().map(one_line).collect::<Vec<_>>().join(", ")
        ),
        Value::Mapping(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", one_line(k), one_line(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Tagged(t) => one_line(&t.value),
    }
}

struct Builder<'a> {
    file: &'a str,
    doc: Table,
    table: Vec<MappedKey>,
    families: Vec<&'static str>,
    wavelet: String,
    wavelet_levels: (i64, i64),
    log_sigmas: Vec<f64>,
    image_types: BTreeSet<String>,
}

impl<'a> Builder<'a> {
    fn bad(&self, key: &str, message: impl Into<String>) -> ParamsError {
        ParamsError::BadValue {
            file: self.file.into(),
            key: key.into(),
            message: message.into(),
        }
    }

    fn map(&mut self, key: &str, v: &Value, radx: &str) {
        self.table.push(MappedKey {
            key: key.into(),
            value: one_line(v),
            radx: radx.into(),
            reason: String::new(),
        });
    }

    fn none(&mut self, key: &str, v: &Value, reason: &str) {
        self.table.push(MappedKey {
            key: key.into(),
            value: one_line(v),
            radx: String::new(),
            reason: reason.into(),
        });
    }

    fn section(&mut self, name: &str) -> &mut Table {
        let mut t = &mut self.doc;
        for part in name.split('.') {
            t = t
                .entry(part.to_string())
                .or_insert_with(|| toml::Value::Table(Table::new()))
                .as_table_mut()
                .expect("a table");
        }
        t
    }

    fn set(&mut self, section: &str, key: &str, v: toml::Value) {
        self.section(section).insert(key.into(), v);
    }

    fn number(&self, key: &str, v: &Value) -> Result<f64, ParamsError> {
        v.as_f64()
            .ok_or_else(|| self.bad(key, format!("expected a number, got {}", one_line(v))))
    }

    fn integer(&self, key: &str, v: &Value) -> Result<i64, ParamsError> {
        v.as_i64()
            .ok_or_else(|| self.bad(key, format!("expected an integer, got {}", one_line(v))))
    }

    fn boolean(&self, key: &str, v: &Value) -> Result<bool, ParamsError> {
        v.as_bool()
            .ok_or_else(|| self.bad(key, format!("expected true or false, got {}", one_line(v))))
    }

    fn numbers(&self, key: &str, v: &Value) -> Result<Vec<f64>, ParamsError> {
        match v {
            Value::Sequence(s) => s.iter().map(|x| self.number(key, x)).collect(),
            _ => Ok(vec![self.number(key, v)?]),
        }
    }

    /// One `setting` key (also used for the settings given inside an image type).
    fn setting(
        &mut self,
        section: &str,
        key: &str,
        v: &Value,
        all: &serde_yaml_ng::Mapping,
    ) -> Result<(), ParamsError> {
        let k = format!("{section}.{key}");
        let get = |name: &str| all.get(Value::String(name.into()));
        match key {
            "binWidth" => {
                if v.is_null() {
                    {
                    self.none(&k, v, "null: PyRadiomics' default bin width 25 applies (set below)");
                    return Ok(());
                }
                }
                let w = self.number(&k, v)?;
                if get("binCount").is_some_and(|c| !c.is_null()) {
                    {
                    self.none(&k, v, "binCount is given too; PyRadiomics then ignores binWidth");
                    return Ok(());
                }
                }
                self.fbs(w);
                self.map(&k, v, "discretisation.{histogram,texture} = fbs, bin_width; conventions.fbs_origin = \"zero\"");
            }
            "binCount" => {
                if v.is_null() {
                    {
                    self.none(&k, v, "null: fixed bin width is used");
                    return Ok(());
                }
                }
                let n = self.integer(&k, v)?;
                if n < 1 {
                    return Err(self.bad(&k, format!("must be at least 1, got {n}")));
                }
                for s in ["discretisation.histogram", "discretisation.texture"] {
                    self.section(s).clear();
                    self.set(s, "method", "fbn".into());
                    self.set(s, "bins", toml::Value::Integer(n));
                }
                self.map(&k, v, "discretisation.{histogram,texture} = fbn, bins");
            }
            "resampledPixelSpacing" => {
                if v.is_null() {
                    {
                    self.map(&k, v, "interpolation.spacing_mm absent (no resampling)");
                    return Ok(());
                }
                }
                let sp = self.numbers(&k, v)?;
                if sp.len() != 3 || sp.iter().any(|&s| s < 0.0) {
                    return Err(self.bad(&k, format!("expected [x, y, z] spacings >= 0, got {}", one_line(v))));
                }
                if sp[0] == 0.0 || sp[1] == 0.0 {
                    {
                    self.none(&k, v, "a 0 in-plane spacing (keep the original x or y spacing) has no radx form");
                    return Ok(());
                }
                }
                let z = if sp[2] == 0.0 {
                    self.set("interpolation", "in_plane_only", true.into());
                    sp[0]
                } else {
                    sp[2]
                };
                let arr = toml::Value::Array(vec![sp[0].into(), sp[1].into(), z.into()]);
                self.set("interpolation", "spacing_mm", arr);
                self.map(
                    &k,
                    v,
                    if sp[2] == 0.0 {
                        "interpolation.spacing_mm, in_plane_only = true"
                    } else {
                        "interpolation.spacing_mm"
                    },
                );
            }
            "interpolator" => {
                let m = match v {
                    Value::String(s) => s.as_str().to_string(),
                    Value::Number(n) => n.to_string(),
                    _ => String::new(),
                };
                let method = match m.as_str() {
                    "sitkNearestNeighbor" | "1" => "nearest",
                    "sitkLinear" | "2" => "linear",
                    "sitkBSpline" | "3" => "cubic_spline",
                    "sitkGaussian" | "sitkLabelGaussian" | "sitkHammingWindowedSinc"
                    | "sitkCosineWindowedSinc" | "sitkWelchWindowedSinc" | "sitkLanczosWindowedSinc"
                    | "sitkBlackmanWindowedSinc" | "4" | "5" | "6" | "7" | "8" | "9" | "10" => {
                        {
                    self.none(&k, v, "radx interpolates with nearest, linear, cubic convolution or cubic spline only");
                    return Ok(());
                }
                    }
                    _ => return Err(self.bad(&k, format!("unknown SimpleITK interpolator {}", one_line(v)))),
                };
                self.set("interpolation", "image_method", method.into());
                self.map(&k, v, &format!("interpolation.image_method = \"{method}\""));
            }
            "padDistance" => self.none(&k, v, "radx keeps its own margin around the ROI when resampling (no effect on values with the interpolators radx has)"),
            "label" => self.none(&k, v, "the ROI label is chosen per case (cohort CSV / extract options), not in the manifest"),
            "label_channel" => self.none(&k, v, "radx masks are single-channel"),
            "resegmentRange" => {
                if v.is_null() {
                    {
                    self.map(&k, v, "no re-segmentation");
                    return Ok(());
                }
                }
                let r = self.numbers(&k, v)?;
                let mode = get("resegmentMode").and_then(|m| m.as_str()).unwrap_or("absolute");
                match (mode, r.as_slice()) {
                    ("absolute", [a]) => {
                        self.set("resegmentation", "min", (*a).into());
                        self.map(&k, v, "resegmentation.min");
                    }
                    ("absolute", [a, b]) => {
                        self.set("resegmentation", "min", (*a).into());
                        self.set("resegmentation", "max", (*b).into());
                        self.map(&k, v, "resegmentation.min, max");
                    }
                    ("sigma", [a, b]) if *a == -*b && *b > 0.0 => {
                        self.set("resegmentation", "outlier_sd", (*b).into());
                        self.map(&k, v, "resegmentation.outlier_sd");
                    }
                    ("sigma", _) => self.none(&k, v, "radx's outlier re-segmentation is symmetric (mean ± k sd): only [-k, k] translates"),
                    ("relative", _) => self.none(&k, v, "radx has no re-segmentation relative to the ROI maximum"),
                    _ => return Err(self.bad(&k, format!("expected [min] or [min, max] with resegmentMode absolute, relative or sigma, got {} ({mode})", one_line(v)))),
                }
            }
            "resegmentMode" => {
                let m = v.as_str().unwrap_or("");
                if !["absolute", "relative", "sigma"].contains(&m) {
                    return Err(self.bad(&k, format!("expected absolute, relative or sigma, got {}", one_line(v))));
                }
                self.map(&k, v, "(with resegmentRange)");
            }
            "resegmentShape" => {
                if self.boolean(&k, v)? {
                    self.none(&k, v, "radx computes morphology on the morphological mask, never re-segmented (IBSI)");
                } else {
                    self.map(&k, v, "(IBSI: morphology on the unresegmented mask)");
                }
            }
            "normalize" => {
                if self.boolean(&k, v)? {
                    // PyRadiomics: z-score over the whole image, before resampling
                    self.set("normalisation", "method", "zscore".into());
                    self.set("normalisation", "within", "image".into());
                    self.map(&k, v, "normalisation.method = \"zscore\", within = \"image\" (radx: population sd)");
                } else {
                    self.map(&k, v, "(no normalisation)");
                }
            }
            "normalizeScale" | "removeOutliers" => {
                let on = get("normalize").and_then(|n| n.as_bool()).unwrap_or(false);
                if !on {
                    self.none(&k, v, "unused: normalize is off");
                } else if v.is_null() {
                    self.map(&k, v, "(normalisation without it)");
                } else {
                    let x = self.number(&k, v)?;
                    if !(x.is_finite() && x > 0.0) {
                        return Err(self.bad(&k, format!("expected a number > 0, got {}", one_line(v))));
                    }
                    let (key, text) = if k.ends_with("normalizeScale") {
                        ("scale", "normalisation.scale (z multiplied by it)")
                    } else {
                        ("clip_sd", "normalisation.clip_sd (z limited to ± it before the scale)")
                    };
                    self.set("normalisation", key, x.into());
                    self.map(&k, v, text);
                }
            }
            "force2D" => {
                if self.boolean(&k, v)? {
                    let dim = get("force2Ddimension").map(|d| self.integer("setting.force2Ddimension", d)).transpose()?.unwrap_or(0);
                    if dim != 0 {
                        {
                    self.none(&k, v, "radx computes 2D texture in axial slices only (force2Ddimension 0)");
                    return Ok(());
                }
                    }
                    self.set("texture", "dimensions", toml::Value::Array(vec!["2.5D".into()]));
                    self.map(&k, v, "texture.dimensions = [\"2.5D\"] (in-plane matrices merged over slices)");
                } else {
                    self.map(&k, v, "texture.dimensions = [\"3D\"]");
                }
            }
            "force2Ddimension" => {
                let d = self.integer(&k, v)?;
                if !(0..=2).contains(&d) {
                    return Err(self.bad(&k, format!("expected 0, 1 or 2, got {d}")));
                }
                self.map(&k, v, "(with force2D)");
            }
            "distances" => {
                let d = self.numbers(&k, v)?;
                if d.len() != 1 || d[0] < 1.0 || d[0].fract() != 0.0 {
                    {
                    self.none(&k, v, "radx uses one integer distance per matrix");
                    return Ok(());
                }
                }
                let d = d[0] as i64;
                for key in ["glcm_distance", "ngtdm_distance", "ngldm_distance"] {
                    self.set("texture", key, toml::Value::Integer(d));
                }
                self.map(&k, v, "texture.glcm_distance, ngtdm_distance, ngldm_distance");
            }
            "symmetricalGLCM" => {
                let b = self.boolean(&k, v)?;
                self.set("texture", "glcm_symmetric", b.into());
                self.map(&k, v, "texture.glcm_symmetric");
            }
            "weightingNorm" => {
                if v.is_null() {
                    self.map(&k, v, "(no distance weighting)");
                } else {
                    self.none(&k, v, "radx does not weight GLCM/GLRLM directions by distance");
                }
            }
            "gldm_a" => {
                let a = self.integer(&k, v)?;
                if a < 0 {
                    return Err(self.bad(&k, format!("must be >= 0, got {a}")));
                }
                self.set("texture", "ngldm_alpha", toml::Value::Integer(a));
                self.map(&k, v, "texture.ngldm_alpha");
            }
            "voxelArrayShift" => {
                let c = self.number(&k, v)?;
                self.set("conventions", "energy_shift", c.into());
                self.map(&k, v, "conventions.energy_shift");
            }
            "minimumROIDimensions" | "minimumROISize" => self.none(&k, v, "a PyRadiomics pre-check only; radx reports features undefined for a too small ROI with the reason"),
            "preCrop" => self.none(&k, v, "performance only; radx always works on a crop"),
            "correctMask" => self.none(&k, v, "radx requires the mask on the image grid (no mask resampling onto the image)"),
            "geometryTolerance" => self.none(&k, v, "radx checks image and mask geometry with its own tolerance"),
            "additionalInfo" => self.none(&k, v, "radx always writes provenance"),
            "enableCExtensions" => self.none(&k, v, "no effect on values"),
            "sigma" => {
                self.log_sigmas = self.numbers(&k, v)?;
                self.map(&k, v, "filters.maps (log, sigma_mm), with imageType LoG");
            }
            "wavelet" => {
                self.wavelet = v.as_str().ok_or_else(|| self.bad(&k, "expected a wavelet name"))?.to_string();
                self.map(&k, v, "filters.maps (wavelet family), with imageType Wavelet");
            }
            "start_level" => {
                self.wavelet_levels.0 = self.integer(&k, v)?;
                self.map(&k, v, "filters.maps (wavelet level), with imageType Wavelet");
            }
            "level" => {
                self.wavelet_levels.1 = self.integer(&k, v)?;
                self.map(&k, v, "filters.maps (wavelet level), with imageType Wavelet");
            }
            "lbp2DRadius" | "lbp2DSamples" | "lbp2DMethod" | "lbp3DLevels" | "lbp3DIcosphereRadius" | "lbp3DIcosphereSubdivision" => {
                self.none(&k, v, "radx has no local binary pattern filter")
            }
            "gradientUseSpacing" => self.none(&k, v, "radx has no gradient-magnitude filter"),
            _ => {
                return Err(ParamsError::UnknownKey {
                    file: self.file.into(),
                    section: section.into(),
                    key: key.into(),
                })
            }
        }
        Ok(())
    }

    fn fbs(&mut self, w: f64) {
        for s in ["discretisation.histogram", "discretisation.texture"] {
            self.section(s).clear();
            self.set(s, "method", "fbs".into());
            self.set(s, "bin_width", w.into());
        }
        self.set("conventions", "fbs_origin", "zero".into());
    }
}

/// Translates the PyRadiomics parameter file `text` (named `file` in errors).
pub fn import_pyradiomics_params(text: &str, file: &str) -> Result<Import, ParamsError> {
    let root: Value = serde_yaml_ng::from_str(text).map_err(|e| ParamsError::Yaml {
        file: file.into(),
        message: e.to_string(),
    })?;
    let root = match root {
        Value::Null => serde_yaml_ng::Mapping::new(),
        Value::Mapping(m) => m,
        other => {
            return Err(ParamsError::Yaml {
                file: file.into(),
                message: format!("the top level must be a mapping, got {}", one_line(&other)),
            })
        }
    };
    let mut b = Builder {
        file,
        doc: Table::new(),
        table: Vec::new(),
        families: Vec::new(),
        wavelet: "coif1".into(),
        wavelet_levels: (0, 1),
        log_sigmas: Vec::new(),
        image_types: BTreeSet::new(),
    };
    // PyRadiomics defaults that differ from radx's.
    b.doc
        .insert("radx_settings".into(), toml::Value::Integer(1));
    b.fbs(25.0);
    b.set("interpolation", "image_method", "cubic_spline".into());
    b.set("interpolation", "mask_method", "nearest".into());
    b.set("conventions", "grid_alignment", "origin_corner".into());
    b.set("conventions", "mask_extrapolation", "zero".into());
    b.set(
        "texture",
        "dimensions",
        toml::Value::Array(vec!["3D".into()]),
    );
    b.set(
        "texture",
        "direction_merging",
        toml::Value::Array(vec!["avg".into()]),
    );
    b.set("discretisation.ivh", "method", "fbs".into());

    let empty = serde_yaml_ng::Mapping::new();
    let mapping_of = |section: &str, v: &Value| -> Result<serde_yaml_ng::Mapping, ParamsError> {
        match v {
            Value::Null => Ok(serde_yaml_ng::Mapping::new()),
            Value::Mapping(m) => Ok(m.clone()),
            other => Err(ParamsError::BadValue {
                file: file.into(),
                key: section.into(),
                message: format!("expected a mapping, got {}", one_line(other)),
            }),
        }
    };
    let key_name = |k: &Value| {
        k.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| one_line(k))
    };
    for (k, _) in root.iter() {
        let name = key_name(k);
        if !["setting", "imageType", "featureClass", "voxelSetting"].contains(&name.as_str()) {
            return Err(ParamsError::UnknownKey {
                file: file.into(),
                section: "(top level)".into(),
                key: name,
            });
        }
    }
    let get = |name: &str| root.get(Value::String(name.into()));
    let settings = get("setting")
        .map(|v| mapping_of("setting", v))
        .transpose()?
        .unwrap_or_default();
    for (k, v) in settings.iter() {
        let name = key_name(k);
        if !SETTING_KEYS.contains(&name.as_str()) {
            return Err(ParamsError::UnknownKey {
                file: file.into(),
                section: "setting".into(),
                key: name,
            });
        }
        b.setting("setting", &name, v, &settings)?;
    }
    // The IVH follows the histogram's bin width (PyRadiomics has no IVH; keep it defined).
    let hist = b.section("discretisation.histogram").clone();
    *b.section("discretisation.ivh") = hist;

    let image_types = match get("imageType") {
        None => {
            let mut m = serde_yaml_ng::Mapping::new();
            m.insert(
                Value::String("Original".into()),
                Value::Mapping(empty.clone()),
            );
            m
        }
        Some(v) => mapping_of("imageType", v)?,
    };
    for (k, v) in image_types.iter() {
        let name = key_name(k);
        let key = format!("imageType.{name}");
        if !IMAGE_TYPES.contains(&name.as_str()) {
            return Err(ParamsError::UnknownKey {
                file: file.into(),
                section: "imageType".into(),
                key: name,
            });
        }
        let custom = mapping_of(&key, v)?;
        b.image_types.insert(name.clone());
        match name.as_str() {
            "Original" => b.map(&key, v, "the original image (always computed)"),
            "LoG" => b.map(&key, v, "filters.maps type = \"log\""),
            "Wavelet" => b.map(&key, v, "filters.maps type = \"wavelet\""),
            "Square" | "SquareRoot" | "Logarithm" | "Exponential" => b.none(
                &key,
                v,
                "radx has no point-wise intensity transform image type",
            ),
            "Gradient" => b.none(&key, v, "radx has no gradient-magnitude filter"),
            _ => b.none(&key, v, "radx has no local binary pattern filter"),
        }
        for (ck, cv) in custom.iter() {
            let cname = key_name(ck);
            if !SETTING_KEYS.contains(&cname.as_str()) {
                return Err(ParamsError::UnknownKey {
                    file: file.into(),
                    section: key.clone(),
                    key: cname,
                });
            }
            let ckey = format!("{key}.{cname}");
            match (name.as_str(), cname.as_str()) {
                ("LoG", "sigma") | ("Wavelet", "wavelet" | "start_level" | "level") => {
                    b.setting(&key, &cname, cv, &custom)?
                }
                ("Original", _) => b.setting(&key, &cname, cv, &custom)?,
                _ => b.none(&ckey, cv, "per-image-type settings other than the filter's own parameters are not translated (radx uses one [filters] section for every response map)"),
            }
        }
    }
    // Response maps.
    let mut maps = Vec::new();
    if b.image_types.contains("LoG") {
        if b.log_sigmas.is_empty() {
            return Err(b.bad(
                "imageType.LoG",
                "no sigma given (PyRadiomics computes no LoG map then)",
            ));
        }
        for &s in &b.log_sigmas {
            let mut m = Table::new();
            m.insert("type".into(), "log".into());
            m.insert("sigma_mm".into(), s.into());
            m.insert("dimensions".into(), "3d".into());
            m.insert("boundary".into(), "mirror".into());
            maps.push(toml::Value::Table(m));
        }
    }
    if b.image_types.contains("Wavelet") {
        let (start, levels) = b.wavelet_levels;
        for lvl in start + 1..=start + levels.max(1) {
            for sub in ["LLH", "LHL", "LHH", "HLL", "HLH", "HHL", "HHH", "LLL"] {
                let mut m = Table::new();
                m.insert("type".into(), "wavelet".into());
                m.insert("family".into(), b.wavelet.clone().into());
                m.insert("subband".into(), sub.into());
                m.insert("level".into(), toml::Value::Integer(lvl));
                m.insert("dimensions".into(), "3d".into());
                m.insert("boundary".into(), "periodic".into());
                maps.push(toml::Value::Table(m));
            }
        }
    }

    // Feature classes.
    let classes = get("featureClass")
        .map(|v| mapping_of("featureClass", v))
        .transpose()?;
    let classes: Vec<(String, Value)> = match classes {
        None => [
            "shape",
            "firstorder",
            "glcm",
            "glrlm",
            "glszm",
            "gldm",
            "ngtdm",
        ]
        .iter()
        .map(|c| (c.to_string(), Value::Null))
        .collect(),
        Some(m) => m.iter().map(|(k, v)| (key_name(k), v.clone())).collect(),
    };
    for (name, v) in &classes {
        let key = format!("featureClass.{name}");
        let fams: &[&'static str] = match name.as_str() {
            "shape" => &["morphology"],
            "firstorder" => &["intensity_stats", "intensity_histogram"],
            "glcm" => &["glcm"],
            "glrlm" => &["glrlm"],
            "glszm" => &["glszm"],
            "gldm" => &["ngldm"],
            "ngtdm" => &["ngtdm"],
            "shape2D" => {
                b.none(&key, v, "radx computes morphology in 3D only");
                continue;
            }
            _ => {
                return Err(ParamsError::UnknownKey {
                    file: file.into(),
                    section: "featureClass".into(),
                    key: name.clone(),
                })
            }
        };
        b.families.extend_from_slice(fams);
        let selected = matches!(v, Value::Sequence(s) if !s.is_empty());
        b.map(
            &key,
            v,
            &format!(
                "features.families += {}{}",
                fams.join(", "),
                if selected {
                    " (radx computes the whole family; select columns afterwards)"
                } else {
                    ""
                }
            ),
        );
    }

    // voxelSetting: voxel-based extraction.
    if let Some(v) = get("voxelSetting") {
        let vs = mapping_of("voxelSetting", v)?;
        for (k, v) in vs.iter() {
            let name = key_name(k);
            if !VOXEL_KEYS.contains(&name.as_str()) {
                return Err(ParamsError::UnknownKey {
                    file: file.into(),
                    section: "voxelSetting".into(),
                    key: name,
                });
            }
            b.none(&format!("voxelSetting.{name}"), v, "voxel-based maps are `radx maps`, with their own options (kernel radius on the command line)");
        }
    }

    let mut families: Vec<String> = Vec::new();
    for f in radx_core::settings::BUILTIN_FAMILIES {
        if b.families.contains(f) {
            families.push(f.to_string());
        }
    }
    if families.is_empty() {
        return Err(b.bad("featureClass", "no feature class radx can compute"));
    }
    b.set(
        "features",
        "families",
        toml::Value::Array(families.iter().map(|f| f.as_str().into()).collect()),
    );
    if !maps.is_empty() {
        let filter_families: Vec<toml::Value> = families
            .iter()
            .filter(|f| f.as_str() != "morphology")
            .map(|f| f.as_str().into())
            .collect();
        let disc = b.section("discretisation").clone();
        let f = b.section("filters");
        f.insert("families".into(), toml::Value::Array(filter_families));
        let mut d = disc;
        d.remove("ivh");
        f.insert("discretisation".into(), toml::Value::Table(d));
        f.insert("maps".into(), toml::Value::Array(maps));
    }
    let toml_text = toml::to_string(&b.doc).expect("a TOML table serialises");
    // radx_settings must be the first key: toml writes plain keys before tables.
    let settings =
        Settings::from_toml_str(&toml_text, file).map_err(|e| ParamsError::Settings {
            file: file.into(),
            message: e.to_string(),
        })?;
    Ok(Import {
        settings,
        table: b.table,
    })
}
