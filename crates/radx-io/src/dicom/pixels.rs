//! Stored DICOM pixel values as numbers: the pixel format of a data set (rows, columns,
//! frames, bits allocated / stored, high bit, sign), native pixel data read directly and
//! encapsulated (compressed) pixel data decoded (see [`codec_of`] for the codec of each
//! transfer syntax).

use std::path::Path;

use dicom_core::value::{DicomValueType, PrimitiveValue, Value};
use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;

use super::dcm::{error_chain, tag_name, Attrs};
use crate::{invalid, unsupported, IoError};

/// The pixel-level description needed to turn stored bits into numbers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PixelFormat {
    pub rows: usize,
    pub columns: usize,
    pub frames: usize,
    pub bits_allocated: u32,
    pub bits_stored: u32,
    pub high_bit: u32,
    pub signed: bool,
}

impl PixelFormat {
    pub fn read(a: &Attrs) -> Result<Self, IoError> {
        let rows = a.uint_req(tags::ROWS)? as usize;
        let columns = a.uint_req(tags::COLUMNS)? as usize;
        if rows == 0 || columns == 0 {
            return Err(invalid(
                a.path,
                format!("image of {rows} rows and {columns} columns"),
            ));
        }
        if rows > 65535 || columns > 65535 {
            return Err(invalid(
                a.path,
                format!("image of {rows} rows and {columns} columns (at most 65535 each)"),
            ));
        }
        let frames = a.uint_opt(tags::NUMBER_OF_FRAMES)?.unwrap_or(1).max(1);
        if frames > i32::MAX as u64 {
            return Err(invalid(
                a.path,
                format!("NumberOfFrames {frames} is not plausible"),
            ));
        }
        let frames = frames as usize;
        let spp = a.uint_opt(tags::SAMPLES_PER_PIXEL)?.unwrap_or(1);
        if spp != 1 {
            return Err(unsupported(
                a.path,
                format!("{spp} samples per pixel (colour image); radx reads greyscale images"),
            ));
        }
        let ba = a.uint_req(tags::BITS_ALLOCATED)?;
        if !matches!(ba, 1 | 8 | 16 | 32) {
            return Err(unsupported(
                a.path,
                format!("BitsAllocated {ba} (1, 8, 16 or 32 are read)"),
            ));
        }
        let bits_allocated = ba as u32;
        let bs = a.uint_opt(tags::BITS_STORED)?.unwrap_or(ba);
        let hb = a.uint_opt(tags::HIGH_BIT)?.unwrap_or(bs.saturating_sub(1));
        if bs > ba || hb >= ba {
            return Err(invalid(
                a.path,
                format!("inconsistent BitsAllocated {ba}, BitsStored {bs}, HighBit {hb}"),
            ));
        }
        // both below BitsAllocated (at most 32) now
        let (bits_stored, high_bit) = (bs as u32, hb as u32);
        if bits_stored == 0
            || bits_stored > bits_allocated
            || high_bit >= bits_allocated
            || high_bit + 1 < bits_stored
        {
            return Err(invalid(
                a.path,
                format!(
                    "inconsistent BitsAllocated {bits_allocated}, BitsStored {bits_stored}, HighBit {high_bit}"
                ),
            ));
        }
        let signed = a.uint_opt(tags::PIXEL_REPRESENTATION)?.unwrap_or(0) == 1;
        Ok(PixelFormat {
            rows,
            columns,
            frames,
            bits_allocated,
            bits_stored,
            high_bit,
            signed,
        })
    }

    pub fn frame_len(&self) -> usize {
        self.rows * self.columns
    }

    /// Pixels of every frame, checked against the voxel limit
    /// ([`crate::guard::max_voxels`]).
    pub fn pixel_count(&self, path: &Path) -> Result<usize, IoError> {
        crate::guard::voxel_count(
            path,
            &[self.frames as u64, self.rows as u64, self.columns as u64],
        )
    }

    /// The number a stored sample stands for: the `bits_stored` bits ending at
    /// `high_bit`, sign-extended when the pixel representation is signed.
    #[inline]
    fn value_of(&self, raw: u32) -> f64 {
        let shift = self.high_bit + 1 - self.bits_stored;
        let mask = (1u64 << self.bits_stored) - 1;
        let v = ((raw >> shift) as u64) & mask;
        if self.signed {
            let sign = 1u64 << (self.bits_stored - 1);
            ((v ^ sign) as i64 - sign as i64) as f64
        } else {
            v as f64
        }
    }
}

