//! FFT helpers: n-dimensional transforms over a flat `(z, y, x)` buffer, the boundary
//! extension used for circular (FFT) filtering, and spatial-kernel folding.

use ndarray::{Array3, ArrayView3};
use rustfft::num_complex::Complex64;
use rustfft::FftPlanner;

use crate::boundary::{source, Boundary};

/// In-place FFT of `buf` (shape `shape`, C order) along each axis of `axes`. The inverse
/// transform is normalised (divided by the number of points transformed).
pub(crate) fn fft_axes(
    buf: &mut [Complex64],
    shape: [usize; 3],
    axes: &[usize],
    inverse: bool,
    planner: &mut FftPlanner<f64>,
) {
    let mut points = 1usize;
    for &axis in axes {
        fft_axis_raw(buf, shape, axis, inverse, planner);
        points *= shape[axis];
    }
    if inverse && points > 1 {
        let s = 1.0 / points as f64;
        for v in buf.iter_mut() {
            *v *= s;
        }
    }
}

/// In-place FFT of `buf` along one axis, not normalised.
pub(crate) fn fft_axis_raw(
    buf: &mut [Complex64],
    shape: [usize; 3],
    axis: usize,
    inverse: bool,
    planner: &mut FftPlanner<f64>,
) {
    debug_assert_eq!(buf.len(), shape.iter().product::<usize>());
    let n = shape[axis];
    if n <= 1 {
        return;
    }
    let fft = if inverse {
        planner.plan_fft_inverse(n)
    } else {
        planner.plan_fft_forward(n)
    };
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    if inner == 1 {
        fft.process(buf);
        return;
    }
    // Strided lanes are gathered `BLOCK` at a time into contiguous scratch memory.
    const BLOCK: usize = 32;
    let mut scratch = vec![Complex64::new(0.0, 0.0); n * BLOCK.min(inner)];
    for o in 0..outer {
        let base = o * n * inner;
        let mut c0 = 0;
        while c0 < inner {
            let w = BLOCK.min(inner - c0);
            // scratch[lane * n + i] = buf[base + i * inner + c0 + lane]
            for i in 0..n {
                let row = &buf[base + i * inner + c0..base + i * inner + c0 + w];
                for (lane, v) in row.iter().enumerate() {
                    scratch[lane * n + i] = *v;
                }
            }
            fft.process(&mut scratch[..w * n]);
            for i in 0..n {
                let row = &mut buf[base + i * inner + c0..base + i * inner + c0 + w];
                for (lane, v) in row.iter_mut().enumerate() {
                    *v = scratch[lane * n + i];
                }
            }
            c0 += w;
        }
    }
}

/// Frequency assigned to DFT bin `k` of `p` bins on the IBSI 2 reference grid of
/// Fourier-domain filters: the `p` samples, in centred order (`i = (k + floor(p/2)) mod
/// p`), span `[-pi, pi]` evenly, `omega_i = pi (2 i - (p - 1)) / (p - 1)`. For even `p`
/// the grid is centred between two samples, so it is offset by half a bin from the DFT
/// frequencies and slightly stretched; the response is then the real part of the
/// inverse transform. (This grid reproduces the IBSI 2 reference maps of the Simoncelli
/// wavelet; see the crate documentation.)
#[inline]
pub(crate) fn omega_ref(k: usize, p: usize) -> f64 {
    if p <= 1 {
        return 0.0;
    }
    let i = (k + p / 2) % p;
    let h = (p as f64 - 1.0) / 2.0;
    std::f64::consts::PI * (i as f64 - h) / h
}

/// How one axis of `n` voxels is extended to `p` samples for circular filtering by a
/// kernel of at most `radius` voxels: the circular convolution over the `p` samples equals
/// the linear convolution of the boundary-extended image, for the `n` voxels starting at
/// `offset`.
#[derive(Debug, Clone)]
pub(crate) struct Extension {
    pub n: usize,
    pub p: usize,
    pub offset: usize,
    /// Image voxel held by each extended sample (`None`: zero).
    map: Vec<Option<usize>>,
    /// Largest tap offset that can reach an image voxel (zero padding only).
    pub max_tap: Option<usize>,
}

