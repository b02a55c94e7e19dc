//! The settings manifest (schema version 1).
//!
//! A manifest is a TOML file whose first key is `radx_settings = 1`. Every section is
//! optional; a missing key takes the documented default. Unknown keys and impossible
//! values are errors naming the key and the file. The canonical form of a manifest is
//! the TOML serialisation of the fully populated [`Settings`] (every default filled in,
//! keys in a fixed order); its sha256 is the *settings id*.
//!
//! Later schema versions add sections with defaults that reproduce version 1
//! behaviour, so a version 1 file keeps its meaning.
//!
//! # Convolutional filters (`[filters]`, IBSI 2)
//!
//! Each entry of `[[filters.maps]]` names one filter (see [`FilterSpec`] for every type
//! and parameter); each produces a *response map* on which features are computed as well,
//! in rows whose `image` label is the filter's canonical name (e.g. `log_s1.5mm_3d`):
//!
//! ```toml
//! [filters]
//! families = ["intensity_stats", "intensity_histogram"]   # default: see below
//!
//! [[filters.maps]]
//! type = "log"
//! sigma_mm = 1.5
//! dimensions = "3d"          # "2d": every axial slice on its own; default "3d"
//! boundary = "mirror"        # zero | nearest | periodic | mirror (default)
//!
//! [[filters.maps]]
//! type = "wavelet"
//! family = "db3"
//! subband = "LLH"
//! rotation_invariant = true
//! ```
//!
//! The chain follows the IBSI 2 reference manual: the image is rounded and interpolated as
//! for the original image, then filtered; the intensity mask is the one re-segmented on the
//! *unfiltered* (interpolated) intensities, and the features of a response map are
//! computed on the response values inside that mask.
//!
//! * `families`: the feature families computed on every response map. Default: the
//!   `[features] families` without `morphology` (the shape of the ROI does not depend on
//!   intensities, so morphology never runs on a response map and may not be named here).
//!   The default is written out in the canonical form.
//! * `[filters.discretisation.*]`: discretisation of the response maps (histogram,
//!   texture, IVH), with the keys of `[discretisation.*]`. Default: the same as
//!   `[discretisation]` (written out in the canonical form). Response values are not in
//!   image units, so fixed bin numbers usually suit them better than fixed bin sizes.
//! * `[filters.resegmentation]`: an optional range (`min`, `max`) and outlier
//!   (`outlier_sd`) re-segmentation applied to the response values, on top of the
//!   intensity mask. Default: none (IBSI 2).
//!
//! Without `[filters]` (the default) the canonical form does not mention the section, so
//! its introduction changed no existing settings id.
//!
//! # Resource limits (`[limits]`)
//!
//! The largest sizes radx agrees to allocate (see [`crate::limits`] for every key, its
//! default and why). Parsing checks what the settings alone decide: fixed bin numbers
//! against `max_grey_levels` (texture) and `max_histogram_bins` (histogram, IVH), and
//! interpolation spacings against `min_spacing_mm`. Limits are never part of the canonical
//! form or the settings id; [`Settings::manifest`] writes non-default ones after it.
//! `--limit KEY=VALUE` overrides ([`Settings::from_toml_str_with_limits`]) win over the
//! section.
//!
//! The module is split by job: `types` (the manifest's sections and their defaults),
//! `presets` (the shipped presets, [`PRESETS`]), `validation` ([`Settings::validate`]);
//! this file parses, names and hashes a manifest.

pub mod conventions;
mod mask;
pub mod normalisation;
mod presets;
pub mod regions;
mod types;
mod validation;

use std::path::Path;

pub use crate::filter_spec::FilterSpec;
use crate::limits::{Limit, LimitError, Limits};
pub use conventions::{
    Conventions, FbsOrigin, GridAlignment, IvhFbsRange, MaskExtrapolation, OutsideImage,
};
pub use mask::{MaskResample, MaskSettings};
pub use normalisation::{Normalisation, NormalisationMethod};
pub use presets::PRESETS;
pub use regions::{is_extra_mask_name, DeriveOn, DeriveOp, DerivedRegion, RoiSettings};
use sha2::{Digest, Sha256};
use thiserror::Error;
pub use types::*;

/// The newest schema version this build reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Every built-in feature family, in computation order.
pub const BUILTIN_FAMILIES: &[&str] = &[
    "morphology",
    "local_intensity",
    "intensity_stats",
    "intensity_histogram",
    "ivh",
    "glcm",
    "glrlm",
    "glszm",
    "gldzm",
    "ngtdm",
    "ngldm",
];

