//! Rotation and sub-voxel translation by resampling on the original grid.
//!
//! Interpolation is linear (bilinear in-plane for rotations, trilinear for translations);
//! sample positions outside the grid take the value of the nearest grid voxel (nearest
//! extension, by clamping coordinates). The mask is resampled the same way as its 0/1
//! indicator and thresholded: a voxel is in the ROI when the interpolated value is
//! `≥ 0.5`. Linear interpolation smooths the image slightly for non-integer sample
//! positions (a half-voxel shift averages neighbours); sample positions within 1e-9 voxel
//! of an integer are snapped to it, and zero interpolation weights are skipped, so 0°
//! rotations, zero translations and rotations that map voxel centres onto voxel centres
//! (e.g. 90° about a voxel centre on an isotropic plane) copy values exactly.

use ndarray::{Array3, Axis};

/// Unweighted centre of mass (mean index) of the true voxels, `(z, y, x)`; all zero for
/// an empty mask.
pub fn centre_of_mass(mask: &Array3<bool>) -> [f64; 3] {
    let mut s = [0.0f64; 3];
    let mut n = 0u64;
    for ((z, y, x), &m) in mask.indexed_iter() {
        if m {
            s[0] += z as f64;
            s[1] += y as f64;
            s[2] += x as f64;
            n += 1;
        }
    }
    if n > 0 {
        for v in s.iter_mut() {
            *v /= n as f64;
        }
    }
    s
}

/// Snaps a coordinate within 1e-9 of an integer onto it.
#[inline]
fn snap(c: f64) -> f64 {
    let r = c.round();
    if (c - r).abs() < 1e-9 {
        r
    } else {
        c
    }
}

/// `a + t (b − a)`, returning `a` exactly when `t == 0` (whatever `b` is).
#[inline]
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if t == 0.0 {
        a
    } else {
        a + t * (b - a)
    }
}

/// `(cos θ, sin θ)` of an angle in degrees, exact for multiples of 90°.
fn cos_sin_deg(degrees: f64) -> (f64, f64) {
    let d = degrees.rem_euclid(360.0);
    if d == 0.0 {
        (1.0, 0.0)
    } else if d == 90.0 {
        (0.0, 1.0)
    } else if d == 180.0 {
        (-1.0, 0.0)
    } else if d == 270.0 {
        (0.0, -1.0)
    } else {
        let r = d.to_radians();
        (r.cos(), r.sin())
    }
}

/// Rotates image and mask in every axial slice by `degrees` about the in-plane point
/// `centre_yx` (index coordinates), with in-plane spacing `spacing_yx` (mm).
///
/// Backward mapping: output voxel `(y, x)` at offset `d = ((x − cx) sx, (y − cy) sy)` mm
/// from the centre takes the bilinear sample at `R(−θ) d`, i.e. source index
/// `xs = cx + (cos θ dx + sin θ dy) / sx`, `ys = cy + (−sin θ dx + cos θ dy) / sy`, so
/// the content turns by `+θ` from the +x towards the +y index axis. Returns `None` for a
/// rotation by a multiple of 360° (the identity: nothing to do).
pub fn rotate_z(
    image: &Array3<f64>,
    mask: &Array3<bool>,
    spacing_yx: [f64; 2],
    centre_yx: [f64; 2],
    degrees: f64,
) -> Option<(Array3<f64>, Array3<bool>)> {
    let (c, s) = cos_sin_deg(degrees);
    if c == 1.0 && s == 0.0 {
        return None;
    }
    let (nz, ny, nx) = image.dim();
    let img = image.as_standard_layout();
    let msk = mask.as_standard_layout();
    let (img, msk) = (img.as_slice()?, msk.as_slice()?);
    let mut out_i = Array3::<f64>::zeros((nz, ny, nx));
    let mut out_m = Array3::from_elem((nz, ny, nx), false);
    if nz * ny * nx == 0 {
        return Some((out_i, out_m));
    }
    let (oi, om) = (out_i.as_slice_mut()?, out_m.as_slice_mut()?);
    let [sy, sx] = spacing_yx;
    let [cy, cx] = centre_yx;
    let (ymax, xmax) = ((ny - 1) as f64, (nx - 1) as f64);
    // Per output voxel: source position and the 4 interpolation corners (shared by all
    // slices, so computed once per (y, x) and reused for every z).
    let plane = ny * nx;
    let mut taps: Vec<(usize, usize, f64, usize, f64)> = Vec::with_capacity(plane);
    for y in 0..ny {
        let dy = (y as f64 - cy) * sy;
        for x in 0..nx {
            let dx = (x as f64 - cx) * sx;
            let xs = snap(cx + (c * dx + s * dy) / sx).clamp(0.0, xmax);
            let ys = snap(cy + (-s * dx + c * dy) / sy).clamp(0.0, ymax);
            let (x0, y0) = (xs.floor() as usize, ys.floor() as usize);
            let (fx, fy) = (xs - x0 as f64, ys - y0 as f64);
            // neighbour offsets (0 when the weight is 0, so no read past the edge)
            let dxo = usize::from(fx > 0.0);
            let dyo = if fy > 0.0 { nx } else { 0 };
            taps.push((y0 * nx + x0, dxo, fx, dyo, fy));
        }
    }
    for z in 0..nz {
        let (si, sm) = (
            &img[z * plane..(z + 1) * plane],
            &msk[z * plane..(z + 1) * plane],
        );
        let (di, dm) = (
            &mut oi[z * plane..(z + 1) * plane],
            &mut om[z * plane..(z + 1) * plane],
        );
        for (k, &(b, dxo, fx, dyo, fy)) in taps.iter().enumerate() {
            let top = lerp(si[b], si[b + dxo], fx);
            let bot = lerp(si[b + dyo], si[b + dyo + dxo], fx);
            di[k] = lerp(top, bot, fy);
            let f = |i: usize| if sm[i] { 1.0 } else { 0.0 };
            let mt = lerp(f(b), f(b + dxo), fx);
            let mb = lerp(f(b + dyo), f(b + dyo + dxo), fx);
            dm[k] = lerp(mt, mb, fy) >= 0.5;
        }
    }
    Some((out_i, out_m))
}

