//! IBSI 2 (convolutional filters) end to end: the phase 1 reference response maps through
//! the shipped presets, the phase 2 feature values of the CT phantom through the whole
//! pipeline, the exactness of filtering the prepared crop, and the `radx filter` and
//! `radx validate` commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use radx_check::compliance::complies;
use radx_check::{ibsi2, ReferenceData};
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

/// Phase 2 rows radx does not match. Both are statistics of zero-centred Simoncelli
/// response maps that hinge on the tiny offset of the central quantiles: the quartile
/// coefficient of dispersion `(P75 - P25) / (P75 + P25)` of 8.A divides by a sum of about
/// -0.06, and the median of 9.B is 0.29 on a response with standard deviation 74.
///
/// Cause: configurations 8 and 9 specify mirror padding (oncoray/mirp
/// `test/ibsi_2_feature_test.py`: `boundary_condition="reflect"`), which radx applies, but
/// the implementations whose values make the consensus do not pad this filter: MIRP builds
/// the Simoncelli transfer function at the size of the image and filters without padding
/// (`mirp/_imagefilters/nonseparable_wavelet.py`, `pad_image=False`), King's College
/// London's `filter_Simoncelli_2D/3D(image, level)` take no padding argument
/// (ChrisRookyard/KCL-IBSI-2), and Qurit SERA's 8.A values equal KCL's to seven digits.
/// With the periodic boundary (no padding) radx reproduces all 71 consensus rows of
/// 8.A-9.B and the values MIRP submitted
/// ([`phase2_simoncelli_references_follow_the_unpadded_transform`]). With mirror padding
/// both values move with the unsourced padding width `fourier_margin` (8.A `stat_qcod`
/// -351 to -479, 9.B `stat_median` 0.245 to 0.317 over 0 to 64 voxels); radx keeps its
/// margin of 16 rather than choose one by the score.
const KNOWN_MISSES: &[(&str, &str)] = &[("8.A", "stat_qcod"), ("9.B", "stat_median")];

