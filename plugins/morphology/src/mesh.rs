//! The ROI surface mesh (IBSI "Mesh-based representation", WRJH): marching cubes on the
//! morphological mask at iso-level 0.5, on the mask padded with a border of non-ROI
//! voxels.
//!
//! # Coordinates
//!
//! Mesh vertices of a binary mask lie exactly half-way between an ROI voxel centre and
//! the centre of a non-ROI voxel next to it along one axis. All geometry is therefore
//! done on *doubled* integer voxel coordinates `(X, Y, Z) = 2 (x, y, z)` (index units),
//! where every vertex has integer coordinates; millimetres follow by scaling each axis
//! by half its spacing. Volumes are exact integer sums; the scaling is applied once.
//!
//! # The marching-cubes table
//!
//! The triangle table is not a typed-in constant: it is derived, for all 256 corner
//! configurations, from two rules that make the mesh closed and consistently oriented:
//!
//! 1. On each cube face the iso-line is a set of segments between crossed face edges.
//!    On an ambiguous face (two diagonally opposite ROI corners) the segments cut off the
//!    ROI corners, i.e. diagonal ROI voxels are *not* joined across the face. The decision
//!    depends on the face's four corners only, so the two cubes sharing a face draw the
//!    same segments.
//! 2. Each segment is directed so that, seen from outside the cube, the ROI side lies to
//!    its right. The segments then chain into closed loops around the ROI part of the
//!    cube surface; each loop is triangulated as a disk, keeping its orientation. The
//!    cube sharing a face sees the segment reversed, so every mesh edge is used once in
//!    each direction: the mesh is closed, and every face normal (right-hand rule) points
//!    out of the ROI.
//!
//! Loops with more than three vertices are triangulated as a disk. Where a loop is not
//! planar, the triangulation bulges towards the side of the cube with more corners
//! (see [`triangles`]). This reproduces the IBSI consensus meshes closely: digital
//! phantom V = 556.3 mm³, A = 388.1 mm² (consensus 556 ± 4, 388 ± 3); CT phantom
//! configuration A A = 35703 mm² (35700 ± 300), configuration E A = 34305 mm²
//! (34300 ± 400), with sphericity 0.6835 and 0.7232 (0.683, 0.723). Maximising the ROI
//! volume whatever the polarity gives 0.6825 and 0.7260 (outside the tolerance of
//! compactness 2 and asphericity in configuration E), a minimal-area triangulation
//! V = 549.3 mm³ on the digital phantom.

use ndarray::Array3;

/// Resolution of ambiguous cube faces (two diagonally opposite ROI corners): `false`
/// cuts off each ROI corner (the diagonal ROI voxels are not joined across the face),
/// `true` would join them. Either choice gives a closed, oriented mesh; on the CT phantom
/// (configurations A and E) the volumes differ by 0.003% and the areas agree to 1e-6
/// relative (the digital phantom has no ambiguous face).
const JOIN_DIAGONAL_ROI_CORNERS: bool = false;

/// Corner `c` of a cube: offset `(x, y, z) = (c & 1, c >> 1 & 1, c >> 2 & 1)`.
fn corner(c: usize) -> [i64; 3] {
    [(c & 1) as i64, ((c >> 1) & 1) as i64, ((c >> 2) & 1) as i64]
}

/// The 12 cube edges as `(lower corner, axis)`.
fn edges() -> Vec<(usize, usize)> {
    let mut e = Vec::with_capacity(12);
    for c in 0..8 {
        for a in 0..3 {
            if c & (1 << a) == 0 {
                e.push((c, a));
            }
        }
    }
    e
}

/// Doubled coordinates of the midpoint of edge `(c, a)` relative to the cube's lower corner.
fn edge_point(e: (usize, usize)) -> [i64; 3] {
    let mut p = corner(e.0);
    for v in p.iter_mut() {
        *v *= 2;
    }
    p[e.1] += 1;
    p
}

