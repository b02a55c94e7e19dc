//! `[roi]`: regions derived from each ROI of a case (issue #20.1), computed by radx-regions
//! and extracted like the ROI itself, their rows labelled with the derived name.
//!
//! ```toml
//! [roi]
//! derive_on = "image"          # where derivations apply: "image" (the grid as read, before
//!                              # interpolation) or "interpolated" (the [interpolation] grid)
//!
//! [[roi.derived]]
//! name = "ring_0_5mm"          # the table's `roi` (with several ROIs per case: `<roi>:<name>`)
//! op = "ring"                  # peri-lesional shell outside the ROI
//! r1_mm = 0.0
//! r2_mm = 5.0
//!
//! [[roi.derived]]
//! name = "rim_2mm"
//! op = "rim"                   # inner rim of the ROI
//! r_mm = 2.0
//! ```
//!
//! Operations (`of`: the region operated on, `roi` (default) or an earlier derived name;
//! formulas in radx-regions): `dilate` / `erode` (`r_mm`), `ring` (`r1_mm` < `r2_mm`,
//! outside), `rim` (`r_mm`, inside), `window` (`min` and/or `max` intensity of the image as
//! read, or of the interpolated image with `derive_on = "interpolated"`), `union` /
//! `intersection` / `difference` (`of` and `with`, another region, or `with_mask`, an extra
//! mask of the case such as a brain or body mask), `fill_holes`, `largest_component`,
//! `drop_small` (`min_mm3`).
//!
//! Without `[roi]` (the default) the canonical form does not mention the section, so its
//! introduction changed no settings id.

use serde::{Deserialize, Serialize};

/// `[roi]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoiSettings {
    /// Where derivations apply: `image` (the image grid as read, before interpolation) or
    /// `interpolated` (the grid of `[interpolation]`, each region's mask interpolated and
    /// thresholded as the chain does).
    #[serde(default)]
    pub derive_on: DeriveOn,
    /// The derived regions, in order (each may use the earlier ones).
    #[serde(default)]
    pub derived: Vec<DerivedRegion>,
}

impl RoiSettings {
    /// No derived region: the section is left out of the canonical form.
    pub fn is_empty(&self) -> bool {
        self.derived.is_empty()
    }

