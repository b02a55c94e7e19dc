//! Contour randomisation by a smooth Gaussian random field on the signed distance map.
//!
//! Zwanenburg et al. 2019 randomise contours with supervoxels; radx uses the other
//! classic model of inter-rater variation, a random displacement of the surface along its
//! normal that is smooth over a correlation length:
//!
//! 1. Signed distance to the ROI surface, positive inside (mm):
//!    `φ(v) = D_out(v) − h` for ROI voxels and `φ(v) = −(D_in(v) − h)` outside, where
//!    `D_out` / `D_in` are the exact Euclidean distances between voxel centres to the
//!    nearest non-ROI / ROI voxel ([`crate::edt`]) and `h` is half the smallest voxel
//!    spacing (the surface lies half a voxel beyond the boundary voxel centres; exact
//!    for isotropic grids). `|φ| ≥ h > 0`, so the sign of `φ` is the input ROI.
//! 2. A stationary Gaussian random field `g` with mean 0, standard deviation `sd_mm` and
//!    correlation `ρ(r) = exp(−r² / (2 L²))`, `L = correlation_mm`: white N(0, 1) noise
//!    convolved with the Gaussian kernel `k(r) = exp(−r² / (2 a²))`, `a = L / √2`
//!    (truncated at 4a; the convolution of two Gaussians of sd a has sd a√2 = L), scaled
//!    by `sd_mm / √(Σ k²)` so every value has variance `sd_mm²` exactly. `L = 0` is
//!    white noise (independent per voxel). Smooth fields (`L ≥ 3` voxels along an axis)
//!    are generated on a coarser lattice and interpolated with exact variance
//!    correction (see [`gaussian_field`]).
//! 3. New ROI: `{v : φ(v) + g(v) > 0}` — the surface moves outwards by `g` where
//!    `g > 0` and inwards where `g < 0` — reduced to its largest 26-connected component
//!    (ties: the first in C order), so the result stays one object; isolated specks
//!    (more likely with small `L`) are dropped and reported.
//!
//! The field is generated only over the ROI bounding box widened by `5 sd_mm + h` (the
//! only voxels that can join unless the field exceeds 5 sd, probability < 3·10⁻⁷), padded
//! by the kernel radius for the convolution. `sd_mm = 0` is the exact identity (no
//! field, no component filtering).

use std::collections::BTreeMap;

use ndarray::{s, Array3};

use crate::{crop::bounding_box, edt::squared_edt, rng::Rng};

/// Randomises the ROI boundary of `mask` in place; records `achieved_fraction`, `dice`,
/// `components_removed`, `voxels_removed` in `details`. Parameters are assumed valid
/// (finite, `≥ 0`). May leave the mask empty (the caller reports it).
pub fn randomise_contour(
    mask: &mut Array3<bool>,
    spacing_zyx: [f64; 3],
    sd_mm: f64,
    correlation_mm: f64,
    rng: &mut Rng,
    details: &mut BTreeMap<String, f64>,
) {
    let n_before = mask.iter().filter(|&&b| b).count();
    let (bb, shape) = match (sd_mm > 0.0, bounding_box(mask)) {
        (true, Some(bb)) => (bb, mask.dim()),
        _ => {
            details.insert("achieved_fraction".into(), 0.0);
            details.insert("dice".into(), 1.0);
            details.insert("components_removed".into(), 0.0);
            details.insert("voxels_removed".into(), 0.0);
            return;
        }
    };
    let shape = [shape.0, shape.1, shape.2];
    let h = 0.5 * spacing_zyx.iter().copied().fold(f64::INFINITY, f64::min);
    let reach = 5.0 * sd_mm + h;
    let mut lo = [0usize; 3];
    let mut hi = [0usize; 3];
    for a in 0..3 {
        let m = ((reach / spacing_zyx[a]).ceil()).min(shape[a] as f64) as usize;
        lo[a] = bb[a][0].saturating_sub(m);
        hi[a] = (bb[a][1] + m).min(shape[a]);
    }
    let bshape = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
    let sub = mask.slice(s![lo[0]..hi[0], lo[1]..hi[1], lo[2]..hi[2]]);
    let inside: Vec<bool> = sub.iter().copied().collect();
    let outside: Vec<bool> = inside.iter().map(|&b| !b).collect();
    let d_out = squared_edt(&outside, bshape, spacing_zyx);
    let d_in = squared_edt(&inside, bshape, spacing_zyx);
    let field = gaussian_field(bshape, spacing_zyx, sd_mm, correlation_mm, rng);
    let mut new: Vec<bool> = (0..inside.len())
        .map(|i| {
            let phi = if inside[i] {
                d_out[i].sqrt() - h
            } else {
                -(d_in[i].sqrt() - h)
            };
            phi + field[i] > 0.0
        })
        .collect();
    let (components, removed) = keep_largest_component(&mut new, bshape);
    let n_after = new.iter().filter(|&&b| b).count();
    let overlap = new.iter().zip(&inside).filter(|(&a, &b)| a && b).count();
    details.insert(
        "achieved_fraction".into(),
        (n_after as f64 - n_before as f64) / n_before as f64,
    );
    details.insert(
        "dice".into(),
        2.0 * overlap as f64 / (n_after + n_before) as f64,
    );
    details.insert(
        "components_removed".into(),
        components.saturating_sub(1) as f64,
    );
    details.insert("voxels_removed".into(), removed as f64);
    let mut sub = mask.slice_mut(s![lo[0]..hi[0], lo[1]..hi[1], lo[2]..hi[2]]);
    for (o, b) in sub.iter_mut().zip(new) {
        *o = b;
    }
}

