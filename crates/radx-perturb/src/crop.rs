//! Cropping image and mask to the ROI bounding box plus a margin.

use ndarray::s;
use radx_core::{Image, Mask};

use crate::PerturbError;

/// Bounding box `[lo, hi)` per axis (z, y, x) of the true voxels, or `None` when none is.
pub fn bounding_box(mask: &ndarray::Array3<bool>) -> Option<[[usize; 2]; 3]> {
    let mut bb = [[usize::MAX, 0]; 3];
    let mut any = false;
    for ((z, y, x), &m) in mask.indexed_iter() {
        if m {
            any = true;
            for (a, i) in [z, y, x].into_iter().enumerate() {
                bb[a][0] = bb[a][0].min(i);
                bb[a][1] = bb[a][1].max(i + 1);
            }
        }
    }
    any.then_some(bb)
}

/// Crops image and mask to the ROI bounding box widened by `margin_mm` on every side
/// (`⌈margin_mm / spacing⌉` voxels per axis, clipped to the grid). The cropped grid keeps
/// spacing and direction; its origin is the world position of the first kept voxel, so
/// the crop is geometrically the same data.
///
/// Perturbing a whole CT is wasteful: crop first with a margin that covers the largest
/// rotation/translation/growth you use (e.g. 10–20 mm), since resampling near the crop
/// edge uses nearest extension.
pub fn crop_to_roi(
    image: &Image,
    mask: &Mask,
    margin_mm: f64,
) -> Result<(Image, Mask), PerturbError> {
    crate::check_shape(&image.grid.shape_zyx, image.data.dim())?;
    crate::check_shape(&mask.grid.shape_zyx, mask.data.dim())?;
    if let Some(why) = image.grid.mismatch(&mask.grid, 1e-3) {
        return Err(PerturbError::GridMismatch(why));
    }
    let [lo, hi] = crop_bounds(&image.grid, mask, margin_mm)?;
    let g = &image.grid;
    let mut grid = g.clone();
    grid.shape_zyx = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
    grid.origin_xyz = g.world_of_index([lo[0] as f64, lo[1] as f64, lo[2] as f64]);
    let sl = s![lo[0]..hi[0], lo[1]..hi[1], lo[2]..hi[2]];
    let img = Image {
        grid: grid.clone(),
        data: image.data.slice(sl).to_owned(),
    };
    let msk = Mask {
        grid,
        data: mask.data.slice(sl).to_owned(),
    };
    Ok((img, msk))
}

/// The index range `[lo, hi)` per axis (z, y, x) that [`crop_to_roi`] keeps: the ROI
/// bounding box widened by `⌈margin_mm / spacing⌉` voxels per axis, clipped to the grid.
/// (What a caller needs to put a perturbed crop back into the whole image.)
pub fn crop_bounds(
    grid: &radx_core::Grid,
    mask: &Mask,
    margin_mm: f64,
) -> Result<[[usize; 3]; 2], PerturbError> {
    if !(margin_mm.is_finite() && margin_mm >= 0.0) {
        return Err(PerturbError::InvalidParameter {
            what: format!("crop margin must be finite and >= 0 mm, got {margin_mm}"),
        });
    }
    let bb = bounding_box(&mask.data).ok_or(PerturbError::EmptyRoi)?;
    let g = grid;
    let mut lo = [0usize; 3];
    let mut hi = [0usize; 3];
    for a in 0..3 {
        let m = if g.spacing_zyx[a] > 0.0 {
            // a margin of 1e-9 voxel less than an integer is that integer (rounding noise)
            let v = (margin_mm / g.spacing_zyx[a] - 1e-9).ceil().max(0.0);
            v.min(g.shape_zyx[a] as f64) as usize
        } else {
            0
        };
        lo[a] = bb[a][0].saturating_sub(m);
        hi[a] = (bb[a][1] + m).min(g.shape_zyx[a]);
    }
    Ok([lo, hi])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;
    use radx_core::Grid;

    #[test]
    fn crop_keeps_margin_and_geometry() {
        let g = Grid::new([10, 12, 14], [2.0, 1.0, 0.5], [100.0, 200.0, 300.0]);
        let data = Array3::from_shape_fn((10, 12, 14), |(z, y, x)| (z * 1000 + y * 100 + x) as f64);
        let mut m = Array3::from_elem((10, 12, 14), false);
        m[[5, 6, 7]] = true;
        m[[6, 6, 8]] = true;
        let img = Image::new(g.clone(), data).unwrap();
        let msk = Mask::new(g.clone(), m).unwrap();
        let (ci, cm) = crop_to_roi(&img, &msk, 2.0).unwrap();
        // margin 2 mm = 1 voxel in z, 2 in y, 4 in x
        assert_eq!(ci.grid.shape_zyx, [4, 5, 10]);
        assert_eq!(ci.data[[0, 0, 0]], (4 * 1000 + 4 * 100 + 3) as f64);
        assert_eq!(ci.grid.origin_xyz, g.world_of_index([4.0, 4.0, 3.0]));
        assert_eq!(cm.data.iter().filter(|&&v| v).count(), 2);
        assert!(cm.data[[1, 2, 4]]);
        // a huge margin clips to the grid
        let (ci, _) = crop_to_roi(&img, &msk, 1e6).unwrap();
        assert_eq!(ci, img);
    }

    #[test]
    fn crop_errors() {
        let g = Grid::new([3, 3, 3], [1.0; 3], [0.0; 3]);
        let img = Image::new(g.clone(), Array3::zeros((3, 3, 3))).unwrap();
        let empty = Mask::new(g.clone(), Array3::from_elem((3, 3, 3), false)).unwrap();
        assert_eq!(crop_to_roi(&img, &empty, 1.0), Err(PerturbError::EmptyRoi));
        let full = Mask::new(g, Array3::from_elem((3, 3, 3), true)).unwrap();
        assert!(matches!(
            crop_to_roi(&img, &full, f64::NAN),
            Err(PerturbError::InvalidParameter { .. })
        ));
        let other = Mask::new(
            Grid::new([3, 3, 3], [2.0, 1.0, 1.0], [0.0; 3]),
            Array3::from_elem((3, 3, 3), true),
        )
        .unwrap();
        assert!(matches!(
            crop_to_roi(&img, &other, 1.0),
            Err(PerturbError::GridMismatch(_))
        ));
    }
}
