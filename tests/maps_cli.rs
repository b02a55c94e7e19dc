//! End-to-end tests of `radx maps`: the written maps are the library's maps (rounded to
//! float32, NaN outside the ROI), named by IBSI tag, with a provenance sidecar.

use std::process::Command;

use radx_core::Settings;
use radx_maps::{compute_maps, KernelShape, MapOptions};

fn radx(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .output()
        .expect("radx runs")
}

#[test]
fn radx_maps_writes_the_maps_and_their_provenance() {
    let image = radx_testkit::data("ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz");
    let mask = radx_testkit::data("ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("maps");
    let o = radx(&[
        "maps",
        "--image",
        image.to_str().unwrap(),
        "--mask",
        mask.to_str().unwrap(),
        "--preset",
        "ibsi-config-c",
        "--kernel",
        "sphere",
        "--kernel-radius-mm",
        "4",
        "--stride",
        "4",
        "--features",
        "intensity_stats:mean",
        "intensity_histogram:entropy",
        "glcm:joint_max",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("4 maps of"), "{err}");
    // The library's maps on the same inputs.
    let settings = Settings::preset("ibsi-config-c").unwrap();
    let p = radx_testkit::ct_phantom(&settings);
    let options = MapOptions {
        kernel: KernelShape::Sphere,
        radius_mm: 4.0,
        stride: 4,
        features: [
            "intensity_stats:mean",
            "intensity_histogram:entropy",
            "glcm:joint_max",
        ]
        .iter()
        .map(|f| f.parse().unwrap())
        .collect(),
    };
    let maps = compute_maps(&p, &settings, &radx_pipeline::builtin_registry(), &options).unwrap();
    let tags: Vec<&str> = maps.maps.iter().map(|m| m.tag.as_str()).collect();
    assert_eq!(
        tags,
        [
            "stat_mean",
            "ih_entropy",
            "cm_joint_max_3D_avg",
            "cm_joint_max_3D_comb"
        ]
    );
    for (m, tag) in tags.iter().enumerate() {
        let written = radx_io::read_image(&out.join(format!("{tag}.nii.gz"))).unwrap();
        assert!(written.grid.mismatch(&maps.grid, 1e-3).is_none(), "{tag}");
        let (mut inside, mut outside) = (0, 0);
        for ((z, y, x), v) in written.data.indexed_iter() {
            let want = maps.value(m, [z, y, x]);
            if want.is_nan() {
                assert!(v.is_nan(), "{tag} at {:?}: {v}", [z, y, x]);
                outside += 1;
            } else {
                assert_eq!(*v, want as f32 as f64, "{tag} at {:?}", [z, y, x]);
                inside += 1;
            }
        }
        assert!(inside > 100 && outside > 100, "{tag}: {inside} / {outside}");
    }
    // The sidecar: build, settings id, inputs with sha256, kernel, per-map counts.
    let side: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("maps.provenance.json")).unwrap())
            .unwrap();
    let prov = &side["provenance"];
    assert_eq!(prov["settings_id"], settings.id());
    assert!(prov["build"]["version"].is_string(), "{prov}");
    let inputs = prov["inputs"].as_array().unwrap();
    assert_eq!(inputs[0]["role"], "image");
    assert_eq!(
        inputs[0]["files"][0]["sha256"].as_str().unwrap().len(),
        64,
        "{prov}"
    );
    let m = &side["maps"];
    assert_eq!(m["kernel"], "sphere");
    assert_eq!(m["stride"], 4);
    assert_eq!(m["roi_voxels"], maps.roi_voxels);
    assert_eq!(m["maps"][0]["file"], "stat_mean.nii.gz");
    assert_eq!(
        m["maps"][2]["undefined_voxels"],
        maps.maps[2].undefined_voxels
    );
}

#[test]
fn radx_maps_refuses_morphology_and_bad_options() {
    let image = radx_testkit::data("ibsi_1_digital_phantom/nifti/image/phantom.nii.gz");
    let mask = radx_testkit::data("ibsi_1_digital_phantom/nifti/mask/mask.nii.gz");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "maps",
            "--image",
            image.to_str().unwrap(),
            "--mask",
            mask.to_str().unwrap(),
            "--preset",
            "ibsi-digital-phantom",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = radx(&args);
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let (ok, err) = run(&["--kernel-radius-mm", "2", "--features", "morphology"]);
    assert!(
        !ok && err.contains("morphology has no voxel-wise map"),
        "{err}"
    );
    let (ok, err) = run(&["--kernel-radius-mm", "0"]);
    assert!(!ok && err.contains("--kernel-radius-mm"), "{err}");
    let (ok, err) = run(&["--kernel-radius-mm", "2", "--stride", "0"]);
    assert!(!ok && err.contains("--stride"), "{err}");
    let (ok, err) = run(&["--kernel-radius-mm", "2", "--features", "glcm:"]);
    assert!(!ok && err.contains("FAMILY:NAME"), "{err}");
    assert!(!out.exists());
    let (ok, err) = run(&["--kernel-radius-mm", "2", "--features", "ivh"]);
    assert!(ok, "{err}");
    assert!(out.join("ivh_v10.nii.gz").exists());
}
