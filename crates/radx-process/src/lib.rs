//! The IBSI image-processing chain (02_Image_processing.rst):
//! image + mask -> rounding on input -> interpolation -> re-segmentation -> discretisations,
//! with the IBSI diagnostic values of each step (05_Reference_data_sets.rst, "Diagnostic
//! features").
//!
//! [`prepare`] runs the chain. Features are computed on a crop of the processed image: the
//! bounding box of the ROI widened by [`CROP_MARGIN_MM`] on every side (neighbourhood
//! features such as the local intensity peak look that far around the ROI). When the image
//! is interpolated, the whole image is resampled once, slice by slice, only for the
//! whole-image diagnostic values (mean, minimum, maximum of the interpolated image); only
//! the crop is kept. The mask is interpolated over the crop only.

pub mod diagnostics;
pub mod interpolate;

use ndarray::{s, Array3, ArrayView3, Zip};
use radx_core::settings::{Discretisation, Interpolation, Settings};
use radx_core::{discretise, CoreError, Discretised, Grid, Image, Mask, Roi};
use thiserror::Error;

pub use diagnostics::Diagnostic;
use diagnostics::{image_diagnostics, roi_diagnostics, BBox};
use interpolate::{interpolate_image, interpolate_mask_values, kernel_reach, AxisPlan, Stats};

/// Margin (mm) kept around the ROI's bounding box in the prepared crop.
pub const CROP_MARGIN_MM: f64 = 12.0;

/// Interpolated mask values within this distance below the partial-volume threshold still
/// count as reaching it: exact ties (a mask value of exactly 0.5 between an ROI and a
/// background voxel) must not be lost to floating-point round-off (IBSI 05, "Notes on
/// interpolation").
pub const PARTIAL_VOLUME_SLACK: f64 = 1e-9;

/// Errors of the processing chain.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ProcessError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("after re-segmentation the intensity mask is empty (range {min:?}..{max:?})")]
    EmptyAfterResegmentation { min: Option<f64>, max: Option<f64> },
    #[error(
        "interpolation needs finite intensities in the whole image: {count} voxels are not \
         finite, the first at (z, y, x) {first:?}"
    )]
    NonFiniteImage { count: usize, first: [usize; 3] },
    #[error(
        "after interpolation the ROI mask is empty: no interpolated mask value reaches the \
         partial-volume threshold {threshold}"
    )]
    EmptyAfterInterpolation { threshold: f64 },
}

/// The output of the chain: the ROI that features are computed on, its discretisations
/// and the diagnostic values of each step.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The processed ROI, cropped to the bounding box of its morphological mask plus
    /// [`CROP_MARGIN_MM`] (within the image).
    pub roi: Roi,
    pub histogram: Result<Discretised, String>,
    pub texture: Result<Discretised, String>,
    pub ivh: Result<Discretised, String>,
    /// IBSI diagnostic values, tagged as in the IBSI reference tables, in their order:
    /// initial image, interpolated image, initial ROI, interpolated ROI, re-segmented ROI.
    pub diagnostics: Vec<Diagnostic>,
}

