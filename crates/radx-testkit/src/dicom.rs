//! A small DICOM writer for tests, byte by byte (explicit VR little endian, defined
//! lengths), so that tests can build valid files and then break them precisely: CT slices
//! of an [`Image`] as a series, and an RTSTRUCT whose contours follow a [`Mask`].
//!
//! World coordinates: radx grids are RAS; DICOM patient coordinates are LPS (x and y
//! change sign), as the readers expect.

use std::path::{Path, PathBuf};

use radx_core::{Image, Mask};

/// Transfer syntax: explicit VR little endian.
pub const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
/// SOP class: CT Image Storage.
pub const CT_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
/// SOP class: RT Structure Set Storage.
pub const RT_STRUCT: &str = "1.2.840.10008.5.1.4.1.1.481.3";

/// One data element: a tag, a value representation and a value (bytes, or the items of a
/// sequence).
#[derive(Debug, Clone)]
pub struct Elem {
    pub tag: (u16, u16),
    pub vr: [u8; 2],
    pub value: Value,
}

/// The value of an [`Elem`].
#[derive(Debug, Clone)]
pub enum Value {
    Bytes(Vec<u8>),
    Items(Vec<Vec<Elem>>),
}

/// An element holding a text value (padded to an even length: UI with NUL, others with a
/// space).
pub fn text(tag: (u16, u16), vr: &str, s: &str) -> Elem {
    let mut v = s.as_bytes().to_vec();
    if v.len() % 2 == 1 {
        v.push(if vr == "UI" { 0 } else { b' ' });
    }
    raw(tag, vr, v)
}

/// An element holding numbers as decimal strings (DS or IS), separated by `\`.
pub fn numbers(tag: (u16, u16), vr: &str, v: &[f64]) -> Elem {
    let s: Vec<String> = v.iter().map(|x| format!("{x}")).collect();
    text(tag, vr, &s.join("\\"))
}

/// An unsigned short (US).
pub fn us(tag: (u16, u16), v: u16) -> Elem {
    raw(tag, "US", v.to_le_bytes().to_vec())
}

/// An element holding `value` as it is.
pub fn raw(tag: (u16, u16), vr: &str, value: Vec<u8>) -> Elem {
    let b = vr.as_bytes();
    Elem {
        tag,
        vr: [b[0], b[1]],
        value: Value::Bytes(value),
    }
}

/// A sequence (SQ) of items.
pub fn seq(tag: (u16, u16), items: Vec<Vec<Elem>>) -> Elem {
    Elem {
        tag,
        vr: *b"SQ",
        value: Value::Items(items),
    }
}

fn long_vr(vr: &[u8; 2]) -> bool {
    matches!(
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
    )
}