pub(crate) fn cross(a: [i64; 3], b: [i64; 3]) -> [i64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(crate) fn sub(a: [i64; 3], b: [i64; 3]) -> [i64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) fn dot(a: [i64; 3], b: [i64; 3]) -> i64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Area in mm² of the triangle whose doubled-coordinate cross product is `n`, for voxel
/// spacing `sxyz` (x, y, z): `|n_mm| / 2` with `n_mm = (n_x s_y s_z, n_y s_x s_z, n_z s_x s_y) / 4`.
pub(crate) fn area_of_normal(n: [i64; 3], sxyz: [f64; 3]) -> f64 {
    let nx = n[0] as f64 * sxyz[1] * sxyz[2];
    let ny = n[1] as f64 * sxyz[0] * sxyz[2];
    let nz = n[2] as f64 * sxyz[0] * sxyz[1];
    (nx * nx + ny * ny + nz * nz).sqrt() / 8.0
}

/// The oriented iso-loops of one corner configuration, as lists of edge indices.
pub(crate) fn loops(config: u8) -> Vec<Vec<usize>> {
    let edges = edges();
    let edge_of = |c0: usize, c1: usize| -> usize {
        let (lo, hi) = if c0 < c1 { (c0, c1) } else { (c1, c0) };
        let a = (hi ^ lo).trailing_zeros() as usize;
        edges.iter().position(|&e| e == (lo, a)).expect("cube edge")
    };
    let inside = |c: usize| config & (1 << c) != 0;
    let mut next = [usize::MAX; 12];
    for a in 0..3 {
        let (b, c) = ((a + 1) % 3, (a + 2) % 3);
        for s in 0..2usize {
            let cyc: Vec<usize> = [(0, 0), (1, 0), (1, 1), (0, 1)]
                .iter()
                .map(|&(u, v)| (s << a) | (u << b) | (v << c))
                .collect();
            let mut normal = [0i64; 3];
            normal[a] = if s == 0 { -1 } else { 1 };
            // Crossed face edges k: between cyc[k] and cyc[k + 1].
            let crossed: Vec<usize> = (0..4)
                .filter(|&k| inside(cyc[k]) != inside(cyc[(k + 1) % 4]))
                .collect();
            // Segments with a reference corner and whether it is in the ROI.
            let mut segs: Vec<(usize, usize, usize, bool)> = Vec::new();
            match crossed.len() {
                0 => {}
                2 => {
                    let r = *cyc.iter().find(|&&c| inside(c)).expect("an ROI corner");
                    segs.push((
                        edge_of(cyc[crossed[0]], cyc[(crossed[0] + 1) % 4]),
                        edge_of(cyc[crossed[1]], cyc[(crossed[1] + 1) % 4]),
                        r,
                        true,
                    ));
                }
                4 => {
                    // Ambiguous face: cut off each corner of one kind.
                    let cut_roi = !JOIN_DIAGONAL_ROI_CORNERS;
                    for k in 0..4 {
                        if inside(cyc[k]) == cut_roi {
                            let prev = (k + 3) % 4;
                            segs.push((
                                edge_of(cyc[prev], cyc[k]),
                                edge_of(cyc[k], cyc[(k + 1) % 4]),
                                cyc[k],
                                cut_roi,
                            ));
                        }
                    }
                }
                _ => unreachable!("a face has an even number of crossed edges"),
            }
            for (p, q, r, r_in) in segs {
                let (pp, qp) = (edge_point(edges[p]), edge_point(edges[q]));
                let rp: Vec<i64> = corner(r).iter().map(|v| 2 * v).collect();
                let side = dot(cross(sub(qp, pp), sub([rp[0], rp[1], rp[2]], pp)), normal);
                let keep = if r_in { side < 0 } else { side > 0 };
                let (from, to) = if keep { (p, q) } else { (q, p) };
                debug_assert_eq!(next[from], usize::MAX);
                next[from] = to;
            }
        }
    }
    let mut seen = [false; 12];
    let mut out = Vec::new();
    for start in 0..12 {
        if next[start] == usize::MAX || seen[start] {
            continue;
        }
        let mut l = Vec::new();
        let mut e = start;
        while !seen[e] {
            seen[e] = true;
            l.push(e);
            e = next[e];
        }
        debug_assert_eq!(e, start, "segments chain into closed loops");
        out.push(l);
    }
    out
}

/// Triangulation of an oriented loop (doubled integer cube coordinates, 0..=2) that
/// encloses the largest volume on one side: the ROI side for `sign = 1`, the outside for
/// `sign = -1`. Index triples in loop order.
///
/// Two triangulations of the same loop differ by the volume between them, and
/// `Σ_t a_t · (b_t × c_t)` over the triangles of a triangulation changes by six times
/// that volume whatever the origin (the normals point out of the ROI); the triangulation
/// maximising `sign` times this exact integer sum (dynamic programming over polygon
/// triangulations) bulges out of the chosen side the most. Volume ratios are invariant
/// under the anisotropic voxel scaling, so the choice does not depend on the spacing.
/// Ties (planar loops) go to the first split found.
///
/// A loop that crosses an ambiguous face twice has four vertices on that face; a chord
/// between two of them would lie in the face, where the neighbouring cube may draw the
/// same chord (a non-manifold edge, or coincident triangles counted twice in the area).
/// Such chords are only used when no triangulation avoids them (never, for cube loops).
fn triangulate(pts: &[[i64; 3]], sign: i64) -> Vec<[usize; 3]> {
    let n = pts.len();
    let vol = |i: usize, j: usize, k: usize| sign * dot(pts[i], cross(pts[j], pts[k]));
    let on_face = |i: usize, j: usize| (0..3).any(|a| pts[i][a] == pts[j][a] && pts[i][a] != 1);
    const PENALTY: i64 = 1 << 40;
    let chord_cost = |i: usize, j: usize| {
        if j - i >= 2 && on_face(i, j) {
            PENALTY
        } else {
            0
        }
    };
    // best[i][j]: largest score over triangulations of the sub-polygon i..=j closed by
    // the chord (i, j).
    let mut best = vec![vec![0i64; n]; n];
    let mut split = vec![vec![0usize; n]; n];
    for len in 2..n {
        for i in 0..n - len {
            let j = i + len;
            let mut top = i64::MIN;
            for k in i + 1..j {
                let c =
                    best[i][k] + best[k][j] + vol(i, k, j) - chord_cost(i, k) - chord_cost(k, j);
                if c > top {
                    top = c;
                    split[i][j] = k;
                }
            }
            best[i][j] = top;
        }
    }
    debug_assert!(
        n < 4 || best[0][n - 1] > -PENALTY / 2,
        "a face chord was unavoidable"
    );
    let mut tris = Vec::with_capacity(n - 2);
    let mut stack = vec![(0usize, n - 1)];
    while let Some((i, j)) = stack.pop() {
        if j - i < 2 {
            continue;
        }
        let k = split[i][j];
        tris.push([i, k, j]);
        stack.push((i, k));
        stack.push((k, j));
    }
    tris
}

/// Triangles (edge-index triples) of every corner configuration; computed once.
///
/// Non-planar loops bulge towards the side of the cube with more corners: the volume on
/// the minority side is maximised (the ROI side when at most four of the eight corners
/// are in the ROI, the outside otherwise). The surface then follows the rounded shape of
/// the minority corners whatever the polarity, as in the classic marching-cubes tables,
/// whose configurations with more than four corners reuse the triangles of their
/// complement.
pub fn triangles() -> &'static [Vec<[usize; 3]>] {
    static TRIANGLES: std::sync::OnceLock<Vec<Vec<[usize; 3]>>> = std::sync::OnceLock::new();
    TRIANGLES.get_or_init(|| {
        let edges = edges();
        let pts: Vec<[i64; 3]> = edges.iter().map(|&e| edge_point(e)).collect();
        (0..=255u8)
            .map(|config| {
                let mut tris = Vec::new();
                let sign = if config.count_ones() <= 4 { 1 } else { -1 };
                for l in loops(config) {
                    let lp: Vec<[i64; 3]> = l.iter().map(|&e| pts[e]).collect();
                    for [i, j, k] in triangulate(&lp, sign) {
                        tris.push([l[i], l[j], l[k]]);
                    }
                }
                tris
            })
            .collect()
    })
}

