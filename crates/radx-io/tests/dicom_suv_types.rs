//! SUV normalisations (body weight, lean body mass by James and by Janmahasatian, body
//! surface area) on the STS_002 PET turned into Bq/mL (99 kg, 1.74 m, male), and the PET
//! module checks (Units, DecayCorrection, CorrectedImage, PatientSize, PatientSex).

mod common;

use std::path::Path;

use common::*;
use dicom_core::VR;
use dicom_dictionary_std::tags;
use radx_io::{read_image_any, ImageOptions, SuvType};

const W: f64 = 99.0;
const H: f64 = 1.74;

/// The STS_002 PET series rewritten in Bq/mL (DecayCorrection START, 85 min after the
/// injection), each file then changed by `more`.
fn bqml_copy(more: impl Fn(&mut dicom_object::InMemDicomObject) + Copy) -> tempfile::TempDir {
    let src = sts().join("dicom/STS_002/PET/image");
    let dir = tempfile::tempdir().unwrap();
    let dose = 4.33344096e8;
    let half = 6588.0;
    let dt = 85.0 * 60.0;
    let to_bqml = dose * (-(dt / half) * std::f64::consts::LN_2).exp() / (W * 1000.0);
    for f in std::fs::read_dir(&src).unwrap() {
        let f = f.unwrap().path();
        edit(&f, &dir.path().join(f.file_name().unwrap()), |o| {
            let slope: f64 = o
                .element(tags::RESCALE_SLOPE)
                .unwrap()
                .value()
                .to_float64()
                .unwrap();
            put_str(
                o,
                tags::RESCALE_SLOPE,
                VR::DS,
                &format!("{:e}", slope * to_bqml),
            );
            put_str(o, tags::UNITS, VR::CS, "BQML");
            put_str(o, tags::DECAY_CORRECTION, VR::CS, "START");
            for tag in [tags::STUDY_DATE, tags::SERIES_DATE, tags::ACQUISITION_DATE] {
                put_str(o, tag, VR::DA, "20060129");
            }
            put_str(o, tags::SERIES_TIME, VR::TM, "151600");
            put_str(o, tags::ACQUISITION_TIME, VR::TM, "151600");
            more(o);
        });
    }
    dir
}

fn read(dir: &Path, t: SuvType) -> Result<radx_io::LoadedImage, String> {
    read_image_any(
        dir,
        &ImageOptions {
            suv: true,
            suv_type: t,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())
}

#[test]
fn each_normalisation_scales_body_weight_suv_by_its_normaliser() {
    let dir = bqml_copy(|_| {});
    let bw = read(dir.path(), SuvType::BodyWeight).unwrap();
    assert!(bw
        .series
        .as_ref()
        .unwrap()
        .suv
        .as_ref()
        .unwrap()
        .suv_type
        .is_empty());
    let h_cm = H * 100.0;
    let bmi = W / (H * H);
    // Hand-checked: James 1.10·99 − 128·(99/174)² = 67.46 kg.
    let james = 1.10 * W - 128.0 * (W / h_cm).powi(2);
    assert!((james - 67.464).abs() < 1e-3);
    let janma = 9270.0 * W / (6680.0 + 216.0 * bmi);
    let bsa = 0.007184 * W.powf(0.425) * h_cm.powf(0.725);
    for (t, n_kg_or_m2, n) in [
        (SuvType::LeanBodyMassJames, james, james * 1000.0),
        (SuvType::LeanBodyMassJanmahasatian, janma, janma * 1000.0),
        (SuvType::BodySurfaceArea, bsa, bsa * 1e4),
    ] {
        let got = read(dir.path(), t).unwrap();
        let rec = got.series.unwrap().suv.unwrap();
        assert_eq!(rec.suv_type, t.name());
        assert!((rec.normaliser.unwrap() - n_kg_or_m2).abs() < 1e-9, "{t:?}");
        assert_eq!(rec.height_m, Some(H));
        let ratio = n / (W * 1000.0);
        for (a, b) in got.image.data.iter().zip(bw.image.data.iter()) {
            assert!(
                (a - b * ratio).abs() <= 1e-9 * b.abs().max(1.0),
                "{t:?}: {a} vs {b}·{ratio}"
            );
        }
    }
}

#[test]
fn missing_height_or_sex_is_named() {
    let dir = bqml_copy(|o| {
        o.remove_element(tags::PATIENT_SIZE);
    });
    assert!(
        read(dir.path(), SuvType::BodyWeight).is_ok(),
        "body weight needs no height"
    );
    let e = read(dir.path(), SuvType::BodySurfaceArea).unwrap_err();
    assert!(e.contains("PatientSize") && e.contains("bsa"), "{e}");
    let dir = bqml_copy(|o| put_str(o, tags::PATIENT_SEX, VR::CS, "O"));
    let e = read(dir.path(), SuvType::LeanBodyMassJames).unwrap_err();
    assert!(e.contains("PatientSex") && e.contains("lbm-james"), "{e}");
    assert!(
        read(dir.path(), SuvType::BodySurfaceArea).is_ok(),
        "BSA needs no sex"
    );
}

#[test]
fn corrected_image_and_units_are_checked() {
    let dir = bqml_copy(|o| put_str(o, tags::CORRECTED_IMAGE, VR::CS, "DECY\\SCAT"));
    let e = read(dir.path(), SuvType::BodyWeight).unwrap_err();
    assert!(e.contains("CorrectedImage") && e.contains("ATTN"), "{e}");
    let dir = bqml_copy(|o| put_str(o, tags::CORRECTED_IMAGE, VR::CS, "ATTN\\SCAT"));
    let e = read(dir.path(), SuvType::BodyWeight).unwrap_err();
    assert!(e.contains("DecayCorrection") && e.contains("START"), "{e}");
    // The shipped series is already SUV (GML, BW): fine for bw, refused for the others.
    let src = sts().join("dicom/STS_002/PET/image");
    assert!(read(&src, SuvType::BodyWeight).is_ok());
    let e = read(&src, SuvType::LeanBodyMassJanmahasatian).unwrap_err();
    assert!(e.contains("GML") && e.contains("BQML"), "{e}");
    assert_eq!(
        SuvType::parse("lbm-janma"),
        Some(SuvType::LeanBodyMassJanmahasatian)
    );
    assert_eq!(SuvType::parse("sul"), None);
}
