//! Texture aggregation shared by every IBSI texture family (03_Image_features.rst,
//! "Feature aggregation").
//!
//! A family says how to build its matrix from discretised grey levels, for one slice
//! (2D neighbourhood) or the whole volume (3D neighbourhood), and for directional
//! families along one direction; and how to compute its features from one matrix. This
//! crate turns that into the IBSI aggregations:
//!
//! | tag | directional (GLCM, GLRLM) | non-directional (GLSZM, GLDZM, NGTDM, NGLDM) |
//! | --- | --- | --- |
//! | `2D_avg` | features per slice and in-plane direction, averaged over all | — |
//! | `2D_comb` | directions merged per slice, features averaged over slices | — |
//! | `2D` | — | features per slice, averaged over slices |
//! | `2_5D_avg` | slices merged per direction, features averaged over directions | — |
//! | `2_5D_comb` | all slices and directions merged | — |
//! | `2_5D` | — | matrices of all slices merged |
//! | `3D_avg` | features per 3D direction (13), averaged | — |
//! | `3D_comb` | the 13 direction matrices merged | — |
//! | `3D` | — | one matrix of the volume |
//!
//! Each matrix is built once per slice or volume and direction; every aggregation that
//! needs it reuses it. Averages skip matrices that are empty (no pair, run or zone
//! counted) and values that are undefined for one matrix; when nothing is left the
//! value is missing with the reason of the first undefined one.
//!
//! It also holds the machinery two families share: [`zones`] (grey level zones, found by
//! union-find; used by the GLSZM and the GLDZM) and [`zone_matrix`] (the sparse zone
//! matrix and the 16 features both compute from it).
//!
//! This crate must not define a feature family's own matrix or feature list (that is a
//! plugin's job), nor discretise (radx-process's).

pub mod neighbourhood;
pub mod output;
pub mod rank;
pub mod sparse;
pub mod zone_matrix;
pub mod zones;

use ndarray::ArrayView3;
use radx_core::settings::{DirectionMerging, TextureDimension};

pub use output::{texture_levels, values_by_aggregation, values_by_feature};

/// The aggregations of the non-directional (neighbourhood) families: GLSZM, GLDZM, NGTDM,
/// NGLDM.
pub const NEIGHBOURHOOD_AGGREGATIONS: [&str; 3] = ["2D", "2_5D", "3D"];

/// A feature that may be undefined for a given matrix (the reason says why).
pub type Outcome = Result<f64, String>;

/// Discretised grey levels of an ROI: 0 outside the intensity mask, 1..=`n_levels` inside.
#[derive(Clone, Copy)]
pub struct LevelVolume<'a> {
    pub levels: ArrayView3<'a, u32>,
    pub n_levels: u32,
}

impl LevelVolume<'_> {
    /// Indices of slices (z) that hold at least one ROI voxel.
    pub fn occupied_slices(&self) -> Vec<usize> {
        self.levels
            .outer_iter()
            .enumerate()
            .filter(|(_, s)| s.iter().any(|&l| l > 0))
            .map(|(z, _)| z)
            .collect()
    }
}

/// Where a matrix is built: one slice with in-plane neighbourhoods, or the volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Slice(usize),
    Volume,
}

/// The 13 unique 3D directions `(dz, dy, dx)` of a 26-neighbourhood.
pub const DIRECTIONS_3D: [[isize; 3]; 13] = [
    [0, 0, 1],
    [0, 1, -1],
    [0, 1, 0],
    [0, 1, 1],
    [1, -1, -1],
    [1, -1, 0],
    [1, -1, 1],
    [1, 0, -1],
    [1, 0, 0],
    [1, 0, 1],
    [1, 1, -1],
    [1, 1, 0],
    [1, 1, 1],
];

/// The 4 unique in-plane directions `(0, dy, dx)` of an 8-neighbourhood.
pub const DIRECTIONS_2D: [[isize; 3]; 4] = [[0, 0, 1], [0, 1, -1], [0, 1, 0], [0, 1, 1]];

