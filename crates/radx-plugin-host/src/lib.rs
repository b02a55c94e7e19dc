//! Host side of the run-time plugin ABI: a library is loaded only after its sha256
//! matches the manifest's; its ABI version is checked before anything else is called;
//! every symbol must be present. A loaded plugin is a [`FeaturePlugin`] like a built-in
//! family.

use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};

use libloading::Library;
use radx_core::settings::PluginSpec;
use radx_core::{
    FeatureDef, FeatureInput, FeaturePlugin, FeatureValue, PluginError, PluginInfo, PluginOrigin,
    Settings,
};
use radx_plugin_sdk::{symbols, RadxDescriptor, RadxInput, RadxOutput, RADX_PLUGIN_ABI_VERSION};
use thiserror::Error;

/// Why a plugin library was refused.
#[derive(Debug, Error)]
pub enum PluginLoadError {
    #[error("{path}: plugin library not found")]
    NotFound { path: PathBuf },
    #[error("{path}: sha256 {found} differs from the manifest's {expected}; refusing to load it (if you rebuilt the plugin, pin the new hash from `radx plugin inspect`)")]
    HashMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{path}: cannot load library: {message}")]
    Load { path: PathBuf, message: String },
    #[error("{path}: missing symbol `{symbol}`: not a radx plugin, or built against another ABI")]
    MissingSymbol { path: PathBuf, symbol: String },
    #[error("{path}: plugin ABI version {found}, but this radx speaks version {expected}")]
    AbiVersion {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("{path}: invalid descriptor: {message}")]
    Descriptor { path: PathBuf, message: String },
    #[error("{path}: the descriptor names the plugin `{found}`, the manifest `{expected}`")]
    NameMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error(transparent)]
    Io(#[from] radx_io::IoError),
}

type AbiVersionFn = unsafe extern "C" fn() -> u32;
type DescriptorFn = unsafe extern "C" fn() -> *const RadxDescriptor;
type ComputeFn = unsafe extern "C" fn(*const RadxInput, *mut RadxOutput) -> i32;
type FreeFn = unsafe extern "C" fn(*mut RadxOutput);

/// A loaded run-time plugin.
pub struct RuntimePlugin {
    info: PluginInfo,
    path: PathBuf,
    sha256: String,
    settings_json: CString,
    compute: ComputeFn,
    free: FreeFn,
    // Declared last: dropped after the function pointers are no longer usable.
    _lib: Library,
}

/// What `radx plugin inspect` shows.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub info: PluginInfo,
    pub abi_version: u32,
    pub sha256: String,
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
    lib: Library,
    info: PluginInfo,
    abi: u32,
    compute: ComputeFn,
    free: FreeFn,
}

/// Opens a library: ABI version first, then the other symbols and the descriptor.
fn open(path: &Path) -> Result<Opened, PluginLoadError> {
    // SAFETY: loading a library runs its initialisers; callers check the sha256 first.
    let lib = unsafe { Library::new(path) }.map_err(|e| PluginLoadError::Load {
        path: path.into(),
        message: e.to_string(),
    })?;
    let missing = |symbol: &str| PluginLoadError::MissingSymbol {
        path: path.into(),
        symbol: symbol.into(),
    };
    unsafe {
        let abi_fn = *lib
            .get::<AbiVersionFn>(symbols::ABI_VERSION.as_bytes())
            .map_err(|_| missing(symbols::ABI_VERSION))?;
        let abi = abi_fn();
        if abi != RADX_PLUGIN_ABI_VERSION {
            return Err(PluginLoadError::AbiVersion {
                path: path.into(),
                found: abi,
                expected: RADX_PLUGIN_ABI_VERSION,
            });
        }
        let descriptor = *lib
            .get::<DescriptorFn>(symbols::DESCRIPTOR.as_bytes())
            .map_err(|_| missing(symbols::DESCRIPTOR))?;
        let compute = *lib
            .get::<ComputeFn>(symbols::COMPUTE.as_bytes())
            .map_err(|_| missing(symbols::COMPUTE))?;
        let free = *lib
            .get::<FreeFn>(symbols::FREE.as_bytes())
            .map_err(|_| missing(symbols::FREE))?;
        let info =
            read_descriptor(descriptor()).map_err(|message| PluginLoadError::Descriptor {
                path: path.into(),
                message,
            })?;
        Ok(Opened {
            lib,
            info,
            abi,
            compute,
            free,
        })
    }
}

