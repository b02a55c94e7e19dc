//! Guards the readers share against hostile or corrupt headers (NIfTI, NRRD, DICOM).
//!
//! A header is never trusted to size an allocation: every count is multiplied with checked
//! arithmetic, compared with what the file can really hold (its length, or for gzip data
//! the most that many compressed bytes can inflate to) and with the voxel limit
//! ([`max_voxels`]) before anything is allocated; gzip data is inflated only up to the size
//! the header declares, and data continuing past it is an error.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{invalid, IoError};

/// Default largest number of voxels an image or mask may hold when read: the default of
/// the manifest's `limits.max_image_voxels`, 2^27 voxels (134 million, e.g. 512 × 512 × 512;
/// 1 GiB as 64-bit values).
pub const DEFAULT_MAX_VOXELS: u64 = radx_core::limits::DEFAULT_MAX_IMAGE_VOXELS;

static MAX_VOXELS: AtomicU64 = AtomicU64::new(DEFAULT_MAX_VOXELS);

/// The largest number of voxels the readers accept (default [`DEFAULT_MAX_VOXELS`]).
pub fn max_voxels() -> u64 {
    MAX_VOXELS.load(Ordering::Relaxed)
}

/// Sets the voxel limit of every reader of this process (the run's
/// `limits.max_image_voxels`; the command line sets it once, before reading).
pub fn set_max_voxels(n: u64) {
    MAX_VOXELS.store(n, Ordering::Relaxed);
}

/// Deflate cannot inflate one byte to more than 1032 bytes: a gzip file of `n` bytes
/// never holds more than `n × 1032` bytes of data.
pub const DEFLATE_MAX_RATIO: u64 = 1032;

fn shown(dims: &[u64]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(" x ")
}

/// The product of `dims` (a header's sizes), checked for overflow only (an error naming
/// `path`); see [`voxel_count`] for the limit.
pub fn product(path: &Path, dims: &[u64]) -> Result<u64, IoError> {
    dims.iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            invalid(
                path,
                format!("dimensions {} overflow a voxel count", shown(dims)),
            )
        })
}

/// The product of `dims` (a header's sizes), checked: an overflow or a count above
/// [`max_voxels`] is an error naming `path`.
pub fn voxel_count(path: &Path, dims: &[u64]) -> Result<usize, IoError> {
    let shown = shown(dims);
    let n = product(path, dims)?;
    let max = max_voxels();
    if n > max {
        return Err(invalid(
            path,
            format!(
                "dimensions {shown} make {n} voxels ({:.1} GiB as 64-bit values), more than the \
                 voxel limit of {max} (limits.max_image_voxels; raise it in [limits] or with \
                 --limit max_image_voxels=N if this is intended)",
                n as f64 * 8.0 / (1u64 << 30) as f64
            ),
        ));
    }
    usize::try_from(n).map_err(|_| invalid(path, format!("{n} voxels do not fit in memory")))
}

/// Checks that `wanted` bytes can come out of `compressed_len` bytes of gzip data.
pub fn check_inflatable(path: &Path, compressed_len: u64, wanted: u64) -> Result<(), IoError> {
    let most = compressed_len.saturating_mul(DEFLATE_MAX_RATIO);
    if wanted > most {
        return Err(IoError::Truncated {
            path: path.into(),
            message: format!(
                "the header declares {wanted} bytes of data, but {compressed_len} bytes of gzip \
                 data cannot inflate to more than {most}"
            ),
        });
    }
    Ok(())
}

/// An empty vector with room for `n` values, or an error naming `path` when the memory
/// cannot be had (never an abort).
pub fn vec_for<T>(path: &Path, n: usize) -> Result<Vec<T>, IoError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        invalid(
            path,
            format!(
                "not enough memory for {n} values ({:.1} GiB)",
                (n as f64) * std::mem::size_of::<T>() as f64 / (1u64 << 30) as f64
            ),
        )
    })?;
    Ok(v)
}

/// Checks the geometry a header gave: a finite origin, positive finite spacings and
/// finite direction columns that are not (nearly) parallel.
pub fn check_grid(path: &Path, g: &radx_core::Grid) -> Result<(), IoError> {
    if let Some(v) = g.origin_xyz.iter().find(|v| !v.is_finite()) {
        return Err(invalid(
            path,
            format!("origin {v} is not a finite position"),
        ));
    }
    if let Some(v) = g.spacing_zyx.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(invalid(
            path,
            format!("voxel spacing {v} is not a positive number"),
        ));
    }
    let d = g.direction;
    if d.iter().flatten().any(|v| !v.is_finite()) {
        return Err(invalid(path, "direction cosines are not finite"));
    }
    let det = d[0][0] * (d[1][1] * d[2][2] - d[1][2] * d[2][1])
        - d[0][1] * (d[1][0] * d[2][2] - d[1][2] * d[2][0])
        + d[0][2] * (d[1][0] * d[2][1] - d[1][1] * d[2][0]);
    if det.abs() < 1e-6 {
        return Err(invalid(
            path,
            "the voxel axes are parallel (singular direction matrix): no 3D grid",
        ));
    }
    Ok(())
}

