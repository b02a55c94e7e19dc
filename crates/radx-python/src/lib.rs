//! radx for Python: the `radx` package's extension module `radx._radx`.
//!
//! [`engine`] is every call as plain Rust (tested by `cargo test` without Python); the
//! `python` module (cargo feature `python`, which maturin turns on) converts Python
//! objects to its inputs, releases the GIL while it computes, and raises its failures as
//! `radx.RadxError` and subclasses. The Python side (`src/radx/`) builds DataFrames and
//! reads numpy arrays and SimpleITK images.

pub mod engine;

#[cfg(feature = "python")]
mod python;
