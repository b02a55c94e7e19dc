//! DICOM RT Structure Set (RTSTRUCT): ROI contours → a voxel mask on an image grid.
//!
//! # Rasterisation rule
//!
//! Only `CLOSED_PLANAR` contours are filled (`POINT` and open contours carry no area and
//! are skipped; an ROI without any closed contour is an error). Contour points, in DICOM
//! patient coordinates (LPS, mm), are converted to RAS and then to continuous voxel
//! indices `(i, j, k)` (x, y, z) of the target grid, so voxel centres sit at integers.
//!
//! * **Plane → slice.** Every point of a contour must share one `k` (spread at most 0.05
//!   slice; otherwise the contour is not parallel to the image slices and the ROI is
//!   rejected). The contour is assigned to the nearest slice `round(k)`, which must lie
//!   in the image and closer than half a slice spacing: a contour outside the volume (or
//!   exactly halfway between two slices) is an error naming the ROI and the contour's
//!   world z.
//! * **Inside test.** A voxel of slice `k` is inside when its centre `(i, j)` is inside
//!   the polygons of that slice by the **even–odd rule taken over all contours of the
//!   slice together**: a horizontal ray from the centre towards +x crosses the union of
//!   the slice's contour edges an odd number of times. So a contour drawn inside another
//!   cuts a hole, and a contour inside that hole is filled again.
//! * **Centres on an edge.** An edge from `y0` to `y1` crosses row `j` when exactly one
//!   of `y0`, `y1` is greater than `j` (half-open in y). Along a row the sorted crossings
//!   pair up into spans `[x_a, x_b)`: a centre exactly on a span's left end is inside, one
//!   exactly on its right end is outside. Two contours sharing an edge therefore never
//!   both claim, or both miss, the centres on it.
//!
//! Voxels outside the grid are clipped. An ROI that yields no voxel is an error.
//!
//! # Reference checks
//!
//! When the target image came from a DICOM series ([`crate::MaskTarget::series`]), the
//! structure set must refer to it: the ROI's frame of reference (ReferencedFrameOfReferenceUID,
//! else the frames listed in ReferencedFrameOfReferenceSequence) must be the image's
//! FrameOfReferenceUID; the series listed in RTReferencedSeriesSequence, when any, must
//! include the image's SeriesInstanceUID; when the structure set names no series but its
//! contours name the image slices they were drawn on (ContourImageSequence), at least one
//! of those must be a slice of the image. (Slice-level references are not required to
//! match when the series matches: cropped or re-exported series, such as the IBSI STS
//! data, carry new SOPInstanceUIDs.) Any failure is an error naming both UIDs.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use ndarray::Array3;
use radx_core::Mask;

use super::dcm::{self, Attrs};
use super::geometry::{lps_to_ras, WorldToIndex};
use crate::{invalid, IoError, MaskTarget, RoiSelector};

/// One planar contour of an ROI.
#[derive(Debug, Clone, PartialEq)]
pub struct Contour {
    /// ContourGeometricType, e.g. CLOSED_PLANAR.
    pub geometric_type: String,
    /// Points in DICOM patient coordinates (LPS, mm).
    pub points_lps: Vec<[f64; 3]>,
    /// SOPInstanceUIDs of the image slices the contour names (ContourImageSequence).
    pub referenced_sop_uids: Vec<String>,
}

/// One ROI of a structure set.
#[derive(Debug, Clone, PartialEq)]
pub struct StructureRoi {
    pub number: i64,
    pub name: String,
    pub frame_of_reference_uid: Option<String>,
    pub contours: Vec<Contour>,
}

/// A parsed RT Structure Set.
#[derive(Debug, Clone, PartialEq)]
pub struct RtStruct {
    pub path: PathBuf,
    /// Frames of reference listed in ReferencedFrameOfReferenceSequence.
    pub frame_of_reference_uids: Vec<String>,
    /// Series listed in RTReferencedSeriesSequence.
    pub referenced_series_uids: Vec<String>,
    pub rois: Vec<StructureRoi>,
}

