//! The stability and site reports as files: JSON, and CSV tables written with radx-io's
//! CSV writer ([`CsvText`]) so that any name (a condition, a site, a case) stays one
//! field. The statistics are [`crate::assess`]'s and [`crate::sites`]'s.

use std::path::{Path, PathBuf};

use radx_check::table::{csv_number as csv_num, long_table_csv, CsvText};
use radx_check::CheckError;

use radx_stats::Estimate;

use crate::assess::{class_name, StabilityReport};
use crate::sites::{CombatEstimates, SitesReport, SitesResult};

/// Creates `dir` (if needed) and writes each `(file name, text)` into it; returns the
/// paths written. Errors name the folder or the file.
fn write_files(dir: &Path, files: Vec<(&str, String)>) -> Result<Vec<PathBuf>, CheckError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        CheckError::Io(radx_io::IoError::Write {
            path: dir.into(),
            message: e.to_string(),
        })
    })?;
    let mut out = Vec::new();
    for (name, text) in files {
        let p = dir.join(name);
        radx_check::compare::write_file(&p, &text)?;
        out.push(p);
    }
    Ok(out)
}

impl StabilityReport {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("stability reports serialise") + "\n"
    }

    /// Features table: one row per feature with every statistic (pairwise CCC as
    /// `ccc_<condition>` columns).
    pub fn features_csv(&self) -> String {
        let mut header: Vec<String> =
            "roi,image,tag,family,feature,ibsi_id,cases_seen,cases_used,dropped_values,\
icc2_1,icc2_1_lower,icc2_1_upper,icc3_1,icc3_1_lower,icc3_1_upper,overall_ccc,mean_cv,\
cv_undefined_cases,class,class_lower,worst_condition,ba_bias,ba_lower,ba_upper"
                .split(',')
                .map(str::to_string)
                .collect();
        header.extend(
            self.conditions
                .iter()
                .map(|c| c.name.as_str())
                .filter(|n| *n != self.reference)
                .map(|o| format!("ccc_{o}")),
        );
        header.push("undefined".into());
        let mut t = CsvText::with_header(&header);
        for f in &self.features {
            let e = |x: &Option<Estimate>| {
                [
                    csv_num(x.as_ref().map(|e| e.value)),
                    csv_num(x.as_ref().map(|e| e.lower)),
                    csv_num(x.as_ref().map(|e| e.upper)),
                ]
            };
            let mut fields = vec![
                f.roi.clone(),
                f.image.clone(),
                f.tag.clone(),
                f.family.clone(),
                f.feature.clone(),
                f.ibsi_id.clone(),
                f.cases_seen.to_string(),
                f.cases_used.to_string(),
                f.dropped.len().to_string(),
            ];
            fields.extend(e(&f.icc2_1));
            fields.extend(e(&f.icc3_1));
            fields.extend([
                csv_num(f.overall_ccc),
                csv_num(f.mean_cv),
                f.cv_undefined_cases.to_string(),
                class_name(f.class).to_string(),
                class_name(f.class_lower).to_string(),
                f.worst
                    .as_ref()
                    .map_or(String::new(), |w| w.condition.clone()),
                csv_num(f.worst.as_ref().map(|w| w.bias)),
                csv_num(f.worst.as_ref().map(|w| w.lower)),
                csv_num(f.worst.as_ref().map(|w| w.upper)),
            ]);
            for p in &f.pairwise_ccc {
                fields.push(csv_num(p.ccc));
            }
            let und: Vec<String> = f
                .undefined
                .iter()
                .map(|u| format!("{}: {}", u.statistic, u.reason))
                .collect();
            fields.push(und.join("; "));
            t.row(&fields);
        }
        t.into_string()
    }

    /// Heat map table: group, condition, median CCC, features.
    pub fn heat_map_csv(&self) -> String {
        let mut t = CsvText::with_header(["group", "condition", "median_ccc", "features"]);
        for c in &self.heat_map {
            t.row([
                c.group.clone(),
                c.condition.clone(),
                csv_num(c.median_ccc),
                c.features.to_string(),
            ]);
        }
        t.into_string()
    }

    /// Dropped values: one row per (feature, case, condition) without a value, for cases
    /// left out of a feature's matrix.
    pub fn dropped_csv(&self) -> String {
        let mut t = CsvText::with_header(["roi", "image", "tag", "case", "condition", "reason"]);
        for f in &self.features {
            for d in &f.dropped {
                t.row([&f.roi, &f.image, &f.tag, &d.case, &d.condition, &d.reason]);
            }
        }
        t.into_string()
    }

    /// Conditions table: name, counts and provenance summary.
    pub fn conditions_csv(&self) -> String {
        let mut t = CsvText::with_header([
            "condition",
            "reference",
            "values",
            "missing",
            "cases",
            "settings_id",
            "radx_version",
            "platform",
            "plugins",
            "perturbation",
        ]);
        for c in &self.conditions {
            t.row([
                c.name.clone(),
                (c.name == self.reference).to_string(),
                c.values.to_string(),
                c.missing.to_string(),
                c.cases.to_string(),
                c.settings_id.clone().unwrap_or_default(),
                c.radx_version.clone().unwrap_or_default(),
                c.platform.clone().unwrap_or_default(),
                c.plugins.join("; "),
                c.perturbation
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            ]);
        }
        t.into_string()
    }

    /// Writes `stability.json`, `stability-features.csv`, `stability-heatmap.csv`,
    /// `stability-dropped.csv` and `stability-conditions.csv` into `dir` (created if
    /// needed); returns the paths written.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, CheckError> {
        write_files(
            dir,
            vec![
                ("stability.json", self.to_json()),
                ("stability-features.csv", self.features_csv()),
                ("stability-heatmap.csv", self.heat_map_csv()),
                ("stability-dropped.csv", self.dropped_csv()),
                ("stability-conditions.csv", self.conditions_csv()),
            ],
        )
    }
}

