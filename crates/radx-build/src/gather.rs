//! What the build script gathers: the git state of the checkout and the source digest of
//! every workspace crate. Shared by `build.rs` (through `#[path]`) and the crate's tests,
//! so that the logic that decides a build's identity is itself tested.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The paths (git pathspecs, relative to the workspace root) whose content goes into the
/// radx binary: the sources, manifests and embedded files of every crate and plugin,
/// the root package and Cargo.lock. Tests, benches, docs and notes are not among them,
/// so editing those neither makes a build dirty nor re-runs the build script.
pub const BUILD_PATHSPECS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "src",
    ":(glob)crates/*/src/**",
    ":(glob)crates/*/Cargo.toml",
    ":(glob)crates/*/build.rs",
    ":(glob)crates/*/presets/**",
    ":(glob)crates/*/include/**",
    ":(glob)plugins/*/src/**",
    ":(glob)plugins/*/Cargo.toml",
    ":(glob)plugins/*/build.rs",
    ":(glob)reference-data/*.toml",
];

/// The git state of a checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitState {
    /// HEAD's commit, `None` outside git (or without git, or before the first commit).
    pub commit: Option<String>,
    /// Whether the build paths differ from HEAD (tracked changes or untracked files).
    pub dirty: Option<bool>,
    /// sha256 over every differing build path and its current content.
    pub diff_sha256: Option<String>,
    /// Git files whose change means another commit (HEAD, the branch ref, packed-refs).
    pub watch: Vec<PathBuf>,
}

fn git(dir: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("git")
        .arg("--no-optional-locks")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

fn git_line(dir: &Path, args: &[&str]) -> Option<String> {
    let out = git(dir, args)?;
    let s = String::from_utf8(out).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn nul_list(bytes: Vec<u8>) -> Vec<String> {
    bytes
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// The git state of the workspace at `root`. The dirty digest does not depend on the
/// index: it is taken over the paths that differ between HEAD and the working tree
/// (tracked, staged or not, and untracked but not ignored), each with its current
/// content, so that staging a change does not change the identity but editing does.
pub fn git_state(root: &Path) -> GitState {
    let unknown = GitState {
        commit: None,
        dirty: None,
        diff_sha256: None,
        watch: Vec::new(),
    };
    // A source tree unpacked inside some other repository (a home folder under git)
    // is not a checkout of radx: the workspace's own Cargo.toml must be tracked.
    if git(root, &["ls-files", "--error-unmatch", "--", "Cargo.toml"]).is_none() {
        return unknown;
    }
    let Some(commit) = git_line(root, &["rev-parse", "--verify", "-q", "HEAD^{commit}"]) else {
        return unknown;
    };
    let mut watch = Vec::new();
    let abs = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            root.join(p)
        }
    };
    if let Some(git_dir) = git_line(root, &["rev-parse", "--git-dir"]).map(abs) {
        watch.push(git_dir.join("HEAD"));
    }
    if let Some(common) = git_line(root, &["rev-parse", "--git-common-dir"]).map(abs) {
        if let Some(r) = git_line(root, &["symbolic-ref", "-q", "HEAD"]) {
            watch.push(common.join(r));
        }
        watch.push(common.join("packed-refs"));
    }
    watch.retain(|p| p.is_file());

    let mut diff_args = vec!["diff", "HEAD", "--name-only", "--relative", "-z", "--"];
    diff_args.extend_from_slice(BUILD_PATHSPECS);
    let mut other_args = vec!["ls-files", "--others", "--exclude-standard", "-z", "--"];
    other_args.extend_from_slice(BUILD_PATHSPECS);
    let (Some(changed), Some(untracked)) = (git(root, &diff_args), git(root, &other_args)) else {
        return GitState {
            commit: Some(commit),
            watch,
            ..unknown
        };
    };
    let paths: BTreeSet<String> = nul_list(changed)
        .into_iter()
        .chain(nul_list(untracked))
        .collect();
    let dirty = !paths.is_empty();
    let diff_sha256 = dirty.then(|| {
        let mut listing = Vec::new();
        for p in &paths {
            listing.extend_from_slice(p.as_bytes());
            listing.push(0);
            match std::fs::read(root.join(p)) {
                Ok(bytes) => listing.extend_from_slice(sha256_hex(&bytes).as_bytes()),
                Err(_) => listing.extend_from_slice(b"deleted"),
            }
            listing.push(b'\n');
        }
        sha256_hex(&listing)
    });
    GitState {
        commit: Some(commit),
        dirty: Some(dirty),
        diff_sha256,
        watch,
    }
}

/// A workspace crate: its package name, folder and the radx crates it depends on.
#[derive(Debug, Clone)]
pub struct CrateSource {
    pub name: String,
    pub dir: PathBuf,
    pub deps: Vec<String>,
    /// sha256 over the crate's own files (see [`crate_digest`]).
    pub digest: String,
}

/// Every file of a crate that goes into a build: `Cargo.toml`, `build.rs`, and the
/// files under `src/`, `presets/`, `include/`; sorted by relative path.
pub fn crate_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(p) else {
            return;
        };
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.is_file() {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for f in ["Cargo.toml", "build.rs"] {
        if dir.join(f).is_file() {
            out.push(dir.join(f));
        }
    }
    for d in ["src", "presets", "include"] {
        walk(&dir.join(d), &mut out);
    }
    out.sort();
    out
}

/// sha256 over `<relative path>\0<sha256 of content>\n` of [`crate_files`].
pub fn crate_digest(dir: &Path) -> String {
    let mut listing = Vec::new();
    for f in crate_files(dir) {
        let rel = f.strip_prefix(dir).unwrap_or(&f);
        listing.extend_from_slice(rel.to_string_lossy().replace('\\', "/").as_bytes());
        listing.push(0);
        let bytes = std::fs::read(&f).unwrap_or_default();
        listing.extend_from_slice(sha256_hex(&bytes).as_bytes());
        listing.push(b'\n');
    }
    sha256_hex(&listing)
}

/// The package name and the `radx-*` dependencies (normal and build) of a Cargo.toml.
/// A deliberately small reader: one `key = ...` per line, as the workspace writes them.
pub fn manifest_name_and_deps(text: &str) -> (Option<String>, Vec<String>) {
    let mut section = String::new();
    let mut name = None;
    let mut deps = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            section = l.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            continue;
        }
        let key = l
            .split(|c: char| c == '=' || c == '.' || c.is_whitespace())
            .next()
            .unwrap_or("");
        if section == "package" && key == "name" {
            name = l
                .split_once('=')
                .map(|(_, v)| v.trim().trim_matches('"').to_string());
        }
        if (section == "dependencies" || section == "build-dependencies")
            && key.starts_with("radx-")
        {
            deps.push(key.to_string());
        }
    }
    (name, deps)
}

