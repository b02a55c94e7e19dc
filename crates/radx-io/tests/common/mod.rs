//! Shared test support: data locations, copying and editing DICOM files, and small DICOM
//! writers (SEG, RLE-compressed slices) used to build test inputs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use dicom_core::value::{DataSetSequence, PixelFragmentSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{open_file, InMemDicomObject};
use radx_core::{Grid, Mask};

/// The shipped IBSI reference data (`reference-data/ibsi/`), whose files are checked
/// against their sha256 before use.
pub fn ibsi_data() -> radx_reference::ReferenceData {
    radx_reference::ReferenceData::ibsi().unwrap_or_else(|e| panic!("{e}"))
}

/// The IBSI 1 CT phantom folder, every file of it checked against its sha256.
pub fn ibsi_ct() -> PathBuf {
    ibsi_data()
        .verified_dir("ibsi_1_ct_radiomics_phantom")
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The shipped test cohort (`reference-data/cohorts/sts-mini/`, or `$RADX_COHORT_DATA`),
/// every file of it checked against its sha256.
pub fn sts() -> PathBuf {
    let data = radx_reference::ReferenceData::cohort().unwrap_or_else(|e| panic!("{e}"));
    data.verify_all().unwrap_or_else(|e| panic!("{e}"));
    data.dir().to_path_buf()
}

pub fn ct_image_dir() -> PathBuf {
    ibsi_ct().join("dicom/image")
}

pub fn ct_rtstruct() -> PathBuf {
    ibsi_ct().join("dicom/mask/DCM_RS_00060.dcm")
}

/// Copies the regular files of `src` into `dst` (created), as writable files.
pub fn copy_dir(src: &Path, dst: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dst).unwrap();
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(src)
        .unwrap_or_else(|e| panic!("{}: {e}", src.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for p in entries {
        let to = dst.join(p.file_name().unwrap());
        std::fs::write(&to, std::fs::read(&p).unwrap()).unwrap();
        out.push(to);
    }
    out
}

/// Opens a DICOM file, lets `f` change it, and writes it to `to`.
pub fn edit(from: &Path, to: &Path, f: impl FnOnce(&mut InMemDicomObject)) {
    let mut obj = open_file(from).unwrap();
    f(&mut obj);
    obj.write_to_file(to).unwrap();
}

pub fn put_str(obj: &mut InMemDicomObject, tag: Tag, vr: VR, s: &str) {
    obj.put(DataElement::new(tag, vr, PrimitiveValue::from(s)));
}

pub fn strs(v: &[f64]) -> PrimitiveValue {
    PrimitiveValue::Strs(v.iter().map(|x| format!("{x}")).collect())
}

pub fn sq(tag: Tag, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(
        tag,
        VR::SQ,
        Value::from(DataSetSequence::new(items, Length::UNDEFINED)),
    )
}

pub fn item(elems: Vec<DataElement<InMemDicomObject>>) -> InMemDicomObject {
    InMemDicomObject::from_element_iter(elems)
}

/// A SEG segment to write: its number, label and per-voxel value on the image grid.
pub struct SegSegment {
    pub number: u16,
    pub label: String,
    /// Values indexed (z, y, x) on the image grid: 0/1 for BINARY, 0..=max for FRACTIONAL.
    pub values: ndarray::Array3<u8>,
}

/// Writes a DICOM SEG on the grid of `grid` (RAS, as read), one frame per segment and
/// slice where the segment is non-zero. `fractional` gives FRACTIONAL (8-bit, maximum
/// `fraction_max`) instead of BINARY (1-bit, bits packed across frames).
pub fn write_seg(
    path: &Path,
    grid: &Grid,
    frame_of_reference: &str,
    series_uid: &str,
    segments: &[SegSegment],
    fractional: Option<u8>,
) {
    let [nz, ny, nx] = grid.shape_zyx;
    let ras_to_lps = |v: [f64; 3]| [-v[0], -v[1], v[2]];
    let row = ras_to_lps([
        grid.direction[0][0],
        grid.direction[1][0],
        grid.direction[2][0],
    ]);
    let col = ras_to_lps([
        grid.direction[0][1],
        grid.direction[1][1],
        grid.direction[2][1],
    ]);
    let mut frames: Vec<(u16, usize)> = Vec::new();
    for s in segments {
        for z in 0..nz {
            if s.values
                .index_axis(ndarray::Axis(0), z)
                .iter()
                .any(|&v| v != 0)
            {
                frames.push((s.number, z));
            }
        }
    }
    let mut per_frame = Vec::new();
    let mut values: Vec<u8> = Vec::new();
    for &(num, z) in &frames {
        let pos = ras_to_lps(grid.world_of_index([z as f64, 0.0, 0.0]));
        per_frame.push(item(vec![
            sq(
                tags::PLANE_POSITION_SEQUENCE,
                vec![item(vec![DataElement::new(
                    tags::IMAGE_POSITION_PATIENT,
                    VR::DS,
                    strs(&pos),
                )])],
            ),
            sq(
                tags::SEGMENT_IDENTIFICATION_SEQUENCE,
                vec![item(vec![DataElement::new(
                    tags::REFERENCED_SEGMENT_NUMBER,
                    VR::US,
                    PrimitiveValue::from(num),
                )])],
            ),
        ]));
        let s = segments.iter().find(|s| s.number == num).unwrap();
        for y in 0..ny {
            for x in 0..nx {
                values.push(s.values[[z, y, x]]);
            }
        }
    }
    let pixel_bytes: Vec<u8> = match fractional {
        Some(_) => values.clone(),
        None => {
            let mut b = vec![0u8; values.len().div_ceil(8)];
            for (i, &v) in values.iter().enumerate() {
                if v != 0 {
                    b[i / 8] |= 1 << (i % 8);
                }
            }
            b
        }
    };
    let mut pixel_bytes = pixel_bytes;
    if pixel_bytes.len() % 2 == 1 {
        pixel_bytes.push(0);
    }
    let seg_items: Vec<InMemDicomObject> = segments
        .iter()
        .map(|s| {
            item(vec![
                DataElement::new(tags::SEGMENT_NUMBER, VR::US, PrimitiveValue::from(s.number)),
                DataElement::new(
                    tags::SEGMENT_LABEL,
                    VR::LO,
                    PrimitiveValue::from(s.label.as_str()),
                ),
                DataElement::new(
                    tags::SEGMENT_ALGORITHM_TYPE,
                    VR::CS,
                    PrimitiveValue::from("MANUAL"),
                ),
            ])
        })
        .collect();
    let shared = item(vec![
        sq(
            tags::PLANE_ORIENTATION_SEQUENCE,
            vec![item(vec![DataElement::new(
                tags::IMAGE_ORIENTATION_PATIENT,
                VR::DS,
                strs(&[row[0], row[1], row[2], col[0], col[1], col[2]]),
            )])],
        ),
        sq(
            tags::PIXEL_MEASURES_SEQUENCE,
            vec![item(vec![
                DataElement::new(
                    tags::PIXEL_SPACING,
                    VR::DS,
                    strs(&[grid.spacing_zyx[1], grid.spacing_zyx[2]]),
                ),
                DataElement::new(tags::SLICE_THICKNESS, VR::DS, strs(&[grid.spacing_zyx[0]])),
            ])],
        ),
    ]);
    let sop_uid = "2.25.1234567890123456789";
    let mut elems = vec![
        DataElement::new(
            tags::SOP_CLASS_UID,
            VR::UI,
            PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.66.4"),
        ),
        DataElement::new(
            tags::SOP_INSTANCE_UID,
            VR::UI,
            PrimitiveValue::from(sop_uid),
        ),
        DataElement::new(tags::MODALITY, VR::CS, PrimitiveValue::from("SEG")),
        DataElement::new(
            tags::SERIES_INSTANCE_UID,
            VR::UI,
            PrimitiveValue::from("2.25.99887766"),
        ),
        DataElement::new(
            tags::FRAME_OF_REFERENCE_UID,
            VR::UI,
            PrimitiveValue::from(frame_of_reference),
        ),
        sq(
            tags::REFERENCED_SERIES_SEQUENCE,
            vec![item(vec![DataElement::new(
                tags::SERIES_INSTANCE_UID,
                VR::UI,
                PrimitiveValue::from(series_uid),
            )])],
        ),
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16)),
        DataElement::new(
            tags::PHOTOMETRIC_INTERPRETATION,
            VR::CS,
            PrimitiveValue::from("MONOCHROME2"),
        ),
        DataElement::new(
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            PrimitiveValue::from(frames.len().to_string()),
        ),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(ny as u16)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(nx as u16)),
        DataElement::new(
            tags::BITS_ALLOCATED,
            VR::US,
            PrimitiveValue::from(if fractional.is_some() { 8u16 } else { 1u16 }),
        ),
        DataElement::new(
            tags::BITS_STORED,
            VR::US,
            PrimitiveValue::from(if fractional.is_some() { 8u16 } else { 1u16 }),
        ),
        DataElement::new(
            tags::HIGH_BIT,
            VR::US,
            PrimitiveValue::from(if fractional.is_some() { 7u16 } else { 0u16 }),
        ),
        DataElement::new(
            tags::PIXEL_REPRESENTATION,
            VR::US,
            PrimitiveValue::from(0u16),
        ),
        DataElement::new(
            tags::SEGMENTATION_TYPE,
            VR::CS,
            PrimitiveValue::from(if fractional.is_some() {
                "FRACTIONAL"
            } else {
                "BINARY"
            }),
        ),
        sq(tags::SEGMENT_SEQUENCE, seg_items),
        sq(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, vec![shared]),
        sq(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, per_frame),
        DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(pixel_bytes)),
    ];
    if let Some(max) = fractional {
        elems.push(DataElement::new(
            tags::SEGMENTATION_FRACTIONAL_TYPE,
            VR::CS,
            PrimitiveValue::from("PROBABILITY"),
        ));
        elems.push(DataElement::new(
            tags::MAXIMUM_FRACTIONAL_VALUE,
            VR::US,
            PrimitiveValue::from(max as u16),
        ));
    }
    let obj = InMemDicomObject::from_element_iter(elems)
        .with_meta(FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1"))
        .unwrap();
    obj.write_to_file(path).unwrap();
}

