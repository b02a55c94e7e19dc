//! Host side of the run-time plugin ABI.
//!
//! A plugin library is read once ([`read_library`]): its path is first made absolute
//! (relative to the manifest's folder), the file's bytes are read into memory and hashed,
//! and when the hash matches the manifest's pin, exactly those bytes are loaded (from a
//! sealed memory file on Linux, a private copy elsewhere): the path is never opened
//! again, so neither the dynamic loader's search path (`LD_LIBRARY_PATH`) nor a file
//! swapped after hashing can change what runs. The ABI version is checked before anything
//! else is called, and every symbol must be present. A loaded plugin is a
//! [`FeaturePlugin`] like a built-in family.
//!
//! `radx plugin inspect` of a library nobody pinned runs the library's code (loading a
//! library runs its constructors) in a child process: see [`inspect_isolated`].

use std::ffi::{c_char, CStr, CString};
use std::io::Read;
use std::path::{Path, PathBuf};

use radx_core::settings::{Discretisation, PluginSpec};
use radx_core::{
    Discretised, FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo,
    PluginOrigin, Settings,
};
use radx_plugin_sdk::{
    symbols, RadxDescriptor, RadxGreyLevels, RadxInput, RadxOutput, RADX_DISCRETISATION_FBN,
    RADX_DISCRETISATION_FBS, RADX_DISCRETISATION_NONE, RADX_PLUGIN_ABI_VERSION,
};
use sha2::{Digest, Sha256};
use thiserror::Error;

mod inspect;
mod memload;

pub use inspect::{inspect_isolated, serve_inspection, INSPECT_TIMEOUT};

use memload::LoadedLibrary;

/// The largest plugin library radx reads (1 GiB).
pub const MAX_LIBRARY_BYTES: u64 = 1 << 30;

/// Why a plugin library was refused.
#[derive(Debug, Error)]
pub enum PluginLoadError {
    /// A plugin the settings name could not be loaded.
    #[error("plugin `{name}` named in the settings cannot be loaded: {source}")]
    Plugin {
        /// The manifest's `[[plugins]] name`.
        name: String,
        /// Why.
        #[source]
        source: Box<PluginLoadError>,
    },
    /// The path cannot be made absolute.
    #[error("{path}: cannot resolve the plugin path: {message}")]
    Resolve { path: PathBuf, message: String },
    /// No file at the path.
    #[error("{path}: plugin library not found")]
    NotFound { path: PathBuf },
    /// The path is not a regular file.
    #[error("{path}: not a regular file; a plugin library must be a file")]
    NotAFile { path: PathBuf },
    /// Reading the file failed.
    #[error("{path}: cannot read the plugin library: {message}")]
    Read { path: PathBuf, message: String },
    /// The file is larger than [`MAX_LIBRARY_BYTES`].
    #[error("{path}: {size} bytes, more than the {limit} bytes a plugin library may have")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// The sha256 of the bytes read differs from the pin.
    #[error("{path}: sha256 {found} differs from the manifest's {expected}; refusing to load it (if you rebuilt the plugin, pin the new hash from `radx plugin inspect`)")]
    HashMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },
    /// The platform's loader refused the bytes.
    #[error("{path}: cannot load library: {message}")]
    Load { path: PathBuf, message: String },
    /// A required symbol is missing.
    #[error("{path}: missing symbol `{symbol}`: not a radx plugin, or built against another ABI")]
    MissingSymbol { path: PathBuf, symbol: String },
    /// The library speaks another ABI version.
    #[error("{path}: plugin ABI version {found}, but this radx speaks version {expected} only; rebuild the plugin against this radx's radx_plugin.h or radx-plugin-sdk")]
    AbiVersion {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    /// The descriptor is malformed.
    #[error("{path}: invalid descriptor: {message}")]
    Descriptor { path: PathBuf, message: String },
    /// The descriptor's name is not the manifest's.
    #[error("{path}: the descriptor names the plugin `{found}`, the manifest `{expected}`")]
    NameMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },
    /// The isolated inspection failed.
    #[error("{path}: {message}")]
    Inspect { path: PathBuf, message: String },
}

