//! The grey level co-occurrence matrix (IBSI 03_Image_features.rst, "Grey level
//! co-occurrence based features", LFYI) and how it is counted.
//!
//! A GLCM is stored sparsely: the non-zero elements `(i, j, n)` sorted by `(i, j)`, where
//! `i` and `j` are grey levels (the values themselves, 1-based) and `n` the number of
//! times level `j` was found at offset `+m` from a voxel of level `i`. Absent grey levels
//! are simply zero rows and columns. Merging two matrices (IBSI: "summing the
//! co-occurrence counts in each matrix element") is a merge of two sorted lists.
//!
//! Counting uses the flat level array in C order with a precomputed index offset per
//! direction, so a voxel pair is two array reads; rows of the volume are walked over
//! exactly the voxels whose neighbour lies inside the array, so the inner loop has no
//! bounds logic. Counts go to a dense scratch table over the grey levels present in
//! the ROI (compacted, so its size does not depend on the discretisation range) and
//! the touched elements are then read out in order.

use ndarray::ArrayView3;
use radx_texture::{Scope, TextureMatrix};

/// One non-zero element of a texture matrix: grey level `i`, second index `j` (grey
/// level for the GLCM), count `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub i: u32,
    pub j: u32,
    pub n: u64,
}

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

/// Merges two lists of elements sorted by `(i, j)`, summing equal elements.
pub fn merge_sorted(a: &[Entry], b: &[Entry]) -> Vec<Entry> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut x, mut y) = (0, 0);
    while x < a.len() && y < b.len() {
        let (ea, eb) = (a[x], b[y]);
        match (ea.i, ea.j).cmp(&(eb.i, eb.j)) {
            std::cmp::Ordering::Less => {
                out.push(ea);
                x += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(eb);
                y += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(Entry {
                    i: ea.i,
                    j: ea.j,
                    n: ea.n + eb.n,
                });
                x += 1;
                y += 1;
            }
        }
    }
    out.extend_from_slice(&a[x..]);
    out.extend_from_slice(&b[y..]);
    out
}

/// The grey levels present in a level volume, compacted: `index[level]` is the rank of
/// `level` among the levels present (`ABSENT` for levels not present and for 0), and
/// `values[rank]` the level itself.
#[derive(Debug, Clone)]
pub struct LevelIndex {
    pub index: Vec<u32>,
    pub values: Vec<u32>,
}

/// Marks a grey level that does not occur in the volume.
pub const ABSENT: u32 = u32::MAX;

impl LevelIndex {
    /// The levels present in `levels` (0, outside the ROI, excluded).
    pub fn of(levels: &ArrayView3<u32>) -> Self {
        let max = levels.iter().copied().max().unwrap_or(0) as usize;
        if max <= DIRECT_LIMIT.max(2 * levels.len()) {
            let mut present = vec![false; max + 1];
            for &l in levels.iter() {
                present[l as usize] = true;
            }
            let mut index = vec![ABSENT; max + 1];
            let mut values = Vec::new();
            for (l, &p) in present.iter().enumerate().skip(1) {
                if p {
                    index[l] = values.len() as u32;
                    values.push(l as u32);
                }
            }
            LevelIndex { index, values }
        } else {
            // Very large grey levels (e.g. no discretisation of raw intensities): no
            // lookup table, ranks by binary search.
            let mut values: Vec<u32> = levels.iter().copied().filter(|&l| l > 0).collect();
            values.sort_unstable();
            values.dedup();
            LevelIndex {
                index: Vec::new(),
                values,
            }
        }
    }

    /// Number of grey levels present.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Rank of `level`, or `ABSENT`.
    #[inline]
    pub fn rank(&self, level: u32) -> u32 {
        if self.index.is_empty() {
            match self.values.binary_search(&level) {
                Ok(r) => r as u32,
                Err(_) => ABSENT,
            }
        } else {
            self.index.get(level as usize).copied().unwrap_or(ABSENT)
        }
    }
}

/// Highest grey level for which ranks are looked up in a table rather than searched.
const DIRECT_LIMIT: usize = 1 << 16;

