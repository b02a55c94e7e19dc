//! NIfTI-1 writing: an [`Image`] as a single-file float32 volume (`.nii`, or gzipped
//! `.nii.gz`), with its geometry in both the sform and the qform.

use std::io::Write;
use std::path::Path;

use radx_core::{Grid, Image};

use crate::IoError;

/// Size of the NIfTI-1 header; the voxels start at 352 (after 4 bytes of extension flag).
const HEADER: usize = 348;
const VOX_OFFSET: usize = 352;

/// Writes `image` as a NIfTI-1 float32 volume at `path` (gzipped when the name ends in
/// `.gz`). The affine (sform and qform, code 1 "scanner") maps voxel `(i, j, k)` (x, y, z
/// index) to `origin + D diag(spacing) (i, j, k)`, `D` the direction cosines, as
/// [`crate::read_image`] reads it back. Values are rounded to float32; a non-finite value
/// is an error naming the file.
pub fn write_nifti_image(image: &Image, path: &Path) -> Result<(), IoError> {
    write_nifti(image, path, false)
}

/// [`write_nifti_image`] for a feature map: NaN (a voxel without a value) is written as
/// a float32 NaN; an infinite value is still an error naming the file.
pub fn write_nifti_map(image: &Image, path: &Path) -> Result<(), IoError> {
    write_nifti(image, path, true)
}

/// Writes `volumes` (one grid) as a 4D NIfTI-1 float32 image at `path`: dim\[4\] = the
/// number of volumes, volume `t` stored after volumes 0 to t-1 (as [`crate::read_image_volume`]
/// reads them back). Gzipped when the name ends in `.gz`; a non-finite value or volumes on
/// different grids are errors naming the file.
pub fn write_nifti_volumes(volumes: &[Image], path: &Path) -> Result<(), IoError> {
    let err = |message: String| IoError::Write {
        path: path.into(),
        message,
    };
    let Some(first) = volumes.first() else {
        return Err(err("no volume to write".into()));
    };
    if volumes.len() > i16::MAX as usize {
        return Err(err(format!(
            "{} volumes exceed the NIfTI-1 limit of {}",
            volumes.len(),
            i16::MAX
        )));
    }
    if let Some(t) = volumes.iter().position(|v| v.grid != first.grid) {
        return Err(err(format!("volume {t} is not on the grid of volume 0")));
    }
    write_all(volumes, path, false)
}

fn write_nifti(image: &Image, path: &Path, allow_nan: bool) -> Result<(), IoError> {
    write_all(std::slice::from_ref(image), path, allow_nan)
}

fn write_all(volumes: &[Image], path: &Path, allow_nan: bool) -> Result<(), IoError> {
    let g = &volumes[0].grid;
    let err = |message: String| IoError::Write {
        path: path.into(),
        message,
    };
    if let Some(v) = volumes
        .iter()
        .flat_map(|i| i.data.iter())
        .find(|v| v.is_infinite() || (!allow_nan && v.is_nan()))
    {
        return Err(err(format!("the image holds a non-finite value ({v})")));
    }
    if let Some(n) = g.shape_zyx.iter().find(|&&n| n > i16::MAX as usize) {
        return Err(err(format!(
            "an axis of {n} voxels exceeds the NIfTI-1 limit of {}",
            i16::MAX
        )));
    }
    let mut bytes = header(g, volumes.len());
    bytes.reserve(volumes.len() * volumes[0].data.len() * 4);
    // C order of (z, y, x) is NIfTI file order (x fastest); volumes follow each other.
    for image in volumes {
        for v in image.data.as_standard_layout().iter() {
            bytes.extend_from_slice(&(*v as f32).to_le_bytes());
        }
    }
    let gz = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".gz"));
    let out = if gz {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&bytes)
            .and_then(|_| enc.finish())
            .map_err(|e| err(e.to_string()))?
    } else {
        bytes
    };
    std::fs::write(path, out).map_err(|e| err(e.to_string()))
}

