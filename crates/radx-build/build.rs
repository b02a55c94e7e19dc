//! Gathers the build identity (see src/gather.rs) into `$OUT_DIR/build_info.rs`.
//!
//! Re-runs only when what it reads changes: the git HEAD, the branch ref and packed-refs
//! (a new commit or checkout), the sources, manifests and embedded files of every crate
//! (`gather::BUILD_PATHSPECS`), Cargo.lock, and the compiler. Not the git index: the dirty
//! digest is taken from the working tree, so staging changes nothing.

#[path = "src/gather.rs"]
mod gather;

use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest_dir
        .ancestors()
        .find(|p| p.join("Cargo.lock").is_file() && p.join("crates").is_dir())
        .unwrap_or(Path::new("../.."))
        .to_path_buf();
    let env = |k: &str| std::env::var(k).unwrap_or_default();

    let git = gather::git_state(&root);
    let rustc =
        std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .arg("-V")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into());
    let lock = std::fs::read(root.join("Cargo.lock"))
        .map(|b| gather::sha256_hex(&b))
        .unwrap_or_else(|_| "unknown".into());
    let profile = format!("{} (opt-level {})", env("PROFILE"), env("OPT_LEVEL"));
    let crates = gather::workspace_crates(&root);
    let sources = gather::source_digests(&crates);

    let mut code = String::new();
    code.push_str(&format!(
        "pub const VERSION: &str = {:?};\n",
        env("CARGO_PKG_VERSION")
    ));
    code.push_str(&format!(
        "pub const COMMIT: &str = {:?};\n",
        git.commit.as_deref().unwrap_or("unknown")
    ));
    code.push_str(&format!(
        "pub const DIRTY: Option<bool> = {:?};\n",
        git.dirty
    ));
    code.push_str(&format!(
        "pub const DIFF_SHA256: Option<&str> = {:?};\n",
        git.diff_sha256.as_deref()
    ));
    code.push_str(&format!("pub const RUSTC: &str = {rustc:?};\n"));
    code.push_str(&format!("pub const TARGET: &str = {:?};\n", env("TARGET")));
    code.push_str(&format!("pub const PROFILE: &str = {profile:?};\n"));
    code.push_str(&format!("pub const CARGO_LOCK_SHA256: &str = {lock:?};\n"));
    code.push_str("pub const SOURCES: &[(&str, &str)] = &[\n");
    for (name, digest) in &sources {
        code.push_str(&format!("    ({name:?}, {digest:?}),\n"));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("build_info.rs");
    // Write only on change, so an unchanged identity leaves the file's mtime alone.
    if std::fs::read_to_string(&out).ok().as_deref() != Some(code.as_str()) {
        std::fs::write(&out, code).expect("OUT_DIR is writable");
    }

    for p in &git.watch {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.toml").display()
    );
    if root.join("src").is_dir() {
        println!("cargo:rerun-if-changed={}", root.join("src").display());
    }
    for c in &crates {
        for f in ["Cargo.toml", "build.rs", "src", "presets", "include"] {
            let p = c.dir.join(f);
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
    // A new crate changes Cargo.lock, which is watched; the `crates/` and `plugins/`
    // folders are not (cargo would scan their tests too).
    if let Ok(rd) = std::fs::read_dir(root.join("reference-data")) {
        for e in rd.flatten() {
            if e.path().extension().is_some_and(|x| x == "toml") {
                println!("cargo:rerun-if-changed={}", e.path().display());
            }
        }
    }
    println!("cargo:rerun-if-env-changed=RUSTC");
}
