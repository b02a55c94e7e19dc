//! IBSI 2 phase 1: every reference response map. A map complies when every voxel lies
//! within 1% of the reference map's intensity range (max - min) of the reference value.

use ndarray::Array3;
use radx_filters::{apply, ibsi2_phase1_tests, ibsi2_reference_map};

fn read(rel: &str) -> (Array3<f64>, [f64; 3]) {
    let path = radx_testkit::data(rel);
    let im = radx_io::read_image(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (im.data, im.grid.spacing_zyx)
}

/// Largest |computed - reference| over the map, relative to the reference range.
fn max_relative_deviation(
    got: &Array3<f64>,
    reference: &Array3<f64>,
) -> (f64, (usize, usize, usize)) {
    assert_eq!(got.dim(), reference.dim());
    let lo = reference.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = reference.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = hi - lo;
    let mut worst = (0.0, (0, 0, 0));
    for ((i, r), g) in reference.indexed_iter().zip(got.iter()) {
        let d = (r - g).abs() / range;
        // NaN never passes.
        if d.is_nan() || d > worst.0 {
            worst = (if d.is_nan() { f64::INFINITY } else { d }, i);
        }
    }
    worst
}

#[test]
fn all_33_reference_maps_comply() {
    let tests = ibsi2_phase1_tests();
    assert_eq!(tests.len(), 33);
    let mut failures = Vec::new();
    for (id, phantom, spec) in &tests {
        let (img, spacing) = read(phantom);
        let (reference, _) = read(&ibsi2_reference_map(id));
        let got = apply(spec, &img, spacing).unwrap_or_else(|e| panic!("{id}: {e}"));
        let (dev, at) = max_relative_deviation(&got, &reference);
        let ok = dev <= 0.01;
        println!(
            "{id:7} {} max deviation {:.4}% of range at {at:?} (reference {:.4}, computed {:.4})  {}",
            if ok { "pass" } else { "FAIL" },
            100.0 * dev,
            reference[at],
            got[at],
            spec.canonical_name()
        );
        if !ok {
            failures.push(format!("{id}: {:.3}% at {at:?}", 100.0 * dev));
        }
    }
    assert!(
        failures.is_empty(),
        "non-compliant maps: {}",
        failures.join("; ")
    );
}

/// The criterion can fail: a slightly different filter does not comply.
#[test]
fn a_wrong_parameter_fails_the_criterion() {
    let (id, phantom, _) = &ibsi2_phase1_tests()[5]; // 2_a, LoG sigma 3 mm
    assert_eq!(*id, "2_a");
    let (img, spacing) = read(phantom);
    let (reference, _) = read(&ibsi2_reference_map(id));
    let wrong = radx_filters::FilterSpec::Log {
        sigma_mm: 3.1,
        truncate: 4.0,
        boundary: radx_filters::Boundary::Zero,
        dimensions: radx_filters::Dimensions::Volume,
        riesz_order: None,
        fourier_margin: radx_filters::DEFAULT_FOURIER_MARGIN,
    };
    let got = apply(&wrong, &img, spacing).unwrap();
    assert!(max_relative_deviation(&got, &reference).0 > 0.01);
}
