//! radx-maps: voxel-wise feature maps.
//!
//! A feature map gives, at every voxel `v` of the ROI, the value of one feature computed on
//! the ROI voxels inside a neighbourhood (the *kernel*, a cube or sphere of radius `R` mm)
//! centred on `v`. The steps:
//!
//! 1. The settings' processing chain (interpolation, re-segmentation, discretisation) runs
//!    **once, on the whole ROI** ([`radx_process::prepare`]). The discretisation is thus
//!    global, as in PyRadiomics' voxel-based extraction: FBN bins span the whole ROI's
//!    range, FBS bins start at the whole ROI's first edge, and every voxel keeps its grey
//!    level whatever kernel it falls in.
//! 2. For each ROI voxel (of the intensity mask, i.e. after re-segmentation; every `N`th
//!    along each axis with a stride), the ROI restricted to its kernel
//!    ([`restrict::restrict`]: both masks intersected with the kernel, grey levels kept)
//!    is handed to the feature plugins' own `compute` through the plugin registry, so the
//!    map value at `v` is exactly the value `radx extract` gives on that restricted ROI
//!    with the same discretisation. The number of grey levels follows the settings' method
//!    ([`restrict::restricted_levels`]).
//! 3. Voxels outside the ROI are NaN. A feature undefined in a neighbourhood is NaN there,
//!    and counted (with its reasons) in [`MapInfo`].
//!
//! Morphology is not mapped: its features describe the shape of the whole ROI (volume,
//! surface, sphericity...); restricted to a kernel they would describe the kernel's
//! shape clipped by the ROI border, not the tissue.
//!
//! Speed: the intensity histogram is updated incrementally as the kernel slides along x
//! (a sliding histogram of grey-level counts; the plugin's own feature code then runs on
//! the counts, so values are bit-identical). The intensity statistics are not: their sums
//! run over the voxel intensities in C order (bit-reproducible only in that order), and
//! their percentiles select on the values themselves, so each voxel costs `O(kernel)`
//! either way; the same holds for the IVH (it keeps every voxel's intensity). Texture
//! matrices are rebuilt per voxel: a co-occurrence matrix could be updated, but deriving
//! its features from the `N_g x N_g` cells costs more than building it from a kernel's
//! pairs, and run, zone and distance-zone matrices are not local (a voxel leaving the
//! kernel can split a zone anywhere in it). Voxels are computed in parallel over z-slices
//! of the output grid; each value depends only on its voxel, so maps are bit-identical
//! for any thread count. Memory is `maps x output voxels x 8` bytes (checked against
//! `limits.max_image_voxels`) plus one kernel crop per thread.

pub mod kernel;
pub mod restrict;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ndarray::Array3;
use radx_core::settings::Discretisation;
use radx_core::{
    FeatureInput, FeaturePlugin, FeatureValue, Grid, Image, LimitError, PluginError, Provenance,
    Registry, Settings,
};
use radx_intensity_histogram::Histogram;
use radx_pipeline::{InputOptions, PipelineError};
use radx_process::{Prepared, ProcessError, CROP_MARGIN_MM};
use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

pub use kernel::{Kernel, KernelShape};
pub use restrict::{restrict, restricted_levels, Restricted};

/// Errors of a map run.
#[derive(Debug, Error)]
pub enum MapError {
    /// A map option or the feature selection is not usable (the message says which).
    #[error("{0}")]
    Options(String),
    #[error(transparent)]
    Limit(#[from] Box<LimitError>),
    #[error(transparent)]
    Pipeline(Box<PipelineError>),
    #[error("{image} with {mask}: {source}")]
    Process {
        image: String,
        mask: String,
        source: Box<ProcessError>,
    },
    #[error(transparent)]
    Io(#[from] radx_io::IoError),
}

/// A family, or one feature of it, to map (`FAMILY` or `FAMILY:NAME` on the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureSelector {
    pub family: String,
    /// A feature name of the family (without prefix or aggregation); `None`: all.
    pub feature: Option<String>,
}

impl std::str::FromStr for FeatureSelector {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (family, feature) = match s.split_once(':') {
            Some((f, n)) => (f, Some(n)),
            None => (s, None),
        };
        if family.is_empty() || feature.is_some_and(str::is_empty) {
            return Err(format!("`{s}`: expected FAMILY or FAMILY:NAME"));
        }
        Ok(FeatureSelector {
            family: family.into(),
            feature: feature.map(Into::into),
        })
    }
}

