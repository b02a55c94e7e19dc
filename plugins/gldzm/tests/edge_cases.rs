//! Inputs the pipeline can hand the plugin: one voxel, a flat ROI, a failed
//! discretisation, masks of another shape. No panic, no NaN.

use ndarray::Array3;
use radx_core::settings::Discretisation;
use radx_core::{FeatureInput, FeatureValue, Grid, PluginError, Roi, Settings};
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

fn run(roi: &Roi) -> Result<Vec<FeatureValue>, PluginError> {
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
    radx_gldzm::plugin().compute(&input)
}

fn get(values: &[FeatureValue], name: &str, agg: &str) -> f64 {
    values
        .iter()
        .find(|v| v.name == name && v.aggregation.as_deref() == Some(agg))
        .unwrap()
        .value
        .unwrap()
}

fn check_finite(values: &[FeatureValue]) {
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
    for a in ["2D", "2_5D", "3D"] {
        assert_eq!(get(&values, "sde", a), 1.0);
        assert_eq!(get(&values, "lde", a), 1.0);
        assert_eq!(get(&values, "zd_var", a), 0.0);
        assert_eq!(get(&values, "z_perc", a), 1.0);
    }
}

#[test]
fn flat_roi_touches_the_edge() {
    // one zone covering the whole ROI: distance 1
    let values = run(&roi(
        Array3::from_elem((3, 4, 5), 2.0),
        Array3::from_elem((3, 4, 5), true),
    ))
    .unwrap();
    check_finite(&values);
    assert_eq!(get(&values, "lde", "3D"), 1.0);
    assert_eq!(get(&values, "z_perc", "3D"), 1.0 / 60.0);
}

#[test]
fn morphological_mask_sets_the_distance() {
    // A 5x5x5 cube of one intensity in the morphological mask; re-segmentation keeps
    // only the centre voxel, which is 3 steps from the morphological edge.
    let image = Array3::from_elem((5, 5, 5), 1.0);
    let morph = Array3::from_elem((5, 5, 5), true);
    let mut intensity = Array3::from_elem((5, 5, 5), false);
    intensity[[2, 2, 2]] = true;
    let r = Roi {
        grid: Grid::new([5, 5, 5], [1.0; 3], [0.0; 3]),
        image,
        morphological: morph,
        intensity,
    };
    let values = run(&r).unwrap();
    check_finite(&values);
    assert_eq!(get(&values, "lde", "3D"), 9.0);
    assert_eq!(get(&values, "sde", "2D"), 1.0 / 9.0);
}

#[test]
fn failed_discretisation_is_undefined() {
    let r = roi(
        Array3::from_elem((1, 1, 2), 1.5),
        Array3::from_elem((1, 1, 2), true),
    );
    let settings = Settings::default();
    let texture = Err("the intensity mask is empty".to_string());
    let input = FeatureInput {
        roi: &r,
        settings: &settings,
        histogram: &texture,
        texture: &texture,
        ivh: &texture,
    };
    assert!(matches!(
        radx_gldzm::plugin().compute(&input),
        Err(PluginError::Undefined(_))
    ));
}

#[test]
fn mismatched_mask_shape_fails_cleanly() {
    let r = roi(
        Array3::from_elem((2, 2, 2), 1.0),
        Array3::from_elem((2, 2, 2), true),
    );
    let settings = Settings::default();
    let texture = discretise(&r, &Discretisation::Fbn { bins: 4 }, None);
    let mut other = r.clone();
    other.morphological = Array3::from_elem((1, 2, 2), true);
    let unused = Err("unused".to_string());
    let input = FeatureInput {
        roi: &other,
        settings: &settings,
        histogram: &unused,
        texture: &texture,
        ivh: &unused,
    };
    assert!(matches!(
        radx_gldzm::plugin().compute(&input),
        Err(PluginError::Failed(_))
    ));
}
