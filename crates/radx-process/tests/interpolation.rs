//! Interpolation on small synthetic images: grid placement (ceiling rule, centre alignment,
//! in-plane only), each method on hand-computed cases, the partial-volume threshold, and
//! property tests of invariances the definitions imply.

use ndarray::Array3;
use proptest::prelude::*;
use radx_core::settings::InterpolationMethod::{
    self, CubicConvolution, CubicSpline, Linear, Nearest,
};
use radx_core::{Grid, Image, Mask, Settings};
use radx_process::interpolate::{resample_axis, AxisPlan, Taps};
use radx_process::{prepare, Prepared, ProcessError};

const METHODS: [InterpolationMethod; 4] = [Nearest, Linear, CubicConvolution, CubicSpline];

fn image(grid: &Grid, f: impl Fn(usize, usize, usize) -> f64) -> Image {
    let [nz, ny, nx] = grid.shape_zyx;
    Image::new(
        grid.clone(),
        Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| f(z, y, x)),
    )
    .unwrap()
}

fn mask(grid: &Grid, f: impl Fn(usize, usize, usize) -> bool) -> Mask {
    let [nz, ny, nx] = grid.shape_zyx;
    Mask::new(
        grid.clone(),
        Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| f(z, y, x)),
    )
    .unwrap()
}

/// Settings interpolating to `spacing_xyz` with `method` for image and mask, no rounding.
fn interp(spacing_xyz: [f64; 3], method: InterpolationMethod) -> Settings {
    let mut s = Settings::default();
    s.interpolation.spacing_mm = Some(spacing_xyz);
    s.interpolation.image_method = method;
    s.interpolation.mask_method = method;
    s
}

fn diag(p: &Prepared, tag: &str) -> f64 {
    p.diagnostics
        .iter()
        .find(|d| d.tag == tag)
        .unwrap_or_else(|| panic!("{tag}"))
        .value
}

/// 1D resampling of a line with the taps of `plan`.
fn resample_line(line: &[f64], plan: &AxisPlan, method: InterpolationMethod) -> Vec<f64> {
    let taps = Taps::new(plan, method, 0..plan.n_out, 0..line.len());
    let mut out = vec![0.0; plan.n_out];
    resample_axis(line, 1, line.len(), 1, &taps, &mut out);
    out
}

// ---------------------------------------------------------------- grid placement

#[test]
fn manual_example_four_voxels_of_3mm_to_2mm() {
    // IBSI 02 (figure "interpolation grids"): 4 voxels of 3 mm -> ceil(12 / 2) = 6 voxels of
    // 2 mm, centred: x_{b,g} = (4 - 1 - (2/3)(6 - 1)) / 2 = -1/6.
    let p = AxisPlan::new(4, 3.0, 2.0);
    assert_eq!(p.n_out, 6);
    let want = [-1.0 / 6.0, 0.5, 7.0 / 6.0, 11.0 / 6.0, 2.5, 19.0 / 6.0];
    for (k, w) in want.iter().enumerate() {
        assert!((p.position(k) - w).abs() < 1e-15, "{k}: {}", p.position(k));
    }
    // Exact ties come out exact (they decide partial-volume ties).
    assert_eq!(p.position(1), 0.5);
    assert_eq!(p.position(4), 2.5);
}

#[test]
fn ceiling_rule() {
    assert_eq!(AxisPlan::new(5, 1.0, 2.0).n_out, 3); // 2.5 -> 3
    assert_eq!(AxisPlan::new(4, 2.0, 2.0).n_out, 4); // exact: no extra voxel
    assert_eq!(AxisPlan::new(60, 3.0, 2.0).n_out, 90);
    assert_eq!(AxisPlan::new(204, 0.977, 2.0).n_out, 100); // 99.654 -> 100
    assert_eq!(AxisPlan::new(201, 0.977, 2.0).n_out, 99); // 98.19 -> 99
    assert_eq!(AxisPlan::new(3, 1.0, 10.0).n_out, 1); // never empty
                                                      // A spacing stored as f32 does not add a voxel.
    assert_eq!(AxisPlan::new(204, 0.977f32 as f64, 0.977).n_out, 204);
    assert_eq!(AxisPlan::new(10, 0.1, 0.1).n_out, 10);
}