/// Runs the chain on an image and its mask:
///
/// 1. rounding of intensities on input (`[input] round_intensities`);
/// 2. ROI construction (image and mask on one grid, a non-empty mask, finite ROI
///    intensities);
/// 3. interpolation of image and mask (`[interpolation]`, see [`interpolate`]): the mask's
///    0/1 values are interpolated and thresholded at the partial-volume threshold (`>=`),
///    interpolated intensities optionally rounded;
/// 4. re-segmentation of the intensity mask ([`resegment`]); the morphological mask stays
///    as it is;
/// 5. the three discretisations (histogram, texture, IVH).
///
/// Diagnostic values are recorded after each step (for every configuration; without
/// interpolation the interpolated values equal the initial ones).
pub fn prepare(image: Image, mask: Mask, settings: &Settings) -> Result<Prepared, ProcessError> {
    let mut image = image;
    let round_input = settings.input.round_intensities;
    let mut init_stats = Stats::default();
    image.data.mapv_inplace(|v| {
        let v = if round_input { v.round() } else { v };
        if v.is_finite() {
            init_stats.push(v);
        }
        v
    });
    let full = Roi::from_image_and_mask(image, mask)?;
    let bbox = BBox::of(full.morphological.view()).expect("a checked ROI is not empty");
    let init_grid = full.grid.clone();

    // IBSI table order: the image rows (initial, interpolated), then the ROI rows (initial,
    // interpolated, re-segmented).
    let mut diagnostics = Vec::new();
    let mut roi_rows = Vec::new();
    image_diagnostics("init", &init_grid, &init_stats, &mut diagnostics);
    let bb = bbox.slice();
    roi_diagnostics(
        "init",
        init_grid.shape_zyx,
        full.image.slice(bb),
        full.morphological.slice(bb),
        full.intensity.slice(bb),
        &mut roi_rows,
    );

    let (mut roi, interp_grid, interp_stats) = match settings.interpolation.spacing_mm {
        Some(spacing_xyz) => {
            let (roi, grid, stats) =
                interpolate_roi(&full, &bbox, spacing_xyz, &settings.interpolation)?;
            drop(full);
            (roi, grid, stats)
        }
        None => (crop_to_roi(full, CROP_MARGIN_MM), init_grid.clone(), init_stats),
    };
    image_diagnostics("interp", &interp_grid, &interp_stats, &mut diagnostics);
    roi_diagnostics(
        "interp",
        interp_grid.shape_zyx,
        roi.image.view(),
        roi.morphological.view(),
        roi.intensity.view(),
        &mut roi_rows,
    );

    resegment(&mut roi, settings)?;
    roi_diagnostics(
        "reseg",
        interp_grid.shape_zyx,
        roi.image.view(),
        roi.morphological.view(),
        roi.intensity.view(),
        &mut roi_rows,
    );
    diagnostics.append(&mut roi_rows);

    let reseg_min = settings.resegmentation.min;
    let d = &settings.discretisation;
    Ok(Prepared {
        histogram: discretise(&roi, &d.histogram, reseg_min),
        texture: discretise(&roi, &d.texture, reseg_min),
        ivh: discretise_ivh(&roi, &d.ivh, reseg_min),
        roi,
        diagnostics,
    })
}

