//! `[conventions]`: flipping one convention from its IBSI default changes exactly the
//! features it should, and nothing else. Synthetic CT-like image (in the test, no data
//! files), interpolated to a coarser grid, FBS discretisation everywhere.

use std::collections::BTreeSet;

use ndarray::Array3;
use radx_core::{Grid, Image, Mask, Settings};
use radx_pipeline::{builtin_registry, extract, CaseLabels};

const BASE: &str = r#"radx_settings = 1
[interpolation]
spacing_mm = [1.5, 1.5, 3.9]
image_method = "linear"
mask_method = "linear"
[discretisation.histogram]
method = "fbs"
bin_width = 25.0
[discretisation.texture]
method = "fbs"
bin_width = 25.0
[discretisation.ivh]
method = "fbs"
bin_width = 25.0
[texture]
dimensions = ["3D"]
direction_merging = ["avg"]
"#;

/// A 24 x 24 x 10 image of 1 x 1 x 2 mm voxels with smooth structure plus a deterministic
/// pseudo-random texture (values -137..+300 HU, not multiples of the bin width), and a
/// blob-shaped ROI. The z grid of 3.9 mm starts 0.375 voxels before the first slice.
/// With `at_edge` the ROI touches the first slice and the x = 0 side, so
/// mask extrapolation and the local-intensity sphere reach beyond the image.
fn case(at_edge: bool) -> (Image, Mask) {
    let (nz, ny, nx) = (10usize, 24usize, 24usize);
    let grid = Grid::new([nz, ny, nx], [2.0, 1.0, 1.0], [0.0, 0.0, 0.0]);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let data = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state % 1000) as f64 / 1000.0;
        -137.3 + 9.1 * x as f64 + 4.7 * y as f64 + 11.3 * z as f64 + 120.0 * noise
    });
    let (cz, cy, cx) = if at_edge {
        (0.0, 11.5, 2.0)
    } else {
        (4.5, 11.5, 11.5)
    };
    let mask = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
        let dz = (z as f64 - cz) * 2.0;
        let (dy, dx) = (y as f64 - cy, x as f64 - cx);
        dz * dz / 36.0 + dy * dy / 49.0 + dx * dx / 30.0 <= 1.0
    });
    (
        Image::new(grid.clone(), data).unwrap(),
        Mask::new(grid, mask).unwrap(),
    )
}

fn values(extra: &str, at_edge: bool) -> Vec<(String, String, Option<f64>)> {
    let text = format!("{BASE}{extra}");
    let settings = Settings::from_toml_str(&text, "conventions-test").unwrap();
    let (image, mask) = case(at_edge);
    let labels = CaseLabels {
        case: "c".into(),
        roi: "r".into(),
        image: "original".into(),
    };
    let table = extract(image, mask, &settings, &builtin_registry(), &labels).unwrap();
    table
        .rows
        .into_iter()
        .map(|r| (r.family, r.tag, r.value))
        .collect()
}

/// Tags (with their family) whose value differs between the IBSI settings and `extra`.
fn changed(extra: &str, at_edge: bool) -> BTreeSet<(String, String)> {
    let a = values("", at_edge);
    let b = values(extra, at_edge);
    assert_eq!(a.len(), b.len());
    let mut out = BTreeSet::new();
    for ((fa, ta, va), (_, tb, vb)) in a.iter().zip(&b) {
        assert_eq!(ta, tb);
        let same = match (va, vb) {
            (Some(x), Some(y)) => x.to_bits() == y.to_bits(),
            (None, None) => true,
            _ => false,
        };
        if !same {
            out.insert((fa.clone(), ta.clone()));
        }
    }
    out
}

fn families(set: &BTreeSet<(String, String)>) -> BTreeSet<String> {
    set.iter().map(|(f, _)| f.clone()).collect()
}

#[test]
fn ibsi_settings_written_out_change_nothing() {
    let explicit =
        "[conventions]\nfbs_origin = \"lower_bound\"\nmask_extrapolation = \"nearest\"\n\
                    local_intensity_outside = \"exclude\"\nenergy_shift = 0.0\n\
                    ivh_fbs_range = \"ibsi\"\ngrid_alignment = \"centre\"\n";
    assert!(changed(explicit, true).is_empty());
}

#[test]
fn energy_shift_changes_only_energy_and_rms() {
    let c = changed("[conventions]\nenergy_shift = 1000.0\n", false);
    let tags: Vec<&str> = c.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(tags, vec!["stat_energy", "stat_rms"]);
}

