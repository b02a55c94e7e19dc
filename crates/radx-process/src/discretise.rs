//! IBSI discretisation (02_Image_processing.rst, "Discretisation"): intensities to grey
//! levels by fixed bin number, fixed bin size or none, refused before allocation when the
//! number of levels exceeds the limits. The result type, [`Discretised`], is radx-core's:
//! it is what feature plugins receive.

use ndarray::{Array3, Zip};

use radx_core::limits::{count_of, number, Limit, LimitError, Limits};
use radx_core::settings::{Discretisation, DiscretisationSettings, FbsOrigin};
use radx_core::{Discretised, Roi};

use crate::ProcessError;

/// Why an ROI was not discretised.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiscretiseError {
    /// The discretisation would have more grey levels than the limit allows: an error of
    /// the case.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The discretisation is undefined for this ROI (e.g. "none" on non-integer
    /// intensities): the features that need it are missing, with this reason.
    #[error("{0}")]
    Undefined(String),
}

/// The grey-level bound of one discretisation: the setting it comes from (e.g.
/// `discretisation.texture`, named in errors) and the limit that applies.
#[derive(Debug, Clone, Copy)]
pub struct LevelBound<'a> {
    /// The settings key of the discretisation, e.g. `filters.discretisation.histogram`.
    pub setting: &'a str,
    /// [`Limit::GreyLevels`] (texture) or [`Limit::HistogramBins`] (histogram, IVH).
    pub limit: Limit,
    pub limits: &'a Limits,
}

impl LevelBound<'_> {
    /// Checks `needed` grey levels (`what` says how the number comes about) against the
    /// limit, then against the `u32` grey levels radx stores.
    pub fn check(&self, what: &str, needed: u128) -> Result<(), DiscretiseError> {
        self.limits
            .check(self.limit, &format!("{}.{what}", self.setting), needed)?;
        if needed > u32::MAX as u128 {
            return Err(DiscretiseError::Undefined(format!(
                "{}.{what} needs {needed} grey levels; radx stores at most {}",
                self.setting,
                u32::MAX
            )));
        }
        Ok(())
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
    without_limits("discretisation", Limit::GreyLevels, |bound| {
        discretise_limited(roi, method, reseg_min, bound)
    })
}

/// Runs a discretisation with no bound on its number of grey levels (`setting` and `limit`
/// name it in messages); its error becomes the reason the levels are undefined.
fn without_limits(
    setting: &str,
    limit: Limit,
    f: impl FnOnce(&LevelBound) -> Result<Discretised, DiscretiseError>,
) -> Result<Discretised, String> {
    let unlimited = Limits {
        max_grey_levels: u64::MAX,
        max_histogram_bins: u64::MAX,
        ..Limits::default()
    };
    let bound = LevelBound {
        setting,
        limit,
        limits: &unlimited,
    };
    f(&bound).map_err(|e| e.to_string())
}

/// [`discretise`], refusing before it allocates per-level arrays a discretisation that
/// would have more grey levels than `bound` allows: FBN `bins`; FBS
/// `floor((X_max - X_min) / w_b) + 1` (from the lower bound to the highest ROI intensity);
/// none the highest ROI intensity.
pub fn discretise_limited(
    roi: &Roi,
    method: &Discretisation,
    reseg_min: Option<f64>,
    bound: &LevelBound,
) -> Result<Discretised, DiscretiseError> {
    discretise_with_origin(roi, method, reseg_min, FbsOrigin::LowerBound, bound)
}

/// The first bin's lower edge of a fixed-bin-size discretisation of width `w` over ROI
/// intensities from `roi_min`: with `FbsOrigin::LowerBound` (IBSI) `lower_bound`, else
/// `reseg_min`, else `roi_min`; with `FbsOrigin::Zero` (PyRadiomics) the largest multiple
/// of `w` at or below `roi_min`, `floor(roi_min / w) w`.
pub fn fbs_lower_edge(
    origin: FbsOrigin,
    w: f64,
    lower_bound: Option<f64>,
    reseg_min: Option<f64>,
    roi_min: f64,
) -> f64 {
    match origin {
        FbsOrigin::LowerBound => lower_bound.or(reseg_min).unwrap_or(roi_min),
        FbsOrigin::Zero => (roi_min / w).floor() * w,
    }
}

