//! IBSI reference values for the morphological features.

use radx_testkit::{
    assert_complies, ct_bench_settings, ct_phantom, digital_phantom, input, reference_rows,
};

fn values(p: &radx_process::Prepared, s: &radx_core::Settings) -> Vec<(String, Option<f64>)> {
    let plugin = radx_morphology::plugin();
    let prefix = plugin.info().prefix.clone();
    plugin
        .compute(&input(p, s))
        .unwrap()
        .into_iter()
        .map(|v| (format!("{prefix}_{}", v.name), v.value))
        .collect()
}

fn print(got: &[(String, Option<f64>)], rows: &[(String, f64, f64)]) {
    for (tag, v) in got {
        let r = rows.iter().find(|r| &r.0 == tag);
        eprintln!("{tag:28} {v:>16.6?}  ref {:?}", r.map(|r| (r.1, r.2)));
    }
}

#[test]
fn digital_phantom_consensus_rows() {
    let (p, s) = digital_phantom();
    let got = values(&p, &s);
    let rows = reference_rows("ibsi_1_dig_phantom.csv", "morph_");
    print(&got, &rows);
    assert_eq!(rows.len(), 25);
    assert_complies(&rows, |tag| {
        got.iter().find(|(t, _)| t == tag).and_then(|g| g.1)
    });
}

/// Configuration A (05_Reference_data_sets.rst) needs no interpolation: the CT phantom
/// GTV on its own 0.977 x 0.977 x 3 mm grid, re-segmented to [-500, 400] HU — exactly
/// the bench settings. The `morph_mask_*` rows are diagnostics of the processing chain.
#[test]
fn ct_phantom_config_a_rows() {
    let s = ct_bench_settings();
    let p = ct_phantom(&s);
    let got = values(&p, &s);
    let rows: Vec<_> = reference_rows("ibsi_1_chest_config_a.csv", "morph_")
        .into_iter()
        .filter(|r| !r.0.starts_with("morph_mask_"))
        .collect();
    print(&got, &rows);
    assert_eq!(rows.len(), 25);
    assert_complies(&rows, |tag| {
        got.iter().find(|(t, _)| t == tag).and_then(|g| g.1)
    });
}

/// The FFT evaluation of Moran's I and Geary's C equals the pairwise double sums on the
/// digital phantom and on two slices of the CT phantom GTV (~9k voxels, ~8e7 pairs).
#[test]
fn moran_geary_equal_brute_force_on_the_phantoms() {
    use radx_morphology::autocorr::{brute_force, exact};
    let (p, _) = digital_phantom();
    let r = &p.roi;
    let (a, b) = (
        exact(&r.image, &r.intensity, r.grid.spacing_zyx),
        brute_force(&r.image, &r.intensity, r.grid.spacing_zyx),
    );
    for (x, y) in [(&a.moran_i, &b.moran_i), (&a.geary_c, &b.geary_c)] {
        let (x, y) = (x.clone().unwrap(), y.clone().unwrap());
        assert!((x - y).abs() < 1e-12 * (1.0 + y.abs()), "{x} vs {y}");
    }
    let s = ct_bench_settings();
    let p = ct_phantom(&s);
    let r = &p.roi;
    let mut mask = r.intensity.clone();
    let zs: Vec<usize> = (0..mask.dim().0)
        .filter(|&z| mask.index_axis(ndarray::Axis(0), z).iter().any(|&m| m))
        .collect();
    let keep = [zs[zs.len() / 2], zs[zs.len() / 2 + 1]];
    for ((z, _, _), m) in mask.indexed_iter_mut() {
        *m = *m && keep.contains(&z);
    }
    let (a, b) = (
        exact(&r.image, &mask, r.grid.spacing_zyx),
        brute_force(&r.image, &mask, r.grid.spacing_zyx),
    );
    for (x, y) in [(&a.moran_i, &b.moran_i), (&a.geary_c, &b.geary_c)] {
        let (x, y) = (x.clone().unwrap(), y.clone().unwrap());
        assert!((x - y).abs() < 1e-10 * (1.0 + y.abs()), "{x} vs {y}");
    }
}

/// Configurations C, D and E (3D, interpolated to 2 mm isotropic voxels by the
/// processing chain of `radx-process`): every consensus morphology row. This checks the
/// plugin together with the interpolation of the mask.
#[test]
fn ct_phantom_config_c_d_e_rows() {
    for cfg in ["c", "d", "e"] {
        let s = radx_core::Settings::preset(&format!("ibsi-config-{cfg}")).unwrap();
        let p = ct_phantom(&s);
        let got = values(&p, &s);
        let rows: Vec<_> = reference_rows(&format!("ibsi_1_chest_config_{cfg}.csv"), "morph_")
            .into_iter()
            .filter(|r| !r.0.starts_with("morph_mask_"))
            .collect();
        assert!(rows.len() >= 24, "config {cfg}: {} rows", rows.len());
        assert_complies(&rows, |tag| {
            got.iter().find(|(t, _)| t == tag).and_then(|g| g.1)
        });
    }
}
