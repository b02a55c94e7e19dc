//! The filter specification: TOML form, defaults, validation and canonical names.

use radx_filters::{apply, Boundary, Dimensions, FilterError, FilterSpec, Pooling, WaveletFamily};

#[derive(serde::Deserialize)]
struct Doc {
    filter: Vec<FilterSpec>,
}

fn parse(text: &str) -> Result<Vec<FilterSpec>, toml::de::Error> {
    toml::from_str::<Doc>(text).map(|d| d.filter)
}

#[test]
fn every_filter_type_parses_from_toml_with_defaults() {
    let specs = parse(
        r#"
        [[filter]]
        type = "mean"
        support = 5

        [[filter]]
        type = "log"
        sigma_mm = 1.5
        dimensions = "2d"

        [[filter]]
        type = "laws"
        kernel = "L5E5E5"
        rotation_invariant = true
        energy_delta = 7

        [[filter]]
        type = "gabor"
        sigma_mm = 5.0
        lambda_mm = 2.0
        gamma = 1.5
        rotation_invariant = true
        theta_step_deg = 22.5

        [[filter]]
        type = "wavelet"
        family = "db3"
        subband = "LLH"
        rotation_invariant = true

        [[filter]]
        type = "simoncelli"
        level = 2
        boundary = "periodic"

        [[filter]]
        type = "log"
        sigma_mm = 3
        boundary = "constant"
        riesz_order = [1, 0, 0]
        "#,
    )
    .unwrap();
    assert_eq!(specs.len(), 7);
    assert_eq!(
        specs[0],
        FilterSpec::Mean {
            support: 5,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume
        }
    );
    assert_eq!(
        specs[1],
        FilterSpec::Log {
            sigma_mm: 1.5,
            truncate: 4.0,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Slice,
            riesz_order: None,
            fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
        }
    );
    assert!(matches!(
        &specs[2],
        FilterSpec::Laws {
            pooling: Pooling::Max,
            energy_delta: Some(7),
            ..
        }
    ));
    assert!(
        matches!(&specs[3], FilterSpec::Gabor { pooling: Pooling::Average, theta_deg, truncate, .. } if *theta_deg == 0.0 && *truncate == 4.0)
    );
    assert!(matches!(
        &specs[4],
        FilterSpec::Wavelet {
            family: WaveletFamily::Db3,
            level: 1,
            pooling: Pooling::Average,
            ..
        }
    ));
    assert!(matches!(
        &specs[5],
        FilterSpec::Simoncelli {
            level: 2,
            boundary: Boundary::Periodic,
            riesz_order: None,
            ..
        }
    ));
    assert!(matches!(
        &specs[6],
        FilterSpec::Log {
            boundary: Boundary::Zero,
            riesz_order: Some([1, 0, 0]),
            ..
        }
    ));

    let names: Vec<String> = specs.iter().map(FilterSpec::canonical_name).collect();
    assert_eq!(
        names,
        [
            "mean_m5_3d",
            "log_s1.5mm_2d",
            "laws_l5e5e5_invar_max_energy_d7_3d",
            "gabor_s5mm_l2mm_g1.5_invar22.5deg_avg_3d",
            "wavelet_db3_llh_l1_invar_avg_3d",
            "simoncelli_l2_3d_periodic",
            "log_s3mm_riesz100_3d_zero",
        ]
    );
}

#[test]
fn unknown_keys_and_types_are_rejected() {
    let e = parse("[[filter]]\ntype = \"mean\"\nsupport = 5\nsize = 3\n").unwrap_err();
    assert!(e.to_string().contains("size"), "{e}");
    assert!(parse("[[filter]]\ntype = \"median\"\nsupport = 5\n").is_err());
    assert!(parse("[[filter]]\nsupport = 5\n").is_err());
    assert!(parse("[[filter]]\ntype = \"mean\"\nsupport = 5\nboundary = \"bounce\"\n").is_err());
    assert!(
        parse("[[filter]]\ntype = \"wavelet\"\nfamily = \"sym5\"\nsubband = \"LLH\"\n").is_err()
    );
}

