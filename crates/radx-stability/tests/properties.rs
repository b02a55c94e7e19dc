//! Property tests of invariances the definitions imply.

use proptest::prelude::*;
use radx_check::compare::LongValue;
use radx_stability::assess::{assess, ConditionTable, StabilityOptions};
use radx_stability::sites::benjamini_hochberg;

fn tables(data: &[Vec<f64>], k: usize, map: impl Fn(f64) -> f64) -> Vec<ConditionTable> {
    // data[i][j]: case i, condition j
    (0..k)
        .map(|j| ConditionTable {
            name: format!("c{j}"),
            values: data
                .iter()
                .enumerate()
                .map(|(i, row)| LongValue {
                    case: format!("case{i:02}"),
                    roi: "r".into(),
                    image: "original".into(),
                    tag: "stat_x".into(),
                    family: "intensity_stats".into(),
                    value: Some(map(row[j])),
                    ..Default::default()
                })
                .collect(),
            provenance: None,
        })
        .collect()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-7 * (1.0 + x.abs().max(y.abs())),
        (None, None) => true,
        _ => false,
    }
}

fn matrix() -> impl Strategy<Value = (Vec<Vec<f64>>, usize)> {
    (3usize..12, 2usize..6).prop_flat_map(|(n, k)| {
        (
            prop::collection::vec((1.0f64..100.0, prop::collection::vec(-5.0f64..5.0, k)), n)
                .prop_map(|rows| {
                    rows.into_iter()
                        .map(|(level, noise)| noise.into_iter().map(|e| level + e).collect())
                        .collect()
                }),
            Just(k),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// ICCs and CCCs are invariant under a common positive affine change of units; the mean
    /// CV under a common scale.
    #[test]
    fn agreement_is_unit_invariant((data, k) in matrix(), a in 0.01f64..100.0, b in -1e3f64..1e3) {
        let o = StabilityOptions::default();
        let base = &assess(&tables(&data, k, |x| x), &o).unwrap().features[0];
        let aff = &assess(&tables(&data, k, |x| a * x + b), &o).unwrap().features[0];
        let sc = &assess(&tables(&data, k, |x| a * x), &o).unwrap().features[0];
        prop_assert!(close(base.icc2_1.map(|e| e.value), aff.icc2_1.map(|e| e.value)));
        prop_assert!(close(base.icc2_1.map(|e| e.lower), aff.icc2_1.map(|e| e.lower)));
        prop_assert!(close(base.icc3_1.map(|e| e.value), aff.icc3_1.map(|e| e.value)));
        prop_assert!(close(base.overall_ccc, aff.overall_ccc));
        for (p, q) in base.pairwise_ccc.iter().zip(&aff.pairwise_ccc) {
            prop_assert!(close(p.ccc, q.ccc));
        }
        prop_assert!(close(base.mean_cv, sc.mean_cv));
    }

    /// The order of rows in the tables does not matter: results are bit-identical.
    #[test]
    fn row_order_is_irrelevant((data, k) in matrix(), seed in any::<u64>()) {
        let o = StabilityOptions::default();
        let t = tables(&data, k, |x| x);
        let mut shuffled = t.clone();
        let mut s = seed | 1;
        for c in shuffled.iter_mut() {
            for i in (1..c.values.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                c.values.swap(i, (s % (i as u64 + 1)) as usize);
            }
        }
        let a = assess(&t, &o).unwrap().to_json();
        let b = assess(&shuffled, &o).unwrap().to_json();
        prop_assert_eq!(a, b);
    }

    /// Benjamini–Hochberg: p ≤ q ≤ 1, and q is monotone in p.
    #[test]
    fn bh_q_values_are_ordered(p in prop::collection::vec(0.0f64..=1.0, 1..40)) {
        let ps: Vec<Option<f64>> = p.iter().map(|&x| Some(x)).collect();
        let q = benjamini_hochberg(&ps);
        for (i, qi) in q.iter().enumerate() {
            let qi = qi.unwrap();
            prop_assert!(p[i] <= qi + 1e-15 && qi <= 1.0);
            for (j, qj) in q.iter().enumerate() {
                if p[i] < p[j] {
                    prop_assert!(qi <= qj.unwrap());
                }
            }
        }
    }
}
