//! DICOM series + RTSTRUCT of the IBSI CT phantom and of the shipped STS case (CT and PET)
//! against the NIfTI versions of the same data: same grid, same voxel values, same mask.

mod common;

use common::*;
use radx_core::{Image, Mask};
use radx_io::{read_image_any, read_mask_any, Format, ImageOptions, RoiSelector};

/// Value of `tag` in an IBSI reference CSV.
fn reference_value(file: &str, tag: &str) -> f64 {
    let p = ibsi_data()
        .verified(&format!("reference_values/ibsi_1/{file}"))
        .unwrap_or_else(|e| panic!("{e}"));
    radx_reference::read_ibsi1_table(&p)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|r| r.tag == tag)
        .unwrap_or_else(|| panic!("{tag} not in {file}"))
        .value
}

fn assert_same_image(dicom: &Image, nifti: &Image, rel_tol: f64, what: &str) {
    if let Some(why) = dicom.grid.mismatch(&nifti.grid, 1e-3) {
        panic!("{what}: grid differs from the NIfTI: {why}");
    }
    let mut worst = 0.0f64;
    for (a, b) in dicom.data.iter().zip(nifti.data.iter()) {
        let d = (a - b).abs() / b.abs().max(1.0);
        worst = worst.max(d);
    }
    assert!(
        worst <= rel_tol,
        "{what}: voxel values differ from the NIfTI by up to {worst} (relative)"
    );
}

fn assert_same_mask(dicom: &Mask, nifti: &Mask, what: &str) {
    let differ = dicom
        .data
        .iter()
        .zip(nifti.data.iter())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(
        differ,
        0,
        "{what}: {} DICOM vs {} NIfTI mask voxels, {differ} voxels differ",
        dicom.count(),
        nifti.count()
    );
}

#[test]
fn ct_phantom_dicom_and_rtstruct_match_the_nifti_and_ibsi() {
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    assert_eq!(li.format, Format::DicomSeries);
    let nifti = radx_io::read_image(&ibsi_ct().join("nifti/image/phantom.nii.gz")).unwrap();
    // DICOM values are integers (HU); the NIfTI holds the same numbers exactly.
    assert_same_image(&li.image, &nifti, 0.0, "CT phantom");
    assert_eq!(li.image.grid.shape_zyx, [60, 201, 204]);

    let mask = read_mask_any(
        &ct_rtstruct(),
        &li.mask_target(),
        &RoiSelector::Name("GTV-1".into()),
    )
    .unwrap();
    let nifti_mask = radx_io::read_mask(
        &ibsi_ct().join("nifti/mask/mask.nii.gz"),
        radx_io::MaskSelector::NonZero,
    )
    .unwrap();
    assert_same_mask(&mask, &nifti_mask, "CT phantom GTV-1");
    let ibsi = reference_value("ibsi_1_chest_config_a.csv", "morph_mask_vox_count_init_roi");
    assert_eq!(mask.count() as f64, ibsi, "IBSI initial ROI voxel count");
    // Auto picks the only ROI; the folder of the RTSTRUCT works as well.
    let auto = read_mask_any(
        &ibsi_ct().join("dicom/mask"),
        &li.mask_target(),
        &RoiSelector::Auto,
    )
    .unwrap();
    assert_eq!(auto, mask);
    // The RTSTRUCT rasterises onto the NIfTI image's grid (no DICOM identity) the same way.
    let on_nifti =
        read_mask_any(&ct_rtstruct(), &(&nifti.grid).into(), &RoiSelector::Auto).unwrap();
    assert_same_mask(&on_nifti, &nifti_mask, "CT phantom GTV-1 on the NIfTI grid");
}

#[test]
fn ct_phantom_series_info() {
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    let info = li.series.unwrap();
    assert_eq!(info.files.len(), 60);
    assert_eq!(info.sop_instance_uids.len(), 60);
    assert_eq!(info.modality.as_deref(), Some("CT"));
    // increasing positions along the normal, 3 mm apart
    for w in info.slice_positions_mm.windows(2) {
        assert!((w[1] - w[0] - 3.0).abs() < 1e-3);
    }
    // a single slice file reads its folder's series
    let one = read_image_any(&info.files[7], &ImageOptions::default()).unwrap();
    assert_eq!(one.image, li.image);
    let listed = radx_io::list_series(&ct_image_dir()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].files, 60);
}

