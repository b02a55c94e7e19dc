//! GLCM features of small matrices worked out by hand, and the plugin on degenerate
//! ROIs (one voxel, one grey level, failed discretisation).

use ndarray::Array3;
use radx_core::settings::{DirectionMerging, TextureDimension};
use radx_core::{Discretised, FeatureInput, FeatureValue, Grid, PluginError, Roi, Settings};
use radx_glcm::{GlcmFamily, FEATURES};
use radx_texture::{DirectionalFamily, LevelVolume, Scope};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

/// The row `1 1 2` along x: symmetric GLCM [[2, 1], [1, 0]] (sum 4), N_g = 2.
#[test]
fn two_level_row() {
    let levels = Array3::from_shape_vec((1, 1, 3), vec![1u32, 1, 2]).unwrap();
    let vol = LevelVolume {
        levels: levels.view(),
        n_levels: 2,
    };
    let family = GlcmFamily::new(&vol, 1, true);
    let m = family.build(&vol, Scope::Volume, [0, 0, 1]);
    let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
    assert_eq!(e, vec![(1, 1, 2), (1, 2, 1), (2, 1, 1)]);
    let f = family.features(&m);
    // p11 = 1/2, p12 = p21 = 1/4; p_x = (3/4, 1/4); mu = 5/4; sigma^2 = 3/16;
    // p_{x-y} = (1/2, 1/2) at k = 0, 1; p_{x+y} = (1/2, 1/2) at k = 2, 3;
    // HX = HY = 0.811278..., HXY = 1.5.
    let hx = -(0.75f64 * 0.75f64.log2() + 0.25 * 0.25f64.log2());
    let mi = 2.0 * hx - 1.5;
    let expected = [
        ("joint_max", 0.5),
        ("joint_avg", 1.25),
        ("joint_var", 0.1875),
        ("joint_entr", 1.5),
        ("diff_avg", 0.5),
        ("diff_var", 0.25),
        ("diff_entr", 1.0),
        ("sum_avg", 2.5),
        ("sum_var", 0.25),
        ("sum_entr", 1.0),
        ("energy", 0.375),
        ("contrast", 0.5),
        ("dissimilarity", 0.5),
        ("inv_diff", 0.75),
        ("inv_diff_norm", 0.5 + 0.5 / 1.5),
        ("inv_diff_mom", 0.75),
        ("inv_diff_mom_norm", 0.5 + 0.5 / 1.25),
        ("inv_var", 0.5),
        ("corr", -0.0625 / 0.1875),
        ("auto_corr", 1.5),
        ("clust_tend", 0.25),
        ("clust_shade", 0.0),
        ("clust_prom", 0.0625),
        ("info_corr1", -mi / hx),
        ("info_corr2", (1.0 - (-2.0 * mi).exp()).sqrt()),
    ];
    assert_eq!(f.len(), FEATURES.len());
    for ((name, want), ((fname, _), got)) in expected.iter().zip(FEATURES.iter().zip(&f)) {
        assert_eq!(name, fname);
        let got = got.clone().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(close(got, *want), "{name}: {got} vs {want}");
    }
}

/// Non-symmetric GLCM of `1 1 2`: [[1, 1], [0, 0]]; rows and columns differ.
#[test]
fn non_symmetric_uses_both_marginals() {
    let levels = Array3::from_shape_vec((1, 1, 3), vec![1u32, 1, 2]).unwrap();
    let vol = LevelVolume {
        levels: levels.view(),
        n_levels: 2,
    };
    let family = GlcmFamily::new(&vol, 1, false);
    let m = family.build(&vol, Scope::Volume, [0, 0, 1]);
    let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
    assert_eq!(e, vec![(1, 1, 1), (1, 2, 1)]);
    let f = family.features(&m);
    let get = |n: &str| f[FEATURES.iter().position(|(x, _)| *x == n).unwrap()].clone();
    // p_x = (1, 0): a single row level, so correlation is undefined, while p_y = (1/2, 1/2)
    // has entropy 1 and info_corr1 = (HXY - HX - HY) / max(HX, HY) = (1 - 0 - 1) / 1 = 0.
    assert!(get("corr").is_err());
    assert!(close(get("info_corr1").unwrap(), 0.0));
    assert!(close(get("joint_avg").unwrap(), 1.0));
    // clust_tend: mu_x = 1, mu_y = 1.5: (1+1-2.5)^2/2 + (1+2-2.5)^2/2 = 0.25
    assert!(close(get("clust_tend").unwrap(), 0.25));
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
    radx_glcm::plugin().compute(&FeatureInput {
        roi,
        settings: &settings,
        histogram: &other,
        texture,
        ivh: &other,
    })
}

