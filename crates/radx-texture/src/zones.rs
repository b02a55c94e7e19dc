//! Grey level zones: connected components of voxels with equal discretised grey level
//! (03_Image_features.rst, "Grey level size zone based features", *9SAK*).
//!
//! Two voxels are linked when they have the same grey level and lie within Chebyshev
//! distance `linkage` of each other (default 1: 26-connectedness in 3D, 8-connectedness
//! within a slice). A zone is a maximal set of voxels joined by such links.
//!
//! Zones are found with a two-pass union–find on a flat, zero-padded copy of the ROI's
//! bounding box: the padding (`linkage` voxels of background on each side of every
//! labelled axis) lets every neighbour be addressed by a constant flat offset, never
//! leaving the buffer nor wrapping across rows. The GLDZM uses the same layout for its
//! distance map. Results do not depend on the visiting order of neighbours: zones are
//! numbered by their first voxel in C order.

use crate::Scope;
use ndarray::{s, ArrayView3};

/// Geometry of a zero-padded flat copy of a box of a volume (or of one slice of it).
///
/// The box (`origin`, `inner`) is usually the bounding box of the ROI within the scope:
/// everything beyond it is outside the ROI, which the padding stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Index `(z, y, x)` in the source array of the box's first voxel.
    pub origin: [usize; 3],
    /// Extent `(z, y, x)` of the box (0 when the scope holds no ROI voxel).
    pub inner: [usize; 3],
    /// Padding on each side of each axis `(z, y, x)`; 0 along z for a slice.
    pub pad: [usize; 3],
    /// Padded shape `(z, y, x)`: `inner + 2 pad`.
    pub shape: [usize; 3],
    /// Whether the layout holds a single slice (neighbourhoods are in-plane).
    pub in_plane: bool,
}

/// A box `[lo, hi)` per axis `(z, y, x)`.
pub type BoundingBox = [[usize; 2]; 3];

/// The bounding box, within `scope`, of the voxels of `a` for which `inside` holds;
/// `None` when there is none.
pub fn bounding_box<T>(
    a: ArrayView3<T>,
    scope: Scope,
    inside: impl Fn(&T) -> bool,
) -> Option<BoundingBox> {
    let (z0, view) = match scope {
        Scope::Slice(z) => (z, a.slice_move(s![z..z + 1, .., ..])),
        Scope::Volume => (0, a),
    };
    let mut bb: Option<BoundingBox> = None;
    for (z, plane) in view.outer_iter().enumerate() {
        for (y, row) in plane.outer_iter().enumerate() {
            // a branch-free test first: most rows outside the ROI are skipped cheaply
            if !row.iter().fold(false, |a, v| a | inside(v)) {
                continue;
            }
            let first = row.iter().position(&inside);
            if let Some(first) = first {
                let last = row.len() - 1 - row.iter().rev().position(&inside).unwrap_or(0);
                let (z, y) = (z + z0, y);
                let b = bb.get_or_insert([[z, z + 1], [y, y + 1], [first, last + 1]]);
                b[0][1] = b[0][1].max(z + 1);
                b[1][0] = b[1][0].min(y);
                b[1][1] = b[1][1].max(y + 1);
                b[2][0] = b[2][0].min(first);
                b[2][1] = b[2][1].max(last + 1);
            }
        }
    }
    bb
}

/// The smallest box holding both (either may be absent).
pub fn union_box(a: Option<BoundingBox>, b: Option<BoundingBox>) -> Option<BoundingBox> {
    match (a, b) {
        (Some(a), Some(b)) => Some(std::array::from_fn(|k| {
            [a[k][0].min(b[k][0]), a[k][1].max(b[k][1])]
        })),
        (a, None) => a,
        (None, b) => b,
    }
}

