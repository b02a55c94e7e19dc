//! Bad and unusual input: every error names the file (or folder) and the problem; no
//! panic. Inputs are built from the IBSI CT phantom in temporary folders.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use dicom_core::VR;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use radx_io::{read_image_any, read_mask_any, ImageOptions, IoError, RoiSelector};

/// Phantom slices sorted by their position along the slice normal (the image's z).
fn slices_in_z_order() -> Vec<PathBuf> {
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    li.series.unwrap().files
}

fn err_text(e: IoError) -> String {
    e.to_string()
}

/// Applies `f` to every item of the sequence `tag` of `obj`.
fn for_items(
    obj: &mut InMemDicomObject,
    tag: dicom_core::Tag,
    mut f: impl FnMut(&mut InMemDicomObject),
) {
    obj.update_value(tag, |v| {
        if let Some(items) = v.items_mut() {
            for it in items.iter_mut() {
                f(it);
            }
        }
    });
}

#[test]
fn two_series_in_one_folder() {
    let dir = tempfile::tempdir().unwrap();
    let originals = copy_dir(&ct_image_dir(), dir.path());
    let other_uid = "2.25.424242424242";
    for (i, f) in originals.iter().enumerate() {
        edit(f, &dir.path().join(format!("copy_{i:03}.dcm")), |o| {
            put_str(o, tags::SERIES_INSTANCE_UID, VR::UI, other_uid);
            put_str(o, tags::SOP_INSTANCE_UID, VR::UI, &format!("2.25.5151{i}"));
            put_str(o, tags::SERIES_DESCRIPTION, VR::LO, "copied series");
        });
    }
    let e = err_text(read_image_any(dir.path(), &ImageOptions::default()).unwrap_err());
    let orig_uid = "1.3.6.1.4.1.9590.100.1.2.296658988911737913102339329841519593982";
    assert!(e.contains("2 image series"), "{e}");
    assert!(
        e.contains(other_uid) && e.contains(orig_uid),
        "lists both: {e}"
    );
    assert!(e.contains(&dir.path().display().to_string()), "{e}");

    let list = radx_io::list_series(dir.path()).unwrap();
    assert_eq!(list.len(), 2);

    let plain = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    for uid in [orig_uid, other_uid] {
        let li = read_image_any(
            dir.path(),
            &ImageOptions {
                series_uid: Some(uid.into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(li.image, plain.image);
        assert_eq!(li.series.unwrap().series_uid, uid);
    }
    let e = err_text(
        read_image_any(
            dir.path(),
            &ImageOptions {
                series_uid: Some("1.2.3".into()),
                ..Default::default()
            },
        )
        .unwrap_err(),
    );
    assert!(
        e.contains("no series with SeriesInstanceUID 1.2.3") && e.contains(other_uid),
        "{e}"
    );

    // The RTSTRUCT refers to the original series: rasterising it onto the copy is refused.
    let copy = read_image_any(
        dir.path(),
        &ImageOptions {
            series_uid: Some(other_uid.into()),
            ..Default::default()
        },
    )
    .unwrap();
    let e = err_text(
        read_mask_any(&ct_rtstruct(), &copy.mask_target(), &RoiSelector::Auto).unwrap_err(),
    );
    assert!(
        e.contains("refers to series") && e.contains(other_uid),
        "{e}"
    );
}

#[test]
fn slice_missing_in_the_middle() {
    let dir = tempfile::tempdir().unwrap();
    let files = slices_in_z_order();
    for (k, f) in files.iter().enumerate() {
        if k != 30 {
            std::fs::write(
                dir.path().join(f.file_name().unwrap()),
                std::fs::read(f).unwrap(),
            )
            .unwrap();
        }
    }
    let e = err_text(read_image_any(dir.path(), &ImageOptions::default()).unwrap_err());
    assert!(
        e.contains("not evenly spaced") && e.contains("missing slice"),
        "{e}"
    );
    // the gap: 3 mm steps around a 6 mm one, positions listed
    assert!(e.contains("step 6.000"), "{e}");
    assert!(e.contains("all positions (mm): -100.400, -97.400"), "{e}");
    assert!(e.contains(&dir.path().display().to_string()), "{e}");
}

#[test]
fn uneven_spacing_and_duplicate_position() {
    let files = slices_in_z_order();
    // one slice moved by 0.5 mm along z
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&ct_image_dir(), dir.path());
    let moved = dir.path().join(files[20].file_name().unwrap());
    edit(&files[20], &moved, |o| {
        let p: Vec<f64> = o
            .element(tags::IMAGE_POSITION_PATIENT)
            .unwrap()
            .value()
            .to_multi_float64()
            .unwrap();
        o.put(dicom_core::DataElement::new(
            tags::IMAGE_POSITION_PATIENT,
            VR::DS,
            strs(&[p[0], p[1], p[2] + 0.5]),
        ));
    });
    let e = err_text(read_image_any(dir.path(), &ImageOptions::default()).unwrap_err());
    assert!(
        e.contains("not evenly spaced") && e.contains("step 3.500"),
        "{e}"
    );

    // the same slice twice (another SOP instance)
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&ct_image_dir(), dir.path());
    edit(&files[5], &dir.path().join("zz_duplicate.dcm"), |o| {
        put_str(o, tags::SOP_INSTANCE_UID, VR::UI, "2.25.777");
    });
    let e = err_text(read_image_any(dir.path(), &ImageOptions::default()).unwrap_err());
    assert!(
        e.contains("two slices at the same position") && e.contains("zz_duplicate.dcm"),
        "{e}"
    );
}

#[test]
fn slices_of_different_size_or_orientation() {
    let files = slices_in_z_order();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&ct_image_dir(), dir.path());
    let target = dir.path().join(files[3].file_name().unwrap());
    edit(&files[3], &target, |o| {
        o.put(dicom_core::DataElement::new(
            tags::IMAGE_ORIENTATION_PATIENT,
            VR::DS,
            strs(&[0.0, 1.0, 0.0, 1.0, 0.0, 0.0]),
        ));
    });
    let e = err_text(read_image_any(dir.path(), &ImageOptions::default()).unwrap_err());
    assert!(
        e.contains("ImageOrientationPatient") && e.contains("differs"),
        "{e}"
    );
    assert!(e.contains(&target.display().to_string()), "{e}");
}

