//! NIfTI reading: data types, axis order, geometry, errors.

use ndarray::Array3;
use nifti::writer::WriterOptions;
use nifti::NiftiHeader;
use radx_io::{read_image, read_mask, IoError, MaskSelector};

fn xyz<T: Clone>(zyx: &Array3<T>) -> Array3<T> {
    zyx.clone()
        .permuted_axes([2, 1, 0])
        .as_standard_layout()
        .to_owned()
}

#[test]
fn every_common_data_type_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let zyx = Array3::from_shape_fn((2, 3, 4), |(z, y, x)| (z * 12 + y * 4 + x) as f64);
    macro_rules! roundtrip {
        ($t:ty, $name:expr) => {{
            let p = dir.path().join($name);
            let a = xyz(&zyx).mapv(|v| v as $t);
            WriterOptions::new(&p).write_nifti(&a).unwrap();
            let img = read_image(&p).unwrap();
            assert_eq!(img.grid.shape_zyx, [2, 3, 4], "{}", $name);
            assert_eq!(img.data, zyx, "{}", $name);
        }};
    }
    roundtrip!(u8, "u8.nii");
    roundtrip!(i8, "i8.nii.gz");
    roundtrip!(u16, "u16.nii");
    roundtrip!(i16, "i16.nii.gz");
    roundtrip!(u32, "u32.nii");
    roundtrip!(i32, "i32.nii.gz");
    roundtrip!(f32, "f32.nii");
    roundtrip!(f64, "f64.nii.gz");
}

#[test]
fn geometry_comes_from_the_sform() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.nii.gz");
    let h = NiftiHeader {
        sform_code: 1,
        qform_code: 0,
        pixdim: [1.0, 0.5, 0.8, 3.0, 1.0, 1.0, 1.0, 1.0],
        srow_x: [-0.5, 0.0, 0.0, 10.0],
        srow_y: [0.0, 0.8, 0.0, -20.0],
        srow_z: [0.0, 0.0, 3.0, 5.0],
        ..Default::default()
    };
    let a = Array3::<f32>::zeros((4, 3, 2));
    WriterOptions::new(&p)
        .reference_header(&h)
        .write_nifti(&a)
        .unwrap();
    let img = read_image(&p).unwrap();
    assert_eq!(img.grid.shape_zyx, [2, 3, 4]);
    assert_eq!(img.grid.spacing_zyx, [3.0, 0.800000011920929, 0.5]);
    assert_eq!(img.grid.origin_xyz, [10.0, -20.0, 5.0]);
    assert_eq!(img.grid.direction[0][0], -1.0);
    assert_eq!(img.grid.world_of_index([1.0, 1.0, 1.0])[0], 9.5);
}

#[test]
fn mask_label_selection() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.nii");
    let zyx = Array3::from_shape_fn((1, 1, 4), |(_, _, x)| x as u8);
    WriterOptions::new(&p).write_nifti(&xyz(&zyx)).unwrap();
    let all = read_mask(&p, MaskSelector::NonZero).unwrap();
    assert_eq!(all.count(), 3);
    let two = read_mask(&p, MaskSelector::Label(2)).unwrap();
    assert_eq!(
        two.data.iter().copied().collect::<Vec<_>>(),
        vec![false, false, true, false]
    );
    let e = read_mask(&p, MaskSelector::Label(9)).unwrap_err();
    assert!(matches!(e, IoError::Invalid { .. }));
    assert!(
        e.to_string().contains("label 9") && e.to_string().contains("0, 1, 2, 3"),
        "{e}"
    );
}

#[test]
fn folder_and_missing_file_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let e = read_image(dir.path()).unwrap_err().to_string();
    assert!(e.contains("folder"), "{e}");
    let e = read_image(&dir.path().join("x.nii")).unwrap_err();
    assert!(matches!(e, IoError::NotFound { .. }), "{e}");
}
