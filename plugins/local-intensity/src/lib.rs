//! Local intensity features (IBSI 1, 03_Image_features, "Local intensity features",
//! family identifier 9ST6).
//!
//! Both features average the image over a 1 cm³ sphere (in world units) centred on a
//! voxel of the ROI *intensity mask*. The sphere draws on every image voxel, inside the
//! ROI or not: voxel `v` belongs to the sphere centred on voxel `c` when the distance
//! between their centres, in mm with the grid spacing, is at most
//! `r = (3 / (4π))^(1/3) cm ≈ 6.2035 mm`. Sphere voxels that fall outside the image are
//! left out of the mean (the processing chain crops the image to the ROI bounding box
//! plus a 12 mm margin, so this only happens where the ROI touches the border of the
//! original scan).
//!
//! The sphere is represented as a set of runs along x: for each offset `(dz, dy)` in
//! the sphere's footprint, the half-width `w(dz, dy)` of the x-run. A sphere sum is
//! then a sum over runs, and with prefix sums along each image row every run costs two
//! look-ups, so the global peak costs `O(N_roi · N_runs)` instead of
//! `O(N_roi · N_sphere)` (41 runs instead of 341 voxels on the CT phantom grid). Where
//! the sphere does not reach the image border, a whole image row of centres is done at
//! once, run by run, as differences of shifted prefix-row slices.
//!
//! Must not: read files, discretise or implement texture aggregation itself (radx-process
//! and radx-texture do); a plugin computes its family's features from the
//! [`radx_core::FeatureInput`] it is given.

use ndarray::Array3;
use radx_core::limits::count_of;
use radx_core::{
    FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, Grid, LimitError, PluginError,
    PluginInfo,
};

pub struct Plugin(PluginInfo);

pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "local_intensity".into(),
        prefix: "loc".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        features: vec![
            FeatureDef::new("peak_loc", "VJGA", "intensity"),
            FeatureDef::new("peak_glob", "0F91", "intensity"),
        ],
        aggregations: vec![],
    }))
}

impl FeaturePlugin for Plugin {
    fn info(&self) -> &PluginInfo {
        &self.0
    }

    /// The sphere is built as runs over its bounding box, `(2 r_a / s_a + 1)` voxels along
    /// each axis `a` of spacing `s_a`: that box must be within `limits.max_image_voxels`
    /// (a spacing far below the sphere's 6.2 mm radius would otherwise ask for billions).
    fn check_limits(&self, input: &FeatureInput) -> Result<(), LimitError> {
        let s = input.roi.grid.spacing_zyx;
        let r = sphere_radius_mm();
        let side = |s: f64| 2 * count_of((r / s).floor()) + 1;
        let [z, y, x] = s.map(side);
        input.settings.limits.check_voxels(
            &format!(
                "local_intensity on voxels of {:?} mm (a 1 cm^3 sphere spanning {x} x {y} x \
                 {z} voxels)",
                [s[2], s[1], s[0]]
            ),
            x.saturating_mul(y).saturating_mul(z),
        )
    }

    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        self.check_limits(input)
            .map_err(|e| PluginError::Failed(e.to_string()))?;
        let roi = input.roi;
        let padding = input.settings.conventions.local_intensity_padding();
        let peaks = Peaks::compute_padded(&roi.grid, &roi.image, &roi.intensity, padding)
            .map_err(PluginError::Undefined)?;
        Ok(vec![
            FeatureValue::number("peak_loc", None, peaks.local),
            FeatureValue::number("peak_glob", None, peaks.global),
        ])
    }
}

/// Radius in mm of the sphere of volume 1 cm³: `r = 10 (3 / (4π))^(1/3)`.
pub fn sphere_radius_mm() -> f64 {
    10.0 * (3.0 / (4.0 * std::f64::consts::PI)).cbrt()
}

/// A sphere of voxel offsets, as x-runs: each run is `(dz, dy, w)` and covers the
/// offsets `(dz, dy, -w..=w)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sphere {
    pub runs: Vec<(isize, isize, isize)>,
}

