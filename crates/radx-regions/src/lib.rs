//! Region algebra on masks: the operations that derive a region from an ROI (issue #20.1),
//! with distances in mm on anisotropic voxels through the exact Euclidean distance
//! transform ([`edt`], shared with radx-perturb's contour and volume perturbations).
//!
//! Masks are `(z, y, x)` boolean arrays on one grid of spacing `spacing_zyx` (mm).
//! Distances are between voxel centres. Voxels outside the grid are not part of any
//! region: a dilation stops at the grid's edge, and an erosion measures the distance to
//! the background voxels of the grid only (a region touching the edge is not eroded from
//! that side).
//!
//! With `d_A(v)` the distance from voxel `v` to the nearest voxel of region `A`
//! (0 inside `A`) and `ε` = [`DISTANCE_TOLERANCE_MM2`]:
//!
//! * dilation by `r`: `{v : d_A(v)² ≤ r² + ε}`;
//! * erosion by `r`: `{v : d_{Aᶜ}(v)² > r² + ε}` (the complement of the dilation of the
//!   complement: the two are exact duals, so dilating then eroding by the same `r`
//!   contains the original region);
//! * outer ring from `r1` to `r2` (peri-lesional shell): `{v : r1² + ε < d_A(v)² ≤ r2² + ε}`
//!   = dilation by `r2` minus dilation by `r1` (with `r1 = 0`: minus `A`);
//! * inner rim of depth `r`: `A` minus its erosion by `r`;
//! * fill holes: background components (6-connected) that do not touch the grid's edge
//!   join the region;
//! * components are 26-connected; the largest is the one with most voxels (a tie: the one
//!   whose first voxel in C order comes first); small components are those under a volume
//!   in mm³ (voxel count × voxel volume).
//!
//! Must not: read files, know about settings or features (radx-pipeline applies the
//! derivations a manifest asks for).

pub mod edt;

use ndarray::{Array3, Zip};

/// Squared distances within this many mm² of a radius count as on it: exact ties (a voxel
/// centre exactly `r` away) must not be lost to floating-point round-off.
pub const DISTANCE_TOLERANCE_MM2: f64 = 1e-9;

fn shape(mask: &Array3<bool>) -> [usize; 3] {
    let s = mask.shape();
    [s[0], s[1], s[2]]
}

/// Squared distance (mm²) from every voxel to the nearest voxel where `feature` is true
/// (`∞` everywhere when there is none).
pub fn squared_distance(feature: &Array3<bool>, spacing_zyx: [f64; 3]) -> Array3<f64> {
    let sh = shape(feature);
    let flat: Vec<bool> = feature.iter().copied().collect();
    let d = edt::squared_edt(&flat, sh, spacing_zyx);
    Array3::from_shape_vec((sh[0], sh[1], sh[2]), d).expect("one value per voxel")
}

/// The bounding box of the region widened by `margin` voxels per axis, clipped to the
/// grid: `(start, end)` (end exclusive); `None` for an empty region.
fn window(mask: &Array3<bool>, margin: [usize; 3]) -> Option<([usize; 3], [usize; 3])> {
    let sh = shape(mask);
    let mut lo = sh;
    let mut hi = [0usize; 3];
    for ((z, y, x), &m) in mask.indexed_iter() {
        if m {
            for (a, v) in [z, y, x].into_iter().enumerate() {
                lo[a] = lo[a].min(v);
                hi[a] = hi[a].max(v + 1);
            }
        }
    }
    if hi[0] == 0 {
        return None;
    }
    let start = [0, 1, 2].map(|a| lo[a].saturating_sub(margin[a]));
    let end = [0, 1, 2].map(|a| (hi[a] + margin[a]).min(sh[a]));
    Some((start, end))
}

