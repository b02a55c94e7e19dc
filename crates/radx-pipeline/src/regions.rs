//! Several regions of one case: the image is read once, each mask file once, and the
//! regions (ROIs) are extracted in parallel, their rows concatenated in the order asked
//! ([`load_regions`], [`extract_regions`], [`record_regions`]).

use std::collections::BTreeMap;

use ndarray::Array3;
use std::path::{Path, PathBuf};

use radx_core::provenance::InputRecord;
use radx_core::settings::{DeriveOp, RoiSettings};
use radx_core::{
    DerivationRecord, FeatureTable, Image, Mask, Provenance, RegionRecord, Request, Selection,
};
use radx_core::{Registry, Settings};
use radx_io::{MaskRequest, RoiSelector, SeriesOptions};
use rayon::prelude::*;

use crate::{extract, input_record, selection_of, CaseLabels, PipelineError};

/// One region asked of a case.
#[derive(Debug, Clone, PartialEq)]
pub enum RegionAsk {
    /// One ROI / segment / label of `mask`, its rows labelled `name`.
    One {
        mask: PathBuf,
        selector: RoiSelector,
        name: String,
    },
    /// Every region of `mask` ([`MaskRequest::All`]), each named from the file: the
    /// RTSTRUCT ROIName, the SEG SegmentLabel (`segment_N` when empty), or for a label
    /// map `label_names[N]` (a `labels.csv`), else `label_N`.
    All {
        mask: PathBuf,
        label_names: BTreeMap<i64, String>,
    },
}

impl RegionAsk {
    pub fn mask(&self) -> &Path {
        match self {
            RegionAsk::One { mask, .. } | RegionAsk::All { mask, .. } => mask,
        }
    }
}

/// One region, read.
#[derive(Debug, Clone)]
pub struct LoadedRegion {
    /// The `roi` of its rows.
    pub name: String,
    pub mask: Mask,
    /// What it resolved to (with the image's fields).
    pub selection: Selection,
    /// The mask file it came from.
    pub mask_path: PathBuf,
    /// The selector it was asked with (`None`: it came from [`RegionAsk::All`], or is
    /// derived).
    pub asked: Option<RoiSelector>,
    /// A region derived by `[[roi.derived]]` ([`derive_regions`]): how.
    pub derivation: Option<DerivationRecord>,
}

/// The inputs of a case with several regions.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    pub image: Image,
    /// `image`, then one `mask` input per distinct mask file, each with every file read.
    pub inputs: Vec<InputRecord>,
    /// What the image resolved to (series, SUV, grid), without ROI fields.
    pub image_selection: Selection,
    /// In the order asked ([`RegionAsk::All`] expands in the file's order).
    pub regions: Vec<LoadedRegion>,
}

/// Reads the image once and each distinct mask file once, and resolves every region
/// asked. Two regions with the same name are an error naming it (the table's `roi`
/// must tell them apart).
pub fn load_regions(
    image_path: &Path,
    series: &SeriesOptions,
    asks: &[RegionAsk],
) -> Result<LoadedCase, PipelineError> {
    let loaded = radx_io::read_image_any(image_path, series)?;
    let target = loaded.mask_target();
    let mut inputs = vec![input_record(
        "image",
        image_path,
        &loaded.format.to_string(),
        &loaded.files,
    )?];
    // distinct mask files, in first-asked order
    let mut masks: Vec<&Path> = Vec::new();
    for a in asks {
        if !masks.contains(&a.mask()) {
            masks.push(a.mask());
        }
    }
    let mut per_ask: Vec<Option<Vec<radx_io::LoadedMask>>> = vec![None; asks.len()];
    for m in masks {
        let idx: Vec<usize> = (0..asks.len()).filter(|&i| asks[i].mask() == m).collect();
        let requests: Vec<MaskRequest> = idx
            .iter()
            .map(|&i| match &asks[i] {
                RegionAsk::One { selector, .. } => MaskRequest::One(selector.clone()),
                RegionAsk::All { .. } => MaskRequest::All,
            })
            .collect();
        let got = radx_io::load_masks_any(m, &target, &requests)?;
        let first = got.iter().flatten().next().expect("one region per request");
        inputs.push(input_record(
            "mask",
            m,
            &first.format.to_string(),
            &first.files,
        )?);
        for (i, g) in idx.into_iter().zip(got) {
            per_ask[i] = Some(g);
        }
    }
    let mut regions: Vec<LoadedRegion> = Vec::new();
    for (ask, got) in asks.iter().zip(per_ask) {
        for lm in got.expect("every mask file was read") {
            let name = match ask {
                RegionAsk::One { name, .. } => name.clone(),
                RegionAsk::All { label_names, .. } => {
                    let s = &lm.selection;
                    if let Some(n) = &s.roi_name {
                        n.clone()
                    } else if let Some(n) = s.segment_number {
                        match s.segment_label.as_deref() {
                            Some(l) if !l.trim().is_empty() => l.to_string(),
                            _ => format!("segment_{n}"),
                        }
                    } else if let Some(l) = s.label_value {
                        label_names
                            .get(&l)
                            .cloned()
                            .unwrap_or_else(|| format!("label_{l}"))
                    } else {
                        "nonzero".into()
                    }
                }
            };
            if let Some(other) = regions.iter().find(|r| r.name == name) {
                return Err(PipelineError::DuplicateRegion {
                    name,
                    first: other.mask_path.display().to_string(),
                    second: ask.mask().display().to_string(),
                });
            }
            regions.push(LoadedRegion {
                name,
                selection: selection_of(&loaded, lm.format, &lm.selection),
                mask: lm.mask,
                mask_path: ask.mask().to_path_buf(),
                asked: match ask {
                    RegionAsk::One { selector, .. } => Some(selector.clone()),
                    RegionAsk::All { .. } => None,
                },
                derivation: None,
            });
        }
    }
    let image_selection = selection_of(&loaded, radx_io::Format::DicomSeries, &Default::default());
    Ok(LoadedCase {
        image: loaded.image,
        inputs,
        image_selection,
        regions,
    })
}