#[test]
fn boundary_aliases_are_accepted() {
    for (word, want) in [
        ("zero", Boundary::Zero),
        ("constant", Boundary::Zero),
        ("nearest", Boundary::Nearest),
        ("periodic", Boundary::Periodic),
        ("wrap", Boundary::Periodic),
        ("mirror", Boundary::Mirror),
        ("reflect", Boundary::Mirror),
        ("symmetric", Boundary::Mirror),
    ] {
        let s = parse(&format!(
            "[[filter]]\ntype = \"mean\"\nsupport = 3\nboundary = \"{word}\"\n"
        ))
        .unwrap();
        assert!(
            matches!(s[0], FilterSpec::Mean { boundary, .. } if boundary == want),
            "{word}"
        );
    }
}

#[test]
fn specs_round_trip_through_toml() {
    for (_, _, spec) in radx_filters::ibsi2_phase1_tests() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct One {
            f: FilterSpec,
        }
        let text = toml::to_string(&One { f: spec.clone() }).unwrap();
        let back: One = toml::from_str(&text).unwrap();
        assert_eq!(back.f, spec, "{text}");
    }
}

#[test]
fn canonical_names_are_unique_across_the_reference_tests() {
    let tests = radx_filters::ibsi2_phase1_tests();
    let mut names: Vec<String> = tests.iter().map(|t| t.2.canonical_name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), tests.len());
}

#[test]
fn invalid_parameters_are_errors_not_panics() {
    let img = ndarray::Array3::<f64>::zeros((4, 5, 6));
    let bad = [
        FilterSpec::Mean {
            support: 4,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
        },
        FilterSpec::Mean {
            support: 0,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
        },
        FilterSpec::Log {
            sigma_mm: 0.0,
            truncate: 4.0,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            riesz_order: None,
            fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
        },
        FilterSpec::Log {
            sigma_mm: f64::NAN,
            truncate: 4.0,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            riesz_order: None,
            fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
        },
        FilterSpec::Log {
            sigma_mm: 1.0,
            truncate: 4.0,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Slice,
            riesz_order: Some([0, 0, 1]),
            fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
        },
        FilterSpec::Laws {
            kernel: "L5E5".into(),
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            rotation_invariant: false,
            pooling: Pooling::Max,
            energy_delta: None,
        },
        FilterSpec::Laws {
            kernel: "Q5E5E5".into(),
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            rotation_invariant: false,
            pooling: Pooling::Max,
            energy_delta: None,
        },
        FilterSpec::Gabor {
            sigma_mm: 1.0,
            lambda_mm: 1.0,
            gamma: 1.0,
            theta_deg: 0.0,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            rotation_invariant: true,
            theta_step_deg: None,
            pooling: Pooling::Average,
            truncate: 4.0,
        },
        FilterSpec::Gabor {
            sigma_mm: 1.0,
            lambda_mm: 1.0,
            gamma: 1.0,
            theta_deg: 0.0,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            rotation_invariant: true,
            theta_step_deg: Some(7.0),
            pooling: Pooling::Average,
            truncate: 4.0,
        },
        FilterSpec::Gabor {
            sigma_mm: 1.0,
            lambda_mm: -1.0,
            gamma: 1.0,
            theta_deg: 0.0,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            rotation_invariant: false,
            theta_step_deg: None,
            pooling: Pooling::Average,
            truncate: 4.0,
        },
        FilterSpec::Wavelet {
            family: WaveletFamily::Haar,
            subband: "LH".into(),
            level: 1,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            rotation_invariant: false,
            pooling: Pooling::Average,
        },
        FilterSpec::Wavelet {
            family: WaveletFamily::Haar,
            subband: "LLX".into(),
            level: 1,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            rotation_invariant: false,
            pooling: Pooling::Average,
        },
        FilterSpec::Wavelet {
            family: WaveletFamily::Haar,
            subband: "LLH".into(),
            level: 0,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            rotation_invariant: false,
            pooling: Pooling::Average,
        },
        FilterSpec::Simoncelli {
            level: 0,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            riesz_order: None,
            fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
        },
        FilterSpec::Simoncelli {
            level: 1,
            boundary: Boundary::Mirror,
            dimensions: Dimensions::Volume,
            riesz_order: Some([0, 0, 0]),
            fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
        },
    ];
    for spec in bad {
        assert!(
            matches!(
                apply(&spec, &img, [1.0; 3]),
                Err(FilterError::InvalidSpec { .. })
            ),
            "{spec:?}"
        );
    }
    // Kernels too large for the voxel spacing.
    let huge_log = FilterSpec::Log {
        sigma_mm: 1e4,
        truncate: 4.0,
        boundary: Boundary::Mirror,
        dimensions: Dimensions::Volume,
        riesz_order: Some([1, 0, 0]),
        fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
    };
    assert!(matches!(
        apply(&huge_log, &img, [1.0; 3]),
        Err(FilterError::InvalidSpec { .. })
    ));
    let huge_gabor = FilterSpec::Gabor {
        sigma_mm: 300.0,
        lambda_mm: 1.0,
        gamma: 0.1,
        theta_deg: 0.0,
        boundary: Boundary::Mirror,
        dimensions: Dimensions::Slice,
        rotation_invariant: false,
        theta_step_deg: None,
        pooling: Pooling::Average,
        truncate: 4.0,
    };
    assert!(matches!(
        apply(&huge_gabor, &img, [1.0; 3]),
        Err(FilterError::InvalidSpec { .. })
    ));
    let huge_mean = FilterSpec::Mean {
        support: 20_001,
        boundary: Boundary::Zero,
        dimensions: Dimensions::Volume,
    };
    assert!(matches!(
        apply(&huge_mean, &img, [1.0; 3]),
        Err(FilterError::InvalidSpec { .. })
    ));
    let ok = FilterSpec::Mean {
        support: 3,
        boundary: Boundary::Mirror,
        dimensions: Dimensions::Volume,
    };
    let empty = ndarray::Array3::<f64>::zeros((0, 5, 6));
    assert!(matches!(
        apply(&ok, &empty, [1.0; 3]),
        Err(FilterError::InvalidImage(_))
    ));
    let mut nan = img.clone();
    nan[[1, 1, 1]] = f64::NAN;
    assert!(matches!(
        apply(&ok, &nan, [1.0; 3]),
        Err(FilterError::InvalidImage(_))
    ));
    assert!(matches!(
        apply(&ok, &img, [1.0, 0.0, 1.0]),
        Err(FilterError::InvalidImage(_))
    ));
}

