//! Moran's I (N365) and Geary's C (NPT7), exactly, over every pair of voxels of the ROI
//! intensity mask, in O(n log n) by FFT.
//!
//! # Definitions
//!
//! With `n` voxels in the intensity mask, intensities `x_i`, mean `μ`, `d_i = x_i - μ` and
//! weights `w_ij = 1 / ||r_i - r_j||` (voxel centres in mm), sums over `i ≠ j`:
//!
//! * `F_morph.moran.i = n / W · Σ_ij w_ij d_i d_j / Σ_i d_i²`
//! * `F_morph.geary.c = (n - 1) / (2W) · Σ_ij w_ij (x_i - x_j)² / Σ_i d_i²`
//!
//! where `W = Σ_ij w_ij`. Both are undefined for fewer than two voxels or a flat ROI.
//!
//! # Evaluation
//!
//! All three double sums are quadratic forms of the kernel `K(r) = 1/|r|`, `K(0) = 0`,
//! which depends only on the offset between voxels. With `m` the mask indicator, `d` the
//! centred intensities (0 outside the mask) and `e = d²` on the bounding box of the mask:
//!
//! * `W = Σ_l K(l) R_mm(l)`, `S_dd = Σ_ij w_ij d_i d_j = Σ_l K(l) R_dd(l)`,
//! * `S_em = Σ_i e_i Σ_(j≠i) w_ij = Σ_l K(l) R_me(l)`,
//! * `Σ_ij w_ij (d_i - d_j)² = 2 S_em - 2 S_dd`,
//!
//! with `R_ab(l) = Σ_j a_j b_(j+l)` the correlations over all offsets `l`. On a periodic
//! grid of `P_a >= 2 N_a - 1` points per axis (no wrap-around of offsets up to
//! `N_a - 1`), Parseval's theorem turns each sum into one over frequencies,
//! `Σ_l K(l) R_ab(l) = (1/P) Σ_f K̂(f) Re(Â(f) conj(B̂(f)))`, so only *forward* transforms
//! are needed:
//!
//! * `K` is even along each axis, hence `K̂` is real and even: it is computed on one
//!   octant with real-even line transforms, two lines per complex FFT.
//! * The three signals are real: along x two rows share one complex FFT and only
//!   `f_x <= P_x / 2` is kept (the other half follows by Hermitian symmetry, hence the
//!   weight 2 on interior `f_x`); along y only the `N_z` non-zero planes are
//!   transformed. Each `f_x` slab is transformed along y and z and reduced at once, so
//!   no full-size spectrum is ever stored.
//!
//! The result equals the pairwise double sum up to floating-point rounding (no sampling,
//! no truncation of the kernel); [`brute_force`] is the O(n²) reference used in tests.

use ndarray::Array3;
use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Moran's I and Geary's C, or why each is undefined.
#[derive(Debug, Clone, PartialEq)]
pub struct Autocorrelation {
    pub moran_i: Result<f64, String>,
    pub geary_c: Result<f64, String>,
}

/// The intensity-mask voxels on their bounding box.
struct Roi {
    /// Bounding box dimensions (z, y, x).
    dims: [usize; 3],
    /// Per bounding-box voxel: whether it is in the mask.
    mask: Vec<bool>,
    /// Centred intensity `x - μ` (0 outside the mask).
    centred: Vec<f64>,
    n: usize,
    sum_d2: f64,
}

fn collect(image: &Array3<f64>, mask: &Array3<bool>) -> Result<Roi, String> {
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    let (mut n, mut sum) = (0usize, 0.0f64);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for (((z, y, x), &m), &v) in mask.indexed_iter().zip(image.iter()) {
        if m {
            for (a, c) in [z, y, x].into_iter().enumerate() {
                lo[a] = lo[a].min(c);
                hi[a] = hi[a].max(c);
            }
            n += 1;
            sum += v;
            min = min.min(v);
            max = max.max(v);
        }
    }
    if n < 2 {
        return Err("needs at least two voxels in the intensity mask".into());
    }
    if min == max {
        return Err("all intensities in the intensity mask are equal (zero variance)".into());
    }
    let mu = sum / n as f64;
    let dims = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
    let len = dims[0] * dims[1] * dims[2];
    let mut roi = Roi {
        dims,
        mask: vec![false; len],
        centred: vec![0.0; len],
        n,
        sum_d2: 0.0,
    };
    for z in 0..dims[0] {
        for y in 0..dims[1] {
            for x in 0..dims[2] {
                let at = [z + lo[0], y + lo[1], x + lo[2]];
                if mask[at] {
                    let i = (z * dims[1] + y) * dims[2] + x;
                    let d = image[at] - mu;
                    roi.mask[i] = true;
                    roi.centred[i] = d;
                    roi.sum_d2 += d * d;
                }
            }
        }
    }
    Ok(roi)
}

