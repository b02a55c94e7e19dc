//! CCC, overall CCC, Bland–Altman, coefficient of variation, reliability bands.

use ndarray::{array, Array2};
use proptest::prelude::*;
use radx_stats::{
    bland_altman, ccc, coefficient_of_variation, overall_ccc, Reliability, EXCELLENT_ABOVE,
    GOOD_FROM, MODERATE_FROM,
};

#[track_caller]
fn close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got:.15}, want {want:.15}");
}

#[test]
fn ccc_hand_computed() {
    // a = [1,2,3,4], b = [2,3,3,5]: ā = 2.5, b̄ = 3.25
    // deviations a: −1.5 −.5 .5 1.5; b: −1.25 −.25 −.25 1.75
    // s_a² = 5/4, s_b² = (1.5625+.0625+.0625+3.0625)/4 = 4.75/4 = 1.1875
    // s_ab = (1.875 + .125 − .125 + 2.625)/4 = 4.5/4 = 1.125
    // ρc = 2.25 / (1.25 + 1.1875 + 0.5625) = 2.25 / 3 = 0.75
    close(
        ccc(&[1., 2., 3., 4.], &[2., 3., 3., 5.]).unwrap(),
        0.75,
        1e-15,
    );
    // perfect agreement, perfect anti-agreement
    assert_eq!(ccc(&[1., 2., 3.], &[1., 2., 3.]), Some(1.0));
    // b = −a: s_ab = −2/3, s² = 2/3 each, (ā − b̄)² = 16 → (−4/3)/(4/3 + 16) = −1/13
    close(
        ccc(&[1., 2., 3.], &[-1., -2., -3.]).unwrap(),
        -1.0 / 13.0,
        1e-15,
    );
    // a shift lowers CCC but not Pearson: b = a + 1 → 2s²/(2s² + 1), s² = 2/3
    close(
        ccc(&[1., 2., 3.], &[2., 3., 4.]).unwrap(),
        (4.0 / 3.0) / (4.0 / 3.0 + 1.0),
        1e-15,
    );
}

#[test]
fn ccc_undefined_cases() {
    assert_eq!(ccc(&[1.0], &[1.0]), None);
    assert_eq!(ccc(&[1.0, 2.0], &[1.0]), None);
    assert_eq!(ccc(&[2.0, 2.0], &[2.0, 2.0]), None);
    assert_eq!(ccc(&[1.0, f64::NAN], &[1.0, 2.0]), None);
    // both constant but different: denominator (ā − b̄)² > 0 → 0
    assert_eq!(ccc(&[1.0, 1.0], &[2.0, 2.0]), Some(0.0));
}

#[test]
fn overall_ccc_hand_computed() {
    // columns [1,2,3], [2,3,4], [1,3,5]: means 2, 3, 3
    // population variances 2/3, 2/3, 8/3; covariances s12 = 2/3, s13 = 4/3, s23 = 4/3
    // mean differences² (2−3)² + (2−3)² + 0 = 2
    // ρ = 2(2/3 + 4/3 + 4/3) / (2(2/3 + 2/3 + 8/3) + 2) = (20/3) / 10 = 2/3
    let d = array![[1., 2., 1.], [2., 3., 3.], [3., 4., 5.]];
    close(overall_ccc(d.view()).unwrap(), 2.0 / 3.0, 1e-15);
    assert_eq!(overall_ccc(array![[1., 1.]].view()), None);
    assert_eq!(overall_ccc(array![[1.], [2.]].view()), None);
    assert_eq!(overall_ccc(array![[3., 3.], [3., 3.]].view()), None);
}

#[test]
fn bland_altman_hand_computed() {
    // d = a − b = [1, −1, 2, 2]: bias 1, sample sd √((0 + 4 + 1 + 1)/3) = √2
    let r = bland_altman(&[3., 4., 7., 9.], &[2., 5., 5., 7.]).unwrap();
    close(r.bias, 1.0, 1e-15);
    close(r.lower, 1.0 - 1.96 * 2f64.sqrt(), 1e-14);
    close(r.upper, 1.0 + 1.96 * 2f64.sqrt(), 1e-14);
    assert_eq!(r.n, 4);
    assert_eq!(bland_altman(&[1.0], &[2.0]), None);
    assert_eq!(bland_altman(&[1.0, 2.0], &[2.0]), None);
    assert_eq!(bland_altman(&[1.0, f64::INFINITY], &[2.0, 1.0]), None);
}

