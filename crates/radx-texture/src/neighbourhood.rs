//! Chebyshev neighbourhoods on a flat, zero-padded copy of the grey levels of one scope
//! (one slice with in-plane neighbourhoods, or the whole volume).
//!
//! The ROI voxels of the scope are copied, within their bounding box, into a buffer
//! padded with zeros (grey level 0 = outside the ROI), so that every neighbour of an ROI
//! voxel is a valid index. Callers visit the neighbourhood boxes row-wise: for each of
//! the `(2δ+1)²` (3D) or `2δ+1` (2D) neighbour rows, at its precomputed flat offset, a
//! contiguous slice of the buffer is combined element-wise with per-row accumulators
//! (loops the compiler vectorises), instead of gathering neighbours voxel by voxel.
//!
//! The padding along an axis is the distance `δ` clamped to the bounding-box extent
//! minus one: a neighbour further away along that axis lies outside the bounding box,
//! hence outside the ROI, and would not count anyway.
//!
//! Shared by the NGTDM and NGLDM plugins.

use crate::{LevelVolume, Scope};
use ndarray::s;

/// The grey levels of one scope, copied into a zero-padded flat buffer (C order).
pub struct PaddedScope {
    /// Grey levels, 0 outside the ROI (and in the padding).
    data: Vec<u32>,
    /// Flat offsets, relative to a voxel, of the voxel at `(dz, dy, 0)` of each row of
    /// its neighbourhood box (the voxel's own row included).
    row_offsets: Vec<isize>,
    /// Padded shape (z, y, x).
    shape: [usize; 3],
    /// Padding along (z, y, x); the ROI voxels lie in `pad[a]..shape[a] - pad[a]`.
    pad: [usize; 3],
    /// Highest grey level found in the scope.
    pub max_level: u32,
    /// Number of ROI voxels in the scope.
    pub n_voxels: u64,
}

impl PaddedScope {
    /// The scope's ROI voxels with a Chebyshev neighbourhood of radius `delta` (in-plane
    /// for a slice, 3D for the volume); `None` when the scope holds no ROI voxel.
    pub fn new(vol: &LevelVolume, scope: Scope, delta: u32) -> Option<Self> {
        let (nz, ny, _) = vol.levels.dim();
        let (z0, z1) = match scope {
            Scope::Slice(z) if z < nz => (z, z + 1),
            Scope::Slice(_) => return None,
            Scope::Volume => (0, nz),
        };
        let sub = vol.levels.slice(s![z0..z1, .., ..]);
        // Bounding box of the ROI voxels within the scope, row by row.
        let mut lo = [usize::MAX; 3];
        let mut hi = [0usize; 3];
        let mut n_voxels = 0u64;
        let mut max_level = 0u32;
        let mut scan = |zy: usize, row: &[u32]| {
            let count = row.iter().filter(|&&l| l > 0).count();
            if count > 0 {
                n_voxels += count as u64;
                max_level = max_level.max(row.iter().copied().max().unwrap_or(0));
                let first = row.iter().position(|&l| l > 0).unwrap_or(0);
                let last = row.iter().rposition(|&l| l > 0).unwrap_or(0);
                let (z, y) = (z0 + zy / ny, zy % ny);
                lo = [lo[0].min(z), lo[1].min(y), lo[2].min(first)];
                hi = [hi[0].max(z), hi[1].max(y), hi[2].max(last)];
            }
        };
        for (zy, row) in sub.rows().into_iter().enumerate() {
            match row.as_slice() {
                Some(r) => scan(zy, r),
                None => scan(zy, &row.to_vec()),
            }
        }
        if n_voxels == 0 {
            return None;
        }
        let ext = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
        let in_plane = matches!(scope, Scope::Slice(_));
        let d = delta as usize;
        let pad = [
            if in_plane { 0 } else { d.min(ext[0] - 1) },
            d.min(ext[1] - 1),
            d.min(ext[2] - 1),
        ];
        let shape = [
            ext[0] + 2 * pad[0],
            ext[1] + 2 * pad[1],
            ext[2] + 2 * pad[2],
        ];
        let mut data = vec![0u32; shape[0] * shape[1] * shape[2]];
        let bbox = vol
            .levels
            .slice(s![lo[0]..=hi[0], lo[1]..=hi[1], lo[2]..=hi[2]]);
        for (zy, row) in bbox.rows().into_iter().enumerate() {
            let (z, y) = (zy / ext[1], zy % ext[1]);
            let dst = ((z + pad[0]) * shape[1] + y + pad[1]) * shape[2] + pad[2];
            let out = &mut data[dst..dst + ext[2]];
            match row.as_slice() {
                Some(src) => out.copy_from_slice(src),
                None => out.iter_mut().zip(row.iter()).for_each(|(o, &l)| *o = l),
            }
        }
        let (sy, sz) = (shape[2] as isize, (shape[1] * shape[2]) as isize);
        let p = pad.map(|v| v as isize);
        let mut row_offsets = Vec::new();
        for dz in -p[0]..=p[0] {
            for dy in -p[1]..=p[1] {
                row_offsets.push(dz * sz + dy * sy);
            }
        }
        Some(PaddedScope {
            data,
            row_offsets,
            shape,
            pad,
            max_level,
            n_voxels,
        })
    }

    /// Number of voxels of an image row of the scope (the bounding-box extent along x).
    pub fn row_len(&self) -> usize {
        self.shape[2] - 2 * self.pad[2]
    }

    /// Padding along x (the neighbourhood radius along x, clamped).
    pub fn pad_x(&self) -> usize {
        self.pad[2]
    }

    /// The padded grey levels (C order).
    pub fn data(&self) -> &[u32] {
        &self.data
    }

    /// Flat offsets, relative to a voxel, of the voxels at `(dz, dy, 0)` for every row
    /// `(dz, dy)` of its neighbourhood box (the voxel's own row, offset 0, included).
    pub fn row_offsets(&self) -> &[isize] {
        &self.row_offsets
    }

    /// Calls `f(levels, start)` for every image row of the scope that holds an ROI
    /// voxel, in memory order: `levels` are the row's grey levels (0 outside the ROI),
    /// `start` the flat index of its first voxel in [`Self::data`]. Every index
    /// `start + x + offset + dx` with `x < levels.len()`, `offset` from
    /// [`Self::row_offsets`] and `|dx| <= pad_x` is valid.
    pub fn for_each_row(&self, mut f: impl FnMut(&[u32], usize)) {
        let [pz, py, px] = self.pad;
        let [sz, sy, sx] = self.shape;
        let n = sx - 2 * px;
        for z in pz..sz - pz {
            for y in py..sy - py {
                let start = (z * sy + y) * sx + px;
                let levels = &self.data[start..start + n];
                if levels.iter().any(|&l| l != 0) {
                    f(levels, start);
                }
            }
        }
    }
}
