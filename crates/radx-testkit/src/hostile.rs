//! Hostile and broken inputs for the readers, one function per input.
//!
//! Each function writes its files into a folder (created) and returns a [`Hostile`]: the
//! image and mask of a `radx extract` run (one of them broken, the other a good file), any
//! extra arguments, the file the error must name and a fragment the message must hold.
//! Every input is built from the built-in IBSI digital phantom; none needs external data.
//! [`all`] lists them for a corpus run.

use std::io::Write;
use std::path::{Path, PathBuf};

use radx_core::{Image, Mask};

use crate::dicom;

/// One hostile input of `radx extract --image IMAGE --mask MASK ARGS...`.
#[derive(Debug, Clone)]
pub struct Hostile {
    /// Short identifier.
    pub name: &'static str,
    pub image: PathBuf,
    pub mask: PathBuf,
    /// Extra arguments of `radx extract`.
    pub args: Vec<String>,
    /// The file (or folder) the error message must name.
    pub names: PathBuf,
    /// A fragment the error message must contain.
    pub expect: &'static str,
}

/// A generator of one hostile input into a folder.
pub type Generator = fn(&Path) -> Hostile;

/// Every generator of this module, by name.
pub fn all() -> Vec<(&'static str, Generator)> {
    let mut v: Vec<(&'static str, Generator)> = vec![
        ("nifti_vox_offset_1e30", nifti_vox_offset_huge),
        ("nifti_vox_offset_negative", nifti_vox_offset_negative),
        ("nifti_vox_offset_nan", nifti_vox_offset_nan),
        ("nifti_vox_offset_in_header", nifti_vox_offset_in_header),
        ("nifti_vox_offset_past_end", nifti_vox_offset_past_end),
        ("nifti_negative_dim", nifti_negative_dim),
        ("nifti_dim0_9", nifti_dim0_9),
        ("nifti_huge_dims_tiny_file", nifti_huge_dims_tiny_file),
        ("nifti_gz_huge_dims", nifti_gz_huge_dims),
        ("nifti_over_voxel_limit", nifti_over_voxel_limit),
        ("nifti_gz_trailing_bomb", nifti_gz_trailing_bomb),
        ("nifti_gz_bad_crc", nifti_gz_bad_crc),
        ("nifti_truncated_voxels", nifti_truncated_voxels),
        ("nifti_short_header", nifti_short_header),
        ("nifti_2", nifti_2),
        ("nifti_unknown_datatype", nifti_unknown_datatype),
        ("nifti_complex_datatype", nifti_complex_datatype),
        ("nifti_4d", nifti_4d),
        ("nifti_nan_spacing", nifti_nan_spacing),
        ("nifti_singular_direction", nifti_singular_direction),
        ("nifti_empty_file", nifti_empty_file),
        ("mask_non_integer", mask_non_integer),
        ("mask_nan", mask_nan),
        ("mask_label_zero", mask_label_zero),
        ("image_is_empty_folder", image_is_empty_folder),
        ("nrrd_data_file_dev_zero", nrrd_data_file_dev_zero),
        ("nrrd_data_file_etc_passwd", nrrd_data_file_etc_passwd),
        ("nrrd_data_file_dotdot", nrrd_data_file_dotdot),
        ("nrrd_data_file_is_folder", nrrd_data_file_is_folder),
        ("nrrd_detached_longer", nrrd_detached_longer),
        ("nrrd_detached_shorter", nrrd_detached_shorter),
        ("nrrd_gzip_trailing", nrrd_gzip_trailing),
        ("nrrd_gzip_huge_sizes", nrrd_gzip_huge_sizes),
        ("nrrd_sizes_overflow", nrrd_sizes_overflow),
        ("nrrd_over_voxel_limit", nrrd_over_voxel_limit),
        ("nrrd_header_without_end", nrrd_header_without_end),
        ("nrrd_ascii_too_many", nrrd_ascii_too_many),
        ("nrrd_negative_byte_skip", nrrd_negative_byte_skip),
        (
            "dicom_slice_without_pixel_data",
            dicom_slice_without_pixel_data,
        ),
        ("dicom_huge_element_length", dicom_huge_element_length),
        ("dicom_deep_nesting", dicom_deep_nesting),
        ("dicom_item_outside_sequence", dicom_item_outside_sequence),
        ("dicom_short_pixel_data", dicom_short_pixel_data),
        ("dicom_bits_allocated_7", dicom_bits_allocated_7),
        ("dicom_bits_allocated_wraps", dicom_bits_allocated_wraps),
        ("dicom_nan_position", dicom_nan_position),
        ("dicom_deflate_bomb", dicom_deflate_bomb),
        ("dicom_truncated_slice", dicom_truncated_slice),
        ("rtstruct_contour_far_off", rtstruct_contour_far_off),
    ];
    #[cfg(unix)]
    v.push((
        "nrrd_data_file_symlink_escape",
        nrrd_data_file_symlink_escape,
    ));
    v
}

