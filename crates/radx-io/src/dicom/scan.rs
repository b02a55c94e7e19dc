//! A structural pre-check of DICOM Part 10 bytes, run before the parser sees them.
//!
//! The parser allocates (and zero-fills) a buffer of an element's declared length before
//! it reads the value, so one corrupt length field (up to 4 GiB) costs seconds and
//! gigabytes before the file is found too short. This walk reads only element headers and
//! rejects, at once, an element whose declared length runs past the end of the file or of
//! the item or sequence holding it. It never rejects on anything else: whatever it does not
//! follow (an unexpected tag, a deflated data set, the end of the bytes it was given) ends
//! the walk without a verdict, and the parser judges the rest.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

const UNDEFINED: u32 = 0xFFFF_FFFF;

/// The value representation codes of the standard.
fn known_vr(vr: &[u8]) -> bool {
    matches!(
        vr,
        b"AE"
            | b"AS"
            | b"AT"
            | b"CS"
            | b"DA"
            | b"DS"
            | b"DT"
            | b"FL"
            | b"FD"
            | b"IS"
            | b"LO"
            | b"LT"
            | b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"PN"
            | b"SH"
            | b"SL"
            | b"SQ"
            | b"SS"
            | b"ST"
            | b"SV"
            | b"TM"
            | b"UC"
            | b"UI"
            | b"UL"
            | b"UN"
            | b"UR"
            | b"US"
            | b"UT"
            | b"UV"
    )
}
/// Deepest nesting of sequences followed; deeper is an error (the parser builds nested
/// items recursively, so unbounded depth would exhaust its stack).
pub(crate) const MAX_DEPTH: usize = 64;

/// Walk depth: each sequence level is an items step and an elements step.
const MAX_WALK_DEPTH: usize = 2 * MAX_DEPTH + 1;

/// Largest size a deflated data set may inflate to (the walk holds it in memory).
pub(crate) const MAX_INFLATED: u64 = 128 << 20;

/// Random access to the bytes walked: a slice, or a file read in pages.
pub(crate) trait Source {
    /// Fills `out` from byte `pos`; false when the bytes end first.
    fn read_at(&self, pos: u64, out: &mut [u8]) -> bool;
}

/// Bytes in memory.
pub(crate) struct Mem<'a>(pub &'a [u8]);

impl Source for Mem<'_> {
    fn read_at(&self, pos: u64, out: &mut [u8]) -> bool {
        let Ok(p) = usize::try_from(pos) else {
            return false;
        };
        match p.checked_add(out.len()).and_then(|e| self.0.get(p..e)) {
            Some(s) => {
                out.copy_from_slice(s);
                true
            }
            None => false,
        }
    }
}

/// A file read through one cached page (element headers are small and mostly in order).
pub(crate) struct FileSource {
    file: std::cell::RefCell<(std::fs::File, u64, Vec<u8>)>,
}

const PAGE: usize = 64 * 1024;

impl FileSource {
    pub fn new(file: std::fs::File) -> Self {
        FileSource {
            file: std::cell::RefCell::new((file, u64::MAX, Vec::new())),
        }
    }
}

impl Source for FileSource {
    fn read_at(&self, pos: u64, out: &mut [u8]) -> bool {
        use std::io::{Read, Seek, SeekFrom};
        let mut c = self.file.borrow_mut();
        let (file, start, page) = &mut *c;
        let mut done = 0;
        while done < out.len() {
            let p = pos + done as u64;
            let inside = *start != u64::MAX && p >= *start && p < *start + page.len() as u64;
            if !inside {
                let ps = p - p % PAGE as u64;
                page.clear();
                if file.seek(SeekFrom::Start(ps)).is_err()
                    || file.by_ref().take(PAGE as u64).read_to_end(page).is_err()
                {
                    *start = u64::MAX;
                    return false;
                }
                *start = ps;
                if p >= ps + page.len() as u64 {
                    return false; // end of the file
                }
            }
            let off = (p - *start) as usize;
            let k = (page.len() - off).min(out.len() - done);
            out[done..done + k].copy_from_slice(&page[off..off + k]);
            done += k;
        }
        true
    }
}

