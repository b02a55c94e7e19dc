//! Gabor filters (IBSI 2, Q88H): 2D complex kernels applied in image planes.

use ndarray::Array3;
use rustfft::num_complex::Complex64;
use rustfft::FftPlanner;

use crate::boundary::Boundary;
use crate::fft::{fft_axes, fft_axis_raw, Extension};
use crate::Pooling;

/// A plane of the volume: its two in-plane axes (rows, columns) and the axis along which
/// the planes are stacked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plane {
    pub rows: usize,
    pub cols: usize,
    pub stack: usize,
}

/// The axial plane (rows y, columns x).
pub(crate) const AXIAL: Plane = Plane {
    rows: 1,
    cols: 2,
    stack: 0,
};
/// The coronal plane (rows z, columns x).
pub(crate) const CORONAL: Plane = Plane {
    rows: 0,
    cols: 2,
    stack: 1,
};
/// The sagittal plane (rows z, columns y).
pub(crate) const SAGITTAL: Plane = Plane {
    rows: 0,
    cols: 1,
    stack: 2,
};

/// Parameters of the Gabor kernel
/// `g(u, v) = exp(-(x~^2 + gamma^2 y~^2) / (2 sigma^2)) exp(i 2 pi x~ / lambda)`,
/// `x~ = v cos(theta) + u sin(theta)`, `y~ = -v sin(theta) + u cos(theta)`, with `v` and
/// `u` the in-plane offsets in mm along the plane's columns and rows axes (x and y in the
/// axial plane). The kernel is
/// not normalised (`g(0, 0) = 1`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GaborParams {
    pub sigma_mm: f64,
    pub lambda_mm: f64,
    pub gamma: f64,
    pub truncate: f64,
}