fn mkdir(dir: &Path) {
    std::fs::create_dir_all(dir).expect("folder for a hostile input");
}

/// The digital phantom's image and mask as NIfTI files `image.nii.gz` and
/// `mask.nii.gz` in `dir`.
pub fn good_pair(dir: &Path) -> (PathBuf, PathBuf) {
    mkdir(dir);
    let (image, mask) = radx_core::phantom::ibsi_digital_phantom();
    let (i, m) = (dir.join("image.nii.gz"), dir.join("mask.nii.gz"));
    radx_io::write_nifti_image(&image, &i).expect("phantom image");
    radx_io::write_nifti_image(&mask_image(&mask), &m).expect("phantom mask");
    (i, m)
}

/// A mask as an image of 0 and 1.
pub fn mask_image(mask: &Mask) -> Image {
    Image {
        grid: mask.grid.clone(),
        data: mask.data.mapv(|b| if b { 1.0 } else { 0.0 }),
    }
}

/// The bytes of the phantom image as an uncompressed NIfTI-1 file (float32, 352-byte
/// header, voxels from byte 352).
pub fn phantom_nifti_bytes() -> Vec<u8> {
    let (image, _) = radx_core::phantom::ibsi_digital_phantom();
    nifti_bytes(&image)
}

/// The bytes of `image` as an uncompressed NIfTI-1 file.
pub fn nifti_bytes(image: &Image) -> Vec<u8> {
    let dir = tempdir();
    let p = dir.join("x.nii");
    radx_io::write_nifti_image(image, &p).expect("nifti");
    let b = std::fs::read(&p).expect("nifti bytes");
    let _ = std::fs::remove_dir_all(&dir);
    b
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "radx-hostile-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    mkdir(&d);
    d
}

/// Gzip of `b`.
pub fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).expect("gzip");
    e.finish().expect("gzip")
}

