//! Reading the IBSI CT phantom as a DICOM series (60 slices) and rasterising its
//! RTSTRUCT contour (GTV-1) onto the image grid; reading three STS_002 CT slices in each
//! compressed transfer syntax against the same slices uncompressed (`dicom_compressed`).

use criterion::{criterion_group, criterion_main, Criterion};
use radx_io::{read_image_any, read_mask_any, ImageOptions, RoiSelector};

fn bench(c: &mut Criterion) {
    let dir = radx_testkit::data("ibsi_1_ct_radiomics_phantom/dicom");
    let image_dir = dir.join("image");
    let rtstruct = dir.join("mask/DCM_RS_00060.dcm");
    let options = ImageOptions::default();
    let mut g = c.benchmark_group("dicom_ct_phantom");
    g.sample_size(20);
    g.bench_function("read_series", |b| {
        b.iter(|| read_image_any(&image_dir, &options).unwrap())
    });
    let loaded = read_image_any(&image_dir, &options).unwrap();
    let target = loaded.mask_target();
    let roi = RoiSelector::Name("GTV-1".into());
    g.bench_function("rtstruct_rasterise", |b| {
        b.iter(|| read_mask_any(&rtstruct, &target, &roi).unwrap())
    });
    g.finish();

    // Compressed vs uncompressed: the same three slices (reference-data fixtures).
    let sts = radx_testkit::cohort("dicom/STS_002");
    let plain = tempfile::tempdir().unwrap();
    for s in ["000020", "000021", "000022"] {
        let name = format!("{s}.dcm");
        std::fs::copy(sts.join("CT/image").join(&name), plain.path().join(&name)).unwrap();
    }
    let mut g = c.benchmark_group("dicom_compressed");
    g.sample_size(20);
    g.bench_function("uncompressed", |b| {
        b.iter(|| read_image_any(plain.path(), &options).unwrap())
    });
    for syntax in [
        "deflated",
        "rle",
        "jpeg-baseline",
        "jpeg-extended",
        "jpeg-lossless-sv1",
        "jpeg-ls-lossless",
        "jpeg-ls-near-lossless",
        "j2k-lossless",
        "j2k-lossy",
    ] {
        let dir = sts.join("CT-compressed").join(syntax);
        g.bench_function(syntax, |b| {
            b.iter(|| read_image_any(&dir, &options).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
