//! Interpolation to a new voxel spacing (IBSI 02, "Interpolation", VTM2).
//!
//! * Grid (IBSI "align grid centres", 3WE3): along each axis with `n_a` voxels of spacing
//!   `s_a`, the interpolation grid has `n_b = ceil(n_a s_a / s_b)` voxels of the new
//!   spacing `s_b` (026Q), and its centre coincides with the centre of the original grid,
//!   so output voxel `k` lies at the original grid coordinate (QCY4)
//!   `x_k = x_{b,g} + k s_b / s_a` with `x_{b,g} = (n_a - 1 - (s_b / s_a)(n_b - 1)) / 2`,
//!   computed here in the single-division form `x_k = (s_a (n_a - 1) + s_b (2k + 1 - n_b)) / (2 s_a)`
//!   so that exact ties (e.g. `x_k = 0.5`) come out exact.
//! * Extrapolation: outside the original grid the image is padded with its boundary
//!   intensities (nearest extrapolation), as IBSI recommends.
//! * Methods (all separable: one pass per axis, each pass a small filter applied along the
//!   axis):
//!   - nearest neighbour: the value at `round(x)` (half up);
//!   - linear: `(1 - t) f[i] + t f[i + 1]`, `i = floor(x)`, `t = x - i`;
//!   - cubic convolution (Keys, `a = -0.5`, Catmull-Rom): four taps `f[i-1..=i+2]` with the
//!     weights of the Keys kernel;
//!   - cubic B-spline ("tricubic spline"): the line is padded with its boundary value,
//!     prefiltered into B-spline coefficients `c` (the interpolating condition
//!     `f[j] = (c[j-1] + 4 c[j] + c[j+1]) / 6`, solved by the causal/anti-causal recursive
//!     filter with pole `z = sqrt(3) - 2` and mirror boundaries), then evaluated with the cubic
//!     B-spline weights on `c[i-1..=i+2]`.
//!
//! A per-axis pass on an array laid out `[outer][n][inner]` (C order) writes `[outer][m][inner]`,
//! where `m` is the number of output positions; for the `x` axis `inner = 1`, for `z` it is a
//! whole slice, so every pass runs over contiguous memory.

use std::ops::Range;

use radx_core::settings::{InterpolationMethod, MaskExtrapolation};

/// Where the interpolation grid lies along one axis, in grid coordinates of the original
/// grid (voxel `j` of the original grid is at coordinate `j`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AxisPlan {
    /// Voxels along the axis in the original grid (`n_a`).
    pub n_in: usize,
    /// Voxels along the axis in the interpolation grid (`n_b`).
    pub n_out: usize,
    /// Original spacing `s_a` in mm.
    pub spacing_in: f64,
    /// New spacing `s_b` in mm.
    pub spacing_out: f64,
    /// The axis is not interpolated (2D interpolation keeps `z`): output voxel `k` is input
    /// voxel `k`.
    pub identity: bool,
    /// Origin-corner alignment (`[conventions] grid_alignment = "origin_corner"`, as
    /// PyRadiomics/SimpleITK): the outer corners of the first voxels of both grids coincide,
    /// so output voxel `k` lies at `((2k + 1) s_b - s_a) / (2 s_a)`; `false`: IBSI centre
    /// alignment.
    pub origin_corner: bool,
}

impl AxisPlan {
    /// The IBSI interpolation grid for `n_in` voxels of spacing `spacing_in` resampled to
    /// `spacing_out`: `n_out = ceil(n_in spacing_in / spacing_out)` (at least 1), centred on
    /// the original grid. A ratio within 1e-9 (relative) of an integer counts as that integer,
    /// so that spacings read from files as `f32` do not add a voxel.
    pub fn new(n_in: usize, spacing_in: f64, spacing_out: f64) -> Self {
        let ratio = n_in as f64 * spacing_in / spacing_out;
        let near = ratio.round();
        let n_out = if (ratio - near).abs() <= 1e-9 * ratio.abs().max(1.0) {
            near
        } else {
            ratio.ceil()
        };
        AxisPlan {
            n_in,
            n_out: (n_out as usize).max(1),
            spacing_in,
            spacing_out,
            identity: false,
            origin_corner: false,
        }
    }

