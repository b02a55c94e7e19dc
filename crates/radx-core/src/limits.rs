//! Resource limits: the largest sizes radx agrees to allocate or compute.
//!
//! Settings and data decide how large radx's arrays get: a fixed bin number of 10^9 asks
//! for per-level arrays of 10^9 entries, a bin width of 10^-9 for as many grey levels as
//! the intensity range holds widths, an interpolation spacing of 0.05 mm for a grid of
//! billions of voxels. Without a bound such a request aborts the process when the
//! allocation fails (no message, and in a batch every other case is lost with it). Every
//! size that settings or data decide is therefore checked against a limit *before* it is
//! allocated; exceeding one is an ordinary error ([`LimitError`]) that names what needs
//! the size, the size it needs and the limit, e.g.
//!
//! ```text
//! discretisation.texture.bins = 1000000000 needs 1000000000 grey levels, more than the
//! limit of 65536 grey levels (limits.max_grey_levels); raise it in [limits] or with
//! --limit max_grey_levels=N if this is intended
//! ```
//!
//! The defaults fit a job of 2 GiB (one case at a time); each can be raised (or lowered)
//! in the `[limits]` section of the settings manifest or with `--limit KEY=VALUE` on the
//! command line (which wins over the manifest). Limits do not change any value radx
//! computes, only whether it agrees to compute it: they are not part of the canonical form
//! or the settings id, so raising a limit to let one case through keeps the settings id of
//! a batch.
//!
//! | key | default | bounds |
//! | --- | --- | --- |
//! | `max_image_voxels` | 134217728 (2^27, 512^3) | voxels of any volume held in memory at once: an image as read, the in-plane resampled volume of the interpolation, the region kept around the ROI, a whole interpolated image, a filter's padded working volume, the 1 cm^3 sphere of the local intensity features |
//! | `max_grid_voxels` | 1073741824 (2^30) | voxels of the whole interpolation grid (computed slice by slice, never held whole) |
//! | `max_grey_levels` | 65536 (2^16) | grey levels of the texture discretisation |
//! | `max_histogram_bins` | 1048576 (2^20) | bins of the intensity-histogram and IVH discretisations |
//! | `max_matrix_cells` | 33554432 (2^25) | cells of a dense texture matrix (NGLDM: grey levels x dependence counts) |
//! | `max_conditions` | 100 | conditions of a stability study: the original and each perturbation (`--perturbations`), or the points of a settings grid (`--vary`) |
//! | `max_threads` | 256 | worker threads (`--threads`) |
//! | `min_spacing_mm` | 0.01 | smallest interpolation spacing (`interpolation.spacing_mm`) |
//!
//! Why these defaults:
//!
//! * `max_image_voxels`: radx holds intensities as 8-byte floats, so a volume at the limit
//!   takes 1 GiB; the other GiB of a 2 GiB job goes to the mask (1 byte a voxel), the
//!   reader's raw buffer, the discretised grey levels of the ROI box (4 bytes a voxel per
//!   discretisation) and the feature families. 512^3 holds any clinical CT of up to 512
//!   slices of 512 x 512.
//! * `max_grid_voxels`: the interpolation computes every voxel of the new grid (the whole
//!   image's diagnostic values need them) but streams them a slice at a time and keeps only
//!   the box around the ROI, so the grid costs time, not memory: a grid at the limit (4096 x
//!   4096 x 64) took 9 s of linear interpolation on one core, with 1.2 GB at its peak (the
//!   in-plane volume then at its own limit). 2^30 admits a 512 x 512 x 400 CT of 2.5 mm
//!   slices resampled to 1 mm isotropic (500 x 500 x 1000); 0.05 mm on that CT (10^11
//!   voxels) is refused.
//! * `max_grey_levels`: the texture families hold arrays per grey level (NGTDM two numbers
//!   per level, NGLDM a row per level, the rank tables of GLCM and GLRLM a number per
//!   level) and their features loop over levels. 65536 covers every 16-bit image
//!   discretised with unit bins (`none`), ten times the range of a CT in HU, while
//!   typical settings use 8 to 256 levels.
//! * `max_histogram_bins`: the intensity histogram holds 8 bytes per bin (8 MiB at the
//!   limit) and the IVH nothing per bin, so they may be finer than texture: 2^20 bins of
//!   0.01 SUV cover SUV 0 to 10000. A bin width typed a million times too small is still
//!   caught.
//! * `max_matrix_cells`: a dense matrix of 8-byte counts takes 256 MiB at the limit; a few
//!   can be alive at once (one per slice being computed). Only the NGLDM is dense in a way
//!   the settings control (grey levels x the `(2 d + 1)^3` dependence counts of distance
//!   `d`); GLCM and GLRLM switch to lists of the cells that occur beyond small fixed
//!   sizes, GLSZM and GLDZM always list them, NGTDM is bounded by `max_grey_levels`.
//! * `max_conditions`: each condition is a full extraction of every case, and one table
//!   the assessment holds in memory at about 0.5 KB per value (the value and its nine
//!   labels): 100 conditions of a 20-case cohort with 1,000 values per case hold about
//!   1 GB. Perturbation studies use tens of perturbations (`--perturbations 99` is the
//!   most by default: the original counts as a condition). A billion perturbations
//!   aborted before the first case.
//! * `max_threads`: each worker thread reserves a stack (2 MiB of address space) and, in a
//!   batch, works on a case of its own, so the memory of a job grows with the thread count;
//!   256 is more than the cores of common machines. 100000 threads took 84 s to fail.
//! * `min_spacing_mm`: a spacing that no modality radx reads comes near (preclinical
//!   micro-CT reaches about 0.01 mm): a typing slip (`0.001` for `1.0`) is refused by
//!   `radx settings check` already. Whether a coarser spacing is too fine for an image
//!   depends on the image, and is checked against `max_grid_voxels` and
//!   `max_image_voxels` once the image is read.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One of the count limits of [`Limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// [`Limits::max_image_voxels`].
    ImageVoxels,
    /// [`Limits::max_grid_voxels`].
    GridVoxels,
    /// [`Limits::max_grey_levels`].
    GreyLevels,
    /// [`Limits::max_histogram_bins`].
    HistogramBins,
    /// [`Limits::max_matrix_cells`].
    MatrixCells,
    /// [`Limits::max_conditions`].
    Conditions,
    /// [`Limits::max_threads`].
    Threads,
}

