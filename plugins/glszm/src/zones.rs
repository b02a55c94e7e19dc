//! Grey level zones: connected components of voxels with equal discretised grey level
//! (03_Image_features.rst, "Grey level size zone based features", *9SAK*).
//!
//! Two voxels are linked when they have the same grey level and lie within Chebyshev
//! distance `linkage` of each other (default 1: 26-connectedness in 3D, 8-connectedness
//! within a slice). A zone is a maximal set of voxels joined by such links.
//!
//! Zones are found with a two-pass union–find on a flat, zero-padded copy of the grey
//! levels: the padding (`linkage` voxels of background on each side of every labelled
//! axis) lets every neighbour be addressed by a constant flat offset without bounds
//! checks. The GLDZM uses the same layout for its distance map.

use ndarray::{s, ArrayView3};
use radx_texture::Scope;

/// Geometry of a zero-padded flat copy of a volume, or of one slice of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Padded shape `(z, y, x)`.
    pub shape: [usize; 3],
    /// Padding on each side of each axis `(z, y, x)`; 0 along z for a slice.
    pub pad: [usize; 3],
    /// Whether the layout holds a single slice (neighbourhoods are in-plane).
    pub in_plane: bool,
}

impl Layout {
    /// The layout of `scope` of an array of shape `dim`, padded by `pad` voxels.
    pub fn new(dim: (usize, usize, usize), scope: Scope, pad: usize) -> Self {
        let (nz, ny, nx) = dim;
        match scope {
            Scope::Slice(_) => Layout {
                shape: [1, ny + 2 * pad, nx + 2 * pad],
                pad: [0, pad, pad],
                in_plane: true,
            },
            Scope::Volume => Layout {
                shape: [nz + 2 * pad, ny + 2 * pad, nx + 2 * pad],
                pad: [pad, pad, pad],
                in_plane: false,
            },
        }
    }

    /// Number of voxels of the padded buffer.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the padded buffer holds no voxel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Flat strides `(z, y, x)` of the padded buffer.
    pub fn strides(&self) -> [usize; 3] {
        [self.shape[1] * self.shape[2], self.shape[2], 1]
    }

    /// Flat index of padded coordinates `(z, y, x)`.
    #[inline]
    pub fn index(&self, z: usize, y: usize, x: usize) -> usize {
        (z * self.shape[1] + y) * self.shape[2] + x
    }

    /// Calls `f(flat index)` for every voxel of the unpadded interior, in C order.
    #[inline]
    pub fn for_each_interior(&self, mut f: impl FnMut(usize)) {
        let [pz, py, px] = self.pad;
        let [sz, sy, sx] = self.shape;
        for z in pz..sz - pz {
            for y in py..sy - py {
                let row = self.index(z, y, 0);
                for x in px..sx - px {
                    f(row + x);
                }
            }
        }
    }

    /// Calls `f(flat index)` for every voxel of the unpadded interior, in reverse C order.
    #[inline]
    pub fn for_each_interior_rev(&self, mut f: impl FnMut(usize)) {
        let [pz, py, px] = self.pad;
        let [sz, sy, sx] = self.shape;
        for z in (pz..sz - pz).rev() {
            for y in (py..sy - py).rev() {
                let row = self.index(z, y, 0);
                for x in (px..sx - px).rev() {
                    f(row + x);
                }
            }
        }
    }

    /// The flat offsets `o > 0` such that voxel `i - o` is a neighbour of voxel `i`
    /// preceding it in C order, for neighbours at distance 1..=`reach` under `keep`
    /// (called with `(dz, dy, dx)`; e.g. Chebyshev keeps every offset). Offsets along z
    /// are excluded for an in-plane layout. `reach` must not exceed the padding.
    pub fn backward_offsets(&self, reach: usize, keep: impl Fn(isize, isize, isize) -> bool) -> Vec<usize> {
        let r = reach as isize;
        let rz = if self.in_plane { 0 } else { r };
        let [stz, sty, _] = self.strides();
        let mut out = Vec::new();
        for dz in -rz..=0 {
            for dy in -r..=r {
                for dx in -r..=r {
                    // strictly before (0, 0, 0) in C order
                    let before = dz < 0 || (dz == 0 && (dy < 0 || (dy == 0 && dx < 0)));
                    if before && keep(dz, dy, dx) {
                        let o = -(dz * stz as isize + dy * sty as isize + dx);
                        out.push(o as usize);
                    }
                }
            }
        }
        out
    }

