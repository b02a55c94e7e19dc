//! Error type shared by every fallible statistic in this crate.

use thiserror::Error;

/// Why a statistic could not be computed.
///
/// Every variant names the offending quantity so that a caller (the
/// feature-stability checker) can report the feature as *missing with a
/// reason* instead of producing NaN or a silent zero.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// Fewer subjects (rows, cases) than the statistic needs.
    #[error("too few subjects: {n} given, at least {needed} needed")]
    TooFewSubjects {
        /// Number of subjects supplied.
        n: usize,
        /// Minimum number required.
        needed: usize,
    },
    /// Fewer than two conditions (columns, raters) for an agreement statistic.
    #[error("too few conditions: {k} given, at least 2 needed")]
    TooFewConditions {
        /// Number of conditions supplied.
        k: usize,
    },
    /// Fewer than two groups for a between-group test.
    #[error("too few groups: {groups} given, at least 2 non-empty groups needed")]
    TooFewGroups {
        /// Number of groups supplied.
        groups: usize,
    },
    /// A group of a between-group test holds no observation.
    #[error("group {index} is empty")]
    EmptyGroup {
        /// Zero-based index of the empty group.
        index: usize,
    },
    /// Fewer features than ComBat's empirical-Bayes priors need (the priors
    /// are moments *across* features, so at least two are required).
    #[error("too few features: {features} given, at least {needed} needed")]
    TooFewFeatures {
        /// Number of features supplied.
        features: usize,
        /// Minimum number required.
        needed: usize,
    },
    /// An input value is NaN or infinite.
    #[error("input contains a non-finite value (NaN or infinity)")]
    NonFinite,
    /// Inputs that must have matching lengths do not (e.g. one batch label per
    /// sample).
    #[error("ragged input: lengths do not match")]
    Ragged,
    /// Harmonisation needs at least two batches.
    #[error("only one batch present: harmonisation needs at least two")]
    SingleBatch,
    /// A batch has too few samples to estimate its variance.
    #[error("batch '{batch}' has {n} sample(s); at least 2 are needed")]
    BatchTooSmall {
        /// Label of the batch.
        batch: String,
        /// Number of samples it holds.
        n: usize,
    },
    /// A variance the statistic divides by is zero, so the result is undefined.
    #[error("zero variance: {what}")]
    ZeroVariance {
        /// Which variance vanished.
        what: String,
    },
    /// The confidence level is not strictly between 0 and 1.
    #[error("confidence level {level} is not in (0, 1)")]
    InvalidLevel {
        /// The level supplied.
        level: f64,
    },
    /// A confidence interval is mathematically undefined for these data
    /// (e.g. a non-positive Satterthwaite degree of freedom).
    #[error("confidence interval undefined: {what}")]
    IntervalUndefined {
        /// Which interval and why.
        what: String,
    },
    /// An iterative estimate did not converge.
    #[error("{what} did not converge within {iterations} iterations")]
    NotConverged {
        /// Which iteration.
        what: String,
        /// Iterations performed.
        iterations: usize,
    },
}