    /// An axis that is kept as it is.
    pub fn identity(n: usize, spacing: f64) -> Self {
        AxisPlan {
            n_in: n,
            n_out: n,
            spacing_in: spacing,
            spacing_out: spacing,
            identity: true,
            origin_corner: false,
        }
    }

    /// Grid coordinate (in original voxels) of output voxel `k`:
    /// `(s_a (n_a - 1) + s_b (2k + 1 - n_b)) / (2 s_a)` (centre alignment), or
    /// `((2k + 1) s_b - s_a) / (2 s_a)` with [`AxisPlan::origin_corner`].
    pub fn position(&self, k: usize) -> f64 {
        if self.identity {
            return k as f64;
        }
        let (sa, sb) = (self.spacing_in, self.spacing_out);
        if self.origin_corner {
            return ((2.0 * k as f64 + 1.0) * sb - sa) / (2.0 * sa);
        }
        let na = self.n_in as f64;
        let nb = self.n_out as f64;
        (sa * (na - 1.0) + sb * (2.0 * k as f64 + 1.0 - nb)) / (2.0 * sa)
    }

    /// Output voxels whose position lies within `reach` original voxels of `lo..=hi`.
    pub fn outputs_near(&self, lo: usize, hi: usize, reach: f64) -> Range<usize> {
        let (a, b) = (lo as f64 - reach, hi as f64 + reach);
        let first = (0..self.n_out).find(|&k| self.position(k) >= a);
        let last = (0..self.n_out).rev().find(|&k| self.position(k) <= b);
        match (first, last) {
            (Some(f), Some(l)) if f <= l => f..l + 1,
            _ => {
                // No output voxel that close: take the one nearest to the centre of lo..=hi.
                let c = 0.5 * (lo + hi) as f64;
                let k = (0..self.n_out)
                    .min_by(|&i, &j| {
                        (self.position(i) - c)
                            .abs()
                            .total_cmp(&(self.position(j) - c).abs())
                    })
                    .unwrap_or(0);
                k..k + 1
            }
        }
    }
}

/// How far (in original voxels) an interpolated value can feel an input voxel: the
/// half-support of the kernel. The B-spline's prefilter reaches further (its influence decays
/// as `0.268^d`); ten more voxels bound it below 2e-6.
pub fn kernel_reach(method: InterpolationMethod) -> f64 {
    match method {
        InterpolationMethod::Nearest => 0.5,
        InterpolationMethod::Linear => 1.0,
        InterpolationMethod::CubicConvolution => 2.0,
        InterpolationMethod::CubicSpline => 12.0,
    }
}

/// The resampling filter of one axis: for each output position, `width` (index, weight)
/// pairs into the source line (for the B-spline, into the padded coefficient line).
#[derive(Debug, Clone)]
pub struct Taps {
    width: usize,
    index: Vec<usize>,
    weight: Vec<f64>,
    /// Padding (voxels on each side) of the B-spline coefficient line; 0 otherwise.
    pad: usize,
    /// The source line is used as is: one tap of weight 1 per output (identity axis).
    copy: bool,
}

/// The pole of the cubic B-spline prefilter, `sqrt(3) - 2`.
const SPLINE_POLE: f64 = -0.267_949_192_431_122_7;
/// Terms of the causal initial sum (`|z|^40 < 1e-22`).
const SPLINE_HORIZON: usize = 40;

