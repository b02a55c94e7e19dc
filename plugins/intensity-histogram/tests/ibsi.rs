//! IBSI 1 reference values: every `ih_` consensus row of the digital phantom, and of
//! CT phantom configuration A (no interpolation).

use radx_core::{FeatureValue, Settings};
use radx_testkit::{assert_complies, ct_phantom, digital_phantom, input, reference_rows};

fn lookup(values: &[FeatureValue]) -> impl Fn(&str) -> Option<f64> + '_ {
    move |tag| {
        let name = tag.strip_prefix("ih_")?;
        values.iter().find(|v| v.name == name)?.value
    }
}

#[test]
fn digital_phantom_every_ih_row() {
    let (p, s) = digital_phantom();
    let values = radx_intensity_histogram::plugin()
        .compute(&input(&p, &s))
        .unwrap();
    let rows = reference_rows("ibsi_1_dig_phantom.csv", "ih_");
    assert_eq!(rows.len(), 23);
    assert_complies(&rows, lookup(&values));
}

/// Configuration A (05_Reference_data_sets.rst): no interpolation, intensities rounded,
/// re-segmentation to [-500, 400] HU, FBS 25 HU for the histogram.
fn config_a() -> Settings {
    Settings::from_toml_str(
        "radx_settings = 1\n[input]\nround_intensities = true\n\
         [resegmentation]\nmin = -500.0\nmax = 400.0\n\
         [discretisation.histogram]\nmethod = \"fbs\"\nbin_width = 25.0\n\
         [discretisation.texture]\nmethod = \"fbs\"\nbin_width = 25.0\n\
         [discretisation.ivh]\nmethod = \"none\"\n",
        "config-a",
    )
    .unwrap()
}

#[test]
fn ct_phantom_config_a_every_ih_row() {
    let s = config_a();
    let p = ct_phantom(&s);
    let values = radx_intensity_histogram::plugin()
        .compute(&input(&p, &s))
        .unwrap();
    let rows = reference_rows("ibsi_1_chest_config_a.csv", "ih_");
    assert_eq!(rows.len(), 23);
    assert_complies(&rows, lookup(&values));
}