/// Every filter runs on degenerate shapes (one voxel, one slice, thin lines) with every
/// boundary condition, and gives finite values of the image's shape.
#[test]
fn degenerate_shapes_are_filtered() {
    let mut specs: Vec<FilterSpec> = radx_filters::ibsi2_phase1_tests()
        .into_iter()
        .map(|t| t.2)
        .collect();
    specs.extend(
        radx_filters::ibsi2_phase2_configs()
            .into_iter()
            .filter_map(|c| c.1),
    );
    for shape in [(1, 1, 1), (1, 4, 3), (5, 1, 1), (2, 3, 1), (3, 2, 7)] {
        let img =
            ndarray::Array3::from_shape_fn(shape, |(z, y, x)| (z * 7 + y * 3 + x) as f64 - 2.0);
        for spec in &specs {
            for b in [
                Boundary::Zero,
                Boundary::Nearest,
                Boundary::Periodic,
                Boundary::Mirror,
            ] {
                let mut s = spec.clone();
                match &mut s {
                    FilterSpec::Mean { boundary, .. }
                    | FilterSpec::Log { boundary, .. }
                    | FilterSpec::Laws { boundary, .. }
                    | FilterSpec::Gabor { boundary, .. }
                    | FilterSpec::Wavelet { boundary, .. }
                    | FilterSpec::Simoncelli { boundary, .. } => *boundary = b,
                }
                let out = apply(&s, &img, [2.0, 0.7, 0.7])
                    .unwrap_or_else(|e| panic!("{shape:?} {s:?}: {e}"));
                assert_eq!(out.dim(), shape);
                assert!(
                    out.iter().all(|v| v.is_finite()),
                    "{shape:?} {}",
                    s.canonical_name()
                );
            }
        }
    }
}