impl Taps {
    /// Taps of the outputs `outputs` of `plan`, reading a source line that holds the
    /// original voxels `src.start..src.end` of the axis. Indices outside the source are
    /// clamped to its ends (nearest extrapolation): the caller makes sure the ends of a
    /// partial source hold the values that continue beyond it.
    pub fn new(
        plan: &AxisPlan,
        method: InterpolationMethod,
        outputs: Range<usize>,
        src: Range<usize>,
    ) -> Self {
        let len = src.end - src.start;
        let m = outputs.len();
        if plan.identity {
            return Taps {
                width: 1,
                index: outputs
                    .map(|k| k.clamp(src.start, src.end - 1) - src.start)
                    .collect(),
                weight: vec![1.0; m],
                pad: 0,
                copy: true,
            };
        }
        let (width, pad) = match method {
            InterpolationMethod::Nearest => (1, 0),
            InterpolationMethod::Linear => (2, 0),
            InterpolationMethod::CubicConvolution => (4, 0),
            InterpolationMethod::CubicSpline => {
                // Enough constant padding for the taps of extrapolated outputs and for the
                // mirror boundary of the prefilter to fade (0.268^24 < 1e-13).
                // Interpolated positions lie within half a voxel of the source, so
                // beyond the source's length more padding changes nothing but the
                // memory: a step longer than the line is taken as the line's length.
                let step = (plan.spacing_out / plan.spacing_in).min(len as f64);
                (4, 12 + step.ceil() as usize + 2)
            }
        };
        let mut index = Vec::with_capacity(m * width);
        let mut weight = Vec::with_capacity(m * width);
        let last = len as i64 - 1;
        for k in outputs {
            let x = plan.position(k) - src.start as f64;
            match method {
                InterpolationMethod::Nearest => {
                    index.push(((x + 0.5).floor() as i64).clamp(0, last) as usize);
                    weight.push(1.0);
                }
                InterpolationMethod::Linear => {
                    let i = x.floor();
                    let t = x - i;
                    let i = i as i64;
                    index.push(i.clamp(0, last) as usize);
                    index.push((i + 1).clamp(0, last) as usize);
                    weight.push(1.0 - t);
                    weight.push(t);
                }
                InterpolationMethod::CubicConvolution => {
                    let i = x.floor();
                    let t = x - i;
                    let i = i as i64;
                    let (t2, t3) = (t * t, t * t * t);
                    for (j, w) in [
                        (-1, -0.5 * t3 + t2 - 0.5 * t),
                        (0, 1.5 * t3 - 2.5 * t2 + 1.0),
                        (1, -1.5 * t3 + 2.0 * t2 + 0.5 * t),
                        (2, 0.5 * t3 - 0.5 * t2),
                    ] {
                        index.push((i + j).clamp(0, last) as usize);
                        weight.push(w);
                    }
                }
                InterpolationMethod::CubicSpline => {
                    let i = x.floor();
                    let t = x - i;
                    let i = i as i64 + pad as i64;
                    let (t2, t3) = (t * t, t * t * t);
                    let u = 1.0 - t;
                    let plast = len as i64 + 2 * pad as i64 - 1;
                    for (j, w) in [
                        (-1, u * u * u / 6.0),
                        (0, (4.0 - 6.0 * t2 + 3.0 * t3) / 6.0),
                        (1, (1.0 + 3.0 * t + 3.0 * t2 - 3.0 * t3) / 6.0),
                        (2, t3 / 6.0),
                    ] {
                        index.push((i + j).clamp(0, plast) as usize);
                        weight.push(w);
                    }
                }
            }
        }
        Taps {
            width,
            index,
            weight,
            pad,
            copy: false,
        }
    }

    /// Zero extrapolation (`[conventions] mask_extrapolation = "zero"`): every tap that
    /// reads an original voxel beyond the image (`< 0` or `>= n_in` along the axis of
    /// `plan`) gets weight 0, as if the line were continued by zeros instead of its
    /// boundary value. `outputs` must be the ones the taps were built for. Nearest, linear
    /// and cubic-convolution taps only (the B-spline prefilter has no such form; settings
    /// validation refuses the combination); identity axes are left as they are.
    pub fn zero_beyond_image(
        &mut self,
        plan: &AxisPlan,
        method: InterpolationMethod,
        outputs: Range<usize>,
    ) {
        if self.copy || plan.identity {
            return;
        }
        let offsets: &[i64] = match method {
            InterpolationMethod::Nearest => &[0],
            InterpolationMethod::Linear => &[0, 1],
            InterpolationMethod::CubicConvolution => &[-1, 0, 1, 2],
            InterpolationMethod::CubicSpline => return,
        };
        let n = plan.n_in as i64;
        for (o, k) in outputs.enumerate() {
            let x = plan.position(k);
            let base = match method {
                InterpolationMethod::Nearest => (x + 0.5).floor() as i64,
                _ => x.floor() as i64,
            };
            for (t, &j) in offsets.iter().enumerate() {
                let i = base + j;
                if i < 0 || i >= n {
                    self.weight[o * self.width + t] = 0.0;
                }
            }
        }
    }

