//! ICC(2,1) and ICC(3,1): published and hand-computed examples, edge cases,
//! invariances.

use ndarray::{array, Array2};
use proptest::prelude::*;
use radx_stats::{icc, Estimate, StatsError};

#[track_caller]
fn close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got:.15}, want {want:.15}");
}

/// Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
fn shrout_fleiss() -> Array2<f64> {
    array![
        [9., 2., 5., 8.],
        [6., 1., 3., 2.],
        [8., 4., 6., 8.],
        [7., 1., 2., 6.],
        [10., 5., 6., 9.],
        [6., 2., 4., 7.]
    ]
}

#[test]
fn shrout_fleiss_published_example() {
    let r = icc(shrout_fleiss().view(), 0.95).unwrap();
    // Published ANOVA (Shrout & Fleiss 1979, Table 3): BMS 11.24, JMS 32.49,
    // EMS 1.02; exactly 1349/120, 2339/72, 367/360.
    close(r.ms_subjects, 1349.0 / 120.0, 1e-12);
    close(r.ms_conditions, 2339.0 / 72.0, 1e-12);
    close(r.ms_error, 367.0 / 360.0, 1e-12);
    // Published ICC(2,1) = .29, ICC(3,1) = .71; exact 184/635 and 920/1287.
    close(r.icc2_1.value, 184.0 / 635.0, 1e-12);
    close(r.icc3_1.value, 920.0 / 1287.0, 1e-12);
    assert_eq!((r.icc2_1.value * 100.0).round(), 29.0);
    assert_eq!((r.icc3_1.value * 100.0).round(), 71.0);
    // 95 % intervals: the published/pingouin values are [0.02, 0.76] and
    // [0.34, 0.95]; the digits below were recomputed with the same formulas
    // in 30-digit arithmetic (mpmath), Satterthwaite v = 4.785143862212763.
    close(r.icc2_1.lower, 0.018_786_513_374_712_01, 1e-9);
    close(r.icc2_1.upper, 0.761_084_369_648_952_8, 1e-9);
    close(r.icc3_1.lower, 0.342_464_765_033_925_2, 1e-9);
    close(r.icc3_1.upper, 0.945_858_259_955_359_5, 1e-9);
    assert_eq!((r.icc2_1.lower * 100.0).round(), 2.0);
    assert_eq!((r.icc2_1.upper * 100.0).round(), 76.0);
    assert_eq!((r.icc3_1.lower * 100.0).round(), 34.0);
    assert_eq!((r.icc3_1.upper * 100.0).round(), 95.0);
    assert_eq!((r.subjects, r.conditions, r.level), (6, 4, 0.95));
}

#[test]
fn hand_computed_three_by_two() {
    // rows [1,2],[3,3],[5,7]: grand mean 3.5, row means 1.5, 3, 6,
    // column means 3, 4.  SSR = 2(4 + .25 + 6.25) = 21, MSR = 10.5;
    // SSC = 3(.25 + .25) = 1.5, MSC = 1.5; SST = 23.5, SSE = 1, MSE = .5.
    // ICC(3,1) = 10/11; ICC(2,1) = 10/(11 + 2·1/3) = 6/7.
    // F₀ = 21 and F_.975(2, 2) = 39 exactly (F(2,d2) has a closed form), so
    // ICC(3,1) CI = [(21/39 − 1)/(21/39 + 1), (819 − 1)/(819 + 1)] = [−0.3, 818/820].
    let r = icc(array![[1., 2.], [3., 3.], [5., 7.]].view(), 0.95).unwrap();
    close(r.ms_subjects, 10.5, 1e-13);
    close(r.ms_conditions, 1.5, 1e-13);
    close(r.ms_error, 0.5, 1e-13);
    close(r.icc3_1.value, 10.0 / 11.0, 1e-14);
    close(r.icc2_1.value, 6.0 / 7.0, 1e-14);
    close(r.icc3_1.lower, -0.3, 1e-12);
    close(r.icc3_1.upper, 818.0 / 820.0, 1e-12);
    // ICC(2,1): a = 2·(6/7)/(3/7) /3 = 4/3, b = 1 + 2·(6/7)·2/(3/7)/3 = 11/3,
    // v = (2 + 11/6)² / (4 + (11/6)²/2) = 2.3902439…; bounds from mpmath.
    close(r.icc2_1.lower, -0.050_212_820_085_659_38, 1e-9);
    close(r.icc2_1.upper, 0.995_949_946_193_275_3, 1e-9);
}

