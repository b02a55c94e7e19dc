//! Every consensus `cm_` row of the IBSI 1 digital phantom reference table.

#[test]
fn digital_phantom_every_cm_row() {
    let rows = radx_testkit::assert_digital_phantom_complies(&*radx_glcm::plugin());
    assert_eq!(rows, 150, "reference rows");
}
