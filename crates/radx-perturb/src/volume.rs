//! Volume adaptation: growing or shrinking the ROI by a fraction of its volume.
//!
//! Growing by `f > 0`: with `D(v)` the exact Euclidean distance (mm, between voxel
//! centres, [`crate::edt`]) from an outside voxel `v` to the nearest ROI voxel, the new ROI
//! is `ROI ∪ {v : D(v) ≤ t}`. Shrinking by `f < 0`: with `D(v)` the distance from an ROI
//! voxel to the nearest non-ROI voxel, the new ROI is `{v ∈ ROI : D(v) > t}` (boundary
//! layers peeled off). Voxels at one distance form a *shell* and are added or removed
//! together, so the achievable volumes are the cumulative shell counts; `t` is the shell
//! whose cumulative count is closest to the target `N_t = round(N (1 + f))` (ties: the
//! smaller change). Hence `|N_achieved − N_t| ≤ shell size` (reported as
//! `shell_voxels`).
//!
//! The grid border is not a boundary: distances are measured to voxels of the grid only
//! (crop with a margin first). Shrinking never empties the ROI: the target is at least
//! one voxel and the deepest shell is always kept (`clamped = 1` is reported when this
//! or the grid size prevented reaching the target). Voxels whose distances agree to a
//! relative 1e-9 are one shell.

use std::collections::BTreeMap;

use ndarray::{s, Array3};

use crate::{crop::bounding_box, edt::squared_edt, PerturbError};

const TIE: f64 = 1e-9;

