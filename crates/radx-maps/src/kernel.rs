//! The neighbourhood (kernel) of a map voxel: a cube or a sphere of a radius in mm, as
//! runs along x.

use serde::Serialize;

use crate::MapError;

/// The shape of the neighbourhood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KernelShape {
    /// Voxels whose centre lies within `R` mm of the centre voxel's centre along each
    /// axis separately (`|d_a| s_a <= R`): a box of `2 floor(R / s_a) + 1` voxels along
    /// axis `a` (PyRadiomics' `kernelRadius` in voxels is this cube).
    Cube,
    /// Voxels whose centre lies within `R` mm (Euclidean, with the grid spacing) of the
    /// centre voxel's centre.
    Sphere,
}

impl std::str::FromStr for KernelShape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cube" => Ok(KernelShape::Cube),
            "sphere" => Ok(KernelShape::Sphere),
            _ => Err(format!("kernel `{s}`: expected cube or sphere")),
        }
    }
}

/// A kernel on a grid of spacing `spacing_zyx`: for each `(dz, dy)` of its footprint, the
/// half-width `w` of its x-run (it covers the offsets `(dz, dy, -w..=w)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel {
    pub shape: KernelShape,
    pub radius_mm: f64,
    /// `(dz, dy, w)`, in C order of `(dz, dy)`.
    pub runs: Vec<(isize, isize, isize)>,
    /// Largest offset along (z, y, x).
    pub reach_zyx: [usize; 3],
    /// Number of voxel offsets.
    pub voxels: usize,
}

/// Largest `w >= 0` with `(w s)^2 <= rest` (exact comparisons, no rounding surprise).
fn reach(rest: f64, s: f64) -> isize {
    let mut w = (rest.sqrt() / s).floor() as isize;
    while w > 0 && (w as f64 * s).powi(2) > rest {
        w -= 1;
    }
    while ((w + 1) as f64 * s).powi(2) <= rest {
        w += 1;
    }
    w
}

impl Kernel {
    /// The kernel of `shape` and radius `radius_mm` on voxels of `spacing_zyx` mm. Fails
    /// when the radius is not a finite number > 0, or when the kernel's bounding box would
    /// exceed `max_voxels` (it is copied once per map voxel).
    pub fn new(
        shape: KernelShape,
        radius_mm: f64,
        spacing_zyx: [f64; 3],
        max_voxels: u64,
    ) -> Result<Kernel, MapError> {
        if !(radius_mm.is_finite() && radius_mm > 0.0) {
            return Err(MapError::Options(format!(
                "--kernel-radius-mm {radius_mm}: the radius must be a finite number of mm > 0"
            )));
        }
        let r2 = radius_mm * radius_mm;
        let reach_zyx = spacing_zyx.map(|s| reach(r2, s));
        let side = reach_zyx
            .iter()
            .fold(1u128, |a, &r| a.saturating_mul(2 * r as u128 + 1));
        if side > max_voxels as u128 {
            return Err(MapError::Options(format!(
                "--kernel-radius-mm {radius_mm} on voxels of {:?} mm (z, y, x) spans {side} \
                 voxels, more than limits.max_image_voxels = {max_voxels}",
                spacing_zyx
            )));
        }
        let [rz, ry, rx] = reach_zyx;
        let (sz, sy, sx) = (spacing_zyx[0], spacing_zyx[1], spacing_zyx[2]);
        let mut runs = Vec::new();
        let mut voxels = 0usize;
        for dz in -rz..=rz {
            for dy in -ry..=ry {
                let w = match shape {
                    KernelShape::Cube => rx,
                    KernelShape::Sphere => {
                        let rest = r2 - (dz as f64 * sz).powi(2) - (dy as f64 * sy).powi(2);
                        if rest < 0.0 {
                            continue;
                        }
                        reach(rest, sx)
                    }
                };
                runs.push((dz, dy, w));
                voxels += 2 * w as usize + 1;
            }
        }
        Ok(Kernel {
            shape,
            radius_mm,
            runs,
            reach_zyx: reach_zyx.map(|r| r as usize),
            voxels,
        })
    }

    /// Whether the offset `(dz, dy, dx)` belongs to the kernel.
    pub fn contains(&self, d: [isize; 3]) -> bool {
        self.runs
            .iter()
            .any(|&(dz, dy, w)| dz == d[0] && dy == d[1] && d[2].abs() <= w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cube_and_sphere_voxel_counts() {
        let c = Kernel::new(KernelShape::Cube, 2.0, [1.0; 3], u64::MAX).unwrap();
        assert_eq!(c.voxels, 125);
        assert_eq!(c.reach_zyx, [2, 2, 2]);
        let s = Kernel::new(KernelShape::Sphere, 2.0, [1.0; 3], u64::MAX).unwrap();
        // Offsets with dz² + dy² + dx² <= 4: 1 + 6 + 12 + 8 + 6 = 33.
        assert_eq!(s.voxels, 33);
        assert!(s.contains([0, 0, 2]) && !s.contains([1, 1, 2]) && s.contains([1, 1, 1]));
        // Anisotropic: 2 mm in z reaches one slice at radius 2.5 mm.
        let a = Kernel::new(KernelShape::Cube, 2.5, [2.0, 1.0, 1.0], u64::MAX).unwrap();
        assert_eq!(a.reach_zyx, [1, 2, 2]);
        assert_eq!(a.voxels, 75);
    }

    #[test]
    fn bad_radius_and_huge_kernels_are_refused() {
        for r in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(Kernel::new(KernelShape::Cube, r, [1.0; 3], u64::MAX).is_err());
        }
        let e = Kernel::new(KernelShape::Cube, 10.0, [1.0; 3], 1000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("9261") && e.contains("max_image_voxels"), "{e}");
    }
}
