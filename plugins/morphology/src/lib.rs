//! Morphological features (IBSI 1, 03_Image_features, "Morphological features", HCUG).
//!
//! Which voxels feed which feature (IBSI "ROI morphological and intensity masks"):
//!
//! * the **morphological mask** gives the surface mesh (volume, area and everything
//!   derived from them, the convex hull, the bounding boxes and ellipsoids), the voxel
//!   count, the PCA of the voxel centres and the geometric centre of mass;
//! * the **intensity mask** gives the intensities: the intensity-weighted centre of mass,
//!   the mean intensity of *integrated intensity*, and Moran's I / Geary's C (whose voxel
//!   point set is that of the intensity mask).
//!
//! Lengths are in mm from the grid spacing (`Grid::spacing_zyx`), along the image axes:
//! the axis-aligned bounding box is aligned with the voxel grid. Every other feature is
//! invariant to the grid's orientation.
//!
//! The mesh is built by [`mesh`] (marching cubes at iso-level 0.5 on the padded mask),
//! its convex hull by [`hull`] (exact quickhull on the mesh vertices), the ellipsoids by
//! [`ellipsoid`] and the spatial autocorrelation by [`autocorr`].
//!
//! Must not: read files, discretise or implement texture aggregation itself (radx-process
//! and radx-texture do); a plugin computes its family's features from the
//! [`radx_core::FeatureInput`] it is given.

// Dense 3x3 / 4x4 linear algebra and mesh tables read best with explicit indices.
#![allow(clippy::needless_range_loop)]

pub mod autocorr;
pub mod ellipsoid;
pub mod hull;
pub mod mesh;

use std::f64::consts::PI;

use radx_core::settings::SpatialAutocorrelation;
use radx_core::{
    FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo, Roi,
};

pub struct Plugin(PluginInfo);

/// `(name, IBSI id, unit)` of every feature, in output order.
pub const FEATURES: &[(&str, &str, &str)] = &[
    ("volume", "RNU0", "mm^3"),
    ("vol_approx", "YEKZ", "mm^3"),
    ("area_mesh", "C0JK", "mm^2"),
    ("av", "2PR5", "mm^-1"),
    ("comp_1", "SKGS", "1"),
    ("comp_2", "BQWJ", "1"),
    ("sph_dispr", "KRCK", "1"),
    ("sphericity", "QCFX", "1"),
    ("asphericity", "25C7", "1"),
    ("com", "KLMA", "mm"),
    ("diam", "L0JK", "mm"),
    ("pca_maj_axis", "TDIC", "mm"),
    ("pca_min_axis", "P9VJ", "mm"),
    ("pca_least_axis", "7J51", "mm"),
    ("pca_elongation", "Q3CK", "1"),
    ("pca_flatness", "N17B", "1"),
    ("vol_dens_aabb", "PBX1", "1"),
    ("area_dens_aabb", "R59B", "1"),
    ("vol_dens_ombb", "ZH1A", "1"),
    ("area_dens_ombb", "IQYR", "1"),
    ("vol_dens_aee", "6BDE", "1"),
    ("area_dens_aee", "RDD2", "1"),
    ("vol_dens_mvee", "SWZ1", "1"),
    ("area_dens_mvee", "BRI8", "1"),
    ("vol_dens_conv_hull", "R3ER", "1"),
    ("area_dens_conv_hull", "7T7F", "1"),
    ("integ_int", "99N0", "intensity mm^3"),
    ("moran_i", "N365", "1"),
    ("geary_c", "NPT7", "1"),
];

/// Why the oriented-minimum-bounding-box densities are not computed.
pub const OMBB_REASON: &str =
    "not computed: the IBSI defines no reference value for the oriented minimum bounding \
     box and advises against using it (03_Image_features, ZH1A/IQYR)";

/// IBSI stopping tolerance of Khachiyan's algorithm for the MVEE.
pub const MVEE_TOLERANCE: f64 = 0.001;

pub fn plugin() -> Box<dyn FeaturePlugin> {
    Box::new(Plugin(PluginInfo {
        family: "morphology".into(),
        prefix: "morph".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        features: FEATURES
            .iter()
            .map(|&(n, id, u)| FeatureDef::new(n, id, u))
            .collect(),
        aggregations: vec![],
    }))
}

