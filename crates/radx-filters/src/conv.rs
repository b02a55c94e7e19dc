//! Separable filtering: one 1-D kernel applied along one axis of a volume.

use ndarray::Array3;

use crate::boundary::{extend_into, source, Boundary};

/// A 1-D kernel `h` with its origin `o`: filtering a line `f` gives
/// `out[i] = sum_j h[j] * f_ext[i + o - j]` (a convolution; `f_ext` is the line extended
/// by the boundary condition). For an odd length and `o = (len - 1) / 2` the kernel is
/// centred.
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel1 {
    pub h: Vec<f64>,
    pub origin: usize,
}

impl Kernel1 {
    /// The kernel with origin `len / 2` (the centre for odd lengths).
    pub fn centred(h: Vec<f64>) -> Self {
        let origin = h.len() / 2;
        Kernel1 { h, origin }
    }

    /// The mirrored kernel `h'[m] = h[len - 1 - m]`: filtering with it equals flipping
    /// the line, filtering with `self`, and flipping back.
    pub fn flipped(&self) -> Self {
        let mut h = self.h.clone();
        h.reverse();
        Kernel1 {
            origin: self.h.len() - 1 - self.origin,
            h,
        }
    }

    /// The kernel with `factor - 1` zeros inserted between its taps (the "a trous"
    /// dilation of undecimated wavelet transforms).
    pub fn dilated(&self, factor: usize) -> Self {
        if factor <= 1 {
            return self.clone();
        }
        let len = (self.h.len() - 1) * factor + 1;
        let mut h = vec![0.0; len];
        for (j, v) in self.h.iter().enumerate() {
            h[j * factor] = *v;
        }
        Kernel1 {
            h,
            origin: self.origin * factor,
        }
    }

    /// Identity when the kernel is a single unit tap.
    fn is_identity(&self) -> bool {
        self.h.len() == 1 && self.h[0] == 1.0
    }
}

/// Filters `data` (indexed `(z, y, x)`) with `k` along `axis` (0 = z, 1 = y, 2 = x).
pub fn convolve_axis(data: &Array3<f64>, axis: usize, k: &Kernel1, mode: Boundary) -> Array3<f64> {
    assert!(axis < 3, "axis {axis} out of range");
    let shape = [data.dim().0, data.dim().1, data.dim().2];
    if k.is_identity() || data.is_empty() {
        return data.clone();
    }
    let src = data.as_standard_layout();
    let src = src.as_slice().expect("standard layout");
    let n = shape[axis];
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let mut out = vec![0.0; src.len()];
    let len = k.h.len();
    if inner == 1 {
        // Contiguous lines: extend each line once, then a dense dot product per voxel.
        let lo = len - 1 - k.origin;
        let hi = k.origin;
        let mut buf = Vec::with_capacity(n + len);
        let rev: Vec<f64> = k.h.iter().rev().copied().collect();
        // Dilated kernels are mostly zeros: keep only the non-zero taps `(m, rev[m])`.
        let sparse: Vec<(usize, f64)> = rev
            .iter()
            .copied()
            .enumerate()
            .filter(|t| t.1 != 0.0)
            .collect();
        let dense = 2 * sparse.len() > len;
        for o in 0..outer {
            let line = &src[o * n..(o + 1) * n];
            extend_into(line, lo, hi, mode, &mut buf);
            let dst = &mut out[o * n..(o + 1) * n];
            for (i, d) in dst.iter_mut().enumerate() {
                // out[i] = sum_j h[j] buf[i + len - 1 - j] = sum_m rev[m] buf[i + m]
                *d = if dense {
                    buf[i..i + len].iter().zip(&rev).map(|(a, b)| a * b).sum()
                } else {
                    sparse.iter().map(|&(m, w)| w * buf[i + m]).sum()
                };
            }
        }
    } else {
        // Strided axis: accumulate whole contiguous rows (vectorisable axpy).
        for o in 0..outer {
            let base = o * n * inner;
            for i in 0..n {
                let dst_start = base + i * inner;
                for (j, &w) in k.h.iter().enumerate() {
                    if w == 0.0 {
                        continue;
                    }
                    let kk = i as isize + k.origin as isize - j as isize;
                    if let Some(s) = source(mode, kk, n) {
                        let s_start = base + s * inner;
                        let (srow, drow) = (
                            &src[s_start..s_start + inner],
                            &mut out[dst_start..dst_start + inner],
                        );
                        for (d, v) in drow.iter_mut().zip(srow) {
                            *d += w * v;
                        }
                    }
                }
            }
        }
    }
    Array3::from_shape_vec((shape[0], shape[1], shape[2]), out).expect("shape")
}

