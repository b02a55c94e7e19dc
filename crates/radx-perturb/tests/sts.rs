//! Speed and sanity on the STS cohort (soft-tissue sarcoma PET/CT, README in the data
//! folder): `$RADX_COHORT_DATA`, else `<workspace>/../shared/cohorts/sts`. Skipped with a
//! message when the data are absent. Run with `--nocapture` to see the timings.

use std::path::PathBuf;
use std::time::Instant;

use radx_core::{Image, Mask};
use radx_io::{read_image, read_mask, MaskSelector};
use radx_perturb::*;

fn cohort_dir() -> PathBuf {
    match std::env::var_os("RADX_COHORT_DATA") {
        Some(p) if !p.is_empty() => p.into(),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/cohorts/sts"),
    }
}

fn load(patient: &str, modality: &str) -> Option<(Image, Mask)> {
    let d = cohort_dir().join("nifti").join(patient);
    let ip = d.join(format!("{modality}_image.nii.gz"));
    if !ip.exists() {
        return None;
    }
    let img = read_image(&ip).expect("image");
    let msk = read_mask(
        &d.join(format!("{modality}_mask.nii.gz")),
        MaskSelector::NonZero,
    )
    .expect("mask");
    Some((img, msk))
}

fn count(m: &Mask) -> usize {
    m.data.iter().filter(|&&b| b).count()
}

/// Median wall time in ms of `runs` calls.
fn time_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[runs / 2]
}

fn steps() -> Vec<Perturbation> {
    vec![
        Perturbation::Noise { sd: None },
        Perturbation::Rotation { degrees: 12.5 },
        Perturbation::Translation {
            fraction_zyx: [0.3, 0.55, 0.8],
        },
        Perturbation::VolumeAdaptation { fraction: 0.1 },
        Perturbation::VolumeAdaptation { fraction: -0.1 },
        Perturbation::ContourRandomisation {
            sd_mm: 2.0,
            correlation_mm: 10.0,
        },
    ]
}

fn report(label: &str, img: &Image, msk: &Mask, runs: usize) {
    println!(
        "{label}: grid {:?} ({} voxels), spacing {:?} mm, ROI {} voxels",
        img.grid.shape_zyx,
        img.grid.len(),
        img.grid.spacing_zyx,
        count(msk)
    );
    let t = time_ms(runs, || {
        std::hint::black_box(estimate_noise_sd(img));
    });
    println!("  estimate_noise_sd: {t:.2} ms");
    for s in steps() {
        let t = time_ms(runs, || {
            std::hint::black_box(apply(img, msk, std::slice::from_ref(&s), 1).unwrap());
        });
        let p = apply(img, msk, std::slice::from_ref(&s), 1).unwrap();
        println!("  {s:?}: {t:.2} ms  details {:?}", p.applied[0].details);
    }
    let chain = draw(
        &PerturbationSpace {
            noise: true,
            rotation_degrees: Some([-15.0, 15.0]),
            translation: true,
            volume_fraction: Some([-0.2, 0.2]),
            contour: Some(ContourSettings {
                sd_mm: 2.0,
                correlation_mm: 10.0,
            }),
        },
        5,
        0,
    );
    let t = time_ms(runs, || {
        std::hint::black_box(apply(img, msk, &chain, 5).unwrap());
    });
    println!("  full chain (N, R, T, V, C): {t:.2} ms");
}

#[test]
fn sts_pet_and_ct_timings_and_sanity() {
    let Some((pet, pmask)) = load("STS_001", "PET") else {
        panic!(
            "STS cohort not found at {:?} (set RADX_COHORT_DATA)",
            cohort_dir()
        );
    };
    report("STS_001 PET", &pet, &pmask, 11);

    // sanity on the PET ROI
    let n = count(&pmask) as f64;
    let sd = estimate_noise_sd(&pet);
    assert!(sd.is_finite() && sd > 0.0, "{sd}");
    let p = apply(&pet, &pmask, &steps()[1..2], 1).unwrap(); // rotation 12.5°
    assert!((count(&p.mask) as f64 / n - 1.0).abs() < 0.15);
    let p = apply(&pet, &pmask, &steps()[5..6], 1).unwrap(); // contour
    assert!(
        p.applied[0].details["dice"] > 0.6,
        "{:?}",
        p.applied[0].details
    );
    let t = time_ms(11, || {
        std::hint::black_box(apply(&pet, &pmask, &steps(), 1).unwrap());
    });
    // generous bound on a shared machine; the report quotes the measured figures
    assert!(t < 2000.0, "all steps on a PET ROI took {t} ms");

    if let Some((ct, cmask)) = load("STS_001", "CT") {
        report("STS_001 CT (whole)", &ct, &cmask, 3);
        let t = time_ms(5, || {
            std::hint::black_box(crop_to_roi(&ct, &cmask, 20.0).unwrap());
        });
        let (cc, cm) = crop_to_roi(&ct, &cmask, 20.0).unwrap();
        println!("  crop_to_roi(20 mm): {t:.2} ms");
        assert_eq!(count(&cm), count(&cmask));
        report("STS_001 CT (cropped 20 mm)", &cc, &cm, 3);
    }
}

#[test]
fn sts_cohort_volume_adaptation_within_one_shell() {
    let dir = cohort_dir().join("nifti");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        panic!("STS cohort not found at {dir:?} (set RADX_COHORT_DATA)");
    };
    let mut patients: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    patients.sort();
    let mut checked = 0;
    for pt in &patients {
        let Some((img, msk)) = load(pt, "PET") else {
            continue;
        };
        let n = count(&msk) as f64;
        for f in [-0.2, -0.1, 0.1, 0.2] {
            let p = apply(
                &img,
                &msk,
                &[Perturbation::VolumeAdaptation { fraction: f }],
                0,
            )
            .unwrap();
            let d = &p.applied[0].details;
            let after = count(&p.mask) as f64;
            assert_eq!(d["clamped"], 0.0, "{pt} {f}: {d:?}");
            let target = (n * (1.0 + f)).round();
            assert!(
                (after - target).abs() <= d["shell_voxels"],
                "{pt} {f}: {d:?}"
            );
        }
        // the whole random chain runs and keeps a non-empty ROI on every patient
        let space = PerturbationSpace {
            noise: true,
            rotation_degrees: Some([-15.0, 15.0]),
            translation: true,
            volume_fraction: Some([-0.2, 0.2]),
            contour: Some(ContourSettings {
                sd_mm: 2.0,
                correlation_mm: 10.0,
            }),
        };
        for i in 0..3 {
            let p = apply_drawn(&img, &msk, &space, 11, i).unwrap();
            assert!(count(&p.mask) > 0);
        }
        checked += 1;
    }
    println!("volume adaptation checked on {checked} PET ROIs");
    assert!(checked > 0 || patients.is_empty());
}