/// What to map and how.
#[derive(Debug, Clone)]
pub struct MapOptions {
    pub kernel: KernelShape,
    /// Kernel radius in mm.
    pub radius_mm: f64,
    /// Compute every `stride`th voxel along each axis (1: every voxel); the maps are on
    /// the strided grid.
    pub stride: usize,
    /// Families / features to map; empty: every family of the settings but morphology.
    pub features: Vec<FeatureSelector>,
}

/// How many voxels had no value for one reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub voxels: u64,
}

/// At most this many distinct reasons are kept per map; the rest are counted together.
const MAX_REASONS: usize = 3;
/// The reason under which further distinct reasons are counted.
const OTHER_REASONS: &str = "(other reasons)";

/// One map: which feature, and how many ROI voxels it could not be computed at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapInfo {
    /// The IBSI tag (`<prefix>_<feature>[_<aggregation>]`), also the file name.
    pub tag: String,
    pub family: String,
    pub feature: String,
    pub aggregation: String,
    pub ibsi_id: String,
    pub unit: String,
    /// The feature's value on the whole ROI (with the same discretisation), or `None`.
    pub whole_roi_value: Option<f64>,
    /// ROI voxels where the feature is undefined (NaN in the map).
    pub undefined_voxels: u64,
    /// Why, with counts (the first few distinct reasons).
    pub undefined_reasons: Vec<ReasonCount>,
}

/// A family that was asked for but gives no map, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unmapped {
    pub family: String,
    pub reason: String,
}

/// The maps of one case, held as one array: for each output z-slice, each map's slice.
#[derive(Debug, Clone)]
pub struct Maps {
    /// The output grid: the processed ROI's grid (the prepared crop), strided.
    pub grid: Grid,
    pub stride: usize,
    pub kernel: Kernel,
    pub maps: Vec<MapInfo>,
    pub unmapped: Vec<Unmapped>,
    /// ROI voxels at which the maps were computed.
    pub roi_voxels: u64,
    data: Vec<f64>,
}

impl Maps {
    fn slice_len(&self) -> usize {
        self.maps.len() * self.grid.shape_zyx[1] * self.grid.shape_zyx[2]
    }

    /// The value of map `map` at output voxel `zyx` (NaN outside the ROI or where
    /// undefined).
    pub fn value(&self, map: usize, zyx: [usize; 3]) -> f64 {
        let [_, ny, nx] = self.grid.shape_zyx;
        self.data[zyx[0] * self.slice_len() + (map * ny + zyx[1]) * nx + zyx[2]]
    }

    /// The index of the map tagged `tag`.
    pub fn index(&self, tag: &str) -> Option<usize> {
        self.maps.iter().position(|m| m.tag == tag)
    }

    /// Map `map` as an image on the output grid (allocates one grid of values).
    pub fn image(&self, map: usize) -> Image {
        let [nz, ny, nx] = self.grid.shape_zyx;
        let data = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| self.value(map, [z, y, x]));
        Image {
            grid: self.grid.clone(),
            data,
        }
    }
}

/// One family's part of a map run.
struct Plan<'r> {
    plugin: &'r dyn FeaturePlugin,
    /// `(name, aggregation)` of every value of the family, in its output order.
    keys: Vec<(String, Option<String>)>,
    /// The map of each key, when it is mapped.
    slots: Vec<Option<usize>>,
    /// Needs the image around the kernel (local intensity peaks: a 1 cm³ sphere).
    wide: bool,
    /// Computed with the sliding histogram.
    sliding: bool,
}

/// Per-slice (then total) undefined counts.
#[derive(Default)]
struct Tally {
    roi_voxels: u64,
    undefined: Vec<u64>,
    reasons: Vec<Vec<ReasonCount>>,
}

