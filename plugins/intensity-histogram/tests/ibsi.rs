//! IBSI 1 reference values: every `ih_` consensus row of the digital phantom, and of
//! CT phantom configuration A (no interpolation).

use radx_testkit::{assert_ct_config_complies, assert_digital_phantom_complies};

#[test]
fn digital_phantom_every_ih_row() {
    let rows = assert_digital_phantom_complies(&*radx_intensity_histogram::plugin());
    assert_eq!(rows, 23);
}

#[test]
fn ct_phantom_config_a_every_ih_row() {
    let rows = assert_ct_config_complies(&*radx_intensity_histogram::plugin(), "a");
    assert_eq!(rows, 23);
}
