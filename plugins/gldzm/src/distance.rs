//! The GLDZM distance map (03_Image_features.rst, "Grey level distance zone based
//! features").
//!
//! The IBSI defines the distance of an ROI voxel to the ROI edge by iterated erosion of
//! the (morphological) ROI mask with the 6-connected (3D) or 4-connected (2D, in-plane)
//! structuring element: every erosion a voxel survives adds 1, and a voxel on the edge
//! has distance 1. `k` erosions by that element equal one erosion by the Manhattan ball
//! of radius `k`, so the distance of a voxel is its Manhattan distance, in voxel steps,
//! to the nearest voxel outside the mask, voxels beyond the array counting as outside
//! (steps are counted whatever the voxel spacing, as the erosion definition implies).
//! The Chebyshev norm swaps in the 26- (8-) connected element and gives the Chebyshev
//! distance the same way.
//!
//! Both are computed exactly by the two-pass raster algorithm (a forward pass taking
//! the minimum over the preceding half-neighbourhood plus 1, then a backward pass over
//! the following half): any shortest monotone path to the nearest outside voxel can be
//! ordered as steps that precede in C order followed by steps that follow.
//!
//! The Euclidean norm (non-standard, IBSI warns it needs rounding) is the exact
//! Euclidean distance transform in voxel units (separable lower envelope of parabolas),
//! rounded to the nearest integer; it is at least 1 since the nearest outside voxel is
//! at least one step away, and ties cannot occur (`sqrt(n)` is never `k + 1/2` for
//! integers `n`, `k`).

use radx_core::settings::DistanceNorm;
use radx_texture::zones::Layout;

/// The distance to the edge of every voxel of `inside` (a padded buffer of `layout`,
/// whose padding is outside), 0 outside. The padding must be at least 1 voxel.
pub fn distance_map(layout: &Layout, inside: &[bool], norm: DistanceNorm) -> Vec<u32> {
    debug_assert!(layout.pad[1] >= 1 && (layout.in_plane || layout.pad[0] >= 1));
    match norm {
        DistanceNorm::Manhattan => {
            let offsets =
                layout.backward_offsets(1, |dz, dy, dx| dz.abs() + dy.abs() + dx.abs() == 1);
            two_pass(layout, inside, &offsets)
        }
        DistanceNorm::Chebyshev => {
            let offsets = layout.backward_offsets(1, |_, _, _| true);
            two_pass(layout, inside, &offsets)
        }
        DistanceNorm::Euclidean => euclidean(layout, inside),
    }
}

const FAR: u32 = u32::MAX / 2;

/// The two raster passes, row by row. `offsets` is the preceding half-neighbourhood
/// and holds the left neighbour (offset 1). Within a pass, the neighbours in other rows
/// are final before the row is visited, so their minimum is taken for the whole row at
/// once (vectorisable); only the neighbour along x is a sequential recurrence.
fn two_pass(layout: &Layout, inside: &[bool], offsets: &[usize]) -> Vec<u32> {
    debug_assert!(offsets.contains(&1));
    let rows: Vec<usize> = offsets.iter().copied().filter(|&o| o != 1).collect();
    let mut d = vec![0u32; layout.len()];
    let [pz, py, px] = layout.pad;
    let [iz, iy, ix] = layout.inner;
    let mut t = vec![FAR; ix];
    // Forward: d = min(preceding neighbours) + 1 inside, 0 outside.
    for z in pz..pz + iz {
        for y in py..py + iy {
            let start = layout.index(z, y, px);
            let ins = &inside[start..start + ix];
            if !ins.contains(&true) {
                continue; // the row stays 0
            }
            t.fill(FAR);
            for &o in &rows {
                min_into(&mut t, &d[start - o..start - o + ix]);
            }
            let mut left = d[start - 1];
            for (x, (&m, &tx)) in ins.iter().zip(&t).enumerate() {
                let v = if m { tx.min(left) + 1 } else { 0 };
                d[start + x] = v;
                left = v;
            }
        }
    }
    // Backward: d = min(d, following neighbours + 1) inside.
    for z in (pz..pz + iz).rev() {
        for y in (py..py + iy).rev() {
            let start = layout.index(z, y, px);
            let ins = &inside[start..start + ix];
            if !ins.contains(&true) {
                continue;
            }
            t.fill(FAR);
            for &o in &rows {
                min_into(&mut t, &d[start + o..start + o + ix]);
            }
            let mut right = d[start + ix];
            for x in (0..ix).rev() {
                let v = if ins[x] {
                    d[start + x].min(t[x].min(right) + 1)
                } else {
                    0
                };
                d[start + x] = v;
                right = v;
            }
        }
    }
    d
}

