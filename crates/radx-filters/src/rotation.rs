//! Right-angle rotations of separable kernels and pooling over them (IBSI 2 rotation
//! invariance for Laws kernels and separable wavelets).

use std::collections::HashMap;

use ndarray::Array3;

use crate::boundary::Boundary;
use crate::conv::{convolve_axis, Kernel1};
use crate::Pooling;

/// A separable kernel: per axis `(z, y, x)`, a cascade of 1-D stages applied in order
/// (empty: the axis is left alone).
pub(crate) type Separable = [Vec<Kernel1>; 3];

/// A signed permutation of the axes: new axis `a` carries the kernel of axis `perm[a]`,
/// mirrored when `flip[a]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AxisRotation {
    pub perm: [usize; 3],
    pub flip: [bool; 3],
}

fn perm_sign(p: [usize; 3]) -> i32 {
    let mut s = 1;
    for i in 0..3 {
        for j in i + 1..3 {
            if p[i] > p[j] {
                s = -s;
            }
        }
    }
    s
}

/// The 24 proper rotations of the cube (signed permutation matrices with determinant +1).
pub(crate) fn rotations_3d() -> Vec<AxisRotation> {
    let perms = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let mut out = Vec::with_capacity(24);
    for p in perms {
        for bits in 0..8u8 {
            let flip = [bits & 1 != 0, bits & 2 != 0, bits & 4 != 0];
            let det = perm_sign(p) * flip.iter().fold(1, |a, &f| if f { -a } else { a });
            if det == 1 {
                out.push(AxisRotation { perm: p, flip });
            }
        }
    }
    out
}

/// The 4 proper in-plane rotations of the square (axes y and x), z left alone.
pub(crate) fn rotations_2d() -> Vec<AxisRotation> {
    rotations_3d()
        .into_iter()
        .filter(|r| r.perm[0] == 0 && !r.flip[0])
        .collect()
}

/// The kernel after rotation `r`.
pub(crate) fn rotate(k: &Separable, r: &AxisRotation) -> Separable {
    std::array::from_fn(|a| {
        let src = &k[r.perm[a]];
        if r.flip[a] {
            src.iter().map(Kernel1::flipped).collect()
        } else {
            src.clone()
        }
    })
}

/// Splits a kernel into a sign and a canonical form (each stage's first non-zero tap
/// positive), so that kernels differing only by sign share one computation.
fn canonical(k: &Separable) -> (f64, Separable) {
    let mut sign = 1.0;
    let c = std::array::from_fn(|a| {
        k[a].iter()
            .map(|st| {
                let first = st.h.iter().copied().find(|v| *v != 0.0).unwrap_or(0.0);
                if first < 0.0 {
                    sign = -sign;
                    Kernel1 {
                        h: st.h.iter().map(|v| -v).collect(),
                        origin: st.origin,
                    }
                } else {
                    st.clone()
                }
            })
            .collect()
    });
    (sign, c)
}

type Key = Vec<(usize, usize, Vec<u64>)>;

/// Exact identity of a kernel (bit patterns of its taps, origins, axes).
fn key(k: &Separable) -> Key {
    let mut out = Vec::new();
    for (a, stages) in k.iter().enumerate() {
        for (s, st) in stages.iter().enumerate() {
            out.push((
                a * 64 + s,
                st.origin,
                st.h.iter().map(|v| v.to_bits()).collect(),
            ));
        }
    }
    out
}

fn key_axis(stages: &[Kernel1]) -> Key {
    stages
        .iter()
        .enumerate()
        .map(|(s, st)| (s, st.origin, st.h.iter().map(|v| v.to_bits()).collect()))
        .collect()
}

/// Applies the stages of one axis of a kernel.
fn along(
    img: &Array3<f64>,
    axis: usize,
    stages: &[Kernel1],
    mode: Boundary,
) -> Option<Array3<f64>> {
    let mut cur: Option<Array3<f64>> = None;
    for st in stages {
        cur = Some(convolve_axis(cur.as_ref().unwrap_or(img), axis, st, mode));
    }
    cur
}

/// Response of a separable kernel: its stages along x, then y, then z.
pub(crate) fn separable(img: &Array3<f64>, k: &Separable, mode: Boundary) -> Array3<f64> {
    let mut cur: Option<Array3<f64>> = None;
    for axis in [2usize, 1, 0] {
        if let Some(next) = along(cur.as_ref().unwrap_or(img), axis, &k[axis], mode) {
            cur = Some(next);
        }
    }
    cur.unwrap_or_else(|| img.clone())
}

/// One distinct rotated kernel (up to sign) and how often it occurs with each sign.
struct Unique {
    kernel: Separable,
    n_plus: usize,
    n_minus: usize,
}

