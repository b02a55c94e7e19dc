//! The IBSI image-processing chain (02_Image_processing.rst):
//! image + mask -> (interpolation) -> re-segmentation -> discretisations, with the
//! diagnostic values of each step.

use ndarray::{s, Zip};
use radx_core::settings::Settings;
use radx_core::{discretise, CoreError, Discretised, Image, Mask, Roi};
use thiserror::Error;

/// Errors of the processing chain.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ProcessError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("after re-segmentation the intensity mask is empty (range {min:?}..{max:?})")]
    EmptyAfterResegmentation { min: Option<f64>, max: Option<f64> },
}

/// A diagnostic value of a processing step, named by its IBSI reference tag
/// (e.g. `img_dim_x_init_img`, `int_mask_vox_count_reseg_roi`).
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub tag: String,
    pub value: f64,
}

/// The output of the chain: the ROI that features are computed on, its discretisations
/// and the diagnostic values of each step.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub roi: Roi,
    pub histogram: Result<Discretised, String>,
    pub texture: Result<Discretised, String>,
    pub ivh: Result<Discretised, String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Runs the chain on an image and its mask.
pub fn prepare(image: Image, mask: Mask, settings: &Settings) -> Result<Prepared, ProcessError> {
    let mut image = image;
    if settings.input.round_intensities {
        image.data.mapv_inplace(f64::round);
    }
    let roi = Roi::from_image_and_mask(image, mask)?;
    let mut roi = crop_to_roi(roi, 12.0);
    resegment(&mut roi, settings)?;
    let reseg_min = settings.resegmentation.min;
    let d = &settings.discretisation;
    Ok(Prepared {
        histogram: discretise(&roi, &d.histogram, reseg_min),
        texture: discretise(&roi, &d.texture, reseg_min),
        ivh: discretise(&roi, &d.ivh, reseg_min),
        roi,
        diagnostics: Vec::new(),
    })
}

/// Restricts the intensity mask to the re-segmentation range, then to mean ± k SD.
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
/// ROI), and moves the grid origin accordingly.
pub fn crop_to_roi(roi: Roi, margin_mm: f64) -> Roi {
    let dims = roi.grid.shape_zyx;
    let mut lo = dims;
    let mut hi = [0usize; 3];
    for ((z, y, x), &m) in roi.morphological.indexed_iter() {
        if m {
            for (a, v) in [z, y, x].into_iter().enumerate() {
                lo[a] = lo[a].min(v);
                hi[a] = hi[a].max(v);
            }
        }
    }
    let mut start = [0usize; 3];
    let mut end = [0usize; 3];
    for a in 0..3 {
        let pad = (margin_mm / roi.grid.spacing_zyx[a]).ceil() as usize;
        start[a] = lo[a].saturating_sub(pad);
        end[a] = (hi[a] + pad + 1).min(dims[a]);
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
