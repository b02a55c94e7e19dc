//! A decoder for 12-bit JPEG extended (ISO/IEC 10918-1 process 4: sequential DCT, Huffman
//! coding, 12-bit samples), the part of DICOM transfer syntax 1.2.840.10008.1.2.4.51 that the
//! pure-Rust `jpeg-decoder` crate does not cover (it reads 8-bit DCT and lossless JPEG only).
//!
//! Scope: one greyscale component, one sequential scan, Huffman tables (DHT), 8- or 16-bit
//! quantisation tables (DQT), restart intervals (DRI / RSTn). Anything else (progressive or
//! arithmetic coding, several components) is an error naming it.
//!
//! Each 8 × 8 block is decoded as the standard defines it: DC difference `diff =
//! EXTEND(RECEIVE(s), s)` added to the previous DC (reset at a restart marker), AC
//! coefficients as (run, size) pairs in zig-zag order, dequantised by the table, then the
//! inverse DCT
//! `f(x, y) = ¼ Σ_u Σ_v C(u) C(v) F(u, v) cos((2x+1)uπ/16) cos((2y+1)vπ/16)`,
//! `C(0) = 1/√2`, `C(k>0) = 1`, computed in f64, shifted by `2^(P−1)` and rounded and clamped
//! to `[0, 2^P − 1]` (P = the frame's sample precision).

/// Decoded samples of one frame.
pub(crate) struct Decoded {
    pub width: usize,
    pub height: usize,
    pub precision: u8,
    /// Row after row.
    pub samples: Vec<u16>,
}

const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// The sample precision of the first SOF marker of a JPEG stream and whether that frame is
/// a sequential DCT one (SOF0 / SOF1), or None when no frame header is found.
pub(crate) fn frame_kind(data: &[u8]) -> Option<(u8, bool)> {
    let mut p = 2;
    while p + 4 < data.len() {
        if data[p] != 0xFF {
            return None;
        }
        let m = data[p + 1];
        if m == 0xFF {
            p += 1;
            continue;
        }
        let len = u16::from_be_bytes([data[p + 2], data[p + 3]]) as usize;
        if matches!(m, 0xC0..=0xCF) && !matches!(m, 0xC4 | 0xC8 | 0xCC) {
            let precision = *data.get(p + 4)?;
            return Some((precision, matches!(m, 0xC0 | 0xC1)));
        }
        if m == 0xDA {
            return None;
        }
        p += 2 + len;
    }
    None
}

#[derive(Clone, Default)]
struct Huffman {
    /// Largest code of each length 1..=16 (−1 when none).
    maxcode: [i32; 17],
    /// First code of each length.
    mincode: [i32; 17],
    /// Index in `values` of the first code of each length.
    valptr: [usize; 17],
    values: Vec<u8>,
}

impl Huffman {
    fn new(counts: &[u8; 16], values: Vec<u8>) -> Result<Self, String> {
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        if total != values.len() || total > 256 {
            return Err("inconsistent Huffman table".into());
        }
        let mut h = Huffman {
            maxcode: [-1; 17],
            values,
            ..Default::default()
        };
        let mut code = 0i32;
        let mut k = 0usize;
        for l in 1..=16 {
            let n = counts[l - 1] as i32;
            h.valptr[l] = k;
            h.mincode[l] = code;
            code += n;
            k += n as usize;
            h.maxcode[l] = if n > 0 { code - 1 } else { -1 };
            if code > (1 << l) {
                return Err("Huffman table with too many codes".into());
            }
            code <<= 1;
        }
        Ok(h)
    }
}

/// Entropy-coded bits, with byte stuffing (0xFF 0x00) removed; stops at a marker.
struct Bits<'a> {
    d: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
    at_marker: bool,
    /// Zero bytes fed past the end of the data (a corrupt stream ends the decode).
    padded: usize,
}

impl<'a> Bits<'a> {
    fn new(d: &'a [u8], pos: usize) -> Self {
        Bits {
            d,
            pos,
            acc: 0,
            n: 0,
            at_marker: false,
            padded: 0,
        }
    }

