//! Convolutional filters in the processing chain (IBSI 2 reference manual, "Image
//! processing with filters"):
//!
//! image -> rounding -> interpolation -> **filtering** -> re-segmentation ->
//! discretisation.
//!
//! * The response map is computed on the interpolated (and, when configured, rounded)
//!   image, before re-segmentation and discretisation.
//! * The intensity mask is the one re-segmented on the *unfiltered* interpolated
//!   intensities ([`crate::resegment`]); features of a response map are computed on the
//!   response values inside that mask. The response values are re-segmented only when the
//!   settings ask (`[filters.resegmentation]`).
//! * The morphological mask is the original image's.
//!
//! # Exactness of the crop
//! Features need the response only around the ROI (the prepared crop). For a filter whose
//! kernel reaches `r` voxels (per axis, [`radx_filters::reach_voxels`]) the
//! response at a voxel depends only on the image within `r` voxels, so filtering the crop
//! widened by `r` (clipped to the image) gives, at every crop voxel, exactly the response
//! of the whole image: where the widened crop lies inside the image the boundary condition
//! acts at least `r` voxels away from the crop; where it was clipped, it acts at the true
//! image edge, as for the whole image. This holds for the local boundary conditions (zero,
//! nearest, mirror: the extension at an edge repeats voxels within the reach of that
//! edge), not for periodic padding, whose extension at one edge is the opposite edge of
//! the image: periodic filters, like the filters with unbounded support (Simoncelli,
//! Riesz: computed in the Fourier domain), filter the whole interpolated image
//! ([`crop_reach`]).

use ndarray::{s, Array3};
use radx_core::limits::{product, Limits};
use radx_core::settings::{Interpolation, Resegmentation, Settings};
use radx_core::{FilterSpec, Grid, Image, Mask, Roi};

use crate::interpolate::Stats;
use crate::interpolate::{interpolate_image, AxisPlan};
use crate::{
    axis_plans, check_interpolation, discretise_all, prepare_impl, Context, Prepared, ProcessError,
};

/// The response map of one filter, prepared for feature computation.
#[derive(Debug, Clone)]
pub struct ResponseMap {
    /// The filter's canonical name ([`FilterSpec::canonical_name`]), the `image` label of
    /// its feature rows.
    pub name: String,
    pub spec: FilterSpec,
    /// The ROI with the response values as intensities (on the grid of the original
    /// image's prepared crop, with its masks), and their discretisations. No diagnostic
    /// values.
    pub prepared: Prepared,
}

/// Runs the chain of [`crate::prepare`] and computes the response map of every filter of
/// `settings.filters.maps`, in order (see the module documentation). Without filters this
/// is [`crate::prepare`] and an empty list.
pub fn prepare_filtered(
    image: Image,
    mask: Mask,
    settings: &Settings,
) -> Result<(Prepared, Vec<ResponseMap>), ProcessError> {
    let specs = &settings.filters.maps;
    let (prepared, context) = prepare_impl(image, mask, settings, specs)?;
    let Some(context) = context else {
        return Ok((prepared, Vec::new()));
    };
    let maps = specs
        .iter()
        .map(|spec| response_map(spec, &context, &prepared, settings))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((prepared, maps))
}

/// How far around the crop the image is needed to filter it exactly with `spec` (voxels
/// per axis `(z, y, x)` on a grid of spacing `spacing_zyx`): the kernel's reach, or `None`
/// (the whole image) for kernels of unbounded support and for periodic padding.
pub fn crop_reach(spec: &FilterSpec, spacing_zyx: [f64; 3]) -> Option<[usize; 3]> {
    if spec.boundary() == radx_core::filter_spec::Boundary::Periodic {
        return None;
    }
    radx_filters::reach_voxels(spec, spacing_zyx)
}

