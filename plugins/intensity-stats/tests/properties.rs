//! Property tests of the invariances the IBSI definitions imply.

use ndarray::Array3;
use proptest::prelude::*;
use radx_core::{FeatureInput, Grid, Roi, Settings};
use radx_intensity_stats::{percentile::percentiles, statistics, Statistics};

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * scale.max(1.0)
}

/// Intensities: integers (CT-like, many ties) or arbitrary reals.
fn intensities() -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        prop::collection::vec((-1000i32..1000).prop_map(f64::from), 1..200),
        prop::collection::vec(-1e3f64..1e3, 1..200),
        prop::collection::vec((0i32..4).prop_map(f64::from), 1..50),
    ]
}

fn scale_of(s: &Statistics) -> f64 {
    s.min.abs().max(s.max.abs())
}

proptest! {
    #[test]
    fn invariant_under_permutation(x in intensities(), seed in any::<u64>()) {
        let a = statistics(&x).unwrap();
        let mut y = x.clone();
        // deterministic shuffle from the seed
        let mut state = seed | 1;
        for i in (1..y.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            y.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let b = statistics(&y).unwrap();
        // order statistics are exactly equal
        prop_assert_eq!((a.min, a.p10, a.p25, a.median, a.p75, a.p90, a.max),
                        (b.min, b.p10, b.p25, b.median, b.p75, b.p90, b.max));
        let sc = scale_of(&a);
        for ((n, va), (_, vb)) in a.values().into_iter().zip(b.values()) {
            match (va, vb) {
                (Ok(p), Ok(q)) => {
                    let tol = match n { "var" | "energy" => sc * sc * x.len() as f64, "skew" | "kurt" | "cov" | "qcod" => 1e3, _ => sc };
                    prop_assert!(close(p, q, tol), "{}: {} vs {}", n, p, q);
                }
                (Err(_), Err(_)) => {}
                (p, q) => prop_assert!(false, "{}: {:?} vs {:?}", n, p, q),
            }
        }
    }

    #[test]
    fn shift_and_scale_rules(x in intensities(), a in prop_oneof![Just(1.0), Just(2.0), Just(0.5), Just(-1.0), Just(-4.0)], b in -500i32..500) {
        let b = f64::from(b);
        let s = statistics(&x).unwrap();
        let y: Vec<f64> = x.iter().map(|v| a * v + b).collect();
        let t = statistics(&y).unwrap();
        let sc = scale_of(&s) * a.abs() + b.abs();
        prop_assert!(close(t.mean, a * s.mean + b, sc));
        prop_assert!(close(t.var, a * a * s.var, sc * sc));
        prop_assert!(close(t.mad, a.abs() * s.mad, sc));
        prop_assert!(close(t.medad, a.abs() * s.medad, sc));
        prop_assert!(close(t.range, a.abs() * s.range, sc));
        prop_assert!(close(t.iqr, a.abs() * s.iqr, sc));
        if s.var > 1e-6 * scale_of(&s).powi(2) {
            prop_assert!(close(t.skew, a.signum() * s.skew, 1e3), "{} vs {}", t.skew, s.skew);
            prop_assert!(close(t.kurt, s.kurt, 1e3), "{} vs {}", t.kurt, s.kurt);
        }
        if a > 0.0 {
            prop_assert!(close(t.median, a * s.median + b, sc));
            prop_assert!(close(t.p10, a * s.p10 + b, sc));
            prop_assert!(close(t.p90, a * s.p90 + b, sc));
            prop_assert!(close(t.min, a * s.min + b, sc));
        } else {
            // a decreasing map swaps the tails: P10 <-> P90, min <-> max
            prop_assert!(close(t.p10, a * s.p90 + b, sc));
            prop_assert!(close(t.p90, a * s.p10 + b, sc));
            prop_assert!(close(t.max, a * s.min + b, sc));
        }
    }

    #[test]
    fn orderings_and_identities(x in intensities()) {
        let s = statistics(&x).unwrap();
        prop_assert!(s.min <= s.p10 && s.p10 <= s.p25 && s.p25 <= s.median);
        prop_assert!(s.median <= s.p75 && s.p75 <= s.p90 && s.p90 <= s.max);
        prop_assert!(s.var >= 0.0 && s.mad >= 0.0);
        let sc = scale_of(&s);
        // the median minimises the mean absolute deviation
        prop_assert!(s.medad <= s.mad + 1e-9 * sc.max(1.0));
        // excess kurtosis >= -2
        prop_assert!(s.kurt >= -2.0 - 1e-9);
        // rms² = var + mean²
        prop_assert!(close(s.rms * s.rms, s.var + s.mean * s.mean, sc * sc));
        if let Ok(r) = &s.rmad {
            prop_assert!(*r >= 0.0 && *r <= (s.p90 - s.p10) / 2.0 + 1e-9 * sc.max(1.0));
        }
        for (n, v) in s.values() {
            if let Ok(v) = v { prop_assert!(v.is_finite(), "{} = {}", n, v); }
        }
    }

    #[test]
    fn percentiles_agree_with_sorting(x in intensities(), q in 0u32..=100) {
        let mut sorted = x.clone();
        sorted.sort_by(f64::total_cmp);
        let h = (x.len() - 1) as f64 * q as f64 / 100.0;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(x.len() - 1);
        let expect = sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]);
        let got = percentiles(&x, &[q])[0];
        prop_assert!(close(got, expect, sorted[x.len() - 1].abs().max(sorted[0].abs())), "{} vs {}", got, expect);
    }

    /// Moving the ROI inside its grid changes nothing (the voxels keep their C order).
    #[test]
    fn invariant_under_roi_translation(
        vals in prop::collection::vec(-100i32..100, 8),
        inside in prop::collection::vec(any::<bool>(), 8),
        dz in 0usize..3, dy in 0usize..3, dx in 0usize..3,
    ) {
        prop_assume!(inside.iter().any(|&b| b));
        let make = |oz: usize, oy: usize, ox: usize| {
            let mut image = Array3::<f64>::from_elem((4, 4, 4), 7.0);
            let mut mask = Array3::from_elem((4, 4, 4), false);
            for k in 0..8 {
                let (z, y, x) = (k / 4 % 2 + oz, k / 2 % 2 + oy, k % 2 + ox);
                image[[z, y, x]] = f64::from(vals[k]);
                mask[[z, y, x]] = inside[k];
            }
            Roi { grid: Grid::new([4, 4, 4], [1.0, 2.0, 3.0], [0.0; 3]), image, morphological: mask.clone(), intensity: mask }
        };
        let settings = Settings::default();
        let none = Err("not used".to_string());
        let run = |roi: &Roi| {
            let input = FeatureInput { roi, settings: &settings, histogram: &none, texture: &none, ivh: &none };
            radx_intensity_stats::plugin().compute(&input).unwrap()
        };
        prop_assert_eq!(run(&make(0, 0, 0)), run(&make(dz, dy, dx)));
    }
}