/// Mean over a centred window of `m` voxels (odd) along `axis`: the same result as
/// [`convolve_axis`] with `m` taps of `1 / m`, computed with running sums (cost independent
/// of `m`).
pub fn box_mean_axis(data: &Array3<f64>, axis: usize, m: usize, mode: Boundary) -> Array3<f64> {
    assert!(axis < 3 && m % 2 == 1, "odd window along an axis");
    let shape = [data.dim().0, data.dim().1, data.dim().2];
    if m == 1 || data.is_empty() {
        return data.clone();
    }
    let h = m / 2;
    let scale = 1.0 / m as f64;
    let src = data.as_standard_layout();
    let src = src.as_slice().expect("standard layout");
    let n = shape[axis];
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let mut out = vec![0.0; src.len()];
    if inner == 1 {
        let mut buf = Vec::with_capacity(n + m);
        for o in 0..outer {
            extend_into(&src[o * n..(o + 1) * n], h, h, mode, &mut buf);
            let dst = &mut out[o * n..(o + 1) * n];
            let mut acc: f64 = buf[..m].iter().sum();
            dst[0] = acc * scale;
            for i in 1..n {
                acc += buf[i + m - 1] - buf[i - 1];
                dst[i] = acc * scale;
            }
        }
    } else {
        let mut acc = vec![0.0; inner];
        let row = |o: usize, k: isize| -> Option<&[f64]> {
            source(mode, k, n).map(|s| &src[(o * n + s) * inner..(o * n + s + 1) * inner])
        };
        for o in 0..outer {
            acc.iter_mut().for_each(|v| *v = 0.0);
            for k in -(h as isize)..=h as isize {
                if let Some(r) = row(o, k) {
                    acc.iter_mut().zip(r).for_each(|(a, v)| *a += v);
                }
            }
            for i in 0..n {
                if i > 0 {
                    if let Some(r) = row(o, (i + h) as isize) {
                        acc.iter_mut().zip(r).for_each(|(a, v)| *a += v);
                    }
                    if let Some(r) = row(o, i as isize - h as isize - 1) {
                        acc.iter_mut().zip(r).for_each(|(a, v)| *a -= v);
                    }
                }
                let dst = &mut out[(o * n + i) * inner..(o * n + i + 1) * inner];
                dst.iter_mut().zip(&acc).for_each(|(d, a)| *d = a * scale);
            }
        }
    }
    Array3::from_shape_vec((shape[0], shape[1], shape[2]), out).expect("shape")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(data: &Array3<f64>, axis: usize, k: &Kernel1, mode: Boundary) -> Array3<f64> {
        let mut out = Array3::zeros(data.dim());
        let n = data.shape()[axis];
        for ((z, y, x), o) in out.indexed_iter_mut() {
            let idx = [z, y, x];
            let i = idx[axis] as isize;
            let mut s = 0.0;
            for (j, w) in k.h.iter().enumerate() {
                if let Some(src) = source(mode, i + k.origin as isize - j as isize, n) {
                    let mut id = idx;
                    id[axis] = src;
                    s += w * data[id];
                }
            }
            *o = s;
        }
        out
    }

    #[test]
    fn every_axis_and_boundary_matches_brute_force() {
        let data = Array3::from_shape_fn((4, 5, 6), |(z, y, x)| {
            ((z * 31 + y * 7 + x * 3) % 11) as f64 - 4.0
        });
        let kernels = [
            Kernel1 {
                h: vec![0.5, -1.0, 2.0, 0.25],
                origin: 2,
            },
            Kernel1 {
                h: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
                origin: 1,
            },
            Kernel1::centred(vec![1.0, 0.0, -1.0]).dilated(2),
        ];
        for mode in [
            Boundary::Zero,
            Boundary::Nearest,
            Boundary::Periodic,
            Boundary::Mirror,
        ] {
            for k in &kernels {
                for axis in 0..3 {
                    let a = convolve_axis(&data, axis, k, mode);
                    let b = brute(&data, axis, k, mode);
                    for (p, q) in a.iter().zip(b.iter()) {
                        assert!((p - q).abs() < 1e-12, "{mode:?} axis {axis}: {p} vs {q}");
                    }
                }
            }
        }
    }

    #[test]
    fn running_box_equals_the_direct_mean() {
        let data = Array3::from_shape_fn((5, 6, 7), |(z, y, x)| {
            ((z * 17 + y * 5 + x * 11) % 13) as f64 - 6.0
        });
        for mode in [
            Boundary::Zero,
            Boundary::Nearest,
            Boundary::Periodic,
            Boundary::Mirror,
        ] {
            for m in [1usize, 3, 5, 15] {
                let k = Kernel1::centred(vec![1.0 / m as f64; m]);
                for axis in 0..3 {
                    let a = box_mean_axis(&data, axis, m, mode);
                    let b = convolve_axis(&data, axis, &k, mode);
                    for (p, q) in a.iter().zip(b.iter()) {
                        assert!(
                            (p - q).abs() < 1e-12,
                            "{mode:?} m {m} axis {axis}: {p} vs {q}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn flipped_kernel_equals_flipping_the_image() {
        let data =
            Array3::from_shape_fn((3, 4, 7), |(z, y, x)| ((z * 13 + y * 5 + x * 7) % 9) as f64);
        let k = Kernel1 {
            h: vec![0.3, -0.7, 1.1, 0.2],
            origin: 2,
        };
        for mode in [
            Boundary::Zero,
            Boundary::Nearest,
            Boundary::Periodic,
            Boundary::Mirror,
        ] {
            let flip = |a: &Array3<f64>| {
                let mut b = a.clone();
                b.invert_axis(ndarray::Axis(2));
                b.as_standard_layout().to_owned()
            };
            let a = convolve_axis(&data, 2, &k.flipped(), mode);
            let b = flip(&convolve_axis(&flip(&data), 2, &k, mode));
            for (p, q) in a.iter().zip(b.iter()) {
                assert!((p - q).abs() < 1e-12);
            }
        }
    }
}
