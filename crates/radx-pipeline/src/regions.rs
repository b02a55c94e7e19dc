//! Several regions of one case: the image is read once, each mask file once, and the
//! regions (ROIs) are extracted in parallel, their rows concatenated in the order asked
//! ([`load_regions`], [`extract_regions`], [`record_regions`]).

use std::collections::BTreeMap;

use ndarray::Array3;
use std::path::{Path, PathBuf};

use radx_core::provenance::InputRecord;
use radx_core::settings::{DeriveOn, DeriveOp, MaskResample, MaskSettings};
use radx_core::{
    DerivationRecord, FeatureTable, Image, Mask, Provenance, RegionRecord, Request, Selection,
};
use radx_core::{Registry, Settings};
use radx_io::{MaskRequest, RoiSelector, SeriesOptions};
use rayon::prelude::*;

use crate::{extract, input_record, resampling_note, selection_of, CaseLabels, PipelineError};

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
    /// Derived on the interpolated grid (`[roi] derive_on = "interpolated"`): `mask` is on
    /// the grid of [`LoadedCase::interpolated`] and is extracted on that image.
    pub on_interpolated: bool,
}

/// An extra mask asked of a case (`radx extract --extra-mask NAME=PATH`, the cohort column
/// `extra_mask_NAME` of `radx batch`): a second input the derivations use by name
/// (`with_mask`), e.g. a brain or body mask. Its every non-zero voxel is the mask.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraMaskAsk {
    pub name: String,
    pub path: PathBuf,
}

/// An extra mask, read onto the image grid.
#[derive(Debug, Clone)]
pub struct ExtraMask {
    pub name: String,
    pub path: PathBuf,
    pub mask: Mask,
    /// How it was brought onto the image grid (`[mask] resample_to_image`), if it was.
    pub resampling: Option<String>,
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
    /// The extra masks, in the order given (each also an `extra_mask_NAME` input).
    pub extra_masks: Vec<ExtraMask>,
    /// The interpolated image the regions derived on the interpolated grid are extracted
    /// on (set by [`derive_regions`] with `[roi] derive_on = "interpolated"`).
    pub interpolated: Option<Image>,
}

/// Reads the image once and each distinct mask file once, resolves every region asked,
/// and reads the extra masks. Two regions with the same name are an error naming it (the
/// table's `roi` must tell them apart).
///
/// Every mask (each region's file and each extra mask) must lie on the image grid, as
/// the readers check; with `[mask] resample_to_image` = `nearest` or `linear`, a NIfTI /
/// NRRD label map on another grid is resampled onto the image grid in physical space
/// (`radx_process::mask_grid`) instead, and the region's `selection.mask_resampling` (an
/// extra mask's [`ExtraMask::resampling`]) records it.
pub fn load_regions(
    image_path: &Path,
    series: &SeriesOptions,
    asks: &[RegionAsk],
    extra: &[ExtraMaskAsk],
    mask_settings: &MaskSettings,
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
    let mut notes: Vec<(PathBuf, Option<String>)> = Vec::new();
    for m in masks {
        let idx: Vec<usize> = (0..asks.len()).filter(|&i| asks[i].mask() == m).collect();
        let requests: Vec<MaskRequest> = idx
            .iter()
            .map(|&i| match &asks[i] {
                RegionAsk::One { selector, .. } => MaskRequest::One(selector.clone()),
                RegionAsk::All { .. } => MaskRequest::All,
            })
            .collect();
        let (got, note) = match resampled_masks(m, &loaded.image.grid, &requests, mask_settings)? {
            Some((got, note)) => (got, Some(note)),
            None => (radx_io::load_masks_any(m, &target, &requests)?, None),
        };
        notes.push((m.to_path_buf(), note));
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
            let mut selection = selection_of(&loaded, lm.format, &lm.selection);
            selection.mask_resampling = notes
                .iter()
                .find(|(p, _)| p == ask.mask())
                .and_then(|(_, n)| n.clone());
            regions.push(LoadedRegion {
                name,
                selection,
                mask: lm.mask,
                mask_path: ask.mask().to_path_buf(),
                asked: match ask {
                    RegionAsk::One { selector, .. } => Some(selector.clone()),
                    RegionAsk::All { .. } => None,
                },
                derivation: None,
                on_interpolated: false,
            });
        }
    }
    let mut extra_masks: Vec<ExtraMask> = Vec::new();
    for e in extra {
        if extra_masks.iter().any(|x| x.name == e.name) {
            return Err(PipelineError::Io(radx_io::IoError::Invalid {
                path: e.path.clone(),
                message: format!("the extra mask `{}` is given twice", e.name),
            }));
        }
        let request = [MaskRequest::One(RoiSelector::Auto)];
        let (mut got, resampling) =
            match resampled_masks(&e.path, &loaded.image.grid, &request, mask_settings)? {
                Some((got, note)) => (got, Some(note)),
                None => (radx_io::load_masks_any(&e.path, &target, &request)?, None),
            };
        let lm = got.remove(0).remove(0);
        inputs.push(input_record(
            &format!("extra_mask_{}", e.name),
            &e.path,
            &lm.format.to_string(),
            &lm.files,
        )?);
        extra_masks.push(ExtraMask {
            name: e.name.clone(),
            path: e.path.clone(),
            mask: lm.mask,
            resampling,
        });
    }
    let image_selection = selection_of(&loaded, radx_io::Format::DicomSeries, &Default::default());
    Ok(LoadedCase {
        image: loaded.image,
        inputs,
        image_selection,
        regions,
        extra_masks,
        interpolated: None,
    })
}