/// Per-configuration sums of the marching-cubes table for one voxel spacing.
pub struct Table {
    /// Per configuration: summed triangle area in mm².
    area: [f64; 256],
    /// Per configuration: summed doubled-coordinate normals `(b - a) × (c - a)`.
    normal_sum: [[i64; 3]; 256],
    /// Per configuration: summed `a · (b × c)` with doubled coordinates relative to the
    /// cube's lower corner.
    triple_sum: [i64; 256],
}

impl Table {
    /// Builds the sums for voxel spacing `sxyz` (x, y, z) in mm.
    pub fn new(sxyz: [f64; 3]) -> Table {
        let pts: Vec<[i64; 3]> = edges().iter().map(|&e| edge_point(e)).collect();
        let mut t = Table {
            area: [0.0; 256],
            normal_sum: [[0; 3]; 256],
            triple_sum: [0; 256],
        };
        for (config, tris) in triangles().iter().enumerate() {
            for &[a, b, c] in tris {
                let n = cross(sub(pts[b], pts[a]), sub(pts[c], pts[a]));
                t.area[config] += area_of_normal(n, sxyz);
                for d in 0..3 {
                    t.normal_sum[config][d] += n[d];
                }
                t.triple_sum[config] += dot(pts[a], cross(pts[b], pts[c]));
            }
        }
        t
    }
}