#[test]
fn grid_centres_are_aligned() {
    for (n, sa, sb) in [
        (4, 3.0, 2.0),
        (7, 1.0, 2.5),
        (204, 0.977, 2.0),
        (9, 2.0, 0.7),
        (1, 5.0, 1.0),
    ] {
        let p = AxisPlan::new(n, sa, sb);
        let centre_in = (n as f64 - 1.0) / 2.0;
        let centre_out = (p.position(0) + p.position(p.n_out - 1)) / 2.0;
        assert!((centre_in - centre_out).abs() < 1e-12, "{n} {sa} {sb}");
        let step = (p.position(p.n_out - 1) - p.position(0)) / (p.n_out.max(2) - 1) as f64;
        if p.n_out > 1 {
            assert!((step - sb / sa).abs() < 1e-12);
        }
    }
}

#[test]
fn prepared_grid_is_centred_in_world_coordinates_with_any_direction() {
    // x axis flipped, y and z swapped in world space.
    let mut g = Grid::new([5, 6, 7], [3.0, 1.5, 1.0], [10.0, -20.0, 5.0]);
    g.direction = [[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]];
    let img = image(&g, |z, y, x| (z + y + x) as f64);
    let m = mask(&g, |_, _, _| true); // whole image: the crop is the whole new grid
    let p = prepare(img, m, &interp([2.0, 2.0, 2.0], Linear)).unwrap();
    let ng = &p.roi.grid;
    assert_eq!(ng.shape_zyx, [8, 5, 4]); // ceil(15/2), ceil(9/2), ceil(7/2)
    assert_eq!(ng.spacing_zyx, [2.0, 2.0, 2.0]);
    assert_eq!(ng.direction, g.direction);
    let centre = |g: &Grid| g.world_of_index(g.shape_zyx.map(|n| (n as f64 - 1.0) / 2.0));
    let (a, b) = (centre(&g), centre(ng));
    for i in 0..3 {
        assert!((a[i] - b[i]).abs() < 1e-12, "{a:?} vs {b:?}");
    }
}

#[test]
fn in_plane_only_keeps_slices() {
    let g = Grid::new([4, 5, 6], [3.0, 1.0, 1.0], [0.0; 3]);
    // Each slice constant: in-plane interpolation must keep it, whatever the method.
    let img = image(&g, |z, _, _| [7.0, -3.0, 11.0, 2.0][z]);
    for method in METHODS {
        let mut s = interp([2.0, 2.0, 1.0], method);
        s.interpolation.in_plane_only = true;
        let p = prepare(img.clone(), mask(&g, |_, _, _| true), &s).unwrap();
        assert_eq!(p.roi.grid.shape_zyx, [4, 3, 3], "{method:?}");
        assert_eq!(p.roi.grid.spacing_zyx, [3.0, 2.0, 2.0]);
        assert_eq!(diag(&p, "img_dim_z_interp_img"), 4.0);
        assert_eq!(diag(&p, "vox_dim_z_interp_img"), 3.0);
        for ((z, _, _), &v) in p.roi.image.indexed_iter() {
            let want = [7.0, -3.0, 11.0, 2.0][z];
            assert!((v - want).abs() < 1e-12, "{method:?} slice {z}: {v}");
        }
    }
}

// ---------------------------------------------------------------- methods

