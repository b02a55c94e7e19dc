//! The neighbourhood grey tone difference matrix (IBSI identifier IPET).

use radx_texture::{LevelVolume, Scope, TextureMatrix};

use radx_texture::neighbourhood::PaddedScope;

/// An NGTDM: for every grey level `i` (1-based), the number `n_i` of ROI voxels with
/// grey level `i` that have at least one neighbour in the ROI, and the neighbourhood grey
/// tone difference `s_i = Σ_k |i - X̄_k|` over those voxels, where `X̄_k` is the mean grey
/// level of the ROI neighbours of voxel `k` (centre excluded).
///
/// The matrix holds counts and sums only; the probabilities `p_i = n_i / N_v,c` are
/// derived when features are computed, so that merging (summing `s_i` and `n_i` over
/// slices, IBSI aggregation 62GR) recomputes `N_v,c` and `p_i` from the merged matrix.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NgtdmMatrix {
    /// `s[i - 1]` = `s_i`.
    s: Vec<f64>,
    /// `n[i - 1]` = `n_i`.
    n: Vec<u64>,
}

impl NgtdmMatrix {
    /// A matrix from its columns (`s[i - 1]`, `n[i - 1]` for grey level `i`). Fails when
    /// the lengths differ, or an `s_i` is negative or not finite.
    pub fn from_columns(s: Vec<f64>, n: Vec<u64>) -> Result<Self, String> {
        if s.len() != n.len() {
            return Err(format!("{} values of s but {} of n", s.len(), n.len()));
        }
        if let Some(v) = s.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(format!("s_i must be finite and non-negative, got {v}"));
        }
        Ok(NgtdmMatrix { s, n })
    }

    /// `s_i` for grey levels `1..=len`.
    pub fn s(&self) -> &[f64] {
        &self.s
    }

    /// `n_i` for grey levels `1..=len`.
    pub fn n(&self) -> &[u64] {
        &self.n
    }

    /// `N_v,c = Σ n_i`, the number of voxels with at least one ROI neighbour.
    pub fn n_counted(&self) -> u64 {
        self.n.iter().sum()
    }

    /// `(i, s_i, n_i)` for every grey level with `n_i > 0`, ascending.
    pub fn rows(&self) -> impl Iterator<Item = (u32, f64, u64)> + '_ {
        self.s
            .iter()
            .zip(&self.n)
            .enumerate()
            .filter(|(_, (_, &n))| n > 0)
            .map(|(k, (&s, &n))| (k as u32 + 1, s, n))
    }

    fn grow(&mut self, len: usize) {
        if self.s.len() < len {
            self.s.resize(len, 0.0);
            self.n.resize(len, 0);
        }
    }
}

impl TextureMatrix for NgtdmMatrix {
    /// Sums `s_i` and `n_i` element-wise (IBSI: merging NGTDMs of slices).
    fn merge(&mut self, other: &Self) {
        self.grow(other.s.len());
        for (a, b) in self.s.iter_mut().zip(&other.s) {
            *a += b;
        }
        for (a, b) in self.n.iter_mut().zip(&other.n) {
            *a += b;
        }
    }

    /// True when no voxel has an ROI neighbour (`N_v,c = 0`).
    fn is_empty(&self) -> bool {
        self.n.iter().all(|&n| n == 0)
    }
}

/// The NGTDM of `vol` within `scope` at Chebyshev distance `delta`: in-plane
/// neighbourhoods (`(2δ+1)² - 1` positions) for a slice, 3D neighbourhoods
/// (`(2δ+1)³ - 1` positions) for the volume. Only neighbours inside the ROI enter the
/// mean `X̄_k = (1/W_k) Σ X_d(k + m)`, `W_k` being their number; a voxel with `W_k = 0`
/// is not counted (IBSI, "valid neighbourhood").
pub fn build(vol: &LevelVolume, scope: Scope, delta: u32) -> NgtdmMatrix {
    let Some(p) = PaddedScope::new(vol, scope, delta) else {
        return NgtdmMatrix::default();
    };
    let len = p.max_level as usize;
    let mut s = vec![0.0f64; len];
    let mut n = vec![0u64; len];
    // Pass 1, along x: the sum of the grey levels and the number of ROI voxels in the
    // window [x - δx, x + δx] of every voxel (stored at the voxel's own index).
    let data = p.data();
    let (row_len, px) = (p.row_len(), p.pad_x());
    let padded_row = row_len + 2 * px;
    let mut x_sum = vec![0u64; data.len()];
    let mut x_count = vec![0u32; data.len()];
    for ((src, sum), count) in data
        .chunks_exact(padded_row)
        .zip(x_sum.chunks_exact_mut(padded_row))
        .zip(x_count.chunks_exact_mut(padded_row))
    {
        if src.iter().all(|&v| v == 0) {
            continue; // a padding row, or a row without ROI voxel
        }
        let (sum, count) = (&mut sum[px..px + row_len], &mut count[px..px + row_len]);
        for dx in 0..=2 * px {
            let shifted = &src[dx..dx + row_len];
            for (a, &v) in sum.iter_mut().zip(shifted) {
                *a += v as u64;
            }
            for (c, &v) in count.iter_mut().zip(shifted) {
                *c += (v != 0) as u32;
            }
        }
    }
    // Pass 2, per image row: add up the x-windows of the (dz, dy) rows of the box, which
    // gives the level sum and ROI count of each voxel's box, centre included.
    let mut box_sum = vec![0u64; row_len];
    let mut box_count = vec![0u32; row_len];
    p.for_each_row(|levels, start| {
        box_sum.fill(0);
        box_count.fill(0);
        for &o in p.row_offsets() {
            let at = start.wrapping_add_signed(o);
            for (a, &v) in box_sum.iter_mut().zip(&x_sum[at..at + row_len]) {
                *a += v;
            }
            for (c, &v) in box_count.iter_mut().zip(&x_count[at..at + row_len]) {
                *c += v;
            }
        }
        for ((&l, &sum), &count) in levels.iter().zip(&box_sum).zip(&box_count) {
            if l == 0 || count < 2 {
                continue; // outside the ROI, or no ROI neighbour (W_k = 0)
            }
            // Without the centre: W_k = count - 1 neighbours summing to sum - l.
            // |l - X̄_k| = |l W_k - Σ| / W_k with an exact integer numerator, so that a
            // voxel whose neighbours average exactly to its own level adds exactly 0.
            let w = (count - 1) as u64;
            let diff = (l as u64 * w).abs_diff(sum - l as u64);
            let k = (l - 1) as usize;
            s[k] += diff as f64 / w as f64;
            n[k] += 1;
        }
    });
    NgtdmMatrix { s, n }
}