/// [`discretise_limited`] with the fixed-bin-size edges placed by `origin`
/// (`[conventions] fbs_origin`, see [`fbs_lower_edge`]); FBN and none ignore it. With
/// `FbsOrigin::Zero`, `X_d = floor(X / w_b) - floor(X_roi,min / w_b) + 1`, computed as
/// `floor((X - e) / w_b) + 1` with `e` the edge.
pub fn discretise_with_origin(
    roi: &Roi,
    method: &Discretisation,
    reseg_min: Option<f64>,
    origin: FbsOrigin,
    bound: &LevelBound,
) -> Result<Discretised, DiscretiseError> {
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
        return Err(DiscretiseError::Undefined(
            "the intensity mask is empty".into(),
        ));
    }
    match *method {
        Discretisation::Fbn { bins } => bound.check(&format!("bins = {bins}"), bins as u128)?,
        Discretisation::Fbs {
            bin_width,
            lower_bound,
        } => {
            let min = fbs_lower_edge(origin, bin_width, lower_bound, reseg_min, lo);
            if lo >= min {
                let needed = count_of(((hi - min) / bin_width).floor() + 1.0);
                bound.check(
                    &format!(
                        "bin_width = {} over the intensities {}..{} (the first bin's edge to \
                         the highest ROI intensity)",
                        number(bin_width),
                        number(min),
                        number(hi)
                    ),
                    needed,
                )?;
            }
        }
        Discretisation::None => {
            if hi.fract() == 0.0 && hi >= 1.0 {
                bound.check(
                    &format!(
                        "method = \"none\" with the highest ROI intensity {} (one grey level \
                         per integer)",
                        number(hi)
                    ),
                    count_of(hi),
                )?;
            }
        }
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
            let min = fbs_lower_edge(origin, bin_width, lower_bound, reseg_min, lo);
            if lo < min {
                return Err(DiscretiseError::Undefined(format!(
                    "fixed bin size: ROI intensity {lo} lies below the first bin's edge {min}"
                )));
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
                return Err(DiscretiseError::Undefined(e));
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

/// A discretisation's outcome: the grey levels, or why they are undefined for this ROI
/// (the features that need them are then missing).
type Levels = Result<Discretised, String>;

/// The three discretisations (histogram, texture, IVH) of `d`, whose settings key is
/// `setting` (`discretisation` or `filters.discretisation`): each either discretised or
/// undefined for this ROI. Fails when one would have more grey levels than its limit
/// (texture: `max_grey_levels`; histogram and IVH: `max_histogram_bins`), before
/// allocating them.
pub fn discretise_all(
    roi: &Roi,
    d: &DiscretisationSettings,
    setting: &str,
    reseg_min: Option<f64>,
    origin: FbsOrigin,
    limits: &Limits,
) -> Result<(Levels, Levels, Levels), ProcessError> {
    let key = |name: &str| format!("{setting}.{name}");
    let (h, t, i) = (key("histogram"), key("texture"), key("ivh"));
    fn bound<'a>(setting: &'a str, limits: &'a Limits) -> LevelBound<'a> {
        LevelBound {
            setting,
            limit: Discretisation::limit_for(setting.rsplit('.').next().unwrap_or(setting)),
            limits,
        }
    }
    let outcome = |r: Result<Discretised, DiscretiseError>| match r {
        Ok(d) => Ok(Ok(d)),
        Err(DiscretiseError::Undefined(why)) => Ok(Err(why)),
        Err(DiscretiseError::Limit(e)) => Err(ProcessError::from(e)),
    };
    Ok((
        outcome(discretise_with_origin(
            roi,
            &d.histogram,
            reseg_min,
            origin,
            &bound(&h, limits),
        ))?,
        outcome(discretise_with_origin(
            roi,
            &d.texture,
            reseg_min,
            origin,
            &bound(&t, limits),
        ))?,
        outcome(discretise_ivh_with_origin(
            roi,
            &d.ivh,
            reseg_min,
            origin,
            &bound(&i, limits),
        ))?,
    ))
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
    without_limits("discretisation.ivh", Limit::HistogramBins, |bound| {
        discretise_ivh_limited(roi, method, reseg_min, bound)
    })
}

/// [`discretise_ivh`] within a grey-level bound (see
/// [`discretise_limited`]); without discretisation the number of
/// levels is the intensity range `X_max - X_min + 1`.
pub fn discretise_ivh_limited(
    roi: &Roi,
    method: &Discretisation,
    reseg_min: Option<f64>,
    bound: &LevelBound,
) -> Result<Discretised, DiscretiseError> {
    discretise_ivh_with_origin(roi, method, reseg_min, FbsOrigin::LowerBound, bound)
}

/// [`discretise_ivh_limited`] with fixed-bin-size edges placed by `origin` (see
/// [`discretise_with_origin`]).
pub fn discretise_ivh_with_origin(
    roi: &Roi,
    method: &Discretisation,
    reseg_min: Option<f64>,
    origin: FbsOrigin,
    bound: &LevelBound,
) -> Result<Discretised, DiscretiseError> {
    let first = discretise_with_origin(roi, method, reseg_min, origin, bound);
    match (&first, method) {
        (Err(DiscretiseError::Undefined(_)), Discretisation::None) => {}
        _ => return first,
    }
    let undefined = |m: String| Err(DiscretiseError::Undefined(m));
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut fractional = None;
    Zip::from(&roi.image)
        .and(&roi.intensity)
        .for_each(|&v, &m| {
            if m {
                lo = lo.min(v);
                hi = hi.max(v);
                if v.fract() != 0.0 && fractional.is_none() {
                    fractional = Some(v);
                }
            }
        });
    if lo > hi {
        return undefined("the intensity mask is empty".into());
    }
    if let Some(v) = fractional {
        return undefined(format!(
            "IVH without discretisation needs integer intensities (found {v}); choose fbs or fbn \
             for [discretisation.ivh]"
        ));
    }
    bound.check(
        &format!(
            "method = \"none\" over the intensities {}..{} (one bin per integer)",
            number(lo),
            number(hi)
        ),
        count_of(hi - lo + 1.0),
    )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use radx_core::Grid;

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

    fn bound(limits: &Limits) -> LevelBound<'_> {
        LevelBound {
            setting: "discretisation.texture",
            limit: Limit::GreyLevels,
            limits,
        }
    }

    #[test]
    fn fbs_with_a_tiny_bin_width_is_refused_before_allocating_levels() {
        let m = Discretisation::Fbs {
            bin_width: 1e-9,
            lower_bound: None,
        };
        let limits = Limits::default();
        let e = discretise_limited(&roi(&[-1000.0, 0.0, 3000.0]), &m, None, &bound(&limits))
            .unwrap_err();
        let DiscretiseError::Limit(l) = &e else {
            panic!("{e}")
        };
        assert_eq!(l.limit, Limit::GreyLevels);
        // (3000 - -1000) / 1e-9 + 1, give or take the rounding of the division
        assert!(l.needed.abs_diff(4_000_000_000_001) <= 2, "{}", l.needed);
        let text = e.to_string();
        assert!(
            text.contains("discretisation.texture.bin_width = 1e-9")
                && text.contains("-1000..3000")
                && text.contains("limits.max_grey_levels")
                && text.contains("65536"),
            "{text}"
        );
        // Within the limit (exactly at it), the same width works.
        let small = roi(&[0.0, 32767.5]);
        let half = Discretisation::Fbs {
            bin_width: 0.5,
            lower_bound: None,
        };
        let d = discretise_limited(&small, &half, None, &bound(&limits)).unwrap();
        assert_eq!(d.n_levels, 65536);
        // Beyond u32 without a limit: an undefined discretisation, never a wrapped level.
        let e = discretise(&roi(&[-1000.0, 0.0, 3000.0]), &m, None).unwrap_err();
        assert!(
            e.contains("grey levels; radx stores at most 4294967295"),
            "{e}"
        );
    }

    #[test]
    fn fbn_and_none_are_checked_against_the_bound() {
        let limits = Limits {
            max_grey_levels: 4,
            ..Limits::default()
        };
        let e = discretise_limited(
            &roi(&[0.0, 1.0]),
            &Discretisation::Fbn { bins: 5 },
            None,
            &bound(&limits),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("discretisation.texture.bins = 5 needs 5 grey levels"),
            "{e}"
        );
        assert!(discretise_limited(
            &roi(&[0.0, 1.0]),
            &Discretisation::Fbn { bins: 4 },
            None,
            &bound(&limits)
        )
        .is_ok());
        let e = discretise_limited(
            &roi(&[1.0, 7.0]),
            &Discretisation::None,
            None,
            &bound(&limits),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("method = \"none\"") && e.contains("needs 7"),
            "{e}"
        );
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