#[test]
fn identical_conditions_give_one() {
    let r = icc(array![[1., 1.], [2., 2.], [4., 4.]].view(), 0.95).unwrap();
    assert_eq!(r.ms_error, 0.0);
    let one = Estimate {
        value: 1.0,
        lower: 1.0,
        upper: 1.0,
    };
    assert_eq!(r.icc3_1, one);
    assert_eq!(r.icc2_1, one);
    // inexact means (0.1 + 0.1 + 0.1)/3: not bit-exact, still 1 to rounding
    let d = array![[0.1, 0.1, 0.1], [0.7, 0.7, 0.7], [1.3, 1.3, 1.3]];
    let r = icc(d.view(), 0.95).unwrap();
    for e in [r.icc2_1, r.icc3_1] {
        close(e.value, 1.0, 1e-12);
        close(e.lower, 1.0, 1e-9);
        close(e.upper, 1.0, 1e-12);
    }
}

#[test]
fn constant_shift_between_conditions() {
    // second rater = first + 1: consistency perfect, agreement not.
    // MSR = 14/3, MSC = 3/2, MSE = 0: ICC(3,1) = 1, ICC(2,1) = (14/3)/(14/3 + 2·1.5/3) = 14/17.
    let r = icc(array![[1., 2.], [2., 3.], [4., 5.]].view(), 0.95).unwrap();
    assert_eq!(r.ms_error, 0.0);
    assert_eq!(
        (r.icc3_1.value, r.icc3_1.lower, r.icc3_1.upper),
        (1.0, 1.0, 1.0)
    );
    close(r.icc2_1.value, 14.0 / 17.0, 1e-14);
    // v = k − 1 = 1: lower = n·MSR/(F*(1,...)...) with F* = F_.975(2, 1)
    let f_star = radx_stats::dist::f_quantile(0.975, 2.0, 1.0);
    let f_inv = radx_stats::dist::f_quantile(0.975, 1.0, 2.0);
    close(r.icc2_1.lower, 14.0 / (f_star * 3.0 + 14.0), 1e-12);
    close(r.icc2_1.upper, 14.0 * f_inv / (3.0 + 14.0 * f_inv), 1e-12);
    assert!(r.icc2_1.lower < r.icc2_1.value && r.icc2_1.value < r.icc2_1.upper);
}

#[test]
fn errors() {
    assert_eq!(
        icc(array![[1., 2., 3.]].view(), 0.95),
        Err(StatsError::TooFewSubjects { n: 1, needed: 2 })
    );
    assert_eq!(
        icc(array![[1.], [2.]].view(), 0.95),
        Err(StatsError::TooFewConditions { k: 1 })
    );
    assert_eq!(
        icc(array![[1., f64::NAN], [2., 3.]].view(), 0.95),
        Err(StatsError::NonFinite)
    );
    assert!(matches!(
        icc(array![[3., 3.], [3., 3.]].view(), 0.95),
        Err(StatsError::ZeroVariance { .. })
    ));
    // every column constant (MSR = MSE = 0, MSC > 0): consistency 0/0
    assert!(matches!(
        icc(array![[1., 5.], [1., 5.], [1., 5.]].view(), 0.95),
        Err(StatsError::ZeroVariance { .. })
    ));
    assert_eq!(
        icc(shrout_fleiss().view(), 1.0),
        Err(StatsError::InvalidLevel { level: 1.0 })
    );
    assert!(icc(shrout_fleiss().view(), f64::NAN).is_err());
}

#[test]
fn negative_icc_is_not_clamped() {
    // rows [1,4],[4,1],[2,3],[3,3]: grand mean 21/8, row means 2.5,2.5,2.5,3,
    // column means 2.5, 2.75. SSR = 2(3·(1/8)² + (3/8)²) = 3/8, MSR = 1/8;
    // SSC = 4·2·(1/8)² = 1/8, MSC = 1/8; SST = 55/8 + ... computed: SSE = 6.375 − 0.5 = 5.875? see below.
    let d = array![[1., 4.], [4., 1.], [2., 3.], [3., 3.]];
    let r = icc(d.view(), 0.95).unwrap();
    // SST = Σx² − 8·(21/8)² = 65 − 55.125 = 9.875; SSE = 9.875 − 3/8 − 1/8 = 9.375, MSE = 3.125
    close(r.ms_subjects, 0.125, 1e-13);
    close(r.ms_conditions, 0.125, 1e-13);
    close(r.ms_error, 3.125, 1e-13);
    close(r.icc3_1.value, (0.125 - 3.125) / (0.125 + 3.125), 1e-13);
    close(
        r.icc2_1.value,
        (0.125 - 3.125) / (0.125 + 3.125 + 2.0 * (0.125 - 3.125) / 4.0),
        1e-13,
    );
    assert!(r.icc3_1.value < -0.9 && r.icc2_1.value < -0.9);
    assert!(r.icc3_1.lower < r.icc3_1.value);
}

