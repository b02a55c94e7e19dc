use serde::{Deserialize, Serialize};

/// Voxel geometry of a volume.
///
/// Array indices are `(z, y, x)` (C order, NIfTI memory order). World coordinates are
/// `(x, y, z)` in millimetres. `direction` holds, column by column, the unit world
/// vectors of the x, y and z index axes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// Number of voxels along (z, y, x).
    pub shape_zyx: [usize; 3],
    /// Voxel spacing in mm along (z, y, x).
    pub spacing_zyx: [f64; 3],
    /// World position (x, y, z) in mm of the centre of voxel (0, 0, 0).
    pub origin_xyz: [f64; 3],
    /// Direction cosines: `direction[r][c]` is world component r of index axis c (c = x, y, z).
    pub direction: [[f64; 3]; 3],
}

impl Grid {
    /// A grid with identity direction.
    pub fn new(shape_zyx: [usize; 3], spacing_zyx: [f64; 3], origin_xyz: [f64; 3]) -> Self {
        Grid {
            shape_zyx,
            spacing_zyx,
            origin_xyz,
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        }
    }

    /// Number of voxels.
    pub fn len(&self) -> usize {
        self.shape_zyx.iter().product()
    }

    /// True when the grid holds no voxel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Volume of one voxel in mm³.
    pub fn voxel_volume(&self) -> f64 {
        self.spacing_zyx.iter().product()
    }

    /// World position (x, y, z) of the centre of voxel `(z, y, x)`.
    pub fn world_of_index(&self, zyx: [f64; 3]) -> [f64; 3] {
        let ijk = [
            zyx[2] * self.spacing_zyx[2],
            zyx[1] * self.spacing_zyx[1],
            zyx[0] * self.spacing_zyx[0],
        ];
        let mut out = self.origin_xyz;
        for (r, o) in out.iter_mut().enumerate() {
            for (c, v) in ijk.iter().enumerate() {
                *o += self.direction[r][c] * v;
            }
        }
        out
    }

    /// Whether two grids describe the same voxels, within `tol_mm` for positions and a
    /// relative 1e-4 for spacings and direction cosines. Returns a description of the
    /// first difference found.
    pub fn mismatch(&self, other: &Grid, tol_mm: f64) -> Option<String> {
        if self.shape_zyx != other.shape_zyx {
            return Some(format!(
                "shape (z, y, x) {:?} vs {:?}",
                self.shape_zyx, other.shape_zyx
            ));
        }
        for a in 0..3 {
            let (s, o) = (self.spacing_zyx[a], other.spacing_zyx[a]);
            if (s - o).abs() > 1e-4 * s.abs().max(o.abs()).max(1e-6) {
                return Some(format!(
                    "spacing (z, y, x) {:?} vs {:?}",
                    self.spacing_zyx, other.spacing_zyx
                ));
            }
        }
        for a in 0..3 {
            if (self.origin_xyz[a] - other.origin_xyz[a]).abs() > tol_mm {
                return Some(format!(
                    "origin (x, y, z) {:?} vs {:?}",
                    self.origin_xyz, other.origin_xyz
                ));
            }
        }
        for r in 0..3 {
            for c in 0..3 {
                if (self.direction[r][c] - other.direction[r][c]).abs() > 1e-4 {
                    return Some(format!(
                        "direction {:?} vs {:?}",
                        self.direction, other.direction
                    ));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_of_index_uses_spacing_and_origin() {
        let g = Grid::new([4, 3, 2], [3.0, 2.0, 1.0], [10.0, 20.0, 30.0]);
        assert_eq!(g.world_of_index([1.0, 1.0, 1.0]), [11.0, 22.0, 33.0]);
        assert_eq!(g.len(), 24);
        assert_eq!(g.voxel_volume(), 6.0);
    }

    #[test]
    fn mismatch_names_the_difference() {
        let a = Grid::new([4, 3, 2], [1.0; 3], [0.0; 3]);
        let mut b = a.clone();
        assert!(a.mismatch(&b, 1e-3).is_none());
        b.shape_zyx = [4, 3, 3];
        assert!(a.mismatch(&b, 1e-3).unwrap().contains("shape"));
        let mut c = a.clone();
        c.origin_xyz[0] = 1.0;
        assert!(a.mismatch(&c, 1e-3).unwrap().contains("origin"));
    }
}
