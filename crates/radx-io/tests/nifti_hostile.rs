//! Hostile NIfTI inputs: each is an error naming the file and the problem, never a panic
//! or an unbounded allocation; arbitrary and mutated bytes never make the reader panic.

use std::path::Path;

use proptest::prelude::*;
use radx_io::{read_image, read_mask, IoError, MaskSelector};
use radx_testkit::hostile::{self, Hostile};

/// Reads the image, then the mask (with `--label` from the arguments); returns the error.
fn read_error(h: &Hostile) -> IoError {
    let label = h
        .args
        .iter()
        .position(|a| a == "--label")
        .map(|i| h.args[i + 1].parse::<i64>().unwrap());
    let sel = label.map_or(MaskSelector::NonZero, MaskSelector::Label);
    match read_image(&h.image) {
        Err(e) => e,
        Ok(_) => read_mask(&h.mask, sel).expect_err(h.name),
    }
}

fn assert_refused(gen: hostile::Generator) {
    let dir = tempfile::tempdir().unwrap();
    let h = gen(dir.path());
    let e = read_error(&h).to_string();
    assert!(
        e.contains(&h.names.display().to_string()) && e.contains(h.expect),
        "{}: {e}",
        h.name
    );
}

#[test]
fn vox_offset_1e30_is_an_error_not_a_panic() {
    assert_refused(hostile::nifti_vox_offset_huge);
}

#[test]
fn negative_nan_and_in_header_vox_offsets_are_errors() {
    assert_refused(hostile::nifti_vox_offset_negative);
    assert_refused(hostile::nifti_vox_offset_nan);
    assert_refused(hostile::nifti_vox_offset_in_header);
    assert_refused(hostile::nifti_vox_offset_past_end);
}

#[test]
fn negative_dimension_is_named() {
    assert_refused(hostile::nifti_negative_dim);
}

#[test]
fn dim0_of_9_is_named() {
    assert_refused(hostile::nifti_dim0_9);
}

#[test]
fn huge_dims_are_refused_before_any_allocation() {
    assert_refused(hostile::nifti_huge_dims_tiny_file);
    assert_refused(hostile::nifti_gz_huge_dims);
    assert_refused(hostile::nifti_over_voxel_limit);
}

#[test]
fn broken_gzip_and_headers() {
    for g in [
        hostile::nifti_gz_bad_crc,
        hostile::nifti_truncated_voxels,
        hostile::nifti_short_header,
        hostile::nifti_2,
        hostile::nifti_unknown_datatype,
        hostile::nifti_complex_datatype,
        hostile::nifti_4d,
        hostile::nifti_nan_spacing,
        hostile::nifti_singular_direction,
    ] {
        assert_refused(g);
    }
}

#[test]
fn gzip_data_past_the_declared_size_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let h = hostile::nifti_gz_trailing_bomb_sized(dir.path(), 1 << 20);
    let e = read_image(&h.image).unwrap_err().to_string();
    assert!(
        e.contains("bomb.nii.gz") && e.contains("trailing data"),
        "{e}"
    );
}

#[test]
fn a_non_integer_mask_is_an_error() {
    assert_refused(hostile::mask_non_integer);
    assert_refused(hostile::mask_nan);
}

#[test]
fn label_0_is_refused() {
    assert_refused(hostile::mask_label_zero);
}

#[test]
fn integer_label_maps_and_nonzero_masks_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mask) = hostile::good_pair(dir.path());
    assert_eq!(read_mask(&mask, MaskSelector::NonZero).unwrap().count(), 74);
    assert_eq!(
        read_mask(&mask, MaskSelector::Label(1)).unwrap().count(),
        74
    );
}

#[test]
fn the_voxel_limit_is_a_setting_of_the_process() {
    // Raised over the file's 2^29 voxels, the limit lets the file through to the memory
    // check; the default limit refuses it (see huge_dims_are_refused...).
    let dir = tempfile::tempdir().unwrap();
    let h = hostile::nifti_over_voxel_limit(dir.path());
    assert_eq!(
        radx_io::guard::max_voxels(),
        radx_io::guard::DEFAULT_MAX_VOXELS
    );
    let e = radx_io::guard::voxel_count(Path::new("x"), &[2048, 2048, 128])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("voxel limit of 134217728 (limits.max_image_voxels"),
        "{e}"
    );
    assert!(read_image(&h.image).is_err());
}

fn write_and_read(dir: &Path, name: &str, bytes: &[u8]) {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    // Any result but a panic; an error names the file.
    if let Err(e) = read_image(&p) {
        assert!(e.to_string().contains(name), "{e}");
    }
    if let Err(e) = read_mask(&p, MaskSelector::NonZero) {
        assert!(e.to_string().contains(name), "{e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
        let dir = tempfile::tempdir().unwrap();
        write_and_read(dir.path(), "any.nii", &bytes);
        // the same bytes behind a valid 348 header size
        let mut b = bytes.clone();
        if b.len() >= 4 {
            b[0..4].copy_from_slice(&348i32.to_le_bytes());
        }
        write_and_read(dir.path(), "any348.nii", &b);
    }

    #[test]
    fn mutated_phantom_never_panics(
        edits in proptest::collection::vec((0usize..700, any::<u8>()), 1..12),
        cut in proptest::option::of(0usize..700),
        gz in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut b = hostile::phantom_nifti_bytes();
        for (at, v) in edits {
            // mostly the header, where the sizes and offsets are
            let at = if at < 400 { at % 352 } else { at % b.len() };
            b[at] = v;
        }
        if let Some(c) = cut {
            b.truncate(c.min(b.len()));
        }
        if gz {
            write_and_read(dir.path(), "m.nii.gz", &hostile::gzip(&b));
        } else {
            write_and_read(dir.path(), "m.nii", &b);
        }
    }

    #[test]
    fn mutated_gzip_bytes_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut g = hostile::gzip(&hostile::phantom_nifti_bytes());
        for (at, v) in edits {
            let i = at.index(g.len());
            g[i] = v;
        }
        write_and_read(dir.path(), "g.nii.gz", &g);
    }
}