/// `t[x] = min(t[x], row[x])`. A function of its own so that the slices are known not to
/// overlap and the loop vectorises.
#[inline(never)]
fn min_into(t: &mut [u32], row: &[u32]) {
    for (a, &b) in t.iter_mut().zip(row) {
        *a = (*a).min(b);
    }
}

/// Squared Euclidean distance transform of one line `f` (0 at outside voxels, a large
/// value inside), in place: `f[q] = min_p (f[p] + (q - p)²)`, by the lower envelope of
/// parabolas rooted at each `p`. `v` and `z` are scratch buffers of length `n` and `n+1`.
fn edt_line(f: &mut [f64], out: &mut [f64], v: &mut [usize], z: &mut [f64]) {
    let n = f.len();
    let mut k = 0usize;
    v[0] = 0;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    for q in 1..n {
        let fq = f[q] + (q * q) as f64;
        // z[0] = -inf: the loop stops at k = 0 at the latest (all values are finite)
        let mut s = parabola_meet(f, v[k], q, fq);
        while s <= z[k] {
            k -= 1;
            s = parabola_meet(f, v[k], q, fq);
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f64::INFINITY;
    }
    k = 0;
    for (q, o) in out.iter_mut().enumerate().take(n) {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let p = v[k];
        let dq = q as f64 - p as f64;
        *o = dq * dq + f[p];
    }
    f.copy_from_slice(&out[..n]);
}

/// Abscissa where the parabola rooted at `q` (height `fq = f[q] + q²` at 0) meets the one
/// rooted at `p < q`.
#[inline]
fn parabola_meet(f: &[f64], p: usize, q: usize, fq: f64) -> f64 {
    (fq - (f[p] + (p * p) as f64)) / (2.0 * (q - p) as f64)
}

fn euclidean(layout: &Layout, inside: &[bool]) -> Vec<u32> {
    let [sz, sy, sx] = layout.shape;
    let [stz, sty, _] = layout.strides();
    // A value larger than any squared distance in the buffer, yet finite.
    let big = ((sz * sz + sy * sy + sx * sx) as f64 + 1.0) * 4.0;
    let mut g: Vec<f64> = inside.iter().map(|&m| if m { big } else { 0.0 }).collect();
    let n_max = sz.max(sy).max(sx);
    let mut line = vec![0.0; n_max];
    let mut out = vec![0.0; n_max];
    let mut v = vec![0usize; n_max];
    let mut zb = vec![0.0; n_max + 1];
    // (length, stride, start indices of the lines) for x, y and (3D) z
    let mut axes: Vec<(usize, usize, Vec<usize>)> = Vec::new();
    let starts = |a: usize, b: usize, f: &dyn Fn(usize, usize) -> usize| -> Vec<usize> {
        (0..a)
            .flat_map(|i| (0..b).map(move |j| (i, j)))
            .map(|(i, j)| f(i, j))
            .collect()
    };
    axes.push((sx, 1, starts(sz, sy, &|z, y| layout.index(z, y, 0))));
    axes.push((sy, sty, starts(sz, sx, &|z, x| layout.index(z, 0, x))));
    if !layout.in_plane {
        axes.push((sz, stz, starts(sy, sx, &|y, x| layout.index(0, y, x))));
    }
    for (len, stride, line_starts) in axes {
        for start in line_starts {
            let mut any = false;
            for (t, l) in line.iter_mut().enumerate().take(len) {
                *l = g[start + t * stride];
                any |= *l > 0.0;
            }
            if !any {
                continue; // every voxel of the line is outside: distance 0
            }
            edt_line(
                &mut line[..len],
                &mut out[..len],
                &mut v[..len],
                &mut zb[..len + 1],
            );
            for (t, l) in line.iter().enumerate().take(len) {
                g[start + t * stride] = *l;
            }
        }
    }
    g.iter()
        .zip(inside)
        .map(|(&sq, &m)| {
            if m {
                (sq.sqrt().round() as u32).max(1)
            } else {
                0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;
    use radx_texture::Scope;

    /// Brute force: the minimum distance under `norm` from each inside voxel to any
    /// outside voxel of the padded buffer (the padding stands for everything beyond).
    fn brute(layout: &Layout, inside: &[bool], norm: DistanceNorm) -> Vec<u32> {
        let [sz, sy, sx] = layout.shape;
        let mut out = vec![0u32; layout.len()];
        for z in 0..sz {
            for y in 0..sy {
                for x in 0..sx {
                    let i = layout.index(z, y, x);
                    if !inside[i] {
                        continue;
                    }
                    let mut best = f64::INFINITY;
                    for z2 in 0..sz {
                        for y2 in 0..sy {
                            for x2 in 0..sx {
                                if inside[layout.index(z2, y2, x2)] {
                                    continue;
                                }
                                let d = [
                                    z.abs_diff(z2) as f64,
                                    y.abs_diff(y2) as f64,
                                    x.abs_diff(x2) as f64,
                                ];
                                let v = match norm {
                                    DistanceNorm::Manhattan => d[0] + d[1] + d[2],
                                    DistanceNorm::Chebyshev => d[0].max(d[1]).max(d[2]),
                                    DistanceNorm::Euclidean => {
                                        (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
                                    }
                                };
                                best = best.min(v);
                            }
                        }
                    }
                    out[i] = best.round() as u32;
                }
            }
        }
        out
    }

    fn pseudo_random_mask(dim: (usize, usize, usize), seed: u64) -> Array3<bool> {
        let mut s = seed;
        Array3::from_shape_fn(dim, |_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 60) < 13 // about 4 voxels in 5 inside
        })
    }

    #[test]
    fn all_norms_match_brute_force() {
        for seed in 0..6 {
            let m = pseudo_random_mask((5, 7, 6), seed);
            for scope in [Scope::Volume, Scope::Slice(2)] {
                let layout = Layout::whole(m.dim(), scope, 1);
                let inside = layout.pad_copy(m.view(), false);
                for norm in [
                    DistanceNorm::Manhattan,
                    DistanceNorm::Chebyshev,
                    DistanceNorm::Euclidean,
                ] {
                    assert_eq!(
                        distance_map(&layout, &inside, norm),
                        brute(&layout, &inside, norm),
                        "{norm:?} {scope:?} seed {seed}"
                    );
                }
            }
        }
    }

    #[test]
    fn full_block_distances() {
        // A full 5x5 slice: the edge is 1, the centre 3 (Manhattan and Chebyshev).
        let m = Array3::from_elem((1, 5, 5), true);
        let layout = Layout::whole(m.dim(), Scope::Slice(0), 1);
        let inside = layout.pad_copy(m.view(), false);
        let d = distance_map(&layout, &inside, DistanceNorm::Manhattan);
        assert_eq!(d[layout.index(0, 3, 3)], 3);
        assert_eq!(d[layout.index(0, 1, 1)], 1);
        assert_eq!(d[layout.index(0, 2, 3)], 2);
        let d = distance_map(&layout, &inside, DistanceNorm::Euclidean);
        assert_eq!(d[layout.index(0, 3, 3)], 3);
    }
}
