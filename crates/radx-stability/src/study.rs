//! A stability study from its tables to its reports: the condition tables (from a run of
//! [`crate::run`], radx tables made elsewhere, or imported PyRadiomics tables), the
//! assessment ([`crate::assess`]), the site analysis ([`crate::sites`]) when sites are
//! known, and the files of both ([`crate::output`]). `radx stability` parses its arguments,
//! runs the conditions and calls [`analyse`]; the HTML report is radx-report's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use radx_check::CheckError;

use crate::assess::{assess, ConditionTable, StabilityOptions, StabilityReport};
use crate::sites::{assess_sites, read_sites, SitesResult};

/// What importing one PyRadiomics table found, for the user.
#[derive(Debug, Clone)]
pub struct ImportNote {
    pub path: PathBuf,
    pub cases: usize,
    pub mapped_columns: usize,
    pub unmapped_columns: usize,
}

/// The conditions of a study made elsewhere: radx long tables (`NAME`, path; with their
/// provenance sidecars when present) then PyRadiomics batch CSVs (mapped to IBSI tags), in
/// that order.
pub fn import_tables(
    tables: &[(String, PathBuf)],
    pyradiomics: &[(String, PathBuf)],
) -> Result<(Vec<ConditionTable>, Vec<ImportNote>), CheckError> {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (name, path) in tables {
        out.push(ConditionTable::read(name.clone(), path)?);
    }
    if !pyradiomics.is_empty() {
        let mapping = radx_check::pyradiomics::Mapping::builtin()?;
        for (name, path) in pyradiomics {
            let imported =
                radx_check::pyradiomics::import_pyradiomics(path, &mapping, &Default::default())?;
            notes.push(ImportNote {
                path: path.clone(),
                cases: imported.cases.len(),
                mapped_columns: imported.mapped_columns,
                unmapped_columns: imported.unmapped.len(),
            });
            out.push(ConditionTable {
                name: name.clone(),
                values: imported.values,
                provenance: Some(serde_json::json!({
                    "software": "PyRadiomics",
                    "source": path.display().to_string(),
                })),
            });
        }
    }
    Ok((out, notes))
}

/// How a study is analysed.
#[derive(Debug, Clone, Default)]
pub struct StudyOptions {
    /// The assessment's options (reference condition, ROI pairing).
    pub stability: StabilityOptions,
    /// Keep the processing chain's diagnostic values (left out by default: they describe
    /// the chain, not the ROI).
    pub include_diagnostics: bool,
    /// A `case,site` table; without it, the cohort's sites (when it had any).
    pub sites_file: Option<PathBuf>,
}

/// What [`analyse`] produced and wrote.
#[derive(Debug)]
pub struct StudyOutcome {
    pub report: StabilityReport,
    /// The stability files written (`stability*.json|csv`).
    pub written: Vec<PathBuf>,
    /// The site analysis (written under `out/sites/`), when sites were known.
    pub sites: Option<SitesResult>,
}

/// Assesses the conditions' tables and writes the reports into `out`: the stability
/// report, and when sites are known (`options.sites_file`, else `cohort_sites` when not
/// empty) the site analysis of the reference condition's table into `out/sites/`.
pub fn analyse(
    mut tables: Vec<ConditionTable>,
    cohort_sites: BTreeMap<String, String>,
    options: &StudyOptions,
    out: &Path,
) -> Result<StudyOutcome, CheckError> {
    if !options.include_diagnostics {
        for t in &mut tables {
            t.values.retain(|v| v.family != "diagnostics");
        }
    }
    let report = assess(&tables, &options.stability)?;
    let written = report.write(out)?;
    let sites = match (&options.sites_file, cohort_sites.is_empty()) {
        (Some(p), _) => Some(read_sites(p)?),
        (None, false) => Some(cohort_sites),
        (None, true) => None,
    };
    let sites = match &sites {
        Some(map) => {
            let reference = tables
                .iter()
                .find(|t| t.name == report.reference)
                .expect("the report's reference is one of the tables");
            let r = assess_sites(&reference.values, map, &Default::default())?;
            r.write(&out.join("sites"))?;
            Some(r)
        }
        None => None,
    };
    Ok(StudyOutcome {
        report,
        written,
        sites,
    })
}
