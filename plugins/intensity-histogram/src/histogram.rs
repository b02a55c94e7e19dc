//! The intensity histogram `H = {n_1, ..., n_Ng}` of discretised grey levels and its
//! features.

/// Counts `n_i` of grey levels `i = 1..=N_g` among the `N_v` voxels of the intensity mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    /// `counts[i - 1] = n_i`. Every bin `1..=N_g` is present, empty or not (the gradient
    /// features need the non-sparse histogram).
    pub counts: Vec<u64>,
    /// `N_v = Σ n_i`.
    pub n: u64,
}

impl Histogram {
    /// Counts grey levels; level 0 (outside the intensity mask) is skipped. The histogram
    /// has `max(n_levels, highest level present)` bins.
    pub fn from_levels<'a>(levels: impl IntoIterator<Item = &'a u32>, n_levels: u32) -> Self {
        let mut counts = vec![0u64; n_levels as usize];
        let mut n = 0u64;
        for &l in levels {
            if l == 0 {
                continue;
            }
            let i = l as usize - 1;
            if i >= counts.len() {
                counts.resize(i + 1, 0);
            }
            counts[i] += 1;
            n += 1;
        }
        Histogram { counts, n }
    }

    /// Number of bins `N_g`.
    pub fn n_bins(&self) -> usize {
        self.counts.len()
    }

    /// Grey levels at the 0-based order-statistic ranks `ranks` (strictly increasing,
    /// each `< N_v`): the smallest level `i` whose cumulative count exceeds the rank.
    fn order_statistics(&self, ranks: &[u64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(ranks.len());
        let mut cum = 0u64;
        let mut r = ranks.iter().peekable();
        for (idx, &c) in self.counts.iter().enumerate() {
            cum += c;
            while let Some(&&rank) = r.peek() {
                if rank < cum {
                    out.push((idx + 1) as f64);
                    r.next();
                } else {
                    break;
                }
            }
        }
        out
    }

    /// Percentiles `qs` (integer percent) of the grey levels by Hyndman & Fan's
    /// definition 7, exactly as the statistical features do: with `h = (N_v - 1) q / 100`,
    /// `P_q = x_(⌊h⌋) + (h - ⌊h⌋)(x_(⌊h⌋+1) - x_(⌊h⌋))` over the sorted levels.
    pub fn percentiles(&self, qs: &[u32]) -> Vec<f64> {
        assert!(self.n > 0, "percentiles of an empty histogram");
        let pos = |q: u32| {
            let t = (self.n - 1) * q as u64;
            (t / 100, t % 100)
        };
        let mut ranks = Vec::with_capacity(2 * qs.len());
        for &q in qs {
            let (lo, frac) = pos(q);
            ranks.push(lo);
            if frac > 0 {
                ranks.push(lo + 1);
            }
        }
        ranks.sort_unstable();
        ranks.dedup();
        let stats = self.order_statistics(&ranks);
        let at = |rank: u64| stats[ranks.binary_search(&rank).expect("rank was requested")];
        qs.iter()
            .map(|&q| {
                let (lo, frac) = pos(q);
                let x = at(lo);
                if frac == 0 {
                    x
                } else {
                    let y = at(lo + 1);
                    if x == y {
                        x
                    } else {
                        x + (y - x) * (frac as f64 / 100.0)
                    }
                }
            })
            .collect()
    }

    /// The histogram gradient `H'` (12CE): `H'_1 = n_2 - n_1`,
    /// `H'_i = (n_(i+1) - n_(i-1)) / 2` for `1 < i < N_g`, `H'_Ng = n_Ng - n_(Ng-1)`, over
    /// every bin including empty ones. Undefined (`None`) for a single bin.
    pub fn gradient(&self) -> Option<Vec<f64>> {
        let c = &self.counts;
        let ng = c.len();
        if ng < 2 {
            return None;
        }
        let f = |i: usize| c[i] as f64;
        let mut g = Vec::with_capacity(ng);
        g.push(f(1) - f(0));
        for i in 1..ng - 1 {
            g.push((f(i + 1) - f(i - 1)) / 2.0);
        }
        g.push(f(ng - 1) - f(ng - 2));
        Some(g)
    }
}