fn put_i16(b: &mut [u8], at: usize, v: i16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put_f32(b: &mut [u8], at: usize, v: f32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// A broken NIfTI image: the phantom's bytes changed by `edit`, written as `name`.
fn broken_nifti(
    dir: &Path,
    name: &'static str,
    file: &str,
    expect: &'static str,
    edit: impl FnOnce(&mut Vec<u8>),
) -> Hostile {
    let (_, mask) = good_pair(dir);
    let mut b = phantom_nifti_bytes();
    edit(&mut b);
    let p = dir.join(file);
    if file.ends_with(".gz") {
        std::fs::write(&p, gzip(&b)).expect("write");
    } else {
        std::fs::write(&p, &b).expect("write");
    }
    Hostile {
        name,
        image: p.clone(),
        mask,
        args: Vec::new(),
        names: p,
        expect,
    }
}

/// `vox_offset = 1e30` (the cast saturated and the offset arithmetic wrapped: a panic).
pub fn nifti_vox_offset_huge(dir: &Path) -> Hostile {
    broken_nifti(dir, "nifti_vox_offset_1e30", "bad.nii", "vox_offset", |b| {
        put_f32(b, 108, 1e30)
    })
}

/// `vox_offset = -100` (was read at 352 silently).
pub fn nifti_vox_offset_negative(dir: &Path) -> Hostile {
    broken_nifti(
        dir,
        "nifti_vox_offset_negative",
        "bad.nii",
        "vox_offset = -100",
        |b| put_f32(b, 108, -100.0),
    )
}

/// `vox_offset = NaN` (was read at 352 silently).
pub fn nifti_vox_offset_nan(dir: &Path) -> Hostile {
    broken_nifti(
        dir,
        "nifti_vox_offset_nan",
        "bad.nii.gz",
        "vox_offset = NaN",
        |b| put_f32(b, 108, f32::NAN),
    )
}

/// `vox_offset = 100`, inside the header.
pub fn nifti_vox_offset_in_header(dir: &Path) -> Hostile {
    broken_nifti(
        dir,
        "nifti_vox_offset_in_header",
        "bad.nii",
        "inside the 352-byte header",
        |b| put_f32(b, 108, 100.0),
    )
}

/// `vox_offset` past the end of the file.
pub fn nifti_vox_offset_past_end(dir: &Path) -> Hostile {
    broken_nifti(
        dir,
        "nifti_vox_offset_past_end",
        "bad.nii",
        "the file holds",
        |b| put_f32(b, 108, 1_048_576.0),
    )
}

/// `dim[1] = -4` (was "expected 664643260 bytes").
pub fn nifti_negative_dim(dir: &Path) -> Hostile {
    broken_nifti(dir, "nifti_negative_dim", "bad.nii", "dim[1] = -4", |b| {
        put_i16(b, 42, -4)
    })
}

/// `dim[0] = 9` (was "unknown datatype").
pub fn nifti_dim0_9(dir: &Path) -> Hostile {
    broken_nifti(dir, "nifti_dim0_9", "bad.nii", "dim[0] = 9", |b| {
        put_i16(b, 40, 9)
    })
}

/// Dims 32767³ in a 672-byte file.
pub fn nifti_huge_dims_tiny_file(dir: &Path) -> Hostile {
    broken_nifti(
        dir,
        "nifti_huge_dims_tiny_file",
        "bad.nii",
        "the file holds",
        |b| (0..3).for_each(|i| put_i16(b, 42 + 2 * i, 32767)),
    )
}

/// Dims 32767³ in a small `.nii.gz`.
pub fn nifti_gz_huge_dims(dir: &Path) -> Hostile {
    broken_nifti(
        dir,
        "nifti_gz_huge_dims",
        "bad.nii.gz",
        "cannot inflate",
        |b| (0..3).for_each(|i| put_i16(b, 42 + 2 * i, 32767)),
    )
}

/// A `.nii` of 2048 × 2048 × 128 uint8 voxels (2^29, over the default voxel limit), as a
/// sparse file: the file really holds the declared bytes.
pub fn nifti_over_voxel_limit(dir: &Path) -> Hostile {
    let (_, mask) = good_pair(dir);
    let mut b = phantom_nifti_bytes();
    b.truncate(352);
    put_i16(&mut b, 42, 2048);
    put_i16(&mut b, 44, 2048);
    put_i16(&mut b, 46, 128);
    put_i16(&mut b, 70, 2); // uint8
    put_i16(&mut b, 72, 8);
    let p = dir.join("big.nii");
    let f = std::fs::File::create(&p).expect("create");
    (&f).write_all(&b).expect("write");
    f.set_len(352 + (1u64 << 29)).expect("sparse file");
    Hostile {
        name: "nifti_over_voxel_limit",
        image: p.clone(),
        mask,
        args: Vec::new(),
        names: p,
        expect: "voxel limit",
    }
}

/// A valid phantom `.nii.gz` followed, inside the same gzip stream, by `trailing` bytes of
/// zeros (a decompression bomb: the file stays small). Streams the zeros through the
/// encoder, so building it needs no memory.
pub fn nifti_gz_trailing_bomb_sized(dir: &Path, trailing: u64) -> Hostile {
    let (_, mask) = good_pair(dir);
    let p = dir.join("bomb.nii.gz");
    let f = std::io::BufWriter::new(std::fs::File::create(&p).expect("create"));
    let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::new(2));
    e.write_all(&phantom_nifti_bytes()).expect("gzip");
    let zeros = vec![0u8; 1 << 20];
    let mut left = trailing;
    while left > 0 {
        let k = left.min(zeros.len() as u64) as usize;
        e.write_all(&zeros[..k]).expect("gzip");
        left -= k as u64;
    }
    e.finish().expect("gzip").flush().expect("flush");
    Hostile {
        name: "nifti_gz_trailing_bomb",
        image: p.clone(),
        mask,
        args: Vec::new(),
        names: p,
        expect: "trailing data",
    }
}

/// [`nifti_gz_trailing_bomb_sized`] with 1 GiB of zeros (about 1 MB on disk).
pub fn nifti_gz_trailing_bomb(dir: &Path) -> Hostile {
    nifti_gz_trailing_bomb_sized(dir, 1 << 30)
}

/// A `.nii.gz` whose gzip CRC is wrong.
pub fn nifti_gz_bad_crc(dir: &Path) -> Hostile {
    let (_, mask) = good_pair(dir);
    let mut g = gzip(&phantom_nifti_bytes());
    let n = g.len();
    g[n - 8] ^= 0xFF; // CRC32 of the trailer
    let p = dir.join("crc.nii.gz");
    std::fs::write(&p, g).expect("write");
    Hostile {
        name: "nifti_gz_bad_crc",
        image: p.clone(),
        mask,
        args: Vec::new(),
        names: p,
        expect: "gzip",
    }
}

/// Voxels cut short.
pub fn nifti_truncated_voxels(dir: &Path) -> Hostile {
    broken_nifti(
        dir,
        "nifti_truncated_voxels",
        "cut.nii.gz",
        "bytes where",
        |b| b.truncate(b.len() - 9),
    )
}

/// 200 bytes: shorter than a header.
pub fn nifti_short_header(dir: &Path) -> Hostile {
    broken_nifti(
        dir,
        "nifti_short_header",
        "short.nii.gz",
        "shorter than a NIfTI-1 header",
        |b| b.truncate(200),
    )
}

/// A NIfTI-2 header size (540) on a NIfTI-1 header: read as NIfTI-2, whose magic is then
/// wrong (an error that names NIfTI-2).
pub fn nifti_2(dir: &Path) -> Hostile {
    broken_nifti(dir, "nifti_2", "two.nii", "NIfTI-2", |b| {
        b[0..4].copy_from_slice(&540i32.to_le_bytes())
    })
}

/// Datatype code 999.
pub fn nifti_unknown_datatype(dir: &Path) -> Hostile {
    broken_nifti(
        dir,
        "nifti_unknown_datatype",
        "dt.nii",
        "unknown datatype code 999",
        |b| put_i16(b, 70, 999),
    )
}

/// Datatype complex64.
pub fn nifti_complex_datatype(dir: &Path) -> Hostile {
    broken_nifti(dir, "nifti_complex_datatype", "cx.nii", "Complex64", |b| {
        put_i16(b, 70, 32);
        put_i16(b, 72, 64);
    })
}

/// A 4D image of 2 volumes.
pub fn nifti_4d(dir: &Path) -> Hostile {
    broken_nifti(dir, "nifti_4d", "4d.nii", "2 volumes", |b| {
        put_i16(b, 40, 4);
        put_i16(b, 48, 2);
        let v = b[352..].to_vec();
        b.extend_from_slice(&v);
    })
}

/// NaN in the sform.
pub fn nifti_nan_spacing(dir: &Path) -> Hostile {
    broken_nifti(dir, "nifti_nan_spacing", "nan.nii", "spacing", |b| {
        put_f32(b, 280, f32::NAN)
    })
}

/// An sform whose x and y columns are the same vector.
pub fn nifti_singular_direction(dir: &Path) -> Hostile {
    broken_nifti(
        dir,
        "nifti_singular_direction",
        "flat.nii",
        "parallel",
        |b| {
            for r in 0..3 {
                let at = 280 + 16 * r;
                let x: [u8; 4] = b[at..at + 4].try_into().expect("4 bytes");
                b[at + 4..at + 8].copy_from_slice(&x);
            }
        },
    )
}

/// An empty file.
pub fn nifti_empty_file(dir: &Path) -> Hostile {
    broken_nifti(dir, "nifti_empty_file", "empty.nii", "empty", |b| b.clear())
}

fn broken_mask(
    dir: &Path,
    name: &'static str,
    expect: &'static str,
    args: &[&str],
    edit: impl FnOnce(&mut Image),
) -> Hostile {
    let (image, _) = good_pair(dir);
    let (_, mask) = radx_core::phantom::ibsi_digital_phantom();
    let mut m = mask_image(&mask);
    edit(&mut m);
    let p = dir.join("badmask.nii.gz");
    std::fs::write(&p, gzip(&nifti_bytes(&m))).expect("write");
    Hostile {
        name,
        image,
        mask: p.clone(),
        args: args.iter().map(|s| s.to_string()).collect(),
        names: p,
        expect,
    }
}

/// A probability map (0.3 in the ROI) given as a mask (was taken as ROI silently).
pub fn mask_non_integer(dir: &Path) -> Hostile {
    broken_mask(dir, "mask_non_integer", "non-integer", &[], |m| {
        m.data.mapv_inplace(|v| v * 0.3)
    })
}

/// NaN in a mask (the writer refuses NaN, so the bytes are patched).
pub fn mask_nan(dir: &Path) -> Hostile {
    let (image, _) = good_pair(dir);
    let (_, mask) = radx_core::phantom::ibsi_digital_phantom();
    let mut b = nifti_bytes(&mask_image(&mask));
    b[352..356].copy_from_slice(&f32::NAN.to_le_bytes());
    let p = dir.join("nanmask.nii");
    std::fs::write(&p, b).expect("write");
    Hostile {
        name: "mask_nan",
        image,
        mask: p.clone(),
        args: Vec::new(),
        names: p,
        expect: "non-finite",
    }
}

/// `--label 0` (selected the background).
pub fn mask_label_zero(dir: &Path) -> Hostile {
    broken_mask(
        dir,
        "mask_label_zero",
        "label 0 is the background",
        &["--label", "0"],
        |_| {},
    )
}

/// An empty folder given as the image.
pub fn image_is_empty_folder(dir: &Path) -> Hostile {
    let (_, mask) = good_pair(dir);
    let f = dir.join("folder");
    mkdir(&f);
    Hostile {
        name: "image_is_empty_folder",
        image: f.clone(),
        mask,
        args: Vec::new(),
        names: f,
        expect: "folder holds no DICOM file",
    }
}

const NRRD_HEADER: &str = "NRRD0004\ntype: double\ndimension: 3\nsizes: 5 4 4\n\
space: left-posterior-superior\nspace directions: (-2,0,0) (0,-2,0) (0,0,2)\n\
space origin: (0,0,0)\nendian: little\n";

/// The phantom's voxels as little-endian doubles (NRRD order: x fastest).
pub fn phantom_doubles() -> Vec<u8> {
    let (image, _) = radx_core::phantom::ibsi_digital_phantom();
    image.data.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A detached NRRD header `image.nhdr` naming `data_file`, with `extra` header lines.
fn nrrd_detached(
    dir: &Path,
    name: &'static str,
    data_file: &str,
    extra: &str,
    expect: &'static str,
) -> Hostile {
    let (_, mask) = good_pair(dir);
    let p = dir.join("image.nhdr");
    std::fs::write(
        &p,
        format!("{NRRD_HEADER}encoding: raw\n{extra}data file: {data_file}\n"),
    )
    .expect("write");
    Hostile {
        name,
        image: p.clone(),
        mask,
        args: Vec::new(),
        names: p,
        expect,
    }
}

/// `data file: /dev/zero` (read until memory ran out).
pub fn nrrd_data_file_dev_zero(dir: &Path) -> Hostile {
    nrrd_detached(
        dir,
        "nrrd_data_file_dev_zero",
        "/dev/zero",
        "",
        "outside the header's folder",
    )
}

/// `data file: /etc/passwd` (read any file).
pub fn nrrd_data_file_etc_passwd(dir: &Path) -> Hostile {
    nrrd_detached(
        dir,
        "nrrd_data_file_etc_passwd",
        "/etc/passwd",
        "",
        "outside the header's folder",
    )
}

/// `data file: ../outside.raw`, a real file one folder up.
pub fn nrrd_data_file_dotdot(dir: &Path) -> Hostile {
    mkdir(dir);
    let inner = dir.join("inner");
    mkdir(&inner);
    std::fs::write(dir.join("outside.raw"), phantom_doubles()).expect("write");
    let mut h = nrrd_detached(
        &inner,
        "nrrd_data_file_dotdot",
        "../outside.raw",
        "",
        "outside the header's folder",
    );
    h.name = "nrrd_data_file_dotdot";
    h
}

/// `data file: link.raw`, a symbolic link to a file outside the header's folder.
#[cfg(unix)]
pub fn nrrd_data_file_symlink_escape(dir: &Path) -> Hostile {
    mkdir(dir);
    let inner = dir.join("inner");
    mkdir(&inner);
    let target = dir.join("outside.raw");
    std::fs::write(&target, phantom_doubles()).expect("write");
    std::os::unix::fs::symlink(&target, inner.join("link.raw")).expect("symlink");
    nrrd_detached(
        &inner,
        "nrrd_data_file_symlink_escape",
        "link.raw",
        "",
        "outside the header's folder",
    )
}

/// `data file: sub`, a folder.
pub fn nrrd_data_file_is_folder(dir: &Path) -> Hostile {
    mkdir(&dir.join("sub"));
    nrrd_detached(
        dir,
        "nrrd_data_file_is_folder",
        "sub",
        "",
        "not a regular file",
    )
}

/// A detached data file 8 bytes longer than the sizes declare.
pub fn nrrd_detached_longer(dir: &Path) -> Hostile {
    mkdir(dir);
    let mut d = phantom_doubles();
    d.extend_from_slice(&[0u8; 8]);
    std::fs::write(dir.join("data.raw"), d).expect("write");
    let mut h = nrrd_detached(
        dir,
        "nrrd_detached_longer",
        "data.raw",
        "",
        "longer than the sizes declare",
    );
    h.names = dir.join("data.raw");
    h
}

/// A detached data file 8 bytes shorter than the sizes declare.
pub fn nrrd_detached_shorter(dir: &Path) -> Hostile {
    mkdir(dir);
    let mut d = phantom_doubles();
    d.truncate(d.len() - 8);
    std::fs::write(dir.join("data.raw"), d).expect("write");
    let mut h = nrrd_detached(
        dir,
        "nrrd_detached_shorter",
        "data.raw",
        "",
        "data bytes where",
    );
    h.names = dir.join("data.raw");
    h
}

/// An attached NRRD `image.nrrd`: `NRRD_HEADER`, `extra` lines, a blank line, `data`.
fn nrrd_attached(
    dir: &Path,
    name: &'static str,
    extra: &str,
    data: &[u8],
    expect: &'static str,
) -> Hostile {
    let (_, mask) = good_pair(dir);
    let p = dir.join("image.nrrd");
    let mut b = format!("{NRRD_HEADER}{extra}\n").into_bytes();
    b.extend_from_slice(data);
    std::fs::write(&p, b).expect("write");
    Hostile {
        name,
        image: p.clone(),
        mask,
        args: Vec::new(),
        names: p,
        expect,
    }
}

/// Gzip data that continue past the declared size.
pub fn nrrd_gzip_trailing(dir: &Path) -> Hostile {
    let mut d = phantom_doubles();
    d.extend_from_slice(&vec![0u8; 1 << 20]);
    nrrd_attached(
        dir,
        "nrrd_gzip_trailing",
        "encoding: gzip\n",
        &gzip(&d),
        "trailing data",
    )
}

/// Huge sizes over a little gzip data.
pub fn nrrd_gzip_huge_sizes(dir: &Path) -> Hostile {
    let (_, mask) = good_pair(dir);
    let p = dir.join("image.nrrd");
    let h = NRRD_HEADER.replace("sizes: 5 4 4", "sizes: 60000 60000 60000");
    let mut b = format!("{h}encoding: gzip\n\n").into_bytes();
    b.extend_from_slice(&gzip(&phantom_doubles()));
    std::fs::write(&p, b).expect("write");
    Hostile {
        name: "nrrd_gzip_huge_sizes",
        image: p.clone(),
        mask,
        args: Vec::new(),
        names: p,
        expect: "cannot inflate",
    }
}

/// Sizes whose product overflows 64 bits.
pub fn nrrd_sizes_overflow(dir: &Path) -> Hostile {
    let (_, mask) = good_pair(dir);
    let p = dir.join("image.nrrd");
    let h = NRRD_HEADER.replace(
        "sizes: 5 4 4",
        "sizes: 18446744073709551615 18446744073709551615 2",
    );
    std::fs::write(&p, format!("{h}encoding: raw\n\n")).expect("write");
    Hostile {
        name: "nrrd_sizes_overflow",
        image: p.clone(),
        mask,
        args: Vec::new(),
        names: p,
        expect: "overflow",
    }
}

/// 2048 × 2048 × 128 uint8 samples really present (a sparse detached file).
pub fn nrrd_over_voxel_limit(dir: &Path) -> Hostile {
    mkdir(dir);
    let f = std::fs::File::create(dir.join("big.raw")).expect("create");
    f.set_len(1 << 29).expect("sparse file");
    let (_, mask) = good_pair(dir);
    let p = dir.join("image.nhdr");
    let h = NRRD_HEADER
        .replace("sizes: 5 4 4", "sizes: 2048 2048 128")
        .replace("type: double", "type: uint8");
    std::fs::write(&p, format!("{h}encoding: raw\ndata file: big.raw\n")).expect("write");
    Hostile {
        name: "nrrd_over_voxel_limit",
        image: p.clone(),
        mask,
        args: Vec::new(),
        names: p,
        expect: "voxel limit",
    }
}

/// A 5 MiB header without the blank line that ends it.
pub fn nrrd_header_without_end(dir: &Path) -> Hostile {
    let (_, mask) = good_pair(dir);
    let p = dir.join("image.nrrd");
    let mut b = format!("{NRRD_HEADER}encoding: raw\n").into_bytes();
    let line = format!("# {}\n", "x".repeat(1000));
    while b.len() < 5 << 20 {
        b.extend_from_slice(line.as_bytes());
    }
    std::fs::write(&p, b).expect("write");
    Hostile {
        name: "nrrd_header_without_end",
        image: p.clone(),
        mask,
        args: Vec::new(),
        names: p,
        expect: "without the blank line",
    }
}

/// Ascii data holding one value more than the sizes declare.
pub fn nrrd_ascii_too_many(dir: &Path) -> Hostile {
    let (image, _) = radx_core::phantom::ibsi_digital_phantom();
    let mut text: Vec<String> = image.data.iter().map(|v| v.to_string()).collect();
    text.push("7".into());
    nrrd_attached(
        dir,
        "nrrd_ascii_too_many",
        "encoding: ascii\n",
        text.join(" ").as_bytes(),
        "more than the 80 values",
    )
}

/// `byte skip: -5`.
pub fn nrrd_negative_byte_skip(dir: &Path) -> Hostile {
    nrrd_attached(
        dir,
        "nrrd_negative_byte_skip",
        "encoding: raw\nbyte skip: -5\n",
        &phantom_doubles(),
        "byte skip",
    )
}

/// The phantom as a DICOM series in `dir/series`, slice `z` replaced by `edit`'s bytes.
fn broken_series(
    dir: &Path,
    name: &'static str,
    expect: &'static str,
    edit: impl FnOnce(&mut Vec<dicom::Elem>) -> Option<Vec<u8>>,
) -> Hostile {
    let (_, mask) = good_pair(dir);
    let (image, _) = radx_core::phantom::ibsi_digital_phantom();
    let series = dir.join("series");
    let files = dicom::ct_series(&series, &image);
    let z = 1;
    let mut elems = dicom::ct_slice_elems(&image, z);
    let bytes = edit(&mut elems).unwrap_or_else(|| dicom::ct_slice_file(&elems, z));
    std::fs::write(&files[z], bytes).expect("write");
    Hostile {
        name,
        image: series,
        mask,
        args: Vec::new(),
        names: files[z].clone(),
        expect,
    }
}

fn drop_tag(elems: &mut Vec<dicom::Elem>, tag: (u16, u16)) {
    elems.retain(|e| e.tag != tag);
}

fn set(elems: &mut Vec<dicom::Elem>, e: dicom::Elem) {
    drop_tag(elems, e.tag);
    elems.push(e);
}

/// A slice without PixelData (was "uneven spacing").
pub fn dicom_slice_without_pixel_data(dir: &Path) -> Hostile {
    broken_series(
        dir,
        "dicom_slice_without_pixel_data",
        "without PixelData",
        |e| {
            drop_tag(e, (0x7FE0, 0x0010));
            None
        },
    )
}

/// A private element declaring 0xFFFFFFF0 value bytes in a small file.
pub fn dicom_huge_element_length(dir: &Path) -> Hostile {
    broken_series(dir, "dicom_huge_element_length", "4294967280", |e| {
        let mut b = dicom::ct_slice_file(e, 1);
        // (0009,0010) OB with a huge length, before the end of the file
        b.extend_from_slice(&[0x09, 0x00, 0x10, 0x10, b'O', b'B', 0, 0]);
        b.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        b.extend_from_slice(&[0u8; 16]);
        Some(b)
    })
}

/// Sequences nested 200 deep.
pub fn dicom_deep_nesting(dir: &Path) -> Hostile {
    broken_series(dir, "dicom_deep_nesting", "nested more than", |e| {
        let mut inner = vec![dicom::text((0x0008, 0x1155), "UI", "1.2.3")];
        for _ in 0..200 {
            inner = vec![dicom::seq((0x0008, 0x1140), vec![inner])];
        }
        e.extend(inner);
        None
    })
}

/// An item tag at the top level of the data set.
pub fn dicom_item_outside_sequence(dir: &Path) -> Hostile {
    broken_series(dir, "dicom_item_outside_sequence", "(FFFE,E000)", |e| {
        let mut b = dicom::ct_slice_file(e, 1);
        b.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 4, 0, 0, 0, 1, 2, 3, 4]);
        Some(b)
    })
}

