//! The IBSI 1 digital phantom, built in so that radx runs with no external data.
//!
//! 5 × 4 × 4 voxels (x, y, z) of 2 mm; grey levels 1, 3, 4, 6 and 9 outside the ROI
//! (Zwanenburg et al., IBSI reference manual, "Digital phantom"; CC BY 4.0). Values are
//! listed in (z, y, x) C order, as in the IBSI's NIfTI file.

use ndarray::Array3;

use crate::{Grid, Image, Mask};

#[rustfmt::skip]
const VALUES: [u8; 80] = [
    1, 4, 4, 1, 1,  1, 4, 6, 1, 1,  4, 1, 6, 4, 1,  4, 4, 6, 4, 1,
    1, 4, 4, 1, 1,  1, 1, 6, 1, 1,  1, 1, 3, 1, 1,  4, 4, 6, 1, 1,
    1, 4, 4, 1, 1,  1, 1, 1, 1, 1,  1, 1, 9, 1, 1,  1, 1, 6, 1, 1,
    1, 4, 4, 1, 1,  1, 1, 1, 1, 1,  1, 1, 1, 1, 1,  1, 1, 6, 1, 1,
];

#[rustfmt::skip]
const MASK: [u8; 80] = [
    1, 1, 1, 1, 1,  1, 1, 1, 1, 1,  1, 1, 1, 1, 1,  1, 1, 1, 1, 1,
    1, 1, 1, 1, 1,  1, 1, 1, 1, 1,  0, 1, 1, 1, 1,  1, 1, 1, 1, 1,
    1, 1, 1, 0, 0,  1, 1, 1, 1, 1,  1, 1, 0, 1, 1,  1, 1, 1, 1, 1,
    1, 1, 1, 0, 0,  1, 1, 1, 1, 1,  1, 1, 1, 1, 1,  1, 1, 1, 1, 1,
];

/// The digital phantom's image and mask.
pub fn ibsi_digital_phantom() -> (Image, Mask) {
    let grid = Grid::new([4, 4, 5], [2.0, 2.0, 2.0], [0.0, 0.0, 0.0]);
    let image = Array3::from_shape_vec((4, 4, 5), VALUES.iter().map(|&v| v as f64).collect())
        .expect("80 values");
    let mask = Array3::from_shape_vec((4, 4, 5), MASK.iter().map(|&v| v == 1).collect())
        .expect("80 values");
    (
        Image {
            grid: grid.clone(),
            data: image,
        },
        Mask { grid, data: mask },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn phantom_has_74_roi_voxels() {
        let (_, m) = super::ibsi_digital_phantom();
        assert_eq!(m.count(), 74);
    }
}
