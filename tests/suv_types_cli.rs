//! `radx extract --suv-type` on a small PET series written in the test with radx-testkit's
//! DICOM writer (Units BQML, DecayCorrection ADMIN: the decay factor is 1, so each SUV is
//! value × normaliser / dose): body weight, lean body mass (James, Janmahasatian) and body
//! surface area give intensity features in the ratios of their normalisers, computed here
//! by hand from the patient's weight, height and sex; a missing PatientSize or PatientSex is
//! an error naming it.

use std::path::Path;
use std::process::{Command, Output};

use ndarray::Array3;
use radx_core::{Grid, Image};
use radx_testkit::dicom::{self, numbers, seq, text, Elem};

const WEIGHT_KG: f64 = 72.0;
const HEIGHT_M: f64 = 1.68;
const DOSE_BQ: f64 = 3.0e8;

const SETTINGS: &str =
    "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 16\n\
[discretisation.texture]\nmethod = \"fbn\"\nbins = 16\n";

fn radx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .output()
        .expect("radx runs")
}

fn grid() -> Grid {
    Grid {
        shape_zyx: [6, 10, 10],
        spacing_zyx: [3.0, 2.0, 2.0],
        origin_xyz: [0.0, 0.0, 0.0],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    }
}

/// A PET series in Bq/mL of patient `sex` (None: PatientSex absent), with or without
/// PatientSize, written into `dir`.
fn pet_series(dir: &Path, sex: Option<&str>, with_height: bool) {
    let activity = Array3::from_shape_fn((6, 10, 10), |(z, y, x)| {
        (1000 + 37 * z + 53 * y + 11 * x + (x * y) % 7 * 90) as f64
    });
    let image = Image::new(grid(), activity).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    for z in 0..6 {
        let mut elems: Vec<Elem> = dicom::ct_slice_elems(&image, z)
            .into_iter()
            .filter(|e| e.tag != (0x0008, 0x0016) && e.tag != (0x0008, 0x0060))
            .collect();
        elems.push(text((0x0008, 0x0016), "UI", PET_IMAGE));
        elems.push(text((0x0008, 0x0060), "CS", "PT"));
        elems.push(numbers((0x0010, 0x1030), "DS", &[WEIGHT_KG]));
        if with_height {
            elems.push(numbers((0x0010, 0x1020), "DS", &[HEIGHT_M]));
        }
        if let Some(s) = sex {
            elems.push(text((0x0010, 0x0040), "CS", s));
        }
        elems.push(text((0x0028, 0x0051), "CS", "ATTN\\DECY"));
        elems.push(text((0x0054, 0x1001), "CS", "BQML"));
        elems.push(text((0x0054, 0x1102), "CS", "ADMIN"));
        elems.push(seq(
            (0x0054, 0x0016),
            vec![vec![
                numbers((0x0018, 0x1074), "DS", &[DOSE_BQ]),
                numbers((0x0018, 0x1075), "DS", &[6586.2]),
                text((0x0018, 0x1078), "DT", "20240101090000"),
            ]],
        ));
        let bytes = dicom::part10(
            PET_IMAGE,
            &format!("2.25.4714{z}"),
            dicom::EXPLICIT_LE,
            &dicom::encode(&elems),
        );
        std::fs::write(dir.join(format!("pet_{z:03}.dcm")), bytes).unwrap();
    }
}

/// SOP class: Positron Emission Tomography Image Storage.
const PET_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.128";

