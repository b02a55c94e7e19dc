//! `radx stability` reads each case as `radx batch` does, under every condition: the cohort's
//! `volume` column (a 4D NIfTI), its `extra_mask_NAME` columns for `[normalisation] within =
//! "NAME"` (the parameters used recorded in each case's provenance, per condition of a
//! `--vary` over a normalisation key and per perturbation), and `[mask] resample_to_image`
//! (a mask on another grid gives the values of the mask on the image grid). On two PET cases
//! of the shipped test cohort (`reference-data/cohorts/sts-mini/`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ndarray::{s, Array3, Axis};
use radx_core::{Grid, Image};

const SETTINGS: &str =
    "radx_settings = 1\n[features]\nfamilies = [\"intensity_stats\", \"intensity_histogram\"]\n\
[discretisation.histogram]\nmethod = \"fbn\"\nbins = 16\n\
[discretisation.texture]\nmethod = \"fbn\"\nbins = 16\n";

fn radx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .output()
        .expect("radx runs")
}

fn ok(o: Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "radx failed: {err}");
    err
}

/// The first two PET cases of the test cohort: (case, image, mask).
fn cases() -> Vec<(String, PathBuf, PathBuf)> {
    radx_testkit::cohort_cases("PET")
        .into_iter()
        .take(2)
        .map(|c| {
            let f = |w: &str| radx_testkit::cohort(&format!("nifti/{c}/PET_{w}.nii.gz"));
            (c.to_string(), f("image"), f("mask"))
        })
        .collect()
}

fn read(p: &Path) -> Image {
    radx_io::read_image(p).unwrap()
}