const CHUNK: usize = 1 << 20;

/// Reads exactly `n` bytes from `r` in chunks of about 1 MiB (a whole number of
/// `unit`-byte samples each), handing each chunk to `f`. Too few bytes is an error naming
/// `path` that says how many were found; `what` names the data in messages.
pub fn read_chunks(
    r: &mut dyn Read,
    n: u64,
    unit: usize,
    path: &Path,
    what: &str,
    mut f: impl FnMut(&[u8]),
) -> Result<(), IoError> {
    let unit = unit.max(1);
    let step = (CHUNK / unit).max(1) * unit;
    let mut buf = vec![0u8; step.min(usize::try_from(n).unwrap_or(usize::MAX)).max(1)];
    let mut left = n;
    let mut got_total = 0u64;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let mut got = 0;
        while got < want {
            match r.read(&mut buf[got..want]) {
                Ok(0) => {
                    return Err(IoError::Truncated {
                        path: path.into(),
                        message: format!(
                            "{what}: {} bytes where {n} are expected",
                            got_total + got as u64
                        ),
                    })
                }
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(stream_error(path, what, e)),
            }
        }
        f(&buf[..want]);
        left -= want as u64;
        got_total += want as u64;
    }
    Ok(())
}

/// Skips exactly `n` bytes of `r` (an error naming `path` when it ends first).
pub fn skip(r: &mut dyn Read, n: u64, path: &Path, what: &str) -> Result<(), IoError> {
    let got = std::io::copy(&mut r.take(n), &mut std::io::sink())
        .map_err(|e| stream_error(path, what, e))?;
    if got < n {
        return Err(IoError::Truncated {
            path: path.into(),
            message: format!("{what}: {got} bytes where {n} are expected"),
        });
    }
    Ok(())
}

/// After the data a header declares: the (gzip) stream must end there. Reads at most one
/// more byte, so data appended past the declared size (a decompression bomb) costs nothing.
pub fn expect_end(r: &mut dyn Read, path: &Path, what: &str) -> Result<(), IoError> {
    let mut one = [0u8; 1];
    loop {
        return match r.read(&mut one) {
            Ok(0) => Ok(()),
            Ok(_) => Err(invalid(
                path,
                format!("{what} continue past the size the header declares (trailing data)"),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => Err(stream_error(path, what, e)),
        };
    }
}

fn stream_error(path: &Path, what: &str, e: std::io::Error) -> IoError {
    IoError::Truncated {
        path: path.into(),
        message: format!("{what}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_overflow_and_limit() {
        let p = Path::new("x.nii");
        assert_eq!(voxel_count(p, &[2, 3, 4]).unwrap(), 24);
        let e = voxel_count(p, &[u64::MAX, 2, 1]).unwrap_err().to_string();
        assert!(e.contains("x.nii") && e.contains("overflow"), "{e}");
        let e = voxel_count(p, &[65535, 65535, 65535])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("voxel limit") && e.contains("65535 x 65535"),
            "{e}"
        );
    }

    #[test]
    fn reading_stops_at_the_declared_size() {
        let p = Path::new("d");
        let data = vec![7u8; 3 * CHUNK + 5];
        let mut r = &data[..];
        let mut seen = 0usize;
        read_chunks(&mut r, 2 * CHUNK as u64 + 3, 4, p, "voxels", |c| {
            assert_eq!(c.len() % 4, if c.len() < CHUNK { 3 } else { 0 });
            seen += c.len()
        })
        .unwrap();
        assert_eq!(seen, 2 * CHUNK + 3);
        assert!(expect_end(&mut r, p, "voxels").is_err());
        let mut short = &data[..10];
        let e = read_chunks(&mut short, 11, 1, p, "voxels", |_| {})
            .unwrap_err()
            .to_string();
        assert!(e.contains("10 bytes where 11"), "{e}");
        let mut empty: &[u8] = &[];
        assert!(expect_end(&mut empty, p, "voxels").is_ok());
    }

    #[test]
    fn inflation_bound() {
        let p = Path::new("a.gz");
        assert!(check_inflatable(p, 100, 103_200).is_ok());
        assert!(check_inflatable(p, 100, 103_201).is_err());
    }
}