/// Stored pixel values of every frame, frame after frame, each frame row after row, as
/// numbers (before any rescale). Native (uncompressed) pixel data is read directly;
/// encapsulated (compressed) pixel data is decoded with `dicom-pixeldata` (RLE Lossless,
/// JPEG baseline / extended / lossless, JPEG-LS, JPEG 2000) or, for 12-bit JPEG extended,
/// with [`super::jpeg12`]; other compressions are an error naming the transfer syntax. 1-bit data (binary SEG) gives 0 and 1.
pub(crate) fn stored_values(
    obj: &DefaultDicomObject,
    path: &Path,
    fmt: &PixelFormat,
) -> Result<Vec<f64>, IoError> {
    // No reservation from the declared size: `append_values` checks it against the data.
    let mut out = Vec::new();
    append_values(obj, path, fmt, (1.0, 0.0), &mut out)?;
    Ok(out)
}

/// Appends `slope · v + intercept` for every stored value `v` (see [`stored_values`]).
pub(crate) fn append_values(
    obj: &DefaultDicomObject,
    path: &Path,
    fmt: &PixelFormat,
    (slope, intercept): (f64, f64),
    out: &mut Vec<f64>,
) -> Result<(), IoError> {
    let pixel = obj
        .get(tags::PIXEL_DATA)
        .ok_or_else(|| invalid(path, format!("missing {}", tag_name(tags::PIXEL_DATA))))?;
    let n = fmt.pixel_count(path)?;
    let ts = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    let big_endian = ts == "1.2.840.10008.1.2.2";
    let short = |have: usize, unit: &str| {
        IoError::Truncated {
            path: path.into(),
            message: format!(
                "pixel data holds {have} {unit} where {n} pixels of {} bits ({} rows x {} columns x {} frames) are expected",
                fmt.bits_allocated, fmt.rows, fmt.columns, fmt.frames
            ),
        }
    };
    match pixel.value() {
        Value::Primitive(p) => {
            if fmt.bits_allocated == 1 {
                let bytes: Vec<u8> = match p {
                    PrimitiveValue::U8(b) => b.to_vec(),
                    PrimitiveValue::U16(w) => w.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    PrimitiveValue::I16(w) => w.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    other => {
                        return Err(invalid(
                            path,
                            format!(
                                "1-bit pixel data of unexpected type {:?}",
                                other.value_type()
                            ),
                        ))
                    }
                };
                if bytes.len() * 8 < n {
                    return Err(short(bytes.len(), "bytes"));
                }
                unpack_bits(&bytes, n, out);
                return Ok(());
            }
            match (p, fmt.bits_allocated) {
                (PrimitiveValue::U8(b), 8) => {
                    if b.len() < n {
                        return Err(short(b.len(), "bytes"));
                    }
                    out.extend(
                        b[..n]
                            .iter()
                            .map(|&v| fmt.value_of(v as u32) * slope + intercept),
                    );
                }
                (PrimitiveValue::U8(b), 16) => {
                    if b.len() < 2 * n {
                        return Err(short(b.len(), "bytes"));
                    }
                    out.extend(b[..2 * n].chunks_exact(2).map(|c| {
                        let raw = if big_endian {
                            u16::from_be_bytes([c[0], c[1]])
                        } else {
                            u16::from_le_bytes([c[0], c[1]])
                        };
                        fmt.value_of(raw as u32) * slope + intercept
                    }));
                }
                (PrimitiveValue::U8(b), 32) => {
                    if b.len() < 4 * n {
                        return Err(short(b.len(), "bytes"));
                    }
                    out.extend(b[..4 * n].chunks_exact(4).map(|c| {
                        let a = [c[0], c[1], c[2], c[3]];
                        let raw = if big_endian {
                            u32::from_be_bytes(a)
                        } else {
                            u32::from_le_bytes(a)
                        };
                        fmt.value_of(raw) * slope + intercept
                    }));
                }
                (PrimitiveValue::U16(w), 16) => {
                    if w.len() < n {
                        return Err(short(w.len(), "16-bit words"));
                    }
                    out.extend(
                        w[..n]
                            .iter()
                            .map(|&v| fmt.value_of(v as u32) * slope + intercept),
                    );
                }
                (PrimitiveValue::I16(w), 16) => {
                    if w.len() < n {
                        return Err(short(w.len(), "16-bit words"));
                    }
                    out.extend(
                        w[..n]
                            .iter()
                            .map(|&v| fmt.value_of(v as u16 as u32) * slope + intercept),
                    );
                }
                (PrimitiveValue::U16(w), 8) => {
                    // 8-bit samples read as OW words: two samples a word, low byte first.
                    let bytes: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
                    if bytes.len() < n {
                        return Err(short(bytes.len(), "bytes"));
                    }
                    out.extend(
                        bytes[..n]
                            .iter()
                            .map(|&v| fmt.value_of(v as u32) * slope + intercept),
                    );
                }
                (PrimitiveValue::U32(w), 32) => {
                    if w.len() < n {
                        return Err(short(w.len(), "32-bit words"));
                    }
                    out.extend(w[..n].iter().map(|&v| fmt.value_of(v) * slope + intercept));
                }
                (PrimitiveValue::I32(w), 32) => {
                    if w.len() < n {
                        return Err(short(w.len(), "32-bit words"));
                    }
                    out.extend(
                        w[..n]
                            .iter()
                            .map(|&v| fmt.value_of(v as u32) * slope + intercept),
                    );
                }
                (other, bits) => {
                    return Err(invalid(
                        path,
                        format!(
                            "pixel data of type {:?} with BitsAllocated {bits}",
                            other.value_type()
                        ),
                    ))
                }
            }
            Ok(())
        }
        Value::PixelSequence(_) => {
            decode_encapsulated(obj, path, fmt, &ts, (slope, intercept), out)
        }
        Value::Sequence(_) => Err(invalid(path, "PixelData is a sequence")),
    }
}

