//! The grey levels features are computed on: the result of a discretisation, as feature
//! plugins receive it in [`crate::FeatureInput`]. The discretisation itself (FBN, FBS,
//! none) is radx-process's `discretise`.

use ndarray::Array3;

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
