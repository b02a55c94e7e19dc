//! NIfTI-1 and NIfTI-2 reading: `.nii` and `.nii.gz`, the integer and floating point data
//! types, geometry from the sform (else the qform, else pixdim).
//!
//! The 348-byte (NIfTI-1) or 540-byte (NIfTI-2) header is decoded here (version and byte
//! order from `sizeof_hdr`) and checked before
//! any voxel is read: `dim[0]` must be 1 to 7 and every used dimension at least 1;
//! `vox_offset` must be a whole number of bytes, at least 352 (0 is read as 352, as old
//! writers leave it); the voxel count is checked against the voxel limit
//! ([`crate::guard::max_voxels`]) and the declared bytes against the file's length (for
//! `.nii.gz`, against the most the compressed bytes can inflate to). Gzip data is inflated
//! only up to the end of the declared voxels, and gzip data continuing past them is an
//! error (an uncompressed `.nii` may carry bytes after the voxels; they are not read).

use std::path::Path;

use ndarray::Array3;
use radx_core::{Grid, Image, Mask};

use crate::guard::{
    check_inflatable, expect_end, product, read_chunks, skip, vec_for, voxel_count,
};
use crate::{open_error, IoError};

/// Which mask voxels form the ROI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaskSelector {
    /// Every non-zero voxel.
    NonZero,
    /// Voxels equal to this label.
    Label(i64),
}

/// The NIfTI-1 / NIfTI-2 header fields radx uses, decoded from the file's byte order
/// (NIfTI-1's 16-bit and 32-bit fields widened to NIfTI-2's 64-bit ones).
#[derive(Debug, Clone)]
struct Header {
    little: bool,
    /// 1 or 2.
    version: u8,
    dim: [i64; 8],
    datatype: i16,
    pixdim: [f64; 8],
    vox_offset: f64,
    scl_slope: f64,
    scl_inter: f64,
    qform_code: i32,
    sform_code: i32,
    quatern: [f64; 6],
    srow: [[f64; 4]; 3],
    magic: [u8; 4],
}

/// Size of the NIfTI-1 header.
const HEADER_LEN: usize = 348;
/// Size of the NIfTI-2 header.
const HEADER2_LEN: usize = 540;
/// Where the voxels of a single-file NIfTI-1 start at the earliest.
const MIN_VOX_OFFSET: u64 = 352;
/// Where the voxels of a single-file NIfTI-2 start at the earliest.
const MIN_VOX_OFFSET2: u64 = 544;

/// The NIfTI version a header's first four bytes (`sizeof_hdr`) announce, with its byte
/// order (little endian?): 348 → 1, 540 → 2.
fn version_of(b: &[u8]) -> Option<(u8, bool)> {
    let a = [b[0], b[1], b[2], b[3]];
    match (i32::from_le_bytes(a), i32::from_be_bytes(a)) {
        (348, _) => Some((1, true)),
        (_, 348) => Some((1, false)),
        (540, _) => Some((2, true)),
        (_, 540) => Some((2, false)),
        _ => None,
    }
}

