//! The intensity-based statistical features of a set of intensities.

use crate::percentile::percentiles;

/// The 18 IBSI intensity-based statistical features (and the quartiles they use) of a set
/// `X = {X_1, ..., X_N}` of intensities. Notation: `μ` mean, `M` median, `P_q` the
/// q-th percentile (see [`crate::percentile`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    /// Number of intensities `N`.
    pub n: usize,
    /// Mean (Q4LE): `μ = (1/N) Σ X_k`.
    pub mean: f64,
    /// Variance (ECT3), without bias correction: `σ² = (1/N) Σ (X_k - μ)²`.
    pub var: f64,
    /// Skewness (KE2A): `(1/N) Σ (X_k - μ)³ / σ³`; 0 when `σ² = 0` (as the manual defines).
    pub skew: f64,
    /// Excess kurtosis (IPH6): `(1/N) Σ (X_k - μ)⁴ / σ⁴ - 3`; 0 when `σ² = 0` (as the manual
    /// defines).
    pub kurt: f64,
    /// Median (Y12H): `M = P_50`.
    pub median: f64,
    /// Minimum (1GSF): `min X`.
    pub min: f64,
    /// 10th percentile (QG58): `P_10`.
    pub p10: f64,
    /// 25th percentile (used by IQR and QCOD).
    pub p25: f64,
    /// 75th percentile (used by IQR and QCOD).
    pub p75: f64,
    /// 90th percentile (8DWT): `P_90`.
    pub p90: f64,
    /// Maximum (84IY): `max X`.
    pub max: f64,
    /// Interquartile range (SALO): `P_75 - P_25`.
    pub iqr: f64,
    /// Range (2OJQ): `max X - min X`.
    pub range: f64,
    /// Mean absolute deviation (4FUA): `(1/N) Σ |X_k - μ|`.
    pub mad: f64,
    /// Robust mean absolute deviation (1128): over `X_10-90 = {x ∈ X : P_10 <= x <= P_90}`
    /// with mean `x̄`, `(1/N_10-90) Σ |x - x̄|`. Undefined when no intensity lies between
    /// `P_10` and `P_90` (possible for very small sets, where both percentiles are
    /// interpolated between the same two values).
    pub rmad: Result<f64, String>,
    /// Median absolute deviation (N72L): `(1/N) Σ |X_k - M|`.
    pub medad: f64,
    /// Coefficient of variation (7TET): `σ / μ`; undefined when `μ = 0`.
    pub cov: Result<f64, String>,
    /// Quartile coefficient of dispersion (9S40): `(P_75 - P_25) / (P_75 + P_25)`; undefined
    /// when `P_75 + P_25 = 0`.
    pub qcod: Result<f64, String>,
    /// Energy (N8CA): `Σ X_k²`.
    pub energy: f64,
    /// Root mean square (5ZWQ): `sqrt((1/N) Σ X_k²)`.
    pub rms: f64,
}

