//! IBSI 2 (convolutional filters) end to end: the phase 1 reference response maps through
//! the shipped presets, the phase 2 feature values of the CT phantom through the whole
//! pipeline, the exactness of filtering the prepared crop, and the `radx filter` and
//! `radx validate` commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use radx_check::{ibsi2, ReferenceData};
use radx_core::compliance::complies;
use radx_core::{Grid, Settings};

fn radx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .output()
        .expect("radx runs")
}

fn data(rel: &str) -> PathBuf {
    radx_testkit::data(rel)
}

#[test]
fn all_33_phase1_reference_maps_comply_through_the_presets() {
    let (report, maps) = ibsi2::validate_maps(&ReferenceData::ibsi().unwrap()).unwrap();
    assert_eq!(maps.len(), 33);
    for m in &maps {
        println!("{:7} {:.4}% {}", m.test, 100.0 * m.max_deviation, m.filter);
        assert!(
            m.max_deviation <= 0.01,
            "{} ({}): worst voxel {:?} deviates {:.3}% of the reference range (computed {}, reference {})",
            m.test,
            m.filter,
            m.at,
            100.0 * m.max_deviation,
            m.computed,
            m.reference
        );
    }
    assert_eq!((report.matched, report.total), (33, 33));
}

/// Phase 2 rows radx does not match, with the reason. Both are statistics of Simoncelli
/// response maps, centred on zero, that hinge on the tiny offset of the central quantiles:
/// the quartile coefficient of dispersion `(P75 - P25) / (P75 + P25)` of 8.A divides by a
/// sum of about -0.06, and the median of 9.B is 0.29 on a response with standard deviation
/// 74. Every other statistic of configurations 8 and 9 agrees within tolerance, and each of
/// the two stays within three tolerances of the reference, which this test still asserts.
///
/// Cause: the phase 2 consensus values of configurations 8 and 9 were obtained with the
/// Simoncelli transfer function applied to the DFT of the unpadded image, i.e. with an
/// implicitly periodic boundary, whereas the configurations (and radx) use mirror padding.
/// Filtering with periodic extension instead reproduces all 71 rows of 8.A-9.B, most to
/// within 0.1 tolerance (8.A qcod -426.5, 9.B median 0.2326); see
/// [`phase2_simoncelli_references_follow_the_unpadded_transform`]. Mirror padding is kept:
/// it is what the configurations specify, and the phase 1 reference map of the mirrored
/// Simoncelli-Riesz test 10.b.1 needs it (worst voxel 0.20% of the range with mirror
/// padding, 0.89% with periodic extension).
const KNOWN_MISSES: &[(&str, &str)] = &[("8.A", "stat_qcod"), ("9.B", "stat_median")];