    /// MIRP's extrapolation (`[conventions] mask_extrapolation = "zero_beyond_centres"`):
    /// every output position beyond the outermost voxel centres of `plan`'s axis (original
    /// grid coordinate `x < 0` or `x > n_in - 1`) gets all tap weights 0, so the
    /// interpolated value there is 0; positions inside keep their taps. `outputs` must be
    /// the ones the taps were built for; identity axes are left as they are.
    pub fn zero_beyond_centres(&mut self, plan: &AxisPlan, outputs: Range<usize>) {
        if self.copy || plan.identity {
            return;
        }
        let last = plan.n_in as f64 - 1.0;
        for (o, k) in outputs.enumerate() {
            let x = plan.position(k);
            if x < 0.0 || x > last {
                self.weight[o * self.width..(o + 1) * self.width].fill(0.0);
            }
        }
    }

    /// Number of output positions.
    pub fn len(&self) -> usize {
        self.index.len() / self.width
    }

    /// True when there is no output position.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Whether the taps need a B-spline coefficient line.
    fn spline(&self) -> bool {
        self.pad > 0
    }
}

/// Resamples `src`, laid out `[outer][n][inner]` in C order, along its middle axis into
/// `dst`, laid out `[outer][taps.len()][inner]`.
pub fn resample_axis(
    src: &[f64],
    outer: usize,
    n: usize,
    inner: usize,
    taps: &Taps,
    dst: &mut [f64],
) {
    let m = taps.len();
    debug_assert_eq!(src.len(), outer * n * inner);
    debug_assert_eq!(dst.len(), outer * m * inner);
    if n == 0 || m == 0 || inner == 0 {
        return;
    }
    let mut coef = Vec::new();
    if inner == 1 && taps.spline() {
        // Lines along the contiguous axis: the recursive prefilter is a chain of dependent
        // operations per line, so run LANES lines side by side (transposed into a small
        // [n][LANES] block) to vectorise it.
        const LANES: usize = 8;
        let mut block = vec![0.0; n * LANES];
        let mut res = vec![0.0; m * LANES];
        let mut o = 0;
        while o < outer {
            let lanes = LANES.min(outer - o);
            for l in 0..LANES {
                let line = &src[(o + l.min(lanes - 1)) * n..][..n];
                for (j, &v) in line.iter().enumerate() {
                    block[j * LANES + l] = v;
                }
            }
            spline_coefficients(&block, n, LANES, taps.pad, &mut coef);
            apply_taps(&coef, LANES, taps, &mut res);
            for l in 0..lanes {
                let out = &mut dst[(o + l) * m..][..m];
                for (k, v) in out.iter_mut().enumerate() {
                    *v = res[k * LANES + l];
                }
            }
            o += lanes;
        }
        return;
    }
    for o in 0..outer {
        let block = &src[o * n * inner..(o + 1) * n * inner];
        let out = &mut dst[o * m * inner..(o + 1) * m * inner];
        let line: &[f64] = if taps.spline() {
            spline_coefficients(block, n, inner, taps.pad, &mut coef);
            &coef
        } else {
            block
        };
        apply_taps(line, inner, taps, out);
    }
}

/// `out[k][..] = sum_t weight[k][t] * line[index[k][t]][..]` over rows of `inner` values.
fn apply_taps(line: &[f64], inner: usize, taps: &Taps, out: &mut [f64]) {
    if inner == 1 && !taps.copy {
        let w = taps.width;
        for (k, v) in out.iter_mut().enumerate() {
            let idx = &taps.index[k * w..(k + 1) * w];
            let wt = &taps.weight[k * w..(k + 1) * w];
            let mut acc = 0.0;
            for t in 0..w {
                acc += wt[t] * line[idx[t]];
            }
            *v = acc;
        }
        return;
    }
    for (k, row) in out.chunks_exact_mut(inner).enumerate() {
        apply_row(line, inner, taps, k, row);
    }
}

