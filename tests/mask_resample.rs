//! `[mask] resample_to_image`: a label map on another grid than the image (here the STS_002
//! CT mask padded onto a larger grid, and also stored with its x axis reversed) is resampled
//! onto the image grid in physical space; by default it stays an error naming both grids.

use ndarray::{s, Array3, Axis};
use radx_core::{FeatureTable, Grid, Image, Provenance, Settings};
use radx_pipeline::{builtin_registry, extract_inputs, CaseLabels, InputOptions};

fn run(
    image: &std::path::Path,
    mask: &std::path::Path,
    settings: &Settings,
) -> Result<(FeatureTable, Provenance), String> {
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
    .map_err(|e| e.to_string())
}

fn settings(extra: &str) -> Settings {
    Settings::from_toml_str(
        &format!(
            "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 32\n{extra}"
        ),
        "t",
    )
    .unwrap()
}

/// The mask padded by `pad` voxels on every side (same spacing and direction, origin moved).
fn padded(m: &Image, pad: usize) -> Image {
    let [nz, ny, nx] = m.grid.shape_zyx;
    let mut data = Array3::zeros((nz + 2 * pad, ny + 2 * pad, nx + 2 * pad));
    data.slice_mut(s![pad..pad + nz, pad..pad + ny, pad..pad + nx])
        .assign(&m.data);
    let p = -(pad as f64);
    let grid = Grid {
        shape_zyx: [nz + 2 * pad, ny + 2 * pad, nx + 2 * pad],
        origin_xyz: m.grid.world_of_index([p, p, p]),
        ..m.grid.clone()
    };
    Image::new(grid, data).unwrap()
}

/// The same voxels stored with the x index axis reversed (direction column x negated).
fn x_reversed(m: &Image) -> Image {
    let nx = m.grid.shape_zyx[2];
    let mut data = m.data.clone();
    data.invert_axis(Axis(2));
    let mut grid = m.grid.clone();
    grid.origin_xyz = m.grid.world_of_index([0.0, 0.0, (nx - 1) as f64]);
    for r in 0..3 {
        grid.direction[r][0] = -grid.direction[r][0];
    }
    Image::new(grid, data).unwrap()
}

#[test]
fn mask_on_another_grid_is_resampled_only_when_asked() {
    let dir = radx_testkit::cohort("nifti/STS_002/CT_image.nii.gz");
    let image = dir.clone();
    let mask = radx_testkit::cohort("nifti/STS_002/CT_mask.nii.gz");
    let m = radx_io::read_image(&mask).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let moved = tmp.path().join("moved.nii.gz");
    radx_io::write_nifti_image(&x_reversed(&padded(&m, 3)), &moved).unwrap();

    // Default: today's error, naming both grids.
    let e = run(&image, &moved, &settings("")).unwrap_err();
    assert!(e.contains("mask grid differs from the image grid"), "{e}");
    assert!(e.contains("moved.nii.gz"), "{e}");

    // Nearest: voxel centres coincide, so the ROI and the features are the original ones.
    let (want, p0) = run(&image, &mask, &settings("")).unwrap();
    let s = settings("[mask]\nresample_to_image = \"nearest\"\n");
    let (got, p) = run(&image, &moved, &s).unwrap();
    assert_eq!(want.rows.len(), got.rows.len());
    for (a, b) in want.rows.iter().zip(&got.rows) {
        assert_eq!(a.value, b.value, "{}", a.tag);
    }
    let rec = p
        .selection
        .unwrap()
        .mask_resampling
        .expect("recorded in the provenance");
    assert!(
        rec.contains("nearest") && rec.contains("image grid"),
        "{rec}"
    );
    assert!(p0.selection.unwrap().mask_resampling.is_none());
    assert_ne!(p.settings_id, p0.settings_id);

    // Linear at 0.5 on coinciding centres: the same ROI as well.
    let s = settings("[mask]\nresample_to_image = \"linear\"\npartial_volume_threshold = 0.5\n");
    let (lin, _) = run(&image, &moved, &s).unwrap();
    assert_eq!(
        lin.value("morph_mask_vox_count_init_roi"),
        want.value("morph_mask_vox_count_init_roi")
    );
}

/// `radx batch` resamples too (it refused `resample_to_image` before): a cohort whose masks
/// lie on another grid (padded, x reversed) gives, for every feature, the values of the
/// one-region extraction of the mask on the image grid.
#[test]
fn batch_resamples_masks_like_the_one_region_extraction() {
    let image = radx_testkit::cohort("nifti/STS_002/CT_image.nii.gz");
    let mask = radx_testkit::cohort("nifti/STS_002/CT_mask.nii.gz");
    let m = radx_io::read_image(&mask).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let moved = d.join("moved.nii.gz");
    radx_io::write_nifti_image(&x_reversed(&padded(&m, 3)), &moved).unwrap();
    let toml = "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 32\n[mask]\nresample_to_image = \"nearest\"\n";
    std::fs::write(d.join("s.toml"), toml).unwrap();
    std::fs::write(
        d.join("cohort.csv"),
        format!(
            "case_id,image,mask,roi\nc,{},{},r\n",
            image.display(),
            moved.display()
        ),
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(["batch", "--cohort"])
        .arg(d.join("cohort.csv"))
        .arg("--settings")
        .arg(d.join("s.toml"))
        .arg("--out")
        .arg(d.join("out"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = std::fs::read_to_string(d.join("out/features.csv")).unwrap();
    let (want, _) = run(&image, &mask, &settings("")).unwrap();
    let want = radx_io::table_to_csv(&want);
    assert_eq!(got.lines().count(), want.lines().count());
    assert!(want.lines().count() > 100);
    assert_eq!(got, want);
    let rec = std::fs::read_to_string(d.join("out/cases/c.provenance.json")).unwrap();
    assert!(
        rec.contains("resampled onto the image grid by nearest"),
        "{rec}"
    );
}
