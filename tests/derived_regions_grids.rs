//! Derived regions beyond the image grid as read: `[roi] derive_on = "interpolated"`,
//! extra masks (`--extra-mask NAME=PATH`, `with_mask`) and `[mask] resample_to_image` on
//! the region paths (multi-ROI, derived, extra masks).

use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::{s, Array3};
use radx_core::{FeatureTable, Grid, Image, Settings};
use radx_pipeline::{ExtraMaskAsk, LoadedCase, RegionAsk, RoiSelector};

fn settings(toml: &str) -> Settings {
    Settings::from_toml_str(&format!("radx_settings = 1\n{toml}"), "t").unwrap()
}

fn one_region(mask: &Path) -> Vec<RegionAsk> {
    vec![RegionAsk::One {
        mask: mask.to_path_buf(),
        selector: RoiSelector::Auto,
        name: "lesion".into(),
    }]
}

/// load -> derive -> extract, as `radx extract` and `radx batch` run a case.
fn run(
    image: &Path,
    mask: &Path,
    extra: &[ExtraMaskAsk],
    s: &Settings,
) -> Result<(LoadedCase, FeatureTable), String> {
    let mut loaded = radx_pipeline::load_regions(
        image,
        &Default::default(),
        &one_region(mask),
        extra,
        &s.mask,
    )
    .map_err(|e| e.to_string())?;
    radx_pipeline::derive_regions(&mut loaded, s).map_err(|e| e.to_string())?;
    let registry = radx_pipeline::builtin_registry();
    let t = radx_pipeline::extract_regions(&loaded, s, &registry, "c")
        .map_err(|(r, e)| format!("{r}: {e}"))?;
    Ok((loaded, t))
}

fn value(t: &FeatureTable, roi: &str, tag: &str) -> f64 {
    t.rows
        .iter()
        .find(|r| r.roi == roi && r.tag == tag)
        .unwrap_or_else(|| panic!("no {tag} for {roi}"))
        .value
        .unwrap_or_else(|| panic!("{tag} of {roi} is missing"))
}

fn sts() -> (PathBuf, PathBuf) {
    (
        radx_testkit::cohort("nifti/STS_002/CT_image.nii.gz"),
        radx_testkit::cohort("nifti/STS_002/CT_mask.nii.gz"),
    )
}

const RING: &str = "[features]\nfamilies = [\"morphology\", \"intensity_stats\"]\n[morphology]\nmoran_geary = \"skip\"\n[[roi.derived]]\nname = \"ring\"\nop = \"ring\"\nr1_mm = 0.0\nr2_mm = 3.0\n[[roi.derived]]\nname = \"soft\"\nop = \"window\"\nof = \"ring\"\nmin = -100.0\nmax = 200.0\n";

#[test]
fn without_interpolation_both_grids_give_the_same_table() {
    let (image, mask) = sts();
    let (on_image, t1) = run(&image, &mask, &[], &settings(RING)).unwrap();
    let interp = settings(&format!("[roi]\nderive_on = \"interpolated\"\n{RING}"));
    let (on_interp, t2) = run(&image, &mask, &[], &interp).unwrap();
    assert_eq!(t1.rows.len(), t2.rows.len());
    for (a, b) in t1.rows.iter().zip(&t2.rows) {
        assert_eq!((&a.roi, &a.tag, a.value), (&b.roi, &b.tag, b.value));
    }
    assert!(on_interp.interpolated.is_none());
    let grids = |c: &LoadedCase| -> Vec<String> {
        c.regions
            .iter()
            .filter_map(|r| r.derivation.as_ref().map(|d| d.grid.clone()))
            .collect()
    };
    assert_eq!(grids(&on_image), ["image", "image"]);
    assert_eq!(grids(&on_interp), ["image", "image"]);
}

