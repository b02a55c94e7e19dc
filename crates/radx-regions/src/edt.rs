//! Exact Euclidean distance transform with anisotropic spacing.
//!
//! Felzenszwalb & Huttenlocher (2012, "Distance transforms of sampled functions", Theory
//! of Computing 8:415): the squared distance `D²(p) = min_q ‖(p − q) ∘ s‖²` over feature
//! voxels `q` is separable, so it is computed by three 1-D passes (x, then y, then z),
//! each the lower envelope of parabolas `f(q) + s² (p − q)²` in O(n). Distances are
//! between voxel centres, in mm.

/// Squared distance (mm²) from every voxel of a `(z, y, x)` C-order grid of `shape` to
/// the nearest voxel with `feature[i] == true`; `f64::INFINITY` everywhere when there is
/// no feature voxel.
pub fn squared_edt(feature: &[bool], shape: [usize; 3], spacing_zyx: [f64; 3]) -> Vec<f64> {
    let [nz, ny, nx] = shape;
    let n = nz * ny * nx;
    debug_assert_eq!(feature.len(), n);
    let mut d: Vec<f64> = feature
        .iter()
        .map(|&f| if f { 0.0 } else { f64::INFINITY })
        .collect();
    if n == 0 {
        return d;
    }
    let longest = nz.max(ny).max(nx);
    let mut buf = Lane::new(longest);
    // x: contiguous rows
    for row in d.chunks_exact_mut(nx) {
        buf.load(row.iter().copied());
        buf.transform(spacing_zyx[2]);
        row.copy_from_slice(&buf.out[..nx]);
    }
    // y: stride nx within each slice
    for z in 0..nz {
        for x in 0..nx {
            let base = z * ny * nx + x;
            buf.load((0..ny).map(|y| d[base + y * nx]));
            buf.transform(spacing_zyx[1]);
            for y in 0..ny {
                d[base + y * nx] = buf.out[y];
            }
        }
    }
    // z: stride ny * nx
    let plane = ny * nx;
    for p in 0..plane {
        buf.load((0..nz).map(|z| d[p + z * plane]));
        buf.transform(spacing_zyx[0]);
        for z in 0..nz {
            d[p + z * plane] = buf.out[z];
        }
    }
    d
}

/// Work buffers of the 1-D transform, allocated once per call of [`squared_edt`].
struct Lane {
    f: Vec<f64>,
    out: Vec<f64>,
    v: Vec<usize>,
    z: Vec<f64>,
}

impl Lane {
    fn new(n: usize) -> Self {
        Lane {
            f: Vec::with_capacity(n),
            out: vec![0.0; n],
            v: vec![0; n],
            z: vec![0.0; n + 1],
        }
    }

    fn load(&mut self, it: impl Iterator<Item = f64>) {
        self.f.clear();
        self.f.extend(it);
    }

    /// 1-D squared distance transform of the sampled function `f` with sample spacing
    /// `s`: `out(p) = min_q f(q) + s² (p − q)²`. Sites with `f = ∞` are skipped (they
    /// never attain the minimum); all-infinite input gives all-infinite output.
    fn transform(&mut self, s: f64) {
        let n = self.f.len();
        let s2 = s * s;
        let f = &self.f;
        let (v, z) = (&mut self.v, &mut self.z);
        let mut k: isize = -1;
        for q in 0..n {
            if f[q] == f64::INFINITY {
                continue;
            }
            let qf = q as f64;
            loop {
                if k < 0 {
                    k = 0;
                    v[0] = q;
                    z[0] = f64::NEG_INFINITY;
                    z[1] = f64::INFINITY;
                    break;
                }
                let p = v[k as usize];
                let pf = p as f64;
                // intersection of the parabolas rooted at p and q (in index units)
                let sx = ((f[q] + s2 * qf * qf) - (f[p] + s2 * pf * pf)) / (2.0 * s2 * (qf - pf));
                if sx <= z[k as usize] {
                    k -= 1;
                    continue;
                }
                k += 1;
                v[k as usize] = q;
                z[k as usize] = sx;
                z[k as usize + 1] = f64::INFINITY;
                break;
            }
        }
        if k < 0 {
            self.out[..n].fill(f64::INFINITY);
            return;
        }
        let mut j = 0usize;
        for p in 0..n {
            let pf = p as f64;
            while z[j + 1] < pf {
                j += 1;
            }
            let q = v[j];
            let dq = pf - q as f64;
            self.out[p] = f[q] + s2 * dq * dq;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute(feature: &[bool], shape: [usize; 3], sp: [f64; 3]) -> Vec<f64> {
        let [nz, ny, nx] = shape;
        let mut out = vec![f64::INFINITY; feature.len()];
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    let mut best = f64::INFINITY;
                    for qz in 0..nz {
                        for qy in 0..ny {
                            for qx in 0..nx {
                                if feature[(qz * ny + qy) * nx + qx] {
                                    let dz = (z as f64 - qz as f64) * sp[0];
                                    let dy = (y as f64 - qy as f64) * sp[1];
                                    let dx = (x as f64 - qx as f64) * sp[2];
                                    best = best.min(dz * dz + dy * dy + dx * dx);
                                }
                            }
                        }
                    }
                    out[(z * ny + y) * nx + x] = best;
                }
            }
        }
        out
    }

    #[test]
    fn single_point_hand_computed() {
        let mut f = vec![false; 3 * 3 * 3];
        f[13] = true; // centre
        let d = squared_edt(&f, [3, 3, 3], [2.0, 1.0, 0.5]);
        assert_eq!(d[13], 0.0);
        assert_eq!(d[0], 4.0 + 1.0 + 0.25); // corner (0,0,0)
        assert_eq!(d[12], 0.25); // (1,1,0)
        assert_eq!(d[4], 4.0); // (0,1,1)
    }

    #[test]
    fn no_feature_is_infinite() {
        let d = squared_edt(&[false; 8], [2, 2, 2], [1.0; 3]);
        assert!(d.iter().all(|v| v.is_infinite()));
    }

    proptest! {
        #[test]
        fn matches_brute_force(
            nz in 1usize..5, ny in 1usize..6, nx in 1usize..6,
            sp in prop::array::uniform3(0.3f64..3.0),
            bits in prop::collection::vec(prop::bool::weighted(0.15), 150),
        ) {
            let n = nz * ny * nx;
            let f = &bits[..n];
            let shape = [nz, ny, nx];
            let got = squared_edt(f, shape, sp);
            let want = brute(f, shape, sp);
            for (g, w) in got.iter().zip(&want) {
                if w.is_infinite() {
                    prop_assert!(g.is_infinite());
                } else {
                    prop_assert!((g - w).abs() <= 1e-9 * w.max(1.0), "{} vs {}", g, w);
                }
            }
        }
    }
}
