use ndarray::{Array3, Zip};

use crate::{CoreError, Grid};

/// An image: intensities on a grid, indexed `(z, y, x)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub grid: Grid,
    pub data: Array3<f64>,
}

/// A binary mask on a grid, indexed `(z, y, x)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    pub grid: Grid,
    pub data: Array3<bool>,
}

impl Image {
    pub fn new(grid: Grid, data: Array3<f64>) -> Result<Self, CoreError> {
        check_shape(&grid, data.dim())?;
        Ok(Image { grid, data })
    }
}

impl Mask {
    pub fn new(grid: Grid, data: Array3<bool>) -> Result<Self, CoreError> {
        check_shape(&grid, data.dim())?;
        Ok(Mask { grid, data })
    }

    /// Number of voxels in the mask.
    pub fn count(&self) -> usize {
        self.data.iter().filter(|&&v| v).count()
    }
}

fn check_shape(grid: &Grid, dim: (usize, usize, usize)) -> Result<(), CoreError> {
    if [dim.0, dim.1, dim.2] != grid.shape_zyx {
        return Err(CoreError::Invalid(format!(
            "array shape {:?} differs from grid shape {:?}",
            dim, grid.shape_zyx
        )));
    }
    Ok(())
}

/// The IBSI region of interest: an image with two masks on one grid.
///
/// The *morphological* mask keeps the ROI's shape (it is never re-segmented); the
/// *intensity* mask is the morphological mask after re-segmentation and is the set of
/// voxels whose intensities feed intensity and texture features.
#[derive(Debug, Clone, PartialEq)]
pub struct Roi {
    pub grid: Grid,
    pub image: Array3<f64>,
    pub morphological: Array3<bool>,
    pub intensity: Array3<bool>,
}

impl Roi {
    /// An ROI whose intensity mask equals its morphological mask. Fails when image and
    /// mask differ in grid, the mask is empty, or an ROI voxel is not finite.
    pub fn from_image_and_mask(image: Image, mask: Mask) -> Result<Self, CoreError> {
        if let Some(why) = image.grid.mismatch(&mask.grid, 1e-3) {
            return Err(CoreError::GridMismatch(why));
        }
        let roi = Roi {
            grid: image.grid,
            image: image.data,
            intensity: mask.data.clone(),
            morphological: mask.data,
        };
        roi.check()?;
        Ok(roi)
    }

    /// Checks that the ROI is not empty and that its intensities are finite.
    pub fn check(&self) -> Result<(), CoreError> {
        if !self.morphological.iter().any(|&v| v) {
            return Err(CoreError::EmptyRoi(String::new()));
        }
        let mut count = 0;
        let mut first = [0; 3];
        for ((z, y, x), (&v, &m)) in self
            .image
            .indexed_iter()
            .zip(self.morphological.iter())
            .map(|((i, v), m)| (i, (v, m)))
        {
            if m && !v.is_finite() {
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

    /// Intensities of the voxels in the intensity mask, in C order.
    pub fn intensity_values(&self) -> Vec<f64> {
        let mut out = Vec::new();
        Zip::from(&self.image)
            .and(&self.intensity)
            .for_each(|&v, &m| {
                if m {
                    out.push(v)
                }
            });
        out
    }

    /// Number of voxels in the intensity mask.
    pub fn intensity_count(&self) -> usize {
        self.intensity.iter().filter(|&&v| v).count()
    }

    /// Number of voxels in the morphological mask.
    pub fn morphological_count(&self) -> usize {
        self.morphological.iter().filter(|&&v| v).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid::new([2, 2, 2], [1.0; 3], [0.0; 3])
    }

    #[test]
    fn roi_rejects_empty_mask() {
        let img = Image::new(grid(), Array3::zeros((2, 2, 2))).unwrap();
        let mask = Mask::new(grid(), Array3::from_elem((2, 2, 2), false)).unwrap();
        assert!(matches!(
            Roi::from_image_and_mask(img, mask),
            Err(CoreError::EmptyRoi(_))
        ));
    }

    #[test]
    fn roi_rejects_nan_inside_but_not_outside() {
        let mut data = Array3::zeros((2, 2, 2));
        data[[1, 1, 1]] = f64::NAN;
        let mut m = Array3::from_elem((2, 2, 2), false);
        m[[0, 0, 0]] = true;
        let roi = Roi::from_image_and_mask(
            Image::new(grid(), data.clone()).unwrap(),
            Mask::new(grid(), m.clone()).unwrap(),
        );
        assert!(roi.is_ok());
        m[[1, 1, 1]] = true;
        let err = Roi::from_image_and_mask(
            Image::new(grid(), data).unwrap(),
            Mask::new(grid(), m).unwrap(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            CoreError::NonFiniteVoxels {
                count: 1,
                first: [1, 1, 1]
            }
        );
    }

    #[test]
    fn roi_rejects_grid_mismatch() {
        let img = Image::new(grid(), Array3::zeros((2, 2, 2))).unwrap();
        let mut g = grid();
        g.spacing_zyx = [2.0, 1.0, 1.0];
        let mask = Mask::new(g, Array3::from_elem((2, 2, 2), true)).unwrap();
        assert!(matches!(
            Roi::from_image_and_mask(img, mask),
            Err(CoreError::GridMismatch(_))
        ));
    }
}
