//! Property tests of invariances the filter definitions imply.

use ndarray::Array3;
use proptest::prelude::*;
use radx_filters::{apply, Boundary, Dimensions, FilterSpec, Pooling, WaveletFamily};

fn volume(max: usize) -> impl Strategy<Value = Array3<f64>> {
    (1..=max, 1..=max, 1..=max).prop_flat_map(|(z, y, x)| {
        proptest::collection::vec(-100.0f64..100.0, z * y * x)
            .prop_map(move |v| Array3::from_shape_vec((z, y, x), v).unwrap())
    })
}

fn cube(n: usize) -> impl Strategy<Value = Array3<f64>> {
    proptest::collection::vec(-100.0f64..100.0, n * n * n)
        .prop_map(move |v| Array3::from_shape_vec((n, n, n), v).unwrap())
}

fn boundary() -> impl Strategy<Value = Boundary> {
    prop_oneof![
        Just(Boundary::Zero),
        Just(Boundary::Nearest),
        Just(Boundary::Periodic),
        Just(Boundary::Mirror)
    ]
}

fn dims() -> impl Strategy<Value = Dimensions> {
    prop_oneof![Just(Dimensions::Slice), Just(Dimensions::Volume)]
}

fn family() -> impl Strategy<Value = WaveletFamily> {
    prop_oneof![
        Just(WaveletFamily::Haar),
        Just(WaveletFamily::Db2),
        Just(WaveletFamily::Db3),
        Just(WaveletFamily::Coif1)
    ]
}

fn laws_name(d: Dimensions) -> impl Strategy<Value = String> {
    let one = prop_oneof![
        Just("L3"),
        Just("E3"),
        Just("S3"),
        Just("L5"),
        Just("E5"),
        Just("S5"),
        Just("W5"),
        Just("R5")
    ];
    let n = if d == Dimensions::Volume { 3 } else { 2 };
    proptest::collection::vec(one, n).prop_map(|v| v.concat())
}

fn subband(d: Dimensions) -> impl Strategy<Value = String> {
    let n = if d == Dimensions::Volume { 3 } else { 2 };
    proptest::collection::vec(prop_oneof![Just('L'), Just('H')], n)
        .prop_map(|v| v.into_iter().collect())
}

/// Filters that are linear in the image (no modulus, no max pooling, no energy).
fn linear_spec() -> impl Strategy<Value = FilterSpec> {
    (boundary(), dims()).prop_flat_map(|(b, d)| {
        prop_oneof![
            (0usize..4).prop_map(move |h| FilterSpec::Mean {
                support: 2 * h + 1,
                boundary: b,
                dimensions: d
            }),
            (0.3f64..4.0).prop_map(move |s| FilterSpec::Log {
                sigma_mm: s,
                truncate: 4.0,
                boundary: b,
                dimensions: d,
                riesz_order: None,
                fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
            }),
            (laws_name(d), any::<bool>()).prop_map(move |(k, inv)| FilterSpec::Laws {
                kernel: k,
                boundary: b,
                dimensions: d,
                rotation_invariant: inv,
                pooling: Pooling::Average,
                energy_delta: None
            }),
            (family(), subband(d), 1usize..3, any::<bool>()).prop_map(move |(f, s, l, inv)| {
                FilterSpec::Wavelet {
                    family: f,
                    subband: s,
                    level: l,
                    boundary: b,
                    dimensions: d,
                    rotation_invariant: inv,
                    pooling: Pooling::Average,
                }
            }),
            (1usize..3).prop_map(move |l| FilterSpec::Simoncelli {
                level: l,
                boundary: b,
                dimensions: d,
                riesz_order: None,
                fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
            }),
            (0u32..3, 0u32..3)
                .prop_filter("order", |(a, c)| a + c > 0)
                .prop_map(move |(a, c)| FilterSpec::Simoncelli {
                    level: 1,
                    boundary: b,
                    dimensions: d,
                    riesz_order: Some([a, c, 0]),
                    fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
                }),
        ]
    })
}

fn close(a: &Array3<f64>, b: &Array3<f64>, tol: f64) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.dim(), b.dim());
    for (p, q) in a.iter().zip(b.iter()) {
        prop_assert!(
            (p - q).abs() <= tol * (1.0 + p.abs().max(q.abs())),
            "{} vs {}",
            p,
            q
        );
    }
    Ok(())
}

fn with_boundary(spec: &FilterSpec, b: Boundary) -> FilterSpec {
    let mut s = spec.clone();
    match &mut s {
        FilterSpec::Mean { boundary, .. }
        | FilterSpec::Log { boundary, .. }
        | FilterSpec::Laws { boundary, .. }
        | FilterSpec::Gabor { boundary, .. }
        | FilterSpec::Wavelet { boundary, .. }
        | FilterSpec::Simoncelli { boundary, .. } => *boundary = b,
    }
    s
}