impl Limit {
    /// Every count limit, in the order of the `[limits]` documentation.
    pub const ALL: [Limit; 7] = [
        Limit::ImageVoxels,
        Limit::GridVoxels,
        Limit::GreyLevels,
        Limit::HistogramBins,
        Limit::MatrixCells,
        Limit::Conditions,
        Limit::Threads,
    ];

    /// The key in `[limits]` and `--limit KEY=VALUE`.
    pub fn key(self) -> &'static str {
        match self {
            Limit::ImageVoxels => "max_image_voxels",
            Limit::GridVoxels => "max_grid_voxels",
            Limit::GreyLevels => "max_grey_levels",
            Limit::HistogramBins => "max_histogram_bins",
            Limit::MatrixCells => "max_matrix_cells",
            Limit::Conditions => "max_conditions",
            Limit::Threads => "max_threads",
        }
    }

    /// What the limit counts (plural), for messages.
    pub fn unit(self) -> &'static str {
        match self {
            Limit::ImageVoxels | Limit::GridVoxels => "voxels",
            Limit::GreyLevels => "grey levels",
            Limit::HistogramBins => "bins",
            Limit::MatrixCells => "matrix cells",
            Limit::Conditions => "conditions",
            Limit::Threads => "threads",
        }
    }
}

/// A size beyond a limit: what needs it, how much, and the limit.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error(
    "{subject} needs {needed} {unit}, more than the limit of {allowed} {unit} (limits.{key}); \
     raise it in [limits] or with --limit {key}=N if this is intended",
    unit = limit.unit(),
    key = limit.key()
)]
pub struct LimitError {
    /// What needs the size: a setting and its value (`discretisation.texture.bins =
    /// 1000000000`), with the data that decide the size where there are some.
    pub subject: String,
    /// The size it needs (saturated at `u128::MAX`).
    pub needed: u128,
    /// The limit that refuses it.
    pub limit: Limit,
    /// The limit's value.
    pub allowed: u64,
}

/// An invalid `[limits]` value or `--limit KEY=VALUE`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("limits.{key}: {message}")]
pub struct LimitValueError {
    /// The key (`max_threads`), or the text given when it names no limit.
    pub key: String,
    pub message: String,
}

/// `[limits]`: the resource limits (see the module documentation for each default and
/// why). Every key is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Voxels of any volume held in memory at once. Default 134217728 (2^27).
    pub max_image_voxels: u64,
    /// Voxels of the whole interpolation grid (streamed). Default 1073741824 (2^30).
    pub max_grid_voxels: u64,
    /// Grey levels of the texture discretisation. Default 65536.
    pub max_grey_levels: u64,
    /// Bins of the intensity-histogram and IVH discretisations. Default 1048576.
    pub max_histogram_bins: u64,
    /// Cells of a dense texture matrix. Default 33554432 (2^25).
    pub max_matrix_cells: u64,
    /// Conditions of a stability study. Default 100.
    pub max_conditions: u64,
    /// Worker threads. Default 256.
    pub max_threads: u64,
    /// Smallest interpolation spacing in mm. Default 0.01.
    pub min_spacing_mm: f64,
}

