//! NRRD reading and writing: geometry round trips against NIfTI, every sample type, the
//! LPS → RAS convention, detached headers, masks, bad files.

mod common;

use std::path::Path;

use common::*;
use ndarray::Array3;
use nifti::writer::WriterOptions;
use nifti::NiftiHeader;
use radx_core::{Grid, Image};
use radx_io::{
    read_image_any, read_mask_any, read_nrrd, write_nrrd_image, write_nrrd_mask, Format,
    ImageOptions, IoError, NrrdEncoding, RoiSelector,
};

/// An oblique grid with unequal spacings and a volume of non-integer values.
fn synthetic() -> Image {
    let (c, s) = (0.6f64.cos(), 0.6f64.sin());
    let grid = Grid {
        shape_zyx: [5, 7, 9],
        spacing_zyx: [2.5, 0.75, 1.25],
        origin_xyz: [-10.25, 20.5, 3.125],
        // rotation about z by 0.6 rad, then the z axis flipped (a left-handed grid)
        direction: [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, -1.0]],
    };
    let data = Array3::from_shape_fn((5, 7, 9), |(z, y, x)| {
        (z as f64 * 100.0 + y as f64 * 10.0 + x as f64) * 0.37 - 12.5
    });
    Image::new(grid, data).unwrap()
}

fn write_nifti(path: &Path, img: &Image) {
    let g = &img.grid;
    let sp = [g.spacing_zyx[2], g.spacing_zyx[1], g.spacing_zyx[0]];
    let row = |r: usize| {
        [
            (g.direction[r][0] * sp[0]) as f32,
            (g.direction[r][1] * sp[1]) as f32,
            (g.direction[r][2] * sp[2]) as f32,
            g.origin_xyz[r] as f32,
        ]
    };
    let h = NiftiHeader {
        sform_code: 1,
        qform_code: 0,
        pixdim: [
            1.0,
            sp[0] as f32,
            sp[1] as f32,
            sp[2] as f32,
            1.0,
            1.0,
            1.0,
            1.0,
        ],
        srow_x: row(0),
        srow_y: row(1),
        srow_z: row(2),
        ..Default::default()
    };
    let xyz = img
        .data
        .clone()
        .permuted_axes([2, 1, 0])
        .as_standard_layout()
        .to_owned();
    WriterOptions::new(path)
        .reference_header(&h)
        .write_nifti(&xyz)
        .unwrap();
}

#[test]
fn synthetic_volume_round_trips_through_nifti_and_nrrd() {
    let img = synthetic();
    let dir = tempfile::tempdir().unwrap();
    let nii = dir.path().join("v.nii.gz");
    write_nifti(&nii, &img);
    let from_nifti = read_image_any(&nii, &ImageOptions::default()).unwrap();
    assert_eq!(from_nifti.format, Format::Nifti);
    // the NIfTI sform is float32: equal to its precision
    assert!(from_nifti.image.grid.mismatch(&img.grid, 1e-5).is_none());
    assert_eq!(from_nifti.image.data, img.data);

    for (name, enc) in [
        ("v.nrrd", NrrdEncoding::Raw),
        ("vz.nrrd", NrrdEncoding::Gzip),
        ("d.nhdr", NrrdEncoding::Raw),
        ("dz.nhdr", NrrdEncoding::Gzip),
    ] {
        let p = dir.path().join(name);
        write_nrrd_image(&p, &img, enc).unwrap();
        let back = read_image_any(&p, &ImageOptions::default()).unwrap();
        assert_eq!(back.format, Format::Nrrd, "{name}");
        assert!(
            back.image.grid.mismatch(&img.grid, 1e-12).is_none(),
            "{name}: {:?}",
            back.image.grid.mismatch(&img.grid, 1e-12)
        );
        assert_eq!(back.image.data, img.data, "{name}");
        // NIfTI and NRRD versions agree with each other
        assert!(
            back.image
                .grid
                .mismatch(&from_nifti.image.grid, 1e-5)
                .is_none(),
            "{name}"
        );
        for k in [[0.0, 0.0, 0.0], [4.0, 6.0, 8.0], [2.0, 1.0, 7.0]] {
            let (a, b) = (
                back.image.grid.world_of_index(k),
                img.grid.world_of_index(k),
            );
            for i in 0..3 {
                assert!((a[i] - b[i]).abs() < 1e-9, "{name}: {a:?} vs {b:?}");
            }
        }
    }
    assert!(dir.path().join("d.raw").exists() && dir.path().join("dz.raw.gz").exists());
}

