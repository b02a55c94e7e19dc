//! Import of PyRadiomics' batch CSV output into radx long values, through the mapping
//! table `reference-data/pyradiomics-mapping.toml`.
//!
//! PyRadiomics' batch mode writes one row per case: the input columns (`Image`, `Mask`,
//! optionally an id column and `Label`), `diagnostics_*` columns, and one column per feature
//! named `<image type>_<class>_<Feature>` (`original_firstorder_Mean`,
//! `log-sigma-1-0-mm-3D_glcm_Contrast`). Each feature column becomes one radx
//! [`LongValue`] per case:
//!
//! * **image**: `original` stays; `log-sigma-<a>-<b>-mm-3D` becomes radx's canonical LoG
//!   label `log_s<a.b>mm_3d` (same filter family; see the mapping file for the scale
//!   normalisation difference); every other image type (wavelets, square, lbp, ...) keeps
//!   the PyRadiomics name, because no radx filter gives the same values.
//! * **tag, family, IBSI id**: from the mapping entry of (class, feature); the class's
//!   aggregation is appended to the tag (`cm_contrast` → `cm_contrast_3D_avg`).
//! * **value**: `scale * x + offset` with the entry's transform (only kurtosis uses one:
//!   IBSI's excess kurtosis is PyRadiomics' kurtosis − 3). Empty, `nan` or infinite cells are
//!   missing values with a reason.
//! * **case**: from a chosen id column, else derived from the `Image` path (its file name
//!   without the image extensions, or, when those repeat across rows, its folder name).
//! * **roi**: `label_<Label>` (the `Label` column, default 1), as `radx batch` names a
//!   labelled ROI, unless a ROI name is given.
//!
//! Columns without a radx equivalent are listed in [`PyRadiomicsImport::unmapped`] with the
//! reason, never silently dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::compare::{invalid, LongValue};
use crate::reference::CheckError;

/// The project's mapping table, embedded.
pub const MAPPING: &str = include_str!("../../../reference-data/pyradiomics-mapping.toml");

/// PyRadiomics feature classes recognised in column names.
pub const CLASSES: [&str; 8] = [
    "firstorder",
    "shape",
    "shape2D",
    "glcm",
    "glrlm",
    "glszm",
    "gldm",
    "ngtdm",
];

/// Settings of one PyRadiomics feature class.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassEntry {
    /// radx family the class's features belong to (unless an entry overrides it).
    pub family: String,
    /// IBSI aggregation suffix appended to tags (`3D_avg`, `3D`, or empty).
    pub aggregation: String,
    /// Differences common to the class.
    pub note: String,
}

/// One PyRadiomics feature and its radx counterpart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureEntry {
    /// PyRadiomics class (`glcm`).
    pub class: String,
    /// PyRadiomics feature name (`Contrast`).
    pub name: String,
    /// radx tag without aggregation (`cm_contrast`); absent when unmapped.
    #[serde(default)]
    pub tag: Option<String>,
    /// radx family, when it differs from the class's.
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub ibsi_id: Option<String>,
    /// Imported value = `scale * pyradiomics + offset`.
    #[serde(default = "one")]
    pub scale: f64,
    #[serde(default)]
    pub offset: f64,
    /// Known definitional differences.
    #[serde(default)]
    pub note: Option<String>,
    /// Why the feature has no radx equivalent.
    #[serde(default)]
    pub unmapped: Option<String>,
}

fn one() -> f64 {
    1.0
}

/// Rule and note of one image type group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageEntry {
    pub radx: String,
    pub note: String,
}

#[derive(Deserialize)]
struct MappingFile {
    mapping_version: u32,
    pyradiomics_version: String,
    class: BTreeMap<String, ClassEntry>,
    feature: Vec<FeatureEntry>,
    #[serde(default)]
    image: BTreeMap<String, ImageEntry>,
}

/// The mapping table, indexed by (class, feature name).
#[derive(Debug, Clone)]
pub struct Mapping {
    pub mapping_version: u32,
    pub pyradiomics_version: String,
    pub classes: BTreeMap<String, ClassEntry>,
    pub features: BTreeMap<(String, String), FeatureEntry>,
    pub images: BTreeMap<String, ImageEntry>,
}

/// A mapped feature: what one column becomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MappedFeature {
    pub family: String,
    /// radx feature name (the tag without its prefix and aggregation).
    pub feature: String,
    pub tag: String,
    pub ibsi_id: String,
    pub aggregation: String,
    pub scale: f64,
    pub offset: f64,
}

