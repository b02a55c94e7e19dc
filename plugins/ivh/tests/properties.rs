//! Property tests of the IVH features against a brute-force reading of the manual's
//! definitions, and of their invariances.

use ndarray::Array3;
use proptest::prelude::*;
use radx_core::{FeatureInput, Grid, Roi, Settings};
use radx_ivh::{features, Ivh};
use radx_process::discretise;

/// Integer intensities and a range G = [lo, hi] that contains them.
fn case() -> impl Strategy<Value = (Vec<f64>, f64, f64)> {
    (
        prop::collection::vec(-50i32..50, 1..120),
        0i32..10,
        0i32..10,
    )
        .prop_map(|(x, a, b)| {
            let lo = f64::from(*x.iter().min().unwrap() - a);
            let hi = f64::from(*x.iter().max().unwrap() + b);
            (x.into_iter().map(f64::from).collect(), lo, hi)
        })
}

/// ν at intensity i by the manual's formula: 1 - (1/N) Σ [X < i].
fn nu(x: &[f64], i: f64) -> f64 {
    1.0 - x.iter().filter(|&&v| v < i).count() as f64 / x.len() as f64
}

proptest! {
    #[test]
    fn matches_brute_force_definitions((x, lo, hi) in case()) {
        let ivh = Ivh::from_intensities(&x, lo, hi, 1.0);
        let grid: Vec<f64> = (0..=((hi - lo) as i64)).map(|j| lo + j as f64).collect();
        for frac in [10u32, 90] {
            let f = f64::from(frac) / 100.0;
            // V_x: the largest ν among grid intensities with γ >= x
            if hi > lo {
                let v = grid.iter()
                    .filter(|&&i| (i - lo) / (hi - lo) >= f - 1e-12)
                    .map(|&i| nu(&x, i))
                    .fold(f64::NEG_INFINITY, f64::max);
                let got = ivh.volume_at_intensity_fraction(frac).unwrap();
                prop_assert!((got - v).abs() < 1e-12, "V{}: {} vs {}", frac, got, v);
            } else {
                prop_assert!(ivh.volume_at_intensity_fraction(frac).is_err());
            }
            // I_x: the lowest grid intensity with ν <= x (past max G if none inside)
            let expect = grid.iter().copied().chain((1..).map(|k| hi + f64::from(k)).take(2))
                .find(|&i| nu(&x, i) <= f + 1e-12)
                .unwrap();
            prop_assert_eq!(ivh.intensity_at_volume_fraction(frac), expect, "I{}", frac);
        }
    }

    #[test]
    fn orderings((x, lo, hi) in case()) {
        let ivh = Ivh::from_intensities(&x, lo, hi, 1.0);
        let f = features(&ivh);
        let get = |n: &str| f.iter().find(|(k, _)| *k == n).unwrap().1.clone();
        prop_assert!(get("diff_i10_i90").unwrap() >= 0.0);
        if let Ok(d) = get("diff_v10_v90") {
            prop_assert!((0.0..=1.0).contains(&d));
        }
        // ν does not increase along the grid and starts at 1
        prop_assert_eq!(ivh.volume_fraction(0), 1.0);
        let n = (hi - lo) as u64 + 2;
        for j in 1..n {
            prop_assert!(ivh.volume_fraction(j) <= ivh.volume_fraction(j - 1));
        }
        prop_assert_eq!(ivh.volume_fraction(n), 0.0);
    }

    /// Shifting intensities and G together by c shifts I_x by c and keeps V_x.
    #[test]
    fn shift_with_range((x, lo, hi) in case(), c in -1000i32..1000) {
        let c = f64::from(c);
        let a = features(&Ivh::from_intensities(&x, lo, hi, 1.0));
        let y: Vec<f64> = x.iter().map(|v| v + c).collect();
        let b = features(&Ivh::from_intensities(&y, lo + c, hi + c, 1.0));
        for ((n, p), (_, q)) in a.into_iter().zip(b) {
            match (n, p, q) {
                ("i10" | "i90", Ok(p), Ok(q)) => prop_assert_eq!(p + c, q),
                (_, p, q) => prop_assert_eq!(p, q),
            }
        }
    }

    /// Permuting voxels leaves every feature unchanged.
    #[test]
    fn permutation((x, lo, hi) in case()) {
        let mut y = x.clone();
        y.reverse();
        y.rotate_left(x.len() / 3);
        prop_assert_eq!(
            features(&Ivh::from_intensities(&x, lo, hi, 1.0)),
            features(&Ivh::from_intensities(&y, lo, hi, 1.0))
        );
    }

    /// With FBS, the IVH equals the unit-grid IVH of the bin centres.
    #[test]
    fn fbs_is_the_ivh_of_bin_centres(v in prop::collection::vec(0i32..200, 1..60), w in prop_oneof![Just(2.5), Just(5.0), Just(10.0)]) {
        let n = v.len();
        let image = Array3::from_shape_vec((1, 1, n), v.iter().map(|&a| f64::from(a)).collect()).unwrap();
        let mask = Array3::from_elem((1, 1, n), true);
        let roi = Roi { grid: Grid::new([1, 1, n], [1.0; 3], [0.0; 3]), image, morphological: mask.clone(), intensity: mask };
        let settings = Settings::from_toml_str(&format!(
            "radx_settings = 1\n[resegmentation]\nmin = 0.0\nmax = 200.0\n[discretisation.ivh]\nmethod = \"fbs\"\nbin_width = {w}\n"), "t").unwrap();
        let d = discretise(&roi, &settings.discretisation.ivh, Some(0.0));
        let none = Err(String::new());
        let input = FeatureInput { roi: &roi, settings: &settings, histogram: &none, texture: &none, ivh: &d };
        let ivh = Ivh::from_input(&input).unwrap();
        let dd = d.as_ref().unwrap();
        let centres: Vec<f64> = dd.roi_levels().iter().map(|&l| dd.bin_centre(l)).collect();
        // G = [0 + w/2, 200 - w/2], step w
        let reference = Ivh::from_intensities(&centres, 0.5 * w, 200.0 - 0.5 * w, w);
        let (a, b) = (features(&ivh), features(&reference));
        for ((n, p), (_, q)) in a.into_iter().zip(b) {
            let (p, q) = (p.unwrap(), q.unwrap());
            prop_assert!((p - q).abs() < 1e-9, "{}: {} vs {}", n, p, q);
        }
    }
}

