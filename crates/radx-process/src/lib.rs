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
//!
//! # Convolutional filters (IBSI 2)
//!
//! [`prepare_filtered`] also computes the response map of every filter of the settings'
//! `[filters]` section (see [`filtered`]); [`prepare`] does not look at that section and
//! is unchanged by it. [`filter_whole_image`] gives the response maps of the whole
//! (rounded, interpolated) image.

pub mod diagnostics;
pub mod discretise;
pub mod filtered;
pub mod interpolate;
pub mod mask_grid;
pub mod normalise;

use ndarray::{s, Array3, ArrayView3, Zip};
use radx_core::limits::{product, Limit, LimitError, Limits};
use radx_core::settings::{GridAlignment, Interpolation, Settings};
use radx_core::{CoreError, Discretised, Grid, Image, Mask, Roi};
use thiserror::Error;

pub use diagnostics::Diagnostic;
use diagnostics::{image_diagnostics, roi_diagnostics, BBox};
pub use discretise::{
    discretise, discretise_all, discretise_ivh, discretise_ivh_limited, discretise_ivh_with_origin,
    discretise_limited, discretise_with_origin, fbs_lower_edge, DiscretiseError, LevelBound,
};
pub use filtered::{
    filter_whole_image, interpolate_whole, interpolate_whole_mask, prepare_filtered, ResponseMap,
};
use interpolate::{interpolate_image, interpolate_mask_values_with, kernel_reach, AxisPlan, Stats};
pub use radx_filters::FilterError;

/// Margin (mm) kept around the ROI's bounding box in the prepared crop.
pub const CROP_MARGIN_MM: f64 = 12.0;

/// Interpolated mask values within this distance below the partial-volume threshold still
/// count as reaching it: exact ties (a mask value of exactly 0.5 between an ROI and a
/// background voxel) must not be lost to floating-point round-off (IBSI 05, "Notes on
/// interpolation").
pub const PARTIAL_VOLUME_SLACK: f64 = 1e-9;

/// A re-segmentation range for messages: `[min, max]`, an absent bound shown as
/// unbounded (`-inf` / `inf`).
fn resegmentation_range(min: Option<f64>, max: Option<f64>) -> String {
    let b = |v: Option<f64>, none: &str| v.map_or(none.to_string(), |v| v.to_string());
    format!("[{}, {}]", b(min, "-inf"), b(max, "inf"))
}

/// Errors of the processing chain.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ProcessError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(
        "after re-segmentation the intensity mask is empty (range {})",
        resegmentation_range(*.min, *.max)
    )]
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
    #[error("filter `{name}`: {source}")]
    Filter { name: String, source: FilterError },
    #[error(
        "response map `{name}`: after re-segmentation of the response values the intensity \
         mask is empty (range {})",
        resegmentation_range(*.min, *.max)
    )]
    EmptyResponseResegmentation {
        name: String,
        min: Option<f64>,
        max: Option<f64>,
    },
    #[error("the settings name no filter (add [[filters.maps]] tables)")]
    NoFilter,
    /// A size that settings and data decide exceeds a resource limit (boxed: it is rare and
    /// large).
    #[error(transparent)]
    Limit(Box<LimitError>),
    #[error("the settings name {count} filters; filter index {index} does not exist")]
    NoSuchFilter { index: usize, count: usize },
    /// `[normalisation]` cannot be computed (constant intensities, no voxel, a missing
    /// extra mask, a path that does not apply it).
    #[error("normalisation: {0}")]
    Normalisation(String),
}