impl Mapping {
    /// The project's mapping (`reference-data/pyradiomics-mapping.toml`).
    pub fn builtin() -> Result<Self, CheckError> {
        Self::from_toml(
            MAPPING,
            Path::new("reference-data/pyradiomics-mapping.toml"),
        )
    }

    /// Reads and checks a mapping table: every entry names a known class, mapped entries
    /// have a tag and an IBSI id and a finite non-zero scale, unmapped entries a reason, and no
    /// (class, feature) appears twice.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, CheckError> {
        let file: MappingFile =
            toml::from_str(text).map_err(|e| invalid(path, format!("mapping: {e}")))?;
        let mut features = BTreeMap::new();
        for f in file.feature {
            let at = format!("feature {}/{}", f.class, f.name);
            if !file.class.contains_key(&f.class) {
                return Err(invalid(path, format!("{at}: class not in [class.*]")));
            }
            match (&f.tag, &f.unmapped) {
                (Some(_), Some(_)) => {
                    return Err(invalid(path, format!("{at}: both `tag` and `unmapped`")))
                }
                (None, None) => {
                    return Err(invalid(path, format!("{at}: needs `tag` or `unmapped`")))
                }
                (Some(_), None) if f.ibsi_id.as_deref().unwrap_or("").is_empty() => {
                    return Err(invalid(path, format!("{at}: mapped without `ibsi_id`")))
                }
                _ => {}
            }
            if !(f.scale.is_finite() && f.scale != 0.0 && f.offset.is_finite()) {
                return Err(invalid(path, format!("{at}: scale/offset not usable")));
            }
            let key = (f.class.clone(), f.name.clone());
            if features.insert(key, f).is_some() {
                return Err(invalid(path, format!("{at}: listed twice")));
            }
        }
        Ok(Mapping {
            mapping_version: file.mapping_version,
            pyradiomics_version: file.pyradiomics_version,
            classes: file.class,
            features,
            images: file.image,
        })
    }

    /// What a (class, feature) becomes: `Ok(mapped)`, or `Err(reason)` when it has no radx
    /// equivalent or is not in the table.
    pub fn map(&self, class: &str, name: &str) -> Result<MappedFeature, String> {
        let entry = self
            .features
            .get(&(class.to_string(), name.to_string()))
            .ok_or_else(|| format!("{class}/{name} is not in the mapping table"))?;
        if let Some(reason) = &entry.unmapped {
            return Err(reason.clone());
        }
        let class_entry = &self.classes[class];
        let base = entry.tag.clone().unwrap_or_default();
        let family = entry
            .family
            .clone()
            .unwrap_or_else(|| class_entry.family.clone());
        let feature = base
            .split_once('_')
            .map_or(base.as_str(), |(_, rest)| rest)
            .to_string();
        let aggregation = class_entry.aggregation.clone();
        let tag = if aggregation.is_empty() {
            base
        } else {
            format!("{base}_{aggregation}")
        };
        Ok(MappedFeature {
            family,
            feature,
            tag,
            ibsi_id: entry.ibsi_id.clone().unwrap_or_default(),
            aggregation,
            scale: entry.scale,
            offset: entry.offset,
        })
    }
}

/// radx image label of a PyRadiomics image type (see the module documentation).
pub fn image_label(image_type: &str) -> String {
    if image_type == "original" {
        return "original".into();
    }
    // log-sigma-<int>-<frac>-mm-<3D|2D>: PyRadiomics writes the sigma with `-` for `.`.
    if let Some(rest) = image_type.strip_prefix("log-sigma-") {
        let parts: Vec<&str> = rest.split('-').collect();
        if parts.len() == 4 && parts[2] == "mm" {
            let dims = match parts[3] {
                "3D" => Some("3d"),
                "2D" => Some("2d"),
                _ => None,
            };
            let sigma = format!("{}.{}", parts[0], parts[1]).parse::<f64>().ok();
            if let (Some(d), Some(s)) = (dims, sigma) {
                if s.is_finite() && s > 0.0 {
                    let t = format!("{s}");
                    let t = t.strip_suffix(".0").unwrap_or(&t);
                    return format!("log_s{t}mm_{d}");
                }
            }
        }
    }
    image_type.to_string()
}

