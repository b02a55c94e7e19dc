//! The grey level co-occurrence matrix (IBSI 03_Image_features.rst, "Grey level
//! co-occurrence based features", LFYI) and how it is counted.
//!
//! A GLCM is stored sparsely: the non-zero elements `(i, j, n)` sorted by `(i, j)`, where
//! `i` and `j` are grey levels (the values themselves, 1-based) and `n` the number of
//! times level `j` was found at offset `+m` from a voxel of level `i`. Absent grey levels
//! are simply zero rows and columns. Merging two matrices (IBSI: "summing the
//! co-occurrence counts in each matrix element") is a merge of two sorted lists.
//!
//! Counting works on a [`RankVolume`], prepared once per ROI: the flat C-order array of
//! grey-level ranks plus one (0 outside the ROI) and the x-extent of the ROI in every
//! row. A direction is a fixed index offset, so a voxel pair is two array reads; each
//! row is walked only over the x where both it and its neighbour row hold ROI voxels,
//! with no bounds logic in the inner loop. Pairs go to a dense scratch table over the
//! grey levels present (so its size does not depend on the discretisation range), with
//! an extra row and column 0 for voxels outside the ROI so that counting is a
//! branch-free increment; for very many grey levels pair codes are sorted instead.

pub use radx_texture::sparse::{bounding_box, merge_sorted, Entry};
use radx_texture::{Scope, TextureMatrix};

/// A grey level co-occurrence matrix for one direction, or several merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Glcm {
    /// Non-zero elements sorted by `(i, j)`.
    entries: Vec<Entry>,
    /// Sum of all counts.
    total: u64,
}

impl Glcm {
    /// A matrix from `(i, j, n)` elements in any order; zero counts are dropped and
    /// repeated elements summed.
    pub fn from_entries(mut entries: Vec<Entry>) -> Self {
        entries.retain(|e| e.n > 0);
        entries.sort_by_key(|e| (e.i, e.j));
        let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
        for e in entries {
            match out.last_mut() {
                Some(l) if l.i == e.i && l.j == e.j => l.n += e.n,
                _ => out.push(e),
            }
        }
        let total = out.iter().map(|e| e.n).sum();
        Glcm {
            entries: out,
            total,
        }
    }

    /// Non-zero elements sorted by `(i, j)`.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Sum of all counts (the number of counted voxel pairs, twice that when symmetric).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The transposed matrix.
    pub fn transposed(&self) -> Self {
        Glcm::from_entries(
            self.entries
                .iter()
                .map(|e| Entry {
                    i: e.j,
                    j: e.i,
                    n: e.n,
                })
                .collect(),
        )
    }
}

impl TextureMatrix for Glcm {
    fn merge(&mut self, other: &Self) {
        self.entries = merge_sorted(&self.entries, &other.entries);
        self.total += other.total;
    }

    fn is_empty(&self) -> bool {
        self.total == 0
    }
}

pub use radx_texture::rank::RankVolume;

/// Largest number of grey levels present for which pairs are counted in a dense
/// `K x K` scratch table (4 MiB); beyond it pairs are sorted instead.
pub const DENSE_LIMIT: usize = 1024;

/// Largest number of grey levels for which the dense table is read out by scanning all
/// of it; beyond it the touched elements are listed while counting.
const SCAN_LIMIT: usize = 64;

/// Collects voxel pairs `(a, b)`, given as grey-level rank + 1 with 0 for a voxel
/// outside the ROI; pairs with a voxel outside the ROI are not counted.
pub trait Tally {
    fn add(&mut self, a: u32, b: u32);
    /// The counted matrix `C`, or `C + C^T` when `symmetric`, as its non-zero elements
    /// `(rank a, rank b, count)` sorted by `(a, b)`.
    fn finish(self, symmetric: bool) -> Vec<(u32, u32, u64)>;
}

/// Dense `(K + 1) x (K + 1)` counts over rank + 1, row and column 0 collecting pairs
/// with a voxel outside the ROI. For few grey levels every pair is counted by a
/// branch-free increment and the whole table is scanned when read out; for more, pairs
/// outside the ROI are skipped and the touched elements listed while counting, so that
/// reading out costs the number of distinct pairs rather than `K^2`.
pub struct DenseTally {
    w: usize,
    counts: Vec<u32>,
    track: bool,
    touched: Vec<u32>,
}

impl DenseTally {
    pub fn new(k: usize) -> Self {
        let w = k + 1;
        DenseTally {
            w,
            counts: vec![0; w * w],
            track: k > SCAN_LIMIT,
            touched: Vec::new(),
        }
    }
}

impl Tally for DenseTally {
    #[inline]
    fn add(&mut self, a: u32, b: u32) {
        let c = a as usize * self.w + b as usize;
        if self.track {
            if a == 0 || b == 0 {
                return;
            }
            if self.counts[c] == 0 {
                self.touched.push(c as u32);
            }
        }
        self.counts[c] += 1;
    }