fn write_cohort(path: &Path, header: &str, rows: &[String]) -> String {
    std::fs::write(path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    path.display().to_string()
}

/// The feature rows (`case,roi,tag,value`) of a long CSV table, in order.
fn values(csv: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(csv).unwrap_or_else(|e| panic!("{}: {e}", csv.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let cols = [col("case"), col("roi"), col("tag"), col("value")];
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            cols.map(|i| f[i]).join(",")
        })
        .collect()
}

/// (slug, name) of every condition of a run.
fn conditions(out: &Path) -> Vec<(String, String)> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("conditions.json")).unwrap())
            .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["slug"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn table(out: &Path, slug: &str) -> Vec<String> {
    let v = values(&out.join("conditions").join(slug).join("features.csv"));
    assert!(v.len() > 40, "{slug}: {} rows", v.len());
    v
}

fn record(out: &Path, slug: &str, case: &str) -> serde_json::Value {
    let p = out
        .join("conditions")
        .join(slug)
        .join("cases")
        .join(format!("{case}.provenance.json"));
    serde_json::from_str(
        &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

#[test]
fn the_volume_column_picks_the_volume_of_a_4d_image() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let settings = d.join("s.toml");
    std::fs::write(&settings, SETTINGS).unwrap();
    let (mut four_d, mut three_d, mut first) = (Vec::new(), Vec::new(), Vec::new());
    for (c, image, mask) in cases() {
        let v0 = read(&image);
        let v1 = Image::new(v0.grid.clone(), v0.data.mapv(|x| 2.0 * x + 1.0)).unwrap();
        let dynamic = d.join(format!("{c}_dyn.nii.gz"));
        radx_io::write_nifti_volumes(&[v0.clone(), v1.clone()], &dynamic).unwrap();
        let vol1 = d.join(format!("{c}_v1.nii.gz"));
        radx_io::write_nifti_image(&v1, &vol1).unwrap();
        four_d.push(format!("{c},{},{},1", dynamic.display(), mask.display()));
        first.push(format!("{c},{},{},0", dynamic.display(), mask.display()));
        three_d.push(format!("{c},{},{}", vol1.display(), mask.display()));
    }
    let run = |cohort: String, out: &str| {
        ok(radx(&[
            "stability",
            "--cohort",
            &cohort,
            "--settings",
            &settings.display().to_string(),
            "--vary",
            "discretisation.histogram.bins=8,16",
            "--out",
            &d.join(out).display().to_string(),
            "--threads",
            "2",
        ]))
    };
    run(
        write_cohort(&d.join("a.csv"), "case_id,image,mask,volume", &four_d),
        "a",
    );
    run(
        write_cohort(&d.join("b.csv"), "case_id,image,mask", &three_d),
        "b",
    );
    run(
        write_cohort(&d.join("z.csv"), "case_id,image,mask,volume", &first),
        "z",
    );
    let slugs = conditions(&d.join("a"));
    assert_eq!(slugs.len(), 2);
    for (slug, _) in &slugs {
        let a = table(&d.join("a"), slug);
        assert_eq!(a, table(&d.join("b"), slug), "{slug}");
        // volume 0 differs: the test can fail
        assert_ne!(a, table(&d.join("z"), slug), "{slug}");
        for (c, _, _) in cases() {
            let r = record(&d.join("a"), slug, &c);
            assert_eq!(r["selection"]["image_volume"], 1, "{r}");
            assert_eq!(r["selection"]["image_volumes"], 2, "{r}");
            assert_eq!(r["request"]["volume"], 1, "{r}");
        }
    }
}

/// A "body" mask: the ROI's bounding box widened by 4 voxels (clipped to the grid).
fn body_mask(mask: &Image) -> Image {
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for ((z, y, x), &v) in mask.data.indexed_iter() {
        if v != 0.0 {
            for (a, i) in [z, y, x].into_iter().enumerate() {
                lo[a] = lo[a].min(i);
                hi[a] = hi[a].max(i + 1);
            }
        }
    }
    let sh = mask.grid.shape_zyx;
    let mut data = Array3::zeros(mask.data.dim());
    data.slice_mut(s![
        lo[0].saturating_sub(4)..(hi[0] + 4).min(sh[0]),
        lo[1].saturating_sub(4)..(hi[1] + 4).min(sh[1]),
        lo[2].saturating_sub(4)..(hi[2] + 4).min(sh[2])
    ])
    .fill(1.0);
    Image::new(mask.grid.clone(), data).unwrap()
}

/// Population mean and sd of the image within the body mask.
fn mean_sd(image: &Image, body: &Image) -> (f64, f64) {
    let v: Vec<f64> = image
        .data
        .iter()
        .zip(body.data.iter())
        .filter(|(_, &b)| b != 0.0)
        .map(|(&x, _)| x)
        .collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn normalisation_within_an_extra_mask_is_fitted_and_recorded_per_condition() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let settings = d.join("s.toml");
    std::fs::write(
        &settings,
        format!("{SETTINGS}[normalisation]\nmethod = \"zscore\"\nwithin = \"body\"\n"),
    )
    .unwrap();
    let mut rows = Vec::new();
    let mut stats = Vec::new();
    for (c, image, mask) in cases() {
        let body = body_mask(&read(&mask));
        let path = d.join(format!("{c}_body.nii.gz"));
        radx_io::write_nifti_image(&body, &path).unwrap();
        stats.push((c.clone(), mean_sd(&read(&image), &body)));
        rows.push(format!(
            "{c},{},{},{}",
            image.display(),
            mask.display(),
            path.display()
        ));
    }
    let cohort = write_cohort(
        &d.join("c.csv"),
        "case_id,image,mask,extra_mask_body",
        &rows,
    );
    let s = settings.display().to_string();
    let grid = d.join("grid").display().to_string();
    let vary = [
        "stability",
        "--cohort",
        &cohort,
        "--settings",
        &s,
        "--vary",
        "normalisation.scale=1.0,2.0",
        "--out",
        &grid,
        "--threads",
        "2",
    ];
    ok(radx(&vary));
    let slugs = conditions(Path::new(&grid));
    assert_eq!(slugs.len(), 2, "{slugs:?}");
    for ((slug, name), scale) in slugs.iter().zip([1.0, 2.0]) {
        for (c, (mean, sd)) in &stats {
            let r = record(Path::new(&grid), slug, c);
            let n = &r["selection"]["normalisation"];
            assert_eq!(n["method"], "zscore", "{name}: {r}");
            assert_eq!(n["within"], "extra_mask_body", "{name}: {r}");
            assert!(close(n["mean"].as_f64().unwrap(), *mean), "{n} vs {mean}");
            assert!(close(n["sd"].as_f64().unwrap(), *sd), "{n} vs {sd}");
            assert!(close(n["factor"].as_f64().unwrap(), scale / sd), "{n}");
            let inputs = r["inputs"].as_array().unwrap();
            assert!(inputs.iter().any(|i| i["role"] == "extra_mask_body"), "{r}");
        }
    }
    // the scale changes the normalised intensities (mean of the ROI doubles)
    assert_ne!(
        table(Path::new(&grid), &slugs[0].0),
        table(Path::new(&grid), &slugs[1].0)
    );
    // the same parameters and values as radx batch with the scale-1 settings
    let batch = d.join("batch").display().to_string();
    ok(radx(&[
        "batch",
        "--cohort",
        &cohort,
        "--settings",
        &s,
        "--out",
        &batch,
    ]));
    for (c, _) in &stats {
        let b: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                Path::new(&batch)
                    .join("cases")
                    .join(format!("{c}.provenance.json")),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            b["selection"]["normalisation"],
            record(Path::new(&grid), &slugs[0].0, c)["selection"]["normalisation"]
        );
    }
    let batch_rows = values(&Path::new(&batch).join("features.csv"));
    assert_eq!(batch_rows, table(Path::new(&grid), &slugs[0].0));
    // resume: the same command keeps every result
    let err = ok(radx(&vary));
    assert!(
        err.contains("0 case x condition results computed") && err.contains("4 kept"),
        "{err}"
    );

    // perturbed: normalised after the perturbation, its parameters recorded per case
    let pert = d.join("pert").display().to_string();
    let perturb = [
        "stability",
        "--cohort",
        &cohort,
        "--settings",
        &s,
        "--perturb",
        "noise,rotation",
        "--perturbations",
        "2",
        "--out",
        &pert,
        "--threads",
        "2",
    ];
    ok(radx(&perturb));
    for (c, (mean, _)) in &stats {
        let original = record(Path::new(&pert), "00-original", c);
        assert!(close(
            original["selection"]["normalisation"]["mean"]
                .as_f64()
                .unwrap(),
            *mean
        ));
        for slug in ["p001", "p002"] {
            let r = record(Path::new(&pert), slug, c);
            let n = &r["selection"]["normalisation"];
            assert_eq!(n["within"], "extra_mask_body", "{r}");
            let m = n["mean"].as_f64().unwrap();
            // noise and rotation change the body's intensities
            assert!(m.is_finite() && m != *mean, "{slug} {c}: {n}");
        }
    }
    let err = ok(radx(&perturb));
    assert!(
        err.contains("0 case x condition results computed") && err.contains("6 kept"),
        "{err}"
    );
}

/// The mask padded by `pad` voxels on every side, stored with the x axis reversed: the same
/// voxels in space on another grid.
fn moved(m: &Image, pad: usize) -> Image {
    let [nz, ny, nx] = m.grid.shape_zyx;
    let mut data = Array3::zeros((nz + 2 * pad, ny + 2 * pad, nx + 2 * pad));
    data.slice_mut(s![pad..pad + nz, pad..pad + ny, pad..pad + nx])
        .assign(&m.data);
    let p = -(pad as f64);
    let g = Grid {
        shape_zyx: [nz + 2 * pad, ny + 2 * pad, nx + 2 * pad],
        origin_xyz: m.grid.world_of_index([p, p, p]),
        ..m.grid.clone()
    };
    let n = g.shape_zyx[2];
    data.invert_axis(Axis(2));
    let mut grid = g.clone();
    grid.origin_xyz = g.world_of_index([0.0, 0.0, (n - 1) as f64]);
    for r in 0..3 {
        grid.direction[r][0] = -grid.direction[r][0];
    }
    Image::new(grid, data).unwrap()
}

#[test]
fn a_mask_on_another_grid_is_resampled_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plain = d.join("s.toml");
    std::fs::write(&plain, SETTINGS).unwrap();
    let resample = d.join("r.toml");
    std::fs::write(
        &resample,
        format!("{SETTINGS}[mask]\nresample_to_image = \"nearest\"\n"),
    )
    .unwrap();
    let (mut on_grid, mut off_grid) = (Vec::new(), Vec::new());
    for (c, image, mask) in cases() {
        let m = d.join(format!("{c}_moved.nii.gz"));
        radx_io::write_nifti_image(&moved(&read(&mask), 3), &m).unwrap();
        on_grid.push(format!("{c},{},{}", image.display(), mask.display()));
        off_grid.push(format!("{c},{},{}", image.display(), m.display()));
    }
    let a = write_cohort(&d.join("a.csv"), "case_id,image,mask", &on_grid);
    let b = write_cohort(&d.join("b.csv"), "case_id,image,mask", &off_grid);
    let run = |cohort: &str, settings: &Path, out: &str| {
        radx(&[
            "stability",
            "--cohort",
            cohort,
            "--settings",
            &settings.display().to_string(),
            "--vary",
            "discretisation.histogram.bins=8,16",
            "--out",
            &d.join(out).display().to_string(),
            "--threads",
            "2",
        ])
    };
    ok(run(&a, &plain, "a"));
    ok(run(&b, &resample, "b"));
    for (slug, _) in conditions(&d.join("a")) {
        assert_eq!(table(&d.join("a"), &slug), table(&d.join("b"), &slug));
        for (c, _, _) in cases() {
            let r = record(&d.join("b"), &slug, &c);
            assert!(
                r["selection"]["mask_resampling"]
                    .as_str()
                    .is_some_and(|n| n.contains("nearest")),
                "{r}"
            );
        }
    }
    // without the setting, the moved mask is each case's error (grid mismatch)
    let o = run(&b, &plain, "c");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("failed at read") && err.contains("grid"),
        "{err}"
    );
}