impl Sphere {
    /// Voxel offsets whose centres lie within `radius` mm of the centre voxel's centre,
    /// for voxel spacing `spacing_zyx` (mm).
    pub fn new(spacing_zyx: [f64; 3], radius: f64) -> Sphere {
        let [sz, sy, sx] = spacing_zyx;
        let r2 = radius * radius;
        let reach = |s: f64| (radius / s).floor() as isize;
        let mut runs = Vec::new();
        for dz in -reach(sz)..=reach(sz) {
            for dy in -reach(sy)..=reach(sy) {
                let rest = r2 - (dz as f64 * sz).powi(2) - (dy as f64 * sy).powi(2);
                if rest < 0.0 {
                    continue;
                }
                // Largest w with (w sx)^2 <= rest, found by exact comparison.
                let mut w = (rest.sqrt() / sx).floor() as isize;
                while ((w + 1) as f64 * sx).powi(2) <= rest {
                    w += 1;
                }
                while w > 0 && (w as f64 * sx).powi(2) > rest {
                    w -= 1;
                }
                runs.push((dz, dy, w));
            }
        }
        Sphere { runs }
    }

    /// Number of voxel offsets in the sphere.
    pub fn len(&self) -> usize {
        self.runs.iter().map(|r| (2 * r.2 + 1) as usize).sum()
    }

    /// Whether the sphere is empty (never: it holds at least the centre voxel).
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}

/// The two local intensity peaks of an ROI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peaks {
    /// Local intensity peak (VJGA).
    pub local: f64,
    /// Global intensity peak (0F91).
    pub global: f64,
}

impl Peaks {
    /// Computes both peaks on `image` for the centre voxels in `mask` (the intensity mask).
    ///
    /// * Local intensity peak (VJGA): `F_loc.peak.local` = mean intensity in the 1 cm³
    ///   sphere centred on the voxel of maximum intensity in the intensity mask; when the
    ///   maximum is reached in several voxels, the highest of their sphere means.
    /// * Global intensity peak (0F91): `F_loc.peak.global` = highest sphere mean over
    ///   every voxel of the intensity mask.
    ///
    /// Returns why the peaks are undefined when the mask is empty.
    pub fn compute(grid: &Grid, image: &Array3<f64>, mask: &Array3<bool>) -> Result<Peaks, String> {
        Self::compute_padded(grid, image, mask, None)
    }