    fn finish(mut self, symmetric: bool) -> Vec<(u32, u32, u64)> {
        let w = self.w;
        let count = |a: usize, b: usize| {
            let n = self.counts[a * w + b] as u64;
            if symmetric {
                n + self.counts[b * w + a] as u64
            } else {
                n
            }
        };
        let mut out = Vec::new();
        if self.track {
            if symmetric {
                let transposed: Vec<u32> = self
                    .touched
                    .iter()
                    .map(|&c| ((c as usize % w) * w + c as usize / w) as u32)
                    .collect();
                self.touched.extend(transposed);
            }
            self.touched.sort_unstable();
            self.touched.dedup();
            for &c in &self.touched {
                let (a, b) = (c as usize / w, c as usize % w);
                out.push((a as u32 - 1, b as u32 - 1, count(a, b)));
            }
        } else {
            for a in 1..w {
                for b in 1..w {
                    let n = count(a, b);
                    if n > 0 {
                        out.push((a as u32 - 1, b as u32 - 1, n));
                    }
                }
            }
        }
        out
    }
}

/// Pair codes collected and sorted: for many grey levels, where a dense table would be
/// too large.
#[derive(Default)]
pub struct SortTally {
    codes: Vec<u64>,
}

impl Tally for SortTally {
    #[inline]
    fn add(&mut self, a: u32, b: u32) {
        if a != 0 && b != 0 {
            self.codes.push((((a - 1) as u64) << 32) | (b - 1) as u64);
        }
    }

    fn finish(mut self, symmetric: bool) -> Vec<(u32, u32, u64)> {
        if symmetric {
            let transposed: Vec<u64> = self.codes.iter().map(|&c| c.rotate_left(32)).collect();
            self.codes.extend(transposed);
        }
        self.codes.sort_unstable();
        let mut out: Vec<(u32, u32, u64)> = Vec::new();
        for &c in &self.codes {
            let (a, b) = ((c >> 32) as u32, c as u32);
            match out.last_mut() {
                Some(l) if l.0 == a && l.1 == b => l.2 += 1,
                _ => out.push((a, b, 1)),
            }
        }
        out
    }
}

/// Range `[lo, hi)` of positions `p` in `[start, end)` with `p + d` also in it.
fn pair_range(start: usize, end: usize, d: isize) -> (usize, usize) {
    if d >= 0 {
        let d = d as usize;
        (start, end.saturating_sub(d).max(start))
    } else {
        let d = d.unsigned_abs();
        ((start + d).min(end), end)
    }
}

/// Counts the voxel pairs `(v, v + offset)` with both voxels in the ROI and in `scope`:
/// every pair of voxels in the scope whose rows both hold ROI voxels is given to the
/// tally as `(rank + 1 at v, rank + 1 at v + offset)`.
pub fn count_pairs<T: Tally>(vol: &RankVolume, scope: Scope, offset: [isize; 3], tally: &mut T) {
    let (_, ny, nx) = vol.dim;
    let (zs, ze) = vol.z_range(scope);
    let (z0, z1) = pair_range(zs, ze, offset[0]);
    let (y0, y1) = pair_range(0, ny, offset[1]);
    let (x0, x1) = pair_range(0, nx, offset[2]);
    if z0 >= z1 || y0 >= y1 || x0 >= x1 {
        return;
    }
    let flat_offset = offset[0] * (ny * nx) as isize + offset[1] * nx as isize + offset[2];
    let dx = offset[2];
    let ranks = &vol.ranks[..];
    for z in z0..z1 {
        let zn = (z as isize + offset[0]) as usize;
        for y in y0..y1 {
            let (lo, hi) = vol.rows[z * ny + y];
            let yn = (y as isize + offset[1]) as usize;
            let (lo_n, hi_n) = vol.rows[zn * ny + yn];
            // x with x in [lo, hi), x + dx in [lo_n, hi_n) and within [x0, x1).
            let xs = (lo as isize).max(lo_n as isize - dx).max(x0 as isize);
            let xe = (hi as isize).min(hi_n as isize - dx).min(x1 as isize);
            if xs >= xe {
                continue;
            }
            let (xs, width) = (xs as usize, (xe - xs) as usize);
            let start = (z * ny + y) * nx + xs;
            let here = &ranks[start..start + width];
            let nstart = (start as isize + flat_offset) as usize;
            let there = &ranks[nstart..nstart + width];
            for (&a, &b) in here.iter().zip(there) {
                tally.add(a, b);
            }
        }
    }
}

