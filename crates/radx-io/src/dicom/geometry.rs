//! World geometry of DICOM data: the LPS → RAS change of frame, direction cosines from
//! ImageOrientationPatient, and world point → continuous voxel index on a grid.

use std::path::Path;

use crate::{invalid, IoError};

/// LPS (DICOM patient coordinates) to RAS (the project's world frame, as the NIfTI
/// reader takes the sform): x and y change sign. The map is its own inverse.
#[inline]
pub(crate) fn lps_to_ras(v: [f64; 3]) -> [f64; 3] {
    [-v[0], -v[1], v[2]]
}

pub(crate) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(crate) fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

pub(crate) fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// Row and column direction cosines from ImageOrientationPatient (LPS), normalised and
/// checked for orthogonality.
pub(crate) fn orientation(
    iop: &[f64],
    path: &Path,
    what: &str,
) -> Result<([f64; 3], [f64; 3]), IoError> {
    let r = [iop[0], iop[1], iop[2]];
    let c = [iop[3], iop[4], iop[5]];
    let (nr, nc) = (norm(r), norm(c));
    if !(nr > 0.5 && nc > 0.5 && nr < 1.5 && nc < 1.5) {
        return Err(invalid(
            path,
            format!("{what} {iop:?} does not hold two unit vectors"),
        ));
    }
    let r = [r[0] / nr, r[1] / nr, r[2] / nr];
    let c = [c[0] / nc, c[1] / nc, c[2] / nc];
    if dot(r, c).abs() > 1e-3 {
        return Err(invalid(
            path,
            format!("{what} {iop:?}: row and column directions are not orthogonal"),
        ));
    }
    Ok((r, c))
}

/// Inverse of a 3x3 matrix, None when singular.
#[allow(clippy::needless_range_loop)] // index arithmetic on a 3x3 matrix
pub(crate) fn inverse3(m: [[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if !det.is_finite() || det.abs() < 1e-12 {
        return None;
    }
    let inv_det = 1.0 / det;
    let mut out = [[0.0; 3]; 3];
    for r in 0..3 {
        for c in 0..3 {
            // cofactor of (c, r)
            let (r1, r2) = ((c + 1) % 3, (c + 2) % 3);
            let (c1, c2) = ((r + 1) % 3, (r + 2) % 3);
            out[r][c] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) * inv_det;
        }
    }
    Some(out)
}

/// Continuous voxel index (x, y, z) of a world point (x, y, z) on a grid.
pub(crate) struct WorldToIndex {
    inv: [[f64; 3]; 3],
    origin: [f64; 3],
}

impl WorldToIndex {
    #[allow(clippy::needless_range_loop)]
    pub fn new(grid: &radx_core::Grid) -> Option<Self> {
        let sp = [
            grid.spacing_zyx[2],
            grid.spacing_zyx[1],
            grid.spacing_zyx[0],
        ];
        let mut m = [[0.0; 3]; 3];
        for r in 0..3 {
            for c in 0..3 {
                m[r][c] = grid.direction[r][c] * sp[c];
            }
        }
        Some(WorldToIndex {
            inv: inverse3(m)?,
            origin: grid.origin_xyz,
        })
    }

    /// Continuous index (i along x, j along y, k along z) of world point `p`.
    #[inline]
    pub fn index(&self, p: [f64; 3]) -> [f64; 3] {
        let d = sub(p, self.origin);
        [
            dot(self.inv[0], d),
            dot(self.inv[1], d),
            dot(self.inv[2], d),
        ]
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_rotation_scale() {
        let m = [[0.0, -2.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 0.5]];
        let inv = inverse3(m).unwrap();
        for r in 0..3 {
            for c in 0..3 {
                let mut s = 0.0;
                for k in 0..3 {
                    s += m[r][k] * inv[k][c];
                }
                assert!((s - if r == c { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(inverse3([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0]]).is_none());
    }
}