/// The 23 IBSI intensity histogram features of the discretised grey levels `X_d` (levels
/// `i = 1..N_g`, counts `n_i`, probabilities `p_i = n_i / N_v`, mean `μ`, median `M`,
/// percentiles `P_q` as in [`Histogram::percentiles`]).
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramFeatures {
    /// Mean (X6K6): `μ = Σ i p_i`.
    pub mean: f64,
    /// Variance (CH89): `σ² = Σ (i - μ)² p_i`.
    pub var: f64,
    /// Skewness (88K1): `Σ (i - μ)³ p_i / σ³`; 0 when `σ² = 0` (as the manual defines).
    pub skew: f64,
    /// Excess kurtosis (C3I7): `Σ (i - μ)⁴ p_i / σ⁴ - 3`; 0 when `σ² = 0` (as the manual
    /// defines).
    pub kurt: f64,
    /// Median (WIFQ): `P_50`.
    pub median: f64,
    /// Minimum grey level present (1PR8).
    pub min: f64,
    /// 10th percentile (GPMT).
    pub p10: f64,
    /// 25th percentile (used by IQR and QCOD).
    pub p25: f64,
    /// 75th percentile (used by IQR and QCOD).
    pub p75: f64,
    /// 90th percentile (OZ0C).
    pub p90: f64,
    /// Maximum grey level present (3NCY).
    pub max: f64,
    /// Mode (AMMC): the level with the highest count; among tied levels the one closest
    /// to `μ`, and of two equidistant ones the lower (left of the mean).
    pub mode: f64,
    /// Interquartile range (WR0O): `P_75 - P_25`.
    pub iqr: f64,
    /// Range (5Z3W): `max - min`.
    pub range: f64,
    /// Mean absolute deviation (D2ZX): `Σ |i - μ| p_i`.
    pub mad: f64,
    /// Robust mean absolute deviation (WRZB): over the voxels with `P_10 <= i <= P_90`,
    /// the mean absolute deviation from their own mean. Undefined when no level lies
    /// between `P_10` and `P_90`.
    pub rmad: Result<f64, String>,
    /// Median absolute deviation (4RNL): `Σ |i - M| p_i`.
    pub medad: f64,
    /// Coefficient of variation (CWYJ): `σ / μ` (`μ >= 1` as levels start at 1).
    pub cov: f64,
    /// Quartile coefficient of dispersion (SLWD): `(P_75 - P_25) / (P_75 + P_25)`.
    pub qcod: f64,
    /// Entropy (TLU2): `-Σ p_i log2 p_i` over occupied levels.
    pub entropy: f64,
    /// Uniformity (BJ5W): `Σ p_i²`.
    pub uniformity: f64,
    /// Maximum histogram gradient (12CE): `max H'`; undefined for a single bin.
    pub max_grad: Result<f64, String>,
    /// Maximum histogram gradient grey level (8E6O): the level `i` where `H'` is maximal
    /// (the lowest such level on ties).
    pub max_grad_g: Result<f64, String>,
    /// Minimum histogram gradient (VQB3): `min H'`; undefined for a single bin.
    pub min_grad: Result<f64, String>,
    /// Minimum histogram gradient grey level (RHQZ): the level `i` where `H'` is minimal
    /// (the lowest such level on ties).
    pub min_grad_g: Result<f64, String>,
}

