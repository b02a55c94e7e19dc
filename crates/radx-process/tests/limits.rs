//! Resource limits in the processing chain: every size that settings and data decide
//! (interpolation grid, kept region, grey levels, a filter's working volume) is refused
//! with a `ProcessError::Limit` naming the setting, the size and the limit before anything
//! of that size is allocated.

use ndarray::Array3;
use radx_core::{Grid, Image, Limit, Mask, Settings};
use radx_process::{filter_whole_image, prepare, prepare_filtered, ProcessError};

/// An image of `n` voxels of 1 mm per axis (z, y, x), intensities `f(z, y, x)`, with a
/// cubic ROI in its middle.
fn case(n: [usize; 3], f: impl Fn(usize, usize, usize) -> f64) -> (Image, Mask) {
    let grid = Grid::new(n, [1.0; 3], [0.0; 3]);
    let dims = (n[0], n[1], n[2]);
    let image = Image::new(
        grid.clone(),
        Array3::from_shape_fn(dims, |(z, y, x)| f(z, y, x)),
    )
    .unwrap();
    let mask = Mask::new(
        grid,
        Array3::from_shape_fn(dims, |(z, y, x)| {
            [z, y, x]
                .iter()
                .zip(n)
                .all(|(&i, n)| i >= n / 4 && i < n - n / 4)
        }),
    )
    .unwrap();
    (image, mask)
}

fn settings(text: &str) -> Settings {
    Settings::from_toml_str(&format!("radx_settings = 1\n{text}"), "test").unwrap()
}