/// Builds the GLCM of a prepared volume within `scope` for neighbour offset `offset`
/// (the unit direction times the distance). A symmetric GLCM counts every pair in both
/// orders: `M = M(+m) + M(+m)^T` (IBSI); pairs are counted once, the sum is formed when the
/// counts are read out.
pub fn build_glcm(
    vol: &RankVolume,
    scope: Scope,
    offset: [isize; 3],
    symmetric: bool,
    force_sort: bool,
) -> Glcm {
    let k = vol.n_ranks();
    let counted = if k <= DENSE_LIMIT && !force_sort {
        let mut t = DenseTally::new(k);
        count_pairs(vol, scope, offset, &mut t);
        t.finish(symmetric)
    } else {
        let mut t = SortTally::default();
        count_pairs(vol, scope, offset, &mut t);
        t.finish(symmetric)
    };
    let v = &vol.values;
    let entries: Vec<Entry> = counted
        .iter()
        .map(|&(a, b, n)| Entry {
            i: v[a as usize],
            j: v[b as usize],
            n,
        })
        .collect();
    let total = entries.iter().map(|e| e.n).sum();
    Glcm { entries, total }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn pair_range_keeps_neighbour_inside() {
        assert_eq!(pair_range(0, 5, 1), (0, 4));
        assert_eq!(pair_range(0, 5, -1), (1, 5));
        assert_eq!(pair_range(0, 5, 0), (0, 5));
        assert_eq!(pair_range(0, 2, 3), (0, 0));
        assert_eq!(pair_range(0, 2, -3), (2, 2));
        assert_eq!(pair_range(3, 4, 0), (3, 4));
    }

    #[test]
    fn figure_example_2d_row() {
        // One row 1 2 2 3 (x direction): pairs (1,2), (2,2), (2,3) forward.
        let a = Array3::from_shape_vec((1, 1, 4), vec![1u32, 2, 2, 3]).unwrap();
        let idx = RankVolume::new(&a.view(), 0);
        let m = build_glcm(&idx, Scope::Volume, [0, 0, 1], false, false);
        let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
        assert_eq!(e, vec![(1, 2, 1), (2, 2, 1), (2, 3, 1)]);
        let s = build_glcm(&idx, Scope::Volume, [0, 0, 1], true, false);
        let e: Vec<_> = s.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
        assert_eq!(
            e,
            vec![(1, 2, 1), (2, 1, 1), (2, 2, 2), (2, 3, 1), (3, 2, 1)]
        );
        assert_eq!(s.total(), 6);
    }

    #[test]
    fn pairs_leaving_the_roi_are_not_counted() {
        // 0 marks voxels outside the ROI.
        let a = Array3::from_shape_vec((1, 2, 3), vec![1u32, 0, 1, 1, 1, 0]).unwrap();
        let idx = RankVolume::new(&a.view(), 0);
        let m = build_glcm(&idx, Scope::Volume, [0, 0, 1], false, false);
        assert_eq!(m.total(), 1);
        let m = build_glcm(&idx, Scope::Volume, [0, 1, 0], false, false);
        assert_eq!(m.total(), 1);
        let m = build_glcm(&idx, Scope::Volume, [0, 1, -1], false, false);
        assert_eq!(m.total(), 1);
        let m = build_glcm(&idx, Scope::Volume, [0, 1, 1], false, false);
        assert_eq!(m.total(), 1);
        let m = build_glcm(&idx, Scope::Volume, [0, 0, 2], false, false);
        assert_eq!(m.total(), 1);
        // the neighbour would lie outside the array
        let m = build_glcm(&idx, Scope::Volume, [0, 2, 0], false, false);
        assert_eq!(m.total(), 0);
        assert!(m.is_empty());
    }

    #[test]
    fn merge_sums_elements() {
        let a = Glcm::from_entries(vec![Entry { i: 1, j: 1, n: 2 }, Entry { i: 2, j: 3, n: 1 }]);
        let b = Glcm::from_entries(vec![Entry { i: 2, j: 3, n: 4 }, Entry { i: 1, j: 2, n: 1 }]);
        let mut m = a.clone();
        m.merge(&b);
        let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
        assert_eq!(e, vec![(1, 1, 2), (1, 2, 1), (2, 3, 5)]);
        assert_eq!(m.total(), 8);
    }

    #[test]
    fn slice_scope_ignores_other_slices() {
        let a = Array3::from_shape_vec((2, 1, 2), vec![1u32, 2, 3, 3]).unwrap();
        let idx = RankVolume::new(&a.view(), 0);
        let m = build_glcm(&idx, Scope::Slice(1), [0, 0, 1], false, false);
        let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
        assert_eq!(e, vec![(3, 3, 1)]);
        // an out-of-plane offset pairs nothing within one slice
        let m = build_glcm(&idx, Scope::Slice(0), [1, 0, 0], false, false);
        assert!(m.is_empty());
    }
}