/// Reads an RTSTRUCT file.
pub fn read_rtstruct(path: &Path) -> Result<RtStruct, IoError> {
    let obj = dcm::open(path, dcm::Upto::All)?;
    let a = Attrs::new(&obj, path);
    let class = a.str_opt(tags::SOP_CLASS_UID).unwrap_or_default();
    let modality = a.str_opt(tags::MODALITY).unwrap_or_default();
    if class != dcm::RTSTRUCT_SOP_CLASS && modality != "RTSTRUCT" {
        return Err(invalid(
            path,
            format!("not an RT Structure Set (SOPClassUID {class}, Modality {modality})"),
        ));
    }
    let mut frames = Vec::new();
    let mut series = Vec::new();
    for f in a.items(tags::REFERENCED_FRAME_OF_REFERENCE_SEQUENCE) {
        let fa = a.at(f, "ReferencedFrameOfReferenceSequence");
        if let Some(uid) = fa.str_opt(tags::FRAME_OF_REFERENCE_UID) {
            frames.push(uid);
        }
        for st in fa.items(tags::RT_REFERENCED_STUDY_SEQUENCE) {
            for se in a.at(st, "").items(tags::RT_REFERENCED_SERIES_SEQUENCE) {
                if let Some(uid) = a.at(se, "").str_opt(tags::SERIES_INSTANCE_UID) {
                    series.push(uid);
                }
            }
        }
    }
    // ROI number → (name, frame of reference)
    let mut names: BTreeMap<i64, (String, Option<String>)> = BTreeMap::new();
    for (i, item) in a.items(tags::STRUCTURE_SET_ROI_SEQUENCE).iter().enumerate() {
        let ctx = format!("StructureSetROISequence item {}", i + 1);
        let ia = a.at(item, &ctx);
        let number = ia
            .f64_opt(tags::ROI_NUMBER)?
            .ok_or_else(|| ia.missing(tags::ROI_NUMBER))?;
        let name = ia.str_opt(tags::ROI_NAME).unwrap_or_default();
        names.insert(
            number as i64,
            (name, ia.str_opt(tags::REFERENCED_FRAME_OF_REFERENCE_UID)),
        );
    }
    if names.is_empty() {
        return Err(invalid(
            path,
            format!(
                "RTSTRUCT lists no ROI ({} is missing or empty)",
                dcm::tag_name(tags::STRUCTURE_SET_ROI_SEQUENCE)
            ),
        ));
    }
    let mut contours: BTreeMap<i64, Vec<Contour>> = BTreeMap::new();
    for (i, item) in a.items(tags::ROI_CONTOUR_SEQUENCE).iter().enumerate() {
        let ctx = format!("ROIContourSequence item {}", i + 1);
        let ia = a.at(item, &ctx);
        let number = ia
            .f64_opt(tags::REFERENCED_ROI_NUMBER)?
            .ok_or_else(|| ia.missing(tags::REFERENCED_ROI_NUMBER))? as i64;
        let list = contours.entry(number).or_default();
        for (c, citem) in ia.items(tags::CONTOUR_SEQUENCE).iter().enumerate() {
            let cctx = format!("{ctx}, ContourSequence item {}", c + 1);
            let ca = a.at(citem, &cctx);
            let kind = ca
                .str_opt(tags::CONTOUR_GEOMETRIC_TYPE)
                .unwrap_or_else(|| "CLOSED_PLANAR".into());
            let data = ca.f64s_opt(tags::CONTOUR_DATA)?.unwrap_or_default();
            if data.len() % 3 != 0 {
                return Err(invalid(
                    path,
                    format!(
                        "{} in {cctx} holds {} numbers, not a multiple of 3",
                        dcm::tag_name(tags::CONTOUR_DATA),
                        data.len()
                    ),
                ));
            }
            let points = data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
            let refs = ca
                .items(tags::CONTOUR_IMAGE_SEQUENCE)
                .iter()
                .filter_map(|r| a.at(r, "").str_opt(tags::REFERENCED_SOP_INSTANCE_UID))
                .collect();
            list.push(Contour {
                geometric_type: kind,
                points_lps: points,
                referenced_sop_uids: refs,
            });
        }
    }
    let rois = names
        .into_iter()
        .map(|(number, (name, frame))| StructureRoi {
            number,
            name,
            frame_of_reference_uid: frame,
            contours: contours.remove(&number).unwrap_or_default(),
        })
        .collect();
    Ok(RtStruct {
        path: path.to_path_buf(),
        frame_of_reference_uids: frames,
        referenced_series_uids: series,
        rois,
    })
}

