//! Derived regions (`[[roi.derived]]`) end to end on the shipped test cohort: one
//! `radx batch` gives the tumour, a 0–5 mm outer ring and a 2 mm inner rim per case, rows
//! named as in the manifest, each derived region's rows equal to an extraction on a mask
//! holding that region, derivations in the provenance, and an empty derived region
//! reported as missing values (the case does not fail).

use std::path::Path;
use std::process::Command;

use radx_core::{Mask, Provenance, Settings};
use radx_pipeline::{CaseLabels, InputOptions, RoiSelector};

const SETTINGS: &str = r#"radx_settings = 1
[features]
families = ["morphology", "intensity_stats"]
[morphology]
moran_geary = "skip"

[[roi.derived]]
name = "ring_0_5mm"
op = "ring"
r1_mm = 0.0
r2_mm = 5.0

[[roi.derived]]
name = "rim_2mm"
op = "rim"
r_mm = 2.0

[[roi.derived]]
name = "nothing"
op = "window"
of = "rim_2mm"
min = 1e12
"#;

fn rows(csv: &str, case: &str, roi: &str) -> Vec<String> {
    csv.lines()
        .filter(|l| l.starts_with(&format!("{case},{roi},")))
        .map(String::from)
        .collect()
}

/// The CSV lines of an extraction on `mask` (a region written as a label map).
fn alone(image: &Path, mask: &Mask, dir: &Path, case: &str, roi: &str) -> Vec<String> {
    let p = dir.join(format!("{case}_{roi}.nii.gz"));
    let img = radx_core::Image::new(mask.grid.clone(), mask.data.mapv(f64::from)).unwrap();
    radx_io::write_nifti_image(&img, &p).unwrap();
    let settings = Settings::from_toml_str(SETTINGS, "t").unwrap();
    let mut plain = settings.clone();
    plain.roi = Default::default();
    let registry = radx_pipeline::builtin_registry();
    let labels = CaseLabels {
        case: case.into(),
        roi: roi.into(),
        image: "original".into(),
    };
    let options = InputOptions {
        roi: RoiSelector::Auto,
        ..Default::default()
    };
    let (t, _) =
        radx_pipeline::extract_inputs(image, &p, &options, &plain, &registry, &labels).unwrap();
    radx_io::table_to_csv(&t)
        .lines()
        .skip(1)
        .map(String::from)
        .collect()
}

#[test]
fn one_batch_gives_tumour_ring_and_rim_per_case() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: Vec<String> = radx_testkit::cohort_cases("CT")
        .into_iter()
        .take(3)
        .collect();
    let mut csv = String::from("case_id,image,mask,roi\n");
    for c in &cases {
        let f = |w: &str| radx_testkit::cohort(&format!("nifti/{c}/CT_{w}.nii.gz"));
        csv.push_str(&format!(
            "{c},{},{},tumour\n",
            f("image").display(),
            f("mask").display()
        ));
    }
    std::fs::write(d.join("cohort.csv"), csv).unwrap();
    std::fs::write(d.join("s.toml"), SETTINGS).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(["batch", "--cohort"])
        .arg(d.join("cohort.csv"))
        .arg("--settings")
        .arg(d.join("s.toml"))
        .arg("--out")
        .arg(d.join("out"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = std::fs::read_to_string(d.join("out/features.csv")).unwrap();

    for c in &cases {
        let image = radx_testkit::cohort(&format!("nifti/{c}/CT_image.nii.gz"));
        let mask_path = radx_testkit::cohort(&format!("nifti/{c}/CT_mask.nii.gz"));
        let img = radx_io::read_image(&image).unwrap();
        let mask =
            radx_io::read_mask_any(&mask_path, &(&img.grid).into(), &RoiSelector::Auto).unwrap();
        let sp = img.grid.spacing_zyx;
        let ring = radx_regions::outer_ring(&mask.data, 0.0, 5.0, sp);
        let rim = radx_regions::inner_rim(&mask.data, 2.0, sp);
        for (name, region) in [("ring_0_5mm", &ring), ("rim_2mm", &rim)] {
            let m = Mask::new(img.grid.clone(), region.clone()).unwrap();
            assert!(m.count() > 0, "{c} {name}");
            assert_eq!(
                rows(&table, c, name),
                alone(&image, &m, d, c, name),
                "{c} {name}"
            );
        }
        let tumour = rows(&table, c, "tumour");
        assert_eq!(tumour, alone(&image, &mask, d, c, "tumour"));
        // the empty region: every value missing with the reason, no diagnostic rows
        let nothing = rows(&table, c, "nothing");
        assert!(!nothing.is_empty());
        assert!(
            nothing
                .iter()
                .all(|l| l.ends_with(",,derived region `nothing` (window of `rim_2mm`) is empty")),
            "{}",
            nothing[0]
        );
        // provenance: each derivation, its parameters and voxel count
        let rec: Provenance = serde_json::from_str(
            &std::fs::read_to_string(d.join(format!("out/cases/{c}.provenance.json"))).unwrap(),
        )
        .unwrap();
        let names: Vec<&str> = rec.regions.iter().map(|r| r.roi.as_str()).collect();
        assert_eq!(names, ["tumour", "ring_0_5mm", "rim_2mm", "nothing"]);
        let ring_rec = rec.regions[1].derivation.as_ref().unwrap();
        assert_eq!(ring_rec.op, "ring");
        assert_eq!(ring_rec.of, "tumour");
        assert_eq!(ring_rec.parameters, ["r1_mm=0", "r2_mm=5"]);
        assert_eq!(ring_rec.voxels, radx_regions::count(&ring));
        assert_eq!(
            rec.regions[2].derivation.as_ref().unwrap().voxels,
            radx_regions::count(&rim)
        );
        assert_eq!(rec.regions[3].derivation.as_ref().unwrap().voxels, 0);
        assert!(rec.regions[0].derivation.is_none());
    }
    // exactly these four regions per case
    let mut rois: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    rois.sort();
    rois.dedup();
    assert_eq!(rois, ["nothing", "rim_2mm", "ring_0_5mm", "tumour"]);
}