/// Output position `k` of [`apply_taps`]: one row of `inner` values.
fn apply_row(line: &[f64], inner: usize, taps: &Taps, k: usize, row: &mut [f64]) {
    let w = taps.width;
    let idx = &taps.index[k * w..(k + 1) * w];
    let wt = &taps.weight[k * w..(k + 1) * w];
    if taps.copy {
        row.copy_from_slice(&line[idx[0] * inner..(idx[0] + 1) * inner]);
        return;
    }
    let first = &line[idx[0] * inner..(idx[0] + 1) * inner];
    for (r, &s) in row.iter_mut().zip(first) {
        *r = wt[0] * s;
    }
    for t in 1..w {
        let src = &line[idx[t] * inner..(idx[t] + 1) * inner];
        let c = wt[t];
        for (r, &s) in row.iter_mut().zip(src) {
            *r += c * s;
        }
    }
}

/// Cubic B-spline coefficients of a block `[n][inner]` along its first axis, after padding
/// it with `pad` copies of its first and last rows; written to `coef` as `[n + 2 pad][inner]`.
///
/// Solves `f[j] = (c[j-1] + 4 c[j] + c[j+1]) / 6` with mirror boundaries by the recursive
/// filter of gain 6 and pole `z = sqrt(3) - 2`:
/// causal `c+[0] = sum_{j<K} z^j f[j]`, `c+[j] = f[j] + z c+[j-1]`; anti-causal
/// `c-[N-1] = z / (z^2 - 1) (c+[N-1] + z c+[N-2])`, `c-[j] = z (c-[j+1] - c+[j])`; `c = 6 c-`.
fn spline_coefficients(block: &[f64], n: usize, inner: usize, pad: usize, coef: &mut Vec<f64>) {
    let len = n + 2 * pad;
    coef.clear();
    coef.reserve(len * inner);
    let first = &block[..inner];
    let last = &block[(n - 1) * inner..];
    for _ in 0..pad {
        coef.extend_from_slice(first);
    }
    coef.extend_from_slice(block);
    for _ in 0..pad {
        coef.extend_from_slice(last);
    }
    if len == 1 {
        return;
    }
    let z = SPLINE_POLE;
    // Causal initial value (mirror boundary), truncated where z^j is negligible.
    let horizon = SPLINE_HORIZON.min(len);
    let mut init = vec![0.0; inner];
    let mut zj = 1.0;
    for j in 0..horizon {
        let row = &coef[j * inner..(j + 1) * inner];
        for (a, &v) in init.iter_mut().zip(row) {
            *a += zj * v;
        }
        zj *= z;
    }
    coef[..inner].copy_from_slice(&init);
    for j in 1..len {
        let (prev, cur) = coef.split_at_mut(j * inner);
        let prev = &prev[(j - 1) * inner..];
        for (c, &p) in cur[..inner].iter_mut().zip(prev) {
            *c += z * p;
        }
    }
    // Anti-causal pass.
    let k = z / (z * z - 1.0);
    {
        let (head, tail) = coef.split_at_mut((len - 1) * inner);
        let before = &head[(len - 2) * inner..];
        for (c, &b) in tail.iter_mut().zip(before) {
            *c = k * (*c + z * b);
        }
    }
    for j in (0..len - 1).rev() {
        let (head, tail) = coef.split_at_mut((j + 1) * inner);
        let cur = &mut head[j * inner..];
        let next = &tail[..inner];
        for (c, &nx) in cur.iter_mut().zip(next) {
            *c = z * (nx - *c);
        }
    }
    for c in coef.iter_mut() {
        *c *= 6.0;
    }
}

