//! Boundary conditions: how an image is extended beyond its edges before filtering.

pub use radx_core::filter_spec::Boundary;

/// Index inside `0..n` whose value the line extended by `mode` holds at position `k`
/// (any integer), or `None` where the extension is zero. `n` must be positive.
#[inline]
pub fn source(mode: Boundary, k: isize, n: usize) -> Option<usize> {
    let ni = n as isize;
    if (0..ni).contains(&k) {
        return Some(k as usize);
    }
    match mode {
        Boundary::Zero => None,
        Boundary::Nearest => Some(k.clamp(0, ni - 1) as usize),
        Boundary::Periodic => Some(k.rem_euclid(ni) as usize),
        Boundary::Mirror => {
            let m = k.rem_euclid(2 * ni);
            Some(if m < ni { m } else { 2 * ni - 1 - m } as usize)
        }
    }
}

/// Fills `out` with the line `src` extended by `lo` voxels before and `hi` after.
pub(crate) fn extend_into(src: &[f64], lo: usize, hi: usize, mode: Boundary, out: &mut Vec<f64>) {
    let n = src.len();
    out.clear();
    out.reserve(n + lo + hi);
    for k in -(lo as isize)..0 {
        out.push(source(mode, k, n).map_or(0.0, |i| src[i]));
    }
    out.extend_from_slice(src);
    for k in n as isize..(n + hi) as isize {
        out.push(source(mode, k, n).map_or(0.0, |i| src[i]));
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

    #[test]
    fn boundary_sources_follow_the_definitions() {
        // line a b c (n = 3), positions -2..5
        let src = |b: Boundary| (-2..5).map(|k| source(b, k, 3)).collect::<Vec<_>>();
        assert_eq!(
            src(Boundary::Zero),
            [None, None, Some(0), Some(1), Some(2), None, None]
        );
        assert_eq!(
            src(Boundary::Mirror),
            [
                Some(1),
                Some(0),
                Some(0),
                Some(1),
                Some(2),
                Some(2),
                Some(1)
            ]
        );
        assert_eq!(
            src(Boundary::Periodic),
            [
                Some(1),
                Some(2),
                Some(0),
                Some(1),
                Some(2),
                Some(0),
                Some(1)
            ]
        );
        assert_eq!(
            src(Boundary::Nearest),
            [
                Some(0),
                Some(0),
                Some(0),
                Some(1),
                Some(2),
                Some(2),
                Some(2)
            ]
        );
    }
}