#[test]
fn discretisation_failure_is_reported_for_fbs() {
    let image = Array3::from_elem((1, 1, 2), -5.0);
    let mask = Array3::from_elem((1, 1, 2), true);
    let roi = Roi {
        grid: Grid::new([1, 1, 2], [1.0; 3], [0.0; 3]),
        image,
        morphological: mask.clone(),
        intensity: mask,
    };
    let settings = Settings::from_toml_str(
        "radx_settings = 1\n[discretisation.ivh]\nmethod = \"fbs\"\nbin_width = 1.0\nlower_bound = 0.0\n", "t").unwrap();
    let d = discretise(&roi, &settings.discretisation.ivh, None);
    assert!(d.is_err());
    let none = Err(String::new());
    let input = FeatureInput {
        roi: &roi,
        settings: &settings,
        histogram: &none,
        texture: &none,
        ivh: &d,
    };
    let e = radx_ivh::plugin().compute(&input).unwrap_err();
    assert!(e.to_string().contains("IVH discretisation failed"), "{e}");
    // "none" works on the same ROI: a flat ROI without a range gives missing V_x with a
    // reason and defined I_x
    let settings = Settings::default();
    let input = FeatureInput {
        roi: &roi,
        settings: &settings,
        histogram: &none,
        texture: &none,
        ivh: &none,
    };
    let v = radx_ivh::plugin().compute(&input).unwrap();
    assert!(v[0].value.is_none() && v[0].missing_reason.as_ref().unwrap().contains("no extent"));
    assert_eq!(v[2].value, Some(-4.0));
    // "none" on non-integer intensities is refused with a reason
    let mut frac = roi.clone();
    frac.image[[0, 0, 1]] = 0.25;
    let input = FeatureInput {
        roi: &frac,
        settings: &settings,
        histogram: &none,
        texture: &none,
        ivh: &none,
    };
    let e = radx_ivh::plugin().compute(&input).unwrap_err();
    assert!(e.to_string().contains("integer"), "{e}");
}