#[test]
fn roi_name_absent_lists_the_names() {
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    let e = err_text(
        read_mask_any(
            &ct_rtstruct(),
            &li.mask_target(),
            &RoiSelector::Name("liver".into()),
        )
        .unwrap_err(),
    );
    assert!(
        e.contains("no ROI named \"liver\"") && e.contains("\"GTV-1\""),
        "{e}"
    );
    assert!(e.contains("DCM_RS_00060.dcm"), "{e}");
    let e = err_text(
        read_mask_any(&ct_rtstruct(), &li.mask_target(), &RoiSelector::Label(7)).unwrap_err(),
    );
    assert!(e.contains("no ROI number 7"), "{e}");
    // ROI number 1 is GTV-1
    let by_number =
        read_mask_any(&ct_rtstruct(), &li.mask_target(), &RoiSelector::Label(1)).unwrap();
    assert_eq!(by_number.count(), 125256);
    assert_eq!(
        radx_io::read_rtstruct(&ct_rtstruct()).unwrap().roi_names(),
        vec!["GTV-1".to_string()]
    );
}

#[test]
fn rtstruct_of_another_frame_of_reference() {
    let dir = tempfile::tempdir().unwrap();
    let rs = dir.path().join("rs.dcm");
    edit(&ct_rtstruct(), &rs, |o| {
        for_items(o, tags::REFERENCED_FRAME_OF_REFERENCE_SEQUENCE, |it| {
            put_str(it, tags::FRAME_OF_REFERENCE_UID, VR::UI, "2.25.31337");
        });
        for_items(o, tags::STRUCTURE_SET_ROI_SEQUENCE, |it| {
            put_str(
                it,
                tags::REFERENCED_FRAME_OF_REFERENCE_UID,
                VR::UI,
                "2.25.31337",
            );
        });
    });
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    let e = err_text(read_mask_any(&rs, &li.mask_target(), &RoiSelector::Auto).unwrap_err());
    assert!(
        e.contains("frame of reference 2.25.31337") && e.contains("another image"),
        "{e}"
    );
    assert!(e.contains("rs.dcm"), "{e}");
    // Without DICOM identity (an image from NIfTI) only the geometry is checked.
    let m = read_mask_any(&rs, &(&li.image.grid).into(), &RoiSelector::Auto).unwrap();
    assert_eq!(m.count(), 125256);
}