    /// The extra masks (`with_mask`) the derivations name, each once, in first-use order.
    pub fn extra_masks(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for d in &self.derived {
            if let Some(m) = d.with_mask.as_deref() {
                if !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        out
    }

    /// Names unique and not `roi`, each `of` / `with` an earlier name (or `roi`), every
    /// operation with its parameters and only those, distances finite and ≥ 0.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen: Vec<&str> = vec!["roi"];
        for (i, d) in self.derived.iter().enumerate() {
            let at = format!("roi.derived[{}] (`{}`)", i + 1, d.name);
            if d.name.trim().is_empty()
                || d.name.contains(',')
                || d.name.contains('"')
                || d.name.chars().any(char::is_control)
            {
                return Err(format!(
                    "{at}: name must be non-empty, without commas, quotes or control characters"
                ));
            }
            if seen.contains(&d.name.as_str()) {
                return Err(format!("{at}: name repeats (or is `roi`, the case's ROI)"));
            }
            if let Some(m) = d.with_mask.as_deref() {
                if !is_extra_mask_name(m) {
                    return Err(format!(
                        "{at}: with_mask = {m:?} must be a name of letters, digits, `_` and `-` (the NAME of --extra-mask NAME=PATH, the column extra_mask_NAME)"
                    ));
                }
            }
            for (key, v) in [("of", Some(d.of.as_str())), ("with", d.with.as_deref())] {
                if let Some(v) = v {
                    if !seen.contains(&v) {
                        return Err(format!(
                            "{at}: {key} = {v:?} is neither `roi` nor an earlier derived region ({})",
                            seen.join(", ")
                        ));
                    }
                }
            }
            let need: &[&str] = match d.op {
                DeriveOp::Dilate | DeriveOp::Erode | DeriveOp::Rim => &["r_mm"],
                DeriveOp::Ring => &["r1_mm", "r2_mm"],
                DeriveOp::Window => &[],
                DeriveOp::Union | DeriveOp::Intersection | DeriveOp::Difference => {
                    match (d.with.is_some(), d.with_mask.is_some()) {
                        (true, true) => {
                            return Err(format!(
                                "{at}: op = \"{}\" takes with (a region) or with_mask (an extra mask), not both",
                                d.op.tag()
                            ))
                        }
                        (false, true) => &["with_mask"],
                        _ => &["with"],
                    }
                }
                DeriveOp::FillHoles | DeriveOp::LargestComponent => &[],
                DeriveOp::DropSmall => &["min_mm3"],
            };
            let given: Vec<(&str, bool)> = vec![
                ("r_mm", d.r_mm.is_some()),
                ("r1_mm", d.r1_mm.is_some()),
                ("r2_mm", d.r2_mm.is_some()),
                ("min", d.min.is_some()),
                ("max", d.max.is_some()),
                ("with", d.with.is_some()),
                ("with_mask", d.with_mask.is_some()),
                ("min_mm3", d.min_mm3.is_some()),
            ];
            let allowed: Vec<&str> = if d.op == DeriveOp::Window {
                vec!["min", "max"]
            } else {
                need.to_vec()
            };
            for (k, g) in &given {
                if need.contains(k) && !g {
                    return Err(format!("{at}: op = \"{}\" needs {k}", d.op.tag()));
                }
                if *g && !allowed.contains(k) {
                    return Err(format!(
                        "{at}: op = \"{}\" takes no {k} (it takes: {})",
                        d.op.tag(),
                        if allowed.is_empty() {
                            "nothing but of".to_string()
                        } else {
                            allowed.join(", ")
                        }
                    ));
                }
            }
            if d.op == DeriveOp::Window && d.min.is_none() && d.max.is_none() {
                return Err(format!("{at}: op = \"window\" needs min and/or max"));
            }
            for (k, v) in [
                ("r_mm", d.r_mm),
                ("r1_mm", d.r1_mm),
                ("r2_mm", d.r2_mm),
                ("min_mm3", d.min_mm3),
            ] {
                if let Some(v) = v {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(format!("{at}: {k} = {v} must be a finite number >= 0"));
                    }
                }
            }
            if let (Some(a), Some(b)) = (d.r1_mm, d.r2_mm) {
                if a >= b {
                    return Err(format!("{at}: r1_mm = {a} must be below r2_mm = {b}"));
                }
            }
            for (k, v) in [("min", d.min), ("max", d.max)] {
                if v.is_some_and(f64::is_nan) {
                    return Err(format!("{at}: {k} must be a number"));
                }
            }
            if let (Some(a), Some(b)) = (d.min, d.max) {
                if a > b {
                    return Err(format!("{at}: min = {a} must not exceed max = {b}"));
                }
            }
            seen.push(&d.name);
        }
        Ok(())
    }
}

/// Where derivations apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeriveOn {
    /// The image grid as read (before interpolation); the derived masks then go through
    /// the processing chain like the ROI.
    #[default]
    Image,
    /// The interpolated grid (`[interpolation]`): each region's mask interpolated and
    /// thresholded at the partial-volume threshold, the derivations (distances in the new
    /// spacing, the window on the interpolated intensities) computed there, and the derived
    /// regions extracted on the interpolated image. Without `[interpolation] spacing_mm`
    /// the same as `image`.
    Interpolated,
}

/// An extra mask's name: non-empty, ASCII letters, digits, `_` and `-`.
pub fn is_extra_mask_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// One derived region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivedRegion {
    pub name: String,
    pub op: DeriveOp,
    /// The region operated on: `roi` (the case's ROI) or an earlier derived name.
    #[serde(default = "roi_name")]
    pub of: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
    /// An extra mask of the case (`--extra-mask NAME=PATH`, cohort column
    /// `extra_mask_NAME`) as the second operand of union / intersection / difference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_mask: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r1_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r2_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_mm3: Option<f64>,
}

fn roi_name() -> String {
    "roi".into()
}

/// A derivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeriveOp {
    Dilate,
    Erode,
    Ring,
    Rim,
    Window,
    Union,
    Intersection,
    Difference,
    FillHoles,
    LargestComponent,
    DropSmall,
}