/// `keep(d²)` for every voxel, `d` its distance to the region, computed only on the
/// region's bounding box widened by `reach_mm` (and one voxel): outside it every
/// distance exceeds `reach_mm`, where `keep` must be false.
fn near_region(
    mask: &Array3<bool>,
    reach_mm: f64,
    spacing_zyx: [f64; 3],
    keep: impl Fn(f64) -> bool,
) -> Array3<bool> {
    let sh = shape(mask);
    let mut out = Array3::from_elem((sh[0], sh[1], sh[2]), false);
    let margin = [0, 1, 2].map(|a| (reach_mm / spacing_zyx[a]).ceil() as usize + 1);
    let Some((s, e)) = window(mask, margin) else {
        return out;
    };
    let sl = ndarray::s![s[0]..e[0], s[1]..e[1], s[2]..e[2]];
    let sub = mask.slice(sl).to_owned();
    let d = squared_distance(&sub, spacing_zyx);
    out.slice_mut(sl).assign(&d.mapv(keep));
    out
}

/// Dilation by `r_mm` (≥ 0): every voxel within `r_mm` of the region.
pub fn dilate(mask: &Array3<bool>, r_mm: f64, spacing_zyx: [f64; 3]) -> Array3<bool> {
    let lim = r_mm * r_mm + DISTANCE_TOLERANCE_MM2;
    near_region(mask, r_mm, spacing_zyx, |d| d <= lim)
}

/// Erosion by `r_mm` (≥ 0): the voxels of the region farther than `r_mm` from every
/// background voxel of the grid. Computed on the region's bounding box widened by one
/// voxel: for a voxel inside the box, the nearest background voxel outside the box is
/// never nearer than one of the widened box's border layer (clamping its coordinates into
/// the box shortens every axis difference).
pub fn erode(mask: &Array3<bool>, r_mm: f64, spacing_zyx: [f64; 3]) -> Array3<bool> {
    let lim = r_mm * r_mm + DISTANCE_TOLERANCE_MM2;
    let sh = shape(mask);
    let mut out = Array3::from_elem((sh[0], sh[1], sh[2]), false);
    let Some((s, e)) = window(mask, [1; 3]) else {
        return out;
    };
    let sl = ndarray::s![s[0]..e[0], s[1]..e[1], s[2]..e[2]];
    let background = mask.slice(sl).mapv(|m| !m);
    let d = squared_distance(&background, spacing_zyx);
    out.slice_mut(sl).assign(&d.mapv(|d| d > lim));
    out
}

/// The outer ring (shell) from `r1_mm` to `r2_mm` around the region (0 ≤ r1 < r2):
/// voxels whose distance to the region is in `(r1, r2]`.
pub fn outer_ring(
    mask: &Array3<bool>,
    r1_mm: f64,
    r2_mm: f64,
    spacing_zyx: [f64; 3],
) -> Array3<bool> {
    let lo = r1_mm * r1_mm + DISTANCE_TOLERANCE_MM2;
    let hi = r2_mm * r2_mm + DISTANCE_TOLERANCE_MM2;
    near_region(mask, r2_mm, spacing_zyx, |d| d > lo && d <= hi)
}

/// The inner rim of depth `r_mm`: the voxels of the region within `r_mm` of a background
/// voxel of the grid (the region minus its erosion by `r_mm`).
pub fn inner_rim(mask: &Array3<bool>, r_mm: f64, spacing_zyx: [f64; 3]) -> Array3<bool> {
    let eroded = erode(mask, r_mm, spacing_zyx);
    difference(mask, &eroded)
}

/// `a ∪ b`.
pub fn union(a: &Array3<bool>, b: &Array3<bool>) -> Array3<bool> {
    Zip::from(a).and(b).map_collect(|&x, &y| x || y)
}

/// `a ∩ b`.
pub fn intersection(a: &Array3<bool>, b: &Array3<bool>) -> Array3<bool> {
    Zip::from(a).and(b).map_collect(|&x, &y| x && y)
}

/// `a \ b`.
pub fn difference(a: &Array3<bool>, b: &Array3<bool>) -> Array3<bool> {
    Zip::from(a).and(b).map_collect(|&x, &y| x && !y)
}