impl Tally {
    fn new(n: usize) -> Self {
        Tally {
            roi_voxels: 0,
            undefined: vec![0; n],
            reasons: vec![Vec::new(); n],
        }
    }

    fn undefined(&mut self, map: usize, reason: &str, voxels: u64) {
        self.undefined[map] += voxels;
        let r = &mut self.reasons[map];
        if let Some(c) = r.iter_mut().find(|c| c.reason == reason) {
            c.voxels += voxels;
        } else if r.len() < MAX_REASONS {
            r.push(ReasonCount {
                reason: reason.into(),
                voxels,
            });
        } else if let Some(c) = r.iter_mut().find(|c| c.reason == OTHER_REASONS) {
            c.voxels += voxels;
        } else {
            r.push(ReasonCount {
                reason: OTHER_REASONS.into(),
                voxels,
            });
        }
    }

    fn merge(&mut self, other: Tally) {
        self.roi_voxels += other.roi_voxels;
        for (m, rs) in other.reasons.into_iter().enumerate() {
            for r in rs {
                self.undefined(m, &r.reason, r.voxels);
            }
        }
    }
}

/// The families a run maps, in registry order: those of `options.features`, else every
/// family the settings select but morphology.
fn families<'r>(
    settings: &Settings,
    registry: &'r Registry,
    options: &MapOptions,
) -> Result<Vec<&'r dyn FeaturePlugin>, MapError> {
    let morphology = |f: &str| {
        MapError::Options(format!(
            "`{f}`: morphology has no voxel-wise map: its features describe the shape of the \
             whole ROI, and restricted to a kernel they would describe the kernel clipped by \
             the ROI border"
        ))
    };
    let names: Vec<String> = registry
        .plugins()
        .map(|p| p.info().family.clone())
        .collect();
    let wanted: BTreeSet<&str> = if options.features.is_empty() {
        registry
            .selected(settings)
            .map(|p| p.info().family.as_str())
            .filter(|f| *f != "morphology")
            .collect()
    } else {
        let mut w = BTreeSet::new();
        for s in &options.features {
            if s.family == "morphology" {
                return Err(morphology(&s.family));
            }
            let Some(p) = registry.get(&s.family) else {
                return Err(MapError::Options(format!(
                    "--features {}: no feature family `{}`; families: {}",
                    s.family,
                    s.family,
                    names.join(", ")
                )));
            };
            if let Some(n) = &s.feature {
                if !p.info().features.iter().any(|f| &f.name == n) {
                    let all: Vec<&str> =
                        p.info().features.iter().map(|f| f.name.as_str()).collect();
                    return Err(MapError::Options(format!(
                        "--features {}:{n}: family `{}` has no feature `{n}`; its features: {}",
                        s.family,
                        s.family,
                        all.join(", ")
                    )));
                }
            }
            w.insert(p.info().family.as_str());
        }
        w
    };
    if wanted.is_empty() {
        return Err(MapError::Options(
            "nothing to map: the settings select no family but morphology; name families \
             with --features"
                .into(),
        ));
    }
    Ok(registry
        .plugins()
        .filter(|p| wanted.contains(p.info().family.as_str()))
        .collect())
}

fn selected(options: &MapOptions, family: &str, feature: &str) -> bool {
    options.features.is_empty()
        || options
            .features
            .iter()
            .any(|s| s.family == family && s.feature.as_deref().is_none_or(|n| n == feature))
}

/// The grid of every `stride`th voxel of `g` along each axis.
pub fn strided_grid(g: &Grid, stride: usize) -> Grid {
    let mut out = g.clone();
    out.shape_zyx = g.shape_zyx.map(|n| n.div_ceil(stride));
    out.spacing_zyx = g.spacing_zyx.map(|s| s * stride as f64);
    out
}