impl SitesReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("sites reports serialise") + "\n"
    }

    /// One row per feature: Kruskal–Wallis before/after, q-values, ComBat status.
    pub fn features_csv(&self) -> String {
        let mut header: Vec<String> = "roi,image,tag,family,n,missing,kw_h,kw_df,kw_p,kw_q,harmonised,combat_excluded,kw_h_after,kw_p_after,kw_q_after"
            .split(',')
            .map(str::to_string)
            .collect();
        header.extend(self.sites.iter().map(|s| format!("mean_{}", s.site)));
        header.extend(self.sites.iter().map(|s| format!("mean_after_{}", s.site)));
        header.push("undefined".into());
        let mut t = CsvText::with_header(&header);
        for f in &self.features {
            let mut fields = vec![
                f.roi.clone(),
                f.image.clone(),
                f.tag.clone(),
                f.family.clone(),
                f.n.to_string(),
                f.missing.to_string(),
                csv_num(f.kw.map(|k| k.h)),
                f.kw.map(|k| k.df.to_string()).unwrap_or_default(),
                csv_num(f.kw.map(|k| k.p_value)),
                csv_num(f.q_value),
                f.harmonised.to_string(),
                f.combat_excluded.clone().unwrap_or_default(),
                csv_num(f.kw_after.map(|k| k.h)),
                csv_num(f.kw_after.map(|k| k.p_value)),
                csv_num(f.q_value_after),
            ];
            for i in 0..self.sites.len() {
                fields.push(csv_num(f.site_means.get(i).copied().filter(|_| f.n > 0)));
            }
            for i in 0..self.sites.len() {
                fields.push(csv_num(f.site_means_after.get(i).copied()));
            }
            fields.push(f.undefined.clone().unwrap_or_default());
            t.row(&fields);
        }
        t.into_string()
    }
}

impl CombatEstimates {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("ComBat estimates serialise") + "\n"
    }

    /// One row per (batch, feature): `batch,feature,grand_mean,pooled_sd,gamma_hat,
    /// delta_hat,gamma_star,delta_star`.
    pub fn features_csv(&self) -> String {
        let c = &self.combat;
        let mut t = CsvText::with_header([
            "batch",
            "feature",
            "grand_mean",
            "pooled_sd",
            "gamma_hat",
            "delta_hat",
            "gamma_star",
            "delta_star",
        ]);
        for (i, b) in c.batches.iter().enumerate() {
            for (g, f) in self.features.iter().enumerate() {
                let n = |x: f64| csv_num(Some(x));
                t.row([
                    b.clone(),
                    f.clone(),
                    n(c.grand_mean[g]),
                    n(c.pooled_sd[g]),
                    n(c.gamma_hat[[i, g]]),
                    n(c.delta_hat[[i, g]]),
                    n(c.gamma_star[[i, g]]),
                    n(c.delta_star[[i, g]]),
                ]);
            }
        }
        t.into_string()
    }

    /// One row per batch: the empirical-Bayes priors (`a_prior`, `b_prior` empty when the
    /// parametric scale prior was not used).
    pub fn batches_csv(&self) -> String {
        let c = &self.combat;
        let mut t = CsvText::with_header(["batch", "gamma_bar", "tau2", "a_prior", "b_prior"]);
        for (i, b) in c.batches.iter().enumerate() {
            t.row([
                b.clone(),
                csv_num(Some(c.gamma_bar[i])),
                csv_num(Some(c.tau2[i])),
                csv_num(c.a_prior.get(i).copied()),
                csv_num(c.b_prior.get(i).copied()),
            ]);
        }
        t.into_string()
    }
}

impl SitesResult {
    /// Writes `sites.json`, `sites-features.csv`, and when ComBat ran `harmonised.csv` (radx
    /// long table), `combat.json`, `combat-features.csv`, `combat-batches.csv` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, CheckError> {
        let mut files = vec![
            ("sites.json", self.report.to_json()),
            ("sites-features.csv", self.report.features_csv()),
        ];
        if let Some(c) = &self.combat {
            files.push(("harmonised.csv", long_table_csv(&self.harmonised)));
            files.push(("combat.json", c.to_json()));
            files.push(("combat-features.csv", c.features_csv()));
            files.push(("combat-batches.csv", c.batches_csv()));
        }
        write_files(dir, files)
    }
}