impl From<LimitError> for ProcessError {
    fn from(e: LimitError) -> Self {
        ProcessError::Limit(Box::new(e))
    }
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
/// 1. rounding of intensities on input (`[input] round_intensities`; to the nearest
///    integer, halves to even, see [`round_half_even`]), then intensity normalisation
///    (`[normalisation]`, see [`normalise`]; IBSI: image post-acquisition processing,
///    before segmentation and interpolation);
/// 2. ROI construction (image and mask on one grid, a non-empty mask, finite ROI
///    intensities);
/// 3. interpolation of image and mask (`[interpolation]`, see [`interpolate`]): the mask's
///    0/1 values are interpolated and thresholded at the partial-volume threshold (`>=`,
///    with [`PARTIAL_VOLUME_SLACK`]), interpolated intensities optionally rounded
///    (`[interpolation] round_intensities`);
/// 4. re-segmentation of the intensity mask ([`resegment`]); the morphological mask stays
///    as it is;
/// 5. the three discretisations (histogram, texture, IVH).
///
/// Diagnostic values are recorded after each step (for every configuration; without
/// interpolation the interpolated values equal the initial ones).
pub fn prepare(image: Image, mask: Mask, settings: &Settings) -> Result<Prepared, ProcessError> {
    prepare_impl(image, mask, settings, &[]).map(|(p, _)| p)
}

/// The interpolated (and rounded) image around the prepared crop, kept for filtering: the
/// crop widened by the reach of the filters (clipped to the image), or the whole image
/// when a filter has unbounded support.
pub(crate) struct Context {
    /// Grid of `image`.
    pub grid: Grid,
    pub image: Array3<f64>,
    /// Index in `image` of the first voxel of the prepared crop.
    pub crop_start: [usize; 3],
}

/// How many voxels of context around the prepared crop the filters `specs` need on a grid
/// of spacing `spacing_zyx` ([`filtered::crop_reach`]): `None` when one has unbounded
/// support or periodic padding (the whole image).
pub(crate) fn context_reach(
    specs: &[radx_core::FilterSpec],
    spacing_zyx: [f64; 3],
) -> Option<[usize; 3]> {
    let mut r = [0usize; 3];
    for s in specs {
        let one = filtered::crop_reach(s, spacing_zyx)?;
        for a in 0..3 {
            r[a] = r[a].max(one[a]);
        }
    }
    Some(r)
}

/// [`prepare`], keeping the context that the filters `specs` need (none when `specs` is
/// empty).
pub(crate) fn prepare_impl(
    image: Image,
    mask: Mask,
    settings: &Settings,
    specs: &[radx_core::FilterSpec],
) -> Result<(Prepared, Option<Context>), ProcessError> {
    if let Some(why) = image.grid.mismatch(&mask.grid, 1e-3) {
        return Err(CoreError::GridMismatch(why).into());
    }
    let Image {
        grid: init_grid,
        data,
    } = image;
    let mut data = standard(data);
    let mask = standard(mask.data);

    // One pass over the whole image: rounding on input and the initial image statistics.
    let mut round_input = settings.input.round_intensities;
    if settings.normalisation.method != radx_core::settings::NormalisationMethod::None {
        // Rounding on input, then the normalisation (image post-acquisition processing,
        // see `normalise`), then the statistics of the normalised image.
        if round_input {
            data.mapv_inplace(round_half_even);
            round_input = false;
        }
        normalise::normalise(&mut data, &mask, &settings.normalisation)?;
    }
    let mut init_stats = Stats::default();
    let non_finite =
        init_stats.take_slice(data.as_slice_mut().expect("standard layout"), round_input);
    // The ROI: a non-empty mask with finite intensities (as `Roi::from_image_and_mask`,
    // without copying the whole mask).
    let bbox = BBox::of(mask.view()).ok_or_else(|| CoreError::EmptyRoi(String::new()))?;
    if non_finite > 0 {
        check_roi_finite(&data, &mask)?;
    }
    // IBSI table order: the image rows (initial, interpolated), then the ROI rows (initial,
    // interpolated, re-segmented).
    let mut diagnostics = Vec::new();
    let mut roi_rows = Vec::new();
    image_diagnostics("init", &init_grid, &init_stats, &mut diagnostics);
    let bb = bbox.slice();
    roi_diagnostics(
        "init",
        init_grid.shape_zyx,
        data.slice(bb),
        mask.slice(bb),
        mask.slice(bb),
        &mut roi_rows,
    );

    let (mut roi, interp_grid, interp_stats, context) = match settings.interpolation.spacing_mm {
        Some(spacing_xyz) => {
            if non_finite > 0 {
                let first = data
                    .indexed_iter()
                    .find(|(_, v)| !v.is_finite())
                    .map(|((z, y, x), _)| [z, y, x])
                    .unwrap_or_default();
                return Err(ProcessError::NonFiniteImage {
                    count: non_finite,
                    first,
                });
            }
            interpolate_roi(
                &init_grid,
                &data,
                &mask,
                &bbox,
                spacing_xyz,
                settings,
                specs,
            )?
        }
        None => {
            let (roi, start) = crop_box(&init_grid, &data, &mask, &bbox, CROP_MARGIN_MM);
            // Without interpolation the filters' context is the (rounded) image itself.
            let context = (!specs.is_empty()).then(|| Context {
                grid: init_grid.clone(),
                image: std::mem::take(&mut data),
                crop_start: start,
            });
            (roi, init_grid.clone(), init_stats, context)
        }
    };
    drop(data);
    drop(mask);
    image_diagnostics("interp", &interp_grid, &interp_stats, &mut diagnostics);
    roi_diagnostics(
        "interp",
        interp_grid.shape_zyx,
        roi.image.view(),
        roi.morphological.view(),
        roi.intensity.view(),
        &mut roi_rows,
    );

    if settings.features.slice_selection == radx_core::settings::SliceSelection::Largest {
        keep_largest_slice(&mut roi, &interp_grid, &mut roi_rows);
    }
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
    let (histogram, texture, ivh) = discretise_all(
        &roi,
        &settings.discretisation,
        "discretisation",
        reseg_min,
        settings.conventions.fbs_origin,
        &settings.limits,
    )?;
    Ok((
        Prepared {
            histogram,
            texture,
            ivh,
            roi,
            diagnostics,
        },
        context,
    ))
}

/// `[features] slice_selection = "largest"`: keeps, in both masks of `roi`, only the axial
/// slice (constant z index) holding the most voxels of the morphological mask, ties going to
/// the lowest index. `roi` is on the grid the features are computed on (after interpolation,
/// before re-segmentation, which then acts on that slice alone). Two diagnostic values name
/// the slice: `diag_largest_slice_index` (its z index on `grid`, the whole interpolation
/// grid, 0-based) and `diag_largest_slice_z_mm` (the world z, RAS mm, of its first voxel),
/// with `diag_largest_slice_voxels` (its ROI voxel count).
pub fn keep_largest_slice(roi: &mut Roi, grid: &Grid, out: &mut Vec<Diagnostic>) {
    let nz = roi.morphological.shape()[0];
    let counts: Vec<usize> = (0..nz)
        .map(|k| {
            roi.morphological
                .index_axis(ndarray::Axis(0), k)
                .iter()
                .filter(|&&b| b)
                .count()
        })
        .collect();
    // the first maximum: ties go to the lowest index
    let mut best = 0;
    for (k, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = k;
        }
    }
    for k in (0..nz).filter(|&k| k != best) {
        roi.morphological
            .index_axis_mut(ndarray::Axis(0), k)
            .fill(false);
        roi.intensity
            .index_axis_mut(ndarray::Axis(0), k)
            .fill(false);
    }
    // z index of the crop's first slice on the whole grid
    let origin = roi.grid.world_of_index([best as f64, 0.0, 0.0]);
    let d = [
        origin[0] - grid.origin_xyz[0],
        origin[1] - grid.origin_xyz[1],
        origin[2] - grid.origin_xyz[2],
    ];
    let col_z = [
        grid.direction[0][2],
        grid.direction[1][2],
        grid.direction[2][2],
    ];
    let along = d[0] * col_z[0] + d[1] * col_z[1] + d[2] * col_z[2];
    let index = (along / grid.spacing_zyx[0]).round();
    for (tag, value) in [
        ("diag_largest_slice_index", index),
        ("diag_largest_slice_z_mm", origin[2]),
        ("diag_largest_slice_voxels", counts[best] as f64),
    ] {
        out.push(Diagnostic {
            tag: tag.into(),
            value,
        });
    }
}

