//! A sparse grey level zone matrix and the 16 features that the GLSZM and the GLDZM
//! share (03_Image_features.rst, sections 3.8 and 3.9).
//!
//! Both matrices count zones by grey level `i` (rows) and by a second property `j`
//! (columns): the zone size for the GLSZM, the zone distance to the ROI edge for the
//! GLDZM. Only the cells that hold zones are stored, as `(i, j, count)` sorted by
//! `(i, j)`; the matrix is thereby sized by the grey levels and columns present.

use crate::{Outcome, TextureMatrix};

/// One non-zero cell of a zone matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cell {
    /// Grey level `i` (>= 1).
    pub level: u32,
    /// Column `j` (>= 1): zone size or zone distance.
    pub column: u32,
    /// Number of zones `s_ij` (`d_ij`).
    pub count: u64,
}

/// A sparse zone matrix with the number of voxels `N_v` it was counted over.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZoneMatrix {
    cells: Vec<Cell>,
    n_voxels: u64,
}

impl ZoneMatrix {
    /// The matrix counting `zones`, given as `(grey level, column)` pairs, over `n_voxels`
    /// ROI voxels.
    pub fn from_zones(zones: impl IntoIterator<Item = (u32, u32)>, n_voxels: u64) -> Self {
        // one u64 key per zone, ordered as (level, column)
        let mut keys: Vec<u64> = zones
            .into_iter()
            .map(|(level, column)| ((level as u64) << 32) | column as u64)
            .collect();
        keys.sort_unstable();
        let mut cells: Vec<Cell> = Vec::new();
        let mut last = None;
        for &k in &keys {
            if last == Some(k) {
                if let Some(c) = cells.last_mut() {
                    c.count += 1;
                }
            } else {
                cells.push(Cell {
                    level: (k >> 32) as u32,
                    column: k as u32,
                    count: 1,
                });
                last = Some(k);
            }
        }
        ZoneMatrix { cells, n_voxels }
    }

    /// The non-zero cells, sorted by `(level, column)`.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Number of ROI voxels `N_v` (summed when matrices are merged).
    pub fn n_voxels(&self) -> u64 {
        self.n_voxels
    }

    /// Total number of zones `N_s`.
    pub fn n_zones(&self) -> u64 {
        self.cells.iter().map(|c| c.count).sum()
    }

    /// The cells as `(level, column, count)` triples (for tests and display).
    pub fn triples(&self) -> Vec<(u32, u32, u64)> {
        self.cells
            .iter()
            .map(|c| (c.level, c.column, c.count))
            .collect()
    }
}

impl TextureMatrix for ZoneMatrix {
    /// Sums zone counts cell by cell and the voxel counts `N_v` (IBSI: "when matrices
    /// are merged, N_v should likewise be summed").
    fn merge(&mut self, other: &Self) {
        let (a, b) = (&self.cells, &other.cells);
        let mut out = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut k) = (0, 0);
        while i < a.len() && k < b.len() {
            let (ka, kb) = ((a[i].level, a[i].column), (b[k].level, b[k].column));
            if ka < kb {
                out.push(a[i]);
                i += 1;
            } else if kb < ka {
                out.push(b[k]);
                k += 1;
            } else {
                out.push(Cell {
                    count: a[i].count + b[k].count,
                    ..a[i]
                });
                i += 1;
                k += 1;
            }
        }
        out.extend_from_slice(&a[i..]);
        out.extend_from_slice(&b[k..]);
        self.cells = out;
        self.n_voxels += other.n_voxels;
    }

    fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// Number of features of a zone matrix family.
pub const N_FEATURES: usize = 16;

