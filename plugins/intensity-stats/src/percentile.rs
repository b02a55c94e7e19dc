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
/// `ranks`, which must be strictly increasing and `< v.len()`; between two selected ranks
/// the values lie in their order-statistic segment. Multi-selection: the middle rank is
/// selected first, then the ranks below and above it within the two parts, so every
/// level of the recursion is one linear pass.
pub fn select_ranks(v: &mut [f64], ranks: &[usize]) {
    select_within(v, 0, ranks);
}

/// [`select_ranks`] on `v`, which holds order statistics `offset..offset + v.len()`.
fn select_within(v: &mut [f64], offset: usize, ranks: &[usize]) {
    if ranks.is_empty() {
        return;
    }
    let m = ranks.len() / 2;
    let r = ranks[m] - offset;
    debug_assert!(r < v.len());
    v.select_nth_unstable_by(r, f64::total_cmp);
    let (left, right) = v.split_at_mut(r);
    select_within(left, offset, &ranks[..m]);
    select_within(&mut right[1..], offset + r + 1, &ranks[m + 1..]);
}

/// Percentiles `qs` (integer percent, each `<= 100`) of `values` (not empty, finite), by
/// definition 7 of Hyndman & Fan (see the module documentation). Works on a copy; the
/// result does not depend on the order of `values`.
///
/// Only the order statistics `x_(⌊h⌋)` are selected; an interpolation partner
/// `x_(⌊h⌋+1)` is the smallest value of the segment after `x_(⌊h⌋)` up to the next
/// selected rank, which selection has already isolated.
pub fn percentiles(values: &[f64], qs: &[u32]) -> Vec<f64> {
    assert!(!values.is_empty(), "percentiles of an empty set");
    counting_percentiles(values, qs).unwrap_or_else(|| selection_percentiles(values, qs))
}

/// [`percentiles`] by selection on a copy, for any finite values.
pub fn selection_percentiles(values: &[f64], qs: &[u32]) -> Vec<f64> {
    let n = values.len();
    let mut ranks: Vec<usize> = qs.iter().map(|&q| position(n, q).0).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let mut copy = values.to_vec();
    select_ranks(&mut copy, &ranks);
    qs.iter()
        .map(|&q| {
            let (lo, frac) = position(n, q);
            if frac == 0 {
                return copy[lo];
            }
            // lo + 1 < n here, since frac > 0 implies lo < n - 1
            let end = match ranks.iter().find(|&&r| r > lo) {
                Some(&r) => r + 1,
                None => n,
            };
            let next = copy[lo + 1..end]
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            interpolate(copy[lo], next, frac)
        })
        .collect()
}

/// [`percentiles`] by counting, when every value is an integer and the range
/// `max - min` is at most `4 N + 4096` (e.g. CT in HU): one pass counts each integer, one
/// pass over the counts finds the order statistics. `None` when the data do not qualify.
/// Gives the same values as [`selection_percentiles`] (order statistics are the integers
/// themselves; interpolation is shared).
pub fn counting_percentiles(values: &[f64], qs: &[u32]) -> Option<Vec<f64>> {
    let n = values.len();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &x in values {
        // integer test by a cast round trip (`fract` is a library call on baseline x86-64)
        if (x as i64) as f64 != x {
            return None;
        }
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if hi - lo > 4.0 * n as f64 + 4096.0 {
        return None;
    }
    let mut counts = vec![0u32; (hi - lo) as usize + 1];
    for &x in values {
        counts[(x - lo) as usize] += 1;
    }
    let mut ranks: Vec<usize> = Vec::with_capacity(2 * qs.len());
    for &q in qs {
        let (r, frac) = position(n, q);
        ranks.push(r);
        if frac > 0 {
            ranks.push(r + 1);
        }
    }
    ranks.sort_unstable();
    ranks.dedup();
    let mut stats = Vec::with_capacity(ranks.len());
    let mut cum = 0usize;
    let mut next = ranks.iter().peekable();
    for (k, &c) in counts.iter().enumerate() {
        cum += c as usize;
        while let Some(&&r) = next.peek() {
            if r < cum {
                stats.push(lo + k as f64);
                next.next();
            } else {
                break;
            }
        }
    }
    let at = |r: usize| stats[ranks.binary_search(&r).expect("rank was requested")];
    Some(
        qs.iter()
            .map(|&q| {
                let (r, frac) = position(n, q);
                if frac == 0 {
                    at(r)
                } else {
                    interpolate(at(r), at(r + 1), frac)
                }
            })
            .collect(),
    )
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
    fn counting_path_is_taken_only_for_integers_in_a_bounded_range() {
        let v = [3.0, -2.0, 7.0, 7.0, 0.0];
        let q = [0, 10, 25, 50, 75, 90, 100];
        assert_eq!(
            counting_percentiles(&v, &q).unwrap(),
            selection_percentiles(&v, &q)
        );
        assert!(counting_percentiles(&[0.5, 1.0], &q).is_none());
        assert!(counting_percentiles(&[0.0, 1e9], &q).is_none());
        assert_eq!(percentiles(&[0.0, 1e9], &[50]), vec![5e8]);
    }

    #[test]
    fn selection_matches_sorting() {
        let v: Vec<f64> = (0..257)
            .map(|i| ((i * 7919) % 263) as f64 - 100.0)
            .collect();
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        let mut copy = v.clone();
        let ranks = [0, 3, 64, 65, 128, 200, 256];
        select_ranks(&mut copy, &ranks);
        for r in ranks {
            assert_eq!(copy[r], sorted[r], "rank {r}");
        }
        // every value between two selected ranks lies in their segment
        for w in ranks.windows(2) {
            for k in w[0] + 1..w[1] {
                assert!(copy[w[0]] <= copy[k] && copy[k] <= copy[w[1]]);
            }
        }
        for q in 0..=100 {
            let (lo, frac) = position(v.len(), q);
            let hi = (lo + 1).min(v.len() - 1);
            let expect = interpolate(sorted[lo], sorted[hi], frac);
            assert_eq!(selection_percentiles(&v, &[q])[0], expect, "q = {q}");
            assert_eq!(
                counting_percentiles(&v, &[q]).unwrap()[0],
                expect,
                "q = {q}"
            );
        }
    }
}
