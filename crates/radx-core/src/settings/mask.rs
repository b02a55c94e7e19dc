//! `[mask]`: what to do with a mask given on another grid than the image (issue 19).
//!
//! ```toml
//! [mask]
//! resample_to_image = "nearest"   # "off" (default) | "nearest" | "linear"
//! partial_volume_threshold = 0.5  # "linear" only: a voxel is in the ROI when the
//!                                 # interpolated mask fraction is at least this
//! ```
//!
//! Default `off`: a label map on another grid is an error naming both grids (IBSI: the mask
//! is delineated on the image). With `nearest` or `linear`, a NIfTI / NRRD label map whose
//! grid differs from the image's is resampled onto the image grid in physical space
//! (direction cosines included; see `radx_process::mask_grid`), and the provenance records
//! it. Without a `[mask]` section (or with its defaults) the canonical form does not mention
//! it, so its introduction changed no settings id.

use serde::{Deserialize, Serialize};

/// How a mask on another grid is brought onto the image grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskResample {
    /// Refused: the grids must match (the default).
    #[default]
    Off,
    /// Nearest neighbour: each image voxel takes the mask voxel whose centre is nearest.
    Nearest,
    /// Trilinear interpolation of the 0/1 mask, thresholded at the partial-volume threshold.
    Linear,
}

impl std::fmt::Display for MaskResample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MaskResample::Off => "off",
            MaskResample::Nearest => "nearest",
            MaskResample::Linear => "linear",
        })
    }
}

/// `[mask]` settings (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskSettings {
    #[serde(default)]
    pub resample_to_image: MaskResample,
    /// `linear`: the smallest interpolated fraction kept in the ROI, in (0, 1]; default 0.5.
    #[serde(default = "default_threshold")]
    pub partial_volume_threshold: f64,
}

fn default_threshold() -> f64 {
    0.5
}

impl Default for MaskSettings {
    fn default() -> Self {
        MaskSettings {
            resample_to_image: MaskResample::Off,
            partial_volume_threshold: default_threshold(),
        }
    }
}

impl MaskSettings {
    /// True for the defaults (then the section is left out of the canonical form).
    pub fn is_default(&self) -> bool {
        *self == MaskSettings::default()
    }
}

#[cfg(test)]
mod tests {
    use crate::settings::{Settings, PRESETS};

    const BASE: &str =
        "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 32\n";

    #[test]
    fn default_mask_section_leaves_the_canonical_form_and_id_unchanged() {
        let plain = Settings::from_toml_str(BASE, "a").unwrap();
        let off = Settings::from_toml_str(
            &format!("{BASE}[mask]\nresample_to_image = \"off\"\npartial_volume_threshold = 0.5\n"),
            "b",
        )
        .unwrap();
        assert_eq!(plain.canonical(), off.canonical());
        assert_eq!(plain.id(), off.id());
        assert!(!plain.canonical().contains("[mask]"));
        for (name, _) in PRESETS {
            let s = Settings::preset(name).unwrap();
            assert!(!s.canonical().contains("resample_to_image"), "{name}");
        }
    }

    #[test]
    fn resampling_changes_the_id_and_is_written_out() {
        let plain = Settings::from_toml_str(BASE, "a").unwrap();
        let near = Settings::from_toml_str(
            &format!("{BASE}[mask]\nresample_to_image = \"nearest\"\n"),
            "b",
        )
        .unwrap();
        let lin = Settings::from_toml_str(
            &format!(
                "{BASE}[mask]\nresample_to_image = \"linear\"\npartial_volume_threshold = 0.3\n"
            ),
            "c",
        )
        .unwrap();
        assert_ne!(plain.id(), near.id());
        assert_ne!(near.id(), lin.id());
        assert!(near.canonical().contains("resample_to_image = \"nearest\""));
        assert!(lin.canonical().contains("partial_volume_threshold = 0.3"));
    }

    #[test]
    fn bad_mask_settings_are_errors_naming_the_key() {
        let e = Settings::from_toml_str(
            &format!("{BASE}[mask]\nresample_to_image = \"cubic\"\n"),
            "m",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("resample_to_image") || e.contains("cubic"),
            "{e}"
        );
        let e = Settings::from_toml_str(
            &format!(
                "{BASE}[mask]\nresample_to_image = \"linear\"\npartial_volume_threshold = 0\n"
            ),
            "m",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("mask.partial_volume_threshold"), "{e}");
    }
}
