//! Several ROIs per case in one batch: two ROIs of one RTSTRUCT, a SEG segment chosen by
//! its label, and every label of a multi-label map, each row equal to the single-ROI
//! extraction; the same table for any thread count; resume with several rows per case.

#[path = "../../radx-io/tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::path::{Path, PathBuf};

use common::{write_seg, SegSegment};
use ndarray::Array3;
use radx_batch::{prepare_folder, read_cohort, run_batch, BatchContext, BatchManifest, Recompute};
use radx_core::{BuildInfo, Grid, Image, Mask, Registry, Settings};
use radx_pipeline::{CaseLabels, InputOptions, RoiSelector};

const SETTINGS: &str =
    "radx_settings = 1\n[features]\nfamilies = [\"morphology\", \"intensity_stats\", \"glcm\"]\n\
[morphology]\nmoran_geary = \"skip\"\n[discretisation.texture]\nmethod = \"fbn\"\nbins = 8\n";

struct Fixture {
    dir: tempfile::TempDir,
    ct: PathBuf,
    rt: PathBuf,
    seg: PathBuf,
    nii: PathBuf,
    labels: PathBuf,
}

fn ball(grid: &Grid, c: [f64; 3], r: f64) -> Mask {
    let [nz, ny, nx] = grid.shape_zyx;
    Mask::new(
        grid.clone(),
        Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
            (z as f64 - c[0]).powi(2) + (y as f64 - c[1]).powi(2) + (x as f64 - c[2]).powi(2)
                <= r * r
        }),
    )
    .unwrap()
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let grid0 = Grid::new([10, 16, 16], [2.0, 1.0, 1.0], [0.0, 0.0, 0.0]);
    let data = Array3::from_shape_fn((10, 16, 16), |(z, y, x)| {
        (((z * 7 + y * 13 + x * 29) % 41) as f64 + 3.0 * x as f64).round()
    });
    let image0 = Image::new(grid0, data).unwrap();
    let ct = dir.path().join("ct");
    radx_testkit::dicom::ct_series(&ct, &image0);
    // the series as radx reads it (its grid is the one masks are drawn on)
    let loaded = radx_io::read_image_any(&ct, &Default::default()).unwrap();
    let grid = loaded.image.grid.clone();
    let info = loaded.series.clone().unwrap();

    let gtv = ball(&grid, [4.0, 6.0, 6.0], 3.0);
    let node = ball(&grid, [5.0, 11.0, 10.0], 2.5);
    let rt = dir.path().join("rt.dcm");
    std::fs::write(
        &rt,
        radx_testkit::dicom::rtstruct_rois(&[("GTV", &gtv), ("Node", &node)]),
    )
    .unwrap();

    let u8s = |m: &Mask| m.data.mapv(u8::from);
    let seg = dir.path().join("seg.dcm");
    write_seg(
        &seg,
        &grid,
        info.frame_of_reference_uid.as_deref().unwrap(),
        &info.series_uid,
        &[
            SegSegment {
                number: 1,
                label: "Liver".into(),
                values: u8s(&ball(&grid, [4.0, 8.0, 8.0], 4.0)),
            },
            SegSegment {
                number: 2,
                label: "Spleen".into(),
                values: u8s(&ball(&grid, [6.0, 4.0, 11.0], 2.5)),
            },
        ],
        None,
    );

    let nii = dir.path().join("image.nii.gz");
    radx_io::write_nifti_image(&loaded.image, &nii).unwrap();
    let labels_data = {
        let [a, b, c] = grid.shape_zyx;
        Array3::from_shape_fn((a, b, c), |(z, y, x)| {
            if gtv.data[[z, y, x]] {
                1.0
            } else if node.data[[z, y, x]] {
                2.0
            } else if z < 3 && y > 12 && x < 4 {
                5.0
            } else {
                0.0
            }
        })
    };
    let labels = dir.path().join("labels.nii.gz");
    radx_io::write_nifti_image(&Image::new(grid, labels_data).unwrap(), &labels).unwrap();
    Fixture {
        dir,
        ct,
        rt,
        seg,
        nii,
        labels,
    }
}

fn context<'a>(
    settings: &'a Settings,
    registry: &'a Registry,
    build: &'a BuildInfo,
) -> BatchContext<'a> {
    BatchContext {
        settings,
        registry,
        build,
        extra_inputs: Vec::new(),
        panic_case: None,
        scheduler: None,
    }
}

fn build() -> BuildInfo {
    radx_build::info()
}

