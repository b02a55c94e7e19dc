//! Sanity of every perturbation on real PET and CT ROIs: the test cohort shipped in
//! `reference-data/cohorts/sts-mini/` (or `$RADX_COHORT_DATA`), each file checked against its
//! sha256. Timings are measured by the criterion benches, not here.

use radx_core::{Image, Mask};
use radx_io::{read_image, read_mask, MaskSelector};
use radx_perturb::*;
use radx_reference::ReferenceData;

fn cohort() -> ReferenceData {
    ReferenceData::cohort().unwrap_or_else(|e| panic!("{e}"))
}

/// The test cohort's patients that have a `modality` image, sorted.
fn patients(modality: &str) -> Vec<String> {
    let suffix = format!("/{modality}_image.nii.gz");
    cohort()
        .entries()
        .filter_map(|e| {
            e.path
                .strip_prefix("nifti/")
                .and_then(|p| p.strip_suffix(&suffix))
                .map(String::from)
        })
        .collect()
}

fn load(patient: &str, modality: &str) -> (Image, Mask) {
    let data = cohort();
    let file = |what: &str| {
        data.verified(&format!("nifti/{patient}/{modality}_{what}.nii.gz"))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let img = read_image(&file("image")).expect("image");
    let msk = read_mask(&file("mask"), MaskSelector::NonZero).expect("mask");
    (img, msk)
}

fn count(m: &Mask) -> usize {
    m.data.iter().filter(|&&b| b).count()
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

#[test]
fn sts_pet_and_ct_sanity() {
    let (pet, pmask) = load("STS_002", "PET");
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
    let all = apply(&pet, &pmask, &steps(), 1).unwrap();
    assert_eq!(all.applied.len(), steps().len());
    assert!(count(&all.mask) > 0);

    let (ct, cmask) = load("STS_002", "CT");
    let (_, cm) = crop_to_roi(&ct, &cmask, 20.0).unwrap();
    assert_eq!(count(&cm), count(&cmask));
}

#[test]
fn sts_cohort_volume_adaptation_within_one_shell() {
    let patients = patients("PET");
    let mut checked = 0;
    for pt in &patients {
        let (img, msk) = load(pt, "PET");
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
    assert_eq!(checked, 6, "the test cohort has 6 PET cases: {patients:?}");
}