#[test]
fn ct_phantom_nifti_to_nrrd_and_back() {
    let nii = ibsi_ct().join("nifti/image/phantom.nii.gz");
    let img = radx_io::read_image(&nii).unwrap();
    let mask = radx_io::read_mask(
        &ibsi_ct().join("nifti/mask/mask.nii.gz"),
        radx_io::MaskSelector::NonZero,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("phantom.nrrd");
    let pm = dir.path().join("mask.nrrd");
    write_nrrd_image(&p, &img, NrrdEncoding::Gzip).unwrap();
    write_nrrd_mask(&pm, &mask, NrrdEncoding::Gzip).unwrap();
    let back = read_image_any(&p, &ImageOptions::default()).unwrap();
    assert_eq!(back.image, img);
    let m = read_mask_any(&pm, &back.mask_target(), &RoiSelector::Auto).unwrap();
    assert_eq!(m, mask);
    let e = read_mask_any(&pm, &back.mask_target(), &RoiSelector::Label(2))
        .unwrap_err()
        .to_string();
    assert!(e.contains("label 2 is absent") && e.contains("0, 1"), "{e}");
    // the DICOM series and the NRRD copy of the NIfTI describe the same grid
    let dicom = read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap();
    assert!(dicom.image.grid.mismatch(&back.image.grid, 1e-3).is_none());
}

/// A hand-written NRRD file: header lines plus raw data.
fn nrrd_file(path: &Path, header: &str, data: &[u8]) {
    let mut b = format!("NRRD0004\n{header}\n").into_bytes();
    b.extend_from_slice(data);
    std::fs::write(path, b).unwrap();
}

#[test]
fn every_sample_type_and_endianness() {
    let dir = tempfile::tempdir().unwrap();
    let vals: [f64; 8] = [0.0, 1.0, -2.0, 3.0, 100.0, -100.0, 7.0, 42.0];
    let unsigned: [f64; 8] = [0.0, 1.0, 2.0, 3.0, 100.0, 200.0, 7.0, 42.0];
    macro_rules! case {
        ($t:ty, $name:expr, $src:expr) => {{
            for big in [false, true] {
                let mut bytes = Vec::new();
                for v in $src {
                    let x = v as $t;
                    bytes.extend_from_slice(&if big { x.to_be_bytes() } else { x.to_le_bytes() });
                }
                let p = dir.path().join(format!("{}_{big}.nrrd", $name.replace(' ', "_")));
                nrrd_file(
                    &p,
                    &format!(
                        "type: {}\ndimension: 3\nsizes: 2 2 2\nspacings: 1 1 1\nencoding: raw\nendian: {}\n",
                        $name,
                        if big { "big" } else { "little" }
                    ),
                    &bytes,
                );
                let (_, data) = read_nrrd(&p).unwrap();
                let got: Vec<f64> = data.iter().copied().collect();
                assert_eq!(got, $src.to_vec(), "{} big={big}", $name);
            }
        }};
    }
    case!(i8, "int8", vals);
    case!(u8, "uchar", unsigned);
    case!(i16, "short", vals);
    case!(u16, "unsigned short", unsigned);
    case!(i32, "int32", vals);
    case!(u32, "uint", unsigned);
    case!(i64, "long long", vals);
    case!(u64, "uint64_t", unsigned);
    case!(f32, "float", vals);
    case!(f64, "double", vals);
}

#[test]
fn space_conventions_become_ras() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..24).collect();
    let read = |space: &str| {
        let p = dir.path().join("s.nrrd");
        nrrd_file(
            &p,
            &format!(
                "type: uint8\ndimension: 3\n{space}sizes: 4 3 2\nspace directions: (-1,0,0) (0,-0.5,0) (0,0,2)\n\
                 space origin: (10,20,30)\nencoding: raw\n"
            ),
            &data,
        );
        read_nrrd(&p)
    };
    // LPS: x and y change sign
    let (g, d) = read("space: left-posterior-superior\n").unwrap();
    assert_eq!(g.shape_zyx, [2, 3, 4]);
    assert_eq!(g.spacing_zyx, [2.0, 0.5, 1.0]);
    assert_eq!(g.origin_xyz, [-10.0, -20.0, 30.0]);
    assert_eq!(
        g.direction,
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    );
    // first axis fastest: value at (z, y, x) = x + 4 y + 12 z
    assert_eq!(d[[1, 2, 3]], 23.0);
    assert_eq!(d[[0, 1, 2]], 6.0);
    // RAS as is
    let (g, _) = read("space: right-anterior-superior\n").unwrap();
    assert_eq!(g.origin_xyz, [10.0, 20.0, 30.0]);
    assert_eq!(g.direction[0][0], -1.0);
    // LAS: x changes sign
    let (g, _) = read("space: LAS\n").unwrap();
    assert_eq!(g.origin_xyz, [-10.0, 20.0, 30.0]);
    // unknown space
    let e = read("space: scanner-xyz\n").unwrap_err();
    assert!(
        matches!(e, IoError::Unsupported { .. }) && e.to_string().contains("scanner-xyz"),
        "{e}"
    );
}

