//! The neighbouring grey level dependence matrix (IBSI identifier REK0).

use radx_texture::{LevelVolume, Scope, TextureMatrix};

use radx_texture::neighbourhood::PaddedScope;

/// An NGLDM: `s_ij` is the number of ROI voxels with grey level `i` and dependence count
/// `j` (both 1-based), stored row-major (`i` rows, `j` columns) in a flat vector. Also
/// keeps `N_v`, the number of ROI voxels the matrix was built from, so that merged
/// matrices sum it (IBSI: "N_v and N_s should likewise be summed").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NgldmMatrix {
    counts: Vec<u64>,
    n_levels: usize,
    n_dep: usize,
    n_voxels: u64,
}

impl NgldmMatrix {
    /// A matrix from its rows (`rows[i - 1][j - 1]` = `s_ij`, rows of equal length) and
    /// `N_v`.
    pub fn from_rows(rows: &[Vec<u64>], n_voxels: u64) -> Result<Self, String> {
        let n_dep = rows.first().map_or(0, Vec::len);
        if rows.iter().any(|r| r.len() != n_dep) {
            return Err("rows of unequal length".into());
        }
        Ok(NgldmMatrix {
            counts: rows.concat(),
            n_levels: rows.len(),
            n_dep,
            n_voxels,
        })
    }

    /// Number of grey-level rows (`i = 1..=n_levels`).
    pub fn n_levels(&self) -> usize {
        self.n_levels
    }

    /// Number of dependence columns (`j = 1..=n_dep`), at least the largest `j` counted.
    pub fn n_dep(&self) -> usize {
        self.n_dep
    }

    /// `s_ij` (1-based), 0 outside the stored range.
    pub fn get(&self, i: usize, j: usize) -> u64 {
        if i == 0 || j == 0 || i > self.n_levels || j > self.n_dep {
            0
        } else {
            self.counts[(i - 1) * self.n_dep + j - 1]
        }
    }

    /// `N_s = Σ s_ij`, the number of neighbourhoods.
    pub fn n_neighbourhoods(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `N_v`, the number of ROI voxels the matrix covers.
    pub fn n_voxels(&self) -> u64 {
        self.n_voxels
    }

    /// `(i, j, s_ij)` for every non-zero element, row-major.
    pub fn entries(&self) -> impl Iterator<Item = (usize, usize, u64)> + '_ {
        let nd = self.n_dep.max(1);
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(move |(k, &c)| (k / nd + 1, k % nd + 1, c))
    }

    /// Re-lays the matrix out as `n_levels x n_dep` (both at least the current size).
    fn reshape(&mut self, n_levels: usize, n_dep: usize) {
        if n_levels == self.n_levels && n_dep == self.n_dep {
            return;
        }
        let mut counts = vec![0u64; n_levels * n_dep];
        for i in 0..self.n_levels {
            let src = &self.counts[i * self.n_dep..(i + 1) * self.n_dep];
            counts[i * n_dep..i * n_dep + self.n_dep].copy_from_slice(src);
        }
        self.counts = counts;
        self.n_levels = n_levels;
        self.n_dep = n_dep;
    }
}

impl TextureMatrix for NgldmMatrix {
    /// Sums `s_ij` element-wise and `N_v` (IBSI: merging NGLDMs of slices).
    fn merge(&mut self, other: &Self) {
        self.reshape(
            self.n_levels.max(other.n_levels),
            self.n_dep.max(other.n_dep),
        );
        for i in 0..other.n_levels {
            let dst = &mut self.counts[i * self.n_dep..i * self.n_dep + other.n_dep];
            let src = &other.counts[i * other.n_dep..(i + 1) * other.n_dep];
            for (a, b) in dst.iter_mut().zip(src) {
                *a += b;
            }
        }
        self.n_voxels += other.n_voxels;
    }

    /// True when no neighbourhood was counted (`N_s = 0`).
    fn is_empty(&self) -> bool {
        self.counts.iter().all(|&c| c == 0)
    }
}

/// The NGLDM of `vol` within `scope` at Chebyshev distance `delta` with coarseness
/// `alpha`: in-plane neighbourhoods for a slice, 3D neighbourhoods for the volume. Every
/// ROI voxel `k` of grey level `i` adds one to `s_ij` with dependence
/// `j_k = 1 + #{m ≠ 0 : k + m in ROI, |X_d(k) - X_d(k + m)| ≤ α}` (the centre voxel
/// counts itself; neighbours outside the ROI are ignored), so `N_s = N_v`.
pub fn build(vol: &LevelVolume, scope: Scope, delta: u32, alpha: u32) -> NgldmMatrix {
    let Some(p) = PaddedScope::new(vol, scope, delta) else {
        return NgldmMatrix::default();
    };
    let n_levels = p.max_level as usize;
    // Dependence j ranges over 1..=box size, and cannot exceed the voxel count.
    let box_size = p.row_offsets().len() * (2 * p.pad_x() + 1);
    let stride = box_size.min(p.n_voxels as usize);
    let mut counts = vec![0u64; n_levels * stride];
    let mut max_j = 0usize;
    let data = p.data();
    let (row_len, px) = (p.row_len(), p.pad_x() as isize);
    // Per image row: the dependence count of each voxel, centre included (it always
    // depends on itself), and the range [lo, lo + span] of dependent grey levels.
    let mut dep = vec![0u32; row_len];
    let mut lo = vec![0u32; row_len];
    let mut span = vec![0u32; row_len];
    p.for_each_row(|levels, start| {
        dep.fill(0);
        if alpha > 0 {
            for ((l, s), &c) in lo.iter_mut().zip(span.iter_mut()).zip(levels) {
                // lo >= 1, so a neighbour outside the ROI (level 0) wraps around to a
                // huge difference and never counts.
                *l = c.saturating_sub(alpha).max(1);
                *s = c.saturating_add(alpha) - *l;
            }
        }
        for &o in p.row_offsets() {
            for dx in -px..=px {
                let at = start.wrapping_add_signed(o + dx);
                let nb = &data[at..at + row_len];
                if alpha == 0 {
                    for ((d, &c), &v) in dep.iter_mut().zip(levels).zip(nb) {
                        *d += (v == c) as u32;
                    }
                } else {
                    for (((d, &l), &s), &v) in dep.iter_mut().zip(&lo).zip(&span).zip(nb) {
                        *d += (v.wrapping_sub(l) <= s) as u32;
                    }
                }
            }
        }
        for (&l, &j) in levels.iter().zip(&dep) {
            if l > 0 {
                let j = j as usize;
                max_j = max_j.max(j);
                counts[(l as usize - 1) * stride + j - 1] += 1;
            }
        }
    });
    let mut m = NgldmMatrix {
        counts,
        n_levels,
        n_dep: stride,
        n_voxels: p.n_voxels,
    };
    // Drop the dependence columns beyond the largest one found.
    if max_j < stride {
        let mut counts = vec![0u64; n_levels * max_j];
        for i in 0..n_levels {
            counts[i * max_j..(i + 1) * max_j]
                .copy_from_slice(&m.counts[i * stride..i * stride + max_j]);
        }
        m.counts = counts;
        m.n_dep = max_j;
    }
    m
}