#[test]
fn linear_on_a_ramp_is_exact_and_extrapolates_by_nearest() {
    let g = Grid::new([4, 5, 6], [3.0, 1.5, 1.0], [0.0; 3]);
    let ramp = |z: f64, y: f64, x: f64| 2.0 * x - 3.0 * y + 0.5 * z + 1.0;
    let img = image(&g, |z, y, x| ramp(z as f64, y as f64, x as f64));
    let p = prepare(
        img,
        mask(&g, |_, _, _| true),
        &interp([2.0, 2.0, 2.0], Linear),
    )
    .unwrap();
    let plans = [
        AxisPlan::new(4, 3.0, 2.0),
        AxisPlan::new(5, 1.5, 2.0),
        AxisPlan::new(6, 1.0, 2.0),
    ];
    assert_eq!(p.roi.grid.shape_zyx, [6, 4, 3]);
    for ((k, j, i), &v) in p.roi.image.indexed_iter() {
        let q = [
            plans[0].position(k),
            plans[1].position(j),
            plans[2].position(i),
        ];
        let c: Vec<f64> = (0..3)
            .map(|a| q[a].clamp(0.0, (g.shape_zyx[a] - 1) as f64))
            .collect();
        let want = ramp(c[0], c[1], c[2]);
        assert!((v - want).abs() < 1e-12, "({k},{j},{i}) {v} vs {want}");
    }
}

#[test]
fn nearest_by_hand() {
    // 4 voxels of 3 mm -> 2 mm: positions -1/6, 1/2, 7/6, 11/6, 5/2, 19/6 -> nearest voxels
    // 0, 1 (half up), 1, 2, 3 (half up), 3.
    let p = AxisPlan::new(4, 3.0, 2.0);
    let out = resample_line(&[10.0, 20.0, 30.0, 40.0], &p, Nearest);
    assert_eq!(out, vec![10.0, 20.0, 20.0, 30.0, 40.0, 40.0]);
}

#[test]
fn linear_by_hand() {
    let p = AxisPlan::new(4, 3.0, 2.0);
    let out = resample_line(&[10.0, 20.0, 30.0, 40.0], &p, Linear);
    let want = [
        10.0,
        15.0,
        10.0 + 70.0 / 6.0,
        10.0 + 110.0 / 6.0,
        35.0,
        40.0,
    ];
    for (o, w) in out.iter().zip(want) {
        assert!((o - w).abs() < 1e-12, "{out:?}");
    }
}

#[test]
fn cubic_convolution_by_hand_and_reproduces_quadratics() {
    // Keys kernel, a = -0.5, at t = 1/2: weights (-1/16, 9/16, 9/16, -1/16).
    let f = [0.0, 1.0, 8.0, 27.0, 64.0, 125.0];
    let p = AxisPlan::new(6, 1.0, 1.0);
    // Same spacing: positions are the nodes, values kept.
    assert_eq!(resample_line(&f, &p, CubicConvolution), f.to_vec());
    // Half-voxel positions: 12 voxels of 0.5 -> positions (2k - 1) / 4 + ... check one by hand.
    let p = AxisPlan::new(6, 1.0, 0.5);
    let out = resample_line(&f, &p, CubicConvolution);
    // position of k = 5: (5 + 0.5 (11 - 12)) / 2 = 2.25 -> i = 2, t = 1/4.
    assert_eq!(p.position(5), 2.25);
    let t: f64 = 0.25;
    let w = [
        -0.5 * t.powi(3) + t * t - 0.5 * t,
        1.5 * t.powi(3) - 2.5 * t * t + 1.0,
        -1.5 * t.powi(3) + 2.0 * t * t + 0.5 * t,
        0.5 * t.powi(3) - 0.5 * t * t,
    ];
    let want = w[0] * 1.0 + w[1] * 8.0 + w[2] * 27.0 + w[3] * 64.0;
    assert!((out[5] - want).abs() < 1e-12);
    // Quadratics are reproduced where all four taps are inside the line.
    let q: Vec<f64> = (0..10)
        .map(|i| 0.5 * (i * i) as f64 - 3.0 * i as f64 + 2.0)
        .collect();
    let p = AxisPlan::new(10, 1.0, 0.7);
    let out = resample_line(&q, &p, CubicConvolution);
    for (k, v) in out.iter().enumerate() {
        let x = p.position(k);
        if (1.0..=7.0).contains(&x) {
            let want = 0.5 * x * x - 3.0 * x + 2.0;
            assert!((v - want).abs() < 1e-11, "x = {x}: {v} vs {want}");
        }
    }
}