/// Computes [`Statistics`] of `values` (finite numbers). Sums run over `values` in the
/// order given (radx passes the ROI in C order), so results are bit-reproducible;
/// percentiles are computed by selection on a copy.
///
/// Returns an error when `values` is empty.
pub fn statistics(values: &[f64]) -> Result<Statistics, String> {
    if values.is_empty() {
        return Err("the intensity mask is empty".into());
    }
    let n = values.len();
    let nf = n as f64;

    // Pass 1: sum, sum of squares, extremes.
    let (mut sum, mut energy) = (0.0f64, 0.0f64);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for &x in values {
        sum += x;
        energy += x * x;
        min = min.min(x);
        max = max.max(x);
    }
    let flat = min == max;
    // For a single intensity the mean is that intensity exactly (sum / N may round).
    let mean = if flat { min } else { sum / nf };

    let p = percentiles(values, &[10, 25, 50, 75, 90]);
    let (p10, p25, median, p75, p90) = (p[0], p[1], p[2], p[3], p[4]);

    // Pass 2: central moments, absolute deviations, the 10-90 subset's mean.
    let (mut m2, mut m3, mut m4) = (0.0f64, 0.0f64, 0.0f64);
    let (mut mad, mut medad) = (0.0f64, 0.0f64);
    let (mut rsum, mut rcount) = (0.0f64, 0usize);
    for &x in values {
        let d = x - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
        mad += d.abs();
        medad += (x - median).abs();
        if p10 <= x && x <= p90 {
            rsum += x;
            rcount += 1;
        }
    }
    let (var, skew, kurt) = if flat {
        (0.0, 0.0, 0.0)
    } else {
        let (m2, m3, m4) = (m2 / nf, m3 / nf, m4 / nf);
        if m2 > 0.0 {
            (m2, m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
        } else {
            (m2, 0.0, 0.0)
        }
    };

    // Pass 3: robust mean absolute deviation.
    let rmad = if rcount == 0 {
        Err(format!(
            "no intensity lies between P10 = {p10} and P90 = {p90} ({n} voxels)"
        ))
    } else {
        let rmean = rsum / rcount as f64;
        let mut acc = 0.0f64;
        for &x in values {
            if p10 <= x && x <= p90 {
                acc += (x - rmean).abs();
            }
        }
        Ok(acc / rcount as f64)
    };

    let cov = if mean == 0.0 {
        Err("the mean intensity is 0, so the coefficient of variation is undefined".into())
    } else {
        Ok(var.sqrt() / mean)
    };
    let qcod = if p75 + p25 == 0.0 {
        Err("P75 + P25 = 0, so the quartile coefficient of dispersion is undefined".into())
    } else {
        Ok((p75 - p25) / (p75 + p25))
    };

    Ok(Statistics {
        n,
        mean,
        var,
        skew,
        kurt,
        median,
        min,
        p10,
        p25,
        p75,
        p90,
        max,
        iqr: p75 - p25,
        range: max - min,
        mad: mad / nf,
        rmad,
        medad: medad / nf,
        cov,
        qcod,
        energy,
        rms: (energy / nf).sqrt(),
    })
}

impl Statistics {
    /// Energy and root mean square with a constant `c` added to every intensity
    /// (`[conventions] energy_shift`, PyRadiomics' `voxelArrayShift`):
    /// energy `Σ (X_k + c)²`, RMS `sqrt((1/N) Σ (X_k + c)²)`, summed in the order of
    /// `values` (the ones the statistics were computed from). Other features are unchanged.
    pub fn shift_energy(&mut self, values: &[f64], c: f64) {
        let mut energy = 0.0f64;
        for &x in values {
            let y = x + c;
            energy += y * y;
        }
        self.energy = energy;
        self.rms = (energy / values.len() as f64).sqrt();
    }

    /// `(feature name, value)` in the order of [`crate::FEATURES`].
    pub fn values(&self) -> Vec<(&'static str, Result<f64, String>)> {
        vec![
            ("mean", Ok(self.mean)),
            ("var", Ok(self.var)),
            ("skew", Ok(self.skew)),
            ("kurt", Ok(self.kurt)),
            ("median", Ok(self.median)),
            ("min", Ok(self.min)),
            ("p10", Ok(self.p10)),
            ("p90", Ok(self.p90)),
            ("max", Ok(self.max)),
            ("iqr", Ok(self.iqr)),
            ("range", Ok(self.range)),
            ("mad", Ok(self.mad)),
            ("rmad", self.rmad.clone()),
            ("medad", Ok(self.medad)),
            ("cov", self.cov.clone()),
            ("qcod", self.qcod.clone()),
            ("energy", Ok(self.energy)),
            ("rms", Ok(self.rms)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn hand_computed_small_set() {
        // X = {1, 2, 3, 4, 10}: μ = 4, deviations -3 -2 -1 0 6.
        let s = statistics(&[10.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!(s.n, 5);
        assert_eq!(s.mean, 4.0);
        // Σd² = 9+4+1+0+36 = 50 -> 10; Σd³ = -27-8-1+0+216 = 180 -> 36; Σd⁴ = 81+16+1+1296 = 1394 -> 278.8
        assert!(close(s.var, 10.0));
        assert!(close(s.skew, 36.0 / 10f64.powf(1.5)));
        assert!(close(s.kurt, 278.8 / 100.0 - 3.0));
        assert_eq!(s.median, 3.0);
        assert_eq!((s.min, s.max, s.range), (1.0, 10.0, 9.0));
        // h(10) = 0.4 -> 1.4; h(25) = 1 -> 2; h(75) = 3 -> 4; h(90) = 3.6 -> 7.6
        assert!(close(s.p10, 1.4));
        assert_eq!((s.p25, s.p75, s.iqr), (2.0, 4.0, 2.0));
        assert!(close(s.p90, 7.6));
        assert!(close(s.mad, 12.0 / 5.0));
        // X_10-90 = {2, 3, 4}: mean 3, |dev| 1 0 1 -> 2/3
        assert!(close(s.rmad.unwrap(), 2.0 / 3.0));
        // |X - 3| = 2 1 0 1 7 -> 11/5
        assert!(close(s.medad, 11.0 / 5.0));
        assert!(close(s.cov.unwrap(), 10f64.sqrt() / 4.0));
        assert!(close(s.qcod.unwrap(), 2.0 / 6.0));
        assert_eq!(s.energy, 130.0);
        assert!(close(s.rms, 26f64.sqrt()));
    }

    #[test]
    fn single_voxel_and_flat_sets() {
        let s = statistics(&[0.1]).unwrap();
        assert_eq!((s.mean, s.var, s.skew, s.kurt), (0.1, 0.0, 0.0, 0.0));
        assert_eq!(
            (s.median, s.p10, s.p90, s.iqr, s.range),
            (0.1, 0.1, 0.1, 0.0, 0.0)
        );
        assert_eq!(s.rmad, Ok(0.0));
        assert_eq!(s.cov, Ok(0.0));
        assert_eq!(s.qcod, Ok(0.0));
        let s = statistics(&[0.1; 7]).unwrap();
        assert_eq!((s.mean, s.var, s.mad, s.medad), (0.1, 0.0, 0.0, 0.0));
        let s = statistics(&[0.0; 3]).unwrap();
        assert!(s.cov.is_err() && s.qcod.is_err());
        assert!(s
            .values()
            .iter()
            .all(|(_, v)| v.as_ref().map_or(true, |x| x.is_finite())));
    }

    #[test]
    fn undefined_cases_have_reasons() {
        // mean 0
        let s = statistics(&[-1.0, 1.0]).unwrap();
        assert!(s.cov.unwrap_err().contains("mean"));
        // P25 + P75 = 0
        let s = statistics(&[-2.0, -1.0, 1.0, 2.0]).unwrap();
        assert!(s.qcod.unwrap_err().contains("P75 + P25"));
        // two distinct values: P10 and P90 both lie strictly between them
        let s = statistics(&[0.0, 1.0]).unwrap();
        assert!(s.rmad.unwrap_err().contains("P10"));
        assert!(statistics(&[]).is_err());
    }
}
