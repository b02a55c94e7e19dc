//! The IBSI 1 CT phantom: the dzm_ consensus rows of configurations A to E
//! (B to E rely on the processing chain's interpolation).

use radx_testkit::assert_ct_config_complies;

#[test]
fn config_a_complies() {
    let rows = assert_ct_config_complies(&*radx_gldzm::plugin(), "a");
    assert_eq!(rows, 32, "16 features x (2D, 2.5D)");
}

#[test]
fn config_b_complies() {
    assert_ct_config_complies(&*radx_gldzm::plugin(), "b");
}

#[test]
fn config_c_complies() {
    assert_ct_config_complies(&*radx_gldzm::plugin(), "c");
}

#[test]
fn config_d_complies() {
    assert_ct_config_complies(&*radx_gldzm::plugin(), "d");
}

#[test]
fn config_e_complies() {
    assert_ct_config_complies(&*radx_gldzm::plugin(), "e");
}