    fn fill(&mut self) {
        while self.n <= 56 {
            let b = if self.at_marker || self.pos >= self.d.len() {
                self.padded += 1;
                0
            } else {
                let b = self.d[self.pos];
                if b == 0xFF {
                    match self.d.get(self.pos + 1) {
                        Some(0x00) => {
                            self.pos += 2;
                            0xFF
                        }
                        _ => {
                            self.at_marker = true;
                            self.padded += 1;
                            0
                        }
                    }
                } else {
                    self.pos += 1;
                    b
                }
            };
            self.acc |= (b as u64) << (56 - self.n);
            self.n += 8;
        }
    }

    fn bits(&mut self, k: u32) -> Result<u32, String> {
        if k == 0 {
            return Ok(0);
        }
        self.fill();
        if self.padded > 8 {
            return Err("entropy-coded data end before the image is complete".into());
        }
        let v = (self.acc >> (64 - k)) as u32;
        self.acc <<= k;
        self.n -= k;
        Ok(v)
    }

    fn decode(&mut self, h: &Huffman) -> Result<u8, String> {
        let mut code = 0i32;
        for l in 1..=16 {
            code = (code << 1) | self.bits(1)? as i32;
            if code <= h.maxcode[l] {
                let i = h.valptr[l] + (code - h.mincode[l]) as usize;
                return h
                    .values
                    .get(i)
                    .copied()
                    .ok_or_else(|| "bad Huffman code".to_string());
            }
        }
        Err("bad Huffman code".into())
    }

    /// `EXTEND(RECEIVE(s), s)`.
    fn receive_extend(&mut self, s: u8) -> Result<i32, String> {
        if s == 0 {
            return Ok(0);
        }
        if s > 16 {
            return Err(format!("coefficient size {s} out of range"));
        }
        let v = self.bits(s as u32)? as i32;
        Ok(if v < (1 << (s - 1)) {
            v - (1 << s) + 1
        } else {
            v
        })
    }

    /// Skips to just after the next RSTn marker (after `restart_interval` MCUs).
    fn restart(&mut self) -> Result<(), String> {
        self.acc = 0;
        self.n = 0;
        self.at_marker = false;
        self.padded = 0;
        while self.pos + 1 < self.d.len() {
            if self.d[self.pos] == 0xFF && matches!(self.d[self.pos + 1], 0xD0..=0xD7) {
                self.pos += 2;
                return Ok(());
            }
            self.pos += 1;
        }
        Err("missing restart marker".into())
    }
}

struct Frame {
    precision: u8,
    width: usize,
    height: usize,
    component: u8,
    qtable: usize,
}

