//! The IBSI 2 reference configurations, read from radx's shipped settings presets.
//!
//! The filter parameters of every IBSI 2 test live in one place: the TOML presets
//! `crates/radx-core/presets/ibsi2-*.toml`, where each parameter cites its source. This
//! module only names the preset and the phantom of each test.

use radx_core::Settings;

use crate::FilterSpec;

/// Phantom image paths relative to the reference data folder.
const CHECKERBOARD: &str = "ibsi_2_digital_phantom/nifti/checkerboard/image/checkerboard.nii.gz";
const IMPULSE: &str = "ibsi_2_digital_phantom/nifti/impulse/image/impulse.nii.gz";
const SPHERE: &str = "ibsi_2_digital_phantom/nifti/sphere/image/sphere.nii.gz";
const PATTERN_1: &str = "ibsi_2_digital_phantom/nifti/pattern_1/image/pattern_1.nii.gz";

/// The 33 IBSI 2 phase 1 tests with published reference response maps: `(test id,
/// settings preset, phantom image path relative to the reference data folder)`.
pub const IBSI2_PHASE1_PRESETS: &[(&str, &str, &str)] = &[
    ("1_a_1", "ibsi2-phase1-1a1", CHECKERBOARD),
    ("1_a_2", "ibsi2-phase1-1a2", CHECKERBOARD),
    ("1_a_3", "ibsi2-phase1-1a3", CHECKERBOARD),
    ("1_a_4", "ibsi2-phase1-1a4", CHECKERBOARD),
    ("1_b_1", "ibsi2-phase1-1b1", IMPULSE),
    ("2_a", "ibsi2-phase1-2a", IMPULSE),
    ("2_b", "ibsi2-phase1-2b", CHECKERBOARD),
    ("2_c", "ibsi2-phase1-2c", CHECKERBOARD),
    ("3_a_1", "ibsi2-phase1-3a1", IMPULSE),
    ("3_a_2", "ibsi2-phase1-3a2", IMPULSE),
    ("3_a_3", "ibsi2-phase1-3a3", IMPULSE),
    ("3_b_1", "ibsi2-phase1-3b1", CHECKERBOARD),
    ("3_b_2", "ibsi2-phase1-3b2", CHECKERBOARD),
    ("3_b_3", "ibsi2-phase1-3b3", CHECKERBOARD),
    ("3_c_1", "ibsi2-phase1-3c1", CHECKERBOARD),
    ("3_c_2", "ibsi2-phase1-3c2", CHECKERBOARD),
    ("3_c_3", "ibsi2-phase1-3c3", CHECKERBOARD),
    ("4_a_1", "ibsi2-phase1-4a1", IMPULSE),
    ("4_a_2", "ibsi2-phase1-4a2", IMPULSE),
    ("4_b_1", "ibsi2-phase1-4b1", SPHERE),
    ("4_b_2", "ibsi2-phase1-4b2", SPHERE),
    ("5_a_1", "ibsi2-phase1-5a1", IMPULSE),
    ("5_a_2", "ibsi2-phase1-5a2", IMPULSE),
    ("6_a_1", "ibsi2-phase1-6a1", SPHERE),
    ("6_a_2", "ibsi2-phase1-6a2", SPHERE),
    ("7_a_1", "ibsi2-phase1-7a1", CHECKERBOARD),
    ("7_a_2", "ibsi2-phase1-7a2", CHECKERBOARD),
    ("8_a_1", "ibsi2-phase1-8a1", CHECKERBOARD),
    ("8_a_2", "ibsi2-phase1-8a2", CHECKERBOARD),
    ("8_a_3", "ibsi2-phase1-8a3", CHECKERBOARD),
    ("9_a", "ibsi2-phase1-9a", IMPULSE),
    ("9_b_1", "ibsi2-phase1-9b1", SPHERE),
    ("10_b_1", "ibsi2-phase1-10b1", PATTERN_1),
];

/// The IBSI 2 phase 2 configurations (CT phantom; `A`: 2D, `B`: 3D): `(configuration id,
/// settings preset)`.
pub const IBSI2_PHASE2_PRESETS: &[(&str, &str)] = &[
    ("1.A", "ibsi2-1a"),
    ("1.B", "ibsi2-1b"),
    ("2.A", "ibsi2-2a"),
    ("2.B", "ibsi2-2b"),
    ("3.A", "ibsi2-3a"),
    ("3.B", "ibsi2-3b"),
    ("4.A", "ibsi2-4a"),
    ("4.B", "ibsi2-4b"),
    ("5.A", "ibsi2-5a"),
    ("5.B", "ibsi2-5b"),
    ("6.A", "ibsi2-6a"),
    ("6.B", "ibsi2-6b"),
    ("7.A", "ibsi2-7a"),
    ("7.B", "ibsi2-7b"),
    ("8.A", "ibsi2-8a"),
    ("8.B", "ibsi2-8b"),
    ("9.A", "ibsi2-9a"),
    ("9.B", "ibsi2-9b"),
];

/// Path of the reference response map of a phase 1 test, relative to the reference data
/// IBSI data folder (`reference-data/ibsi/`).
pub fn ibsi2_reference_map(test_id: &str) -> String {
    format!("reference_values/ibsi_2/response_maps/{test_id}-ValidCRM.nii.gz")
}

/// The filters of a shipped preset. The presets are compiled into radx-core and
/// checked by its tests, so a preset that does not parse is a build defect.
fn preset_filters(preset: &str) -> Vec<FilterSpec> {
    Settings::preset(preset)
        .unwrap_or_else(|e| panic!("shipped preset {preset} does not load: {e}"))
        .filters
        .maps
}

/// The 33 IBSI 2 phase 1 tests with published reference response maps: `(test id,
/// phantom image path relative to the reference data folder, filter)`, the filter read
/// from the test's preset ([`IBSI2_PHASE1_PRESETS`]). The reference map of each is at
/// [`ibsi2_reference_map`]. All phantoms have 64^3 voxels of 2 mm.
pub fn ibsi2_phase1_tests() -> Vec<(&'static str, &'static str, FilterSpec)> {
    IBSI2_PHASE1_PRESETS
        .iter()
        .map(|&(id, preset, phantom)| {
            let spec = preset_filters(preset)
                .into_iter()
                .next()
                .unwrap_or_else(|| panic!("shipped preset {preset} names no filter"));
            (id, phantom, spec)
        })
        .collect()
}

/// The IBSI 2 phase 2 filter configurations (CT phantom; `A`: 2D, `B`: 3D), read from
/// their presets ([`IBSI2_PHASE2_PRESETS`]): `(configuration id, filter)`; configuration 1
/// has no filter.
pub fn ibsi2_phase2_configs() -> Vec<(&'static str, Option<FilterSpec>)> {
    IBSI2_PHASE2_PRESETS
        .iter()
        .map(|&(id, preset)| (id, preset_filters(preset).into_iter().next()))
        .collect()
}