    /// Copies `scope` of `a` into a padded flat buffer filled with `fill` elsewhere.
    pub fn pad_copy<T: Copy>(&self, a: ArrayView3<T>, scope: Scope, fill: T) -> Vec<T> {
        let mut out = vec![fill; self.len()];
        let view = match scope {
            Scope::Slice(z) => a.slice_move(s![z..z + 1, .., ..]),
            Scope::Volume => a,
        };
        let [pz, py, px] = self.pad;
        for (z, plane) in view.outer_iter().enumerate() {
            for (y, row) in plane.outer_iter().enumerate() {
                let base = self.index(z + pz, y + py, px);
                let dst = &mut out[base..base + row.len()];
                for (d, &v) in dst.iter_mut().zip(row.iter()) {
                    *d = v;
                }
            }
        }
        out
    }
}

/// Marker of a voxel outside every zone.
pub const NO_ZONE: u32 = u32::MAX;

/// The zones of one slice or of the volume.
#[derive(Clone, Debug)]
pub struct Zones {
    /// Geometry of the padded buffers below.
    pub layout: Layout,
    /// Grey level per padded voxel (0 outside the ROI intensity mask and in the padding).
    pub levels: Vec<u32>,
    /// Zone index per padded voxel, [`NO_ZONE`] outside the ROI. Zones are numbered in
    /// the C order of their first voxel.
    pub zone: Vec<u32>,
    /// Grey level of each zone.
    pub zone_level: Vec<u32>,
    /// Number of voxels of each zone.
    pub zone_size: Vec<u32>,
    /// Number of ROI voxels `N_v` in the scope.
    pub n_voxels: u64,
}

/// The effective linkage distance for an array of shape `dim`: a distance beyond the
/// array's largest extent links exactly the same voxels as that extent.
pub fn effective_linkage(dim: (usize, usize, usize), scope: Scope, linkage: u32) -> usize {
    let (nz, ny, nx) = dim;
    let extent = match scope {
        Scope::Slice(_) => ny.max(nx),
        Scope::Volume => nz.max(ny).max(nx),
    };
    (linkage.max(1) as usize).min(extent.max(2) - 1)
}

#[inline]
fn find(parent: &mut [u32], mut a: u32) -> u32 {
    // path halving
    while parent[a as usize] != a {
        let g = parent[parent[a as usize] as usize];
        parent[a as usize] = g;
        a = g;
    }
    a
}