/// Pixel data of 10 bytes where 4 × 5 pixels of 16 bits are declared.
pub fn dicom_short_pixel_data(dir: &Path) -> Hostile {
    broken_series(dir, "dicom_short_pixel_data", "pixel data holds", |e| {
        set(e, dicom::raw((0x7FE0, 0x0010), "OW", vec![0u8; 10]));
        None
    })
}

/// BitsAllocated 7.
pub fn dicom_bits_allocated_7(dir: &Path) -> Hostile {
    broken_series(dir, "dicom_bits_allocated_7", "BitsAllocated 7", |e| {
        set(e, dicom::us((0x0028, 0x0100), 7));
        None
    })
}

/// BitsAllocated 2^32 + 16 as text (IS): must not wrap to 16.
pub fn dicom_bits_allocated_wraps(dir: &Path) -> Hostile {
    broken_series(
        dir,
        "dicom_bits_allocated_wraps",
        "BitsAllocated 4294967312",
        |e| {
            set(e, dicom::text((0x0028, 0x0100), "IS", "4294967312"));
            None
        },
    )
}

/// ImagePositionPatient `NaN`.
pub fn dicom_nan_position(dir: &Path) -> Hostile {
    broken_series(dir, "dicom_nan_position", "not finite", |e| {
        set(e, dicom::text((0x0020, 0x0032), "DS", "0\\0\\NaN"));
        None
    })
}