/// Moran's I and Geary's C from the three double sums.
fn finish(roi: &Roi, w: f64, s_dd: f64, s_em: f64) -> Autocorrelation {
    let n = roi.n as f64;
    if !(w > 0.0) || !(roi.sum_d2 > 0.0) {
        let why = "the spatial weights or the intensity variance vanish".to_string();
        return Autocorrelation {
            moran_i: Err(why.clone()),
            geary_c: Err(why),
        };
    }
    Autocorrelation {
        moran_i: Ok(n / w * s_dd / roi.sum_d2),
        geary_c: Ok((n - 1.0) / (2.0 * w) * (2.0 * s_em - 2.0 * s_dd) / roi.sum_d2),
    }
}

/// The O(n²) double sums, straight from the definitions (reference for tests).
pub fn brute_force(image: &Array3<f64>, mask: &Array3<bool>, spacing_zyx: [f64; 3]) -> Autocorrelation {
    let roi = match collect(image, mask) {
        Ok(r) => r,
        Err(e) => {
            return Autocorrelation {
                moran_i: Err(e.clone()),
                geary_c: Err(e),
            }
        }
    };
    let [_, ny, nx] = roi.dims;
    let pts: Vec<([f64; 3], f64)> = (0..roi.mask.len())
        .filter(|&i| roi.mask[i])
        .map(|i| {
            let (z, y, x) = (i / (ny * nx), (i / nx) % ny, i % nx);
            (
                [z as f64 * spacing_zyx[0], y as f64 * spacing_zyx[1], x as f64 * spacing_zyx[2]],
                roi.centred[i],
            )
        })
        .collect();
    let (mut w, mut s_dd, mut geary) = (0.0, 0.0, 0.0);
    for i in 0..pts.len() {
        for j in 0..pts.len() {
            if i == j {
                continue;
            }
            let (a, b) = (pts[i].0, pts[j].0);
            let dist = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
            let wij = 1.0 / dist;
            w += wij;
            s_dd += wij * pts[i].1 * pts[j].1;
            geary += wij * (pts[i].1 - pts[j].1).powi(2);
        }
    }
    // Express Geary's sum through s_em so that `finish` applies: 2 s_em - 2 s_dd = geary.
    let s_em = geary / 2.0 + s_dd;
    finish(&roi, w, s_dd, s_em)
}

/// Smallest n' >= n whose prime factors are all in {2, 3, 5, 7} (fast FFT sizes).
fn fast_size(n: usize) -> usize {
    let mut m = n.max(1);
    loop {
        let mut k = m;
        for p in [2, 3, 5, 7] {
            while k % p == 0 {
                k /= p;
            }
        }
        if k == 1 {
            return m;
        }
        m += 1;
    }
}

/// Batched complex FFTs of contiguous lines of one length.
struct LineFft {
    fft: Arc<dyn Fft<f64>>,
    scratch: Vec<Complex64>,
}

impl LineFft {
    fn new(planner: &mut FftPlanner<f64>, len: usize) -> LineFft {
        let fft = planner.plan_fft_forward(len);
        let scratch = vec![Complex64::new(0.0, 0.0); fft.get_inplace_scratch_len()];
        LineFft { fft, scratch }
    }
    fn run(&mut self, buf: &mut [Complex64]) {
        if !buf.is_empty() {
            self.fft.process_with_scratch(buf, &mut self.scratch);
        }
    }
}