/// The regions of each request, resampled, and the provenance note.
type Resampled = (Vec<Vec<radx_io::LoadedMask>>, String);

/// The regions `requests` of the label map `path` resampled onto the image grid `to`, with
/// the provenance note, when `[mask] resample_to_image` is on and `path` is a NIfTI / NRRD
/// label map on another grid; `None` otherwise (the readers then place it, or refuse it
/// with the grid error). [`MaskRequest::All`] gives each distinct non-zero label
/// (ascending), each resampled on its own.
fn resampled_masks(
    path: &Path,
    to: &radx_core::Grid,
    requests: &[MaskRequest],
    ms: &MaskSettings,
) -> Result<Option<Resampled>, PipelineError> {
    if ms.resample_to_image == MaskResample::Off {
        return Ok(None);
    }
    let Some(first) = radx_io::read_label_map(path, &RoiSelector::Auto)? else {
        return Ok(None);
    };
    if to.mismatch(&first.grid, 1e-3).is_none() {
        return Ok(None);
    }
    let note = resampling_note(&first.format.to_string(), &first.grid, to, ms);
    let bad = |message: String| {
        PipelineError::Io(radx_io::IoError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    };
    let one = |sel: &RoiSelector| -> Result<radx_io::LoadedMask, PipelineError> {
        let n = match sel {
            RoiSelector::Auto => first.clone(),
            _ => radx_io::read_label_map(path, sel)?
                .ok_or_else(|| bad("was read as a label map, then not".into()))?,
        };
        resample_label_map(n, to, ms, path)
    };
    let mut out = Vec::with_capacity(requests.len());
    for r in requests {
        out.push(match r {
            MaskRequest::One(sel) => vec![one(sel)?],
            MaskRequest::All => {
                let values = radx_io::read_image_any(path, &SeriesOptions::default())?;
                let mut labels: Vec<i64> = Vec::new();
                for &v in values.image.data.iter() {
                    if v != 0.0 {
                        if v.fract() != 0.0 || !v.is_finite() {
                            return Err(bad(format!("label value {v} is not a whole number")));
                        }
                        labels.push(v as i64);
                    }
                }
                labels.sort_unstable();
                labels.dedup();
                if labels.is_empty() {
                    return Err(bad("the label map has no non-zero voxel".into()));
                }
                labels
                    .iter()
                    .map(|&l| one(&RoiSelector::Label(l)))
                    .collect::<Result<Vec<_>, _>>()?
            }
        });
    }
    Ok(Some((out, note)))
}

/// Extracts every region of the case on its image: the regions run in parallel on the
/// current rayon pool (each as [`extract`] alone), their rows concatenated in region
/// order, so the table is the same whatever the thread count. The first region (in order)
/// that fails is the error, with its name. A region derived on the interpolated grid is
/// extracted on [`LoadedCase::interpolated`] with the chain's rounding and interpolation
/// already done (the rest of the chain as configured).
pub fn extract_regions(
    loaded: &LoadedCase,
    settings: &Settings,
    registry: &Registry,
    case: &str,
) -> Result<FeatureTable, (String, radx_process::ProcessError)> {
    let on_interpolated = loaded.interpolated.as_ref().map(|im| {
        let mut s = settings.clone();
        s.interpolation.spacing_mm = None;
        s.input.round_intensities = false;
        (im, s)
    });
    let tables: Vec<_> = loaded
        .regions
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
            let (image, settings) = match (&on_interpolated, r.on_interpolated) {
                (Some((im, s)), true) => (*im, std::borrow::Cow::Borrowed(s)),
                _ => (&loaded.image, std::borrow::Cow::Borrowed(settings)),
            };
            // the normalisation fitted by `normalise_regions`, applied as recorded
            let settings = match &r.selection.normalisation {
                Some(rec) => {
                    let mut s = settings.into_owned();
                    s.normalisation.resolved = Some(rec.clone());
                    std::borrow::Cow::Owned(s)
                }
                None => settings,
            };
            let settings = settings.as_ref();
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

/// Adds the regions `[[roi.derived]]` asks for to a case, after each of its ROIs' own.
/// With one ROI a derived region is named as in the manifest; with several,
/// `<roi>:<name>`. A derived region that comes out empty is kept, with 0 voxels: its
/// features are missing with a reason ([`extract_regions`]).
///
/// Grids (`[roi] derive_on`):
/// * `image` (default): every operation runs on the image grid as read, before
///   interpolation (distances in its spacing, `window` on the intensities as read, extra
///   masks as read onto that grid); the derived masks then go through the whole chain,
///   interpolation included, like the ROI.
/// * `interpolated` (with `[interpolation] spacing_mm`): the image is rounded and
///   interpolated as the chain does ([`radx_process::interpolate_whole`]), each ROI's mask
///   and each extra mask interpolated and thresholded at the partial-volume threshold
///   ([`radx_process::interpolate_whole_mask`]); every operation runs on that grid
///   (distances in the new spacing, `window` on the interpolated intensities), and the
///   derived regions are extracted on the interpolated image. The ROI itself goes through
///   the chain as usual. Without `spacing_mm` this is `image`.
///
/// Errors: an extra mask named by `with_mask` that the case does not give; an
/// interpolation beyond the limits.
pub fn derive_regions(case: &mut LoadedCase, settings: &Settings) -> Result<(), PipelineError> {
    let roi = &settings.roi;
    if roi.derived.is_empty() {
        return normalise_regions(case, settings);
    }
    for name in roi.extra_masks() {
        if !case.extra_masks.iter().any(|e| e.name == name) {
            let given: Vec<&str> = case.extra_masks.iter().map(|e| e.name.as_str()).collect();
            return Err(PipelineError::MissingExtraMask {
                name: name.to_string(),
                given: if given.is_empty() {
                    "none".into()
                } else {
                    given.join(", ")
                },
            });
        }
    }
    let on_interpolated =
        roi.derive_on == DeriveOn::Interpolated && settings.interpolation.spacing_mm.is_some();
    let regrid = |m: &Mask| -> Result<Array3<bool>, PipelineError> {
        if on_interpolated {
            Ok(radx_process::interpolate_whole_mask(m, settings)
                .map_err(PipelineError::Derive)?
                .data)
        } else {
            Ok(m.data.clone())
        }
    };
    let interpolated = if on_interpolated {
        Some(
            radx_process::interpolate_whole(case.image.clone(), settings)
                .map_err(PipelineError::Derive)?,
        )
    } else {
        None
    };
    let image: &Image = interpolated.as_ref().unwrap_or(&case.image);
    let grid_name = if on_interpolated {
        "interpolated"
    } else {
        "image"
    };
    let spacing = image.grid.spacing_zyx;
    let voxel_mm3 = spacing.iter().product::<f64>();
    let mut extras: Vec<(&str, Array3<bool>, Option<&str>)> = Vec::new();
    for name in roi.extra_masks() {
        let e = case
            .extra_masks
            .iter()
            .find(|e| e.name == name)
            .expect("checked above");
        extras.push((name, regrid(&e.mask)?, e.resampling.as_deref()));
    }
    let several = case.regions.len() > 1;
    let mut out = Vec::new();
    for base in std::mem::take(&mut case.regions) {
        let mut made: Vec<(String, Array3<bool>)> = vec![("roi".into(), regrid(&base.mask)?)];
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
            let extra = d
                .with_mask
                .as_deref()
                .map(|n| extras.iter().find(|e| e.0 == n).expect("checked above"));
            let with = match (d.with.as_deref(), extra) {
                (Some(w), _) => Some(get(w)),
                (None, Some(e)) => Some(&e.1),
                (None, None) => None,
            };
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
                DeriveOp::Window => radx_regions::intensity_window(of, &image.data, d.min, d.max),
                DeriveOp::Union => radx_regions::union(of, with.expect("validated")),
                DeriveOp::Intersection => radx_regions::intersection(of, with.expect("validated")),
                DeriveOp::Difference => radx_regions::difference(of, with.expect("validated")),
                DeriveOp::FillHoles => radx_regions::fill_holes(of),
                DeriveOp::LargestComponent => radx_regions::largest_component(of),
                DeriveOp::DropSmall => {
                    radx_regions::drop_small_components(of, d.min_mm3.unwrap_or(0.0), voxel_mm3)
                }
            };
            let mut parameters: Vec<String> = [
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
            if let Some((_, _, Some(note))) = extra {
                parameters.push(format!("extra mask: {note}"));
            }
            let record = DerivationRecord {
                name: d.name.clone(),
                op: d.op.tag().into(),
                of: table_name(&d.of),
                with: match (d.with.as_deref(), d.with_mask.as_deref()) {
                    (Some(w), _) => Some(table_name(w)),
                    (None, Some(m)) => Some(format!("extra_mask_{m}")),
                    (None, None) => None,
                },
                parameters,
                grid: grid_name.into(),
                voxels: radx_regions::count(&mask),
            };
            derived.push(LoadedRegion {
                name: table_name(&d.name),
                mask: Mask {
                    grid: image.grid.clone(),
                    data: mask.clone(),
                },
                selection: base.selection.clone(),
                mask_path: base.mask_path.clone(),
                asked: None,
                derivation: Some(record),
                on_interpolated,
            });
            made.push((d.name.clone(), mask));
        }
        out.push(base);
        out.extend(derived);
    }
    case.regions = out;
    case.interpolated = interpolated;
    normalise_regions(case, settings)
}

/// `[normalisation]`: fits each region's normalisation on the image as read (after
/// `[input] round_intensities`) within the region's voxels, the whole image or an extra
/// mask, and records it in the region's `selection.normalisation` (the provenance);
/// [`extract_regions`] applies exactly these parameters. Called by [`derive_regions`].
/// An extra mask that `within` names and the case does not give is an error naming it;
/// an empty derived region is skipped (its features are missing anyway).
pub fn normalise_regions(case: &mut LoadedCase, settings: &Settings) -> Result<(), PipelineError> {
    let cfg = &settings.normalisation;
    if cfg.is_off() || case.regions.is_empty() {
        return Ok(());
    }
    let extra = match cfg.extra_mask() {
        None => None,
        Some(name) => Some(
            case.extra_masks
                .iter()
                .find(|e| e.name == name)
                .ok_or_else(|| PipelineError::MissingExtraMask {
                    name: name.to_string(),
                    given: if case.extra_masks.is_empty() {
                        "none".into()
                    } else {
                        case.extra_masks
                            .iter()
                            .map(|e| e.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                })?,
        ),
    };
    let within = match extra {
        Some(e) => format!("extra_mask_{}", e.name),
        None => cfg.within.clone(),
    };
    let rounded;
    let data = if settings.input.round_intensities {
        rounded = case.image.data.mapv(radx_process::round_half_even);
        &rounded
    } else {
        &case.image.data
    };
    let image_path = case.inputs[0].path.clone();
    let fail = |e| PipelineError::Process {
        image: image_path.clone(),
        mask: extra.map_or(String::new(), |e| e.path.display().to_string()),
        source: e,
    };
    // within the image or an extra mask: one fit for every region
    let shared = if cfg.within == "roi" && extra.is_none() {
        None
    } else {
        let values = radx_process::normalise::values_within(
            data,
            &case.regions[0].mask.data,
            cfg,
            extra.map(|e| &e.mask.data),
        )
        .map_err(fail)?;
        Some(radx_process::normalise::fit(values, cfg, &within).map_err(fail)?)
    };
    for r in &mut case.regions {
        if r.derivation.as_ref().is_some_and(|d| d.voxels == 0) || r.on_interpolated {
            continue;
        }
        let rec = match &shared {
            Some(s) => s.clone(),
            None => {
                let values = radx_process::normalise::values_within(data, &r.mask.data, cfg, None)
                    .map_err(|e| PipelineError::Region {
                        roi: r.name.clone(),
                        image: image_path.clone(),
                        mask: r.mask_path.display().to_string(),
                        source: Box::new(e),
                    })?;
                radx_process::normalise::fit(values, cfg, &within).map_err(|e| {
                    PipelineError::Region {
                        roi: r.name.clone(),
                        image: image_path.clone(),
                        mask: r.mask_path.display().to_string(),
                        source: Box::new(e),
                    }
                })?
            }
        };
        r.selection.normalisation = Some(rec);
    }
    Ok(())
}

/// A label map read on its own grid (`n`, from `path`), resampled onto the image grid `to`
/// by `[mask] resample_to_image` with its partial-volume threshold.
pub(crate) fn resample_label_map(
    n: radx_io::NativeLabelMap,
    to: &radx_core::Grid,
    ms: &MaskSettings,
    path: &Path,
) -> Result<radx_io::LoadedMask, PipelineError> {
    let bad = |message: String| {
        PipelineError::Io(radx_io::IoError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    };
    let m = radx_process::mask_grid::resample_mask(
        &n.roi,
        &n.grid,
        to,
        ms.resample_to_image,
        ms.partial_volume_threshold,
    )
    .map_err(|e| bad(format!("cannot resample the mask onto the image grid: {e}")))?;
    let mask = Mask::new(to.clone(), m).map_err(|e| bad(e.to_string()))?;
    Ok(radx_io::LoadedMask {
        mask,
        format: n.format,
        files: n.files,
        selection: radx_io::MaskSelection {
            label_value: n.label_value,
            ..Default::default()
        },
    })
}
