//! IBSI diagnostic features (05_Reference_data_sets.rst, "Diagnostic features"): values that
//! describe the image and the ROI masks after each processing step, tagged as in the IBSI
//! reference tables (`{what}_{stage}_img`, `{what}_{stage}_roi`, stage `init`, `interp` or
//! `reseg`).

use ndarray::{s, ArrayView3, Ix3, SliceInfo, SliceInfoElem, Zip};
use radx_core::Grid;

use crate::interpolate::Stats;

/// A diagnostic value of a processing step, named by its IBSI reference tag
/// (e.g. `img_dim_x_init_img`, `int_mask_vox_count_reseg_roi`).
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub tag: String,
    pub value: f64,
}

const AXES_XYZ: [(&str, usize); 3] = [("x", 2), ("y", 1), ("z", 0)];

/// Inclusive bounding box of a mask, `(z, y, x)` voxel indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BBox {
    pub lo: [usize; 3],
    pub hi: [usize; 3],
}

impl BBox {
    /// The bounding box of the set voxels, `None` when there are none.
    pub fn of(mask: ArrayView3<bool>) -> Option<BBox> {
        let mut lo = [usize::MAX; 3];
        let mut hi = [0usize; 3];
        let mut any = false;
        for (z, plane) in mask.outer_iter().enumerate() {
            for (y, row) in plane.outer_iter().enumerate() {
                let ends = match row.as_slice() {
                    Some(r) => first_last_set(r),
                    None => row.iter().position(|&m| m).map(|f| {
                        let back = row.iter().rev().position(|&m| m).unwrap_or(0);
                        (f, row.len() - 1 - back)
                    }),
                };
                if let Some((f, l)) = ends {
                    any = true;
                    lo = [lo[0].min(z), lo[1].min(y), lo[2].min(f)];
                    hi = [hi[0].max(z), hi[1].max(y), hi[2].max(l)];
                }
            }
        }
        any.then_some(BBox { lo, hi })
    }

    /// Voxels along (z, y, x).
    pub fn dims(&self) -> [usize; 3] {
        std::array::from_fn(|a| self.hi[a] - self.lo[a] + 1)
    }

    /// The box as an ndarray slice.
    pub fn slice(&self) -> SliceInfo<[SliceInfoElem; 3], Ix3, Ix3> {
        s![
            self.lo[0]..=self.hi[0],
            self.lo[1]..=self.hi[1],
            self.lo[2]..=self.hi[2]
        ]
    }
}

/// Indices of the first and the last set value of a row. Whole blocks of 32 are tested
/// with a branch-free OR (which vectorises) before the set value is looked for.
fn first_last_set(r: &[bool]) -> Option<(usize, usize)> {
    const B: usize = 32;
    let block_any = |c: &[bool]| c.iter().fold(false, |a, &b| a | b);
    let nb = r.len().div_ceil(B);
    let first_block = (0..nb).find(|&i| block_any(&r[i * B..((i + 1) * B).min(r.len())]))?;
    let last_block = (first_block..nb)
        .rev()
        .find(|&i| block_any(&r[i * B..((i + 1) * B).min(r.len())]))
        .unwrap_or(first_block);
    let f = first_block * B + r[first_block * B..].iter().position(|&m| m)?;
    let lb = &r[last_block * B..((last_block + 1) * B).min(r.len())];
    let l = last_block * B + lb.iter().rposition(|&m| m).unwrap_or(0);
    Some((f, l))
}

fn push(out: &mut Vec<Diagnostic>, tag: String, value: f64) {
    out.push(Diagnostic { tag, value });
}

/// Image diagnostics of a stage: `img_dim_{x,y,z}` (voxels), `vox_dim_{x,y,z}` (mm) and
/// `{mean,min,max}_int` over the whole image (finite voxels; omitted when there is none).
pub fn image_diagnostics(stage: &str, grid: &Grid, stats: &Stats, out: &mut Vec<Diagnostic>) {
    for (ax, a) in AXES_XYZ {
        push(
            out,
            format!("img_dim_{ax}_{stage}_img"),
            grid.shape_zyx[a] as f64,
        );
    }
    for (ax, a) in AXES_XYZ {
        push(
            out,
            format!("vox_dim_{ax}_{stage}_img"),
            grid.spacing_zyx[a],
        );
    }
    if let Some(mean) = stats.mean() {
        push(out, format!("mean_int_{stage}_img"), mean);
        push(out, format!("min_int_{stage}_img"), stats.min);
        push(out, format!("max_int_{stage}_img"), stats.max);
    }
}

/// ROI diagnostics of a stage. `image_dims` is the shape (z, y, x) of the whole (possibly
/// interpolated) image, which is the shape of the masks; the views may be any part of the
/// image that holds the whole morphological mask.
///
/// `int_mask_dim_{x,y,z}` (mask dimensions, voxels), `int_mask_bb_dim_{x,y,z}` and
/// `morph_mask_bb_dim_{x,y,z}` (bounding-box dimensions, voxels), `int_mask_vox_count`,
/// `morph_mask_vox_count`, and `int_mask_{mean,min,max}_int` over the intensity mask.
pub fn roi_diagnostics(
    stage: &str,
    image_dims: [usize; 3],
    image: ArrayView3<f64>,
    morphological: ArrayView3<bool>,
    intensity: ArrayView3<bool>,
    out: &mut Vec<Diagnostic>,
) {
    for (ax, a) in AXES_XYZ {
        push(
            out,
            format!("int_mask_dim_{ax}_{stage}_roi"),
            image_dims[a] as f64,
        );
    }
    if let Some(bb) = BBox::of(intensity) {
        let d = bb.dims();
        for (ax, a) in AXES_XYZ {
            push(
                out,
                format!("int_mask_bb_dim_{ax}_{stage}_roi"),
                d[a] as f64,
            );
        }
    }
    if let Some(bb) = BBox::of(morphological) {
        let d = bb.dims();
        for (ax, a) in AXES_XYZ {
            push(
                out,
                format!("morph_mask_bb_dim_{ax}_{stage}_roi"),
                d[a] as f64,
            );
        }
    }
    let mut stats = Stats::default();
    let mut morph_count = 0usize;
    Zip::from(&image)
        .and(&morphological)
        .and(&intensity)
        .for_each(|&v, &m, &i| {
            morph_count += m as usize;
            if i {
                stats.push(v);
            }
        });
    push(
        out,
        format!("int_mask_vox_count_{stage}_roi"),
        stats.count as f64,
    );
    push(
        out,
        format!("morph_mask_vox_count_{stage}_roi"),
        morph_count as f64,
    );
    if let Some(mean) = stats.mean() {
        push(out, format!("int_mask_mean_int_{stage}_roi"), mean);
        push(out, format!("int_mask_min_int_{stage}_roi"), stats.min);
        push(out, format!("int_mask_max_int_{stage}_roi"), stats.max);
    }
}
