//! DICOM: image series (CT, MR, PET with body-weight SUV), RTSTRUCT and SEG masks.
//!
//! Readers return radx-core types on the project's conventions: arrays indexed `(z, y, x)`
//! in C order, [`radx_core::Grid`] geometry in millimetres with world coordinates in
//! **RAS** (as the NIfTI reader takes the sform). DICOM patient coordinates are LPS, so
//! positions and directions are converted with x → −x, y → −y (`geometry`). Every error
//! is an [`crate::IoError`] that names the file (or folder) and the problem; no input makes
//! a reader panic.
//!
//! Limits (each an error naming the file, never a silent approximation): series are
//! single-frame slices or enhanced multi-frame images (Enhanced / Legacy Converted Enhanced
//! CT, MR, PET: each frame placed by its functional groups), stacked along the slice
//! normal (no gantry tilt), evenly spaced, greyscale; compressed transfer syntaxes are
//! decoded through dicom-rs's pixel-data stack: RLE Lossless and JPEG baseline / 8-bit
//! extended / lossless by pure-Rust code (`jpeg-decoder`), 12-bit JPEG extended by radx's
//! own decoder (`jpeg12`), JPEG 2000 by `openjp2` (a pure-Rust port of OpenJPEG), JPEG-LS by
//! CharLS (C++, the only codec not in Rust); deflated data sets by `flate2`. Any other
//! syntax is an error naming it. A SEG must lie on the image grid (no
//! resampling).
//!
//! Robustness: before the DICOM parser sees a file, its element headers are walked
//! (`scan`) so that a corrupt or truncated length is reported at once instead of making
//! the parser allocate the declared size; a panic inside the third-party parser or decoders
//! is turned into an error.
//!
//! Modules, one job each: `dcm` (opening a file, attributes), `pixels` (stored values),
//! `geometry` (frames and directions), `series` (a folder of slices → one image),
//! `jpeg12` (12-bit JPEG extended), `suv` (body-weight SUV), `datetime` (DA / TM / DT), `rtstruct` (contours →
//! mask), `seg` (segments → mask), `scan` (the element-header walk).

pub(crate) mod datetime;
pub(crate) mod dcm;
pub(crate) mod geometry;
pub(crate) mod jpeg12;
pub(crate) mod pixels;
pub(crate) mod rtstruct;
pub(crate) mod scan;
pub(crate) mod seg;
pub(crate) mod series;
pub(crate) mod suv;

pub use rtstruct::{read_rtstruct, Contour, RtStruct, StructureRoi};
pub use seg::{list_segments, read_seg_mask, SegmentInfo};
pub use series::{list_series, read_series, DicomSeries, SeriesInfo, SeriesOptions, SeriesSummary};
pub use suv::{SuvInfo, SuvType};
