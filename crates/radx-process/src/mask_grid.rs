//! A mask given on another grid than the image, brought onto the image grid in physical
//! space (`[mask] resample_to_image`, see `radx_core::settings::MaskSettings`).
//!
//! For each image voxel centre `w = o_I + D_I · S_I · (i, j, k)` (origin, direction cosines,
//! spacing of the image grid) the continuous index of the mask grid is
//! `(i', j', k') = (D_M · S_M)⁻¹ · (w − o_M)`; then
//!
//! * `nearest`: the mask voxel `(round(i'), round(j'), round(k'))` (halves rounded away from
//!   zero), outside the mask grid = outside the ROI;
//! * `linear`: the trilinear interpolation of the 0/1 mask at `(i', j', k')` (mask voxels
//!   beyond its grid count as 0), the voxel is in the ROI when that fraction is at least
//!   the partial-volume threshold `t` (IBSI 2.2's rule for interpolated masks with `t = 0.5`).
//!
//! Directions need not be axis-aligned or equal between the grids (an oblique mask is
//! resampled through the full 3 × 3 matrices). Each output voxel depends on its own position
//! only, so the result does not depend on thread counts.

use ndarray::Array3;
use radx_core::settings::MaskResample;
use radx_core::Grid;

/// `(D · S)⁻¹` of a grid: world offset → continuous index (x, y, z); None when singular.
#[allow(clippy::needless_range_loop)] // matrix algebra by indices
fn world_to_index(g: &Grid) -> Option<[[f64; 3]; 3]> {
    let sp = [g.spacing_zyx[2], g.spacing_zyx[1], g.spacing_zyx[0]];
    let mut m = [[0.0; 3]; 3];
    for r in 0..3 {
        for c in 0..3 {
            m[r][c] = g.direction[r][c] * sp[c];
        }
    }
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if !det.is_finite() || det.abs() < 1e-12 {
        return None;
    }
    let mut inv = [[0.0; 3]; 3];
    for r in 0..3 {
        for c in 0..3 {
            let (r1, r2) = ((c + 1) % 3, (c + 2) % 3);
            let (c1, c2) = ((r + 1) % 3, (r + 2) % 3);
            inv[r][c] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det;
        }
    }
    Some(inv)
}

/// Why a mask cannot be resampled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MaskGridError {
    #[error("the mask grid's direction and spacing matrix is singular")]
    Singular,
    #[error("resampling is off")]
    Off,
    #[error("the mask shape {0:?} does not match its grid {1:?}")]
    Shape([usize; 3], [usize; 3]),
}