#[test]
fn plugin_reports_missing_values_with_reasons() {
    // a ROI of one voxel at intensity 0: cov and qcod are undefined, not NaN
    let mut image = Array3::<f64>::zeros((1, 1, 3));
    image[[0, 0, 0]] = 5.0;
    let mut mask = Array3::from_elem((1, 1, 3), false);
    mask[[0, 0, 1]] = true;
    let roi = Roi {
        grid: Grid::new([1, 1, 3], [1.0; 3], [0.0; 3]),
        image,
        morphological: mask.clone(),
        intensity: mask,
    };
    let settings = Settings::default();
    let none = Err("not used".to_string());
    let input = FeatureInput {
        roi: &roi,
        settings: &settings,
        histogram: &none,
        texture: &none,
        ivh: &none,
    };
    let v = radx_intensity_stats::plugin().compute(&input).unwrap();
    assert_eq!(v.len(), 18);
    for f in &v {
        match f.name.as_str() {
            "cov" | "qcod" => assert!(f.value.is_none() && f.missing_reason.is_some(), "{f:?}"),
            _ => assert_eq!(f.value, Some(0.0), "{f:?}"),
        }
    }
    // an empty intensity mask is an error of the family, not a panic
    let mut empty = roi.clone();
    empty.intensity.fill(false);
    let input = FeatureInput {
        roi: &empty,
        settings: &settings,
        histogram: &none,
        texture: &none,
        ivh: &none,
    };
    assert!(radx_intensity_stats::plugin().compute(&input).is_err());
}

proptest! {
    /// The counting fast path (integer data) and selection agree exactly.
    #[test]
    fn counting_and_selection_paths_agree(
        x in prop::collection::vec((-2000i32..2000).prop_map(f64::from), 1..300),
        qs in prop::collection::vec(0u32..=100, 1..8),
    ) {
        use radx_intensity_stats::percentile::{counting_percentiles, selection_percentiles};
        prop_assert_eq!(counting_percentiles(&x, &qs).unwrap(), selection_percentiles(&x, &qs));
    }
}