/// Cubic B-spline interpolation written independently: pad the line with its end values,
/// solve `(c[j-1] + 4 c[j] + c[j+1]) / 6 = f[j]` with mirror ends by Gaussian elimination
/// (Thomas algorithm), evaluate the B-spline sum directly.
fn spline_reference(f: &[f64], x: f64) -> f64 {
    let pad = 60usize;
    let n = f.len() + 2 * pad;
    let g: Vec<f64> = (0..n)
        .map(|j| f[j.saturating_sub(pad).min(f.len() - 1)])
        .collect();
    // Tridiagonal system; mirror ends: c[-1] = c[1], c[n] = c[n-2].
    let mut a = vec![1.0 / 6.0; n];
    let mut b = vec![4.0 / 6.0; n];
    let mut c = vec![1.0 / 6.0; n];
    c[0] = 2.0 / 6.0;
    a[n - 1] = 2.0 / 6.0;
    let mut d = g.clone();
    for i in 1..n {
        let m = a[i] / b[i - 1];
        b[i] -= m * c[i - 1];
        d[i] -= m * d[i - 1];
    }
    let mut coef = vec![0.0; n];
    coef[n - 1] = d[n - 1] / b[n - 1];
    for i in (0..n - 1).rev() {
        coef[i] = (d[i] - c[i] * coef[i + 1]) / b[i];
    }
    let beta = |t: f64| {
        let t = t.abs();
        if t < 1.0 {
            2.0 / 3.0 - t * t + t * t * t / 2.0
        } else if t < 2.0 {
            (2.0 - t).powi(3) / 6.0
        } else {
            0.0
        }
    };
    let xp = x + pad as f64;
    let i0 = xp.floor() as i64;
    (i0 - 1..=i0 + 2)
        .map(|j| coef[j.clamp(0, n as i64 - 1) as usize] * beta(xp - j as f64))
        .sum()
}

#[test]
fn cubic_spline_matches_an_independent_solution() {
    let f = [3.0, -1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, -5.0, 3.0, 5.0];
    for (sa, sb) in [(1.0, 0.45), (1.0, 1.7), (3.0, 2.0), (1.0, 1.0)] {
        let p = AxisPlan::new(f.len(), sa, sb);
        let out = resample_line(&f, &p, CubicSpline);
        for (k, v) in out.iter().enumerate() {
            let want = spline_reference(&f, p.position(k));
            assert!((v - want).abs() < 1e-9, "{sa}->{sb} k {k}: {v} vs {want}");
        }
    }
    // Same spacing: the spline interpolates, values are kept.
    let p = AxisPlan::new(f.len(), 1.0, 1.0);
    for (v, w) in resample_line(&f, &p, CubicSpline).iter().zip(f) {
        assert!((v - w).abs() < 1e-12);
    }
}

#[test]
fn cubic_spline_overshoots_at_an_edge_where_linear_does_not() {
    let f = [0.0, 0.0, 0.0, 100.0, 100.0, 100.0];
    let p = AxisPlan::new(6, 1.0, 0.25);
    let spline = resample_line(&f, &p, CubicSpline);
    let linear = resample_line(&f, &p, Linear);
    assert!(spline.iter().any(|&v| v < -1.0) && spline.iter().any(|&v| v > 101.0));
    assert!(linear.iter().all(|&v| (0.0..=100.0).contains(&v)));
}

// ---------------------------------------------------------------- masks