/// Checks the interpolation of an image on grid `g` to `plans` against the limits
/// before anything is allocated: the whole interpolation grid (computed slice by slice)
/// against `max_grid_voxels`, and the volume of input slices resampled in-plane (held
/// whole by the interpolation) against `max_image_voxels`.
pub fn check_interpolation(
    g: &Grid,
    spacing_xyz: [f64; 3],
    plans: &[AxisPlan; 3],
    limits: &Limits,
) -> Result<(), ProcessError> {
    let [nz, ny, nx] = g.shape_zyx;
    let [oz, oy, ox] = [plans[0].n_out, plans[1].n_out, plans[2].n_out];
    let [sz, sy, sx] = g.spacing_zyx;
    let what = format!(
        "interpolation.spacing_mm = {spacing_xyz:?} on an image of {nx} x {ny} x {nz} voxels \
         of {:?} mm",
        [sx, sy, sz]
    );
    limits.check(
        Limit::GridVoxels,
        &format!("{what} (an interpolation grid of {ox} x {oy} x {oz} voxels)"),
        product(&[ox, oy, oz]),
    )?;
    limits.check_voxels(
        &format!("{what} (the {nz} slices resampled in-plane to {ox} x {oy} voxels)"),
        product(&[ox, oy, nz]),
    )?;
    Ok(())
}