/// A texture matrix that can be merged (summed) with another of its kind.
pub trait TextureMatrix: Clone {
    /// Adds `other`'s counts into `self`.
    fn merge(&mut self, other: &Self);
    /// True when nothing was counted.
    fn is_empty(&self) -> bool;
}

/// A family whose matrices depend on a direction (GLCM, GLRLM).
pub trait DirectionalFamily: Sync {
    type Matrix: TextureMatrix;
    /// The matrix of `vol` within `scope` along `direction` (a unit step `(dz, dy, dx)`).
    fn build(&self, vol: &LevelVolume, scope: Scope, direction: [isize; 3]) -> Self::Matrix;
    /// Every feature of the family from one matrix, in the family's feature order.
    fn features(&self, matrix: &Self::Matrix) -> Vec<Outcome>;
}

/// A family without directions (GLSZM, GLDZM, NGTDM, NGLDM).
pub trait NeighbourhoodFamily: Sync {
    type Matrix: TextureMatrix;
    /// The matrix of `vol` within `scope`.
    fn build(&self, vol: &LevelVolume, scope: Scope) -> Self::Matrix;
    /// Every feature of the family from one matrix, in the family's feature order.
    fn features(&self, matrix: &Self::Matrix) -> Vec<Outcome>;
}

/// Features for one aggregation, e.g. `("2D_avg", values)`.
pub type Aggregated = (String, Vec<Outcome>);

/// Element-wise mean of feature vectors, skipping undefined values.
pub fn average(sets: &[Vec<Outcome>]) -> Vec<Outcome> {
    let Some(first) = sets.first() else {
        return Vec::new();
    };
    (0..first.len())
        .map(|k| {
            let mut sum = 0.0;
            let mut n = 0usize;
            let mut reason: Option<&String> = None;
            for s in sets {
                match &s[k] {
                    Ok(v) => {
                        sum += v;
                        n += 1;
                    }
                    Err(r) => {
                        reason.get_or_insert(r);
                    }
                }
            }
            if n > 0 {
                Ok(sum / n as f64)
            } else {
                Err(reason
                    .cloned()
                    .unwrap_or_else(|| "no matrix to average".into()))
            }
        })
        .collect()
}

fn merged<M: TextureMatrix>(ms: &[&M]) -> Option<M> {
    let mut it = ms.iter();
    let mut acc = (*it.next()?).clone();
    for m in it {
        acc.merge(m);
    }
    Some(acc)
}

fn undefined(n: usize, reason: &str) -> Vec<Outcome> {
    vec![Err(reason.to_string()); n]
}

fn feats_or_undefined<F: Fn(&M) -> Vec<Outcome>, M: TextureMatrix>(
    m: Option<M>,
    f: F,
    n_features: usize,
    reason: &str,
) -> Vec<Outcome> {
    match m {
        Some(m) if !m.is_empty() => f(&m),
        _ => undefined(n_features, reason),
    }
}

fn avg_or_undefined(sets: Vec<Vec<Outcome>>, n_features: usize, reason: &str) -> Vec<Outcome> {
    if sets.is_empty() {
        undefined(n_features, reason)
    } else {
        average(&sets)
    }
}

const NO_MATRIX: &str = "no voxel pair, run or zone to count in the ROI";