/// The voxels of the region whose intensity lies in `[lo, hi]` (an absent bound is open).
pub fn intensity_window(
    mask: &Array3<bool>,
    image: &Array3<f64>,
    lo: Option<f64>,
    hi: Option<f64>,
) -> Array3<bool> {
    Zip::from(mask)
        .and(image)
        .map_collect(|&m, &v| m && lo.is_none_or(|l| v >= l) && hi.is_none_or(|h| v <= h))
}

/// Connected components: a label per voxel (0 outside `mask`, components numbered from 1
/// in the C order of their first voxel) and each component's voxel count (index = label
/// − 1). `full` connectivity: 26 neighbours; else 6.
pub fn components(mask: &Array3<bool>, full: bool) -> (Array3<u32>, Vec<usize>) {
    let [nz, ny, nx] = shape(mask);
    let mut labels = Array3::<u32>::zeros((nz, ny, nx));
    let mut sizes = Vec::new();
    let mut stack: Vec<[usize; 3]> = Vec::new();
    let offsets: Vec<[isize; 3]> = {
        let mut v = Vec::new();
        for dz in -1isize..=1 {
            for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    let n = dz.abs() + dy.abs() + dx.abs();
                    if n == 0 || (!full && n > 1) {
                        continue;
                    }
                    v.push([dz, dy, dx]);
                }
            }
        }
        v
    };
    for ((z, y, x), &m) in mask.indexed_iter() {
        if !m || labels[[z, y, x]] != 0 {
            continue;
        }
        let id = sizes.len() as u32 + 1;
        let mut count = 0usize;
        labels[[z, y, x]] = id;
        stack.push([z, y, x]);
        while let Some(p) = stack.pop() {
            count += 1;
            for o in &offsets {
                let q = [
                    p[0] as isize + o[0],
                    p[1] as isize + o[1],
                    p[2] as isize + o[2],
                ];
                if q[0] < 0
                    || q[1] < 0
                    || q[2] < 0
                    || q[0] >= nz as isize
                    || q[1] >= ny as isize
                    || q[2] >= nx as isize
                {
                    continue;
                }
                let q = [q[0] as usize, q[1] as usize, q[2] as usize];
                if mask[q] && labels[q] == 0 {
                    labels[q] = id;
                    stack.push(q);
                }
            }
        }
        sizes.push(count);
    }
    (labels, sizes)
}

/// The region with its holes filled: background components (6-connected) that do not
/// touch the grid's edge join it.
pub fn fill_holes(mask: &Array3<bool>) -> Array3<bool> {
    let [nz, ny, nx] = shape(mask);
    let background = mask.mapv(|m| !m);
    let (labels, sizes) = components(&background, false);
    let mut touches = vec![false; sizes.len() + 1];
    for ((z, y, x), &l) in labels.indexed_iter() {
        if l != 0 && (z == 0 || y == 0 || x == 0 || z + 1 == nz || y + 1 == ny || x + 1 == nx) {
            touches[l as usize] = true;
        }
    }
    Zip::from(mask)
        .and(&labels)
        .map_collect(|&m, &l| m || (l != 0 && !touches[l as usize]))
}

/// The largest 26-connected component (most voxels; a tie: the first in C order).
/// An empty region stays empty.
pub fn largest_component(mask: &Array3<bool>) -> Array3<bool> {
    let (labels, sizes) = components(mask, true);
    let Some(best) = sizes
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i as u32 + 1)
    else {
        return mask.clone();
    };
    labels.mapv(|l| l == best)
}

/// The region without its 26-connected components smaller than `min_mm3` (voxel count ×
/// `voxel_mm3`).
pub fn drop_small_components(mask: &Array3<bool>, min_mm3: f64, voxel_mm3: f64) -> Array3<bool> {
    let (labels, sizes) = components(mask, true);
    let keep: Vec<bool> = sizes
        .iter()
        .map(|&n| n as f64 * voxel_mm3 >= min_mm3)
        .collect();
    labels.mapv(|l| l != 0 && keep[l as usize - 1])
}

