//! IBSI discretisation (02_Image_processing.rst, "Discretisation").

use ndarray::{Array3, Zip};

use crate::settings::Discretisation;
use crate::Roi;

/// Grey levels of the voxels in an ROI's intensity mask.
#[derive(Debug, Clone, PartialEq)]
pub struct Discretised {
    /// Grey level per voxel, indexed `(z, y, x)`: 0 outside the intensity mask,
    /// 1..=`n_levels` inside.
    pub levels: Array3<u32>,
    /// Number of grey levels `N_g`: FBN the number of bins; FBS and none the highest
    /// grey level in the ROI.
    pub n_levels: u32,
    /// Intensity at the lower edge of bin 1 (FBN: ROI minimum; FBS: the lower bound;
    /// none: 0.5, so that level `k` covers `[k - 0.5, k + 0.5)`).
    pub lower_edge: f64,
    /// Width of a bin in intensity units (FBN: `(max - min) / N_g`; FBS: the bin width;
    /// none: 1).
    pub bin_width: f64,
}

impl Discretised {
    /// Grey levels of the ROI voxels in C order.
    pub fn roi_levels(&self) -> Vec<u32> {
        self.levels.iter().copied().filter(|&l| l > 0).collect()
    }

    /// Centre intensity of grey level `k` (1-based).
    pub fn bin_centre(&self, k: u32) -> f64 {
        self.lower_edge + (k as f64 - 0.5) * self.bin_width
    }
}

/// Discretises the intensity-masked voxels of `roi`.
///
/// * FBN (fixed bin number, `N_g` bins): `X_d = floor(N_g (X - X_min) / (X_max - X_min)) + 1`,
///   and `X_d = N_g` where `X = X_max`; `X_min`, `X_max` over the ROI. A ROI of one
///   intensity is level 1.
/// * FBS (fixed bin size `w_b`): `X_d = floor((X - X_min) / w_b) + 1`, with `X_min` the
///   lower bound (`lower_bound`, else `reseg_min`, else the ROI minimum).
/// * none: the intensities are the grey levels; they must be integers >= 1.
///
/// Returns an error message when the ROI cannot be discretised so (e.g. "none" on
/// non-integer intensities, or FBS intensities below the lower bound).
pub fn discretise(
    roi: &Roi,
    method: &Discretisation,
    reseg_min: Option<f64>,
) -> Result<Discretised, String> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    Zip::from(&roi.image)
        .and(&roi.intensity)
        .for_each(|&v, &m| {
            if m {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        });
    if lo > hi {
        return Err("the intensity mask is empty".into());
    }
    let mut levels = Array3::<u32>::zeros(roi.image.dim());
    let mut max_level = 0u32;
    let mut err: Option<String> = None;
    match *method {
        Discretisation::Fbn { bins } => {
            let ng = bins as f64;
            let range = hi - lo;
            Zip::from(&mut levels)
                .and(&roi.image)
                .and(&roi.intensity)
                .for_each(|l, &v, &m| {
                    if m {
                        let d = if range > 0.0 {
                            ((ng * (v - lo) / range).floor() as u32 + 1).min(bins)
                        } else {
                            1
                        };
                        *l = d;
                    }
                });
            let width = if range > 0.0 { range / ng } else { 1.0 };
            Ok(Discretised {
                levels,
                n_levels: bins,
                lower_edge: lo,
                bin_width: width,
            })
        }
        Discretisation::Fbs {
            bin_width,
            lower_bound,
        } => {
            let min = lower_bound.or(reseg_min).unwrap_or(lo);
            if lo < min {
                return Err(format!(
                    "fixed bin size: ROI intensity {lo} lies below the first bin's edge {min}"
                ));
            }
            Zip::from(&mut levels)
                .and(&roi.image)
                .and(&roi.intensity)
                .for_each(|l, &v, &m| {
                    if m {
                        let d = ((v - min) / bin_width).floor() as u32 + 1;
                        max_level = max_level.max(d);
                        *l = d;
                    }
                });
            Ok(Discretised {
                levels,
                n_levels: max_level,
                lower_edge: min,
                bin_width,
            })
        }
        Discretisation::None => {
            Zip::from(&mut levels)
                .and(&roi.image)
                .and(&roi.intensity)
                .for_each(|l, &v, &m| {
                    if m {
                        if v.fract() != 0.0 || v < 1.0 || v > u32::MAX as f64 {
                            if err.is_none() {
                                err = Some(format!(
                                    "discretisation \"none\" needs integer intensities >= 1, found {v}; choose fbn or fbs"
                                ));
                            }
                        } else {
                            let d = v as u32;
                            max_level = max_level.max(d);
                            *l = d;
                        }
                    }
                });
            if let Some(e) = err {
                return Err(e);
            }
            Ok(Discretised {
                levels,
                n_levels: max_level,
                lower_edge: 0.5,
                bin_width: 1.0,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Grid;

    fn roi(values: &[f64]) -> Roi {
        let n = values.len();
        let grid = Grid::new([1, 1, n], [1.0; 3], [0.0; 3]);
        let image = Array3::from_shape_vec((1, 1, n), values.to_vec()).unwrap();
        let mask = Array3::from_elem((1, 1, n), true);
        Roi {
            grid,
            image,
            morphological: mask.clone(),
            intensity: mask,
        }
    }

    #[test]
    fn fbn_hand_computed() {
        // min 0, max 10, 4 bins: edges 0, 2.5, 5, 7.5, 10 (10 goes to bin 4).
        let d = discretise(
            &roi(&[0.0, 2.4, 2.5, 7.4, 7.5, 10.0]),
            &Discretisation::Fbn { bins: 4 },
            None,
        )
        .unwrap();
        assert_eq!(d.roi_levels(), vec![1, 1, 2, 3, 4, 4]);
        assert_eq!(d.n_levels, 4);
    }

    #[test]
    fn fbs_uses_resegmentation_lower_bound() {
        let m = Discretisation::Fbs {
            bin_width: 25.0,
            lower_bound: None,
        };
        let d = discretise(
            &roi(&[-500.0, -475.1, -475.0, 0.0, 400.0]),
            &m,
            Some(-500.0),
        )
        .unwrap();
        assert_eq!(d.roi_levels(), vec![1, 1, 2, 21, 37]);
        assert_eq!(d.n_levels, 37);
        // without a bound, the ROI minimum is the first edge
        let d = discretise(&roi(&[10.0, 34.9, 35.0]), &m, None).unwrap();
        assert_eq!(d.roi_levels(), vec![1, 1, 2]);
    }

    #[test]
    fn none_requires_integer_levels() {
        let d = discretise(&roi(&[1.0, 3.0, 6.0]), &Discretisation::None, None).unwrap();
        assert_eq!(d.roi_levels(), vec![1, 3, 6]);
        assert_eq!(d.n_levels, 6);
        assert!(discretise(&roi(&[1.5]), &Discretisation::None, None).is_err());
        assert!(discretise(&roi(&[-3.0]), &Discretisation::None, None).is_err());
    }
}