#[test]
fn fbs_origin_changes_only_fbs_discretised_families() {
    let c = changed("[conventions]\nfbs_origin = \"zero\"\n", false);
    let expected: BTreeSet<String> = [
        "intensity_histogram",
        "ivh",
        "glcm",
        "glrlm",
        "glszm",
        "gldzm",
        "ngtdm",
        "ngldm",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let moved = families(&c);
    assert!(moved.is_subset(&expected), "{moved:?}");
    for f in [
        "intensity_histogram",
        "ivh",
        "glcm",
        "glrlm",
        "glszm",
        "ngtdm",
        "ngldm",
    ] {
        assert!(moved.contains(f), "{f} unchanged: {moved:?}");
    }
    // Grey-level-weighted texture features move; the ROI's shape and intensities do not.
    assert!(c.iter().any(|(_, t)| t == "cm_joint_avg_3D_avg"), "{c:?}");
    assert!(c.iter().any(|(_, t)| t == "ih_mean"), "{c:?}");
}

#[test]
fn mask_extrapolation_changes_the_roi_only_where_it_touches_the_image_edge() {
    let extra = "[conventions]\nmask_extrapolation = \"zero\"\n";
    assert!(changed(extra, false).is_empty());
    let c = changed(extra, true);
    assert!(
        c.iter().any(|(_, t)| t == "morph_volume"),
        "the ROI touching the first slice loses volume: {c:?}"
    );
}

/// `morph_volume` of the synthetic case with `extra`.
fn volume(extra: &str, at_edge: bool) -> f64 {
    values(extra, at_edge)
        .into_iter()
        .find(|(_, t, _)| t == "morph_volume")
        .and_then(|(_, _, v)| v)
        .unwrap()
}

#[test]
fn mask_extrapolation_beyond_centres_drops_the_samples_past_the_outer_voxel_centres() {
    // MIRP's convention: away from the edge nothing changes; at the edge the samples of the
    // 3.9 mm grid before the first slice's centre (z = -0.375 voxel) read 0 instead of
    // 0.625 x the first slice ("zero") or the first slice itself ("nearest"), so the ROI
    // loses strictly more volume than with "zero".
    let extra = "[conventions]\nmask_extrapolation = \"zero_beyond_centres\"\n";
    assert!(changed(extra, false).is_empty());
    let c = changed(extra, true);
    assert!(c.iter().any(|(_, t)| t == "morph_volume"), "{c:?}");
    // The diagnostics of the mask as read (before interpolation) do not move.
    assert!(c.iter().all(|(_, t)| !t.contains("_init_")), "{c:?}");
    let nearest = volume("", true);
    let zero = volume("[conventions]\nmask_extrapolation = \"zero\"\n", true);
    let beyond = volume(extra, true);
    assert!(beyond < zero && zero < nearest, "{beyond} {zero} {nearest}");
}

#[test]
fn grid_alignment_changes_values_only_when_interpolating() {
    let extra = "[conventions]\ngrid_alignment = \"origin_corner\"\n";
    let c = changed(extra, false);
    assert!(c.iter().any(|(_, t)| t == "stat_mean"), "{c:?}");
    // Without interpolation there is no grid to place.
    let base = BASE.replace("spacing_mm = [1.5, 1.5, 3.9]\n", "");
    let text = |extra: &str| format!("{base}{extra}");
    let (image, mask) = case(false);
    let labels = CaseLabels {
        case: "c".into(),
        roi: "r".into(),
        image: "original".into(),
    };
    let run = |t: String| {
        let s = Settings::from_toml_str(&t, "t").unwrap();
        extract(
            image.clone(),
            mask.clone(),
            &s,
            &builtin_registry(),
            &labels,
        )
        .unwrap()
    };
    assert_eq!(run(text("")).rows, run(text(extra)).rows);
}

#[test]
fn local_intensity_padding_changes_only_the_peaks_and_only_at_the_edge() {
    let extra =
        "[conventions]\nlocal_intensity_outside = \"constant\"\nlocal_intensity_constant = -1000.0\n";
    assert!(changed(extra, false).is_empty());
    let c = changed(extra, true);
    assert_eq!(
        families(&c),
        ["local_intensity".to_string()].into(),
        "{c:?}"
    );
}

#[test]
fn ivh_fbs_range_changes_only_ivh_intensity_fractions() {
    let c = changed("[conventions]\nivh_fbs_range = \"extended\"\n", false);
    assert_eq!(families(&c), ["ivh".to_string()].into(), "{c:?}");
    // The volume at an intensity fraction depends on the range G; the intensity at a
    // volume fraction does not.
    let tags: BTreeSet<&str> = c.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        tags.contains("ivh_v10") || tags.contains("ivh_v90"),
        "{tags:?}"
    );
    assert!(
        !tags.contains("ivh_i10") && !tags.contains("ivh_i90"),
        "{tags:?}"
    );
}
