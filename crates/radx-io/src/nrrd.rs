//! NRRD (`.nrrd` with attached data, `.nhdr` with a detached data file): reading 3D scalar
//! volumes and writing them.
//!
//! Reading:
//! * types int8, uint8, int16, uint16, int32, uint32, int64, uint64, float, double (every
//!   spelling of the NRRD specification); encodings raw, gzip and ascii; either endianness;
//!   `line skip` and `byte skip` (−1 for raw data at the end of the file);
//!   `data file` for detached headers (a single file, relative to the header's folder).
//! * Hostile headers: sizes are multiplied with checked arithmetic and compared with the
//!   data really present and with the voxel limit ([`crate::guard`]) before anything is
//!   allocated. A detached data file must be a regular file in the header's folder or
//!   below it (after following symbolic links): an absolute path elsewhere, `..` out of the
//!   folder, a link out of it, a device or a FIFO are errors. Only the declared bytes are
//!   read: raw data shorter **or longer** than the sizes declare (after `line skip` and
//!   `byte skip`) is an error, except with `byte skip: -1`, which takes the last bytes;
//!   gzip data are inflated only to the declared size and gzip data continuing past it
//!   are an error; ascii data must hold exactly the declared number of values.
//! * The first axis is the fastest in memory: sizes `(nx, ny, nz)` become an array indexed
//!   `(z, y, x)` without reordering.
//! * Geometry: `space directions` gives the world vector of one step along each axis (its
//!   length is the spacing, its direction the direction cosine) and `space origin` the
//!   world position of the centre of the first sample. The world frame is converted to
//!   the project's RAS: `left-posterior-superior` (LPS, as written by 3D Slicer and ITK):
//!   x → −x, y → −y; `left-anterior-superior`: x → −x; `right-anterior-superior`: as is; a
//!   bare `space dimension: 3` is taken as is. Without `space directions`, `spacings` give
//!   an axis-aligned grid with origin 0 (like a NIfTI file without sform or qform). Other
//!   spaces (scanner-xyz, 3D-right-handed, time spaces) are an error.
//!
//! Writing: `double` or `uint8`, raw or gzip, attached (`.nrrd`) or detached (`.nhdr`
//! beside a `.raw`/`.raw.gz` data file), in `left-posterior-superior` space (the usual
//! space of medical NRRD files; RAS → LPS is an exact sign change).

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use crate::{guard, invalid, open_error, unsupported, IoError};
use ndarray::Array3;
use radx_core::{Grid, Image, Mask};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl Ty {
    fn parse(s: &str) -> Option<Ty> {
        Some(match s {
            "signed char" | "int8" | "int8_t" => Ty::I8,
            "uchar" | "unsigned char" | "uint8" | "uint8_t" => Ty::U8,
            "short" | "short int" | "signed short" | "signed short int" | "int16" | "int16_t" => {
                Ty::I16
            }
            "ushort" | "unsigned short" | "unsigned short int" | "uint16" | "uint16_t" => Ty::U16,
            "int" | "signed int" | "int32" | "int32_t" => Ty::I32,
            "uint" | "unsigned int" | "uint32" | "uint32_t" => Ty::U32,
            "longlong"
            | "long long"
            | "long long int"
            | "signed long long"
            | "signed long long int"
            | "int64"
            | "int64_t" => Ty::I64,
            "ulonglong"
            | "unsigned long long"
            | "unsigned long long int"
            | "uint64"
            | "uint64_t" => Ty::U64,
            "float" => Ty::F32,
            "double" => Ty::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Ty::I8 | Ty::U8 => 1,
            Ty::I16 | Ty::U16 => 2,
            Ty::I32 | Ty::U32 | Ty::F32 => 4,
            Ty::I64 | Ty::U64 | Ty::F64 => 8,
        }
    }

    fn decode(self, b: &[u8], big: bool) -> f64 {
        macro_rules! conv {
            ($t:ty, $n:expr) => {{
                let mut a = [0u8; $n];
                a.copy_from_slice(&b[..$n]);
                (if big {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                }) as f64
            }};
        }
        match self {
            Ty::I8 => b[0] as i8 as f64,
            Ty::U8 => b[0] as f64,
            Ty::I16 => conv!(i16, 2),
            Ty::U16 => conv!(u16, 2),
            Ty::I32 => conv!(i32, 4),
            Ty::U32 => conv!(u32, 4),
            Ty::I64 => conv!(i64, 8),
            Ty::U64 => conv!(u64, 8),
            Ty::F32 => conv!(f32, 4),
            Ty::F64 => conv!(f64, 8),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Encoding {
    Raw,
    Gzip,
    Ascii,
}

/// Whether the bytes start like an NRRD file.
pub(crate) fn has_nrrd_magic(head: &[u8]) -> bool {
    head.starts_with(b"NRRD000")
}

fn parse_vector(s: &str) -> Option<[f64; 3]> {
    let s = s.trim();
    let inner = s.strip_prefix('(')?.strip_suffix(')')?;
    let v: Vec<f64> = inner
        .split(',')
        .map(|t| t.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    (v.len() == 3 && v.iter().all(|x| x.is_finite())).then(|| [v[0], v[1], v[2]])
}

/// Splits a `space directions` value into its per-axis parts ("(a,b,c)" or "none").
fn split_vectors(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for ch in s.chars() {
        match ch {
            '(' => {
                depth += 1;
                cur.push(ch);
            }
            ')' => {
                depth -= 1;
                cur.push(ch);
                if depth == 0 {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c if c.is_whitespace() && depth == 0 => {
                if !cur.trim().is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// Reads a 3D NRRD volume: its grid (RAS world) and values as f64, indexed (z, y, x).
pub fn read_nrrd(path: &Path) -> Result<(Grid, Array3<f64>), IoError> {
    read_nrrd_files(path).map(|(g, d, _)| (g, d))
}

/// [`read_nrrd`], also returning every file read: the header, then the detached data
/// file when there is one.
pub(crate) fn read_nrrd_files(path: &Path) -> Result<(Grid, Array3<f64>, Vec<PathBuf>), IoError> {
    let meta = std::fs::metadata(path).map_err(|e| open_error(path, e))?;
    if meta.is_dir() {
        return Err(invalid(path, "is a folder; an NRRD file is expected"));
    }
    let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let file_len = file.metadata().map_err(|e| open_error(path, e))?.len();
    let mut reader = std::io::BufReader::new(file);
    // Header: lines up to the first empty line (or the end of a detached header), at most
    // MAX_HEADER bytes.
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut pos = 0u64;
    let mut first = true;
    let mut header_end_found = false;
    let mut raw_line = Vec::new();
    loop {
        raw_line.clear();
        let left = MAX_HEADER.saturating_sub(pos);
        let got = (&mut reader)
            .take(left)
            .read_until(b'\n', &mut raw_line)
            .map_err(|e| open_error(path, e))?;
        if got == 0 {
            if left == 0 && pos < file_len {
                return Err(invalid(
                    path,
                    format!(
                        "NRRD header runs past {MAX_HEADER} bytes without the blank line that ends it"
                    ),
                ));
            }
            break;
        }
        pos += got as u64;
        if raw_line.last() != Some(&b'\n') && pos < file_len {
            return Err(invalid(
                path,
                format!(
                    "NRRD header runs past {MAX_HEADER} bytes without the blank line that ends it"
                ),
            ));
        }
        if first {
            first = false;
            if !has_nrrd_magic(&raw_line) {
                return Err(invalid(path, "not an NRRD file (no NRRD000x magic line)"));
            }
            continue;
        }
        let line = String::from_utf8_lossy(&raw_line);
        let line = line.trim_end_matches('\n').trim_end_matches('\r');
        if line.is_empty() {
            header_end_found = true;
            break;
        }
        if line.starts_with('#') {
            continue;
        }
        if line.contains(":=") {
            continue; // key/value pair, no meaning for radx
        }
        let Some((k, v)) = line.split_once(": ") else {
            return Err(invalid(
                path,
                format!("NRRD header line {line:?} is not `field: value`"),
            ));
        };
        fields.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    if first {
        return Err(invalid(path, "not an NRRD file (no NRRD000x magic line)"));
    }
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str());
    let need =
        |k: &str| get(k).ok_or_else(|| invalid(path, format!("NRRD header lacks the `{k}` field")));

    let ty_s = need("type")?;
    let ty = Ty::parse(ty_s).ok_or_else(|| unsupported(path, format!("NRRD type {ty_s:?}")))?;
    let dim: usize = need("dimension")?
        .parse()
        .map_err(|_| invalid(path, "NRRD `dimension` is not a number"))?;
    if dim != 3 {
        return Err(unsupported(
            path,
            format!("NRRD of dimension {dim}; radx reads 3D scalar volumes"),
        ));
    }
    let sizes: Vec<u64> = need("sizes")?
        .split_whitespace()
        .map(|s| s.parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| invalid(path, "NRRD `sizes` are not whole numbers"))?;
    if sizes.len() != 3 || sizes.contains(&0) {
        return Err(invalid(
            path,
            format!("NRRD `sizes` {sizes:?}: three positive sizes expected"),
        ));
    }
    let sizes: [u64; 3] = [sizes[0], sizes[1], sizes[2]];
    let enc_s = need("encoding")?;
    let encoding = match enc_s {
        "raw" => Encoding::Raw,
        "gzip" | "gz" => Encoding::Gzip,
        "ascii" | "text" | "txt" => Encoding::Ascii,
        other => {
            return Err(unsupported(
                path,
                format!("NRRD encoding {other:?} (raw, gzip and ascii are read)"),
            ))
        }
    };
    let big = match get("endian") {
        Some("big") => true,
        Some("little") => false,
        Some(other) => return Err(invalid(path, format!("NRRD endian {other:?}"))),
        None if ty.size() > 1 && encoding != Encoding::Ascii => {
            return Err(invalid(path, "NRRD header lacks the `endian` field"))
        }
        None => false,
    };

    // Geometry.
    let flip: [f64; 3] = match get("space") {
        Some("left-posterior-superior") | Some("LPS") => [-1.0, -1.0, 1.0],
        Some("left-anterior-superior") | Some("LAS") => [-1.0, 1.0, 1.0],
        Some("right-anterior-superior") | Some("RAS") => [1.0, 1.0, 1.0],
        Some(other) => {
            return Err(unsupported(
                path,
                format!("NRRD space {other:?} (right-anterior-superior, left-anterior-superior or left-posterior-superior are read)"),
            ))
        }
        None => match get("space dimension") {
            Some("3") | None => [1.0, 1.0, 1.0],
            Some(other) => {
                return Err(unsupported(path, format!("NRRD space dimension {other}")))
            }
        },
    };
    let mut cols = [[0.0f64; 3]; 3];
    let mut origin = [0.0f64; 3];
    if let Some(sd) = get("space directions") {
        let parts = split_vectors(sd);
        if parts.len() != 3 {
            return Err(invalid(
                path,
                format!("NRRD `space directions` {sd:?}: three vectors expected"),
            ));
        }
        for (a, p) in parts.iter().enumerate() {
            let v = parse_vector(p).ok_or_else(|| {
                invalid(
                    path,
                    format!("NRRD `space directions` entry {p:?} is not a vector (x,y,z)"),
                )
            })?;
            cols[a] = [v[0] * flip[0], v[1] * flip[1], v[2] * flip[2]];
        }
        if let Some(so) = get("space origin") {
            let v = parse_vector(so).ok_or_else(|| {
                invalid(
                    path,
                    format!("NRRD `space origin` {so:?} is not a vector (x,y,z)"),
                )
            })?;
            origin = [v[0] * flip[0], v[1] * flip[1], v[2] * flip[2]];
        }
    } else if let Some(sp) = get("spacings") {
        let v: Vec<f64> = sp
            .split_whitespace()
            .map(|s| s.parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| invalid(path, format!("NRRD `spacings` {sp:?} are not numbers")))?;
        if v.len() != 3 {
            return Err(invalid(
                path,
                format!("NRRD `spacings` {sp:?}: three values expected"),
            ));
        }
        for a in 0..3 {
            cols[a][a] = v[a];
        }
    } else {
        return Err(invalid(
            path,
            "NRRD header has neither `space directions` nor `spacings`: the voxel size is unknown",
        ));
    }
    let mut spacing_xyz = [0.0; 3];
    let mut direction = [[0.0; 3]; 3];
    for c in 0..3 {
        let n = (cols[c][0].powi(2) + cols[c][1].powi(2) + cols[c][2].powi(2)).sqrt();
        if !(n.is_finite() && n > 0.0) {
            return Err(invalid(
                path,
                format!("NRRD axis {c} has spacing {n}, not a positive number"),
            ));
        }
        spacing_xyz[c] = n;
        for r in 0..3 {
            direction[r][c] = cols[c][r] / n;
        }
    }
    // Overflow is checked here; the voxel limit once the data are known to hold them.
    let n = guard::product(path, &sizes)?;
    let need_bytes = n
        .checked_mul(ty.size() as u64)
        .ok_or_else(|| invalid(path, format!("NRRD `sizes` {sizes:?} are too large")))?;
    let dims = sizes.map(|v| v as usize);
    let grid = Grid {
        shape_zyx: [dims[2], dims[1], dims[0]],
        spacing_zyx: [spacing_xyz[2], spacing_xyz[1], spacing_xyz[0]],
        origin_xyz: origin,
        direction,
    };
    guard::check_grid(path, &grid)?;

    // Data bytes.
    let data_file = get("data file").or(get("datafile"));
    let line_skip: usize = get("line skip")
        .or(get("lineskip"))
        .map(|s| {
            s.parse()
                .map_err(|_| invalid(path, "NRRD `line skip` is not a number"))
        })
        .transpose()?
        .unwrap_or(0);
    let byte_skip: i64 = get("byte skip")
        .or(get("byteskip"))
        .map(|s| {
            s.parse()
                .map_err(|_| invalid(path, "NRRD `byte skip` is not a number"))
        })
        .transpose()?
        .unwrap_or(0);
    let (mut data, data_path, mut data_len): (Box<dyn BufRead>, PathBuf, u64) = match data_file {
        Some(df) => {
            if df.starts_with("LIST") || df.contains('%') || df.split_whitespace().count() > 1 {
                return Err(unsupported(
                    path,
                    format!("NRRD `data file: {df}`: only a single data file is read"),
                ));
            }
            let (f, dp, len) = detached_data(path, df)?;
            (Box::new(std::io::BufReader::new(f)), dp, len)
        }
        None => {
            if !header_end_found {
                return Err(IoError::Truncated {
                    path: path.into(),
                    message: "NRRD header does not end (no blank line) and names no data file"
                        .into(),
                });
            }
            (
                Box::new(reader),
                path.to_path_buf(),
                file_len.saturating_sub(pos),
            )
        }
    };
    // line skip applies to the data file as stored
    for k in 0..line_skip {
        match skip_line(&mut data).map_err(|e| open_error(&data_path, e))? {
            Some(len) => data_len = data_len.saturating_sub(len),
            None => {
                return Err(IoError::Truncated {
                    path: data_path,
                    message: format!("{k} lines where {line_skip} are to be skipped"),
                })
            }
        }
    }
    let shape = format!(
        "{} x {} x {} samples of {} bytes",
        sizes[0],
        sizes[1],
        sizes[2],
        ty.size()
    );
    let short = |have: u64| IoError::Truncated {
        path: data_path.clone(),
        message: format!("{have} data bytes where {need_bytes} are expected ({shape})"),
    };
    if byte_skip < -1 {
        return Err(invalid(path, format!("NRRD `byte skip` {byte_skip}")));
    }
    if byte_skip == -1 && encoding != Encoding::Raw {
        return Err(invalid(
            path,
            "NRRD `byte skip: -1` is only valid for raw data",
        ));
    }
    let skip = byte_skip.max(0) as u64;
    let values = match encoding {
        Encoding::Raw => {
            let skip = if byte_skip == -1 {
                // the data are the last bytes of the file
                if data_len < need_bytes {
                    return Err(short(data_len));
                }
                data_len - need_bytes
            } else {
                if skip > data_len {
                    return Err(IoError::Truncated {
                        path: data_path,
                        message: format!("byte skip {skip} exceeds the {data_len} data bytes"),
                    });
                }
                let have = data_len - skip;
                if have < need_bytes {
                    return Err(short(have));
                }
                if have > need_bytes {
                    return Err(invalid(
                        &data_path,
                        format!(
                            "{have} data bytes where {need_bytes} are expected ({shape}): the data \
                             are longer than the sizes declare"
                        ),
                    ));
                }
                skip
            };
            let count = guard::voxel_count(path, &sizes)?;
            guard::skip(&mut data, skip, &data_path, "bytes to skip")?;
            decode_all(&mut data, count, need_bytes, ty, big, &data_path)?
        }
        Encoding::Gzip => {
            let total = skip.checked_add(need_bytes).ok_or_else(|| short(0))?;
            guard::check_inflatable(&data_path, data_len, total)?;
            let count = guard::voxel_count(path, &sizes)?;
            let mut gz = flate2::read::MultiGzDecoder::new(data);
            guard::skip(&mut gz, skip, &data_path, "gzip data")?;
            let v = decode_all(&mut gz, count, need_bytes, ty, big, &data_path)?;
            guard::expect_end(&mut gz, &data_path, "gzip data")?;
            v
        }
        Encoding::Ascii => {
            // every value but the last takes at least two characters
            if n > data_len / 2 + 1 {
                return Err(IoError::Truncated {
                    path: data_path,
                    message: format!("{data_len} bytes of ascii data cannot hold {n} values"),
                });
            }
            let count = guard::voxel_count(path, &sizes)?;
            read_ascii(&mut data, count, &data_path)?
        }
    };
    let data = Array3::from_shape_vec((dims[2], dims[1], dims[0]), values)
        .map_err(|e| invalid(path, e.to_string()))?;
    Ok((grid, data, files_read(path, &data_path)))
}

/// The header and, when it is another file, the data file.
fn files_read(header: &Path, data: &Path) -> Vec<PathBuf> {
    let mut files = vec![header.to_path_buf()];
    if data != header {
        files.push(data.to_path_buf());
    }
    files
}

/// Largest NRRD header radx reads (the header of a detached `.nhdr` is the whole file).
const MAX_HEADER: u64 = 4 << 20;

/// The detached data file `df` of header `header`: a regular file in the header's folder
/// or below it (after following symbolic links). Returns it opened, its path and length.
fn detached_data(header: &Path, df: &str) -> Result<(std::fs::File, PathBuf, u64), IoError> {
    let folder = header
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dp = folder.join(df);
    let folder_c = folder.canonicalize().map_err(|e| open_error(folder, e))?;
    let dp_c = dp.canonicalize().map_err(|e| open_error(&dp, e))?;
    if !dp_c.starts_with(&folder_c) {
        return Err(invalid(
            header,
            format!(
                "NRRD `data file: {df}` resolves to {}, outside the header's folder {}: a \
                 detached data file must lie in the header's folder or below it",
                dp_c.display(),
                folder_c.display()
            ),
        ));
    }
    // Checked before opening: opening a FIFO would block.
    let meta = std::fs::metadata(&dp_c).map_err(|e| open_error(&dp, e))?;
    if !meta.is_file() {
        return Err(invalid(
            header,
            format!("NRRD `data file: {df}` is not a regular file"),
        ));
    }
    let f = std::fs::File::open(&dp_c).map_err(|e| open_error(&dp, e))?;
    let meta = f.metadata().map_err(|e| open_error(&dp, e))?;
    if !meta.is_file() {
        return Err(invalid(
            header,
            format!("NRRD `data file: {df}` is not a regular file"),
        ));
    }
    Ok((f, dp, meta.len()))
}

/// Consumes one line (through its `\n`); its length, or None at the end of the data.
fn skip_line(r: &mut dyn BufRead) -> std::io::Result<Option<u64>> {
    let mut len = 0u64;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                r.consume(i + 1);
                return Ok(Some(len + i as u64 + 1));
            }
            None => {
                let k = buf.len();
                r.consume(k);
                len += k as u64;
            }
        }
    }
}

/// Decodes exactly `bytes` bytes of `count` samples from `r`.
fn decode_all(
    r: &mut dyn Read,
    count: usize,
    bytes: u64,
    ty: Ty,
    big: bool,
    path: &Path,
) -> Result<Vec<f64>, IoError> {
    let mut out: Vec<f64> = guard::vec_for(path, count)?;
    guard::read_chunks(r, bytes, ty.size(), path, "NRRD data", |c| {
        out.extend(c.chunks_exact(ty.size()).map(|s| ty.decode(s, big)))
    })?;
    Ok(out)
}

/// Reads exactly `count` ascii numbers (separated by white space or commas); fewer or
/// more is an error naming `path`.
fn read_ascii(r: &mut dyn BufRead, count: usize, path: &Path) -> Result<Vec<f64>, IoError> {
    const MAX_TOKEN: usize = 256;
    let mut out: Vec<f64> = guard::vec_for(path, count)?;
    let mut tok: Vec<u8> = Vec::new();
    let finish = |tok: &mut Vec<u8>, out: &mut Vec<f64>| -> Result<(), IoError> {
        if tok.is_empty() {
            return Ok(());
        }
        let t = String::from_utf8_lossy(tok);
        let v: f64 = t
            .parse()
            .map_err(|_| invalid(path, format!("ascii NRRD value {t:?} is not a number")))?;
        if out.len() == count {
            return Err(invalid(
                path,
                format!("ascii NRRD data hold more than the {count} values the sizes declare"),
            ));
        }
        out.push(v);
        tok.clear();
        Ok(())
    };
    loop {
        let buf = r.fill_buf().map_err(|e| open_error(path, e))?;
        if buf.is_empty() {
            break;
        }
        let k = buf.len();
        for &b in buf {
            if b.is_ascii_whitespace() || b == b',' {
                finish(&mut tok, &mut out)?;
            } else {
                if tok.len() == MAX_TOKEN {
                    return Err(invalid(
                        path,
                        format!("ascii NRRD data hold a token longer than {MAX_TOKEN} bytes"),
                    ));
                }
                tok.push(b);
            }
        }
        r.consume(k);
    }
    finish(&mut tok, &mut out)?;
    if out.len() < count {
        return Err(IoError::Truncated {
            path: path.into(),
            message: format!("{} ascii values where {count} are expected", out.len()),
        });
    }
    Ok(out)
}

/// Reads an NRRD image.
pub fn read_nrrd_image(path: &Path) -> Result<Image, IoError> {
    let (grid, data) = read_nrrd(path)?;
    Image::new(grid, data).map_err(|e| invalid(path, e.to_string()))
}

/// Sample type of a written NRRD file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum OutType {
    F64,
    U8,
}

/// Whether written data is gzip compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NrrdEncoding {
    #[default]
    Raw,
    Gzip,
}

fn fmt_vec(v: [f64; 3]) -> String {
    format!("({},{},{})", v[0], v[1], v[2])
}

fn write_any(
    path: &Path,
    grid: &Grid,
    values: &mut dyn Iterator<Item = f64>,
    ty: OutType,
    encoding: NrrdEncoding,
) -> Result<(), IoError> {
    let werr = |p: &Path, e: std::io::Error| IoError::Write {
        path: p.into(),
        message: e.to_string(),
    };
    let detached = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("nhdr"));
    let [nz, ny, nx] = grid.shape_zyx;
    let sp = [
        grid.spacing_zyx[2],
        grid.spacing_zyx[1],
        grid.spacing_zyx[0],
    ];
    let lps = |v: [f64; 3]| [-v[0], -v[1], v[2]];
    let dirs: Vec<String> = (0..3)
        .map(|c| {
            fmt_vec(lps([
                grid.direction[0][c] * sp[c],
                grid.direction[1][c] * sp[c],
                grid.direction[2][c] * sp[c],
            ]))
        })
        .collect();
    let mut header = String::new();
    header.push_str("NRRD0004\n# written by radx\n");
    header.push_str(match ty {
        OutType::F64 => "type: double\n",
        OutType::U8 => "type: uint8\n",
    });
    header.push_str("dimension: 3\nspace: left-posterior-superior\n");
    header.push_str(&format!("sizes: {nx} {ny} {nz}\n"));
    header.push_str(&format!("space directions: {}\n", dirs.join(" ")));
    header.push_str("kinds: domain domain domain\n");
    header.push_str("endian: little\n");
    header.push_str(match encoding {
        NrrdEncoding::Raw => "encoding: raw\n",
        NrrdEncoding::Gzip => "encoding: gzip\n",
    });
    header.push_str(&format!(
        "space origin: {}\n",
        fmt_vec(lps(grid.origin_xyz))
    ));
    let mut body = Vec::with_capacity(nz * ny * nx * 8);
    for v in values {
        match ty {
            OutType::F64 => body.extend_from_slice(&v.to_le_bytes()),
            OutType::U8 => body.push(v as u8),
        }
    }
    let body = match encoding {
        NrrdEncoding::Raw => body,
        NrrdEncoding::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(&body).map_err(|e| werr(path, e))?;
            enc.finish().map_err(|e| werr(path, e))?
        }
    };
    if detached {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "data".into());
        let data_name = match encoding {
            NrrdEncoding::Raw => format!("{stem}.raw"),
            NrrdEncoding::Gzip => format!("{stem}.raw.gz"),
        };
        header.push_str(&format!("data file: {data_name}\n"));
        let dp = path.parent().unwrap_or(Path::new(".")).join(&data_name);
        std::fs::write(&dp, &body).map_err(|e| werr(&dp, e))?;
        std::fs::write(path, header.as_bytes()).map_err(|e| werr(path, e))?;
    } else {
        header.push('\n');
        let mut out = header.into_bytes();
        out.extend_from_slice(&body);
        std::fs::write(path, out).map_err(|e| werr(path, e))?;
    }
    Ok(())
}

/// Writes an image as NRRD (`double` samples, LPS space). A path ending in `.nhdr` gets a
/// detached header beside a `.raw` / `.raw.gz` data file.
pub fn write_nrrd_image(path: &Path, image: &Image, encoding: NrrdEncoding) -> Result<(), IoError> {
    write_any(
        path,
        &image.grid,
        &mut image.data.iter().copied(),
        OutType::F64,
        encoding,
    )
}

/// Writes a mask as NRRD (`uint8` samples, 1 inside, LPS space).
pub fn write_nrrd_mask(path: &Path, mask: &Mask, encoding: NrrdEncoding) -> Result<(), IoError> {
    write_any(
        path,
        &mask.grid,
        &mut mask.data.iter().map(|&b| if b { 1.0 } else { 0.0 }),
        OutType::U8,
        encoding,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_split_and_parse() {
        let parts = split_vectors("(1,0,0) (0, 2.5,0)  none (0,0,-3e-1)");
        assert_eq!(parts, vec!["(1,0,0)", "(0, 2.5,0)", "none", "(0,0,-3e-1)"]);
        assert_eq!(parse_vector("(0, 2.5,0)"), Some([0.0, 2.5, 0.0]));
        assert_eq!(parse_vector("none"), None);
        assert_eq!(parse_vector("(1,2)"), None);
    }

    #[test]
    fn type_names() {
        assert_eq!(Ty::parse("unsigned short int"), Some(Ty::U16));
        assert_eq!(Ty::parse("signed char"), Some(Ty::I8));
        assert_eq!(Ty::parse("block"), None);
        assert_eq!(Ty::I16.decode(&[0xff, 0xfe], true), -2.0);
        assert_eq!(Ty::I16.decode(&[0xfe, 0xff], false), -2.0);
    }
}