/// Interpolates the image `data` on grid `g` and its mask (bounding box `bbox`) to the spacing
/// `spacing_xyz` (mm, x, y, z). Returns the interpolated ROI cropped to its bounding box plus
/// [`CROP_MARGIN_MM`], the whole interpolation grid and the statistics of the whole
/// interpolated image.
///
/// The minimum and maximum of the interpolated image (IBSI diagnostics) need every
/// interpolated value, so the whole image is interpolated, streamed slice by slice
/// ([`interpolate_image`]); only the crop is kept. On the CT phantom the linear pass costs
/// little next to the rest of the chain, the cubic B-spline pass about as much as the rest
/// (configuration E prepares in about twice the time of A-D); either adds about 12 MB of
/// transient memory. The mask is interpolated over the crop only.
fn interpolate_roi(
    g: &Grid,
    data: &Array3<f64>,
    mask: &Array3<bool>,
    bbox: &BBox,
    spacing_xyz: [f64; 3],
    settings: &Settings,
    specs: &[radx_core::FilterSpec],
) -> Result<(Roi, Grid, Stats, Option<Context>), ProcessError> {
    let (cfg, limits) = (&settings.interpolation, &settings.limits);
    let shape = g.shape_zyx;
    let corner = settings.conventions.grid_alignment == GridAlignment::OriginCorner;
    let plans = axis_plans(g, spacing_xyz, cfg, corner);
    check_interpolation(g, spacing_xyz, &plans, limits)?;

    // Output box: the outputs the ROI can reach under the mask kernel, plus the margin.
    let reach = kernel_reach(cfg.mask_method);
    let out_box: [std::ops::Range<usize>; 3] = std::array::from_fn(|a| {
        let p = &plans[a];
        let near = p.outputs_near(bbox.lo[a], bbox.hi[a], reach);
        let margin = (CROP_MARGIN_MM / p.spacing_out).ceil() as usize;
        near.start.saturating_sub(margin)..near.end.saturating_add(margin).min(p.n_out)
    });
    // Mask source: its bounding box and one voxel of background around it (so that the
    // clamped ends of the source hold the mask's value beyond them: 0, or the image edge).
    let src_box: [std::ops::Range<usize>; 3] =
        std::array::from_fn(|a| bbox.lo[a].saturating_sub(1)..(bbox.hi[a] + 2).min(shape[a]));

    let spacing_zyx = [
        plans[0].spacing_out,
        plans[1].spacing_out,
        plans[2].spacing_out,
    ];
    // With filters, the image is kept over a wider box: the ROI box plus the filters'
    // reach (clipped to the image), or the whole image (unbounded filters). Interpolated
    // values do not depend on the box, so the ROI box is cut out of it.
    let image_box: [std::ops::Range<usize>; 3] = if specs.is_empty() {
        out_box.clone()
    } else {
        match context_reach(specs, spacing_zyx) {
            Some(r) => std::array::from_fn(|a| {
                out_box[a].start.saturating_sub(r[a])..(out_box[a].end + r[a]).min(plans[a].n_out)
            }),
            None => std::array::from_fn(|a| 0..plans[a].n_out),
        }
    };
    let kept = |b: &[std::ops::Range<usize>; 3]| [b[2].len(), b[1].len(), b[0].len()];
    let [kx, ky, kz] = kept(&image_box);
    limits.check_voxels(
        &format!(
            "interpolation.spacing_mm = {spacing_xyz:?}: the interpolated region kept around \
             the ROI{} ({kx} x {ky} x {kz} voxels)",
            if specs.is_empty() {
                ""
            } else {
                " and the filters' reach"
            }
        ),
        product(&[kx, ky, kz]),
    )?;
    let (boxed, stats) = interpolate_image(
        data.as_slice().expect("standard layout"),
        shape,
        &plans,
        cfg.image_method,
        cfg.round_intensities,
        &image_box,
    );
    let mask_vals = interpolate_mask_values_with(
        mask.as_slice().expect("standard layout"),
        shape,
        &src_box,
        &plans,
        cfg.mask_method,
        &out_box,
        settings.conventions.mask_extrapolation,
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
    let wide_dims = (image_box[0].len(), image_box[1].len(), image_box[2].len());
    let wide = Array3::from_shape_vec(wide_dims, boxed).expect("box shape");
    let off: [usize; 3] = std::array::from_fn(|a| out_box[a].start - image_box[a].start);
    let (image, wide) = if specs.is_empty() {
        (wide, None)
    } else {
        let image = wide
            .slice(s![
                off[0]..off[0] + dims.0,
                off[1]..off[1] + dims.1,
                off[2]..off[2] + dims.2
            ])
            .to_owned();
        (image, Some(wide))
    };
    let origin_xyz = g.world_of_index([
        plans[0].position(0),
        plans[1].position(0),
        plans[2].position(0),
    ]);
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
    // The box was sized for the ROI's reach; keep the margin exact around the actual ROI.
    let (roi, start) = crop_to_roi_at(roi, CROP_MARGIN_MM);
    let context = wide.map(|wide| {
        let grid = Grid {
            shape_zyx: [wide_dims.0, wide_dims.1, wide_dims.2],
            spacing_zyx,
            origin_xyz: g.world_of_index([
                plans[0].position(image_box[0].start),
                plans[1].position(image_box[1].start),
                plans[2].position(image_box[2].start),
            ]),
            direction: g.direction,
        };
        // The ROI box was cut out of `wide` at `off`; the crop starts `start` further.
        Context {
            grid,
            image: wide,
            crop_start: std::array::from_fn(|a| off[a] + start[a]),
        }
    });
    Ok((roi, whole, stats, context))
}

/// The interpolation plans of the three axes for a target spacing (mm, x, y, z); the z
/// axis is kept as it is when interpolating in-plane only.
/// With `origin_corner` (`[conventions] grid_alignment = "origin_corner"`) the interpolated
/// axes align the grids' origin corners instead of their centres.
pub(crate) fn axis_plans(
    g: &Grid,
    spacing_xyz: [f64; 3],
    cfg: &Interpolation,
    origin_corner: bool,
) -> [AxisPlan; 3] {
    let shape = g.shape_zyx;
    let target_zyx = [spacing_xyz[2], spacing_xyz[1], spacing_xyz[0]];
    std::array::from_fn(|a| {
        if a == 0 && cfg.in_plane_only {
            AxisPlan::identity(shape[0], g.spacing_zyx[0])
        } else {
            AxisPlan {
                origin_corner,
                ..AxisPlan::new(shape[a], g.spacing_zyx[a], target_zyx[a])
            }
        }
    })
}

/// The array in standard (C-contiguous) layout, copied only when it is not.
fn standard<T: Clone>(a: Array3<T>) -> Array3<T> {
    if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    }
}

