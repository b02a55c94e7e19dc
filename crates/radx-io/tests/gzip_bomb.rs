//! A `.nii.gz` whose gzip stream holds 1 GiB of zeros after the voxels the header
//! declares (about 1 MB on disk): the reader stops at the declared size, so the error comes
//! at once and memory stays small (before, the whole stream was inflated: 1 GiB and exit 0).
//! Alone in its test binary so that the process's peak memory is this test's.

#[test]
fn a_gzip_bomb_after_the_voxels_is_refused_at_once_in_small_memory() {
    let dir = tempfile::tempdir().unwrap();
    let h = radx_testkit::hostile::nifti_gz_trailing_bomb(dir.path());
    let on_disk = std::fs::metadata(&h.image).unwrap().len();
    assert!(on_disk < 4 << 20, "{on_disk} bytes");
    let t = std::time::Instant::now();
    let e = radx_io::read_image(&h.image).unwrap_err().to_string();
    let took = t.elapsed();
    assert!(
        e.contains("bomb.nii.gz") && e.contains("trailing data"),
        "{e}"
    );
    // inflating 1 GiB takes seconds; stopping at the declared size takes milliseconds
    assert!(took.as_secs_f64() < 1.0, "{took:?}");
    #[cfg(target_os = "linux")]
    {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let hwm_kb: u64 = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert!(hwm_kb < 200 * 1024, "peak resident memory {hwm_kb} kB");
    }
}
