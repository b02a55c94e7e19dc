//! Segmentation agreement between two observers' masks of one case, on one grid.
//!
//! With `A` and `B` the voxel sets of the two masks, `|·|` a voxel count and `v` the
//! voxel volume (mm³, the product of the spacings):
//!
//! * Dice similarity coefficient: `DSC = 2 |A ∩ B| / (|A| + |B|)`, in `[0, 1]`;
//! * Jaccard index: `J = |A ∩ B| / |A ∪ B|`, in `[0, 1]` (`J = DSC / (2 − DSC)`);
//! * volumes `V_A = |A| v`, `V_B = |B| v`; volume difference `ΔV = V_B − V_A` (mm³) and
//!   relative volume difference `ΔV / V_A` (against the pair's first observer, the
//!   reference when it is in the pair);
//! * surface voxels `∂A`: voxels of `A` with at least one of their 6 face neighbours
//!   outside `A` (a neighbour beyond the grid counts as outside);
//! * directed surface distances: for every `p ∈ ∂A`, `d(p, ∂B) = min_{q ∈ ∂B} ‖(p − q) ∘ s‖`
//!   (voxel centres, spacing `s` per axis, so anisotropic grids are measured in mm),
//!   computed by the exact Euclidean distance transform of `∂B` (radx-regions' `edt`), and
//!   the same from `∂B` to `∂A`;
//! * Hausdorff distance (symmetric, maximum): `HD = max(max_{p∈∂A} d(p, ∂B), max_{q∈∂B} d(q, ∂A))`;
//! * 95th-percentile Hausdorff distance `HD95`: the 95th percentile of the pooled directed
//!   distances of both directions (`|∂A| + |∂B|` values), the percentile taken by linear
//!   interpolation between order statistics (`x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋))`
//!   with `h = 0.95 (n − 1)`, 0-based).
//!
//! Both masks empty, or one of them: the overlap measures follow their formulas where
//! defined (one empty: DSC = J = 0), the surface distances are undefined (reported with the
//! reason, never as 0 or NaN).

use ndarray::{Array3, Zip};
use serde::Serialize;
use thiserror::Error;

/// Why two masks cannot be compared.
#[derive(Debug, Error, PartialEq)]
pub enum AgreementError {
    #[error("the masks have different shapes (z, y, x): {a:?} and {b:?}")]
    Shape { a: [usize; 3], b: [usize; 3] },
    #[error("voxel spacing must be finite and > 0, got {0:?}")]
    Spacing([f64; 3]),
}

/// The agreement measures of two masks (see the module documentation for the formulas).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentationAgreement {
    pub voxels_a: usize,
    pub voxels_b: usize,
    pub volume_a_mm3: f64,
    pub volume_b_mm3: f64,
    /// `None` when both masks are empty.
    pub dice: Option<f64>,
    /// `None` when both masks are empty.
    pub jaccard: Option<f64>,
    /// `V_B − V_A`, mm³.
    pub volume_difference_mm3: f64,
    /// `(V_B − V_A) / V_A`; `None` when `A` is empty.
    pub relative_volume_difference: Option<f64>,
    /// `None` when either mask is empty.
    pub hausdorff95_mm: Option<f64>,
    /// `None` when either mask is empty.
    pub hausdorff_max_mm: Option<f64>,
}

fn dims(m: &Array3<bool>) -> [usize; 3] {
    let (z, y, x) = m.dim();
    [z, y, x]
}

/// Surface voxels of `m`: voxels of `m` with a face neighbour outside `m` or beyond the
/// grid.
pub fn surface(m: &Array3<bool>) -> Array3<bool> {
    let [nz, ny, nx] = dims(m);
    Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
        if !m[[z, y, x]] {
            return false;
        }
        let out = |dz: isize, dy: isize, dx: isize| {
            let (zz, yy, xx) = (z as isize + dz, y as isize + dy, x as isize + dx);
            if zz < 0 || yy < 0 || xx < 0 {
                return true;
            }
            let (zz, yy, xx) = (zz as usize, yy as usize, xx as usize);
            zz >= nz || yy >= ny || xx >= nx || !m[[zz, yy, xx]]
        };
        out(-1, 0, 0)
            || out(1, 0, 0)
            || out(0, -1, 0)
            || out(0, 1, 0)
            || out(0, 0, -1)
            || out(0, 0, 1)
    })
}