/// Decodes one 12-bit (or 8-bit) sequential-DCT Huffman JPEG greyscale frame.
pub(crate) fn decode(data: &[u8]) -> Result<Decoded, String> {
    if data.len() < 4 || data[0] != 0xFF || data[1] != 0xD8 {
        return Err("not a JPEG stream (no SOI marker)".into());
    }
    let mut qt = [[0u16; 64]; 4];
    let mut dc: [Option<Huffman>; 4] = Default::default();
    let mut ac: [Option<Huffman>; 4] = Default::default();
    let mut frame: Option<Frame> = None;
    let mut restart_interval = 0usize;
    let mut out: Option<Vec<u16>> = None;
    let mut p = 2usize;
    loop {
        // Next marker (fill bytes 0xFF allowed).
        while p < data.len() && data[p] != 0xFF {
            p += 1;
        }
        while p < data.len() && data[p] == 0xFF {
            p += 1;
        }
        let Some(&m) = data.get(p) else {
            break;
        };
        p += 1;
        if m == 0xD9 {
            break; // EOI
        }
        if matches!(m, 0xD0..=0xD7 | 0x01) {
            continue;
        }
        let len = match data.get(p..p + 2) {
            Some(b) => u16::from_be_bytes([b[0], b[1]]) as usize,
            None => return Err("JPEG stream ends inside a marker".into()),
        };
        if len < 2 || p + len > data.len() {
            return Err(format!(
                "JPEG marker 0xFF{m:02X} of length {len} runs past the data"
            ));
        }
        let seg = &data[p + 2..p + len];
        match m {
            0xDB => {
                let mut s = seg;
                while !s.is_empty() {
                    let (pq, tq) = ((s[0] >> 4) as usize, (s[0] & 15) as usize);
                    let size = if pq == 0 { 64 } else { 128 };
                    if tq > 3 || s.len() < 1 + size {
                        return Err("bad quantisation table".into());
                    }
                    for k in 0..64 {
                        qt[tq][k] = if pq == 0 {
                            s[1 + k] as u16
                        } else {
                            u16::from_be_bytes([s[1 + 2 * k], s[2 + 2 * k]])
                        };
                    }
                    s = &s[1 + size..];
                }
            }
            0xC4 => {
                let mut s = seg;
                while !s.is_empty() {
                    if s.len() < 17 {
                        return Err("bad Huffman table".into());
                    }
                    let (tc, th) = (s[0] >> 4, (s[0] & 15) as usize);
                    let counts: [u8; 16] = s[1..17].try_into().expect("16 bytes");
                    let total: usize = counts.iter().map(|&c| c as usize).sum();
                    if th > 3 || s.len() < 17 + total {
                        return Err("bad Huffman table".into());
                    }
                    let h = Huffman::new(&counts, s[17..17 + total].to_vec())?;
                    match tc {
                        0 => dc[th] = Some(h),
                        1 => ac[th] = Some(h),
                        _ => return Err("bad Huffman table class".into()),
                    }
                    s = &s[17 + total..];
                }
            }
            0xC0 | 0xC1 => {
                if seg.len() < 9 {
                    return Err("bad frame header".into());
                }
                let nf = seg[5];
                if nf != 1 {
                    return Err(format!("{nf} components (a greyscale frame is read)"));
                }
                frame = Some(Frame {
                    precision: seg[0],
                    height: u16::from_be_bytes([seg[1], seg[2]]) as usize,
                    width: u16::from_be_bytes([seg[3], seg[4]]) as usize,
                    component: seg[6],
                    qtable: (seg[8] & 3) as usize,
                });
            }
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(format!(
                    "JPEG frame type 0xFF{m:02X} (only sequential DCT with Huffman coding is read here)"
                ));
            }
            0xDD => {
                if seg.len() < 2 {
                    return Err("bad restart interval".into());
                }
                restart_interval = u16::from_be_bytes([seg[0], seg[1]]) as usize;
            }
            0xDA => {
                let f = frame.as_ref().ok_or("scan before the frame header")?;
                if seg.is_empty() || seg[0] != 1 || seg.len() < 6 {
                    return Err("bad scan header".into());
                }
                if seg[1] != f.component {
                    return Err("scan of an unknown component".into());
                }
                let (td, ta) = ((seg[2] >> 4) as usize & 3, (seg[2] & 15) as usize & 3);
                let dch = dc[td].as_ref().ok_or("missing DC Huffman table")?;
                let ach = ac[ta].as_ref().ok_or("missing AC Huffman table")?;
                if f.width == 0 || f.height == 0 {
                    return Err("frame of zero size".into());
                }
                let samples =
                    decode_scan(data, p + len, f, &qt[f.qtable], dch, ach, restart_interval)?;
                out = Some(samples.0);
                p = samples.1;
                continue;
            }
            _ => {} // APPn, COM, DNL... skipped
        }
        p += len;
    }
    let f = frame.ok_or("no frame header")?;
    let samples = out.ok_or("no scan")?;
    Ok(Decoded {
        width: f.width,
        height: f.height,
        precision: f.precision,
        samples,
    })
}