fn sts_case(case: &str, modality: &str) {
    let d = sts().join("dicom").join(case).join(modality);
    let n = sts().join("nifti").join(case);
    let opts = ImageOptions {
        suv: modality == "PET",
        ..Default::default()
    };
    let li = read_image_any(&d.join("image"), &opts).unwrap();
    let nifti = radx_io::read_image(&n.join(format!("{modality}_image.nii.gz"))).unwrap();
    // CT: integer HU, exact. PET: the NIfTI holds float32 SUV, the DICOM 16-bit values
    // times a per-slice RescaleSlope: equal to float32 precision.
    let tol = if modality == "PET" { 1e-6 } else { 0.0 };
    let what = format!("{case} {modality}");
    assert_same_image(&li.image, &nifti, tol, &what);
    if modality == "PET" {
        let suv = li.series.as_ref().unwrap().suv.as_ref().unwrap();
        // these PET series are stored as SUV already (Units GML): factor 1
        assert_eq!(suv.source_units, "GML");
        assert!(suv.factor.iter().all(|&f| f == 1.0));
    }
    let mask = read_mask_any(
        &d.join("mask/RS.dcm"),
        &li.mask_target(),
        &RoiSelector::Auto,
    )
    .unwrap();
    let nifti_mask = radx_io::read_mask(
        &n.join(format!("{modality}_mask.nii.gz")),
        radx_io::MaskSelector::NonZero,
    )
    .unwrap();
    assert_same_mask(&mask, &nifti_mask, &what);
    eprintln!(
        "{what}: grid {:?}, mask voxels DICOM {} NIfTI {}",
        li.image.grid.shape_zyx,
        mask.count(),
        nifti_mask.count()
    );
}

#[test]
fn sts_002_ct_and_pet() {
    sts_case("STS_002", "CT");
    sts_case("STS_002", "PET");
}

#[test]
fn suv_from_activity_concentration_with_decay_correction() {
    // Turn the STS_002 PET (stored as SUV; 99 kg, 433.344096 MBq injected at 13:51:00) into
    // Bq/mL series: Units BQML, DecayCorrection START, series start 1 h 25 min after the
    // injection, and each slice's RescaleSlope scaled by D(t) / W. Reading with SUV must
    // give the original SUV back.
    let src = sts().join("dicom/STS_002/PET/image");
    let dir = tempfile::tempdir().unwrap();
    let original = read_image_any(&src, &ImageOptions::default()).unwrap();
    let weight_kg = 99.0;
    let dose = 4.33344096e8;
    let half = 6588.0;
    let dt = 85.0 * 60.0; // 13:51:00 -> 15:16:00
    let decayed = dose * (-(dt / half) * std::f64::consts::LN_2).exp();
    let to_bqml = decayed / (weight_kg * 1000.0);
    let files: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for f in &files {
        edit(f, &dir.path().join(f.file_name().unwrap()), |o| {
            use dicom_core::VR;
            use dicom_dictionary_std::tags;
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
            // the anonymised series is dated the day before its injection date-time
            // (20060129 13:51): date the scan on the injection's day
            for tag in [tags::STUDY_DATE, tags::SERIES_DATE, tags::ACQUISITION_DATE] {
                put_str(o, tag, VR::DA, "20060129");
            }
            put_str(o, tags::SERIES_TIME, VR::TM, "151600");
            put_str(o, tags::ACQUISITION_TIME, VR::TM, "151600");
        });
    }
    let bq = read_image_any(dir.path(), &ImageOptions::default()).unwrap();
    assert!(
        bq.image.data.iter().cloned().fold(0.0, f64::max) > 1000.0,
        "now in Bq/mL"
    );
    let suv = read_image_any(
        dir.path(),
        &ImageOptions {
            suv: true,
            ..Default::default()
        },
    )
    .unwrap();
    let info = suv.series.unwrap().suv.unwrap();
    assert_eq!(info.decay_correction, "START");
    assert!((info.decay_time_s[0] - dt).abs() < 1e-6);
    for (a, b) in suv.image.data.iter().zip(original.image.data.iter()) {
        assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} vs {b}");
    }

    // ADMIN: no decay; the slope scaled by D0 / W only.
    let admin = tempfile::tempdir().unwrap();
    for f in &files {
        edit(f, &admin.path().join(f.file_name().unwrap()), |o| {
            use dicom_core::VR;
            use dicom_dictionary_std::tags;
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
                &format!("{:e}", slope * dose / 99000.0),
            );
            put_str(o, tags::UNITS, VR::CS, "BQML");
        });
    }
    let suv = read_image_any(
        admin.path(),
        &ImageOptions {
            suv: true,
            ..Default::default()
        },
    )
    .unwrap();
    for (a, b) in suv.image.data.iter().zip(original.image.data.iter()) {
        assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} vs {b}");
    }
}