#[test]
fn phase2_feature_values_of_the_ct_phantom() {
    let data = ReferenceData::ibsi().unwrap();
    let rows = ibsi2::read_ibsi2_table(&data.verified(ibsi2::FEATURE_TABLE).unwrap()).unwrap();
    assert_eq!(rows.len(), 323);
    let tables = ibsi2::phase2_tables(&data, &radx_pipeline::builtin_registry()).unwrap();
    let mut matched = 0;
    let mut failures = Vec::new();
    for r in &rows {
        let value = tables[&r.filter_id]
            .rows
            .iter()
            .find(|x| x.tag == r.tag)
            .and_then(|x| x.value)
            .unwrap_or_else(|| panic!("{} {}: not computed", r.filter_id, r.tag));
        if complies(value, r.value, r.tolerance) {
            matched += 1;
            continue;
        }
        let known = KNOWN_MISSES.contains(&(r.filter_id.as_str(), r.tag.as_str()));
        println!(
            "miss {} {}: {value} vs {} ± {}{}",
            r.filter_id,
            r.tag,
            r.value,
            r.tolerance,
            if known { " (known)" } else { "" }
        );
        if !known || (value - r.value).abs() > 3.0 * r.tolerance {
            failures.push(format!(
                "{} {}: {value} vs {} ± {}",
                r.filter_id, r.tag, r.value, r.tolerance
            ));
        }
    }
    println!("{matched} of {} rows match", rows.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(matched >= rows.len() - KNOWN_MISSES.len());
}

/// The cause of [`KNOWN_MISSES`]: with the boundary of their Simoncelli filter switched
/// from mirror to periodic (no padding), configurations 8.A and 9.B match every row of the
/// reference table, the two known misses included.
#[test]
fn phase2_simoncelli_references_follow_the_unpadded_transform() {
    let data = ReferenceData::ibsi().unwrap();
    let rows = ibsi2::read_ibsi2_table(&data.verified(ibsi2::FEATURE_TABLE).unwrap()).unwrap();
    let image = data.verified(ibsi2::CT_IMAGE).unwrap();
    let mask = data.verified(ibsi2::CT_MASK).unwrap();
    for (id, preset) in [("8.A", "ibsi2-8a"), ("9.B", "ibsi2-9b")] {
        let mut settings = Settings::preset(preset).unwrap();
        for spec in &mut settings.filters.maps {
            match spec {
                radx_filters::FilterSpec::Simoncelli { boundary, .. } => {
                    assert_eq!(*boundary, radx_filters::Boundary::Mirror, "{preset}");
                    *boundary = radx_filters::Boundary::Periodic;
                }
                other => panic!("{preset}: unexpected filter {other:?}"),
            }
        }
        let labels = radx_pipeline::CaseLabels {
            case: "ibsi2-ct-phantom".into(),
            roi: "GTV-1".into(),
            image: "original".into(),
        };
        let (table, _) = radx_pipeline::extract_files(
            &image,
            &mask,
            radx_io::MaskSelector::NonZero,
            &settings,
            &radx_pipeline::builtin_registry(),
            &labels,
        )
        .unwrap();
        let refs: Vec<_> = rows.iter().filter(|r| r.filter_id == id).collect();
        assert_eq!(refs.len(), 18, "{id}");
        for r in refs {
            let value = table
                .rows
                .iter()
                .find(|x| x.image != "original" && x.tag == r.tag)
                .and_then(|x| x.value)
                .unwrap_or_else(|| panic!("{id} {}: not computed", r.tag));
            assert!(
                complies(value, r.value, r.tolerance),
                "{id} {} with periodic extension: {value} vs {} ± {}",
                r.tag,
                r.value,
                r.tolerance
            );
        }
    }
}

/// The presets hold exactly the filters of the radx-filters reference configurations.
#[test]
fn presets_hold_the_reference_configurations() {
    let phase1 = radx_filters::ibsi2_phase1_tests();
    assert_eq!(phase1.len(), ibsi2::PHASE1.len());
    for ((id, phantom, spec), (tid, preset, pphantom)) in phase1.iter().zip(ibsi2::PHASE1) {
        assert_eq!((id, phantom), (tid, pphantom));
        let s = Settings::preset(preset).unwrap();
        assert_eq!(s.filters.maps, vec![spec.clone()], "{preset}");
        assert!(s.interpolation.spacing_mm.is_none() && !s.input.round_intensities);
    }
    let phase2 = radx_filters::ibsi2_phase2_configs();
    assert_eq!(phase2.len(), ibsi2::PHASE2.len());
    for ((id, spec), (pid, preset)) in phase2.iter().zip(ibsi2::PHASE2) {
        assert_eq!(id, pid);
        let s = Settings::preset(preset).unwrap();
        assert_eq!(s.filters.maps, spec.iter().cloned().collect::<Vec<_>>());
        assert_eq!(s.features.families, ["intensity_stats"]);
        assert_eq!(
            (s.resegmentation.min, s.resegmentation.max),
            (Some(-1000.0), Some(400.0))
        );
        // 2D configurations keep the original voxels, 3D ones go to 1 mm.
        let three_d = id.ends_with('B');
        assert_eq!(
            s.interpolation.spacing_mm,
            three_d.then_some([1.0, 1.0, 1.0]),
            "{preset}"
        );
    }
}

#[test]
fn existing_settings_ids_are_unchanged() {
    assert_eq!(
        Settings::preset("ibsi-config-e").unwrap().id(),
        "4fa3d547bf03bcd4bfca932b41ad1c43689395470a568b89e611773ca821469e"
    );
    assert_eq!(
        Settings::preset("ibsi-digital-phantom").unwrap().id(),
        "408d4736f2ce600ed0970b94963a9f4a0d346a3d4e8ca5491de92d1d068aba08"
    );
}

/// Index (z, y, x) in `outer` of voxel (0, 0, 0) of `inner` (same spacing and direction).
fn offset_in(outer: &Grid, inner: &Grid) -> [usize; 3] {
    let d: [f64; 3] = std::array::from_fn(|r| inner.origin_xyz[r] - outer.origin_xyz[r]);
    let ijk: [f64; 3] = std::array::from_fn(|c| (0..3).map(|r| outer.direction[r][c] * d[r]).sum());
    let idx = [
        ijk[2] / outer.spacing_zyx[0],
        ijk[1] / outer.spacing_zyx[1],
        ijk[0] / outer.spacing_zyx[2],
    ];
    for v in idx {
        assert!(
            (v - v.round()).abs() < 1e-6,
            "crop not on the grid: {idx:?}"
        );
    }
    idx.map(|v| v.round() as usize)
}

/// The response on the prepared crop equals the response of the whole image there, for
/// filters of finite reach (filtered on the widened crop) and of unbounded support
/// (filtered on the whole image), with and without interpolation.
#[test]
fn response_on_the_crop_equals_whole_image_filtering() {
    let image = radx_io::read_image(&data(ibsi2::CT_IMAGE)).unwrap();
    let mask = radx_io::read_mask(&data(ibsi2::CT_MASK), radx_io::MaskSelector::NonZero).unwrap();
    let maps = r#"
[[filters.maps]]
type = "mean"
support = 5
dimensions = "2d"
[[filters.maps]]
type = "log"
sigma_mm = 3.0
boundary = "zero"
[[filters.maps]]
type = "wavelet"
family = "db3"
subband = "HHL"
level = 2
rotation_invariant = true
[[filters.maps]]
type = "laws"
kernel = "L5E5E5"
energy_delta = 3
[[filters.maps]]
type = "simoncelli"
level = 1
"#;
    for chain in [
        "[input]\nround_intensities = true\n",
        "[input]\nround_intensities = true\n[interpolation]\nspacing_mm = [2.0, 2.0, 2.0]\nimage_method = \"cubic_spline\"\nround_intensities = true\n",
    ] {
        let text = format!("radx_settings = 1\n{chain}[resegmentation]\nmin = -1000.0\nmax = 400.0\n{maps}");
        let settings = Settings::from_toml_str(&text, "exactness").unwrap();
        let (prepared, responses) =
            radx_process::prepare_filtered(image.clone(), mask.clone(), &settings).unwrap();
        // the original image's crop is what prepare() gives
        let plain = radx_process::prepare(image.clone(), mask.clone(), &settings).unwrap();
        assert_eq!(plain.roi.image, prepared.roi.image);
        assert_eq!(plain.roi.intensity, prepared.roi.intensity);
        let whole = radx_process::filter_whole_image(image.clone(), &settings, None).unwrap();
        assert_eq!(responses.len(), 5);
        for (rm, (name, w)) in responses.iter().zip(&whole) {
            assert_eq!(&rm.name, name);
            let crop = &rm.prepared.roi;
            assert_eq!(crop.grid, prepared.roi.grid);
            // masks: those of the original image (re-segmented on unfiltered intensities)
            assert_eq!(crop.intensity, prepared.roi.intensity);
            assert_eq!(crop.morphological, prepared.roi.morphological);
            let o = offset_in(&w.grid, &crop.grid);
            let [nz, ny, nx] = crop.grid.shape_zyx;
            let part = w
                .data
                .slice(ndarray::s![o[0]..o[0] + nz, o[1]..o[1] + ny, o[2]..o[2] + nx]);
            let worst = part
                .iter()
                .zip(crop.image.iter())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            let scale = part.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1.0);
            // finite kernels: the same sums in the same order; Fourier filters: the same
            // FFTs on the same image
            assert!(worst <= 1e-9 * scale, "{name}: crop differs by {worst}");
        }
    }
}