/// Rewrites every contour of the phantom RTSTRUCT with `f` applied to its z values.
fn shift_contours(to: &Path, which: usize, dz: f64) {
    edit(&ct_rtstruct(), to, |o| {
        for_items(o, tags::ROI_CONTOUR_SEQUENCE, |roi| {
            let mut n = 0;
            for_items(roi, tags::CONTOUR_SEQUENCE, |c| {
                if n == which {
                    let mut v: Vec<f64> = c
                        .element(tags::CONTOUR_DATA)
                        .unwrap()
                        .value()
                        .to_multi_float64()
                        .unwrap();
                    for p in v.chunks_exact_mut(3) {
                        p[2] += dz;
                    }
                    c.put(dicom_core::DataElement::new(
                        tags::CONTOUR_DATA,
                        VR::DS,
                        strs(&v),
                    ));
                }
                n += 1;
            });
        });
    });
}

#[test]
fn contour_off_the_image_slices() {
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // outside the volume
    let rs = dir.path().join("far.dcm");
    shift_contours(&rs, 3, 500.0);
    let e = err_text(read_mask_any(&rs, &li.mask_target(), &RoiSelector::Auto).unwrap_err());
    assert!(
        e.contains("ROI \"GTV-1\": contour 4 at z = ")
            && e.contains("more than half the slice spacing"),
        "{e}"
    );
    // exactly half-way between two slices
    let rs = dir.path().join("half.dcm");
    shift_contours(&rs, 0, 1.5);
    let e = err_text(read_mask_any(&rs, &li.mask_target(), &RoiSelector::Auto).unwrap_err());
    assert!(e.contains("contour 1 at z = 27.100 mm"), "{e}");
    // a little off (0.4 mm of 3 mm) still goes to its slice
    let rs = dir.path().join("near.dcm");
    shift_contours(&rs, 0, 0.4);
    let m = read_mask_any(&rs, &li.mask_target(), &RoiSelector::Auto).unwrap();
    assert_eq!(m.count(), 125256);
}

#[test]
fn truncated_files() {
    let files = slices_in_z_order();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&ct_image_dir(), dir.path());
    let victim = dir.path().join(files[10].file_name().unwrap());
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 2]).unwrap();
    let e = read_image_any(dir.path(), &ImageOptions::default()).unwrap_err();
    assert!(matches!(e, IoError::Truncated { .. }), "{e:?}");
    assert!(e.to_string().contains(&victim.display().to_string()), "{e}");

    let rs = dir.path().join("rs.dcm");
    let bytes = std::fs::read(ct_rtstruct()).unwrap();
    std::fs::write(&rs, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    let e = read_mask_any(&rs, &li.mask_target(), &RoiSelector::Auto).unwrap_err();
    assert!(matches!(e, IoError::Truncated { .. }), "{e:?}");
    assert!(e.to_string().contains("rs.dcm"), "{e}");

    // cut inside the file meta header
    let rs2 = dir.path().join("rs2.dcm");
    std::fs::write(&rs2, &bytes[..200]).unwrap();
    let e = read_mask_any(&rs2, &li.mask_target(), &RoiSelector::Auto).unwrap_err();
    assert!(e.to_string().contains("rs2.dcm"), "{e}");
}