/// Checks the largest volume that filtering a region of shape `shape_zyx` with `spec`
/// builds ([`radx_filters::working_shape`]) against `max_image_voxels`, before it is built.
pub fn check_filter_work(
    spec: &FilterSpec,
    shape_zyx: [usize; 3],
    spacing_zyx: [f64; 3],
    limits: &Limits,
) -> Result<(), ProcessError> {
    let [z, y, x] = radx_filters::working_shape(spec, shape_zyx, spacing_zyx);
    let [nz, ny, nx] = shape_zyx;
    limits.check_voxels(
        &format!(
            "filter `{}` on a region of {nx} x {ny} x {nz} voxels (its working volume of \
             {x} x {y} x {z} voxels)",
            spec.canonical_name()
        ),
        product(&[x, y, z]),
    )?;
    Ok(())
}

/// The response of `spec` over the prepared crop, from the context image.
fn response_on_crop(
    spec: &FilterSpec,
    ctx: &Context,
    crop_shape: [usize; 3],
    limits: &Limits,
) -> Result<Array3<f64>, ProcessError> {
    let name = spec.canonical_name();
    let shape = ctx.grid.shape_zyx;
    let reach = crop_reach(spec, ctx.grid.spacing_zyx);
    // The region filtered: the crop widened by the reach, clipped to the context (which is
    // itself clipped only at the image's edges), or the whole context.
    let (lo, hi): ([usize; 3], [usize; 3]) = match reach {
        Some(r) => (
            std::array::from_fn(|a| ctx.crop_start[a].saturating_sub(r[a])),
            std::array::from_fn(|a| (ctx.crop_start[a] + crop_shape[a] + r[a]).min(shape[a])),
        ),
        None => ([0; 3], shape),
    };
    let region_shape: [usize; 3] = std::array::from_fn(|a| hi[a] - lo[a]);
    check_filter_work(spec, region_shape, ctx.grid.spacing_zyx, limits)?;
    let region = ctx
        .image
        .slice(s![lo[0]..hi[0], lo[1]..hi[1], lo[2]..hi[2]])
        .to_owned();
    let response = radx_filters::apply(spec, &region, ctx.grid.spacing_zyx)
        .map_err(|source| ProcessError::Filter { name, source })?;
    let o: [usize; 3] = std::array::from_fn(|a| ctx.crop_start[a] - lo[a]);
    Ok(response
        .slice(s![
            o[0]..o[0] + crop_shape[0],
            o[1]..o[1] + crop_shape[1],
            o[2]..o[2] + crop_shape[2]
        ])
        .to_owned())
}

fn response_map(
    spec: &FilterSpec,
    ctx: &Context,
    prepared: &Prepared,
    settings: &Settings,
) -> Result<ResponseMap, ProcessError> {
    let name = spec.canonical_name();
    let roi = &prepared.roi;
    let image = response_on_crop(spec, ctx, roi.grid.shape_zyx, &settings.limits)?;
    let mut rmap = Roi {
        grid: roi.grid.clone(),
        image,
        morphological: roi.morphological.clone(),
        intensity: roi.intensity.clone(),
    };
    let f = &settings.filters;
    if let Some(r) = &f.resegmentation {
        resegment_response(&mut rmap, r, &name)?;
    }
    let reseg_min = f.resegmentation.as_ref().and_then(|r| r.min);
    let (d, key) = match &f.discretisation {
        Some(d) => (d, "filters.discretisation"),
        None => (&settings.discretisation, "discretisation"),
    };
    let (histogram, texture, ivh) = discretise_all(
        &rmap,
        d,
        key,
        reseg_min,
        settings.conventions.fbs_origin,
        &settings.limits,
    )
    .map_err(|e| match e {
        ProcessError::Limit(mut l) => {
            l.subject = format!("response map `{name}`: {}", l.subject);
            ProcessError::Limit(l)
        }
        e => e,
    })?;
    Ok(ResponseMap {
        name,
        spec: spec.clone(),
        prepared: Prepared {
            histogram,
            texture,
            ivh,
            roi: rmap,
            diagnostics: Vec::new(),
        },
    })
}

