//! DICOM Segmentation (SEG) → a voxel mask on an image grid.
//!
//! * Segments are chosen by SegmentNumber ([`RoiSelector::Label`]) or SegmentLabel
//!   ([`RoiSelector::Name`]); [`RoiSelector::Auto`] takes the only segment.
//! * SegmentationType `BINARY`: a pixel of 1 is inside. `FRACTIONAL`: a pixel is inside
//!   when value / MaximumFractionalValue ≥ the threshold (0.5 by default, see
//!   [`read_seg_mask`]), whether the fraction is a probability or an occupancy.
//!   `LABELMAP`: a pixel equal to the segment number is inside.
//! * Geometry comes from the functional groups (per-frame, else shared):
//!   PlaneOrientationSequence, PixelMeasuresSequence and each frame's
//!   PlanePositionSequence, in LPS, converted to RAS. A SEG must lie on the image grid: the
//!   same row and column directions (within 1e-3) and pixel spacing (relative 1e-3), and
//!   every frame's position on a voxel centre of the grid (within 0.1 voxel along each axis);
//!   frames are then pasted in place (a frame may cover part of a slice; several frames of
//!   one segment on one slice are OR-ed). Anything else is an error: radx does not resample
//!   a SEG. A set pixel outside the image grid is an error.
//! * When the target image came from a DICOM series, the SEG's FrameOfReferenceUID must be
//!   the image's and, when ReferencedSeriesSequence is present, it must list the image
//!   series.

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use ndarray::Array3;
use radx_core::Mask;

use super::dcm::{self, Attrs};
use super::geometry::{dot, lps_to_ras, orientation, WorldToIndex};
use super::pixels::{self, PixelFormat};
use crate::{invalid, unsupported, IoError, MaskTarget, RoiSelector};

/// One segment described by a SEG.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentInfo {
    pub number: i64,
    pub label: String,
}

/// Lists the segments of a SEG file.
pub fn list_segments(path: &Path) -> Result<Vec<SegmentInfo>, IoError> {
    let obj = dcm::open(path, dcm::Upto::PixelData)?;
    let a = Attrs::new(&obj, path);
    check_is_seg(&a)?;
    segments(&a)
}

fn check_is_seg(a: &Attrs) -> Result<(), IoError> {
    let class = a.str_opt(tags::SOP_CLASS_UID).unwrap_or_default();
    let modality = a.str_opt(tags::MODALITY).unwrap_or_default();
    if class != dcm::SEG_SOP_CLASS && modality != "SEG" {
        return Err(invalid(
            a.path,
            format!("not a DICOM Segmentation (SOPClassUID {class}, Modality {modality})"),
        ));
    }
    Ok(())
}

fn segments(a: &Attrs) -> Result<Vec<SegmentInfo>, IoError> {
    let mut out = Vec::new();
    for (i, item) in a.items_req(tags::SEGMENT_SEQUENCE)?.iter().enumerate() {
        let ctx = format!("SegmentSequence item {}", i + 1);
        let ia = a.at(item, &ctx);
        out.push(SegmentInfo {
            number: ia.uint_req(tags::SEGMENT_NUMBER)? as i64,
            label: ia.str_opt(tags::SEGMENT_LABEL).unwrap_or_default(),
        });
    }
    Ok(out)
}