/// Encodes elements (sorted by tag here) in explicit VR little endian with defined lengths.
pub fn encode(elems: &[Elem]) -> Vec<u8> {
    let mut sorted: Vec<&Elem> = elems.iter().collect();
    sorted.sort_by_key(|e| e.tag);
    let mut out = Vec::new();
    for e in sorted {
        let value = match &e.value {
            Value::Bytes(b) => b.clone(),
            Value::Items(items) => {
                let mut v = Vec::new();
                for it in items {
                    let body = encode(it);
                    v.extend_from_slice(&0xFFFEu16.to_le_bytes());
                    v.extend_from_slice(&0xE000u16.to_le_bytes());
                    v.extend_from_slice(&(body.len() as u32).to_le_bytes());
                    v.extend_from_slice(&body);
                }
                v
            }
        };
        out.extend_from_slice(&e.tag.0.to_le_bytes());
        out.extend_from_slice(&e.tag.1.to_le_bytes());
        out.extend_from_slice(&e.vr);
        if long_vr(&e.vr) {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        out.extend_from_slice(&value);
    }
    out
}

/// A DICOM Part 10 file: preamble, "DICM", the file meta group, then `dataset` (bytes
/// already encoded in transfer syntax `ts`).
pub fn part10(sop_class: &str, sop_instance: &str, ts: &str, dataset: &[u8]) -> Vec<u8> {
    let meta_body = encode(&[
        raw((0x0002, 0x0001), "OB", vec![0, 1]),
        text((0x0002, 0x0002), "UI", sop_class),
        text((0x0002, 0x0003), "UI", sop_instance),
        text((0x0002, 0x0010), "UI", ts),
        text((0x0002, 0x0012), "UI", "1.2.826.0.1.3680043.10.1"),
    ]);
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    out.extend_from_slice(&encode(&[raw(
        (0x0002, 0x0000),
        "UL",
        (meta_body.len() as u32).to_le_bytes().to_vec(),
    )]));
    out.extend_from_slice(&meta_body);
    out.extend_from_slice(dataset);
    out
}

fn ras_to_lps(v: [f64; 3]) -> [f64; 3] {
    [-v[0], -v[1], v[2]]
}

/// UIDs shared by the files written for one image.
pub const STUDY_UID: &str = "2.25.4711";
/// SeriesInstanceUID of [`ct_series`].
pub const SERIES_UID: &str = "2.25.4712";
/// FrameOfReferenceUID of [`ct_series`] and [`rtstruct`].
pub const FRAME_UID: &str = "2.25.4713";

/// The elements of slice `z` of `image` as a CT slice: values stored as signed 16-bit
/// integers (rounded; RescaleSlope 1, RescaleIntercept 0).
pub fn ct_slice_elems(image: &Image, z: usize) -> Vec<Elem> {
    let g = &image.grid;
    let [_, ny, nx] = g.shape_zyx;
    let col = |c: usize| ras_to_lps([g.direction[0][c], g.direction[1][c], g.direction[2][c]]);
    let (row_dir, col_dir) = (col(0), col(1));
    let pos = ras_to_lps(g.world_of_index([z as f64, 0.0, 0.0]));
    let mut pixels = Vec::with_capacity(ny * nx * 2);
    for y in 0..ny {
        for x in 0..nx {
            pixels.extend_from_slice(&(image.data[[z, y, x]].round() as i16).to_le_bytes());
        }
    }
    vec![
        text((0x0008, 0x0016), "UI", CT_IMAGE),
        text((0x0008, 0x0018), "UI", &format!("2.25.4714{z}")),
        text((0x0008, 0x0060), "CS", "CT"),
        text((0x0010, 0x0010), "PN", "Phantom"),
        numbers((0x0018, 0x0050), "DS", &[g.spacing_zyx[0]]),
        text((0x0020, 0x000D), "UI", STUDY_UID),
        text((0x0020, 0x000E), "UI", SERIES_UID),
        numbers((0x0020, 0x0013), "IS", &[(z + 1) as f64]),
        numbers((0x0020, 0x0032), "DS", &pos),
        numbers(
            (0x0020, 0x0037),
            "DS",
            &[
                row_dir[0], row_dir[1], row_dir[2], col_dir[0], col_dir[1], col_dir[2],
            ],
        ),
        text((0x0020, 0x0052), "UI", FRAME_UID),
        us((0x0028, 0x0002), 1),
        text((0x0028, 0x0004), "CS", "MONOCHROME2"),
        us((0x0028, 0x0010), ny as u16),
        us((0x0028, 0x0011), nx as u16),
        numbers(
            (0x0028, 0x0030),
            "DS",
            &[g.spacing_zyx[1], g.spacing_zyx[2]],
        ),
        us((0x0028, 0x0100), 16),
        us((0x0028, 0x0101), 16),
        us((0x0028, 0x0102), 15),
        us((0x0028, 0x0103), 1),
        numbers((0x0028, 0x1052), "DS", &[0.0]),
        numbers((0x0028, 0x1053), "DS", &[1.0]),
        raw((0x7FE0, 0x0010), "OW", pixels),
    ]
}

/// The bytes of a CT slice file made of `elems` (see [`ct_slice_elems`]).
pub fn ct_slice_file(elems: &[Elem], z: usize) -> Vec<u8> {
    part10(
        CT_IMAGE,
        &format!("2.25.4714{z}"),
        EXPLICIT_LE,
        &encode(elems),
    )
}

/// Writes `image` as a CT series into `dir` (created): one file `slice_NNN.dcm` per z.
pub fn ct_series(dir: &Path, image: &Image) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("series folder");
    (0..image.grid.shape_zyx[0])
        .map(|z| {
            let p = dir.join(format!("slice_{z:03}.dcm"));
            std::fs::write(&p, ct_slice_file(&ct_slice_elems(image, z), z)).expect("slice");
            p
        })
        .collect()
}

/// The bytes of an RTSTRUCT with one ROI `name` (number 1) on the grid of `mask`: per
/// slice, a closed contour around the bounding box of the mask's voxels on that slice
/// (through the outer voxel edges), in the frame of reference of [`ct_series`].
pub fn rtstruct(mask: &Mask, name: &str) -> Vec<u8> {
    rtstruct_contours(name, &box_contours(mask))
}

