//! Feature maps against the extraction: the value at a voxel is bit-identical to the
//! extraction on the ROI restricted to that voxel's kernel (same discretisation); a kernel
//! covering the whole ROI gives the whole-ROI value everywhere; maps do not depend on the
//! thread count.

use ndarray::Array3;
use radx_core::{Image, Mask, Settings};
use radx_maps::{compute_maps, FeatureSelector, KernelShape, MapOptions, Maps};
use radx_pipeline::{builtin_registry, compute_features, extract, CaseLabels};
use radx_process::Prepared;

fn labels() -> CaseLabels {
    CaseLabels {
        case: "c".into(),
        roi: "r".into(),
        image: "original".into(),
    }
}

fn options(kernel: KernelShape, radius_mm: f64, stride: usize) -> MapOptions {
    MapOptions {
        kernel,
        radius_mm,
        stride,
        features: Vec::new(),
    }
}

/// Up to `n` computed voxels of the maps (output index and prepared-ROI index), spread
/// over the ROI by a fixed pseudo-random choice.
fn sample_voxels(maps: &Maps, p: &Prepared, n: usize, seed: u64) -> Vec<([usize; 3], [usize; 3])> {
    let s = maps.stride;
    let [nz, ny, nx] = maps.grid.shape_zyx;
    let mut all = Vec::new();
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                if p.roi.intensity[[z * s, y * s, x * s]] {
                    all.push(([z, y, x], [z * s, y * s, x * s]));
                }
            }
        }
    }
    assert!(!all.is_empty());
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            all[(state >> 33) as usize % all.len()]
        })
        .collect()
}

/// The morphological mask of `p` restricted to the kernel around `c`, on the prepared
/// grid, written out voxel by voxel (independently of radx-maps' restriction).
fn kernel_mask(p: &Prepared, maps: &Maps, c: [usize; 3]) -> Array3<bool> {
    let k = &maps.kernel;
    Array3::from_shape_fn(p.roi.morphological.dim(), |(z, y, x)| {
        let d = [
            z as isize - c[0] as isize,
            y as isize - c[1] as isize,
            x as isize - c[2] as isize,
        ];
        p.roi.morphological[[z, y, x]] && k.contains(d)
    })
}

/// Asserts that map `m` at `out` holds `value` (None: NaN), bit for bit.
fn assert_same(maps: &Maps, m: usize, out: [usize; 3], value: Option<f64>, what: &str) {
    let got = maps.value(m, out);
    let tag = &maps.maps[m].tag;
    match value {
        Some(v) => assert_eq!(
            got.to_bits(),
            v.to_bits(),
            "{tag} at {out:?}: map {got} vs {what} {v}"
        ),
        None => assert!(
            got.is_nan(),
            "{tag} at {out:?}: map {got} vs {what} missing"
        ),
    }
}

fn value_of(table: &radx_core::FeatureTable, tag: &str) -> Option<Option<f64>> {
    table.rows.iter().find(|r| r.tag == tag).map(|r| r.value)
}

/// IBSI configuration C (2 mm grid, range re-segmentation, FBS from -1000 HU): the fixed
/// bin size with a fixed first edge gives every voxel the same grey level in the whole
/// ROI and in any part of it, so the real extraction (`radx_pipeline::extract`: the
/// processing chain and every plugin) on the processed image with the mask restricted to
/// a kernel must give the map's value exactly.
#[test]
fn map_values_equal_the_extraction_on_each_kernel_roi_config_c() {
    let settings = Settings::preset("ibsi-config-c").unwrap();
    let p = radx_testkit::ct_phantom(&settings);
    let registry = builtin_registry();
    let maps = compute_maps(
        &p,
        &settings,
        &registry,
        &options(KernelShape::Sphere, 4.0, 5),
    )
    .unwrap();
    // Every family but morphology, 3D with avg and comb.
    let families: std::collections::BTreeSet<&str> =
        maps.maps.iter().map(|m| m.family.as_str()).collect();
    assert_eq!(families.len(), 10, "{families:?}");
    assert!(maps.index("cm_joint_max_3D_avg").is_some() && maps.index("ih_mode").is_some());
    // The processed image as the input of an extraction without interpolation.
    let mut plain = settings.clone();
    plain.interpolation.spacing_mm = None;
    let image = Image::new(p.roi.grid.clone(), p.roi.image.clone()).unwrap();
    let mut checked = 0;
    for (out, c) in sample_voxels(&maps, &p, 6, 7) {
        let mask = Mask::new(p.roi.grid.clone(), kernel_mask(&p, &maps, c)).unwrap();
        let table = extract(image.clone(), mask, &plain, &registry, &labels()).unwrap();
        for (m, info) in maps.maps.iter().enumerate() {
            let v = value_of(&table, &info.tag)
                .unwrap_or_else(|| panic!("{} not in the extraction", info.tag));
            assert_same(&maps, m, out, v, "extraction");
            checked += 1;
        }
    }
    assert!(checked > 6 * 150, "{checked}");
}