/// Computes the maps on a prepared ROI (see the crate documentation).
pub fn compute_maps(
    prepared: &Prepared,
    settings: &Settings,
    registry: &Registry,
    options: &MapOptions,
) -> Result<Maps, MapError> {
    if options.stride == 0 {
        return Err(MapError::Options("--stride must be at least 1".into()));
    }
    if !settings.filters.maps.is_empty() {
        return Err(MapError::Options(
            "radx maps maps the original image; the settings name convolutional filters \
             ([[filters.maps]]): remove them, or map a response map written by `radx filter`"
                .into(),
        ));
    }
    let roi = &prepared.roi;
    let kernel = Kernel::new(
        options.kernel,
        options.radius_mm,
        roi.grid.spacing_zyx,
        settings.limits.max_image_voxels,
    )?;
    let plugins = families(settings, registry, options)?;
    // The plugins' own limits, on the whole ROI (a kernel's ROI is a part of it).
    let mut on_families = settings.clone();
    on_families.features.families = plugins.iter().map(|p| p.info().family.clone()).collect();
    radx_pipeline::check_plugin_limits(prepared, &[], &on_families, registry)
        .map_err(process_error)?;

    // The whole ROI: which values each family gives, and their whole-ROI values.
    let whole = FeatureInput {
        roi,
        settings,
        histogram: &prepared.histogram,
        texture: &prepared.texture,
        ivh: &prepared.ivh,
    };
    let mut maps = Vec::new();
    let mut plans = Vec::new();
    let mut unmapped = Vec::new();
    for p in plugins {
        let info = p.info();
        let values = match p.compute(&whole) {
            Ok(v) => v,
            Err(e) => {
                unmapped.push(Unmapped {
                    family: info.family.clone(),
                    reason: format!("undefined on the whole ROI: {e}"),
                });
                continue;
            }
        };
        let mut keys = Vec::new();
        let mut slots = Vec::new();
        for v in values {
            let slot = selected(options, &info.family, &v.name).then(|| {
                let def = info.features.iter().find(|f| f.name == v.name);
                let agg = v.aggregation.clone().unwrap_or_default();
                maps.push(MapInfo {
                    tag: if agg.is_empty() {
                        format!("{}_{}", info.prefix, v.name)
                    } else {
                        format!("{}_{}_{}", info.prefix, v.name, agg)
                    },
                    family: info.family.clone(),
                    feature: v.name.clone(),
                    aggregation: agg,
                    ibsi_id: def.map(|d| d.ibsi_id.clone()).unwrap_or_default(),
                    unit: def.map(|d| d.unit.clone()).unwrap_or_default(),
                    whole_roi_value: v.value,
                    undefined_voxels: 0,
                    undefined_reasons: Vec::new(),
                });
                maps.len() - 1
            });
            keys.push((v.name, v.aggregation));
            slots.push(slot);
        }
        plans.push(Plan {
            plugin: p,
            keys,
            slots,
            wide: info.family == "local_intensity",
            sliding: info.family == "intensity_histogram" && prepared.histogram.is_ok(),
        });
    }

    let grid = strided_grid(&roi.grid, options.stride);
    let [onz, ony, onx] = grid.shape_zyx;
    let n_maps = maps.len();
    let needed = (n_maps as u128)
        .saturating_mul(onz as u128)
        .saturating_mul(ony as u128)
        .saturating_mul(onx as u128);
    settings
        .limits
        .check_voxels(
            &format!(
                "{n_maps} feature maps of {onx} x {ony} x {onz} voxels (x, y, z; memory: maps \
                 x voxels x 8 bytes)"
            ),
            needed,
        )
        .map_err(Box::new)?;
    let per_slice = n_maps * ony * onx;
    let mut data = vec![f64::NAN; per_slice * onz];
    let margin = roi
        .grid
        .spacing_zyx
        .map(|s| (CROP_MARGIN_MM / s).ceil() as usize);
    let ctx = Ctx {
        prepared,
        settings,
        kernel: &kernel,
        plans: &plans,
        stride: options.stride,
        out_shape: grid.shape_zyx,
        margin,
        n_maps,
    };
    let tallies: Vec<Tally> = if per_slice == 0 {
        Vec::new()
    } else {
        data.par_chunks_mut(per_slice)
            .enumerate()
            .map(|(zo, chunk)| ctx.slice(zo, chunk))
            .collect()
    };
    let mut total = Tally::new(n_maps);
    for t in tallies {
        total.merge(t);
    }
    for (m, info) in maps.iter_mut().enumerate() {
        info.undefined_voxels = total.undefined[m];
        info.undefined_reasons = std::mem::take(&mut total.reasons[m]);
    }
    Ok(Maps {
        grid,
        stride: options.stride,
        kernel,
        maps,
        unmapped,
        roi_voxels: total.roi_voxels,
        data,
    })
}

