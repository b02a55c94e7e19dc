//! `[normalisation]`: intensity normalisation (issue #20.4), e.g. of MR images whose
//! intensities have no absolute scale.
//!
//! ```toml
//! [normalisation]
//! method = "zscore"          # none (default) | zscore | percentile | range | fixed
//! within = "roi"             # statistics over: roi | image | an extra mask's NAME
//! scale = 100.0              # zscore / fixed: y = scale * z + shift
//! shift = 0.0
//! clip_sd = 3.0              # zscore: z limited to [-clip_sd, clip_sd] before scale
//! # percentile: percentiles = [1.0, 99.0], target = [0.0, 1.0], clip = false
//! # range:      target = [0.0, 1.0], clip = false
//! ```
//!
//! Every method is `y = (x - c) * f + o`, then optionally limited to `[lo, hi]`:
//!
//! * `zscore`: `c` = mean, `f` = scale / sd (population sd, `sqrt(Σ(x - mean)² / n)`),
//!   `o` = shift (scale default 1, shift 0); with `clip_sd = k` the result is limited to
//!   `shift ± scale·k` (i.e. `z` to `[-k, k]`);
//! * `percentile`: `c` = P_a, `f` = (t1 - t0) / (P_b - P_a), `o` = t0, for `percentiles =
//!   [a, b]` and `target = [t0, t1]` (default `[0, 1]`); `P_p` is the linear interpolation
//!   between order statistics at rank `p / 100 · (n - 1)` (0-based); `clip = true` limits
//!   to `[t0, t1]`;
//! * `range`: as `percentile` with the minimum and maximum;
//! * `fixed`: `c` = 0, `f` = scale, `o` = shift (no statistics).
//!
//! The statistics are taken over the voxels `within` names on the image as read (after
//! `[input] round_intensities`): the region being extracted (`roi`; for a derived region,
//! its own voxels), the whole image (`image`), or an extra mask of the case (`--extra-mask
//! NAME=PATH`, the cohort column `extra_mask_NAME`). Without the section (or with `method
//! = "none"`) the canonical form does not mention it, so no settings id changed.

use serde::{Deserialize, Serialize};

/// The normalisation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormalisationMethod {
    #[default]
    None,
    Zscore,
    Percentile,
    Range,
    Fixed,
}

impl NormalisationMethod {
    pub fn tag(self) -> &'static str {
        match self {
            NormalisationMethod::None => "none",
            NormalisationMethod::Zscore => "zscore",
            NormalisationMethod::Percentile => "percentile",
            NormalisationMethod::Range => "range",
            NormalisationMethod::Fixed => "fixed",
        }
    }
}

/// `[normalisation]` (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalisation {
    #[serde(default)]
    pub method: NormalisationMethod,
    #[serde(default = "roi")]
    pub within: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_sd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentiles: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip: Option<bool>,
    /// Parameters fitted by the caller (the pipeline, e.g. within an extra mask), used as
    /// they are instead of fitting in the chain. Not part of the manifest.
    #[serde(skip)]
    pub resolved: Option<crate::provenance::NormalisationRecord>,
}

fn roi() -> String {
    "roi".into()
}

impl Default for Normalisation {
    fn default() -> Self {
        Normalisation {
            method: NormalisationMethod::None,
            within: roi(),
            scale: None,
            shift: None,
            clip_sd: None,
            percentiles: None,
            target: None,
            clip: None,
            resolved: None,
        }
    }
}

impl Normalisation {
    /// No normalisation: the section is left out of the canonical form.
    pub fn is_off(&self) -> bool {
        *self == Normalisation::default()
    }

    /// The extra mask `within` names, if it names one.
    pub fn extra_mask(&self) -> Option<&str> {
        (self.method != NormalisationMethod::None
            && self.method != NormalisationMethod::Fixed
            && self.within != "roi"
            && self.within != "image")
            .then_some(self.within.as_str())
    }

