//! Separable wavelets (IBSI 2, 25BO: Haar, Daubechies, Coiflet): the undecimated
//! ("a trous") transform.

pub use radx_core::filter_spec::WaveletFamily;

use crate::conv::Kernel1;

/// The orthonormal scaling (reconstruction low-pass) filter `h`, with
/// `sum h = sqrt 2` and `sum h[k] h[k + 2m] = delta(m)`.
pub fn scaling_filter(family: WaveletFamily) -> Vec<f64> {
    let s2 = std::f64::consts::SQRT_2;
    match family {
        WaveletFamily::Haar => vec![1.0 / s2, 1.0 / s2],
        WaveletFamily::Db2 => {
            let s3 = 3f64.sqrt();
            let d = 4.0 * s2;
            vec![
                (1.0 + s3) / d,
                (3.0 + s3) / d,
                (3.0 - s3) / d,
                (1.0 - s3) / d,
            ]
        }
        WaveletFamily::Db3 => {
            // Closed form of the 6-tap Daubechies filter.
            let r10 = 10f64.sqrt();
            let a = (5.0 + 2.0 * r10).sqrt();
            let d = 16.0 * s2;
            vec![
                (1.0 + r10 + a) / d,
                (5.0 + r10 + 3.0 * a) / d,
                (10.0 - 2.0 * r10 + 2.0 * a) / d,
                (10.0 - 2.0 * r10 - 2.0 * a) / d,
                (5.0 + r10 - 3.0 * a) / d,
                (1.0 + r10 - a) / d,
            ]
        }
        WaveletFamily::Db4 => vec![
            0.230_377_813_308_855_23,
            0.714_846_570_552_541_5,
            0.630_880_767_929_590_4,
            -0.027_983_769_416_983_85,
            -0.187_034_811_718_881_14,
            0.030_841_381_835_986_965,
            0.032_883_011_666_982_945,
            -0.010_597_401_784_997_278,
        ],
        WaveletFamily::Coif1 => {
            let r7 = 7f64.sqrt();
            let c = s2 / 32.0;
            vec![
                c * (1.0 - r7),
                c * (5.0 + r7),
                c * (14.0 + 2.0 * r7),
                c * (14.0 - 2.0 * r7),
                c * (1.0 - r7),
                c * (-3.0 + r7),
            ]
        }
    }
}

/// Number of taps of the filter bank.
pub fn taps(family: WaveletFamily) -> usize {
    match family {
        WaveletFamily::Haar => 2,
        WaveletFamily::Db2 => 4,
        WaveletFamily::Db3 | WaveletFamily::Coif1 => 6,
        WaveletFamily::Db4 => 8,
    }
}

/// Reach in voxels, to either side, of the undecimated cascade of `level` stages: the
/// `n`-tap kernel centred at `n / 2` reaches `max(n / 2, n - 1 - n / 2)` voxels, and stage
/// `l` dilates it by `2^(l-1)`, so the cascade reaches `(2^level - 1) max(n / 2, n - 1 -
/// n / 2)`. A mirrored kernel (rotation pooling) reaches as far.
pub fn cascade_reach(family: WaveletFamily, level: usize) -> usize {
    let n = taps(family);
    let one = (n / 2).max(n - 1 - n / 2);
    ((1usize << level.min(usize::BITS as usize - 1)) - 1) * one
}

/// Decomposition low-pass filter: the time-reversed scaling filter.
pub fn dec_lo(family: WaveletFamily) -> Vec<f64> {
    let mut h = scaling_filter(family);
    h.reverse();
    h
}

/// Decomposition high-pass filter: `g[k] = (-1)^(k+1) h[k]` with `h` the scaling
/// filter (the quadrature mirror of the low-pass).
pub fn dec_hi(family: WaveletFamily) -> Vec<f64> {
    scaling_filter(family)
        .iter()
        .enumerate()
        .map(|(k, v)| if k % 2 == 0 { -v } else { *v })
        .collect()
}

/// The 1-D kernel of one axis at decomposition level `level` (1-based) of the undecimated
/// transform: `level - 1` low-pass stages then the requested pass, each stage's filter
/// dilated by `2^(stage - 1)`.
pub(crate) fn cascade(family: WaveletFamily, high: bool, level: usize) -> Vec<Kernel1> {
    let lo = Kernel1::centred(dec_lo(family));
    let hi = Kernel1::centred(dec_hi(family));
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
            let h = dec_lo(f);
            let g = dec_hi(f);
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
            let g = dec_hi(f);
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
                assert_eq!(cascade_reach(f, level), r, "{f:?} level {level}");
                assert_eq!(taps(f), dec_lo(f).len());
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
