//! Separable wavelets (IBSI 2, 25BO: Haar, Daubechies, Coiflet): the undecimated
//! ("a trous") transform.

use serde::{Deserialize, Serialize};

use crate::conv::Kernel1;

/// Orthogonal wavelet families with their decomposition filter banks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WaveletFamily {
    /// Haar (= Daubechies 1), 2 taps.
    #[serde(alias = "db1")]
    Haar,
    /// Daubechies 2, 4 taps.
    Db2,
    /// Daubechies 3, 6 taps.
    Db3,
    /// Daubechies 4, 8 taps.
    Db4,
    /// Coiflet 1, 6 taps.
    Coif1,
}

impl WaveletFamily {
    pub fn name(self) -> &'static str {
        match self {
            WaveletFamily::Haar => "haar",
            WaveletFamily::Db2 => "db2",
            WaveletFamily::Db3 => "db3",
            WaveletFamily::Db4 => "db4",
            WaveletFamily::Coif1 => "coif1",
        }
    }

    /// The orthonormal scaling (reconstruction low-pass) filter `h`, with
    /// `sum h = sqrt 2` and `sum h[k] h[k + 2m] = delta(m)`.
    pub fn scaling_filter(self) -> Vec<f64> {
        let s2 = std::f64::consts::SQRT_2;
        match self {
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

    /// Decomposition low-pass filter: the time-reversed scaling filter.
    pub fn dec_lo(self) -> Vec<f64> {
        let mut h = self.scaling_filter();
        h.reverse();
        h
    }

    /// Decomposition high-pass filter: `g[k] = (-1)^(k+1) h[k]` with `h` the scaling
    /// filter (the quadrature mirror of the low-pass).
    pub fn dec_hi(self) -> Vec<f64> {
        self.scaling_filter()
            .iter()
            .enumerate()
            .map(|(k, v)| if k % 2 == 0 { -v } else { *v })
            .collect()
    }
}

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
    fn cascade_dilates_later_stages() {
        let c = cascade(WaveletFamily::Haar, true, 3);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].h.len(), 2);
        assert_eq!(c[1].h.len(), 3);
        assert_eq!(c[2].h.len(), 5);
        assert!(c[2].h[0] < 0.0 && c[2].h[4] > 0.0);
    }
}
