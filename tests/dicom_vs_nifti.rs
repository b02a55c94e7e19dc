//! The same case read from DICOM (series + RTSTRUCT) and from NIfTI gives the same mask and
//! the same features: the IBSI CT phantom under configuration A, and the STS cases that
//! ship in both formats (CT and PET).

use std::path::PathBuf;

use radx_core::{FeatureTable, Settings};
use radx_pipeline::{builtin_registry, extract_inputs, CaseLabels, InputOptions, RoiSelector};

fn table(image: PathBuf, mask: PathBuf, roi: RoiSelector, settings: &Settings) -> FeatureTable {
    let labels = CaseLabels {
        case: "c".into(),
        roi: "r".into(),
        image: "original".into(),
    };
    let options = InputOptions {
        roi,
        ..Default::default()
    };
    extract_inputs(
        &image,
        &mask,
        &options,
        settings,
        &builtin_registry(),
        &labels,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", image.display()))
    .0
}

fn assert_same(a: &FeatureTable, b: &FeatureTable, what: &str) {
    assert_eq!(a.rows.len(), b.rows.len(), "{what}");
    for (x, y) in a.rows.iter().zip(&b.rows) {
        assert_eq!(x.tag, y.tag, "{what}");
        match (x.value, y.value) {
            (Some(p), Some(q)) => assert!(
                (p - q).abs() <= 1e-6 * p.abs().max(q.abs()).max(1.0),
                "{what} {}: NIfTI {p} vs DICOM {q}",
                x.tag
            ),
            (None, None) => {}
            (p, q) => panic!("{what} {}: {p:?} vs {q:?}", x.tag),
        }
    }
}

#[test]
fn ibsi_ct_phantom_dicom_equals_nifti() {
    let settings = Settings::preset("ibsi-config-a").unwrap();
    let d = radx_testkit::data("ibsi_1_ct_radiomics_phantom");
    let nifti = table(
        d.join("nifti/image/phantom.nii.gz"),
        d.join("nifti/mask/mask.nii.gz"),
        RoiSelector::Auto,
        &settings,
    );
    let dicom = table(
        d.join("dicom/image"),
        d.join("dicom/mask/DCM_RS_00060.dcm"),
        RoiSelector::Name("GTV-1".into()),
        &settings,
    );
    assert_eq!(dicom.value("morph_mask_vox_count_init_roi"), Some(125256.0));
    assert_same(&nifti, &dicom, "CT phantom");
}

#[test]
fn sts_cases_dicom_equal_nifti() {
    let sts = radx_testkit::cohort("dicom/STS_002")
        .parent()
        .and_then(|p| p.parent())
        .expect("the cohort folder")
        .to_path_buf();
    let settings = Settings::from_toml_str(
        "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 32\n",
        "sts",
    )
    .unwrap();
    for case in ["STS_002"] {
        for modality in ["CT", "PET"] {
            let nifti = table(
                sts.join(format!("nifti/{case}/{modality}_image.nii.gz")),
                sts.join(format!("nifti/{case}/{modality}_mask.nii.gz")),
                RoiSelector::Auto,
                &settings,
            );
            let dicom = table(
                sts.join(format!("dicom/{case}/{modality}/image")),
                sts.join(format!("dicom/{case}/{modality}/mask/RS.dcm")),
                RoiSelector::Auto,
                &settings,
            );
            assert_same(&nifti, &dicom, &format!("{case} {modality}"));
        }
    }
}