/// Re-segmentation of the response values (`[filters.resegmentation]`), on top of the
/// intensity mask: range re-segmentation keeps the voxels with response in `[min, max]`,
/// then outlier filtering keeps those within `mean +- k sd` of the response values the
/// range kept (population standard deviation), as [`crate::resegment`] does on
/// intensities.
pub fn resegment_response(
    roi: &mut Roi,
    r: &Resegmentation,
    name: &str,
) -> Result<(), ProcessError> {
    if crate::restrict_intensity_mask(roi, r) {
        Ok(())
    } else {
        Err(ProcessError::EmptyResponseResegmentation {
            name: name.to_string(),
            min: r.min,
            max: r.max,
        })
    }
}

/// The image after rounding on input (`[input] round_intensities`) and interpolation of
/// the whole image (`[interpolation]`; rounded after interpolation when configured), on
/// its grid. Without interpolation, the (rounded) image itself.
pub fn interpolate_whole(image: Image, settings: &Settings) -> Result<Image, ProcessError> {
    if !settings.normalisation.is_off() {
        return Err(ProcessError::Normalisation(
            "[normalisation] is applied by the extraction chain (radx extract, radx batch), not to a whole image interpolated on its own (radx filter, radx maps, derived regions on the interpolated grid)".into(),
        ));
    }
    let Image { grid, data } = image;
    let mut data = if data.is_standard_layout() {
        data
    } else {
        data.as_standard_layout().into_owned()
    };
    let mut stats = Stats::default();
    let non_finite = stats.take_slice(
        data.as_slice_mut().expect("standard layout"),
        settings.input.round_intensities,
    );
    let Some(spacing_xyz) = settings.interpolation.spacing_mm else {
        return Ok(Image::new(grid, data)?);
    };
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
    let cfg: &Interpolation = &settings.interpolation;
    let (plans, out) = whole_grid_plans(&grid, spacing_xyz, settings, "image")?;
    let full: [std::ops::Range<usize>; 3] = std::array::from_fn(|a| 0..plans[a].n_out);
    let (values, _) = interpolate_image(
        data.as_slice().expect("standard layout"),
        grid.shape_zyx,
        &plans,
        cfg.image_method,
        cfg.round_intensities,
        &full,
    );
    let arr = Array3::from_shape_vec(
        (out.shape_zyx[0], out.shape_zyx[1], out.shape_zyx[2]),
        values,
    )
    .expect("grid shape");
    Ok(Image::new(out, arr)?)
}

/// The interpolation of a whole volume on `grid` (an image, or a mask of the same grid) to
/// `spacing_xyz`: each axis' plan (with `[conventions] grid_alignment`) and the new grid,
/// once the plan and the whole new volume are checked against `[limits]` (`what` names the
/// volume in the error).
fn whole_grid_plans(
    grid: &Grid,
    spacing_xyz: [f64; 3],
    settings: &Settings,
    what: &str,
) -> Result<([AxisPlan; 3], Grid), ProcessError> {
    let corner =
        settings.conventions.grid_alignment == radx_core::settings::GridAlignment::OriginCorner;
    let plans = axis_plans(grid, spacing_xyz, &settings.interpolation, corner);
    check_interpolation(grid, spacing_xyz, &plans, &settings.limits)?;
    let [oz, oy, ox] = [plans[0].n_out, plans[1].n_out, plans[2].n_out];
    settings.limits.check_voxels(
        &format!(
            "interpolation.spacing_mm = {spacing_xyz:?}: the whole interpolated {what} \
             ({ox} x {oy} x {oz} voxels)"
        ),
        product(&[ox, oy, oz]),
    )?;
    let out = Grid {
        shape_zyx: [oz, oy, ox],
        spacing_zyx: [
            plans[0].spacing_out,
            plans[1].spacing_out,
            plans[2].spacing_out,
        ],
        origin_xyz: grid.world_of_index([
            plans[0].position(0),
            plans[1].position(0),
            plans[2].position(0),
        ]),
        direction: grid.direction,
    };
    Ok((plans, out))
}

