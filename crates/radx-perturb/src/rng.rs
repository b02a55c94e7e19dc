//! A small, hand-written, seeded pseudo-random number generator.
//!
//! The generator is **xoshiro256++** (Blackman & Vigna, "Scrambled linear pseudorandom
//! number generators", ACM TOMS 2021), seeded by expanding a 64-bit seed with
//! **SplitMix64** (Steele, Lea & Flood 2014), as its authors recommend. Both are written
//! here (a few lines each) so that every perturbation is bit-stable across crate versions
//! and platforms: the streams depend on this file only.
//!
//! * uniform `f64` in `[0, 1)`: the top 53 bits of a 64-bit output times 2⁻⁵³;
//! * standard normal deviates: Marsaglia's polar method (Marsaglia & Bray 1964) — draw
//!   `u, v` uniform in `(-1, 1)` until `0 < s = u² + v² < 1`, then
//!   `u·√(−2 ln s / s)` and `v·√(−2 ln s / s)` are two independent N(0, 1) deviates (the
//!   second is kept for the next call).

/// SplitMix64 output function (the finaliser of one SplitMix64 step after adding the
/// golden-ratio increment to `x`).
#[inline]
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Seed of sub-stream `index` of domain `domain` of a run seeded with `seed`:
/// `splitmix64(splitmix64(seed ⊕ domain) + index)`. Distinct `(domain, index)` pairs give
/// unrelated streams.
#[inline]
pub fn derive_seed(seed: u64, domain: u64, index: u64) -> u64 {
    splitmix64(splitmix64(seed ^ domain).wrapping_add(index))
}

/// Domain tag for the per-step streams of [`crate::apply`].
pub const DOMAIN_APPLY: u64 = 0x6170_706c_7920_7374; // "apply st"
/// Domain tag for the per-index seeds of [`crate::chain_seed`].
pub const DOMAIN_CHAIN: u64 = 0x6368_6169_6e20_7364; // "chain sd"
/// Domain tag for the per-index streams of [`crate::draw`].
pub const DOMAIN_DRAW: u64 = 0x6472_6177_2069_6478; // "draw idx"

/// xoshiro256++ with a cached second normal deviate.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
    spare: Option<f64>,
}

impl Rng {
    /// A generator whose 256-bit state is four successive SplitMix64 outputs from `seed`
    /// (never all zero).
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut s = [0u64; 4];
        for v in s.iter_mut() {
            *v = splitmix64(x);
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        }
        if s == [0; 4] {
            s[0] = 1;
        }
        Rng { s, spare: None }
    }

    /// Next 64-bit output: `rotl(s0 + s3, 23) + s0`, then the xoshiro256 state update.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform deviate in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal deviate (Marsaglia polar method).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let m = (-2.0 * s.ln() / s).sqrt();
                self.spare = Some(v * m);
                return u * m;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_reference_sequence() {
        // Reference outputs of SplitMix64 started at state 0 (Vigna's splitmix64.c):
        // the state advances by the golden increment before each output.
        let mut state = 0u64;
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(splitmix64(state));
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        }
        assert_eq!(
            out,
            vec![
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F
            ]
        );
    }

    #[test]
    fn xoshiro_matches_reference_for_state_1234() {
        // xoshiro256++ from state {1, 2, 3, 4}: reference outputs of Vigna's C code.
        let mut r = Rng {
            s: [1, 2, 3, 4],
            spare: None,
        };
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(got, vec![41943041, 58720359, 3588806011781223]);
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut r = Rng::new(7);
        let n = 200_000;
        let (mut su, mut sn, mut sn2) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            su += u;
            let z = r.normal();
            sn += z;
            sn2 += z * z;
        }
        let nf = n as f64;
        assert!((su / nf - 0.5).abs() < 0.005);
        assert!((sn / nf).abs() < 0.01);
        assert!((sn2 / nf - 1.0).abs() < 0.015);
    }

    #[test]
    fn derived_seeds_differ() {
        assert_ne!(
            derive_seed(1, DOMAIN_APPLY, 0),
            derive_seed(1, DOMAIN_APPLY, 1)
        );
        assert_ne!(
            derive_seed(1, DOMAIN_APPLY, 0),
            derive_seed(2, DOMAIN_APPLY, 0)
        );
        assert_ne!(
            derive_seed(1, DOMAIN_APPLY, 0),
            derive_seed(1, DOMAIN_DRAW, 0)
        );
    }
}
