#[test]
fn digital_phantom_loads() {
    let (p, _) = radx_testkit::digital_phantom();
    assert_eq!(p.roi.morphological_count(), 74);
    let t = p.texture.as_ref().unwrap();
    assert_eq!(t.n_levels, 6);
    let rows = radx_testkit::reference_rows("ibsi_1_dig_phantom.csv", "");
    assert_eq!(rows.len(), 482);
}