fn limit_error(r: Result<impl std::fmt::Debug, ProcessError>) -> radx_core::LimitError {
    match r {
        Err(ProcessError::Limit(e)) => *e,
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn an_interpolation_grid_beyond_the_limit_is_refused_before_it_is_computed() {
    // 40 x 40 x 10 voxels of 1 mm at 0.05 mm: 800 x 800 x 200 = 1.28e8 voxels.
    let (image, mask) = case([10, 40, 40], |z, y, x| (z + y + x) as f64);
    let s = settings(
        "[interpolation]\nspacing_mm = [0.05, 0.05, 0.05]\n[limits]\nmax_grid_voxels = 100000000\n",
    );
    let e = limit_error(prepare(image.clone(), mask.clone(), &s));
    assert_eq!(e.limit, Limit::GridVoxels);
    assert_eq!(e.needed, 800 * 800 * 200);
    let text = e.to_string();
    assert!(
        text.contains("interpolation.spacing_mm = [0.05, 0.05, 0.05]")
            && text.contains("40 x 40 x 10 voxels")
            && text.contains("800 x 800 x 200 voxels")
            && text.contains("limits.max_grid_voxels"),
        "{text}"
    );
    // The in-plane resampled volume (800 x 800 x 10) is bounded by the image limit.
    let s = settings(
        "[interpolation]\nspacing_mm = [0.05, 0.05, 0.05]\n[limits]\nmax_image_voxels = 6000000\n",
    );
    let e = limit_error(prepare(image.clone(), mask.clone(), &s));
    assert_eq!((e.limit, e.needed), (Limit::ImageVoxels, 800 * 800 * 10));
    assert!(e.to_string().contains("resampled in-plane"), "{e}");
    // The region kept around the ROI (crop margin 12 mm: the whole 40 x 40 x 10 mm image
    // at 0.5 mm, 80 x 80 x 20) likewise.
    let s = settings(
        "[interpolation]\nspacing_mm = [0.5, 0.5, 0.5]\n[limits]\nmax_image_voxels = 100000\n",
    );
    let e = limit_error(prepare(image.clone(), mask.clone(), &s));
    assert_eq!((e.limit, e.needed), (Limit::ImageVoxels, 80 * 80 * 20));
    assert!(e.to_string().contains("kept around the ROI"), "{e}");
    // Within the limits the same settings run.
    let s = settings("[interpolation]\nspacing_mm = [0.5, 0.5, 0.5]\n");
    assert!(prepare(image, mask, &s).is_ok());
}

#[test]
fn a_hostile_image_spacing_cannot_make_the_grid_explode() {
    // A header claiming 1e12 mm voxels, resampled to 1 mm: 4e12 voxels per axis.
    let (image, mask) = case([4, 4, 4], |_, _, x| x as f64);
    let mut image = image;
    let mut mask = mask;
    image.grid.spacing_zyx = [1e12; 3];
    mask.grid.spacing_zyx = [1e12; 3];
    let s = settings("[interpolation]\nspacing_mm = [1.0, 1.0, 1.0]\n");
    let e = limit_error(prepare(image, mask, &s));
    assert_eq!(e.limit, Limit::GridVoxels);
    assert_eq!(e.needed, u128::pow(4_000_000_000_000, 3));
}

#[test]
fn fixed_bin_size_levels_are_checked_once_the_range_is_known() {
    let (image, mask) = case([8, 8, 8], |z, y, x| (100 * z + 10 * y + x) as f64 - 1000.0);
    let s = settings(
        "[discretisation.texture]\nmethod = \"fbs\"\nbin_width = 1e-9\n[discretisation.histogram]\nmethod = \"fbs\"\nbin_width = 0.001\n",
    );
    let e = limit_error(prepare(image.clone(), mask.clone(), &s));
    // The histogram (range 333, 0.001 wide bins: 333001 <= 2^20) passes; the texture fails.
    assert_eq!(e.limit, Limit::GreyLevels);
    let text = e.to_string();
    assert!(
        text.contains("discretisation.texture.bin_width = 1e-9")
            && text.contains("-778..-445")
            && text.contains("limits.max_grey_levels")
            && text.contains("65536"),
        "{text}"
    );
    // Raised, it runs: 333 / 0.01 + 1 = 33301 levels.
    let s = settings("[discretisation.texture]\nmethod = \"fbs\"\nbin_width = 0.01\n");
    let p = prepare(image.clone(), mask.clone(), &s).unwrap();
    assert_eq!(p.texture.unwrap().n_levels, 33301);
    let s = settings(
        "[discretisation.texture]\nmethod = \"fbs\"\nbin_width = 0.001\n[limits]\nmax_grey_levels = 400000\n",
    );
    assert_eq!(
        prepare(image.clone(), mask.clone(), &s)
            .unwrap()
            .texture
            .unwrap()
            .n_levels,
        333001
    );
    // IVH without discretisation: one bin per integer of the range, against the bin limit.
    let s = settings("[limits]\nmax_histogram_bins = 100\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 8\n");
    let e = limit_error(prepare(image, mask, &s));
    assert_eq!((e.limit, e.needed), (Limit::HistogramBins, 334));
    assert!(
        e.to_string()
            .contains("discretisation.ivh.method = \"none\""),
        "{e}"
    );
}

#[test]
fn response_maps_are_checked_too() {
    let (image, mask) = case([8, 8, 8], |z, y, x| (z * y + x) as f64);
    // Discretisation of a response map, named as such.
    let s = settings(
        "[[filters.maps]]\ntype = \"mean\"\nsupport = 3\n[filters.discretisation.texture]\nmethod = \"fbs\"\nbin_width = 1e-12\n",
    );
    let e = limit_error(prepare_filtered(image.clone(), mask.clone(), &s));
    assert!(
        e.to_string()
            .starts_with("response map `mean_m3_3d`: filters.discretisation.texture.bin_width"),
        "{e}"
    );
    // A Fourier-domain filter's working volume (the image padded for the transform).
    let s = settings(
        "[[filters.maps]]\ntype = \"simoncelli\"\nlevel = 1\n[limits]\nmax_image_voxels = 1000\n",
    );
    let e = limit_error(prepare_filtered(image.clone(), mask.clone(), &s));
    assert_eq!(e.limit, Limit::ImageVoxels);
    assert!(e.to_string().contains("filter `simoncelli"), "{e}");
    let e = limit_error(filter_whole_image(image, &s, None));
    assert!(e.to_string().contains("working volume"), "{e}");
}