impl Extension {
    /// The cheapest extension that is exact for kernels of at most `radius` voxels:
    /// periodic images are never padded (taps fold modulo `n`); mirrored images are padded
    /// by `radius` on each side, or, when that is longer, unfolded into one period of
    /// `2 n` samples; zero and nearest padding add `radius` samples (zero padding needs
    /// them on one side only, and never more than `n - 1`). Padded lengths are rounded up
    /// to a product of small primes for fast transforms.
    pub fn new(n: usize, radius: usize, mode: Boundary) -> Self {
        assert!(n > 0);
        let padded = |offset: usize, min_len: usize, max_tap: usize| {
            let p = fast_len(min_len);
            let map = (0..p)
                .map(|i| source(mode, i as isize - offset as isize, n))
                .collect();
            Extension {
                n,
                p,
                offset,
                map,
                max_tap: Some(max_tap),
            }
        };
        match mode {
            Boundary::Periodic => Extension {
                n,
                p: n,
                offset: 0,
                map: (0..n).map(Some).collect(),
                max_tap: None,
            },
            Boundary::Zero => {
                let r = radius.min(n - 1);
                padded(0, n + r, r)
            }
            Boundary::Mirror if 2 * radius >= n => {
                // The mirrored image is periodic with period 2n: taps fold exactly.
                let p = 2 * n;
                let map = (0..p)
                    .map(|i| Some(if i < n { i } else { p - 1 - i }))
                    .collect();
                Extension {
                    n,
                    p,
                    offset: 0,
                    map,
                    max_tap: None,
                }
            }
            Boundary::Mirror | Boundary::Nearest => padded(radius, n + 2 * radius, radius),
        }
    }

    /// Image voxel held by extended sample `i` (`None`: zero).
    #[inline]
    pub fn source(&self, i: usize) -> Option<usize> {
        self.map[i]
    }

    /// Position in the circular buffer of a kernel tap at offset `d`, or `None` when the
    /// tap can never reach the image.
    #[inline]
    pub fn tap(&self, d: isize) -> Option<usize> {
        if let Some(m) = self.max_tap {
            if d.unsigned_abs() > m {
                return None;
            }
        }
        Some(d.rem_euclid(self.p as isize) as usize)
    }
}

/// Smallest length `>= n` whose prime factors are all at most 7.
pub(crate) fn fast_len(n: usize) -> usize {
    let mut m = n.max(1);
    loop {
        let mut r = m;
        for f in [2, 3, 5, 7] {
            while r / f * f == r {
                r /= f;
            }
        }
        if r == 1 {
            return m;
        }
        m += 1;
    }
}

/// Builds the extended complex volume of `img` (axes extended by `ext`).
pub(crate) fn extend_volume(img: ArrayView3<f64>, ext: &[Extension; 3]) -> Vec<Complex64> {
    let p = [ext[0].p, ext[1].p, ext[2].p];
    let mut out = vec![Complex64::new(0.0, 0.0); p[0] * p[1] * p[2]];
    let mut t = 0;
    for a in 0..p[0] {
        let sa = ext[0].map[a];
        for b in 0..p[1] {
            let sb = ext[1].map[b];
            for c in 0..p[2] {
                if let (Some(i), Some(j), Some(k)) = (sa, sb, ext[2].map[c]) {
                    out[t] = Complex64::new(img[[i, j, k]], 0.0);
                }
                t += 1;
            }
        }
    }
    out
}

/// Copies the image part of an extended volume back out (real parts).
pub(crate) fn crop_real(buf: &[Complex64], ext: &[Extension; 3]) -> Array3<f64> {
    let p = [ext[0].p, ext[1].p, ext[2].p];
    Array3::from_shape_fn((ext[0].n, ext[1].n, ext[2].n), |(i, j, k)| {
        buf[((i + ext[0].offset) * p[1] + j + ext[1].offset) * p[2] + k + ext[2].offset].re
    })
}