#[test]
fn partial_volume_threshold_by_hand() {
    // x: 4 voxels of 2 mm, mask [0, 1, 1, 0] -> 8 voxels of 1 mm at positions
    // (2k - 1) / 4: linear mask values 0, 0.25, 0.75, 1, 1, 0.75, 0.25, 0.
    let g = Grid::new([1, 1, 4], [1.0, 1.0, 2.0], [0.0; 3]);
    let img = image(&g, |_, _, x| x as f64);
    let m = mask(&g, |_, _, x| x == 1 || x == 2);
    for (threshold, count) in [
        (0.5, 4.0),
        (0.25, 6.0),
        (0.75, 4.0),
        (0.76, 2.0),
        (1.0, 2.0),
    ] {
        let mut s = interp([1.0, 1.0, 1.0], Linear);
        s.interpolation.partial_volume_threshold = threshold;
        let p = prepare(img.clone(), m.clone(), &s).unwrap();
        assert_eq!(
            diag(&p, "morph_mask_vox_count_interp_roi"),
            count,
            "threshold {threshold}"
        );
        assert_eq!(diag(&p, "int_mask_vox_count_interp_roi"), count);
        assert_eq!(diag(&p, "int_mask_bb_dim_x_interp_roi"), count);
    }
    // Nearest: positions -1/4 .. 13/4 take voxels 0,0,1,1,2,2,3,3 -> 4 voxels.
    let p = prepare(img, m, &interp([1.0, 1.0, 1.0], Nearest)).unwrap();
    assert_eq!(diag(&p, "morph_mask_vox_count_interp_roi"), 4.0);
}

#[test]
fn exact_half_tie_is_inside() {
    // z: 4 slices of 3 mm -> 2 mm; output slice 1 lies at z = 0.5, halfway between an
    // outside slice (0) and an inside slice (1): mask value exactly 0.5 -> inside.
    let g = Grid::new([4, 1, 1], [3.0, 1.0, 1.0], [0.0; 3]);
    let img = image(&g, |z, _, _| z as f64);
    let m = mask(&g, |z, _, _| z >= 1);
    let p = prepare(img, m, &interp([1.0, 1.0, 2.0], Linear)).unwrap();
    // Positions -1/6, 1/2, 7/6, 11/6, 5/2, 19/6: values 0, 0.5, 1, 1, 1, 1.
    assert_eq!(diag(&p, "morph_mask_vox_count_interp_roi"), 5.0);
}

// ---------------------------------------------------------------- chain and errors

#[test]
fn no_interpolation_repeats_initial_values() {
    let g = Grid::new([3, 4, 5], [2.0; 3], [0.0; 3]);
    let img = image(&g, |z, y, x| (z * 20 + y * 5 + x) as f64);
    let m = mask(&g, |z, y, x| z == 1 && y > 0 && x > 1);
    let p = prepare(img, m, &Settings::default()).unwrap();
    for what in [
        "img_dim_x",
        "img_dim_z",
        "vox_dim_y",
        "mean_int",
        "min_int",
        "max_int",
    ] {
        assert_eq!(
            diag(&p, &format!("{what}_init_img")),
            diag(&p, &format!("{what}_interp_img"))
        );
    }
    assert_eq!(diag(&p, "mean_int_init_img"), 29.5);
    assert_eq!(diag(&p, "int_mask_vox_count_init_roi"), 9.0);
    assert_eq!(diag(&p, "int_mask_bb_dim_x_init_roi"), 3.0);
    assert_eq!(diag(&p, "int_mask_bb_dim_y_init_roi"), 3.0);
    assert_eq!(diag(&p, "int_mask_bb_dim_z_init_roi"), 1.0);
    assert_eq!(diag(&p, "int_mask_min_int_init_roi"), 27.0);
    assert_eq!(diag(&p, "int_mask_max_int_init_roi"), 39.0);
    assert_eq!(diag(&p, "int_mask_mean_int_interp_roi"), 33.0);
}