/// Largest number of grey levels present for which pairs are counted in a dense
/// `K x K` scratch table (4 MiB); beyond it pairs are sorted instead.
pub const DENSE_LIMIT: usize = 1024;

/// Collects pair counts `(a, b)` of grey-level ranks.
pub trait Tally {
    fn add(&mut self, a: u32, b: u32);
    /// The counted elements, sorted by `(a, b)`, as `(rank a, rank b, count)`.
    fn finish(self) -> Vec<(u32, u32, u64)>;
}

/// Dense `K x K` counts plus the list of touched elements, so that reading out costs
/// the number of distinct pairs rather than `K^2`.
pub struct DenseTally {
    k: usize,
    counts: Vec<u32>,
    touched: Vec<u32>,
}

impl DenseTally {
    pub fn new(k: usize) -> Self {
        DenseTally {
            k,
            counts: vec![0; k * k],
            touched: Vec::new(),
        }
    }
}

impl Tally for DenseTally {
    #[inline]
    fn add(&mut self, a: u32, b: u32) {
        let c = a as usize * self.k + b as usize;
        let slot = &mut self.counts[c];
        if *slot == 0 {
            self.touched.push(c as u32);
        }
        *slot += 1;
    }

    fn finish(mut self) -> Vec<(u32, u32, u64)> {
        self.touched.sort_unstable();
        let k = self.k as u32;
        self.touched
            .iter()
            .map(|&c| (c / k, c % k, self.counts[c as usize] as u64))
            .collect()
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
        self.codes.push(((a as u64) << 32) | b as u64);
    }

