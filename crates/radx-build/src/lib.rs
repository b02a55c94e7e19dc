//! The identity of this radx build, gathered at build time by `build.rs`: the radx
//! version, the git commit and whether the sources differed from it (with a digest of
//! the difference), `rustc -V`, the target triple, the cargo profile, the sha256 of
//! Cargo.lock, and a source digest per workspace crate.
//!
//! Only the `radx` binary depends on this crate (and tests, as a dev-dependency): it
//! hands the identity to the command line (`radx_cli::main`), which hands it to the
//! libraries as a parameter ([`radx_core::BuildInfo`]). The build script re-runs
//! whenever a source file or the git HEAD changes; what it costs then is this small
//! crate and the binary's link step, not a rebuild of the command line.
//!
//! Outside a git checkout (a source tarball, or git missing), the commit is `unknown`
//! and `dirty` is absent: nothing is invented.
//!
//! Must not: depend on any other radx crate's behaviour; it only describes the build.

use radx_core::{BuildIdentity, BuildInfo};

#[doc(hidden)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/build_info.rs"));
}

#[cfg(test)]
#[path = "gather.rs"]
mod gather;

/// This build's identity.
pub fn identity() -> BuildIdentity {
    use generated as g;
    BuildIdentity {
        version: g::VERSION.to_string(),
        commit: g::COMMIT.to_string(),
        dirty: g::DIRTY,
        diff_sha256: g::DIFF_SHA256.map(str::to_string),
        rustc: g::RUSTC.to_string(),
        target: g::TARGET.to_string(),
        profile: g::PROFILE.to_string(),
        cargo_lock_sha256: g::CARGO_LOCK_SHA256.to_string(),
    }
}

/// This build's identity and the source digest of each workspace crate (by package
/// name, e.g. `radx-glcm`): the crate's own files and those of every radx crate it
/// depends on.
pub fn info() -> BuildInfo {
    BuildInfo {
        identity: identity(),
        sources: generated::SOURCES
            .iter()
            .map(|(n, d)| (n.to_string(), d.to_string()))
            .collect(),
    }
}

/// The text of `radx --version` ([`BuildIdentity::version_text`]).
pub fn version_text() -> String {
    identity().version_text()
}

