//! Separable wavelets (IBSI 2, 25BO: Haar, Daubechies, Coiflet): the undecimated
//! ("a trous") transform.

pub use radx_core::filter_spec::WaveletFamily;

use crate::conv::Kernel1;

/// The 1-D kernel of one axis at decomposition level `level` (1-based) of the undecimated
/// transform: `level - 1` low-pass stages then the requested pass, each stage's filter
/// dilated by `2^(stage - 1)`.
pub(crate) fn cascade(family: WaveletFamily, high: bool, level: usize) -> Vec<Kernel1> {
    let lo = Kernel1::centred(family.dec_lo());
    let hi = Kernel1::centred(family.dec_hi());
    (1..=level)
        .map(|l| {
            let base = if l == level && high { &hi } else { &lo };
            base.dilated(1 << (l - 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [WaveletFamily; 5] = [
        WaveletFamily::Haar,
        WaveletFamily::Db2,
        WaveletFamily::Db3,
        WaveletFamily::Db4,
        WaveletFamily::Coif1,
    ];

    #[test]
    fn filter_banks_are_orthonormal() {
        for f in ALL {
            let h = f.dec_lo();
            let g = f.dec_hi();
            let n = h.len();
            let s: f64 = h.iter().sum();
            assert!(
                (s - std::f64::consts::SQRT_2).abs() < 1e-12,
                "{f:?} sum {s}"
            );
            assert!(g.iter().sum::<f64>().abs() < 1e-12, "{f:?} high-pass sum");
            // Double-shift orthonormality of h, of g, and between h and g.
            for m in 0..n / 2 {
                let sh: f64 = (0..n - 2 * m).map(|k| h[k] * h[k + 2 * m]).sum();
                let sg: f64 = (0..n - 2 * m).map(|k| g[k] * g[k + 2 * m]).sum();
                let want = if m == 0 { 1.0 } else { 0.0 };
                assert!((sh - want).abs() < 1e-12, "{f:?} h shift {m}: {sh}");
                assert!((sg - want).abs() < 1e-12, "{f:?} g shift {m}: {sg}");
            }
            for m in -(n as isize / 2)..=(n as isize / 2) {
                let s: f64 = (0..n as isize)
                    .filter(|k| (0..n as isize).contains(&(k + 2 * m)))
                    .map(|k| h[k as usize] * g[(k + 2 * m) as usize])
                    .sum();
                assert!(s.abs() < 1e-12, "{f:?} h.g shift {m}: {s}");
            }
        }
    }

    #[test]
    fn daubechies_high_pass_has_vanishing_moments() {
        for (f, p) in [
            (WaveletFamily::Haar, 1),
            (WaveletFamily::Db2, 2),
            (WaveletFamily::Db3, 3),
            (WaveletFamily::Db4, 4),
        ] {
            let g = f.dec_hi();
            for m in 0..p {
                let s: f64 = g
                    .iter()
                    .enumerate()
                    .map(|(k, v)| (k as f64).powi(m) * v)
                    .sum();
                assert!(s.abs() < 1e-9, "{f:?} moment {m}: {s}");
            }
        }
    }

    #[test]
    fn cascade_reach_matches_the_kernels() {
        for f in ALL {
            for level in 1..=4 {
                let r = [true, false]
                    .iter()
                    .map(|&high| {
                        cascade(f, high, level)
                            .iter()
                            .map(|k| k.origin.max(k.h.len() - 1 - k.origin))
                            .sum::<usize>()
                    })
                    .max()
                    .unwrap();
                assert_eq!(f.cascade_reach(level), r, "{f:?} level {level}");
                assert_eq!(f.taps(), f.dec_lo().len());
            }
        }
    }

    #[test]
    fn cascade_dilates_later_stages() {
        let c = cascade(WaveletFamily::Haar, true, 3);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].h.len(), 2);
        assert_eq!(c[1].h.len(), 3);
        assert_eq!(c[2].h.len(), 5);
        assert!(c[2].h[0] < 0.0 && c[2].h[4] > 0.0);
    }
}