/// The mask, cropped to its bounding box and padded with one non-ROI voxel on every
/// side, as bytes (1 in the ROI). Indexed `(z, y, x)`.
pub struct Padded {
    pub data: Vec<u8>,
    /// Padded dimensions (z, y, x).
    pub dims: [usize; 3],
    /// Index (z, y, x) in the original array of padded voxel (1, 1, 1).
    pub offset: [usize; 3],
}

impl Padded {
    /// `None` when the mask is empty.
    pub fn new(mask: &Array3<bool>) -> Option<Padded> {
        let (nz, ny, nx) = mask.dim();
        let m = mask.as_standard_layout();
        let m = m.as_slice().expect("standard layout");
        let mut lo = [usize::MAX; 3];
        let mut hi = [0usize; 3];
        for z in 0..nz {
            for y in 0..ny {
                let row = &m[(z * ny + y) * nx..(z * ny + y + 1) * nx];
                if let Some(first) = row.iter().position(|&v| v) {
                    let last = row.iter().rposition(|&v| v).expect("non-empty row");
                    lo = [lo[0].min(z), lo[1].min(y), lo[2].min(first)];
                    hi = [hi[0].max(z), hi[1].max(y), hi[2].max(last)];
                }
            }
        }
        if lo[0] == usize::MAX {
            return None;
        }
        let dims = [hi[0] - lo[0] + 3, hi[1] - lo[1] + 3, hi[2] - lo[2] + 3];
        let mut data = vec![0u8; dims[0] * dims[1] * dims[2]];
        for z in lo[0]..=hi[0] {
            for y in lo[1]..=hi[1] {
                let dst = ((z - lo[0] + 1) * dims[1] + (y - lo[1] + 1)) * dims[2] + 1;
                let src = (z * ny + y) * nx + lo[2];
                for (d, &v) in data[dst..dst + dims[2] - 2].iter_mut().zip(&m[src..]) {
                    *d = v as u8;
                }
            }
        }
        Some(Padded {
            data,
            dims,
            offset: lo,
        })
    }
}