/// Extracts every region on the one image: the regions run in parallel on the current
/// rayon pool (each as [`extract`] alone), their rows concatenated in region order, so
/// the table is the same whatever the thread count. The first region (in order) that
/// fails is the error, with its name.
pub fn extract_regions(
    image: &Image,
    regions: &[LoadedRegion],
    settings: &Settings,
    registry: &Registry,
    case: &str,
) -> Result<FeatureTable, (String, radx_process::ProcessError)> {
    let tables: Vec<_> = regions
        .par_iter()
        .map(|r| {
            let labels = CaseLabels {
                case: case.to_string(),
                roi: r.name.clone(),
                image: "original".into(),
            };
            if let Some(d) = r.derivation.as_ref().filter(|d| d.voxels == 0) {
                let reason = format!(
                    "derived region `{}` ({} of `{}`) is empty",
                    d.name, d.op, d.of
                );
                return Ok(crate::missing_table(settings, registry, &labels, &reason));
            }
            extract(image.clone(), r.mask.clone(), settings, registry, &labels)
                .map_err(|e| (r.name.clone(), e))
        })
        .collect();
    let mut out = FeatureTable { rows: Vec::new() };
    for t in tables {
        out.rows.extend(t?.rows);
    }
    Ok(out)
}

/// What a region asked for, as a [`Request`] of `case`.
fn region_request(case: &str, r: &LoadedRegion, base: &Request) -> Request {
    Request {
        case: case.to_string(),
        roi: r.name.clone(),
        label: match &r.asked {
            Some(RoiSelector::Label(l)) => Some(*l),
            _ => None,
        },
        roi_name: match &r.asked {
            Some(RoiSelector::Name(n)) => Some(n.clone()),
            _ => None,
        },
        ..base.clone()
    }
}

/// Writes the regions into a provenance record. One region: `selection` and `request`
/// as for a single-ROI run (`base` with that region's name and selector). Several:
/// `selection` holds the image's fields, `request` is `base` with an empty `roi`, and
/// `regions` lists each region's request and selection in table order.
pub fn record_regions(p: &mut Provenance, case: &LoadedCase, base: &Request) {
    match case.regions.as_slice() {
        [one] => {
            p.selection = Some(one.selection.clone());
            p.request = Some(region_request(&base.case, one, base));
            p.regions.clear();
        }
        many => {
            p.selection = Some(case.image_selection.clone());
            p.request = Some(Request {
                roi: String::new(),
                label: None,
                roi_name: None,
                ..base.clone()
            });
            p.regions = many
                .iter()
                .map(|r| RegionRecord {
                    roi: r.name.clone(),
                    mask: r.mask_path.display().to_string(),
                    request: region_request(&base.case, r, base),
                    all: r.asked.is_none() && r.derivation.is_none(),
                    selection: r.selection.clone(),
                    derivation: r.derivation.clone(),
                })
                .collect();
        }
    }
}