    /// [`Peaks::compute`] with sphere voxels beyond the image either left out (`padding =
    /// None`, IBSI) or counted with the intensity `c` (`Some(c)`, `[conventions]
    /// local_intensity_outside = "constant"`): the mean is then
    /// `(Σ_inside X + c N_outside) / N_sphere`. `image` must reach the image edge wherever the
    /// sphere leaves it (radx's prepared crop keeps a margin wider than the sphere).
    pub fn compute_padded(
        grid: &Grid,
        image: &Array3<f64>,
        mask: &Array3<bool>,
        padding: Option<f64>,
    ) -> Result<Peaks, String> {
        let sphere = Sphere::new(grid.spacing_zyx, sphere_radius_mm());
        let (nz, ny, nx) = image.dim();
        if mask.dim() != image.dim() {
            return Err("image and intensity mask differ in shape".into());
        }
        let img = image.as_standard_layout();
        let img = img.as_slice().expect("standard layout");
        let msk = mask.as_standard_layout();
        let msk = msk.as_slice().expect("standard layout");

        // Maximum intensity in the mask.
        let mut max = f64::NEG_INFINITY;
        let mut any = false;
        for (&v, &m) in img.iter().zip(msk) {
            if m {
                any = true;
                if v > max {
                    max = v;
                }
            }
        }
        if !any {
            return Err("the intensity mask is empty".into());
        }

        // Local peak: exact sphere sums at every voxel holding the maximum.
        let mut local = f64::NEG_INFINITY;
        for (idx, (&v, &m)) in img.iter().zip(msk).enumerate() {
            if m && v == max {
                let (z, y, x) = (idx / (ny * nx), (idx / nx) % ny, idx % nx);
                local = local.max(direct_mean(img, [nz, ny, nx], &sphere, [z, y, x], padding));
            }
        }

        // Global peak: per-row prefix sums, two look-ups per run.
        let row = nx + 1;
        let mut prefix = vec![0.0f64; nz * ny * row];
        for r in 0..nz * ny {
            let mut acc = 0.0;
            let src = &img[r * nx..(r + 1) * nx];
            let dst = &mut prefix[r * row..(r + 1) * row];
            for (i, &v) in src.iter().enumerate() {
                acc += v;
                dst[i + 1] = acc;
            }
        }
        // Centre voxels whose sphere lies inside the image need no clipping (the count is
        // the sphere size). For such voxels a row is handled at once: for each run, the
        // run sums of all its voxels are differences of two shifted slices of a prefix
        // row, accumulated run by run (vectorisable, same summation order per voxel).
        let reach = sphere.runs.iter().fold([0usize; 3], |r, &(dz, dy, w)| {
            [
                r[0].max(dz.unsigned_abs()),
                r[1].max(dy.unsigned_abs()),
                r[2].max(w as usize),
            ]
        });
        let full = sphere.len() as f64;
        let clipped_mean = |z: usize, y: usize, x: usize| {
            let mut sum = 0.0;
            let mut count = 0usize;
            for &(dz, dy, w) in &sphere.runs {
                let (zz, yy) = (z as isize + dz, y as isize + dy);
                if zz < 0 || yy < 0 || zz >= nz as isize || yy >= ny as isize {
                    continue;
                }
                let lo = (x as isize - w).max(0) as usize;
                let hi = ((x as isize + w) as usize).min(nx - 1);
                let p = &prefix[(zz as usize * ny + yy as usize) * row..];
                sum += p[hi + 1] - p[lo];
                count += hi + 1 - lo;
            }
            match padding {
                None => sum / count as f64,
                Some(c) => (sum + c * (full - count as f64)) / full,
            }
        };
        let mut acc = vec![0.0f64; nx];
        let mut best = f64::NEG_INFINITY;
        let mut best_at = [0usize; 3];
        for z in 0..nz {
            for y in 0..ny {
                let base = (z * ny + y) * nx;
                let m = &msk[base..base + nx];
                let Some(x0) = m.iter().position(|&v| v) else {
                    continue;
                };
                let x1 = m.iter().rposition(|&v| v).expect("an ROI voxel");
                // Unclipped range [a, b] of this row (empty when a > b).
                let (a, b) = if z >= reach[0]
                    && z + reach[0] < nz
                    && y >= reach[1]
                    && y + reach[1] < ny
                    && nx > 2 * reach[2]
                {
                    (x0.max(reach[2]), x1.min(nx - 1 - reach[2]))
                } else {
                    (1, 0)
                };
                if a <= b {
                    let acc = &mut acc[a..=b];
                    acc.fill(0.0);
                    for &(dz, dy, w) in &sphere.runs {
                        let r =
                            ((z as isize + dz) as usize * ny + (y as isize + dy) as usize) * row;
                        let w = w as usize;
                        let hi = &prefix[r + a + w + 1..r + b + w + 2];
                        let lo = &prefix[r + a - w..r + b - w + 1];
                        for ((s, h), l) in acc.iter_mut().zip(hi).zip(lo) {
                            *s += h - l;
                        }
                    }
                }
                for x in x0..=x1 {
                    if !m[x] {
                        continue;
                    }
                    let mean = if a <= x && x <= b {
                        acc[x] / full
                    } else {
                        clipped_mean(z, y, x)
                    };
                    if mean > best {
                        best = mean;
                        best_at = [z, y, x];
                    }
                }
            }
        }
        // The prefix-sum mean can differ from a direct sum in the last bits; report the
        // direct sum at the winning voxel. The global peak is never below the local one
        // (its centre voxels are ROI voxels too).
        let global = direct_mean(img, [nz, ny, nx], &sphere, best_at, padding).max(local);
        Ok(Peaks { local, global })
    }
}

