//! Property tests of the morphological features.

use std::collections::HashMap;

use ndarray::Array3;
use proptest::prelude::*;
use radx_core::settings::SpatialAutocorrelation;
use radx_core::{Grid, Roi};
use radx_morphology::{autocorr, hull, max_diameter, mesh, morphology};

/// A random ROI: image, morphological mask, and an intensity mask inside it.
fn roi_strategy(max: usize) -> impl Strategy<Value = Roi> {
    (
        1..=max,
        1..=max,
        1..=max,
        0.5f64..3.0,
        0.5f64..3.0,
        0.5f64..3.0,
    )
        .prop_flat_map(|(nz, ny, nx, sz, sy, sx)| {
            let n = nz * ny * nx;
            (
                Just((nz, ny, nx, [sz, sy, sx])),
                prop::collection::vec(-50i32..50, n),
                prop::collection::vec(0u8..3, n),
                0..n,
            )
        })
        .prop_map(|((nz, ny, nx, sp), vals, kinds, force)| {
            // kind 0: outside, 1: morphological only, 2: both masks.
            let mut kinds = kinds;
            kinds[force] = 2;
            let image =
                Array3::from_shape_vec((nz, ny, nx), vals.into_iter().map(f64::from).collect())
                    .unwrap();
            let morph =
                Array3::from_shape_vec((nz, ny, nx), kinds.iter().map(|&k| k > 0).collect())
                    .unwrap();
            let inten =
                Array3::from_shape_vec((nz, ny, nx), kinds.iter().map(|&k| k == 2).collect())
                    .unwrap();
            Roi {
                grid: Grid::new([nz, ny, nx], sp, [0.0; 3]),
                image,
                morphological: morph,
                intensity: inten,
            }
        })
}

