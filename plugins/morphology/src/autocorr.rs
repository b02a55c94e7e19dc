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
//! * Along y and z, `P_a = 2 L_a` with `L_a` the smallest `2^a 3^b >= N_a`; as the
//!   signals vanish beyond `N_a <= L_a`, each line is transformed by two FFTs of length
//!   `L_a` (decimation in frequency: even frequencies from the line, odd ones from the
//!   line times `exp(-2πi n / P_a)`), with no zero-padded half. Along x,
//!   `P_x` is the smallest `2^a 3^b >= 2 N_x - 1`. The work is about that of 1.5 complex
//!   3D FFTs of the padded grid (~6.5e6 transformed points for the CT phantom GTV's
//!   26 x 99 x 100 box); memory is the kernel octant (`P / 8` doubles) plus the
//!   x-transformed signals, which are produced in chunks of `f_x` when they would exceed
//!   64 MiB.
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

/// The intensity-mask voxels on their bounding box, as the three real signals of the
/// FFT evaluation.
struct Roi {
    /// Bounding box dimensions (z, y, x).
    dims: [usize; 3],
    /// Mask indicator m (1 in the mask, 0 elsewhere).
    m: Vec<f64>,
    /// Centred intensity d = x - μ (0 outside the mask).
    d: Vec<f64>,
    /// e = d².
    e: Vec<f64>,
    n: usize,
    sum_d2: f64,
}

