//! The IBSI 1 CT phantom with the bench settings of `radx_testkit::ct_bench_settings`:
//! no interpolation, re-segmentation to [-500, 400] HU, fixed bin size 25 HU. These are
//! the settings of IBSI configuration A, whose `rlm_` rows (2D and 2.5D) are checked.

use radx_testkit::{assert_family_complies, ct_bench_settings, ct_phantom, tagged_values};

#[test]
fn ct_phantom_config_a_rows() {
    let settings = ct_bench_settings();
    let prepared = ct_phantom(&settings);
    let plugin = radx_glrlm::plugin();
    let values = tagged_values(&*plugin, &prepared, &settings);
    assert!(values.values().all(Option::is_some), "every value defined");
    assert_family_complies(&*plugin, &prepared, &settings, "ibsi_1_chest_config_a.csv");
}