fn closed_and_oriented(m: &mesh::Mesh) -> bool {
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

fn mm(v: [i64; 3], sxyz: [f64; 3]) -> [f64; 3] {
    [
        v[0] as f64 * sxyz[0] / 2.0,
        v[1] as f64 * sxyz[1] / 2.0,
        v[2] as f64 * sxyz[2] / 2.0,
    ]
}

fn values(roi: &Roi) -> Vec<(&'static str, Result<f64, String>)> {
    morphology(roi, SpatialAutocorrelation::Exact).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The FFT evaluation of Moran's I and Geary's C equals the pairwise double sums.
    #[test]
    fn moran_geary_fft_equals_brute_force(roi in roi_strategy(9)) {
        let sp = roi.grid.spacing_zyx;
        let fast = autocorr::exact(&roi.image, &roi.intensity, sp);
        let slow = autocorr::brute_force(&roi.image, &roi.intensity, sp);
        match (&fast.moran_i, &slow.moran_i) {
            (Ok(a), Ok(b)) => prop_assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "moran {a} vs {b}"),
            (Err(_), Err(_)) => {}
            other => prop_assert!(false, "{other:?}"),
        }
        match (&fast.geary_c, &slow.geary_c) {
            (Ok(a), Ok(b)) => prop_assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "geary {a} vs {b}"),
            (Err(_), Err(_)) => {}
            other => prop_assert!(false, "{other:?}"),
        }
    }

    /// The mesh is closed and consistently oriented, the fast measures equal those of the
    /// explicit mesh, the hull contains every mesh vertex, and the diameter equals the
    /// brute-force maximum over all mesh vertices.
    #[test]
    fn mesh_and_hull_are_sound(roi in roi_strategy(7)) {
        let sp = roi.grid.spacing_zyx;
        let sxyz = [sp[2], sp[1], sp[0]];
        let p = mesh::Padded::new(&roi.morphological).unwrap();
        let t = mesh::Table::new(sxyz);
        let m = mesh::Mesh::build(&p);
        prop_assert!(closed_and_oriented(&m));
        let fast = mesh::measure(&p, &t, sxyz);
        prop_assert!(fast.signed_volume6 > 0);
        let (mut v, mut a) = (0.0, 0.0);
        for f in &m.faces {
            let [p0, p1, p2] = [mm(m.vertices[f[0]], sxyz), mm(m.vertices[f[1]], sxyz), mm(m.vertices[f[2]], sxyz)];
            let u = [p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]];
            let w = [p2[0] - p0[0], p2[1] - p0[1], p2[2] - p0[2]];
            let c = [u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]];
            a += (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt() / 2.0;
            let bc = [p1[1] * p2[2] - p1[2] * p2[1], p1[2] * p2[0] - p1[0] * p2[2], p1[0] * p2[1] - p1[1] * p2[0]];
            v += (p0[0] * bc[0] + p0[1] * bc[1] + p0[2] * bc[2]) / 6.0;
        }
        prop_assert!((v - fast.volume).abs() < 1e-9 * fast.volume.max(1.0), "{v} vs {}", fast.volume);
        prop_assert!((a - fast.area).abs() < 1e-9 * fast.area.max(1.0), "{a} vs {}", fast.area);
        let h = hull::convex_hull(&mesh::hull_candidates(&p)).unwrap();
        for q in &m.vertices {
            prop_assert!(h.contains(*q));
        }
        let hv = h.volume6() as f64 / 48.0 * sxyz[0] * sxyz[1] * sxyz[2];
        prop_assert!(hv >= fast.volume * (1.0 - 1e-12));
        let hull_mm: Vec<[f64; 3]> = h.vertices.iter().map(|&q| mm(q, sxyz)).collect();
        let all_mm: Vec<[f64; 3]> = m.vertices.iter().map(|&q| mm(q, sxyz)).collect();
        let mut brute = 0.0f64;
        for i in 0..all_mm.len() {
            for j in 0..i {
                let d = (0..3).map(|k| (all_mm[i][k] - all_mm[j][k]).powi(2)).sum::<f64>();
                brute = brute.max(d);
            }
        }
        prop_assert!((max_diameter(&hull_mm) - brute.sqrt()).abs() < 1e-9);
    }

    /// Features do not depend on where the ROI sits in the image.
    #[test]
    fn translation_invariance(roi in roi_strategy(6), shift in (0usize..4, 0usize..4, 0usize..4)) {
        let (nz, ny, nx) = roi.image.dim();
        let big = (nz + 4, ny + 4, nx + 4);
        let mut moved = Roi {
            grid: Grid::new([big.0, big.1, big.2], roi.grid.spacing_zyx, [0.0; 3]),
            image: Array3::from_elem(big, 7.0),
            morphological: Array3::from_elem(big, false),
            intensity: Array3::from_elem(big, false),
        };
        for ((z, y, x), &v) in roi.image.indexed_iter() {
            let at = [z + shift.0, y + shift.1, x + shift.2];
            moved.image[at] = v;
            moved.morphological[at] = roi.morphological[[z, y, x]];
            moved.intensity[at] = roi.intensity[[z, y, x]];
        }
        for ((name, a), (_, b)) in values(&roi).into_iter().zip(values(&moved)) {
            match (a, b) {
                (Ok(a), Ok(b)) => prop_assert!((a - b).abs() <= 1e-9 * (1.0 + a.abs()), "{name}: {a} vs {b}"),
                (Err(_), Err(_)) => {}
                (a, b) => prop_assert!(false, "{name}: {a:?} vs {b:?}"),
            }
        }
    }

    /// Boxes: voxel-counting volume, mesh volume and area of the marching-cubes solid
    /// (box with chamfered edges), bounding-box volume density.
    #[test]
    fn box_roi(a in 1usize..8, b in 1usize..8, c in 1usize..8, sz in 0.5f64..3.0, sy in 0.5f64..3.0, sx in 0.5f64..3.0) {
        let dims = (c + 2, b + 2, a + 2);
        let mut mask = Array3::from_elem(dims, false);
        for z in 1..=c { for y in 1..=b { for x in 1..=a { mask[[z, y, x]] = true; } } }
        let roi = Roi {
            grid: Grid::new([dims.0, dims.1, dims.2], [sz, sy, sx], [0.0; 3]),
            image: Array3::from_elem(dims, 1.0),
            intensity: mask.clone(),
            morphological: mask,
        };
        let v = values(&roi);
        let get = |n: &str| v.iter().find(|x| x.0 == n).unwrap().1.clone().unwrap();
        let (fa, fb, fc) = (a as f64, b as f64, c as f64);
        let voxel = sx * sy * sz;
        prop_assert!((get("vol_approx") - fa * fb * fc * voxel).abs() < 1e-9);
        let expect = (fa * fb * fc - (fa + fb + fc) / 2.0 + 2.0 / 3.0) * voxel;
        prop_assert!((get("volume") - expect).abs() < 1e-9 * expect);
        prop_assert!((get("vol_dens_aabb") - expect / (fa * fb * fc * voxel)).abs() < 1e-12);
        // The box mesh is convex: its hull is itself.
        prop_assert!((get("vol_dens_conv_hull") - 1.0).abs() < 1e-12);
        prop_assert!((get("area_dens_conv_hull") - 1.0).abs() < 1e-12);
        // Uniform intensity: integrated intensity = volume; CoM shift 0; Moran undefined.
        prop_assert!((get("integ_int") - expect).abs() < 1e-9 * expect);
        prop_assert!(get("com").abs() < 1e-9);
        prop_assert!(v.iter().find(|x| x.0 == "moran_i").unwrap().1.is_err());
    }
}
