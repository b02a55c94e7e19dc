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

/// NIfTI-2 bytes (little endian, f64 voxels, sform from the grid) of an image.
fn nifti2_bytes(img: &radx_core::Image) -> Vec<u8> {
    let mut h = vec![0u8; 544];
    h[0..4].copy_from_slice(&540i32.to_le_bytes());
    h[4..12].copy_from_slice(b"n+2\0\r\n\x1a\n");
    h[12..14].copy_from_slice(&64i16.to_le_bytes()); // FLOAT64
    h[14..16].copy_from_slice(&64i16.to_le_bytes());
    let [nz, ny, nx] = img.grid.shape_zyx;
    let dims = [3i64, nx as i64, ny as i64, nz as i64, 1, 1, 1, 1];
    for (i, d) in dims.iter().enumerate() {
        h[16 + 8 * i..24 + 8 * i].copy_from_slice(&d.to_le_bytes());
    }
    let sp = [
        img.grid.spacing_zyx[2],
        img.grid.spacing_zyx[1],
        img.grid.spacing_zyx[0],
    ];
    let pix = [1.0, sp[0], sp[1], sp[2], 0.0, 0.0, 0.0, 0.0];
    for (i, p) in pix.iter().enumerate() {
        h[104 + 8 * i..112 + 8 * i].copy_from_slice(&p.to_le_bytes());
    }
    h[168..176].copy_from_slice(&544i64.to_le_bytes());
    h[176..184].copy_from_slice(&1.0f64.to_le_bytes());
    h[348..352].copy_from_slice(&1i32.to_le_bytes()); // sform_code
    for r in 0..3 {
        for c in 0..4 {
            let v = if c < 3 {
                img.grid.direction[r][c] * sp[c]
            } else {
                img.grid.origin_xyz[r]
            };
            h[400 + 32 * r + 8 * c..408 + 32 * r + 8 * c].copy_from_slice(&v.to_le_bytes());
        }
    }
    for v in img.data.iter() {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h
}

#[test]
fn nifti2_reads_like_the_same_image_in_nifti1() {
    let one = radx_io::read_image(&radx_testkit::cohort("nifti/STS_002/CT_image.nii.gz")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("two.nii");
    std::fs::write(&p, nifti2_bytes(&one)).unwrap();
    let two = radx_io::read_image(&p).unwrap();
    assert!(
        two.grid.mismatch(&one.grid, 1e-9).is_none(),
        "{:?} vs {:?}",
        two.grid,
        one.grid
    );
    assert_eq!(two.data, one.data);
    // gzip too, and a truncated one is an error naming the file.
    let gz = dir.path().join("two.nii.gz");
    std::fs::write(&gz, radx_testkit::hostile::gzip(&nifti2_bytes(&one))).unwrap();
    assert_eq!(radx_io::read_image(&gz).unwrap().data, one.data);
    let short = dir.path().join("short.nii");
    std::fs::write(&short, &nifti2_bytes(&one)[..1000]).unwrap();
    let e = radx_io::read_image(&short).unwrap_err().to_string();
    assert!(e.contains("short.nii"), "{e}");
}