/// Computes the [`HistogramFeatures`] of `h`; an error when the histogram is empty.
/// Every sum runs over the bins in ascending order.
pub fn features(h: &Histogram) -> Result<HistogramFeatures, String> {
    if h.n == 0 {
        return Err("the intensity mask is empty".into());
    }
    let nf = h.n as f64;
    let occupied = || {
        h.counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(i, &c)| ((i + 1) as f64, c as f64))
    };
    let min = occupied().next().map(|(i, _)| i).unwrap_or(0.0);
    let max = occupied().next_back().map(|(i, _)| i).unwrap_or(0.0);
    let flat = min == max;

    let mean = if flat {
        min
    } else {
        occupied().map(|(i, c)| i * c).sum::<f64>() / nf
    };
    let p = h.percentiles(&[10, 25, 50, 75, 90]);
    let (p10, p25, median, p75, p90) = (p[0], p[1], p[2], p[3], p[4]);

    let (mut m2, mut m3, mut m4, mut mad, mut medad) = (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut entropy, mut uniformity) = (0.0f64, 0.0f64);
    let (mut rsum, mut rcount) = (0.0f64, 0.0f64);
    let mut mode = (0.0f64, 0.0f64, f64::INFINITY); // (level, count, distance to mean)
    for (i, c) in occupied() {
        let d = i - mean;
        let d2 = d * d;
        m2 += c * d2;
        m3 += c * d2 * d;
        m4 += c * d2 * d2;
        mad += c * d.abs();
        medad += c * (i - median).abs();
        let pi = c / nf;
        entropy -= pi * pi.log2();
        uniformity += pi * pi;
        if p10 <= i && i <= p90 {
            rsum += c * i;
            rcount += c;
        }
        let dist = d.abs();
        if c > mode.1 || (c == mode.1 && dist < mode.2) {
            mode = (i, c, dist);
        }
    }
    let (var, skew, kurt) = if flat {
        (0.0, 0.0, 0.0)
    } else {
        let (m2, m3, m4) = (m2 / nf, m3 / nf, m4 / nf);
        (m2, m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
    };
    let rmad = if rcount == 0.0 {
        Err(format!(
            "no grey level lies between P10 = {p10} and P90 = {p90}"
        ))
    } else {
        let rmean = rsum / rcount;
        let acc: f64 = occupied()
            .filter(|&(i, _)| p10 <= i && i <= p90)
            .map(|(i, c)| c * (i - rmean).abs())
            .sum();
        Ok(acc / rcount)
    };

    let grad = h.gradient();
    let extreme = |want_max: bool| -> (Result<f64, String>, Result<f64, String>) {
        match &grad {
            None => {
                let why = format!(
                    "the histogram has a single bin (N_g = {}), so its gradient is undefined",
                    h.n_bins()
                );
                (Err(why.clone()), Err(why))
            }
            Some(g) => {
                let mut best = 0usize;
                for (k, &v) in g.iter().enumerate() {
                    if (want_max && v > g[best]) || (!want_max && v < g[best]) {
                        best = k;
                    }
                }
                (Ok(g[best]), Ok((best + 1) as f64))
            }
        }
    };
    let (max_grad, max_grad_g) = extreme(true);
    let (min_grad, min_grad_g) = extreme(false);

    Ok(HistogramFeatures {
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
        mode: mode.0,
        iqr: p75 - p25,
        range: max - min,
        mad: mad / nf,
        rmad,
        medad: medad / nf,
        cov: var.sqrt() / mean,
        qcod: (p75 - p25) / (p75 + p25),
        entropy,
        uniformity,
        max_grad,
        max_grad_g,
        min_grad,
        min_grad_g,
    })
}