#[test]
fn a_varied_mask_setting_and_observers_use_the_resampled_masks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plain = d.join("s.toml");
    std::fs::write(&plain, SETTINGS).unwrap();
    let resample = d.join("r.toml");
    std::fs::write(
        &resample,
        format!("{SETTINGS}[mask]\nresample_to_image = \"nearest\"\n"),
    )
    .unwrap();
    let (mut off_grid, mut observers, mut on_grid) = (Vec::new(), Vec::new(), Vec::new());
    for (c, image, mask) in cases() {
        let m = d.join(format!("{c}_moved.nii.gz"));
        radx_io::write_nifti_image(&moved(&read(&mask), 2), &m).unwrap();
        on_grid.push(format!("{c},{},{}", image.display(), mask.display()));
        off_grid.push(format!("{c},{},{}", image.display(), m.display()));
        observers.push(format!(
            "{c},{},{},{}",
            image.display(),
            mask.display(),
            m.display()
        ));
    }
    let on = write_cohort(&d.join("on.csv"), "case_id,image,mask", &on_grid);
    let off = write_cohort(&d.join("off.csv"), "case_id,image,mask", &off_grid);
    let obs = write_cohort(
        &d.join("obs.csv"),
        "case_id,image,mask_a,mask_b",
        &observers,
    );
    // a grid over [mask] resample_to_image: each value reads the case its own way
    let out = d.join("v");
    let o = radx(&[
        "stability",
        "--cohort",
        &off,
        "--settings",
        &plain.display().to_string(),
        "--vary",
        "mask.resample_to_image=off,nearest",
        "--out",
        &out.display().to_string(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    let slugs = conditions(&out);
    assert_eq!(slugs.len(), 2, "{err}");
    for (c, _, _) in cases() {
        let e = out
            .join("conditions")
            .join(&slugs[0].0)
            .join("errors")
            .join(format!("{c}.json"));
        let text = std::fs::read_to_string(&e).unwrap_or_else(|_| panic!("{err}"));
        assert!(text.contains("grid"), "{text}");
    }
    let reference = d.join("ref");
    ok(radx(&[
        "stability",
        "--cohort",
        &on,
        "--settings",
        &plain.display().to_string(),
        "--vary",
        "discretisation.histogram.bins=16,8",
        "--out",
        &reference.display().to_string(),
    ]));
    assert_eq!(
        table(&out, &slugs[1].0),
        table(&reference, &conditions(&reference)[0].0)
    );
    // observers: the second observer's masks on another grid, resampled, agree fully
    let out = d.join("obs");
    ok(radx(&[
        "stability",
        "--cohort",
        &obs,
        "--settings",
        &resample.display().to_string(),
        "--observers",
        "--out",
        &out.display().to_string(),
    ]));
    let slugs = conditions(&out);
    assert_eq!(slugs.len(), 2);
    assert_eq!(table(&out, &slugs[0].0), table(&out, &slugs[1].0));
    let agreement = std::fs::read_to_string(out.join("segmentation-agreement.csv")).unwrap();
    let mut lines = agreement.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let dice = header.iter().position(|h| *h == "dice").unwrap();
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{agreement}");
    for r in rows {
        assert_eq!(r.split(',').nth(dice), Some("1.0"), "{agreement}");
    }
}