/// Sum, count, minimum and maximum of a stream of intensities (in a fixed order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub count: usize,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Stats {
    /// Rounds `values` in place (when `round`, see [`crate::round_half_even`]) and adds the
    /// finite ones; returns how many are not finite. Eight interleaved accumulators (a
    /// fixed order, so the result is the same on every run) let the loop vectorise; a slice
    /// with a value that is not finite is counted again, value by value.
    #[inline(never)]
    pub fn take_slice(&mut self, values: &mut [f64], round: bool) -> usize {
        const L: usize = 8;
        let mut sum = [0.0; L];
        let mut min = [f64::INFINITY; L];
        let mut max = [f64::NEG_INFINITY; L];
        let mut bad = [0u64; L];
        let mut chunks = values.chunks_exact_mut(L);
        for c in &mut chunks {
            for l in 0..L {
                let mut x = c[l];
                if round {
                    x = crate::round_half_even(x);
                    c[l] = x;
                }
                sum[l] += x;
                min[l] = if x < min[l] { x } else { min[l] };
                max[l] = if x > max[l] { x } else { max[l] };
                bad[l] += (x.abs() >= f64::INFINITY || x.is_nan()) as u64;
            }
        }
        for x in chunks.into_remainder() {
            if round {
                *x = crate::round_half_even(*x);
            }
        }
        if bad.iter().sum::<u64>() > 0 || values.iter().rev().take(L).any(|v| !v.is_finite()) {
            let mut non_finite = 0;
            for &x in values.iter() {
                if x.is_finite() {
                    self.push(x);
                } else {
                    non_finite += 1;
                }
            }
            return non_finite;
        }
        let whole = values.len() / L * L;
        for l in 0..L {
            self.sum += sum[l];
            self.min = self.min.min(min[l]);
            self.max = self.max.max(max[l]);
        }
        self.count += whole;
        for &x in &values[whole..] {
            self.push(x);
        }
        0
    }

    pub fn push(&mut self, v: f64) {
        self.count += 1;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Mean, or `None` without values.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

/// Interpolates a whole image (shape `(z, y, x)`, C order) onto the grid of `plans`
/// (`[z, y, x]`), keeping only the output box `crop` (`[z, y, x]` ranges of output voxels),
/// and returns that box with the statistics of the whole interpolated image.
///
/// The whole image is interpolated (the statistics need it) but never held at once: the
/// in-plane passes (`x`, then `y`) run slice by slice into an array of the in-plane
/// resampled slices, and the `z` pass produces one output slice at a time, which is
/// rounded (when `round`), counted, and copied where it meets the box. Peak extra memory is
/// that array (plus, for the B-spline, its padded coefficients).
pub fn interpolate_image(
    data: &[f64],
    shape: [usize; 3],
    plans: &[AxisPlan; 3],
    method: InterpolationMethod,
    round: bool,
    crop: &[Range<usize>; 3],
) -> (Vec<f64>, Stats) {
    let [nz, ny, nx] = shape;
    let [pz, py, px] = plans;
    let (nyo, nxo) = (py.n_out, px.n_out);
    let plane = nyo * nxo;
    let tx = Taps::new(px, method, 0..nxo, 0..nx);
    let ty = Taps::new(py, method, 0..nyo, 0..ny);
    let tz = Taps::new(pz, method, 0..pz.n_out, 0..nz);

    let mut inplane = vec![0.0; nz * plane];
    let mut xs = vec![0.0; ny * nxo];
    for z in 0..nz {
        let slice = &data[z * ny * nx..(z + 1) * ny * nx];
        let dst = &mut inplane[z * plane..(z + 1) * plane];
        if tx.copy {
            xs.copy_from_slice(slice);
        } else {
            resample_axis(slice, ny, nx, 1, &tx, &mut xs);
        }
        if ty.copy {
            dst.copy_from_slice(&xs);
        } else {
            resample_axis(&xs, 1, ny, nxo, &ty, dst);
        }
    }

    let [cz, cy, cx] = crop;
    let (cny, cnx) = (cy.len(), cx.len());
    let mut boxed = vec![0.0; cz.len() * cny * cnx];
    let mut stats = Stats::default();
    let mut emit = |k: usize, slice: &mut [f64]| {
        // The image is finite (checked by the caller), so is every interpolated value.
        stats.take_slice(slice, round);
        if cz.contains(&k) {
            let base = (k - cz.start) * cny * cnx;
            for (r, y) in cy.clone().enumerate() {
                let row = &slice[y * nxo + cx.start..y * nxo + cx.end];
                boxed[base + r * cnx..base + (r + 1) * cnx].copy_from_slice(row);
            }
        }
    };
    let mut out = vec![0.0; plane];
    if tz.copy {
        for z in 0..nz {
            out.copy_from_slice(&inplane[z * plane..(z + 1) * plane]);
            emit(z, &mut out);
        }
    } else {
        let mut coef = Vec::new();
        let line: &[f64] = if tz.spline() {
            spline_coefficients(&inplane, nz, plane, tz.pad, &mut coef);
            drop(std::mem::take(&mut inplane));
            &coef
        } else {
            &inplane
        };
        for k in 0..tz.len() {
            apply_row(line, plane, &tz, k, &mut out);
            emit(k, &mut out);
        }
    }
    (boxed, stats)
}

/// Interpolates the 0/1 mask values of the source box `src` (`[z, y, x]` ranges of original
/// voxels; the mask is zero outside it, or the box reaches the image edge) onto the output
/// box `outputs` of the grid `plans`, as real values (before the partial-volume threshold).
/// Result laid out `[z][y][x]` over `outputs`.
///
/// Beyond the image edge the mask is given by `extrapolation`
/// (`[conventions] mask_extrapolation`): `Nearest` continues its boundary value, `Zero`
/// reads 0 beyond the edge (see [`Taps::zero_beyond_image`]), `ZeroBeyondCentres` gives 0
/// at every sample beyond the outermost voxel centres (see [`Taps::zero_beyond_centres`]).
pub fn interpolate_mask_values_with(
    mask: &[bool],
    shape: [usize; 3],
    src: &[Range<usize>; 3],
    plans: &[AxisPlan; 3],
    method: InterpolationMethod,
    outputs: &[Range<usize>; 3],
    extrapolation: MaskExtrapolation,
) -> Vec<f64> {
    let [_, ny, nx] = shape;
    let [sz, sy, sx] = src;
    let (rz, ry, rx) = (sz.len(), sy.len(), sx.len());
    let mut vals = Vec::with_capacity(rz * ry * rx);
    for z in sz.clone() {
        for y in sy.clone() {
            let row = &mask[(z * ny + y) * nx + sx.start..(z * ny + y) * nx + sx.end];
            vals.extend(row.iter().map(|&b| if b { 1.0 } else { 0.0 }));
        }
    }
    let mut tx = Taps::new(&plans[2], method, outputs[2].clone(), sx.clone());
    let mut ty = Taps::new(&plans[1], method, outputs[1].clone(), sy.clone());
    let mut tz = Taps::new(&plans[0], method, outputs[0].clone(), sz.clone());
    match extrapolation {
        MaskExtrapolation::Nearest => {}
        MaskExtrapolation::Zero => {
            tx.zero_beyond_image(&plans[2], method, outputs[2].clone());
            ty.zero_beyond_image(&plans[1], method, outputs[1].clone());
            tz.zero_beyond_image(&plans[0], method, outputs[0].clone());
        }
        MaskExtrapolation::ZeroBeyondCentres => {
            tx.zero_beyond_centres(&plans[2], outputs[2].clone());
            ty.zero_beyond_centres(&plans[1], outputs[1].clone());
            tz.zero_beyond_centres(&plans[0], outputs[0].clone());
        }
    }
    let (mx, my, mz) = (tx.len(), ty.len(), tz.len());
    let mut a = vec![0.0; rz * ry * mx];
    resample_axis(&vals, rz * ry, rx, 1, &tx, &mut a);
    drop(vals);
    let mut b = vec![0.0; rz * my * mx];
    resample_axis(&a, rz, ry, mx, &ty, &mut b);
    drop(a);
    let mut c = vec![0.0; mz * my * mx];
    resample_axis(&b, 1, rz, my * mx, &tz, &mut c);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spline_padding_does_not_grow_with_a_step_beyond_the_line() {
        // A new spacing 1e9 times the old one: one output voxel, and a padding bounded by
        // the line, not by the step (which asked for 8 GB per line).
        let plan = AxisPlan::new(8, 1.0, 1e9);
        assert_eq!(plan.n_out, 1);
        let taps = Taps::new(&plan, InterpolationMethod::CubicSpline, 0..1, 0..8);
        assert!(taps.pad <= 12 + 8 + 2, "{}", taps.pad);
        // Ordinary steps keep their padding.
        let plan = AxisPlan::new(8, 1.0, 2.0);
        let taps = Taps::new(&plan, InterpolationMethod::CubicSpline, 0..4, 0..8);
        assert_eq!(taps.pad, 16);
    }

    #[test]
    fn spline_coefficients_interpolate_the_samples() {
        let f = [3.0, -1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let mut c = Vec::new();
        spline_coefficients(&f, f.len(), 1, 14, &mut c);
        for (j, &v) in f.iter().enumerate() {
            let i = j + 14;
            let back = (c[i - 1] + 4.0 * c[i] + c[i + 1]) / 6.0;
            assert!((back - v).abs() < 1e-12, "{j}: {back} vs {v}");
        }
    }
}