impl HistogramFeatures {
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
            ("mode", Ok(self.mode)),
            ("iqr", Ok(self.iqr)),
            ("range", Ok(self.range)),
            ("mad", Ok(self.mad)),
            ("rmad", self.rmad.clone()),
            ("medad", Ok(self.medad)),
            ("cov", Ok(self.cov)),
            ("qcod", Ok(self.qcod)),
            ("entropy", Ok(self.entropy)),
            ("uniformity", Ok(self.uniformity)),
            ("max_grad", self.max_grad.clone()),
            ("max_grad_g", self.max_grad_g.clone()),
            ("min_grad", self.min_grad.clone()),
            ("min_grad_g", self.min_grad_g.clone()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(counts: &[u64]) -> Histogram {
        Histogram {
            counts: counts.to_vec(),
            n: counts.iter().sum(),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn counting_skips_outside_and_keeps_empty_bins() {
        let h = Histogram::from_levels(&[0, 3, 1, 0, 3, 6, 3], 6);
        assert_eq!(h.counts, vec![1, 0, 3, 0, 0, 1]);
        assert_eq!(h.n, 5);
        // a level above n_levels widens the histogram instead of panicking
        let h = Histogram::from_levels(&[2, 5], 3);
        assert_eq!(h.counts, vec![0, 1, 0, 0, 1]);
    }

    #[test]
    fn digital_phantom_histogram_by_hand() {
        // The digital phantom: n = (50, 0, 1, 16, 0, 7), N_v = 74.
        let h = hist(&[50, 0, 1, 16, 0, 7]);
        let g = h.gradient().unwrap();
        assert_eq!(g, vec![-50.0, -24.5, 8.0, -0.5, -4.5, 7.0]);
        let f = features(&h).unwrap();
        assert_eq!(f.max_grad, Ok(8.0));
        assert_eq!(f.max_grad_g, Ok(3.0));
        assert_eq!(f.min_grad, Ok(-50.0));
        assert_eq!(f.min_grad_g, Ok(1.0));
        // μ = (50 + 3 + 64 + 42) / 74 = 159/74
        assert!(close(f.mean, 159.0 / 74.0));
        assert_eq!((f.min, f.max, f.range, f.mode), (1.0, 6.0, 5.0, 1.0));
        // sorted ranks: 0..=49 -> 1, 50 -> 3, 51..=66 -> 4, 67..=73 -> 6
        // h(10) = 7.3, h(25) = 18.25, h(50) = 36.5, h(75) = 54.75, h(90) = 65.7
        assert_eq!(
            (f.p10, f.p25, f.median, f.p75, f.p90),
            (1.0, 1.0, 1.0, 4.0, 4.0)
        );
        assert_eq!((f.iqr, f.qcod), (3.0, 0.6));
        let p = |c: f64| c / 74.0;
        let entropy = -[50.0, 1.0, 16.0, 7.0]
            .iter()
            .map(|&c| p(c) * p(c).log2())
            .sum::<f64>();
        assert!(close(f.entropy, entropy));
        assert!(close(
            f.uniformity,
            (2500.0 + 1.0 + 256.0 + 49.0) / (74.0 * 74.0)
        ));
        // X_10-90 = levels 1..=4: 67 voxels, mean (50 + 3 + 64)/67
        let rm: f64 = 117.0 / 67.0;
        let rmad = (50.0 * (1.0 - rm).abs() + (3.0 - rm).abs() + 16.0 * (4.0 - rm).abs()) / 67.0;
        assert!(close(f.rmad.unwrap(), rmad));
        // |i - 1|: 0, 2, 3, 5
        assert!(close(f.medad, (2.0 + 48.0 + 35.0) / 74.0));
    }

    #[test]
    fn mode_ties_break_toward_the_mean_then_left() {
        // counts 3 at levels 1 and 4 tie: the level closer to the mean wins
        let f = features(&hist(&[3, 2, 0, 3, 1])).unwrap();
        // μ = (3 + 4 + 12 + 5) / 9 = 24/9 ≈ 2.67: level 4 is closer than level 1
        assert_eq!(f.mode, 4.0);
        // symmetric: levels 1 and 3 tied and equidistant from μ = 2 -> the left one
        let f = features(&hist(&[2, 1, 2])).unwrap();
        assert_eq!(f.mean, 2.0);
        assert_eq!(f.mode, 1.0);
    }

    #[test]
    fn gradient_ties_take_the_lowest_level() {
        // n = (1, 3, 1, 3): H' = (2, 0, 0, 2) -> max 2 at level 1; min 0 at level 2
        let f = features(&hist(&[1, 3, 1, 3])).unwrap();
        assert_eq!((f.max_grad, f.max_grad_g), (Ok(2.0), Ok(1.0)));
        assert_eq!((f.min_grad, f.min_grad_g), (Ok(0.0), Ok(2.0)));
    }

    #[test]
    fn single_level_and_single_bin() {
        // one bin: gradients undefined, moments of a constant
        let f = features(&hist(&[9])).unwrap();
        assert_eq!((f.mean, f.var, f.skew, f.kurt), (1.0, 0.0, 0.0, 0.0));
        assert_eq!(
            (f.entropy, f.uniformity, f.cov, f.qcod),
            (0.0, 1.0, 0.0, 0.0)
        );
        assert!(f.max_grad.unwrap_err().contains("single bin"));
        assert!(f.min_grad_g.is_err());
        // one occupied level among several bins: gradients defined
        let f = features(&hist(&[0, 0, 4])).unwrap();
        assert_eq!((f.mean, f.min, f.max, f.mode), (3.0, 3.0, 3.0, 3.0));
        assert_eq!(f.max_grad, Ok(4.0));
        assert_eq!(f.max_grad_g, Ok(3.0));
        assert_eq!(f.min_grad, Ok(0.0));
        assert_eq!(f.min_grad_g, Ok(1.0));
        // two voxels at distinct levels: nothing lies between P10 and P90
        let f = features(&hist(&[1, 1])).unwrap();
        assert!(f.rmad.unwrap_err().contains("P10"));
        assert!(features(&hist(&[0, 0])).is_err());
    }
}