type AbiVersionFn = unsafe extern "C" fn() -> u32;
type DescriptorFn = unsafe extern "C" fn() -> *const RadxDescriptor;
type ComputeFn = unsafe extern "C" fn(*const RadxInput, *mut RadxOutput) -> i32;
type FreeFn = unsafe extern "C" fn(*mut RadxOutput);

/// The bytes of a plugin library, read once, and their sha256.
#[derive(Clone)]
pub struct LibraryBytes {
    path: PathBuf,
    bytes: Vec<u8>,
    sha256: String,
}

impl std::fmt::Debug for LibraryBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibraryBytes")
            .field("path", &self.path)
            .field("len", &self.bytes.len())
            .field("sha256", &self.sha256)
            .finish()
    }
}

impl LibraryBytes {
    /// Bytes obtained elsewhere (e.g. piped to an inspection child); `path` only names
    /// them in messages.
    pub fn from_bytes(path: PathBuf, bytes: Vec<u8>) -> Self {
        let sha256 = sha256_hex(&bytes);
        LibraryBytes {
            path,
            bytes,
            sha256,
        }
    }

    /// The absolute path the bytes were read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The library's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Lowercase hex sha256 of [`Self::bytes`].
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    radx_core::settings::hex(&Sha256::digest(bytes))
}

/// `path` made absolute against the current folder (without following links).
pub fn absolute(path: &Path) -> Result<PathBuf, PluginLoadError> {
    std::path::absolute(path).map_err(|e| PluginLoadError::Resolve {
        path: path.into(),
        message: e.to_string(),
    })
}

/// The absolute path of a manifest's plugin: a relative `path` resolves against the
/// manifest's folder (`base`), or the current folder for settings not read from a file.
pub fn resolve_path(spec: &PluginSpec, base: Option<&Path>) -> Result<PathBuf, PluginLoadError> {
    absolute(&spec.resolved_path(base))
}

/// Reads a library file once: its path made absolute, its bytes (at most
/// [`MAX_LIBRARY_BYTES`]) and their sha256.
pub fn read_library(path: &Path) -> Result<LibraryBytes, PluginLoadError> {
    let path = absolute(path)?;
    let read_err = |e: std::io::Error| PluginLoadError::Read {
        path: path.clone(),
        message: e.to_string(),
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // a FIFO put in the library's place must not block the open
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            PluginLoadError::NotFound { path: path.clone() }
        } else {
            read_err(e)
        }
    })?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(PluginLoadError::NotAFile { path });
    }
    let too_large = |size: u64| PluginLoadError::TooLarge {
        path: path.clone(),
        size,
        limit: MAX_LIBRARY_BYTES,
    };
    if meta.len() > MAX_LIBRARY_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_LIBRARY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_LIBRARY_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    let sha256 = sha256_hex(&bytes);
    Ok(LibraryBytes {
        path,
        bytes,
        sha256,
    })
}

/// A loaded run-time plugin.
pub struct RuntimePlugin {
    info: PluginInfo,
    path: PathBuf,
    sha256: String,
    settings_json: CString,
    compute: ComputeFn,
    free: FreeFn,
    // Declared last: dropped after the function pointers are no longer usable.
    lib: LoadedLibrary,
}

/// What `radx plugin inspect` shows.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The descriptor.
    pub info: PluginInfo,
    /// What `radx_plugin_abi_version` returned.
    pub abi_version: u32,
    /// sha256 of the bytes inspected.
    pub sha256: String,
    /// The absolute path the bytes were read from.
    pub path: PathBuf,
}

unsafe fn cstr(p: *const c_char, what: &str) -> Result<String, String> {
    if p.is_null() {
        return Err(format!("{what} is null"));
    }
    Ok(CStr::from_ptr(p).to_string_lossy().into_owned())
}

unsafe fn read_descriptor(d: *const RadxDescriptor) -> Result<PluginInfo, String> {
    if d.is_null() {
        return Err("radx_plugin_descriptor returned null".into());
    }
    let d = &*d;
    let n = d.n_features as usize;
    if n > 0 && d.features.is_null() {
        return Err("features is null".into());
    }
    if n > 100_000 {
        return Err(format!("implausible feature count {n}"));
    }
    let mut features = Vec::with_capacity(n);
    for i in 0..n {
        let f = &*d.features.add(i);
        features.push(FeatureDef {
            name: cstr(f.name, "feature name")?,
            ibsi_id: cstr(f.ibsi_id, "feature ibsi_id")?,
            unit: cstr(f.unit, "feature unit")?,
        });
    }
    Ok(PluginInfo {
        family: cstr(d.name, "name")?,
        prefix: cstr(d.prefix, "prefix")?,
        version: cstr(d.version, "version")?,
        features,
        aggregations: Vec::new(),
    })
}

