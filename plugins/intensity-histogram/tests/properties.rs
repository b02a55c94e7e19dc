//! Property tests: the histogram counts every ROI voxel once, and its statistics agree
//! with the intensity-based statistics of the same grey levels.

use proptest::prelude::*;
use radx_intensity_histogram::{features, Histogram};
use radx_intensity_stats::statistics;

fn levels() -> impl Strategy<Value = Vec<u32>> {
    // 0 marks voxels outside the intensity mask
    prop::collection::vec(prop_oneof![Just(0u32), 1u32..40, 1u32..4], 1..300)
        .prop_filter("at least one ROI voxel", |v| v.iter().any(|&l| l > 0))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #[test]
    fn counts_sum_to_the_voxel_count(l in levels(), n_levels in 0u32..50) {
        let h = Histogram::from_levels(&l, n_levels);
        let inside = l.iter().filter(|&&v| v > 0).count() as u64;
        prop_assert_eq!(h.n, inside);
        prop_assert_eq!(h.counts.iter().sum::<u64>(), inside);
        let top = *l.iter().max().unwrap() as usize;
        prop_assert_eq!(h.n_bins(), top.max(n_levels as usize));
        for (i, &c) in h.counts.iter().enumerate() {
            prop_assert_eq!(c, l.iter().filter(|&&v| v as usize == i + 1).count() as u64);
        }
    }

    #[test]
    fn agrees_with_intensity_statistics_of_the_levels(l in levels()) {
        let h = Histogram::from_levels(&l, 0);
        let f = features(&h).unwrap();
        let x: Vec<f64> = l.iter().filter(|&&v| v > 0).map(|&v| f64::from(v)).collect();
        let s = statistics(&x).unwrap();
        for (name, a, b) in [
            ("mean", f.mean, s.mean), ("var", f.var, s.var), ("median", f.median, s.median),
            ("min", f.min, s.min), ("max", f.max, s.max), ("p10", f.p10, s.p10),
            ("p25", f.p25, s.p25), ("p75", f.p75, s.p75), ("p90", f.p90, s.p90),
            ("iqr", f.iqr, s.iqr), ("range", f.range, s.range), ("mad", f.mad, s.mad),
            ("medad", f.medad, s.medad), ("cov", f.cov, s.cov.clone().unwrap()),
            ("qcod", f.qcod, s.qcod.clone().unwrap()),
        ] {
            prop_assert!(close(a, b), "{}: histogram {} vs statistics {}", name, a, b);
        }
        if s.var > 1e-9 {
            prop_assert!(close(f.skew, s.skew) && close(f.kurt, s.kurt));
        }
        match (&f.rmad, &s.rmad) {
            (Ok(a), Ok(b)) => prop_assert!(close(*a, *b), "rmad {} vs {}", a, b),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "rmad {:?} vs {:?}", a, b),
        }
    }

    #[test]
    fn information_measures_and_mode(l in levels()) {
        let h = Histogram::from_levels(&l, 0);
        let f = features(&h).unwrap();
        let occupied = h.counts.iter().filter(|&&c| c > 0).count() as f64;
        prop_assert!(f.entropy >= 0.0 && f.entropy <= occupied.log2() + 1e-12);
        prop_assert!(f.uniformity <= 1.0 + 1e-12 && f.uniformity >= 1.0 / occupied - 1e-12);
        let top = *h.counts.iter().max().unwrap();
        prop_assert_eq!(h.counts[f.mode as usize - 1], top);
        if let (Ok(a), Ok(b)) = (&f.max_grad, &f.min_grad) {
            prop_assert!(a >= b);
            let g = h.gradient().unwrap();
            prop_assert_eq!(g[f.max_grad_g.clone().unwrap() as usize - 1], *a);
            prop_assert_eq!(g[f.min_grad_g.clone().unwrap() as usize - 1], *b);
        }
    }

    /// Shifting every level by `c` (empty bins below) shifts location, keeps dispersion
    /// and shape, and leaves entropy and uniformity alone.
    #[test]
    fn level_shift(l in levels(), c in 1u32..20) {
        let a = features(&Histogram::from_levels(&l, 0)).unwrap();
        let shifted: Vec<u32> = l.iter().map(|&v| if v > 0 { v + c } else { 0 }).collect();
        let b = features(&Histogram::from_levels(&shifted, 0)).unwrap();
        let c = f64::from(c);
        for (x, y) in [(a.mean + c, b.mean), (a.median + c, b.median), (a.mode + c, b.mode),
                       (a.p10 + c, b.p10), (a.p90 + c, b.p90), (a.var, b.var), (a.mad, b.mad),
                       (a.medad, b.medad), (a.iqr, b.iqr), (a.entropy, b.entropy),
                       (a.uniformity, b.uniformity), (a.skew, b.skew)] {
            prop_assert!(close(x, y), "{} vs {}", x, y);
        }
    }
}
