//! Validation of a parsed manifest: values that parse but are impossible, and sizes the
//! settings alone decide, checked against the resource limits. Errors name the key.

use super::*;

impl Settings {
    /// Checks values that parse but are impossible.
    pub fn validate(&self, source_name: &str) -> Result<(), SettingsError> {
        let bad = |key: &str, message: String| SettingsError::Invalid {
            source_name: source_name.to_string(),
            key: key.to_string(),
            message,
        };
        self.limits
            .validate()
            .map_err(|e| bad(&format!("limits.{}", e.key), e.message))?;
        self.roi.validate().map_err(|m| bad("roi.derived", m))?;
        self.normalisation
            .validate()
            .map_err(|m| bad("normalisation", m))?;
        if !self.normalisation.is_off()
            && !self.roi.derived.is_empty()
            && self.roi.derive_on == DeriveOn::Interpolated
            && self.interpolation.spacing_mm.is_some()
        {
            return Err(bad(
                "normalisation",
                "[normalisation] with [roi] derive_on = \"interpolated\" is not available: the derived regions would be extracted on an image interpolated before normalisation; derive on \"image\"".into(),
            ));
        }
        let t = self.mask.partial_volume_threshold;
        if !(t.is_finite() && t > 0.0 && t <= 1.0) {
            return Err(bad(
                "mask.partial_volume_threshold",
                format!("must be a number in (0, 1], got {t}"),
            ));
        }
        if let Some(sp) = self.interpolation.spacing_mm {
            if sp.iter().any(|&s| !(s.is_finite() && s > 0.0)) {
                return Err(bad(
                    "interpolation.spacing_mm",
                    format!("every spacing must be a positive number, got {sp:?}"),
                ));
            }
            let min = self.limits.min_spacing_mm;
            if let Some(s) = sp.iter().find(|&&s| s < min) {
                return Err(bad(
                    "interpolation.spacing_mm",
                    format!(
                        "{sp:?}: a spacing of {s} mm is below the smallest that radx accepts, \
                         {min} mm (limits.min_spacing_mm); lower it in [limits] or with \
                         --limit min_spacing_mm=X if this is intended"
                    ),
                ));
            }
        }
        for (key, v) in [
            ("conventions.energy_shift", self.conventions.energy_shift),
            (
                "conventions.local_intensity_constant",
                self.conventions.local_intensity_constant,
            ),
        ] {
            if !v.is_finite() {
                return Err(bad(key, format!("must be a finite number, got {v}")));
            }
        }
        if self.conventions.mask_extrapolation != MaskExtrapolation::Nearest
            && self.interpolation.mask_method == InterpolationMethod::CubicSpline
        {
            return Err(bad(
                "conventions.mask_extrapolation",
                "\"zero\" and \"zero_beyond_centres\" need a mask_method of nearest, linear or cubic_convolution (the \
                 cubic spline's prefilter has no zero-padded form here)"
                    .into(),
            ));
        }
        let pv = self.interpolation.partial_volume_threshold;
        if !(pv > 0.0 && pv <= 1.0) {
            return Err(bad(
                "interpolation.partial_volume_threshold",
                format!("must lie in (0, 1], got {pv}"),
            ));
        }
        check_resegmentation(&self.resegmentation, "resegmentation", &bad)?;
        check_discretisation(
            &self.discretisation,
            "discretisation",
            &self.limits,
            source_name,
            &bad,
        )?;
        let t = &self.texture;
        for (key, v) in [
            ("texture.glcm_distance", t.glcm_distance),
            ("texture.zone_linkage_distance", t.zone_linkage_distance),
            ("texture.ngtdm_distance", t.ngtdm_distance),
            ("texture.ngldm_distance", t.ngldm_distance),
        ] {
            if v == 0 {
                return Err(bad(key, "must be at least 1".into()));
            }
        }
        if t.dimensions.is_empty() {
            return Err(bad(
                "texture.dimensions",
                "name at least one of \"2D\", \"2.5D\", \"3D\"".into(),
            ));
        }
        if t.direction_merging.is_empty() {
            return Err(bad(
                "texture.direction_merging",
                "name at least one of \"avg\", \"comb\"".into(),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for p in &self.plugins {
            if p.name.is_empty() || BUILTIN_FAMILIES.contains(&p.name.as_str()) {
                return Err(bad(
                    "plugins.name",
                    format!(
                        "`{}` must be a non-empty name that no built-in family uses",
                        p.name
                    ),
                ));
            }
            if !names.insert(&p.name) {
                return Err(bad(
                    "plugins.name",
                    format!("plugin `{}` is listed twice", p.name),
                ));
            }
            if p.sha256.len() != 64
                || !p
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            {
                return Err(bad(
                    "plugins.sha256",
                    format!(
                        "plugin `{}`: expected 64 lowercase hex digits (radx plugin inspect LIB prints it), got `{}`",
                        p.name, p.sha256
                    ),
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in &self.features.families {
            if !seen.insert(f) {
                return Err(bad(
                    "features.families",
                    format!("family `{f}` is listed twice"),
                ));
            }
        }
        self.validate_filters(source_name, &bad)
    }

    /// Checks the `[filters]` section: every map's parameters, distinct response-map
    /// names, the families (no morphology, none twice) and the optional discretisation
    /// and re-segmentation.
    fn validate_filters(
        &self,
        source_name: &str,
        bad: &dyn Fn(&str, String) -> SettingsError,
    ) -> Result<(), SettingsError> {
        let f = &self.filters;
        let mut names = std::collections::BTreeMap::new();
        for (i, spec) in f.maps.iter().enumerate() {
            spec.validate()
                .map_err(|e| bad(&format!("filters.maps[{i}]"), e.to_string()))?;
            if let Some(j) = names.insert(spec.canonical_name(), i) {
                return Err(bad(
                    &format!("filters.maps[{i}]"),
                    format!(
                        "same filter as filters.maps[{j}] (`{}`): every response map needs \
                         its own name",
                        spec.canonical_name()
                    ),
                ));
            }
        }
        if let Some(fams) = &f.families {
            let mut seen = std::collections::BTreeSet::new();
            for fam in fams {
                if fam == "morphology" {
                    return Err(bad(
                        "filters.families",
                        "morphology does not run on response maps (the ROI's shape does not \
                         depend on intensities); remove it"
                            .into(),
                    ));
                }
                if !seen.insert(fam) {
                    return Err(bad(
                        "filters.families",
                        format!("family `{fam}` is listed twice"),
                    ));
                }
            }
        }
        if let Some(d) = &f.discretisation {
            check_discretisation(d, "filters.discretisation", &self.limits, source_name, bad)?;
        }
        if let Some(r) = &f.resegmentation {
            check_resegmentation(r, "filters.resegmentation", bad)?;
        }
        Ok(())
    }
}

/// Checks a re-segmentation section (`prefix` names it in errors).
fn check_resegmentation(
    r: &Resegmentation,
    prefix: &str,
    bad: &dyn Fn(&str, String) -> SettingsError,
) -> Result<(), SettingsError> {
    for (key, v) in [("min", r.min), ("max", r.max)] {
        if let Some(v) = v {
            if !v.is_finite() {
                return Err(bad(
                    &format!("{prefix}.{key}"),
                    format!("must be a finite number, got {v}"),
                ));
            }
        }
    }
    if let (Some(lo), Some(hi)) = (r.min, r.max) {
        if lo > hi {
            return Err(bad(
                &format!("{prefix}.min"),
                format!("lower bound {lo} exceeds upper bound {hi}"),
            ));
        }
    }
    if let Some(sd) = r.outlier_sd {
        if !(sd.is_finite() && sd > 0.0) {
            return Err(bad(
                &format!("{prefix}.outlier_sd"),
                format!("must be a positive number, got {sd}"),
            ));
        }
    }
    Ok(())
}

/// Checks a discretisation section (`prefix` names it in errors), and its fixed bin
/// numbers against the limits (texture: `max_grey_levels`; histogram and IVH:
/// `max_histogram_bins`). Fixed bin sizes depend on the data's range and are checked at
/// extraction.
fn check_discretisation(
    d: &DiscretisationSettings,
    prefix: &str,
    limits: &Limits,
    source_name: &str,
    bad: &dyn Fn(&str, String) -> SettingsError,
) -> Result<(), SettingsError> {
    for (name, d) in [
        ("histogram", &d.histogram),
        ("texture", &d.texture),
        ("ivh", &d.ivh),
    ] {
        let key = format!("{prefix}.{name}");
        match d {
            Discretisation::Fbn { bins } if *bins == 0 => {
                return Err(bad(&format!("{key}.bins"), "must be at least 1".into()))
            }
            Discretisation::Fbn { bins } => {
                let limit = Discretisation::limit_for(name);
                limits
                    .check(limit, &format!("{key}.bins = {bins}"), *bins as u128)
                    .map_err(|limit| SettingsError::Limit {
                        source_name: source_name.to_string(),
                        limit,
                    })?;
            }
            Discretisation::Fbs { bin_width, .. }
                if !(bin_width.is_finite() && *bin_width > 0.0) =>
            {
                return Err(bad(
                    &format!("{key}.bin_width"),
                    format!("must be a positive number, got {bin_width}"),
                ))
            }
            Discretisation::Fbs {
                lower_bound: Some(lb),
                ..
            } if !lb.is_finite() => {
                return Err(bad(
                    &format!("{key}.lower_bound"),
                    format!("must be finite, got {lb}"),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}
