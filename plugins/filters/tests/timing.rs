//! Timing harness (run with `cargo test -p radx-filters --release --test timing -- --ignored
//! --nocapture`): every IBSI 2 phase 2 filter on the IBSI CT phantom resampled to 1 mm
//! isotropic voxels (the GTV bounding box plus 12 mm, as the processing chain crops it),
//! and on a 160^3 volume tiled from it.

use std::time::Instant;

use ndarray::Array3;
use radx_core::Settings;

fn ct_1mm() -> Array3<f64> {
    let s = Settings::from_toml_str(
        "radx_settings = 1\n[input]\nround_intensities = true\n[interpolation]\nspacing_mm = [1.0, 1.0, 1.0]\nimage_method = \"cubic_spline\"\nround_intensities = true\n",
        "filters-timing",
    )
    .unwrap();
    let p = radx_testkit::ct_phantom(&s);
    p.roi.image
}

/// A larger volume: the crop mirrored and tiled to `n^3` voxels.
fn tiled(src: &Array3<f64>, n: usize) -> Array3<f64> {
    let (a, b, c) = src.dim();
    let fold = |i: usize, m: usize| {
        let k = i % (2 * m);
        if k < m {
            k
        } else {
            2 * m - 1 - k
        }
    };
    Array3::from_shape_fn((n, n, n), |(z, y, x)| {
        src[[fold(z, a), fold(y, b), fold(x, c)]]
    })
}

/// CPU time of this thread in seconds (Linux `schedstat`), so that timings are not
/// inflated by other processes on a busy machine; `None` elsewhere.
fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns * 1e-9)
}

#[test]
#[ignore]
fn time_phase2_filters_on_ct() {
    let crop = ct_1mm();
    let big = tiled(&crop, 160);
    for (label, vol) in [("CT GTV box", &crop), ("tiled 160^3", &big)] {
        let d = vol.dim();
        println!("== {label}: {}x{}x{} voxels (z, y, x), 1 mm", d.0, d.1, d.2);
        for (id, spec) in radx_filters::ibsi2_phase2_configs() {
            let Some(spec) = spec else { continue };
            let t = Instant::now();
            let c0 = thread_cpu_seconds();
            let out = radx_filters::apply(&spec, vol, [1.0; 3]).unwrap();
            let cpu = thread_cpu_seconds().zip(c0).map(|(a, b)| a - b);
            let wall = t.elapsed().as_secs_f64();
            let s: f64 = out.iter().sum();
            println!(
                "{id:4} {:45} cpu {:8.1} ms  wall {:8.1} ms  (checksum {s:.6e})",
                spec.canonical_name(),
                cpu.unwrap_or(f64::NAN) * 1e3,
                wall * 1e3
            );
        }
    }
}