#[test]
fn wrong_kind_of_input() {
    let dir = tempfile::tempdir().unwrap();
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    // empty folder
    let e = err_text(read_image_any(dir.path(), &ImageOptions::default()).unwrap_err());
    assert!(e.contains("no DICOM file"), "{e}");
    // a text file
    let t = dir.path().join("notes.txt");
    std::fs::write(&t, "hello, not an image").unwrap();
    let e = err_text(read_image_any(&t, &ImageOptions::default()).unwrap_err());
    assert!(
        e.contains("unrecognised format") && e.contains("notes.txt"),
        "{e}"
    );
    // an empty file
    let z = dir.path().join("empty.nii");
    std::fs::write(&z, "").unwrap();
    let e = err_text(read_image_any(&z, &ImageOptions::default()).unwrap_err());
    assert!(e.contains("empty") && e.contains("empty.nii"), "{e}");
    // a missing path
    let e = read_image_any(&dir.path().join("nope"), &ImageOptions::default()).unwrap_err();
    assert!(matches!(e, IoError::NotFound { .. }), "{e:?}");
    // an RTSTRUCT is not an image; an image folder or slice is not a mask
    let e = err_text(read_image_any(&ct_rtstruct(), &ImageOptions::default()).unwrap_err());
    assert!(e.contains("not an image"), "{e}");
    let e = err_text(
        read_mask_any(&ct_image_dir(), &li.mask_target(), &RoiSelector::Auto).unwrap_err(),
    );
    assert!(e.contains("no RTSTRUCT or SEG"), "{e}");
    let one = li.series.as_ref().unwrap().files[0].clone();
    let e = err_text(read_mask_any(&one, &li.mask_target(), &RoiSelector::Auto).unwrap_err());
    assert!(e.contains("not a mask"), "{e}");
    // SUV and series UID make no sense for NIfTI
    let nii = ibsi_ct().join("nifti/image/phantom.nii.gz");
    let e = err_text(
        read_image_any(
            &nii,
            &ImageOptions {
                suv: true,
                ..Default::default()
            },
        )
        .unwrap_err(),
    );
    assert!(e.contains("only applies to DICOM"), "{e}");
    // a NIfTI mask on a grid it does not fit
    let mut g = li.image.grid.clone();
    g.origin_xyz[0] += 5.0;
    let e = err_text(
        read_mask_any(
            &ibsi_ct().join("nifti/mask/mask.nii.gz"),
            &(&g).into(),
            &RoiSelector::Auto,
        )
        .unwrap_err(),
    );
    assert!(
        e.contains("mask grid differs") && e.contains("origin"),
        "{e}"
    );
    // label-map masks have no names
    let e = err_text(
        read_mask_any(
            &ibsi_ct().join("nifti/mask/mask.nii.gz"),
            &li.mask_target(),
            &RoiSelector::Name("GTV-1".into()),
        )
        .unwrap_err(),
    );
    assert!(e.contains("no ROI names"), "{e}");
}