impl Header {
    /// Decodes the 348 header bytes of a NIfTI-1 file (byte order from `sizeof_hdr`).
    fn parse(b: &[u8; HEADER_LEN], path: &Path) -> Result<Header, IoError> {
        let little = match version_of(b) {
            Some((1, little)) => little,
            _ => {
                let le = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                return Err(IoError::NotNifti {
                    path: path.into(),
                    message: format!(
                        "header size field is {le}, not 348 (NIfTI-1) or 540 (NIfTI-2)"
                    ),
                });
            }
        };
        let i16_at = |o: usize| {
            let a = [b[o], b[o + 1]];
            if little {
                i16::from_le_bytes(a)
            } else {
                i16::from_be_bytes(a)
            }
        };
        let f32_at = |o: usize| {
            let a = [b[o], b[o + 1], b[o + 2], b[o + 3]];
            (if little {
                f32::from_le_bytes(a)
            } else {
                f32::from_be_bytes(a)
            }) as f64
        };
        let mut dim = [0i64; 8];
        let mut pixdim = [0f64; 8];
        for i in 0..8 {
            dim[i] = i16_at(40 + 2 * i) as i64;
            pixdim[i] = f32_at(76 + 4 * i);
        }
        let mut quatern = [0f64; 6];
        for (i, q) in quatern.iter_mut().enumerate() {
            *q = f32_at(256 + 4 * i);
        }
        let mut srow = [[0f64; 4]; 3];
        for (r, row) in srow.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = f32_at(280 + 16 * r + 4 * c);
            }
        }
        Ok(Header {
            little,
            version: 1,
            dim,
            datatype: i16_at(70),
            pixdim,
            vox_offset: f32_at(108),
            scl_slope: f32_at(112),
            scl_inter: f32_at(116),
            qform_code: i16_at(252) as i32,
            sform_code: i16_at(254) as i32,
            quatern,
            srow,
            magic: [b[344], b[345], b[346], b[347]],
        })
    }

    /// Decodes the 540 header bytes of a NIfTI-2 file (byte order from `sizeof_hdr`):
    /// magic at 4, datatype at 12, dim (8 × i64) at 16, pixdim (8 × f64) at 104,
    /// vox_offset (i64) at 168, scl_slope / scl_inter at 176 / 184, qform_code / sform_code
    /// (i32) at 344 / 348, quatern_b..qoffset_z (6 × f64) at 352, srow_x/y/z (4 × f64) at
    /// 400 / 432 / 464.
    fn parse2(b: &[u8; HEADER2_LEN], little: bool) -> Header {
        let bytes = |o: usize, n: usize| -> [u8; 8] {
            let mut a = [0u8; 8];
            a[..n].copy_from_slice(&b[o..o + n]);
            a
        };
        let i16_at = |o: usize| {
            let a = [b[o], b[o + 1]];
            if little {
                i16::from_le_bytes(a)
            } else {
                i16::from_be_bytes(a)
            }
        };
        let i32_at = |o: usize| {
            let a = [b[o], b[o + 1], b[o + 2], b[o + 3]];
            if little {
                i32::from_le_bytes(a)
            } else {
                i32::from_be_bytes(a)
            }
        };
        let i64_at = |o: usize| {
            let a = bytes(o, 8);
            if little {
                i64::from_le_bytes(a)
            } else {
                i64::from_be_bytes(a)
            }
        };
        let f64_at = |o: usize| {
            let a = bytes(o, 8);
            if little {
                f64::from_le_bytes(a)
            } else {
                f64::from_be_bytes(a)
            }
        };
        let mut dim = [0i64; 8];
        let mut pixdim = [0f64; 8];
        for i in 0..8 {
            dim[i] = i64_at(16 + 8 * i);
            pixdim[i] = f64_at(104 + 8 * i);
        }
        let mut quatern = [0f64; 6];
        for (i, q) in quatern.iter_mut().enumerate() {
            *q = f64_at(352 + 8 * i);
        }
        let mut srow = [[0f64; 4]; 3];
        for (r, row) in srow.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = f64_at(400 + 32 * r + 8 * c);
            }
        }
        let vox = i64_at(168);
        Header {
            little,
            version: 2,
            dim,
            datatype: i16_at(12),
            pixdim,
            vox_offset: vox as f64,
            scl_slope: f64_at(176),
            scl_inter: f64_at(184),
            qform_code: i32_at(344),
            sform_code: i32_at(348),
            quatern,
            srow,
            magic: [b[4], b[5], b[6], b[7]],
        }
    }
}

/// A voxel data type radx reads.
#[derive(Debug, Clone, Copy, PartialEq)]
enum DataType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
}

