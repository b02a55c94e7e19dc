//! NIfTI-1 reading with the `nifti` crate: `.nii` and `.nii.gz`, the integer and
//! floating point data types, geometry from the sform (else the qform, else pixdim).

use std::path::Path;

use ndarray::Array3;
use nifti::{NiftiHeader, NiftiType};
use radx_core::{Grid, Image, Mask};

use crate::{open_error, IoError};

/// Which mask voxels form the ROI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaskSelector {
    /// Every non-zero voxel.
    NonZero,
    /// Voxels equal to this label.
    Label(i64),
}

/// Reads the file's bytes, gunzipping `.gz` (or anything starting with the gzip magic).
fn read_bytes(path: &Path) -> Result<Vec<u8>, IoError> {
    use std::io::Read;
    let raw = std::fs::read(path).map_err(|e| open_error(path, e))?;
    if raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| IoError::Truncated {
                path: path.into(),
                message: format!("gzip stream: {e}"),
            })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Decodes voxel bytes of `datatype` in file order (x fastest, i.e. C order of (z, y, x))
/// to f64, applying the header's scaling when it is set.
fn decode(bytes: &[u8], datatype: NiftiType, little: bool, slope: f64, inter: f64) -> Vec<f64> {
    macro_rules! conv {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            bytes
                .chunks_exact(N)
                .map(|c| {
                    let a: [u8; N] = c.try_into().expect("chunk size");
                    (if little {
                        <$t>::from_le_bytes(a)
                    } else {
                        <$t>::from_be_bytes(a)
                    }) as f64
                })
                .collect::<Vec<f64>>()
        }};
    }
    let mut v = match datatype {
        NiftiType::Uint8 => bytes.iter().map(|&b| b as f64).collect(),
        NiftiType::Int8 => bytes.iter().map(|&b| b as i8 as f64).collect(),
        NiftiType::Uint16 => conv!(u16),
        NiftiType::Int16 => conv!(i16),
        NiftiType::Uint32 => conv!(u32),
        NiftiType::Int32 => conv!(i32),
        NiftiType::Uint64 => conv!(u64),
        NiftiType::Int64 => conv!(i64),
        NiftiType::Float32 => conv!(f32),
        NiftiType::Float64 => conv!(f64),
        _ => unreachable!("checked by the caller"),
    };
    if slope != 0.0 && (slope != 1.0 || inter != 0.0) {
        v.iter_mut().for_each(|x| *x = *x * slope + inter);
    }
    v
}

fn bytes_per_voxel(t: NiftiType) -> Option<usize> {
    Some(match t {
        NiftiType::Uint8 | NiftiType::Int8 => 1,
        NiftiType::Uint16 | NiftiType::Int16 => 2,
        NiftiType::Uint32 | NiftiType::Int32 | NiftiType::Float32 => 4,
        NiftiType::Uint64 | NiftiType::Int64 | NiftiType::Float64 => 8,
        _ => return None,
    })
}

fn read_volume(path: &Path) -> Result<(Grid, Array3<f64>), IoError> {
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
    if meta.is_dir() {
        return Err(IoError::Invalid {
            path: path.into(),
            message: "is a folder; a NIfTI file (.nii or .nii.gz) is expected".into(),
        });
    }
    let bytes = read_bytes(path)?;
    if bytes.len() < 348 {
        return Err(IoError::NotNifti {
            path: path.into(),
            message: format!("{} bytes, shorter than a NIfTI-1 header (348)", bytes.len()),
        });
    }
    let header = NiftiHeader::from_reader(&bytes[..]).map_err(|e| classify(path, e))?;
    if &header.magic[..3] != b"n+1" {
        return Err(IoError::Unsupported {
            path: path.into(),
            message: "a two-file NIfTI (.hdr/.img) or unknown magic; radx reads single-file .nii / .nii.gz".into(),
        });
    }
    let datatype = header.data_type().map_err(|e| IoError::Unsupported {
        path: path.into(),
        message: format!("unknown datatype code {}: {e}", header.datatype),
    })?;
    let Some(size) = bytes_per_voxel(datatype) else {
        return Err(IoError::Unsupported {
            path: path.into(),
            message: format!(
                "datatype {datatype:?} is not supported (use an integer or float32/float64 image)"
            ),
        });
    };
    let ndim = header.dim[0] as usize;
    if !(1..=7).contains(&ndim) {
        return Err(IoError::Invalid {
            path: path.into(),
            message: format!("dim[0] = {} is not a valid dimension count", header.dim[0]),
        });
    }
    if header.dim[1..=ndim].iter().any(|&d| d < 1) {
        return Err(IoError::Invalid {
            path: path.into(),
            message: format!("dims {:?} must all be at least 1", &header.dim[1..=ndim]),
        });
    }
    if ndim > 3 && header.dim[4..=ndim].iter().any(|&d| d > 1) {
        return Err(IoError::Unsupported {
            path: path.into(),
            message: format!(
                "{}-dimensional image with dims {:?}; radx reads 3D volumes",
                ndim,
                &header.dim[1..=ndim]
            ),
        });
    }
    let dims: Vec<usize> = (1..=3)
        .map(|i| if i <= ndim { header.dim[i] as usize } else { 1 })
        .collect();
    let n = dims[0] * dims[1] * dims[2];
    let offset = (header.vox_offset as usize).max(352);
    let needed = n * size;
    if bytes.len() < offset + needed {
        return Err(IoError::Truncated {
            path: path.into(),
            message: format!(
                "expected {needed} bytes of voxel data after offset {offset}, found {}",
                bytes.len().saturating_sub(offset)
            ),
        });
    }
    let little = header.endianness == nifti::Endianness::Little;
    let values = decode(
        &bytes[offset..offset + needed],
        datatype,
        little,
        header.scl_slope as f64,
        header.scl_inter as f64,
    );
    // File order is x fastest: exactly C order of a (z, y, x) array.
    let data = Array3::from_shape_vec((dims[2], dims[1], dims[0]), values).map_err(|e| {
        IoError::Invalid {
            path: path.into(),
            message: e.to_string(),
        }
    })?;
    let grid = geometry(&header, [dims[2], dims[1], dims[0]], path)?;
    Ok((grid, data))
}