impl DeriveOp {
    /// The manifest's name of the operation.
    pub fn tag(self) -> &'static str {
        match self {
            DeriveOp::Dilate => "dilate",
            DeriveOp::Erode => "erode",
            DeriveOp::Ring => "ring",
            DeriveOp::Rim => "rim",
            DeriveOp::Window => "window",
            DeriveOp::Union => "union",
            DeriveOp::Intersection => "intersection",
            DeriveOp::Difference => "difference",
            DeriveOp::FillHoles => "fill_holes",
            DeriveOp::LargestComponent => "largest_component",
            DeriveOp::DropSmall => "drop_small",
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Settings;

    const DERIVED: &str = "radx_settings = 1\n[[roi.derived]]\nname = \"ring_0_5mm\"\nop = \"ring\"\nr1_mm = 0.0\nr2_mm = 5.0\n[[roi.derived]]\nname = \"rim_2mm\"\nop = \"rim\"\nr_mm = 2.0\n";

    #[test]
    fn without_derived_regions_the_canonical_form_and_id_are_unchanged() {
        let plain = Settings::from_toml_str("radx_settings = 1\n", "t").unwrap();
        let empty = Settings::from_toml_str("radx_settings = 1\n[roi]\n", "t").unwrap();
        assert!(!plain.canonical().contains("[roi"));
        assert_eq!(plain.canonical(), empty.canonical());
        assert_eq!(plain.id(), Settings::default().id());
        let derived = Settings::from_toml_str(DERIVED, "t").unwrap();
        assert_ne!(derived.id(), plain.id());
        let c = derived.canonical();
        assert!(
            c.contains("[[roi.derived]]") && c.contains("derive_on = \"image\""),
            "{c}"
        );
        // the canonical form reads back to the same settings
        assert_eq!(Settings::from_toml_str(&c, "c").unwrap().id(), derived.id());
    }

    #[test]
    fn impossible_derivations_are_refused_by_key() {
        let bad = |extra: &str| {
            Settings::from_toml_str(&format!("radx_settings = 1\n{extra}"), "m.toml")
                .unwrap_err()
                .to_string()
        };
        let e = bad("[[roi.derived]]\nname = \"a\"\nop = \"ring\"\nr1_mm = 5.0\nr2_mm = 2.0\n");
        assert!(
            e.contains("roi.derived") && e.contains("must be below r2_mm"),
            "{e}"
        );
        let e = bad("[[roi.derived]]\nname = \"a\"\nop = \"dilate\"\n");
        assert!(e.contains("needs r_mm"), "{e}");
        let e = bad("[[roi.derived]]\nname = \"a\"\nop = \"rim\"\nr_mm = 1.0\nmin = 3.0\n");
        assert!(e.contains("takes no min"), "{e}");
        let e = bad("[[roi.derived]]\nname = \"a\"\nop = \"union\"\nwith = \"b\"\n");
        assert!(e.contains("with = \"b\" is neither `roi`"), "{e}");
        let e = bad("[[roi.derived]]\nname = \"roi\"\nop = \"fill_holes\"\n");
        assert!(e.contains("name repeats"), "{e}");
        let e = bad("[roi]\nderive_on = \"resampled\"\n");
        assert!(e.contains("derive_on") || e.contains("resampled"), "{e}");
        let e = bad("[[roi.derived]]\nname = \"a\"\nop = \"intersection\"\nwith = \"roi\"\nwith_mask = \"brain\"\n");
        assert!(e.contains("not both"), "{e}");
        let e = bad("[[roi.derived]]\nname = \"a\"\nop = \"ring\"\nr1_mm = 0.0\nr2_mm = 1.0\nwith_mask = \"brain\"\n");
        assert!(e.contains("takes no with_mask"), "{e}");
        let e = bad("[[roi.derived]]\nname = \"a\"\nop = \"union\"\nwith_mask = \"br ain\"\n");
        assert!(e.contains("with_mask = \"br ain\" must be a name"), "{e}");
    }

    #[test]
    fn derive_on_interpolated_and_with_mask_read_back() {
        let s = Settings::from_toml_str(
            "radx_settings = 1\n[roi]\nderive_on = \"interpolated\"\n[[roi.derived]]\nname = \"ring\"\nop = \"ring\"\nr1_mm = 0.0\nr2_mm = 5.0\n[[roi.derived]]\nname = \"in_brain\"\nop = \"intersection\"\nof = \"ring\"\nwith_mask = \"brain\"\n",
            "t",
        )
        .unwrap();
        let c = s.canonical();
        assert!(
            c.contains("derive_on = \"interpolated\"") && c.contains("with_mask = \"brain\""),
            "{c}"
        );
        assert_eq!(Settings::from_toml_str(&c, "c").unwrap().id(), s.id());
        assert_eq!(s.roi.extra_masks(), ["brain"]);
        // the default derive_on keeps the id of a manifest that does not write it
        let plain = Settings::from_toml_str(DERIVED, "t").unwrap();
        let explicit = Settings::from_toml_str(
            &DERIVED.replace(
                "radx_settings = 1\n",
                "radx_settings = 1\n[roi]\nderive_on = \"image\"\n",
            ),
            "t",
        )
        .unwrap();
        assert_eq!(plain.id(), explicit.id());
    }
}
