//! Enhanced multi-frame DICOM: six slices of the shipped STS_002 CT series converted into one
//! Legacy Converted Enhanced CT image (reference-data/cohorts/sts-mini/scripts/
//! make-multiframe-dicom.py, highdicom) read against the six single-frame slices; and series
//! whose UID elements are present but empty.

mod common;

use std::path::Path;

use common::*;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use radx_io::{read_image_any, ImageOptions};

const SLICES: std::ops::Range<usize> = 19..25;

fn single_frame_copy() -> tempfile::TempDir {
    let src = sts().join("dicom/STS_002/CT/image");
    let dir = tempfile::tempdir().unwrap();
    for k in SLICES {
        let name = format!("{k:06}.dcm");
        std::fs::copy(src.join(&name), dir.path().join(&name)).unwrap();
    }
    dir
}

fn multiframe() -> std::path::PathBuf {
    sts().join("dicom/STS_002/CT-multiframe/legacy-enhanced.dcm")
}

#[test]
fn legacy_converted_enhanced_ct_equals_the_single_frame_slices() {
    let single = single_frame_copy();
    let a = read_image_any(single.path(), &ImageOptions::default()).unwrap();
    // Read from the file and from its folder.
    for path in [multiframe(), multiframe().parent().unwrap().to_path_buf()] {
        let b = read_image_any(&path, &ImageOptions::default()).unwrap();
        assert_eq!(b.image.grid.shape_zyx, [6, 143, 161]);
        if let Some(why) = b.image.grid.mismatch(&a.image.grid, 1e-9) {
            panic!("multi-frame grid differs: {why}");
        }
        assert_eq!(b.image.data, a.image.data, "voxels differ");
        let info = b.series.unwrap();
        assert_eq!(info.files.len(), 6, "one entry per frame");
        assert_eq!(b.files.len(), 1, "one file read");
    }
}