fn classify(path: &Path, e: nifti::NiftiError) -> IoError {
    let message = e.to_string();
    match e {
        nifti::NiftiError::InvalidFormat => IoError::NotNifti {
            path: path.into(),
            message,
        },
        nifti::NiftiError::Io(ref io) if io.kind() == std::io::ErrorKind::NotFound => {
            IoError::NotFound { path: path.into() }
        }
        nifti::NiftiError::Io(ref io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidInput
            ) =>
        {
            IoError::Truncated {
                path: path.into(),
                message,
            }
        }
        nifti::NiftiError::Io(_) => IoError::Truncated {
            path: path.into(),
            message,
        },
        nifti::NiftiError::IncompatibleLength(..) => IoError::Truncated {
            path: path.into(),
            message,
        },
        _ => IoError::NotNifti {
            path: path.into(),
            message,
        },
    }
}

fn geometry(h: &NiftiHeader, shape_zyx: [usize; 3], path: &Path) -> Result<Grid, IoError> {
    let pix = [h.pixdim[1] as f64, h.pixdim[2] as f64, h.pixdim[3] as f64];
    // affine columns: world vector of one step along i, j, k
    let (cols, origin): ([[f64; 3]; 3], [f64; 3]) = if h.sform_code > 0 {
        let r = [h.srow_x, h.srow_y, h.srow_z];
        (
            [
                [r[0][0] as f64, r[1][0] as f64, r[2][0] as f64],
                [r[0][1] as f64, r[1][1] as f64, r[2][1] as f64],
                [r[0][2] as f64, r[1][2] as f64, r[2][2] as f64],
            ],
            [r[0][3] as f64, r[1][3] as f64, r[2][3] as f64],
        )
    } else if h.qform_code > 0 {
        let (b, c, d) = (h.quatern_b as f64, h.quatern_c as f64, h.quatern_d as f64);
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
        (
            cols,
            [h.quatern_x as f64, h.quatern_y as f64, h.quatern_z as f64],
        )
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
    Ok(Grid {
        shape_zyx,
        spacing_zyx: [spacing_xyz[2], spacing_xyz[1], spacing_xyz[0]],
        origin_xyz: origin,
        direction,
    })
}

/// Reads a NIfTI image (any integer or float type; scaling slope/intercept applied).
pub fn read_image(path: &Path) -> Result<Image, IoError> {
    let (grid, data) = read_volume(path)?;
    Image::new(grid, data).map_err(|e| IoError::Invalid {
        path: path.into(),
        message: e.to_string(),
    })
}

/// Reads a NIfTI mask; voxels selected by `selector` form the ROI. A label that no voxel
/// carries is an error that lists the labels present.
pub fn read_mask(path: &Path, selector: MaskSelector) -> Result<Mask, IoError> {
    let (grid, data) = read_volume(path)?;
    let sel = select_labels(path, &data, selector)?;
    Mask::new(grid, sel).map_err(|e| IoError::Invalid {
        path: path.into(),
        message: e.to_string(),
    })
}

/// The voxels of a label map that `selector` picks. Non-finite values, and a selection
/// that picks nothing (an error listing the labels present), are errors naming `path`.
pub fn select_labels(
    path: &Path,
    data: &Array3<f64>,
    selector: MaskSelector,
) -> Result<Array3<bool>, IoError> {
    if data.iter().any(|v| !v.is_finite()) {
        return Err(IoError::Invalid {
            path: path.into(),
            message: "mask holds non-finite values".into(),
        });
    }
    let sel = match selector {
        MaskSelector::NonZero => data.mapv(|v| v != 0.0),
        MaskSelector::Label(l) => {
            data.mapv(|v| v.round() as i64 == l && v != 0.0 || (l == 0 && v == 0.0))
        }
    };
    if !sel.iter().any(|&v| v) {
        let mut labels: Vec<i64> = data.iter().map(|v| v.round() as i64).collect();
        labels.sort_unstable();
        labels.dedup();
        let shown: Vec<String> = labels.iter().take(20).map(|l| l.to_string()).collect();
        let message = match selector {
            MaskSelector::NonZero => "mask is empty: no non-zero voxel".to_string(),
            MaskSelector::Label(l) => format!(
                "label {l} is absent from the mask; labels present: {}",
                shown.join(", ")
            ),
        };
        return Err(IoError::Invalid {
            path: path.into(),
            message,
        });
    }
    Ok(sel)
}