#[test]
#[allow(clippy::needless_range_loop)]
fn oblique_series_and_contours_move_together() {
    // Rotate the whole phantom (slices and contours) rigidly about a tilted axis: the
    // voxels and the rasterised mask must not change, and the grid follows the rotation.
    let (ax, ang) = ([0.3f64, -0.5, 0.81], 0.4f64);
    let n = (ax[0] * ax[0] + ax[1] * ax[1] + ax[2] * ax[2]).sqrt();
    let (x, y, z) = (ax[0] / n, ax[1] / n, ax[2] / n);
    let (c, s) = (ang.cos(), ang.sin());
    let t = 1.0 - c;
    let r = [
        [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
        [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
        [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
    ];
    let rot = |p: &[f64]| -> [f64; 3] {
        [
            r[0][0] * p[0] + r[0][1] * p[1] + r[0][2] * p[2],
            r[1][0] * p[0] + r[1][1] * p[1] + r[1][2] * p[2],
            r[2][0] * p[0] + r[2][1] * p[1] + r[2][2] * p[2],
        ]
    };
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(ct_image_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
    {
        edit(&f, &dir.path().join(f.file_name().unwrap()), |o| {
            let get = |o: &InMemDicomObject, t| -> Vec<f64> {
                o.element(t).unwrap().value().to_multi_float64().unwrap()
            };
            let iop = get(o, tags::IMAGE_ORIENTATION_PATIENT);
            let ipp = get(o, tags::IMAGE_POSITION_PATIENT);
            let (rr, cc, pp) = (rot(&iop[0..3]), rot(&iop[3..6]), rot(&ipp));
            o.put(dicom_core::DataElement::new(
                tags::IMAGE_ORIENTATION_PATIENT,
                VR::DS,
                strs(&[rr[0], rr[1], rr[2], cc[0], cc[1], cc[2]]),
            ));
            o.put(dicom_core::DataElement::new(
                tags::IMAGE_POSITION_PATIENT,
                VR::DS,
                strs(&pp),
            ));
        });
    }
    let rs = dir.path().join("rs.dcm");
    edit(&ct_rtstruct(), &rs, |o| {
        for_items(o, tags::ROI_CONTOUR_SEQUENCE, |roi| {
            for_items(roi, tags::CONTOUR_SEQUENCE, |c| {
                let v: Vec<f64> = c
                    .element(tags::CONTOUR_DATA)
                    .unwrap()
                    .value()
                    .to_multi_float64()
                    .unwrap();
                let out: Vec<f64> = v.chunks_exact(3).flat_map(&rot).collect();
                c.put(dicom_core::DataElement::new(
                    tags::CONTOUR_DATA,
                    VR::DS,
                    strs(&out),
                ));
            });
        });
    });
    // The image folder now also holds the RTSTRUCT: it is not taken for a slice.
    let li = read_image_any(dir.path(), &ImageOptions::default()).unwrap();
    let plain = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    assert_eq!(li.image.data, plain.image.data);
    // direction = RAS(R · LPS direction of the original)
    for col in 0..3 {
        let orig_lps = [
            -plain.image.grid.direction[0][col],
            -plain.image.grid.direction[1][col],
            plain.image.grid.direction[2][col],
        ];
        let rotated = rot(&orig_lps);
        let ras = [-rotated[0], -rotated[1], rotated[2]];
        for row in 0..3 {
            assert!((li.image.grid.direction[row][col] - ras[row]).abs() < 1e-9);
        }
    }
    assert!((li.image.grid.spacing_zyx[0] - 3.0).abs() < 1e-6);
    let m = read_mask_any(&rs, &li.mask_target(), &RoiSelector::Auto).unwrap();
    let m0 = read_mask_any(&ct_rtstruct(), &plain.mask_target(), &RoiSelector::Auto).unwrap();
    let differ = m
        .data
        .iter()
        .zip(m0.data.iter())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(
        differ,
        0,
        "rotated mask: {} vs {} voxels",
        m.count(),
        m0.count()
    );
}

/// Small deterministic generator for the corruption test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn corrupted_files_give_errors_not_panics() {
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    let target = li.mask_target();
    let slice = std::fs::read(&li.series.as_ref().unwrap().files[0]).unwrap();
    let rs = std::fs::read(ct_rtstruct()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let img_dir = dir.path().join("img");
    std::fs::create_dir(&img_dir).unwrap();
    let img_file = img_dir.join("slice.dcm");
    let rs_file = dir.path().join("rs.dcm");
    let mut rng = Lcg(0x5eed);
    let mut errors = 0;
    for case in 0..400 {
        let (src, out) = if case % 2 == 0 {
            (&slice, &img_file)
        } else {
            (&rs, &rs_file)
        };
        let mut b = src.clone();
        match rng.below(3) {
            // truncation
            0 => b.truncate(rng.below(b.len())),
            // bit flips in the first 4 KiB (meta group and attribute headers)
            1 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(4096.min(b.len()));
                    b[i] ^= 1 << rng.below(8);
                }
            }
            // a run of 0xFF anywhere: often a huge length field
            _ => {
                let i = rng.below(b.len() - 4);
                b[i..i + 4].copy_from_slice(&[0xff; 4]);
            }
        }
        std::fs::write(out, &b).unwrap();
        let r = if case % 2 == 0 {
            read_image_any(&img_dir, &ImageOptions::default()).map(|_| ())
        } else {
            read_mask_any(&rs_file, &target, &RoiSelector::Auto).map(|_| ())
        };
        if let Err(e) = r {
            errors += 1;
            let text = e.to_string();
            assert!(
                text.contains("slice.dcm") || text.contains("rs.dcm") || text.contains("img"),
                "case {case}: error does not name the file: {text}"
            );
        }
    }
    assert!(
        errors > 100,
        "only {errors} of 400 corrupted inputs were rejected"
    );
}

#[test]
fn a_contour_inside_another_cuts_a_hole() {
    // Add a 3 x 3 voxel square inside the GTV on one slice: even-odd over the slice's
    // contours removes exactly those 9 voxels.
    let li = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    let target = li.mask_target();
    let m0 = read_mask_any(&ct_rtstruct(), &target, &RoiSelector::Auto).unwrap();
    let g = &li.image.grid;
    // a voxel whose 3 x 3 in-plane neighbourhood is inside, on the slice of contour 1
    let rs = radx_io::read_rtstruct(&ct_rtstruct()).unwrap();
    let z_world = rs.rois[0].contours[0].points_lps[0][2];
    let k = (0..g.shape_zyx[0])
        .min_by(|&a, &b| {
            let za = g.world_of_index([a as f64, 0.0, 0.0])[2];
            let zb = g.world_of_index([b as f64, 0.0, 0.0])[2];
            (za - z_world).abs().total_cmp(&(zb - z_world).abs())
        })
        .unwrap();
    let (mut cj, mut ci) = (0, 0);
    'find: for j in 1..g.shape_zyx[1] - 1 {
        for i in 1..g.shape_zyx[2] - 1 {
            if (0..3).all(|dj| (0..3).all(|di| m0.data[[k, j + dj - 1, i + di - 1]])) {
                (cj, ci) = (j, i);
                break 'find;
            }
        }
    }
    assert!(cj > 0, "no fully inside 3 x 3 block on slice {k}");
    let corner = |dj: f64, di: f64| {
        let w = g.world_of_index([k as f64, cj as f64 + dj, ci as f64 + di]);
        vec![-w[0], -w[1], z_world] // RAS -> LPS, on the contour's plane
    };
    let square: Vec<f64> = [(-1.5, -1.5), (-1.5, 1.5), (1.5, 1.5), (1.5, -1.5)]
        .iter()
        .flat_map(|&(dj, di)| corner(dj, di))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hole.dcm");
    edit(&ct_rtstruct(), &out, |o| {
        for_items(o, tags::ROI_CONTOUR_SEQUENCE, |roi| {
            roi.update_value(tags::CONTOUR_SEQUENCE, |v| {
                if let Some(items) = v.items_mut() {
                    let mut it = items[0].clone();
                    it.put(dicom_core::DataElement::new(
                        tags::CONTOUR_DATA,
                        VR::DS,
                        strs(&square),
                    ));
                    put_str(&mut it, tags::NUMBER_OF_CONTOUR_POINTS, VR::IS, "4");
                    items.push(it);
                }
            });
        });
    });
    let m = read_mask_any(&out, &target, &RoiSelector::Auto).unwrap();
    assert_eq!(m.count(), m0.count() - 9);
    assert!(!m.data[[k, cj, ci]] && m0.data[[k, cj, ci]]);
}