/// A deflated data set that inflates to 160 MiB of zeros (over the 128 MiB the pre-check
/// inflates), about 160 kilobytes on disk.
pub fn dicom_deflate_bomb(dir: &Path) -> Hostile {
    broken_series(dir, "dicom_deflate_bomb", "inflates to more than", |e| {
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&dicom::encode(e)).expect("deflate");
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..160 {
            enc.write_all(&zeros).expect("deflate");
        }
        let body = enc.finish().expect("deflate");
        Some(dicom::part10(
            dicom::CT_IMAGE,
            "2.25.47141",
            "1.2.840.10008.1.2.1.99",
            &body,
        ))
    })
}

/// A slice cut in the middle of its pixel data.
pub fn dicom_truncated_slice(dir: &Path) -> Hostile {
    broken_series(dir, "dicom_truncated_slice", "remain in the file", |e| {
        let mut b = dicom::ct_slice_file(e, 1);
        b.truncate(b.len() - 7);
        Some(b)
    })
}

/// An RTSTRUCT whose contour lies at z = 1e300 mm, for the phantom as a DICOM series.
pub fn rtstruct_contour_far_off(dir: &Path) -> Hostile {
    mkdir(dir);
    let (image, _) = radx_core::phantom::ibsi_digital_phantom();
    let (_, mask) = good_pair(dir);
    let series = dir.join("series");
    dicom::ct_series(&series, &image);
    let square = [
        0.0, 0.0, 1e300, -4.0, 0.0, 1e300, -4.0, -4.0, 1e300, 0.0, -4.0, 1e300,
    ];
    let b = dicom::rtstruct_contours("GTV", &[square.to_vec()]);
    let p = dir.join("rtstruct.dcm");
    std::fs::write(&p, b).expect("write");
    let _ = mask;
    Hostile {
        name: "rtstruct_contour_far_off",
        image: series,
        mask: p.clone(),
        args: Vec::new(),
        names: p,
        expect: "from the nearest image slice",
    }
}
