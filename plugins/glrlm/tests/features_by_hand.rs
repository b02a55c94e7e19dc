//! GLRLM features of small matrices worked out by hand, and the plugin on degenerate
//! ROIs (one voxel, one grey level, failed discretisation).

use ndarray::Array3;
use radx_core::{Discretised, FeatureInput, FeatureValue, Grid, PluginError, Roi, Settings};
use radx_glrlm::{GlrlmFamily, FEATURES};
use radx_texture::{DirectionalFamily, LevelVolume, Scope, TextureMatrix};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

fn check(f: &[Result<f64, String>], expected: &[(&str, f64)]) {
    assert_eq!(f.len(), FEATURES.len());
    assert_eq!(expected.len(), FEATURES.len());
    for ((name, want), ((fname, _), got)) in expected.iter().zip(FEATURES.iter().zip(f)) {
        assert_eq!(name, fname);
        let got = got.clone().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(close(got, *want), "{name}: {got} vs {want}");
    }
}

/// The row `1 1 2` along x: runs (level 1, length 2) and (level 2, length 1);
/// N_s = 2, N_v = 3.
#[test]
fn two_runs() {
    let levels = Array3::from_shape_vec((1, 1, 3), vec![1u32, 1, 2]).unwrap();
    let vol = LevelVolume {
        levels: levels.view(),
        n_levels: 2,
    };
    let family = GlrlmFamily::new(&vol);
    let m = family.build(&vol, Scope::Volume, [0, 0, 1]);
    let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
    assert_eq!(e, vec![(1, 2, 1), (2, 1, 1)]);
    check(
        &family.features(&m),
        &[
            ("sre", (0.25 + 1.0) / 2.0),
            ("lre", (4.0 + 1.0) / 2.0),
            ("lgre", (1.0 + 0.25) / 2.0),
            ("hgre", (1.0 + 4.0) / 2.0),
            ("srlge", (0.25 + 0.25) / 2.0),
            ("srhge", (0.25 + 4.0) / 2.0),
            ("lrlge", (4.0 + 0.25) / 2.0),
            ("lrhge", (4.0 + 4.0) / 2.0),
            ("glnu", 1.0),
            ("glnu_norm", 0.5),
            ("rlnu", 1.0),
            ("rlnu_norm", 0.5),
            ("r_perc", 2.0 / 3.0),
            ("gl_var", 0.25),
            ("rl_var", 0.25),
            ("rl_entr", 1.0),
        ],
    );
}

/// Merging two copies doubles N_s and N_v: run percentage is unchanged, and the
/// non-uniformities (sums of squared marginals over N_s) double.
#[test]
fn merged_matrices_sum_voxels() {
    let levels = Array3::from_shape_vec((1, 1, 3), vec![1u32, 1, 2]).unwrap();
    let vol = LevelVolume {
        levels: levels.view(),
        n_levels: 2,
    };
    let family = GlrlmFamily::new(&vol);
    let one = family.build(&vol, Scope::Volume, [0, 0, 1]);
    let mut two = one.clone();
    two.merge(&one);
    assert_eq!((two.runs(), two.voxels()), (4, 6));
    let (a, b) = (family.features(&one), family.features(&two));
    let get = |f: &[Result<f64, String>], n: &str| {
        f[FEATURES.iter().position(|(x, _)| *x == n).unwrap()]
            .clone()
            .unwrap()
    };
    assert!(close(get(&b, "r_perc"), get(&a, "r_perc")));
    assert!(close(get(&b, "glnu"), 2.0 * get(&a, "glnu")));
    assert!(close(get(&b, "glnu_norm"), get(&a, "glnu_norm")));
    assert!(close(get(&b, "sre"), get(&a, "sre")));
}

fn roi_input(levels: Array3<u32>, n_levels: u32) -> (Roi, Result<Discretised, String>) {
    let (nz, ny, nx) = levels.dim();
    let grid = Grid::new([nz, ny, nx], [1.0; 3], [0.0; 3]);
    let mask = levels.mapv(|l| l > 0);
    let roi = Roi {
        grid,
        image: levels.mapv(|l| l as f64),
        morphological: mask.clone(),
        intensity: mask,
    };
    let d = Discretised {
        levels,
        n_levels,
        lower_edge: 0.5,
        bin_width: 1.0,
    };
    (roi, Ok(d))
}

