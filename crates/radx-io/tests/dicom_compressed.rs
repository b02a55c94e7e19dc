//! Compressed transfer syntaxes: three slices of the shipped STS_002 CT series re-encoded by
//! dcmtk / GDCM (reference-data/cohorts/sts-mini/scripts/make-compressed-dicom.sh) read
//! against the same three slices uncompressed. Lossless syntaxes must give the same voxels;
//! lossy ones stay within the error their encoder settings allow.

mod common;

use std::path::PathBuf;

use common::*;
use radx_core::Image;
use radx_io::{read_image_any, ImageOptions};

const SLICES: [&str; 3] = ["000020", "000021", "000022"];

/// The three original (uncompressed) slices, copied to their own folder and read.
fn original() -> (tempfile::TempDir, Image) {
    let src = sts().join("dicom/STS_002/CT/image");
    let dir = tempfile::tempdir().unwrap();
    for s in SLICES {
        std::fs::copy(
            src.join(format!("{s}.dcm")),
            dir.path().join(format!("{s}.dcm")),
        )
        .unwrap();
    }
    let img = read_image_any(dir.path(), &ImageOptions::default())
        .unwrap()
        .image;
    (dir, img)
}

fn fixture(name: &str) -> PathBuf {
    sts().join(format!("dicom/STS_002/CT-compressed/{name}"))
}

/// Reads the fixture `name`, checks its transfer syntax and grid, and returns (largest
/// absolute difference, root mean square difference) to the original voxels.
fn compare(name: &str, ts: &str) -> (f64, f64) {
    let (_keep, orig) = original();
    let li = read_image_any(&fixture(name), &ImageOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let info = li.series.as_ref().expect("a DICOM series");
    assert_eq!(info.transfer_syntax, ts, "{name}");
    if let Some(why) = li.image.grid.mismatch(&orig.grid, 1e-6) {
        panic!("{name}: grid differs from the uncompressed slices: {why}");
    }
    let mut worst = 0.0f64;
    let mut ss = 0.0;
    for (a, b) in li.image.data.iter().zip(orig.data.iter()) {
        worst = worst.max((a - b).abs());
        ss += (a - b) * (a - b);
    }
    let rms = (ss / orig.data.len() as f64).sqrt();
    eprintln!("{name}: max |difference| {worst} HU, rms {rms:.3} HU");
    (worst, rms)
}

fn assert_lossless(name: &str, ts: &str) {
    let (worst, _) = compare(name, ts);
    assert_eq!(worst, 0.0, "{name}: lossless syntax changed voxels");
}

#[test]
fn rle_lossless_is_voxel_identical() {
    assert_lossless("rle", "1.2.840.10008.1.2.5");
}

#[test]
fn deflated_explicit_vr_is_voxel_identical() {
    assert_lossless("deflated", "1.2.840.10008.1.2.1.99");
}

#[test]
fn jpeg_lossless_sv1_is_voxel_identical() {
    assert_lossless("jpeg-lossless-sv1", "1.2.840.10008.1.2.4.70");
}

#[test]
fn jpeg_ls_lossless_is_voxel_identical() {
    assert_lossless("jpeg-ls-lossless", "1.2.840.10008.1.2.4.80");
}

#[test]
fn jpeg_2000_lossless_is_voxel_identical() {
    assert_lossless("j2k-lossless", "1.2.840.10008.1.2.4.90");
}

#[test]
fn jpeg_ls_near_lossless_stays_within_near() {
    // Encoded with NEAR = 2: no stored value moves by more than 2 (slope 1 here).
    let (worst, _) = compare("jpeg-ls-near-lossless", "1.2.840.10008.1.2.4.81");
    assert!(worst <= 2.0, "JPEG-LS NEAR=2 moved a voxel by {worst}");
    assert!(
        worst > 0.0,
        "near-lossless fixture is expected to differ somewhere"
    );
}

#[test]
fn jpeg_2000_lossy_within_its_error() {
    // GDCM's quality 80 asks for a PSNR of 80 dB over the 16-bit range:
    // rms error = 65535 / 10^(80/20) = 6.55 (the reader's error adds to it, so 10 % slack).
    let (worst, rms) = compare("j2k-lossy", "1.2.840.10008.1.2.4.91");
    assert!(worst > 0.0);
    let target = 65535.0 / 10f64.powf(80.0 / 20.0);
    assert!(
        rms <= 1.1 * target,
        "rms {rms} HU, PSNR target gives {target}"
    );
}

#[test]
fn jpeg_baseline_within_its_error() {
    // dcmtk maps the 16-bit range to 8 bits (RescaleSlope ~8 HU) before JPEG quality 90.
    // Bounds in 8-bit grey levels of that slope: rms under 3 levels, no voxel over 16.
    let (worst, rms) = compare("jpeg-baseline", "1.2.840.10008.1.2.4.50");
    let level = 8.027451;
    assert!(worst > 0.0);
    assert!(rms < 3.0 * level, "rms {rms}");
    assert!(worst < 16.0 * level, "max {worst}");
}

#[test]
fn jpeg_extended_within_its_error() {
    // 12-bit samples (slope 1), IJG quality 90: rms under 6 HU, no voxel over 32 HU.
    let (worst, rms) = compare("jpeg-extended", "1.2.840.10008.1.2.4.51");
    assert!(worst > 0.0);
    assert!(rms < 6.0, "rms {rms}");
    assert!(worst < 32.0, "max {worst}");
}

#[test]
fn unsupported_transfer_syntax_is_named() {
    // A JPEG XL slice (no decoder in radx): the error names the syntax and the file.
    let (dir, _) = original();
    let p = dir.path().join("000020.dcm");
    let jxl = "1.2.840.10008.1.2.4.110";
    retag_encapsulated(&p, jxl);
    let e = read_image_any(&p, &ImageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains(jxl), "{e}");
    assert!(e.contains("JPEG XL Lossless"), "{e}");
    assert!(e.contains("000020.dcm"), "{e}");
}

#[test]
fn corrupt_12_bit_jpeg_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("jpeg-extended");
    for s in SLICES {
        std::fs::copy(
            src.join(format!("{s}.dcm")),
            dir.path().join(format!("{s}.dcm")),
        )
        .unwrap();
    }
    // Cut the entropy-coded data of one slice short (the file stays well-formed DICOM).
    let p = dir.path().join("000021.dcm");
    truncate_fragments(&p);
    let e = read_image_any(dir.path(), &ImageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("000021.dcm"), "{e}");
    assert!(e.contains("JPEG"), "{e}");
}