#[test]
fn suv_without_decay_correction_is_per_slice() {
    // DecayCorrection NONE: each slice decays from the injection to its own acquisition
    // time (here 15:16:00 + 20 s per file).
    let src = sts().join("dicom/STS_002/PET/image");
    let dir = tempfile::tempdir().unwrap();
    let original = read_image_any(&src, &ImageOptions::default()).unwrap();
    let (weight_g, dose, half) = (99000.0, 4.33344096e8, 6588.0);
    let mut files: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for (i, f) in files.iter().enumerate() {
        let dt = 85.0 * 60.0 + 20.0 * i as f64;
        let to_bqml = dose * (-(dt / half) * std::f64::consts::LN_2).exp() / weight_g;
        edit(f, &dir.path().join(f.file_name().unwrap()), |o| {
            use dicom_core::VR;
            use dicom_dictionary_std::tags;
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
            put_str(o, tags::DECAY_CORRECTION, VR::CS, "NONE");
            // not decay corrected: CorrectedImage must not claim DECY
            put_str(o, tags::CORRECTED_IMAGE, VR::CS, "ATTN\\SCAT");
            for tag in [tags::STUDY_DATE, tags::SERIES_DATE, tags::ACQUISITION_DATE] {
                put_str(o, tag, VR::DA, "20060129");
            }
            let t = 15 * 3600 + 16 * 60 + 20 * i;
            let tm = format!("{:02}{:02}{:02}", t / 3600, t / 60 % 60, t % 60);
            put_str(o, tags::ACQUISITION_TIME, VR::TM, &tm);
        });
    }
    let suv = read_image_any(
        dir.path(),
        &ImageOptions {
            suv: true,
            ..Default::default()
        },
    )
    .unwrap();
    let info = suv.series.unwrap().suv.unwrap();
    assert_eq!(info.decay_correction, "NONE");
    let distinct: std::collections::BTreeSet<i64> =
        info.decay_time_s.iter().map(|t| *t as i64).collect();
    assert_eq!(distinct.len(), files.len());
    for (a, b) in suv.image.data.iter().zip(original.image.data.iter()) {
        assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} vs {b}");
    }
}

#[test]
fn suv_with_missing_tags_names_them() {
    let src = sts().join("dicom/STS_002/PET/image");
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(&src).unwrap().map(|e| e.unwrap().path()) {
        edit(&f, &dir.path().join(f.file_name().unwrap()), |o| {
            use dicom_core::VR;
            use dicom_dictionary_std::tags;
            put_str(o, tags::UNITS, VR::CS, "BQML");
            o.remove_element(tags::PATIENT_WEIGHT);
            o.remove_element(tags::RADIOPHARMACEUTICAL_INFORMATION_SEQUENCE);
        });
    }
    let e = read_image_any(
        dir.path(),
        &ImageOptions {
            suv: true,
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("PatientWeight") && e.contains("RadiopharmaceuticalInformationSequence"),
        "{e}"
    );
    assert!(
        e.contains(&dir.path().display().to_string()),
        "names the file: {e}"
    );
    // SUV of a CT is refused
    let e = read_image_any(
        &ct_image_dir(),
        &ImageOptions {
            suv: true,
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("not PT"), "{e}");
}

#[test]
fn rle_compressed_series_reads_like_the_uncompressed_one() {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(ct_image_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
    {
        to_rle(&f, &dir.path().join(f.file_name().unwrap()));
    }
    let rle = read_image_any(dir.path(), &ImageOptions::default()).unwrap();
    assert_eq!(
        rle.series.as_ref().unwrap().transfer_syntax,
        "1.2.840.10008.1.2.5"
    );
    let plain = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    assert_eq!(rle.image, plain.image);
}

#[test]
fn image_series_order_does_not_depend_on_file_names() {
    // Rename the slices in reverse and scrambled order: same image.
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(ct_image_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for (i, f) in files.iter().enumerate() {
        let name = format!("x{:03}.dcm", (i * 37) % files.len());
        std::fs::write(dir.path().join(name), std::fs::read(f).unwrap()).unwrap();
    }
    let a = read_image_any(dir.path(), &ImageOptions::default()).unwrap();
    let b = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    assert_eq!(a.image, b.image);
}