/// Default of `max_image_voxels`: 2^27 voxels (1 GiB as 64-bit values).
pub const DEFAULT_MAX_IMAGE_VOXELS: u64 = 1 << 27;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_image_voxels: DEFAULT_MAX_IMAGE_VOXELS,
            max_grid_voxels: 1 << 30,
            max_grey_levels: 1 << 16,
            max_histogram_bins: 1 << 20,
            max_matrix_cells: 1 << 25,
            max_conditions: 100,
            max_threads: 256,
            min_spacing_mm: 0.01,
        }
    }
}

/// `a x b x c` as an exact count (no overflow).
pub fn product(dims: &[usize]) -> u128 {
    dims.iter()
        .fold(1u128, |acc, &d| acc.saturating_mul(d as u128))
}

/// A non-negative real count (e.g. `range / width`) as an integer count, saturated at
/// `u128::MAX` (also for NaN and infinity, which no limit admits).
pub fn count_of(x: f64) -> u128 {
    if x.is_nan() || x >= u128::MAX as f64 {
        u128::MAX
    } else if x <= 0.0 {
        0
    } else {
        x.ceil() as u128
    }
}

/// A number for a message: plain (`25`, `0.5`, `-1000`) in the usual range, in
/// exponent form (`1e-9`, `2.5e20`) when plain would be long.
pub fn number(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || (1e-4..1e15).contains(&a) || !a.is_finite() {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

impl Limits {
    /// The value of a count limit.
    pub fn get(&self, limit: Limit) -> u64 {
        match limit {
            Limit::ImageVoxels => self.max_image_voxels,
            Limit::GridVoxels => self.max_grid_voxels,
            Limit::GreyLevels => self.max_grey_levels,
            Limit::HistogramBins => self.max_histogram_bins,
            Limit::MatrixCells => self.max_matrix_cells,
            Limit::Conditions => self.max_conditions,
            Limit::Threads => self.max_threads,
        }
    }

    /// Checks that `needed` is within `limit`; `subject` says what needs it.
    pub fn check(&self, limit: Limit, subject: &str, needed: u128) -> Result<(), LimitError> {
        let allowed = self.get(limit);
        if needed <= allowed as u128 {
            Ok(())
        } else {
            Err(LimitError {
                subject: subject.to_string(),
                needed,
                limit,
                allowed,
            })
        }
    }

    /// Checks a volume of `n` voxels held in memory against `max_image_voxels`; `what`
    /// names it (e.g. `"image.nii.gz: 512 x 512 x 4000 voxels"`). This signature is kept
    /// stable for the readers.
    pub fn check_voxels(&self, what: &str, n: u128) -> Result<(), LimitError> {
        self.check(Limit::ImageVoxels, what, n)
    }

    /// Sets one limit from `--limit KEY=VALUE` text: counts are integers >= 1,
    /// `min_spacing_mm` a positive number.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), LimitValueError> {
        let bad = |message: String| LimitValueError {
            key: key.to_string(),
            message,
        };
        let value = value.trim();
        if key == "min_spacing_mm" {
            let v: f64 = value
                .parse()
                .map_err(|_| bad(format!("`{value}` is not a number")))?;
            self.min_spacing_mm = v;
            return self.validate();
        }
        let Some(limit) = Limit::ALL.into_iter().find(|l| l.key() == key) else {
            return Err(bad(format!(
                "no such limit; limits: {}, min_spacing_mm",
                Limit::ALL.map(Limit::key).join(", ")
            )));
        };
        let v: u64 = value.replace('_', "").parse().map_err(|_| {
            bad(format!(
                "`{value}` is not a whole number of {}",
                limit.unit()
            ))
        })?;
        match limit {
            Limit::ImageVoxels => self.max_image_voxels = v,
            Limit::GridVoxels => self.max_grid_voxels = v,
            Limit::GreyLevels => self.max_grey_levels = v,
            Limit::HistogramBins => self.max_histogram_bins = v,
            Limit::MatrixCells => self.max_matrix_cells = v,
            Limit::Conditions => self.max_conditions = v,
            Limit::Threads => self.max_threads = v,
        }
        self.validate()
    }

    /// Applies `KEY=VALUE` settings in order ([`Limits::set`]).
    pub fn apply<S: AsRef<str>>(&mut self, overrides: &[S]) -> Result<(), LimitValueError> {
        for o in overrides {
            let o = o.as_ref();
            let (k, v) = o.split_once('=').ok_or_else(|| LimitValueError {
                key: o.to_string(),
                message: "expected KEY=VALUE, e.g. max_grey_levels=100000".into(),
            })?;
            self.set(k.trim(), v)?;
        }
        Ok(())
    }

    /// Checks that every count limit is at least 1 and the smallest spacing is a positive
    /// number.
    pub fn validate(&self) -> Result<(), LimitValueError> {
        for l in Limit::ALL {
            if self.get(l) == 0 {
                return Err(LimitValueError {
                    key: l.key().into(),
                    message: "must be at least 1".into(),
                });
            }
        }
        let s = self.min_spacing_mm;
        if !(s.is_finite() && s > 0.0) {
            return Err(LimitValueError {
                key: "min_spacing_mm".into(),
                message: format!("must be a positive number, got {s}"),
            });
        }
        Ok(())
    }

    /// True when every limit has its default (the `[limits]` section is then left out of
    /// [`crate::Settings::manifest`]).
    pub fn is_default(&self) -> bool {
        *self == Limits::default()
    }

    /// The limits that differ from the defaults, as `key = value` lines of a `[limits]`
    /// table (empty when all are defaults).
    pub fn non_default_toml(&self) -> String {
        let d = Limits::default();
        let mut out = String::new();
        for l in Limit::ALL {
            if self.get(l) != d.get(l) {
                out.push_str(&format!("{} = {}\n", l.key(), self.get(l)));
            }
        }
        if self.min_spacing_mm != d.min_spacing_mm {
            out.push_str(&format!("min_spacing_mm = {:?}\n", self.min_spacing_mm));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_subject_size_limit_and_key() {
        let e = Limits::default()
            .check(
                Limit::GreyLevels,
                "discretisation.texture.bins = 1000000000",
                1_000_000_000,
            )
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "discretisation.texture.bins = 1000000000 needs 1000000000 grey levels, more than \
             the limit of 65536 grey levels (limits.max_grey_levels); raise it in [limits] or \
             with --limit max_grey_levels=N if this is intended"
        );
        assert!(Limits::default()
            .check(Limit::GreyLevels, "x", 65536)
            .is_ok());
    }

    #[test]
    fn check_voxels_uses_the_image_limit() {
        let l = Limits {
            max_image_voxels: 10,
            ..Limits::default()
        };
        assert!(l.check_voxels("a", 10).is_ok());
        let e = l.check_voxels("a.nii: 2 x 2 x 3 voxels", 12).unwrap_err();
        assert_eq!(e.limit, Limit::ImageVoxels);
        assert!(e.to_string().contains("limits.max_image_voxels"), "{e}");
    }

    #[test]
    fn set_parses_validates_and_names_unknown_keys() {
        let mut l = Limits::default();
        l.apply(&[
            "max_threads=8",
            "max_grey_levels = 1_000_000",
            "min_spacing_mm=0.001",
        ])
        .unwrap();
        assert_eq!(l.max_threads, 8);
        assert_eq!(l.max_grey_levels, 1_000_000);
        assert_eq!(l.min_spacing_mm, 0.001);
        assert!(!l.is_default());
        assert_eq!(
            l.non_default_toml(),
            "max_grey_levels = 1000000\nmax_threads = 8\nmin_spacing_mm = 0.001\n"
        );
        let e = l.apply(&["max_thread=8"]).unwrap_err().to_string();
        assert!(e.contains("max_thread") && e.contains("max_threads"), "{e}");
        assert!(l.apply(&["max_threads=0"]).is_err());
        assert!(l.apply(&["max_threads=-3"]).is_err());
        assert!(l.apply(&["max_threads"]).is_err());
        assert!(l.apply(&["min_spacing_mm=nan"]).is_err());
        assert!(Limits::default().is_default());
        assert_eq!(Limits::default().non_default_toml(), "");
    }

    #[test]
    fn counts_saturate() {
        assert_eq!(product(&[usize::MAX, usize::MAX, usize::MAX]), u128::MAX);
        assert_eq!(product(&[2, 3, 4]), 24);
        assert_eq!(count_of(f64::INFINITY), u128::MAX);
        assert_eq!(count_of(f64::NAN), u128::MAX);
        assert_eq!(count_of(2.5), 3);
        assert_eq!(count_of(-1.0), 0);
        assert_eq!(number(1e-9), "1e-9");
        assert_eq!(number(25.0), "25");
        assert_eq!(number(-0.5), "-0.5");
        assert_eq!(number(2.5e20), "2.5e20");
    }
}