#[test]
fn radx_filter_writes_the_response_map_on_the_image_grid() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("log.nii.gz");
    let phantom = data("ibsi_2_digital_phantom/nifti/impulse/image/impulse.nii.gz");
    let o = radx(&[
        "filter",
        "--image",
        phantom.to_str().unwrap(),
        "--preset",
        "ibsi2-phase1-2a",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written = radx_io::read_image(&out).unwrap();
    let input = radx_io::read_image(&phantom).unwrap();
    assert_eq!(written.grid.mismatch(&input.grid, 1e-4), None);
    let spec = &Settings::preset("ibsi2-phase1-2a").unwrap().filters.maps[0];
    let want = radx_filters::apply(spec, &input.data, input.grid.spacing_zyx).unwrap();
    assert_eq!(written.data, want.mapv(|v| v as f32 as f64));

    // with interpolation the map is on the interpolated grid
    let settings = dir.path().join("s.toml");
    std::fs::write(
        &settings,
        "radx_settings = 1\n[interpolation]\nspacing_mm = [3.0, 3.0, 3.0]\n\
         [[filters.maps]]\ntype = \"mean\"\nsupport = 3\n\
         [[filters.maps]]\ntype = \"laws\"\nkernel = \"L5E5\"\ndimensions = \"2d\"\n",
    )
    .unwrap();
    let out2 = dir.path().join("two.nii");
    let o = radx(&[
        "filter",
        "-i",
        phantom.to_str().unwrap(),
        "-s",
        settings.to_str().unwrap(),
        "--filter-index",
        "1",
        "-o",
        out2.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let w = radx_io::read_image(&out2).unwrap();
    assert_eq!(w.grid.spacing_zyx, [3.0; 3]);
    assert_eq!(w.grid.shape_zyx, [43; 3]); // 64 voxels of 2 mm -> 128 mm / 3 mm, rounded
                                           // both maps: written beside --out under their names
    let o = radx(&[
        "filter",
        "-i",
        phantom.to_str().unwrap(),
        "-s",
        settings.to_str().unwrap(),
        "-o",
        dir.path().join("all.nii.gz").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("all_mean_m3_3d.nii.gz").is_file());
    assert!(dir.path().join("all_laws_l5e5_2d.nii.gz").is_file());
}

#[test]
fn filter_errors_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "radx_settings = 1\n[[filters.maps]]\ntype = \"mean\"\nsupport = 4\n",
    )
    .unwrap();
    let o = radx(&["settings", "check", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("bad.toml") && err.contains("filters.maps[0]") && err.contains("odd"),
        "{err}"
    );
    let phantom = data("ibsi_2_digital_phantom/nifti/impulse/image/impulse.nii.gz");
    let out = dir.path().join("x.nii.gz");
    // no filter in the settings
    let o = radx(&[
        "filter",
        "-i",
        phantom.to_str().unwrap(),
        "--preset",
        "ibsi-config-a",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no filter"));
    // filter index out of range
    let o = radx(&[
        "filter",
        "-i",
        phantom.to_str().unwrap(),
        "--preset",
        "ibsi2-3a",
        "--filter-index",
        "3",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("filter index 3") && err.contains("impulse.nii.gz"),
        "{err}"
    );
    // not a NIfTI output name
    let o = radx(&[
        "filter",
        "-i",
        phantom.to_str().unwrap(),
        "--preset",
        "ibsi2-3a",
        "-o",
        dir.path().join("x.csv").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("x.csv"));
    assert!(!Path::new(&out).exists());
}

#[test]
fn radx_validate_ibsi2_sets() {
    let o = radx(&["validate", "ibsi", "--set", "filters-maps"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("filters-maps: 33 of 33 matched"), "{text}");
    let o = radx(&["validate", "ibsi", "--set", "filters-features"]);
    let text = String::from_utf8_lossy(&o.stdout);
    let all = text.contains("filters-features: 323 of 323 matched");
    assert!(text.contains("of 323 matched"), "{text}");
    // exit status 0 exactly when every row matches
    assert_eq!(o.status.success(), all, "{text}");
    for (id, tag) in KNOWN_MISSES {
        if !all {
            assert!(text.contains(&format!("miss {id} {tag}")), "{text}");
        }
    }
}
