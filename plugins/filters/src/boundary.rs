//! Boundary conditions: how an image is extended beyond its edges before filtering.

use serde::{Deserialize, Serialize};

/// How voxels outside the image are defined (IBSI 2, "boundary conditions").
///
/// With `a b c d` the voxels of a line of the image:
///
/// | condition | extension to the left of `a b c d` |
/// | --- | --- |
/// | `zero` (constant) | `0 0 0 0 \| a b c d` |
/// | `nearest` | `a a a a \| a b c d` |
/// | `periodic` (wrap) | `a b c d \| a b c d` |
/// | `mirror` (symmetric about the voxel edge) | `d c b a \| a b c d` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    /// Zero outside the image (IBSI "constant value padding" with value 0).
    #[serde(alias = "constant")]
    Zero,
    /// The nearest edge voxel is repeated.
    Nearest,
    /// The image repeats periodically.
    #[serde(alias = "wrap", alias = "periodisation")]
    Periodic,
    /// The image is mirrored about its edge: `d c b a | a b c d | d c b a`.
    #[default]
    #[serde(alias = "reflect", alias = "symmetric")]
    Mirror,
}

impl Boundary {
    /// Short lowercase name, as used in the canonical filter name.
    pub fn name(self) -> &'static str {
        match self {
            Boundary::Zero => "zero",
            Boundary::Nearest => "nearest",
            Boundary::Periodic => "periodic",
            Boundary::Mirror => "mirror",
        }
    }

    /// Index inside `0..n` whose value the extended line holds at position `k`
    /// (any integer), or `None` where the extension is zero. `n` must be positive.
    #[inline]
    pub fn source(self, k: isize, n: usize) -> Option<usize> {
        let ni = n as isize;
        if (0..ni).contains(&k) {
            return Some(k as usize);
        }
        match self {
            Boundary::Zero => None,
            Boundary::Nearest => Some(k.clamp(0, ni - 1) as usize),
            Boundary::Periodic => Some(k.rem_euclid(ni) as usize),
            Boundary::Mirror => {
                let m = k.rem_euclid(2 * ni);
                Some(if m < ni { m } else { 2 * ni - 1 - m } as usize)
            }
        }
    }
}

/// Fills `out` with the line `src` extended by `lo` voxels before and `hi` after.
pub(crate) fn extend_into(src: &[f64], lo: usize, hi: usize, mode: Boundary, out: &mut Vec<f64>) {
    let n = src.len();
    out.clear();
    out.reserve(n + lo + hi);
    for k in -(lo as isize)..0 {
        out.push(mode.source(k, n).map_or(0.0, |i| src[i]));
    }
    out.extend_from_slice(src);
    for k in n as isize..(n + hi) as isize {
        out.push(mode.source(k, n).map_or(0.0, |i| src[i]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(mode: Boundary) -> Vec<f64> {
        let mut v = Vec::new();
        extend_into(&[1.0, 2.0, 3.0], 4, 4, mode, &mut v);
        v
    }

    #[test]
    fn extensions_match_the_definitions() {
        assert_eq!(
            ext(Boundary::Zero),
            [0., 0., 0., 0., 1., 2., 3., 0., 0., 0., 0.]
        );
        assert_eq!(
            ext(Boundary::Nearest),
            [1., 1., 1., 1., 1., 2., 3., 3., 3., 3., 3.]
        );
        assert_eq!(
            ext(Boundary::Periodic),
            [3., 1., 2., 3., 1., 2., 3., 1., 2., 3., 1.]
        );
        assert_eq!(
            ext(Boundary::Mirror),
            [3., 3., 2., 1., 1., 2., 3., 3., 2., 1., 1.]
        );
    }

    #[test]
    fn single_voxel_lines_extend() {
        for m in [Boundary::Nearest, Boundary::Periodic, Boundary::Mirror] {
            let mut v = Vec::new();
            extend_into(&[5.0], 3, 2, m, &mut v);
            assert_eq!(v, [5.0; 6]);
        }
    }
}