/// A mask on the grid of [`interpolate_whole`] (same image grid `grid` in, same
/// `[interpolation]` settings): its 0/1 values interpolated by `mask_method` over the whole
/// grid (as the chain does around the ROI, with `[conventions] mask_extrapolation`) and
/// kept where they are at least the partial-volume threshold. Without interpolation, the
/// mask itself. Used for derived regions on the interpolated grid (`[roi] derive_on`).
pub fn interpolate_whole_mask(mask: &Mask, settings: &Settings) -> Result<Mask, ProcessError> {
    let Some(spacing_xyz) = settings.interpolation.spacing_mm else {
        return Ok(mask.clone());
    };
    let grid = &mask.grid;
    let cfg: &Interpolation = &settings.interpolation;
    let (plans, out) = whole_grid_plans(grid, spacing_xyz, settings, "mask")?;
    let data = if mask.data.is_standard_layout() {
        std::borrow::Cow::Borrowed(&mask.data)
    } else {
        std::borrow::Cow::Owned(mask.data.as_standard_layout().into_owned())
    };
    let shape = grid.shape_zyx;
    let src: [std::ops::Range<usize>; 3] = std::array::from_fn(|a| 0..shape[a]);
    let full: [std::ops::Range<usize>; 3] = std::array::from_fn(|a| 0..plans[a].n_out);
    let values = crate::interpolate::interpolate_mask_values_with(
        data.as_slice().expect("standard layout"),
        shape,
        &src,
        &plans,
        cfg.mask_method,
        &full,
        settings.conventions.mask_extrapolation,
    );
    let threshold = cfg.partial_volume_threshold - crate::PARTIAL_VOLUME_SLACK;
    let [oz, oy, ox] = out.shape_zyx;
    let arr = Array3::from_shape_vec(
        (oz, oy, ox),
        values.into_iter().map(|v| v >= threshold).collect(),
    )
    .expect("grid shape");
    Ok(Mask::new(out, arr)?)
}