/// Grows/shrinks `mask` by `fraction` of its volume; records the details listed in
/// [`crate::AppliedPerturbation`].
///
/// The distance transform runs on a sub-box of the grid only: for shrinking the ROI
/// bounding box plus one voxel (which always holds the nearest non-ROI voxel of every ROI
/// voxel, so the result is exact); for growing the bounding box plus a margin guessed
/// from the equivalent sphere, doubled until every voxel within the chosen threshold
/// distance is provably inside the box (voxels outside it are farther than the margin) —
/// so the result equals the whole-grid computation.
pub fn adapt_volume(
    mask: &mut Array3<bool>,
    spacing_zyx: [f64; 3],
    fraction: f64,
    details: &mut BTreeMap<String, f64>,
) -> Result<(), PerturbError> {
    let (nz, ny, nx) = mask.dim();
    let shape = [nz, ny, nx];
    let n = mask.iter().filter(|&&b| b).count();
    let total = nz * ny * nx;
    details.insert("asked_fraction".into(), fraction);
    let mut target = (n as f64 * (1.0 + fraction)).round();
    let mut clamped = false;
    if target < 1.0 {
        target = 1.0;
        clamped = true;
    }
    if target > total as f64 {
        target = total as f64;
        clamped = true;
    }
    let target = target as usize;
    details.insert("target_voxels".into(), target as f64);
    let grow = target > n;
    let shrink = target < n;
    let mut shell = 0usize;
    let mut threshold = 0.0;
    let mut after = n;
    if let (true, Some(bb)) = (grow || shrink, bounding_box(mask)) {
        if shrink && n == total {
            return Err(PerturbError::NoBoundary);
        }
        let k = if grow { target - n } else { n - target }; // voxels to change, >= 1
        let smax = spacing_zyx.iter().copied().fold(0.0, f64::max);
        let mut margin_mm = if grow {
            let r = (3.0 * n as f64 * spacing_zyx.iter().product::<f64>()
                / (4.0 * std::f64::consts::PI))
                .cbrt();
            1.5 * r * ((1.0 + fraction).cbrt() - 1.0) + 2.0 * smax
        } else {
            0.0
        };
        loop {
            // box = bounding box + margin (at least one voxel), clipped to the grid
            let mut lo = [0usize; 3];
            let mut hi = [0usize; 3];
            let mut safe2 = f64::INFINITY; // squared distance beyond which voxels may be missing
            for a in 0..3 {
                let m =
                    ((margin_mm / spacing_zyx[a]).ceil().max(1.0)).min(shape[a] as f64) as usize;
                lo[a] = bb[a][0].saturating_sub(m);
                hi[a] = (bb[a][1] + m).min(shape[a]);
                if lo[a] > 0 || hi[a] < shape[a] {
                    let d = (m + 1) as f64 * spacing_zyx[a];
                    safe2 = safe2.min(d * d);
                }
            }
            let whole = safe2 == f64::INFINITY;
            let bshape = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
            let mut sub = mask.slice_mut(s![lo[0]..hi[0], lo[1]..hi[1], lo[2]..hi[2]]);
            // grow: distance of outside voxels to the ROI; shrink: of ROI voxels to outside
            let feature: Vec<bool> = sub.iter().map(|&b| b == grow).collect();
            let d2 = squared_edt(&feature, bshape, spacing_zyx);
            // candidates: voxels that may change state (non-feature voxels)
            let mut cand: Vec<f64> = d2
                .iter()
                .zip(&feature)
                .filter(|(_, &f)| !f)
                .map(|(&d, _)| d)
                .collect();
            if grow && !whole && cand.len() < k {
                margin_mm = 2.0 * margin_mm.max(smax);
                continue;
            }
            let k = k.min(cand.len());
            let (_, &mut v, _) = cand.select_nth_unstable_by(k - 1, |a, b| a.total_cmp(b));
            let (lo_cut, hi_cut) = (v * (1.0 - TIE), v * (1.0 + TIE));
            if grow && hi_cut >= safe2 {
                margin_mm = 2.0 * margin_mm.max(smax);
                continue;
            }
            let mut count_lt = 0usize;
            let mut count_le = 0usize;
            let mut below_max = 0.0f64;
            for &d in &cand {
                if d < lo_cut {
                    count_lt += 1;
                    below_max = below_max.max(d);
                }
                if d <= hi_cut {
                    count_le += 1;
                }
            }
            shell = count_le - count_lt;
            // closest cumulative count to k; ties -> the smaller change
            let mut take_le = (count_le - k) < (k - count_lt);
            if shrink && take_le && count_le == n {
                // removing this shell would empty the ROI: keep the deepest shell
                take_le = false;
                clamped = true;
            }
            let (cut, t2, changed) = if take_le {
                (hi_cut, v, count_le)
            } else {
                (lo_cut, below_max, count_lt)
            };
            threshold = t2.sqrt();
            // grow: add outside voxels with d < cut; shrink: drop ROI voxels with d < cut
            // (feature voxels have d = 0 and already hold the value written)
            for (o, &d) in sub.iter_mut().zip(&d2) {
                if d < cut {
                    *o = grow;
                }
            }
            after = if grow { n + changed } else { n - changed };
            break;
        }
    }
    details.insert("shell_voxels".into(), shell as f64);
    details.insert("distance_threshold_mm".into(), threshold);
    details.insert("clamped".into(), if clamped { 1.0 } else { 0.0 });
    details.insert(
        "achieved_fraction".into(),
        (after as f64 - n as f64) / n as f64,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mask: &mut Array3<bool>, sp: [f64; 3], f: f64) -> BTreeMap<String, f64> {
        let mut d = BTreeMap::new();
        adapt_volume(mask, sp, f, &mut d).unwrap();
        d
    }

    fn cube(n: usize, lo: usize, hi: usize) -> Array3<bool> {
        Array3::from_shape_fn((n, n, n), |(z, y, x)| {
            (lo..hi).contains(&z) && (lo..hi).contains(&y) && (lo..hi).contains(&x)
        })
    }

    #[test]
    fn zero_fraction_is_identity() {
        let m0 = cube(8, 2, 5);
        let mut m = m0.clone();
        let d = run(&mut m, [1.0; 3], 0.0);
        assert_eq!(m, m0);
        assert_eq!(d["achieved_fraction"], 0.0);
    }

    #[test]
    fn grow_cube_by_one_face_shell() {
        // 3x3x3 cube = 27 voxels; the first shell (distance 1) holds the 6 faces of 9
        // voxels = 54. Asking +2 (target 81) is closest to 27 + 54 = 81 exactly.
        let mut m = cube(9, 3, 6);
        let d = run(&mut m, [1.0; 3], 2.0);
        assert_eq!(m.iter().filter(|&&b| b).count(), 81);
        assert_eq!(d["shell_voxels"], 54.0);
        assert_eq!(d["distance_threshold_mm"], 1.0);
        assert_eq!(d["clamped"], 0.0);
        // +1 (target 54): 27 -> 27 (change 0) or 81 (change 54); 27 away each -> the
        // smaller change, nothing added.
        let mut m = cube(9, 3, 6);
        let d = run(&mut m, [1.0; 3], 1.0);
        assert_eq!(m.iter().filter(|&&b| b).count(), 27);
        assert_eq!(d["achieved_fraction"], 0.0);
    }

    #[test]
    fn shrink_cube_peels_boundary_and_never_empties() {
        // 5x5x5 = 125; interior 3x3x3 = 27 at distance >= 2; the boundary layer (98
        // voxels) is at distance 1.
        let mut m = cube(7, 1, 6);
        run(&mut m, [1.0; 3], -0.7); // target 37.5 -> 38: closest is 27
        assert_eq!(m.iter().filter(|&&b| b).count(), 27);
        // a single 3x3x3 cube asked -0.96: target round(1.08) = 1 voxel; shells: 26 at
        // distance 1 and the centre at distance 2: removing the 26 leaves the centre.
        let mut m = cube(5, 1, 4);
        let d = run(&mut m, [1.0; 3], -0.96);
        assert_eq!(m.iter().filter(|&&b| b).count(), 1);
        assert!(m[[2, 2, 2]]);
        assert_eq!(d["clamped"], 0.0);
        // asked -0.99: target 0.27 voxel, raised to 1 and reported as clamped
        let mut m = cube(5, 1, 4);
        let d = run(&mut m, [1.0; 3], -0.99);
        assert_eq!(m.iter().filter(|&&b| b).count(), 1);
        assert_eq!(d["clamped"], 1.0);
        // a flat 3x3x1 plate: all voxels at distance 1 -> removal would empty: clamped
        let mut m = Array3::from_shape_fn((3, 5, 5), |(z, y, x)| {
            z == 1 && (1..4).contains(&y) && (1..4).contains(&x)
        });
        let d = run(&mut m, [1.0; 3], -0.9);
        assert_eq!(m.iter().filter(|&&b| b).count(), 9);
        assert_eq!(d["clamped"], 1.0);
    }

    #[test]
    fn full_grid_cannot_shrink_and_cannot_grow() {
        let mut m = Array3::from_elem((3, 3, 3), true);
        let mut d = BTreeMap::new();
        assert_eq!(
            adapt_volume(&mut m, [1.0; 3], -0.5, &mut d),
            Err(PerturbError::NoBoundary)
        );
        let d = run(&mut m, [1.0; 3], 0.5);
        assert_eq!(d["clamped"], 1.0);
        assert_eq!(m.iter().filter(|&&b| b).count(), 27);
    }

    /// Brute-force reference of the documented rule on the whole grid.
    fn reference(m: &Array3<bool>, sp: [f64; 3], f: f64) -> Array3<bool> {
        let pts: Vec<([usize; 3], bool)> = m
            .indexed_iter()
            .map(|((z, y, x), &b)| ([z, y, x], b))
            .collect();
        let n = pts.iter().filter(|p| p.1).count();
        let target = (n as f64 * (1.0 + f))
            .round()
            .max(1.0)
            .min(pts.len() as f64) as usize;
        if target == n {
            return m.clone();
        }
        let grow = target > n;
        let k = target.abs_diff(n);
        // candidates (distance², index) that may change state
        let mut cand: Vec<(f64, [usize; 3])> = pts
            .iter()
            .filter(|p| p.1 != grow)
            .map(|&(p, _)| {
                let d = pts
                    .iter()
                    .filter(|q| q.1 == grow)
                    .map(|&(q, _)| {
                        (0..3)
                            .map(|a| ((p[a] as f64 - q[a] as f64) * sp[a]).powi(2))
                            .sum::<f64>()
                    })
                    .fold(f64::INFINITY, f64::min);
                (d, p)
            })
            .collect();
        cand.sort_by(|a, b| a.0.total_cmp(&b.0));
        // cumulative counts at shell ends
        let mut ends = vec![0usize];
        for i in 0..cand.len() {
            if i + 1 == cand.len() || cand[i + 1].0 > cand[i].0 * (1.0 + TIE) {
                ends.push(i + 1);
            }
        }
        let ok: Vec<usize> = ends.into_iter().filter(|&c| grow || c < n).collect();
        let best = ok
            .iter()
            .copied()
            .min_by_key(|&c| (c.abs_diff(k), c))
            .unwrap();
        let mut out = m.clone();
        for &(_, p) in &cand[..best] {
            out[p] = grow;
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn matches_brute_force_reference(
            dims in proptest::array::uniform3(1usize..9),
            sp in proptest::array::uniform3(0.4f64..3.0),
            blobs in proptest::collection::vec(
                (proptest::array::uniform3(0.0f64..1.0), 0.5f64..3.0), 1..4),
            f in -0.95f64..1.5,
        ) {
            let (nz, ny, nx) = (dims[0], dims[1], dims[2]);
            let m0 = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
                blobs.iter().any(|(c, r)| {
                    let c = [c[0] * nz as f64, c[1] * ny as f64, c[2] * nx as f64];
                    (z as f64 - c[0]).powi(2) + (y as f64 - c[1]).powi(2) + (x as f64 - c[2]).powi(2)
                        <= r * r
                })
            });
            let n = m0.iter().filter(|&&b| b).count();
            proptest::prop_assume!(n > 0);
            let mut m = m0.clone();
            let mut d = BTreeMap::new();
            match adapt_volume(&mut m, sp, f, &mut d) {
                Ok(()) => {
                    proptest::prop_assert_eq!(&m, &reference(&m0, sp, f), "{:?}", d);
                    let after = m.iter().filter(|&&b| b).count();
                    proptest::prop_assert_eq!(
                        d["achieved_fraction"],
                        (after as f64 - n as f64) / n as f64
                    );
                    proptest::prop_assert!(after >= 1);
                }
                Err(e) => {
                    proptest::prop_assert_eq!(e, PerturbError::NoBoundary);
                    proptest::prop_assert_eq!(n, m0.len());
                }
            }
        }
    }

    #[test]
    fn anisotropic_spacing_prefers_near_axis() {
        // one voxel, spacing z = 3 mm, y = x = 1 mm: the nearest shell is the 4 in-plane
        // neighbours (1 mm), then the 4 in-plane diagonals (sqrt 2), then z (3 mm).
        let mut m = Array3::from_elem((3, 3, 3), false);
        m[[1, 1, 1]] = true;
        let d = run(&mut m, [3.0, 1.0, 1.0], 4.0);
        assert_eq!(m.iter().filter(|&&b| b).count(), 5);
        assert_eq!(d["shell_voxels"], 4.0);
        assert!(!m[[0, 1, 1]] && m[[1, 0, 1]] && m[[1, 1, 2]]);
    }
}
