#[test]
fn digital_phantom_loads() {
    let (p, _) = radx_testkit::digital_phantom();
    assert_eq!(p.roi.morphological_count(), 74);
    let t = p.texture.as_ref().unwrap();
    assert_eq!(t.n_levels, 6);
    let rows = radx_testkit::reference_rows("ibsi_1_dig_phantom.csv", "");
    assert_eq!(rows.len(), 482);
}

#[test]
fn built_in_phantom_equals_the_ibsi_file() {
    let (img, mask) = radx_core::phantom::ibsi_digital_phantom();
    let file_img = radx_io::read_image(&radx_testkit::data(
        "ibsi_1_digital_phantom/nifti/image/phantom.nii.gz",
    ))
    .unwrap();
    let file_mask = radx_io::read_mask(
        &radx_testkit::data("ibsi_1_digital_phantom/nifti/mask/mask.nii.gz"),
        radx_io::MaskSelector::NonZero,
    )
    .unwrap();
    assert_eq!(img.data, file_img.data);
    assert_eq!(mask.data, file_mask.data);
    assert_eq!(img.grid.spacing_zyx, file_img.grid.spacing_zyx);
}
