//! `radx plugin inspect` of a library nobody pinned. Loading a library runs its code (its
//! constructors, then `radx_plugin_descriptor`), so that happens in a child process: the
//! parent reads the file once and hashes it, pipes exactly those bytes to the child, and
//! reads back the descriptor. A library that crashes, hangs or exits takes only the child
//! with it.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use radx_core::{FeatureDef, PluginInfo};

use crate::{inspect_in_process, read_library, Inspection, LibraryBytes, PluginLoadError};

/// How long the inspection child may take before it is killed.
pub const INSPECT_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts the line of the child's standard output that holds the inspection (JSON), so
/// that anything the library itself prints is ignored.
const MARKER: &str = "radx-plugin-inspection ";

/// The child's side: reads a library's bytes from `input` (`display` names them in
/// messages), loads them in this process — running the library's code — and writes the
/// inspection to `output` as one marked JSON line.
pub fn serve_inspection(
    display: &Path,
    input: impl Read,
    mut output: impl Write,
) -> Result<(), PluginLoadError> {
    let mut bytes = Vec::new();
    input
        .take(crate::MAX_LIBRARY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| PluginLoadError::Read {
            path: display.into(),
            message: e.to_string(),
        })?;
    if bytes.len() as u64 > crate::MAX_LIBRARY_BYTES {
        return Err(PluginLoadError::TooLarge {
            path: display.into(),
            size: bytes.len() as u64,
            limit: crate::MAX_LIBRARY_BYTES,
        });
    }
    let lib = LibraryBytes::from_bytes(display.into(), bytes);
    // SAFETY: this process exists to run the unverified library.
    let i = unsafe { inspect_in_process(&lib)? };
    let json = serde_json::json!({
        "sha256": i.sha256,
        "abi_version": i.abi_version,
        "name": i.info.family,
        "prefix": i.info.prefix,
        "version": i.info.version,
        "features": i.info.features.iter()
            .map(|f| [f.name.as_str(), f.ibsi_id.as_str(), f.unit.as_str()])
            .collect::<Vec<_>>(),
    });
    writeln!(output, "{MARKER}{json}")
        .and_then(|_| output.flush())
        .map_err(|e| PluginLoadError::Inspect {
            path: display.into(),
            message: format!("cannot write the inspection: {e}"),
        })
}

/// Inspects a library without running its code in this process: reads the file once
/// ([`read_library`]), starts `child` (a command that calls [`serve_inspection`] on its
/// standard input and output, e.g. radx re-invoking itself), pipes it the bytes and reads
/// back the descriptor. The sha256 reported is that of the bytes this process read and
/// piped; the child must report the same.
pub fn inspect_isolated(path: &Path, mut child: Command) -> Result<Inspection, PluginLoadError> {
    let lib = read_library(path)?;
    let path = lib.path().to_path_buf();
    let fail = |message: String| PluginLoadError::Inspect {
        path: path.clone(),
        message,
    };
    let mut proc = child
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot start the inspection process: {e}")))?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (proc.stdin.take(), proc.stdout.take(), proc.stderr.take())
    else {
        let _ = proc.kill();
        let _ = proc.wait();
        return Err(fail("the inspection process has no pipes".into()));
    };
    let bytes = lib.bytes().to_vec();
    let writer = std::thread::spawn(move || {
        // a child that stops reading early (it crashed) closes the pipe: not our error
        let _ = stdin.write_all(&bytes);
    });
    let read_all = |r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.take(16 << 20).read_to_end(&mut v);
            String::from_utf8_lossy(&v).into_owned()
        })
    };
    let out_reader = read_all(Box::new(stdout));
    let err_reader = read_all(Box::new(stderr));
    let start = Instant::now();
    let status = loop {
        match proc.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > INSPECT_TIMEOUT => {
                let _ = proc.kill();
                let _ = proc.wait();
                return Err(fail(format!(
                    "the library's code did not finish within {} s in the inspection process; killed it",
                    INSPECT_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(fail(format!("waiting for the inspection process: {e}"))),
        }
    };
    let _ = writer.join();
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let err_text = err
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.strip_prefix("radx: error: ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("; ");
    if !status.success() {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(sig) = status.signal() {
                return Err(fail(format!(
                    "the library's own code crashed the inspection process (signal {sig}){}",
                    if err_text.is_empty() {
                        String::new()
                    } else {
                        format!(": {err_text}")
                    }
                )));
            }
        }
        // the child's message names the file already
        let message = if err_text.is_empty() {
            format!("the inspection process failed ({status})")
        } else {
            err_text
        };
        return Err(PluginLoadError::Inspect {
            path: path.clone(),
            message,
        }
        .strip_repeated_path());
    }
    let line = out
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(MARKER))
        .ok_or_else(|| fail("the inspection process printed no inspection".into()))?;
    let v: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| fail(format!("unreadable inspection from the child: {e}")))?;
    let text = |k: &str| v[k].as_str().map(str::to_string);
    let bad = || fail("malformed inspection from the child".into());
    let sha256 = text("sha256").ok_or_else(bad)?;
    if sha256 != lib.sha256() {
        return Err(fail(format!(
            "the inspection process loaded bytes with sha256 {sha256}, not the {} read",
            lib.sha256()
        )));
    }
    let features = v["features"]
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|f| {
            let s = |i: usize| f[i].as_str().map(str::to_string).ok_or_else(bad);
            Ok(FeatureDef {
                name: s(0)?,
                ibsi_id: s(1)?,
                unit: s(2)?,
            })
        })
        .collect::<Result<Vec<_>, PluginLoadError>>()?;
    Ok(Inspection {
        info: PluginInfo {
            family: text("name").ok_or_else(bad)?,
            prefix: text("prefix").ok_or_else(bad)?,
            version: text("version").ok_or_else(bad)?,
            features,
            aggregations: Vec::new(),
        },
        abi_version: v["abi_version"]
            .as_u64()
            .and_then(|a| u32::try_from(a).ok())
            .ok_or_else(bad)?,
        sha256,
        path,
    })
}

impl PluginLoadError {
    /// An `Inspect` error whose message starts with its own path already: shown once.
    fn strip_repeated_path(self) -> Self {
        match self {
            PluginLoadError::Inspect { path, message } => {
                let prefix = format!("{}: ", path.display());
                match message.strip_prefix(&prefix) {
                    Some(rest) => PluginLoadError::Inspect {
                        path,
                        message: rest.to_string(),
                    },
                    None => PluginLoadError::Inspect { path, message },
                }
            }
            other => other,
        }
    }
}