fn decode_encapsulated(
    obj: &DefaultDicomObject,
    path: &Path,
    fmt: &PixelFormat,
    ts: &str,
    (slope, intercept): (f64, f64),
    out: &mut Vec<f64>,
) -> Result<(), IoError> {
    use dicom_pixeldata::PixelDecoder;
    let n = fmt.pixel_count(path)?;
    let declared = n as u64 * (fmt.bits_allocated as u64).div_ceil(8);
    if declared > MAX_DECODED_BYTES {
        return Err(unsupported(
            path,
            format!(
                "compressed pixel data declares {declared} decoded bytes ({} rows x {} columns x {} frames), more than radx decodes ({MAX_DECODED_BYTES})",
                fmt.rows, fmt.columns, fmt.frames
            ),
        ));
    }
    if ts == JPEG_EXTENDED {
        if let Some(frames) = jpeg12_frames(obj, path, fmt)? {
            return append_samples(path, fmt, &frames, (slope, intercept), out);
        }
    }
    let decoded =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| obj.decode_pixel_data()))
            .map_err(|_| {
                unsupported(
                    path,
                    format!(
                        "the pixel data decoder failed on malformed data (transfer syntax {ts})"
                    ),
                )
            })?
            .map_err(|e| {
                let (message, _) = error_chain(&e);
                unsupported(
                    path,
                    format!(
                        "cannot decode compressed pixel data (transfer syntax {ts}, {}): {message}",
                        transfer_syntax_name(ts)
                    ),
                )
            })?;
    let data = decoded.data();
    let bytes_per = (fmt.bits_allocated as usize).div_ceil(8);
    if fmt.bits_allocated == 1 {
        // Decoders hand 1-bit data back one byte a sample (0 or 255) or still packed.
        if data.len() >= n {
            out.extend(data[..n].iter().map(|&v| if v != 0 { 1.0 } else { 0.0 }));
        } else if data.len() * 8 >= n {
            unpack_bits(data, n, out);
        } else {
            return Err(IoError::Truncated {
                path: path.into(),
                message: format!(
                    "decoded pixel data holds {} bytes for {n} pixels",
                    data.len()
                ),
            });
        }
        return Ok(());
    }
    if data.len() < n * bytes_per {
        return Err(IoError::Truncated {
            path: path.into(),
            message: format!(
                "decoded pixel data holds {} bytes where {} are expected",
                data.len(),
                n * bytes_per
            ),
        });
    }
    match bytes_per {
        1 => out.extend(
            data[..n]
                .iter()
                .map(|&v| fmt.value_of(v as u32) * slope + intercept),
        ),
        2 => out.extend(
            data[..2 * n]
                .chunks_exact(2)
                .map(|c| fmt.value_of(u16::from_ne_bytes([c[0], c[1]]) as u32) * slope + intercept),
        ),
        _ => out.extend(data[..4 * n].chunks_exact(4).map(|c| {
            fmt.value_of(u32::from_ne_bytes([c[0], c[1], c[2], c[3]])) * slope + intercept
        })),
    }
    Ok(())
}