/// Rotates a cube by 90 degrees about z: `out[z, y, x] = in[z, x, n - 1 - y]`.
fn rot_z(a: &Array3<f64>) -> Array3<f64> {
    let n = a.dim().1;
    Array3::from_shape_fn(a.dim(), |(z, y, x)| a[[z, x, n - 1 - y]])
}

/// Rotates a cube by 90 degrees about x: `out[z, y, x] = in[y, n - 1 - z, x]`.
fn rot_x(a: &Array3<f64>) -> Array3<f64> {
    let n = a.dim().0;
    Array3::from_shape_fn(a.dim(), |(z, y, x)| a[[y, n - 1 - z, x]])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Linear filters: response(a f + b g) = a response(f) + b response(g).
    #[test]
    fn linear_filters_are_linear(spec in linear_spec(), f in volume(6), a in -3.0f64..3.0, c in -3.0f64..3.0, seed in 0u64..1000) {
        let g = f.mapv(|v| ((v * 7.3 + seed as f64).sin() * 50.0).round());
        let combo = &f * a + &g * c;
        let sp = [1.5, 1.0, 1.0];
        let lhs = apply(&spec, &combo, sp).unwrap();
        let rhs = apply(&spec, &f, sp).unwrap() * a + apply(&spec, &g, sp).unwrap() * c;
        let scale = combo.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (p, q) in lhs.iter().zip(rhs.iter()) {
            prop_assert!((p - q).abs() <= 1e-9 * scale, "{}: {} vs {}", spec.canonical_name(), p, q);
        }
    }

    /// A constant image (for 2D filters: constant within each slice): the mean filter
    /// returns it unchanged, and every filter whose kernel has zero sum (LoG, Laws with a
    /// non-level factor, wavelets with a high-pass, Simoncelli, Riesz) returns zero, for
    /// the boundary conditions that keep the image constant.
    #[test]
    fn constant_images(spec in linear_spec(), shape in (1usize..6, 1usize..6, 1usize..6), c in -500.0f64..500.0, step in -50.0f64..50.0,
                       b in prop_oneof![Just(Boundary::Nearest), Just(Boundary::Periodic), Just(Boundary::Mirror)]) {
        let spec = with_boundary(&spec, b);
        let slice = matches!(&spec,
            FilterSpec::Mean { dimensions: Dimensions::Slice, .. } | FilterSpec::Log { dimensions: Dimensions::Slice, .. }
            | FilterSpec::Laws { dimensions: Dimensions::Slice, .. } | FilterSpec::Wavelet { dimensions: Dimensions::Slice, .. }
            | FilterSpec::Simoncelli { dimensions: Dimensions::Slice, .. });
        let img = Array3::from_shape_fn(shape, |(z, _, _)| c + if slice { z as f64 * step } else { 0.0 });
        let out = apply(&spec, &img, [2.0, 1.0, 1.0]).unwrap();
        let zero = match &spec {
            FilterSpec::Mean { .. } => false,
            FilterSpec::Log { .. } | FilterSpec::Simoncelli { .. } => true,
            FilterSpec::Laws { kernel, .. } => !kernel.chars().step_by(2).all(|ch| ch == 'L'),
            FilterSpec::Wavelet { subband, .. } => subband.contains('H'),
            FilterSpec::Gabor { .. } => false,
        };
        let mean = matches!(spec, FilterSpec::Mean { .. });
        for ((z, y, x), v) in out.indexed_iter() {
            if zero {
                prop_assert!(v.abs() <= 1e-9 * (1.0 + c.abs() + step.abs() * 5.0), "{}: {} vs 0", spec.canonical_name(), v);
            } else if mean {
                prop_assert!((v - img[[z, y, x]]).abs() <= 1e-9 * (1.0 + c.abs() + step.abs() * 5.0));
            } else {
                // Low-pass only: constant within each slice.
                let first = out[[z, 0, 0]];
                prop_assert!((v - first).abs() <= 1e-9 * (1.0 + first.abs()), "{}", spec.canonical_name());
            }
        }
    }

    /// With periodic boundaries, filtering commutes with circular shifts of the image.
    #[test]
    fn periodic_filtering_commutes_with_shifts(spec in linear_spec(), f in volume(6), s in (0usize..6, 0usize..6, 0usize..6)) {
        let spec = with_boundary(&spec, Boundary::Periodic);
        let (nz, ny, nx) = f.dim();
        let shift = |a: &Array3<f64>| Array3::from_shape_fn(a.dim(), |(z, y, x)| a[[(z + s.0) % nz, (y + s.1) % ny, (x + s.2) % nx]]);
        let a = apply(&spec, &shift(&f), [1.0; 3]).unwrap();
        let b = shift(&apply(&spec, &f, [1.0; 3]).unwrap());
        close(&a, &b, 1e-9)?;
    }

    /// The mean filter is a convex combination of the (extended) image.
    #[test]
    fn mean_stays_within_the_extended_range(f in volume(6), h in 0usize..4, b in boundary(), d in dims()) {
        let spec = FilterSpec::Mean { support: 2 * h + 1, boundary: b, dimensions: d };
        let out = apply(&spec, &f, [1.0; 3]).unwrap();
        let mut lo = f.iter().copied().fold(f64::INFINITY, f64::min);
        let mut hi = f.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if b == Boundary::Zero {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        for v in out.iter() {
            prop_assert!(*v >= lo - 1e-9 && *v <= hi + 1e-9);
        }
    }

    /// Rotation-invariant Laws and wavelet filters (3D) are equivariant under right-angle
    /// rotations of a cubic image: rotating the image rotates the response.
    #[test]
    fn invariant_separable_filters_are_rotation_equivariant(
        f in cube(5), b in boundary(), k in laws_name(Dimensions::Volume), fam in family(),
        sb in subband(Dimensions::Volume), pooling in prop_oneof![Just(Pooling::Average), Just(Pooling::Max), Just(Pooling::Min)],
        energy in proptest::option::of(0usize..3)
    ) {
        let specs = [
            FilterSpec::Laws { kernel: k, boundary: b, dimensions: Dimensions::Volume, rotation_invariant: true, pooling, energy_delta: energy },
            FilterSpec::Wavelet { family: fam, subband: sb, level: 1, boundary: b, dimensions: Dimensions::Volume, rotation_invariant: true, pooling },
        ];
        for spec in &specs {
            let r = apply(spec, &f, [1.0; 3]).unwrap();
            close(&apply(spec, &rot_z(&f), [1.0; 3]).unwrap(), &rot_z(&r), 1e-9)?;
            close(&apply(spec, &rot_x(&f), [1.0; 3]).unwrap(), &rot_x(&r), 1e-9)?;
        }
    }

    /// The rotation-invariant 3D Gabor filter (pooled over angles and orthogonal planes) is
    /// equivariant under right-angle rotations; the 2D one under in-plane rotations.
    #[test]
    fn invariant_gabor_is_rotation_equivariant(f in cube(5), b in boundary(), sigma in 1.0f64..4.0, lambda in 1.0f64..6.0,
                                               gamma in 0.5f64..2.0, step in prop_oneof![Just(45.0), Just(90.0), Just(22.5)],
                                               pooling in prop_oneof![Just(Pooling::Average), Just(Pooling::Max)], d in dims()) {
        let spec = FilterSpec::Gabor {
            sigma_mm: sigma, lambda_mm: lambda, gamma, theta_deg: 0.0, boundary: b, dimensions: d,
            rotation_invariant: true, theta_step_deg: Some(step), pooling, truncate: 4.0,
        };
        let r = apply(&spec, &f, [1.0; 3]).unwrap();
        close(&apply(&spec, &rot_z(&f), [1.0; 3]).unwrap(), &rot_z(&r), 1e-9)?;
        if d == Dimensions::Volume {
            close(&apply(&spec, &rot_x(&f), [1.0; 3]).unwrap(), &rot_x(&r), 1e-9)?;
        }
    }

    /// Max pooling over rotations is at least the response of the unrotated kernel; the
    /// average pooled response lies between the min- and max-pooled responses.
    #[test]
    fn pooling_orders(f in volume(5), b in boundary(), k in laws_name(Dimensions::Volume)) {
        let mk = |inv: bool, pooling| FilterSpec::Laws { kernel: k.clone(), boundary: b, dimensions: Dimensions::Volume, rotation_invariant: inv, pooling, energy_delta: None };
        let plain = apply(&mk(false, Pooling::Max), &f, [1.0; 3]).unwrap();
        let mx = apply(&mk(true, Pooling::Max), &f, [1.0; 3]).unwrap();
        let mn = apply(&mk(true, Pooling::Min), &f, [1.0; 3]).unwrap();
        let avg = apply(&mk(true, Pooling::Average), &f, [1.0; 3]).unwrap();
        for (((p, x), n), a) in plain.iter().zip(mx.iter()).zip(mn.iter()).zip(avg.iter()) {
            prop_assert!(*x >= p - 1e-9 && *n <= p + 1e-9);
            prop_assert!(*a >= n - 1e-9 && *a <= x + 1e-9);
        }
    }

    /// Filtering is deterministic: two runs give bit-identical maps.
    #[test]
    fn filtering_is_deterministic(spec in linear_spec(), f in volume(5)) {
        let a = apply(&spec, &f, [1.0; 3]).unwrap();
        let b = apply(&spec, &f, [1.0; 3]).unwrap();
        prop_assert!(a.iter().zip(b.iter()).all(|(p, q)| p.to_bits() == q.to_bits()));
    }
}