#[test]
fn degenerate_satterthwaite_df_gives_the_limit() {
    // MSR = MSC = 0, MSE = 8: ICC(3,1) = −1 with CI [−1, −1] (F₀ = 0);
    // ICC(2,1) = −8/(8 − 16/3) = −3, b → 0 so v → 0 and both bounds tend to
    // −n·MSE/(k·MSC + (kn − k − n)MSE) = −24/8 = −3.
    let r = icc(array![[1., 5.], [5., 1.], [3., 3.]].view(), 0.95).unwrap();
    assert_eq!(
        (r.ms_subjects, r.ms_conditions, r.ms_error),
        (0.0, 0.0, 8.0)
    );
    assert_eq!(
        (r.icc3_1.value, r.icc3_1.lower, r.icc3_1.upper),
        (-1.0, -1.0, -1.0)
    );
    close(r.icc2_1.value, -3.0, 1e-12);
    close(r.icc2_1.lower, -3.0, 1e-12);
    close(r.icc2_1.upper, -3.0, 1e-12);
}

/// n × k tables of moderately spread values (continuous, so MSR and MSE are
/// almost surely positive).
fn table() -> impl Strategy<Value = Array2<f64>> {
    (2usize..10, 2usize..7).prop_flat_map(|(n, k)| {
        prop::collection::vec(-100.0f64..100.0, n * k)
            .prop_map(move |v| Array2::from_shape_vec((n, k), v).unwrap())
    })
}

fn same(a: Estimate, b: Estimate, tol: f64) -> bool {
    (a.value - b.value).abs() <= tol
        && (a.lower - b.lower).abs() <= tol
        && (a.upper - b.upper).abs() <= tol
}

proptest! {
    #[test]
    fn invariant_under_affine_map(d in table(), scale in 0.01f64..100.0, neg in any::<bool>(), shift in -1e3f64..1e3) {
        let base = icc(d.view(), 0.95).unwrap();
        let c = if neg { -scale } else { scale };
        let t = d.mapv(|x| c * x + shift);
        let r = icc(t.view(), 0.95).unwrap();
        prop_assert!(same(base.icc2_1, r.icc2_1, 1e-8), "{:?} vs {:?}", base.icc2_1, r.icc2_1);
        prop_assert!(same(base.icc3_1, r.icc3_1, 1e-8), "{:?} vs {:?}", base.icc3_1, r.icc3_1);
    }

    #[test]
    fn icc3_invariant_under_condition_offsets(d in table(), offsets in prop::collection::vec(-50.0f64..50.0, 7)) {
        let base = icc(d.view(), 0.95).unwrap();
        let mut t = d.clone();
        for (j, mut col) in t.columns_mut().into_iter().enumerate() {
            col += offsets[j];
        }
        let r = icc(t.view(), 0.95).unwrap();
        prop_assert!(same(base.icc3_1, r.icc3_1, 1e-8));
        // MSR and MSE unchanged, MSC changes
        prop_assert!((base.ms_error - r.ms_error).abs() <= 1e-8 * base.ms_error.max(1.0));
    }

    #[test]
    fn invariant_under_row_and_column_permutation(d in table(), rot_r in 0usize..10, rot_c in 0usize..7) {
        let (n, k) = d.dim();
        let p = Array2::from_shape_fn((n, k), |(i, j)| d[[(i + rot_r) % n, (j + rot_c) % k]]);
        let a = icc(d.view(), 0.9).unwrap();
        let b = icc(p.view(), 0.9).unwrap();
        prop_assert!(same(a.icc2_1, b.icc2_1, 1e-10) && same(a.icc3_1, b.icc3_1, 1e-10));
    }

    /// ICC(3,1) − ICC(2,1) = (MSR − MSE)·k(MSC − MSE)/n / (D₂ D₃) with both
    /// denominators positive, so ICC(2,1) ≤ ICC(3,1) exactly when
    /// (MSR − MSE)(MSC − MSE) ≥ 0 — not in general.
    #[test]
    fn icc2_vs_icc3_ordering(d in table()) {
        let r = icc(d.view(), 0.95).unwrap();
        let s = (r.ms_subjects - r.ms_error) * (r.ms_conditions - r.ms_error);
        if s >= 0.0 {
            prop_assert!(r.icc2_1.value <= r.icc3_1.value + 1e-12);
        } else {
            prop_assert!(r.icc2_1.value >= r.icc3_1.value - 1e-12);
        }
    }

    #[test]
    fn interval_contains_estimate_and_widens(d in table(), level in 0.5f64..0.99) {
        let r = icc(d.view(), level).unwrap();
        let w = icc(d.view(), (level + 1.0) / 2.0).unwrap();
        // ICC(3,1): exact interval, always contains the estimate
        let e = r.icc3_1;
        prop_assert!(e.lower <= e.value + 1e-12 && e.value <= e.upper + 1e-12, "{:?}", e);
        for (e, wide) in [(r.icc3_1, w.icc3_1), (r.icc2_1, w.icc2_1)] {
            prop_assert!(e.lower <= e.upper + 1e-12, "{:?}", e);
            prop_assert!(wide.lower <= e.lower + 1e-12 && e.upper <= wide.upper + 1e-12);
            prop_assert!(e.upper <= 1.0 + 1e-12);
        }
    }
}