struct Opened {
    lib: LoadedLibrary,
    info: PluginInfo,
    abi: u32,
    compute: ComputeFn,
    free: FreeFn,
}

/// Loads verified bytes: ABI version first, then the other symbols and the descriptor.
///
/// # Safety
/// Runs the library's initialisers: the caller has checked the bytes' hash, or runs in a
/// process meant to run unverified code.
unsafe fn open(lib: &LibraryBytes) -> Result<Opened, PluginLoadError> {
    let path = &lib.path;
    let loaded =
        memload::load_bytes(&lib.bytes, path).map_err(|message| PluginLoadError::Load {
            path: path.clone(),
            message,
        })?;
    let missing = |symbol: &str| PluginLoadError::MissingSymbol {
        path: path.clone(),
        symbol: symbol.into(),
    };
    let l = loaded.library();
    let abi_fn = *l
        .get::<AbiVersionFn>(symbols::ABI_VERSION.as_bytes())
        .map_err(|_| missing(symbols::ABI_VERSION))?;
    let abi = abi_fn();
    if abi != RADX_PLUGIN_ABI_VERSION {
        return Err(PluginLoadError::AbiVersion {
            path: path.clone(),
            found: abi,
            expected: RADX_PLUGIN_ABI_VERSION,
        });
    }
    let descriptor = *l
        .get::<DescriptorFn>(symbols::DESCRIPTOR.as_bytes())
        .map_err(|_| missing(symbols::DESCRIPTOR))?;
    let compute = *l
        .get::<ComputeFn>(symbols::COMPUTE.as_bytes())
        .map_err(|_| missing(symbols::COMPUTE))?;
    let free = *l
        .get::<FreeFn>(symbols::FREE.as_bytes())
        .map_err(|_| missing(symbols::FREE))?;
    let info = read_descriptor(descriptor()).map_err(|message| PluginLoadError::Descriptor {
        path: path.clone(),
        message,
    })?;
    Ok(Opened {
        lib: loaded,
        info,
        abi,
        compute,
        free,
    })
}

/// Loads `lib` in this process and reads its descriptor. This runs the library's code
/// (its constructors and descriptor function): use it for bytes whose hash was checked
/// ([`inspect_pinned`]) or inside an inspection child ([`serve_inspection`]).
///
/// # Safety
/// Runs code from `lib`.
pub unsafe fn inspect_in_process(lib: &LibraryBytes) -> Result<Inspection, PluginLoadError> {
    let o = open(lib)?;
    Ok(Inspection {
        info: o.info,
        abi_version: o.abi,
        sha256: lib.sha256.clone(),
        path: lib.path.clone(),
    })
}

/// Inspects a library in this process after checking that its sha256 is `sha256`.
pub fn inspect_pinned(path: &Path, sha256: &str) -> Result<Inspection, PluginLoadError> {
    let lib = read_library(path)?;
    check_hash(&lib, sha256)?;
    // SAFETY: the bytes are the pinned ones.
    unsafe { inspect_in_process(&lib) }
}

fn check_hash(lib: &LibraryBytes, expected: &str) -> Result<(), PluginLoadError> {
    if lib.sha256 != expected.to_ascii_lowercase() {
        return Err(PluginLoadError::HashMismatch {
            path: lib.path.clone(),
            expected: expected.to_string(),
            found: lib.sha256.clone(),
        });
    }
    Ok(())
}

/// Loads the plugin a manifest names: its path resolved ([`resolve_path`]), its bytes
/// read once ([`read_library`]) and refused unless their sha256 is the manifest's, then
/// exactly those bytes loaded.
pub fn load(spec: &PluginSpec, base: Option<&Path>) -> Result<RuntimePlugin, PluginLoadError> {
    let lib = read_library(&resolve_path(spec, base)?)?;
    load_verified(spec, &lib)
}

