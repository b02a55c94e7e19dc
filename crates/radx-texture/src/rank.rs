//! The ROI's grey levels as ranks, cropped to its bounding box and optionally padded: the
//! shared input of the GLCM and GLRLM counting loops.

use ndarray::ArrayView3;

use crate::sparse::bounding_box;
use crate::Scope;

/// A level volume prepared for counting pairs (GLCM, `pad = 0`) or runs (GLRLM,
/// `pad = 1`), cropped to the bounding box of the ROI:
/// * grey levels replaced by their rank among the levels present plus one (0 outside the
///   ROI);
/// * in an array padded with `pad` voxels of 0 on every side, so that a run stops at the
///   border of the box as it stops at the border of the ROI, without bounds logic;
/// * with the extent of ROI voxels along x of every row, so that rows and row ends without
///   ROI voxels are skipped.
#[derive(Debug, Clone)]
pub struct RankVolume {
    /// Position `(z, y, x)` of the bounding box in the volume.
    pub origin: [usize; 3],
    /// Shape `(z, y, x)` of the bounding box (without padding).
    pub dim: (usize, usize, usize),
    /// Padding on every side.
    pub pad: usize,
    /// Rank + 1 of every voxel's grey level, 0 outside the ROI and in the padding, in C
    /// order over the padded box `(nz + 2 pad, ny + 2 pad, nx + 2 pad)`.
    pub ranks: Vec<u32>,
    /// Per row `z * ny + y` of the box: `[first, last + 1)` of the x of its ROI voxels
    /// (`(0, 0)` when it has none).
    pub rows: Vec<(usize, usize)>,
    /// `values[rank]`: the grey level of a rank, increasing.
    pub values: Vec<u32>,
    /// Number of ROI voxels of every slice of the box.
    pub slice_voxels: Vec<u64>,
}

/// Highest grey level for which ranks are looked up in a table rather than searched.
const DIRECT_LIMIT: usize = 1 << 16;

impl RankVolume {
    /// Prepares `levels` (0 outside the ROI, grey levels >= 1 inside) with `pad` voxels
    /// of padding.
    pub fn new(levels: &ArrayView3<u32>, pad: usize) -> Self {
        let full = levels.dim();
        let std = levels.as_standard_layout();
        let owned: Vec<u32>;
        let flat: &[u32] = match std.as_slice() {
            Some(s) => s,
            None => {
                owned = levels.iter().copied().collect();
                &owned
            }
        };
        let max = flat.iter().copied().max().unwrap_or(0) as usize;
        if max <= DIRECT_LIMIT.max(2 * flat.len()) {
            // table[level] = rank + 1 (0 for level 0)
            let mut present = vec![false; max + 1];
            for &l in flat {
                present[l as usize] = true;
            }
            let mut table = vec![0u32; max + 1];
            let mut values = Vec::new();
            for (l, &p) in present.iter().enumerate().skip(1) {
                if p {
                    values.push(l as u32);
                    table[l] = values.len() as u32;
                }
            }
            Self::fill(flat, full, pad, values, |l| table[l as usize])
        } else {
            // Very large grey levels (e.g. no discretisation of raw intensities): ranks
            // by binary search.
            let mut values: Vec<u32> = flat.iter().copied().filter(|&l| l > 0).collect();
            values.sort_unstable();
            values.dedup();
            let search = values.clone();
            Self::fill(flat, full, pad, values, move |l| {
                match search.binary_search(&l) {
                    Ok(r) if l > 0 => r as u32 + 1,
                    _ => 0,
                }
            })
        }
    }

    /// Crops the C-order levels `flat` of shape `full` to the ROI, ranks and pads them.
    fn fill(
        flat: &[u32],
        full: (usize, usize, usize),
        pad: usize,
        values: Vec<u32>,
        rank_of: impl Fn(u32) -> u32,
    ) -> Self {
        let (origin, [nz, ny, nx]) = bounding_box(flat, full);
        let (_, fy, fx) = full;
        let (py, px) = (ny + 2 * pad, nx + 2 * pad);
        let mut ranks = vec![0u32; (nz + 2 * pad) * py * px];
        let mut rows = vec![(0usize, 0usize); nz * ny];
        let mut slice_voxels = vec![0u64; nz];
        for z in 0..nz {
            for y in 0..ny {
                let src = ((origin[0] + z) * fy + origin[1] + y) * fx + origin[2];
                let base = ((z + pad) * py + y + pad) * px + pad;
                let out = &mut ranks[base..base + nx];
                for (o, &l) in out.iter_mut().zip(&flat[src..src + nx]) {
                    *o = rank_of(l);
                }
                let count = out.iter().filter(|&&a| a != 0).count();
                if count > 0 {
                    let first = out.iter().position(|&a| a != 0).unwrap_or(0);
                    let last = out.iter().rposition(|&a| a != 0).unwrap_or(first);
                    rows[z * ny + y] = (first, last + 1);
                }
                slice_voxels[z] += count as u64;
            }
        }
        RankVolume {
            origin,
            dim: (nz, ny, nx),
            pad,
            ranks,
            rows,
            values,
            slice_voxels,
        }
    }

    /// Number of grey levels present.
    pub fn n_ranks(&self) -> usize {
        self.values.len()
    }

    /// Flat index of voxel `(z, y, x)` of the box in the padded array.
    #[inline]
    pub fn index(&self, z: usize, y: usize, x: usize) -> usize {
        let (_, ny, nx) = self.dim;
        let p = self.pad;
        ((z + p) * (ny + 2 * p) + y + p) * (nx + 2 * p) + x + p
    }

    /// Range `[start, end)` of the box's slices that a scope covers.
    pub fn z_range(&self, scope: Scope) -> (usize, usize) {
        let nz = self.dim.0;
        match scope {
            Scope::Volume => (0, nz),
            Scope::Slice(z) if z >= self.origin[0] && z - self.origin[0] < nz => {
                (z - self.origin[0], z - self.origin[0] + 1)
            }
            Scope::Slice(_) => (0, 0),
        }
    }
}
