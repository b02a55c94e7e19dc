//! `[features] slice_selection = "largest"`: every family on the one axial slice with the most
//! ROI voxels. Checked against the same extraction on a mask restricted by hand to that slice,
//! the slice chosen (most voxels, ties to the lowest index, recorded as diagnostics), and the
//! settings id of a manifest that does not use the key.

use ndarray::Array3;
use radx_core::{FeatureTable, Grid, Image, Mask, Settings};
use radx_pipeline::{builtin_registry, extract, CaseLabels};

const BASE: &str = "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 16\n\
[discretisation.texture]\nmethod = \"fbn\"\nbins = 16\n";

fn settings(extra: &str) -> Settings {
    Settings::from_toml_str(&format!("{BASE}{extra}"), "t.toml").unwrap()
}

fn grid() -> Grid {
    Grid {
        shape_zyx: [8, 16, 16],
        spacing_zyx: [2.5, 1.0, 1.0],
        origin_xyz: [-7.0, 3.0, 12.0],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    }
}

fn image() -> Image {
    let d = Array3::from_shape_fn((8, 16, 16), |(z, y, x)| {
        ((z * 29 + y * 13 + x * 7 + (x * y * z) % 11) % 60) as f64 - 10.0
    });
    Image::new(grid(), d).unwrap()
}

/// ROI voxels per slice: z = 2: a 3 x 4 block (12), z = 3: 4 x 5 (20), z = 5: 5 x 4 (20),
/// z = 6: 2 x 2 (4); slices 3 and 5 tie, so slice 3 is the largest.
fn mask() -> Mask {
    let d = Array3::from_shape_fn((8, 16, 16), |(z, y, x)| match z {
        2 => (4..7).contains(&y) && (4..8).contains(&x),
        3 => (3..7).contains(&y) && (5..10).contains(&x),
        5 => (6..11).contains(&y) && (2..6).contains(&x),
        6 => (5..7).contains(&y) && (5..7).contains(&x),
        _ => false,
    });
    Mask::new(grid(), d).unwrap()
}

fn run(mask: Mask, s: &Settings) -> FeatureTable {
    let labels = CaseLabels {
        case: "c".into(),
        roi: "r".into(),
        image: "original".into(),
    };
    extract(image(), mask, s, &builtin_registry(), &labels).unwrap()
}

fn diag(t: &FeatureTable, tag: &str) -> Option<f64> {
    t.rows
        .iter()
        .find(|r| r.family == "diagnostics" && r.tag == tag)
        .and_then(|r| r.value)
}

#[test]
fn the_slice_with_most_voxels_is_chosen_ties_to_the_lowest_index() {
    let t = run(
        mask(),
        &settings("[features]\nslice_selection = \"largest\"\n"),
    );
    assert_eq!(diag(&t, "diag_largest_slice_index"), Some(3.0));
    assert_eq!(diag(&t, "diag_largest_slice_voxels"), Some(20.0));
    // world z of slice 3: origin z + 3 · 2.5 mm
    assert_eq!(diag(&t, "diag_largest_slice_z_mm"), Some(12.0 + 7.5));
    // the default keeps the whole ROI and records no slice
    let all = run(mask(), &settings(""));
    assert_eq!(diag(&all, "diag_largest_slice_index"), None);
}

#[test]
fn features_equal_those_of_the_mask_restricted_by_hand_to_that_slice() {
    let largest = run(
        mask(),
        &settings("[features]\nslice_selection = \"largest\"\n"),
    );
    let mut by_hand = mask();
    for z in (0..8).filter(|&z| z != 3) {
        by_hand.data.index_axis_mut(ndarray::Axis(0), z).fill(false);
    }
    let hand = run(by_hand, &settings(""));
    let features = |t: &FeatureTable| {
        t.rows
            .iter()
            .filter(|r| r.family != "diagnostics")
            .map(|r| (r.tag.clone(), r.value))
            .collect::<Vec<_>>()
    };
    let (a, b) = (features(&largest), features(&hand));
    assert!(a.len() > 100, "{} features", a.len());
    assert_eq!(a.len(), b.len());
    let mut compared = 0;
    for ((ta, va), (tb, vb)) in a.iter().zip(&b) {
        assert_eq!(ta, tb);
        match (va, vb) {
            (Some(x), Some(y)) => {
                assert!(
                    (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1e-12),
                    "{ta}: {x} vs {y}"
                );
                compared += 1;
            }
            (None, None) => {}
            _ => panic!("{ta}: {va:?} vs {vb:?}"),
        }
    }
    assert!(compared > 100);
    // and they differ from the whole ROI's (the test can fail)
    let all = run(mask(), &settings(""));
    assert_ne!(features(&all), a);
}

