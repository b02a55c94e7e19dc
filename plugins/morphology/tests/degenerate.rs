//! Degenerate ROIs: every feature is a finite number or missing with a reason, never a
//! panic; hand-worked values for tiny ROIs.

use ndarray::Array3;
use radx_core::settings::SpatialAutocorrelation;
use radx_core::{Grid, Roi};
use radx_morphology::{morphology, FEATURES};

fn roi(
    dims: (usize, usize, usize),
    spacing: [f64; 3],
    voxels: &[(usize, usize, usize)],
    values: impl Fn(usize) -> f64,
) -> Roi {
    let mut mask = Array3::from_elem(dims, false);
    let mut image = Array3::zeros(dims);
    for (i, &v) in voxels.iter().enumerate() {
        mask[v] = true;
        image[v] = values(i);
    }
    Roi {
        grid: Grid::new([dims.0, dims.1, dims.2], spacing, [0.0; 3]),
        image,
        intensity: mask.clone(),
        morphological: mask,
    }
}

fn get(v: &[(&'static str, Result<f64, String>)], name: &str) -> Result<f64, String> {
    v.iter().find(|x| x.0 == name).unwrap().1.clone()
}

fn check_all(v: &[(&'static str, Result<f64, String>)]) {
    assert_eq!(v.len(), FEATURES.len());
    for ((name, value), (def, _, _)) in v.iter().zip(FEATURES) {
        assert_eq!(name, def);
        match value {
            Ok(x) => assert!(x.is_finite(), "{name}: {x}"),
            Err(why) => assert!(!why.is_empty(), "{name}: empty reason"),
        }
    }
}

#[test]
fn single_voxel() {
    let r = roi((3, 3, 3), [2.0, 2.0, 2.0], &[(1, 1, 1)], |_| 5.0);
    let v = morphology(&r, SpatialAutocorrelation::Exact).unwrap();
    check_all(&v);
    // Octahedron with half-diagonals of 1 mm: V = 4/3 mm³, A = 8 * sqrt(3)/2 mm².
    assert!((get(&v, "volume").unwrap() - 4.0 / 3.0).abs() < 1e-12);
    assert!((get(&v, "area_mesh").unwrap() - 4.0 * 3f64.sqrt()).abs() < 1e-12);
    assert_eq!(get(&v, "vol_approx").unwrap(), 8.0);
    assert!((get(&v, "diam").unwrap() - 2.0).abs() < 1e-12);
    // The hull of the octahedron is itself.
    assert!((get(&v, "vol_dens_conv_hull").unwrap() - 1.0).abs() < 1e-12);
    assert_eq!(get(&v, "com").unwrap(), 0.0);
    assert_eq!(get(&v, "pca_maj_axis").unwrap(), 0.0);
    for undefined in [
        "pca_elongation",
        "pca_flatness",
        "vol_dens_aee",
        "area_dens_aee",
        "moran_i",
        "geary_c",
    ] {
        assert!(get(&v, undefined).is_err(), "{undefined}");
    }
    assert!((get(&v, "integ_int").unwrap() - 5.0 * 4.0 / 3.0).abs() < 1e-12);
}

#[test]
fn two_voxels_in_a_row() {
    // Centres 3 mm apart along x: sample variance 4.5 mm², major axis 4 sqrt(4.5).
    let r = roi((3, 3, 4), [2.0, 2.0, 3.0], &[(1, 1, 1), (1, 1, 2)], |i| {
        [1.0, 3.0][i]
    });
    let v = morphology(&r, SpatialAutocorrelation::Exact).unwrap();
    check_all(&v);
    assert!((get(&v, "pca_maj_axis").unwrap() - 4.0 * 4.5f64.sqrt()).abs() < 1e-12);
    assert_eq!(get(&v, "pca_elongation").unwrap(), 0.0);
    assert!(get(&v, "vol_dens_aee").is_err());
    // Intensity-weighted centre at x = (1 * 3 + 3 * 6) / 4 = 5.25 mm; geometric 4.5 mm.
    assert!((get(&v, "com").unwrap() - 0.75).abs() < 1e-12);
    // Moran's I of two voxels with d = (-1, 1): -1; Geary's C: 1 (see autocorr tests).
    assert!((get(&v, "moran_i").unwrap() + 1.0).abs() < 1e-12);
    assert!((get(&v, "geary_c").unwrap() - 1.0).abs() < 1e-12);
}

#[test]
fn flat_single_slice_and_zero_intensities() {
    let voxels: Vec<_> = (0..4)
        .flat_map(|y| (0..5).map(move |x| (1, y + 1, x + 1)))
        .collect();
    let r = roi((3, 6, 7), [3.0, 1.0, 1.0], &voxels, |_| 0.0);
    let v = morphology(&r, SpatialAutocorrelation::Exact).unwrap();
    check_all(&v);
    assert_eq!(get(&v, "pca_least_axis").unwrap(), 0.0);
    assert_eq!(get(&v, "pca_flatness").unwrap(), 0.0);
    // Zero intensities: no intensity-weighted centre; flat: no Moran / Geary.
    assert!(get(&v, "com").is_err());
    assert_eq!(get(&v, "integ_int").unwrap(), 0.0);
    assert!(get(&v, "moran_i").is_err() && get(&v, "geary_c").is_err());
    // Skipping reports the setting.
    let v = morphology(&r, SpatialAutocorrelation::Skip).unwrap();
    assert!(get(&v, "moran_i").unwrap_err().contains("skip"));
}

#[test]
fn empty_masks() {
    let mut r = roi((2, 2, 2), [1.0; 3], &[(0, 0, 0)], |_| 1.0);
    r.intensity.fill(false);
    let v = morphology(&r, SpatialAutocorrelation::Exact).unwrap();
    check_all(&v);
    assert!(
        get(&v, "integ_int").is_err() && get(&v, "com").is_err() && get(&v, "moran_i").is_err()
    );
    r.morphological.fill(false);
    assert!(morphology(&r, SpatialAutocorrelation::Exact).is_err());
}
