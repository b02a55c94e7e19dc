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
const MAX_DEPTH: usize = 64;

struct Walk<'a> {
    /// The bytes held (the whole file or its beginning).
    b: &'a [u8],
    /// Length of the whole file.
    file_len: u64,
    little: bool,
    explicit: bool,
}

/// What a walk step found.
enum Step {
    /// Went on to this position.
    At(usize),
    /// Stopped without a verdict (end of the bytes held, or a structure not followed).
    Stop,
}

impl Walk<'_> {
    fn u16(&self, p: usize) -> Option<u16> {
        let s = self.b.get(p..p + 2)?;
        Some(if self.little {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        })
    }

    fn u32(&self, p: usize) -> Option<u32> {
        let s = self.b.get(p..p + 4)?;
        Some(if self.little {
            u32::from_le_bytes([s[0], s[1], s[2], s[3]])
        } else {
            u32::from_be_bytes([s[0], s[1], s[2], s[3]])
        })
    }

    fn too_long(&self, tag: (u16, u16), at: usize, value_at: usize, len: u32, end: u64) -> String {
        format!(
            "element {} at byte {at} declares {len} value bytes, but only {} remain in the {}",
            crate::dcm::tag_name(Tag(tag.0, tag.1)),
            end.saturating_sub(value_at as u64),
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
        mut pos: usize,
        end: u64,
        item_delimited: bool,
        depth: usize,
    ) -> Result<Step, String> {
        if depth > MAX_DEPTH {
            return Ok(Step::Stop);
        }
        loop {
            if pos as u64 >= end {
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
                return Ok(Step::Stop);
            }
            let (len, header, is_sq, known_plain) = if self.explicit {
                let Some(vr) = self.b.get(pos + 4..pos + 6) else {
                    return Ok(Step::Stop);
                };
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
                    if l == UNDEFINED && vr == b"UN" {
                        // an undefined-length UN holds implicit-VR items: not followed
                        return Ok(Step::Stop);
                    }
                    (l, 12, vr == b"SQ", false)
                } else {
                    let Some(l) = self.u16(pos + 6) else {
                        return Ok(Step::Stop);
                    };
                    (l as u32, 8, false, true)
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
                (l, 8, sq, plain)
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
                // to a sequence delimiter.
                let fragments = (group, elem) == (0x7FE0, 0x0010);
                match self.items(pos, end, true, fragments, depth + 1)? {
                    Step::At(p) => pos = p,
                    Step::Stop => return Ok(Step::Stop),
                }
                continue;
            }
            if len as u64 > end.saturating_sub(pos as u64) {
                return Err(self.too_long((group, elem), at, pos, len, end));
            }
            if is_sq {
                if let Step::Stop =
                    self.items(pos, (pos + len as usize) as u64, false, false, depth + 1)?
                {
                    // nothing more to say about this sequence; go on after it
                }
            }
            pos += len as usize;
        }
    }

    /// Items from `pos`: up to a sequence delimiter (`delimited`) or up to `end`.
    /// Fragments (encapsulated pixel data) are skipped as bytes.
    fn items(
        &self,
        mut pos: usize,
        end: u64,
        delimited: bool,
        fragments: bool,
        depth: usize,
    ) -> Result<Step, String> {
        if depth > MAX_DEPTH {
            return Ok(Step::Stop);
        }
        loop {
            if !delimited && pos as u64 >= end {
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
                            return Ok(Step::Stop);
                        }
                        match self.elements(pos, self.file_len, true, depth + 1)? {
                            Step::At(p) => pos = p,
                            Step::Stop => return Ok(Step::Stop),
                        }
                    } else {
                        if len as u64 > end.saturating_sub(pos as u64) {
                            return Err(self.too_long((group, elem), at, pos, len, end));
                        }
                        if !fragments {
                            let item_end = (pos + len as usize) as u64;
                            if let Step::Stop = self.elements(pos, item_end, false, depth + 1)? {
                                // not followed further; the item's length was fine
                            }
                        }
                        pos += len as usize;
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

/// Checks the DICOM Part 10 bytes `b` (the whole file, or its first bytes when
/// `b.len() < file_len`). `Err` names the first element whose declared length cannot fit.
pub(crate) fn check(b: &[u8], file_len: u64) -> Result<(), String> {
    if b.len() < 132 || &b[128..132] != b"DICM" {
        return Ok(());
    }
    // File meta group: explicit VR little endian, group 0002.
    let meta = Walk {
        b,
        file_len,
        little: true,
        explicit: true,
    };
    let mut pos = 132usize;
    let mut ts = String::new();
    // End of the meta group from its group length (0002,0000), when it comes first.
    let mut meta_end: Option<usize> = None;
    if meta.u16(pos) == Some(0x0002)
        && meta.u16(pos + 2) == Some(0x0000)
        && b.get(pos + 4..pos + 6) == Some(b"UL".as_slice())
        && meta.u16(pos + 6) == Some(4)
    {
        if let Some(gl) = meta.u32(pos + 8) {
            let end = (pos + 12) as u64 + gl as u64;
            if end > file_len {
                return Err(format!(
                    "the file meta group declares {gl} bytes, more than the file holds"
                ));
            }
            meta_end = Some(end as usize);
        }
    }
    loop {
        match meta_end {
            Some(end) if pos >= end => break,
            Some(_) => {
                let Some(g) = meta.u16(pos) else {
                    return Ok(());
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
        let (Some(elem), Some(vr)) = (meta.u16(pos + 2), b.get(pos + 4..pos + 6)) else {
            return Ok(());
        };
        if !known_vr(vr) {
            return Err(format!(
                "file meta element (0002,{elem:04X}) at byte {pos} has no valid value representation ({:?})",
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
        let (len, header) = if long {
            match meta.u32(pos + 8) {
                Some(l) => (l, 12),
                None => return Ok(()),
            }
        } else {
            match meta.u16(pos + 6) {
                Some(l) => (l as u32, 8),
                None => return Ok(()),
            }
        };
        if len == UNDEFINED {
            return Ok(());
        }
        let bound = meta_end.map_or(file_len, |e| e as u64);
        if len as u64 > bound.saturating_sub((pos + header) as u64) {
            return Err(format!(
                "file meta element (0002,{elem:04X}) at byte {pos} declares {len} value bytes, more than its group holds"
            ));
        }
        if elem == 0x0010 {
            if let Some(v) = b.get(pos + header..pos + header + len as usize) {
                ts = String::from_utf8_lossy(v)
                    .trim_end_matches(|c: char| c == '\0' || c.is_whitespace())
                    .to_string();
            }
        }
        pos += header + len as usize;
    }
    let (little, explicit) = match ts.as_str() {
        "1.2.840.10008.1.2" => (true, false),
        "1.2.840.10008.1.2.2" => (false, true),
        "1.2.840.10008.1.2.1.99" => return Ok(()), // deflated: not walked
        // every other standard transfer syntax encodes the data set in explicit VR
        // little endian; an unknown UID is left to the parser
        t if t.starts_with("1.2.840.10008.1.2.") => (true, true),
        _ => return Ok(()),
    };
    let w = Walk {
        b,
        file_len,
        little,
        explicit,
    };
    w.elements(pos, file_len, false, 0).map(|_| ())
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
        assert!(check(&ok, ok.len() as u64).is_ok());
        let bad = file(
            "1.2.840.10008.1.2",
            &implicit((0x0010, 0x0010), 4000, b"ABCD"),
        );
        let e = check(&bad, bad.len() as u64).unwrap_err();
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
        let e = check(&f, f.len() as u64).unwrap_err();
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
        assert!(check(&f, f.len() as u64).is_ok());
        // a prefix of the file is checked against the whole file's length
        assert!(check(&f[..f.len() - 3], f.len() as u64).is_ok());
        let mut bad = seq.clone();
        bad.extend_from_slice(&implicit((0x0010, 0x0030), 0x7000_0000, b""));
        let f = file("1.2.840.10008.1.2", &bad);
        assert!(check(&f, f.len() as u64).is_err());
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
        assert!(check(&f, f.len() as u64).is_ok());
        let g = &f[..f.len() - 2];
        assert!(check(g, g.len() as u64)
            .unwrap_err()
            .contains("(7FE0,0010)"));
    }
}
