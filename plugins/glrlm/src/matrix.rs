//! The grey level run length matrix (IBSI 03_Image_features.rst, "Grey level run length
//! based features", TP0I) and how runs are found.
//!
//! A run is a maximal sequence of consecutive voxels along direction `m` with the same
//! grey level; a voxel outside the ROI (or outside the scope: the slice for 2D) ends a
//! run. The GLRLM counts runs by grey level `i` and length `j`. It is stored sparsely:
//! the non-zero elements `(i, j, n)` sorted by `(i, j)`, with `i` the grey level itself.
//! The matrix also carries `N_v`, the number of ROI voxels it was counted over, so that
//! merged matrices sum `N_v` too (IBSI: "when matrices are merged, `N_v` should likewise
//! be summed").
//!
//! Runs are found on a [`RankVolume`], prepared once per ROI: the flat C-order array of
//! grey-level ranks (0 outside the ROI), padded with zeros so that the volume border
//! ends runs like the ROI border, and the x-extent of the ROI in every row. Run lengths
//! follow from one pass in memory order with a fixed index offset per direction
//! (`run(v) = run(v - m) + 1` for equal levels), and each run is counted where it ends,
//! by a branch-free increment of a dense (grey level, length) table; for very large
//! tables run codes are sorted instead.

pub use radx_texture::sparse::{bounding_box, merge_sorted, Entry};
use radx_texture::{Scope, TextureMatrix};

/// A grey level run length matrix for one direction, or several merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Glrlm {
    /// Non-zero elements sorted by `(i, j)`.
    entries: Vec<Entry>,
    /// `N_s`: the number of runs.
    runs: u64,
    /// `N_v`: the number of ROI voxels the runs were counted over (summed on merging).
    voxels: u64,
}

impl Glrlm {
    /// A matrix from `(i, j, n)` elements in any order and a voxel count; zero counts
    /// are dropped and repeated elements summed.
    pub fn from_entries(mut entries: Vec<Entry>, voxels: u64) -> Self {
        entries.retain(|e| e.n > 0);
        entries.sort_by_key(|e| (e.i, e.j));
        let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
        for e in entries {
            match out.last_mut() {
                Some(l) if l.i == e.i && l.j == e.j => l.n += e.n,
                _ => out.push(e),
            }
        }
        let runs = out.iter().map(|e| e.n).sum();
        Glrlm {
            entries: out,
            runs,
            voxels,
        }
    }

    /// Non-zero elements sorted by `(i, j)`.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// `N_s`, the number of runs.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// `N_v`, the number of voxels (summed over merged matrices).
    pub fn voxels(&self) -> u64 {
        self.voxels
    }

    /// `sum_ij j r_ij`: the number of voxels covered by the runs.
    pub fn run_voxels(&self) -> u64 {
        self.entries.iter().map(|e| e.j as u64 * e.n).sum()
    }
}

impl TextureMatrix for Glrlm {
    fn merge(&mut self, other: &Self) {
        self.entries = merge_sorted(&self.entries, &other.entries);
        self.runs += other.runs;
        self.voxels += other.voxels;
    }

    fn is_empty(&self) -> bool {
        self.runs == 0
    }
}

pub use radx_texture::rank::RankVolume;

/// Receives, for every voxel visited, its rank + 1 `a` (0 outside the ROI), the length
/// of the run it ends so far, and whether the run ends there.
pub trait RunSink {
    fn visit(&mut self, a: u32, length: u32, ends: bool);
    /// The counted runs sorted by `(rank, length)`, as `(rank, length, count)`.
    fn finish(self) -> Vec<(u32, u32, u64)>;
}

/// Dense counts over (rank + 1, length), row 0 collecting the voxels outside the ROI.
/// Counting is a branch-free increment by `ends`.
pub struct DenseRuns {
    width: usize,
    counts: Vec<u32>,
}

impl DenseRuns {
    /// For `k` grey levels and runs of length `1..=max_len`.
    pub fn new(k: usize, max_len: usize) -> Self {
        let width = max_len + 1;
        DenseRuns {
            width,
            counts: vec![0; (k + 1) * width],
        }
    }
}

impl RunSink for DenseRuns {
    #[inline]
    fn visit(&mut self, a: u32, length: u32, ends: bool) {
        self.counts[a as usize * self.width + length as usize] += ends as u32;
    }

    fn finish(self) -> Vec<(u32, u32, u64)> {
        let w = self.width;
        self.counts
            .iter()
            .enumerate()
            .skip(w)
            .filter(|(_, &n)| n > 0)
            .map(|(c, &n)| ((c / w - 1) as u32, (c % w) as u32, n as u64))
            .collect()
    }
}

/// Run codes collected and sorted, for tables too large to hold densely.
#[derive(Default)]
pub struct SortedRuns {
    codes: Vec<u64>,
}

