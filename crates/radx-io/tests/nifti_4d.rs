//! 4D NIfTI: one volume chosen (0-based) from a 4D image written by radx's own writer, plain
//! and gzipped; a 4D image without a choice and an index past the last volume are errors
//! naming the file and the number of volumes; masks: a 3D label map applies to any volume,
//! a 4D one gives its volume of the same index.

use ndarray::Array3;
use radx_core::{Grid, Image};
use radx_io::{
    read_image, read_image_any, read_image_volume, read_mask_any, write_nifti_volumes,
    ImageOptions, RoiSelector,
};

fn grid() -> Grid {
    Grid {
        shape_zyx: [3, 4, 5],
        spacing_zyx: [2.0, 1.0, 0.5],
        origin_xyz: [-3.0, 4.0, 10.0],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    }
}

/// Volume t: a value that names the volume and the voxel.
fn volume(t: usize) -> Image {
    let data = Array3::from_shape_fn((3, 4, 5), |(z, y, x)| {
        (t * 1000 + z * 100 + y * 10 + x) as f64
    });
    Image::new(grid(), data).unwrap()
}

fn volumes(n: usize) -> Vec<Image> {
    (0..n).map(volume).collect()
}

#[test]
fn each_volume_of_a_4d_image_reads_back_plain_and_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["four.nii", "four.nii.gz"] {
        let p = dir.path().join(name);
        write_nifti_volumes(&volumes(3), &p).unwrap();
        for t in 0..3 {
            let (img, of) = read_image_volume(&p, Some(t)).unwrap();
            assert_eq!(of, 3, "{name}");
            assert_eq!(img.grid, grid(), "{name} volume {t}");
            assert_eq!(img.data, volume(t).data, "{name} volume {t}");
        }
    }
}

#[test]
fn a_4d_image_without_a_volume_names_the_file_and_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dyn.nii.gz");
    write_nifti_volumes(&volumes(4), &p).unwrap();
    for e in [
        read_image(&p).unwrap_err().to_string(),
        read_image_any(&p, &ImageOptions::default())
            .unwrap_err()
            .to_string(),
    ] {
        assert!(e.contains("dyn.nii.gz"), "{e}");
        assert!(e.contains("4 volumes"), "{e}");
        assert!(e.contains("0 to 3"), "{e}");
    }
}

#[test]
fn a_volume_past_the_last_is_an_error_naming_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dyn.nii");
    write_nifti_volumes(&volumes(2), &p).unwrap();
    let e = read_image_volume(&p, Some(2)).unwrap_err().to_string();
    assert!(
        e.contains("dyn.nii") && e.contains("volume 2 does not exist") && e.contains("2 volumes"),
        "{e}"
    );
    // a 3D image has one volume: 0 is accepted, 1 is not
    let p3 = dir.path().join("three.nii");
    radx_io::write_nifti_image(&volume(0), &p3).unwrap();
    assert_eq!(read_image_volume(&p3, Some(0)).unwrap().1, 1);
    let e = read_image_volume(&p3, Some(1)).unwrap_err().to_string();
    assert!(e.contains("1 volume ") || e.contains("1 volume;"), "{e}");
}

#[test]
fn a_truncated_4d_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.nii");
    write_nifti_volumes(&volumes(3), &p).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    // the first volume is all there; the last is cut
    std::fs::write(&p, &bytes[..bytes.len() - 8]).unwrap();
    let e = read_image_volume(&p, Some(0)).unwrap_err().to_string();
    assert!(e.contains("cut.nii") && e.contains("x 3 voxels"), "{e}");
}

#[test]
fn volume_choice_reaches_image_and_masks() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.nii.gz");
    write_nifti_volumes(&volumes(3), &img).unwrap();
    let opts = ImageOptions {
        volume: Some(2),
        ..Default::default()
    };
    let loaded = read_image_any(&img, &opts).unwrap();
    assert_eq!(loaded.image.data, volume(2).data);
    assert_eq!(
        loaded.volume,
        Some(radx_io::VolumeChoice { index: 2, of: 3 })
    );
    let target = loaded.mask_target();
    // a 3D mask applies to any volume
    let roi3 = Array3::from_shape_fn((3, 4, 5), |(z, _, _)| (z == 1) as u8 as f64);
    let m3 = dir.path().join("m3.nii.gz");
    radx_io::write_nifti_image(&Image::new(grid(), roi3.clone()).unwrap(), &m3).unwrap();
    let m = read_mask_any(&m3, &target, &RoiSelector::Auto).unwrap();
    assert_eq!(m.data.iter().filter(|&&b| b).count(), 20);
    // a 4D mask gives its volume of the same index: here a different ROI per volume
    let per_volume: Vec<Image> = (0..3)
        .map(|t| {
            let d = Array3::from_shape_fn((3, 4, 5), |(z, y, x)| {
                (z == t && y < 2 && x < 2) as u8 as f64
            });
            Image::new(grid(), d).unwrap()
        })
        .collect();
    let m4 = dir.path().join("m4.nii");
    write_nifti_volumes(&per_volume, &m4).unwrap();
    let m = read_mask_any(&m4, &target, &RoiSelector::Auto).unwrap();
    let expected = per_volume[2].data.mapv(|v| v != 0.0);
    assert_eq!(m.data, expected);
    // a 4D mask with a 3D image (no volume chosen) is an error naming its volumes
    let plain = radx_io::LoadedImage {
        volume: None,
        ..loaded.clone()
    };
    let e = read_mask_any(&m4, &plain.mask_target(), &RoiSelector::Auto)
        .unwrap_err()
        .to_string();
    assert!(e.contains("m4.nii") && e.contains("3 volumes"), "{e}");
    // a volume choice on another format is an error
    let nrrd = dir.path().join("v.nrrd");
    radx_io::write_nrrd_image(&nrrd, &volume(0), radx_io::NrrdEncoding::Raw).unwrap();
    let e = read_image_any(&nrrd, &opts).unwrap_err().to_string();
    assert!(e.contains("4D NIfTI") && e.contains("v.nrrd"), "{e}");
}