impl From<PipelineError> for MapError {
    fn from(e: PipelineError) -> Self {
        MapError::Pipeline(Box::new(e))
    }
}

fn process_error(e: ProcessError) -> MapError {
    match e {
        ProcessError::Limit(l) => MapError::Limit(l),
        other => MapError::Options(other.to_string()),
    }
}

/// What every slice task reads.
struct Ctx<'a> {
    prepared: &'a Prepared,
    settings: &'a Settings,
    kernel: &'a Kernel,
    plans: &'a [Plan<'a>],
    stride: usize,
    out_shape: [usize; 3],
    margin: [usize; 3],
    n_maps: usize,
}

impl Ctx<'_> {
    /// Computes output slice `zo` into `chunk` (`[map][y][x]`).
    fn slice(&self, zo: usize, chunk: &mut [f64]) -> Tally {
        let [_, ony, onx] = self.out_shape;
        let roi = &self.prepared.roi;
        let mut tally = Tally::new(self.n_maps);
        let z = zo * self.stride;
        let need_tight = self.plans.iter().any(|p| !p.sliding && !p.wide);
        let need_wide = self.plans.iter().any(|p| p.wide);
        let mut sliding = self
            .plans
            .iter()
            .position(|p| p.sliding)
            .map(|i| (i, SlidingHistogram::new(self.prepared, self.kernel)));
        for yo in 0..ony {
            let y = yo * self.stride;
            if let Some((_, s)) = sliding.as_mut() {
                s.reset();
            }
            for xo in 0..onx {
                let x = xo * self.stride;
                if !roi.intensity[[z, y, x]] {
                    continue;
                }
                tally.roi_voxels += 1;
                let centre = [z, y, x];
                let mut write = |map: usize, v: Result<f64, String>| match v {
                    Ok(v) => chunk[(map * ony + yo) * onx + xo] = v,
                    Err(r) => tally.undefined(map, &r, 1),
                };
                if let Some((i, s)) = sliding.as_mut() {
                    s.move_to(centre);
                    let values = s.values(&self.settings.discretisation.histogram);
                    record(&self.plans[*i], values, &mut write);
                }
                let tight = need_tight
                    .then(|| restrict(self.prepared, self.settings, self.kernel, centre, [0; 3]))
                    .flatten();
                let wide = need_wide
                    .then(|| {
                        restrict(
                            self.prepared,
                            self.settings,
                            self.kernel,
                            centre,
                            self.margin,
                        )
                    })
                    .flatten();
                for plan in self.plans.iter().filter(|p| !p.sliding) {
                    let r = if plan.wide { &wide } else { &tight };
                    let values = match r {
                        Some(r) => plan.plugin.compute(&r.input(self.settings)),
                        None => Err(PluginError::Undefined(
                            "the kernel holds no ROI voxel".into(),
                        )),
                    };
                    record(plan, values, &mut write);
                }
            }
        }
        tally
    }
}

/// Writes a family's values (or its failure) into the maps of its keys.
fn record(
    plan: &Plan,
    values: Result<Vec<FeatureValue>, PluginError>,
    write: &mut impl FnMut(usize, Result<f64, String>),
) {
    match values {
        Ok(values) => {
            for (k, key) in plan.keys.iter().enumerate() {
                let Some(map) = plan.slots[k] else { continue };
                let same = |v: &&FeatureValue| v.name == key.0 && v.aggregation == key.1;
                let v = values
                    .get(k)
                    .filter(same)
                    .or_else(|| values.iter().find(same));
                write(
                    map,
                    match v {
                        Some(FeatureValue { value: Some(x), .. }) => Ok(*x),
                        Some(FeatureValue {
                            missing_reason: r, ..
                        }) => Err(r.clone().unwrap_or_default()),
                        None => Err("the family gave no value".into()),
                    },
                );
            }
        }
        Err(e) => {
            let reason = e.to_string();
            for map in plan.slots.iter().flatten() {
                write(*map, Err(reason.clone()));
            }
        }
    }
}