#[cfg(test)]
mod tests {
    use super::gather::*;
    use std::path::Path;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let o = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.invalid",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    fn workspace(dir: &Path) {
        std::fs::create_dir_all(dir.join("crates/radx-a/src")).unwrap();
        std::fs::create_dir_all(dir.join("plugins/p/src")).unwrap();
        std::fs::write(dir.join("Cargo.toml"), "[workspace]\n").unwrap();
        std::fs::write(dir.join("Cargo.lock"), "# lock\n").unwrap();
        std::fs::write(
            dir.join("crates/radx-a/Cargo.toml"),
            "[package]\nname = \"radx-a\"\n[dependencies]\nndarray.workspace = true\n",
        )
        .unwrap();
        std::fs::write(dir.join("crates/radx-a/src/lib.rs"), "pub fn a() {}\n").unwrap();
        std::fs::write(
            dir.join("plugins/p/Cargo.toml"),
            "[package]\nname = \"radx-p\"\nversion = \"0.3.0\"\n[dependencies]\nradx-a.workspace = true\n[dev-dependencies]\nradx-z.workspace = true\n",
        )
        .unwrap();
        std::fs::write(dir.join("plugins/p/src/lib.rs"), "pub fn p() {}\n").unwrap();
    }

    #[test]
    fn outside_git_the_commit_is_unknown() {
        let t = tempfile::tempdir().unwrap();
        workspace(t.path());
        let g = git_state(t.path());
        assert_eq!(g.commit, None);
        assert_eq!(g.dirty, None);
        assert_eq!(g.diff_sha256, None);
    }

    #[test]
    fn commits_and_uncommitted_changes_give_different_identities() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        workspace(d);
        git(d, &["init", "-q"]);
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "one"]);
        let one = git_state(d);
        assert_eq!(one.commit.as_ref().map(|c| c.len()), Some(40));
        assert_eq!(one.dirty, Some(false));
        assert_eq!(one.diff_sha256, None);
        assert!(one.watch.iter().any(|p| p.ends_with("HEAD")));

        // An edit outside the build paths (a test, a note) does not make the build dirty.
        std::fs::create_dir_all(d.join("tests")).unwrap();
        std::fs::write(d.join("tests/t.rs"), "#[test] fn t() {}\n").unwrap();
        std::fs::write(d.join("NOTES.md"), "notes\n").unwrap();
        assert_eq!(git_state(d), one);

        // Two different uncommitted edits: dirty, with different digests.
        std::fs::write(d.join("crates/radx-a/src/lib.rs"), "pub fn a() { 1; }\n").unwrap();
        let dirty1 = git_state(d);
        assert_eq!(dirty1.commit, one.commit);
        assert_eq!(dirty1.dirty, Some(true));
        std::fs::write(d.join("crates/radx-a/src/lib.rs"), "pub fn a() { 2; }\n").unwrap();
        let dirty2 = git_state(d);
        assert_eq!(dirty2.dirty, Some(true));
        assert_ne!(dirty1.diff_sha256, dirty2.diff_sha256);
        // Staging does not change the identity; an untracked source file does.
        git(d, &["add", "-A"]);
        assert_eq!(git_state(d).diff_sha256, dirty2.diff_sha256);
        std::fs::write(d.join("plugins/p/src/new.rs"), "// new\n").unwrap();
        let untracked = git_state(d);
        assert_ne!(untracked.diff_sha256, dirty2.diff_sha256);

        // Committing gives another commit and a clean tree.
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "two"]);
        let two = git_state(d);
        assert_ne!(two.commit, one.commit);
        assert_eq!(two.dirty, Some(false));
    }

    #[test]
    fn a_tree_inside_another_repository_is_not_a_checkout() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        git(d, &["init", "-q"]);
        std::fs::write(d.join("README"), "home\n").unwrap();
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "home"]);
        let ws = d.join("unpacked-radx");
        workspace(&ws);
        assert_eq!(git_state(&ws).commit, None);
    }

    #[test]
    fn plugin_source_digests_follow_their_radx_dependencies() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        workspace(d);
        let (name, deps) = manifest_name_and_deps(
            &std::fs::read_to_string(d.join("plugins/p/Cargo.toml")).unwrap(),
        );
        assert_eq!(name.as_deref(), Some("radx-p"));
        assert_eq!(
            deps,
            ["radx-a"],
            "dev-dependencies are not part of the build"
        );
        let crates = workspace_crates(d);
        assert_eq!(crates.len(), 2);
        assert!(crates[1].dir.ends_with("plugins/p"));
        let before = source_digests(&crates);
        // A change to the plugin's own source changes only its digest.
        std::fs::write(d.join("plugins/p/src/lib.rs"), "pub fn p() { 0; }\n").unwrap();
        let after_p = source_digests(&workspace_crates(d));
        assert_ne!(after_p["radx-p"], before["radx-p"]);
        assert_eq!(after_p["radx-a"], before["radx-a"]);
        // A change to a crate it builds on changes both.
        std::fs::write(d.join("crates/radx-a/src/lib.rs"), "pub fn a() { 0; }\n").unwrap();
        let after_a = source_digests(&workspace_crates(d));
        assert_ne!(after_a["radx-p"], after_p["radx-p"]);
        assert_ne!(after_a["radx-a"], after_p["radx-a"]);
    }

    #[test]
    fn this_build_knows_its_identity() {
        let id = super::identity();
        assert_eq!(id.version, env!("CARGO_PKG_VERSION"));
        assert!(id.rustc.starts_with("rustc "), "{}", id.rustc);
        assert!(!id.target.is_empty());
        assert_eq!(id.cargo_lock_sha256.len(), 64);
        assert!(id.commit == "unknown" || id.commit.len() == 40);
        let info = super::info();
        for family in ["radx-glcm", "radx-morphology", "radx-core"] {
            assert_eq!(info.sources[family].len(), 64, "{family}");
        }
        assert!(super::version_text().contains("Cargo.lock sha256"));
    }
}
