//! `[normalisation]`: normalised features of an MR-like image do not depend on the scale
//! and offset of its intensities; z-score within the ROI gives ROI mean 0 and sd 1; the
//! parameters used are recorded; bad parameters and missing inputs are errors.

use std::path::Path;

use ndarray::Array3;
use proptest::prelude::*;
use radx_core::{FeatureTable, Grid, Image, Mask, Settings};
use radx_pipeline::{CaseLabels, ExtraMaskAsk, RegionAsk, RoiSelector};

fn grid() -> Grid {
    Grid {
        shape_zyx: [16, 32, 32],
        spacing_zyx: [3.0, 0.9, 0.9],
        origin_xyz: [0.0, 0.0, 0.0],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    }
}

/// An MR-like volume: three tissue classes under a smooth bias field with noise (a fixed
/// xorshift sequence), arbitrary positive units; and an ellipsoidal lesion.
fn mr_like() -> (Image, Mask) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let data = Array3::from_shape_fn((16, 32, 32), |(z, y, x)| {
        let (fz, fy, fx) = (z as f64 / 16.0, y as f64 / 32.0, x as f64 / 32.0);
        let tissue = if (fy - 0.5).powi(2) + (fx - 0.5).powi(2) < 0.16 {
            if (fx * 7.0).sin() > 0.3 {
                820.0
            } else {
                610.0
            }
        } else {
            150.0
        };
        let bias = 1.0 + 0.2 * (fz * 2.0).sin() + 0.1 * fx;
        tissue * bias + 40.0 * noise()
    });
    let lesion = Array3::from_shape_fn((16, 32, 32), |(z, y, x)| {
        let d = ((z as f64 - 8.0) * 3.0 / 12.0).powi(2)
            + ((y as f64 - 15.0) * 0.9 / 8.0).powi(2)
            + ((x as f64 - 17.0) * 0.9 / 10.0).powi(2);
        d <= 1.0
    });
    (
        Image::new(grid(), data).unwrap(),
        Mask::new(grid(), lesion).unwrap(),
    )
}

fn settings(normalisation: &str) -> Settings {
    Settings::from_toml_str(
        &format!(
            "radx_settings = 1\n[features]\nfamilies = [\"intensity_stats\", \"intensity_histogram\", \"glcm\", \"glszm\"]\n[texture]\ndimensions = [\"3D\"]\n[normalisation]\n{normalisation}"
        ),
        "t",
    )
    .unwrap()
}

fn extract(image: &Image, mask: &Mask, s: &Settings) -> FeatureTable {
    let labels = CaseLabels {
        case: "c".into(),
        roi: "lesion".into(),
        image: "original".into(),
    };
    radx_pipeline::extract(
        image.clone(),
        mask.clone(),
        s,
        &radx_pipeline::builtin_registry(),
        &labels,
    )
    .unwrap()
}

fn value(t: &FeatureTable, tag: &str) -> f64 {
    t.rows
        .iter()
        .find(|r| r.tag == tag)
        .unwrap_or_else(|| panic!("no {tag}"))
        .value
        .unwrap_or_else(|| panic!("{tag} missing"))
}

const METHODS: [&str; 4] = [
    "method = \"zscore\"\nwithin = \"roi\"\n",
    "method = \"zscore\"\nwithin = \"image\"\nscale = 100.0\nshift = 3.0\nclip_sd = 2.5\n",
    "method = \"percentile\"\nwithin = \"image\"\npercentiles = [1.0, 99.0]\ntarget = [0.0, 1000.0]\nclip = true\n",
    "method = \"range\"\nwithin = \"roi\"\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn normalised_features_do_not_depend_on_a_linear_change_of_intensities(
        a in 0.01f64..50.0,
        b in -2000.0f64..2000.0,
        m in 0usize..4,
    ) {
        let (image, mask) = mr_like();
        let s = settings(METHODS[m]);
        let want = extract(&image, &mask, &s);
        let moved = Image::new(image.grid.clone(), image.data.mapv(|x| a * x + b)).unwrap();
        let got = extract(&moved, &mask, &s);
        prop_assert_eq!(want.rows.len(), got.rows.len());
        let mut compared = 0;
        for (w, g) in want.rows.iter().zip(&got.rows) {
            prop_assert_eq!(&w.tag, &g.tag);
            // z-scored within the ROI, the ROI mean is 0 up to rounding (1e-16): the
            // coefficient of variation sd / mean is that rounding noise, not a value
            if m == 0 && w.tag == "stat_cov" {
                continue;
            }
            match (w.value, g.value) {
                (Some(x), Some(y)) => {
                    let tol = 1e-9 * x.abs().max(y.abs()).max(1.0);
                    prop_assert!((x - y).abs() <= tol, "{} ({}): {} vs {} (a {}, b {})", w.tag, METHODS[m], x, y, a, b);
                    compared += 1;
                }
                (x, y) => prop_assert_eq!(x.is_some(), y.is_some(), "{}", w.tag),
            }
        }
        prop_assert!(compared > 100);
    }
}

