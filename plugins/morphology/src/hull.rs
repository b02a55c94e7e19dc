//! 3D convex hull (quickhull) on integer points with exact arithmetic.
//!
//! Mesh vertices have integer doubled voxel coordinates (see [`crate::mesh`]), so every
//! orientation test is an exact integer determinant (`i128`): no tolerance, no
//! robustness failure on the many coplanar points of a voxel surface. A point is added
//! only when it lies strictly outside a face; points on a face plane are inside. The hull
//! of an anisotropically scaled point set is the scaled hull, so hull volume and area in
//! mm follow from the integer hull.

use crate::mesh::{area_of_normal, cross, dot, sub};

/// A convex hull: its vertices and outward-oriented triangular faces (indices into
/// `vertices`).
#[derive(Debug, Clone)]
pub struct Hull {
    pub vertices: Vec<[i64; 3]>,
    pub faces: Vec<[usize; 3]>,
}

struct Face {
    v: [usize; 3],
    normal: [i128; 3],
    offset: i128,
    /// `nb[k]`: face across edge `v[k] -> v[(k + 1) % 3]`.
    nb: [usize; 3],
    outside: Vec<usize>,
    alive: bool,
}

fn to128(a: [i64; 3]) -> [i128; 3] {
    [a[0] as i128, a[1] as i128, a[2] as i128]
}