/// The CSV lines (without header) of one single-ROI extraction.
fn single(image: &Path, mask: &Path, sel: RoiSelector, case: &str, roi: &str) -> Vec<String> {
    let settings = Settings::from_toml_str(SETTINGS, "t").unwrap();
    let registry = radx_pipeline::builtin_registry();
    let options = InputOptions {
        roi: sel,
        ..Default::default()
    };
    let labels = CaseLabels {
        case: case.into(),
        roi: roi.into(),
        image: "original".into(),
    };
    let (t, _) =
        radx_pipeline::extract_inputs(image, mask, &options, &settings, &registry, &labels)
            .unwrap();
    radx_io::table_to_csv(&t)
        .lines()
        .skip(1)
        .map(String::from)
        .collect()
}

fn rows_of(csv: &str, case: &str, roi: &str) -> Vec<String> {
    csv.lines()
        .filter(|l| l.starts_with(&format!("{case},{roi},")))
        .map(String::from)
        .collect()
}

fn run(cohort: &Path, out: &Path, threads: usize) -> radx_batch::BatchSummary {
    let settings = Settings::from_toml_str(SETTINGS, "t").unwrap();
    let registry = radx_pipeline::builtin_registry();
    let b = build();
    let cases = read_cohort(cohort).unwrap();
    let manifest = BatchManifest {
        radx_batch: 1,
        settings_id: settings.id(),
        build: b.identity.clone(),
        cohort: None,
        shard: None,
        cases: radx_batch::case_ids(&cases),
    };
    prepare_folder(out, &manifest, true).unwrap();
    let ctx = context(&settings, &registry, &b);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| run_batch(&cases, &ctx, out, &|_, _| {}).unwrap())
}

#[test]
fn one_batch_selects_each_cohort_rows_roi_and_matches_single_roi_extractions() {
    let f = fixture();
    let d = f.dir.path();
    let cohort = d.join("cohort.csv");
    std::fs::write(
        &cohort,
        format!(
            "case_id,image,mask,label,roi\n\
             ct,{ct},{rt},,GTV\n\
             ct,{ct},{rt},,Node\n\
             seg,{ct},{seg},,Spleen\n\
             lm,{nii},{labels},,*\n",
            ct = f.ct.display(),
            rt = f.rt.display(),
            seg = f.seg.display(),
            nii = f.nii.display(),
            labels = f.labels.display()
        ),
    )
    .unwrap();
    let out1 = d.join("out1");
    let s = run(&cohort, &out1, 1);
    assert!(s.failed.is_empty(), "{:?}", s.failed);
    assert_eq!(s.done, 3);
    let table = std::fs::read_to_string(out1.join("features.csv")).unwrap();

    let expect = [
        ("ct", "GTV", &f.ct, &f.rt, RoiSelector::Name("GTV".into())),
        ("ct", "Node", &f.ct, &f.rt, RoiSelector::Name("Node".into())),
        (
            "seg",
            "Spleen",
            &f.ct,
            &f.seg,
            RoiSelector::Name("Spleen".into()),
        ),
        ("lm", "label_1", &f.nii, &f.labels, RoiSelector::Label(1)),
        ("lm", "label_2", &f.nii, &f.labels, RoiSelector::Label(2)),
        ("lm", "label_5", &f.nii, &f.labels, RoiSelector::Label(5)),
    ];
    let mut total = 0;
    for (case, roi, image, mask, sel) in expect {
        let want = single(image, mask, sel, case, roi);
        assert!(!want.is_empty());
        assert_eq!(rows_of(&table, case, roi), want, "{case}/{roi}");
        total += want.len();
    }
    assert_eq!(total + 1, table.lines().count(), "no other rows");
    // the SEG row selects the spleen, not the liver (segment 1)
    let liver = single(&f.ct, &f.seg, RoiSelector::Label(1), "seg", "Spleen");
    assert_ne!(rows_of(&table, "seg", "Spleen"), liver);

    // the record lists each region of the multi-ROI case
    let rec: radx_core::Provenance = serde_json::from_str(
        &std::fs::read_to_string(out1.join("cases/ct.provenance.json")).unwrap(),
    )
    .unwrap();
    let names: Vec<&str> = rec.regions.iter().map(|r| r.roi.as_str()).collect();
    assert_eq!(names, ["GTV", "Node"]);
    assert_eq!(rec.regions[1].selection.roi_number, Some(2));
    assert_eq!(rec.inputs.iter().filter(|i| i.role == "mask").count(), 1);
    let rec: radx_core::Provenance = serde_json::from_str(
        &std::fs::read_to_string(out1.join("cases/seg.provenance.json")).unwrap(),
    )
    .unwrap();
    assert!(rec.regions.is_empty());
    assert_eq!(rec.selection.unwrap().segment_number, Some(2));

    // the same bytes with 2 threads
    let out2 = d.join("out2");
    run(&cohort, &out2, 2);
    assert_eq!(
        std::fs::read(out2.join("features.csv")).unwrap(),
        table.as_bytes()
    );

    // resume: everything kept; dropping a row of a case recomputes that case only
    let s = run(&cohort, &out1, 2);
    assert_eq!((s.done, s.skipped), (0, 3));
    let text = std::fs::read_to_string(&cohort).unwrap();
    std::fs::write(
        &cohort,
        text.lines()
            .filter(|l| !l.contains(",Node"))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n",
    )
    .unwrap();
    let s = run(&cohort, &out1, 2);
    assert_eq!((s.done, s.skipped), (1, 2));
    assert_eq!(s.reasons.get(&Recompute::Request), Some(&1));
    let table = std::fs::read_to_string(out1.join("features.csv")).unwrap();
    assert!(rows_of(&table, "ct", "Node").is_empty());
    assert_eq!(
        rows_of(&table, "ct", "GTV"),
        single(&f.ct, &f.rt, RoiSelector::Name("GTV".into()), "ct", "GTV")
    );
}