fn collect(image: &Array3<f64>, mask: &Array3<bool>) -> Result<Roi, String> {
    let (nz, ny, nx) = image.dim();
    let image = image.as_standard_layout();
    let image = image.as_slice().expect("standard layout");
    let mask = mask.as_standard_layout();
    let mask = mask.as_slice().expect("standard layout");
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    let (mut n, mut sum) = (0usize, 0.0f64);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for z in 0..nz {
        for y in 0..ny {
            let at = (z * ny + y) * nx;
            let (img, msk) = (&image[at..at + nx], &mask[at..at + nx]);
            let Some(first) = msk.iter().position(|&m| m) else {
                continue;
            };
            let last = msk.iter().rposition(|&m| m).expect("a mask voxel");
            lo = [lo[0].min(z), lo[1].min(y), lo[2].min(first)];
            hi = [hi[0].max(z), hi[1].max(y), hi[2].max(last)];
            for (&v, &m) in img[first..=last].iter().zip(&msk[first..=last]) {
                if m {
                    n += 1;
                    sum += v;
                    min = min.min(v);
                    max = max.max(v);
                }
            }
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
        m: vec![0.0; len],
        d: vec![0.0; len],
        e: vec![0.0; len],
        n,
        sum_d2: 0.0,
    };
    for z in 0..dims[0] {
        for y in 0..dims[1] {
            let src = ((z + lo[0]) * ny + y + lo[1]) * nx + lo[2];
            let dst = (z * dims[1] + y) * dims[2];
            for x in 0..dims[2] {
                if mask[src + x] {
                    let d = image[src + x] - mu;
                    roi.m[dst + x] = 1.0;
                    roi.d[dst + x] = d;
                    roi.e[dst + x] = d * d;
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
    if w.is_nan() || w <= 0.0 || roi.sum_d2.is_nan() || roi.sum_d2 <= 0.0 {
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
pub fn brute_force(
    image: &Array3<f64>,
    mask: &Array3<bool>,
    spacing_zyx: [f64; 3],
) -> Autocorrelation {
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
    let pts: Vec<([f64; 3], f64)> = (0..roi.m.len())
        .filter(|&i| roi.m[i] > 0.0)
        .map(|i| {
            let (z, y, x) = (i / (ny * nx), (i / nx) % ny, i % nx);
            (
                [
                    z as f64 * spacing_zyx[0],
                    y as f64 * spacing_zyx[1],
                    x as f64 * spacing_zyx[2],
                ],
                roi.d[i],
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
            let dist =
                ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
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

/// Smallest n' >= n of the form 2^a 3^b (the sizes rustfft transforms fastest).
fn fast_size(n: usize) -> usize {
    let mut m = n.max(1);
    loop {
        let mut k = m;
        for p in [2, 3] {
            while k >= p && (k / p) * p == k {
                k /= p;
            }
        }
        if k == 1 {
            return m;
        }
        m += 1;
    }
}

/// Memory bound of the per-chunk signal spectra (bytes); above it the x-pass is redone
/// per chunk of f_x values.
const MAX_SPECTRUM_BYTES: usize = 64 << 20;

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
fn even_transform(
    data: &mut [f64],
    dims: [usize; 3],
    axis: usize,
    period: usize,
    lf: &mut LineFft,
) {
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
            // Entries 0..h from the data, the rest by mirror symmetry g(k) = g(P - k).
            for (k, c) in row[..h].iter_mut().enumerate() {
                let re = data[pair[0] + k * stride];
                let im = if pair.len() > 1 {
                    data[pair[1] + k * stride]
                } else {
                    0.0
                };
                *c = Complex64::new(re, im);
            }
            for k in h..period {
                row[k] = row[period - k];
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
    exact_chunked(image, mask, spacing_zyx, MAX_SPECTRUM_BYTES)
}

/// [`exact`] with a given memory bound for the signal spectra.
fn exact_chunked(
    image: &Array3<f64>,
    mask: &Array3<bool>,
    spacing_zyx: [f64; 3],
    max_spectrum_bytes: usize,
) -> Autocorrelation {
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
    // Along y and z the period is twice a fast size >= N, so that the signals (non-zero
    // on the first N <= P/2 points) are transformed by two half-length FFTs.
    let [lz, ly] = [fast_size(nz), fast_size(ny)];
    let [pz, py, px] = [2 * lz, 2 * ly, fast_size(2 * nx - 1)];
    let [hz, hy, hx] = [pz / 2 + 1, py / 2 + 1, px / 2 + 1];
    let [sz, sy, sx] = spacing_zyx;
    let mut planner = FftPlanner::<f64>::new();
    let mut fx_fft = LineFft::new(&mut planner, px);
    let mut ky_fft = LineFft::new(&mut planner, py);
    let mut kz_fft = LineFft::new(&mut planner, pz);
    let mut fy_fft = LineFft::new(&mut planner, ly);
    let mut fz_fft = LineFft::new(&mut planner, lz);
    // Decimation in frequency of a signal non-zero on n < L = P/2:
    // X(2k) = FFT_L(x)(k) and X(2k + 1) = FFT_L(x(n) ω^n)(k), ω = exp(-2πi / P).
    // A transformed line holds X(0), X(2), .., X(P - 2), X(1), X(3), .., X(P - 1).
    let twiddle = |n: usize, p: usize| {
        let a = -2.0 * std::f64::consts::PI * n as f64 / p as f64;
        Complex64::new(a.cos(), a.sin())
    };
    let tw_y: Vec<Complex64> = (0..ny).map(|n| twiddle(n, py)).collect();
    let tw_z: Vec<Complex64> = (0..nz).map(|n| twiddle(n, pz)).collect();
    let freq = |j: usize, l: usize| if j < l { 2 * j } else { 2 * (j - l) + 1 };
    // Octant index of each transformed position: frequency f and P - f share K̂.
    let octant = |l: usize| -> Vec<usize> {
        (0..2 * l)
            .map(|j| {
                let f = freq(j, l);
                f.min(2 * l - f)
            })
            .collect()
    };
    let (oct_y, oct_z) = (octant(ly), octant(lz));

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
    even_transform(&mut kernel, kdims, 1, py, &mut ky_fft);
    even_transform(&mut kernel, kdims, 2, pz, &mut kz_fft);

    let plane = nz * ny;
    let signals: [&[f64]; 3] = [&roi.m, &roi.d, &roi.e];

    // The signals' spectra along x are kept for a chunk of f_x values at a time (all of
    // them unless the bounding box is very large), layout [z][signal][f_x][y], filled in
    // that order (no initialisation pass).
    let chunk = (max_spectrum_bytes / (3 * plane * std::mem::size_of::<Complex64>())).clamp(1, hx);
    let zero = Complex64::new(0.0, 0.0);
    let mut spec: Vec<Complex64> = Vec::with_capacity(3 * chunk * plane);
    let rows = ny.div_ceil(2);
    let mut buf = vec![zero; 3 * rows * px];
    let mut ybuf = vec![zero; 3 * nz * py];
    let mut tbuf = vec![zero; 3 * py * pz];
    let mut kslab = vec![0.0f64; py * pz];
    let (mut w, mut s_dd, mut s_em) = (0.0f64, 0.0f64, 0.0f64);
    for f0 in (0..hx).step_by(chunk) {
        let f1 = (f0 + chunk).min(hx);
        let nf = f1 - f0;
        spec.clear();
        // Along x: per z-plane, the rows of m, d and e, two real rows per complex FFT.
        for z in 0..nz {
            for (s, sig) in signals.iter().enumerate() {
                for yp in 0..rows {
                    let row = &mut buf[(s * rows + yp) * px..(s * rows + yp + 1) * px];
                    let even = &sig[(z * ny + 2 * yp) * nx..(z * ny + 2 * yp + 1) * nx];
                    if 2 * yp + 1 < ny {
                        let odd = &sig[(z * ny + 2 * yp + 1) * nx..(z * ny + 2 * yp + 2) * nx];
                        for ((c, &a), &b) in row.iter_mut().zip(even).zip(odd) {
                            *c = Complex64::new(a, b);
                        }
                    } else {
                        for (c, &a) in row.iter_mut().zip(even) {
                            *c = Complex64::new(a, 0.0);
                        }
                    }
                    row[nx..].fill(zero);
                }
            }
            fx_fft.run(&mut buf);
            // Unpack the two real rows of each complex row: with Z the transform of
            // a + i b, A(f) = (Z(f) + conj Z(-f)) / 2 and B(f) = (Z(f) - conj Z(-f)) / (2i).
            for s in 0..3 {
                let rows_s = &buf[s * rows * px..(s + 1) * rows * px];
                for f in f0..f1 {
                    let g = (px - f) % px;
                    for yp in 0..rows {
                        let (a, b) = (rows_s[yp * px + f], rows_s[yp * px + g].conj());
                        spec.push((a + b) * 0.5);
                        if 2 * yp + 1 < ny {
                            let t = a - b;
                            spec.push(Complex64::new(t.im * 0.5, -t.re * 0.5));
                        }
                    }
                }
            }
        }
        debug_assert_eq!(spec.len(), 3 * nf * plane);

        // Per f_x slab: transforms along y (only the nz non-zero planes) and along z,
        // each as two half-length FFTs, then the reduction against the kernel spectrum.
        for f in f0..f1 {
            for s in 0..3 {
                for z in 0..nz {
                    let at = ((z * 3 + s) * nf + f - f0) * ny;
                    let src = &spec[at..at + ny];
                    let (even, odd) =
                        ybuf[(s * nz + z) * py..(s * nz + z + 1) * py].split_at_mut(ly);
                    even[..ny].copy_from_slice(src);
                    even[ny..].fill(zero);
                    for ((o, &v), &t) in odd.iter_mut().zip(src).zip(&tw_y) {
                        *o = v * t;
                    }
                    odd[ny..].fill(zero);
                }
            }
            fy_fft.run(&mut ybuf);
            // Transpose [z][j_y] -> [j_y][z] in tiles, with the z half-lines.
            const TILE: usize = 16;
            for s in 0..3 {
                let yb = &ybuf[s * nz * py..(s + 1) * nz * py];
                let t = &mut tbuf[s * py * pz..(s + 1) * py * pz];
                for j0 in (0..py).step_by(TILE) {
                    let j1 = (j0 + TILE).min(py);
                    for z in 0..nz {
                        let src = &yb[z * py + j0..z * py + j1];
                        for (k, &v) in src.iter().enumerate() {
                            let row = (j0 + k) * pz;
                            t[row + z] = v;
                            t[row + lz + z] = v * tw_z[z];
                        }
                    }
                    for j in j0..j1 {
                        t[j * pz + nz..j * pz + lz].fill(zero);
                        t[j * pz + lz + nz..(j + 1) * pz].fill(zero);
                    }
                }
            }
            fz_fft.run(&mut tbuf);
            // The kernel spectrum of this slab in the same order, from its octant.
            for (&my, krow) in oct_y.iter().zip(kslab.chunks_exact_mut(pz)) {
                let oct = &kernel[(f * hy + my) * hz..(f * hy + my + 1) * hz];
                for (k, &mz) in krow.iter_mut().zip(&oct_z) {
                    *k = oct[mz];
                }
            }
            // Σ K̂ |M̂|², Σ K̂ |D̂|², Σ K̂ Re(M̂ conj Ê) over the slab, in four lanes.
            let (tm, rest) = tbuf.split_at(py * pz);
            let (td, te) = rest.split_at(py * pz);
            let (mut pw, mut pdd, mut pem) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
            let quads = kslab.len() / 4 * 4;
            for i in (0..quads).step_by(4) {
                for l in 0..4 {
                    let (k, m, d, e) = (kslab[i + l], tm[i + l], td[i + l], te[i + l]);
                    pw[l] += k * (m.re * m.re + m.im * m.im);
                    pdd[l] += k * (d.re * d.re + d.im * d.im);
                    pem[l] += k * (m.re * e.re + m.im * e.im);
                }
            }
            for i in quads..kslab.len() {
                let (k, m, d, e) = (kslab[i], tm[i], td[i], te[i]);
                pw[0] += k * (m.re * m.re + m.im * m.im);
                pdd[0] += k * (d.re * d.re + d.im * d.im);
                pem[0] += k * (m.re * e.re + m.im * e.im);
            }
            let lanes = |a: [f64; 4]| (a[0] + a[1]) + (a[2] + a[3]);
            let weight = if f == 0 || (px % 2 == 0 && f == px / 2) {
                1.0
            } else {
                2.0
            };
            w += weight * lanes(pw);
            s_dd += weight * lanes(pdd);
            s_em += weight * lanes(pem);
        }
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
        assert_eq!(fast_size(197), 216);
    }

    #[test]
    fn two_voxels_hand_worked() {
        // Two voxels 2 mm apart, intensities 1 and 3: w = 1/2 each way, W = 1,
        // d = (-1, 1), S_dd = 2 * 1/2 * (-1) = -1, sum d^2 = 2.
        // Moran: 2 / 1 * (-1) / 2 = -1. Geary: 1 / 2 * (2 * 1/2 * 4) / 2 = 1.
        let image = Array3::from_shape_vec((1, 1, 2), vec![1.0, 3.0]).unwrap();
        let mask = Array3::from_elem((1, 1, 2), true);
        for a in [
            exact(&image, &mask, [2.0; 3]),
            brute_force(&image, &mask, [2.0; 3]),
        ] {
            assert!((a.moran_i.clone().unwrap() + 1.0).abs() < 1e-12, "{a:?}");
            assert!((a.geary_c.clone().unwrap() - 1.0).abs() < 1e-12, "{a:?}");
        }
    }

    #[test]
    fn chunked_x_pass_gives_the_same_sums() {
        let (nz, ny, nx) = (3, 5, 9);
        let image = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
            ((z * 7 + y * 3 + x * 5) % 11) as f64
        });
        let mask = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| (z + y + x) % 4 != 0);
        let whole = exact(&image, &mask, [2.0, 1.0, 0.7]);
        // One f_x value per chunk.
        let parts = exact_chunked(&image, &mask, [2.0, 1.0, 0.7], 1);
        let (a, b) = (whole.moran_i.unwrap(), parts.moran_i.unwrap());
        assert!((a - b).abs() < 1e-12 * (1.0 + a.abs()), "{a} vs {b}");
        let (a, b) = (whole.geary_c.unwrap(), parts.geary_c.unwrap());
        assert!((a - b).abs() < 1e-12 * (1.0 + a.abs()), "{a} vs {b}");
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