/// Gaussian kernel weights `exp(−(j s)² / (2 a²))`, `j = −r..=r`, `r = ⌈4a / s⌉`
/// (`[1]` when `a = 0`).
fn kernel(a: f64, s: f64) -> Vec<f64> {
    if a <= 0.0 {
        return vec![1.0];
    }
    let r = (4.0 * a / s).ceil() as isize;
    (-r..=r)
        .map(|j| {
            let d = j as f64 * s;
            (-d * d / (2.0 * a * a)).exp()
        })
        .collect()
}

/// The random field on a grid of `shape` (C order), see the module documentation.
///
/// Speed-up for smooth fields: along an axis where the correlation length spans at
/// least three voxels, the field is generated on a coarser lattice whose node spacing
/// is `f = ⌊L / (3 s)⌋` voxels (so nodes are at most `L / 3` apart and fall on voxel
/// centres) and linearly interpolated between nodes. The Gaussian covariance is
/// separable, so the variance of the interpolant at fraction `t` between two nodes is
/// `Π_axes ((1 − t)² + t² + 2 t (1 − t) ρ)`, with `ρ` the exact correlation of adjacent
/// nodes of the discrete field (`Σ k_j k_{j+1} / Σ k_j²`); each 1-D interpolation divides
/// by the square root of its factor, so every voxel keeps variance `sd²` exactly and only
/// the shape of the correlation between nodes is piecewise linear (nodes ≤ L/3 apart, so
/// the difference from the Gaussian model is small). Consumes one normal deviate per node
/// of the padded lattice, in C order.
pub fn gaussian_field(
    shape: [usize; 3],
    spacing_zyx: [f64; 3],
    sd: f64,
    correlation: f64,
    rng: &mut Rng,
) -> Vec<f64> {
    let a = correlation / std::f64::consts::SQRT_2;
    let mut step = [1usize; 3];
    let mut node_shape = shape;
    let mut node_spacing = spacing_zyx;
    for ax in 0..3 {
        if correlation > 0.0 && shape[ax] > 1 {
            let f = ((correlation / (3.0 * spacing_zyx[ax])).floor() as usize).max(1);
            step[ax] = f;
            node_shape[ax] = (shape[ax] - 1).div_ceil(f) + 1;
            node_spacing[ax] = f as f64 * spacing_zyx[ax];
        }
    }
    let mut cur = lattice_field(node_shape, node_spacing, a, rng);
    let mut dims = node_shape;
    // linear interpolation from nodes to voxels along x, then y, then z
    for ax in (0..3).rev() {
        let f = step[ax];
        if f == 1 {
            continue;
        }
        let k = kernel(a, node_spacing[ax]);
        let k2: f64 = k.iter().map(|w| w * w).sum();
        let rho: f64 = k.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / k2;
        let mut nd = dims;
        nd[ax] = shape[ax];
        let stride: usize = dims[ax + 1..].iter().product();
        let outer: usize = dims[..ax].iter().product();
        let mut next = vec![0.0; nd.iter().product()];
        for o in 0..outer {
            for i in 0..nd[ax] {
                let (i0, rem) = (i / f, i % f);
                let d0 = (o * nd[ax] + i) * stride;
                let s0 = (o * dims[ax] + i0) * stride;
                let dst = &mut next[d0..d0 + stride];
                if rem == 0 {
                    dst.copy_from_slice(&cur[s0..s0 + stride]);
                    continue;
                }
                let t = rem as f64 / f as f64;
                let norm = ((1.0 - t).powi(2) + t * t + 2.0 * t * (1.0 - t) * rho).sqrt();
                let (w0, w1) = ((1.0 - t) / norm, t / norm);
                let (a0, a1) = (&cur[s0..s0 + stride], &cur[s0 + stride..s0 + 2 * stride]);
                for ((d, &u), &v) in dst.iter_mut().zip(a0).zip(a1) {
                    *d = w0 * u + w1 * v;
                }
            }
        }
        cur = next;
        dims = nd;
    }
    for v in cur.iter_mut() {
        *v *= sd;
    }
    cur
}