/// Shifts the content of `data` by `f ∈ [0, 1)` voxels along `axis` in place: linear
/// interpolation at `p − f`, `out[p] = in[p] + f (in[p − 1] − in[p])`, with
/// `out[0] = in[0]` (nearest extension).
fn shift_axis(data: &mut Array3<f64>, axis: usize, f: f64) {
    if f == 0.0 {
        return;
    }
    for mut lane in data.lanes_mut(Axis(axis)) {
        let n = lane.len();
        for p in (1..n).rev() {
            lane[p] = lerp(lane[p], lane[p - 1], f);
        }
    }
}

/// Translates image and mask content by `fraction_zyx` voxels (each in `[0, 1)`):
/// trilinear interpolation at `p − f`, done as three separable 1-D linear passes (z, y,
/// x), which is mathematically the trilinear interpolant. The mask's 0/1 indicator is
/// shifted the same way and thresholded at `≥ 0.5`, so the mask moves in whole voxels:
/// for a shift along one axis only, the ROI is unchanged when `f < 0.5` and moved by one
/// voxel when `f > 0.5` (at `f = 0.5` it gains the layer in front) — the image content
/// moves by exactly `f` (its intensity-weighted centroid shifts by `f`, away from the
/// border). All-zero fractions leave both bit-identical.
pub fn translate(image: &mut Array3<f64>, mask: &mut Array3<bool>, fraction_zyx: [f64; 3]) {
    if fraction_zyx.iter().all(|&f| f == 0.0) {
        return;
    }
    let mut m = mask.mapv(|b| if b { 1.0 } else { 0.0 });
    for (axis, &f) in fraction_zyx.iter().enumerate() {
        shift_axis(image, axis, f);
        shift_axis(&mut m, axis, f);
    }
    ndarray::Zip::from(mask)
        .and(&m)
        .for_each(|o, &v| *o = v >= 0.5);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_by_zero_and_360_is_none() {
        let a = Array3::<f64>::zeros((1, 3, 3));
        let m = Array3::from_elem((1, 3, 3), true);
        assert!(rotate_z(&a, &m, [1.0, 1.0], [1.0, 1.0], 0.0).is_none());
        assert!(rotate_z(&a, &m, [1.0, 1.0], [1.0, 1.0], 360.0).is_none());
        assert!(rotate_z(&a, &m, [1.0, 1.0], [1.0, 1.0], -720.0).is_none());
    }

    #[test]
    fn rotation_by_90_permutes_exactly() {
        // 3 x 3 plane, centre (1, 1): +90° turns +x towards +y, so the value at
        // (y=1, x=2) (right of centre) moves to (y=2, x=1) (below centre).
        let a = Array3::from_shape_fn((2, 3, 3), |(z, y, x)| (z * 9 + y * 3 + x) as f64);
        let m = Array3::from_shape_fn((2, 3, 3), |(_, y, x)| y == 1 && x == 2);
        let (r, rm) = rotate_z(&a, &m, [1.0, 1.0], [1.0, 1.0], 90.0).unwrap();
        for z in 0..2 {
            for y in 0..3 {
                for x in 0..3 {
                    // out(y, x) = in(ys, xs) with xs = cx + dy, ys = cy - dx
                    let (ys, xs) = (1 + 1 - x, y);
                    assert_eq!(r[[z, y, x]], a[[z, ys, xs]]);
                }
            }
        }
        assert!(rm[[0, 2, 1]] && rm[[1, 2, 1]]);
        assert_eq!(rm.iter().filter(|&&v| v).count(), 2);
    }

    #[test]
    fn rotation_uses_mm_for_anisotropic_in_plane_spacing() {
        // a 6 mm x 6 mm square: 3 voxels of 2 mm along y, 6 voxels of 1 mm along x,
        // centre (y, x) = (4, 7.5). Turned by 90° in mm it is the same square (hand
        // computed: the sample positions xs = 7.5 + 2 (y - 4), ys = 4 - (x - 7.5) / 2
        // give interpolated mask values 1 or 0.75 exactly on the square, <= 0.25 off it).
        // Rotating index coordinates instead would give a 6 x 3 voxel shape.
        let m = Array3::from_shape_fn((1, 9, 15), |(_, y, x)| {
            (3..6).contains(&y) && (5..11).contains(&x)
        });
        let a = Array3::zeros((1, 9, 15));
        let c = centre_of_mass(&m);
        assert_eq!([c[1], c[2]], [4.0, 7.5]);
        for deg in [90.0, -90.0] {
            let (_, r) = rotate_z(&a, &m, [2.0, 1.0], [4.0, 7.5], deg).unwrap();
            assert_eq!(r, m, "{deg}");
        }
    }

    #[test]
    fn rotation_bilinear_hand_computed() {
        // Linear ramp in x is reproduced exactly by bilinear interpolation: rotating the
        // ramp v = x by 45° about the centre (2, 2) gives v = cx + cos(45) dx + sin(45) dy
        // (inside the grid).
        let a = Array3::from_shape_fn((1, 5, 5), |(_, _, x)| x as f64);
        let m = Array3::from_elem((1, 5, 5), true);
        let (r, _) = rotate_z(&a, &m, [1.0, 1.0], [2.0, 2.0], 45.0).unwrap();
        let h = std::f64::consts::FRAC_1_SQRT_2;
        for (y, x) in [(2usize, 2usize), (2, 3), (3, 2), (1, 2), (3, 3)] {
            let (dx, dy) = (x as f64 - 2.0, y as f64 - 2.0);
            let want = 2.0 + h * dx + h * dy;
            assert!((r[[0, y, x]] - want).abs() < 1e-12, "({y},{x})");
        }
    }

    #[test]
    fn translation_hand_computed() {
        let mut a = Array3::from_shape_vec((1, 1, 4), vec![0.0, 4.0, 8.0, 2.0]).unwrap();
        let mut m = Array3::from_shape_vec((1, 1, 4), vec![false, true, true, false]).unwrap();
        translate(&mut a, &mut m, [0.0, 0.0, 0.25]);
        // out[p] = 0.75 in[p] + 0.25 in[p-1]; out[0] = in[0]
        assert_eq!(a.as_slice().unwrap(), &[0.0, 3.0, 7.0, 3.5]);
        // mask: [0, 0.75, 1, 0.25] -> [F, T, T, F]
        assert_eq!(m.as_slice().unwrap(), &[false, true, true, false]);
        let mut m = Array3::from_shape_vec((1, 1, 4), vec![false, true, true, false]).unwrap();
        let mut a2 = a.clone();
        translate(&mut a2, &mut m, [0.0, 0.0, 0.6]);
        // mask: [0, 0.4, 1, 0.6] -> [F, F, T, T]
        assert_eq!(m.as_slice().unwrap(), &[false, false, true, true]);
    }

    #[test]
    fn centre_of_mass_is_mean_index() {
        let mut m = Array3::from_elem((2, 3, 4), false);
        m[[0, 0, 0]] = true;
        m[[1, 2, 3]] = true;
        assert_eq!(centre_of_mass(&m), [0.5, 1.0, 1.5]);
    }
}
