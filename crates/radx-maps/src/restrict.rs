//! The ROI of one map voxel: the processed ROI restricted to the voxel's kernel, with the
//! whole ROI's discretisation.

use ndarray::Array3;
use radx_core::settings::Discretisation;
use radx_core::{Discretised, FeatureInput, Roi, Settings};
use radx_process::Prepared;

use crate::Kernel;

/// A restricted ROI and its three discretisations, cropped to the bounding box of the
/// restricted morphological mask widened by a margin.
#[derive(Debug, Clone)]
pub struct Restricted {
    pub roi: Roi,
    pub histogram: Result<Discretised, String>,
    pub texture: Result<Discretised, String>,
    pub ivh: Result<Discretised, String>,
    /// Index, in the prepared ROI, of the crop's first voxel.
    pub start: [usize; 3],
}

impl Restricted {
    /// The plugins' input.
    pub fn input<'a>(&'a self, settings: &'a Settings) -> FeatureInput<'a> {
        FeatureInput {
            roi: &self.roi,
            settings,
            histogram: &self.histogram,
            texture: &self.texture,
            ivh: &self.ivh,
        }
    }
}

/// The number of grey levels of a restricted discretisation: with FBN the whole ROI's
/// `N_g` (the bins are fixed by the whole ROI's range); with FBS and none the highest
/// grey level present, as `radx_process::discretise` gives for any ROI.
pub fn restricted_levels(method: &Discretisation, whole: u32, highest_present: u32) -> u32 {
    match method {
        Discretisation::Fbn { .. } => whole,
        Discretisation::Fbs { .. } | Discretisation::None => highest_present,
    }
}

/// The ROI of the map voxel `centre` (an index into `prepared.roi`): both masks of the
/// processed ROI intersected with `kernel` centred there; the grey levels are those of the
/// whole ROI's discretisations (global discretisation: each voxel keeps its level, the
/// number of levels follows [`restricted_levels`]). The arrays are cropped to the
/// bounding box of the restricted morphological mask widened by `margin` voxels along
/// (z, y, x), within the prepared ROI, and the grid's origin moves with the crop.
///
/// Returns `None` when the kernel holds no voxel of the morphological mask.
pub fn restrict(
    prepared: &Prepared,
    settings: &Settings,
    kernel: &Kernel,
    centre: [usize; 3],
    margin: [usize; 3],
) -> Option<Restricted> {
    let roi = &prepared.roi;
    let dims = roi.grid.shape_zyx;
    let [cz, cy, cx] = centre.map(|c| c as isize);
    // The kernel voxels in the morphological mask: their bounding box.
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    let mut any = false;
    let in_range = |v: isize, n: usize| v >= 0 && (v as usize) < n;
    for &(dz, dy, w) in &kernel.runs {
        let (z, y) = (cz + dz, cy + dy);
        if !in_range(z, dims[0]) || !in_range(y, dims[1]) {
            continue;
        }
        let (z, y) = (z as usize, y as usize);
        let x0 = (cx - w).max(0) as usize;
        let x1 = ((cx + w) as usize).min(dims[2] - 1);
        for x in x0..=x1 {
            if roi.morphological[[z, y, x]] {
                any = true;
                for (a, v) in [z, y, x].into_iter().enumerate() {
                    lo[a] = lo[a].min(v);
                    hi[a] = hi[a].max(v);
                }
            }
        }
    }
    if !any {
        return None;
    }
    let mut start = [0usize; 3];
    let mut shape = [0usize; 3];
    for a in 0..3 {
        start[a] = lo[a].saturating_sub(margin[a]);
        let end = hi[a]
            .saturating_add(margin[a])
            .saturating_add(1)
            .min(dims[a]);
        shape[a] = end - start[a];
    }
    let sl = ndarray::s![
        start[0]..start[0] + shape[0],
        start[1]..start[1] + shape[1],
        start[2]..start[2] + shape[2]
    ];
    let image = roi.image.slice(sl).to_owned();
    let mut morphological = Array3::from_elem(shape, false);
    let mut intensity = Array3::from_elem(shape, false);
    let whole: [Option<&Discretised>; 3] = [
        prepared.histogram.as_ref().ok(),
        prepared.texture.as_ref().ok(),
        prepared.ivh.as_ref().ok(),
    ];
    let mut levels: [Option<Array3<u32>>; 3] =
        whole.map(|d| d.map(|_| Array3::<u32>::zeros(shape)));
    let mut highest = [0u32; 3];
    for &(dz, dy, w) in &kernel.runs {
        let (z, y) = (cz + dz, cy + dy);
        if !in_range(z, dims[0]) || !in_range(y, dims[1]) {
            continue;
        }
        let (z, y) = (z as usize, y as usize);
        if z < start[0] || z >= start[0] + shape[0] || y < start[1] || y >= start[1] + shape[1] {
            continue;
        }
        let x0 = ((cx - w).max(0) as usize).max(start[2]);
        let x1 = ((cx + w) as usize).min(start[2] + shape[2] - 1);
        for x in x0..=x1 {
            let local = [z - start[0], y - start[1], x - start[2]];
            if roi.morphological[[z, y, x]] {
                morphological[local] = true;
            }
            if roi.intensity[[z, y, x]] {
                intensity[local] = true;
                for k in 0..3 {
                    if let (Some(d), Some(l)) = (whole[k], levels[k].as_mut()) {
                        let g = d.levels[[z, y, x]];
                        l[local] = g;
                        highest[k] = highest[k].max(g);
                    }
                }
            }
        }
    }
    let methods = [
        &settings.discretisation.histogram,
        &settings.discretisation.texture,
        &settings.discretisation.ivh,
    ];
    let [h, t, i] = [0, 1, 2].map(|k| match (&whole[k], levels[k].take()) {
        (Some(d), Some(l)) => Ok(Discretised {
            levels: l,
            n_levels: restricted_levels(methods[k], d.n_levels, highest[k]),
            lower_edge: d.lower_edge,
            bin_width: d.bin_width,
        }),
        _ => Err([&prepared.histogram, &prepared.texture, &prepared.ivh][k]
            .as_ref()
            .err()
            .cloned()
            .unwrap_or_default()),
    });
    let mut grid = roi.grid.clone();
    grid.origin_xyz = roi
        .grid
        .world_of_index([start[0] as f64, start[1] as f64, start[2] as f64]);
    grid.shape_zyx = shape;
    Some(Restricted {
        roi: Roi {
            grid,
            image,
            morphological,
            intensity,
        },
        histogram: h,
        texture: t,
        ivh: i,
        start,
    })
}