/// A 20 x 40 x 40 image of 1 x 1 x 4 mm voxels (x, y, z) holding a ball of radius 8 mm.
fn anisotropic_ball(dir: &Path) -> (PathBuf, PathBuf) {
    let grid = Grid {
        shape_zyx: [20, 40, 40],
        spacing_zyx: [4.0, 1.0, 1.0],
        origin_xyz: [0.0, 0.0, 0.0],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    };
    let c = [10.0 * 4.0, 20.0, 20.0];
    let inside = |z: usize, y: usize, x: usize| {
        let d = [z as f64 * 4.0 - c[0], y as f64 - c[1], x as f64 - c[2]];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2] <= 64.0
    };
    let data = Array3::from_shape_fn((20, 40, 40), |(z, y, x)| {
        if inside(z, y, x) {
            100.0 + (x + y) as f64
        } else {
            (z * 7 + y * 3 + x) as f64 % 50.0
        }
    });
    let mask = Array3::from_shape_fn(
        (20, 40, 40),
        |(z, y, x)| {
            if inside(z, y, x) {
                1.0
            } else {
                0.0
            }
        },
    );
    let (ip, mp) = (dir.join("image.nii.gz"), dir.join("mask.nii.gz"));
    radx_io::write_nifti_image(&Image::new(grid.clone(), data).unwrap(), &ip).unwrap();
    radx_io::write_nifti_image(&Image::new(grid, mask).unwrap(), &mp).unwrap();
    (ip, mp)
}

#[test]
fn on_the_interpolated_grid_the_ring_is_computed_in_the_new_spacing() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = anisotropic_ball(dir.path());
    let base = "[features]\nfamilies = [\"morphology\", \"intensity_stats\"]\n[morphology]\nmoran_geary = \"skip\"\n[interpolation]\nspacing_mm = [1.0, 1.0, 1.0]\n[[roi.derived]]\nname = \"ring\"\nop = \"ring\"\nr1_mm = 0.0\nr2_mm = 3.0\n";
    let (img_case, img_t) = run(&image, &mask, &[], &settings(base)).unwrap();
    let (int_case, int_t) = run(
        &image,
        &mask,
        &[],
        &settings(&format!("[roi]\nderive_on = \"interpolated\"\n{base}")),
    )
    .unwrap();
    let ring = |c: &LoadedCase| c.regions[1].derivation.clone().unwrap();
    let (ri, rn) = (ring(&img_case), ring(&int_case));
    assert_eq!(
        (ri.grid.as_str(), rn.grid.as_str()),
        ("image", "interpolated")
    );
    // The interpolated grid: 1 mm voxels; the ring's mask lies on it.
    let interp = int_case
        .interpolated
        .as_ref()
        .expect("the interpolated image");
    assert_eq!(interp.grid.spacing_zyx, [1.0, 1.0, 1.0]);
    assert_eq!(int_case.regions[1].mask.grid, interp.grid);
    // The lesion's volume on the interpolated grid gives its radius; the 0-3 mm shell
    // around a ball of that radius is 4/3 pi ((R+3)^3 - R^3).
    let lesion =
        radx_process::interpolate_whole_mask(&int_case.regions[0].mask, &settings(base)).unwrap();
    let v = lesion.count() as f64;
    let r = (3.0 * v / (4.0 * std::f64::consts::PI)).cbrt();
    let shell = 4.0 / 3.0 * std::f64::consts::PI * ((r + 3.0).powi(3) - r.powi(3));
    let on_new = rn.voxels as f64; // 1 mm^3 voxels
    assert!(
        (on_new - shell).abs() < 0.1 * shell,
        "interpolated-grid ring {on_new} mm3 vs shell {shell:.0} mm3"
    );
    // On the 4 mm slices no slice lies within 3 mm above or below the ball: the ring is
    // only the in-plane annuli, far below the shell.
    let on_old = ri.voxels as f64 * 4.0;
    eprintln!("ring 0-3 mm: shell {shell:.0} mm3, interpolated grid {on_new} mm3, image grid {on_old} mm3");
    assert!(
        on_old < 0.8 * shell,
        "image-grid ring {on_old} mm3 vs {shell:.0}"
    );
    // The ring is extracted on the interpolated image as it is: its voxel count is the
    // derivation's, and the mesh volume is near its voxel volume.
    assert_eq!(
        value(&int_t, "ring", "morph_mask_vox_count_interp_roi"),
        rn.voxels as f64
    );
    let vol = value(&int_t, "ring", "morph_volume");
    assert!((vol - on_new).abs() < 0.1 * on_new, "{vol} vs {on_new}");
    // The lesion itself goes through the chain as usual: the same rows either way.
    for (a, b) in img_t
        .rows
        .iter()
        .filter(|r| r.roi == "lesion")
        .zip(int_t.rows.iter().filter(|r| r.roi == "lesion"))
    {
        assert_eq!((&a.tag, a.value), (&b.tag, b.value));
    }
}

