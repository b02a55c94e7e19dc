//! `radx plugin inspect`, and a manifest-named plugin through `radx features list` and
//! `radx extract`.

use std::path::Path;
use std::process::Command;

fn radx(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_radx"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn inspect_pin_and_extract_with_a_c_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join(format!(
        "{}roi_stats{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ok = Command::new("cc")
        .args(["-std=c99", "-O2", "-shared", "-fPIC", "-I"])
        .arg(root.join("crates/radx-plugin-sdk/include"))
        .arg("-o")
        .arg(&lib)
        .arg(root.join("plugins/example-c/roi_stats.c"))
        .status()
        .unwrap();
    assert!(ok.success());
    let o = radx(&["plugin", "inspect", lib.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    let hash = radx_io::sha256_file(&lib).unwrap();
    assert!(text.contains(&format!("sha256    {hash}")), "{text}");
    assert!(text.contains("cstats_voxel_count"), "{text}");
    // paste the printed manifest lines into a manifest (relative path: beside it)
    let pinned = text
        .split("# to load it, add to a settings manifest:\n")
        .nth(1)
        .unwrap();
    let pinned = pinned.replace(
        lib.to_str().unwrap(),
        lib.file_name().unwrap().to_str().unwrap(),
    );
    let manifest = dir.path().join("s.toml");
    std::fs::write(
        &manifest,
        format!("radx_settings = 1\n[features]\nfamilies = [\"intensity_stats\"]\n{pinned}"),
    )
    .unwrap();
    let o = radx(&["features", "list", "--settings", manifest.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("roi_stats\tmean"));
    let out = dir.path().join("t.csv");
    let o = radx(&[
        "extract",
        "--phantom",
        "--settings",
        manifest.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.contains(",cstats_voxel_count,1,74.0,"), "{csv}");
    let prov = std::fs::read_to_string(dir.path().join("t.csv.provenance.json")).unwrap();
    assert!(prov.contains(&hash));
    // a rebuilt (different) library is refused, with a warning, the rest still written
    std::fs::write(&lib, b"not the same library").unwrap();
    let o = radx(&[
        "extract",
        "--phantom",
        "--settings",
        manifest.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("differs from the manifest"));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(
        csv.contains("stat_mean") && csv.contains("roi_stats_plugin"),
        "{csv}"
    );
}
