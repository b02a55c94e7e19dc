//! Several regions of one mask file, read once: the ROIs of an RTSTRUCT, the segments of
//! a SEG, the labels of a label map ([`load_masks_any`]), and the suggestion of a near
//! miss when a name is not found ([`near_miss`]).

use std::path::Path;

use ndarray::Array3;

use crate::formats::{check_mask_grid, mask_file_of_folder, read_label_volume, select_labels};
use crate::{
    detect_format, dicom::seg, invalid, read_rtstruct, Format, IoError, LoadedMask, MaskSelection,
    MaskTarget, RoiSelector, SEG_FRACTION_THRESHOLD,
};

/// What to take from a mask file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaskRequest {
    /// One region (see [`RoiSelector`]).
    One(RoiSelector),
    /// Every region the file holds: each ROI of an RTSTRUCT (by ROINumber order), each
    /// segment of a SEG (by SegmentNumber order), each distinct non-zero label of a label
    /// map (ascending).
    All,
}

/// `" (did you mean "X"?)"` when exactly one of `names` equals `asked` once case and
/// whitespace are ignored (trimmed, runs of whitespace as one space, lower case); else
/// empty. Matching itself stays exact: this only helps the error message.
pub fn near_miss(asked: &str, names: &[&str]) -> String {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let want = norm(asked);
    let close: Vec<&&str> = names
        .iter()
        .filter(|n| **n != asked && norm(n) == want)
        .collect();
    match close.as_slice() {
        [one] => format!(" (did you mean {one:?}?)"),
        [] => String::new(),
        many => format!(
            " (did you mean one of {}?)",
            many.iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Reads the regions `requests` ask for from one mask file (or a folder holding one
/// RTSTRUCT or SEG), onto `target`, reading the file once where the format allows (label
/// maps and RTSTRUCTs; a SEG is opened once per segment). One list per request, in order;
/// [`MaskRequest::All`] gives every region of the file. Each region is as
/// [`crate::load_mask_any`] would give it alone.
pub fn load_masks_any(
    path: &Path,
    target: &MaskTarget,
    requests: &[MaskRequest],
) -> Result<Vec<Vec<LoadedMask>>, IoError> {
    if path.is_dir() {
        return load_masks_any(&mask_file_of_folder(path)?, target, requests);
    }
    let format = detect_format(path)?;
    match format {
        Format::Nifti | Format::Nrrd => {
            let (grid, data, files) = read_label_volume(path, format, target.volume)?;
            check_mask_grid(path, target, &grid)?;
            let one = |sel: &RoiSelector| -> Result<LoadedMask, IoError> {
                let d = select_labels(path, &data, sel)?;
                let mask = radx_core::Mask::new(target.grid.clone(), d)
                    .map_err(|e| invalid(path, e.to_string()))?;
                Ok(LoadedMask {
                    mask,
                    format,
                    files: files.clone(),
                    selection: MaskSelection {
                        label_value: match sel {
                            RoiSelector::Label(l) => Some(*l),
                            _ => None,
                        },
                        ..Default::default()
                    },
                })
            };
            requests
                .iter()
                .map(|r| match r {
                    MaskRequest::One(sel) => one(sel).map(|m| vec![m]),
                    MaskRequest::All => {
                        // validates the values (whole, finite) before listing them
                        select_labels(path, &data, &RoiSelector::Auto)?;
                        let labels = distinct_labels(&data);
                        if labels.is_empty() {
                            return Err(invalid(path, "the label map holds no non-zero label"));
                        }
                        labels
                            .into_iter()
                            .map(|l| one(&RoiSelector::Label(l)))
                            .collect()
                    }
                })
                .collect()
        }
        Format::RtStruct => {
            let rt = read_rtstruct(path)?;
            let one = |sel: &RoiSelector| -> Result<LoadedMask, IoError> {
                let mask = rt.rasterise(sel, target)?;
                let roi = rt.select(sel)?;
                Ok(LoadedMask {
                    mask,
                    format,
                    files: vec![path.to_path_buf()],
                    selection: MaskSelection {
                        roi_name: Some(roi.name.clone()),
                        roi_number: Some(roi.number),
                        frame_of_reference_uid: roi
                            .frame_of_reference_uid
                            .clone()
                            .or_else(|| rt.frame_of_reference_uids.first().cloned()),
                        ..Default::default()
                    },
                })
            };
            requests
                .iter()
                .map(|r| match r {
                    MaskRequest::One(sel) => one(sel).map(|m| vec![m]),
                    MaskRequest::All => {
                        // every ROI is named in the table: duplicate names are refused
                        for roi in &rt.rois {
                            rt.select(&RoiSelector::Name(roi.name.clone()))?;
                        }
                        rt.rois
                            .iter()
                            .map(|roi| one(&RoiSelector::Label(roi.number)))
                            .collect()
                    }
                })
                .collect()
        }
        Format::Seg => {
            let one = |sel: &RoiSelector| -> Result<LoadedMask, IoError> {
                let (mask, segment, frame) =
                    seg::read_seg(path, target, sel, SEG_FRACTION_THRESHOLD)?;
                Ok(LoadedMask {
                    mask,
                    format,
                    files: vec![path.to_path_buf()],
                    selection: MaskSelection {
                        segment_number: Some(segment.number),
                        segment_label: Some(segment.label),
                        frame_of_reference_uid: frame,
                        ..Default::default()
                    },
                })
            };
            requests
                .iter()
                .map(|r| match r {
                    MaskRequest::One(sel) => one(sel).map(|m| vec![m]),
                    MaskRequest::All => seg::list_segments(path)?
                        .iter()
                        .map(|s| one(&RoiSelector::Label(s.number)))
                        .collect(),
                })
                .collect()
        }
        Format::DicomSeries => Err(invalid(
            path,
            "is a DICOM image slice, not a mask (RTSTRUCT or SEG expected)",
        )),
    }
}

/// The distinct non-zero values of a label map (whole numbers), ascending.
fn distinct_labels(data: &Array3<f64>) -> Vec<i64> {
    let set: std::collections::BTreeSet<i64> = data
        .iter()
        .filter(|v| **v != 0.0)
        .map(|v| *v as i64)
        .collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_miss_is_suggested_and_an_exact_or_unrelated_name_is_not() {
        let names = ["GTV", "Liver", "spinal  cord"];
        assert_eq!(near_miss("gtv", &names), " (did you mean \"GTV\"?)");
        assert_eq!(
            near_miss(" Spinal Cord ", &names),
            " (did you mean \"spinal  cord\"?)"
        );
        assert_eq!(near_miss("GTV", &names), "");
        assert_eq!(near_miss("Spleen", &names), "");
        assert!(near_miss("a", &["A", "a "]).contains("one of"));
    }
}