/// Rewrites `p` with encapsulated pixel data (one small fragment) under transfer syntax `ts`.
fn retag_encapsulated(p: &std::path::Path, ts: &str) {
    use dicom_core::value::{PixelFragmentSequence, Value};
    use dicom_core::{DataElement, VR};
    use dicom_dictionary_std::tags;
    let mut obj = dicom_object::open_file(p).unwrap();
    let seq: PixelFragmentSequence<Vec<u8>> =
        PixelFragmentSequence::new(vec![], vec![vec![0xFF, 0x0A, 0, 0, 0, 0, 0, 0]]);
    obj.put(DataElement::new(tags::PIXEL_DATA, VR::OB, Value::from(seq)));
    obj.meta_mut().transfer_syntax = ts.into();
    obj.meta_mut().update_information_group_length();
    obj.write_to_file(p).unwrap();
}

/// Cuts the (first) pixel data fragment of `p` to a third of its length.
fn truncate_fragments(p: &std::path::Path) {
    use dicom_core::value::{PixelFragmentSequence, Value};
    use dicom_core::{DataElement, VR};
    use dicom_dictionary_std::tags;
    let mut obj = dicom_object::open_file(p).unwrap();
    let Value::PixelSequence(seq) = obj.element(tags::PIXEL_DATA).unwrap().value() else {
        panic!("encapsulated pixel data expected");
    };
    let mut f = seq.fragments()[0].clone();
    f.truncate((f.len() / 3) & !1);
    let seq: PixelFragmentSequence<Vec<u8>> = PixelFragmentSequence::new(vec![], vec![f]);
    obj.put(DataElement::new(tags::PIXEL_DATA, VR::OB, Value::from(seq)));
    obj.write_to_file(p).unwrap();
}

#[test]
fn the_codec_is_named_for_the_provenance() {
    let li = read_image_any(&fixture("j2k-lossless"), &ImageOptions::default()).unwrap();
    let d = li.series.unwrap().pixel_decoding().unwrap();
    assert!(d.starts_with("1.2.840.10008.1.2.4.90 JPEG 2000"), "{d}");
    assert!(d.contains("openjp2"), "{d}");
    let (_keep, _) = original();
    let li = read_image_any(_keep.path(), &ImageOptions::default()).unwrap();
    assert_eq!(li.series.unwrap().pixel_decoding(), None);
}

/// Slices are parsed and decoded in parallel: every fixture (and the multi-frame file, whose
/// frames come from one decoded file) gives bit-identical voxels and the same slice files in
/// the same order with 1, 2 and 3 threads.
#[test]
fn parallel_decoding_is_bit_identical_whatever_the_thread_count() {
    let (plain, _) = original();
    let mut inputs: Vec<PathBuf> = [
        "deflated",
        "rle",
        "jpeg-baseline",
        "jpeg-extended",
        "jpeg-lossless-sv1",
        "jpeg-ls-lossless",
        "jpeg-ls-near-lossless",
        "j2k-lossless",
        "j2k-lossy",
    ]
    .iter()
    .map(|s| fixture(s))
    .collect();
    inputs.push(plain.path().to_path_buf());
    inputs.push(sts().join("dicom/STS_002/CT-multiframe/legacy-enhanced.dcm"));
    inputs.push(sts().join("dicom/STS_002/PET/image"));
    for input in inputs {
        let read = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| read_image_any(&input, &ImageOptions::default()))
                .unwrap_or_else(|e| panic!("{}: {e}", input.display()))
        };
        let one = read(1);
        for threads in [2, 3] {
            let many = read(threads);
            assert_eq!(one.image.grid, many.image.grid, "{}", input.display());
            let same = one
                .image
                .data
                .iter()
                .zip(many.image.data.iter())
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(
                same,
                "{}: voxels differ between 1 and {threads} threads",
                input.display()
            );
            let files = |l: &radx_io::LoadedImage| l.series.as_ref().unwrap().files.clone();
            assert_eq!(files(&one), files(&many), "{}", input.display());
        }
    }
}