/// The 16 zone-matrix features, in the order shared by both families' IBSI tags. With
/// `s_ij` the number of zones of grey level `i` and column `j` (size for the GLSZM,
/// distance for the GLDZM), `N_s = Σ s_ij`, marginals `s_i. = Σ_j s_ij`,
/// `s_.j = Σ_i s_ij`, `p_ij = s_ij / N_s` and `N_v` the number of voxels:
///
/// 0. small zone / distance emphasis: `Σ_j s_.j / j² / N_s`
/// 1. large zone / distance emphasis: `Σ_j j² s_.j / N_s`
/// 2. low grey level zone emphasis: `Σ_i s_i. / i² / N_s`
/// 3. high grey level zone emphasis: `Σ_i i² s_i. / N_s`
/// 4. small, low grey level emphasis: `Σ s_ij / (i² j²) / N_s`
/// 5. small, high grey level emphasis: `Σ i² s_ij / j² / N_s`
/// 6. large, low grey level emphasis: `Σ j² s_ij / i² / N_s`
/// 7. large, high grey level emphasis: `Σ i² j² s_ij / N_s`
/// 8. grey level non-uniformity: `Σ_i s_i.² / N_s`
/// 9. normalised grey level non-uniformity: `Σ_i s_i.² / N_s²`
/// 10. zone size / distance non-uniformity: `Σ_j s_.j² / N_s`
/// 11. normalised zone size / distance non-uniformity: `Σ_j s_.j² / N_s²`
/// 12. zone percentage: `N_s / N_v`
/// 13. grey level variance: `Σ (i - μ_i)² p_ij`, `μ_i = Σ i p_ij`
/// 14. zone size / distance variance: `Σ (j - μ_j)² p_ij`, `μ_j = Σ j p_ij`
/// 15. zone size / distance entropy: `-Σ p_ij log2 p_ij`
///
/// Every feature is defined as soon as one zone is counted; an empty matrix gives each
/// feature as undefined with that reason.
pub fn zone_features(m: &ZoneMatrix) -> Vec<Outcome> {
    let ns_u = m.n_zones();
    if ns_u == 0 {
        return vec![Err("no zone in the ROI (empty intensity mask)".to_string()); N_FEATURES];
    }
    let ns = ns_u as f64;
    let (mut sze, mut lze, mut lgze, mut hgze) = (0.0, 0.0, 0.0, 0.0);
    let (mut szlge, mut szhge, mut lzlge, mut lzhge) = (0.0, 0.0, 0.0, 0.0);
    let (mut mu_i, mut mu_j, mut entr) = (0.0, 0.0, 0.0);
    let mut glnu = 0.0;
    let mut row_level = 0u32;
    let mut row_sum = 0u64;
    let mut columns: Vec<(u32, u64)> = Vec::with_capacity(m.cells.len());
    for c in &m.cells {
        let (i, j, n) = (c.level as f64, c.column as f64, c.count as f64);
        let (i2, j2) = (i * i, j * j);
        sze += n / j2;
        lze += n * j2;
        lgze += n / i2;
        hgze += n * i2;
        szlge += n / (i2 * j2);
        szhge += n * i2 / j2;
        lzlge += n * j2 / i2;
        lzhge += n * i2 * j2;
        mu_i += n * i;
        mu_j += n * j;
        let p = n / ns;
        entr -= p * p.log2();
        if c.level != row_level {
            glnu += (row_sum as f64).powi(2);
            row_level = c.level;
            row_sum = 0;
        }
        row_sum += c.count;
        columns.push((c.column, c.count));
    }
    glnu += (row_sum as f64).powi(2);
    columns.sort_unstable();
    let mut zsnu = 0.0;
    let mut col = 0u32;
    let mut col_sum = 0u64;
    for &(j, n) in &columns {
        if j != col {
            zsnu += (col_sum as f64).powi(2);
            col = j;
            col_sum = 0;
        }
        col_sum += n;
    }
    zsnu += (col_sum as f64).powi(2);
    mu_i /= ns;
    mu_j /= ns;
    let (mut var_i, mut var_j) = (0.0, 0.0);
    for c in &m.cells {
        let p = c.count as f64 / ns;
        var_i += (c.level as f64 - mu_i).powi(2) * p;
        var_j += (c.column as f64 - mu_j).powi(2) * p;
    }
    let z_perc = if m.n_voxels > 0 {
        Ok(ns / m.n_voxels as f64)
    } else {
        Err("zone percentage: the matrix counts no voxel".to_string())
    };
    vec![
        Ok(sze / ns),
        Ok(lze / ns),
        Ok(lgze / ns),
        Ok(hgze / ns),
        Ok(szlge / ns),
        Ok(szhge / ns),
        Ok(lzlge / ns),
        Ok(lzhge / ns),
        Ok(glnu / ns),
        Ok(glnu / (ns * ns)),
        Ok(zsnu / ns),
        Ok(zsnu / (ns * ns)),
        z_perc,
        Ok(var_i),
        Ok(var_j),
        Ok(entr),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &Outcome, b: f64) -> bool {
        (a.as_ref().unwrap() - b).abs() < 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn from_zones_counts_and_merge_sums() {
        let z = vec![(2, 1), (1, 3), (2, 1), (1, 1)];
        let mut m = ZoneMatrix::from_zones(z, 7);
        assert_eq!(m.triples(), vec![(1, 1, 1), (1, 3, 1), (2, 1, 2)]);
        let o = ZoneMatrix::from_zones([(1, 2), (2, 1), (3, 5)], 8);
        m.merge(&o);
        assert_eq!(
            m.triples(),
            vec![(1, 1, 1), (1, 2, 1), (1, 3, 1), (2, 1, 3), (3, 5, 1)]
        );
        assert_eq!(m.n_voxels(), 15);
        assert_eq!(m.n_zones(), 7);
        assert!(ZoneMatrix::default().is_empty());
    }

    #[test]
    fn features_by_hand() {
        // zones: level 1 size 2 (x2), level 3 size 1 (x1); N_s = 3, N_v = 5
        let m = ZoneMatrix::from_zones([(1, 2), (1, 2), (3, 1)], 5);
        let f = zone_features(&m);
        assert!(close(&f[0], (2.0 / 4.0 + 1.0) / 3.0));
        assert!(close(&f[1], (2.0 * 4.0 + 1.0) / 3.0));
        assert!(close(&f[2], (2.0 + 1.0 / 9.0) / 3.0));
        assert!(close(&f[3], (2.0 + 9.0) / 3.0));
        assert!(close(&f[4], (2.0 / 4.0 + 1.0 / 9.0) / 3.0));
        assert!(close(&f[5], (2.0 / 4.0 + 9.0) / 3.0));
        assert!(close(&f[6], (2.0 * 4.0 + 1.0 / 9.0) / 3.0));
        assert!(close(&f[7], (2.0 * 4.0 + 9.0) / 3.0));
        assert!(close(&f[8], (4.0 + 1.0) / 3.0));
        assert!(close(&f[9], 5.0 / 9.0));
        assert!(close(&f[10], 5.0 / 3.0));
        assert!(close(&f[11], 5.0 / 9.0));
        assert!(close(&f[12], 3.0 / 5.0));
        // levels 1,1,3: mean 5/3, variance (2*(4/9) + 16/9)/3 = 8/9
        assert!(close(&f[13], 8.0 / 9.0));
        // columns 2,2,1: mean 5/3, variance (2/9 + 4/9)/3 = 2/9
        assert!(close(&f[14], 2.0 / 9.0));
        let h = -(2.0 / 3.0f64) * (2.0 / 3.0f64).log2() - (1.0 / 3.0f64) * (1.0 / 3.0f64).log2();
        assert!(close(&f[15], h));
    }

    #[test]
    fn empty_matrix_is_undefined() {
        let f = zone_features(&ZoneMatrix::default());
        assert_eq!(f.len(), N_FEATURES);
        assert!(f.iter().all(|v| v.is_err()));
    }
}
