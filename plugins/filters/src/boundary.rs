//! Boundary conditions: how an image is extended beyond its edges before filtering.

pub use radx_core::filter_spec::Boundary;

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