/// IBSI configuration E (outlier re-segmentation, FBN 32 over the whole ROI's range): the
/// reference is the pipeline's feature computation on a restricted ROI built here, on the
/// whole prepared grid (no crop), with the whole ROI's grey levels and N_g = 32.
#[test]
fn map_values_equal_the_features_of_each_kernel_roi_config_e() {
    let settings = Settings::preset("ibsi-config-e").unwrap();
    let p = radx_testkit::ct_phantom(&settings);
    let registry = builtin_registry();
    let maps = compute_maps(
        &p,
        &settings,
        &registry,
        &options(KernelShape::Cube, 2.0, 6),
    )
    .unwrap();
    for (out, c) in sample_voxels(&maps, &p, 5, 11) {
        let k = kernel_mask(&p, &maps, c);
        let mut r = p.clone();
        r.roi.morphological = k.clone();
        r.roi.intensity = &p.roi.intensity & &k;
        for d in [&mut r.histogram, &mut r.texture, &mut r.ivh] {
            let d = d.as_mut().unwrap();
            d.levels.zip_mut_with(&k, |l, &inside| {
                if !inside {
                    *l = 0
                }
            });
            assert!(d.n_levels == 32 || d.n_levels == 1000);
        }
        let table = compute_features(&r, &settings, &registry, &labels());
        for (m, info) in maps.maps.iter().enumerate() {
            let v = value_of(&table, &info.tag).unwrap();
            assert_same(&maps, m, out, v, "restricted features");
        }
    }
}

/// A kernel covering the whole ROI gives the whole-ROI extraction's value at every ROI
/// voxel (IBSI digital phantom, no discretisation, 2D, 2.5D and 3D aggregations).
#[test]
fn a_kernel_covering_the_roi_gives_the_whole_roi_value_everywhere() {
    let (p, settings) = radx_testkit::digital_phantom();
    let registry = builtin_registry();
    let maps = compute_maps(
        &p,
        &settings,
        &registry,
        &options(KernelShape::Cube, 100.0, 1),
    )
    .unwrap();
    let table = compute_features(&p, &settings, &registry, &labels());
    let voxels = sample_voxels(&maps, &p, 300, 3);
    assert_eq!(maps.roi_voxels as usize, p.roi.intensity_count());
    for (m, info) in maps.maps.iter().enumerate() {
        let whole = value_of(&table, &info.tag).unwrap();
        assert_eq!(info.whole_roi_value, whole, "{}", info.tag);
        for &(out, _) in &voxels {
            assert_same(&maps, m, out, whole, "whole ROI");
        }
    }
    // Outside the ROI: NaN.
    let outside = (0..p.roi.intensity.len())
        .map(|i| {
            let (_, ny, nx) = p.roi.intensity.dim();
            [i / (ny * nx), (i / nx) % ny, i % nx]
        })
        .find(|&v| !p.roi.intensity[v])
        .expect("the prepared crop has voxels outside the ROI");
    assert!(maps.value(0, outside).is_nan());
}

fn bits_with_threads(threads: usize, p: &Prepared, s: &Settings, o: &MapOptions) -> Vec<u64> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let maps = pool.install(|| compute_maps(p, s, &builtin_registry(), o).unwrap());
    let [nz, ny, nx] = maps.grid.shape_zyx;
    let mut out = Vec::new();
    for m in 0..maps.maps.len() {
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    out.push(maps.value(m, [z, y, x]).to_bits());
                }
            }
        }
    }
    out
}

#[test]
fn maps_are_identical_for_1_2_and_3_threads() {
    let s = Settings::preset("ibsi-config-c").unwrap();
    let p = radx_testkit::ct_phantom(&s);
    let mut o = options(KernelShape::Sphere, 4.0, 3);
    o.features = ["intensity_stats", "intensity_histogram", "glcm", "ngtdm"]
        .iter()
        .map(|f| f.parse().unwrap())
        .collect();
    let one = bits_with_threads(1, &p, &s, &o);
    assert!(one.iter().any(|b| !f64::from_bits(*b).is_nan()));
    assert_eq!(one, bits_with_threads(2, &p, &s, &o));
    assert_eq!(one, bits_with_threads(3, &p, &s, &o));
}

#[test]
fn the_feature_selection_is_checked() {
    let (p, s) = radx_testkit::digital_phantom();
    let registry = builtin_registry();
    let run = |f: &[&str]| {
        let mut o = options(KernelShape::Cube, 1.0, 1);
        o.features = f.iter().map(|f| f.parse().unwrap()).collect();
        compute_maps(&p, &s, &registry, &o)
    };
    let e = run(&["morphology"]).unwrap_err().to_string();
    assert!(e.contains("morphology has no voxel-wise map"), "{e}");
    let e = run(&["glcmm"]).unwrap_err().to_string();
    assert!(
        e.contains("no feature family `glcmm`") && e.contains("glrlm"),
        "{e}"
    );
    let e = run(&["glcm:nope"]).unwrap_err().to_string();
    assert!(
        e.contains("has no feature `nope`") && e.contains("joint_max"),
        "{e}"
    );
    let m = run(&["intensity_stats:mean", "glcm:joint_max"]).unwrap();
    let tags: Vec<&str> = m.maps.iter().map(|m| m.tag.as_str()).collect();
    assert!(tags.contains(&"stat_mean") && tags.contains(&"cm_joint_max_3D_avg"));
    assert!(tags
        .iter()
        .all(|t| *t == "stat_mean" || t.starts_with("cm_joint_max_")));
    assert!("glcm:".parse::<FeatureSelector>().is_err());
    let mut o = options(KernelShape::Cube, 1.0, 0);
    assert!(compute_maps(&p, &s, &registry, &o)
        .unwrap_err()
        .to_string()
        .contains("--stride"));
    o.stride = 1;
    o.radius_mm = -1.0;
    assert!(compute_maps(&p, &s, &registry, &o).is_err());
}