/// The intensity histogram of the kernel's ROI voxels, updated as the kernel slides one
/// voxel along x: the voxels of each x-run's trailing end leave, those past its leading
/// end enter.
struct SlidingHistogram<'a> {
    levels: &'a Array3<u32>,
    n_levels: u32,
    kernel: &'a Kernel,
    counts: Vec<u64>,
    n: u64,
    at: Option<[usize; 3]>,
}

impl<'a> SlidingHistogram<'a> {
    fn new(prepared: &'a Prepared, kernel: &'a Kernel) -> Self {
        let d = prepared
            .histogram
            .as_ref()
            .expect("sliding only with a histogram discretisation");
        SlidingHistogram {
            levels: &d.levels,
            n_levels: d.n_levels,
            kernel,
            counts: vec![0; d.n_levels as usize],
            n: 0,
            at: None,
        }
    }

    fn reset(&mut self) {
        self.at = None;
    }

    /// The level at `(z + dz, y + dy, x)`, 0 outside the grid or the intensity mask.
    fn level(&self, z: usize, y: usize, dz: isize, dy: isize, x: isize) -> u32 {
        let (nz, ny, nx) = self.levels.dim();
        let (zz, yy) = (z as isize + dz, y as isize + dy);
        if zz < 0 || yy < 0 || x < 0 || zz >= nz as isize || yy >= ny as isize || x >= nx as isize {
            return 0;
        }
        self.levels[[zz as usize, yy as usize, x as usize]]
    }

    fn add(&mut self, l: u32, sign: bool) {
        if l == 0 {
            return;
        }
        let i = l as usize - 1;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        if sign {
            self.counts[i] += 1;
            self.n += 1;
        } else {
            self.counts[i] -= 1;
            self.n -= 1;
        }
    }

    /// Moves the window to `c` (same row as before, or anywhere after a reset).
    fn move_to(&mut self, c: [usize; 3]) {
        let [z, y, x] = c;
        let step_cost = 2 * self.kernel.runs.len();
        match self.at {
            Some(p)
                if p[0] == z
                    && p[1] == y
                    && p[2] <= x
                    && (x - p[2]) * step_cost < self.kernel.voxels =>
            {
                for from in p[2]..x {
                    for i in 0..self.kernel.runs.len() {
                        let (dz, dy, w) = self.kernel.runs[i];
                        let out = self.level(z, y, dz, dy, from as isize - w);
                        self.add(out, false);
                        let inn = self.level(z, y, dz, dy, from as isize + 1 + w);
                        self.add(inn, true);
                    }
                }
            }
            _ => {
                self.counts.iter_mut().for_each(|c| *c = 0);
                self.n = 0;
                for i in 0..self.kernel.runs.len() {
                    let (dz, dy, w) = self.kernel.runs[i];
                    for dx in -w..=w {
                        let l = self.level(z, y, dz, dy, x as isize + dx);
                        self.add(l, true);
                    }
                }
            }
        }
        self.at = Some(c);
    }

    /// The intensity-histogram family's values on the window, as its plugin gives them.
    fn values(&self, method: &Discretisation) -> Result<Vec<FeatureValue>, PluginError> {
        let highest = self
            .counts
            .iter()
            .rposition(|&c| c > 0)
            .map_or(0, |i| i + 1);
        let bins = restricted_levels(method, self.n_levels, highest as u32) as usize;
        let h = Histogram {
            counts: self.counts[..bins.max(highest)].to_vec(),
            n: self.n,
        };
        let f = radx_intensity_histogram::features(&h).map_err(PluginError::Undefined)?;
        Ok(f.values()
            .into_iter()
            .map(|(name, v)| FeatureValue::outcome(name, None, v))
            .collect())
    }
}

