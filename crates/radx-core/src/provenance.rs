//! The provenance record written beside every feature table.

use serde::{Deserialize, Serialize};

/// One input file and its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputRecord {
    /// `image` or `mask`.
    pub role: String,
    pub path: String,
    /// Lowercase hex sha256 of the file's bytes.
    pub sha256: String,
}

/// A plugin that contributed values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginRecord {
    pub family: String,
    pub version: String,
    /// `builtin`, or the path of a run-time library.
    pub origin: String,
    /// sha256 of a run-time library; empty for built-in plugins.
    pub sha256: String,
}

/// Where the computation ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub family: String,
    /// CPU features detected at run time that may affect floating point code paths.
    pub cpu_features: Vec<String>,
}

impl Platform {
    pub fn current() -> Self {
        #[allow(unused_mut)]
        let mut cpu_features = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            for (name, present) in [
                ("sse2", std::is_x86_feature_detected!("sse2")),
                ("sse4.1", std::is_x86_feature_detected!("sse4.1")),
                ("avx", std::is_x86_feature_detected!("avx")),
                ("avx2", std::is_x86_feature_detected!("avx2")),
                ("fma", std::is_x86_feature_detected!("fma")),
                ("avx512f", std::is_x86_feature_detected!("avx512f")),
            ] {
                if present {
                    cpu_features.push(name.to_string());
                }
            }
        }
        Platform {
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            family: std::env::consts::FAMILY.into(),
            cpu_features,
        }
    }
}

/// Everything needed to say which code, settings and inputs produced a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub radx_version: String,
    pub settings_id: String,
    /// The canonical settings manifest.
    pub settings: String,
    pub inputs: Vec<InputRecord>,
    pub plugins: Vec<PluginRecord>,
    pub platform: Platform,
    pub threads: usize,
}
