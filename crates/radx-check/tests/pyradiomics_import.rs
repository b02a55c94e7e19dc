//! Import of a hand-written PyRadiomics batch CSV (tests/data/pyradiomics_batch.csv).

use std::path::PathBuf;

use radx_check::compare::{read_long_table, write_long_table};
use radx_check::pyradiomics::{import_pyradiomics, ImportOptions, Mapping};

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/pyradiomics_batch.csv")
}

fn value(r: &[radx_check::compare::LongValue], case: &str, image: &str, tag: &str) -> Option<f64> {
    r.iter()
        .find(|v| v.case == case && v.image == image && v.tag == tag)
        .unwrap_or_else(|| panic!("no {case} {image} {tag}"))
        .value
}

#[test]
fn imports_mapped_columns_with_transforms() {
    let m = Mapping::builtin().unwrap();
    let opts = ImportOptions {
        id_column: Some("ID".into()),
        roi: None,
    };
    let r = import_pyradiomics(&data(), &m, &opts).unwrap();
    assert_eq!(r.cases, ["STS_001", "STS_002", "STS_003"]);
    // MeshVolume, Kurtosis, Mean, Contrast, SDE, LoG Mean, wavelet ZoneEntropy: 7 mapped.
    assert_eq!(r.mapped_columns, 7);
    assert_eq!(r.values.len(), 21);
    let unmapped: Vec<&str> = r.unmapped.iter().map(|u| u.column.as_str()).collect();
    assert_eq!(
        unmapped,
        [
            "original_shape_Maximum2DDiameterSlice",
            "original_firstorder_TotalEnergy",
            "original_glcm_MCC"
        ]
    );
    assert!(r.unmapped[2].reason.contains("maximal correlation"));

    // Kurtosis: PyRadiomics 4.25 -> IBSI excess kurtosis 1.25 (offset -3).
    assert_eq!(
        value(&r.values, "STS_001", "original", "stat_kurt"),
        Some(1.25)
    );
    assert_eq!(
        value(&r.values, "STS_002", "original", "stat_kurt"),
        Some(-0.5)
    );
    assert_eq!(
        value(&r.values, "STS_002", "original", "stat_mean"),
        Some(-10.25)
    );
    assert_eq!(
        value(&r.values, "STS_001", "original", "morph_volume"),
        Some(12345.5)
    );
    assert_eq!(
        value(&r.values, "STS_001", "original", "cm_contrast_3D_avg"),
        Some(12.75)
    );
    assert_eq!(
        value(&r.values, "STS_003", "original", "ngl_lde_3D"),
        Some(0.5)
    );
    // LoG image label follows radx's canonical name; wavelets keep PyRadiomics' name.
    assert_eq!(
        value(&r.values, "STS_001", "log_s1mm_3d", "stat_mean"),
        Some(-2.5)
    );
    assert_eq!(
        value(&r.values, "STS_003", "wavelet-LLH", "szm_zs_entr_3D"),
        Some(6.0)
    );
    // nan: missing with a reason.
    let nan = r
        .values
        .iter()
        .find(|v| v.case == "STS_003" && v.tag == "cm_contrast_3D_avg")
        .unwrap();
    assert_eq!(nan.value, None);
    assert!(nan.missing_reason.as_deref().unwrap().contains("nan"));
    let k = r.values.iter().find(|v| v.tag == "stat_kurt").unwrap();
    assert_eq!(
        (
            k.roi.as_str(),
            k.family.as_str(),
            k.ibsi_id.as_str(),
            k.feature.as_str()
        ),
        ("label_1", "intensity_stats", "IPH6", "kurt")
    );

    // Round trip through the radx long CSV.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported.csv");
    write_long_table(&out, &r.values).unwrap();
    let back = read_long_table(&out).unwrap();
    assert_eq!(back, r.values);
}

#[test]
fn case_ids_from_image_folders_and_roi_override() {
    let m = Mapping::builtin().unwrap();
    let opts = ImportOptions {
        id_column: None,
        roi: Some("GTV".into()),
    };
    let r = import_pyradiomics(&data(), &m, &opts).unwrap();
    // Every image file is CT_image.nii.gz: the case id is the folder.
    assert_eq!(r.cases, ["STS_001", "STS_002", "STS_003"]);
    assert!(r.values.iter().all(|v| v.roi == "GTV"));
    let missing = ImportOptions {
        id_column: Some("PatientID".into()),
        roi: None,
    };
    let e = import_pyradiomics(&data(), &m, &missing)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("PatientID") && e.contains("pyradiomics_batch.csv"),
        "{e}"
    );
}