/// How to read a PyRadiomics CSV.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Column holding the case id; `None` derives it from the `Image` column.
    pub id_column: Option<String>,
    /// ROI name for every row; `None`: `label_<Label>` (Label column, default 1).
    pub roi: Option<String>,
}

/// A column that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedColumn {
    pub column: String,
    pub reason: String,
}

/// Result of an import.
#[derive(Debug, Clone, Serialize)]
pub struct PyRadiomicsImport {
    /// Imported values, in row then column order.
    #[serde(skip)]
    pub values: Vec<LongValue>,
    /// Cases in file order.
    pub cases: Vec<String>,
    /// Feature columns imported.
    pub mapped_columns: usize,
    /// Feature columns without a radx equivalent (with the mapping's reason).
    pub unmapped: Vec<SkippedColumn>,
    /// Image types seen, with the radx label they became.
    pub images: BTreeMap<String, String>,
}

/// Strips the image file extensions radx and PyRadiomics read.
fn image_stem(path: &str) -> (String, String) {
    let p = Path::new(path);
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for ext in [".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd", ".dcm"] {
        if let Some(s) = stem.strip_suffix(ext) {
            stem = s;
            break;
        }
    }
    let folder = p
        .parent()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    (stem.to_string(), folder)
}

/// Reads PyRadiomics' batch CSV at `path` into radx long values (the file is read by
/// [`crate::table::read_pyradiomics_table`]: short, long or cut rows are errors naming the
/// line).
pub fn import_pyradiomics(
    path: &Path,
    mapping: &Mapping,
    options: &ImportOptions,
) -> Result<PyRadiomicsImport, CheckError> {
    let table = crate::table::read_pyradiomics_table(path)?;
    import_table(table, path, mapping, options)
}

/// As [`import_pyradiomics`], from the file's text (`path` names it in errors).
pub fn import_pyradiomics_text(
    text: &str,
    path: &Path,
    mapping: &Mapping,
    options: &ImportOptions,
) -> Result<PyRadiomicsImport, CheckError> {
    let table = crate::table::parse_pyradiomics_table(text.as_bytes(), path)?;
    import_table(table, path, mapping, options)
}