impl FeaturePlugin for Plugin {
    fn info(&self) -> &PluginInfo {
        &self.0
    }

    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        let values = morphology(input.roi, input.settings.morphology.moran_geary)?;
        Ok(values
            .into_iter()
            .map(|(name, v)| FeatureValue::outcome(name, None, v))
            .collect())
    }
}

type Value = Result<f64, String>;

/// Division that reports a vanishing denominator instead of producing inf/NaN.
fn ratio(num: f64, den: f64, what: &str) -> Value {
    if den > 0.0 && den.is_finite() && num.is_finite() {
        Ok(num / den)
    } else {
        Err(format!("undefined: {what} is zero"))
    }
}

/// Geometry of the morphological mask.
pub struct Shape {
    /// Mesh volume `V` (RNU0), mm³.
    pub volume: f64,
    /// Mesh area `A` (C0JK), mm².
    pub area: f64,
    /// Voxel count of the morphological mask.
    pub voxels: usize,
    /// Voxel centroid (z, y, x) in mm relative to voxel (0, 0, 0).
    pub centroid: [f64; 3],
    /// PCA eigenvalues of the voxel centres' sample covariance, decreasing (mm²).
    pub eigenvalues: [f64; 3],
    /// Bounding-box extents of the mesh (z, y, x), mm.
    pub aabb: [f64; 3],
    /// Convex hull of the mesh: volume, area, vertices in mm (x, y, z).
    pub hull: Option<(f64, f64, Vec<[f64; 3]>)>,
}

impl Shape {
    /// Analyses the morphological mask of `roi`; `None` when it is empty.
    pub fn new(roi: &Roi) -> Option<Shape> {
        let sp = roi.grid.spacing_zyx;
        let sxyz = [sp[2], sp[1], sp[0]];
        let padded = mesh::Padded::new(&roi.morphological)?;
        let table = mesh::Table::new(sxyz);
        let m = mesh::measure(&padded, &table, sxyz);

        // Exact integer moments of the voxel indices (padded coordinates), accumulated
        // per row: count, Σx and Σx² along the row, then scaled by the row's z and y.
        let [dz, dy, dx] = padded.dims;
        let (mut n, mut s1, mut s2) = (0i128, [0i128; 3], [[0i128; 3]; 3]);
        for z in 1..dz - 1 {
            for y in 1..dy - 1 {
                let row = &padded.data[(z * dy + y) * dx..(z * dy + y + 1) * dx];
                let (mut c, mut sx, mut sxx) = (0i64, 0i64, 0i64);
                for (x, &v) in row.iter().enumerate() {
                    let v = v as i64;
                    let x = x as i64;
                    c += v;
                    sx += v * x;
                    sxx += v * x * x;
                }
                if c == 0 {
                    continue;
                }
                let (c, sx, sxx, z, y) = (c as i128, sx as i128, sxx as i128, z as i128, y as i128);
                n += c;
                s1[0] += c * z;
                s1[1] += c * y;
                s1[2] += sx;
                s2[0][0] += c * z * z;
                s2[1][0] += c * y * z;
                s2[1][1] += c * y * y;
                s2[2][0] += sx * z;
                s2[2][1] += sx * y;
                s2[2][2] += sxx;
            }
        }
        // Sample covariance (1/(N - 1) normalisation, which the IBSI reference values
        // use): (N Σ ab - Σa Σb) / (N (N - 1)), from exact integer sums, scaled to mm.
        let mut cov = [[0.0f64; 3]; 3];
        for a in 0..3 {
            for b in 0..=a {
                let num = n * s2[a][b] - s1[a] * s1[b];
                let v = num as f64 / (n * (n - 1)).max(1) as f64 * sp[a] * sp[b];
                cov[a][b] = v;
                cov[b][a] = v;
            }
        }
        let (mut eigenvalues, _) = ellipsoid::symmetric_eigen(cov);
        for e in eigenvalues.iter_mut() {
            *e = e.max(0.0);
        }
        // Back to the ROI's index coordinates: padded voxel (1, 1, 1) is `offset`.
        let centroid =
            [0, 1, 2].map(|a| (s1[a] as f64 / n as f64 + padded.offset[a] as f64 - 1.0) * sp[a]);
        let aabb = [
            (padded.dims[0] - 2) as f64 * sp[0],
            (padded.dims[1] - 2) as f64 * sp[1],
            (padded.dims[2] - 2) as f64 * sp[2],
        ];
        let hull = hull::convex_hull(&mesh::hull_candidates(&padded)).map(|h| {
            let volume = h.volume6() as f64 / 48.0 * sxyz[0] * sxyz[1] * sxyz[2];
            let area = h.area_mm(sxyz);
            let pts = h
                .vertices
                .iter()
                .map(|v| {
                    [
                        v[0] as f64 * sxyz[0] / 2.0,
                        v[1] as f64 * sxyz[1] / 2.0,
                        v[2] as f64 * sxyz[2] / 2.0,
                    ]
                })
                .collect();
            (volume, area, pts)
        });
        Some(Shape {
            volume: m.volume,
            area: m.area,
            voxels: n as usize,
            centroid,
            eigenvalues,
            aabb,
            hull,
        })
    }
}