impl DataType {
    fn of(code: i16, path: &Path) -> Result<DataType, IoError> {
        let unsupported = |name: &str| {
            IoError::Unsupported {
            path: path.into(),
            message: format!(
                "datatype {name} (code {code}) is not supported (use an integer or float32/float64 image)"
            ),
        }
        };
        Ok(match code {
            2 => DataType::U8,
            4 => DataType::I16,
            8 => DataType::I32,
            16 => DataType::F32,
            64 => DataType::F64,
            256 => DataType::I8,
            512 => DataType::U16,
            768 => DataType::U32,
            1024 => DataType::I64,
            1280 => DataType::U64,
            1 => return Err(unsupported("Binary")),
            32 => return Err(unsupported("Complex64")),
            128 => return Err(unsupported("Rgb24")),
            1536 => return Err(unsupported("Float128")),
            1792 => return Err(unsupported("Complex128")),
            2048 => return Err(unsupported("Complex256")),
            2304 => return Err(unsupported("Rgba32")),
            _ => {
                return Err(IoError::Unsupported {
                    path: path.into(),
                    message: format!("unknown datatype code {code}"),
                })
            }
        })
    }

    fn size(self) -> usize {
        match self {
            DataType::U8 | DataType::I8 => 1,
            DataType::U16 | DataType::I16 => 2,
            DataType::U32 | DataType::I32 | DataType::F32 => 4,
            DataType::U64 | DataType::I64 | DataType::F64 => 8,
        }
    }

    /// Appends the values of `bytes` (whole samples, file order) as f64.
    fn decode_into(self, bytes: &[u8], little: bool, out: &mut Vec<f64>) {
        macro_rules! conv {
            ($t:ty) => {{
                const N: usize = std::mem::size_of::<$t>();
                out.extend(bytes.chunks_exact(N).map(|c| {
                    let mut a = [0u8; N];
                    a.copy_from_slice(c);
                    (if little {
                        <$t>::from_le_bytes(a)
                    } else {
                        <$t>::from_be_bytes(a)
                    }) as f64
                }))
            }};
        }
        match self {
            DataType::U8 => out.extend(bytes.iter().map(|&b| b as f64)),
            DataType::I8 => out.extend(bytes.iter().map(|&b| b as i8 as f64)),
            DataType::U16 => conv!(u16),
            DataType::I16 => conv!(i16),
            DataType::U32 => conv!(u32),
            DataType::I32 => conv!(i32),
            DataType::U64 => conv!(u64),
            DataType::I64 => conv!(i64),
            DataType::F32 => conv!(f32),
            DataType::F64 => conv!(f64),
        }
    }
}

/// The byte offset of the voxels: `vox_offset`, which must be a whole number of bytes
/// past the header (352 bytes for NIfTI-1, 544 for NIfTI-2; 0, as some old writers leave
/// it, means that).
fn voxel_offset(h: &Header, path: &Path) -> Result<u64, IoError> {
    let v = h.vox_offset;
    let min = if h.version == 2 {
        MIN_VOX_OFFSET2
    } else {
        MIN_VOX_OFFSET
    };
    // NIfTI-1 stores a float32: print the number as written in the header.
    let shown = |v: f64| -> String {
        match (h.version == 2, v.abs() >= 1e9) {
            (false, true) => format!("{:e}", v as f32),
            (false, false) => format!("{}", v as f32),
            (true, true) => format!("{v:e}"),
            (true, false) => format!("{v}"),
        }
    };
    let bad = |why: &str| IoError::Invalid {
        path: path.into(),
        message: format!("vox_offset = {} {why}", shown(v)),
    };
    if !v.is_finite() || v < 0.0 {
        return Err(bad(&format!(
            "is not a byte offset (a finite number of at least {min})"
        )));
    }
    if v.fract() != 0.0 {
        return Err(bad("is not a whole number of bytes"));
    }
    if v == 0.0 {
        return Ok(min);
    }
    if v < min as f64 {
        return Err(bad(&format!("lies inside the {min}-byte header")));
    }
    if v >= u64::MAX as f64 {
        return Err(bad("is beyond any file"));
    }
    Ok(v as u64)
}

/// What the header says about the voxels: dims (x, y, z), data type, where they start.
struct Layout {
    /// x, y, z sizes of one volume.
    dims: [usize; 3],
    /// Number of volumes (dim[4] of a 4D image; 1 for a 3D one).
    volumes: usize,
    datatype: DataType,
    offset: u64,
    bytes: u64,
}