#[test]
fn reach_matches_the_kernels() {
    let mean = FilterSpec::Mean {
        support: 15,
        boundary: Boundary::Zero,
        dimensions: Dimensions::Slice,
    };
    assert_eq!(radx_filters::reach_voxels(&mean, [2.0; 3]), Some([0, 7, 7]));
    let log = FilterSpec::Log {
        sigma_mm: 3.0,
        truncate: 4.0,
        boundary: Boundary::Zero,
        dimensions: Dimensions::Volume,
        riesz_order: None,
        fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
    };
    assert_eq!(
        radx_filters::reach_voxels(&log, [2.0, 1.0, 1.0]),
        Some([6, 12, 12])
    );
    let laws = FilterSpec::Laws {
        kernel: "L5E5E5".into(),
        boundary: Boundary::Mirror,
        dimensions: Dimensions::Volume,
        rotation_invariant: true,
        pooling: Pooling::Max,
        energy_delta: Some(7),
    };
    assert_eq!(radx_filters::reach_voxels(&laws, [1.0; 3]), Some([9, 9, 9]));
    let wav = FilterSpec::Wavelet {
        family: WaveletFamily::Haar,
        subband: "HHH".into(),
        level: 2,
        boundary: Boundary::Mirror,
        dimensions: Dimensions::Volume,
        rotation_invariant: true,
        pooling: Pooling::Average,
    };
    assert_eq!(radx_filters::reach_voxels(&wav, [1.0; 3]), Some([3, 3, 3]));
    let sim = FilterSpec::Simoncelli {
        level: 1,
        boundary: Boundary::Mirror,
        dimensions: Dimensions::Volume,
        riesz_order: None,
        fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
    };
    assert_eq!(radx_filters::reach_voxels(&sim, [1.0; 3]), None);
}

/// `fourier_margin` states how far a Fourier-domain filter pads a non-periodic image: it
/// defaults to [`radx_filters::DEFAULT_FOURIER_MARGIN`], is named when it differs, changes
/// the response under mirror padding and not under the periodic boundary (no padding), and
/// is refused where it means nothing.
#[test]
fn fourier_margin_is_a_stated_convention() {
    let specs = parse(
        r#"
        [[filter]]
        type = "simoncelli"
        boundary = "mirror"

        [[filter]]
        type = "simoncelli"
        boundary = "mirror"
        fourier_margin = 4

        [[filter]]
        type = "log"
        sigma_mm = 2.0
        riesz_order = [1, 0, 0]
        fourier_margin = 0
        "#,
    )
    .unwrap();
    let margin = |s: &FilterSpec| match s {
        FilterSpec::Simoncelli { fourier_margin, .. } | FilterSpec::Log { fourier_margin, .. } => {
            *fourier_margin
        }
        _ => unreachable!(),
    };
    assert_eq!(margin(&specs[0]), radx_filters::DEFAULT_FOURIER_MARGIN);
    assert_eq!(margin(&specs[1]), 4);
    assert_eq!(specs[0].canonical_name(), "simoncelli_l1_3d");
    assert_eq!(specs[1].canonical_name(), "simoncelli_l1_fm4_3d");
    assert_eq!(specs[2].canonical_name(), "log_s2mm_riesz100_fm0_3d");
    // the default is not serialised (settings ids of existing manifests do not change)
    let json = serde_json::to_value(&specs[0]).unwrap();
    assert!(json.get("fourier_margin").is_none(), "{json}");
    assert_eq!(
        serde_json::to_value(&specs[1]).unwrap()["fourier_margin"],
        4
    );

    let img = ndarray::Array3::from_shape_fn((6, 20, 24), |(z, y, x)| {
        ((x * 7 + y * 3 + z * 5) % 11) as f64 + 0.1 * x as f64
    });
    let a = apply(&specs[0], &img, [2.0, 1.0, 1.0]).unwrap();
    let b = apply(&specs[1], &img, [2.0, 1.0, 1.0]).unwrap();
    assert!(a.iter().zip(b.iter()).any(|(u, v)| (u - v).abs() > 1e-6));
    let periodic = |s: &FilterSpec| {
        let mut s = s.clone();
        if let FilterSpec::Simoncelli { boundary, .. } = &mut s {
            *boundary = Boundary::Periodic;
        }
        apply(&s, &img, [2.0, 1.0, 1.0]).unwrap()
    };
    assert_eq!(periodic(&specs[0]), periodic(&specs[1]));

    let bad = parse(
        r#"
        [[filter]]
        type = "log"
        sigma_mm = 2.0
        fourier_margin = 3

        [[filter]]
        type = "simoncelli"
        fourier_margin = 1000000
        "#,
    )
    .unwrap();
    for spec in bad {
        let e = apply(&spec, &img, [1.0; 3]).unwrap_err().to_string();
        assert!(e.contains("fourier_margin"), "{e}");
    }
}
