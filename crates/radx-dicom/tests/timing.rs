//! Timing harness (ignored by default; run in release):
//! `cargo test --release -p radx-dicom --test timing -- --ignored --nocapture`

mod common;

use std::time::{Duration, Instant};

use common::*;
use radx_dicom::{read_image_any, read_mask_any, read_rtstruct, ImageOptions, RoiSelector};

fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    (times[0], times[n / 2], last.unwrap())
}

#[test]
#[ignore]
fn timing_ct_phantom() {
    let n = 7;
    let (min, med, li) = best_of(n, || {
        read_image_any(&ct_image_dir(), &ImageOptions::default()).unwrap()
    });
    eprintln!("read CT phantom series (60 slices 201x204): min {min:?} median {med:?}");
    let target = li.mask_target();
    let (min, med, rs) = best_of(n, || read_rtstruct(&ct_rtstruct()).unwrap());
    eprintln!("parse RTSTRUCT (26 contours): min {min:?} median {med:?}");
    let (min, med, m) = best_of(n, || rs.rasterise(&RoiSelector::Auto, &target).unwrap());
    eprintln!(
        "rasterise GTV-1 ({} voxels): min {min:?} median {med:?}",
        m.count()
    );
    let (min, med, _) = best_of(n, || {
        read_mask_any(&ct_rtstruct(), &target, &RoiSelector::Auto).unwrap()
    });
    eprintln!("read_mask_any (detect + parse + rasterise): min {min:?} median {med:?}");
}