fn layout(h: &Header, path: &Path) -> Result<Layout, IoError> {
    if h.version == 2 && &h.magic[..3] != b"n+2" {
        return Err(IoError::NotNifti {
            path: path.into(),
            message: format!(
                "a NIfTI-2 header (size 540) with magic {:?} (\"n+2\" expected; two-file NIfTI-2 is not read)",
                String::from_utf8_lossy(&h.magic).trim_end_matches('\0')
            ),
        });
    }
    if h.version == 1 && &h.magic[..3] != b"n+1" {
        return Err(if &h.magic[..3] == b"ni1" {
            IoError::Unsupported {
                path: path.into(),
                message: "a two-file NIfTI (.hdr/.img); radx reads single-file .nii / .nii.gz"
                    .into(),
            }
        } else {
            IoError::NotNifti {
                path: path.into(),
                message: format!(
                    "unknown magic {:?} (\"n+1\" expected)",
                    String::from_utf8_lossy(&h.magic).trim_end_matches('\0')
                ),
            }
        });
    }
    let ndim = h.dim[0];
    if !(1..=7).contains(&ndim) {
        return Err(IoError::Invalid {
            path: path.into(),
            message: format!("dim[0] = {ndim} is not a dimension count (1 to 7)"),
        });
    }
    let ndim = ndim as usize;
    for i in 1..=ndim {
        if h.dim[i] < 1 || h.dim[i] > i32::MAX as i64 {
            return Err(IoError::Invalid {
                path: path.into(),
                message: format!(
                    "dim[{i}] = {}: every dimension must be at least 1 (dims {:?})",
                    h.dim[i],
                    &h.dim[1..=ndim]
                ),
            });
        }
    }
    if ndim > 4 && h.dim[5..=ndim].iter().any(|&d| d > 1) {
        return Err(IoError::Unsupported {
            path: path.into(),
            message: format!(
                "{}-dimensional image with dims {:?}; radx reads 3D volumes and one volume of \
                 a 4D image",
                ndim,
                &h.dim[1..=ndim]
            ),
        });
    }
    let volumes = if ndim >= 4 { h.dim[4] as usize } else { 1 };
    let datatype = DataType::of(h.datatype, path)?;
    let dims: [usize; 3] =
        std::array::from_fn(|i| if i < ndim { h.dim[i + 1] as usize } else { 1 });
    let offset = voxel_offset(h, path)?;
    let count = product(path, &dims.map(|d| d as u64))?;
    let bytes = count
        .checked_mul(datatype.size() as u64)
        .ok_or_else(|| IoError::Invalid {
            path: path.into(),
            message: format!("{count} voxels of {} bytes overflow", datatype.size()),
        })?;
    Ok(Layout {
        dims,
        volumes,
        datatype,
        offset,
        bytes,
    })
}

/// The 0-based volume to read from a 4D NIfTI image: `wanted`, which must be below the
/// number of volumes; without a choice, a 4D image holding more than one volume is an error
/// naming that number.
fn choose_volume(
    path: &Path,
    h: &Header,
    volumes: usize,
    wanted: Option<usize>,
    mask: bool,
) -> Result<usize, IoError> {
    let dims = &h.dim[1..=(h.dim[0].clamp(1, 7) as usize)];
    match wanted {
        None if volumes == 1 => Ok(0),
        // a 3D label map applies to whichever volume of the image was read
        Some(_) if mask && volumes == 1 => Ok(0),
        None => Err(IoError::Unsupported {
            path: path.into(),
            message: format!(
                "4D image holding {volumes} volumes (dims {dims:?}); choose one, 0-based: 0 to \
                 {} (radx extract --volume N, cohort column `volume`)",
                volumes - 1
            ),
        }),
        Some(v) if v < volumes => Ok(v),
        Some(v) => Err(IoError::Invalid {
            path: path.into(),
            message: format!(
                "volume {v} does not exist: the image holds {volumes} volume{} (dims {dims:?}; \
                 volumes are numbered from 0, so 0 to {})",
                if volumes == 1 { "" } else { "s" },
                volumes - 1
            ),
        }),
    }
}