impl RunSink for SortedRuns {
    #[inline]
    fn visit(&mut self, a: u32, length: u32, ends: bool) {
        if ends && a != 0 {
            self.codes.push((((a - 1) as u64) << 32) | length as u64);
        }
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

/// Largest (grey levels x run lengths) table counted densely.
pub const DENSE_LIMIT: usize = 1 << 22;

/// Longest run possible along `d` within `nz x ny x nx`.
fn longest_run(d: [isize; 3], nz: usize, ny: usize, nx: usize) -> usize {
    [(d[0], nz), (d[1], ny), (d[2], nx)]
        .iter()
        .filter(|(s, _)| *s != 0)
        .map(|&(s, n)| n.div_ceil(s.unsigned_abs()))
        .min()
        .unwrap_or(1)
        .max(1)
}

/// Whether a step along `d` from any voxel leaves a `nz x ny x nx` volume (or `d` is 0).
fn step_leaves(d: [isize; 3], nz: usize, ny: usize, nx: usize) -> bool {
    d == [0, 0, 0]
        || [(d[0], nz), (d[1], ny), (d[2], nx)]
            .iter()
            .any(|&(s, n)| s.unsigned_abs() >= n.max(1))
}

/// Visits every voxel of the ROI rows of `scope` in C order with its rank + 1 `a`, the
/// length of the run of equal levels along `direction` that it ends so far, and whether
/// the run ends there; runs stop at voxels of another level, outside the ROI, the
/// volume or the scope. Returns the number of ROI voxels in the scope.
///
/// Run lengths are found by dynamic programming: `run(v) = run(v - m) + 1` when the
/// voxel `v - m` has the same level, else 1. The direction is oriented so that `v - m`
/// comes first in memory order; since it then holds an ROI voxel whenever it is read
/// for a run, it was visited before. `acc` (as long as `vol.ranks`) holds the run
/// lengths. The loops have no data-dependent branch. `vol` must be padded by at least
/// the largest component of `direction` unless the step leaves the volume.
pub fn visit_runs<S: RunSink>(
    vol: &RankVolume,
    scope: Scope,
    direction: [isize; 3],
    acc: &mut [u32],
    sink: &mut S,
) -> u64 {
    let (nz, ny, nx) = vol.dim;
    let (zs, ze) = vol.z_range(scope);
    let p = vol.pad;
    let (py, px) = ((ny + 2 * p) as isize, (nx + 2 * p) as isize);
    let mut d = direction;
    let mut step = d[0] * py * px + d[1] * px + d[2];
    if step < 0 {
        d = d.map(|c| -c);
        step = -step;
    }
    let step = step as usize;
    let ranks = &vol.ranks[..];
    // Neighbours along the direction lie outside the scope (a slice with a direction
    // leaving it, or a step longer than the volume): every voxel is a run of length 1.
    let isolated = (matches!(scope, Scope::Slice(_)) && d[0] != 0) || step_leaves(d, nz, ny, nx);
    for z in zs..ze {
        for y in 0..ny {
            let (lo, hi) = vol.rows[z * ny + y];
            if lo >= hi {
                continue;
            }
            let (start, end) = (vol.index(z, y, lo), vol.index(z, y, hi));
            let here = &ranks[start..end];
            if isolated {
                for &a in here {
                    sink.visit(a, (a != 0) as u32, true);
                }
            } else if step == 1 {
                // Along the row: the run length is carried in a register.
                let next = &ranks[start + 1..end + 1];
                let (mut prev, mut run) = (0u32, 0u32);
                for (&a, &n) in here.iter().zip(next) {
                    run = if a == prev { run + 1 } else { 1 };
                    prev = a;
                    sink.visit(a, if a == 0 { 0 } else { run }, n != a);
                }
            } else if step < end - start {
                // A step of several voxels along the row (not an IBSI direction).
                for k in start..end {
                    let a = ranks[k];
                    let run = if ranks[k - step] == a {
                        acc[k - step].wrapping_add(1)
                    } else {
                        1
                    };
                    let run = if a == 0 { 0 } else { run };
                    acc[k] = run;
                    sink.visit(a, run, ranks[k + step] != a);
                }
            } else {
                // The previous voxels lie in earlier rows (step > row extent).
                let before = &ranks[start - step..end - step];
                let next = &ranks[start + step..end + step];
                let (done, rest) = acc.split_at_mut(start);
                let acc_before = &done[start - step..end - step];
                let acc_here = &mut rest[..end - start];
                for ((((&a, &b), &n), &r), out) in here
                    .iter()
                    .zip(before)
                    .zip(next)
                    .zip(acc_before)
                    .zip(acc_here.iter_mut())
                {
                    let run = if a == b { r.wrapping_add(1) } else { 1 };
                    let run = if a == 0 { 0 } else { run };
                    *out = run;
                    sink.visit(a, run, n != a);
                }
            }
        }
    }
    vol.slice_voxels[zs..ze].iter().sum()
}

/// Builds the GLRLM of a prepared volume within `scope` along `direction` (a unit step
/// for the IBSI directions). `vol` must be padded by at least the largest component of
/// `direction` in magnitude, unless that step leaves the volume (then every voxel is a
/// run of length 1); otherwise the matrix is empty. `acc` is scratch space, resized as
/// needed.
pub fn build_glrlm(
    vol: &RankVolume,
    scope: Scope,
    direction: [isize; 3],
    acc: &mut Vec<u32>,
    force_sort: bool,
) -> Glrlm {
    let (nz, ny, nx) = vol.dim;
    let (zs, ze) = vol.z_range(scope);
    let reach = direction
        .iter()
        .map(|d| d.unsigned_abs())
        .max()
        .unwrap_or(0);
    if reach > vol.pad && !step_leaves(direction, nz, ny, nx) {
        return Glrlm::default();
    }
    if acc.len() < vol.ranks.len() {
        acc.resize(vol.ranks.len(), 0);
    }
    let max_len = longest_run(direction, ze - zs, ny, nx);
    let k = vol.n_ranks();
    let (counted, voxels) = if (k + 1).saturating_mul(max_len + 1) <= DENSE_LIMIT && !force_sort {
        let mut sink = DenseRuns::new(k, max_len);
        let v = visit_runs(vol, scope, direction, acc, &mut sink);
        (sink.finish(), v)
    } else {
        let mut sink = SortedRuns::default();
        let v = visit_runs(vol, scope, direction, acc, &mut sink);
        (sink.finish(), v)
    };
    let entries: Vec<Entry> = counted
        .into_iter()
        .map(|(r, j, n)| Entry {
            i: vol.values[r as usize],
            j,
            n,
        })
        .collect();
    let runs = entries.iter().map(|e| e.n).sum();
    Glrlm {
        entries,
        runs,
        voxels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    fn runs(a: &Array3<u32>, scope: Scope, d: [isize; 3]) -> (Vec<(u32, u32, u64)>, u64) {
        let prepared = RankVolume::new(&a.view(), 1);
        let m = build_glrlm(&prepared, scope, d, &mut Vec::new(), false);
        (
            m.entries().iter().map(|e| (e.i, e.j, e.n)).collect(),
            m.voxels(),
        )
    }

    #[test]
    fn runs_along_a_row() {
        let a = Array3::from_shape_vec((1, 1, 6), vec![1u32, 1, 2, 2, 2, 1]).unwrap();
        let (e, v) = runs(&a, Scope::Volume, [0, 0, 1]);
        assert_eq!(e, vec![(1, 1, 1), (1, 2, 1), (2, 3, 1)]);
        assert_eq!(v, 6);
        // across the row every voxel is its own run
        let (e, _) = runs(&a, Scope::Volume, [0, 1, 0]);
        assert_eq!(e, vec![(1, 1, 3), (2, 1, 3)]);
    }

    #[test]
    fn roi_gaps_end_runs() {
        let a = Array3::from_shape_vec((1, 1, 5), vec![3u32, 3, 0, 3, 3]).unwrap();
        let (e, v) = runs(&a, Scope::Volume, [0, 0, 1]);
        assert_eq!(e, vec![(3, 2, 2)]);
        assert_eq!(v, 4);
    }

    #[test]
    fn diagonal_runs_and_anti_diagonal() {
        // 2x2 slice: levels 1 on the main diagonal, 2 elsewhere.
        let a = Array3::from_shape_vec((1, 2, 2), vec![1u32, 2, 2, 1]).unwrap();
        let (e, _) = runs(&a, Scope::Volume, [0, 1, 1]);
        assert_eq!(e, vec![(1, 2, 1), (2, 1, 2)]);
        let (e, _) = runs(&a, Scope::Volume, [0, 1, -1]);
        assert_eq!(e, vec![(1, 1, 2), (2, 2, 1)]);
    }

    #[test]
    fn slices_are_separate_scopes() {
        let a = Array3::from_shape_vec((2, 1, 2), vec![1u32, 1, 1, 0]).unwrap();
        let (e, v) = runs(&a, Scope::Slice(0), [0, 0, 1]);
        assert_eq!((e, v), (vec![(1, 2, 1)], 2));
        let (e, v) = runs(&a, Scope::Slice(1), [0, 0, 1]);
        assert_eq!((e, v), (vec![(1, 1, 1)], 1));
        // in 3D the z direction joins the slices
        let (e, _) = runs(&a, Scope::Volume, [1, 0, 0]);
        assert_eq!(e, vec![(1, 1, 1), (1, 2, 1)]);
    }

    #[test]
    fn merge_sums_runs_and_voxels() {
        let mut a = Glrlm::from_entries(vec![Entry { i: 1, j: 2, n: 1 }], 2);
        let b = Glrlm::from_entries(
            vec![Entry { i: 1, j: 2, n: 2 }, Entry { i: 1, j: 1, n: 1 }],
            5,
        );
        a.merge(&b);
        let e: Vec<_> = a.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
        assert_eq!(e, vec![(1, 1, 1), (1, 2, 3)]);
        assert_eq!((a.runs(), a.voxels()), (4, 7));
    }
}