/// The value of the feature with IBSI identifier `id` in a long CSV table.
fn feature(csv: &str, id: &str) -> f64 {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (idc, v) = (col("ibsi_id"), col("value"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[idc] == id)
        .unwrap_or_else(|| panic!("no feature {id}"))[v]
        .parse()
        .unwrap()
}

struct Run {
    dir: tempfile::TempDir,
}

impl Run {
    fn new(sex: Option<&str>, with_height: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        pet_series(&dir.path().join("pet"), sex, with_height);
        let mask = Array3::from_shape_fn((6, 10, 10), |(z, y, x)| {
            ((1..5).contains(&z) && (2..8).contains(&y) && (2..8).contains(&x)) as u8 as f64
        });
        radx_io::write_nifti_image(
            &Image::new(grid(), mask).unwrap(),
            &dir.path().join("m.nii"),
        )
        .unwrap();
        std::fs::write(dir.path().join("s.toml"), SETTINGS).unwrap();
        Run { dir }
    }
    fn extract(&self, suv_type: &str) -> Output {
        let p = |n: &str| self.dir.path().join(n).display().to_string();
        radx(&[
            "extract",
            "--image",
            &p("pet"),
            "--mask",
            &p("m.nii"),
            "--settings",
            &p("s.toml"),
            "--suv-type",
            suv_type,
        ])
    }
    /// (mean, maximum) intensity of the ROI.
    fn stats(&self, suv_type: &str) -> (f64, f64) {
        let o = self.extract(suv_type);
        assert!(
            o.status.success(),
            "{suv_type}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let csv = String::from_utf8(o.stdout).unwrap();
        // Q4LE: mean, 84IY: maximum (IBSI intensity statistics)
        (feature(&csv, "Q4LE"), feature(&csv, "84IY"))
    }
}

#[test]
fn suv_types_scale_intensities_by_their_normalisers() {
    for (sex, male) in [("M", true), ("F", false)] {
        let run = Run::new(Some(sex), true);
        let (w, h_cm) = (WEIGHT_KG, HEIGHT_M * 100.0);
        let bmi = w / (HEIGHT_M * HEIGHT_M);
        // by hand: James (1976), Janmahasatian (2005), Du Bois (1916), in kg and m²
        let james = if male {
            1.10 * w - 128.0 * (w / h_cm).powi(2)
        } else {
            1.07 * w - 148.0 * (w / h_cm).powi(2)
        };
        let janma = if male {
            9270.0 * w / (6680.0 + 216.0 * bmi)
        } else {
            9270.0 * w / (8780.0 + 244.0 * bmi)
        };
        let bsa = 0.007184 * w.powf(0.425) * h_cm.powf(0.725);
        // 72 kg, 168 cm, male: James 1.10·72 − 128·(72/168)² = 55.69 kg
        if male {
            assert!((james - 55.689).abs() < 1e-3, "{james}");
        }
        let (bw_mean, bw_max) = run.stats("bw");
        for (t, ratio) in [
            ("lbm-james", james / w),
            ("lbm-janmahasatian", janma / w),
            // BSA SUV: value · BSA[cm²] / dose, body weight SUV: value · weight[g] / dose
            ("bsa", bsa * 1e4 / (w * 1000.0)),
        ] {
            let (mean, max) = run.stats(t);
            for (got, bw) in [(mean, bw_mean), (max, bw_max)] {
                assert!(
                    (got / bw - ratio).abs() <= 1e-9 * ratio,
                    "{sex} {t}: {got} / {bw} = {} vs {ratio}",
                    got / bw
                );
            }
        }
    }
}

#[test]
fn body_weight_suv_is_value_times_weight_over_dose() {
    let run = Run::new(Some("M"), true);
    let (_, max) = run.stats("bw");
    // the ROI's largest activity, found over its voxels; SUV = activity · weight[g] / dose
    // (DecayCorrection ADMIN: no decay)
    let mut peak = 0.0f64;
    for z in 1..5 {
        for y in 2..8 {
            for x in 2..8 {
                let v = (1000 + 37 * z + 53 * y + 11 * x + (x * y) % 7 * 90) as f64;
                peak = peak.max(v);
            }
        }
    }
    let want = peak * WEIGHT_KG * 1000.0 / DOSE_BQ;
    assert!((max - want).abs() <= 1e-9 * want, "{max} vs {want}");
}

#[test]
fn a_missing_height_or_sex_is_a_clear_error() {
    let no_height = Run::new(Some("M"), false);
    for t in ["lbm-james", "lbm-janmahasatian", "bsa"] {
        let o = no_height.extract(t);
        assert_eq!(o.status.code(), Some(2), "{t}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains("PatientSize") && e.contains(t), "{t}: {e}");
    }
    assert!(
        no_height.extract("bw").status.success(),
        "bw needs no height"
    );
    let no_sex = Run::new(None, true);
    for t in ["lbm-james", "lbm-janmahasatian"] {
        let o = no_sex.extract(t);
        assert_eq!(o.status.code(), Some(2), "{t}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains("PatientSex") && e.contains(t), "{t}: {e}");
    }
    assert!(no_sex.extract("bsa").status.success(), "BSA needs no sex");
}