/// Filters every plane of orientation `plane` with the Gabor kernel at each angle in
/// `thetas` (radians), takes the modulus of the complex response and pools over the angles
/// into `acc` (`count` responses pooled so far, for averages).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gabor_planes(
    img: &Array3<f64>,
    spacing: [f64; 3],
    p: &GaborParams,
    thetas: &[f64],
    plane: Plane,
    mode: Boundary,
    pooling: Pooling,
    acc: &mut Option<Array3<f64>>,
    planner: &mut FftPlanner<f64>,
) {
    let shape = [img.dim().0, img.dim().1, img.dim().2];
    let (nr, nc, ns) = (shape[plane.rows], shape[plane.cols], shape[plane.stack]);
    let (sr, sc) = (spacing[plane.rows], spacing[plane.cols]);
    let extent_mm = p.truncate * p.sigma_mm.max(p.sigma_mm / p.gamma);
    let rr = (extent_mm / sr + 0.5).floor() as usize;
    let rc = (extent_mm / sc + 0.5).floor() as usize;
    let er = Extension::new(nr, rr, mode);
    let ec = Extension::new(nc, rc, mode);
    let (pr, pc) = (er.p, ec.p);
    let fshape = [1, pr, pc];

    // Kernel transfer functions, one per angle, scaled for the unnormalised inverse FFT.
    let norm = 1.0 / (pr * pc) as f64;
    let kernels: Vec<Vec<Complex64>> = thetas
        .iter()
        .map(|&theta| {
            let (st, ct) = theta.sin_cos();
            let mut k = vec![Complex64::new(0.0, 0.0); pr * pc];
            for dr in -(rr as isize)..=rr as isize {
                let Some(tr) = er.tap(dr) else { continue };
                let u = dr as f64 * sr;
                for dc in -(rc as isize)..=rc as isize {
                    let Some(tc) = ec.tap(dc) else { continue };
                    let v = dc as f64 * sc;
                    let xt = v * ct + u * st;
                    let yt = -v * st + u * ct;
                    let env = (-(xt * xt + p.gamma * p.gamma * yt * yt)
                        / (2.0 * p.sigma_mm * p.sigma_mm))
                        .exp();
                    let ph = 2.0 * std::f64::consts::PI * xt / p.lambda_mm;
                    k[tr * pc + tc] += Complex64::from_polar(env * norm, ph);
                }
            }
            fft_axes(&mut k, fshape, &[2, 1], false, planner);
            k
        })
        .collect();

    let out = acc.get_or_insert_with(|| match pooling {
        Pooling::Average => Array3::zeros(img.dim()),
        Pooling::Max => Array3::from_elem(img.dim(), f64::NEG_INFINITY),
        Pooling::Min => Array3::from_elem(img.dim(), f64::INFINITY),
    });
    // Flat strides of the volume.
    let strides = [shape[1] * shape[2], shape[2], 1];
    let (str_r, str_c, str_s) = (
        strides[plane.rows],
        strides[plane.cols],
        strides[plane.stack],
    );
    let src = img.as_slice().expect("standard layout");
    let dst = out.as_slice_mut().expect("standard layout");
    let row_src: Vec<Option<usize>> = (0..pr).map(|a| er.source(a)).collect();
    let col_src: Vec<Option<usize>> = (0..pc).map(|b| ec.source(b)).collect();
    let mut slice = vec![Complex64::new(0.0, 0.0); pr * pc];
    let mut work = vec![Complex64::new(0.0, 0.0); pr * pc];
    let rows_out = er.offset * pc..(er.offset + nr) * pc;
    for s in 0..ns {
        let base = s * str_s;
        for (row, sr_) in slice.chunks_mut(pc).zip(&row_src) {
            for (v, sc_) in row.iter_mut().zip(&col_src) {
                *v = match (sr_, sc_) {
                    (Some(i), Some(j)) => Complex64::new(src[base + i * str_r + j * str_c], 0.0),
                    _ => Complex64::new(0.0, 0.0),
                };
            }
        }
        fft_axes(&mut slice, fshape, &[2, 1], false, planner);
        for k in &kernels {
            for ((w, a), b) in work.iter_mut().zip(&slice).zip(k) {
                *w = a * b;
            }
            // Inverse along the columns, then along the rows of the image only.
            fft_axis_raw(&mut work, fshape, 1, true, planner);
            fft_axis_raw(&mut work[rows_out.clone()], [1, nr, pc], 2, true, planner);
            for i in 0..nr {
                let wrow =
                    &work[(i + er.offset) * pc + ec.offset..(i + er.offset) * pc + ec.offset + nc];
                let o_row = base + i * str_r;
                for (j, w) in wrow.iter().enumerate() {
                    let m = w.norm();
                    let o = &mut dst[o_row + j * str_c];
                    match pooling {
                        Pooling::Average => *o += m,
                        Pooling::Max => *o = o.max(m),
                        Pooling::Min => *o = o.min(m),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn impulse_response(theta_deg: f64, gamma: f64, spacing: [f64; 3]) -> Array3<f64> {
        let mut img = Array3::zeros((1, 11, 11));
        img[[0, 5, 5]] = 1.0;
        let p = GaborParams {
            sigma_mm: 2.0,
            lambda_mm: 3.0,
            gamma,
            truncate: 4.0,
        };
        let mut acc = None;
        let mut planner = FftPlanner::new();
        gabor_planes(
            &img,
            spacing,
            &p,
            &[theta_deg.to_radians()],
            AXIAL,
            Boundary::Zero,
            Pooling::Average,
            &mut acc,
            &mut planner,
        );
        acc.unwrap()
    }

    /// The modulus of the impulse response is the envelope
    /// `exp(-(x~^2 + gamma^2 y~^2) / (2 sigma^2))`, with `x` along columns and `y` along
    /// rows, and equals 1 at the centre.
    #[test]
    fn impulse_response_is_the_envelope() {
        for (theta, gamma, sp) in [
            (0.0, 0.5, [1.0, 1.0, 1.0]),
            (30.0, 2.0, [1.0, 0.8, 1.3]),
            (-110.0, 1.0, [2.0, 1.0, 1.0]),
        ] {
            let out = impulse_response(theta, gamma, sp);
            let (st, ct) = f64::to_radians(theta).sin_cos();
            for r in 0..11 {
                for c in 0..11 {
                    let y = (r as f64 - 5.0) * sp[1];
                    let x = (c as f64 - 5.0) * sp[2];
                    let (xt, yt) = (x * ct + y * st, -x * st + y * ct);
                    let want = (-(xt * xt + gamma * gamma * yt * yt) / 8.0).exp();
                    let got = out[[0, r, c]];
                    assert!(
                        (got - want).abs() < 1e-12,
                        "theta {theta} at ({r}, {c}): {got} vs {want}"
                    );
                }
            }
        }
    }

    /// At theta = 0 with gamma < 1 the envelope is narrower along x (columns) than along y
    /// (rows); the response is symmetric under point reflection.
    #[test]
    fn orientation_convention() {
        let out = impulse_response(0.0, 0.5, [1.0; 3]);
        // sigma along x~ = x is 2 mm, along y~ = y is 4 mm: wider along the rows.
        assert!(out[[0, 5, 8]] < out[[0, 8, 5]]);
        for r in 0..11 {
            for c in 0..11 {
                assert!((out[[0, r, c]] - out[[0, 10 - r, 10 - c]]).abs() < 1e-12);
            }
        }
    }
}