/// Reads a 3D NIfTI image, or volume `volume` (0-based) of a 4D one; also returns the
/// number of volumes the file holds. `mask`: a label map read for a volume of an image,
/// where a 3D file is used whatever that volume.
fn read_volume(
    path: &Path,
    volume: Option<usize>,
    mask: bool,
) -> Result<(Grid, Array3<f64>, usize), IoError> {
    use std::io::{BufReader, Read};
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
    if meta.is_dir() {
        return Err(IoError::Invalid {
            path: path.into(),
            message: "is a folder; a NIfTI file (.nii or .nii.gz) is expected".into(),
        });
    }
    let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let file_len = file.metadata().map_err(|e| open_error(path, e))?.len();
    let mut file = BufReader::new(file);
    let gzip = std::io::BufRead::fill_buf(&mut file)
        .map_err(|e| open_error(path, e))?
        .starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn Read> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let what = if gzip { "gzip stream" } else { "header" };
    let mut hb = [0u8; HEADER_LEN];
    let mut have = 0;
    while have < HEADER_LEN {
        match reader.read(&mut hb[have..]) {
            Ok(0) => break,
            Ok(k) => have += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(IoError::Truncated {
                    path: path.into(),
                    message: format!("{what}: {e}"),
                })
            }
        }
    }
    if have < HEADER_LEN {
        return Err(IoError::NotNifti {
            path: path.into(),
            message: format!("{have} bytes, shorter than a NIfTI-1 header (348)"),
        });
    }
    let (header, header_len) = match version_of(&hb) {
        Some((2, little)) => {
            let mut h2 = [0u8; HEADER2_LEN];
            h2[..HEADER_LEN].copy_from_slice(&hb);
            let mut have = HEADER_LEN;
            while have < HEADER2_LEN {
                match reader.read(&mut h2[have..]) {
                    Ok(0) => break,
                    Ok(k) => have += k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Err(IoError::Truncated {
                            path: path.into(),
                            message: format!("{what}: {e}"),
                        })
                    }
                }
            }
            if have < HEADER2_LEN {
                return Err(IoError::Truncated {
                    path: path.into(),
                    message: format!("{have} bytes, shorter than a NIfTI-2 header (540)"),
                });
            }
            (Header::parse2(&h2, little), HEADER2_LEN)
        }
        _ => (Header::parse(&hb, path)?, HEADER_LEN),
    };
    let lay = layout(&header, path)?;
    let chosen = choose_volume(path, &header, lay.volumes, volume, mask)?;
    let all_bytes = lay
        .bytes
        .checked_mul(lay.volumes as u64)
        .ok_or_else(|| IoError::Invalid {
            path: path.into(),
            message: format!("{} volumes of {} bytes overflow", lay.volumes, lay.bytes),
        })?;
    let end = lay
        .offset
        .checked_add(all_bytes)
        .ok_or_else(|| IoError::Invalid {
            path: path.into(),
            message: format!(
                "vox_offset {} + {} bytes of voxels overflow",
                lay.offset, lay.bytes
            ),
        })?;
    let shape = if lay.volumes > 1 {
        format!(
            "{} x {} x {} x {} voxels of {} bytes",
            lay.dims[0],
            lay.dims[1],
            lay.dims[2],
            lay.volumes,
            lay.datatype.size()
        )
    } else {
        format!(
            "{} x {} x {} voxels of {} bytes",
            lay.dims[0],
            lay.dims[1],
            lay.dims[2],
            lay.datatype.size()
        )
    };
    if gzip {
        check_inflatable(path, file_len, end)?;
    } else if end > file_len {
        return Err(IoError::Truncated {
            path: path.into(),
            message: format!(
                "the header declares {} bytes of voxel data ({shape}) from byte {}, but the file \
                 holds {file_len} bytes",
                all_bytes, lay.offset
            ),
        });
    }
    // Only now, with the file known to be able to hold them, the voxel limit.
    let count = voxel_count(path, &lay.dims.map(|d| d as u64))?;
    let grid = geometry(&header, [lay.dims[2], lay.dims[1], lay.dims[0]], path)?;
    skip(
        &mut reader,
        lay.offset - header_len as u64,
        path,
        "header extensions before the voxels",
    )?;
    if chosen > 0 {
        skip(
            &mut reader,
            chosen as u64 * lay.bytes,
            path,
            &format!("volumes before volume {chosen}"),
        )?;
    }
    let mut values: Vec<f64> = vec_for(path, count)?;
    let size = lay.datatype.size();
    read_chunks(
        &mut reader,
        lay.bytes,
        size,
        path,
        &format!("voxel data ({shape})"),
        |c| lay.datatype.decode_into(c, header.little, &mut values),
    )?;
    if gzip {
        let after = (lay.volumes - 1 - chosen) as u64 * lay.bytes;
        if after > 0 {
            skip(&mut reader, after, path, "volumes after the one read")?;
        }
        expect_end(&mut reader, path, "gzip data")?;
    }
    let (slope, inter) = (header.scl_slope, header.scl_inter);
    if slope != 0.0 && (slope != 1.0 || inter != 0.0) {
        values.iter_mut().for_each(|x| *x = *x * slope + inter);
    }
    // File order is x fastest: exactly C order of a (z, y, x) array.
    let data =
        Array3::from_shape_vec((lay.dims[2], lay.dims[1], lay.dims[0]), values).map_err(|e| {
            IoError::Invalid {
                path: path.into(),
                message: e.to_string(),
            }
        })?;
    Ok((grid, data, lay.volumes))
}

