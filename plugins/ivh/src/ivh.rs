//! The cumulative intensity-volume histogram of one ROI.

use radx_core::settings::{Discretisation, IvhFbsRange};
use radx_core::FeatureInput;

/// The IVH of an ROI: the discretised intensities `X_d,gl` of its `N_v` voxels, the
/// total range `G = [min G, max G]` and the discretisation interval `w_d`.
///
/// The IVH is evaluated at the grid intensities `i_j = min G + j w_d`, `j = 0, 1, ...`:
///
/// * volume fraction `ν_j = 1 - (1/N_v) Σ_k [X_d,gl,k < i_j]`, the fraction of voxels
///   with intensity at least `i_j`;
/// * intensity fraction `γ_j = (i_j - min G) / (max G - min G) = j w_d / (max G - min G)`.
///
/// Internally each voxel is stored by its grid coordinate `u_k = (X_d,gl,k - min G) / w_d`
/// (an integer for discretised intensities), so that `ν_j` is the fraction of voxels with
/// `u_k >= j`, computed from integer counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Ivh {
    /// Grid coordinate of every voxel, in C order.
    u: Vec<f64>,
    /// `min G`.
    pub origin: f64,
    /// `w_d`.
    pub step: f64,
    /// `max G - min G`.
    pub span: f64,
}

impl Ivh {
    /// An IVH from discretised intensities `x` (any order), range `[g_min, g_max]` and
    /// interval `w_d = step > 0`.
    pub fn from_intensities(x: &[f64], g_min: f64, g_max: f64, step: f64) -> Self {
        Ivh {
            u: x.iter().map(|&v| (v - g_min) / step).collect(),
            origin: g_min,
            step,
            span: g_max - g_min,
        }
    }

    /// An IVH over the settings' `[discretisation.ivh]` method (05_Reference_data_sets /
    /// 03_Image_features, "Intensity-volume histogram features"):
    ///
    /// * `none` — discrete calibrated intensities (e.g. CT): `X_d,gl = X_gl`, the
    ///   intensities as they are (read from the ROI, so the `ivh` discretisation result is
    ///   not needed), which must be integers; `w_d = 1`, and `G` the re-segmentation range;
    ///   a missing bound is replaced by the ROI's minimum or maximum intensity.
    /// * `fbs` — continuous calibrated intensities: bin numbers `X_d` are mapped to bin
    ///   centres `X_d,gl = X_min + (X_d - 0.5) w_b`, with `X_min` the first bin's lower edge
    ///   (the FBS lower bound, else the re-segmentation minimum, else the ROI minimum) and
    ///   `X_max` the re-segmentation maximum, else the ROI maximum;
    ///   `G = [X_min + w_b/2, X_max - w_b/2]`, `w_d = w_b`; with `[conventions]
    ///   ivh_fbs_range = "extended"` (MIRP) `max G = X_min + (ceil((X_max - X_min) / w_b) + 1/2) w_b`.
    /// * `fbn` — arbitrary intensity units: `X_d,gl = X_d`, `w_d = 1`, `G = [1, N_g]`.
    ///
    /// Fails when the intensity mask is empty or the needed discretisation failed.
    pub fn from_input(input: &FeatureInput) -> Result<Self, String> {
        let roi = input.roi;
        let reseg = &input.settings.resegmentation;
        let method = &input.settings.discretisation.ivh;
        let discretised = || {
            input
                .ivh
                .as_ref()
                .map_err(|e| format!("IVH discretisation failed: {e}"))
        };
        let ivh = match method {
            Discretisation::None => {
                let x = roi.intensity_values();
                let (lo, hi) = extremes(&x).ok_or("the intensity mask is empty")?;
                if let Some(v) = x.iter().find(|&&v| (v as i64) as f64 != v) {
                    return Err(format!(
                        "IVH without discretisation needs integer (discrete calibrated) \
                         intensities, found {v}; choose fbs or fbn for [discretisation.ivh]"
                    ));
                }
                Self::from_intensities(&x, reseg.min.unwrap_or(lo), reseg.max.unwrap_or(hi), 1.0)
            }
            Discretisation::Fbs { .. } => {
                let d = discretised()?;
                let x_max = match reseg.max {
                    Some(m) => m,
                    None => roi_max(roi).ok_or("the intensity mask is empty")?,
                };
                let w = d.bin_width;
                let x_min = d.lower_edge;
                let g_max = match input.settings.conventions.ivh_fbs_range {
                    IvhFbsRange::Ibsi => x_max - 0.5 * w,
                    IvhFbsRange::Extended => x_min + (((x_max - x_min) / w).ceil() + 0.5) * w,
                };
                Ivh {
                    u: level_coordinates(d.levels.iter()),
                    origin: x_min + 0.5 * w,
                    step: w,
                    span: g_max - (x_min + 0.5 * w),
                }
            }
            Discretisation::Fbn { .. } => {
                let d = discretised()?;
                Ivh {
                    u: level_coordinates(d.levels.iter()),
                    origin: 1.0,
                    step: 1.0,
                    span: d.n_levels as f64 - 1.0,
                }
            }
        };
        if ivh.u.is_empty() {
            return Err("the intensity mask is empty".into());
        }
        Ok(ivh)
    }

