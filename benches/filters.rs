//! IBSI 2 convolutional filters on the IBSI CT phantom after interpolation to 1 mm
//! isotropic voxels (cubic B-spline, rounded to integer HU):
//!
//! * `crop/*`: every filter type, 2D and 3D, on the prepared crop (the GTV bounding box
//!   plus 12 mm), the volume the pipeline filters for kernels of finite reach (plus their
//!   reach);
//! * `whole/*`: the Fourier-domain filters (Simoncelli, Riesz) on the whole interpolated
//!   image, as the pipeline filters them (unbounded support);
//! * `chain/*`: the processing chain with the 3D filters of IBSI 2 phase 2 (presets
//!   `ibsi2-2b` ... `ibsi2-9b`: eight response maps) against the chain without filters.
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use radx_core::Settings;
use radx_filters::{apply, FilterSpec};

fn spec(text: &str) -> FilterSpec {
    let s = Settings::from_toml_str(
        &format!("radx_settings = 1\n[[filters.maps]]\n{text}\n"),
        "filters-bench",
    )
    .expect("bench filter parses");
    s.filters.maps[0].clone()
}

fn bench(c: &mut Criterion) {
    let settings = Settings::preset("ibsi2-1b").expect("preset");
    let prepared = radx_testkit::ct_phantom(&settings);
    let crop = &prepared.roi.image;
    let spacing = prepared.roi.grid.spacing_zyx;
    eprintln!("1 mm crop: {:?} voxels (z, y, x)", crop.dim());

    let filters: Vec<(&str, FilterSpec)> = vec![
        ("mean_5_2d", spec("type = \"mean\"\nsupport = 5\ndimensions = \"2d\"")),
        ("mean_5_3d", spec("type = \"mean\"\nsupport = 5")),
        ("log_1.5mm_2d", spec("type = \"log\"\nsigma_mm = 1.5\ndimensions = \"2d\"")),
        ("log_1.5mm_3d", spec("type = \"log\"\nsigma_mm = 1.5")),
        (
            "laws_l5e5_energy_invar_2d",
            spec("type = \"laws\"\nkernel = \"L5E5\"\ndimensions = \"2d\"\nrotation_invariant = true\nenergy_delta = 7"),
        ),
        (
            "laws_l5e5e5_energy_invar_3d",
            spec("type = \"laws\"\nkernel = \"L5E5E5\"\nrotation_invariant = true\nenergy_delta = 7"),
        ),
        (
            "gabor_invar_2d",
            spec("type = \"gabor\"\nsigma_mm = 5.0\nlambda_mm = 2.0\ngamma = 1.5\ndimensions = \"2d\"\nrotation_invariant = true\ntheta_step_deg = 22.5"),
        ),
        (
            "gabor_invar_3d",
            spec("type = \"gabor\"\nsigma_mm = 5.0\nlambda_mm = 2.0\ngamma = 1.5\nrotation_invariant = true\ntheta_step_deg = 22.5"),
        ),
        (
            "wavelet_haar_lh_2d",
            spec("type = \"wavelet\"\nfamily = \"haar\"\nsubband = \"LH\"\ndimensions = \"2d\""),
        ),
        (
            "wavelet_haar_llh_3d",
            spec("type = \"wavelet\"\nfamily = \"haar\"\nsubband = \"LLH\""),
        ),
        (
            "wavelet_db3_hh_l2_invar_2d",
            spec("type = \"wavelet\"\nfamily = \"db3\"\nsubband = \"HH\"\nlevel = 2\ndimensions = \"2d\"\nrotation_invariant = true"),
        ),
        (
            "wavelet_db3_hhh_l2_invar_3d",
            spec("type = \"wavelet\"\nfamily = \"db3\"\nsubband = \"HHH\"\nlevel = 2\nrotation_invariant = true"),
        ),
        (
            "simoncelli_l1_2d",
            spec("type = \"simoncelli\"\nlevel = 1\ndimensions = \"2d\""),
        ),
        ("simoncelli_l1_3d", spec("type = \"simoncelli\"\nlevel = 1")),
        (
            "log_riesz100_3d",
            spec("type = \"log\"\nsigma_mm = 1.5\nriesz_order = [1, 0, 0]"),
        ),
        (
            "simoncelli_riesz010_2d",
            spec("type = \"simoncelli\"\nlevel = 1\ndimensions = \"2d\"\nriesz_order = [0, 1, 0]"),
        ),
    ];
    let mut group = c.benchmark_group("filters/crop");
    group.sample_size(10);
    for (name, f) in &filters {
        group.bench_function(*name, |b| {
            b.iter(|| apply(f, black_box(crop), spacing).expect("filter runs"))
        });
    }
    group.finish();

    let image = radx_io::read_image(&radx_testkit::data(
        "ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz",
    ))
    .expect("CT phantom");
    let whole = radx_process::interpolate_whole(image, &settings).expect("interpolation");
    eprintln!(
        "1 mm whole image: {:?} voxels (z, y, x)",
        whole.grid.shape_zyx
    );
    let mut group = c.benchmark_group("filters/whole");
    group.sample_size(10);
    for (name, f) in filters
        .iter()
        .filter(|(_, f)| radx_filters::reach_voxels(f, spacing).is_none())
    {
        group.bench_function(*name, |b| {
            b.iter(|| {
                apply(f, black_box(&whole.data), whole.grid.spacing_zyx).expect("filter runs")
            })
        });
    }
    group.finish();

    let image = radx_io::read_image(&radx_testkit::data(
        "ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz",
    ))
    .expect("CT phantom");
    let mask = radx_io::read_mask(
        &radx_testkit::data("ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz"),
        radx_io::MaskSelector::NonZero,
    )
    .expect("CT mask");
    let mut all = settings.clone();
    for id in ["2b", "3b", "4b", "5b", "6b", "7b", "8b", "9b"] {
        let s = Settings::preset(&format!("ibsi2-{id}")).expect("preset");
        all.filters.families = s.filters.families.clone();
        all.filters.discretisation = s.filters.discretisation.clone();
        all.filters.maps.extend(s.filters.maps);
    }
    let mut group = c.benchmark_group("filters/chain");
    group.sample_size(10);
    group.bench_function("prepare_no_filter_1mm", |b| {
        b.iter(|| radx_process::prepare(image.clone(), mask.clone(), &settings).unwrap())
    });
    group.bench_function("prepare_filtered_phase2_3d_8_maps", |b| {
        b.iter(|| radx_process::prepare_filtered(image.clone(), mask.clone(), &all).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