/// Errors reading or validating a settings manifest. Each names its source (a file path
/// or `preset:NAME`).
#[derive(Debug, Error)]
pub enum SettingsError {
    #[error("{source_name}: cannot read settings file: {message}")]
    Io {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: invalid settings manifest: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: key `{key}`: {message}")]
    Invalid {
        source_name: String,
        key: String,
        message: String,
    },
    #[error("no preset named `{0}`; presets: {1}")]
    UnknownPreset(String, String),
    /// A setting asks for more than a resource limit allows.
    #[error("{source_name}: {limit}")]
    Limit {
        source_name: String,
        limit: LimitError,
    },
}
impl Settings {
    /// Parses and validates a manifest. `source_name` names it in errors.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Self, SettingsError> {
        Self::from_toml_str_with_limits::<&str>(text, source_name, &[])
    }

    /// [`Settings::from_toml_str`] with `KEY=VALUE` limit overrides (`--limit`), applied
    /// over the manifest's `[limits]` before the settings are validated against them.
    pub fn from_toml_str_with_limits<S: AsRef<str>>(
        text: &str,
        source_name: &str,
        limit_overrides: &[S],
    ) -> Result<Self, SettingsError> {
        let value: toml::Value = toml::from_str(text).map_err(|e| SettingsError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        match value.get("radx_settings") {
            None => {
                return Err(SettingsError::Invalid {
                    source_name: source_name.into(),
                    key: "radx_settings".into(),
                    message: format!(
                        "missing schema version; the first line should be `radx_settings = {SCHEMA_VERSION}`"
                    ),
                })
            }
            Some(toml::Value::Integer(v)) if *v >= 1 && *v <= SCHEMA_VERSION as i64 => {}
            Some(v) => {
                return Err(SettingsError::Invalid {
                    source_name: source_name.into(),
                    key: "radx_settings".into(),
                    message: format!(
                        "schema version {v} is not one this radx reads (1..={SCHEMA_VERSION})"
                    ),
                })
            }
        }
        let mut settings: Settings = toml::from_str(text).map_err(|e| SettingsError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        settings
            .limits
            .apply(limit_overrides)
            .map_err(|e| SettingsError::Invalid {
                source_name: "--limit".into(),
                key: format!("limits.{}", e.key),
                message: e.message,
            })?;
        settings
            .filters
            .fill_defaults(&settings.features, &settings.discretisation);
        settings.validate(source_name)?;
        Ok(settings)
    }

    /// Reads and validates a manifest file.
    pub fn from_file(path: &Path) -> Result<Self, SettingsError> {
        Self::from_file_with_limits::<&str>(path, &[])
    }

    /// [`Settings::from_file`] with `KEY=VALUE` limit overrides (see
    /// [`Settings::from_toml_str_with_limits`]).
    pub fn from_file_with_limits<S: AsRef<str>>(
        path: &Path,
        limit_overrides: &[S],
    ) -> Result<Self, SettingsError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Io {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        let mut s = Self::from_toml_str_with_limits(&text, &name, limit_overrides)?;
        s.source_dir = path.parent().map(|p| p.to_path_buf());
        Ok(s)
    }

    /// A shipped preset by name (see [`PRESETS`]).
    pub fn preset(name: &str) -> Result<Self, SettingsError> {
        Self::preset_with_limits::<&str>(name, &[])
    }

    /// [`Settings::preset`] with `KEY=VALUE` limit overrides (see
    /// [`Settings::from_toml_str_with_limits`]).
    pub fn preset_with_limits<S: AsRef<str>>(
        name: &str,
        limit_overrides: &[S],
    ) -> Result<Self, SettingsError> {
        let text = PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                SettingsError::UnknownPreset(
                    name.to_string(),
                    PRESETS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
        Self::from_toml_str_with_limits(text, &format!("preset:{name}"), limit_overrides)
    }

    /// The canonical form: every default filled in, keys in a fixed order.
    pub fn canonical(&self) -> String {
        toml::to_string(self).expect("settings always serialise to TOML")
    }

    /// The canonical form followed by the `[limits]` that differ from the defaults: a
    /// manifest that gives back these settings, limits included. Without raised or
    /// lowered limits it is the canonical form.
    pub fn manifest(&self) -> String {
        let limits = self.limits.non_default_toml();
        if limits.is_empty() {
            self.canonical()
        } else {
            format!("{}\n[limits]\n{limits}", self.canonical())
        }
    }

    /// The settings id: lowercase hex sha256 of the canonical form.
    pub fn id(&self) -> String {
        hex(&Sha256::digest(self.canonical().as_bytes()))
    }
}
/// Lowercase hexadecimal of a byte slice.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_manifest_takes_defaults() {
        let s = Settings::from_toml_str("radx_settings = 1\n", "t.toml").unwrap();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn canonical_form_round_trips_and_hash_is_stable() {
        let s = Settings::preset("ibsi-digital-phantom").unwrap();
        let again = Settings::from_toml_str(&s.canonical(), "canon").unwrap();
        assert_eq!(s, again);
        assert_eq!(s.id(), again.id());
        assert_eq!(s.id().len(), 64);
        assert_ne!(s.id(), Settings::default().id());
    }

    #[test]
    fn every_preset_parses() {
        for (name, _) in PRESETS {
            Settings::preset(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[texture]\nglcm_distanse = 2\n",
            "x.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("x.toml") && e.contains("glcm_distanse"), "{e}");
    }

    #[test]
    fn impossible_value_is_named() {
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[discretisation.texture]\nmethod = \"fbs\"\nbin_width = -2.0\n",
            "y.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("y.toml") && e.contains("discretisation.texture.bin_width"),
            "{e}"
        );
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[resegmentation]\nmin = 5.0\nmax = 1.0\n",
            "z.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("resegmentation.min"), "{e}");
    }

    #[test]
    fn plugins_section_is_optional_and_checked() {
        let with =
            "radx_settings = 1\n[[plugins]]\nname = \"fractal\"\npath = \"lib.so\"\nsha256 = \""
                .to_string()
                + &"ab".repeat(32)
                + "\"\n[plugins.settings]\nscales = 4\n";
        let s = Settings::from_toml_str(&with, "p.toml").unwrap();
        assert_eq!(s.plugins[0].settings["scales"].as_integer(), Some(4));
        assert!(s.canonical().contains("[[plugins]]"));
        let again = Settings::from_toml_str(&s.canonical(), "c").unwrap();
        assert_eq!(again, s);
        // no plugins: the canonical form does not mention them
        assert!(!Settings::default().canonical().contains("plugins"));
        let bad = with.replace(&"ab".repeat(32), "xyz");
        let e = Settings::from_toml_str(&bad, "q.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("plugins.sha256") && e.contains("q.toml"), "{e}");
        let e = Settings::from_toml_str(&with.replace("fractal", "glcm"), "r.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("plugins.name"), "{e}");
    }

    /// Settings ids of the presets and the default before the `[filters]` section existed
    /// (printed by `radx settings show` of that build): the new section must not change
    /// them.
    #[test]
    fn settings_ids_are_unchanged_by_the_filters_section() {
        for (name, id) in [
            (
                "ibsi-digital-phantom",
                "408d4736f2ce600ed0970b94963a9f4a0d346a3d4e8ca5491de92d1d068aba08",
            ),
            (
                "ibsi-config-a",
                "18c4d4d4bf784e100a36f26517e03f90e6ebf543a81d9b48b0bf977d778f7fcd",
            ),
            (
                "ibsi-config-b",
                "3d1bc8c6aea4dea4061008eeaaab45c39c66e97a57ef87ab9c14fac651174cad",
            ),
            (
                "ibsi-config-c",
                "8e6e7f004ce5bdc7b71a7df3137f1f667d367ed4929a4b6ff0ed5e722fc3a159",
            ),
            (
                "ibsi-config-d",
                "def8c3ccb766163edd7868cf89c87a8fa6c6057943b80d8b9331f5727fe3ec69",
            ),
            (
                "ibsi-config-e",
                "4fa3d547bf03bcd4bfca932b41ad1c43689395470a568b89e611773ca821469e",
            ),
        ] {
            let s = Settings::preset(name).unwrap();
            assert_eq!(s.id(), id, "{name}");
            assert!(!s.canonical().contains("filters"), "{name}");
        }
        assert_eq!(
            Settings::default().id(),
            "32ff4e4aaa58b2cf22b6c9cb1a57378211a93dfc96dc4d6d5b0741710ec939e0"
        );
    }

    #[test]
    fn filters_section_parses_fills_defaults_and_round_trips() {
        let text = "radx_settings = 1\n[features]\nfamilies = [\"morphology\", \"intensity_stats\", \"glcm\"]\n\
                    [[filters.maps]]\ntype = \"log\"\nsigma_mm = 1.5\n\
                    [[filters.maps]]\ntype = \"wavelet\"\nfamily = \"db3\"\nsubband = \"LLH\"\nrotation_invariant = true\n";
        let s = Settings::from_toml_str(text, "f.toml").unwrap();
        assert_eq!(s.filters.maps.len(), 2);
        assert_eq!(s.filters.maps[0].canonical_name(), "log_s1.5mm_3d");
        // default families: those of [features] without morphology, written out
        assert_eq!(
            s.filters.families.as_deref(),
            Some(&["intensity_stats".to_string(), "glcm".to_string()][..])
        );
        assert_eq!(s.filters.discretisation.as_ref(), Some(&s.discretisation));
        let canon = s.canonical();
        assert!(canon.contains("[[filters.maps]]"), "{canon}");
        let again = Settings::from_toml_str(&canon, "c").unwrap();
        assert_eq!(again, s);
        assert_eq!(again.id(), s.id());
        assert_ne!(s.id(), Settings::default().id());
    }

    #[test]
    fn invalid_filters_are_named() {
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[[filters.maps]]\ntype = \"mean\"\nsupport = 4\n",
            "m.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("m.toml") && e.contains("filters.maps[0]") && e.contains("support"),
            "{e}"
        );
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[[filters.maps]]\ntype = \"gauss\"\n",
            "u.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("u.toml") && e.contains("gauss"), "{e}");
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[filters]\nfamilies = [\"morphology\"]\n[[filters.maps]]\ntype = \"mean\"\nsupport = 3\n",
            "g.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("filters.families") && e.contains("morphology"),
            "{e}"
        );
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[[filters.maps]]\ntype = \"mean\"\nsupport = 3\n[[filters.maps]]\ntype = \"mean\"\nsupport = 3\n",
            "d.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("filters.maps[1]") && e.contains("mean_m3_3d"),
            "{e}"
        );
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[filters.resegmentation]\nmin = 3.0\nmax = 1.0\n",
            "r.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("filters.resegmentation.min"), "{e}");
    }

    /// The settings id of every shipped preset, as printed by `radx settings presets`
    /// before the `[limits]` section existed: limits are not part of the canonical form,
    /// so no id may change.
    const PRESET_IDS_BEFORE_LIMITS: &[(&str, &str)] = &[
        (
            "ibsi-digital-phantom",
            "408d4736f2ce600ed0970b94963a9f4a0d346a3d4e8ca5491de92d1d068aba08",
        ),
        (
            "ibsi-config-a",
            "18c4d4d4bf784e100a36f26517e03f90e6ebf543a81d9b48b0bf977d778f7fcd",
        ),
        (
            "ibsi-config-b",
            "3d1bc8c6aea4dea4061008eeaaab45c39c66e97a57ef87ab9c14fac651174cad",
        ),
        (
            "ibsi-config-c",
            "8e6e7f004ce5bdc7b71a7df3137f1f667d367ed4929a4b6ff0ed5e722fc3a159",
        ),
        (
            "ibsi-config-d",
            "def8c3ccb766163edd7868cf89c87a8fa6c6057943b80d8b9331f5727fe3ec69",
        ),
        (
            "ibsi-config-e",
            "4fa3d547bf03bcd4bfca932b41ad1c43689395470a568b89e611773ca821469e",
        ),
        (
            "ibsi2-1a",
            "40d2f699063d9751dc5abbf685fce840560f8bdbe5fcb530750b21a6913d2b03",
        ),
        (
            "ibsi2-1b",
            "2871dbc13edb0768dbae52fe96d631e1d01f328cbbc4513f7a4980a3fcc21171",
        ),
        (
            "ibsi2-2a",
            "ce99b60b88122852d0f7c7c09d3e3482ac1b0d98709e2b4bc94e19b984225470",
        ),
        (
            "ibsi2-2b",
            "1edacfad64dcefa66f2c0433fdafb77b17cef0ea84493d1391866ee95e55b6e0",
        ),
        (
            "ibsi2-3a",
            "019550c4ec62cb6ae9c5992192293c99f57dd34d6f469572a860c6c424f8ce49",
        ),
        (
            "ibsi2-3b",
            "7d56fa6cbc578da80275a76e71e40ac4cd3640d7b4a9851f314e023ecd912eef",
        ),
        (
            "ibsi2-4a",
            "14602398e4a3606edf1414c3bc957328cb4f3f093b293053c0ea3d16baef4df2",
        ),
        (
            "ibsi2-4b",
            "93567f7e70b25af1f7f94e4bba59908f2d7f2372b586b5696ff54cc650e9d692",
        ),
        (
            "ibsi2-5a",
            "7642205b48e513787591f4d6a3b6098d3014d1a6e77458659b41addc3433e7ce",
        ),
        (
            "ibsi2-5b",
            "df36a3b26d5a59e812fc041bf4a1a109306240da9db7bb99453b2087495f6d90",
        ),
        (
            "ibsi2-6a",
            "2c4ce4a6c35e38d420ddd12652c6a37889fabf017d40cf028ca2d6c8ac7c37e6",
        ),
        (
            "ibsi2-6b",
            "5627e377b0efd377962b2fbece7c1205c451fb3675e1031d51073808f6e7ac41",
        ),
        (
            "ibsi2-7a",
            "a86ea11673aec909ea35681c45c4b11623be7655aa1f7aae80abbd1f34514157",
        ),
        (
            "ibsi2-7b",
            "66b3b45813184b1e28e64c44137913f64595bc463cd0e2e35af5dd2906fc5eb4",
        ),
        (
            "ibsi2-8a",
            "df609f6f059f481e91512fc36a761b6872143bef527820689fdf8fc1682a989c",
        ),
        (
            "ibsi2-8b",
            "b2e133407496551ec0802bdf826e3148d246e1ab40bc5ed709b1a20de18d68fb",
        ),
        (
            "ibsi2-9a",
            "7f4be14d8e1a89c579a5a385fab178fe2eb1c8344513c9eedf9d7d5b3939cac3",
        ),
        (
            "ibsi2-9b",
            "80e2b6942abeee5f30356a1a0bb97ad5c055aaf12db29e16e21d4f2729548580",
        ),
        (
            "ibsi2-phase1-1a1",
            "ea3c3b43169cef623987a48fcb916e06258e63b2ced2b1931d67ddd964b3042c",
        ),
        (
            "ibsi2-phase1-1a2",
            "4ea8589d60c3f8cd5ec4fba7f5c843ecb73c309255997e3b0d797626d0253489",
        ),
        (
            "ibsi2-phase1-1a3",
            "38873b1e4300c6d8036c9a5d4114e38e33b28e5ee98d9d29eb075121446ff712",
        ),
        (
            "ibsi2-phase1-1a4",
            "2c26a2bbfd8aa4ed259f1640f22a9c48583261703495e6fa0d49bc91beac3698",
        ),
        (
            "ibsi2-phase1-1b1",
            "42af378d7dc7f42ed30be021a9ca86fbeca64ef28c2b02b8a711912561798996",
        ),
        (
            "ibsi2-phase1-2a",
            "059a092ae5f090620f654295a0382c9f8d245c5bf352728fedd32806faca9524",
        ),
        (
            "ibsi2-phase1-2b",
            "bbbfc8451680909ea5429f1ad00c8d677fed105d9d6047f94f6ac64bd1bf0c62",
        ),
        (
            "ibsi2-phase1-2c",
            "4c32bbb958d80d4d558bff3e1fe9a4d18e7b745123360067639ab56517f59cfb",
        ),
        (
            "ibsi2-phase1-3a1",
            "8695345f425868fbc8cf0c18b364dd2a1f4bad82757d17ed7c06be80945da5ee",
        ),
        (
            "ibsi2-phase1-3a2",
            "6698785110e69ce9b3e9688a80e61299c5afc996c95bbe2a1f0ac7ba5703f23f",
        ),
        (
            "ibsi2-phase1-3a3",
            "c4a1fb08e0e08e326e951632f87d81a0266d76314f63d66c77b4df9995ab6c89",
        ),
        (
            "ibsi2-phase1-3b1",
            "df7e1f8432fca38ecb15a405a4f9d1b8518a9b4034d92f289a5633939b63e663",
        ),
        (
            "ibsi2-phase1-3b2",
            "63eb377d8029e136d04f85f9afdc863e64e73f996ded1b0ca0d2795271b1e5b4",
        ),
        (
            "ibsi2-phase1-3b3",
            "ad46ecd1f1129378191c45545652a14f4f8575c15b4b6a4332201284b660e0d8",
        ),
        (
            "ibsi2-phase1-3c1",
            "aed32181ba2c4a709369dd9444f9a01f6ff0006967ca10fdfc26da56b3ea4da0",
        ),
        (
            "ibsi2-phase1-3c2",
            "c6281dbcd62fb219fd5d9422c5983d26b1bda3f4aab865f93186d125d1dbdb11",
        ),
        (
            "ibsi2-phase1-3c3",
            "2f452b7d407b0beb5c224b9d6f80664f94b6735b9c3d068b91c34d72e792a375",
        ),
        (
            "ibsi2-phase1-4a1",
            "fade5cc2de48c21a763ae251faa891c2acbf454fff25836b11e1b2218d50d335",
        ),
        (
            "ibsi2-phase1-4a2",
            "70f6aed80d02b4654e1dd2b1803404d975a8aa08b74bfd6e1b8011a0f4bf05d7",
        ),
        (
            "ibsi2-phase1-4b1",
            "ebe334c49472423e677265d7bb6af58a264fc38d692bf755558d6f5352797d2c",
        ),
        (
            "ibsi2-phase1-4b2",
            "a9cac16f987c9a65fbb8911e9aad7314ee45674111bf993b5e881ad0de303a5f",
        ),
        (
            "ibsi2-phase1-5a1",
            "71b045e812b45b797bd8b48a1661587ba0b8adde3a8b339bc5d37b2b7b57cd81",
        ),
        (
            "ibsi2-phase1-5a2",
            "365bd83312e5c58d8f632db25850ab842f22bb02639158302adcff29610d0bab",
        ),
        (
            "ibsi2-phase1-6a1",
            "aa9a4fa44526e7ee153a4b5f4196e035eb063b785b851037ec1362ecc1897f46",
        ),
        (
            "ibsi2-phase1-6a2",
            "163cb55b4e6a990df4a651a1d96eda74de9baafa4cf4b9e97722c5ba0e6df1f3",
        ),
        (
            "ibsi2-phase1-7a1",
            "c5ae5eeee50730880d350bd7038e99cd10003b2ebbd8a5355bb00275b350ad8d",
        ),
        (
            "ibsi2-phase1-7a2",
            "1394e2459b420438ec06f04cc3cde1d2461e9c98ad43aaab933569569d2ee27b",
        ),
        (
            "ibsi2-phase1-8a1",
            "8bf59aa3507277f12408e9cd4a4d30f7315cb11fe43b98316b383ee299738394",
        ),
        (
            "ibsi2-phase1-8a2",
            "57b3de020349b5cf721dd2e64aa3990369b09f25a4feddf49e7c9516e82f6dba",
        ),
        (
            "ibsi2-phase1-8a3",
            "9d5b533e45f1c0a45def2b1d029758664f66fea10f23ce1390a1229f0c415378",
        ),
        (
            "ibsi2-phase1-9a",
            "e32e2608154316e80103363b1330d4e3a7be7d53c75366a064e0944ecb051a8a",
        ),
        (
            "ibsi2-phase1-9b1",
            "41196b02c49127a918a2dee5f8054b8973a6819d30dd16b904f5d5db4f8bf0bd",
        ),
        // the boundary of 10.b.1 became `nearest` when its source was found (not a
        // change of the limits)
        (
            "ibsi2-phase1-10b1",
            "fb5c73f5133f0f565d9b46d4482d5793b695133741d3a142cc5b57d37dfee173",
        ),
    ];

    #[test]
    fn settings_ids_of_every_preset_are_unchanged_by_the_limits_section() {
        assert_eq!(PRESET_IDS_BEFORE_LIMITS.len(), PRESETS.len());
        for (name, id) in PRESET_IDS_BEFORE_LIMITS {
            let s = Settings::preset(name).unwrap();
            assert_eq!(&s.id(), id, "{name}");
            assert!(!s.canonical().contains("limits"), "{name}");
            // Raised limits change neither the canonical form nor the id.
            let raised =
                Settings::preset_with_limits(name, &["max_grey_levels=1000000", "max_threads=4"])
                    .unwrap();
            assert_eq!(&raised.id(), id, "{name}");
            assert_eq!(raised.canonical(), s.canonical(), "{name}");
        }
    }

    #[test]
    fn limits_section_parses_is_validated_and_kept_out_of_the_canonical_form() {
        let text = "radx_settings = 1\n[discretisation.texture]\nmethod = \"fbn\"\nbins = 100000\n";
        // Beyond the default texture limit: refused, naming the setting, size, limit and key.
        let e = Settings::from_toml_str(text, "b.toml").unwrap_err();
        assert!(matches!(e, SettingsError::Limit { .. }), "{e}");
        let e = e.to_string();
        assert!(
            e.starts_with("b.toml: discretisation.texture.bins = 100000 needs 100000 grey levels, more than the limit of 65536 grey levels (limits.max_grey_levels)"),
            "{e}"
        );
        // Raised in the manifest: accepted, same id as without the section.
        let raised = format!("{text}[limits]\nmax_grey_levels = 100000\n");
        let s = Settings::from_toml_str(&raised, "b.toml").unwrap();
        assert_eq!(s.limits.max_grey_levels, 100000);
        assert!(!s.canonical().contains("limits"));
        // The manifest form keeps the limits and reads back to the same settings.
        let m = s.manifest();
        assert!(m.contains("[limits]\nmax_grey_levels = 100000\n"), "{m}");
        assert_eq!(Settings::from_toml_str(&m, "m").unwrap(), s);
        assert_eq!(
            Settings::default().manifest(),
            Settings::default().canonical()
        );
        // Raised with an override (`--limit`): the same.
        let o = Settings::from_toml_str_with_limits(text, "b.toml", &["max_grey_levels=100000"])
            .unwrap();
        assert_eq!(o, s);
        assert_eq!(o.id(), s.id());
        // The override wins over the manifest.
        let e = Settings::from_toml_str_with_limits(&raised, "b.toml", &["max_grey_levels=99999"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("limit of 99999 grey levels"), "{e}");
        // Histogram and IVH bins have their own limit.
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[discretisation.histogram]\nmethod = \"fbn\"\nbins = 1000000000\n",
            "h.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("discretisation.histogram.bins = 1000000000")
                && e.contains("limits.max_histogram_bins"),
            "{e}"
        );
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[[filters.maps]]\ntype = \"mean\"\nsupport = 3\n[filters.discretisation.ivh]\nmethod = \"fbn\"\nbins = 2000000\n",
            "f.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("filters.discretisation.ivh.bins = 2000000"),
            "{e}"
        );
        // Bad limit values and unknown keys are named.
        for (bad, key) in [
            ("[limits]\nmax_threads = 0\n", "limits.max_threads"),
            ("[limits]\nmin_spacing_mm = -1.0\n", "limits.min_spacing_mm"),
            ("[limits]\nmax_thread = 4\n", "max_thread"),
            ("[limits]\nmax_threads = -4\n", "max_threads"),
        ] {
            let e = Settings::from_toml_str(&format!("radx_settings = 1\n{bad}"), "l.toml")
                .unwrap_err()
                .to_string();
            assert!(e.contains("l.toml") && e.contains(key), "{bad}: {e}");
        }
        let e = Settings::from_toml_str_with_limits("radx_settings = 1\n", "d", &["max_theads=3"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_theads") && e.contains("max_threads"), "{e}");
    }

    #[test]
    fn spacing_below_the_smallest_accepted_is_refused() {
        let text = "radx_settings = 1\n[interpolation]\nspacing_mm = [0.001, 0.001, 0.001]\n";
        let e = Settings::from_toml_str(text, "s.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("s.toml")
                && e.contains("interpolation.spacing_mm")
                && e.contains("limits.min_spacing_mm")
                && e.contains("0.01 mm"),
            "{e}"
        );
        assert!(
            Settings::from_toml_str_with_limits(text, "s.toml", &["min_spacing_mm=0.001"]).is_ok()
        );
        // 0.05 mm cannot be judged without the image: accepted here, checked at extraction.
        assert!(Settings::from_toml_str(
            "radx_settings = 1\n[interpolation]\nspacing_mm = [0.05, 0.05, 0.05]\n",
            "t"
        )
        .is_ok());
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(256))]

        /// `settings check` (parsing validates) never accepts declared bins beyond their
        /// limit, and accepts every manifest within it.
        #[test]
        fn declared_bins_are_accepted_exactly_within_the_limits(
            texture in 1u32..200_000,
            histogram in 1u32..3_000_000,
            ivh in 1u32..3_000_000,
            grey in proptest::option::of(1u64..200_000),
            bins in proptest::option::of(1u64..3_000_000),
            in_filters in proptest::bool::ANY,
        ) {
            let prefix = if in_filters { "filters.discretisation" } else { "discretisation" };
            let mut text = String::from("radx_settings = 1\n");
            if in_filters {
                text.push_str("[[filters.maps]]\ntype = \"mean\"\nsupport = 3\n");
            }
            for (name, n) in [("texture", texture), ("histogram", histogram), ("ivh", ivh)] {
                text.push_str(&format!("[{prefix}.{name}]\nmethod = \"fbn\"\nbins = {n}\n"));
            }
            if grey.is_some() || bins.is_some() {
                text.push_str("[limits]\n");
                if let Some(g) = grey {
                    text.push_str(&format!("max_grey_levels = {g}\n"));
                }
                if let Some(b) = bins {
                    text.push_str(&format!("max_histogram_bins = {b}\n"));
                }
            }
            let max_grey = grey.unwrap_or(65536);
            let max_bins = bins.unwrap_or(1 << 20);
            let within = texture as u64 <= max_grey
                && histogram as u64 <= max_bins
                && ivh as u64 <= max_bins;
            match Settings::from_toml_str(&text, "p.toml") {
                Ok(s) => {
                    proptest::prop_assert!(within, "accepted beyond the limits:\n{text}");
                    proptest::prop_assert_eq!(s.limits.max_grey_levels, max_grey);
                }
                Err(e) => {
                    proptest::prop_assert!(!within, "refused within the limits: {e}\n{text}");
                    let is_limit = matches!(e, SettingsError::Limit { .. });
                    proptest::prop_assert!(is_limit, "{e}");
                    let e = e.to_string();
                    proptest::prop_assert!(e.contains("limits.max_"), "{e}");
                }
            }
        }
    }

    #[test]
    fn schema_version_is_required_and_checked() {
        let e = Settings::from_toml_str("[texture]\n", "a.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("radx_settings"), "{e}");
        let e = Settings::from_toml_str("radx_settings = 7\n", "b.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("schema version 7"), "{e}");
    }

    #[test]
    fn settings_ids_are_unchanged_by_the_conventions_section() {
        for (name, id) in PRESET_IDS_BEFORE_LIMITS {
            let s = Settings::preset(name).unwrap();
            assert_eq!(&s.id(), id, "{name}");
            assert!(!s.canonical().contains("conventions"), "{name}");
            // Every convention written out at its IBSI default: same canonical form and id.
            let explicit = format!(
                "{}\n[conventions]\nfbs_origin = \"lower_bound\"\nmask_extrapolation = \"nearest\"\ngrid_alignment = \"centre\"\n\
                 local_intensity_outside = \"exclude\"\nlocal_intensity_constant = 0.0\n\
                 ivh_fbs_range = \"ibsi\"\nenergy_shift = 0.0\n",
                s.canonical()
            );
            let e = Settings::from_toml_str(&explicit, "explicit").unwrap();
            assert_eq!(e.canonical(), s.canonical(), "{name}");
            assert_eq!(&e.id(), id, "{name}");
        }
    }

    #[test]
    fn conventions_parse_change_the_id_round_trip_and_are_checked() {
        let base = Settings::default();
        for (key, value) in [
            ("fbs_origin", "\"zero\""),
            ("mask_extrapolation", "\"zero\""),
            ("mask_extrapolation", "\"zero_beyond_centres\""),
            ("grid_alignment", "\"origin_corner\""),
            ("local_intensity_outside", "\"constant\""),
            ("local_intensity_constant", "-1000.0"),
            ("ivh_fbs_range", "\"extended\""),
            ("energy_shift", "1000.0"),
        ] {
            let text = format!("radx_settings = 1\n[conventions]\n{key} = {value}\n");
            let s = Settings::from_toml_str(&text, "c.toml").unwrap();
            assert_ne!(s.id(), base.id(), "{key}");
            assert_eq!(
                s.conventions.non_default_keys(),
                vec![format!("conventions.{key}")],
                "{key}"
            );
            let again = Settings::from_toml_str(&s.canonical(), "canon").unwrap();
            assert_eq!(again, s, "{key}");
            assert!(s.canonical().contains("[conventions]"), "{key}");
        }
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[conventions]\nfbs_orign = \"zero\"\n",
            "u.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("u.toml") && e.contains("fbs_orign"), "{e}");
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[conventions]\nfbs_origin = \"multiples\"\n",
            "v.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("v.toml") && e.contains("multiples"), "{e}");
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[conventions]\nenergy_shift = nan\n",
            "w.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("conventions.energy_shift"), "{e}");
        // MIRP's extrapolation, like PyRadiomics', has no form for the B-spline prefilter.
        let e = Settings::from_toml_str(
            "radx_settings = 1\n[interpolation]\nspacing_mm = [2.0, 2.0, 2.0]\n\
             mask_method = \"cubic_spline\"\n[conventions]\n\
             mask_extrapolation = \"zero_beyond_centres\"\n",
            "x.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("x.toml") && e.contains("conventions.mask_extrapolation"),
            "{e}"
        );
    }
}
