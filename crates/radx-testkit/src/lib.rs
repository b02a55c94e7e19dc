//! Test support: the IBSI phantoms, reference values and test cohort that radx ships in
//! `reference-data/`, read through radx-reference, so every file a test reads is first
//! checked against its sha256 in the manifest (a changed byte fails the test, naming the
//! file).
//!
//! Must not: be a dependency of a library (test support only) or read test data other than
//! through radx-reference.

pub mod dicom;
pub mod hostile;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use radx_reference::{DataSet, ReferenceData};

pub mod hostile_tables;

use radx_core::{FeatureInput, Settings};
use radx_io::MaskSelector;
use radx_process::Prepared;

fn open(set: DataSet) -> &'static ReferenceData {
    static IBSI: OnceLock<ReferenceData> = OnceLock::new();
    static COHORT: OnceLock<ReferenceData> = OnceLock::new();
    let cell = match set {
        DataSet::Ibsi => &IBSI,
        DataSet::Cohort => &COHORT,
    };
    cell.get_or_init(|| ReferenceData::open(set, None).unwrap_or_else(|e| panic!("{e}")))
}

fn verified(set: DataSet, rel: &str) -> PathBuf {
    let data = open(set);
    let path = if data.entries().any(|e| e.path == rel) {
        data.verified(rel)
    } else {
        data.verified_dir(rel)
    };
    path.unwrap_or_else(|e| panic!("{e}"))
}

/// The IBSI reference data (`reference-data/ibsi/`, or `$RADX_REFERENCE_DATA`).
pub fn ibsi_data() -> &'static ReferenceData {
    open(DataSet::Ibsi)
}

/// Path of a file (or folder: every file under it) of the IBSI reference data, after
/// checking its sha256 against `reference-data/ibsi.toml`.
pub fn data(rel: &str) -> PathBuf {
    verified(DataSet::Ibsi, rel)
}

/// Path of a file (or folder: every file under it) of the test cohort
/// (`reference-data/cohorts/sts-mini/`, or `$RADX_COHORT_DATA`), after checking its sha256
/// against `reference-data/sts-mini.toml`.
pub fn cohort(rel: &str) -> PathBuf {
    verified(DataSet::Cohort, rel)
}

/// The case ids of the test cohort that have `{modality}_image.nii.gz`, sorted.
pub fn cohort_cases(modality: &str) -> Vec<String> {
    let suffix = format!("/{modality}_image.nii.gz");
    open(DataSet::Cohort)
        .entries()
        .filter_map(|e| {
            e.path
                .strip_prefix("nifti/")
                .and_then(|p| p.strip_suffix(&suffix))
                .map(String::from)
        })
        .collect()
}

/// One NIfTI case of the test cohort: its id and its (verified) image and mask.
#[derive(Debug, Clone)]
pub struct CohortFiles {
    pub id: String,
    pub image: PathBuf,
    pub mask: PathBuf,
}

/// Every NIfTI case of the test cohort with a `{modality}` image, sorted by id.
pub fn cohort_files(modality: &str) -> Vec<CohortFiles> {
    cohort_cases(modality)
        .into_iter()
        .map(|id| CohortFiles {
            image: cohort(&format!("nifti/{id}/{modality}_image.nii.gz")),
            mask: cohort(&format!("nifti/{id}/{modality}_mask.nii.gz")),
            id,
        })
        .collect()
}