/// Surface measures of the marching-cubes mesh.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeshMeasures {
    /// Mesh volume in mm³ (RNU0), from the exact signed tetrahedron sum.
    pub volume: f64,
    /// Mesh area in mm² (C0JK).
    pub area: f64,
    /// Signed volume in doubled index units times 6 (exact; positive for outward normals).
    pub signed_volume6: i64,
}

/// Spreads the 4 bits of a (y, z) corner code to corner bits 0, 2, 4, 6.
const SPREAD: [u8; 16] = {
    let mut t = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        let mut v = 0u8;
        let mut b = 0;
        while b < 4 {
            if i & (1 << b) != 0 {
                v |= 1 << (2 * b);
            }
            b += 1;
        }
        t[i] = v;
        i += 1;
    }
    t
};

/// Visits every cube of the padded grid with its configuration and lower corner (x, y, z)
/// in padded index units, skipping empty and full cubes.
fn for_each_cube(p: &Padded, mut f: impl FnMut(u8, [i64; 3])) {
    let [dz, dy, dx] = p.dims;
    let mut code = vec![0u8; dx];
    for k in 0..dz - 1 {
        for j in 0..dy - 1 {
            let r00 = (k * dy + j) * dx;
            let r01 = (k * dy + j + 1) * dx;
            let r10 = ((k + 1) * dy + j) * dx;
            let r11 = ((k + 1) * dy + j + 1) * dx;
            let mut any = 0u8;
            for (i, c) in code.iter_mut().enumerate() {
                *c = p.data[r00 + i]
                    | (p.data[r01 + i] << 1)
                    | (p.data[r10 + i] << 2)
                    | (p.data[r11 + i] << 3);
                any |= *c;
            }
            if any == 0 {
                continue;
            }
            for i in 0..dx - 1 {
                let config = SPREAD[code[i] as usize] | (SPREAD[code[i + 1] as usize] << 1);
                if config != 0 && config != 255 {
                    f(config, [i as i64, j as i64, k as i64]);
                }
            }
        }
    }
}

/// Volume and area of the marching-cubes mesh of `p` for spacing `sxyz` (x, y, z).
///
/// Volume (RNU0): `V = |Σ_k a_k · (b_k × c_k)| / 6` over the faces `k`; area (C0JK):
/// `A = Σ_k |ab_k × ac_k| / 2`. Per configuration the table holds the faces' summed area,
/// summed normal `N` and summed `a'·(b'×c')` relative to the cube corner `B`; as
/// `(B + a')·((B + b')×(B + c')) = B·N_face + a'·(b'×c')`, the sweep only counts cubes per
/// configuration and sums their corners.
pub fn measure(p: &Padded, table: &Table, sxyz: [f64; 3]) -> MeshMeasures {
    let mut count = [0i64; 256];
    let mut corner_sum = [[0i64; 3]; 256];
    for_each_cube(p, |config, b| {
        let c = config as usize;
        count[c] += 1;
        for d in 0..3 {
            corner_sum[c][d] += 2 * b[d];
        }
    });
    let mut v6 = 0i64;
    let mut area = 0.0;
    for c in 0..256 {
        if count[c] == 0 {
            continue;
        }
        v6 += dot(corner_sum[c], table.normal_sum[c]) + count[c] * table.triple_sum[c];
        area += count[c] as f64 * table.area[c];
    }
    MeshMeasures {
        volume: v6.unsigned_abs() as f64 / 48.0 * sxyz[0] * sxyz[1] * sxyz[2],
        area,
        signed_volume6: v6,
    }
}

/// An explicit mesh: vertices in doubled padded index coordinates (x, y, z) and faces.
#[derive(Debug, Clone)]
pub struct Mesh {
    pub vertices: Vec<[i64; 3]>,
    pub faces: Vec<[usize; 3]>,
}