/// The STS_002 mask padded by 3 voxels on every side: another grid, same voxel centres.
fn padded_copy(m: &Path, out: &Path, pad: usize) {
    let m = radx_io::read_image(m).unwrap();
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
    radx_io::write_nifti_image(&Image::new(grid, data).unwrap(), out).unwrap();
}

const BODY: &str = "[features]\nfamilies = [\"intensity_stats\"]\n[[roi.derived]]\nname = \"ring\"\nop = \"ring\"\nr1_mm = 0.0\nr2_mm = 5.0\n[[roi.derived]]\nname = \"ring_in_body\"\nop = \"intersection\"\nof = \"ring\"\nwith_mask = \"body\"\n[[roi.derived]]\nname = \"ring_out_body\"\nop = \"difference\"\nof = \"ring\"\nwith_mask = \"body\"\n";

#[test]
fn an_extra_mask_keeps_the_ring_inside_it_and_is_recorded() {
    let (image, mask) = sts();
    let dir = tempfile::tempdir().unwrap();
    let img = radx_io::read_image(&image).unwrap();
    let lesion = radx_io::read_image(&mask).unwrap().data.mapv(|v| v != 0.0);
    // the "body": the half of the image above the lesion's middle slice
    let zs: Vec<usize> = lesion
        .indexed_iter()
        .filter(|(_, &m)| m)
        .map(|((z, _, _), _)| z)
        .collect();
    let mid = (zs.iter().min().unwrap() + zs.iter().max().unwrap()) / 2;
    let body = Array3::from_shape_fn(lesion.dim(), |(z, _, _)| if z > mid { 1.0 } else { 0.0 });
    let body_path = dir.path().join("body.nii.gz");
    radx_io::write_nifti_image(
        &Image::new(img.grid.clone(), body.clone()).unwrap(),
        &body_path,
    )
    .unwrap();
    let extra = [ExtraMaskAsk {
        name: "body".into(),
        path: body_path.clone(),
    }];
    let s = settings(BODY);
    let (case, t) = run(&image, &mask, &extra, &s).unwrap();
    let ring = radx_regions::outer_ring(&lesion, 0.0, 5.0, img.grid.spacing_zyx);
    let body_b = body.mapv(|v| v != 0.0);
    let inside = radx_regions::intersection(&ring, &body_b);
    let outside = radx_regions::difference(&ring, &body_b);
    let d = |i: usize| case.regions[i].derivation.clone().unwrap();
    assert_eq!(d(2).voxels, radx_regions::count(&inside));
    assert_eq!(d(3).voxels, radx_regions::count(&outside));
    assert!(d(2).voxels > 0 && d(3).voxels > 0);
    assert_eq!(d(2).voxels + d(3).voxels, d(1).voxels);
    assert_eq!(d(2).with.as_deref(), Some("extra_mask_body"));
    assert_eq!(case.regions[2].mask.data, inside);
    assert!(value(&t, "ring_in_body", "stat_mean").is_finite());
    // the extra mask's file and sha256 are an input of the case
    let rec = case
        .inputs
        .iter()
        .find(|i| i.role == "extra_mask_body")
        .expect("recorded");
    assert_eq!(rec.path, body_path.display().to_string());
    assert_eq!(rec.sha256, radx_io::sha256_file(&body_path).unwrap());

    // not given: an error naming the mask
    let e = run(&image, &mask, &[], &s).unwrap_err();
    assert!(
        e.contains("extra mask `body`") && e.contains("extra_mask_body"),
        "{e}"
    );
    // on another grid: the reader's grid error, naming the file ...
    let moved = dir.path().join("body_padded.nii.gz");
    padded_copy(&body_path, &moved, 3);
    let extra_moved = [ExtraMaskAsk {
        name: "body".into(),
        path: moved.clone(),
    }];
    let e = run(&image, &mask, &extra_moved, &s).unwrap_err();
    assert!(
        e.contains("mask grid differs from the image grid") && e.contains("body_padded"),
        "{e}"
    );
    // ... unless [mask] resample_to_image brings it onto the image grid (same centres:
    // the same regions), which the derivation records
    let near = settings(&format!("[mask]\nresample_to_image = \"nearest\"\n{BODY}"));
    let (case2, t2) = run(&image, &mask, &extra_moved, &near).unwrap();
    assert_eq!(case2.regions[2].mask.data, inside);
    assert_eq!(
        value(&t2, "ring_in_body", "stat_mean"),
        value(&t, "ring_in_body", "stat_mean")
    );
    let p = &case2.regions[2].derivation.as_ref().unwrap().parameters;
    assert!(
        p.iter()
            .any(|x| x.contains("resampled onto the image grid by nearest")),
        "{p:?}"
    );
}

