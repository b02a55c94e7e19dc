//! Laws kernels (IBSI 2, JTXT).

use ndarray::Array3;

/// The normalised 1-D Laws kernels (IBSI 2 table): `L` level, `E` edge, `S` spot,
/// `W` wave, `R` ripple, of length 3 or 5, each scaled to unit Euclidean norm.
pub fn laws_1d(name: &str) -> Option<Vec<f64>> {
    let raw: &[f64] = match name {
        "L3" => &[1.0, 2.0, 1.0],
        "E3" => &[-1.0, 0.0, 1.0],
        "S3" => &[-1.0, 2.0, -1.0],
        "L5" => &[1.0, 4.0, 6.0, 4.0, 1.0],
        "E5" => &[-1.0, -2.0, 0.0, 2.0, 1.0],
        "S5" => &[-1.0, 0.0, 2.0, 0.0, -1.0],
        "W5" => &[-1.0, 2.0, 0.0, -2.0, 1.0],
        "R5" => &[1.0, -4.0, 6.0, -4.0, 1.0],
        _ => return None,
    };
    let norm = raw.iter().map(|v| v * v).sum::<f64>().sqrt();
    Some(raw.iter().map(|v| v / norm).collect())
}

/// Parses a Laws kernel name such as `E5L5S5` (3D) or `L5S5` (2D) into its 1-D kernels,
/// in the order of the name: the first acts along x, the second along y, the third
/// along z. Case-insensitive.
pub fn parse_laws(name: &str) -> Option<Vec<Vec<f64>>> {
    radx_core::filter_spec::laws_factors(name)?
        .into_iter()
        .map(|(n, _)| laws_1d(n))
        .collect()
}

/// Laws texture energy: the mean of `|r|` over the `(2 delta + 1)`-voxel cube (square in
/// 2D) around each voxel, the image extended by the boundary condition.
pub(crate) fn energy(
    resp: &Array3<f64>,
    delta: usize,
    axes: &[usize],
    mode: crate::Boundary,
) -> Array3<f64> {
    let mut cur = resp.mapv(f64::abs);
    for &a in axes.iter().rev() {
        cur = crate::conv::box_mean_axis(&cur, a, 2 * delta + 1, mode);
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_have_unit_norm_and_expected_symmetry() {
        for n in ["L3", "E3", "S3", "L5", "E5", "S5", "W5", "R5"] {
            let k = laws_1d(n).unwrap();
            let norm: f64 = k.iter().map(|v| v * v).sum();
            assert!((norm - 1.0).abs() < 1e-12);
            let flipped: Vec<f64> = k.iter().rev().copied().collect();
            let antisym = matches!(n, "E3" | "E5" | "W5");
            for (a, b) in k.iter().zip(&flipped) {
                if antisym {
                    assert!((a + b).abs() < 1e-12, "{n} antisymmetric");
                } else {
                    assert!((a - b).abs() < 1e-12, "{n} symmetric");
                }
            }
            // Only the level kernels have a non-zero sum (they pass the mean through).
            let s: f64 = k.iter().sum();
            assert_eq!(s.abs() > 1e-12, n.starts_with('L'), "{n} sum {s}");
        }
        // A symmetric and an antisymmetric kernel are orthogonal.
        let names = ["L5", "E5", "S5", "W5", "R5"];
        let antisym = |n: &str| n.starts_with('E') || n.starts_with('W');
        for a in names {
            for b in names {
                if antisym(a) != antisym(b) {
                    let (x, y) = (laws_1d(a).unwrap(), laws_1d(b).unwrap());
                    let dot: f64 = x.iter().zip(&y).map(|(p, q)| p * q).sum();
                    assert!(dot.abs() < 1e-12, "{a}.{b} = {dot}");
                }
            }
        }
    }

    #[test]
    fn names_parse() {
        assert_eq!(parse_laws("E5L5S5").unwrap().len(), 3);
        assert_eq!(parse_laws("l5s5").unwrap().len(), 2);
        assert!(parse_laws("E5L5X5").is_none());
        assert!(parse_laws("E5L").is_none());
        assert!(parse_laws("").is_none());
        // radx-core's table of factor names and lengths matches the coefficients here.
        for (n, len) in crate::LAWS_FACTORS {
            assert_eq!(laws_1d(n).map(|k| k.len()), Some(len), "{n}");
        }
    }
}