/// Finds the zones of `levels` (0 = outside the ROI) within `scope`, linking equal grey
/// levels within Chebyshev distance `linkage` (in-plane for a slice).
///
/// Two passes over the voxels in C order: the first unites each ROI voxel with its
/// preceding neighbours of equal grey level, always keeping the smaller flat index as
/// the root, so every voxel's parent precedes it; the second numbers the roots and
/// gives every other voxel its parent's (already final) zone number.
pub fn find_zones(levels: ArrayView3<u32>, scope: Scope, linkage: u32) -> Zones {
    let reach = effective_linkage(levels.dim(), scope, linkage);
    let layout = Layout::new(levels.dim(), scope, reach);
    let lv = layout.pad_copy(levels, scope, 0u32);
    let offsets = layout.backward_offsets(reach, |_, _, _| true);
    let mut parent = vec![NO_ZONE; layout.len()];
    let mut n_voxels = 0u64;
    layout.for_each_interior(|i| {
        let l = lv[i];
        if l == 0 {
            return;
        }
        n_voxels += 1;
        let me = i as u32;
        parent[i] = me;
        let mut root = me;
        for &o in &offsets {
            let n = i - o;
            if lv[n] == l {
                let rn = find(&mut parent, n as u32);
                if rn != root {
                    // both roots precede or equal `me`; keep the smaller
                    let (lo, hi) = if rn < root { (rn, root) } else { (root, rn) };
                    parent[hi as usize] = lo;
                    root = lo;
                }
            }
        }
    });
    let mut zone_level = Vec::new();
    let mut zone_size: Vec<u32> = Vec::new();
    // Second pass, in place: `parent[p]` for p < i already holds p's zone number.
    layout.for_each_interior(|i| {
        let p = parent[i];
        if p == NO_ZONE {
            return;
        }
        let z = if p as usize == i {
            zone_level.push(lv[i]);
            zone_size.push(0);
            (zone_size.len() - 1) as u32
        } else {
            parent[p as usize]
        };
        parent[i] = z;
        zone_size[z as usize] += 1;
    });
    Zones {
        layout,
        levels: lv,
        zone: parent,
        zone_level,
        zone_size,
        n_voxels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    fn zones_of(a: &Array3<u32>, scope: Scope, linkage: u32) -> Vec<(u32, u32)> {
        let z = find_zones(a.view(), scope, linkage);
        let mut v: Vec<(u32, u32)> = z
            .zone_level
            .iter()
            .copied()
            .zip(z.zone_size.iter().copied())
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn diagonal_links_under_chebyshev_one() {
        // 1 0
        // 0 1   -> one zone of size 2 (8-connectedness)
        let a = Array3::from_shape_vec((1, 2, 2), vec![1, 0, 0, 1]).unwrap();
        assert_eq!(zones_of(&a, Scope::Slice(0), 1), vec![(1, 2)]);
        assert_eq!(zones_of(&a, Scope::Volume, 1), vec![(1, 2)]);
    }

    #[test]
    fn linkage_two_bridges_a_gap() {
        let a = Array3::from_shape_vec((1, 1, 4), vec![2, 1, 2, 2]).unwrap();
        assert_eq!(zones_of(&a, Scope::Volume, 1), vec![(1, 1), (2, 1), (2, 2)]);
        assert_eq!(zones_of(&a, Scope::Volume, 2), vec![(1, 1), (2, 3)]);
    }

    #[test]
    fn u_shape_merges_late() {
        // Two arms joined only at the bottom row: the union must relabel.
        let a = Array3::from_shape_vec(
            (1, 3, 5),
            vec![
                1, 0, 0, 0, 1, //
                1, 0, 0, 0, 1, //
                1, 1, 1, 1, 1,
            ],
        )
        .unwrap();
        let z = find_zones(a.view(), Scope::Slice(0), 1);
        assert_eq!(z.zone_size, vec![7]);
        assert_eq!(z.n_voxels, 7);
        // slices are independent in 2D, linked in 3D
        let b = Array3::from_shape_vec((2, 1, 2), vec![1, 0, 0, 1]).unwrap();
        assert_eq!(zones_of(&b, Scope::Slice(0), 1), vec![(1, 1)]);
        assert_eq!(zones_of(&b, Scope::Slice(1), 1), vec![(1, 1)]);
        assert_eq!(zones_of(&b, Scope::Volume, 1), vec![(1, 2)]);
    }

    #[test]
    fn offsets_are_half_neighbourhoods() {
        let l = Layout::new((3, 3, 3), Scope::Volume, 1);
        assert_eq!(l.backward_offsets(1, |_, _, _| true).len(), 13);
        let l = Layout::new((3, 3, 3), Scope::Slice(1), 1);
        assert_eq!(l.backward_offsets(1, |_, _, _| true).len(), 4);
        let l = Layout::new((5, 5, 5), Scope::Volume, 2);
        assert_eq!(l.backward_offsets(2, |_, _, _| true).len(), 62);
    }
}