/// Distances (mm) from every surface voxel of `from` to the nearest surface voxel of `to`
/// (C order of `from`'s voxels). `to_surface` must not be empty.
fn directed(from_surface: &Array3<bool>, to_surface: &Array3<bool>, spacing: [f64; 3]) -> Vec<f64> {
    let d2 = radx_regions::squared_distance(to_surface, spacing);
    from_surface
        .iter()
        .zip(d2.iter())
        .filter(|(s, _)| **s)
        .map(|(_, d)| d.sqrt())
        .collect()
}

/// The `q`-quantile (0..=1) of `v` by linear interpolation between order statistics;
/// `None` for no values.
pub fn quantile(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let h = q * (v.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    Some(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
}

/// Agreement of masks `a` and `b` on one grid of spacing `spacing_zyx` (mm).
pub fn compare_masks(
    a: &Array3<bool>,
    b: &Array3<bool>,
    spacing_zyx: [f64; 3],
) -> Result<SegmentationAgreement, AgreementError> {
    if dims(a) != dims(b) {
        return Err(AgreementError::Shape {
            a: dims(a),
            b: dims(b),
        });
    }
    if !spacing_zyx.iter().all(|s| s.is_finite() && *s > 0.0) {
        return Err(AgreementError::Spacing(spacing_zyx));
    }
    let (mut na, mut nb, mut both) = (0usize, 0usize, 0usize);
    Zip::from(a).and(b).for_each(|&x, &y| {
        na += x as usize;
        nb += y as usize;
        both += (x && y) as usize;
    });
    let union = na + nb - both;
    let voxel = spacing_zyx.iter().product::<f64>();
    let (va, vb) = (na as f64 * voxel, nb as f64 * voxel);
    let (hd95, hdmax) = if na == 0 || nb == 0 {
        (None, None)
    } else {
        let (sa, sb) = (surface(a), surface(b));
        let mut d = directed(&sa, &sb, spacing_zyx);
        d.extend(directed(&sb, &sa, spacing_zyx));
        let max = d.iter().copied().fold(0.0f64, f64::max);
        (quantile(&mut d, 0.95), Some(max))
    };
    Ok(SegmentationAgreement {
        voxels_a: na,
        voxels_b: nb,
        volume_a_mm3: va,
        volume_b_mm3: vb,
        dice: (na + nb > 0).then(|| 2.0 * both as f64 / (na + nb) as f64),
        jaccard: (union > 0).then(|| both as f64 / union as f64),
        volume_difference_mm3: vb - va,
        relative_volume_difference: (na > 0).then(|| (vb - va) / va),
        hausdorff95_mm: hd95,
        hausdorff_max_mm: hdmax,
    })
}

/// One row of `segmentation-agreement.csv`: a case and a pair of observers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairAgreement {
    pub case: String,
    pub observer_a: String,
    pub observer_b: String,
    /// `None` when a mask could not be read (see `missing_reason`).
    pub agreement: Option<SegmentationAgreement>,
    /// Why a measure is missing (an unreadable or empty mask, a measure undefined for an
    /// empty mask); empty otherwise.
    pub missing_reason: String,
}

/// The header of [`agreement_csv`].
pub const AGREEMENT_CSV_HEADER: &str = "case,observer_a,observer_b,voxels_a,voxels_b,volume_a_mm3,volume_b_mm3,dice,jaccard,volume_difference_mm3,relative_volume_difference,hausdorff95_mm,hausdorff_max_mm,missing_reason";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `segmentation-agreement.csv`: one row per case and observer pair, in the order given;
/// an undefined measure is an empty field, with `missing_reason` saying why.
pub fn agreement_csv(rows: &[PairAgreement]) -> String {
    let mut s = String::from(AGREEMENT_CSV_HEADER);
    s.push('\n');
    let f = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:?}"));
    for r in rows {
        let cells: Vec<String> = match &r.agreement {
            Some(a) => vec![
                a.voxels_a.to_string(),
                a.voxels_b.to_string(),
                f(Some(a.volume_a_mm3)),
                f(Some(a.volume_b_mm3)),
                f(a.dice),
                f(a.jaccard),
                f(Some(a.volume_difference_mm3)),
                f(a.relative_volume_difference),
                f(a.hausdorff95_mm),
                f(a.hausdorff_max_mm),
            ],
            None => vec![String::new(); 10],
        };
        s.push_str(&format!(
            "{},{},{},{},{}\n",
            csv_field(&r.case),
            csv_field(&r.observer_a),
            csv_field(&r.observer_b),
            cells.join(","),
            csv_field(&r.missing_reason)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(shape: [usize; 3], lo: [usize; 3], hi: [usize; 3]) -> Array3<bool> {
        Array3::from_shape_fn((shape[0], shape[1], shape[2]), |(z, y, x)| {
            (lo[0]..hi[0]).contains(&z)
                && (lo[1]..hi[1]).contains(&y)
                && (lo[2]..hi[2]).contains(&x)
        })
    }

    #[test]
    fn identical_masks_agree_perfectly() {
        let a = boxed([6, 7, 8], [1, 2, 2], [4, 5, 6]);
        let r = compare_masks(&a, &a, [2.0, 0.5, 0.7]).unwrap();
        assert_eq!(r.dice, Some(1.0));
        assert_eq!(r.jaccard, Some(1.0));
        assert_eq!(r.volume_difference_mm3, 0.0);
        assert_eq!(r.relative_volume_difference, Some(0.0));
        assert_eq!(r.hausdorff95_mm, Some(0.0));
        assert_eq!(r.hausdorff_max_mm, Some(0.0));
        assert_eq!(r.voxels_a, 36);
    }

    #[test]
    fn shifted_box_hand_computed_anisotropic() {
        // A: x in 2..6 (4 voxels), B: x in 3..7 — a shift of one voxel along x, whose
        // spacing is 0.7 mm; z spacing 3 mm, y 0.5 mm. Box 3 x 3 x 4 = 36 voxels.
        let s = [3.0, 0.5, 0.7];
        let a = boxed([5, 7, 9], [1, 2, 2], [4, 5, 6]);
        let b = boxed([5, 7, 9], [1, 2, 3], [4, 5, 7]);
        let r = compare_masks(&a, &b, s).unwrap();
        // overlap 3 x 3 x 3 = 27
        assert_eq!((r.voxels_a, r.voxels_b), (36, 36));
        assert!((r.dice.unwrap() - 2.0 * 27.0 / 72.0).abs() < 1e-15);
        assert!((r.jaccard.unwrap() - 27.0 / 45.0).abs() < 1e-15);
        assert!((r.volume_a_mm3 - 36.0 * 1.05).abs() < 1e-12);
        assert_eq!(r.volume_difference_mm3, 0.0);
        // Each surface voxel of A, moved one x step, is a surface voxel of B (the box's
        // only interior voxels, z = 2, y = 3, x = 3..5 in A, move to interior voxels of
        // B), so no distance exceeds 0.7 mm; the centre of A's x = 2 face is 0.7 mm from
        // the centre of B's x = 3 face and farther from every other voxel of ∂B.
        assert!((r.hausdorff_max_mm.unwrap() - 0.7).abs() < 1e-12);
        let hd95 = r.hausdorff95_mm.unwrap();
        assert!(hd95 > 0.0 && hd95 <= 0.7 + 1e-12, "{hd95}");
    }

    #[test]
    fn hausdorff_of_two_points_along_z() {
        // one voxel each, 2 slices apart along z at 2.5 mm: every distance is 5 mm.
        let mut a = Array3::from_elem((5, 3, 3), false);
        let mut b = a.clone();
        a[[1, 1, 1]] = true;
        b[[3, 1, 1]] = true;
        let r = compare_masks(&a, &b, [2.5, 0.8, 0.8]).unwrap();
        assert_eq!(r.dice, Some(0.0));
        assert_eq!(r.jaccard, Some(0.0));
        assert_eq!(r.hausdorff_max_mm, Some(5.0));
        assert_eq!(r.hausdorff95_mm, Some(5.0));
        // diagonal: (dz, dy, dx) = (2, 1, 2) voxels -> sqrt(25 + 0.64 + 2.56)
        let mut c = Array3::from_elem((5, 3, 3), false);
        c[[3, 2, 0]] = true;
        let mut c2 = Array3::from_elem((5, 3, 3), false);
        c2[[1, 1, 2]] = true;
        let r = compare_masks(&c2, &c, [2.5, 0.8, 0.8]).unwrap();
        assert!((r.hausdorff_max_mm.unwrap() - (25.0f64 + 0.64 + 2.56).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn hd95_is_a_percentile_of_pooled_distances() {
        // A: a 1 x 1 x 20 rod; B: the same rod plus one voxel 4 voxels beside its end.
        // Pooled distances: 20 zeros from A, 20 zeros and one of 4 mm from B: the maximum
        // is 4 mm, the 95th percentile (h = 0.95 * 40 = 38) is 0.
        let mut a = Array3::from_elem((1, 9, 22), false);
        for x in 1..21 {
            a[[0, 2, x]] = true;
        }
        let mut b = a.clone();
        b[[0, 6, 20]] = true;
        let r = compare_masks(&a, &b, [1.0, 1.0, 1.0]).unwrap();
        assert_eq!(r.hausdorff_max_mm, Some(4.0));
        assert_eq!(r.hausdorff95_mm, Some(0.0));
        assert_eq!((r.voxels_a, r.voxels_b), (20, 21));
        assert!((r.relative_volume_difference.unwrap() - 0.05).abs() < 1e-15);
    }

    #[test]
    fn empty_masks_leave_distances_undefined() {
        let a = boxed([4, 4, 4], [1, 1, 1], [3, 3, 3]);
        let e = Array3::from_elem((4, 4, 4), false);
        let r = compare_masks(&a, &e, [1.0; 3]).unwrap();
        assert_eq!(r.dice, Some(0.0));
        assert_eq!(r.hausdorff_max_mm, None);
        assert_eq!(r.relative_volume_difference, Some(-1.0));
        let r = compare_masks(&e, &e, [1.0; 3]).unwrap();
        assert_eq!(
            (r.dice, r.jaccard, r.relative_volume_difference),
            (None, None, None)
        );
    }

    #[test]
    fn different_shapes_and_bad_spacing_are_errors() {
        let a = Array3::from_elem((2, 2, 2), true);
        let b = Array3::from_elem((2, 2, 3), true);
        assert!(matches!(
            compare_masks(&a, &b, [1.0; 3]),
            Err(AgreementError::Shape { .. })
        ));
        assert!(matches!(
            compare_masks(&a, &a, [1.0, 0.0, 1.0]),
            Err(AgreementError::Spacing(_))
        ));
    }

    #[test]
    fn csv_has_one_row_per_pair_and_empty_fields_for_missing() {
        let a = boxed([4, 4, 4], [1, 1, 1], [3, 3, 3]);
        let rows = vec![
            PairAgreement {
                case: "c1".into(),
                observer_a: "a".into(),
                observer_b: "b".into(),
                agreement: Some(compare_masks(&a, &a, [1.0; 3]).unwrap()),
                missing_reason: String::new(),
            },
            PairAgreement {
                case: "c2".into(),
                observer_a: "a".into(),
                observer_b: "b".into(),
                agreement: None,
                missing_reason: "observer b: mask is empty, no non-zero voxel".into(),
            },
        ];
        let csv = agreement_csv(&rows);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], AGREEMENT_CSV_HEADER);
        assert_eq!(lines[1], "c1,a,b,8,8,8.0,8.0,1.0,1.0,0.0,0.0,0.0,0.0,");
        assert_eq!(
            lines[2],
            "c2,a,b,,,,,,,,,,,\"observer b: mask is empty, no non-zero voxel\""
        );
        let fields = AGREEMENT_CSV_HEADER.split(',').count();
        assert_eq!(lines[1].split(',').count(), fields);
    }
}