struct Walk<'a> {
    /// The bytes walked.
    b: &'a dyn Source,
    /// Length of the bytes walked.
    file_len: u64,
    little: bool,
    explicit: bool,
}

/// What a walk step found.
enum Step {
    /// Went on to this position.
    At(u64),
    /// Stopped without a verdict (the end of the bytes, or a structure not followed).
    Stop,
}

fn too_deep(at: u64) -> String {
    format!("sequences are nested more than {MAX_DEPTH} deep (at byte {at})")
}

impl Walk<'_> {
    fn bytes<const N: usize>(&self, p: u64) -> Option<[u8; N]> {
        let mut a = [0u8; N];
        self.b.read_at(p, &mut a).then_some(a)
    }

    fn u16(&self, p: u64) -> Option<u16> {
        let s = self.bytes::<2>(p)?;
        Some(if self.little {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    }

    fn u32(&self, p: u64) -> Option<u32> {
        let s = self.bytes::<4>(p)?;
        Some(if self.little {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }

    fn too_long(&self, tag: (u16, u16), at: u64, value_at: u64, len: u32, end: u64) -> String {
        format!(
            "element {} at byte {at} declares {len} value bytes, but only {} remain in the {}",
            super::dcm::tag_name(Tag(tag.0, tag.1)),
            end.saturating_sub(value_at),
            if end == self.file_len {
                "file"
            } else {
                "enclosing item"
            }
        )
    }

    /// Data elements from `pos` up to `end`, or up to an item delimiter when
    /// `item_delimited`.
    fn elements(
        &self,
        mut pos: u64,
        end: u64,
        item_delimited: bool,
        depth: usize,
    ) -> Result<Step, String> {
        if depth > MAX_WALK_DEPTH {
            return Err(too_deep(pos));
        }
        loop {
            if pos >= end {
                return Ok(if item_delimited {
                    Step::Stop
                } else {
                    Step::At(pos)
                });
            }
            let (Some(group), Some(elem)) = (self.u16(pos), self.u16(pos + 2)) else {
                return Ok(Step::Stop);
            };
            if group == 0xFFFE {
                if elem == 0xE00D && item_delimited {
                    return Ok(Step::At(pos + 8));
                }
                return Err(format!(
                    "(FFFE,{elem:04X}) at byte {pos} is an item tag where a data element is expected"
                ));
            }
            let (len, header, is_sq, known_plain, un) = if self.explicit {
                let Some(vr) = self.bytes::<2>(pos + 4) else {
                    return Ok(Step::Stop);
                };
                let vr = &vr[..];
                if !known_vr(vr) {
                    return Err(format!(
                        "element ({group:04X},{elem:04X}) at byte {pos} has no valid value representation ({:?})",
                        String::from_utf8_lossy(vr)
                    ));
                }
                let long = matches!(
                    vr,
                    b"OB"
                        | b"OD"
                        | b"OF"
                        | b"OL"
                        | b"OV"
                        | b"OW"
                        | b"SQ"
                        | b"SV"
                        | b"UC"
                        | b"UN"
                        | b"UR"
                        | b"UT"
                        | b"UV"
                );
                if long {
                    let Some(l) = self.u32(pos + 8) else {
                        return Ok(Step::Stop);
                    };
                    (l, 12, vr == b"SQ", false, vr == b"UN")
                } else {
                    let Some(l) = self.u16(pos + 6) else {
                        return Ok(Step::Stop);
                    };
                    (l as u32, 8, false, true, false)
                }
            } else {
                let Some(l) = self.u32(pos + 4) else {
                    return Ok(Step::Stop);
                };
                let vr = StandardDataDictionary
                    .by_tag(Tag(group, elem))
                    .map(|e| e.vr());
                let sq = matches!(vr, Some(VirtualVr::Exact(VR::SQ)));
                // a dictionary element that can be neither a sequence nor pixel data
                let plain = matches!(vr, Some(VirtualVr::Exact(v)) if !matches!(v, VR::SQ | VR::UN | VR::OB | VR::OW));
                (l, 8, sq, plain, false)
            };
            let at = pos;
            pos += header;
            if len == UNDEFINED {
                if known_plain && (group, elem) != (0x7FE0, 0x0010) {
                    return Err(format!(
                        "element ({group:04X},{elem:04X}) at byte {at} has an undefined length, which only sequences and pixel data can have"
                    ));
                }
                // A sequence, encapsulated pixel data or UN of undefined length: items up
                // to a sequence delimiter. An undefined-length UN holds implicit VR
                // little endian items.
                let fragments = (group, elem) == (0x7FE0, 0x0010);
                let implicit = Walk {
                    b: self.b,
                    file_len: self.file_len,
                    little: true,
                    explicit: false,
                };
                let w = if un && !fragments { &implicit } else { self };
                match w.items(pos, end, true, fragments, depth + 1)? {
                    Step::At(p) => pos = p,
                    Step::Stop => return Ok(Step::Stop),
                }
                continue;
            }
            if len as u64 > end.saturating_sub(pos) {
                return Err(self.too_long((group, elem), at, pos, len, end));
            }
            if is_sq {
                if let Step::Stop = self.items(pos, pos + len as u64, false, false, depth + 1)? {
                    // nothing more to say about this sequence; go on after it
                }
            }
            pos += len as u64;
        }
    }

    /// Items from `pos`: up to a sequence delimiter (`delimited`) or up to `end`.
    /// Fragments (encapsulated pixel data) are skipped as bytes.
    fn items(
        &self,
        mut pos: u64,
        end: u64,
        delimited: bool,
        fragments: bool,
        depth: usize,
    ) -> Result<Step, String> {
        if depth > MAX_WALK_DEPTH {
            return Err(too_deep(pos));
        }
        loop {
            if !delimited && pos >= end {
                return Ok(Step::At(pos));
            }
            let (Some(group), Some(elem), Some(len)) =
                (self.u16(pos), self.u16(pos + 2), self.u32(pos + 4))
            else {
                return Ok(Step::Stop);
            };
            if group != 0xFFFE {
                return Err(format!(
                    "an item or a sequence delimiter is expected at byte {pos}, but ({group:04X},{elem:04X}) is found"
                ));
            }
            let at = pos;
            pos += 8;
            match elem {
                0xE0DD if delimited => return Ok(Step::At(pos)),
                0xE000 => {
                    if len == UNDEFINED {
                        if fragments {
                            return Err(format!(
                                "pixel data fragment at byte {at} has an undefined length"
                            ));
                        }
                        match self.elements(pos, end, true, depth + 1)? {
                            Step::At(p) => pos = p,
                            Step::Stop => return Ok(Step::Stop),
                        }
                    } else {
                        if len as u64 > end.saturating_sub(pos) {
                            return Err(self.too_long((group, elem), at, pos, len, end));
                        }
                        if !fragments {
                            let item_end = pos + len as u64;
                            if let Step::Stop = self.elements(pos, item_end, false, depth + 1)? {
                                // not followed further; the item's length was fine
                            }
                        }
                        pos += len as u64;
                    }
                }
                _ => {
                    return Err(format!(
                        "an item or a sequence delimiter is expected at byte {at}, but (FFFE,{elem:04X}) is found"
                    ))
                }
            }
        }
    }
}

/// Checks the DICOM Part 10 bytes of `src` (`file_len` bytes). `Err` names the first
/// element whose declared length cannot fit, or a structure the parser must not be given
/// (sequences nested too deep, an item tag outside a sequence). `deflated` is called for a
/// deflated data set with the position where it starts: it returns the inflated bytes (at
/// most [`MAX_INFLATED`]), which are then walked as explicit VR little endian.
pub(crate) fn check_source(
    b: &dyn Source,
    file_len: u64,
    deflated: &dyn Fn(u64) -> Result<Vec<u8>, String>,
) -> Result<Option<Vec<u8>>, String> {
    let mut magic = [0u8; 4];
    if !b.read_at(128, &mut magic) || &magic != b"DICM" {
        return Ok(None);
    }
    // File meta group: explicit VR little endian, group 0002.
    let meta = Walk {
        b,
        file_len,
        little: true,
        explicit: true,
    };
    let mut pos = 132u64;
    let mut ts = String::new();
    // End of the meta group from its group length (0002,0000), when it comes first.
    let mut meta_end: Option<u64> = None;
    if meta.u16(pos) == Some(0x0002)
        && meta.u16(pos + 2) == Some(0x0000)
        && meta.bytes::<2>(pos + 4) == Some(*b"UL")
        && meta.u16(pos + 6) == Some(4)
    {
        if let Some(gl) = meta.u32(pos + 8) {
            let end = pos + 12 + gl as u64;
            if end > file_len {
                return Err(format!(
                    "the file meta group declares {gl} bytes, more than the file holds"
                ));
            }
            meta_end = Some(end);
        }
    }
    loop {
        match meta_end {
            Some(end) if pos >= end => break,
            Some(_) => {
                let Some(g) = meta.u16(pos) else {
                    return Ok(None);
                };
                if g != 0x0002 {
                    return Err(format!(
                        "the file meta group holds an element of group {g:04X} at byte {pos}"
                    ));
                }
            }
            None if meta.u16(pos) != Some(0x0002) => break,
            None => {}
        }
        let (Some(elem), Some(vr)) = (meta.u16(pos + 2), meta.bytes::<2>(pos + 4)) else {
            return Ok(None);
        };
        if !known_vr(&vr) {
            return Err(format!(
                "file meta element (0002,{elem:04X}) at byte {pos} has no valid value representation ({:?})",
                String::from_utf8_lossy(&vr)
            ));
        }
        let long = matches!(
            &vr,
            b"OB"
                | b"OD"
                | b"OF"
                | b"OL"
                | b"OV"
                | b"OW"
                | b"SQ"
                | b"SV"
                | b"UC"
                | b"UN"
                | b"UR"
                | b"UT"
                | b"UV"
        );
        let (len, header) = if long {
            match meta.u32(pos + 8) {
                Some(l) => (l, 12u64),
                None => return Ok(None),
            }
        } else {
            match meta.u16(pos + 6) {
                Some(l) => (l as u32, 8u64),
                None => return Ok(None),
            }
        };
        if len == UNDEFINED {
            return Err(format!(
                "file meta element (0002,{elem:04X}) at byte {pos} has an undefined length"
            ));
        }
        let bound = meta_end.unwrap_or(file_len);
        if len as u64 > bound.saturating_sub(pos + header) {
            return Err(format!(
                "file meta element (0002,{elem:04X}) at byte {pos} declares {len} value bytes, more than its group holds"
            ));
        }
        if elem == 0x0010 && len <= 256 {
            let mut v = vec![0u8; len as usize];
            if b.read_at(pos + header, &mut v) {
                ts = String::from_utf8_lossy(&v)
                    .trim_end_matches(|c: char| c == '\0' || c.is_whitespace())
                    .to_string();
            }
        }
        pos += header + len as u64;
    }
    let (little, explicit) = match ts.as_str() {
        "1.2.840.10008.1.2" => (true, false),
        "1.2.840.10008.1.2.2" => (false, true),
        "1.2.840.10008.1.2.1.99" => {
            let inflated = deflated(pos)?;
            let w = Walk {
                b: &Mem(&inflated),
                file_len: inflated.len() as u64,
                little: true,
                explicit: true,
            };
            w.elements(0, inflated.len() as u64, false, 0)?;
            return Ok(Some(inflated));
        }
        // every other standard transfer syntax encodes the data set in explicit VR
        // little endian; an unknown UID is left to the parser
        t if t.starts_with("1.2.840.10008.1.2.") => (true, true),
        _ => return Ok(None),
    };
    let w = Walk {
        b,
        file_len,
        little,
        explicit,
    };
    w.elements(pos, file_len, false, 0).map(|_| None)
}

/// Inflates the raw deflate data of `r` (a deflated data set), at most [`MAX_INFLATED`]
/// bytes.
pub(crate) fn inflate(r: impl std::io::Read) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let too_big = || format!("the deflated data set inflates to more than {MAX_INFLATED} bytes");
    let cap = MAX_INFLATED as usize + 1;
    let mut d = flate2::read::DeflateDecoder::new(r).take(cap as u64);
    let mut out: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let k = match d.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("the deflated data set cannot be inflated: {e}")),
        };
        if out.len() + k > out.capacity() {
            // grow by doubling, never past the cap, and fail as an error
            let want = (out.capacity() * 2).max(out.len() + k).min(cap);
            out.try_reserve_exact(want - out.len())
                .map_err(|_| too_big())?;
        }
        out.extend_from_slice(&buf[..k]);
    }
    if out.len() as u64 > MAX_INFLATED {
        return Err(too_big());
    }
    Ok(out)
}