    fn finish(mut self) -> Vec<(u32, u32, u64)> {
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

/// Range of slices (z) a scope covers, as `[start, end)`.
pub fn z_range(scope: Scope, nz: usize) -> (usize, usize) {
    match scope {
        Scope::Volume => (0, nz),
        Scope::Slice(z) if z < nz => (z, z + 1),
        Scope::Slice(_) => (0, 0),
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

/// Counts the voxel pairs `(k, k + offset)` with both voxels in the ROI and in `scope`;
/// every pair is added as `(rank of level at k, rank of level at k + offset)`.
///
/// `levels` is the flat C-order level array of shape `dim`.
pub fn count_pairs<T: Tally>(
    levels: &[u32],
    dim: (usize, usize, usize),
    index: &LevelIndex,
    scope: Scope,
    offset: [isize; 3],
    tally: &mut T,
) {
    let (nz, ny, nx) = dim;
    let (zs, ze) = z_range(scope, nz);
    let (z0, z1) = pair_range(zs, ze, offset[0]);
    let (y0, y1) = pair_range(0, ny, offset[1]);
    let (x0, x1) = pair_range(0, nx, offset[2]);
    if z0 >= z1 || y0 >= y1 || x0 >= x1 {
        return;
    }
    let flat_offset = offset[0] * (ny * nx) as isize + offset[1] * nx as isize + offset[2];
    let width = x1 - x0;
    for z in z0..z1 {
        for y in y0..y1 {
            let start = (z * ny + y) * nx + x0;
            let here = &levels[start..start + width];
            let nstart = (start as isize + flat_offset) as usize;
            let there = &levels[nstart..nstart + width];
            for (&a, &b) in here.iter().zip(there) {
                if a != 0 && b != 0 {
                    let (ra, rb) = (index.rank(a), index.rank(b));
                    if ra != ABSENT && rb != ABSENT {
                        tally.add(ra, rb);
                    }
                }
            }
        }
    }
}

/// Builds the GLCM of `levels` within `scope` for neighbour offset `offset`
/// (the unit direction times the distance). A symmetric GLCM counts every pair in both
/// orders: `M = M(+m) + M(+m)^T` (IBSI).
pub fn build_glcm(
    levels: &ArrayView3<u32>,
    index: &LevelIndex,
    scope: Scope,
    offset: [isize; 3],
    symmetric: bool,
    force_sort: bool,
) -> Glcm {
    let std = levels.as_standard_layout();
    let Some(flat) = std.as_slice() else {
        return Glcm::default();
    };
    let dim = levels.dim();
    let k = index.len();
    let counted = if k <= DENSE_LIMIT && !force_sort {
        let mut t = DenseTally::new(k);
        count_pairs(flat, dim, index, scope, offset, &mut t);
        t.finish()
    } else {
        let mut t = SortTally::default();
        count_pairs(flat, dim, index, scope, offset, &mut t);
        t.finish()
    };
    let v = &index.values;
    let forward = counted.iter().map(|&(a, b, n)| Entry {
        i: v[a as usize],
        j: v[b as usize],
        n,
    });
    if symmetric {
        let fwd: Vec<Entry> = forward.collect();
        let mut back: Vec<Entry> = fwd
            .iter()
            .map(|e| Entry {
                i: e.j,
                j: e.i,
                n: e.n,
            })
            .collect();
        back.sort_by_key(|e| (e.i, e.j));
        let entries = merge_sorted(&fwd, &back);
        let total = entries.iter().map(|e| e.n).sum();
        Glcm { entries, total }
    } else {
        let entries: Vec<Entry> = forward.collect();
        let total = entries.iter().map(|e| e.n).sum();
        Glcm { entries, total }
    }
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
        let idx = LevelIndex::of(&a.view());
        let m = build_glcm(&a.view(), &idx, Scope::Volume, [0, 0, 1], false, false);
        let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
        assert_eq!(e, vec![(1, 2, 1), (2, 2, 1), (2, 3, 1)]);
        let s = build_glcm(&a.view(), &idx, Scope::Volume, [0, 0, 1], true, false);
        let e: Vec<_> = s.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
        assert_eq!(e, vec![(1, 2, 1), (2, 1, 1), (2, 2, 2), (2, 3, 1), (3, 2, 1)]);
        assert_eq!(s.total(), 6);
    }

    #[test]
    fn pairs_leaving_the_roi_are_not_counted() {
        // 0 marks voxels outside the ROI.
        let a = Array3::from_shape_vec((1, 2, 3), vec![1u32, 0, 1, 1, 1, 0]).unwrap();
        let idx = LevelIndex::of(&a.view());
        let m = build_glcm(&a.view(), &idx, Scope::Volume, [0, 0, 1], false, false);
        assert_eq!(m.total(), 1);
        let m = build_glcm(&a.view(), &idx, Scope::Volume, [0, 1, 0], false, false);
        assert_eq!(m.total(), 1);
        let m = build_glcm(&a.view(), &idx, Scope::Volume, [0, 1, -1], false, false);
        assert_eq!(m.total(), 1);
        let m = build_glcm(&a.view(), &idx, Scope::Volume, [0, 1, 1], false, false);
        assert_eq!(m.total(), 0);
        assert!(m.is_empty());
    }

    #[test]
    fn merge_sums_elements() {
        let a = Glcm::from_entries(vec![
            Entry { i: 1, j: 1, n: 2 },
            Entry { i: 2, j: 3, n: 1 },
        ]);
        let b = Glcm::from_entries(vec![
            Entry { i: 2, j: 3, n: 4 },
            Entry { i: 1, j: 2, n: 1 },
        ]);
        let mut m = a.clone();
        m.merge(&b);
        let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
        assert_eq!(e, vec![(1, 1, 2), (1, 2, 1), (2, 3, 5)]);
        assert_eq!(m.total(), 8);
    }

    #[test]
    fn slice_scope_ignores_other_slices() {
        let a = Array3::from_shape_vec((2, 1, 2), vec![1u32, 2, 3, 3]).unwrap();
        let idx = LevelIndex::of(&a.view());
        let m = build_glcm(&a.view(), &idx, Scope::Slice(1), [0, 0, 1], false, false);
        let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
        assert_eq!(e, vec![(3, 3, 1)]);
        // an out-of-plane offset pairs nothing within one slice
        let m = build_glcm(&a.view(), &idx, Scope::Slice(0), [1, 0, 0], false, false);
        assert!(m.is_empty());
    }
}