/// Fails with [`CoreError::NonFiniteVoxels`] when an ROI voxel is not finite.
fn check_roi_finite(data: &Array3<f64>, mask: &Array3<bool>) -> Result<(), CoreError> {
    let mut count = 0;
    let mut first = [0; 3];
    for ((z, y, x), &v) in data.indexed_iter() {
        if !v.is_finite() && mask[[z, y, x]] {
            if count == 0 {
                first = [z, y, x];
            }
            count += 1;
        }
    }
    if count > 0 {
        return Err(CoreError::NonFiniteVoxels { count, first });
    }
    Ok(())
}

/// The ROI of an image and its mask (bounding box `bbox`), cropped to the bounding box
/// widened by `margin_mm` on every side (within the image); the intensity mask is the
/// morphological mask.
fn crop_box(
    grid: &Grid,
    data: &Array3<f64>,
    mask: &Array3<bool>,
    bbox: &BBox,
    margin_mm: f64,
) -> (Roi, [usize; 3]) {
    let mut start = [0usize; 3];
    let mut end = [0usize; 3];
    for a in 0..3 {
        let pad = (margin_mm / grid.spacing_zyx[a]).ceil() as usize;
        start[a] = bbox.lo[a].saturating_sub(pad);
        end[a] = bbox.hi[a]
            .saturating_add(pad)
            .saturating_add(1)
            .min(grid.shape_zyx[a]);
    }
    let sl = s![start[0]..end[0], start[1]..end[1], start[2]..end[2]];
    let mut g = grid.clone();
    g.origin_xyz = grid.world_of_index([start[0] as f64, start[1] as f64, start[2] as f64]);
    g.shape_zyx = [end[0] - start[0], end[1] - start[1], end[2] - start[2]];
    let morphological = mask.slice(sl).to_owned();
    (
        Roi {
            grid: g,
            image: data.slice(sl).to_owned(),
            intensity: morphological.clone(),
            morphological,
        },
        start,
    )
}