fn radx(args: &[&str], extra: &[&Path]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_radx"));
    c.args(args);
    for p in extra {
        c.arg(p);
    }
    c.output().unwrap()
}

#[test]
fn extract_and_batch_take_extra_masks_and_resample_masks_on_every_region_path() {
    let (image, mask) = sts();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let img = radx_io::read_image(&image).unwrap();
    let body = Array3::from_shape_fn(img.data.dim(), |(z, _, _)| {
        if z >= img.grid.shape_zyx[0] / 2 {
            1.0
        } else {
            0.0
        }
    });
    let body_path = d.join("body.nii.gz");
    radx_io::write_nifti_image(&Image::new(img.grid.clone(), body).unwrap(), &body_path).unwrap();
    // the lesion mask and the body mask both on a padded grid
    let moved_mask = d.join("mask_padded.nii.gz");
    padded_copy(&mask, &moved_mask, 3);
    let moved_body = d.join("body_padded.nii.gz");
    padded_copy(&body_path, &moved_body, 2);
    let toml = format!("radx_settings = 1\n[mask]\nresample_to_image = \"nearest\"\n{BODY}");
    std::fs::write(d.join("s.toml"), &toml).unwrap();

    // radx extract --extra-mask, mask and extra mask resampled
    let o = radx(
        &["extract", "--extra-mask"],
        &[Path::new(&format!("body={}", moved_body.display()))],
    );
    assert!(!o.status.success()); // no image: the usage error, not a panic
    let mut c = Command::new(env!("CARGO_BIN_EXE_radx"));
    c.arg("extract")
        .arg("--image")
        .arg(&image)
        .arg("--mask")
        .arg(&moved_mask)
        .arg("--label")
        .arg("1")
        .arg("--extra-mask")
        .arg(format!("body={}", moved_body.display()))
        .arg("--settings")
        .arg(d.join("s.toml"))
        .arg("--out")
        .arg(d.join("one.csv"));
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let one = std::fs::read_to_string(d.join("one.csv")).unwrap();

    // radx batch: the same case from a cohort with an extra_mask_body column
    std::fs::write(
        d.join("cohort.csv"),
        format!(
            "case_id,image,mask,label,extra_mask_body\nc,{},{},1,{}\n",
            image.display(),
            moved_mask.display(),
            moved_body.display()
        ),
    )
    .unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_radx"));
    c.args(["batch", "--cohort"])
        .arg(d.join("cohort.csv"))
        .arg("--settings")
        .arg(d.join("s.toml"))
        .arg("--out")
        .arg(d.join("out"));
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = std::fs::read_to_string(d.join("out/features.csv")).unwrap();

    // the rows (features of the lesion, ring, ring_in_body, ring_out_body) equal the
    // one-region-on-the-image-grid extraction's
    let (_, want) = run(
        &image,
        &mask,
        &[ExtraMaskAsk {
            name: "body".into(),
            path: body_path.clone(),
        }],
        &settings(BODY),
    )
    .unwrap();
    for roi in ["label_1", "ring", "ring_in_body", "ring_out_body"] {
        let name = if roi == "label_1" { "lesion" } else { roi };
        let mean = want
            .rows
            .iter()
            .find(|r| r.roi == name && r.tag == "stat_mean")
            .unwrap()
            .value
            .unwrap();
        for (what, csv) in [("extract", &one), ("batch", &table)] {
            // columns: case,roi,image,family,feature,ibsi_id,aggregation,tag,unit,value,...
            let v: f64 = csv
                .lines()
                .map(|l| l.split(',').collect::<Vec<_>>())
                .find(|f| f[1] == roi && f[7] == "stat_mean")
                .unwrap_or_else(|| panic!("{what}: no stat_mean of {roi}:\n{csv}"))[9]
                .parse()
                .unwrap();
            assert_eq!(v, mean, "{what} {roi}");
        }
    }
    // the batch's provenance records the resampling and the extra mask
    let rec = std::fs::read_to_string(d.join("out/cases/c.provenance.json")).unwrap();
    assert!(rec.contains("extra_mask_body") && rec.contains("body_padded.nii.gz"));
    assert!(rec.contains("resampled onto the image grid by nearest"));
}
