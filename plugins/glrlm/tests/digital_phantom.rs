//! Every consensus `rlm_` row of the IBSI 1 digital phantom reference table.

#[test]
fn digital_phantom_every_rlm_row() {
    let rows = radx_testkit::assert_digital_phantom_complies(&*radx_glrlm::plugin());
    assert_eq!(rows, 96, "reference rows");
}
