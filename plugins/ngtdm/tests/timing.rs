//! Timing on the IBSI CT phantom (bench settings). Run in release:
//! `cargo test --release -p radx-ngtdm --test timing -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use radx_core::settings::TextureDimension;
use radx_ngtdm::{build, Ngtdm};
use radx_testkit::{ct_bench_settings, ct_phantom, input};
use radx_texture::{aggregate_neighbourhood, LevelVolume, Scope};

fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
#[ignore]
fn ct_phantom_timing() {
    let s = ct_bench_settings();
    let p = ct_phantom(&s);
    let d = p.texture.as_ref().unwrap();
    let vol = LevelVolume {
        levels: d.levels.view(),
        n_levels: d.n_levels,
    };
    let n_roi = d.levels.iter().filter(|&&l| l > 0).count();
    let slices = vol.occupied_slices();
    println!(
        "CT phantom: array {:?}, {n_roi} ROI voxels, {} slices, {} grey levels",
        d.levels.dim(),
        slices.len(),
        d.n_levels
    );
    let fam = Ngtdm { delta: 1 };
    // Slices whose matrix is empty or has an undefined feature (skipped by the 2D mean).
    let degenerate = slices
        .iter()
        .map(|&z| build(&vol, Scope::Slice(z), 1))
        .filter(|m| m.n_counted() == 0 || radx_ngtdm::features(m).iter().any(|f| f.is_err()))
        .count();
    println!("slices with an empty matrix or an undefined feature: {degenerate}");
    let reps = 60;
    let t3 = best(reps, || build(&vol, Scope::Volume, 1));
    let t2 = best(reps, || {
        slices
            .iter()
            .map(|&z| build(&vol, Scope::Slice(z), 1))
            .collect::<Vec<_>>()
    });
    let a3 = best(reps, || {
        aggregate_neighbourhood(&fam, &vol, &[TextureDimension::D3], 5)
    });
    let a2 = best(reps, || {
        aggregate_neighbourhood(
            &fam,
            &vol,
            &[TextureDimension::D2, TextureDimension::D25],
            5,
        )
    });
    let plugin = radx_ngtdm::plugin();
    let inp = input(&p, &s);
    let all = best(reps, || plugin.compute(&inp).unwrap());
    println!("NGTDM 3D matrix:                  {t3:?}");
    println!("NGTDM 2D matrices (all slices):   {t2:?}");
    println!("NGTDM 3D features:                {a3:?}");
    println!("NGTDM 2D + 2.5D features:         {a2:?}");
    println!("NGTDM plugin (2D, 2.5D, 3D):      {all:?}");
}