    /// Number of voxels `N_v`.
    pub fn n(&self) -> usize {
        self.u.len()
    }

    /// Grid intensity `i_j = min G + j w_d`.
    pub fn intensity(&self, j: u64) -> f64 {
        self.origin + j as f64 * self.step
    }

    /// Number of voxels with intensity at least `i_j`.
    fn count_at_least(&self, j: u64) -> usize {
        let j = j as f64;
        self.u.iter().filter(|&&u| u >= j).count()
    }

    /// Volume fraction `ν_j` at grid intensity `i_j`.
    pub fn volume_fraction(&self, j: u64) -> f64 {
        self.count_at_least(j) as f64 / self.n() as f64
    }

    /// Smallest grid index `j` with intensity fraction `γ_j >= pct / 100`, decided
    /// exactly as `100 j w_d >= pct (max G - min G)`. Undefined when `max G <= min G`.
    fn first_index_at_fraction(&self, pct: u32) -> Result<u64, String> {
        if self.span.is_nan() || self.span <= 0.0 {
            return Err(format!(
                "the IVH intensity range G has no extent (max G - min G = {}), so intensity \
                 fractions are undefined",
                self.span
            ));
        }
        let target = pct as f64 * self.span;
        let reached = |j: u64| 100.0 * j as f64 * self.step >= target;
        let mut j = ((target / (100.0 * self.step)).floor().max(0.0)) as u64;
        while j > 0 && reached(j - 1) {
            j -= 1;
        }
        while !reached(j) {
            j += 1;
        }
        Ok(j)
    }

    /// Volume at intensity fraction `V_x` (BC2M) for `x = pct %`: the largest volume
    /// fraction `ν_j` among grid intensities with `γ_j >= x`. As `ν` does not increase with
    /// `j`, that is `ν` at the smallest such `j`. Undefined when `G` has no extent.
    pub fn volume_at_intensity_fraction(&self, pct: u32) -> Result<f64, String> {
        Ok(self.volume_fraction(self.first_index_at_fraction(pct)?))
    }

    /// Both `V_a` and `V_b` with one pass over the voxels.
    pub fn volumes_at_intensity_fractions(&self, a: u32, b: u32) -> Result<(f64, f64), String> {
        let (ja, jb) = (
            self.first_index_at_fraction(a)? as f64,
            self.first_index_at_fraction(b)? as f64,
        );
        let (mut ca, mut cb) = (0usize, 0usize);
        for &u in &self.u {
            ca += (u >= ja) as usize;
            cb += (u >= jb) as usize;
        }
        let n = self.n() as f64;
        Ok((ca as f64 / n, cb as f64 / n))
    }

    /// Grid index of the intensity at volume fraction `x = pct %`: the smallest `j >= 0`
    /// with `ν_j <= x`, i.e. at most `K = ⌊x N_v⌋` voxels at or above `i_j`. With the
    /// coordinates sorted ascending, that is one step above the `(N_v - K)`-th smallest,
    /// found by selection. When that lies above `max G` (more than `x` of the volume has
    /// the top intensity of `G`), the grid continues past `max G`, where `ν` keeps its
    /// meaning and reaches 0.
    fn index_at_volume_fraction(&self, pct: u32, scratch: &mut [f64]) -> u64 {
        let n = self.n() as u64;
        let k = n * pct as u64 / 100;
        if k >= n {
            return 0;
        }
        let rank = (n - k - 1) as usize;
        let (_, t, _) = scratch.select_nth_unstable_by(rank, f64::total_cmp);
        if *t < 0.0 {
            0
        } else {
            t.floor() as u64 + 1
        }
    }

    /// Intensity at volume fraction `I_x` (GBPN) for `x = pct %`: the lowest grid
    /// intensity `i_j` present in at most `x` of the volume (`ν_j <= x`).
    pub fn intensity_at_volume_fraction(&self, pct: u32) -> f64 {
        let mut scratch = self.u.clone();
        self.intensity(self.index_at_volume_fraction(pct, &mut scratch))
    }

    /// Both `I_a` and `I_b`, sharing one scratch copy.
    pub fn intensities_at_volume_fractions(&self, a: u32, b: u32) -> (f64, f64) {
        let mut scratch = self.u.clone();
        let ja = self.index_at_volume_fraction(a, &mut scratch);
        let jb = self.index_at_volume_fraction(b, &mut scratch);
        (self.intensity(ja), self.intensity(jb))
    }
}

/// Minimum and maximum of `x`, or `None` when empty.
fn extremes(x: &[f64]) -> Option<(f64, f64)> {
    if x.is_empty() {
        return None;
    }
    Some(
        x.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            }),
    )
}

