//! Hostile NRRD and DICOM inputs (and every hostile input of radx-testkit through the
//! format-detecting entry points): each is an error naming the file and the problem,
//! never a panic or an unbounded allocation. Property tests feed arbitrary and mutated
//! bytes of valid small files to the NRRD, DICOM series, RTSTRUCT and SEG readers.

mod common;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use radx_io::{
    read_image_any, read_mask_any, read_nrrd, read_rtstruct, read_seg_mask, write_nrrd_image,
    ImageOptions, IoError, MaskTarget, NrrdEncoding, RoiSelector,
};
use radx_testkit::dicom;
use radx_testkit::hostile::{self, Hostile};

/// Reads the image, then the mask onto it; the error.
fn read_error(h: &Hostile) -> IoError {
    let sel = match h.args.iter().position(|a| a == "--label") {
        Some(i) => RoiSelector::Label(h.args[i + 1].parse().unwrap()),
        None => RoiSelector::Auto,
    };
    match read_image_any(&h.image, &ImageOptions::default()) {
        Err(e) => e,
        Ok(img) => read_mask_any(&h.mask, &img.mask_target(), &sel).expect_err(h.name),
    }
}

fn assert_refused(gen: hostile::Generator) {
    let dir = tempfile::tempdir().unwrap();
    let h = gen(dir.path());
    let t = std::time::Instant::now();
    let e = read_error(&h).to_string();
    assert!(
        e.contains(&h.names.display().to_string()) && e.contains(h.expect),
        "{}: {e}",
        h.name
    );
    assert!(
        t.elapsed().as_secs_f64() < 5.0,
        "{}: {:?}",
        h.name,
        t.elapsed()
    );
}

#[test]
fn every_hostile_input_is_refused_with_its_file_and_problem() {
    for (name, gen) in hostile::all() {
        if name == "nifti_gz_trailing_bomb" {
            continue; // radx-io's gzip_bomb test, alone for its memory figure
        }
        assert_refused(gen);
    }
}

#[test]
fn nrrd_data_file_dev_zero_etc_passwd_and_escapes_are_refused() {
    assert_refused(hostile::nrrd_data_file_dev_zero);
    assert_refused(hostile::nrrd_data_file_etc_passwd);
    assert_refused(hostile::nrrd_data_file_dotdot);
    assert_refused(hostile::nrrd_data_file_is_folder);
    #[cfg(unix)]
    assert_refused(hostile::nrrd_data_file_symlink_escape);
}

#[test]
fn nrrd_detached_data_must_have_the_declared_size() {
    assert_refused(hostile::nrrd_detached_longer);
    assert_refused(hostile::nrrd_detached_shorter);
}

#[test]
fn nrrd_gzip_is_inflated_only_to_the_declared_size() {
    assert_refused(hostile::nrrd_gzip_trailing);
    assert_refused(hostile::nrrd_gzip_huge_sizes);
}

#[test]
fn nrrd_sizes_are_checked() {
    assert_refused(hostile::nrrd_sizes_overflow);
    assert_refused(hostile::nrrd_over_voxel_limit);
    assert_refused(hostile::nrrd_header_without_end);
    assert_refused(hostile::nrrd_ascii_too_many);
    assert_refused(hostile::nrrd_negative_byte_skip);
}

#[test]
fn nrrd_detached_data_in_a_subfolder_and_through_an_inner_link_read() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = radx_core::phantom::ibsi_digital_phantom();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/v.raw"), hostile::phantom_doubles()).unwrap();
    let h = dir.path().join("a.nhdr");
    std::fs::write(
        &h,
        "NRRD0004\ntype: double\ndimension: 3\nsizes: 5 4 4\nspacings: 2 2 2\nendian: little\n\
         encoding: raw\ndata file: data/v.raw\n",
    )
    .unwrap();
    assert_eq!(read_nrrd(&h).unwrap().1, image.data);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("data/v.raw", dir.path().join("link.raw")).unwrap();
        let h2 = dir.path().join("b.nhdr");
        let text = std::fs::read_to_string(&h).unwrap();
        std::fs::write(&h2, text.replace("data/v.raw", "link.raw")).unwrap();
        assert_eq!(read_nrrd(&h2).unwrap().1, image.data);
    }
}

