//! Chebyshev neighbourhoods on a flat, zero-padded copy of the grey levels of one scope
//! (one slice with in-plane neighbourhoods, or the whole volume).
//!
//! The ROI voxels of the scope are copied, within their bounding box, into a buffer
//! padded with zeros (grey level 0 = outside the ROI) so that every neighbour of an ROI
//! voxel is a valid index: a neighbour is then read as `data[i + offset]` with one
//! precomputed flat offset per neighbourhood position, with no bounds test per axis.
//!
//! The padding along an axis is the distance `delta` clamped to the bounding-box extent
//! minus one: a neighbour further away along that axis lies outside the bounding box,
//! hence outside the ROI, and would not count anyway.

use radx_texture::{LevelVolume, Scope};

/// The grey levels of one scope, copied into a zero-padded flat buffer (C order).
pub(crate) struct PaddedScope {
    /// Grey levels, 0 outside the ROI (and in the padding).
    pub data: Vec<u32>,
    /// Flat offsets of the neighbourhood positions (centre excluded).
    pub offsets: Vec<isize>,
    /// Padded shape (z, y, x).
    pub shape: [usize; 3],
    /// Padding along (z, y, x); the ROI voxels lie in `pad[a]..shape[a] - pad[a]`.
    pub pad: [usize; 3],
    /// Highest grey level found in the scope.
    pub max_level: u32,
    /// Number of ROI voxels in the scope.
    pub n_voxels: u64,
}

impl PaddedScope {
    /// The scope's ROI voxels with a Chebyshev neighbourhood of radius `delta` (in-plane
    /// for a slice, 3D for the volume); `None` when the scope holds no ROI voxel.
    pub fn new(vol: &LevelVolume, scope: Scope, delta: u32) -> Option<Self> {
        let (nz, ny, nx) = vol.levels.dim();
        let (z0, z1) = match scope {
            Scope::Slice(z) if z < nz => (z, z + 1),
            Scope::Slice(_) => return None,
            Scope::Volume => (0, nz),
        };
        // Bounding box of the ROI voxels within the scope.
        let mut lo = [usize::MAX; 3];
        let mut hi = [0usize; 3];
        let mut n_voxels = 0u64;
        let mut max_level = 0u32;
        for z in z0..z1 {
            for y in 0..ny {
                for x in 0..nx {
                    let l = vol.levels[[z, y, x]];
                    if l > 0 {
                        n_voxels += 1;
                        max_level = max_level.max(l);
                        for (a, v) in [z, y, x].into_iter().enumerate() {
                            lo[a] = lo[a].min(v);
                            hi[a] = hi[a].max(v);
                        }
                    }
                }
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
        for z in 0..ext[0] {
            for y in 0..ext[1] {
                let dst = ((z + pad[0]) * shape[1] + y + pad[1]) * shape[2] + pad[2];
                let row = &mut data[dst..dst + ext[2]];
                for (x, out) in row.iter_mut().enumerate() {
                    *out = vol.levels[[z + lo[0], y + lo[1], x + lo[2]]];
                }
            }
        }
        let (sy, sz) = (shape[2] as isize, (shape[1] * shape[2]) as isize);
        let p = pad.map(|v| v as isize);
        let mut offsets = Vec::new();
        for dz in -p[0]..=p[0] {
            for dy in -p[1]..=p[1] {
                for dx in -p[2]..=p[2] {
                    if (dz, dy, dx) != (0, 0, 0) {
                        offsets.push(dz * sz + dy * sy + dx);
                    }
                }
            }
        }
        Some(PaddedScope {
            data,
            offsets,
            shape,
            pad,
            max_level,
            n_voxels,
        })
    }

    /// Calls `f(index, level)` for every ROI voxel of the scope, in memory order.
    #[inline]
    pub fn for_each_voxel(&self, mut f: impl FnMut(usize, u32)) {
        let [pz, py, px] = self.pad;
        let [sz, sy, sx] = self.shape;
        for z in pz..sz - pz {
            for y in py..sy - py {
                let start = (z * sy + y) * sx + px;
                let end = start + sx - 2 * px;
                for (i, &l) in self.data[start..end].iter().enumerate() {
                    if l > 0 {
                        f(start + i, l);
                    }
                }
            }
        }
    }
}
