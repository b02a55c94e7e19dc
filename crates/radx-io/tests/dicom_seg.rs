//! DICOM SEG: binary and fractional segments written by the test on the CT phantom grid
//! (no SEG ships with the reference data), read back by number and by label.

mod common;

use common::*;
use ndarray::Array3;
use radx_io::{
    list_segments, read_image_any, read_mask_any, read_seg_mask, ImageOptions, MaskTarget,
    RoiSelector,
};

struct Setup {
    target: MaskTarget,
    gtv: Array3<u8>,
    frame_of_reference: String,
    series_uid: String,
}

fn setup() -> Setup {
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    let target = li.mask_target();
    let gtv = read_mask_any(&ct_rtstruct(), &target, &RoiSelector::Auto).unwrap();
    let info = li.series.unwrap();
    Setup {
        gtv: mask_u8(&gtv),
        target,
        frame_of_reference: info.frame_of_reference_uid.unwrap(),
        series_uid: info.series_uid,
    }
}

fn cube(shape: [usize; 3]) -> Array3<u8> {
    Array3::from_shape_fn((shape[0], shape[1], shape[2]), |(z, y, x)| {
        (10..14).contains(&z) && (5..9).contains(&y) && (7..10).contains(&x)
    } as u8)
}

#[test]
fn binary_seg_by_number_and_label() {
    let s = setup();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("seg.dcm");
    let segs = vec![
        SegSegment {
            number: 1,
            label: "GTV".into(),
            values: s.gtv.clone(),
        },
        SegSegment {
            number: 2,
            label: "Box".into(),
            values: cube(s.target.grid.shape_zyx),
        },
    ];
    write_seg(
        &p,
        &s.target.grid,
        &s.frame_of_reference,
        &s.series_uid,
        &segs,
        None,
    );
    assert_eq!(
        list_segments(&p)
            .unwrap()
            .iter()
            .map(|x| x.label.clone())
            .collect::<Vec<_>>(),
        vec!["GTV", "Box"]
    );
    let by_number = read_mask_any(&p, &s.target, &RoiSelector::Label(1)).unwrap();
    assert_eq!(mask_u8(&by_number), s.gtv);
    assert_eq!(by_number.count(), 125256);
    let by_label = read_mask_any(&p, &s.target, &RoiSelector::Name("GTV".into())).unwrap();
    assert_eq!(by_label, by_number);
    let bx = read_mask_any(&p, &s.target, &RoiSelector::Name("Box".into())).unwrap();
    assert_eq!(bx.count(), 4 * 4 * 3);
    assert!(bx.data[[10, 5, 7]] && bx.data[[13, 8, 9]] && !bx.data[[14, 8, 9]]);

    let e = read_mask_any(&p, &s.target, &RoiSelector::Auto)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2 segments") && e.contains("1 \"GTV\", 2 \"Box\""),
        "{e}"
    );
    let e = read_mask_any(&p, &s.target, &RoiSelector::Name("liver".into()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no segment labelled \"liver\"") && e.contains("seg.dcm"),
        "{e}"
    );
    let e = read_mask_any(&p, &s.target, &RoiSelector::Label(3))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no segment number 3"), "{e}");
}

#[test]
fn fractional_seg_is_thresholded() {
    let s = setup();
    let shape = s.target.grid.shape_zyx;
    // GTV at 200/255; a one-voxel shell around it at 100/255; two probes at 128 and 127.
    let mut v = s.gtv.mapv(|b| if b == 1 { 200u8 } else { 0 });
    let mut shell = 0usize;
    for z in 0..shape[0] {
        for y in 1..shape[1] - 1 {
            for x in 1..shape[2] - 1 {
                if s.gtv[[z, y, x]] == 0
                    && (s.gtv[[z, y - 1, x]] == 1
                        || s.gtv[[z, y + 1, x]] == 1
                        || s.gtv[[z, y, x - 1]] == 1
                        || s.gtv[[z, y, x + 1]] == 1)
                {
                    v[[z, y, x]] = 100;
                    shell += 1;
                }
            }
        }
    }
    v[[0, 0, 0]] = 128;
    v[[0, 0, 1]] = 127;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("frac.dcm");
    let segs = vec![SegSegment {
        number: 1,
        label: "GTV".into(),
        values: v,
    }];
    write_seg(
        &p,
        &s.target.grid,
        &s.frame_of_reference,
        &s.series_uid,
        &segs,
        Some(255),
    );
    let m = read_mask_any(&p, &s.target, &RoiSelector::Auto).unwrap();
    assert_eq!(m.count(), 125256 + 1);
    assert!(m.data[[0, 0, 0]] && !m.data[[0, 0, 1]]);
    let loose = read_seg_mask(&p, &s.target, &RoiSelector::Auto, 0.3).unwrap();
    assert_eq!(loose.count(), 125256 + 1 + shell + 1);
    assert!(read_seg_mask(&p, &s.target, &RoiSelector::Auto, 0.0).is_err());
}

#[test]
fn seg_of_another_image_is_refused() {
    let s = setup();
    let dir = tempfile::tempdir().unwrap();
    let segs = vec![SegSegment {
        number: 1,
        label: "GTV".into(),
        values: s.gtv.clone(),
    }];
    // another frame of reference
    let p = dir.path().join("for.dcm");
    write_seg(&p, &s.target.grid, "2.25.1", &s.series_uid, &segs, None);
    let e = read_mask_any(&p, &s.target, &RoiSelector::Auto)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("frame of reference 2.25.1") && e.contains("for.dcm"),
        "{e}"
    );
    // without DICOM identity, geometry alone decides
    let m = read_mask_any(&p, &(&s.target.grid).into(), &RoiSelector::Auto).unwrap();
    assert_eq!(m.count(), 125256);
    // another series
    let p = dir.path().join("series.dcm");
    write_seg(
        &p,
        &s.target.grid,
        &s.frame_of_reference,
        "2.25.2",
        &segs,
        None,
    );
    let e = read_mask_any(&p, &s.target, &RoiSelector::Auto)
        .unwrap_err()
        .to_string();
    assert!(e.contains("refers to series 2.25.2"), "{e}");
    // frames half a voxel off the image grid
    let mut shifted = s.target.grid.clone();
    shifted.origin_xyz[0] += 0.5 * shifted.spacing_zyx[2];
    let p = dir.path().join("shifted.dcm");
    write_seg(
        &p,
        &shifted,
        &s.frame_of_reference,
        &s.series_uid,
        &segs,
        None,
    );
    let e = read_mask_any(&p, &s.target, &RoiSelector::Auto)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("not on a voxel centre") && e.contains("does not resample"),
        "{e}"
    );
    // a segment reaching outside a smaller target grid
    let mut small = s.target.clone();
    small.grid.shape_zyx = [30, 201, 204];
    let p = dir.path().join("ok.dcm");
    write_seg(
        &p,
        &s.target.grid,
        &s.frame_of_reference,
        &s.series_uid,
        &segs,
        None,
    );
    let e = read_mask_any(&p, &small, &RoiSelector::Auto)
        .unwrap_err()
        .to_string();
    assert!(e.contains("outside the image grid"), "{e}");
}