fn geometry(h: &Header, shape_zyx: [usize; 3], path: &Path) -> Result<Grid, IoError> {
    let pix = [h.pixdim[1], h.pixdim[2], h.pixdim[3]];
    // affine columns: world vector of one step along i, j, k
    let (cols, origin): ([[f64; 3]; 3], [f64; 3]) = if h.sform_code > 0 {
        let r = h.srow;
        (
            [
                [r[0][0], r[1][0], r[2][0]],
                [r[0][1], r[1][1], r[2][1]],
                [r[0][2], r[1][2], r[2][2]],
            ],
            [r[0][3], r[1][3], r[2][3]],
        )
    } else if h.qform_code > 0 {
        let [b, c, d, qx, qy, qz] = h.quatern;
        let a = (1.0 - (b * b + c * c + d * d)).max(0.0).sqrt();
        let rot = [
            [
                a * a + b * b - c * c - d * d,
                2.0 * (b * c - a * d),
                2.0 * (b * d + a * c),
            ],
            [
                2.0 * (b * c + a * d),
                a * a + c * c - b * b - d * d,
                2.0 * (c * d - a * b),
            ],
            [
                2.0 * (b * d - a * c),
                2.0 * (c * d + a * b),
                a * a + d * d - b * b - c * c,
            ],
        ];
        let qfac = if h.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let sp = [pix[0].abs(), pix[1].abs(), pix[2].abs() * qfac];
        let mut cols = [[0.0; 3]; 3];
        for (c_idx, col) in cols.iter_mut().enumerate() {
            for (r_idx, v) in col.iter_mut().enumerate() {
                *v = rot[r_idx][c_idx] * sp[c_idx];
            }
        }
        (cols, [qx, qy, qz])
    } else {
        (
            [
                [pix[0].abs(), 0.0, 0.0],
                [0.0, pix[1].abs(), 0.0],
                [0.0, 0.0, pix[2].abs()],
            ],
            [0.0; 3],
        )
    };
    let mut spacing_xyz = [0.0; 3];
    let mut direction = [[0.0; 3]; 3];
    for c in 0..3 {
        let n = (cols[c][0].powi(2) + cols[c][1].powi(2) + cols[c][2].powi(2)).sqrt();
        if !(n.is_finite() && n > 0.0) {
            return Err(IoError::Invalid {
                path: path.into(),
                message: format!("voxel spacing along axis {c} is {n}, not a positive number"),
            });
        }
        spacing_xyz[c] = n;
        for r in 0..3 {
            direction[r][c] = cols[c][r] / n;
        }
    }
    let grid = Grid {
        shape_zyx,
        spacing_zyx: [spacing_xyz[2], spacing_xyz[1], spacing_xyz[0]],
        origin_xyz: origin,
        direction,
    };
    crate::guard::check_grid(path, &grid)?;
    Ok(grid)
}