#[test]
fn phase2_feature_values_of_the_ct_phantom() {
    let data = ReferenceData::ibsi().unwrap();
    let rows = ibsi2::read_ibsi2_table(&data.verified(ibsi2::FEATURE_TABLE).unwrap()).unwrap();
    assert_eq!(rows.len(), 323);
    let tables = ibsi2::phase2_tables(&data, &radx_pipeline::builtin_registry()).unwrap();
    let mut misses = Vec::new();
    let mut failures = Vec::new();
    for r in &rows {
        let value = tables[&r.filter_id]
            .rows
            .iter()
            .find(|x| x.tag == r.tag)
            .and_then(|x| x.value)
            .unwrap_or_else(|| panic!("{} {}: not computed", r.filter_id, r.tag));
        if complies(value, r.value, r.tolerance) {
            continue;
        }
        println!(
            "miss {} {}: {value} vs {} ± {}",
            r.filter_id, r.tag, r.value, r.tolerance
        );
        misses.push((r.filter_id.as_str(), r.tag.as_str()));
        // an explained miss still lies near its reference
        if (value - r.value).abs() > 3.0 * r.tolerance {
            failures.push(format!(
                "{} {}: {value} vs {} ± {}",
                r.filter_id, r.tag, r.value, r.tolerance
            ));
        }
    }
    println!("{} of {} rows match", rows.len() - misses.len(), rows.len());
    // every row within tolerance except exactly the explained misses
    assert_eq!(
        misses, KNOWN_MISSES,
        "the misses changed: update KNOWN_MISSES and the README"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Consensus values of the Simoncelli configurations and the values the MIRP
/// implementation (team NCT Dresden) submitted for them, from the IBSI 2 phase 2
/// submissions (theibsi/ibsi_2_data_analysis, `results/phase_2/20230111.csv`):
/// `(configuration, tag, MIRP's value)`.
const MIRP_PHASE2_VALUES: &[(&str, &str, f64)] = &[
    ("8.A", "stat_qcod", -426.567386318445),
    ("8.A", "stat_median", -0.0322713750129835),
    ("9.A", "stat_median", 0.140280027261507),
    ("9.B", "stat_median", 0.232728649422583),
    ("9.B", "stat_qcod", 47.3905432338626),
];

/// The evidence for [`KNOWN_MISSES`]: with the boundary of the Simoncelli filter switched
/// from mirror to periodic (the image transformed without padding, as MIRP and KCL do),
/// configurations 8.A, 8.B, 9.A and 9.B match every consensus row, the two misses included,
/// and agree with MIRP's submitted values to 0.1%; with mirror padding they do not.
#[test]
fn phase2_simoncelli_references_follow_the_unpadded_transform() {
    let data = ReferenceData::ibsi().unwrap();
    let rows = ibsi2::read_ibsi2_table(&data.verified(ibsi2::FEATURE_TABLE).unwrap()).unwrap();
    let image = data.verified(ibsi2::CT_IMAGE).unwrap();
    let mask = data.verified(ibsi2::CT_MASK).unwrap();
    let extract = |settings: &Settings| {
        let labels = radx_pipeline::CaseLabels {
            case: "ibsi2-ct-phantom".into(),
            roi: "GTV-1".into(),
            image: "original".into(),
        };
        radx_pipeline::extract_files(
            &image,
            &mask,
            radx_io::MaskSelector::NonZero,
            settings,
            &radx_pipeline::builtin_registry(),
            &labels,
        )
        .unwrap()
        .0
    };
    let value = |table: &radx_core::FeatureTable, id: &str, tag: &str| {
        table
            .rows
            .iter()
            .find(|x| x.image != "original" && x.tag == tag)
            .and_then(|x| x.value)
            .unwrap_or_else(|| panic!("{id} {tag}: not computed"))
    };
    for (id, preset) in [
        ("8.A", "ibsi2-8a"),
        ("8.B", "ibsi2-8b"),
        ("9.A", "ibsi2-9a"),
        ("9.B", "ibsi2-9b"),
    ] {
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
        let table = extract(&settings);
        let refs: Vec<_> = rows.iter().filter(|r| r.filter_id == id).collect();
        assert!(refs.len() >= 17, "{id}");
        for r in refs {
            let v = value(&table, id, &r.tag);
            assert!(
                complies(v, r.value, r.tolerance),
                "{id} {} with periodic extension: {v} vs {} ± {}",
                r.tag,
                r.value,
                r.tolerance
            );
        }
        for &(_, tag, mirp) in MIRP_PHASE2_VALUES.iter().filter(|m| m.0 == id) {
            let v = value(&table, id, tag);
            assert!(
                ((v - mirp) / mirp).abs() < 1e-3,
                "{id} {tag}: radx without padding {v}, MIRP {mirp}"
            );
        }
    }
    // and the shipped (mirror-padded) presets are where the two misses come from
    let mirrored = extract(&Settings::preset("ibsi2-9b").unwrap());
    let median = value(&mirrored, "9.B", "stat_median");
    assert!((median - 0.232728649422583).abs() > 0.046, "{median}");
}

/// The presets are the single source of the IBSI 2 configurations: radx-filters and the
/// checker list the same tests, each phase 1 preset filters the phantom as it is, and each
/// phase 2 preset has the processing chain of its configuration.
#[test]
fn presets_hold_the_reference_configurations() {
    let phase1 = radx_filters::ibsi2_phase1_tests();
    assert_eq!(phase1.len(), 33);
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
        assert_eq!(spec.is_none(), id.starts_with('1'), "{preset}");
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
        if let Some(spec) = spec {
            let want = if three_d { "3d" } else { "2d" };
            let json = serde_json::to_value(spec).unwrap();
            assert_eq!(json["dimensions"], want, "{preset}");
            assert_eq!(json["boundary"], "mirror", "{preset}");
        }
    }
}

/// Text of a shipped preset.
fn preset_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/radx-core/presets")
        .join(format!("{name}.toml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every value of every IBSI 2 preset cites its source: a `# [TAG]` comment beside it,
/// each tag defined in the preset's header, and every filter parameter is written out
/// (none is left to a default; pooling without rotation invariance does nothing).
#[test]
fn ibsi2_presets_cite_a_source_for_every_value() {
    let presets: Vec<&str> = ibsi2::PHASE1
        .iter()
        .map(|p| p.1)
        .chain(ibsi2::PHASE2.iter().map(|p| p.1))
        .collect();
    assert_eq!(presets.len(), 51);
    for preset in presets {
        let text = preset_text(preset);
        let defined: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# ["))
            .filter_map(|l| l.split(']').next())
            .collect();
        assert!(!defined.is_empty(), "{preset}: no sources listed");
        let mut written = Vec::new();
        let mut in_filter = false;
        for line in text.lines().skip(1) {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with('[') {
                in_filter = line == "[[filters.maps]]";
                continue;
            }
            let (assignment, comment) = line
                .split_once('#')
                .unwrap_or_else(|| panic!("{preset}: `{line}` cites no source"));
            let cited: Vec<&str> = comment
                .split('[')
                .skip(1)
                .filter_map(|c| c.split(']').next())
                .filter(|c| {
                    !c.is_empty()
                        && c.chars()
                            .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '-')
                })
                .collect();
            assert!(!cited.is_empty(), "{preset}: `{line}` cites no source");
            for c in cited {
                assert!(
                    defined.contains(&c),
                    "{preset}: `{line}` cites undefined [{c}]"
                );
            }
            if in_filter {
                written.push(assignment.split('=').next().unwrap().trim().to_string());
            }
        }
        for spec in Settings::preset(preset).unwrap().filters.maps {
            let json = serde_json::to_value(&spec).unwrap();
            for key in json.as_object().unwrap().keys() {
                // pooling only acts with rotation invariance
                if key == "pooling" && json["rotation_invariant"] == false {
                    continue;
                }
                assert!(
                    written.contains(key),
                    "{preset}: `{key}` is left to its default"
                );
            }
        }
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
    // writing a default out (`fourier_margin = 16`, `truncate = 4.0`) keeps the id
    assert_eq!(
        Settings::preset("ibsi2-9b").unwrap().id(),
        "80e2b6942abeee5f30356a1a0bb97ad5c055aaf12db29e16e21d4f2729548580"
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
    assert!(
        text.contains("filters-features: 321 of 323 matched"),
        "{text}"
    );
    // exit status 0 exactly when every row matches: not here
    assert!(!o.status.success(), "{text}");
    for (id, tag) in KNOWN_MISSES {
        assert!(text.contains(&format!("miss {id} {tag}")), "{text}");
    }
    assert_eq!(text.matches("miss ").count(), KNOWN_MISSES.len(), "{text}");
}