#[test]
fn dicom_slice_without_pixel_data_is_named() {
    assert_refused(hostile::dicom_slice_without_pixel_data);
}

#[test]
fn dicom_lengths_nesting_and_deflate_are_bounded() {
    assert_refused(hostile::dicom_huge_element_length);
    assert_refused(hostile::dicom_deep_nesting);
    assert_refused(hostile::dicom_item_outside_sequence);
    assert_refused(hostile::dicom_deflate_bomb);
    assert_refused(hostile::dicom_truncated_slice);
}

#[test]
fn the_test_dicom_writer_makes_a_series_and_rtstruct_radx_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = radx_core::phantom::ibsi_digital_phantom();
    let series = dir.path().join("series");
    dicom::ct_series(&series, &image);
    let img = read_image_any(&series, &ImageOptions::default()).unwrap();
    assert_eq!(img.image.data, image.data);
    assert_eq!(img.image.grid.shape_zyx, image.grid.shape_zyx);
    assert!(img.image.grid.mismatch(&image.grid, 1e-6).is_none());
    let rs = dir.path().join("rs.dcm");
    std::fs::write(&rs, dicom::rtstruct(&mask, "GTV")).unwrap();
    let m = read_mask_any(&rs, &img.mask_target(), &RoiSelector::Auto).unwrap();
    // bounding boxes of the phantom's ROI per slice: every voxel but the corners cut out
    assert!(m.count() >= mask.count(), "{}", m.count());
    // a deflated copy of one slice reads the same
    let z = 2;
    let elems = dicom::ct_slice_elems(&image, z);
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &dicom::encode(&elems)).unwrap();
    let bytes = dicom::part10(
        dicom::CT_IMAGE,
        "2.25.47142",
        "1.2.840.10008.1.2.1.99",
        &enc.finish().unwrap(),
    );
    std::fs::write(series.join(format!("slice_{z:03}.dcm")), bytes).unwrap();
    let again = read_image_any(&series, &ImageOptions::default()).unwrap();
    assert_eq!(again.image.data, image.data);
}

// ----- property tests: any result but a panic; an error names the file -----

/// Reads an image: any result but a panic; an error names the file, or for a DICOM
/// slice the file or its series folder.
fn no_panic_image(p: &Path) {
    if let Err(e) = read_image_any(p, &ImageOptions::default()) {
        let e = e.to_string();
        let folder = p.parent().unwrap().display().to_string();
        assert!(
            e.contains(&p.display().to_string()) || e.starts_with(&format!("{folder}:")),
            "{e}"
        );
    }
}

fn mutate(b: &mut Vec<u8>, edits: &[(prop::sample::Index, u8)], cut: Option<prop::sample::Index>) {
    for (at, v) in edits {
        let i = at.index(b.len());
        b[i] = *v;
    }
    if let Some(c) = cut {
        let n = c.index(b.len() + 1);
        b.truncate(n);
    }
}

fn phantom_nrrd(encoding: NrrdEncoding) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = radx_core::phantom::ibsi_digital_phantom();
    let p = dir.path().join("p.nrrd");
    write_nrrd_image(&p, &image, encoding).unwrap();
    std::fs::read(p).unwrap()
}

fn one_slice_series(dir: &Path, bytes: &[u8]) -> PathBuf {
    let (image, _) = radx_core::phantom::ibsi_digital_phantom();
    let series = dir.join("s");
    dicom::ct_series(&series, &image);
    let p = series.join("slice_001.dcm");
    std::fs::write(&p, bytes).unwrap();
    p
}