impl Mesh {
    /// Builds the explicit mesh (used by tests and diagnostics; the features use
    /// [`measure`] and [`hull_candidates`]).
    pub fn build(p: &Padded) -> Mesh {
        let edges = edges();
        let pts: Vec<[i64; 3]> = edges.iter().map(|&e| edge_point(e)).collect();
        let mut index = std::collections::HashMap::new();
        let mut mesh = Mesh {
            vertices: Vec::new(),
            faces: Vec::new(),
        };
        for_each_cube(p, |config, b| {
            for tri in &triangles()[config as usize] {
                let mut f = [0usize; 3];
                for (slot, &e) in f.iter_mut().zip(tri) {
                    let v = [
                        2 * b[0] + pts[e][0],
                        2 * b[1] + pts[e][1],
                        2 * b[2] + pts[e][2],
                    ];
                    let n = mesh.vertices.len();
                    *slot = *index.entry(v).or_insert_with(|| {
                        mesh.vertices.push(v);
                        n
                    });
                }
                mesh.faces.push(f);
            }
        });
        mesh
    }
}

/// Mesh vertices that may be vertices of the mesh's convex hull, in doubled padded index
/// coordinates (x, y, z).
///
/// The mesh vertex set is exactly the set of midpoints between an ROI voxel and a non-ROI
/// voxel adjacent along one axis. On each line along x only the two extreme vertices can
/// be extreme points of the set, and within each plane of constant doubled z only the
/// vertices of the plane's 2D convex hull; the 3D convex hull of the returned points is
/// therefore that of the whole mesh.
pub fn hull_candidates(p: &Padded) -> Vec<[i64; 3]> {
    let [dz, dy, dx] = p.dims;
    let mut out = Vec::new();
    let mut plane: Vec<[i64; 2]> = Vec::new();
    let mut hull2: Vec<[i64; 2]> = Vec::new();
    for z2 in 0..2 * dz - 1 {
        plane.clear();
        for y2 in 0..2 * dy - 1 {
            // Extreme doubled x of the vertices on line (y2, z2).
            let (mut lo, mut hi) = (i64::MAX, i64::MIN);
            let mut note = |x2: i64| {
                lo = lo.min(x2);
                hi = hi.max(x2);
            };
            let row = |k: usize, j: usize| &p.data[(k * dy + j) * dx..(k * dy + j + 1) * dx];
            match (z2 % 2, y2 % 2) {
                (0, 0) => {
                    // x-crossings: the first and last ROI voxel of the row.
                    let r = row(z2 / 2, y2 / 2);
                    if let Some(first) = r.iter().position(|&v| v != 0) {
                        let last = r.iter().rposition(|&v| v != 0).expect("non-empty row");
                        note(2 * first as i64 - 1);
                        note(2 * last as i64 + 1);
                    }
                }
                (0, 1) | (1, 0) => {
                    // y- or z-crossings between two neighbouring rows.
                    let (a, b) = if z2 % 2 == 0 {
                        (row(z2 / 2, y2 / 2), row(z2 / 2, y2 / 2 + 1))
                    } else {
                        (row(z2 / 2, y2 / 2), row(z2 / 2 + 1, y2 / 2))
                    };
                    if let Some(first) = a.iter().zip(b).position(|(u, v)| u != v) {
                        let last = a
                            .iter()
                            .zip(b)
                            .rposition(|(u, v)| u != v)
                            .expect("a difference");
                        note(2 * first as i64);
                        note(2 * last as i64);
                    }
                }
                _ => {}
            }
            if lo <= hi {
                plane.push([lo, y2 as i64]);
                if hi != lo {
                    plane.push([hi, y2 as i64]);
                }
            }
        }
        if plane.is_empty() {
            continue;
        }
        // Points are sorted by (y, x): Andrew's monotone chain, strict hull vertices.
        convex_hull_2d(&plane, &mut hull2);
        out.extend(hull2.iter().map(|q| [q[0], q[1], z2 as i64]));
    }
    out
}