/// Reads a `labels.csv` naming the labels of a label map: a header, then `label,name`
/// rows (a whole number and a non-empty name; each label and each name once).
pub fn read_label_names(path: &Path) -> Result<BTreeMap<i64, String>, PipelineError> {
    let bad = |message: String| {
        PipelineError::Io(radx_io::IoError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    };
    let table = radx_io::read_csv(path, radx_io::CsvOptions::default())?;
    let col = |name: &str| {
        table
            .header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| bad(format!("no `{name}` column (expected columns label,name)")))
    };
    let (li, ni) = (col("label")?, col("name")?);
    let mut out = BTreeMap::new();
    for r in &table.rows {
        let (line, row) = (r.line, &r.fields);
        let l: i64 = row[li].trim().parse().map_err(|_| {
            bad(format!(
                "line {line}: label {:?} is not a whole number",
                row[li]
            ))
        })?;
        let n = row[ni].trim().to_string();
        if n.is_empty() {
            return Err(bad(format!("line {line}: label {l} has an empty name")));
        }
        if out.values().any(|v| v == &n) {
            return Err(bad(format!("line {line}: name {n:?} repeats")));
        }
        if out.insert(l, n).is_some() {
            return Err(bad(format!("line {line}: label {l} repeats")));
        }
    }
    Ok(out)
}

/// Adds the regions `[[roi.derived]]` asks for to a case, after each of its ROIs' own
/// (computed with radx-regions on the image grid as read, before interpolation; the
/// intensity window on the image as read). With one ROI a derived region is named as in
/// the manifest; with several, `<roi>:<name>`. A derived region that comes out empty is
/// kept, with 0 voxels: its features are missing with a reason ([`extract_regions`]).
pub fn derive_regions(case: &mut LoadedCase, roi: &RoiSettings) {
    if roi.derived.is_empty() {
        return;
    }
    let spacing = case.image.grid.spacing_zyx;
    let voxel_mm3 = spacing.iter().product::<f64>();
    let several = case.regions.len() > 1;
    let mut out = Vec::new();
    for base in std::mem::take(&mut case.regions) {
        let mut made: Vec<(String, Array3<bool>)> = vec![("roi".into(), base.mask.data.clone())];
        let table_name = |n: &str| -> String {
            if n == "roi" {
                base.name.clone()
            } else if several {
                format!("{}:{n}", base.name)
            } else {
                n.to_string()
            }
        };
        let mut derived = Vec::new();
        for d in &roi.derived {
            let get = |n: &str| {
                &made
                    .iter()
                    .find(|(m, _)| m == n)
                    .expect("validated: an earlier region")
                    .1
            };
            let of = get(&d.of);
            let with = d.with.as_deref().map(get);
            let mask = match d.op {
                DeriveOp::Dilate => radx_regions::dilate(of, d.r_mm.unwrap_or(0.0), spacing),
                DeriveOp::Erode => radx_regions::erode(of, d.r_mm.unwrap_or(0.0), spacing),
                DeriveOp::Ring => radx_regions::outer_ring(
                    of,
                    d.r1_mm.unwrap_or(0.0),
                    d.r2_mm.unwrap_or(0.0),
                    spacing,
                ),
                DeriveOp::Rim => radx_regions::inner_rim(of, d.r_mm.unwrap_or(0.0), spacing),
                DeriveOp::Window => {
                    radx_regions::intensity_window(of, &case.image.data, d.min, d.max)
                }
                DeriveOp::Union => radx_regions::union(of, with.expect("validated")),
                DeriveOp::Intersection => radx_regions::intersection(of, with.expect("validated")),
                DeriveOp::Difference => radx_regions::difference(of, with.expect("validated")),
                DeriveOp::FillHoles => radx_regions::fill_holes(of),
                DeriveOp::LargestComponent => radx_regions::largest_component(of),
                DeriveOp::DropSmall => {
                    radx_regions::drop_small_components(of, d.min_mm3.unwrap_or(0.0), voxel_mm3)
                }
            };
            let parameters: Vec<String> = [
                ("r_mm", d.r_mm),
                ("r1_mm", d.r1_mm),
                ("r2_mm", d.r2_mm),
                ("min", d.min),
                ("max", d.max),
                ("min_mm3", d.min_mm3),
            ]
            .iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
            .collect();
            let record = DerivationRecord {
                name: d.name.clone(),
                op: d.op.tag().into(),
                of: table_name(&d.of),
                with: d.with.as_deref().map(table_name),
                parameters,
                grid: "image".into(),
                voxels: radx_regions::count(&mask),
            };
            derived.push(LoadedRegion {
                name: table_name(&d.name),
                mask: Mask {
                    grid: base.mask.grid.clone(),
                    data: mask.clone(),
                },
                selection: base.selection.clone(),
                mask_path: base.mask_path.clone(),
                asked: None,
                derivation: Some(record),
            });
            made.push((d.name.clone(), mask));
        }
        out.push(base);
        out.extend(derived);
    }
    case.regions = out;
}