#[test]
fn rounding_on_input_and_after_interpolation() {
    let g = Grid::new([1, 1, 2], [1.0, 1.0, 2.0], [0.0; 3]);
    let img = image(&g, |_, _, x| [0.4, 10.6][x]);
    let m = mask(&g, |_, _, _| true);
    let mut s = interp([1.0, 1.0, 1.0], Linear);
    s.input.round_intensities = true;
    let p = prepare(img.clone(), m.clone(), &s).unwrap();
    // Rounded input 0, 11; positions -0.25, 0.25, 0.75, 1.25 -> 0, 2.75, 8.25, 11.
    assert_eq!(p.roi.image.as_slice().unwrap(), &[0.0, 2.75, 8.25, 11.0]);
    s.interpolation.round_intensities = true;
    let p = prepare(img, m, &s).unwrap();
    assert_eq!(p.roi.image.as_slice().unwrap(), &[0.0, 3.0, 8.0, 11.0]);
    assert_eq!(diag(&p, "mean_int_interp_img"), 5.5);
    assert_eq!(diag(&p, "max_int_interp_img"), 11.0);
}

#[test]
fn resegmentation_range_is_inclusive_then_outliers_on_the_kept_voxels() {
    let g = Grid::new([1, 1, 12], [1.0; 3], [0.0; 3]);
    let vals = [
        -600.0, -500.0, 0.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 400.0, 401.0,
    ];
    let img = image(&g, |_, _, x| vals[x]);
    let m = mask(&g, |_, _, _| true);
    let mut s = Settings::default();
    s.resegmentation.min = Some(-500.0);
    s.resegmentation.max = Some(400.0);
    let p = prepare(img.clone(), m.clone(), &s).unwrap();
    assert_eq!(diag(&p, "int_mask_vox_count_reseg_roi"), 10.0); // both bounds kept
    assert_eq!(diag(&p, "morph_mask_vox_count_reseg_roi"), 12.0); // morphology untouched
    assert_eq!(diag(&p, "int_mask_min_int_reseg_roi"), -500.0);
    assert_eq!(diag(&p, "int_mask_max_int_reseg_roi"), 400.0);
    assert!(p.roi.morphological.iter().all(|&v| v));
    // Outliers over the 10 voxels the range kept: mean -3, population SD 202.6; k = 2
    // gives [-408, 402], so -500 goes. (Mean and SD over all 12 voxels would keep it.)
    s.resegmentation.outlier_sd = Some(2.0);
    let p = prepare(img.clone(), m.clone(), &s).unwrap();
    assert_eq!(diag(&p, "int_mask_vox_count_reseg_roi"), 9.0);
    assert_eq!(diag(&p, "int_mask_min_int_reseg_roi"), 0.0);
    // Outlier filtering alone: mean and SD over all 12 voxels.
    s.resegmentation.min = None;
    s.resegmentation.max = None;
    s.resegmentation.outlier_sd = Some(1.0);
    let p = prepare(img, m, &s).unwrap();
    let n = 12.0;
    let mean = vals.iter().sum::<f64>() / n;
    let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let kept = vals
        .iter()
        .filter(|&&v| v >= mean - sd && v <= mean + sd)
        .count();
    assert_eq!(diag(&p, "int_mask_vox_count_reseg_roi"), kept as f64);
}

#[test]
fn ivh_without_discretisation_keeps_integer_intensities() {
    let g = Grid::new([1, 1, 4], [1.0; 3], [0.0; 3]);
    let img = image(&g, |_, _, x| [-20.0, -18.0, 5.0, -20.0][x]);
    let p = prepare(img, mask(&g, |_, _, _| true), &Settings::default()).unwrap();
    let ivh = p.ivh.as_ref().unwrap();
    let got: Vec<f64> = ivh
        .roi_levels()
        .iter()
        .map(|&l| ivh.bin_centre(l))
        .collect();
    assert_eq!(got, vec![-20.0, -18.0, 5.0, -20.0]);
    assert_eq!(ivh.n_levels, 26);
    let img = image(&g, |_, _, x| x as f64 + 0.5);
    let p = prepare(img, mask(&g, |_, _, _| true), &Settings::default()).unwrap();
    assert!(p.ivh.unwrap_err().contains("integer"));
}