/// Mean image intensity in `sphere` centred on voxel `c`, over the sphere voxels inside
/// the image, summed in memory order; with `padding = Some(p)` the sphere voxels beyond the
/// image count with intensity `p`.
fn direct_mean(
    img: &[f64],
    dims: [usize; 3],
    sphere: &Sphere,
    c: [usize; 3],
    padding: Option<f64>,
) -> f64 {
    let [nz, ny, nx] = dims;
    let mut sum = 0.0;
    let mut count = 0usize;
    for &(dz, dy, w) in &sphere.runs {
        let (zz, yy) = (c[0] as isize + dz, c[1] as isize + dy);
        if zz < 0 || yy < 0 || zz >= nz as isize || yy >= ny as isize {
            continue;
        }
        let lo = (c[2] as isize - w).max(0) as usize;
        let hi = ((c[2] as isize + w) as usize).min(nx - 1);
        let base = (zz as usize * ny + yy as usize) * nx;
        for &v in &img[base + lo..=base + hi] {
            sum += v;
        }
        count += hi + 1 - lo;
    }
    match padding {
        None => sum / count as f64,
        Some(p) => {
            let full = sphere.len() as f64;
            (sum + p * (full - count as f64)) / full
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_is_that_of_a_1_cm3_sphere() {
        let r = sphere_radius_mm();
        assert!((4.0 / 3.0 * std::f64::consts::PI * r.powi(3) - 1000.0).abs() < 1e-9);
        assert!((r - 6.2035).abs() < 1e-4);
    }

    #[test]
    fn sphere_offsets_match_a_brute_force_enumeration() {
        for spacing in [
            [2.0, 2.0, 2.0],
            [3.0, 0.977, 0.977],
            [1.0, 1.0, 1.0],
            [1.3, 2.1, 0.7],
        ] {
            let s = Sphere::new(spacing, sphere_radius_mm());
            let r = sphere_radius_mm();
            let mut brute = 0usize;
            for dz in -10isize..=10 {
                for dy in -10isize..=10 {
                    for dx in -10isize..=10 {
                        let d2 = (dz as f64 * spacing[0]).powi(2)
                            + (dy as f64 * spacing[1]).powi(2)
                            + (dx as f64 * spacing[2]).powi(2);
                        if d2 <= r * r {
                            brute += 1;
                            assert!(s
                                .runs
                                .iter()
                                .any(|&(z, y, w)| z == dz && y == dy && dx.abs() <= w));
                        }
                    }
                }
            }
            assert_eq!(s.len(), brute, "{spacing:?}");
        }
        // 2 mm isotropic: offsets with i^2 + j^2 + k^2 <= 9 (r^2 / 4 = 9.62).
        assert_eq!(Sphere::new([2.0; 3], sphere_radius_mm()).len(), 123);
    }

    #[test]
    fn peaks_on_a_hand_worked_volume() {
        // 1 x 1 x 9 image with 4 mm spacing: the sphere (r = 6.2 mm) holds the centre
        // voxel and one neighbour on each side along x. ROI: x = 2..=8.
        let grid = Grid::new([1, 1, 9], [4.0, 4.0, 4.0], [0.0; 3]);
        let image =
            Array3::from_shape_vec((1, 1, 9), vec![0.0, 9.0, 0.0, 8.0, 6.0, 5.0, 1.0, 1.0, 1.0])
                .unwrap();
        let mut mask = Array3::from_elem((1, 1, 9), false);
        for x in 2..9 {
            mask[[0, 0, x]] = true;
        }
        let p = Peaks::compute(&grid, &image, &mask).unwrap();
        // ROI maximum 8 at x = 3: mean of (0, 8, 6).
        assert!((p.local - 14.0 / 3.0).abs() < 1e-12, "{p:?}");
        // Sphere means at x = 2..=8: 17/3 (takes the 9 outside the ROI), 14/3, 19/3,
        // 12/3, 7/3, 3/3, 2/2 (the last sphere is cut by the image border).
        assert!((p.global - 19.0 / 3.0).abs() < 1e-12, "{p:?}");
        // Maximum at the image border: the mean is over the 2 voxels inside the image.
        let mut image2 = image.clone();
        image2[[0, 0, 8]] = 30.0;
        let p = Peaks::compute(&grid, &image2, &mask).unwrap();
        assert!((p.local - 15.5).abs() < 1e-12, "{p:?}");
        assert!((p.global - 15.5).abs() < 1e-12, "{p:?}");
        // Ties: the highest sphere mean among the voxels holding the maximum.
        let image3 =
            Array3::from_shape_vec((1, 1, 9), vec![0.0, 0.0, 0.0, 7.0, 0.0, 0.0, 7.0, 4.0, 0.0])
                .unwrap();
        let p = Peaks::compute(&grid, &image3, &mask).unwrap();
        assert!((p.local - 11.0 / 3.0).abs() < 1e-12, "{p:?}");
    }

    #[test]
    fn empty_mask_is_undefined() {
        let grid = Grid::new([1, 1, 2], [1.0; 3], [0.0; 3]);
        let image = Array3::zeros((1, 1, 2));
        let mask = Array3::from_elem((1, 1, 2), false);
        assert!(Peaks::compute(&grid, &image, &mask).is_err());
    }
}
