//! Test support: the IBSI phantoms and reference values, read from
//! [`radx_core::reference_data_dir`].

use std::path::PathBuf;

pub mod hostile_tables;

use radx_core::{FeatureInput, Settings};
use radx_io::MaskSelector;
use radx_process::Prepared;

/// Path of a file under the reference data folder.
pub fn data(rel: &str) -> PathBuf {
    radx_core::reference_data_dir().join(rel)
}

/// Reads an image and mask (paths relative to the reference data folder) and runs the
/// processing chain with `settings`.
pub fn prepared(image: &str, mask: &str, settings: &Settings) -> Prepared {
    let img = radx_io::read_image(&data(image)).expect("reference image reads");
    let mask =
        radx_io::read_mask(&data(mask), MaskSelector::NonZero).expect("reference mask reads");
    radx_process::prepare(img, mask, settings).expect("processing chain runs")
}

/// The IBSI 1 digital phantom, prepared with the `ibsi-digital-phantom` preset.
pub fn digital_phantom() -> (Prepared, Settings) {
    let s = Settings::preset("ibsi-digital-phantom").unwrap();
    (
        prepared(
            "ibsi_1_digital_phantom/nifti/image/phantom.nii.gz",
            "ibsi_1_digital_phantom/nifti/mask/mask.nii.gz",
            &s,
        ),
        s,
    )
}

/// The IBSI 1 CT phantom (GTV), prepared with `settings`.
pub fn ct_phantom(settings: &Settings) -> Prepared {
    prepared(
        "ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz",
        "ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz",
        settings,
    )
}

/// The bench setting of the texture issue: CT phantom GTV re-segmented to
/// [-500, 400] HU, fixed bin size 25 HU for texture and histogram.
pub fn ct_bench_settings() -> Settings {
    Settings::from_toml_str(
        "radx_settings = 1\n[input]\nround_intensities = true\n[resegmentation]\nmin = -500.0\nmax = 400.0\n\
         [discretisation.histogram]\nmethod = \"fbs\"\nbin_width = 25.0\n\
         [discretisation.texture]\nmethod = \"fbs\"\nbin_width = 25.0\n\
         [discretisation.ivh]\nmethod = \"fbs\"\nbin_width = 2.5\n",
        "ct-bench",
    )
    .unwrap()
}

/// A [`FeatureInput`] over a prepared ROI.
pub fn input<'a>(p: &'a Prepared, settings: &'a Settings) -> FeatureInput<'a> {
    FeatureInput {
        roi: &p.roi,
        settings,
        histogram: &p.histogram,
        texture: &p.texture,
        ivh: &p.ivh,
    }
}

/// One reference row: `(tag, reference value, tolerance)`.
pub type ReferenceRow = (String, f64, f64);

/// The consensus rows of an IBSI 1 reference CSV (e.g. `ibsi_1_dig_phantom.csv`),
/// whose tags start with `prefix` (empty: all).
pub fn reference_rows(file: &str, prefix: &str) -> Vec<ReferenceRow> {
    let path = data(&format!("reference_values/ibsi_1/{file}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            if f.len() < 3 || f[0].trim().is_empty() {
                return None;
            }
            let tag = f[2].trim().to_string();
            if !tag.starts_with(prefix) {
                return None;
            }
            Some((
                tag,
                f[0].trim().parse().ok()?,
                f[1].trim().parse().unwrap_or(0.0),
            ))
        })
        .collect()
}

/// Asserts that every reference row is matched by `lookup(tag)`; the panic message
/// lists every miss (tag, value, reference, tolerance).
pub fn assert_complies(rows: &[ReferenceRow], lookup: impl Fn(&str) -> Option<f64>) {
    let mut misses = Vec::new();
    for (tag, reference, tol) in rows {
        match lookup(tag) {
            Some(v) if radx_core::compliance::complies(v, *reference, *tol) => {}
            got => misses.push(format!("{tag}: got {got:?}, reference {reference} ± {tol}")),
        }
    }
    assert!(
        misses.is_empty(),
        "{} of {} rows missed:\n{}",
        misses.len(),
        rows.len(),
        misses.join("\n")
    );
}

/// Computes `plugin` on the CT phantom prepared with preset `ibsi-config-{config}` and
/// asserts every consensus row of that configuration whose tag starts with the plugin's
/// prefix (`{prefix}_`); returns how many rows were asserted.
pub fn assert_ct_config_complies(plugin: &dyn radx_core::FeaturePlugin, config: &str) -> usize {
    let settings = Settings::preset(&format!("ibsi-config-{config}")).unwrap();
    let prepared = ct_phantom(&settings);
    let prefix = plugin.info().prefix.clone();
    let values: std::collections::HashMap<String, Option<f64>> = plugin
        .compute(&input(&prepared, &settings))
        .expect("computes on the CT phantom")
        .into_iter()
        .map(|v| {
            let tag = match &v.aggregation {
                Some(a) => format!("{prefix}_{}_{a}", v.name),
                None => format!("{prefix}_{}", v.name),
            };
            (tag, v.value)
        })
        .collect();
    let rows = reference_rows(
        &format!("ibsi_1_chest_config_{config}.csv"),
        &format!("{prefix}_"),
    );
    assert!(
        !rows.is_empty(),
        "no {prefix}_ rows in configuration {config}"
    );
    assert_complies(&rows, |tag| values.get(tag).copied().flatten());
    rows.len()
}