/// Every requested aggregation of a directional family. `n_features` is the length of
/// the family's feature vector (used for undefined results).
pub fn aggregate_directional<F: DirectionalFamily>(
    family: &F,
    vol: &LevelVolume,
    dimensions: &[TextureDimension],
    merging: &[DirectionMerging],
    n_features: usize,
) -> Vec<Aggregated> {
    let mut out = Vec::new();
    let feats = |m: &F::Matrix| family.features(m);
    let want_2d = dimensions.contains(&TextureDimension::D2);
    let want_25d = dimensions.contains(&TextureDimension::D25);
    if want_2d || want_25d {
        let slices = vol.occupied_slices();
        // per_slice[s][d]
        let per_slice: Vec<Vec<F::Matrix>> = slices
            .iter()
            .map(|&z| {
                DIRECTIONS_2D
                    .iter()
                    .map(|&d| family.build(vol, Scope::Slice(z), d))
                    .collect()
            })
            .collect();
        if want_2d {
            for &mg in merging {
                let values = match mg {
                    DirectionMerging::Avg => avg_or_undefined(
                        per_slice
                            .iter()
                            .flatten()
                            .filter(|m| !m.is_empty())
                            .map(feats)
                            .collect(),
                        n_features,
                        NO_MATRIX,
                    ),
                    DirectionMerging::Comb => avg_or_undefined(
                        per_slice
                            .iter()
                            .filter_map(|ms| merged(&ms.iter().collect::<Vec<_>>()))
                            .filter(|m| !m.is_empty())
                            .map(|m| feats(&m))
                            .collect(),
                        n_features,
                        NO_MATRIX,
                    ),
                };
                out.push((format!("2D_{}", mg.tag()), values));
            }
        }
        if want_25d {
            for &mg in merging {
                let values = match mg {
                    DirectionMerging::Avg => avg_or_undefined(
                        (0..DIRECTIONS_2D.len())
                            .filter_map(|d| {
                                merged(&per_slice.iter().map(|ms| &ms[d]).collect::<Vec<_>>())
                            })
                            .filter(|m| !m.is_empty())
                            .map(|m| feats(&m))
                            .collect(),
                        n_features,
                        NO_MATRIX,
                    ),
                    DirectionMerging::Comb => feats_or_undefined(
                        merged(&per_slice.iter().flatten().collect::<Vec<_>>()),
                        feats,
                        n_features,
                        NO_MATRIX,
                    ),
                };
                out.push((format!("2_5D_{}", mg.tag()), values));
            }
        }
    }
    if dimensions.contains(&TextureDimension::D3) {
        let per_dir: Vec<F::Matrix> = DIRECTIONS_3D
            .iter()
            .map(|&d| family.build(vol, Scope::Volume, d))
            .collect();
        for &mg in merging {
            let values = match mg {
                DirectionMerging::Avg => avg_or_undefined(
                    per_dir
                        .iter()
                        .filter(|m| !m.is_empty())
                        .map(feats)
                        .collect(),
                    n_features,
                    NO_MATRIX,
                ),
                DirectionMerging::Comb => feats_or_undefined(
                    merged(&per_dir.iter().collect::<Vec<_>>()),
                    feats,
                    n_features,
                    NO_MATRIX,
                ),
            };
            out.push((format!("3D_{}", mg.tag()), values));
        }
    }
    out
}

/// Every requested aggregation of a non-directional family.
pub fn aggregate_neighbourhood<F: NeighbourhoodFamily>(
    family: &F,
    vol: &LevelVolume,
    dimensions: &[TextureDimension],
    n_features: usize,
) -> Vec<Aggregated> {
    let mut out = Vec::new();
    let feats = |m: &F::Matrix| family.features(m);
    let want_2d = dimensions.contains(&TextureDimension::D2);
    let want_25d = dimensions.contains(&TextureDimension::D25);
    if want_2d || want_25d {
        let per_slice: Vec<F::Matrix> = vol
            .occupied_slices()
            .into_iter()
            .map(|z| family.build(vol, Scope::Slice(z)))
            .collect();
        if want_2d {
            out.push((
                "2D".to_string(),
                avg_or_undefined(
                    per_slice
                        .iter()
                        .filter(|m| !m.is_empty())
                        .map(feats)
                        .collect(),
                    n_features,
                    NO_MATRIX,
                ),
            ));
        }
        if want_25d {
            out.push((
                "2_5D".to_string(),
                feats_or_undefined(
                    merged(&per_slice.iter().collect::<Vec<_>>()),
                    feats,
                    n_features,
                    NO_MATRIX,
                ),
            ));
        }
    }
    if dimensions.contains(&TextureDimension::D3) {
        let m = family.build(vol, Scope::Volume);
        out.push((
            "3D".to_string(),
            feats_or_undefined(Some(m), feats, n_features, NO_MATRIX),
        ));
    }
    out
}