#[test]
fn the_settings_id_is_unchanged_unless_largest_is_asked_for() {
    let none = settings("");
    let all = settings("[features]\nslice_selection = \"all\"\n");
    let largest = settings("[features]\nslice_selection = \"largest\"\n");
    assert_eq!(none.canonical(), all.canonical());
    assert_eq!(none.id(), all.id());
    assert!(!none.canonical().contains("slice_selection"));
    assert_ne!(none.id(), largest.id());
    assert!(largest
        .canonical()
        .contains("slice_selection = \"largest\""));
    let back = Settings::from_toml_str(&largest.canonical(), "c.toml").unwrap();
    assert_eq!(back, largest);
    assert!(Settings::from_toml_str(
        &format!("{BASE}[features]\nslice_selection = \"biggest\"\n"),
        "t.toml"
    )
    .is_err());
}

/// Through the CLI: the provenance names the slice (index, z in mm, voxels).
#[test]
fn radx_extract_records_the_slice_in_the_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    radx_io::write_nifti_image(&image(), dir.path().join("i.nii").as_path()).unwrap();
    let m = mask().data.mapv(|b| b as u8 as f64);
    radx_io::write_nifti_image(
        &Image::new(grid(), m).unwrap(),
        dir.path().join("m.nii").as_path(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        format!("{BASE}[features]\nslice_selection = \"largest\"\n"),
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_radx"))
        .args([
            "extract",
            "--image",
            &p("i.nii"),
            "--mask",
            &p("m.nii"),
            "--settings",
            &p("s.toml"),
            "--out",
            &p("t.csv"),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p("t.csv.provenance.json")).unwrap())
            .unwrap();
    let s = &prov["largest_slices"][0];
    assert_eq!(s["index"], 3, "{prov}");
    assert_eq!(s["z_mm"], 19.5, "{prov}");
    assert_eq!(s["voxels"], 20, "{prov}");
    assert_eq!(s["image"], "original", "{prov}");

    // radx stability records it too, in the cases of the condition that asks for it
    std::fs::write(dir.path().join("s-all.toml"), BASE).unwrap();
    std::fs::write(
        dir.path().join("cohort.csv"),
        format!("case_id,image,mask\nc1,{},{}\n", p("i.nii"), p("m.nii")),
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_radx"))
        .args([
            "stability",
            "--cohort",
            &p("cohort.csv"),
            "--settings",
            &p("s-all.toml"),
            "--vary",
            "features.slice_selection=\"all\",\"largest\"",
            "--out",
            &p("stab"),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut with_slice = Vec::new();
    for c in std::fs::read_dir(dir.path().join("stab/conditions")).unwrap() {
        let rec = c.unwrap().path().join("cases/c1.provenance.json");
        let rec: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&rec).unwrap()).unwrap();
        with_slice.push(rec["largest_slices"][0]["index"].as_u64());
    }
    with_slice.sort();
    assert_eq!(
        with_slice,
        [None, Some(3)],
        "one condition per value of the key"
    );
}

/// With interpolation the slice is chosen on the interpolated grid: its voxel count is the
/// largest per-slice count of the interpolated ROI (not of the original mask), and its z
/// position is that slice's.
#[test]
fn the_slice_is_chosen_after_interpolation() {
    let interp = "[interpolation]\nspacing_mm = [1.0, 1.0, 1.0]\nimage_method = \"linear\"\n\
                  mask_method = \"linear\"\n";
    let whole = radx_process::prepare(image(), mask(), &settings(interp)).unwrap();
    let counts: Vec<usize> = (0..whole.roi.morphological.shape()[0])
        .map(|k| {
            whole
                .roi
                .morphological
                .index_axis(ndarray::Axis(0), k)
                .iter()
                .filter(|&&b| b)
                .count()
        })
        .collect();
    let most = *counts.iter().max().unwrap();
    let k = counts.iter().position(|&c| c == most).unwrap();
    assert_ne!(most, 20, "interpolation changes the counts");
    let t = run(
        mask(),
        &settings(&format!(
            "{interp}[features]\nslice_selection = \"largest\"\n"
        )),
    );
    assert_eq!(diag(&t, "diag_largest_slice_voxels"), Some(most as f64));
    let z = whole.roi.grid.world_of_index([k as f64, 0.0, 0.0])[2];
    assert!((diag(&t, "diag_largest_slice_z_mm").unwrap() - z).abs() < 1e-9);
}