/// Loads bytes already read, after checking their sha256 against the manifest's.
pub fn load_verified(
    spec: &PluginSpec,
    lib: &LibraryBytes,
) -> Result<RuntimePlugin, PluginLoadError> {
    check_hash(lib, &spec.sha256)?;
    // SAFETY: the bytes are the pinned ones.
    let o = unsafe { open(lib)? };
    if o.info.family != spec.name {
        return Err(PluginLoadError::NameMismatch {
            path: lib.path.clone(),
            expected: spec.name.clone(),
            found: o.info.family,
        });
    }
    let json = serde_json::to_string(&spec.settings).unwrap_or_else(|_| "{}".into());
    Ok(RuntimePlugin {
        info: o.info,
        path: lib.path.clone(),
        sha256: lib.sha256.clone(),
        settings_json: c_string(json),
        compute: o.compute,
        free: o.free,
        lib: o.lib,
    })
}

/// Loads every plugin a manifest names, in order. The first that cannot be loaded is
/// the error (wrapped in [`PluginLoadError::Plugin`] with its name): a run never goes on
/// without a plugin its settings name.
pub fn load_all(settings: &Settings) -> Result<Vec<RuntimePlugin>, PluginLoadError> {
    settings
        .plugins
        .iter()
        .map(|spec| {
            load(spec, settings.source_dir.as_deref()).map_err(|e| PluginLoadError::Plugin {
                name: spec.name.clone(),
                source: Box::new(e),
            })
        })
        .collect()
}

fn c_string(s: String) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

impl RuntimePlugin {
    /// The absolute path the library was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// sha256 of the bytes loaded.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The name the platform's loader knows the library by (not its path).
    #[doc(hidden)]
    pub fn loader_name(&self) -> &std::ffi::OsStr {
        self.lib.loader_name()
    }
}

/// A grey-level set for the ABI. `levels` and `reason` must outlive its use.
fn grey_levels(
    method: &Discretisation,
    d: &Result<Discretised, String>,
    levels: Option<&ndarray::CowArray<'_, u32, ndarray::Ix3>>,
    reason: &CString,
) -> RadxGreyLevels {
    let (m, bins, width, lower) = match *method {
        Discretisation::Fbn { bins } => (RADX_DISCRETISATION_FBN, bins, f64::NAN, f64::NAN),
        Discretisation::Fbs {
            bin_width,
            lower_bound,
        } => (
            RADX_DISCRETISATION_FBS,
            0,
            bin_width,
            lower_bound.unwrap_or(f64::NAN),
        ),
        Discretisation::None => (RADX_DISCRETISATION_NONE, 0, f64::NAN, f64::NAN),
    };
    let (ptr, n_levels, lower_edge, bin_width, why) = match (d, levels) {
        (Ok(d), Some(l)) => (
            l.as_ptr(),
            d.n_levels,
            d.lower_edge,
            d.bin_width,
            std::ptr::null(),
        ),
        _ => (std::ptr::null(), 0, f64::NAN, f64::NAN, reason.as_ptr()),
    };
    RadxGreyLevels {
        method: m,
        bins,
        bin_width_setting: width,
        lower_bound_setting: lower,
        levels: ptr,
        n_levels,
        lower_edge,
        bin_width,
        undefined_reason: why,
    }
}

impl FeaturePlugin for RuntimePlugin {
    fn info(&self) -> &PluginInfo {
        &self.info
    }

    fn origin(&self) -> PluginOrigin {
        PluginOrigin::Library {
            path: self.path.display().to_string(),
            sha256: self.sha256.clone(),
        }
    }