fn listing(segs: &[SegmentInfo]) -> String {
    segs.iter()
        .map(|s| format!("{} {:?}", s.number, s.label))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads one segment of a SEG onto the target grid; fractional segments are thresholded
/// at `fraction_threshold` (inside when fraction ≥ threshold, a value in (0, 1]).
pub fn read_seg_mask(
    path: &Path,
    target: &MaskTarget,
    sel: &RoiSelector,
    fraction_threshold: f64,
) -> Result<Mask, IoError> {
    read_seg(path, target, sel, fraction_threshold).map(|(m, _, _)| m)
}

/// [`read_seg_mask`], also returning the segment it resolved and the SEG's
/// FrameOfReferenceUID (for provenance).
pub(crate) fn read_seg(
    path: &Path,
    target: &MaskTarget,
    sel: &RoiSelector,
    fraction_threshold: f64,
) -> Result<(Mask, SegmentInfo, Option<String>), IoError> {
    if !(fraction_threshold > 0.0 && fraction_threshold <= 1.0) {
        return Err(invalid(
            path,
            format!("fraction threshold {fraction_threshold} is not in (0, 1]"),
        ));
    }
    let obj = dcm::open(path, dcm::Upto::All)?;
    let a = Attrs::new(&obj, path);
    check_is_seg(&a)?;
    let segs = segments(&a)?;
    let seg = match sel {
        RoiSelector::Auto if segs.len() == 1 => segs[0].clone(),
        RoiSelector::Auto => {
            return Err(invalid(
                path,
                format!(
                    "SEG holds {} segments; choose one by number or label: {}",
                    segs.len(),
                    listing(&segs)
                ),
            ))
        }
        RoiSelector::Label(n) => {
            segs.iter()
                .find(|s| s.number == *n)
                .cloned()
                .ok_or_else(|| {
                    invalid(
                        path,
                        format!(
                            "no segment number {n}; segments present: {}",
                            listing(&segs)
                        ),
                    )
                })?
        }
        RoiSelector::Name(l) if segs.iter().filter(|s| &s.label == l).count() > 1 => {
            return Err(invalid(
                path,
                format!(
                    "{} segments are labelled {l:?} (segment numbers {}): choose one by number",
                    segs.iter().filter(|s| &s.label == l).count(),
                    segs.iter()
                        .filter(|s| &s.label == l)
                        .map(|s| s.number.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
        RoiSelector::Name(l) => segs
            .iter()
            .find(|s| &s.label == l)
            .cloned()
            .ok_or_else(|| {
                invalid(
                    path,
                    format!(
                        "no segment labelled {l:?}{}; segments present: {}",
                        crate::near_miss(
                            l,
                            &segs.iter().map(|s| s.label.as_str()).collect::<Vec<_>>()
                        ),
                        listing(&segs)
                    ),
                )
            })?,
    };

    // Reference checks.
    if let Some(series) = &target.series {
        if let (Some(img_for), Some(seg_for)) = (
            &series.frame_of_reference_uid,
            a.str_opt(tags::FRAME_OF_REFERENCE_UID),
        ) {
            if &seg_for != img_for {
                return Err(invalid(
                    path,
                    format!(
                        "the SEG is in frame of reference {seg_for}, but the image series {} ({}) is in {img_for}: the SEG refers to another image",
                        series.series_uid,
                        series.folder.display()
                    ),
                ));
            }
        }
        let refs: Vec<String> = a
            .items(tags::REFERENCED_SERIES_SEQUENCE)
            .iter()
            .filter_map(|it| a.at(it, "").str_opt(tags::SERIES_INSTANCE_UID))
            .collect();
        if !refs.is_empty() && series.grouping.is_none() && !refs.contains(&series.series_uid) {
            return Err(invalid(
                path,
                format!(
                    "the SEG refers to series {}, not to the image series {} ({})",
                    refs.join(", "),
                    series.series_uid,
                    series.folder.display()
                ),
            ));
        }
    }

    let kind = a
        .str_opt(tags::SEGMENTATION_TYPE)
        .ok_or_else(|| a.missing(tags::SEGMENTATION_TYPE))?;
    let fmt = PixelFormat::read(&a)?;
    let max_fraction = match kind.as_str() {
        "BINARY" => {
            if fmt.bits_allocated != 1 {
                return Err(invalid(
                    path,
                    format!(
                        "BINARY SEG with BitsAllocated {} (1 expected)",
                        fmt.bits_allocated
                    ),
                ));
            }
            None
        }
        "FRACTIONAL" => {
            let m = a.f64_req(tags::MAXIMUM_FRACTIONAL_VALUE)?;
            if m <= 0.0 {
                return Err(invalid(
                    path,
                    format!("MaximumFractionalValue {m} is not positive"),
                ));
            }
            Some(m)
        }
        "LABELMAP" => None,
        other => {
            return Err(unsupported(
                path,
                format!("SegmentationType {other:?} (BINARY, FRACTIONAL or LABELMAP are read)"),
            ))
        }
    };

    // Geometry shared by all frames, unless a frame overrides it.
    let shared = a.items(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).first();
    let per_frame = a.items(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    if per_frame.len() != fmt.frames {
        return Err(invalid(
            path,
            format!(
                "{} per-frame functional group items for {} frames",
                per_frame.len(),
                fmt.frames
            ),
        ));
    }
    let values = pixels::stored_values(&obj, path, &fmt)?;

    let grid = &target.grid;
    if grid.is_empty() {
        return Err(invalid(path, "the target image grid holds no voxel"));
    }
    let [nz, ny, nx] = grid.shape_zyx;
    let w2i = WorldToIndex::new(grid).ok_or_else(|| {
        invalid(
            path,
            "the target image grid has a singular direction matrix",
        )
    })?;
    let grid_row = [
        grid.direction[0][0],
        grid.direction[1][0],
        grid.direction[2][0],
    ];
    let grid_col = [
        grid.direction[0][1],
        grid.direction[1][1],
        grid.direction[2][1],
    ];
    let mut mask = Array3::from_elem((nz, ny, nx), false);
    let labels: Vec<String> = (0..fmt.frames)
        .map(|f| format!("PerFrameFunctionalGroupsSequence item {}", f + 1))
        .collect();
    let mut frames_used = 0usize;
    for (f, item) in per_frame.iter().enumerate() {
        let fa = a.at(item, &labels[f]);
        // Which segment this frame shows (LABELMAP frames show all).
        if kind != "LABELMAP" {
            let sid = fa
                .items(tags::SEGMENT_IDENTIFICATION_SEQUENCE)
                .first()
                .or_else(|| {
                    shared.and_then(|s| {
                        a.at(s, "")
                            .items(tags::SEGMENT_IDENTIFICATION_SEQUENCE)
                            .first()
                    })
                });
            let Some(sid) = sid else {
                return Err(invalid(
                    path,
                    format!("missing SegmentIdentificationSequence in {}", labels[f]),
                ));
            };
            let n = a
                .at(sid, &labels[f])
                .uint_req(tags::REFERENCED_SEGMENT_NUMBER)? as i64;
            if n != seg.number {
                continue;
            }
        }
        frames_used += 1;
        let group = |tag| {
            fa.items(tag)
                .first()
                .or_else(|| shared.and_then(|s| a.at(s, "").items(tag).first()))
        };
        let pos_item = group(tags::PLANE_POSITION_SEQUENCE).ok_or_else(|| {
            invalid(
                path,
                format!("missing PlanePositionSequence for frame {}", f + 1),
            )
        })?;
        let ori_item = group(tags::PLANE_ORIENTATION_SEQUENCE).ok_or_else(|| {
            invalid(
                path,
                format!("missing PlaneOrientationSequence for frame {}", f + 1),
            )
        })?;
        let pm_item = group(tags::PIXEL_MEASURES_SEQUENCE).ok_or_else(|| {
            invalid(
                path,
                format!("missing PixelMeasuresSequence for frame {}", f + 1),
            )
        })?;
        let ipp = a
            .at(pos_item, &labels[f])
            .f64s_req(tags::IMAGE_POSITION_PATIENT, 3)?;
        let iop = a
            .at(ori_item, &labels[f])
            .f64s_req(tags::IMAGE_ORIENTATION_PATIENT, 6)?;
        let ps = a.at(pm_item, &labels[f]).f64s_req(tags::PIXEL_SPACING, 2)?;
        let (r, c) = orientation(&iop, path, "ImageOrientationPatient")?;
        let (r, c) = (lps_to_ras(r), lps_to_ras(c));
        if dot(r, grid_row) < 1.0 - 1e-3 || dot(c, grid_col) < 1.0 - 1e-3 {
            return Err(invalid(
                path,
                format!(
                    "frame {}: orientation {iop:?} (LPS) differs from the image grid's; radx does not resample a SEG",
                    f + 1
                ),
            ));
        }
        if (ps[0] - grid.spacing_zyx[1]).abs() > 1e-3 * grid.spacing_zyx[1]
            || (ps[1] - grid.spacing_zyx[2]).abs() > 1e-3 * grid.spacing_zyx[2]
        {
            return Err(invalid(
                path,
                format!(
                    "frame {}: pixel spacing {ps:?} differs from the image's (y, x) spacing [{}, {}]; radx does not resample a SEG",
                    f + 1,
                    grid.spacing_zyx[1],
                    grid.spacing_zyx[2]
                ),
            ));
        }
        let idx = w2i.index(lps_to_ras([ipp[0], ipp[1], ipp[2]]));
        let rounded = idx.map(|v| v.round());
        if idx.iter().zip(&rounded).any(|(v, r)| (v - r).abs() > 0.1) {
            return Err(invalid(
                path,
                format!(
                    "frame {} at {ipp:?} (LPS) is not on a voxel centre of the image grid (index {:.3}, {:.3}, {:.3}); radx does not resample a SEG",
                    f + 1,
                    idx[0],
                    idx[1],
                    idx[2]
                ),
            ));
        }
        // Far outside any grid: i64 arithmetic below must not overflow.
        if rounded.iter().any(|v| v.abs() > 1e12) {
            return Err(invalid(
                path,
                format!(
                    "frame {} at {ipp:?} (LPS) lies far outside the image grid {:?}",
                    f + 1,
                    grid.shape_zyx
                ),
            ));
        }
        let (i0, j0, k) = (rounded[0] as i64, rounded[1] as i64, rounded[2] as i64);
        let frame = &values[f * fmt.frame_len()..(f + 1) * fmt.frame_len()];
        for row in 0..fmt.rows {
            for col in 0..fmt.columns {
                let v = frame[row * fmt.columns + col];
                let inside = match kind.as_str() {
                    "BINARY" => v != 0.0,
                    "FRACTIONAL" => v / max_fraction.unwrap_or(1.0) >= fraction_threshold,
                    _ => v == seg.number as f64,
                };
                if !inside {
                    continue;
                }
                let (i, j) = (i0 + col as i64, j0 + row as i64);
                if k < 0 || k >= nz as i64 || j < 0 || j >= ny as i64 || i < 0 || i >= nx as i64 {
                    return Err(invalid(
                        path,
                        format!(
                            "segment {} {:?}: frame {} sets a pixel at voxel (z, y, x) = ({k}, {j}, {i}), outside the image grid {:?}",
                            seg.number,
                            seg.label,
                            f + 1,
                            grid.shape_zyx
                        ),
                    ));
                }
                mask[[k as usize, j as usize, i as usize]] = true;
            }
        }
    }
    if frames_used == 0 {
        return Err(invalid(
            path,
            format!("segment {} {:?} has no frame", seg.number, seg.label),
        ));
    }
    let m = Mask::new(grid.clone(), mask).map_err(|e| invalid(path, e.to_string()))?;
    if m.count() == 0 {
        return Err(invalid(
            path,
            format!("segment {} {:?} is empty", seg.number, seg.label),
        ));
    }
    Ok((m, seg, a.str_opt(tags::FRAME_OF_REFERENCE_UID)))
}

/// Paths of the RTSTRUCT and SEG files directly in a folder.
pub(crate) fn mask_files_in(folder: &Path) -> Result<Vec<(PathBuf, crate::Format)>, IoError> {
    let mut out = Vec::new();
    for p in super::series::dicom_files(folder)? {
        let obj = dcm::open(&p, dcm::Upto::Identity)?;
        let a = Attrs::new(&obj, &p);
        let class = a.str_opt(tags::SOP_CLASS_UID).unwrap_or_default();
        let modality = a.str_opt(tags::MODALITY).unwrap_or_default();
        if class == dcm::RTSTRUCT_SOP_CLASS || modality == "RTSTRUCT" {
            out.push((p, crate::Format::RtStruct));
        } else if class == dcm::SEG_SOP_CLASS || modality == "SEG" {
            out.push((p, crate::Format::Seg));
        }
    }
    Ok(out)
}
