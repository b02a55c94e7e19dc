//! Timing on the IBSI CT phantom (run in release:
//! `cargo test --release -p radx-glszm --test timing -- --ignored --nocapture`).
//!
//! Reports per extraction of the family: the best wall time of one call, and the mean
//! CPU time of the calling thread (the build machine is shared, so wall times overstate).

use std::time::Instant;

use radx_core::settings::TextureDimension;

/// CPU time of the current thread in ns (the machine is shared: wall time overstates).
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
#[ignore]
fn ct_phantom_timing() {
    let mut s = radx_testkit::ct_bench_settings();
    let p = radx_testkit::ct_phantom(&s);
    let n = p.roi.intensity_count();
    let plugin = radx_glszm::plugin();
    for (label, dims) in [
        ("3D", vec![TextureDimension::D3]),
        ("2D", vec![TextureDimension::D2]),
        (
            "2D+2.5D+3D",
            vec![
                TextureDimension::D2,
                TextureDimension::D25,
                TextureDimension::D3,
            ],
        ),
    ] {
        s.texture.dimensions = dims;
        let input = radx_testkit::input(&p, &s);
        let _ = plugin.compute(&input).unwrap();
        let reps: usize = std::env::var("ZONES_REPS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(30);
        let t = Instant::now();
        let c = cpu_ns();
        let mut best = f64::INFINITY;
        for _ in 0..reps {
            let one = Instant::now();
            std::hint::black_box(plugin.compute(&input).unwrap());
            best = best.min(one.elapsed().as_secs_f64());
        }
        println!(
            "GLSZM {label}: best {:.3} ms, mean {:.3} ms CPU, {:.3} ms wall per ROI ({n} voxels, grid {:?})",
            best * 1e3,
            (cpu_ns() - c) as f64 * 1e-6 / reps as f64,
            t.elapsed().as_secs_f64() * 1e3 / reps as f64,
            p.roi.grid.shape_zyx
        );
    }
}