/// Reads a NIfTI image (any integer or float type; scaling slope/intercept applied).
/// A 4D image holding more than one volume is an error naming that number (see
/// [`read_image_volume`]).
pub fn read_image(path: &Path) -> Result<Image, IoError> {
    read_image_volume(path, None).map(|(image, _)| image)
}

/// Reads a NIfTI image: a 3D one, or volume `volume` (0-based, along dim\[4\]) of a 4D one,
/// with the number of volumes the file holds. `None` reads a 3D image (or a 4D one holding a
/// single volume); a 4D image holding several is then an error naming their number, and so
/// is an index past the last volume.
pub fn read_image_volume(path: &Path, volume: Option<usize>) -> Result<(Image, usize), IoError> {
    let (grid, data, volumes) = read_volume(path, volume, false)?;
    let image = Image::new(grid, data).map_err(|e| IoError::Invalid {
        path: path.into(),
        message: e.to_string(),
    })?;
    Ok((image, volumes))
}

/// Reads a NIfTI mask; voxels selected by `selector` form the ROI. A label that no voxel
/// carries is an error that lists the labels present.
pub fn read_mask(path: &Path, selector: MaskSelector) -> Result<Mask, IoError> {
    let (grid, data, _) = read_volume(path, None, false)?;
    let sel = select_labels(path, &data, selector)?;
    Mask::new(grid, sel).map_err(|e| IoError::Invalid {
        path: path.into(),
        message: e.to_string(),
    })
}

/// A NIfTI label map read for volume `volume` of a 4D image: its volume of that index
/// when it is 4D, the file itself when it is 3D.
pub(crate) fn read_label_nifti(
    path: &Path,
    volume: Option<usize>,
) -> Result<(Grid, Array3<f64>), IoError> {
    read_volume(path, volume, true).map(|(g, d, _)| (g, d))
}

/// The voxels of a label map that `selector` picks, with errors naming `path`.
///
/// A label map holds whole numbers: a non-finite or non-integer value (e.g. 0.3 in a
/// probability map) is an error, never silently taken as ROI (threshold such a map
/// first). `Label(0)` is an error: 0 is the background. A selection that picks nothing
/// is an error listing the labels present.
pub fn select_labels(
    path: &Path,
    data: &Array3<f64>,
    selector: MaskSelector,
) -> Result<Array3<bool>, IoError> {
    let invalid = |message: String| IoError::Invalid {
        path: path.into(),
        message,
    };
    if selector == MaskSelector::Label(0) {
        return Err(invalid(
            "label 0 is the background, not an ROI; give a label other than 0, or no label \
             to take every non-zero voxel"
                .into(),
        ));
    }
    let bad = data
        .indexed_iter()
        .filter(|(_, v)| !(v.is_finite() && v.fract() == 0.0))
        .fold((0usize, None), |(n, first), (i, &v)| {
            (n + 1, first.or(Some((i, v))))
        });
    if let (count, Some(((z, y, x), v))) = bad {
        let what = if v.is_finite() {
            "non-integer"
        } else {
            "non-finite"
        };
        return Err(invalid(format!(
            "mask holds {count} {what} values (the first {v} at voxel (z, y, x) = ({z}, {y}, {x})); \
             a mask must be a label map of whole numbers (threshold a probability map first)"
        )));
    }
    let sel = match selector {
        MaskSelector::NonZero => data.mapv(|v| v != 0.0),
        MaskSelector::Label(l) => data.mapv(|v| v == l as f64),
    };
    if !sel.iter().any(|&v| v) {
        let labels: std::collections::BTreeSet<i64> = data.iter().map(|&v| v as i64).collect();
        let shown: Vec<String> = labels.iter().take(20).map(|l| l.to_string()).collect();
        let message = match selector {
            MaskSelector::NonZero => "mask is empty: no non-zero voxel".to_string(),
            MaskSelector::Label(l) => format!(
                "label {l} is absent from the mask; labels present: {}",
                shown.join(", ")
            ),
        };
        return Err(invalid(message));
    }
    Ok(sel)
}
