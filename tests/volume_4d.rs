//! `radx extract --volume N` and the cohort column `volume` on a 4D NIfTI written in the
//! test: the features of volume N equal those of the same volume written as a 3D image,
//! the provenance records the volume, and a 4D image without a volume is an error naming
//! the file and its number of volumes.

use std::path::Path;
use std::process::{Command, Output};

use ndarray::Array3;
use radx_core::{Grid, Image};

fn radx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .output()
        .expect("radx runs")
}

const SETTINGS: &str =
    "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 16\n\
[discretisation.texture]\nmethod = \"fbn\"\nbins = 16\n";

fn grid() -> Grid {
    Grid {
        shape_zyx: [8, 9, 10],
        spacing_zyx: [2.0, 1.0, 1.0],
        origin_xyz: [0.0, 0.0, 0.0],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    }
}

/// Volume t: different intensities per volume.
fn volume(t: usize) -> Image {
    let d = Array3::from_shape_fn((8, 9, 10), |(z, y, x)| {
        ((z * 31 + y * 17 + x * 7 + t * 13) % (40 + 7 * t)) as f64 + t as f64
    });
    Image::new(grid(), d).unwrap()
}

fn mask() -> Image {
    let d = Array3::from_shape_fn((8, 9, 10), |(z, y, x)| {
        ((2..6).contains(&z) && (2..7).contains(&y) && (3..8).contains(&x)) as u8 as f64
    });
    Image::new(grid(), d).unwrap()
}

/// (tag, value) of every feature row of a long CSV table.
fn values(csv: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (tag, value) = (col("tag"), col("value"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[tag].to_string(), f[value].to_string())
        })
        .collect()
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let vols: Vec<Image> = (0..3).map(volume).collect();
        radx_io::write_nifti_volumes(&vols, &d.join("dyn.nii.gz")).unwrap();
        radx_io::write_nifti_image(&vols[1], &d.join("vol1.nii.gz")).unwrap();
        radx_io::write_nifti_image(&mask(), &d.join("mask.nii.gz")).unwrap();
        std::fs::write(d.join("s.toml"), SETTINGS).unwrap();
        Fixture { dir }
    }
    fn p(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

#[test]
fn extract_volume_equals_the_volume_as_a_3d_image_and_is_recorded() {
    let f = Fixture::new();
    let s_path = f.p("s.toml");
    let m_path = f.p("mask.nii.gz");
    let run = |image: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "extract",
            "--image",
            image,
            "--mask",
            &m_path,
            "--settings",
            &s_path,
            "--case",
            "c",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        radx(&args)
    };
    let o = run(&f.p("dyn.nii.gz"), &f.p("a.csv"), &["--volume", "1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&f.p("vol1.nii.gz"), &f.p("b.csv"), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (a, b) = (
        values(Path::new(&f.p("a.csv"))),
        values(Path::new(&f.p("b.csv"))),
    );
    assert!(a.len() > 50, "{} features", a.len());
    assert_eq!(a, b);
    // volume 0 differs (the test can fail)
    let o = run(&f.p("dyn.nii.gz"), &f.p("z.csv"), &["--volume", "0"]);
    assert!(o.status.success());
    assert_ne!(values(Path::new(&f.p("z.csv"))), a);
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.p("a.csv.provenance.json")).unwrap())
            .unwrap();
    assert_eq!(prov["selection"]["image_volume"], 1, "{prov}");
    assert_eq!(prov["selection"]["image_volumes"], 3, "{prov}");
    assert_eq!(prov["request"]["volume"], 1, "{prov}");
    // the record re-runs
    let o = radx(&["reproduce", &f.p("a.csv.provenance.json")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_4d_image_without_volume_or_past_the_last_is_a_clear_error() {
    let f = Fixture::new();
    let base = |extra: &[&str]| {
        let s = f.p("s.toml");
        let mut args = vec![
            "extract".to_string(),
            "--image".into(),
            f.p("dyn.nii.gz"),
            "--mask".into(),
            f.p("mask.nii.gz"),
            "--settings".into(),
            s,
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Command::new(env!("CARGO_BIN_EXE_radx"))
            .args(&args)
            .output()
            .unwrap()
    };
    let o = base(&[]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("dyn.nii.gz") && e.contains("3 volumes") && e.contains("--volume"),
        "{e}"
    );
    let o = base(&["--volume", "3"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("dyn.nii.gz")
            && e.contains("volume 3 does not exist")
            && e.contains("3 volumes"),
        "{e}"
    );
}

#[test]
fn batch_volume_column_reads_that_volume() {
    let f = Fixture::new();
    let d = f.dir.path();
    std::fs::write(
        d.join("cohort.csv"),
        "case_id,image,mask,volume\nv1,dyn.nii.gz,mask.nii.gz,1\nflat,vol1.nii.gz,mask.nii.gz,\n",
    )
    .unwrap();
    let out = d.join("out");
    let o = radx(&[
        "batch",
        "--cohort",
        &f.p("cohort.csv"),
        "--settings",
        &f.p("s.toml"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let a = values(&out.join("cases/v1.csv"));
    let b = values(&out.join("cases/flat.csv"));
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let prov: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("cases/v1.provenance.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(prov["selection"]["image_volume"], 1, "{prov}");
    assert_eq!(prov["request"]["volume"], 1, "{prov}");
    // a 4D image in a cohort row without a volume: that case's error names the count
    std::fs::write(
        d.join("c2.csv"),
        "case_id,image,mask\nnovol,dyn.nii.gz,mask.nii.gz\n",
    )
    .unwrap();
    let o = radx(&[
        "batch",
        "--cohort",
        &f.p("c2.csv"),
        "--settings",
        &f.p("s.toml"),
        "--out",
        d.join("out2").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let rec = std::fs::read_to_string(d.join("out2/errors/novol.json")).unwrap();
    assert!(
        rec.contains("dyn.nii.gz") && rec.contains("3 volumes"),
        "{rec}"
    );
}