/// Transforms, along one axis, data that is real and even along that axis and stored
/// on its non-negative half (`h = P/2 + 1` entries of a period `P`): replaces each line
/// `g` by `G(f) = Σ_(k<P) g(min(k, P - k)) cos(2π f k / P)` for `f < h`. Two lines share
/// one complex FFT (both spectra are real).
fn even_transform(data: &mut [f64], dims: [usize; 3], axis: usize, period: usize, lf: &mut LineFft) {
    let h = dims[axis];
    let strides = [dims[1] * dims[2], dims[2], 1];
    let stride = strides[axis];
    let others: Vec<usize> = (0..3).filter(|&a| a != axis).collect();
    let mut starts = Vec::with_capacity(data.len() / h);
    for i in 0..dims[others[0]] {
        for j in 0..dims[others[1]] {
            starts.push(i * strides[others[0]] + j * strides[others[1]]);
        }
    }
    const BATCH: usize = 64;
    let mut buf = vec![Complex64::new(0.0, 0.0); BATCH * period];
    for chunk in starts.chunks(2 * BATCH) {
        let lines = chunk.len().div_ceil(2);
        let buf = &mut buf[..lines * period];
        for (l, pair) in chunk.chunks(2).enumerate() {
            let row = &mut buf[l * period..(l + 1) * period];
            for (k, c) in row.iter_mut().enumerate() {
                let m = k.min(period - k);
                let re = data[pair[0] + m * stride];
                let im = if pair.len() > 1 { data[pair[1] + m * stride] } else { 0.0 };
                *c = Complex64::new(re, im);
            }
        }
        lf.run(buf);
        for (l, pair) in chunk.chunks(2).enumerate() {
            let row = &buf[l * period..(l + 1) * period];
            for f in 0..h {
                data[pair[0] + f * stride] = row[f].re;
                if pair.len() > 1 {
                    data[pair[1] + f * stride] = row[f].im;
                }
            }
        }
    }
}

