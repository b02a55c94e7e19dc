//! Sparse texture matrices and the ROI bounding box, shared by the GLCM and GLRLM.

/// One non-zero element of a sparse texture matrix: grey level `i`, second index `j`
/// (a grey level for the GLCM, a run length for the GLRLM), count `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub i: u32,
    pub j: u32,
    pub n: u64,
}

/// Merges two lists of elements sorted by `(i, j)`, summing equal elements.
pub fn merge_sorted(a: &[Entry], b: &[Entry]) -> Vec<Entry> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut x, mut y) = (0, 0);
    while x < a.len() && y < b.len() {
        let (ea, eb) = (a[x], b[y]);
        match (ea.i, ea.j).cmp(&(eb.i, eb.j)) {
            std::cmp::Ordering::Less => {
                out.push(ea);
                x += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(eb);
                y += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(Entry {
                    i: ea.i,
                    j: ea.j,
                    n: ea.n + eb.n,
                });
                x += 1;
                y += 1;
            }
        }
    }
    out.extend_from_slice(&a[x..]);
    out.extend_from_slice(&b[y..]);
    out
}

/// The bounding box `(origin, shape)` of the non-zero voxels of a C-order array of
/// shape `dim` (an empty box when there is none).
pub fn bounding_box(flat: &[u32], dim: (usize, usize, usize)) -> ([usize; 3], [usize; 3]) {
    let (_, ny, nx) = dim;
    let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
    if nx > 0 {
        for (r, row) in flat.chunks_exact(nx).enumerate() {
            if let Some(first) = row.iter().position(|&l| l != 0) {
                let last = row.iter().rposition(|&l| l != 0).unwrap_or(first);
                let (z, y) = (r / ny, r % ny);
                lo = [lo[0].min(z), lo[1].min(y), lo[2].min(first)];
                hi = [hi[0].max(z + 1), hi[1].max(y + 1), hi[2].max(last + 1)];
            }
        }
    }
    if lo[0] == usize::MAX {
        return ([0; 3], [0; 3]);
    }
    (lo, [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]])
}