/// Filters `img` with every rotation of `kernel` in `rotations` and pools the responses
/// voxel-wise. Rotated kernels equal up to sign are computed once, and kernels sharing
/// their x (then y) factors share those passes.
pub(crate) fn pooled(
    img: &Array3<f64>,
    kernel: &Separable,
    rotations: &[AxisRotation],
    pooling: Pooling,
    mode: Boundary,
) -> Array3<f64> {
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut uniques: Vec<Unique> = Vec::new();
    for r in rotations {
        let (sign, c) = canonical(&rotate(kernel, r));
        let i = *index.entry(key(&c)).or_insert_with(|| {
            uniques.push(Unique {
                kernel: c,
                n_plus: 0,
                n_minus: 0,
            });
            uniques.len() - 1
        });
        if sign > 0.0 {
            uniques[i].n_plus += 1;
        } else {
            uniques[i].n_minus += 1;
        }
    }
    let mut acc = Pool {
        pooling,
        total: rotations.len() as f64,
        acc: None,
    };
    let all: Vec<usize> = (0..uniques.len()).collect();
    descend(img, &uniques, &all, &[2, 1, 0], mode, &mut acc);
    acc.acc.expect("at least one rotation")
}

/// Applies the factor of `axes[0]` shared by each group of `members`, then recurses.
fn descend(
    img: &Array3<f64>,
    uniques: &[Unique],
    members: &[usize],
    axes: &[usize],
    mode: Boundary,
    acc: &mut Pool,
) {
    let Some((&axis, rest)) = axes.split_first() else {
        for &m in members {
            acc.add(img, uniques[m].n_plus as f64, uniques[m].n_minus as f64);
        }
        return;
    };
    // Group the members by their factor along `axis`, in first-seen order.
    let mut groups: Vec<(Key, Vec<usize>)> = Vec::new();
    for &m in members {
        let k = key_axis(&uniques[m].kernel[axis]);
        match groups.iter_mut().find(|g| g.0 == k) {
            Some(g) => g.1.push(m),
            None => groups.push((k, vec![m])),
        }
    }
    for (_, group) in groups {
        let stages = &uniques[group[0]].kernel[axis];
        match along(img, axis, stages, mode) {
            Some(next) => descend(&next, uniques, &group, rest, mode, acc),
            None => descend(img, uniques, &group, rest, mode, acc),
        }
    }
}

/// Voxel-wise pooling accumulator.
struct Pool {
    pooling: Pooling,
    total: f64,
    acc: Option<Array3<f64>>,
}

impl Pool {
    /// Adds a response that occurs `np` times with sign + and `nm` times with sign -.
    fn add(&mut self, resp: &Array3<f64>, np: f64, nm: f64) {
        let total = self.total;
        match (&mut self.acc, self.pooling) {
            (None, Pooling::Average) => self.acc = Some(resp.mapv(|v| v * (np - nm) / total)),
            (None, Pooling::Max) => self.acc = Some(resp.mapv(|v| extreme(v, np, nm, true))),
            (None, Pooling::Min) => self.acc = Some(resp.mapv(|v| extreme(v, np, nm, false))),
            (Some(a), Pooling::Average) => a.zip_mut_with(resp, |s, v| *s += v * (np - nm) / total),
            (Some(a), Pooling::Max) => {
                a.zip_mut_with(resp, |s, v| *s = s.max(extreme(*v, np, nm, true)))
            }
            (Some(a), Pooling::Min) => {
                a.zip_mut_with(resp, |s, v| *s = s.min(extreme(*v, np, nm, false)))
            }
        }
    }
}

/// Largest (or smallest) of `v` (if it occurs with `+`) and `-v` (if with `-`).
#[inline]
fn extreme(v: f64, n_plus: f64, n_minus: f64, max: bool) -> f64 {
    match (n_plus > 0.0, n_minus > 0.0) {
        (true, true) => {
            if max {
                v.abs()
            } else {
                -v.abs()
            }
        }
        (true, false) => v,
        _ => -v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_24_and_4_distinct_rotations() {
        let r3 = rotations_3d();
        assert_eq!(r3.len(), 24);
        let mut seen = std::collections::HashSet::new();
        for r in &r3 {
            assert!(seen.insert((r.perm, r.flip)));
        }
        let r2 = rotations_2d();
        assert_eq!(r2.len(), 4);
        assert!(r2.iter().all(|r| r.perm[0] == 0 && !r.flip[0]));
    }

    #[test]
    fn rotations_form_a_group() {
        // Composition of two rotations is again in the set.
        let r3 = rotations_3d();
        let set: std::collections::HashSet<_> = r3.iter().map(|r| (r.perm, r.flip)).collect();
        for a in &r3 {
            for b in &r3 {
                // (a∘b): new axis i takes axis b.perm[a.perm[i]]... flips compose by xor.
                let perm = std::array::from_fn(|i| b.perm[a.perm[i]]);
                let flip = std::array::from_fn(|i| a.flip[i] ^ b.flip[a.perm[i]]);
                assert!(set.contains(&(perm, flip)));
            }
        }
    }
}