#[allow(clippy::needless_range_loop)] // the IDCT reads clearest with its indices
fn decode_scan(
    data: &[u8],
    start: usize,
    f: &Frame,
    q: &[u16; 64],
    dch: &Huffman,
    ach: &Huffman,
    restart_interval: usize,
) -> Result<(Vec<u16>, usize), String> {
    let (bw, bh) = (f.width.div_ceil(8), f.height.div_ceil(8));
    let mut out = vec![0u16; f.width * f.height];
    let mut bits = Bits::new(data, start);
    let cos = cos_table();
    let shift = (1i64 << (f.precision.max(1) - 1)) as f64;
    let maxv = ((1u32 << f.precision.min(16)) - 1) as f64;
    let mut pred = 0i32;
    let mut coef = [0f64; 64];
    let mut tmp = [0f64; 64];
    for mcu in 0..bw * bh {
        if restart_interval > 0 && mcu > 0 && mcu % restart_interval == 0 {
            bits.restart()?;
            pred = 0;
        }
        coef.fill(0.0);
        let s = bits.decode(dch)?;
        pred = pred.wrapping_add(bits.receive_extend(s)?);
        coef[0] = pred as f64 * q[0] as f64;
        let mut k = 1;
        while k < 64 {
            let rs = bits.decode(ach)?;
            let (r, s) = ((rs >> 4) as usize, rs & 15);
            if s == 0 {
                if r == 15 {
                    k += 16;
                    continue;
                }
                break;
            }
            k += r;
            if k > 63 {
                return Err("AC coefficient past the end of a block".into());
            }
            coef[ZIGZAG[k]] = bits.receive_extend(s)? as f64 * q[k] as f64;
            k += 1;
        }
        // Separable inverse DCT: columns (over v) then rows (over u).
        for y in 0..8 {
            for u in 0..8 {
                let mut acc = 0.0;
                for v in 0..8 {
                    acc += cos[y][v] * coef[v * 8 + u];
                }
                tmp[y * 8 + u] = acc;
            }
        }
        let (bx, by) = (mcu % bw, mcu / bw);
        for y in 0..8 {
            let row = by * 8 + y;
            if row >= f.height {
                break;
            }
            for x in 0..8 {
                let col = bx * 8 + x;
                if col >= f.width {
                    break;
                }
                let mut acc = 0.0;
                for u in 0..8 {
                    acc += cos[x][u] * tmp[y * 8 + u];
                }
                let v = (acc / 4.0 + shift).round().clamp(0.0, maxv);
                out[row * f.width + col] = v as u16;
            }
        }
    }
    // The entropy-coded data end at the next marker that is not a restart marker.
    let mut p = bits.pos;
    while p + 1 < data.len() && (data[p] != 0xFF || matches!(data[p + 1], 0x00 | 0xD0..=0xD7)) {
        p += 1;
    }
    Ok((out, p))
}

/// `cos[x][u] = C(u) cos((2x+1)uπ/16)`.
fn cos_table() -> [[f64; 8]; 8] {
    let mut t = [[0.0; 8]; 8];
    for (x, row) in t.iter_mut().enumerate() {
        for (u, c) in row.iter_mut().enumerate() {
            let cu = if u == 0 {
                std::f64::consts::FRAC_1_SQRT_2
            } else {
                1.0
            };
            *c = cu * (((2 * x + 1) * u) as f64 * std::f64::consts::PI / 16.0).cos();
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huffman_canonical_codes() {
        // Two codes of length 2 (00, 01), one of length 3 (100).
        let mut counts = [0u8; 16];
        counts[1] = 2;
        counts[2] = 1;
        let h = Huffman::new(&counts, vec![7, 8, 9]).unwrap();
        let data = [0b0110_0000u8, 0x00];
        let mut b = Bits::new(&data, 0);
        assert_eq!(b.decode(&h).unwrap(), 8);
        assert_eq!(b.decode(&h).unwrap(), 9);
    }

    #[test]
    fn extend_gives_negative_values() {
        let data = [0b0100_0000u8];
        let mut b = Bits::new(&data, 0);
        // RECEIVE(2) = 01 → EXTEND → 1 − 4 + 1 = −2
        assert_eq!(b.receive_extend(2).unwrap(), -2);
    }

    #[test]
    fn dc_only_block_is_flat() {
        // IDCT of a DC-only block: f = F(0,0) / 8 everywhere.
        let cos = cos_table();
        let f00 = 80.0;
        let acc = cos[3][0] * cos[5][0] * f00;
        assert!((acc / 4.0 - 10.0).abs() < 1e-12);
    }

    #[test]
    fn truncated_stream_is_an_error_not_a_panic() {
        assert!(decode(&[0xFF, 0xD8]).is_err());
        assert!(decode(&[0xFF, 0xD8, 0xFF, 0xC1, 0x00]).is_err());
        assert!(decode(&[
            0xFF, 0xD8, 0xFF, 0xC1, 0x00, 0x0B, 12, 0, 8, 0, 8, 1, 1, 0x11, 0, 0xFF, 0xDA
        ])
        .is_err());
    }
}