/// Strict 2D convex hull (no collinear points) of points sorted by (y, x).
fn convex_hull_2d(pts: &[[i64; 2]], hull: &mut Vec<[i64; 2]>) {
    hull.clear();
    if pts.len() <= 2 {
        hull.extend_from_slice(pts);
        return;
    }
    let turn = |o: [i64; 2], a: [i64; 2], b: [i64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    for &q in pts {
        while hull.len() >= 2 && turn(hull[hull.len() - 2], hull[hull.len() - 1], q) <= 0 {
            hull.pop();
        }
        hull.push(q);
    }
    let lower = hull.len() + 1;
    for &q in pts.iter().rev().skip(1) {
        while hull.len() >= lower && turn(hull[hull.len() - 2], hull[hull.len() - 1], q) <= 0 {
            hull.pop();
        }
        hull.push(q);
    }
    hull.pop();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Every directed edge used exactly once and its reverse exactly once.
    fn closed_and_oriented(m: &Mesh) -> bool {
        let mut directed: HashMap<(usize, usize), usize> = HashMap::new();
        for f in &m.faces {
            for k in 0..3 {
                *directed.entry((f[k], f[(k + 1) % 3])).or_default() += 1;
            }
        }
        directed
            .iter()
            .all(|(&(a, b), &n)| n == 1 && directed.get(&(b, a)) == Some(&1))
    }

    #[test]
    fn every_configuration_gives_closed_oriented_loops() {
        for config in 0..=255u8 {
            let l = loops(config);
            let used: usize = l.iter().map(|l| l.len()).sum();
            // Each crossed edge is in exactly one loop.
            let crossed = edges()
                .iter()
                .filter(|&&(c, a)| (config >> c & 1) != (config >> (c | 1 << a) & 1))
                .count();
            assert_eq!(used, crossed, "config {config}");
            assert!(l.iter().all(|l| l.len() >= 3));
        }
        assert!(loops(0).is_empty() && loops(255).is_empty());
    }

    #[test]
    fn every_2x2x3_mask_gives_a_closed_oriented_manifold() {
        // Covers every pair of face-adjacent cube configurations, along each axis.
        for (bits, axis) in (0u32..1 << 12).flat_map(|b| (0..3).map(move |a| (b, a))) {
            let mut dims = [2usize; 3];
            dims[axis] = 3;
            let mut m = Array3::from_elem((dims[0], dims[1], dims[2]), false);
            for (i, v) in m.iter_mut().enumerate() {
                *v = bits >> i & 1 == 1;
            }
            if let Some(p) = Padded::new(&m) {
                let mesh = Mesh::build(&p);
                assert!(closed_and_oriented(&mesh), "mask bits {bits:012b}");
                let r = measure(&p, &Table::new([1.0; 3]), [1.0; 3]);
                assert!(r.signed_volume6 > 0);
            }
        }
    }

    #[test]
    fn basic_cases_of_the_table() {
        let t = triangles();
        let pts: Vec<[i64; 3]> = edges().iter().map(|&e| edge_point(e)).collect();
        // One ROI corner (corner 0): one triangle through the three edge midpoints next to
        // it, its normal pointing away from the corner, i.e. towards (+1, +1, +1).
        assert_eq!(t[1].len(), 1);
        let [a, b, c] = t[1][0].map(|e| pts[e]);
        let n = cross(sub(b, a), sub(c, a));
        assert!(n.iter().all(|&v| v > 0), "{n:?}");
        // Two corners along x (0 and 1): a planar quad, two triangles.
        assert_eq!(t[0b11].len(), 2);
        // Four corners of the face z = 0: one plane z = 1/2 (doubled 1), normal +z.
        assert_eq!(t[0x0f].len(), 2);
        for tri in &t[0x0f] {
            let [a, b, c] = tri.map(|e| pts[e]);
            assert!(a[2] == 1 && b[2] == 1 && c[2] == 1);
            assert!(cross(sub(b, a), sub(c, a))[2] > 0);
        }
        // Three corners on a face (0, 1, 2): a pentagon, three triangles.
        assert_eq!(t[0b111].len(), 3);
        // Complement: same triangles, reversed orientation, for one corner outside.
        assert_eq!(t[0xfe].len(), 1);
        // Two diagonal ROI corners of a face (0 and 3): separated, two triangles.
        assert_eq!(t[0b1001].len(), 2);
        // Without ambiguous faces a configuration and its complement have the same loops,
        // reversed: their summed area vectors are opposite.
        let tab = Table::new([1.0; 3]);
        let ambiguous = |c: usize| {
            (0..3).any(|a| {
                let (b, d) = (1 << ((a + 1) % 3), 1 << ((a + 2) % 3));
                (0..2).any(|s| {
                    let base = s << a;
                    let bit = |k: usize| c >> k & 1;
                    bit(base) == bit(base | b | d)
                        && bit(base | b) == bit(base | d)
                        && bit(base) != bit(base | b)
                })
            })
        };
        let mut unambiguous = 0;
        for c in 1..255usize {
            if !ambiguous(c) {
                unambiguous += 1;
                let (n, m) = (tab.normal_sum[c], tab.normal_sum[255 - c]);
                assert_eq!(n, [-m[0], -m[1], -m[2]], "config {c}");
            }
        }
        assert!(unambiguous > 100);
    }

    #[test]
    fn single_voxel_is_an_octahedron() {
        let mut m = Array3::from_elem((1, 1, 1), true);
        let p = Padded::new(&m).unwrap();
        let t = Table::new([1.0; 3]);
        let mesh = Mesh::build(&p);
        assert_eq!(mesh.vertices.len(), 6);
        assert_eq!(mesh.faces.len(), 8);
        assert!(closed_and_oriented(&mesh));
        let r = measure(&p, &t, [1.0; 3]);
        // Octahedron with half-diagonals 0.5: volume 4/3 * 0.5^3 = 1/6; area 8 * sqrt(3)/8.
        assert!((r.volume - 1.0 / 6.0).abs() < 1e-12);
        assert!((r.area - 3f64.sqrt()).abs() < 1e-12);
        assert!(r.signed_volume6 > 0);
        m[[0, 0, 0]] = false;
        assert!(Padded::new(&m).is_none());
    }

    #[test]
    fn box_volume_matches_the_marching_cubes_solid() {
        // An a x b x c box of unit voxels: the mesh solid is the box [-1/2, a - 1/2] x ...
        // with every edge chamfered. Per unit length of a box edge the chamfer removes a
        // right triangular prism of legs 1/2 (volume 1/8), over a - 1 (b - 1, c - 1) edge
        // cubes on each of the 4 edges along x (y, z); each of the 8 corner cubes keeps a
        // tetrahedron of legs 1/2 (1/48) of its 1/8 box share. Hence
        // V = abc - (a + b + c - 3)/2 - 8 (1/8 - 1/48) = abc - (a + b + c)/2 + 2/3.
        let t = Table::new([1.0; 3]);
        for (a, b, c) in [(1usize, 1, 1), (2, 1, 1), (2, 2, 2), (3, 4, 5), (7, 2, 3)] {
            let m = Array3::from_elem((c, b, a), true);
            let p = Padded::new(&m).unwrap();
            let r = measure(&p, &t, [1.0; 3]);
            let (a, b, c) = (a as f64, b as f64, c as f64);
            let expect = a * b * c - (a + b + c) / 2.0 + 2.0 / 3.0;
            assert!(
                (r.volume - expect).abs() < 1e-12,
                "{a}x{b}x{c}: {} vs {expect}",
                r.volume
            );
            assert!(closed_and_oriented(&Mesh::build(&p)));
        }
    }

    #[test]
    fn hull_candidates_of_a_box_are_its_vertex_extremes() {
        let m = Array3::from_elem((2, 2, 2), true);
        let p = Padded::new(&m).unwrap();
        let c = hull_candidates(&p);
        // The mesh of a 2x2x2 box: a box with chamfered edges; its hull vertices are the
        // 24 vertices at the ends of the 6 face squares' corners.
        assert_eq!(c.len(), 24, "{c:?}");
    }
}