impl RtStruct {
    /// ROI names, in ROI number order.
    pub fn roi_names(&self) -> Vec<String> {
        self.rois.iter().map(|r| r.name.clone()).collect()
    }

    fn listing(&self) -> String {
        self.rois
            .iter()
            .map(|r| format!("{:?} (number {})", r.name, r.number))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The ROI a selector names: `Name` matches ROIName exactly (several ROIs of that
    /// name are an error listing their numbers; a name that differs only in case or
    /// whitespace is suggested), `Label` matches ROINumber, `Auto` takes the only ROI.
    pub fn select(&self, sel: &RoiSelector) -> Result<&StructureRoi, IoError> {
        let found = match sel {
            RoiSelector::Name(n) => {
                let same: Vec<&StructureRoi> = self.rois.iter().filter(|r| &r.name == n).collect();
                if same.len() > 1 {
                    return Err(invalid(
                        &self.path,
                        format!(
                            "{} ROIs are named {n:?} (ROI numbers {}): choose one by number",
                            same.len(),
                            same.iter()
                                .map(|r| r.number.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                same.first().copied()
            }
            RoiSelector::Label(l) => self.rois.iter().find(|r| r.number == *l),
            RoiSelector::Auto => {
                if self.rois.len() == 1 {
                    self.rois.first()
                } else {
                    return Err(invalid(
                        &self.path,
                        format!(
                            "RTSTRUCT holds {} ROIs; choose one by name: {}",
                            self.rois.len(),
                            self.listing()
                        ),
                    ));
                }
            }
        };
        found.ok_or_else(|| {
            let what = match sel {
                RoiSelector::Name(n) => {
                    let names: Vec<&str> = self.rois.iter().map(|r| r.name.as_str()).collect();
                    format!("no ROI named {n:?}{}", crate::near_miss(n, &names))
                }
                RoiSelector::Label(l) => format!("no ROI number {l}"),
                RoiSelector::Auto => unreachable!(),
            };
            invalid(
                &self.path,
                format!("{what}; ROIs present: {}", self.listing()),
            )
        })
    }

    /// Checks that the ROI refers to the target series (see the module documentation).
    fn check_reference(&self, roi: &StructureRoi, target: &MaskTarget) -> Result<(), IoError> {
        let Some(series) = &target.series else {
            return Ok(());
        };
        if let Some(img_for) = &series.frame_of_reference_uid {
            let roi_for: Vec<&String> = match &roi.frame_of_reference_uid {
                Some(f) => vec![f],
                None => self.frame_of_reference_uids.iter().collect(),
            };
            if !roi_for.is_empty() && !roi_for.contains(&img_for) {
                return Err(invalid(
                    &self.path,
                    format!(
                        "ROI {:?} is drawn in frame of reference {}, but the image series {} ({}) is in frame of reference {img_for}: the RTSTRUCT refers to another image",
                        roi.name,
                        roi_for.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                        series.series_uid,
                        series.folder.display()
                    ),
                ));
            }
        }
        // (An image series without a SeriesInstanceUID cannot be matched by UID.)
        if !self.referenced_series_uids.is_empty()
            && series.grouping.is_none()
            && !self.referenced_series_uids.contains(&series.series_uid)
        {
            return Err(invalid(
                &self.path,
                format!(
                    "the RTSTRUCT refers to series {}, not to the image series {} ({})",
                    self.referenced_series_uids.join(", "),
                    series.series_uid,
                    series.folder.display()
                ),
            ));
        }
        let refs: Vec<&String> = roi
            .contours
            .iter()
            .flat_map(|c| c.referenced_sop_uids.iter())
            .collect();
        if self.referenced_series_uids.is_empty()
            && !refs.is_empty()
            && !series.sop_instance_uids.is_empty()
        {
            let have: HashSet<&String> = series.sop_instance_uids.iter().collect();
            if !refs.iter().any(|r| have.contains(r)) {
                return Err(invalid(
                    &self.path,
                    format!(
                        "the contours of ROI {:?} name {} image slices, none of which belongs to the image series {} ({})",
                        roi.name,
                        refs.len(),
                        series.series_uid,
                        series.folder.display()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Rasterises the selected ROI onto the target grid (rule in the module documentation).
    pub fn rasterise(&self, sel: &RoiSelector, target: &MaskTarget) -> Result<Mask, IoError> {
        let roi = self.select(sel)?;
        self.check_reference(roi, target)?;
        let grid = &target.grid;
        if grid.is_empty() {
            return Err(invalid(&self.path, "the target image grid holds no voxel"));
        }
        let [nz, ny, nx] = grid.shape_zyx;
        let w2i = WorldToIndex::new(grid).ok_or_else(|| {
            invalid(
                &self.path,
                "the target image grid has a singular direction matrix",
            )
        })?;
        let sz = grid.spacing_zyx[0];
        // Polygons in (i, j) index coordinates, by slice.
        let mut by_slice: BTreeMap<usize, Vec<Vec<[f64; 2]>>> = BTreeMap::new();
        let mut closed = 0usize;
        for (ci, c) in roi.contours.iter().enumerate() {
            if c.geometric_type != "CLOSED_PLANAR" || c.points_lps.is_empty() {
                continue;
            }
            closed += 1;
            let idx: Vec<[f64; 3]> = c
                .points_lps
                .iter()
                .map(|&p| w2i.index(lps_to_ras(p)))
                .collect();
            let (kmin, kmax) = idx.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
                (lo.min(p[2]), hi.max(p[2]))
            });
            let world_z = c.points_lps[0][2];
            if !(kmin.is_finite() && kmax.is_finite())
                || idx.iter().any(|p| !(p[0].is_finite() && p[1].is_finite()))
            {
                return Err(invalid(
                    &self.path,
                    format!(
                        "ROI {:?}: contour {} (z = {world_z:.3} mm) has points too far from the image to place",
                        roi.name,
                        ci + 1
                    ),
                ));
            }
            if kmax - kmin > 0.05 {
                return Err(invalid(
                    &self.path,
                    format!(
                        "ROI {:?}: contour {} (z = {world_z:.3} mm) is not parallel to the image slices: its points span {:.3} slices",
                        roi.name,
                        ci + 1,
                        kmax - kmin
                    ),
                ));
            }
            let k = 0.5 * (kmin + kmax);
            let kr = k.round();
            let off = (k - kr).abs();
            if off >= 0.5 - 1e-6 || kr < 0.0 || kr > (nz as f64 - 1.0) {
                let nearest = kr.clamp(0.0, nz as f64 - 1.0);
                return Err(invalid(
                    &self.path,
                    format!(
                        "ROI {:?}: contour {} at z = {world_z:.3} mm lies {:.3} mm from the nearest image slice (index {}), more than half the slice spacing {:.3} mm",
                        roi.name,
                        ci + 1,
                        (k - nearest).abs() * sz,
                        nearest as usize,
                        sz
                    ),
                ));
            }
            by_slice
                .entry(kr as usize)
                .or_default()
                .push(idx.iter().map(|p| [p[0], p[1]]).collect());
        }
        if closed == 0 {
            return Err(invalid(
                &self.path,
                format!("ROI {:?} has no CLOSED_PLANAR contour", roi.name),
            ));
        }
        let mut mask = Array3::from_elem((nz, ny, nx), false);
        let mut xs: Vec<f64> = Vec::new();
        for (k, polys) in &by_slice {
            let mut plane = mask.index_axis_mut(ndarray::Axis(0), *k);
            fill_even_odd(polys, ny, nx, &mut xs, |j, i| plane[[j, i]] = true).map_err(|n| {
                invalid(
                    &self.path,
                    format!(
                        "ROI {:?}: the contours of slice {k} cross the image rows more than \
                             {MAX_CROSSINGS} times ({n} so far): too complex to fill",
                        roi.name
                    ),
                )
            })?;
        }
        let m = Mask::new(grid.clone(), mask).map_err(|e| invalid(&self.path, e.to_string()))?;
        if m.count() == 0 {
            return Err(invalid(
                &self.path,
                format!(
                    "ROI {:?} covers no voxel centre of the image grid (its contours are smaller than a voxel or outside the image)",
                    roi.name
                ),
            ));
        }
        Ok(m)
    }
}

/// Largest number of edge–row crossings one slice's contours may have (a bound on the
/// work of [`fill_even_odd`]; real contours have a few thousand).
pub(crate) const MAX_CROSSINGS: u64 = 1 << 27;

/// Scan-line even–odd fill of `polys` (closed polygons in (i, j) index coordinates) over a
/// `ny` × `nx` plane; calls `set(j, i)` for every voxel centre inside. Each edge is visited
/// only on the rows it crosses. `Err(n)` when the edges cross the rows more than
/// [`MAX_CROSSINGS`] times (nothing is set then).
pub(crate) fn fill_even_odd(
    polys: &[Vec<[f64; 2]>],
    ny: usize,
    nx: usize,
    xs: &mut Vec<f64>,
    mut set: impl FnMut(usize, usize),
) -> Result<(), u64> {
    // Edge from a to b crosses row j when exactly one of a.y, b.y is greater than j:
    // min(a.y, b.y) <= j < max(a.y, b.y), i.e. j in [ceil(min), ceil(max)).
    let mut edges: Vec<(usize, usize, [f64; 2], [f64; 2])> = Vec::new();
    let mut total = 0u64;
    for poly in polys {
        let n = poly.len();
        for e in 0..n {
            let a = poly[e];
            let b = poly[(e + 1) % n];
            let (lo, hi) = (a[1].min(b[1]), a[1].max(b[1]));
            let js = lo.ceil().max(0.0);
            let je = hi.ceil().min(ny as f64);
            if js.partial_cmp(&je) != Some(std::cmp::Ordering::Less) {
                continue;
            }
            let (js, je) = (js as usize, je as usize);
            total += (je - js) as u64;
            if total > MAX_CROSSINGS {
                return Err(total);
            }
            edges.push((js, je, a, b));
        }
    }
    if edges.is_empty() {
        return Ok(());
    }
    edges.sort_by_key(|e| e.0);
    let last = edges.iter().map(|e| e.1).max().unwrap_or(0);
    let mut active: Vec<usize> = Vec::new();
    let mut next = 0;
    for j in edges[0].0..last {
        while next < edges.len() && edges[next].0 <= j {
            active.push(next);
            next += 1;
        }
        active.retain(|&k| edges[k].1 > j);
        let y = j as f64;
        xs.clear();
        for &k in &active {
            let (_, _, a, b) = edges[k];
            xs.push(a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
        }
        xs.sort_by(|a, b| a.total_cmp(b));
        for pair in xs.chunks_exact(2) {
            // centres i with pair[0] <= i < pair[1]
            let lo = pair[0].ceil().max(0.0);
            let hi = (pair[1].ceil() - 1.0).min(nx as f64 - 1.0);
            if !matches!(
                lo.partial_cmp(&hi),
                Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
            ) {
                continue;
            }
            for i in (lo as usize)..=(hi as usize) {
                set(j, i);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(polys: &[Vec<[f64; 2]>], n: usize) -> Vec<Vec<bool>> {
        let mut out = vec![vec![false; n]; n];
        let mut xs = Vec::new();
        fill_even_odd(polys, n, n, &mut xs, |j, i| out[j][i] = true).unwrap();
        out
    }

    fn count(m: &[Vec<bool>]) -> usize {
        m.iter().flatten().filter(|&&v| v).count()
    }

    #[test]
    fn square_covers_the_centres_inside() {
        // square from 1.5 to 4.5 covers centres 2, 3, 4 in both axes
        let sq = vec![[1.5, 1.5], [4.5, 1.5], [4.5, 4.5], [1.5, 4.5]];
        let m = raster(&[sq], 8);
        assert_eq!(count(&m), 9);
        assert!(m[2][2] && m[4][4] && !m[1][2] && !m[5][5]);
    }

    #[test]
    fn hole_is_cut_and_island_refilled() {
        let outer = vec![[0.5, 0.5], [9.5, 0.5], [9.5, 9.5], [0.5, 9.5]];
        let hole = vec![[2.5, 2.5], [7.5, 2.5], [7.5, 7.5], [2.5, 7.5]];
        let island = vec![[4.5, 4.5], [5.5, 4.5], [5.5, 5.5], [4.5, 5.5]];
        assert_eq!(count(&raster(std::slice::from_ref(&outer), 12)), 81);
        assert_eq!(count(&raster(&[outer.clone(), hole.clone()], 12)), 81 - 25);
        let m = raster(&[outer, hole, island], 12);
        assert_eq!(count(&m), 81 - 25 + 1);
        assert!(m[5][5] && !m[4][4]);
    }

    #[test]
    fn shared_edge_claimed_once() {
        // two squares sharing the edge x = 3 with centres exactly on it
        let a = vec![[1.0, 1.0], [3.0, 1.0], [3.0, 4.0], [1.0, 4.0]];
        let b = vec![[3.0, 1.0], [5.0, 1.0], [5.0, 4.0], [3.0, 4.0]];
        let union = vec![[1.0, 1.0], [5.0, 1.0], [5.0, 4.0], [1.0, 4.0]];
        let ma = count(&raster(std::slice::from_ref(&a), 8));
        let mb = count(&raster(std::slice::from_ref(&b), 8));
        let mu = count(&raster(&[union], 8));
        assert_eq!(ma + mb, mu);
    }

    #[test]
    fn triangle_orientation_does_not_matter() {
        let t = vec![[0.2, 0.3], [6.7, 1.1], [3.3, 6.9]];
        let mut r = t.clone();
        r.reverse();
        assert_eq!(raster(&[t], 8), raster(&[r], 8));
    }

    #[test]
    fn too_many_crossings_are_refused() {
        // a zigzag of 2^20 teeth, each spanning 200 rows
        let mut poly: Vec<[f64; 2]> = (0..1 << 20)
            .map(|k| [k as f64 * 1e-3, if k % 2 == 0 { -0.5 } else { 199.5 }])
            .collect();
        poly.push([0.0, -0.5]);
        let mut xs = Vec::new();
        let n = fill_even_odd(&[poly], 256, 256, &mut xs, |_, _| {}).unwrap_err();
        assert!(n > MAX_CROSSINGS);
    }

    #[test]
    fn clipped_at_grid_border() {
        let big = vec![[-5.0, -5.0], [20.0, -5.0], [20.0, 20.0], [-5.0, 20.0]];
        assert_eq!(count(&raster(&[big], 4)), 16);
    }
}