#[test]
fn coefficient_of_variation_hand_computed() {
    // [2, 4, 6]: mean 4, sample sd 2 → 0.5; sign of the mean ignored
    close(coefficient_of_variation(&[2., 4., 6.]).unwrap(), 0.5, 1e-15);
    close(
        coefficient_of_variation(&[-2., -4., -6.]).unwrap(),
        0.5,
        1e-15,
    );
    assert_eq!(coefficient_of_variation(&[5.0]), None);
    assert_eq!(coefficient_of_variation(&[-1.0, 1.0]), None);
    assert_eq!(coefficient_of_variation(&[1.0, f64::NAN]), None);
    assert_eq!(coefficient_of_variation(&[3.0, 3.0]), Some(0.0));
}

#[test]
fn reliability_bands_and_boundaries() {
    assert_eq!(
        (EXCELLENT_ABOVE, GOOD_FROM, MODERATE_FROM),
        (0.9, 0.75, 0.5)
    );
    assert_eq!(Reliability::of(0.95), Reliability::Excellent);
    assert_eq!(Reliability::of(0.9), Reliability::Good);
    assert_eq!(Reliability::of(0.8), Reliability::Good);
    assert_eq!(Reliability::of(0.75), Reliability::Good);
    assert_eq!(Reliability::of(0.749_999), Reliability::Moderate);
    assert_eq!(Reliability::of(0.5), Reliability::Moderate);
    assert_eq!(Reliability::of(0.499_999), Reliability::Poor);
    assert_eq!(Reliability::of(-0.3), Reliability::Poor);
    assert_eq!(Reliability::of(f64::NAN), Reliability::Poor);
    for (r, name) in [
        (Reliability::Excellent, "excellent"),
        (Reliability::Good, "good"),
        (Reliability::Moderate, "moderate"),
        (Reliability::Poor, "poor"),
    ] {
        assert_eq!(r.name(), name);
    }
}

fn pair() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (2usize..30).prop_flat_map(|n| {
        (
            prop::collection::vec(-1e3f64..1e3, n),
            prop::collection::vec(-1e3f64..1e3, n),
        )
    })
}

proptest! {
    #[test]
    fn ccc_symmetric_and_bounded((a, b) in pair()) {
        let ab = ccc(&a, &b).unwrap();
        let ba = ccc(&b, &a).unwrap();
        prop_assert!((ab - ba).abs() < 1e-12);
        prop_assert!((-1.0 - 1e-12..=1.0 + 1e-12).contains(&ab));
        prop_assert!((ccc(&a, &a).unwrap() - 1.0).abs() < 1e-12);
        // |CCC| ≤ |Pearson r| (Lin 1989: CCC = r · C_b with 0 < C_b ≤ 1)
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let sab: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let saa: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let sbb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        let r = sab / (saa * sbb).sqrt();
        prop_assert!(ab.abs() <= r.abs() + 1e-12);
        prop_assert!(ab * r >= -1e-12);
    }

    #[test]
    fn overall_ccc_with_two_columns_is_lins_ccc((a, b) in pair()) {
        let n = a.len();
        let d = Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { a[i] } else { b[i] });
        prop_assert!((overall_ccc(d.view()).unwrap() - ccc(&a, &b).unwrap()).abs() < 1e-12);
    }

    #[test]
    fn bland_altman_antisymmetric((a, b) in pair()) {
        let ab = bland_altman(&a, &b).unwrap();
        let ba = bland_altman(&b, &a).unwrap();
        prop_assert!((ab.bias + ba.bias).abs() < 1e-9);
        prop_assert!((ab.upper + ba.lower).abs() < 1e-9);
        prop_assert!(ab.lower <= ab.bias && ab.bias <= ab.upper);
    }

    #[test]
    fn cv_scale_invariant(v in prop::collection::vec(1.0f64..100.0, 2..20), c in 0.01f64..100.0) {
        let s: Vec<f64> = v.iter().map(|x| x * c).collect();
        let a = coefficient_of_variation(&v).unwrap();
        let b = coefficient_of_variation(&s).unwrap();
        prop_assert!((a - b).abs() <= 1e-12 * a.max(1.0));
    }
}