/// Filters `img` with a transfer function `transfer([omega_z, omega_y, omega_x])`
/// (radians per voxel, on the reference grid [`omega_ref`]) applied along the Fourier
/// axes `axes`; the other axes are not transformed (their frequency is passed as 0 and
/// their extension must be the identity). The bin of zero frequency along every
/// transformed axis takes `transfer([0, 0, 0])`. Returns the real part.
pub(crate) fn filter_fourier<F>(
    img: &Array3<f64>,
    ext: &[Extension; 3],
    axes: &[usize],
    planner: &mut FftPlanner<f64>,
    transfer: F,
) -> Array3<f64>
where
    F: Fn([f64; 3]) -> Complex64,
{
    let p = [ext[0].p, ext[1].p, ext[2].p];
    let mut buf = extend_volume(img.view(), ext);
    for &a in axes.iter().rev() {
        fft_axis_raw(&mut buf, p, a, false, planner);
    }
    // Frequencies of the transformed axes; a single 0 for the others.
    let grid: [Vec<f64>; 3] = std::array::from_fn(|a| {
        if axes.contains(&a) {
            (0..p[a]).map(|k| omega_ref(k, p[a])).collect()
        } else {
            vec![0.0]
        }
    });
    let h = |i: usize, j: usize, k: usize| {
        if i == 0 && j == 0 && k == 0 {
            transfer([0.0; 3])
        } else {
            transfer([grid[0][i], grid[1][j], grid[2][k]])
        }
    };
    let plane = p[1] * p[2];
    if grid[0].len() == 1 {
        // Transfer independent of z: tabulate one plane and apply it to every z.
        let table: Vec<Complex64> = (0..p[1])
            .flat_map(|j| (0..p[2]).map(move |k| (j, k)))
            .map(|(j, k)| {
                let jj = if grid[1].len() == 1 { 0 } else { j };
                let kk = if grid[2].len() == 1 { 0 } else { k };
                h(0, jj, kk)
            })
            .collect();
        for chunk in buf.chunks_mut(plane) {
            for (v, t) in chunk.iter_mut().zip(&table) {
                *v *= t;
            }
        }
    } else {
        let mut t = 0;
        for i in 0..p[0] {
            for j in 0..p[1] {
                let jj = if grid[1].len() == 1 { 0 } else { j };
                for k in 0..p[2] {
                    let kk = if grid[2].len() == 1 { 0 } else { k };
                    buf[t] *= h(i, jj, kk);
                    t += 1;
                }
            }
        }
    }
    fft_axes(&mut buf, p, axes, true, planner);
    crop_real(&buf, ext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv::{convolve_axis, Kernel1};

    #[test]
    fn forward_then_inverse_is_identity() {
        let shape = [3, 4, 5];
        let mut planner = FftPlanner::new();
        let orig: Vec<Complex64> = (0..60)
            .map(|i| Complex64::new(i as f64 * 0.5 - 3.0, (i % 7) as f64))
            .collect();
        let mut buf = orig.clone();
        fft_axes(&mut buf, shape, &[0, 1, 2], false, &mut planner);
        fft_axes(&mut buf, shape, &[0, 1, 2], true, &mut planner);
        for (a, b) in buf.iter().zip(&orig) {
            assert!((a - b).norm() < 1e-12);
        }
    }

    /// Circular filtering through the extension equals direct filtering, for every
    /// boundary condition, with a kernel wider than the image.
    #[test]
    fn extension_reproduces_linear_convolution() {
        let img = Array3::from_shape_fn((1, 1, 7), |(_, _, x)| ((x * 5) % 7) as f64 - 2.0);
        let h: Vec<f64> = (0..21).map(|j| ((j * 3) % 5) as f64 - 1.5).collect();
        let k = Kernel1 {
            h: h.clone(),
            origin: 10,
        };
        let mut planner = FftPlanner::new();
        for mode in [
            Boundary::Zero,
            Boundary::Nearest,
            Boundary::Periodic,
            Boundary::Mirror,
        ] {
            let direct = convolve_axis(&img, 2, &k, mode);
            let unit = Extension::new(1, 0, Boundary::Periodic);
            let ext = [unit.clone(), unit, Extension::new(7, 10, mode)];
            let mut kern = vec![Complex64::new(0.0, 0.0); ext[2].p];
            for (j, w) in h.iter().enumerate() {
                if let Some(t) = ext[2].tap(j as isize - 10) {
                    kern[t] += w;
                }
            }
            let shape = [1, 1, ext[2].p];
            fft_axes(&mut kern, shape, &[2], false, &mut planner);
            let mut buf = extend_volume(img.view(), &ext);
            fft_axes(&mut buf, shape, &[2], false, &mut planner);
            for (b, kk) in buf.iter_mut().zip(&kern) {
                *b *= kk;
            }
            fft_axes(&mut buf, shape, &[2], true, &mut planner);
            let got = crop_real(&buf, &ext);
            for (a, b) in got.iter().zip(direct.iter()) {
                assert!((a - b).abs() < 1e-9, "{mode:?}: {a} vs {b}");
            }
        }
    }
}
