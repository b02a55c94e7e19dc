//! What the readers report for provenance: every file read (DICOM slices, NRRD header and
//! detached data) and what a selector resolved to (RTSTRUCT ROI, SEG segment, label).

mod common;

use common::*;
use ndarray::Array3;
use radx_core::{Grid, Image, Mask};
use radx_io::{
    load_mask_any, read_image_any, write_nrrd_image, write_nrrd_mask, Format, ImageOptions,
    RoiSelector,
};

#[test]
fn a_dicom_series_names_every_slice_and_an_rtstruct_its_roi() {
    let li = read_image_any(
        &ct_image_dir().join("DCM_IMG_00007.dcm"),
        &ImageOptions::default(),
    )
    .unwrap();
    assert_eq!(li.files.len(), 60);
    let mut sorted = li.files.clone();
    sorted.sort();
    assert_eq!(li.files, sorted);
    assert!(li.files.iter().all(|f| f.starts_with(ct_image_dir())));
    let m = load_mask_any(&ct_rtstruct(), &li.mask_target(), &RoiSelector::Auto).unwrap();
    assert_eq!(m.format, Format::RtStruct);
    assert_eq!(m.files, [ct_rtstruct()]);
    assert_eq!(m.selection.roi_name.as_deref(), Some("GTV-1"));
    assert_eq!(m.selection.roi_number, Some(1));
    assert_eq!(
        m.selection.frame_of_reference_uid,
        li.series.unwrap().frame_of_reference_uid
    );
}

#[test]
fn a_seg_names_the_segment_it_resolved() {
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    let target = li.mask_target();
    let info = li.series.unwrap();
    let [nz, ny, nx] = target.grid.shape_zyx;
    let boxed = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
        ((10..14).contains(&z) && (5..9).contains(&y) && (7..10).contains(&x)) as u8
    });
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("seg.dcm");
    write_seg(
        &p,
        &target.grid,
        info.frame_of_reference_uid.as_deref().unwrap(),
        &info.series_uid,
        &[
            SegSegment {
                number: 1,
                label: "A".into(),
                values: boxed.clone(),
            },
            SegSegment {
                number: 2,
                label: "Box".into(),
                values: boxed,
            },
        ],
        None,
    );
    for sel in [RoiSelector::Name("Box".into()), RoiSelector::Label(2)] {
        let m = load_mask_any(&p, &target, &sel).unwrap();
        assert_eq!(m.format, Format::Seg);
        assert_eq!(m.files, std::slice::from_ref(&p));
        assert_eq!(m.selection.segment_number, Some(2));
        assert_eq!(m.selection.segment_label.as_deref(), Some("Box"));
        assert_eq!(
            m.selection.frame_of_reference_uid,
            info.frame_of_reference_uid
        );
    }
}

#[test]
fn a_detached_nrrd_names_its_data_file_and_a_label_map_its_label() {
    let dir = tempfile::tempdir().unwrap();
    let grid = Grid::new([4, 5, 6], [2.0, 1.0, 1.0], [0.0, 0.0, 0.0]);
    let img = Image::new(grid.clone(), Array3::from_elem((4, 5, 6), 3.0)).unwrap();
    let h = dir.path().join("img.nhdr");
    write_nrrd_image(&h, &img, radx_io::NrrdEncoding::Raw).unwrap();
    let li = read_image_any(&h, &ImageOptions::default()).unwrap();
    assert_eq!(li.files.len(), 2, "{:?}", li.files);
    assert!(li.files.contains(&h));
    let data = li.files.iter().find(|f| **f != h).unwrap();
    assert!(data.is_file() && data.parent() == h.parent());

    let attached = dir.path().join("mask.nrrd");
    let mask = Mask::new(grid.clone(), Array3::from_elem((4, 5, 6), true)).unwrap();
    write_nrrd_mask(&attached, &mask, radx_io::NrrdEncoding::Raw).unwrap();
    let m = load_mask_any(&attached, &li.mask_target(), &RoiSelector::Label(1)).unwrap();
    assert_eq!(m.files, std::slice::from_ref(&attached));
    assert_eq!(m.selection.label_value, Some(1));
    let m = load_mask_any(&attached, &li.mask_target(), &RoiSelector::Auto).unwrap();
    assert_eq!(m.selection.label_value, None);
}