#[test]
fn non_finite_voxels_outside_the_roi() {
    let g = Grid::new([2, 3, 3], [1.0; 3], [0.0; 3]);
    let img = image(&g, |z, y, x| {
        if (z, y, x) == (0, 0, 0) {
            f64::NAN
        } else {
            1.0
        }
    });
    let m = mask(&g, |_, y, x| y == 1 && x == 1);
    // Without interpolation the NaN is outside the ROI and ignored by every statistic.
    let p = prepare(img.clone(), m.clone(), &Settings::default()).unwrap();
    assert_eq!(diag(&p, "mean_int_init_img"), 1.0);
    // Interpolation would smear it: a clear error instead.
    let e = prepare(img, m, &interp([0.5, 0.5, 0.5], Linear)).unwrap_err();
    assert_eq!(
        e,
        ProcessError::NonFiniteImage {
            count: 1,
            first: [0, 0, 0]
        }
    );
}

#[test]
fn a_one_voxel_roi_that_vanishes_is_an_error_not_a_panic() {
    let g = Grid::new([5, 5, 5], [1.0; 3], [0.0; 3]);
    let img = image(&g, |z, y, x| (z + y + x) as f64);
    // Downsampling by 4 with a linear mask: the single voxel contributes < 0.5 everywhere.
    let m = mask(&g, |z, y, x| (z, y, x) == (1, 1, 1));
    let e = prepare(img.clone(), m.clone(), &interp([4.0, 4.0, 4.0], Linear)).unwrap_err();
    assert!(
        matches!(e, ProcessError::EmptyAfterInterpolation { .. }),
        "{e}"
    );
    // Nearest keeps it when an output position falls in it; otherwise the same error.
    for method in METHODS {
        let _ = prepare(img.clone(), m.clone(), &interp([4.0, 4.0, 4.0], method));
        let _ = prepare(img.clone(), m.clone(), &interp([0.3, 0.3, 0.3], method)).unwrap();
    }
}

// ---------------------------------------------------------------- properties