#[test]
fn one_voxel_roi_gives_missing_values_with_a_reason() {
    let mut levels = Array3::zeros((3, 3, 3));
    levels[[1, 1, 1]] = 1;
    let (roi, tex) = roi_input(levels, 1);
    let values = run(&roi, &tex).unwrap();
    assert_eq!(values.len(), 25 * 6);
    for v in &values {
        assert!(v.value.is_none(), "{v:?}");
        assert!(v
            .missing_reason
            .as_deref()
            .unwrap()
            .contains("no voxel pair"));
    }
}

#[test]
fn flat_roi_leaves_only_correlations_undefined() {
    let (roi, tex) = roi_input(Array3::from_elem((3, 3, 3), 2u32), 3);
    let values = run(&roi, &tex).unwrap();
    for v in &values {
        match v.name.as_str() {
            "corr" | "info_corr1" => {
                assert!(v.value.is_none(), "{v:?}");
                assert!(v
                    .missing_reason
                    .as_deref()
                    .unwrap()
                    .contains("single grey level"));
            }
            _ => assert!(v.value.is_some(), "{v:?}"),
        }
        let expect = match v.name.as_str() {
            "joint_max" | "energy" | "inv_diff" | "inv_diff_norm" | "inv_diff_mom" => Some(1.0),
            "joint_entr" | "joint_var" | "contrast" | "info_corr2" | "inv_var" => Some(0.0),
            "joint_avg" => Some(2.0),
            "sum_avg" | "auto_corr" => Some(4.0),
            _ => None,
        };
        if let Some(e) = expect {
            assert!(close(v.value.unwrap(), e), "{v:?}");
        }
    }
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
fn output_follows_settings_and_tags() {
    let (roi, tex) = roi_input(
        Array3::from_shape_vec((1, 2, 2), vec![1u32, 2, 2, 1]).unwrap(),
        2,
    );
    let mut settings = Settings::default();
    settings.texture.dimensions = vec![TextureDimension::D3];
    settings.texture.direction_merging = vec![DirectionMerging::Comb];
    let other: Result<Discretised, String> = Err("unused".into());
    let plugin = radx_glcm::plugin();
    let values = plugin
        .compute(&FeatureInput {
            roi: &roi,
            settings: &settings,
            histogram: &other,
            texture: &tex,
            ivh: &other,
        })
        .unwrap();
    assert_eq!(values.len(), 25);
    assert!(values
        .iter()
        .all(|v| v.aggregation.as_deref() == Some("3D_comb")));
    assert_eq!(plugin.info().prefix, "cm");
    assert_eq!(plugin.info().family, "glcm");
    let names: Vec<_> = values.iter().map(|v| v.name.as_str()).collect();
    let defs: Vec<_> = plugin
        .info()
        .features
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(names, defs);
    assert!(plugin.info().features.iter().all(|d| d.ibsi_id.len() == 4));
}

#[test]
fn distance_two_skips_the_nearest_neighbour() {
    // 1 2 1 2 1 along x: at distance 2 every pair is (1,1) or (2,2).
    let levels = Array3::from_shape_vec((1, 1, 5), vec![1u32, 2, 1, 2, 1]).unwrap();
    let vol = LevelVolume {
        levels: levels.view(),
        n_levels: 2,
    };
    let m = GlcmFamily::new(&vol, 2, true).build(&vol, Scope::Volume, [0, 0, 1]);
    let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
    assert_eq!(e, vec![(1, 1, 4), (2, 2, 2)]);
    let m = GlcmFamily::new(&vol, 1, true).build(&vol, Scope::Volume, [0, 0, 1]);
    let e: Vec<_> = m.entries().iter().map(|e| (e.i, e.j, e.n)).collect();
    assert_eq!(e, vec![(1, 2, 4), (2, 1, 4)]);
}
