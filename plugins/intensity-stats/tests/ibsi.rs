//! IBSI 1 reference values: every `stat_` consensus row of the digital phantom, and of
//! CT phantom configuration A (no interpolation).

use radx_testkit::{assert_ct_config_complies, assert_digital_phantom_complies};

#[test]
fn digital_phantom_every_stat_row() {
    let rows = assert_digital_phantom_complies(&*radx_intensity_stats::plugin());
    assert_eq!(rows, 18);
}

#[test]
fn ct_phantom_config_a_every_stat_row() {
    let rows = assert_ct_config_complies(&*radx_intensity_stats::plugin(), "a");
    assert_eq!(rows, 18);
}
