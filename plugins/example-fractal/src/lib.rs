//! Example run-time plugin: the 3D box-counting (Minkowski–Bouligand) dimension of the
//! ROI's morphological mask.
//!
//! For box edges `s = 1, 2, 4, …` voxels (up to half the ROI's largest extent, and at most
//! `max_scales` of them, a plugin setting, default 6), `N(s)` is the number of boxes of a
//! grid anchored at the ROI's bounding-box corner that hold at least one ROI voxel. The
//! dimension is the least-squares slope of `log N(s)` against `log(1/s)`; `r_squared` is
//! the fit's coefficient of determination. Boxes are counted in voxel units, so the
//! dimension is meaningful on isotropic grids. A solid cube gives 3, a plane 2, a line 1.
//!
//! Build: `cargo build --release -p radx-example-fractal`; pin the library with
//! `radx plugin inspect target/release/libradx_example_fractal.so`.

use radx_core::{FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo};

pub struct BoxCounting {
    info: PluginInfo,
}

impl Default for BoxCounting {
    fn default() -> Self {
        BoxCounting {
            info: PluginInfo {
                family: "fractal".into(),
                prefix: "fractal".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                features: vec![
                    FeatureDef::new("box_dimension", "", "1"),
                    FeatureDef::new("r_squared", "", "1"),
                ],
                aggregations: Vec::new(),
            },
        }
    }
}

/// Box counts `(s, N(s))` of a binary volume for `s = 1, 2, 4, …`.
pub fn box_counts(mask: &ndarray::Array3<bool>, max_scales: usize) -> Vec<(usize, usize)> {
    let (nz, ny, nx) = mask.dim();
    let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
    for ((z, y, x), &m) in mask.indexed_iter() {
        if m {
            for (a, v) in [z, y, x].into_iter().enumerate() {
                lo[a] = lo[a].min(v);
                hi[a] = hi[a].max(v);
            }
        }
    }
    if lo[0] == usize::MAX {
        return Vec::new();
    }
    let extent = (0..3).map(|a| hi[a] - lo[a] + 1).max().unwrap_or(1);
    let mut out = Vec::new();
    let mut s = 1usize;
    while out.len() < max_scales && (s == 1 || 2 * s <= extent) {
        let mut boxes = std::collections::HashSet::new();
        for z in lo[0]..=hi[0].min(nz - 1) {
            for y in lo[1]..=hi[1].min(ny - 1) {
                for x in lo[2]..=hi[2].min(nx - 1) {
                    if mask[[z, y, x]] {
                        boxes.insert(((z - lo[0]) / s, (y - lo[1]) / s, (x - lo[2]) / s));
                    }
                }
            }
        }
        out.push((s, boxes.len()));
        s *= 2;
    }
    out
}

/// Least-squares slope and r² of `log N` against `log(1/s)`.
pub fn dimension(counts: &[(usize, usize)]) -> Result<(f64, f64), String> {
    if counts.len() < 2 {
        return Err("the ROI is too small for two box scales".into());
    }
    let pts: Vec<(f64, f64)> = counts
        .iter()
        .map(|&(s, n)| (-(s as f64).ln(), (n as f64).ln()))
        .collect();
    let k = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / k;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / k;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = pts.iter().map(|p| (p.1 - my).powi(2)).sum();
    let slope = sxy / sxx;
    let r2 = if syy > 0.0 {
        sxy * sxy / (sxx * syy)
    } else {
        1.0
    };
    Ok((slope, r2))
}

impl FeaturePlugin for BoxCounting {
    fn info(&self) -> &PluginInfo {
        &self.info
    }

    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        let settings: serde_json::Value =
            serde_json::from_str(&radx_plugin_sdk::plugin_settings_json())
                .map_err(|e| PluginError::Failed(format!("plugin settings: {e}")))?;
        let max_scales = settings
            .get("max_scales")
            .and_then(|v| v.as_u64())
            .unwrap_or(6) as usize;
        let counts = box_counts(&input.roi.morphological, max_scales.max(2));
        Ok(match dimension(&counts) {
            Ok((d, r2)) => vec![
                FeatureValue::number("box_dimension", None, d),
                FeatureValue::number("r_squared", None, r2),
            ],
            Err(r) => vec![
                FeatureValue::missing("box_dimension", None, &r),
                FeatureValue::missing("r_squared", None, &r),
            ],
        })
    }
}

radx_plugin_sdk::export_plugin!(BoxCounting::default());

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array3};

    #[test]
    fn cube_plane_and_line() {
        let mut cube = Array3::from_elem((34, 34, 34), false);
        cube.slice_mut(s![1..33, 1..33, 1..33]).fill(true);
        let (d, r2) = dimension(&box_counts(&cube, 6)).unwrap();
        assert!(
            (d - 3.0).abs() < 1e-12 && (r2 - 1.0).abs() < 1e-12,
            "{d} {r2}"
        );
        let mut plane = Array3::from_elem((3, 34, 34), false);
        plane.slice_mut(s![1..2, 1..33, 1..33]).fill(true);
        let (d, _) = dimension(&box_counts(&plane, 6)).unwrap();
        assert!((d - 2.0).abs() < 0.15, "{d}");
        let mut line = Array3::from_elem((3, 3, 66), false);
        line.slice_mut(s![1..2, 1..2, 1..65]).fill(true);
        let (d, _) = dimension(&box_counts(&line, 6)).unwrap();
        assert!((d - 1.0).abs() < 0.1, "{d}");
    }
}