fn edits() -> impl Strategy<Value = Vec<(prop::sample::Index, u8)>> {
    proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..10)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn nrrd_arbitrary_bytes_after_the_magic_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut b = b"NRRD0004\n".to_vec();
        b.extend_from_slice(&tail);
        let p = dir.path().join("a.nrrd");
        std::fs::write(&p, &b).unwrap();
        no_panic_image(&p);
    }

    #[test]
    fn nrrd_mutated_phantom_never_panics(
        e in edits(),
        cut in proptest::option::of(any::<prop::sample::Index>()),
        gz in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut b = phantom_nrrd(if gz { NrrdEncoding::Gzip } else { NrrdEncoding::Raw });
        mutate(&mut b, &e, cut);
        let p = dir.path().join("m.nrrd");
        std::fs::write(&p, &b).unwrap();
        no_panic_image(&p);
    }

    #[test]
    fn nrrd_mutated_header_text_never_panics(
        line in 0usize..12,
        value in "[-0-9a-z .,()e+]{0,40}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        let b = phantom_nrrd(NrrdEncoding::Raw);
        let end = b.windows(2).position(|w| w == b"\n\n").unwrap();
        let header = String::from_utf8(b[..end].to_vec()).unwrap();
        let mut lines: Vec<String> = header.lines().map(String::from).collect();
        let i = 1 + line % (lines.len() - 1);
        let key = lines[i].split(": ").next().unwrap().to_string();
        lines[i] = format!("{key}: {value}");
        let mut out = lines.join("\n").into_bytes();
        out.extend_from_slice(&b[end..]);
        let p = dir.path().join("h.nrrd");
        std::fs::write(&p, &out).unwrap();
        no_panic_image(&p);
    }

    #[test]
    fn dicom_arbitrary_data_set_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..800),
        implicit in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let ts = if implicit { "1.2.840.10008.1.2" } else { dicom::EXPLICIT_LE };
        let b = dicom::part10(dicom::CT_IMAGE, "2.25.1", ts, &body);
        let p = one_slice_series(dir.path(), &b);
        no_panic_image(&p);
    }

    #[test]
    fn dicom_mutated_slice_never_panics(
        e in edits(),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (image, _) = radx_core::phantom::ibsi_digital_phantom();
        let mut b = dicom::ct_slice_file(&dicom::ct_slice_elems(&image, 1), 1);
        mutate(&mut b, &e, cut);
        let p = one_slice_series(dir.path(), &b);
        no_panic_image(&p);
        no_panic_image(p.parent().unwrap());
    }

    #[test]
    fn rtstruct_mutated_never_panics(
        e in edits(),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (image, mask) = radx_core::phantom::ibsi_digital_phantom();
        let mut b = dicom::rtstruct(&mask, "GTV");
        mutate(&mut b, &e, cut);
        let p = dir.path().join("rs.dcm");
        std::fs::write(&p, &b).unwrap();
        let _ = read_rtstruct(&p);
        let target = MaskTarget::from(&image.grid);
        if let Err(err) = read_mask_any(&p, &target, &RoiSelector::Auto) {
            assert!(err.to_string().contains("rs.dcm"), "{err}");
        }
    }

    #[test]
    fn seg_mutated_never_panics(
        e in edits(),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (image, mask) = radx_core::phantom::ibsi_digital_phantom();
        let good = dir.path().join("good.dcm");
        common::write_seg(
            &good,
            &image.grid,
            dicom::FRAME_UID,
            dicom::SERIES_UID,
            &[common::SegSegment { number: 1, label: "GTV".into(), values: common::mask_u8(&mask) }],
            None,
        );
        let mut b = std::fs::read(&good).unwrap();
        mutate(&mut b, &e, cut);
        let p = dir.path().join("seg.dcm");
        std::fs::write(&p, &b).unwrap();
        let target = MaskTarget::from(&image.grid);
        if let Err(err) = read_seg_mask(&p, &target, &RoiSelector::Auto, 0.5) {
            assert!(err.to_string().contains("seg.dcm"), "{err}");
        }
    }
}