/// Undefined features are NaN and counted with their reason: on a one-voxel kernel the
/// GLCM has no pair.
#[test]
fn undefined_values_are_counted() {
    let (p, s) = radx_testkit::digital_phantom();
    let registry = builtin_registry();
    let mut o = options(KernelShape::Cube, 0.5, 1);
    o.features = vec![
        "glcm:joint_max".parse().unwrap(),
        "intensity_stats:mean".parse().unwrap(),
    ];
    let maps = compute_maps(&p, &s, &registry, &o).unwrap();
    assert_eq!(maps.kernel.voxels, 1);
    let cm = &maps.maps[maps.index("cm_joint_max_3D_avg").unwrap()];
    assert_eq!(cm.undefined_voxels, maps.roi_voxels);
    assert!(!cm.undefined_reasons.is_empty());
    assert_eq!(
        cm.undefined_reasons.iter().map(|r| r.voxels).sum::<u64>(),
        maps.roi_voxels
    );
    let mean = &maps.maps[maps.index("stat_mean").unwrap()];
    assert_eq!(mean.undefined_voxels, 0);
}

/// The memory of the maps is bounded by the limits.
#[test]
fn maps_beyond_the_voxel_limit_are_refused() {
    let (p, _) = radx_testkit::digital_phantom();
    let text = format!(
        "{}\n[limits]\nmax_image_voxels = 100\n",
        radx_core::settings::PRESETS
            .iter()
            .find(|(n, _)| *n == "ibsi-digital-phantom")
            .unwrap()
            .1
    );
    let s = Settings::from_toml_str(&text, "t").unwrap();
    let mut o = options(KernelShape::Cube, 1.0, 1);
    o.features = vec!["intensity_stats".parse().unwrap()];
    let e = compute_maps(&p, &s, &builtin_registry(), &o)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("feature maps of") && e.contains("max_image_voxels"),
        "{e}"
    );
}

/// The shipped cohort: on the first CT case (configuration C settings, every family but
/// morphology), sampled map values equal the real extraction on each kernel's ROI, and
/// on its PET image (FBS 0.5 SUV from 0) too.
#[test]
fn map_values_equal_the_extraction_on_the_cohort() {
    let case = radx_testkit::cohort_cases("CT")[0].clone();
    let registry = builtin_registry();
    let pet = Settings::from_toml_str(
        "radx_settings = 1\n[interpolation]\nspacing_mm = [3.0, 3.0, 3.0]\n\
         [resegmentation]\nmin = 0.0\n\
         [discretisation.histogram]\nmethod = \"fbs\"\nbin_width = 0.5\n\
         [discretisation.texture]\nmethod = \"fbs\"\nbin_width = 0.5\n\
         [discretisation.ivh]\nmethod = \"fbs\"\nbin_width = 0.1\n\
         [texture]\ndimensions = [\"3D\", \"2D\"]\n",
        "pet",
    )
    .unwrap();
    for (modality, settings, stride) in [
        ("CT", Settings::preset("ibsi-config-c").unwrap(), 3),
        ("PET", pet, 2),
    ] {
        let image = radx_io::read_image(&radx_testkit::cohort(&format!(
            "nifti/{case}/{modality}_image.nii.gz"
        )))
        .unwrap();
        let mask = radx_io::read_mask(
            &radx_testkit::cohort(&format!("nifti/{case}/{modality}_mask.nii.gz")),
            radx_io::MaskSelector::NonZero,
        )
        .unwrap();
        let p = radx_process::prepare(image, mask, &settings).unwrap();
        let maps = compute_maps(
            &p,
            &settings,
            &registry,
            &options(KernelShape::Cube, 4.0, stride),
        )
        .unwrap();
        assert!(maps.maps.len() > 150, "{}", maps.maps.len());
        let mut plain = settings.clone();
        plain.interpolation.spacing_mm = None;
        let image = Image::new(p.roi.grid.clone(), p.roi.image.clone()).unwrap();
        for (out, c) in sample_voxels(&maps, &p, 3, 5) {
            let mask = Mask::new(p.roi.grid.clone(), kernel_mask(&p, &maps, c)).unwrap();
            let table = extract(image.clone(), mask, &plain, &registry, &labels()).unwrap();
            for (m, info) in maps.maps.iter().enumerate() {
                let v = value_of(&table, &info.tag).unwrap();
                assert_same(&maps, m, out, v, &format!("{modality} extraction"));
            }
        }
    }
}