/// The response maps of the whole image: [`interpolate_whole`], then every filter of
/// `settings.filters.maps` (or only the one at `index`), each as `(canonical name, image
/// on the interpolated grid)`.
pub fn filter_whole_image(
    image: Image,
    settings: &Settings,
    index: Option<usize>,
) -> Result<Vec<(String, Image)>, ProcessError> {
    let specs = &settings.filters.maps;
    if specs.is_empty() {
        return Err(ProcessError::NoFilter);
    }
    let chosen: Vec<&FilterSpec> = match index {
        Some(i) => vec![specs.get(i).ok_or(ProcessError::NoSuchFilter {
            index: i,
            count: specs.len(),
        })?],
        None => specs.iter().collect(),
    };
    let img = interpolate_whole(image, settings)?;
    chosen
        .into_iter()
        .map(|spec| {
            let name = spec.canonical_name();
            check_filter_work(
                spec,
                img.grid.shape_zyx,
                img.grid.spacing_zyx,
                &settings.limits,
            )?;
            let data =
                radx_filters::apply(spec, &img.data, img.grid.spacing_zyx).map_err(|source| {
                    ProcessError::Filter {
                        name: name.clone(),
                        source,
                    }
                })?;
            Ok((name, Image::new(img.grid.clone(), data)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use radx_core::filter_spec::{Boundary, Dimensions, Pooling, WaveletFamily};

    fn specs() -> impl Strategy<Value = FilterSpec> {
        let boundary = prop_oneof![
            Just(Boundary::Zero),
            Just(Boundary::Nearest),
            Just(Boundary::Periodic),
            Just(Boundary::Mirror)
        ];
        let dims = prop_oneof![Just(Dimensions::Slice), Just(Dimensions::Volume)];
        prop_oneof![
            (1usize..4, boundary.clone(), dims.clone()).prop_map(|(h, boundary, dimensions)| {
                FilterSpec::Mean {
                    support: 2 * h + 1,
                    boundary,
                    dimensions,
                }
            }),
            (0.5f64..2.0, boundary.clone(), dims.clone()).prop_map(
                |(sigma_mm, boundary, dimensions)| FilterSpec::Log {
                    sigma_mm,
                    truncate: 4.0,
                    boundary,
                    dimensions,
                    riesz_order: None,
                    fourier_margin: radx_core::filter_spec::DEFAULT_FOURIER_MARGIN,
                }
            ),
            (boundary.clone(), any::<bool>(), 0usize..3).prop_map(|(boundary, inv, d)| {
                FilterSpec::Laws {
                    kernel: "E3L5S3".into(),
                    boundary,
                    dimensions: Dimensions::Volume,
                    rotation_invariant: inv,
                    pooling: Pooling::Max,
                    energy_delta: (d > 0).then_some(d),
                }
            }),
            (boundary.clone(), 0.6f64..1.5, 0.0f64..180.0, dims.clone()).prop_map(
                |(boundary, sigma_mm, theta_deg, dimensions)| FilterSpec::Gabor {
                    sigma_mm,
                    lambda_mm: 2.0,
                    gamma: 1.5,
                    theta_deg,
                    boundary,
                    dimensions,
                    rotation_invariant: dimensions == Dimensions::Volume,
                    theta_step_deg: (dimensions == Dimensions::Volume).then_some(90.0),
                    pooling: Pooling::Average,
                    truncate: 2.0,
                }
            ),
            (boundary, 1usize..3, any::<bool>()).prop_map(|(boundary, level, inv)| {
                FilterSpec::Wavelet {
                    family: WaveletFamily::Db2,
                    subband: "HLH".into(),
                    level,
                    boundary,
                    dimensions: Dimensions::Volume,
                    rotation_invariant: inv,
                    pooling: Pooling::Average,
                }
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Filtering the crop widened by the filter's reach (clipped to the image) gives
        /// exactly the whole image's response on the crop, whatever the boundary condition
        /// and wherever the crop lies (inside, or touching the image's edges).
        #[test]
        fn crop_response_equals_whole_image_response(
            spec in specs(),
            start in (0usize..10, 0usize..10, 0usize..10),
            len in (1usize..8, 1usize..8, 1usize..8),
            seed in 0u64..1000,
        ) {
            let shape = [14usize, 13, 12];
            let spacing = [1.5, 0.8, 1.0];
            let image = Array3::from_shape_fn((14, 13, 12), |(z, y, x)| {
                let h = (z * 7919 + y * 104_729 + x * 1_299_709) as u64 ^ seed;
                (h.wrapping_mul(6_364_136_223_846_793_005) >> 40) as f64 / 1000.0
            });
            let start = [start.0, start.1, start.2];
            let crop: [usize; 3] =
                std::array::from_fn(|a| [len.0, len.1, len.2][a].min(shape[a] - start[a]));
            let ctx = Context {
                grid: Grid::new(shape, spacing, [0.0; 3]),
                image: image.clone(),
                crop_start: start,
            };
            let got = response_on_crop(&spec, &ctx, crop, &Limits::default()).unwrap();
            let whole = radx_filters::apply(&spec, &image, spacing).unwrap();
            let want = whole.slice(s![
                start[0]..start[0] + crop[0],
                start[1]..start[1] + crop[1],
                start[2]..start[2] + crop[2]
            ]);
            for (a, b) in got.iter().zip(want.iter()) {
                prop_assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "{}: {a} vs {b}", spec.canonical_name());
            }
        }
    }

    #[test]
    fn response_resegmentation_keeps_the_range_and_refuses_an_empty_mask() {
        let grid = Grid::new([1, 1, 4], [1.0; 3], [0.0; 3]);
        let mut roi = Roi {
            grid,
            image: Array3::from_shape_vec((1, 1, 4), vec![-2.0, 0.5, 1.0, 3.0]).unwrap(),
            morphological: Array3::from_elem((1, 1, 4), true),
            intensity: Array3::from_shape_vec((1, 1, 4), vec![true, true, false, true]).unwrap(),
        };
        let r = Resegmentation {
            min: Some(0.0),
            max: Some(2.0),
            outlier_sd: None,
        };
        resegment_response(&mut roi, &r, "m").unwrap();
        // the voxel excluded by the intensity mask stays excluded
        assert_eq!(
            roi.intensity.iter().copied().collect::<Vec<_>>(),
            [false, true, false, false]
        );
        let r = Resegmentation {
            min: Some(5.0),
            max: None,
            outlier_sd: None,
        };
        let e = resegment_response(&mut roi, &r, "log_s1mm_3d").unwrap_err();
        assert!(e.to_string().contains("log_s1mm_3d"), "{e}");
    }
}