/// The 352 header bytes (little endian) of `volumes` float32 volumes on grid `g` (a 3D
/// image when `volumes` is 1).
fn header(g: &Grid, volumes: usize) -> Vec<u8> {
    let mut h = vec![0u8; VOX_OFFSET];
    let put_i16 =
        |h: &mut Vec<u8>, at: usize, v: i16| h[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put_f32 = |h: &mut Vec<u8>, at: usize, v: f64| {
        h[at..at + 4].copy_from_slice(&(v as f32).to_le_bytes())
    };
    h[0..4].copy_from_slice(&(HEADER as i32).to_le_bytes());
    let [nz, ny, nx] = g.shape_zyx;
    let sp = [g.spacing_zyx[2], g.spacing_zyx[1], g.spacing_zyx[0]]; // x, y, z
    let (ndim, nt) = if volumes > 1 {
        (4, volumes as i16)
    } else {
        (3, 1)
    };
    for (i, v) in [ndim, nx as i16, ny as i16, nz as i16, nt, 1, 1, 1]
        .into_iter()
        .enumerate()
    {
        put_i16(&mut h, 40 + 2 * i, v);
    }
    put_i16(&mut h, 70, 16); // datatype: float32
    put_i16(&mut h, 72, 32); // bits per voxel
                             // Quaternion of the rotation; a left-handed direction flips the z column (qfac -1).
    let d = g.direction;
    let det = d[0][0] * (d[1][1] * d[2][2] - d[1][2] * d[2][1])
        - d[0][1] * (d[1][0] * d[2][2] - d[1][2] * d[2][0])
        + d[0][2] * (d[1][0] * d[2][1] - d[1][1] * d[2][0]);
    let qfac = if det < 0.0 { -1.0 } else { 1.0 };
    let mut r = d;
    for row in r.iter_mut() {
        row[2] *= qfac;
    }
    let (b, c, dq) = quaternion(r);
    put_f32(&mut h, 76, qfac);
    for (i, s) in sp.iter().enumerate() {
        put_f32(&mut h, 80 + 4 * i, *s);
    }
    if volumes > 1 {
        put_f32(&mut h, 92, 1.0); // pixdim[4]: one step between volumes (no unit)
    }
    put_f32(&mut h, 108, VOX_OFFSET as f64);
    put_f32(&mut h, 112, 1.0); // scl_slope
    h[123] = 2; // xyzt_units: mm
    let descrip = b"radx";
    h[148..148 + descrip.len()].copy_from_slice(descrip);
    put_i16(&mut h, 252, 1); // qform_code: scanner
    put_i16(&mut h, 254, 1); // sform_code: scanner
    put_f32(&mut h, 256, b);
    put_f32(&mut h, 260, c);
    put_f32(&mut h, 264, dq);
    for (i, o) in g.origin_xyz.iter().enumerate() {
        put_f32(&mut h, 268 + 4 * i, *o);
    }
    for (row, at) in [280, 296, 312].into_iter().enumerate() {
        for col in 0..3 {
            put_f32(&mut h, at + 4 * col, d[row][col] * sp[col]);
        }
        put_f32(&mut h, at + 12, g.origin_xyz[row]);
    }
    h[344..348].copy_from_slice(b"n+1\0");
    h
}

/// The quaternion `(b, c, d)` (with `a >= 0`) of a proper rotation matrix `r`.
fn quaternion(r: [[f64; 3]; 3]) -> (f64, f64, f64) {
    let trace = r[0][0] + r[1][1] + r[2][2];
    let (a, b, c, d);
    if trace > 0.0 {
        let s = (trace + 1.0).sqrt() * 2.0;
        a = 0.25 * s;
        b = (r[2][1] - r[1][2]) / s;
        c = (r[0][2] - r[2][0]) / s;
        d = (r[1][0] - r[0][1]) / s;
    } else if r[0][0] > r[1][1] && r[0][0] > r[2][2] {
        let s = (1.0 + r[0][0] - r[1][1] - r[2][2]).sqrt() * 2.0;
        a = (r[2][1] - r[1][2]) / s;
        b = 0.25 * s;
        c = (r[0][1] + r[1][0]) / s;
        d = (r[0][2] + r[2][0]) / s;
    } else if r[1][1] > r[2][2] {
        let s = (1.0 + r[1][1] - r[0][0] - r[2][2]).sqrt() * 2.0;
        a = (r[0][2] - r[2][0]) / s;
        b = (r[0][1] + r[1][0]) / s;
        c = 0.25 * s;
        d = (r[1][2] + r[2][1]) / s;
    } else {
        let s = (1.0 + r[2][2] - r[0][0] - r[1][1]).sqrt() * 2.0;
        a = (r[1][0] - r[0][1]) / s;
        b = (r[0][2] + r[2][0]) / s;
        c = (r[1][2] + r[2][1]) / s;
        d = 0.25 * s;
    }
    if a < 0.0 {
        (-b, -c, -d)
    } else {
        (b, c, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    fn image(direction: [[f64; 3]; 3]) -> Image {
        let grid = Grid {
            shape_zyx: [3, 4, 5],
            spacing_zyx: [3.0, 0.977, 1.25],
            origin_xyz: [-120.5, 33.25, 7.0],
            direction,
        };
        let data = Array3::from_shape_fn((3, 4, 5), |(z, y, x)| {
            (z * 100 + y * 10 + x) as f64 * 0.5 - 7.25
        });
        Image::new(grid, data).unwrap()
    }

    fn round_trip(direction: [[f64; 3]; 3], name: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        let im = image(direction);
        write_nifti_image(&im, &path).unwrap();
        let back = crate::read_image(&path).unwrap();
        assert_eq!(back.grid.mismatch(&im.grid, 1e-4), None, "{name}");
        assert_eq!(back.data, im.data.mapv(|v| v as f32 as f64));
        // the qform alone gives the same grid (readers that ignore the sform)
        let raw = if name.ends_with(".gz") {
            use std::io::Read;
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&std::fs::read(&path).unwrap()[..])
                .read_to_end(&mut out)
                .unwrap();
            out
        } else {
            std::fs::read(&path).unwrap()
        };
        let mut no_sform = raw.clone();
        no_sform[254..256].copy_from_slice(&0i16.to_le_bytes());
        let p2 = dir.path().join("qform_only.nii");
        std::fs::write(&p2, no_sform).unwrap();
        let q = crate::read_image(&p2).unwrap();
        assert_eq!(q.grid.mismatch(&im.grid, 1e-4), None, "{name} (qform)");
    }

    #[test]
    fn round_trips_through_the_reader() {
        round_trip(
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            "a.nii.gz",
        );
        // LPS-style flips (left-handed) and a rotation about z by 30 degrees
        round_trip(
            [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]],
            "b.nii",
        );
        round_trip(
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]],
            "c.nii.gz",
        );
        let (s, c) = (0.5f64, 0.75f64.sqrt());
        round_trip([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], "d.nii.gz");
    }

    #[test]
    fn non_finite_values_are_refused_with_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nan.nii");
        let mut im = image([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
        im.data[[0, 0, 0]] = f64::NAN;
        let e = write_nifti_image(&im, &path).unwrap_err().to_string();
        assert!(e.contains("nan.nii") && e.contains("non-finite"), "{e}");
        let e = write_nifti_image(
            &image([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
            &dir.path().join("no/such/dir/x.nii"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("x.nii"), "{e}");
    }
}