#[test]
fn ascii_byte_skip_and_detached_data() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.nrrd");
    nrrd_file(
        &p,
        "type: float\ndimension: 3\nsizes: 2 1 2\nspacings: 1 2 3\nencoding: ascii\n# a comment\nkey:=value\n",
        b"1.5 2\n-3 4e1\n",
    );
    let (g, d) = read_nrrd(&p).unwrap();
    assert_eq!(g.spacing_zyx, [3.0, 2.0, 1.0]);
    assert_eq!(
        d.iter().copied().collect::<Vec<_>>(),
        vec![1.5, 2.0, -3.0, 40.0]
    );

    // detached header, data at the end of a file with a preamble (byte skip -1)
    let raw = dir.path().join("data.bin");
    let mut bytes = b"some preamble".to_vec();
    bytes.extend((1..=8u16).flat_map(|v| v.to_le_bytes()));
    std::fs::write(&raw, bytes).unwrap();
    let h = dir.path().join("h.nhdr");
    std::fs::write(
        &h,
        "NRRD0004\ntype: uint16\ndimension: 3\nsizes: 2 2 2\nspacings: 1 1 1\nencoding: raw\nendian: little\n\
         byte skip: -1\ndata file: data.bin\n",
    )
    .unwrap();
    let (_, d) = read_nrrd(&h).unwrap();
    assert_eq!(
        d.iter().copied().collect::<Vec<_>>(),
        (1..=8).map(f64::from).collect::<Vec<_>>()
    );
}

#[test]
fn bad_nrrd_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.nrrd");
    let base = "dimension: 3\nsizes: 2 2 2\nspacings: 1 1 1\nencoding: raw\nendian: little\n";
    // truncated data
    nrrd_file(&p, &format!("type: int16\n{base}"), &[0u8; 10]);
    let e = read_nrrd(&p).unwrap_err();
    assert!(
        matches!(e, IoError::Truncated { .. }) && e.to_string().contains("bad.nrrd"),
        "{e}"
    );
    // bad gzip
    nrrd_file(&p, "type: int16\ndimension: 3\nsizes: 2 2 2\nspacings: 1 1 1\nencoding: gzip\nendian: little\n", b"not gzip");
    assert!(matches!(
        read_nrrd(&p).unwrap_err(),
        IoError::Truncated { .. }
    ));
    // unsupported type, dimension, encoding
    nrrd_file(&p, &format!("type: block\n{base}"), &[]);
    assert!(read_nrrd(&p)
        .unwrap_err()
        .to_string()
        .contains("NRRD type \"block\""));
    nrrd_file(
        &p,
        "type: uint8\ndimension: 4\nsizes: 2 2 2 2\nencoding: raw\n",
        &[0; 16],
    );
    assert!(matches!(
        read_nrrd(&p).unwrap_err(),
        IoError::Unsupported { .. }
    ));
    nrrd_file(
        &p,
        "type: uint8\ndimension: 3\nsizes: 2 2 2\nspacings: 1 1 1\nencoding: bzip2\n",
        &[0; 8],
    );
    assert!(read_nrrd(&p).unwrap_err().to_string().contains("bzip2"));
    // missing fields
    nrrd_file(
        &p,
        "type: uint8\ndimension: 3\nspacings: 1 1 1\nencoding: raw\n",
        &[0; 8],
    );
    assert!(read_nrrd(&p).unwrap_err().to_string().contains("`sizes`"));
    nrrd_file(
        &p,
        "type: int16\ndimension: 3\nsizes: 2 2 2\nspacings: 1 1 1\nencoding: raw\n",
        &[0; 16],
    );
    assert!(read_nrrd(&p).unwrap_err().to_string().contains("`endian`"));
    nrrd_file(
        &p,
        "type: uint8\ndimension: 3\nsizes: 2 2 2\nencoding: raw\n",
        &[0; 8],
    );
    assert!(read_nrrd(&p)
        .unwrap_err()
        .to_string()
        .contains("voxel size is unknown"));
    // a zero-length direction
    nrrd_file(
        &p,
        "type: uint8\ndimension: 3\nsizes: 2 2 2\nspace: RAS\nspace directions: (0,0,0) (0,1,0) (0,0,1)\nencoding: raw\n",
        &[0; 8],
    );
    assert!(read_nrrd(&p)
        .unwrap_err()
        .to_string()
        .contains("not a positive number"));
    // detached data file missing
    let h = dir.path().join("h.nhdr");
    std::fs::write(
        &h,
        format!("NRRD0004\ntype: uint8\n{base}data file: gone.raw\n"),
    )
    .unwrap();
    let e = read_nrrd(&h).unwrap_err();
    assert!(
        matches!(e, IoError::NotFound { .. }) && e.to_string().contains("gone.raw"),
        "{e}"
    );
    // header without end
    std::fs::write(&p, "NRRD0004\ntype: uint8\ndimension: 3").unwrap();
    assert!(read_nrrd(&p).is_err());
}