/// JPEG Extended (process 2 and 4).
const JPEG_EXTENDED: &str = "1.2.840.10008.1.2.4.51";

/// The name of a transfer syntax UID, for messages.
pub(crate) fn transfer_syntax_name(ts: &str) -> &'static str {
    match ts {
        "1.2.840.10008.1.2" => "Implicit VR Little Endian",
        "1.2.840.10008.1.2.1" => "Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.99" => "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2" => "Explicit VR Big Endian",
        "1.2.840.10008.1.2.4.50" => "JPEG Baseline (process 1)",
        "1.2.840.10008.1.2.4.51" => "JPEG Extended (process 2 and 4)",
        "1.2.840.10008.1.2.4.57" => "JPEG Lossless (process 14)",
        "1.2.840.10008.1.2.4.70" => "JPEG Lossless (process 14, SV1)",
        "1.2.840.10008.1.2.4.80" => "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81" => "JPEG-LS Near-Lossless",
        "1.2.840.10008.1.2.4.90" => "JPEG 2000 (lossless only)",
        "1.2.840.10008.1.2.4.91" => "JPEG 2000",
        "1.2.840.10008.1.2.4.92" => "JPEG 2000 Part 2 multi-component (lossless only)",
        "1.2.840.10008.1.2.4.93" => "JPEG 2000 Part 2 multi-component",
        "1.2.840.10008.1.2.4.94" => "JPIP referenced",
        "1.2.840.10008.1.2.4.100" | "1.2.840.10008.1.2.4.101" => "MPEG-2",
        "1.2.840.10008.1.2.4.102" | "1.2.840.10008.1.2.4.103" => "MPEG-4 AVC/H.264",
        "1.2.840.10008.1.2.4.107" | "1.2.840.10008.1.2.4.108" => "HEVC/H.265",
        "1.2.840.10008.1.2.4.110" => "JPEG XL Lossless",
        "1.2.840.10008.1.2.4.111" => "JPEG XL JPEG Recompression",
        "1.2.840.10008.1.2.4.112" => "JPEG XL",
        "1.2.840.10008.1.2.4.201" => "High-Throughput JPEG 2000 (lossless only)",
        "1.2.840.10008.1.2.4.202" => "High-Throughput JPEG 2000 with RPCL (lossless only)",
        "1.2.840.10008.1.2.4.203" => "High-Throughput JPEG 2000",
        "1.2.840.10008.1.2.5" => "RLE Lossless",
        _ => "unknown transfer syntax",
    }
}

/// The codec (crate) that decodes a compressed transfer syntax; None for native
/// (uncompressed) syntaxes and for those radx cannot decode.
pub(crate) fn codec_of(ts: &str) -> Option<&'static str> {
    Some(match ts {
        "1.2.840.10008.1.2.1.99" => "flate2 (inflate of the data set)",
        "1.2.840.10008.1.2.4.50" | "1.2.840.10008.1.2.4.57" | "1.2.840.10008.1.2.4.70" => {
            "jpeg-decoder"
        }
        "1.2.840.10008.1.2.4.51" => "jpeg-decoder (8-bit) or radx's 12-bit JPEG decoder",
        "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81" => "CharLS (charls crate)",
        "1.2.840.10008.1.2.4.90" | "1.2.840.10008.1.2.4.91" => "jpeg2k/openjp2",
        "1.2.840.10008.1.2.5" => "dicom-transfer-syntax-registry RLE Lossless",
        _ => return None,
    })
}

