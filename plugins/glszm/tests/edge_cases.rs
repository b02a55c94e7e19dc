//! Inputs the pipeline can hand the plugin: one voxel, a flat ROI, a failed
//! discretisation. No panic, no NaN; undefined values carry a reason.

use ndarray::Array3;
use radx_core::settings::Discretisation;
use radx_core::{FeatureInput, Grid, PluginError, Roi, Settings};
use radx_process::discretise;

fn roi(image: Array3<f64>, mask: Array3<bool>) -> Roi {
    let (z, y, x) = image.dim();
    Roi {
        grid: Grid::new([z, y, x], [1.0; 3], [0.0; 3]),
        image,
        morphological: mask.clone(),
        intensity: mask,
    }
}

fn run(roi: &Roi) -> Result<Vec<radx_core::FeatureValue>, PluginError> {
    let settings = Settings::default();
    let texture = discretise(roi, &Discretisation::Fbn { bins: 8 }, None);
    let other = Err("unused".to_string());
    let input = FeatureInput {
        roi,
        settings: &settings,
        histogram: &other,
        texture: &texture,
        ivh: &other,
    };
    radx_glszm::plugin().compute(&input)
}

fn check_finite(values: &[radx_core::FeatureValue]) {
    assert_eq!(values.len(), 48);
    for v in values {
        match v.value {
            Some(x) => assert!(x.is_finite(), "{v:?}"),
            None => assert!(v.missing_reason.is_some(), "{v:?}"),
        }
    }
}

#[test]
fn one_voxel_roi() {
    let mut mask = Array3::from_elem((3, 3, 3), false);
    mask[[1, 1, 1]] = true;
    let values = run(&roi(Array3::from_elem((3, 3, 3), 5.0), mask)).unwrap();
    check_finite(&values);
    // one zone of size 1 and grey level 1 in every aggregation
    let get = |n: &str, a: &str| {
        values
            .iter()
            .find(|v| v.name == n && v.aggregation.as_deref() == Some(a))
            .unwrap()
            .value
            .unwrap()
    };
    for a in ["2D", "2_5D", "3D"] {
        assert_eq!(get("sze", a), 1.0);
        assert_eq!(get("z_perc", a), 1.0);
        assert_eq!(get("zs_var", a), 0.0);
        assert_eq!(get("zs_entr", a), 0.0);
    }
}

#[test]
fn flat_roi_is_one_zone() {
    let mask = Array3::from_elem((2, 3, 4), true);
    let values = run(&roi(Array3::from_elem((2, 3, 4), 7.0), mask)).unwrap();
    check_finite(&values);
    let v = values
        .iter()
        .find(|v| v.name == "lze" && v.aggregation.as_deref() == Some("3D"))
        .unwrap();
    assert_eq!(v.value, Some(24.0 * 24.0));
}

#[test]
fn failed_discretisation_is_undefined() {
    let r = roi(
        Array3::from_elem((1, 1, 2), 1.5),
        Array3::from_elem((1, 1, 2), true),
    );
    let settings = Settings::default();
    let texture = Err("discretisation \"none\" needs integer intensities".to_string());
    let input = FeatureInput {
        roi: &r,
        settings: &settings,
        histogram: &texture,
        texture: &texture,
        ivh: &texture,
    };
    match radx_glszm::plugin().compute(&input) {
        Err(PluginError::Undefined(reason)) => assert!(reason.contains("needs integer")),
        other => panic!("expected an undefined outcome, got {other:?}"),
    }
}

#[test]
fn empty_intensity_mask_gives_reasons_not_values() {
    use radx_glszm::matrix::zone_features;
    use radx_glszm::Glszm;
    use radx_texture::{aggregate_neighbourhood, LevelVolume};
    let levels = Array3::<u32>::zeros((2, 2, 2));
    let vol = LevelVolume {
        levels: levels.view(),
        n_levels: 1,
    };
    let s = Settings::default();
    let out = aggregate_neighbourhood(&Glszm { linkage: 1 }, &vol, &s.texture.dimensions, 16);
    assert_eq!(out.len(), 3);
    for (_, values) in out {
        assert!(values.iter().all(|v| v.is_err()));
    }
    assert!(zone_features(&Default::default())
        .iter()
        .all(|v| v.is_err()));
}