/// Highest intensity in the ROI intensity mask, or `None` when it is empty.
fn roi_max(roi: &radx_core::Roi) -> Option<f64> {
    let mut hi = f64::NEG_INFINITY;
    ndarray::Zip::from(&roi.image)
        .and(&roi.intensity)
        .for_each(|&v, &m| {
            if m {
                hi = hi.max(v);
            }
        });
    (hi > f64::NEG_INFINITY).then_some(hi)
}

/// Grid coordinates `level - 1` of the voxels of a discretised volume (level 0 is outside
/// the intensity mask), in iteration order.
fn level_coordinates<'a>(levels: impl Iterator<Item = &'a u32>) -> Vec<f64> {
    levels
        .filter(|&&l| l > 0)
        .map(|&l| (l - 1) as f64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digital phantom's intensities: 50 × 1, 1 × 3, 16 × 4, 7 × 6.
    fn phantom() -> Vec<f64> {
        let mut x = vec![1.0; 50];
        x.push(3.0);
        x.extend([4.0; 16]);
        x.extend([6.0; 7]);
        x
    }

    #[test]
    fn manual_example_table() {
        // 03_Image_features.rst, "Calculating the IV histogram": G = [1, 6], w = 1.
        let ivh = Ivh::from_intensities(&phantom(), 1.0, 6.0, 1.0);
        let expected = [1.000, 0.324, 0.324, 0.311, 0.095, 0.095];
        for (j, &e) in expected.iter().enumerate() {
            let nu = ivh.volume_fraction(j as u64);
            assert!((nu - e).abs() < 5e-4, "nu_{j} = {nu}, table {e}");
            assert_eq!(ivh.intensity(j as u64), (j + 1) as f64);
        }
        assert_eq!(ivh.volume_fraction(6), 0.0);
        // V10: first γ >= 0.1 is γ = 0.2 (i = 2): 24/74; V90: γ = 1.0 (i = 6): 7/74
        assert_eq!(ivh.volume_at_intensity_fraction(10), Ok(24.0 / 74.0));
        assert_eq!(ivh.volume_at_intensity_fraction(90), Ok(7.0 / 74.0));
        // I10: first ν <= 0.1 at i = 5; I90: first ν <= 0.9 at i = 2
        assert_eq!(ivh.intensities_at_volume_fractions(10, 90), (5.0, 2.0));
    }

    #[test]
    fn exact_ties_are_inclusive() {
        // 10 voxels 0..=9, G = [0, 10]: γ_1 = 0.1 exactly, so V10 = ν_1 = 0.9;
        // ν_9 = 0.1 exactly, so I10 = 9; ν_1 = 0.9, so I90 = 1.
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let ivh = Ivh::from_intensities(&x, 0.0, 10.0, 1.0);
        assert_eq!(ivh.volume_at_intensity_fraction(10), Ok(0.9));
        assert_eq!(ivh.volume_at_intensity_fraction(90), Ok(0.1));
        assert_eq!(ivh.intensity_at_volume_fraction(10), 9.0);
        assert_eq!(ivh.intensity_at_volume_fraction(90), 1.0);
    }

    #[test]
    fn bin_width_and_offset_grid() {
        // FBS-like: bin centres -998.75 + 2.5 j; coordinates are bin numbers - 1.
        let ivh = Ivh {
            u: vec![0.0, 1.0, 1.0, 2.0, 3.0],
            origin: -998.75,
            step: 2.5,
            span: 7.5,
        };
        // γ_j = 2.5 j / 7.5: first >= 0.1 at j = 1 (4/5 of voxels), >= 0.9 at j = 3 (1/5)
        assert_eq!(ivh.volumes_at_intensity_fractions(10, 90), Ok((0.8, 0.2)));
        // K(10%) = 0: above the largest (j = 3) -> j = 4; K(90%) = 4: above the smallest -> j = 1
        assert_eq!(
            ivh.intensities_at_volume_fractions(10, 90),
            (-998.75 + 10.0, -998.75 + 2.5)
        );
    }

    #[test]
    fn flat_roi() {
        // One intensity, G = [5, 5]: intensity fractions are undefined; I_x is one step
        // above the ROI's intensity, where ν = 0.
        let ivh = Ivh::from_intensities(&[5.0; 4], 5.0, 5.0, 1.0);
        assert!(ivh
            .volume_at_intensity_fraction(10)
            .unwrap_err()
            .contains("no extent"));
        assert_eq!(ivh.intensities_at_volume_fractions(10, 90), (6.0, 6.0));
        // A single voxel inside a re-segmentation range: both defined.
        let ivh = Ivh::from_intensities(&[3.0], 0.0, 10.0, 1.0);
        assert_eq!(ivh.volumes_at_intensity_fractions(10, 90), Ok((1.0, 0.0)));
        assert_eq!(ivh.intensities_at_volume_fractions(10, 90), (4.0, 4.0));
    }
}