/// Moran's I and Geary's C of the intensity-mask voxels, exactly, by FFT (see the module
/// documentation).
pub fn exact(image: &Array3<f64>, mask: &Array3<bool>, spacing_zyx: [f64; 3]) -> Autocorrelation {
    let roi = match collect(image, mask) {
        Ok(r) => r,
        Err(e) => {
            return Autocorrelation {
                moran_i: Err(e.clone()),
                geary_c: Err(e),
            }
        }
    };
    let [nz, ny, nx] = roi.dims;
    let [pz, py, px] = [fast_size(2 * nz - 1), fast_size(2 * ny - 1), fast_size(2 * nx - 1)];
    let [hz, hy, hx] = [pz / 2 + 1, py / 2 + 1, px / 2 + 1];
    let [sz, sy, sx] = spacing_zyx;
    let mut planner = FftPlanner::<f64>::new();
    let mut fx_fft = LineFft::new(&mut planner, px);
    let mut fy_fft = LineFft::new(&mut planner, py);
    let mut fz_fft = LineFft::new(&mut planner, pz);

    // Kernel spectrum on the octant, layout [x][y][z].
    let mut kernel = vec![0.0f64; hx * hy * hz];
    for ix in 0..hx {
        let dx2 = (ix as f64 * sx).powi(2);
        for iy in 0..hy {
            let dxy2 = dx2 + (iy as f64 * sy).powi(2);
            let row = &mut kernel[(ix * hy + iy) * hz..(ix * hy + iy + 1) * hz];
            for (iz, k) in row.iter_mut().enumerate() {
                let r2 = dxy2 + (iz as f64 * sz).powi(2);
                *k = if r2 > 0.0 { 1.0 / r2.sqrt() } else { 0.0 };
            }
        }
    }
    let kdims = [hx, hy, hz];
    even_transform(&mut kernel, kdims, 0, px, &mut fx_fft);
    even_transform(&mut kernel, kdims, 1, py, &mut fy_fft);
    even_transform(&mut kernel, kdims, 2, pz, &mut fz_fft);

    // Signals along x: rows of m, d, e (two rows per complex FFT), kept for f_x < hx, in
    // layout [signal][f_x][z][y].
    let plane = nz * ny;
    let mut spec = vec![Complex64::new(0.0, 0.0); 3 * hx * plane];
    let rows = ny.div_ceil(2);
    let mut buf = vec![Complex64::new(0.0, 0.0); rows * px];
    for z in 0..nz {
        for s in 0..3 {
            buf.iter_mut().for_each(|c| *c = Complex64::new(0.0, 0.0));
            for y in 0..ny {
                let src = (z * ny + y) * nx;
                let row = &mut buf[(y / 2) * px..(y / 2 + 1) * px];
                for x in 0..nx {
                    let v = match s {
                        0 => roi.mask[src + x] as u8 as f64,
                        1 => roi.centred[src + x],
                        _ => roi.centred[src + x] * roi.centred[src + x],
                    };
                    if y % 2 == 0 {
                        row[x].re = v;
                    } else {
                        row[x].im = v;
                    }
                }
            }
            fx_fft.run(&mut buf);
            for y in 0..ny {
                let row = &buf[(y / 2) * px..(y / 2 + 1) * px];
                for f in 0..hx {
                    let a = row[f];
                    let b = row[(px - f) % px].conj();
                    // Spectrum of the real part (even y) or the imaginary part (odd y).
                    let v = if y % 2 == 0 {
                        (a + b) * 0.5
                    } else {
                        let t = a - b;
                        Complex64::new(t.im * 0.5, -t.re * 0.5)
                    };
                    spec[((s * hx + f) * nz + z) * ny + y] = v;
                }
            }
        }
    }

    // Per f_x slab: transforms along y (the nz non-zero planes) and z, then the reduction.
    let mut ybuf = vec![Complex64::new(0.0, 0.0); nz * py];
    let mut tbuf = vec![Complex64::new(0.0, 0.0); 3 * py * pz];
    let (mut w, mut s_dd, mut s_em) = (0.0f64, 0.0f64, 0.0f64);
    let zmirror: Vec<usize> = (0..pz).map(|f| f.min(pz - f)).collect();
    for f in 0..hx {
        for s in 0..3 {
            for z in 0..nz {
                let src = &spec[((s * hx + f) * nz + z) * ny..((s * hx + f) * nz + z + 1) * ny];
                let row = &mut ybuf[z * py..(z + 1) * py];
                row[..ny].copy_from_slice(src);
                row[ny..].iter_mut().for_each(|c| *c = Complex64::new(0.0, 0.0));
            }
            fy_fft.run(&mut ybuf);
            let t = &mut tbuf[s * py * pz..(s + 1) * py * pz];
            for fy in 0..py {
                let row = &mut t[fy * pz..(fy + 1) * pz];
                for z in 0..nz {
                    row[z] = ybuf[z * py + fy];
                }
                row[nz..].iter_mut().for_each(|c| *c = Complex64::new(0.0, 0.0));
            }
            fz_fft.run(t);
        }
        let (tm, rest) = tbuf.split_at(py * pz);
        let (td, te) = rest.split_at(py * pz);
        let (mut pw, mut pdd, mut pem) = (0.0f64, 0.0f64, 0.0f64);
        for fy in 0..py {
            let my = fy.min(py - fy);
            let krow = &kernel[(f * hy + my) * hz..(f * hy + my + 1) * hz];
            let base = fy * pz;
            for fz in 0..pz {
                let k = krow[zmirror[fz]];
                let (m, d, e) = (tm[base + fz], td[base + fz], te[base + fz]);
                pw += k * m.norm_sqr();
                pdd += k * d.norm_sqr();
                pem += k * (m.re * e.re + m.im * e.im);
            }
        }
        let weight = if f == 0 || (px % 2 == 0 && f == px / 2) { 1.0 } else { 2.0 };
        w += weight * pw;
        s_dd += weight * pdd;
        s_em += weight * pem;
    }
    let p = (px * py * pz) as f64;
    finish(&roi, w / p, s_dd / p, s_em / p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_sizes() {
        assert_eq!(fast_size(1), 1);
        assert_eq!(fast_size(11), 12);
        assert_eq!(fast_size(51), 54);
        assert_eq!(fast_size(197), 200);
    }

    #[test]
    fn two_voxels_hand_worked() {
        // Two voxels 2 mm apart, intensities 1 and 3: w = 1/2 each way, W = 1,
        // d = (-1, 1), S_dd = 2 * 1/2 * (-1) = -1, sum d^2 = 2.
        // Moran: 2 / 1 * (-1) / 2 = -1. Geary: 1 / 2 * (2 * 1/2 * 4) / 2 = 1.
        let image = Array3::from_shape_vec((1, 1, 2), vec![1.0, 3.0]).unwrap();
        let mask = Array3::from_elem((1, 1, 2), true);
        for a in [exact(&image, &mask, [2.0; 3]), brute_force(&image, &mask, [2.0; 3])] {
            assert!((a.moran_i.clone().unwrap() + 1.0).abs() < 1e-12, "{a:?}");
            assert!((a.geary_c.clone().unwrap() - 1.0).abs() < 1e-12, "{a:?}");
        }
    }

    #[test]
    fn undefined_cases() {
        let image = Array3::from_elem((2, 2, 2), 5.0);
        let mask = Array3::from_elem((2, 2, 2), true);
        let a = exact(&image, &mask, [1.0; 3]);
        assert!(a.moran_i.is_err() && a.geary_c.is_err());
        let mut one = Array3::from_elem((2, 2, 2), false);
        one[[1, 0, 1]] = true;
        let a = exact(&image.mapv(|v| v + 1.0), &one, [1.0; 3]);
        assert!(a.moran_i.is_err() && a.geary_c.is_err());
    }
}