/// Every crate under `root/crates` and `root/plugins` with its own digest.
pub fn workspace_crates(root: &Path) -> Vec<CrateSource> {
    let mut out = Vec::new();
    for group in ["crates", "plugins"] {
        let Ok(rd) = std::fs::read_dir(root.join(group)) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        dirs.sort();
        for dir in dirs {
            let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
                continue;
            };
            let (Some(name), deps) = manifest_name_and_deps(&text) else {
                continue;
            };
            out.push(CrateSource {
                name,
                digest: crate_digest(&dir),
                dir,
                deps,
            });
        }
    }
    out
}

/// For every crate: sha256 over `<name> <digest>\n` of the crate and every radx crate
/// it depends on, directly or not (sorted by name). A change to a crate changes the
/// source digest of every crate built on it.
pub fn source_digests(crates: &[CrateSource]) -> BTreeMap<String, String> {
    let by_name: BTreeMap<&str, &CrateSource> =
        crates.iter().map(|c| (c.name.as_str(), c)).collect();
    let mut out = BTreeMap::new();
    for c in crates {
        let mut seen = BTreeSet::new();
        let mut stack = vec![c.name.as_str()];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            if let Some(k) = by_name.get(n) {
                stack.extend(k.deps.iter().map(|d| d.as_str()));
            }
        }
        let mut listing = String::new();
        for n in seen {
            if let Some(k) = by_name.get(n) {
                listing.push_str(&format!("{n} {}\n", k.digest));
            }
        }
        out.insert(c.name.clone(), sha256_hex(listing.as_bytes()));
    }
    out
}