#[test]
fn cohort_rows_of_a_case_must_differ_in_roi_and_share_the_image() {
    let f = fixture();
    let d = f.dir.path();
    let cohort = d.join("cohort.csv");
    let write = |rows: &str| {
        std::fs::write(&cohort, format!("case_id,image,mask,label,roi\n{rows}")).unwrap();
        read_cohort(&cohort)
            .map(|c| c.len())
            .map_err(|e| e.to_string())
    };
    let ct = f.ct.display();
    let rt = f.rt.display();
    let e = write(&format!("a,{ct},{rt},,GTV\na,{ct},{rt},,GTV\n")).unwrap_err();
    assert!(
        e.contains("line 3") && e.contains("`a` with roi `GTV` repeats"),
        "{e}"
    );
    let e = write(&format!(
        "a,{ct},{rt},,GTV\na,{},{rt},,Node\n",
        f.nii.display()
    ))
    .unwrap_err();
    assert!(e.contains("line 3") && e.contains("share one image"), "{e}");
    assert_eq!(write(&format!("a,{ct},{rt},,GTV\na,{ct},{rt},2,\n")), Ok(2));
}

#[test]
fn a_roi_name_that_is_not_in_the_rtstruct_fails_the_case_with_a_suggestion() {
    let f = fixture();
    let d = f.dir.path();
    let cohort = d.join("cohort.csv");
    std::fs::write(
        &cohort,
        format!(
            "case_id,image,mask,roi\nct,{},{},gtv\nseg,{},{},spleen \n",
            f.ct.display(),
            f.rt.display(),
            f.ct.display(),
            f.seg.display()
        ),
    )
    .unwrap();
    let s = run(&cohort, &d.join("out"), 1);
    assert_eq!(s.failed.len(), 2);
    let m = &s.failed[0].message;
    assert!(
        m.contains("no ROI named \"gtv\" (did you mean \"GTV\"?)") && m.contains("(number 2)"),
        "{m}"
    );
    // the cohort reader trims fields: `spleen` is asked for
    let m = &s.failed[1].message;
    assert!(m.contains("did you mean \"Spleen\"?"), "{m}");
}

#[test]
fn duplicate_roi_names_are_refused_with_their_numbers() {
    let f = fixture();
    let loaded = radx_io::read_image_any(&f.ct, &Default::default()).unwrap();
    let g = &loaded.image.grid;
    let a = ball(g, [4.0, 6.0, 6.0], 3.0);
    let b = ball(g, [5.0, 11.0, 10.0], 2.5);
    let p = f.dir.path().join("dup.dcm");
    std::fs::write(
        &p,
        radx_testkit::dicom::rtstruct_rois(&[("GTV", &a), ("Node", &b), ("GTV", &b)]),
    )
    .unwrap();
    let target = loaded.mask_target();
    let e = radx_io::read_mask_any(&p, &target, &RoiSelector::Name("GTV".into()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2 ROIs are named \"GTV\" (ROI numbers 1, 3): choose one by number"),
        "{e}"
    );
    // by number it is fine; every ROI (whose names must tell them apart) is refused
    assert!(radx_io::read_mask_any(&p, &target, &RoiSelector::Label(3)).is_ok());
    let e = radx_io::load_masks_any(&p, &target, &[radx_io::MaskRequest::All])
        .unwrap_err()
        .to_string();
    assert!(e.contains("ROI numbers 1, 3"), "{e}");
}