/// A mask as u8 values.
pub fn mask_u8(m: &Mask) -> ndarray::Array3<u8> {
    m.data.mapv(|b| b as u8)
}

/// PackBits-style RLE segment of `bytes` with literal runs only (valid DICOM RLE).
fn rle_segment(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 128 + 2);
    for chunk in bytes.chunks(128) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
    if out.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// Rewrites a 16-bit single-frame slice as RLE Lossless (transfer syntax 1.2.840.10008.1.2.5).
pub fn to_rle(from: &Path, to: &Path) {
    let mut obj = open_file(from).unwrap();
    let words: Vec<u16> = match obj.element(tags::PIXEL_DATA).unwrap().value() {
        Value::Primitive(PrimitiveValue::U16(w)) => w.to_vec(),
        Value::Primitive(PrimitiveValue::I16(w)) => w.iter().map(|&v| v as u16).collect(),
        Value::Primitive(PrimitiveValue::U8(b)) => b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect(),
        other => panic!("unexpected pixel data {other:?}"),
    };
    let hi: Vec<u8> = words.iter().map(|w| (w >> 8) as u8).collect();
    let lo: Vec<u8> = words.iter().map(|w| (w & 0xff) as u8).collect();
    let (s1, s2) = (rle_segment(&hi), rle_segment(&lo));
    let mut frag = vec![0u8; 64];
    frag[0..4].copy_from_slice(&2u32.to_le_bytes());
    frag[4..8].copy_from_slice(&64u32.to_le_bytes());
    frag[8..12].copy_from_slice(&(64 + s1.len() as u32).to_le_bytes());
    frag.extend_from_slice(&s1);
    frag.extend_from_slice(&s2);
    let seq: PixelFragmentSequence<Vec<u8>> = PixelFragmentSequence::new(vec![], vec![frag]);
    obj.put(DataElement::new(tags::PIXEL_DATA, VR::OB, Value::from(seq)));
    obj.meta_mut().transfer_syntax = "1.2.840.10008.1.2.5".into();
    obj.meta_mut().update_information_group_length();
    obj.write_to_file(to).unwrap();
}