impl Layout {
    /// The layout of box `bb` (`None`: an empty box) within `scope`, padded by `pad`
    /// voxels (in-plane only for a slice).
    pub fn new(bb: Option<BoundingBox>, scope: Scope, pad: usize) -> Self {
        let in_plane = matches!(scope, Scope::Slice(_));
        let (origin, inner) = match bb {
            Some(b) => (
                [b[0][0], b[1][0], b[2][0]],
                [b[0][1] - b[0][0], b[1][1] - b[1][0], b[2][1] - b[2][0]],
            ),
            None => ([0; 3], [0; 3]),
        };
        let pad = [if in_plane { 0 } else { pad }, pad, pad];
        Layout {
            origin,
            inner,
            pad,
            shape: std::array::from_fn(|k| inner[k] + 2 * pad[k]),
            in_plane,
        }
    }

    /// The layout of the whole `scope` of an array of shape `dim`.
    pub fn whole(dim: (usize, usize, usize), scope: Scope, pad: usize) -> Self {
        let (nz, ny, nx) = dim;
        let zr = match scope {
            Scope::Slice(z) => [z, z + 1],
            Scope::Volume => [0, nz],
        };
        Self::new(Some([zr, [0, ny], [0, nx]]), scope, pad)
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

    /// Flat index of the voxel at `(z, y, x)` of the source array, if it lies in the box.
    pub fn index_of(&self, zyx: [usize; 3]) -> Option<usize> {
        let mut p = [0; 3];
        for k in 0..3 {
            let d = zyx[k].checked_sub(self.origin[k])?;
            if d >= self.inner[k] {
                return None;
            }
            p[k] = d + self.pad[k];
        }
        Some(self.index(p[0], p[1], p[2]))
    }

    /// Calls `f(flat index)` for every voxel of the box, in C order.
    #[inline]
    pub fn for_each_interior(&self, mut f: impl FnMut(usize)) {
        let [pz, py, px] = self.pad;
        let [iz, iy, ix] = self.inner;
        for z in pz..pz + iz {
            for y in py..py + iy {
                let row = self.index(z, y, px);
                for i in row..row + ix {
                    f(i);
                }
            }
        }
    }

    /// The flat offsets `o > 0` such that voxel `i - o` is a neighbour of voxel `i`
    /// preceding it in C order, for neighbours at Chebyshev distance 1..=`reach` that
    /// `keep` accepts (called with `(dz, dy, dx)`), in C order. Offsets along z are
    /// excluded for an in-plane layout. `reach` must not exceed the padding.
    pub fn backward_offsets(
        &self,
        reach: usize,
        keep: impl Fn(isize, isize, isize) -> bool,
    ) -> Vec<usize> {
        backward_vectors(reach, self.in_plane)
            .into_iter()
            .filter(|d| keep(d[0], d[1], d[2]))
            .map(|d| self.offset(d))
            .collect()
    }

    /// Flat offset `o` with voxel `i - o` at `i + d`, for a `d` preceding `(0, 0, 0)`.
    fn offset(&self, d: [isize; 3]) -> usize {
        let [stz, sty, _] = self.strides();
        (-(d[0] * stz as isize + d[1] * sty as isize + d[2])) as usize
    }

    /// Copies the box of `a` into a padded flat buffer filled with `fill` elsewhere.
    pub fn pad_copy<T: Copy>(&self, a: ArrayView3<T>, fill: T) -> Vec<T> {
        let mut out = vec![fill; self.len()];
        let [oz, oy, ox] = self.origin;
        let [iz, iy, ix] = self.inner;
        if iz * iy * ix == 0 {
            return out;
        }
        let view = a.slice_move(s![oz..oz + iz, oy..oy + iy, ox..ox + ix]);
        let [pz, py, px] = self.pad;
        for (z, plane) in view.outer_iter().enumerate() {
            for (y, row) in plane.outer_iter().enumerate() {
                let base = self.index(z + pz, y + py, px);
                let dst = &mut out[base..base + ix];
                match row.as_slice() {
                    Some(src) => dst.copy_from_slice(src),
                    None => {
                        for (d, &v) in dst.iter_mut().zip(row.iter()) {
                            *d = v;
                        }
                    }
                }
            }
        }
        out
    }
}

/// The vectors `(dz, dy, dx)` within Chebyshev distance `reach` that precede
/// `(0, 0, 0)` in C order (in-plane only when `in_plane`), in C order.
fn backward_vectors(reach: usize, in_plane: bool) -> Vec<[isize; 3]> {
    let r = reach as isize;
    let rz = if in_plane { 0 } else { r };
    let mut out = Vec::new();
    for dz in -rz..=0 {
        for dy in -r..=r {
            for dx in -r..=r {
                if dz < 0 || (dz == 0 && (dy < 0 || (dy == 0 && dx < 0))) {
                    out.push([dz, dy, dx]);
                }
            }
        }
    }
    out
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

/// The effective linkage distance within box `bb`: any two voxels of the box lie
/// within Chebyshev distance (largest extent - 1) of each other (in-plane for a slice),
/// so a larger distance links exactly the same voxels. At least 1.
///
/// The work per voxel grows as the neighbourhood, `(2 linkage + 1)^3 / 2` neighbours in
/// 3D; the IBSI default (and advice) is linkage 1.
pub fn effective_linkage(bb: Option<BoundingBox>, scope: Scope, linkage: u32) -> usize {
    let extent = |k: usize| bb.map_or(0, |b| b[k][1] - b[k][0]);
    let largest = match scope {
        Scope::Slice(_) => extent(1).max(extent(2)),
        Scope::Volume => extent(0).max(extent(1)).max(extent(2)),
    };
    (linkage.max(1) as usize).min(largest.max(2) - 1)
}

/// The preceding half of a Chebyshev neighbourhood, ordered so that the neighbours
/// close to most others come first, with for each neighbour `k` the bit set `cover[k]`
/// of the other neighbours within linkage distance of it.
///
/// When voxel `i` is linked to neighbour `k`, every neighbour in `cover[k]` of the same
/// grey level is already in `k`'s zone: both precede `i`, so the later of the two was
/// linked to the earlier when it was visited (by induction over the C order). Those
/// neighbours need no link. In 3D at linkage 1, the voxel below `(-1, 0, 0)` covers
/// all 12 others, so a voxel inside a zone usually costs one link. Covering is used for
/// up to 64 neighbours (linkage <= 2 in 3D); beyond, every matching neighbour is linked.
struct BackwardNeighbourhood {
    offsets: Vec<usize>,
    cover: Vec<u64>,
}

impl BackwardNeighbourhood {
    fn new(layout: &Layout, reach: usize) -> Self {
        let r = reach as isize;
        let vecs = backward_vectors(reach, layout.in_plane);
        let near = |a: &[isize; 3], b: &[isize; 3]| {
            (0..3).map(|k| (a[k] - b[k]).abs()).max().unwrap_or(0) <= r
        };
        // Most-covering neighbours first (stable: ties in C order). Only small
        // neighbourhoods use covering; larger ones stay in C order.
        let mut order: Vec<[isize; 3]> = vecs.clone();
        if vecs.len() <= 64 {
            let count = |a: &[isize; 3]| vecs.iter().filter(|b| near(a, b)).count();
            order.sort_by_key(|a| std::cmp::Reverse(count(a)));
        }
        let offsets = order.iter().map(|&d| layout.offset(d)).collect();
        let cover = order
            .iter()
            .map(|a| {
                if order.len() > 64 {
                    return 0;
                }
                order
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| near(a, b))
                    .fold(0u64, |m, (j, _)| m | (1u64 << j))
            })
            .collect();
        BackwardNeighbourhood { offsets, cover }
    }
}

/// Links voxel `i` (current root `root`) with neighbour `n` of equal grey level;
/// returns the new root. Both roots precede or equal `i`; the smaller is kept.
#[inline]
fn link(parent: &mut [u32], root: u32, n: usize) -> u32 {
    if parent[n] == root {
        return root; // already linked directly to our root
    }
    let rn = find(parent, n as u32);
    let (lo, hi) = if rn < root { (rn, root) } else { (root, rn) };
    parent[hi as usize] = lo;
    lo
}

/// First pass for a neighbourhood of exactly `N <= 16` neighbours (the usual 13 in 3D
/// and 4 in-plane at linkage 1), row by row: the comparisons of a whole row with each
/// neighbour are made in one vectorisable sweep into a bit mask per voxel; then each
/// ROI voxel links once per matching neighbour not covered by an earlier link (usually
/// once or twice). Returns the number of ROI voxels.
fn first_pass<const N: usize>(
    layout: &Layout,
    lv: &[u32],
    parent: &mut [u32],
    hood: &BackwardNeighbourhood,
) -> u64 {
    debug_assert!(N <= 16 && hood.offsets.len() == N);
    let offsets: [usize; N] = std::array::from_fn(|k| hood.offsets[k]);
    let cover: [u32; N] = std::array::from_fn(|k| hood.cover[k] as u32);
    let [pz, py, px] = layout.pad;
    let [iz, iy, ix] = layout.inner;
    let mut mask = vec![0u32; ix];
    let mut n_voxels = 0u64;
    for z in pz..pz + iz {
        for y in py..py + iy {
            let start = layout.index(z, y, px);
            let row = &lv[start..start + ix];
            if row.iter().all(|&l| l == 0) {
                continue;
            }
            mask.fill(0);
            for (k, &o) in offsets.iter().enumerate() {
                let nb = &lv[start - o..start - o + ix];
                mark_equal(&mut mask, row, nb, 1u32 << k);
            }
            for (x, (&l, &m)) in row.iter().zip(&mask).enumerate() {
                if l == 0 {
                    continue;
                }
                let i = start + x;
                n_voxels += 1;
                // `i` is no one's parent yet, so its own entry is written once, at the end
                let mut matches = m;
                let mut root = i as u32;
                while matches != 0 {
                    let k = matches.trailing_zeros() as usize;
                    matches &= !cover[k];
                    root = link(parent, root, i - offsets[k]);
                }
                parent[i] = root;
            }
        }
    }
    n_voxels
}

/// Sets `bit` in `mask[x]` where `row[x] == nb[x]`. A function of its own so that the
/// slices are known not to overlap and the loop vectorises (compare, and, or lane-wise).
#[inline(never)]
fn mark_equal(mask: &mut [u32], row: &[u32], nb: &[u32], bit: u32) {
    for ((m, &a), &b) in mask.iter_mut().zip(row).zip(nb) {
        *m |= if a == b { bit } else { 0 };
    }
}

/// As [`first_pass`], for any neighbourhood of at most 64 neighbours.
fn first_pass_masked(
    layout: &Layout,
    lv: &[u32],
    parent: &mut [u32],
    hood: &BackwardNeighbourhood,
) -> u64 {
    let mut n_voxels = 0u64;
    layout.for_each_interior(|i| {
        let l = lv[i];
        if l == 0 {
            return;
        }
        n_voxels += 1;
        parent[i] = i as u32;
        let mut matches = 0u64;
        for (k, &o) in hood.offsets.iter().enumerate() {
            matches |= ((lv[i - o] == l) as u64) << k;
        }
        let mut root = i as u32;
        while matches != 0 {
            let k = matches.trailing_zeros() as usize;
            matches &= !hood.cover[k];
            root = link(parent, root, i - hood.offsets[k]);
        }
    });
    n_voxels
}

/// First pass for large neighbourhoods (linkage >= 3): every matching neighbour linked.
fn first_pass_plain(
    layout: &Layout,
    lv: &[u32],
    parent: &mut [u32],
    hood: &BackwardNeighbourhood,
) -> u64 {
    let mut n_voxels = 0u64;
    layout.for_each_interior(|i| {
        let l = lv[i];
        if l == 0 {
            return;
        }
        n_voxels += 1;
        parent[i] = i as u32;
        let mut root = i as u32;
        for &o in &hood.offsets {
            if lv[i - o] == l {
                root = link(parent, root, i - o);
            }
        }
    });
    n_voxels
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
/// levels within Chebyshev distance `linkage` (in-plane for a slice), on a padded copy of
/// the ROI's bounding box.
pub fn find_zones(levels: ArrayView3<u32>, scope: Scope, linkage: u32) -> Zones {
    let bb = bounding_box(levels, scope, |&l| l > 0);
    find_zones_in(levels, scope, linkage, bb)
}

/// As [`find_zones`], on a padded copy of box `bb` (which must hold every ROI voxel of
/// the scope; `None` when there is none). Voxels are numbered with `u32`: the padded box
/// may hold up to `u32::MAX - 1` voxels (a 1600-voxel cube).
///
/// Two passes over the voxels in C order: the first unites each ROI voxel with its
/// preceding neighbours of equal grey level, always keeping the smaller flat index as
/// the root, so every voxel's parent precedes it; the second numbers the roots and
/// gives every other voxel its parent's (already final) zone number.
pub fn find_zones_in(
    levels: ArrayView3<u32>,
    scope: Scope,
    linkage: u32,
    bb: Option<BoundingBox>,
) -> Zones {
    let reach = effective_linkage(bb, scope, linkage);
    let layout = Layout::new(bb, scope, reach);
    let lv = layout.pad_copy(levels, 0u32);
    let hood = BackwardNeighbourhood::new(&layout, reach);
    debug_assert!(
        layout.len() < NO_ZONE as usize,
        "box too large for u32 indices"
    );
    let mut parent = vec![NO_ZONE; layout.len()];
    let n_voxels = match hood.offsets.len() {
        // the usual neighbourhoods: 3D and in-plane at linkage 1
        13 => first_pass::<13>(&layout, &lv, &mut parent, &hood),
        4 => first_pass::<4>(&layout, &lv, &mut parent, &hood),
        12 => first_pass::<12>(&layout, &lv, &mut parent, &hood),
        n if n <= 64 => first_pass_masked(&layout, &lv, &mut parent, &hood),
        _ => first_pass_plain(&layout, &lv, &mut parent, &hood),
    };
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
        assert_eq!(z.zone_size, vec![9]);
        assert_eq!(z.n_voxels, 9);
        // slices are independent in 2D, linked in 3D
        let b = Array3::from_shape_vec((2, 1, 2), vec![1, 0, 0, 1]).unwrap();
        assert_eq!(zones_of(&b, Scope::Slice(0), 1), vec![(1, 1)]);
        assert_eq!(zones_of(&b, Scope::Slice(1), 1), vec![(1, 1)]);
        assert_eq!(zones_of(&b, Scope::Volume, 1), vec![(1, 2)]);
    }

    #[test]
    fn offsets_are_half_neighbourhoods() {
        let l = Layout::whole((3, 3, 3), Scope::Volume, 1);
        assert_eq!(l.backward_offsets(1, |_, _, _| true).len(), 13);
        let l = Layout::whole((3, 3, 3), Scope::Slice(1), 1);
        assert_eq!(l.backward_offsets(1, |_, _, _| true).len(), 4);
        let l = Layout::whole((5, 5, 5), Scope::Volume, 2);
        assert_eq!(l.backward_offsets(2, |_, _, _| true).len(), 62);
    }

    #[test]
    fn bounding_boxes() {
        let mut a = Array3::<u32>::zeros((3, 4, 5));
        assert_eq!(bounding_box(a.view(), Scope::Volume, |&l| l > 0), None);
        a[[1, 2, 3]] = 1;
        a[[2, 1, 1]] = 4;
        assert_eq!(
            bounding_box(a.view(), Scope::Volume, |&l| l > 0),
            Some([[1, 3], [1, 3], [1, 4]])
        );
        assert_eq!(
            bounding_box(a.view(), Scope::Slice(2), |&l| l > 0),
            Some([[2, 3], [1, 2], [1, 2]])
        );
        assert_eq!(bounding_box(a.view(), Scope::Slice(0), |&l| l > 0), None);
        let l = Layout::new(Some([[1, 3], [1, 3], [1, 4]]), Scope::Volume, 1);
        assert_eq!(l.shape, [4, 4, 5]);
        assert_eq!(l.index_of([1, 1, 1]), Some(l.index(1, 1, 1)));
        assert_eq!(l.index_of([0, 1, 1]), None);
        let buf = l.pad_copy(a.view(), 0);
        assert_eq!(buf[l.index_of([1, 2, 3]).unwrap()], 1);
        assert_eq!(buf.iter().filter(|&&v| v > 0).count(), 2);
    }
}