fn import_table(
    table: crate::table::CsvTable,
    path: &Path,
    mapping: &Mapping,
    options: &ImportOptions,
) -> Result<PyRadiomicsImport, CheckError> {
    let header = table.header;
    let lines: Vec<u64> = table.rows.iter().map(|r| r.line).collect();
    let rows: Vec<Vec<String>> = table.rows.into_iter().map(|r| r.fields).collect();
    let col = |name: &str| header.iter().position(|h| h == name);

    // Case ids.
    let cases: Vec<String> = match &options.id_column {
        Some(c) => {
            let i = col(c).ok_or_else(|| {
                invalid(
                    path,
                    format!("no id column `{c}`; columns: {}", header.join(", ")),
                )
            })?;
            rows.iter().map(|r| r[i].trim().to_string()).collect()
        }
        None => {
            let i = col("Image").ok_or_else(|| {
                invalid(
                    path,
                    "no `Image` column to derive case ids from; name the id column",
                )
            })?;
            let parts: Vec<(String, String)> = rows.iter().map(|r| image_stem(&r[i])).collect();
            let stems: BTreeSet<&str> = parts.iter().map(|p| p.0.as_str()).collect();
            let folders: BTreeSet<&str> = parts.iter().map(|p| p.1.as_str()).collect();
            if stems.len() == parts.len() {
                parts.into_iter().map(|p| p.0).collect()
            } else if folders.len() == parts.len() {
                parts.into_iter().map(|p| p.1).collect()
            } else {
                return Err(invalid(
                    path,
                    "case ids cannot be derived from the Image paths (neither file names nor folders are unique); name the id column",
                ));
            }
        }
    };
    if let Some((n, _)) = cases.iter().enumerate().find(|(_, c)| c.is_empty()) {
        return Err(invalid(path, format!("line {}: empty case id", lines[n])));
    }
    let label_col = col("Label");
    let rois: Vec<String> = rows
        .iter()
        .map(|r| match (&options.roi, label_col) {
            (Some(roi), _) => roi.clone(),
            (None, Some(i)) if !r[i].trim().is_empty() => format!("label_{}", r[i].trim()),
            _ => "label_1".to_string(),
        })
        .collect();
    {
        let mut seen = BTreeMap::new();
        for (n, (c, r)) in cases.iter().zip(&rois).enumerate() {
            if let Some(first) = seen.insert((c, r), n) {
                return Err(invalid(
                    path,
                    format!(
                        "lines {} and {}: case `{c}` roi `{r}` appears twice",
                        lines[first], lines[n]
                    ),
                ));
            }
        }
    }

    // Feature columns.
    struct Column {
        index: usize,
        image: String,
        mapped: MappedFeature,
    }
    let mut columns = Vec::new();
    let mut unmapped = Vec::new();
    let mut images = BTreeMap::new();
    for (index, name) in header.iter().enumerate() {
        if name.starts_with("diagnostics_") {
            continue;
        }
        let parts: Vec<&str> = name.splitn(3, '_').collect();
        if parts.len() != 3 || !CLASSES.contains(&parts[1]) {
            continue; // input or id column
        }
        let (image_type, class, feature) = (parts[0], parts[1], parts[2]);
        match mapping.map(class, feature) {
            Ok(mapped) => {
                let image = image_label(image_type);
                images.insert(image_type.to_string(), image.clone());
                columns.push(Column {
                    index,
                    image,
                    mapped,
                });
            }
            Err(reason) => unmapped.push(SkippedColumn {
                column: name.clone(),
                reason,
            }),
        }
    }
    if columns.is_empty() {
        return Err(invalid(
            path,
            "no PyRadiomics feature column (`<image type>_<class>_<Feature>`) with a radx equivalent",
        ));
    }

    let mut values = Vec::with_capacity(columns.len() * rows.len());
    for (n, row) in rows.iter().enumerate() {
        for c in &columns {
            let raw = row[c.index].trim();
            let parsed = if raw.is_empty() {
                Err("PyRadiomics wrote no value".to_string())
            } else {
                match raw.parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(c.mapped.scale * x + c.mapped.offset),
                    Ok(_) => Err(format!("PyRadiomics value `{raw}`")),
                    Err(_) => {
                        return Err(invalid(
                            path,
                            format!(
                                "line {}: column `{}`: `{raw}` is not a number",
                                lines[n], header[c.index]
                            ),
                        ))
                    }
                }
            };
            let (value, missing_reason) = match parsed {
                Ok(v) => (Some(v), None),
                Err(r) => (None, Some(r)),
            };
            values.push(LongValue {
                case: cases[n].clone(),
                roi: rois[n].clone(),
                image: c.image.clone(),
                tag: c.mapped.tag.clone(),
                value,
                family: c.mapped.family.clone(),
                feature: c.mapped.feature.clone(),
                ibsi_id: c.mapped.ibsi_id.clone(),
                aggregation: c.mapped.aggregation.clone(),
                unit: String::new(),
                missing_reason,
            });
        }
    }
    // Two columns that become the same (image, tag), e.g. `log-sigma-1-0-mm-3D` and
    // `log-sigma-1-00-mm-3D`, would give one case two values.
    crate::table::check_unique(&values, path)?;
    Ok(PyRadiomicsImport {
        values,
        cases,
        mapped_columns: columns.len(),
        unmapped,
        images,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_mapping_is_complete_and_consistent() {
        let m = Mapping::builtin().unwrap();
        // PyRadiomics 3.x: 19 first-order, 17 shape, 10 shape2D, 24 GLCM, 16 GLRLM,
        // 16 GLSZM, 16 GLDM (with the two deprecated ones), 5 NGTDM.
        let count = |c: &str| m.features.keys().filter(|k| k.0 == c).count();
        assert_eq!(count("firstorder"), 19);
        assert_eq!(count("shape"), 17);
        assert_eq!(count("shape2D"), 10);
        assert_eq!(count("glcm"), 24);
        assert_eq!(count("glrlm"), 16);
        assert_eq!(count("glszm"), 16);
        assert_eq!(count("gldm"), 16);
        assert_eq!(count("ngtdm"), 5);
        // No two PyRadiomics features map onto the same radx tag.
        let mut tags = BTreeSet::new();
        for (c, n) in m.features.keys() {
            if let Ok(f) = m.map(c, n) {
                assert!(tags.insert(f.tag.clone()), "{} mapped twice", f.tag);
                assert_eq!(f.ibsi_id.len(), 4, "{c}/{n}");
            }
        }
        let k = m.map("firstorder", "Kurtosis").unwrap();
        assert_eq!(
            (k.tag.as_str(), k.offset, k.scale),
            ("stat_kurt", -3.0, 1.0)
        );
        let c = m.map("glcm", "Contrast").unwrap();
        assert_eq!(c.tag, "cm_contrast_3D_avg");
        assert_eq!(c.family, "glcm");
        assert_eq!(c.feature, "contrast");
        assert_eq!(
            m.map("gldm", "SmallDependenceEmphasis").unwrap().tag,
            "ngl_lde_3D"
        );
        assert_eq!(
            m.map("firstorder", "Entropy").unwrap().family,
            "intensity_histogram"
        );
        assert!(m.map("glcm", "MCC").is_err());
        assert!(m.map("glcm", "NoSuchFeature").is_err());
    }

    #[test]
    fn mapping_rejects_inconsistent_entries() {
        let base = "mapping_version = 1\npyradiomics_version = \"3\"\n[class.glcm]\nfamily = \"glcm\"\naggregation = \"3D_avg\"\nnote = \"\"\n";
        let p = Path::new("m.toml");
        let both = format!("{base}[[feature]]\nclass = \"glcm\"\nname = \"A\"\ntag = \"cm_a\"\nibsi_id = \"AAAA\"\nunmapped = \"x\"\n");
        assert!(Mapping::from_toml(&both, p).is_err());
        let no_id = format!("{base}[[feature]]\nclass = \"glcm\"\nname = \"A\"\ntag = \"cm_a\"\n");
        assert!(Mapping::from_toml(&no_id, p).is_err());
        let bad_class =
            format!("{base}[[feature]]\nclass = \"glxx\"\nname = \"A\"\nunmapped = \"x\"\n");
        assert!(Mapping::from_toml(&bad_class, p).is_err());
        let twice = format!("{base}[[feature]]\nclass = \"glcm\"\nname = \"A\"\nunmapped = \"x\"\n[[feature]]\nclass = \"glcm\"\nname = \"A\"\nunmapped = \"y\"\n");
        assert!(Mapping::from_toml(&twice, p).is_err());
    }

    #[test]
    fn image_labels() {
        assert_eq!(image_label("original"), "original");
        assert_eq!(image_label("log-sigma-1-0-mm-3D"), "log_s1mm_3d");
        assert_eq!(image_label("log-sigma-2-5-mm-3D"), "log_s2.5mm_3d");
        assert_eq!(image_label("log-sigma-0-5-mm-2D"), "log_s0.5mm_2d");
        assert_eq!(image_label("wavelet-LLH"), "wavelet-LLH");
        assert_eq!(image_label("log-sigma-x-mm-3D"), "log-sigma-x-mm-3D");
        assert_eq!(image_label("squareroot"), "squareroot");
    }

    #[test]
    fn case_ids_from_image_paths() {
        let m = Mapping::builtin().unwrap();
        let p = Path::new("t.csv");
        // Unique file names: the stem.
        let t = "Image,Mask,original_firstorder_Mean\n/d/a.nii.gz,/d/a_m.nii.gz,1\n/d/b.nrrd,/d/b_m.nrrd,2\n";
        let r = import_pyradiomics_text(t, p, &m, &ImportOptions::default()).unwrap();
        assert_eq!(r.cases, ["a", "b"]);
        // Same file name in every folder: the folder.
        let t = "Image,Mask,original_firstorder_Mean\n/d/p1/CT.nii.gz,m,1\n/d/p2/CT.nii.gz,m,2\n";
        let r = import_pyradiomics_text(t, p, &m, &ImportOptions::default()).unwrap();
        assert_eq!(r.cases, ["p1", "p2"]);
        assert_eq!(r.values[0].roi, "label_1");
        // Neither unique: an error asking for the id column.
        let t = "Image,Mask,original_firstorder_Mean\n/d/p1/CT.nii.gz,m,1\n/d/p1/CT.nii.gz,m,2\n";
        let e = import_pyradiomics_text(t, p, &m, &ImportOptions::default()).unwrap_err();
        assert!(e.to_string().contains("id column"), "{e}");
        // A non-numeric feature cell names line and column.
        let t = "ID,original_firstorder_Mean\nx,abc\n";
        let o = ImportOptions {
            id_column: Some("ID".into()),
            roi: None,
        };
        let e = import_pyradiomics_text(t, p, &m, &o)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2") && e.contains("original_firstorder_Mean"),
            "{e}"
        );
    }
}