fn run(roi: &Roi, texture: &Result<Discretised, String>) -> Result<Vec<FeatureValue>, PluginError> {
    let settings = Settings::default();
    let other: Result<Discretised, String> = Err("unused".into());
    radx_glrlm::plugin().compute(&FeatureInput {
        roi,
        settings: &settings,
        histogram: &other,
        texture,
        ivh: &other,
    })
}

#[test]
fn one_voxel_roi_is_one_run_of_length_one() {
    let mut levels = Array3::zeros((3, 3, 3));
    levels[[1, 1, 1]] = 3;
    let (roi, tex) = roi_input(levels, 3);
    let values = run(&roi, &tex).unwrap();
    assert_eq!(values.len(), 16 * 6);
    for v in &values {
        // merged matrices hold one run per merged direction matrix, all alike
        let merged = match v.aggregation.as_deref().unwrap() {
            "3D_comb" => 13.0,
            "2D_comb" | "2_5D_comb" => 4.0,
            _ => 1.0,
        };
        let want = match v.name.as_str() {
            "glnu" | "rlnu" => merged,
            "sre" | "lre" | "glnu_norm" | "rlnu_norm" | "r_perc" => 1.0,
            "lgre" | "srlge" | "lrlge" => 1.0 / 9.0,
            "hgre" | "srhge" | "lrhge" => 9.0,
            "gl_var" | "rl_var" | "rl_entr" => 0.0,
            other => panic!("unexpected feature {other}"),
        };
        assert!(close(v.value.unwrap(), want), "{v:?}");
    }
}

#[test]
fn flat_cube_runs_span_the_cube() {
    // 3x3x3 of level 1: along x, 9 runs of length 3; along the diagonal (1,1,1), 19
    // lines (those starting at z = 0, y = 0 or x = 0): 1 of length 3, 6 of length 2
    // and 12 of length 1, covering the 27 voxels.
    let levels = Array3::from_elem((3, 3, 3), 1u32);
    let vol = LevelVolume {
        levels: levels.view(),
        n_levels: 1,
    };
    let family = GlrlmFamily::new(&vol);
    let m = family.build(&vol, Scope::Volume, [0, 0, 1]);
    let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
    assert_eq!(e, vec![(1, 3, 9)]);
    let m = family.build(&vol, Scope::Volume, [1, 1, 1]);
    let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
    assert_eq!(e, vec![(1, 1, 12), (1, 2, 6), (1, 3, 1)]);
    assert_eq!(m.run_voxels(), 27);
}

#[test]
fn failed_discretisation_is_undefined() {
    let (roi, _) = roi_input(Array3::from_elem((1, 1, 2), 1u32), 1);
    let err = run(
        &roi,
        &Err("fixed bin size: ROI intensity below edge".into()),
    )
    .unwrap_err();
    assert!(
        matches!(err, PluginError::Undefined(ref s) if s.contains("below edge")),
        "{err:?}"
    );
}

#[test]
fn info_and_tags() {
    let plugin = radx_glrlm::plugin();
    assert_eq!(plugin.info().prefix, "rlm");
    assert_eq!(plugin.info().family, "glrlm");
    assert_eq!(plugin.info().features.len(), 16);
    assert!(plugin.info().features.iter().all(|d| d.ibsi_id.len() == 4));
    let (roi, tex) = roi_input(
        Array3::from_shape_vec((1, 2, 2), vec![1u32, 2, 2, 1]).unwrap(),
        2,
    );
    let values = run(&roi, &tex).unwrap();
    // feature-major: every aggregation of `sre` first
    let first: Vec<_> = values[..6]
        .iter()
        .map(|v| (v.name.as_str(), v.aggregation.as_deref().unwrap()))
        .collect();
    assert_eq!(
        first,
        vec![
            ("sre", "2D_avg"),
            ("sre", "2D_comb"),
            ("sre", "2_5D_avg"),
            ("sre", "2_5D_comb"),
            ("sre", "3D_avg"),
            ("sre", "3D_comb")
        ]
    );
}
