//! `radx settings import-pyradiomics`: PyRadiomics parameter files (our own fixtures, covering
//! the keys of PyRadiomics' `examples/exampleSettings/*.yaml` and the other documented keys)
//! translate into valid radx manifests with every key accounted for.

use std::path::PathBuf;

use radx_check::pyradiomics_params::{import_pyradiomics_params, Import, ParamsError};
use radx_core::settings::{Discretisation, FbsOrigin, InterpolationMethod, TextureDimension};

fn fixture(name: &str) -> (String, Import) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pyradiomics-params")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let import = import_pyradiomics_params(&text, name).unwrap_or_else(|e| panic!("{e}"));
    (text, import)
}

/// Every `section.key` of a fixture (two-space indented YAML of depth <= 3).
fn keys_of(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut path: Vec<String> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('#') || t.starts_with('-') || t.is_empty() {
            continue;
        }
        let depth = (line.len() - t.len()) / 2;
        let Some((k, _)) = t.split_once(':') else {
            continue;
        };
        path.truncate(depth);
        path.push(k.to_string());
        if depth >= 1 {
            keys.push(path.join("."));
        }
    }
    keys
}

#[test]
fn every_fixture_translates_with_every_key_in_the_table() {
    for name in [
        "ct-filters.yaml",
        "mr-2d.yaml",
        "defaults.yaml",
        "voxel.yaml",
        "shape-only.yaml",
        "other-keys.yaml",
        "range.yaml",
    ] {
        let (text, import) = fixture(name);
        let listed: Vec<&str> = import.table.iter().map(|m| m.key.as_str()).collect();
        for key in keys_of(&text) {
            assert!(
                listed.contains(&key.as_str()),
                "{name}: `{key}` not in the table {listed:?}"
            );
        }
        for m in &import.table {
            assert!(
                m.radx.is_empty() != m.reason.is_empty(),
                "{name}: `{}` needs exactly one of a radx setting or a reason",
                m.key
            );
        }
        // The manifest parses back to the same settings.
        let again = radx_core::Settings::from_toml_str(&import.manifest(name), "again").unwrap();
        assert_eq!(again.id(), import.settings.id(), "{name}");
    }
}

#[test]
fn ct_example_sets_pyradiomics_conventions_and_maps() {
    let (_, i) = fixture("ct-filters.yaml");
    let s = &i.settings;
    assert_eq!(s.conventions.fbs_origin, FbsOrigin::Zero);
    assert_eq!(s.conventions.energy_shift, 1000.0);
    assert_eq!(
        s.conventions.grid_alignment,
        radx_core::settings::GridAlignment::OriginCorner
    );
    assert_eq!(
        s.conventions.mask_extrapolation,
        radx_core::settings::MaskExtrapolation::Zero
    );
    assert_eq!(
        s.discretisation.texture,
        Discretisation::Fbs {
            bin_width: 20.0,
            lower_bound: None
        }
    );
    assert_eq!(s.interpolation.spacing_mm, Some([1.5, 1.5, 1.5]));
    assert_eq!(
        s.interpolation.image_method,
        InterpolationMethod::CubicSpline
    );
    assert_eq!(s.interpolation.mask_method, InterpolationMethod::Nearest);
    assert_eq!(s.texture.dimensions, vec![TextureDimension::D3]);
    // 2 LoG sigmas + 8 wavelet sub-bands.
    assert_eq!(s.filters.maps.len(), 10);
    assert_eq!(
        s.features.families,
        vec![
            "morphology",
            "intensity_stats",
            "intensity_histogram",
            "glcm",
            "glrlm",
            "glszm",
            "ngldm"
        ]
    );
    let row = |k: &str| i.table.iter().find(|m| m.key == k).unwrap().clone();
    assert!(row("setting.label").reason.contains("per case"));
    assert!(row("featureClass.glcm").radx.contains("whole family"));
}

#[test]
fn mr_2d_maps_force2d_and_in_plane_spacing_and_reports_normalisation() {
    let (_, i) = fixture("mr-2d.yaml");
    let s = &i.settings;
    assert_eq!(s.texture.dimensions, vec![TextureDimension::D25]);
    assert!(s.interpolation.in_plane_only);
    assert_eq!(s.interpolation.image_method, InterpolationMethod::Linear);
    let row = |k: &str| i.table.iter().find(|m| m.key == k).unwrap().clone();
    assert!(row("setting.normalize").radx.contains("normalisation"));
    assert_eq!(
        s.normalisation.method,
        radx_core::settings::NormalisationMethod::Zscore
    );
    assert_eq!(s.normalisation.within, "image");
    assert_eq!(s.normalisation.scale, Some(50.0));
    assert!(row("featureClass.shape2D").reason.contains("3D only"));
    assert!(!s.features.families.contains(&"morphology".to_string()));
}

#[test]
fn other_keys_translate_bin_count_sigma_resegmentation_and_distances() {
    let (_, i) = fixture("other-keys.yaml");
    let s = &i.settings;
    assert_eq!(s.discretisation.texture, Discretisation::Fbn { bins: 16 });
    assert_eq!(s.resegmentation.outlier_sd, Some(3.0));
    assert_eq!(s.texture.glcm_distance, 2);
    assert_eq!(s.texture.ngtdm_distance, 2);
    assert_eq!(s.texture.ngldm_alpha, 1);
    assert_eq!(s.filters.maps.len(), 8);
    for k in [
        "imageType.Square",
        "imageType.LBP3D",
        "imageType.Gradient.gradientUseSpacing",
    ] {
        assert!(
            !i.table
                .iter()
                .find(|m| m.key == k)
                .unwrap()
                .reason
                .is_empty(),
            "{k}"
        );
    }
    let (_, r) = fixture("range.yaml");
    assert_eq!(r.settings.resegmentation.min, Some(-200.0));
    assert_eq!(r.settings.resegmentation.max, Some(300.0));
    assert_eq!(
        r.settings.interpolation.image_method,
        InterpolationMethod::Linear
    );
}

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    for (text, key) in [
        ("setting:\n  binWidht: 25\n", "binWidht"),
        ("imageType:\n  Sobel: {}\n", "Sobel"),
        ("featureClass:\n  glcmm:\n", "glcmm"),
        ("settings:\n  binWidth: 25\n", "settings"),
        ("imageType:\n  LoG:\n    sigmas: [1]\n", "sigmas"),
        ("voxelSetting:\n  kernelRadious: 2\n", "kernelRadious"),
    ] {
        let e = import_pyradiomics_params(text, "p.yaml").unwrap_err();
        assert!(matches!(e, ParamsError::UnknownKey { .. }), "{e}");
        let msg = e.to_string();
        assert!(msg.contains("p.yaml") && msg.contains(key), "{msg}");
    }
    let e = import_pyradiomics_params("setting:\n  binWidth: wide\n", "q.yaml").unwrap_err();
    assert!(e.to_string().contains("binWidth"), "{e}");
    let e = import_pyradiomics_params("setting: [1, 2\n", "r.yaml").unwrap_err();
    assert!(e.to_string().contains("r.yaml"), "{e}");
}