/// The IVH discretisation. Without discretisation (`method = "none"`) the IVH uses the
/// intensities as they are; they must then be integers (IBSI "calibrated intensity units -
/// discrete case"). Integer intensities below 1 (e.g. Hounsfield units) are then given
/// grey levels `X - X_min + 1` with the first bin's lower edge at `X_min - 0.5` and unit
/// bins, so that [`Discretised::bin_centre`] of each level is the intensity itself.
pub fn discretise_ivh(
    roi: &Roi,
    method: &Discretisation,
    reseg_min: Option<f64>,
) -> Result<Discretised, String> {
    let first = discretise(roi, method, reseg_min);
    if !matches!(method, Discretisation::None) || first.is_ok() {
        return first;
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut fractional = None;
    Zip::from(&roi.image).and(&roi.intensity).for_each(|&v, &m| {
        if m {
            lo = lo.min(v);
            hi = hi.max(v);
            if v.fract() != 0.0 && fractional.is_none() {
                fractional = Some(v);
            }
        }
    });
    if lo > hi {
        return Err("the intensity mask is empty".into());
    }
    if let Some(v) = fractional {
        return Err(format!(
            "IVH without discretisation needs integer intensities (found {v}); choose fbs or fbn \
             for [discretisation.ivh]"
        ));
    }
    if hi - lo + 1.0 > u32::MAX as f64 {
        return Err(format!(
            "IVH without discretisation: intensity range {lo}..{hi} is too wide"
        ));
    }
    let levels = Zip::from(&roi.image)
        .and(&roi.intensity)
        .map_collect(|&v, &m| if m { (v - lo) as u32 + 1 } else { 0 });
    Ok(Discretised {
        levels,
        n_levels: (hi - lo) as u32 + 1,
        lower_edge: lo - 0.5,
        bin_width: 1.0,
    })
}

/// Interpolates the ROI `full` (morphological mask bounding box `bbox`) to the spacing
/// `spacing_xyz` (mm, x, y, z). Returns the interpolated ROI cropped to its bounding box plus
/// [`CROP_MARGIN_MM`], the whole interpolation grid and the statistics of the whole
/// interpolated image.
fn interpolate_roi(
    full: &Roi,
    bbox: &BBox,
    spacing_xyz: [f64; 3],
    cfg: &Interpolation,
) -> Result<(Roi, Grid, Stats), ProcessError> {
    let g = &full.grid;
    let shape = g.shape_zyx;
    let target_zyx = [spacing_xyz[2], spacing_xyz[1], spacing_xyz[0]];
    let plans: [AxisPlan; 3] = std::array::from_fn(|a| {
        if a == 0 && cfg.in_plane_only {
            AxisPlan::identity(shape[0], g.spacing_zyx[0])
        } else {
            AxisPlan::new(shape[a], g.spacing_zyx[a], target_zyx[a])
        }
    });

    // Whole-image interpolation needs finite intensities everywhere.
    let mut bad = 0usize;
    let mut first = [0usize; 3];
    for ((z, y, x), v) in full.image.indexed_iter() {
        if !v.is_finite() {
            if bad == 0 {
                first = [z, y, x];
            }
            bad += 1;
        }
    }
    if bad > 0 {
        return Err(ProcessError::NonFiniteImage { count: bad, first });
    }

    // Output box: the outputs the ROI can reach under the mask kernel, plus the margin.
    let reach = kernel_reach(cfg.mask_method);
    let out_box: [std::ops::Range<usize>; 3] = std::array::from_fn(|a| {
        let p = &plans[a];
        let near = p.outputs_near(bbox.lo[a], bbox.hi[a], reach);
        let margin = (CROP_MARGIN_MM / p.spacing_out).ceil() as usize;
        near.start.saturating_sub(margin)..(near.end + margin).min(p.n_out)
    });
    // Mask source: its bounding box and one voxel of background around it (so that the
    // clamped ends of the source hold the mask's value beyond them: 0, or the image edge).
    let src_box: [std::ops::Range<usize>; 3] =
        std::array::from_fn(|a| bbox.lo[a].saturating_sub(1)..(bbox.hi[a] + 2).min(shape[a]));

    let image = full.image.as_standard_layout();
    let image = image.as_slice().expect("standard layout");
    let (boxed, stats) = interpolate_image(
        image,
        shape,
        &plans,
        cfg.image_method,
        cfg.round_intensities,
        &out_box,
    );
    let mask_std = full.morphological.as_standard_layout();
    let mask_vals = interpolate_mask_values(
        mask_std.as_slice().expect("standard layout"),
        shape,
        &src_box,
        &plans,
        cfg.mask_method,
        &out_box,
    );
    let dims = (out_box[0].len(), out_box[1].len(), out_box[2].len());
    let threshold = cfg.partial_volume_threshold - PARTIAL_VOLUME_SLACK;
    let morphological = Array3::from_shape_vec(
        dims,
        mask_vals.into_iter().map(|v| v >= threshold).collect(),
    )
    .expect("box shape");
    if !morphological.iter().any(|&m| m) {
        return Err(ProcessError::EmptyAfterInterpolation {
            threshold: cfg.partial_volume_threshold,
        });
    }
    let image = Array3::from_shape_vec(dims, boxed).expect("box shape");

    let spacing_zyx = [plans[0].spacing_out, plans[1].spacing_out, plans[2].spacing_out];
    let origin_xyz = g.world_of_index([plans[0].position(0), plans[1].position(0), plans[2].position(0)]);
    let whole = Grid {
        shape_zyx: [plans[0].n_out, plans[1].n_out, plans[2].n_out],
        spacing_zyx,
        origin_xyz,
        direction: g.direction,
    };
    let crop_grid = Grid {
        shape_zyx: [dims.0, dims.1, dims.2],
        spacing_zyx,
        origin_xyz: g.world_of_index([
            plans[0].position(out_box[0].start),
            plans[1].position(out_box[1].start),
            plans[2].position(out_box[2].start),
        ]),
        direction: g.direction,
    };
    let roi = Roi {
        grid: crop_grid,
        image,
        intensity: morphological.clone(),
        morphological,
    };
    roi.check()?;
    // The box was sized for the ROI's reach; keep the margin exact around the actual ROI.
    Ok((crop_to_roi(roi, CROP_MARGIN_MM), whole, stats))
}

/// Re-segmentation of the intensity mask (IBSI 02, "Re-segmentation"): the intensity mask
/// starts as the morphological mask; range re-segmentation (USB3) keeps the voxels with
/// intensity in the closed interval `[min, max]` (either bound may be absent), then intensity
/// outlier filtering (7ACA) keeps the voxels within `[mu - k sigma, mu + k sigma]`, where `mu`
/// and `sigma` (population standard deviation, divisor `N`) are taken over the voxels that
/// the range kept. The morphological mask is not changed.
pub fn resegment(roi: &mut Roi, settings: &Settings) -> Result<(), ProcessError> {
    let r = &settings.resegmentation;
    let (lo, hi) = (r.min.unwrap_or(f64::NEG_INFINITY), r.max.unwrap_or(f64::INFINITY));
    Zip::from(&mut roi.intensity)
        .and(&roi.morphological)
        .and(&roi.image)
        .for_each(|i, &m, &v| *i = m && v >= lo && v <= hi);
    if let Some(k) = r.outlier_sd {
        let vals = roi.intensity_values();
        let n = vals.len() as f64;
        if n > 0.0 {
            let mean = vals.iter().sum::<f64>() / n;
            let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            let (olo, ohi) = (mean - k * sd, mean + k * sd);
            Zip::from(&mut roi.intensity)
                .and(&roi.image)
                .for_each(|i, &v| *i = *i && v >= olo && v <= ohi);
        }
    }
    if !roi.intensity.iter().any(|&v| v) {
        return Err(ProcessError::EmptyAfterResegmentation {
            min: r.min,
            max: r.max,
        });
    }
    Ok(())
}

/// Crops the ROI to the bounding box of its morphological mask, widened by `margin_mm`
/// on every side (so that neighbourhood-based features still see the voxels around the
/// ROI), and moves the grid origin accordingly. An empty mask leaves the ROI as it is.
pub fn crop_to_roi(roi: Roi, margin_mm: f64) -> Roi {
    let dims = roi.grid.shape_zyx;
    let Some(bb) = BBox::of(roi.morphological.view()) else {
        return roi;
    };
    let mut start = [0usize; 3];
    let mut end = [0usize; 3];
    for a in 0..3 {
        let pad = (margin_mm / roi.grid.spacing_zyx[a]).ceil() as usize;
        start[a] = bb.lo[a].saturating_sub(pad);
        end[a] = (bb.hi[a] + pad + 1).min(dims[a]);
    }
    if start == [0, 0, 0] && end == dims {
        return roi;
    }
    let sl = s![start[0]..end[0], start[1]..end[1], start[2]..end[2]];
    let mut grid = roi.grid.clone();
    grid.origin_xyz = roi
        .grid
        .world_of_index([start[0] as f64, start[1] as f64, start[2] as f64]);
    grid.shape_zyx = [end[0] - start[0], end[1] - start[1], end[2] - start[2]];
    Roi {
        grid,
        image: roi.image.slice(sl).to_owned(),
        morphological: roi.morphological.slice(sl).to_owned(),
        intensity: roi.intensity.slice(sl).to_owned(),
    }
}

/// The bounding box of a mask view, `None` when it is empty.
pub fn mask_bbox(mask: ArrayView3<bool>) -> Option<([usize; 3], [usize; 3])> {
    BBox::of(mask).map(|b| (b.lo, b.hi))
}