#[test]
fn zscore_within_the_roi_gives_mean_0_and_sd_1_and_changes_the_features() {
    let (image, mask) = mr_like();
    let t = extract(&image, &mask, &settings(METHODS[0]));
    assert!(
        value(&t, "stat_mean").abs() < 1e-9,
        "{}",
        value(&t, "stat_mean")
    );
    assert!((value(&t, "stat_var") - 1.0).abs() < 1e-9);
    // without the section the same image has its own units
    let raw = extract(&image, &mask, &settings("method = \"none\"\n"));
    assert!(value(&raw, "stat_mean") > 100.0);
    // a fixed scale/shift is exactly that on the intensities
    let f = extract(
        &image,
        &mask,
        &settings("method = \"fixed\"\nscale = 0.5\nshift = -7.0\n"),
    );
    let want = 0.5 * value(&raw, "stat_mean") - 7.0;
    assert!((value(&f, "stat_mean") - want).abs() < 1e-9 * want.abs());
}

/// Writes `image` (integer intensities: exact in any NIfTI data type) and a mask.
fn write(dir: &Path, name: &str, data: &Array3<f64>) -> std::path::PathBuf {
    let p = dir.join(name);
    radx_io::write_nifti_image(&Image::new(grid(), data.clone()).unwrap(), &p).unwrap();
    p
}

#[test]
fn the_parameters_used_are_recorded_and_an_extra_mask_can_hold_the_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (image, mask) = mr_like();
    let ip = write(d, "mr.nii.gz", &image.data.mapv(f64::round));
    let mp = write(d, "lesion.nii.gz", &mask.data.mapv(f64::from));
    // "brain": the central cylinder
    let brain = Array3::from_shape_fn((16, 32, 32), |(_, y, x)| {
        ((y as f64 - 16.0).powi(2) + (x as f64 - 16.0).powi(2) < 144.0) as u8 as f64
    });
    let bp = write(d, "brain.nii.gz", &brain);
    let asks = [RegionAsk::One {
        mask: mp.clone(),
        selector: RoiSelector::Auto,
        name: "lesion".into(),
    }];
    let extra = [ExtraMaskAsk {
        name: "brain".into(),
        path: bp.clone(),
    }];
    let s = settings("method = \"zscore\"\nwithin = \"brain\"\n");
    let mut case =
        radx_pipeline::load_regions(&ip, &Default::default(), &asks, &extra, &s.mask).unwrap();
    radx_pipeline::derive_regions(&mut case, &s).unwrap();
    let rec = case.regions[0].selection.normalisation.clone().unwrap();
    // the statistics of the image within the brain mask, by hand
    let read = radx_io::read_image(&ip).unwrap().data;
    let vals: Vec<f64> = read
        .iter()
        .zip(brain.iter())
        .filter(|(_, &b)| b != 0.0)
        .map(|(&v, _)| v)
        .collect();
    let n = vals.len() as f64;
    let mean = vals.iter().sum::<f64>() / n;
    let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert_eq!(rec.method, "zscore");
    assert_eq!(rec.within, "extra_mask_brain");
    assert_eq!(rec.voxels, vals.len());
    assert!((rec.mean.unwrap() - mean).abs() < 1e-9 * mean);
    assert!((rec.sd.unwrap() - sd).abs() < 1e-9 * sd);
    let t =
        radx_pipeline::extract_regions(&case, &s, &radx_pipeline::builtin_registry(), "c").unwrap();
    let lesion_mean = read
        .iter()
        .zip(mask.data.iter())
        .filter(|(_, &m)| m)
        .map(|(&v, _)| v)
        .sum::<f64>()
        / mask.count() as f64;
    let want = (lesion_mean - mean) / sd;
    assert!((value(&t, "stat_mean") - want).abs() < 1e-9 * want.abs().max(1.0));
    // in the provenance record of the case
    let mut p =
        radx_pipeline::provenance(&s, &radx_pipeline::builtin_registry(), case.inputs.clone());
    radx_pipeline::record_regions(&mut p, &case, &Default::default());
    let json = serde_json::to_string(&p).unwrap();
    assert!(
        json.contains("\"normalisation\"") && json.contains("extra_mask_brain"),
        "{json}"
    );

    // the extra mask not given: an error naming it
    let mut case =
        radx_pipeline::load_regions(&ip, &Default::default(), &asks, &[], &s.mask).unwrap();
    let e = radx_pipeline::derive_regions(&mut case, &s)
        .unwrap_err()
        .to_string();
    assert!(e.contains("extra mask `brain`"), "{e}");
    // a constant ROI cannot be z-scored: an error, not NaN
    let flat = write(d, "flat.nii.gz", &Array3::from_elem((16, 32, 32), 5.0));
    let mut case =
        radx_pipeline::load_regions(&flat, &Default::default(), &asks, &[], &s.mask).unwrap();
    let s_roi = settings("method = \"zscore\"\n");
    let e = radx_pipeline::derive_regions(&mut case, &s_roi)
        .unwrap_err()
        .to_string();
    assert!(e.contains("constant") && e.contains("lesion"), "{e}");
}