/// The mask `mask` (on grid `from`) on grid `to`, by `method` (module documentation);
/// `threshold` is the partial-volume threshold of `linear`.
pub fn resample_mask(
    mask: &Array3<bool>,
    from: &Grid,
    to: &Grid,
    method: MaskResample,
    threshold: f64,
) -> Result<Array3<bool>, MaskGridError> {
    if method == MaskResample::Off {
        return Err(MaskGridError::Off);
    }
    let dim = mask.dim();
    if [dim.0, dim.1, dim.2] != from.shape_zyx {
        return Err(MaskGridError::Shape([dim.0, dim.1, dim.2], from.shape_zyx));
    }
    let inv = world_to_index(from).ok_or(MaskGridError::Singular)?;
    let [nz, ny, nx] = from.shape_zyx;
    let at = |x: i64, y: i64, z: i64| -> f64 {
        if x < 0 || y < 0 || z < 0 || x >= nx as i64 || y >= ny as i64 || z >= nz as i64 {
            0.0
        } else if mask[[z as usize, y as usize, x as usize]] {
            1.0
        } else {
            0.0
        }
    };
    Ok(Array3::from_shape_fn(
        (to.shape_zyx[0], to.shape_zyx[1], to.shape_zyx[2]),
        |(z, y, x)| {
            let w = to.world_of_index([z as f64, y as f64, x as f64]);
            let d = [
                w[0] - from.origin_xyz[0],
                w[1] - from.origin_xyz[1],
                w[2] - from.origin_xyz[2],
            ];
            let mut q = [0.0; 3]; // continuous (x, y, z) index on the mask grid
            for (r, qr) in q.iter_mut().enumerate() {
                *qr = inv[r][0] * d[0] + inv[r][1] * d[1] + inv[r][2] * d[2];
            }
            match method {
                MaskResample::Nearest => {
                    at(
                        q[0].round() as i64,
                        q[1].round() as i64,
                        q[2].round() as i64,
                    ) > 0.0
                }
                _ => {
                    let f = [q[0].floor(), q[1].floor(), q[2].floor()];
                    let t = [q[0] - f[0], q[1] - f[1], q[2] - f[2]];
                    let (x0, y0, z0) = (f[0] as i64, f[1] as i64, f[2] as i64);
                    let mut v = 0.0;
                    for dz in 0..2 {
                        for dy in 0..2 {
                            for dx in 0..2 {
                                let wgt = (if dx == 1 { t[0] } else { 1.0 - t[0] })
                                    * (if dy == 1 { t[1] } else { 1.0 - t[1] })
                                    * (if dz == 1 { t[2] } else { 1.0 - t[2] });
                                if wgt > 0.0 {
                                    v += wgt * at(x0 + dx, y0 + dy, z0 + dz);
                                }
                            }
                        }
                    }
                    // A small tolerance keeps exact fractions (grid-aligned cases) stable.
                    v >= threshold - 1e-12
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cube(n: usize, lo: usize, hi: usize) -> Array3<bool> {
        Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            (lo..hi).contains(&z) && (lo..hi).contains(&y) && (lo..hi).contains(&x)
        })
    }

    #[test]
    fn same_grid_is_identity_for_both_methods() {
        let g = Grid::new([8, 8, 8], [2.0, 1.0, 1.5], [3.0, -4.0, 5.0]);
        let m = cube(8, 2, 5);
        for method in [MaskResample::Nearest, MaskResample::Linear] {
            assert_eq!(resample_mask(&m, &g, &g, method, 0.5).unwrap(), m);
        }
    }

    #[test]
    fn finer_image_grid_keeps_the_physical_extent() {
        // Mask: 2 mm voxels, cube over voxels 2..5 (centres 4..8 mm, extent 3..9 mm).
        let from = Grid::new([8, 8, 8], [2.0, 2.0, 2.0], [0.0, 0.0, 0.0]);
        let to = Grid::new([16, 16, 16], [1.0, 1.0, 1.0], [-0.5, -0.5, -0.5]);
        let m = cube(8, 2, 5);
        let r = resample_mask(&m, &from, &to, MaskResample::Nearest, 0.5).unwrap();
        // Image voxel centres -0.5 + k: inside [3, 9) → k = 4..=9 (centres 3.5..8.5): 6 per axis.
        assert_eq!(r.iter().filter(|&&v| v).count(), 6 * 6 * 6);
        assert!(r[[4, 4, 4]] && r[[9, 9, 9]] && !r[[3, 4, 4]] && !r[[10, 9, 9]]);
        // Linear: the outer image voxels (centres 3.5 and 8.5 mm) are 0.75 inside along
        // each axis; the 8 corners (0.75³ = 0.42) fall below 0.5, edges (0.5625) stay.
        let l = resample_mask(&m, &from, &to, MaskResample::Linear, 0.5).unwrap();
        assert_eq!(l.iter().filter(|&&v| v).count(), 6 * 6 * 6 - 8);
        assert!(!l[[4, 4, 4]] && l[[4, 4, 5]]);
    }

    #[test]
    fn direction_cosines_are_followed() {
        // The mask grid's x axis points along world -x: index i sits at world -i.
        let mut from = Grid::new([1, 1, 4], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]);
        from.direction[0][0] = -1.0;
        let m = Array3::from_shape_fn((1, 1, 4), |(_, _, x)| x == 3); // world x = -3
        let to = Grid::new([1, 1, 4], [1.0, 1.0, 1.0], [-3.0, 0.0, 0.0]); // world -3..0
        let r = resample_mask(&m, &from, &to, MaskResample::Nearest, 0.5).unwrap();
        assert_eq!(
            r.iter().copied().collect::<Vec<_>>(),
            vec![true, false, false, false]
        );
    }

    #[test]
    fn linear_threshold_decides_partial_voxels() {
        // Half-voxel shift: every image voxel straddles two mask voxels (fraction 0.5 at the
        // border of a one-voxel-thick slab).
        let from = Grid::new([1, 1, 4], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]);
        let to = Grid::new([1, 1, 3], [1.0, 1.0, 1.0], [0.5, 0.0, 0.0]);
        let m = Array3::from_shape_fn((1, 1, 4), |(_, _, x)| x == 1);
        let at = |t| {
            resample_mask(&m, &from, &to, MaskResample::Linear, t)
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!(at(0.5), vec![true, true, false]);
        assert_eq!(at(0.6), vec![false, false, false]);
    }

    #[test]
    fn off_and_singular_grids_are_errors() {
        let g = Grid::new([2, 2, 2], [1.0, 1.0, 1.0], [0.0; 3]);
        let m = cube(2, 0, 1);
        assert_eq!(
            resample_mask(&m, &g, &g, MaskResample::Off, 0.5),
            Err(MaskGridError::Off)
        );
        let mut s = g.clone();
        s.direction = [[0.0; 3]; 3];
        assert_eq!(
            resample_mask(&m, &s, &g, MaskResample::Nearest, 0.5),
            Err(MaskGridError::Singular)
        );
    }
}