/// Frames of 12-bit JPEG Extended pixel data decoded by [`super::jpeg12`] (which
/// `jpeg-decoder` does not read), or None when the stream is another kind of JPEG (8-bit),
/// left to `dicom-pixeldata`. One fragment per frame, or every fragment for one frame.
fn jpeg12_frames(
    obj: &DefaultDicomObject,
    path: &Path,
    fmt: &PixelFormat,
) -> Result<Option<Vec<u16>>, IoError> {
    let Some(Value::PixelSequence(seq)) = obj.get(tags::PIXEL_DATA).map(|e| e.value()) else {
        return Ok(None);
    };
    let frags = seq.fragments();
    let streams: Vec<Vec<u8>> = if fmt.frames == 1 {
        vec![frags.concat()]
    } else if frags.len() == fmt.frames {
        frags.to_vec()
    } else {
        return Err(unsupported(
            path,
            format!(
                "JPEG Extended pixel data of {} frames in {} fragments (one fragment per frame is read)",
                fmt.frames,
                frags.len()
            ),
        ));
    };
    match streams.first().and_then(|s| super::jpeg12::frame_kind(s)) {
        Some((p, true)) if p > 8 => {}
        _ => return Ok(None),
    }
    let mut all = Vec::new();
    for (k, s) in streams.iter().enumerate() {
        let d = super::jpeg12::decode(s).map_err(|why| {
            invalid(
                path,
                format!("cannot decode JPEG Extended (12-bit) frame {k}: {why}"),
            )
        })?;
        if (d.width, d.height) != (fmt.columns, fmt.rows) {
            return Err(invalid(
                path,
                format!(
                    "JPEG frame {k} is {} x {} pixels where Columns x Rows say {} x {}",
                    d.width, d.height, fmt.columns, fmt.rows
                ),
            ));
        }
        if d.precision as u32 > fmt.bits_allocated {
            return Err(invalid(
                path,
                format!(
                    "JPEG sample precision {} exceeds BitsAllocated {}",
                    d.precision, fmt.bits_allocated
                ),
            ));
        }
        all.extend_from_slice(&d.samples);
    }
    Ok(Some(all))
}

/// Appends `slope · v + intercept` for decoded samples held as u16.
fn append_samples(
    path: &Path,
    fmt: &PixelFormat,
    samples: &[u16],
    (slope, intercept): (f64, f64),
    out: &mut Vec<f64>,
) -> Result<(), IoError> {
    let n = fmt.pixel_count(path)?;
    if samples.len() < n {
        return Err(IoError::Truncated {
            path: path.into(),
            message: format!(
                "decoded pixel data holds {} samples for {n} pixels",
                samples.len()
            ),
        });
    }
    out.extend(
        samples[..n]
            .iter()
            .map(|&v| fmt.value_of(v as u32) * slope + intercept),
    );
    Ok(())
}

/// Largest decoded size of one file's compressed pixel data radx accepts (guards against
/// absurd declared sizes before a decoder allocates them).
const MAX_DECODED_BYTES: u64 = 1 << 31;

/// Unpacks `n` bits, least significant bit of each byte first (DICOM bit order), into 0/1.
fn unpack_bits(bytes: &[u8], n: usize, out: &mut Vec<f64>) {
    for i in 0..n {
        let bit = (bytes[i / 8] >> (i % 8)) & 1;
        out.push(bit as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_value_bits_and_sign() {
        let f = PixelFormat {
            rows: 1,
            columns: 1,
            frames: 1,
            bits_allocated: 16,
            bits_stored: 12,
            high_bit: 11,
            signed: true,
        };
        assert_eq!(f.value_of(0x0FFF), -1.0);
        assert_eq!(f.value_of(0xF7FF), 2047.0); // bits above the high bit are ignored
        assert_eq!(f.value_of(0x0800), -2048.0);
        let u = PixelFormat { signed: false, ..f };
        assert_eq!(u.value_of(0xFFFF), 4095.0);
        let s16 = PixelFormat {
            bits_stored: 16,
            high_bit: 15,
            ..f
        };
        assert_eq!(s16.value_of(0xFC18), -1000.0);
    }

    #[test]
    fn bits_unpack_lsb_first() {
        let mut out = Vec::new();
        unpack_bits(&[0b0000_0101, 0b1000_0000], 16, &mut out);
        assert_eq!(out[0], 1.0);
        assert_eq!(out[1], 0.0);
        assert_eq!(out[2], 1.0);
        assert_eq!(out[15], 1.0);
        assert_eq!(out.iter().sum::<f64>(), 3.0);
    }
}