/// Number of voxels in a region.
pub fn count(mask: &Array3<bool>) -> usize {
    mask.iter().filter(|&&m| m).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ball(shape: [usize; 3], c: [f64; 3], r: f64, sp: [f64; 3]) -> Array3<bool> {
        Array3::from_shape_fn((shape[0], shape[1], shape[2]), |(z, y, x)| {
            let d = [
                (z as f64 - c[0]) * sp[0],
                (y as f64 - c[1]) * sp[1],
                (x as f64 - c[2]) * sp[2],
            ];
            d[0] * d[0] + d[1] * d[1] + d[2] * d[2] <= r * r
        })
    }

    #[test]
    fn a_single_voxel_dilates_to_the_anisotropic_ball_and_erodes_back() {
        let sp = [2.0, 1.0, 1.0];
        let mut m = Array3::from_elem((7, 9, 9), false);
        m[[3, 4, 4]] = true;
        // within 2 mm: the voxel, 4 in-plane neighbours at 1 mm, 4 at 2 mm in x/y,
        // 4 diagonal at sqrt(2), 2 slices at 2 mm
        let d = dilate(&m, 2.0, sp);
        assert_eq!(count(&d), 1 + 4 + 4 + 4 + 2);
        assert!(!d[[1, 4, 4]] && d[[2, 4, 4]] && d[[3, 4, 6]] && !d[[3, 5, 6]]);
        // the ring from 1 to 2 mm drops the voxel and its 4 face neighbours in-plane
        assert_eq!(count(&outer_ring(&m, 1.0, 2.0, sp)), 4 + 4 + 2);
        assert_eq!(erode(&d, 2.0, sp), m);
    }

    #[test]
    fn rim_fill_holes_and_components_by_hand() {
        let sp = [1.0; 3];
        let cube = Array3::from_shape_fn((7, 7, 7), |(z, y, x)| {
            (1..6).contains(&z) && (1..6).contains(&y) && (1..6).contains(&x)
        });
        // a 5-voxel cube: a 1 mm rim is the shell, 125 - 27 voxels
        assert_eq!(count(&inner_rim(&cube, 1.0, sp)), 125 - 27);
        let mut hollow = cube.clone();
        hollow[[3, 3, 3]] = false;
        assert_eq!(fill_holes(&hollow), cube);
        // an open cavity (touching the edge) is not a hole
        let mut open = cube.clone();
        for x in 0..7 {
            open[[3, 3, x]] = false;
        }
        assert_eq!(fill_holes(&open), open);
        // two components: 125 voxels and 1 voxel (not touching it, even diagonally)
        let big = Array3::from_shape_fn((9, 9, 9), |(z, y, x)| {
            (1..6).contains(&z) && (1..6).contains(&y) && (1..6).contains(&x)
        });
        let mut two = big.clone();
        two[[7, 7, 7]] = true;
        let (_, sizes) = components(&two, true);
        assert_eq!(sizes, [125, 1]);
        assert_eq!(components(&two, false).1, [125, 1]);
        assert_eq!(largest_component(&two), big);
        assert_eq!(drop_small_components(&two, 2.0, 1.0), big);
        assert_eq!(drop_small_components(&two, 1.0, 1.0), two);
        let window = intensity_window(
            &cube,
            &Array3::from_shape_fn((7, 7, 7), |(z, _, _)| z as f64),
            Some(2.0),
            Some(3.0),
        );
        assert_eq!(count(&window), 50);
    }

    type Op<'a> = dyn Fn(&Array3<bool>) -> Array3<bool> + 'a;

    fn shape_strategy() -> impl Strategy<Value = ([usize; 3], [f64; 3], Vec<bool>)> {
        (
            4usize..9,
            4usize..9,
            4usize..9,
            0.5f64..2.5,
            0.5f64..2.5,
            0.5f64..2.5,
        )
            .prop_flat_map(|(nz, ny, nx, sz, sy, sx)| {
                (
                    Just([nz, ny, nx]),
                    Just([sz, sy, sx]),
                    proptest::collection::vec(prop::bool::weighted(0.2), nz * ny * nx),
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn the_cropped_computation_equals_the_whole_grid_formula(
            (sh, sp, v) in shape_strategy(),
            r in 0.0f64..4.0,
        ) {
            let m = Array3::from_shape_vec((sh[0], sh[1], sh[2]), v).unwrap();
            let lim = r * r + DISTANCE_TOLERANCE_MM2;
            let to = squared_distance(&m, sp);
            let from = squared_distance(&m.mapv(|b| !b), sp);
            prop_assert_eq!(dilate(&m, r, sp), to.mapv(|d| d <= lim));
            prop_assert_eq!(erode(&m, r, sp), from.mapv(|d| d > lim));
        }

        #[test]
        fn a_rings_volume_is_the_difference_of_two_dilations(
            (sh, sp, v) in shape_strategy(),
            r1 in 0.0f64..3.0,
            dr in 0.1f64..4.0,
        ) {
            let m = Array3::from_shape_vec((sh[0], sh[1], sh[2]), v).unwrap();
            let r2 = r1 + dr;
            let ring = outer_ring(&m, r1, r2, sp);
            let (d1, d2) = (dilate(&m, r1, sp), dilate(&m, r2, sp));
            prop_assert_eq!(count(&ring), count(&d2) - count(&d1));
            prop_assert_eq!(ring, difference(&d2, &d1));
        }

        #[test]
        fn dilating_then_eroding_contains_a_convex_shape(
            c in (3.0f64..6.0, 3.0f64..6.0, 3.0f64..6.0),
            radius in 0.5f64..4.0,
            sp in (0.5f64..2.0, 0.5f64..2.0, 0.5f64..2.0),
            r in 0.0f64..4.0,
        ) {
            let sp = [sp.0, sp.1, sp.2];
            let m = ball([10, 10, 10], [c.0, c.1, c.2], radius, sp);
            let closed = erode(&dilate(&m, r, sp), r, sp);
            prop_assert_eq!(difference(&m, &closed), Array3::from_elem((10, 10, 10), false));
        }

        #[test]
        fn operations_commute_with_translation(
            (sh, sp, v) in shape_strategy(),
            t in (0usize..4, 0usize..4, 0usize..4),
            r in 0.0f64..2.5,
        ) {
            // the shape sits in a grid padded by 8 voxels (more than any reach here: 3 mm
            // at 0.5 mm spacing); operations commute with a shift by t
            let m = Array3::from_shape_vec((sh[0], sh[1], sh[2]), v).unwrap();
            let pad = |m: &Array3<bool>, t: [usize; 3]| {
                let mut out = Array3::from_elem((sh[0] + 20, sh[1] + 20, sh[2] + 20), false);
                for ((z, y, x), &b) in m.indexed_iter() {
                    out[[z + 8 + t[0], y + 8 + t[1], x + 8 + t[2]]] = b;
                }
                out
            };
            let shift = |a: &Array3<bool>, t: [usize; 3]| {
                let s = a.shape();
                Array3::from_shape_fn((s[0], s[1], s[2]), |(z, y, x)| {
                    z >= t[0] && y >= t[1] && x >= t[2] && a[[z - t[0], y - t[1], x - t[2]]]
                })
            };
            let t = [t.0, t.1, t.2];
            let (a, b) = (pad(&m, [0; 3]), pad(&m, t));
            let ops: [&Op<'_>; 6] = [
                &|x| dilate(x, r, sp),
                &|x| erode(x, r, sp),
                &|x| outer_ring(x, r * 0.5, r + 0.5, sp),
                &|x| inner_rim(x, r, sp),
                &fill_holes,
                &largest_component,
            ];
            for op in ops {
                prop_assert_eq!(shift(&op(&a), t), op(&b));
            }
        }
    }
}
