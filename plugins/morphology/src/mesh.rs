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
//! Loops with more than three vertices (non-planar for ambiguous or anisotropic cases)
//! are triangulated with the minimal-area triangulation for the actual voxel spacing.

use ndarray::Array3;

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
            // Segments with a reference corner on the ROI side.
            let mut segs: Vec<(usize, usize, usize)> = Vec::new();
            match crossed.len() {
                0 => {}
                2 => {
                    let r = *cyc.iter().find(|&&c| inside(c)).expect("an ROI corner");
                    segs.push((
                        edge_of(cyc[crossed[0]], cyc[(crossed[0] + 1) % 4]),
                        edge_of(cyc[crossed[1]], cyc[(crossed[1] + 1) % 4]),
                        r,
                    ));
                }
                4 => {
                    // Ambiguous face: cut off each ROI corner.
                    for k in 0..4 {
                        if inside(cyc[k]) {
                            let prev = (k + 3) % 4;
                            segs.push((
                                edge_of(cyc[prev], cyc[k]),
                                edge_of(cyc[k], cyc[(k + 1) % 4]),
                                cyc[k],
                            ));
                        }
                    }
                }
                _ => unreachable!("a face has an even number of crossed edges"),
            }
            for (p, q, r) in segs {
                let (pp, qp) = (edge_point(edges[p]), edge_point(edges[q]));
                let rp: Vec<i64> = corner(r).iter().map(|v| 2 * v).collect();
                let side = dot(cross(sub(qp, pp), sub([rp[0], rp[1], rp[2]], pp)), normal);
                let (from, to) = if side < 0 { (p, q) } else { (q, p) };
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

/// Minimal-area triangulation of a loop of points (mm), as index triples in loop order.
fn triangulate(pts: &[[f64; 3]]) -> Vec<[usize; 3]> {
    let n = pts.len();
    if n == 3 {
        return vec![[0, 1, 2]];
    }
    let area = |i: usize, j: usize, k: usize| {
        let u = [pts[j][0] - pts[i][0], pts[j][1] - pts[i][1], pts[j][2] - pts[i][2]];
        let v = [pts[k][0] - pts[i][0], pts[k][1] - pts[i][1], pts[k][2] - pts[i][2]];
        let c = [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ];
        (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt() / 2.0
    };
    // cost[i][j]: minimal area of the polygon i..=j closed by chord (i, j).
    let mut cost = vec![vec![0.0f64; n]; n];
    let mut split = vec![vec![0usize; n]; n];
    for len in 2..n {
        for i in 0..n - len {
            let j = i + len;
            let mut best = f64::INFINITY;
            for k in i + 1..j {
                let c = cost[i][k] + cost[k][j] + area(i, k, j);
                // Deterministic: the first split wins unless clearly better.
                if c < best - 1e-12 {
                    best = c;
                    split[i][j] = k;
                }
            }
            cost[i][j] = best;
        }
    }
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

/// The marching-cubes table for one voxel spacing.
pub struct Table {
    /// Triangles per configuration, as edge-index triples.
    pub triangles: Vec<Vec<[usize; 3]>>,
    /// Per configuration: summed triangle area in mm².
    area: Vec<f64>,
    /// Per configuration: summed doubled-coordinate normals `(b - a) × (c - a)`.
    normal_sum: Vec<[i64; 3]>,
    /// Per configuration: summed `a · (b × c)` with doubled coordinates relative to the
    /// cube's lower corner.
    triple_sum: Vec<i64>,
}

impl Table {
    /// Builds the table for voxel spacing `sxyz` (x, y, z) in mm.
    pub fn new(sxyz: [f64; 3]) -> Table {
        let edges = edges();
        let pts: Vec<[i64; 3]> = edges.iter().map(|&e| edge_point(e)).collect();
        let mm = |p: [i64; 3]| [p[0] as f64 * sxyz[0], p[1] as f64 * sxyz[1], p[2] as f64 * sxyz[2]];
        let mut t = Table {
            triangles: Vec::with_capacity(256),
            area: Vec::with_capacity(256),
            normal_sum: Vec::with_capacity(256),
            triple_sum: Vec::with_capacity(256),
        };
        for config in 0..=255u8 {
            let mut tris = Vec::new();
            for l in loops(config) {
                let lp: Vec<[f64; 3]> = l.iter().map(|&e| mm(pts[e])).collect();
                for [i, j, k] in triangulate(&lp) {
                    tris.push([l[i], l[j], l[k]]);
                }
            }
            let (mut area, mut ns, mut ts) = (0.0, [0i64; 3], 0i64);
            for &[a, b, c] in &tris {
                let n = cross(sub(pts[b], pts[a]), sub(pts[c], pts[a]));
                area += area_of_normal(n, sxyz);
                for d in 0..3 {
                    ns[d] += n[d];
                }
                ts += dot(pts[a], cross(pts[b], pts[c]));
            }
            t.triangles.push(tris);
            t.area.push(area);
            t.normal_sum.push(ns);
            t.triple_sum.push(ts);
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
        let mut lo = [usize::MAX; 3];
        let mut hi = [0usize; 3];
        for ((z, y, x), &m) in mask.indexed_iter() {
            if m {
                for (a, v) in [z, y, x].into_iter().enumerate() {
                    lo[a] = lo[a].min(v);
                    hi[a] = hi[a].max(v);
                }
            }
        }
        if lo[0] == usize::MAX {
            return None;
        }
        let _ = (nz, ny, nx);
        let dims = [hi[0] - lo[0] + 3, hi[1] - lo[1] + 3, hi[2] - lo[2] + 3];
        let mut data = vec![0u8; dims[0] * dims[1] * dims[2]];
        for z in lo[0]..=hi[0] {
            for y in lo[1]..=hi[1] {
                let row = ((z - lo[0] + 1) * dims[1] + (y - lo[1] + 1)) * dims[2] + 1;
                for x in lo[2]..=hi[2] {
                    data[row + x - lo[2]] = mask[[z, y, x]] as u8;
                }
            }
        }
        Some(Padded { data, dims, offset: lo })
    }

    fn at(&self, z: usize, y: usize, x: usize) -> u8 {
        self.data[(z * self.dims[1] + y) * self.dims[2] + x]
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
    pub fn build(p: &Padded, table: &Table) -> Mesh {
        let edges = edges();
        let pts: Vec<[i64; 3]> = edges.iter().map(|&e| edge_point(e)).collect();
        let mut index = std::collections::HashMap::new();
        let mut mesh = Mesh {
            vertices: Vec::new(),
            faces: Vec::new(),
        };
        for_each_cube(p, |config, b| {
            for tri in &table.triangles[config as usize] {
                let mut f = [0usize; 3];
                for (slot, &e) in f.iter_mut().zip(tri) {
                    let v = [2 * b[0] + pts[e][0], 2 * b[1] + pts[e][1], 2 * b[2] + pts[e][2]];
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
            match (z2 % 2, y2 % 2) {
                (0, 0) => {
                    let (k, j) = (z2 / 2, y2 / 2);
                    for i in 0..dx - 1 {
                        if p.at(k, j, i) != p.at(k, j, i + 1) {
                            note(2 * i as i64 + 1);
                        }
                    }
                }
                (0, 1) => {
                    let (k, j) = (z2 / 2, y2 / 2);
                    for i in 0..dx {
                        if p.at(k, j, i) != p.at(k, j + 1, i) {
                            note(2 * i as i64);
                        }
                    }
                }
                (1, 0) => {
                    let (k, j) = (z2 / 2, y2 / 2);
                    for i in 0..dx {
                        if p.at(k, j, i) != p.at(k + 1, j, i) {
                            note(2 * i as i64);
                        }
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
    fn single_voxel_is_an_octahedron() {
        let mut m = Array3::from_elem((1, 1, 1), true);
        let p = Padded::new(&m).unwrap();
        let t = Table::new([1.0; 3]);
        let mesh = Mesh::build(&p, &t);
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
            assert!((r.volume - expect).abs() < 1e-12, "{a}x{b}x{c}: {} vs {expect}", r.volume);
            assert!(closed_and_oriented(&Mesh::build(&p, &t)));
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