/// Unit-variance field on a lattice of `shape` nodes with `spacing_zyx`: white noise on
/// the lattice padded by the kernel radius, convolved (valid mode) with the Gaussian
/// kernel of sd `a` along x, y, z, divided by `√(Π Σ k²)`.
fn lattice_field(shape: [usize; 3], spacing_zyx: [f64; 3], a: f64, rng: &mut Rng) -> Vec<f64> {
    // along an axis of a single node any kernel gives a unit-variance value: use none
    let ks: Vec<Vec<f64>> = (0..3)
        .map(|ax| {
            if shape[ax] > 1 {
                kernel(a, spacing_zyx[ax])
            } else {
                vec![1.0]
            }
        })
        .collect();
    let norm: f64 = ks
        .iter()
        .map(|k| k.iter().map(|w| w * w).sum::<f64>())
        .product::<f64>()
        .sqrt();
    let pad: Vec<usize> = ks.iter().map(|k| k.len() - 1).collect();
    let mut dims = [shape[0] + pad[0], shape[1] + pad[1], shape[2] + pad[2]];
    let mut cur: Vec<f64> = (0..dims.iter().product::<usize>())
        .map(|_| rng.normal())
        .collect();
    // valid-mode convolution along x, then y, then z; each pass shrinks one axis
    for ax in (0..3).rev() {
        let k = &ks[ax];
        if k.len() == 1 {
            continue;
        }
        let mut nd = dims;
        nd[ax] = shape[ax];
        let stride: usize = dims[ax + 1..].iter().product();
        let outer: usize = dims[..ax].iter().product();
        let mut next = vec![0.0; nd.iter().product()];
        let r = k.len() / 2; // k is symmetric: k[j] = k[2r - j]
        if stride == 1 {
            // x: per row, out[i] = Σ_j k[j] in[i + j] as whole-row updates (vectorisable)
            let (pn, on) = (dims[ax], nd[ax]);
            for o in 0..outer {
                let src = &cur[o * pn..(o + 1) * pn];
                let dst = &mut next[o * on..(o + 1) * on];
                sym_taps(dst, k, r, |j| &src[j..j + on]);
            }
        } else {
            for o in 0..outer {
                for i in 0..nd[ax] {
                    let d0 = (o * nd[ax] + i) * stride;
                    let base = o * dims[ax] + i;
                    sym_taps(&mut next[d0..d0 + stride], k, r, |j| {
                        &cur[(base + j) * stride..(base + j + 1) * stride]
                    });
                }
            }
        }
        cur = next;
        dims = nd;
    }
    let scale = 1.0 / norm;
    for v in cur.iter_mut() {
        *v *= scale;
    }
    cur
}