/// Largest distance between two points. The pair found by two farthest-point sweeps
/// gives a lower bound `D0`; with `c` the midpoint of that pair and `R` the largest
/// distance from `c`, a diameter pair `(p, q)` has `|p - c| >= |p - q| - |q - c| >= D0 - R`,
/// so only points that far from `c` are compared pairwise. The result is exact.
pub fn max_diameter(pts: &[[f64; 3]]) -> f64 {
    if pts.len() < 2 {
        return 0.0;
    }
    let d2 = |a: &[f64; 3], b: &[f64; 3]| {
        (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
    };
    let farthest = |from: &[f64; 3]| {
        let mut best = (0usize, -1.0f64);
        for (i, p) in pts.iter().enumerate() {
            let d = d2(from, p);
            if d > best.1 {
                best = (i, d);
            }
        }
        best
    };
    let (a, _) = farthest(&pts[0]);
    let (b, d0sq) = farthest(&pts[a]);
    let c = [
        (pts[a][0] + pts[b][0]) / 2.0,
        (pts[a][1] + pts[b][1]) / 2.0,
        (pts[a][2] + pts[b][2]) / 2.0,
    ];
    let r = pts.iter().map(|p| d2(p, &c)).fold(0.0, f64::max).sqrt();
    let d0 = d0sq.sqrt();
    let cut = (d0 - r) * (1.0 - 1e-12) - 1e-9;
    let cand: Vec<&[f64; 3]> = pts.iter().filter(|p| d2(p, &c).sqrt() >= cut).collect();
    let mut best = d0sq;
    for i in 0..cand.len() {
        for j in i + 1..cand.len() {
            best = best.max(d2(cand[i], cand[j]));
        }
    }
    best.sqrt()
}

/// Every morphological feature of `roi`, in [`FEATURES`] order.
pub fn morphology(
    roi: &Roi,
    autocorrelation: SpatialAutocorrelation,
) -> Result<Vec<(&'static str, Value)>, PluginError> {
    let shape = Shape::new(roi)
        .ok_or_else(|| PluginError::Undefined("the morphological mask is empty".into()))?;
    let sp = roi.grid.spacing_zyx;
    let (v, a) = (shape.volume, shape.area);
    let mut out: Vec<(&'static str, Value)> = Vec::with_capacity(FEATURES.len());

    // Volume (mesh), RNU0: V = |Σ_k a_k · (b_k × c_k)| / 6 over the mesh faces.
    out.push(("volume", Ok(v)));
    // Volume (voxel counting), YEKZ: N_v,m times the voxel volume.
    out.push((
        "vol_approx",
        Ok(shape.voxels as f64 * sp[0] * sp[1] * sp[2]),
    ));
    // Surface area (mesh), C0JK: A = Σ_k |ab_k × ac_k| / 2.
    out.push(("area_mesh", Ok(a)));
    // Surface to volume ratio, 2PR5: A / V.
    out.push(("av", ratio(a, v, "the volume")));
    // Compactness 1, SKGS: V / (π^(1/2) A^(3/2)).
    out.push(("comp_1", ratio(v, PI.sqrt() * a.powf(1.5), "the area")));
    // Compactness 2, BQWJ: 36π V² / A³.
    out.push(("comp_2", ratio(36.0 * PI * v * v, a.powi(3), "the area")));
    // Spherical disproportion, KRCK: A / (36π V²)^(1/3).
    let sphere_area = (36.0 * PI * v * v).cbrt();
    out.push(("sph_dispr", ratio(a, sphere_area, "the volume")));
    // Sphericity, QCFX: (36π V²)^(1/3) / A.
    out.push(("sphericity", ratio(sphere_area, a, "the area")));
    // Asphericity, 25C7: (A³ / (36π V²))^(1/3) - 1.
    out.push((
        "asphericity",
        ratio(a, sphere_area, "the volume").map(|r| r - 1.0),
    ));

    // Centre of mass shift, KLMA: || CoM_geom - CoM_gl ||, CoM_geom the mean voxel centre
    // of the morphological mask, CoM_gl the intensity-weighted mean voxel centre of the
    // intensity mask: Σ X_gl,k r_k / Σ X_gl,k.
    // Sums over the intensity mask, row by row: Σ X, and Σ X x per row, then weighted by
    // the row's z and y.
    let (mut wsum, mut wpos, mut icount) = (0.0f64, [0.0f64; 3], 0usize);
    let (_, ny, nx) = roi.image.dim();
    let image = roi.image.as_standard_layout();
    let image = image.as_slice().expect("standard layout");
    let inten = roi.intensity.as_standard_layout();
    let inten = inten.as_slice().expect("standard layout");
    for z in 0..roi.image.dim().0 {
        for y in 0..ny {
            let at = (z * ny + y) * nx;
            let (img, msk) = (&image[at..at + nx], &inten[at..at + nx]);
            let (mut rs, mut rx, mut rc) = (0.0f64, 0.0f64, 0usize);
            for (x, (&g, &m)) in img.iter().zip(msk).enumerate() {
                if m {
                    rs += g;
                    rx += g * x as f64;
                    rc += 1;
                }
            }
            if rc > 0 {
                wsum += rs;
                wpos[0] += rs * z as f64;
                wpos[1] += rs * y as f64;
                wpos[2] += rx;
                icount += rc;
            }
        }
    }
    let isum = wsum;
    let com = if icount == 0 {
        Err("undefined: the intensity mask is empty".to_string())
    } else if wsum == 0.0 {
        Err("undefined: the intensities of the intensity mask sum to zero".to_string())
    } else {
        let d: f64 = (0..3)
            .map(|k| (shape.centroid[k] - wpos[k] / wsum * sp[k]).powi(2))
            .sum();
        Ok(d.sqrt())
    };
    out.push(("com", com));

    // Maximum 3D diameter, L0JK: largest distance between two mesh vertices, found among
    // the convex hull vertices.
    let hull_missing = || Err::<f64, String>("undefined: the mesh has no 3D convex hull".into());
    out.push((
        "diam",
        match &shape.hull {
            Some((_, _, pts)) => Ok(max_diameter(pts)),
            None => hull_missing(),
        },
    ));

    // PCA of the morphological voxel centres (sample covariance): semi-axes
    // a, b, c = 2 sqrt(λ_major), 2 sqrt(λ_minor), 2 sqrt(λ_least).
    let [lmaj, lmin, llst] = shape.eigenvalues;
    let (sa, sb, sc) = (2.0 * lmaj.sqrt(), 2.0 * lmin.sqrt(), 2.0 * llst.sqrt());
    // Major / minor / least axis length, TDIC / P9VJ / 7J51: 4 sqrt(λ).
    out.push(("pca_maj_axis", Ok(2.0 * sa)));
    out.push(("pca_min_axis", Ok(2.0 * sb)));
    out.push(("pca_least_axis", Ok(2.0 * sc)));
    // Elongation, Q3CK: sqrt(λ_minor / λ_major); flatness, N17B: sqrt(λ_least / λ_major).
    out.push((
        "pca_elongation",
        ratio(lmin, lmaj, "the major eigenvalue").map(f64::sqrt),
    ));
    out.push((
        "pca_flatness",
        ratio(llst, lmaj, "the major eigenvalue").map(f64::sqrt),
    ));

    // Volume / area density of the axis-aligned bounding box of the mesh, PBX1 / R59B:
    // V / V_aabb and A / A_aabb. The mesh reaches half a voxel beyond the outermost voxel
    // centres, so the box is the voxel bounding box.
    let [bz, by, bx] = shape.aabb;
    out.push((
        "vol_dens_aabb",
        ratio(v, bx * by * bz, "the bounding-box volume"),
    ));
    out.push((
        "area_dens_aabb",
        ratio(
            a,
            2.0 * (bx * by + by * bz + bz * bx),
            "the bounding-box area",
        ),
    ));
    // Oriented minimum bounding box, ZH1A / IQYR: not computed (no reference value).
    out.push(("vol_dens_ombb", Err(OMBB_REASON.into())));
    out.push(("area_dens_ombb", Err(OMBB_REASON.into())));

    // Approximate enclosing ellipsoid, 6BDE / RDD2: V / (4π abc / 3) and A / A_aee(a, b, c)
    // with the PCA semi-axes and the Legendre series of the ellipsoid area.
    out.push((
        "vol_dens_aee",
        ratio(3.0 * v, 4.0 * PI * sa * sb * sc, "the ellipsoid volume"),
    ));
    out.push((
        "area_dens_aee",
        if sa > 0.0 {
            ratio(
                a,
                ellipsoid::ellipsoid_area(sa, sb, sc),
                "the ellipsoid area",
            )
        } else {
            Err("undefined: the ellipsoid area is zero".into())
        },
    ));

    // Minimum volume enclosing ellipsoid of the convex hull vertices, SWZ1 / BRI8
    // (Khachiyan, tolerance 0.001): V / (4π abc / 3) and A / A_mvee.
    let mvee = shape
        .hull
        .as_ref()
        .and_then(|(_, _, pts)| ellipsoid::mvee_semi_axes(pts, MVEE_TOLERANCE));
    match mvee {
        Some([ea, eb, ec]) => {
            out.push((
                "vol_dens_mvee",
                ratio(3.0 * v, 4.0 * PI * ea * eb * ec, "the ellipsoid volume"),
            ));
            out.push((
                "area_dens_mvee",
                ratio(
                    a,
                    ellipsoid::ellipsoid_area(ea, eb, ec),
                    "the ellipsoid area",
                ),
            ));
        }
        None => {
            let why = "undefined: no enclosing ellipsoid (the hull is not 3D)".to_string();
            out.push(("vol_dens_mvee", Err(why.clone())));
            out.push(("area_dens_mvee", Err(why)));
        }
    }

    // Convex hull densities, R3ER / 7T7F: V / V_convex and A / A_convex.
    match &shape.hull {
        Some((hv, ha, _)) => {
            out.push((
                "vol_dens_conv_hull",
                ratio(v, *hv, "the convex hull volume"),
            ));
            out.push(("area_dens_conv_hull", ratio(a, *ha, "the convex hull area")));
        }
        None => {
            out.push(("vol_dens_conv_hull", hull_missing()));
            out.push(("area_dens_conv_hull", hull_missing()));
        }
    }

    // Integrated intensity, 99N0: V times the mean intensity of the intensity mask.
    out.push((
        "integ_int",
        if icount == 0 {
            Err("undefined: the intensity mask is empty".into())
        } else {
            Ok(v * isum / icount as f64)
        },
    ));

    // Moran's I (N365) and Geary's C (NPT7): see `autocorr`.
    match autocorrelation {
        SpatialAutocorrelation::Exact => {
            let ac = autocorr::exact(&roi.image, &roi.intensity, sp);
            out.push(("moran_i", ac.moran_i.map_err(|e| format!("undefined: {e}"))));
            out.push(("geary_c", ac.geary_c.map_err(|e| format!("undefined: {e}"))));
        }
        SpatialAutocorrelation::Skip => {
            let why = "not computed: settings morphology.moran_geary = \"skip\"".to_string();
            out.push(("moran_i", Err(why.clone())));
            out.push(("geary_c", Err(why)));
        }
    }
    debug_assert_eq!(out.len(), FEATURES.len());
    Ok(out)
}