fn cross128(a: [i128; 3], b: [i128; 3]) -> [i128; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot128(a: [i128; 3], b: [i128; 3]) -> i128 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn sub128(a: [i128; 3], b: [i128; 3]) -> [i128; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

impl Face {
    fn new(v: [usize; 3], p: &[[i128; 3]]) -> Face {
        let normal = cross128(sub128(p[v[1]], p[v[0]]), sub128(p[v[2]], p[v[0]]));
        Face {
            v,
            normal,
            offset: dot128(normal, p[v[0]]),
            nb: [usize::MAX; 3],
            outside: Vec::new(),
            alive: true,
        }
    }
    /// Positive when `q` is strictly outside (above) the face.
    fn height(&self, q: [i128; 3]) -> i128 {
        dot128(self.normal, q) - self.offset
    }
}

/// Convex hull of `points`; `None` when the points do not span 3D (fewer than four
/// non-coplanar points).
pub fn convex_hull(points: &[[i64; 3]]) -> Option<Hull> {
    let mut pts: Vec<[i64; 3]> = points.to_vec();
    pts.sort_unstable();
    pts.dedup();
    let p: Vec<[i128; 3]> = pts.iter().map(|&q| to128(q)).collect();
    if p.len() < 4 {
        return None;
    }
    // Initial tetrahedron: lexicographic minimum, farthest point, farthest from their
    // line, farthest from their plane.
    let i0 = 0;
    let d2 = |a: [i128; 3], b: [i128; 3]| {
        let d = sub128(a, b);
        dot128(d, d)
    };
    let i1 = (0..p.len()).max_by_key(|&i| (d2(p[i], p[i0]), std::cmp::Reverse(i)))?;
    if d2(p[i1], p[i0]) == 0 {
        return None;
    }
    let line = |i: usize| {
        let c = cross128(sub128(p[i1], p[i0]), sub128(p[i], p[i0]));
        dot128(c, c)
    };
    let i2 = (0..p.len()).max_by_key(|&i| (line(i), std::cmp::Reverse(i)))?;
    if line(i2) == 0 {
        return None;
    }
    let n = cross128(sub128(p[i1], p[i0]), sub128(p[i2], p[i0]));
    let plane = |i: usize| dot128(n, sub128(p[i], p[i0]));
    let i3 = (0..p.len()).max_by_key(|&i| (plane(i).abs(), std::cmp::Reverse(i)))?;
    if plane(i3) == 0 {
        return None;
    }
    // Orient the base so that i3 lies below it.
    let (a, b, c, d) = if plane(i3) > 0 {
        (i0, i2, i1, i3)
    } else {
        (i0, i1, i2, i3)
    };
    let mut faces: Vec<Face> = vec![
        Face::new([a, b, c], &p),
        Face::new([a, d, b], &p),
        Face::new([b, d, c], &p),
        Face::new([c, d, a], &p),
    ];
    link_all(&mut faces);
    // Assign every other point to the first face it is strictly outside of.
    for (i, &q) in p.iter().enumerate() {
        if i == a || i == b || i == c || i == d {
            continue;
        }
        if let Some(f) = faces.iter_mut().find(|f| f.height(q) > 0) {
            f.outside.push(i);
        }
    }

    let mut stamp = vec![0usize; faces.len()];
    let mut round = 0usize;
    let mut start_of = vec![usize::MAX; p.len()];
    let mut work: Vec<usize> = (0..faces.len()).collect();
    let mut visible: Vec<usize> = Vec::new();
    let mut horizon: Vec<(usize, usize, usize)> = Vec::new(); // (from, to, outer face)
    let mut stack: Vec<usize> = Vec::new();
    while let Some(f0) = work.pop() {
        if !faces[f0].alive || faces[f0].outside.is_empty() {
            continue;
        }
        // Farthest outside point of f0 (ties: lowest index).
        let apex = *faces[f0]
            .outside
            .iter()
            .max_by_key(|&&i| (faces[f0].height(p[i]), std::cmp::Reverse(i)))
            .expect("non-empty");
        let q = p[apex];
        // Visible region by flood fill from f0.
        round += 1;
        visible.clear();
        horizon.clear();
        stamp.resize(faces.len(), 0);
        stack.clear();
        stack.push(f0);
        stamp[f0] = round;
        while let Some(f) = stack.pop() {
            visible.push(f);
            for k in 0..3 {
                let g = faces[f].nb[k];
                if faces[g].height(q) > 0 {
                    if stamp[g] != round {
                        stamp[g] = round;
                        stack.push(g);
                    }
                } else {
                    horizon.push((faces[f].v[k], faces[f].v[(k + 1) % 3], g));
                }
            }
        }
        // New faces (from, to, apex), linked to the outer faces and to each other.
        let first_new = faces.len();
        for (h, &(from, to, outer)) in horizon.iter().enumerate() {
            let mut nf = Face::new([from, to, apex], &p);
            nf.nb[0] = outer;
            let idx = first_new + h;
            let k = (0..3)
                .find(|&k| faces[outer].v[k] == to && faces[outer].v[(k + 1) % 3] == from)
                .expect("horizon edge is shared");
            faces[outer].nb[k] = idx;
            start_of[from] = idx;
            faces.push(nf);
        }
        for h in 0..horizon.len() {
            let (from, to, _) = horizon[h];
            let idx = first_new + h;
            // Edge to -> apex borders the new face starting at `to`; apex -> from the one
            // ending at `from`.
            let next = start_of[to];
            faces[idx].nb[1] = next;
            faces[next].nb[2] = idx;
            let _ = from;
        }
        for &(from, _, _) in &horizon {
            start_of[from] = usize::MAX;
        }
        // Re-assign the outside points of the visible faces.
        let mut orphans: Vec<usize> = Vec::new();
        for &f in &visible {
            faces[f].alive = false;
            orphans.append(&mut faces[f].outside);
        }
        orphans.sort_unstable();
        for i in orphans {
            if i == apex {
                continue;
            }
            if let Some(f) = (first_new..faces.len()).find(|&f| faces[f].height(p[i]) > 0) {
                faces[f].outside.push(i);
            }
        }
        for f in first_new..faces.len() {
            if !faces[f].outside.is_empty() {
                work.push(f);
            }
        }
    }

    // Compact: keep alive faces and the vertices they use.
    let mut remap = vec![usize::MAX; p.len()];
    let mut hull = Hull {
        vertices: Vec::new(),
        faces: Vec::new(),
    };
    for f in faces.iter().filter(|f| f.alive) {
        let mut t = [0usize; 3];
        for (slot, &v) in t.iter_mut().zip(&f.v) {
            if remap[v] == usize::MAX {
                remap[v] = hull.vertices.len();
                hull.vertices.push(pts[v]);
            }
            *slot = remap[v];
        }
        hull.faces.push(t);
    }
    Some(hull)
}

/// Links the neighbours of a closed set of faces (used for the initial tetrahedron).
fn link_all(faces: &mut [Face]) {
    for f in 0..faces.len() {
        for k in 0..3 {
            let (a, b) = (faces[f].v[k], faces[f].v[(k + 1) % 3]);
            let g = (0..faces.len())
                .find(|&g| (0..3).any(|j| faces[g].v[j] == b && faces[g].v[(j + 1) % 3] == a))
                .expect("closed tetrahedron");
            faces[f].nb[k] = g;
        }
    }
}

impl Hull {
    /// Six times the signed volume in the points' own (integer) units.
    pub fn volume6(&self) -> i128 {
        self.faces
            .iter()
            .map(|f| {
                let [a, b, c] = [
                    self.vertices[f[0]],
                    self.vertices[f[1]],
                    self.vertices[f[2]],
                ];
                dot128(to128(a), cross128(to128(b), to128(c)))
            })
            .sum()
    }

    /// Surface area in mm² for doubled coordinates and spacing `sxyz` (x, y, z).
    pub fn area_mm(&self, sxyz: [f64; 3]) -> f64 {
        self.faces
            .iter()
            .map(|f| {
                let [a, b, c] = [
                    self.vertices[f[0]],
                    self.vertices[f[1]],
                    self.vertices[f[2]],
                ];
                area_of_normal(cross(sub(b, a), sub(c, a)), sxyz)
            })
            .sum()
    }

    /// Whether every point lies inside or on the hull (used by tests).
    pub fn contains(&self, q: [i64; 3]) -> bool {
        self.faces.iter().all(|f| {
            let [a, b, c] = [
                self.vertices[f[0]],
                self.vertices[f[1]],
                self.vertices[f[2]],
            ];
            let n = cross(sub(b, a), sub(c, a));
            dot(n, sub(q, a)) <= 0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cube_with_interior_and_face_points() {
        let mut pts = Vec::new();
        for x in 0..=4 {
            for y in 0..=4 {
                for z in 0..=4 {
                    pts.push([x, y, z]);
                }
            }
        }
        let h = convex_hull(&pts).unwrap();
        assert_eq!(h.vertices.len(), 8);
        assert_eq!(h.volume6(), 6 * 64);
        assert!((h.area_mm([2.0, 2.0, 2.0]) - 96.0).abs() < 1e-9);
        for q in &pts {
            assert!(h.contains(*q));
        }
    }

    #[test]
    fn degenerate_inputs_are_refused() {
        assert!(convex_hull(&[[0, 0, 0], [1, 0, 0], [2, 0, 0], [5, 0, 0]]).is_none());
        assert!(convex_hull(&[[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [3, 2, 0]]).is_none());
        assert!(convex_hull(&[[0, 0, 0], [1, 0, 0], [0, 1, 0]]).is_none());
    }

    #[test]
    fn closed_oriented_and_containing() {
        // A deterministic scatter of points.
        let mut s = 12345u64;
        let mut rnd = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % 41) as i64 - 20
        };
        for _ in 0..20 {
            let pts: Vec<[i64; 3]> = (0..200).map(|_| [rnd(), rnd(), rnd() / 3]).collect();
            let h = convex_hull(&pts).unwrap();
            assert!(h.volume6() > 0);
            for q in &pts {
                assert!(h.contains(*q));
            }
            let mut edges = std::collections::HashMap::new();
            for f in &h.faces {
                for k in 0..3 {
                    *edges.entry((f[k], f[(k + 1) % 3])).or_insert(0) += 1;
                }
            }
            for (&(a, b), &n) in &edges {
                assert_eq!(n, 1);
                assert_eq!(edges.get(&(b, a)), Some(&1));
            }
            // Euler: V - E + F = 2.
            assert_eq!(
                h.vertices.len() as i64 - edges.len() as i64 / 2 + h.faces.len() as i64,
                2
            );
        }
    }
}