/// The `maps` part of the provenance sidecar.
#[derive(Debug, Clone, Serialize)]
pub struct MapsRecord {
    pub kernel: KernelShape,
    pub kernel_radius_mm: f64,
    /// Kernel reach in voxels along (z, y, x) and its number of voxels.
    pub kernel_reach_zyx: [usize; 3],
    pub kernel_voxels: usize,
    pub stride: usize,
    pub discretisation: String,
    pub outside_roi: String,
    /// The output grid.
    pub grid: Grid,
    pub roi_voxels: u64,
    /// Each map with its file and undefined counts.
    pub maps: Vec<MapFile>,
    pub unmapped: Vec<Unmapped>,
}

/// One written map.
#[derive(Debug, Clone, Serialize)]
pub struct MapFile {
    pub file: String,
    #[serde(flatten)]
    pub info: MapInfo,
}

/// The provenance sidecar of a map run: the run's provenance record and the maps.
#[derive(Debug, Clone, Serialize)]
pub struct MapsProvenance {
    pub provenance: Provenance,
    pub maps: MapsRecord,
}

/// The sidecar's file name in the output folder.
pub const PROVENANCE_FILE: &str = "maps.provenance.json";

/// Writes every map as `<dir>/<tag>.nii.gz` (float32; NaN outside the ROI and where
/// undefined) and the provenance sidecar [`PROVENANCE_FILE`]; returns the sidecar's path.
/// Maps are written in parallel on the current rayon pool (one map grid per thread).
pub fn write_maps(maps: &Maps, provenance: &Provenance, dir: &Path) -> Result<PathBuf, MapError> {
    let io = |path: &Path, e: std::io::Error| radx_io::IoError::Write {
        path: path.into(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    // In parallel (compression dominates): one map grid per thread in flight.
    let files = maps
        .maps
        .par_iter()
        .enumerate()
        .map(|(i, info)| {
            let file = format!("{}.nii.gz", info.tag);
            radx_io::write_nifti_map(&maps.image(i), &dir.join(&file))?;
            Ok(MapFile {
                file,
                info: info.clone(),
            })
        })
        .collect::<Result<Vec<_>, MapError>>()?;
    let record = MapsProvenance {
        provenance: provenance.clone(),
        maps: MapsRecord {
            kernel: maps.kernel.shape,
            kernel_radius_mm: maps.kernel.radius_mm,
            kernel_reach_zyx: maps.kernel.reach_zyx,
            kernel_voxels: maps.kernel.voxels,
            stride: maps.stride,
            discretisation: "global: computed once on the whole processed ROI; each voxel \
                             keeps its grey level in every kernel (FBN: the whole ROI's N_g; \
                             FBS and none: the highest level in the kernel)"
                .into(),
            outside_roi: "NaN (voxels outside the re-segmented ROI, or off the stride)".into(),
            grid: maps.grid.clone(),
            roi_voxels: maps.roi_voxels,
            maps: files,
            unmapped: maps.unmapped.clone(),
        },
    };
    let side = dir.join(PROVENANCE_FILE);
    let text = serde_json::to_string_pretty(&record).expect("the record serialises") + "\n";
    std::fs::write(&side, text).map_err(|e| io(&side, e))?;
    Ok(side)
}

/// Reads an image and mask (any supported format), runs the processing chain once and
/// computes the maps, with the run's provenance record (inputs with every file's sha256,
/// settings id, plugins; no build identity, which the binary adds).
pub fn maps_inputs(
    image_path: &Path,
    mask_path: &Path,
    input: &InputOptions,
    settings: &Settings,
    registry: &Registry,
    options: &MapOptions,
) -> Result<(Maps, Provenance), MapError> {
    radx_pipeline::check_families(settings, registry)?;
    let loaded = radx_pipeline::load_inputs_with(image_path, mask_path, input, &settings.mask)?;
    let prepared =
        radx_process::prepare(loaded.image, loaded.mask, settings).map_err(|source| {
            MapError::Process {
                image: image_path.display().to_string(),
                mask: mask_path.display().to_string(),
                source: Box::new(source),
            }
        })?;
    let maps = compute_maps(&prepared, settings, registry, options)?;
    let mut p = radx_pipeline::provenance(settings, registry, loaded.inputs);
    p.selection = Some(loaded.selection);
    Ok((maps, p))
}
