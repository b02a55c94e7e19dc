//! An enhanced (legacy-converted) multi-frame CT gives the same features as the single-frame
//! series it was converted from (six STS_002 CT slices; mask: a soft-tissue box).

use radx_core::{FeatureTable, Image, Settings};
use radx_pipeline::{builtin_registry, extract_inputs, CaseLabels, InputOptions};

fn table(image: &std::path::Path, mask: &std::path::Path, settings: &Settings) -> FeatureTable {
    let labels = CaseLabels {
        case: "c".into(),
        roi: "r".into(),
        image: "original".into(),
    };
    extract_inputs(
        image,
        mask,
        &InputOptions::default(),
        settings,
        &builtin_registry(),
        &labels,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", image.display()))
    .0
}

#[test]
fn legacy_enhanced_ct_features_equal_the_single_frame_series() {
    let sts = radx_testkit::cohort("dicom/STS_002/CT/image");
    let mf = radx_testkit::cohort("dicom/STS_002/CT-multiframe");
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    std::fs::create_dir(&single).unwrap();
    for k in 19..25 {
        let name = format!("{k:06}.dcm");
        std::fs::copy(sts.join(&name), single.join(&name)).unwrap();
    }
    // Mask: voxels above -100 HU in a central box, written on the single-frame grid.
    let img = radx_pipeline::read_image(&single).unwrap();
    let mut m = img.data.mapv(|_| 0.0);
    for ((z, y, x), v) in img.data.indexed_iter() {
        if (30..110).contains(&y) && (30..130).contains(&x) && *v > -100.0 {
            m[[z, y, x]] = 1.0;
        }
    }
    let mask_path = tmp.path().join("mask.nii.gz");
    radx_io::write_nifti_image(&Image::new(img.grid.clone(), m).unwrap(), &mask_path).unwrap();
    let settings = Settings::from_toml_str(
        "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 32\n",
        "mf",
    )
    .unwrap();
    let a = table(&single, &mask_path, &settings);
    let b = table(&mf, &mask_path, &settings);
    assert!(a.value("morph_mask_vox_count_init_roi").unwrap() > 1000.0);
    assert_eq!(a.rows.len(), b.rows.len());
    let mut compared = 0;
    for (x, y) in a.rows.iter().zip(&b.rows) {
        assert_eq!(x.tag, y.tag);
        assert_eq!(x.value, y.value, "{}: single-frame vs multi-frame", x.tag);
        compared += x.value.is_some() as usize;
    }
    assert!(compared > 100, "{compared} features compared");
}
