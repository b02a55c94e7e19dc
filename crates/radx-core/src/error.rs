use thiserror::Error;

/// Errors of the core model (shape mismatches, empty ROIs, invalid values).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoreError {
    #[error("image and mask are on different grids: {0}")]
    GridMismatch(String),
    #[error("the region of interest is empty{0}")]
    EmptyRoi(String),
    #[error("{count} voxel(s) in the region of interest are not finite (NaN or infinite), first at (z, y, x) = {first:?}")]
    NonFiniteVoxels { count: usize, first: [usize; 3] },
    #[error("invalid value: {0}")]
    Invalid(String),
}