/// Rounds to the nearest integer, halves to even (IEEE 754 `roundTiesToEven`, as NumPy's
/// `round`), by adding and subtracting 1.5 x 2^52; values of magnitude 2^51 or more are
/// integers already and are returned as they are (so are NaN and infinities). Branch-free
/// and vectorisable, unlike a call into the maths library.
#[inline]
pub fn round_half_even(v: f64) -> f64 {
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5 x 2^52
    if v.abs() < 2_251_799_813_685_248.0 {
        (v + SHIFT) - SHIFT
    } else {
        v
    }
}

/// Re-segmentation of the intensity mask (IBSI 02, "Re-segmentation"): the intensity mask
/// starts as the morphological mask; range re-segmentation (USB3) keeps the voxels with
/// intensity in the closed interval `[min, max]` (either bound may be absent), then intensity
/// outlier filtering (7ACA) keeps the voxels within `[mu - k sigma, mu + k sigma]`, where `mu`
/// and `sigma` (population standard deviation, divisor `N`) are taken over the voxels that
/// the range kept. The morphological mask is not changed.
pub fn resegment(roi: &mut Roi, settings: &Settings) -> Result<(), ProcessError> {
    let r = &settings.resegmentation;
    roi.intensity.assign(&roi.morphological);
    if restrict_intensity_mask(roi, r) {
        Ok(())
    } else {
        Err(ProcessError::EmptyAfterResegmentation {
            min: r.min,
            max: r.max,
        })
    }
}

/// Narrows the intensity mask by the values of `roi.image`: range (USB3) to `[min, max]`,
/// then outliers (7ACA) to `mu +- k sigma` over the values the range kept (population
/// standard deviation). Returns whether any voxel is left.
pub(crate) fn restrict_intensity_mask(
    roi: &mut Roi,
    r: &radx_core::settings::Resegmentation,
) -> bool {
    let (lo, hi) = (
        r.min.unwrap_or(f64::NEG_INFINITY),
        r.max.unwrap_or(f64::INFINITY),
    );
    Zip::from(&mut roi.intensity)
        .and(&roi.image)
        .for_each(|i, &v| *i = *i && v >= lo && v <= hi);
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
    roi.intensity.iter().any(|&v| v)
}

/// Crops the ROI to the bounding box of its morphological mask, widened by `margin_mm`
/// on every side (so that neighbourhood-based features still see the voxels around the
/// ROI), and moves the grid origin accordingly. An empty mask leaves the ROI as it is.
pub fn crop_to_roi(roi: Roi, margin_mm: f64) -> Roi {
    crop_to_roi_at(roi, margin_mm).0
}

/// [`crop_to_roi`], also returning the index (in the input ROI) of the crop's first voxel.
fn crop_to_roi_at(roi: Roi, margin_mm: f64) -> (Roi, [usize; 3]) {
    let dims = roi.grid.shape_zyx;
    let Some(bb) = BBox::of(roi.morphological.view()) else {
        return (roi, [0; 3]);
    };
    let mut start = [0usize; 3];
    let mut end = [0usize; 3];
    for a in 0..3 {
        let pad = (margin_mm / roi.grid.spacing_zyx[a]).ceil() as usize;
        start[a] = bb.lo[a].saturating_sub(pad);
        end[a] = bb.hi[a].saturating_add(pad).saturating_add(1).min(dims[a]);
    }
    if start == [0, 0, 0] && end == dims {
        return (roi, start);
    }
    let sl = s![start[0]..end[0], start[1]..end[1], start[2]..end[2]];
    let mut grid = roi.grid.clone();
    grid.origin_xyz = roi
        .grid
        .world_of_index([start[0] as f64, start[1] as f64, start[2] as f64]);
    grid.shape_zyx = [end[0] - start[0], end[1] - start[1], end[2] - start[2]];
    (
        Roi {
            grid,
            image: roi.image.slice(sl).to_owned(),
            morphological: roi.morphological.slice(sl).to_owned(),
            intensity: roi.intensity.slice(sl).to_owned(),
        },
        start,
    )
}

/// The bounding box of a mask view, `None` when it is empty.
pub fn mask_bbox(mask: ArrayView3<bool>) -> Option<([usize; 3], [usize; 3])> {
    BBox::of(mask).map(|b| (b.lo, b.hi))
}