/// Writes `dir/cohort.csv`, a `radx batch` / `radx stability` cohort of every NIfTI case of
/// the test cohort with a `{modality}` image (`case_id,image,mask`), with a `site` column
/// alternating between two made-up centres (`centre_a`, `centre_b`) when `sites`; returns
/// its path.
pub fn write_cohort_csv(dir: &Path, modality: &str, sites: bool) -> PathBuf {
    let files = cohort_files(modality);
    assert!(!files.is_empty(), "no {modality} case in the test cohort");
    let mut csv = String::from(if sites {
        "case_id,image,mask,site\n"
    } else {
        "case_id,image,mask\n"
    });
    for (i, c) in files.iter().enumerate() {
        csv.push_str(&format!(
            "{},{},{}",
            c.id,
            c.image.display(),
            c.mask.display()
        ));
        if sites {
            csv.push_str(if i % 2 == 0 { ",centre_a" } else { ",centre_b" });
        }
        csv.push('\n');
    }
    let path = dir.join("cohort.csv");
    std::fs::write(&path, csv).expect("cohort.csv is written");
    path
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

/// The consensus rows of an IBSI 1 reference table (e.g. `ibsi_1_dig_phantom.csv`), whose
/// tags start with `prefix` (empty: all), read by radx-reference's strict reader after the
/// file's sha256 was checked.
pub fn reference_rows(file: &str, prefix: &str) -> Vec<ReferenceRow> {
    let path = data(&format!("reference_values/ibsi_1/{file}"));
    radx_reference::read_ibsi1_table(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|r| r.tag.starts_with(prefix))
        .map(|r| (r.tag, r.value, r.tolerance))
        .collect()
}

/// Asserts that every reference row is matched by `lookup(tag)`; the panic message
/// lists every miss (tag, value, reference, tolerance).
pub fn assert_complies(rows: &[ReferenceRow], lookup: impl Fn(&str) -> Option<f64>) {
    let mut misses = Vec::new();
    for (tag, reference, tol) in rows {
        match lookup(tag) {
            Some(v) if radx_reference::compliance::complies(v, *reference, *tol) => {}
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

/// The values `plugin` computes on `prepared`, keyed by their IBSI reference tag
/// (`{prefix}_{name}` or `{prefix}_{name}_{aggregation}`); panics if the plugin fails.
pub fn tagged_values(
    plugin: &dyn radx_core::FeaturePlugin,
    prepared: &Prepared,
    settings: &Settings,
) -> std::collections::HashMap<String, Option<f64>> {
    let prefix = plugin.info().prefix.clone();
    plugin
        .compute(&input(prepared, settings))
        .unwrap_or_else(|e| panic!("{prefix}: {e}"))
        .into_iter()
        .map(|v| {
            let tag = match &v.aggregation {
                Some(a) => format!("{prefix}_{}_{a}", v.name),
                None => format!("{prefix}_{}", v.name),
            };
            (tag, v.value)
        })
        .collect()
}

/// Computes `plugin` on `prepared` and asserts every consensus row of the IBSI 1 reference
/// table `table` whose tag starts with the plugin's prefix (`{prefix}_`); returns how many
/// rows were asserted (never zero).
pub fn assert_family_complies(
    plugin: &dyn radx_core::FeaturePlugin,
    prepared: &Prepared,
    settings: &Settings,
    table: &str,
) -> usize {
    let values = tagged_values(plugin, prepared, settings);
    let prefix = &plugin.info().prefix;
    let rows = reference_rows(table, &format!("{prefix}_"));
    assert!(!rows.is_empty(), "no {prefix}_ rows in {table}");
    assert_complies(&rows, |tag| values.get(tag).copied().flatten());
    rows.len()
}

/// [`assert_family_complies`] on the IBSI 1 digital phantom (`ibsi_1_dig_phantom.csv`).
pub fn assert_digital_phantom_complies(plugin: &dyn radx_core::FeaturePlugin) -> usize {
    let (prepared, settings) = digital_phantom();
    assert_family_complies(plugin, &prepared, &settings, "ibsi_1_dig_phantom.csv")
}

/// [`assert_family_complies`] on the CT phantom prepared with preset `ibsi-config-{config}`
/// (`ibsi_1_chest_config_{config}.csv`).
pub fn assert_ct_config_complies(plugin: &dyn radx_core::FeaturePlugin, config: &str) -> usize {
    let settings = Settings::preset(&format!("ibsi-config-{config}")).unwrap();
    let prepared = ct_phantom(&settings);
    assert_family_complies(
        plugin,
        &prepared,
        &settings,
        &format!("ibsi_1_chest_config_{config}.csv"),
    )
}