/// `dst += Σ_{j<r} k[j] (row(j) + row(2r − j)) + k[r] row(r)`, over whole rows.
#[inline]
fn sym_taps<'a>(dst: &mut [f64], k: &[f64], r: usize, row: impl Fn(usize) -> &'a [f64]) {
    let c = row(r);
    let w = k[r];
    for (d, &v) in dst.iter_mut().zip(c) {
        *d += w * v;
    }
    for (j, &w) in k.iter().enumerate().take(r) {
        let (a, b) = (row(j), row(2 * r - j));
        for ((d, &u), &v) in dst.iter_mut().zip(a).zip(b) {
            *d += w * (u + v);
        }
    }
}

/// Keeps the largest 26-connected component of `m` (C order, `shape`); returns the
/// number of components found and the number of voxels removed.
pub fn keep_largest_component(m: &mut [bool], shape: [usize; 3]) -> (usize, usize) {
    let [nz, ny, nx] = shape;
    let mut label = vec![0u32; m.len()];
    let mut stack = Vec::new();
    let mut sizes: Vec<usize> = vec![0];
    for start in 0..m.len() {
        if !m[start] || label[start] != 0 {
            continue;
        }
        let l = sizes.len() as u32;
        let mut size = 0;
        label[start] = l;
        stack.push(start);
        while let Some(i) = stack.pop() {
            size += 1;
            let (z, y, x) = (i / (ny * nx), (i / nx) % ny, i % nx);
            for dz in -1isize..=1 {
                let zz = z as isize + dz;
                if zz < 0 || zz >= nz as isize {
                    continue;
                }
                for dy in -1isize..=1 {
                    let yy = y as isize + dy;
                    if yy < 0 || yy >= ny as isize {
                        continue;
                    }
                    for dx in -1isize..=1 {
                        let xx = x as isize + dx;
                        if xx < 0 || xx >= nx as isize {
                            continue;
                        }
                        let j = (zz as usize * ny + yy as usize) * nx + xx as usize;
                        if m[j] && label[j] == 0 {
                            label[j] = l;
                            stack.push(j);
                        }
                    }
                }
            }
        }
        sizes.push(size);
    }
    let components = sizes.len() - 1;
    if components <= 1 {
        return (components, 0);
    }
    let mut best = 1;
    for (l, &s) in sizes.iter().enumerate().skip(1) {
        if s > sizes[best] {
            best = l;
        }
    }
    let mut removed = 0;
    for (v, &l) in m.iter_mut().zip(&label) {
        if *v && l as usize != best {
            *v = false;
            removed += 1;
        }
    }
    (components, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sphere(n: usize, r: f64) -> Array3<bool> {
        let c = (n as f64 - 1.0) / 2.0;
        Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            let d2 = (z as f64 - c).powi(2) + (y as f64 - c).powi(2) + (x as f64 - c).powi(2);
            d2 <= r * r
        })
    }

    #[test]
    fn zero_sd_is_identity() {
        let m0 = sphere(15, 4.0);
        let mut m = m0.clone();
        let mut d = BTreeMap::new();
        randomise_contour(&mut m, [1.0; 3], 0.0, 5.0, &mut Rng::new(1), &mut d);
        assert_eq!(m, m0);
        assert_eq!(d["dice"], 1.0);
    }

    #[test]
    fn field_has_asked_sd_and_correlation() {
        let mut r = Rng::new(5);
        let shape = [20, 40, 40];
        let f = gaussian_field(shape, [2.0, 1.0, 1.0], 3.0, 4.0, &mut r);
        let n = f.len() as f64;
        let mean = f.iter().sum::<f64>() / n;
        let var = f.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        // correlated samples: loose tolerance
        assert!((var.sqrt() - 3.0).abs() < 0.45, "sd {}", var.sqrt());
        // lag-4 (4 mm) correlation along x should be about exp(-16/32) = 0.61
        let [nz, ny, nx] = shape;
        let (mut c, mut cnt) = (0.0, 0.0);
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx - 4 {
                    let i = (z * ny + y) * nx + x;
                    c += (f[i] - mean) * (f[i + 4] - mean);
                    cnt += 1.0;
                }
            }
        }
        let rho = c / cnt / var;
        assert!((rho - (-0.5f64).exp()).abs() < 0.12, "rho {rho}");
    }

    #[test]
    fn coarse_lattice_field_keeps_sd_and_correlation() {
        // L = 9 mm on 1 mm voxels: nodes every 3 voxels along every axis
        let shape = [30, 60, 60];
        let (mut s2, mut n, mut c, mut cn) = (0.0, 0.0, 0.0, 0.0);
        for seed in 0..4 {
            let f = gaussian_field(shape, [1.0; 3], 2.0, 9.0, &mut Rng::new(seed));
            let [nz, ny, nx] = shape;
            for z in 0..nz {
                for y in 0..ny {
                    for x in 0..nx {
                        let i = (z * ny + y) * nx + x;
                        s2 += f[i] * f[i];
                        n += 1.0;
                        if x + 6 < nx {
                            c += f[i] * f[i + 6];
                            cn += 1.0;
                        }
                    }
                }
            }
        }
        let sd = (s2 / n).sqrt();
        assert!((sd - 2.0).abs() < 0.3, "sd {sd}");
        // lag 6 mm: exp(-36 / 162) = 0.80
        let rho = c / cn / (s2 / n);
        assert!((rho - (-36.0f64 / 162.0).exp()).abs() < 0.1, "rho {rho}");
    }

    #[test]
    fn coarse_lattice_interpolation_variance_is_exact() {
        // the variance correction makes each voxel's sd exact: average over many seeds
        // of a tiny field, per voxel position between nodes
        let shape = [1, 1, 7];
        let mut s2 = [0.0; 7];
        let runs = 20000;
        for seed in 0..runs {
            // coarse z / y spacing keeps the padding (and the run time) small
            let f = gaussian_field(shape, [100.0, 100.0, 1.0], 1.0, 9.0, &mut Rng::new(seed));
            for (a, v) in s2.iter_mut().zip(&f) {
                *a += v * v;
            }
        }
        for v in s2 {
            let var = v / runs as f64;
            // sampling sd of a variance estimate: sqrt(2 / runs) = 0.01
            assert!((var - 1.0).abs() < 0.05, "{var}");
        }
    }

    #[test]
    fn white_field_when_no_correlation() {
        let f = gaussian_field([4, 4, 4], [1.0; 3], 2.0, 0.0, &mut Rng::new(9));
        let mut r = Rng::new(9);
        let want: Vec<f64> = (0..64).map(|_| 2.0 * r.normal()).collect();
        assert_eq!(f, want);
    }

    #[test]
    fn largest_component_kept() {
        // two blobs: 3 voxels and 1 voxel (diagonal neighbours are connected)
        let mut m = vec![false; 27];
        m[0] = true;
        m[13] = true; // (1,1,1), 26-neighbour of 0
        m[14] = true;
        m[26 - 2] = false;
        let mut m2 = vec![false; 5 * 5];
        m2[0] = true;
        m2[1] = true;
        m2[24] = true;
        assert_eq!(keep_largest_component(&mut m, [3, 3, 3]), (1, 0));
        assert_eq!(keep_largest_component(&mut m2, [1, 5, 5]), (2, 1));
        assert!(m2[0] && m2[1] && !m2[24]);
    }

    #[test]
    fn moderate_randomisation_keeps_overlap() {
        let m0 = sphere(31, 10.0);
        let mut m = m0.clone();
        let mut d = BTreeMap::new();
        randomise_contour(&mut m, [1.0; 3], 1.0, 5.0, &mut Rng::new(3), &mut d);
        assert_ne!(m, m0);
        // a 1 mm displacement of a 10 mm sphere: volume change ~ +-30 %, dice high
        assert!(d["dice"] > 0.8 && d["dice"] < 1.0, "{d:?}");
        assert!(d["achieved_fraction"].abs() < 0.4, "{d:?}");
        // the far interior never changes
        assert!(m[[15, 15, 15]]);
        assert!(!m[[0, 0, 0]]);
    }
}