/// The aggregation tags a directional family emits for these settings, in output order.
pub fn directional_tags(
    dimensions: &[TextureDimension],
    merging: &[DirectionMerging],
) -> Vec<String> {
    let mut v = Vec::new();
    for d in [
        TextureDimension::D2,
        TextureDimension::D25,
        TextureDimension::D3,
    ] {
        if dimensions.contains(&d) {
            for &m in merging {
                v.push(format!("{}_{}", d.tag(), m.tag()));
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    /// A toy family: counts voxel pairs along a direction.
    struct PairCount;
    #[derive(Clone)]
    struct Count(f64);
    impl TextureMatrix for Count {
        fn merge(&mut self, o: &Self) {
            self.0 += o.0
        }
        fn is_empty(&self) -> bool {
            self.0 == 0.0
        }
    }
    impl DirectionalFamily for PairCount {
        type Matrix = Count;
        fn build(&self, vol: &LevelVolume, scope: Scope, d: [isize; 3]) -> Count {
            let (nz, ny, nx) = vol.levels.dim();
            let mut c = 0.0;
            for z in 0..nz {
                if let Scope::Slice(s) = scope {
                    if s != z {
                        continue;
                    }
                }
                for y in 0..ny {
                    for x in 0..nx {
                        let (z2, y2, x2) =
                            (z as isize + d[0], y as isize + d[1], x as isize + d[2]);
                        if vol.levels[[z, y, x]] > 0
                            && z2 >= 0
                            && y2 >= 0
                            && x2 >= 0
                            && (z2 as usize) < nz
                            && (y2 as usize) < ny
                            && (x2 as usize) < nx
                            && vol.levels[[z2 as usize, y2 as usize, x2 as usize]] > 0
                        {
                            c += 1.0;
                        }
                    }
                }
            }
            Count(c)
        }
        fn features(&self, m: &Count) -> Vec<Outcome> {
            vec![Ok(m.0)]
        }
    }

    #[test]
    fn aggregations_of_a_full_cube() {
        let levels = Array3::from_elem((2, 2, 2), 1u32);
        let vol = LevelVolume {
            levels: levels.view(),
            n_levels: 1,
        };
        let out = aggregate_directional(
            &PairCount,
            &vol,
            &[
                TextureDimension::D2,
                TextureDimension::D25,
                TextureDimension::D3,
            ],
            &[DirectionMerging::Avg, DirectionMerging::Comb],
            1,
        );
        let get = |t: &str| {
            out.iter().find(|(k, _)| k == t).unwrap().1[0]
                .clone()
                .unwrap()
        };
        // In a 2x2 slice: direction (0,0,1) 2 pairs, (0,1,-1) 1, (0,1,0) 2, (0,1,1) 1.
        assert_eq!(get("2D_avg"), 1.5);
        assert_eq!(get("2D_comb"), 6.0);
        assert_eq!(get("2_5D_avg"), 3.0);
        assert_eq!(get("2_5D_comb"), 12.0);
        // 3D: 28 pairs in total over 13 directions (every voxel pair of the cube).
        assert_eq!(get("3D_comb"), 28.0);
        assert!((get("3D_avg") - 28.0 / 13.0).abs() < 1e-12);
        assert_eq!(
            directional_tags(&[TextureDimension::D3], &[DirectionMerging::Comb]),
            vec!["3D_comb"]
        );
    }

    #[test]
    fn average_skips_undefined() {
        let a = vec![Ok(1.0), Err("x".to_string())];
        let b = vec![Ok(3.0), Err("y".to_string())];
        let m = average(&[a, b]);
        assert_eq!(m[0], Ok(2.0));
        assert_eq!(m[1], Err("x".to_string()));
    }
}