    /// Each method with its parameters and only those, every number finite, scale > 0,
    /// percentiles in [0, 100] and increasing, targets increasing.
    pub fn validate(&self) -> Result<(), String> {
        use NormalisationMethod as M;
        let m = self.method;
        let allowed: &[&str] = match m {
            M::None => &[],
            M::Zscore => &["scale", "shift", "clip_sd"],
            M::Percentile => &["percentiles", "target", "clip"],
            M::Range => &["target", "clip"],
            M::Fixed => &["scale", "shift"],
        };
        for (k, given) in [
            ("scale", self.scale.is_some()),
            ("shift", self.shift.is_some()),
            ("clip_sd", self.clip_sd.is_some()),
            ("percentiles", self.percentiles.is_some()),
            ("target", self.target.is_some()),
            ("clip", self.clip.is_some()),
        ] {
            if given && !allowed.contains(&k) {
                return Err(format!(
                    "method = \"{}\" takes no {k} (it takes: {})",
                    m.tag(),
                    if allowed.is_empty() {
                        "nothing".to_string()
                    } else {
                        allowed.join(", ")
                    }
                ));
            }
        }
        if matches!(m, M::None | M::Fixed) && self.within != "roi" {
            return Err(format!(
                "method = \"{}\" takes no within (it uses no statistics)",
                m.tag()
            ));
        }
        if self.within != "roi"
            && self.within != "image"
            && !super::is_extra_mask_name(&self.within)
        {
            return Err(format!(
                "within = {:?} must be roi, image or an extra mask's name (letters, digits, `_`, `-`)",
                self.within
            ));
        }
        if m == M::Fixed && self.scale.is_none() && self.shift.is_none() {
            return Err("method = \"fixed\" needs scale and/or shift".into());
        }
        if m == M::Percentile && self.percentiles.is_none() {
            return Err("method = \"percentile\" needs percentiles = [low, high]".into());
        }
        for (k, v) in [("scale", self.scale), ("shift", self.shift)] {
            if v.is_some_and(|v| !v.is_finite()) {
                return Err(format!("{k} must be a finite number"));
            }
        }
        if let Some(s) = self.scale {
            if s <= 0.0 {
                return Err(format!("scale = {s} must be > 0"));
            }
        }
        if let Some(k) = self.clip_sd {
            if !(k.is_finite() && k > 0.0) {
                return Err(format!("clip_sd = {k} must be a finite number > 0"));
            }
        }
        if let Some([a, b]) = self.percentiles {
            if !(a.is_finite() && b.is_finite() && 0.0 <= a && a < b && b <= 100.0) {
                return Err(format!(
                    "percentiles = [{a}, {b}] must satisfy 0 <= low < high <= 100"
                ));
            }
        }
        if let Some([a, b]) = self.target {
            if !(a.is_finite() && b.is_finite() && a < b) {
                return Err(format!(
                    "target = [{a}, {b}] must be two finite numbers, low < high"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Settings;

    #[test]
    fn without_normalisation_the_settings_id_is_unchanged() {
        let plain = Settings::from_toml_str("radx_settings = 1\n", "t").unwrap();
        for extra in ["[normalisation]\n", "[normalisation]\nmethod = \"none\"\n"] {
            let s = Settings::from_toml_str(&format!("radx_settings = 1\n{extra}"), "t").unwrap();
            assert_eq!(s.id(), plain.id(), "{extra}");
            assert!(!s.canonical().contains("normalisation"));
        }
        let z = Settings::from_toml_str(
            "radx_settings = 1\n[normalisation]\nmethod = \"zscore\"\nwithin = \"image\"\nscale = 100.0\n",
            "t",
        )
        .unwrap();
        assert_ne!(z.id(), plain.id());
        let c = z.canonical();
        assert!(
            c.contains("[normalisation]") && c.contains("method = \"zscore\""),
            "{c}"
        );
        assert_eq!(Settings::from_toml_str(&c, "c").unwrap().id(), z.id());
    }

    #[test]
    fn bad_parameters_are_refused_by_key() {
        let bad = |body: &str| {
            Settings::from_toml_str(
                &format!("radx_settings = 1\n[normalisation]\n{body}"),
                "m.toml",
            )
            .unwrap_err()
            .to_string()
        };
        for (body, want) in [
            (
                "method = \"zscore\"\nscale = 0.0\n",
                "scale = 0 must be > 0",
            ),
            (
                "method = \"zscore\"\npercentiles = [1.0, 99.0]\n",
                "takes no percentiles",
            ),
            ("method = \"percentile\"\n", "needs percentiles"),
            (
                "method = \"percentile\"\npercentiles = [99.0, 1.0]\n",
                "0 <= low < high <= 100",
            ),
            (
                "method = \"percentile\"\npercentiles = [1.0, 101.0]\n",
                "0 <= low < high <= 100",
            ),
            ("method = \"range\"\ntarget = [1.0, 1.0]\n", "low < high"),
            (
                "method = \"zscore\"\nclip_sd = -1.0\n",
                "clip_sd = -1 must be",
            ),
            ("method = \"fixed\"\n", "needs scale and/or shift"),
            (
                "method = \"fixed\"\nscale = 2.0\nwithin = \"image\"\n",
                "takes no within",
            ),
            (
                "method = \"zscore\"\nwithin = \"my mask\"\n",
                "within = \"my mask\"",
            ),
            ("method = \"none\"\nscale = 2.0\n", "takes no scale"),
        ] {
            let e = bad(body);
            assert!(
                e.contains("normalisation") && e.contains(want),
                "{body}: {e}"
            );
        }
        let e = bad("method = \"l2\"\n");
        assert!(
            e.contains("unknown variant `l2`") && e.contains("zscore"),
            "{e}"
        );
    }
}
