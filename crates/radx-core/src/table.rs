//! The long-format feature table: one row per value.

use serde::Serialize;

/// One row of the feature table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureRow {
    /// Case identifier.
    pub case: String,
    /// ROI name or label.
    pub roi: String,
    /// Image the value was computed on: `original`, or a filter's canonical name.
    pub image: String,
    pub family: String,
    pub feature: String,
    /// IBSI identifier (4 characters) or empty.
    pub ibsi_id: String,
    /// Aggregation (`3D_comb`, `2D`, ...) or empty.
    pub aggregation: String,
    /// The IBSI reference tag: `{prefix}_{feature}[_{aggregation}]`.
    pub tag: String,
    pub unit: String,
    pub value: Option<f64>,
    pub missing_reason: Option<String>,
}

/// A feature table.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeatureTable {
    pub rows: Vec<FeatureRow>,
}

impl FeatureTable {
    /// The row with this tag, if any.
    pub fn by_tag(&self, tag: &str) -> Option<&FeatureRow> {
        self.rows.iter().find(|r| r.tag == tag)
    }

    /// Value of the row with this tag, if present and not missing.
    pub fn value(&self, tag: &str) -> Option<f64> {
        self.by_tag(tag).and_then(|r| r.value)
    }
}