    fn compute(&self, input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        let roi = input.roi;
        let std_image = roi.image.as_standard_layout();
        let to_u8 = |m: &ndarray::Array3<bool>| -> Vec<u8> { m.iter().map(|&b| b as u8).collect() };
        let intensity = to_u8(&roi.intensity);
        let morphological = to_u8(&roi.morphological);
        let sets = [input.histogram, input.texture, input.ivh];
        let levels: Vec<_> = sets
            .iter()
            .map(|d| d.as_ref().ok().map(|d| d.levels.as_standard_layout()))
            .collect();
        let reasons: Vec<CString> = sets
            .iter()
            .map(|d| match d {
                Ok(_) => CString::default(),
                Err(e) => c_string(e.clone()),
            })
            .collect();
        let d = &input.settings.discretisation;
        let methods = [&d.histogram, &d.texture, &d.ivh];
        let gl = |i: usize| grey_levels(methods[i], sets[i], levels[i].as_ref(), &reasons[i]);
        let settings_toml = c_string(input.settings.canonical());
        let (z, y, x) = roi.image.dim();
        let abi_input = RadxInput {
            shape_zyx: [z as u64, y as u64, x as u64],
            spacing_zyx: roi.grid.spacing_zyx,
            origin_xyz: roi.grid.origin_xyz,
            image: std_image.as_ptr(),
            intensity_mask: intensity.as_ptr(),
            morphological_mask: morphological.as_ptr(),
            histogram: gl(0),
            texture: gl(1),
            ivh: gl(2),
            settings_toml: settings_toml.as_ptr(),
            settings_json: self.settings_json.as_ptr(),
        };
        let mut out = RadxOutput::empty();
        // SAFETY: the library passed the ABI checks; every buffer `abi_input` points to
        // lives until the end of this function.
        let status = unsafe { (self.compute)(&abi_input, &mut out) };
        let result = unsafe { self.convert(status, &out) };
        unsafe { (self.free)(&mut out) };
        result
    }
}

impl RuntimePlugin {
    unsafe fn convert(
        &self,
        status: i32,
        out: &RadxOutput,
    ) -> Result<Vec<FeatureValue>, PluginError> {
        let who = format!("plugin `{}` ({})", self.info.family, self.path.display());
        if !out.error.is_null() {
            let msg = CStr::from_ptr(out.error).to_string_lossy();
            return Err(PluginError::Failed(format!("{who}: {msg}")));
        }
        if status != 0 {
            return Err(PluginError::Failed(format!(
                "{who}: returned status {status}"
            )));
        }
        let n = out.n_values as usize;
        if n != self.info.features.len() {
            return Err(PluginError::Failed(format!(
                "{who}: returned {n} values for {} features",
                self.info.features.len()
            )));
        }
        if n > 0 && (out.values.is_null() || out.reasons.is_null()) {
            return Err(PluginError::Failed(format!("{who}: null value arrays")));
        }
        let mut values = Vec::with_capacity(n);
        for (i, f) in self.info.features.iter().enumerate() {
            let reason = *out.reasons.add(i);
            if reason.is_null() {
                values.push(FeatureValue::number(&f.name, None, *out.values.add(i)));
            } else {
                let r = CStr::from_ptr(reason).to_string_lossy();
                values.push(FeatureValue::missing(&f.name, None, &r));
            }
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &str) -> PluginSpec {
        PluginSpec {
            name: "p".into(),
            path: path.into(),
            sha256: "0".repeat(64),
            settings: Default::default(),
        }
    }

    #[test]
    fn plugin_paths_are_absolute_before_anything() {
        let cwd = std::env::current_dir().unwrap();
        // a manifest in the current folder has an empty parent: the bare name must not
        // reach the loader, whose search path would pick another file
        for base in [None, Some(Path::new(""))] {
            let p = resolve_path(&spec("libx.so"), base).unwrap();
            assert!(p.is_absolute(), "{}", p.display());
            assert_eq!(p, cwd.join("libx.so"));
        }
        let p = resolve_path(&spec("sub/libx.so"), Some(Path::new("m"))).unwrap();
        assert_eq!(p, cwd.join("m/sub/libx.so"));
        let p = resolve_path(&spec("/abs/libx.so"), Some(Path::new("/m"))).unwrap();
        assert_eq!(p, Path::new("/abs/libx.so"));
    }

    #[test]
    fn reading_a_library_hashes_the_bytes_it_keeps() {
        let dir = std::env::temp_dir().join(format!("radx-host-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("lib.so");
        std::fs::write(&f, b"some bytes").unwrap();
        let l = read_library(&f).unwrap();
        assert_eq!(l.bytes(), b"some bytes");
        assert_eq!(l.sha256(), sha256_hex(b"some bytes"));
        assert!(matches!(
            read_library(&dir),
            Err(PluginLoadError::NotAFile { .. })
        ));
        assert!(matches!(
            read_library(&dir.join("none.so")),
            Err(PluginLoadError::NotFound { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