#[test]
fn per_frame_rescale_is_applied_per_frame() {
    // Frame 3's PixelValueTransformation moved to slope 2, intercept -5 (per-frame item):
    // only that plane changes, by v -> 2 v - 5 on the stored values (slope 1, intercept 0).
    let single = single_frame_copy();
    let a = read_image_any(single.path(), &ImageOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mf.dcm");
    edit(&multiframe(), &p, |obj| {
        let mut pf = obj
            .element(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
            .unwrap()
            .value()
            .items()
            .unwrap()
            .to_vec();
        let mut rescale = item(vec![]);
        put_str(&mut rescale, tags::RESCALE_SLOPE, VR::DS, "2");
        put_str(&mut rescale, tags::RESCALE_INTERCEPT, VR::DS, "-5");
        put_str(&mut rescale, tags::RESCALE_TYPE, VR::LO, "HU");
        pf[2].put(sq(tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE, vec![rescale]));
        obj.put(sq(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, pf));
    });
    let b = read_image_any(&p, &ImageOptions::default()).unwrap();
    // Exactly one plane (frame 3's) changed, by exactly 2 v - 5; the others are unchanged.
    let mut changed = Vec::new();
    for z in 0..6 {
        let pa = a.image.data.index_axis(ndarray::Axis(0), z);
        let pb = b.image.data.index_axis(ndarray::Axis(0), z);
        if pa == pb {
            continue;
        }
        for (x, y) in pa.iter().zip(pb.iter()) {
            assert_eq!(*y, 2.0 * x - 5.0, "plane {z}");
        }
        changed.push(z);
    }
    assert_eq!(changed.len(), 1, "planes changed: {changed:?}");
}

#[test]
fn missing_plane_position_names_the_frame() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mf.dcm");
    edit(&multiframe(), &p, |obj| {
        let mut pf = obj
            .element(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
            .unwrap()
            .value()
            .items()
            .unwrap()
            .to_vec();
        pf[4].remove_element(tags::PLANE_POSITION_SEQUENCE);
        obj.put(sq(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, pf));
    });
    let e = read_image_any(&p, &ImageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("PlanePositionSequence"), "{e}");
    assert!(e.contains("frame 5"), "{e}");
    assert!(e.contains("mf.dcm"), "{e}");
}

/// Empties an element (present, zero length) in every file of `dir`.
fn empty_element(dir: &Path, tag: Tag) {
    for f in std::fs::read_dir(dir).unwrap() {
        let p = f.unwrap().path();
        edit(&p.clone(), &p, |obj| put_str(obj, tag, VR::UI, ""));
    }
}

#[test]
fn empty_series_uid_falls_back_to_frame_of_reference_and_geometry() {
    let single = single_frame_copy();
    let a = read_image_any(single.path(), &ImageOptions::default()).unwrap();
    empty_element(single.path(), tags::SERIES_INSTANCE_UID);
    let b = read_image_any(single.path(), &ImageOptions::default()).unwrap();
    assert_eq!(b.image.data, a.image.data);
    let info = b.series.unwrap();
    let note = info.grouping.clone().expect("the fallback is said");
    assert!(note.contains("SeriesInstanceUID"), "{note}");
    assert!(note.contains("frame of reference"), "{note}");
    // Listing works too, and a slice file names its series the same way.
    let listed = radx_io::dicom::list_series(single.path()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].series_uid, info.series_uid);
    let one = read_image_any(&single.path().join("000020.dcm"), &ImageOptions::default()).unwrap();
    assert_eq!(one.image.data, a.image.data);
}

#[test]
fn empty_uids_of_two_series_stay_apart_by_geometry() {
    // Two series without UIDs in one folder: the 6 slices and a copy with another pixel
    // spacing are two groups, listed as two series, and reading the folder asks to choose.
    let single = single_frame_copy();
    empty_element(single.path(), tags::SERIES_INSTANCE_UID);
    empty_element(single.path(), tags::FRAME_OF_REFERENCE_UID);
    let other = single.path().join("other.dcm");
    edit(&single.path().join("000020.dcm"), &other, |obj| {
        obj.put(dicom_core::DataElement::new(
            tags::PIXEL_SPACING,
            VR::DS,
            strs(&[2.0, 2.0]),
        ));
        put_str(obj, tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4");
    });
    let listed = radx_io::dicom::list_series(single.path()).unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    let e = read_image_any(single.path(), &ImageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("2 image series"), "{e}");
}

/// An enhanced multi-frame PET without decay correction (DecayCorrection NONE): each frame
/// is decay-corrected to the injection from its own FrameAcquisitionDateTime (per-frame
/// FrameContentSequence), not from the data set's AcquisitionDateTime. Built from the
/// multi-frame CT, relabelled PT in Bq/mL; frame f acquired 60 + f minutes after injection.
#[test]
fn multiframe_pet_suv_uses_each_frames_acquisition_time() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pet.dcm");
    let (dose, half, weight) = (3.7e8, 6586.2, 80.0);
    edit(&multiframe(), &p, |obj| {
        put_str(obj, tags::MODALITY, VR::CS, "PT");
        put_str(obj, tags::UNITS, VR::CS, "BQML");
        put_str(obj, tags::DECAY_CORRECTION, VR::CS, "NONE");
        put_str(obj, tags::CORRECTED_IMAGE, VR::CS, "ATTN");
        put_str(obj, tags::PATIENT_WEIGHT, VR::DS, &format!("{weight}"));
        // the data set's own time: one hour after injection, for every frame
        put_str(obj, tags::ACQUISITION_DATE_TIME, VR::DT, "20200101110000");
        let mut rp = item(vec![]);
        put_str(
            &mut rp,
            tags::RADIONUCLIDE_TOTAL_DOSE,
            VR::DS,
            &format!("{dose}"),
        );
        put_str(
            &mut rp,
            tags::RADIONUCLIDE_HALF_LIFE,
            VR::DS,
            &format!("{half}"),
        );
        put_str(
            &mut rp,
            tags::RADIOPHARMACEUTICAL_START_DATE_TIME,
            VR::DT,
            "20200101100000",
        );
        obj.put(sq(tags::RADIOPHARMACEUTICAL_INFORMATION_SEQUENCE, vec![rp]));
        let mut pf = obj
            .element(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
            .unwrap()
            .value()
            .items()
            .unwrap()
            .to_vec();
        for (f, group) in pf.iter_mut().enumerate() {
            let mut content = item(vec![]);
            put_str(
                &mut content,
                tags::FRAME_ACQUISITION_DATE_TIME,
                VR::DT,
                &format!("2020010111{f}000"),
            );
            group.put(sq(tags::FRAME_CONTENT_SEQUENCE, vec![content]));
        }
        obj.put(sq(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, pf));
    });
    let plain = read_image_any(&p, &ImageOptions::default()).unwrap();
    let suv = read_image_any(
        &p,
        &ImageOptions {
            suv: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rec = suv.series.as_ref().unwrap().suv.clone().unwrap();
    // frame f: 60 + 10 f minutes after the injection (times 11:00, 11:10, ... 11:50)
    let mut got = rec.decay_time_s.clone();
    got.sort_by(f64::total_cmp);
    let want: Vec<f64> = (0..6).map(|f| 3600.0 + 600.0 * f as f64).collect();
    assert_eq!(got, want);
    // every plane is scaled by its own factor: weight / (dose at its acquisition)
    for (z, t) in rec.decay_time_s.iter().enumerate() {
        let factor = weight * 1000.0 / (dose * (-t / half * std::f64::consts::LN_2).exp());
        assert!(
            (rec.factor[z] - factor).abs() <= 1e-12 * factor,
            "plane {z}"
        );
        let a = plain.image.data.index_axis(ndarray::Axis(0), z);
        let b = suv.image.data.index_axis(ndarray::Axis(0), z);
        for (x, y) in a.iter().zip(b.iter()) {
            assert!((y - x * factor).abs() <= 1e-9 * (x * factor).abs().max(1.0));
        }
    }
}