/// The bytes of an RTSTRUCT with several ROIs, numbered 1, 2, ... in order, each drawn
/// as [`rtstruct`] draws its one ROI (names may repeat, to test that they are refused).
pub fn rtstruct_rois(rois: &[(&str, &Mask)]) -> Vec<u8> {
    let rois: Vec<(i64, &str, Vec<Vec<f64>>)> = rois
        .iter()
        .enumerate()
        .map(|(i, (name, mask))| (i as i64 + 1, *name, box_contours(mask)))
        .collect();
    rtstruct_numbered(&rois)
}

/// Per slice, a closed contour (LPS points) around the bounding box of the mask's voxels
/// on that slice, through the outer voxel edges.
fn box_contours(mask: &Mask) -> Vec<Vec<f64>> {
    let g = &mask.grid;
    let [nz, ny, nx] = g.shape_zyx;
    let mut contours = Vec::new();
    for z in 0..nz {
        let mut bb: Option<[usize; 4]> = None;
        for y in 0..ny {
            for x in 0..nx {
                if mask.data[[z, y, x]] {
                    let b = bb.get_or_insert([x, x, y, y]);
                    b[0] = b[0].min(x);
                    b[1] = b[1].max(x);
                    b[2] = b[2].min(y);
                    b[3] = b[3].max(y);
                }
            }
        }
        let Some([x0, x1, y0, y1]) = bb else {
            continue;
        };
        let (x0, x1, y0, y1) = (
            x0 as f64 - 0.5,
            x1 as f64 + 0.5,
            y0 as f64 - 0.5,
            y1 as f64 + 0.5,
        );
        let mut pts = Vec::new();
        for (x, y) in [(x0, y0), (x1, y0), (x1, y1), (x0, y1)] {
            pts.extend(ras_to_lps(g.world_of_index([z as f64, y, x])));
        }
        contours.push(pts);
    }
    contours
}

/// The bytes of an RTSTRUCT with one ROI `name` (number 1) made of closed planar
/// contours, each given as its points' LPS coordinates `x, y, z, x, y, z, ...`, in the
/// frame of reference of [`ct_series`].
pub fn rtstruct_contours(name: &str, contours: &[Vec<f64>]) -> Vec<u8> {
    rtstruct_numbered(&[(1, name, contours.to_vec())])
}

/// The bytes of an RTSTRUCT with ROIs `(number, name, contours)` (see
/// [`rtstruct_contours`]).
pub fn rtstruct_numbered(rois: &[(i64, &str, Vec<Vec<f64>>)]) -> Vec<u8> {
    let contour_items = |contours: &[Vec<f64>]| -> Vec<Vec<Elem>> {
        contours
            .iter()
            .map(|pts| {
                vec![
                    text((0x3006, 0x0042), "CS", "CLOSED_PLANAR"),
                    numbers((0x3006, 0x0046), "IS", &[(pts.len() / 3) as f64]),
                    numbers((0x3006, 0x0050), "DS", pts),
                ]
            })
            .collect()
    };
    let elems = vec![
        text((0x0008, 0x0016), "UI", RT_STRUCT),
        text((0x0008, 0x0018), "UI", "2.25.4715"),
        text((0x0008, 0x0060), "CS", "RTSTRUCT"),
        text((0x0020, 0x000D), "UI", STUDY_UID),
        text((0x0020, 0x000E), "UI", "2.25.4716"),
        seq(
            (0x3006, 0x0010),
            vec![vec![text((0x0020, 0x0052), "UI", FRAME_UID)]],
        ),
        seq(
            (0x3006, 0x0020),
            rois.iter()
                .map(|(n, name, _)| {
                    vec![
                        numbers((0x3006, 0x0022), "IS", &[*n as f64]),
                        text((0x3006, 0x0024), "UI", FRAME_UID),
                        text((0x3006, 0x0026), "LO", name),
                    ]
                })
                .collect(),
        ),
        seq(
            (0x3006, 0x0039),
            rois.iter()
                .map(|(n, _, contours)| {
                    vec![
                        numbers((0x3006, 0x0084), "IS", &[*n as f64]),
                        seq((0x3006, 0x0040), contour_items(contours)),
                    ]
                })
                .collect(),
        ),
    ];
    part10(RT_STRUCT, "2.25.4715", EXPLICIT_LE, &encode(&elems))
}
