//! Sample percentiles by selection.
//!
//! The IBSI manual names percentiles (`P_10`, `P_25`, median, `P_75`, `P_90`) without
//! fixing an estimator. radx uses Hyndman & Fan's definition 7 (linear interpolation
//! between order statistics, the default of R and numpy): with the `N` values sorted
//! ascending as `x_(0) <= ... <= x_(N-1)` and `h = (N - 1) q / 100`,
//!
//! `P_q = x_(⌊h⌋) + (h - ⌊h⌋) (x_(⌊h⌋+1) - x_(⌊h⌋))`.
//!
//! This rule reproduces the digital phantom's consensus `P_90 = 4`; definition 5 (as in
//! MATLAB's `prctile`) gives the 4.2 that the manual mentions as a known deviation.
//!
//! `h` is kept exact: for an integer percent `q`, `(N - 1) q` is split into whole and
//! hundredths parts in integer arithmetic, so that a percentile that falls exactly on an
//! order statistic equals it bit for bit (the robust mean absolute deviation compares
//! intensities with `P_10` and `P_90`, so this matters).

/// Position of percentile `q` (integer percent) among `n` sorted values: the order
/// statistic index `⌊h⌋` and the fractional part of `h` in hundredths.
pub fn position(n: usize, q: u32) -> (usize, u64) {
    debug_assert!(n > 0 && q <= 100);
    let t = (n as u64 - 1) * q as u64;
    ((t / 100) as usize, t % 100)
}

/// Interpolates between consecutive order statistics `lo <= hi` with weight
/// `hundredths / 100` on `hi`; exactly `lo` when the weight is 0 or `lo == hi`.
pub fn interpolate(lo: f64, hi: f64, hundredths: u64) -> f64 {
    if hundredths == 0 || lo == hi {
        lo
    } else {
        lo + (hi - lo) * (hundredths as f64 / 100.0)
    }
}

/// Rearranges `v` so that `v[r]` is the `r`-th smallest value (0-based) for every `r` in
/// `ranks`, which must be strictly increasing and `< v.len()`. Each selection only looks at
/// the part of `v` after the previous rank, so the cost is a few linear passes.
pub fn select_ranks(v: &mut [f64], ranks: &[usize]) {
    let mut start = 0;
    for &r in ranks {
        debug_assert!(r >= start && r < v.len());
        v[start..].select_nth_unstable_by(r - start, f64::total_cmp);
        start = r + 1;
    }
}

/// Percentiles `qs` (integer percent, each `<= 100`) of `values` (not empty, finite), by
/// definition 7 of Hyndman & Fan (see the module documentation). Works on a copy; the
/// result does not depend on the order of `values`.
pub fn percentiles(values: &[f64], qs: &[u32]) -> Vec<f64> {
    assert!(!values.is_empty(), "percentiles of an empty set");
    let n = values.len();
    let mut ranks: Vec<usize> = Vec::with_capacity(2 * qs.len());
    for &q in qs {
        let (lo, frac) = position(n, q);
        ranks.push(lo);
        if frac > 0 {
            ranks.push(lo + 1);
        }
    }
    ranks.sort_unstable();
    ranks.dedup();
    let mut copy = values.to_vec();
    select_ranks(&mut copy, &ranks);
    qs.iter()
        .map(|&q| {
            let (lo, frac) = position(n, q);
            if frac == 0 {
                copy[lo]
            } else {
                interpolate(copy[lo], copy[lo + 1], frac)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_exact() {
        // 74 voxels (the digital phantom): h = 73 * 0.9 = 65.7
        assert_eq!(position(74, 90), (65, 70));
        assert_eq!(position(74, 50), (36, 50));
        // 101 values: percentiles fall exactly on order statistics
        assert_eq!(position(101, 10), (10, 0));
        assert_eq!(position(101, 90), (90, 0));
        assert_eq!(position(1, 90), (0, 0));
        assert_eq!(position(5, 100), (4, 0));
    }

    #[test]
    fn hand_computed_percentiles() {
        // sorted: 1 2 3 4 10; h(25) = 1 -> 2; h(50) = 2 -> 3; h(90) = 3.6 -> 4 + 0.6 * 6
        let v = [10.0, 3.0, 1.0, 4.0, 2.0];
        let p = percentiles(&v, &[0, 25, 50, 90, 100]);
        assert_eq!(p[0], 1.0);
        assert_eq!(p[1], 2.0);
        assert_eq!(p[2], 3.0);
        assert!((p[3] - 7.6).abs() < 1e-12, "{}", p[3]);
        assert_eq!(p[4], 10.0);
        // even count: the median is the mean of the two middle values
        assert_eq!(percentiles(&[4.0, 1.0, 3.0, 2.0], &[50])[0], 2.5);
        // one value
        assert_eq!(percentiles(&[-7.0], &[10, 50, 90]), vec![-7.0; 3]);
    }

    #[test]
    fn selection_matches_sorting() {
        let v: Vec<f64> = (0..257).map(|i| ((i * 7919) % 263) as f64 - 100.0).collect();
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        let mut copy = v.clone();
        let ranks = [0, 3, 64, 65, 128, 200, 256];
        select_ranks(&mut copy, &ranks);
        for r in ranks {
            assert_eq!(copy[r], sorted[r], "rank {r}");
        }
    }
}