fn arb_case() -> impl Strategy<Value = (Vec<usize>, Vec<f64>, Vec<f64>, Vec<f64>, u64)> {
    (
        prop::collection::vec(1usize..7, 3),
        prop::collection::vec(0.5f64..3.0, 3),
        prop::collection::vec(0.4f64..4.0, 3),
        prop::collection::vec(-1000.0f64..1000.0, 216),
        any::<u64>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// A constant image stays constant under every method (weights sum to one).
    #[test]
    fn constant_images_stay_constant(
        (dims, sp, new, _vals, _seed) in arb_case(), c in -500.0f64..500.0
    ) {
        let g = Grid::new([dims[0], dims[1], dims[2]], [sp[0], sp[1], sp[2]], [0.0; 3]);
        for method in METHODS {
            let p = prepare(
                image(&g, |_, _, _| c),
                mask(&g, |_, _, _| true),
                &interp([new[0], new[1], new[2]], method),
            ).unwrap();
            for &v in p.roi.image.iter() {
                prop_assert!((v - c).abs() < 1e-9 * c.abs().max(1.0), "{method:?}: {v} vs {c}");
            }
            prop_assert!((p.diagnostics.iter().find(|d| d.tag == "mean_int_interp_img").unwrap().value - c).abs() < 1e-6);
        }
    }

    /// Nearest neighbour only copies input values; linear stays within the input range.
    #[test]
    fn nearest_copies_and_linear_stays_in_range((dims, sp, new, vals, _seed) in arb_case()) {
        let g = Grid::new([dims[0], dims[1], dims[2]], [sp[0], sp[1], sp[2]], [0.0; 3]);
        let img = image(&g, |z, y, x| vals[(z * 6 + y) * 6 + x]);
        let (lo, hi) = img.data.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let m = mask(&g, |_, _, _| true);
        let spacing = [new[0], new[1], new[2]];
        let p = prepare(img.clone(), m.clone(), &interp(spacing, Nearest)).unwrap();
        for v in p.roi.image.iter() {
            prop_assert!(img.data.iter().any(|w| w == v));
        }
        let p = prepare(img, m, &interp(spacing, Linear)).unwrap();
        for &v in p.roi.image.iter() {
            prop_assert!(v >= lo - 1e-9 && v <= hi + 1e-9);
        }
        prop_assert!(p.diagnostics.iter().find(|d| d.tag == "min_int_interp_img").unwrap().value >= lo - 1e-9);
    }

    /// Interpolating to the spacing the image already has changes nothing (every method).
    #[test]
    fn same_spacing_is_the_identity((dims, sp, _new, vals, seed) in arb_case()) {
        let g = Grid::new([dims[0], dims[1], dims[2]], [sp[0], sp[1], sp[2]], [0.0; 3]);
        let img = image(&g, |z, y, x| vals[(z * 6 + y) * 6 + x]);
        let m = mask(&g, |z, y, x| (seed >> ((z * 36 + y * 6 + x) % 64)) & 1 == 1 || (z, y, x) == (0, 0, 0));
        let count = m.count() as f64;
        for method in METHODS {
            let p = prepare(img.clone(), m.clone(), &interp([sp[2], sp[1], sp[0]], method)).unwrap();
            prop_assert_eq!(p.diagnostics.iter().find(|d| d.tag == "morph_mask_vox_count_interp_roi").unwrap().value, count);
            prop_assert_eq!(p.roi.grid.spacing_zyx, g.spacing_zyx);
            let off = radx_process::mask_bbox(m.data.view()).unwrap().0;
            let (clo, _) = radx_process::mask_bbox(p.roi.morphological.view()).unwrap();
            for ((z, y, x), &v) in p.roi.image.indexed_iter() {
                let (oz, oy, ox) = (z + off[0] - clo[0], y + off[1] - clo[1], x + off[2] - clo[2]);
                let w = img.data[[oz, oy, ox]];
                prop_assert!((v - w).abs() < 1e-9 * w.abs().max(1.0), "{method:?}: {v} vs {w}");
            }
        }
    }

    /// The intensity mask lies within the morphological mask, which keeps its count
    /// through re-segmentation; counts and bounding boxes are consistent.
    #[test]
    fn mask_invariants((dims, sp, new, vals, seed) in arb_case(), lo in -800.0f64..0.0, k in 0.5f64..3.0) {
        let g = Grid::new([dims[0], dims[1], dims[2]], [sp[0], sp[1], sp[2]], [0.0; 3]);
        let img = image(&g, |z, y, x| vals[(z * 6 + y) * 6 + x]);
        let m = mask(&g, |z, y, x| (seed >> ((z * 36 + y * 6 + x) % 64)) & 1 == 1 || (z, y, x) == (0, 0, 0));
        let mut s = interp([new[0], new[1], new[2]], Linear);
        s.resegmentation.min = Some(lo);
        s.resegmentation.outlier_sd = Some(k);
        match prepare(img, m, &s) {
            Ok(p) => {
                let d = |t: &str| p.diagnostics.iter().find(|d| d.tag == t).map(|d| d.value);
                prop_assert_eq!(d("morph_mask_vox_count_reseg_roi"), d("morph_mask_vox_count_interp_roi"));
                prop_assert!(d("int_mask_vox_count_reseg_roi").unwrap() <= d("int_mask_vox_count_interp_roi").unwrap());
                prop_assert!(d("int_mask_min_int_reseg_roi").unwrap() >= lo);
                for a in ["x", "y", "z"] {
                    let int_bb = d(&format!("int_mask_bb_dim_{a}_reseg_roi")).unwrap();
                    let morph_bb = d(&format!("morph_mask_bb_dim_{a}_reseg_roi")).unwrap();
                    prop_assert!(int_bb <= morph_bb, "axis {}: {} > {}", a, int_bb, morph_bb);
                }
                ndarray::Zip::from(&p.roi.intensity).and(&p.roi.morphological).for_each(|&i, &m| assert!(!i || m));
                prop_assert_eq!(p.roi.intensity_count() as f64, d("int_mask_vox_count_reseg_roi").unwrap());
            }
            Err(ProcessError::EmptyAfterInterpolation { .. }) | Err(ProcessError::EmptyAfterResegmentation { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
