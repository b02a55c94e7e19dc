//! Kruskal–Wallis H test: textbook and hand-worked examples, invariances.

use proptest::prelude::*;
use radx_stats::{kruskal_wallis, StatsError};

#[track_caller]
fn close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got:.15}, want {want:.15}");
}

#[test]
fn hollander_wolfe_mucociliary_example() {
    // Hollander & Wolfe (1973), p. 116 (also the example of R's kruskal.test):
    // published "Kruskal-Wallis chi-squared = 0.77143, df = 2, p-value = 0.68".
    // Ranks: normal 4,5,8,9,10 (R = 36), airway 3,6,13,14 (36),
    // asbestosis 1,2,7,11,12 (33); H = 12/210 · 801 − 45 = 27/35, no ties.
    let groups = vec![
        vec![2.9, 3.0, 2.5, 2.6, 3.2],
        vec![3.8, 2.7, 4.0, 2.4],
        vec![2.8, 3.4, 3.7, 2.2, 2.0],
    ];
    let r = kruskal_wallis(&groups).unwrap();
    close(r.h, 27.0 / 35.0, 1e-13);
    assert_eq!((r.df, r.n), (2, 14));
    // χ²(2) survival is e^{−h/2}
    close(r.p_value, (-27.0f64 / 70.0).exp(), 1e-14);
    assert_eq!((r.p_value * 100.0).round(), 68.0);
}

#[test]
fn hand_worked_with_ties() {
    // A = [1,2,2], B = [2,3,4], C = [4,5]; pooled ranks: 1→1, 2,2,2→3 (mid-rank
    // of 2,3,4), 3→5, 4,4→6.5, 5→8. R_A = 7, R_B = 14.5, R_C = 14.5, N = 8.
    // H₀ = 12/72 · (49/3 + 210.25/3 + 210.25/2) − 27 = 709/144.
    // Ties t = 3 and t = 2: C = 1 − (24 + 6)/504 = 79/84; H = 709·84/(144·79).
    let groups = vec![vec![1., 2., 2.], vec![2., 3., 4.], vec![4., 5.]];
    let r = kruskal_wallis(&groups).unwrap();
    let h = 709.0 * 84.0 / (144.0 * 79.0);
    close(r.h, h, 1e-13);
    close(r.p_value, (-h / 2.0).exp(), 1e-14);
    assert_eq!((r.df, r.n), (2, 8));
}

#[test]
fn two_groups_fully_separated() {
    // [1,2,3] vs [4,5,6]: R = 6, 15; H = 12/42 (12 + 75) − 21 = 24.857… − 21 = 27/7
    let r = kruskal_wallis(&[vec![1., 2., 3.], vec![4., 5., 6.]]).unwrap();
    close(r.h, 27.0 / 7.0, 1e-13);
    assert_eq!(r.df, 1);
    close(r.p_value, radx_stats::dist::chi2_sf(27.0 / 7.0, 1.0), 1e-15);
    // identical groups give H = 0, p = 1
    let r = kruskal_wallis(&[vec![1., 2., 3.], vec![3., 2., 1.]]).unwrap();
    assert_eq!((r.h, r.p_value), (0.0, 1.0));
}

#[test]
fn errors() {
    assert_eq!(
        kruskal_wallis(&[vec![1., 2.]]),
        Err(StatsError::TooFewGroups { groups: 1 })
    );
    assert_eq!(
        kruskal_wallis(&[vec![1., 2.], vec![]]),
        Err(StatsError::EmptyGroup { index: 1 })
    );
    assert_eq!(
        kruskal_wallis(&[vec![1., f64::NAN], vec![2.]]),
        Err(StatsError::NonFinite)
    );
    assert!(matches!(
        kruskal_wallis(&[vec![4., 4.], vec![4.]]),
        Err(StatsError::ZeroVariance { .. })
    ));
}

fn groups() -> impl Strategy<Value = Vec<Vec<f64>>> {
    // small integers so that ties are frequent
    prop::collection::vec(
        prop::collection::vec((0i32..12).prop_map(f64::from), 1..8),
        2..5,
    )
    .prop_filter("not all equal", |g| {
        let first = g[0][0];
        g.iter().flatten().any(|&x| x != first)
    })
}

proptest! {
    #[test]
    fn invariant_under_monotone_transform(g in groups()) {
        let base = kruskal_wallis(&g).unwrap();
        let t: Vec<Vec<f64>> = g
            .iter()
            .map(|v| v.iter().map(|&x| (x / 3.0).exp() + x * x * x).collect())
            .collect();
        let r = kruskal_wallis(&t).unwrap();
        prop_assert!((base.h - r.h).abs() <= 1e-10 * base.h.max(1.0));
        prop_assert!((base.p_value - r.p_value).abs() <= 1e-10);
        prop_assert!(base.h >= 0.0 && (0.0..=1.0).contains(&base.p_value));
    }

    #[test]
    fn invariant_under_group_order(g in groups(), rot in 0usize..5) {
        let base = kruskal_wallis(&g).unwrap();
        let mut p = g.clone();
        p.rotate_left(rot % g.len());
        p.reverse();
        let r = kruskal_wallis(&p).unwrap();
        prop_assert!((base.h - r.h).abs() <= 1e-10 * base.h.max(1.0));
        prop_assert_eq!(base.df, r.df);
        prop_assert_eq!(base.n, r.n);
    }

    #[test]
    fn order_within_groups_is_irrelevant(g in groups()) {
        let base = kruskal_wallis(&g).unwrap();
        let p: Vec<Vec<f64>> = g.iter().map(|v| v.iter().rev().copied().collect()).collect();
        prop_assert_eq!(base, kruskal_wallis(&p).unwrap());
    }
}
