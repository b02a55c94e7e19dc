//! # radx-stats
//!
//! Statistics of radx's feature-stability checker: pure numerics, no I/O.
//!
//! * Agreement / reliability of a feature across repeated extractions or
//!   perturbations: [`icc()`] (ICC(2,1) and ICC(3,1) with confidence
//!   intervals), [`ccc`] and [`overall_ccc`] (Lin's concordance),
//!   [`bland_altman`], [`coefficient_of_variation`], and the Koo & Li bands
//!   [`Reliability`].
//! * Batch effects: [`kruskal_wallis`] (rank test across batches) and
//!   [`combat()`] (ComBat harmonisation, Johnson et al. 2007).
//! * [`dist`]: F, χ² and normal distribution functions written from the
//!   incomplete beta / gamma functions.
//!
//! ```
//! use ndarray::array;
//! // Shrout & Fleiss (1979): 6 targets (rows) rated by 4 judges (columns)
//! let ratings = array![
//!     [9., 2., 5., 8.], [6., 1., 3., 2.], [8., 4., 6., 8.],
//!     [7., 1., 2., 6.], [10., 5., 6., 9.], [6., 2., 4., 7.]
//! ];
//! let r = radx_stats::icc(ratings.view(), 0.95).unwrap();
//! assert!((r.icc2_1.value - 0.29).abs() < 0.005); // published .29
//! assert!((r.icc3_1.value - 0.71).abs() < 0.005); // published .71
//! assert_eq!(radx_stats::Reliability::of(r.icc3_1.value).name(), "moderate");
//! ```
//!
//! Undefined results are reported as `None` (scalar summaries) or a typed
//! [`StatsError`] (tests and models), never as NaN. All computations are
//! sequential with a fixed summation order, hence bit-reproducible.
//!
//! Must not: know about radx tables, features or files: it is pure statistics on numbers.

#![warn(missing_docs)]

mod agreement;
mod combat;
pub mod dist;
mod error;
mod icc;
mod kruskal;

pub use agreement::{
    bland_altman, ccc, coefficient_of_variation, overall_ccc, BlandAltman, Reliability,
    EXCELLENT_ABOVE, GOOD_FROM, MODERATE_FROM,
};
pub use combat::{combat, Combat, CombatOptions, COMBAT_MAX_ITERATIONS, COMBAT_TOLERANCE};
pub use error::StatsError;
pub use icc::{icc, Estimate, Icc};
pub use kruskal::{kruskal_wallis, KruskalWallis};