/// Checks the DICOM Part 10 bytes `b` (a whole file in memory); see [`check_source`].
#[cfg(test)]
pub(crate) fn check(b: &[u8]) -> Result<(), String> {
    check_keep_inflated(b).map(|_| ())
}

/// [`check`], handing back the inflated data set of a deflated file (None for any other
/// transfer syntax), so that it is inflated only once.
pub(crate) fn check_keep_inflated(b: &[u8]) -> Result<Option<Vec<u8>>, String> {
    check_source(&Mem(b), b.len() as u64, &|pos| {
        inflate(b.get(pos as usize..).unwrap_or(&[]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(ts: &str, body: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 128];
        b.extend_from_slice(b"DICM");
        let mut uid = ts.as_bytes().to_vec();
        if uid.len() % 2 == 1 {
            uid.push(0);
        }
        b.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I']);
        b.extend_from_slice(&(uid.len() as u16).to_le_bytes());
        b.extend_from_slice(&uid);
        b.extend_from_slice(body);
        b
    }

    fn implicit(tag: (u16, u16), len: u32, value: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&tag.0.to_le_bytes());
        v.extend_from_slice(&tag.1.to_le_bytes());
        v.extend_from_slice(&len.to_le_bytes());
        v.extend_from_slice(value);
        v
    }

    #[test]
    fn lengths_that_fit_pass_and_one_that_does_not_fails() {
        let ok = file("1.2.840.10008.1.2", &implicit((0x0010, 0x0010), 4, b"ABCD"));
        assert!(check(&ok).is_ok());
        let bad = file(
            "1.2.840.10008.1.2",
            &implicit((0x0010, 0x0010), 4000, b"ABCD"),
        );
        let e = check(&bad).unwrap_err();
        assert!(e.contains("(0010,0010)") && e.contains("4000"), "{e}");
    }

    #[test]
    fn nested_lengths_in_a_defined_length_sequence() {
        // ContourImageSequence (3006,0016), one item holding an element too long for it
        let inner = implicit((0x0008, 0x1155), 200, b"1.2");
        let item = implicit((0xFFFE, 0xE000), inner.len() as u32, &inner);
        let seq = implicit((0x3006, 0x0016), item.len() as u32, &item);
        let mut body = seq.clone();
        body.extend_from_slice(&[0u8; 400]); // room in the file, not in the item
        let f = file("1.2.840.10008.1.2", &body);
        let e = check(&f).unwrap_err();
        assert!(
            e.contains("(0008,1155)") && e.contains("enclosing item"),
            "{e}"
        );
    }

    #[test]
    fn undefined_lengths_are_followed() {
        let inner = implicit((0x0008, 0x1155), 4, b"1.23");
        let mut item = implicit((0xFFFE, 0xE000), UNDEFINED, &inner);
        item.extend_from_slice(&implicit((0xFFFE, 0xE00D), 0, &[]));
        let mut seq = implicit((0x3006, 0x0016), UNDEFINED, &item);
        seq.extend_from_slice(&implicit((0xFFFE, 0xE0DD), 0, &[]));
        seq.extend_from_slice(&implicit((0x0010, 0x0020), 2, b"ID"));
        let f = file("1.2.840.10008.1.2", &seq);
        assert!(check(&f).is_ok());
        // a value cut short by the end of the file
        let e = check(&f[..f.len() - 1]).unwrap_err();
        assert!(
            e.contains("(0010,0020)") && e.contains("remain in the file"),
            "{e}"
        );
        let mut bad = seq.clone();
        bad.extend_from_slice(&implicit((0x0010, 0x0030), 0x7000_0000, b""));
        let f = file("1.2.840.10008.1.2", &bad);
        assert!(check(&f).is_err());
    }

    #[test]
    fn explicit_vr_short_and_long_headers() {
        let mut body = Vec::new();
        body.extend_from_slice(&[0x10, 0x00, 0x10, 0x00, b'P', b'N', 4, 0]);
        body.extend_from_slice(b"ABCD");
        body.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'W', 0, 0]);
        body.extend_from_slice(&8u32.to_le_bytes());
        body.extend_from_slice(&[0u8; 8]);
        let f = file("1.2.840.10008.1.2.1", &body);
        assert!(check(&f).is_ok());
        let g = &f[..f.len() - 2];
        assert!(check(g).unwrap_err().contains("(7FE0,0010)"));
    }

    fn nested(depth: usize) -> Vec<u8> {
        // ContourImageSequence items of undefined length, each holding the next sequence
        let mut body = implicit((0x0008, 0x1155), 4, b"1.23");
        for _ in 0..depth {
            let mut item = implicit((0xFFFE, 0xE000), UNDEFINED, &body);
            item.extend_from_slice(&implicit((0xFFFE, 0xE00D), 0, &[]));
            let mut seq = implicit((0x3006, 0x0016), UNDEFINED, &item);
            seq.extend_from_slice(&implicit((0xFFFE, 0xE0DD), 0, &[]));
            body = seq;
        }
        file("1.2.840.10008.1.2", &body)
    }

    #[test]
    fn nesting_depth_is_bounded() {
        assert!(check(&nested(10)).is_ok());
        assert!(check(&nested(MAX_DEPTH)).is_ok());
        let e = check(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert!(e.contains("nested more than"), "{e}");
    }

    #[test]
    fn an_item_tag_outside_a_sequence_is_refused() {
        let mut body = implicit((0x0010, 0x0010), 4, b"ABCD");
        body.extend_from_slice(&implicit((0xFFFE, 0xE000), 4, b"ABCD"));
        let e = check(&file("1.2.840.10008.1.2", &body)).unwrap_err();
        assert!(e.contains("(FFFE,E000)"), "{e}");
    }

    #[test]
    fn undefined_length_un_holds_implicit_items_that_are_checked() {
        // explicit VR: a private UN element of undefined length, its items implicit VR
        let inner = implicit((0x0008, 0x1155), 0x4000_0000, b"1.2");
        let mut item = implicit((0xFFFE, 0xE000), UNDEFINED, &inner);
        item.extend_from_slice(&implicit((0xFFFE, 0xE00D), 0, &[]));
        let mut body = vec![0x09, 0x00, 0x10, 0x10, b'U', b'N', 0, 0];
        body.extend_from_slice(&UNDEFINED.to_le_bytes());
        body.extend_from_slice(&item);
        body.extend_from_slice(&implicit((0xFFFE, 0xE0DD), 0, &[]));
        let e = check(&file("1.2.840.10008.1.2.1", &body)).unwrap_err();
        assert!(e.contains("(0008,1155)") && e.contains("1073741824"), "{e}");
    }

    #[test]
    fn a_file_is_walked_like_its_bytes() {
        let bad = file(
            "1.2.840.10008.1.2",
            &implicit((0x0010, 0x0010), 4000, b"ABCD"),
        );
        let dir = std::env::temp_dir().join(format!("radx-scan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bad.dcm");
        std::fs::write(&p, &bad).unwrap();
        let src = FileSource::new(std::fs::File::open(&p).unwrap());
        let e = check_source(&src, bad.len() as u64, &|_| Ok(Vec::new())).unwrap_err();
        assert_eq!(e, check(&bad).unwrap_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_deflated_data_set_is_inflated_and_walked() {
        use std::io::Write;
        let mut explicit = vec![0x10, 0x00, 0x10, 0x00, b'P', b'N', 4, 0];
        explicit.extend_from_slice(b"ABCD");
        explicit.extend_from_slice(&[0x10, 0x00, 0x20, 0x00, b'L', b'O', 0xFE, 0xFF]);
        let deflate = |b: &[u8]| {
            let mut e =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(b).unwrap();
            e.finish().unwrap()
        };
        let ok = file("1.2.840.10008.1.2.1.99", &deflate(&explicit[..12]));
        assert!(check(&ok).is_ok());
        let bad = file("1.2.840.10008.1.2.1.99", &deflate(&explicit));
        let e = check(&bad).unwrap_err();
        assert!(e.contains("(0010,0020)") && e.contains("65534"), "{e}");
    }
}
