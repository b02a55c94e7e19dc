//! Timing on the IBSI CT phantom (bench settings). Run in release:
//! `cargo test --release -p radx-ngldm --test timing -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use radx_core::settings::TextureDimension;
use radx_ngldm::{build, Ngldm};
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
    let slices = vol.occupied_slices();
    println!(
        "CT phantom: array {:?}, {} ROI voxels, {} slices, {} grey levels",
        d.levels.dim(),
        d.levels.iter().filter(|&&l| l > 0).count(),
        slices.len(),
        d.n_levels
    );
    let reps = 60;
    let fam = Ngldm { delta: 1, alpha: 0 };
    let t3 = best(reps, || build(&vol, Scope::Volume, 1, 0));
    let t3a = best(reps, || build(&vol, Scope::Volume, 1, 1));
    let t2 = best(reps, || {
        slices
            .iter()
            .map(|&z| build(&vol, Scope::Slice(z), 1, 0))
            .collect::<Vec<_>>()
    });
    let a3 = best(reps, || {
        aggregate_neighbourhood(&fam, &vol, &[TextureDimension::D3], 17)
    });
    let a2 = best(reps, || {
        aggregate_neighbourhood(
            &fam,
            &vol,
            &[TextureDimension::D2, TextureDimension::D25],
            17,
        )
    });
    let plugin = radx_ngldm::plugin();
    let inp = input(&p, &s);
    let all = best(reps, || plugin.compute(&inp).unwrap());
    println!("NGLDM 3D matrix (alpha 0):        {t3:?}");
    println!("NGLDM 3D matrix (alpha 1):        {t3a:?}");
    println!("NGLDM 2D matrices (all slices):   {t2:?}");
    println!("NGLDM 3D features:                {a3:?}");
    println!("NGLDM 2D + 2.5D features:         {a2:?}");
    println!("NGLDM plugin (2D, 2.5D, 3D):      {all:?}");
}