fn file_hash(path: &Path) -> Result<String, PluginLoadError> {
    if !path.is_file() {
        return Err(PluginLoadError::NotFound { path: path.into() });
    }
    Ok(radx_io::sha256_file(path)?)
}

/// Loads a library for `radx plugin inspect`: no hash to compare, but the ABI and
/// descriptor are checked the same way.
pub fn inspect(path: &Path) -> Result<Inspection, PluginLoadError> {
    let sha256 = file_hash(path)?;
    let o = open(path)?;
    Ok(Inspection {
        info: o.info,
        abi_version: o.abi,
        sha256,
    })
}

/// Loads the plugin a manifest names, refusing it unless its sha256 matches.
pub fn load(spec: &PluginSpec, base: Option<&Path>) -> Result<RuntimePlugin, PluginLoadError> {
    let path = spec.resolved_path(base);
    let found = file_hash(&path)?;
    if found != spec.sha256 {
        return Err(PluginLoadError::HashMismatch {
            path,
            expected: spec.sha256.clone(),
            found,
        });
    }
    let o = open(&path)?;
    if o.info.family != spec.name {
        return Err(PluginLoadError::NameMismatch {
            path,
            expected: spec.name.clone(),
            found: o.info.family,
        });
    }
    let json = serde_json::to_string(&spec.settings).unwrap_or_else(|_| "{}".into());
    Ok(RuntimePlugin {
        info: o.info,
        path,
        sha256: found,
        settings_json: CString::new(json).unwrap_or_else(|_| CString::new("{}").unwrap()),
        compute: o.compute,
        free: o.free,
        _lib: o.lib,
    })
}

/// A plugin that could not be loaded: it reports every case as failed, so the refusal
/// shows in the output table (one missing row) and the other families still run.
pub struct RefusedPlugin {
    info: PluginInfo,
    reason: String,
    path: String,
}

impl RefusedPlugin {
    pub fn new(spec: &PluginSpec, error: &PluginLoadError) -> Self {
        RefusedPlugin {
            info: PluginInfo {
                family: spec.name.clone(),
                prefix: spec.name.clone(),
                version: String::new(),
                features: vec![FeatureDef::new("plugin", "", "")],
                aggregations: Vec::new(),
            },
            reason: format!("plugin refused: {error}"),
            path: spec.path.clone(),
        }
    }
}

impl FeaturePlugin for RefusedPlugin {
    fn info(&self) -> &PluginInfo {
        &self.info
    }
    fn compute(&self, _input: &FeatureInput) -> Result<Vec<FeatureValue>, PluginError> {
        Err(PluginError::Failed(self.reason.clone()))
    }
    fn origin(&self) -> PluginOrigin {
        PluginOrigin::Library {
            path: self.path.clone(),
            sha256: "refused".into(),
        }
    }
}

/// Loads every plugin a manifest names. Refused ones come back as [`RefusedPlugin`]s
/// with their errors, so that the caller can report them and still run the rest.
pub fn load_all(settings: &Settings) -> (Vec<Box<dyn FeaturePlugin>>, Vec<PluginLoadError>) {
    let mut plugins: Vec<Box<dyn FeaturePlugin>> = Vec::new();
    let mut errors = Vec::new();
    for spec in &settings.plugins {
        match load(spec, settings.source_dir.as_deref()) {
            Ok(p) => plugins.push(Box::new(p)),
            Err(e) => {
                plugins.push(Box::new(RefusedPlugin::new(spec, &e)));
                errors.push(e);
            }
        }
    }
    (plugins, errors)
}

impl RuntimePlugin {
    pub fn path(&self) -> &Path {
        &self.path
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
        let levels = input
            .texture
            .as_ref()
            .ok()
            .map(|d| d.levels.as_standard_layout().to_owned());
        let n_levels = input.texture.as_ref().map(|d| d.n_levels).unwrap_or(0);
        let (z, y, x) = roi.image.dim();
        let abi_input = RadxInput {
            shape_zyx: [z as u64, y as u64, x as u64],
            spacing_zyx: roi.grid.spacing_zyx,
            origin_xyz: roi.grid.origin_xyz,
            image: std_image.as_ptr(),
            intensity_mask: intensity.as_ptr(),
            morphological_mask: morphological.as_ptr(),
            texture_levels: levels.as_ref().map_or(std::ptr::null(), |l| l.as_ptr()),
            n_texture_levels: n_levels,
            settings_json: self.settings_json.as_ptr(),
        };
        let mut out = RadxOutput::empty();
        // SAFETY: the library passed the ABI checks; input arrays outlive the call.
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
