//! Small dense linear algebra, ellipsoid surface areas and the minimum-volume enclosing
//! ellipsoid.

/// Eigenvalues and eigenvectors (columns of the returned matrix) of a symmetric matrix,
/// by cyclic Jacobi rotations. Eigenvalues are sorted in decreasing order.
pub fn symmetric_eigen<const N: usize>(m: [[f64; N]; N]) -> ([f64; N], [[f64; N]; N]) {
    let mut a = m;
    let mut v = [[0.0; N]; N];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for _sweep in 0..100 {
        let mut off = 0.0;
        let mut diag = 0.0;
        for i in 0..N {
            diag += a[i][i] * a[i][i];
            for j in i + 1..N {
                off += a[i][j] * a[i][j];
            }
        }
        if off <= 1e-30 * diag || off == 0.0 {
            break;
        }
        for p in 0..N {
            for q in p + 1..N {
                if a[p][q] == 0.0 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..N {
                    let (akp, akq) = (a[k][p], a[k][q]);
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for k in 0..N {
                    let (apk, aqk) = (a[p][k], a[q][k]);
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: [usize; N] = [0; N];
    for (i, o) in order.iter_mut().enumerate() {
        *o = i;
    }
    order.sort_by(|&i, &j| a[j][j].total_cmp(&a[i][i]));
    let mut vals = [0.0; N];
    let mut vecs = [[0.0; N]; N];
    for (c, &i) in order.iter().enumerate() {
        vals[c] = a[i][i];
        for r in 0..N {
            vecs[r][c] = v[r][i];
        }
    }
    (vals, vecs)
}

/// Surface area of an ellipsoid with semi-axes `a >= b >= c`, by the Legendre series of
/// IBSI (RDD2), stopped after `ν = 20`:
/// `A = 4π a b Σ_ν (αβ)^ν / (1 - 4ν²) P_ν((α² + β²) / (2αβ))`,
/// `α = sqrt(1 - b²/a²)`, `β = sqrt(1 - c²/a²)`.
///
/// The terms are evaluated as `t_ν = (αβ)^ν P_ν(x)` through the Legendre recurrence
/// multiplied by `(αβ)^(ν+1)`:
/// `(ν + 1) t_(ν+1) = (2ν + 1) ((α² + β²)/2) t_ν - ν (αβ)² t_(ν-1)`,
/// which stays finite when `α β = 0` (a spheroid or a sphere).
///
/// This truncated series is the IBSI *definition* of `A_aee` (and `A_mvee`); it is
/// exact for a sphere but is not the exact surface area of a general ellipsoid (about
/// 1% high for semi-axes 3, 2.5, 2). The IBSI reference values use it as written.
pub fn ellipsoid_area(a: f64, b: f64, c: f64) -> f64 {
    let alpha2 = (1.0 - (b * b) / (a * a)).max(0.0);
    let beta2 = (1.0 - (c * c) / (a * a)).max(0.0);
    let half_sum = (alpha2 + beta2) / 2.0;
    let ab2 = alpha2 * beta2;
    let (mut t_prev, mut t) = (1.0, half_sum); // t_0, t_1
    let mut sum = t_prev; // nu = 0: 1 / (1 - 0) * 1
    for nu in 1..=20u32 {
        let nf = nu as f64;
        sum += t / (1.0 - 4.0 * nf * nf);
        let next = ((2.0 * nf + 1.0) * half_sum * t - nf * ab2 * t_prev) / (nf + 1.0);
        t_prev = t;
        t = next;
    }
    4.0 * std::f64::consts::PI * a * b * sum
}

/// Solves `m x = rhs` for a symmetric positive-definite 4x4 matrix by Cholesky; `None`
/// when `m` is not positive definite.
fn cholesky_inverse4(m: &[[f64; 4]; 4]) -> Option<[[f64; 4]; 4]> {
    let mut l = [[0.0f64; 4]; 4];
    for i in 0..4 {
        for j in 0..=i {
            let mut s = m[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    let mut inv = [[0.0f64; 4]; 4];
    for col in 0..4 {
        // Solve L y = e_col, then L^T x = y.
        let mut y = [0.0f64; 4];
        for i in 0..4 {
            let mut s = if i == col { 1.0 } else { 0.0 };
            for k in 0..i {
                s -= l[i][k] * y[k];
            }
            y[i] = s / l[i][i];
        }
        let mut x = [0.0f64; 4];
        for i in (0..4).rev() {
            let mut s = y[i];
            for k in i + 1..4 {
                s -= l[k][i] * x[k];
            }
            x[i] = s / l[i][i];
        }
        for (r, row) in inv.iter_mut().enumerate() {
            row[col] = x[r];
        }
    }
    Some(inv)
}

/// Semi-axis lengths (decreasing) of the minimum-volume enclosing ellipsoid of `points`
/// (mm), approximated by Khachiyan's barycentric coordinate descent with stopping
/// tolerance `tol` on the change of the barycentric weights `u` (IBSI: τ = 0.001).
///
/// With lifted points `q_i = (p_i, 1)` and weights `u` (initially uniform): `X = Σ u_i q_i q_iᵀ`,
/// `M_i = q_iᵀ X⁻¹ q_i`; the point `j` of largest `M_j` receives step
/// `s = (M_j - d - 1) / ((d + 1)(M_j - 1))`: `u ← (1 - s) u + s e_j`. At convergence the
/// ellipsoid `{x : (x - c)ᵀ A (x - c) <= 1}` has `c = Σ u_i p_i` and
/// `A = (Σ u_i p_i p_iᵀ - c cᵀ)⁻¹ / d`; its semi-axes are `1 / sqrt(eig(A))`.
/// `X⁻¹` and the `M_i` are updated by Sherman–Morrison (O(n) per step) and recomputed
/// from scratch every 64 steps to keep rounding in check.
///
/// Returns `None` when the points do not span 3D.
pub fn mvee_semi_axes(points: &[[f64; 3]], tol: f64) -> Option<[f64; 3]> {
    let n = points.len();
    if n < 4 {
        return None;
    }
    // Centre for conditioning (the ellipsoid is translation-equivariant).
    let mut mean = [0.0; 3];
    for p in points {
        for d in 0..3 {
            mean[d] += p[d] / n as f64;
        }
    }
    let q: Vec<[f64; 4]> = points
        .iter()
        .map(|p| [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2], 1.0])
        .collect();
    let d = 3.0;
    let mut u = vec![1.0 / n as f64; n];
    let mut m = vec![0.0f64; n];
    let mut xinv = [[0.0f64; 4]; 4];
    let refresh = |u: &[f64], m: &mut [f64], xinv: &mut [[f64; 4]; 4]| -> Option<()> {
        let mut x = [[0.0f64; 4]; 4];
        for (qi, &ui) in q.iter().zip(u) {
            for r in 0..4 {
                for c in 0..=r {
                    x[r][c] += ui * qi[r] * qi[c];
                }
            }
        }
        for r in 0..4 {
            for c in r + 1..4 {
                x[r][c] = x[c][r];
            }
        }
        *xinv = cholesky_inverse4(&x)?;
        for (mi, qi) in m.iter_mut().zip(&q) {
            *mi = quad4(xinv, qi);
        }
        Some(())
    };
    refresh(&u, &mut m, &mut xinv)?;
    let mut u_norm2 = 1.0 / n as f64;
    for iter in 1..=100_000usize {
        let (j, mj) = m
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |(bj, bm), (i, &mi)| {
                if mi > bm {
                    (i, mi)
                } else {
                    (bj, bm)
                }
            });
        let step = (mj - d - 1.0) / ((d + 1.0) * (mj - 1.0));
        if step.is_nan() || step <= 0.0 {
            break;
        }
        let uj = u[j];
        let change2 = step * step * (u_norm2 - 2.0 * uj + 1.0);
        u_norm2 = (1.0 - step).powi(2) * u_norm2 + 2.0 * (1.0 - step) * step * uj + step * step;
        for ui in u.iter_mut() {
            *ui *= 1.0 - step;
        }
        u[j] += step;
        if iter % 64 == 0 {
            refresh(&u, &mut m, &mut xinv)?;
        } else {
            // X' = (1 - s) X + s q_j q_jᵀ. With r = s / (1 - s) and v = X⁻¹ q_j:
            // X'⁻¹ = (X⁻¹ - r v vᵀ / (1 + r M_j)) / (1 - s),
            // M_i' = (M_i - r (q_i · v)² / (1 + r M_j)) / (1 - s).
            let r = step / (1.0 - step);
            let mut v = [0.0f64; 4];
            for (a, va) in v.iter_mut().enumerate() {
                *va = (0..4).map(|b| xinv[a][b] * q[j][b]).sum();
            }
            let denom = 1.0 + r * mj;
            for a in 0..4 {
                for b in 0..4 {
                    xinv[a][b] = (xinv[a][b] - r * v[a] * v[b] / denom) / (1.0 - step);
                }
            }
            for (mi, qi) in m.iter_mut().zip(&q) {
                let g = qi[0] * v[0] + qi[1] * v[1] + qi[2] * v[2] + qi[3] * v[3];
                *mi = (*mi - r * g * g / denom) / (1.0 - step);
            }
        }
        if change2.max(0.0).sqrt() < tol {
            break;
        }
    }
    // Centre and shape matrix.
    let mut c = [0.0f64; 3];
    for (qi, &ui) in q.iter().zip(&u) {
        for d in 0..3 {
            c[d] += ui * qi[d];
        }
    }
    let mut s = [[0.0f64; 3]; 3];
    for (qi, &ui) in q.iter().zip(&u) {
        for r in 0..3 {
            for cc in 0..3 {
                s[r][cc] += ui * qi[r] * qi[cc];
            }
        }
    }
    for r in 0..3 {
        for cc in 0..3 {
            s[r][cc] -= c[r] * c[cc];
        }
    }
    // A = S⁻¹ / d, so the eigenvalues of A are 1 / (d λ(S)) and the semi-axes sqrt(d λ(S)).
    let (lambda, _) = symmetric_eigen(s);
    if lambda[2] <= 0.0 {
        return None;
    }
    Some([
        (d * lambda[0]).sqrt(),
        (d * lambda[1]).sqrt(),
        (d * lambda[2]).sqrt(),
    ])
}

fn quad4(m: &[[f64; 4]; 4], q: &[f64; 4]) -> f64 {
    let mut s = 0.0;
    for r in 0..4 {
        let mut t = 0.0;
        for c in 0..4 {
            t += m[r][c] * q[c];
        }
        s += q[r] * t;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn jacobi_on_a_known_matrix() {
        let (vals, vecs) = symmetric_eigen([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 5.0]]);
        assert!((vals[0] - 5.0).abs() < 1e-12);
        assert!((vals[1] - 3.0).abs() < 1e-12);
        assert!((vals[2] - 1.0).abs() < 1e-12);
        // Eigenvector of 3 is (1, 1, 0)/sqrt(2) up to sign.
        assert!((vecs[0][1].abs() - 0.5f64.sqrt()).abs() < 1e-12);
        assert!((vecs[1][1].abs() - 0.5f64.sqrt()).abs() < 1e-12);
    }

    /// `P_ν(x)` by the three-term recurrence.
    fn legendre(nu: u32, x: f64) -> f64 {
        let (mut p0, mut p1) = (1.0, x);
        if nu == 0 {
            return 1.0;
        }
        for k in 1..nu {
            let k = k as f64;
            let p2 = ((2.0 * k + 1.0) * x * p1 - k * p0) / (k + 1.0);
            p0 = p1;
            p1 = p2;
        }
        p1
    }

    #[test]
    fn ellipsoid_area_is_the_ibsi_series() {
        // Sphere: every term but ν = 0 vanishes.
        assert!((ellipsoid_area(2.0, 2.0, 2.0) - 4.0 * PI * 4.0).abs() < 1e-9);
        // Triaxial: the recurrence equals the series written with P_ν directly.
        for (a, b, c) in [
            (3.0f64, 2.5f64, 2.0f64),
            (5.0, 3.0, 2.0),
            (11.4 / 2.0, 9.31 / 2.0, 8.54 / 2.0),
        ] {
            let al = (1.0 - b * b / (a * a)).sqrt();
            let be = (1.0 - c * c / (a * a)).sqrt();
            let x = (al * al + be * be) / (2.0 * al * be);
            let direct: f64 = (0..=20u32)
                .map(|nu| {
                    (al * be).powi(nu as i32) / (1.0 - 4.0 * (nu * nu) as f64) * legendre(nu, x)
                })
                .sum::<f64>()
                * 4.0
                * PI
                * a
                * b;
            assert!(
                (ellipsoid_area(a, b, c) - direct).abs() < 1e-9 * direct,
                "{a} {b} {c}"
            );
        }
        // Spheroids (αβ = 0 or α = β) stay finite.
        assert!(ellipsoid_area(3.0, 3.0, 2.0).is_finite());
        assert!(ellipsoid_area(3.0, 2.0, 2.0).is_finite());
    }

    #[test]
    fn mvee_of_box_corners_is_the_circumscribed_ellipsoid() {
        // The MVEE of a box's 8 corners has semi-axes sqrt(3) times the half-sides.
        let mut pts = Vec::new();
        for &x in &[-3.0, 3.0] {
            for &y in &[-2.0, 2.0] {
                for &z in &[-1.0, 1.0] {
                    pts.push([x + 10.0, y - 4.0, z]);
                }
            }
        }
        let ax = mvee_semi_axes(&pts, 1e-7).unwrap();
        let s3 = 3f64.sqrt();
        for (got, want) in ax.iter().zip([3.0 * s3, 2.0 * s3, s3]) {
            assert!((got - want).abs() < 1e-4, "{ax:?}");
        }
    }

    #[test]
    fn mvee_of_points_on_an_ellipsoid_recovers_it() {
        let mut pts = Vec::new();
        for i in 0..20 {
            for j in 0..20 {
                let th = PI * (i as f64 + 0.5) / 20.0;
                let ph = 2.0 * PI * j as f64 / 20.0;
                pts.push([
                    5.0 * th.sin() * ph.cos(),
                    3.0 * th.sin() * ph.sin(),
                    2.0 * th.cos(),
                ]);
            }
        }
        let ax = mvee_semi_axes(&pts, 1e-6).unwrap();
        for (got, want) in ax.iter().zip([5.0, 3.0, 2.0]) {
            assert!((got - want).abs() < 0.02, "{ax:?}");
        }
    }
}
