//! The radx run-time plugin ABI, version 2.
//!
//! A run-time plugin is a shared library exporting four C functions:
//!
//! | symbol | signature |
//! | --- | --- |
//! | `radx_plugin_abi_version` | `uint32_t (void)` — must return [`RADX_PLUGIN_ABI_VERSION`]; the host calls it before anything else and refuses any other version |
//! | `radx_plugin_descriptor` | `const RadxDescriptor *(void)` — name, tag prefix, version, features; owned by the plugin, valid while it is loaded |
//! | `radx_plugin_compute` | `int32_t (const RadxInput *, RadxOutput *)` — fills the output; returns 0, or non-zero with `output->error` set |
//! | `radx_plugin_free` | `void (RadxOutput *)` — frees what `radx_plugin_compute` allocated in the output |
//!
//! Memory crosses the boundary in one direction only: the host owns the input, the plugin
//! owns the descriptor and the output's arrays and strings (freed by `radx_plugin_free`).
//! No Rust type other than these `repr(C)` structs crosses it. `include/radx_plugin.h` is
//! the same ABI for C and C++.
//!
//! # Threading and buffers
//!
//! * `radx_plugin_abi_version` and `radx_plugin_descriptor` are called once each, from
//!   one thread, right after the library is loaded and before any `radx_plugin_compute`.
//! * `radx_plugin_compute` **is called concurrently from several threads** (one call per
//!   ROI and image; `radx batch` and `radx stability` compute several cases at once). It
//!   must be reentrant: no unsynchronised mutable global or static state.
//! * Every pointer in [`RadxInput`] (arrays, strings, the grey-level sets) is owned by the
//!   host, read-only, and valid only until `radx_plugin_compute` returns: the plugin must
//!   not write through it, free it, or keep it after returning.
//! * The host passes a zeroed [`RadxOutput`]. What the plugin puts there is read by the host
//!   after `radx_plugin_compute` returns and then handed to `radx_plugin_free`, exactly once
//!   per compute call (whatever it returned), on the same thread, before that thread calls
//!   compute again.
//! * The descriptor and the strings it points to must stay valid and unchanged while the
//!   library is loaded.
//!
//! # What a plugin receives
//!
//! For each ROI (on the original image and on every response map of `[filters]`):
//! the processed image and masks, the three discretised grey-level sets (intensity
//! histogram, texture, intensity-volume histogram) with both the manifest's method and
//! parameters and what they gave for this ROI ([`RadxGreyLevels`]), the canonical text of
//! the settings manifest under which the ROI is computed (`settings_toml`; on a response
//! map, with `[features]` and `[discretisation]` replaced by the `[filters]` ones), and
//! the plugin's own `[plugins.settings]` table as JSON.
//!
//! A Rust plugin implements [`radx_core::FeaturePlugin`] as a built-in family would and
//! exports it with [`export_plugin!`]: its [`radx_core::FeatureInput`] then holds the
//! real settings (parsed from `settings_toml`) and the three discretisations with their
//! real lower edges and bin widths. A panic inside it is caught at the boundary and
//! becomes an error for that case.
//!
//! # Versions
//!
//! * 1: no grey-level sets other than the texture levels, no settings text.
//! * 2: [`RadxGreyLevels`] for the histogram, texture and IVH discretisations, and
//!   `settings_toml`. The host refuses version-1 libraries (rebuild against this SDK or
//!   `radx_plugin.h`).
//!
//! Must not: depend on radx crates other than radx-core, so that a plugin builds against
//! the model alone.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::sync::Arc;

pub use radx_core;

/// The ABI version this SDK and the radx host speak.
pub const RADX_PLUGIN_ABI_VERSION: u32 = 2;

/// Names of the exported symbols.
pub mod symbols {
    /// `uint32_t radx_plugin_abi_version(void)`.
    pub const ABI_VERSION: &str = "radx_plugin_abi_version";
    /// `const RadxDescriptor *radx_plugin_descriptor(void)`.
    pub const DESCRIPTOR: &str = "radx_plugin_descriptor";
    /// `int32_t radx_plugin_compute(const RadxInput *, RadxOutput *)`.
    pub const COMPUTE: &str = "radx_plugin_compute";
    /// `void radx_plugin_free(RadxOutput *)`.
    pub const FREE: &str = "radx_plugin_free";
}

/// [`RadxGreyLevels::method`]: no discretisation (intensities are the grey levels).
pub const RADX_DISCRETISATION_NONE: u32 = 0;
/// [`RadxGreyLevels::method`]: fixed bin number.
pub const RADX_DISCRETISATION_FBN: u32 = 1;
/// [`RadxGreyLevels::method`]: fixed bin size.
pub const RADX_DISCRETISATION_FBS: u32 = 2;

/// One discretised grey-level set of an ROI: the manifest's method and parameters, and
/// what they gave for this ROI.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct RadxGreyLevels {
    /// `RADX_DISCRETISATION_NONE`, `_FBN` or `_FBS`, as the settings name it.
    pub method: u32,
    /// FBN: the manifest's number of bins; 0 for the other methods.
    pub bins: u32,
    /// FBS: the manifest's bin width; NaN for the other methods.
    pub bin_width_setting: f64,
    /// FBS: the manifest's `lower_bound`; NaN when it is not set or for the other methods.
    pub lower_bound_setting: f64,
    /// Grey level per voxel (C order, (z, y, x)): 0 outside the intensity mask,
    /// 1..=`n_levels` inside; null when this discretisation is undefined for the ROI
    /// (then `undefined_reason` says why).
    pub levels: *const u32,
    /// Number of grey levels: FBN the number of bins, FBS and none the highest level.
    pub n_levels: u32,
    /// Intensity at the lower edge of grey level 1 for this ROI (FBN: the ROI minimum;
    /// FBS: the lower bound in effect; none: 0.5).
    pub lower_edge: f64,
    /// Width of a grey level in intensity units for this ROI (FBN: range / bins; FBS: the
    /// bin width; none: 1). The centre of level k is `lower_edge + (k - 0.5) * bin_width`.
    pub bin_width: f64,
    /// Null when `levels` is set; else a NUL-terminated reason.
    pub undefined_reason: *const c_char,
}

/// What a plugin receives for one ROI. Arrays hold `shape_zyx[0] * shape_zyx[1] *
/// shape_zyx[2]` elements in C order, indexed (z, y, x).
#[repr(C)]
pub struct RadxInput {
    /// Array shape (z, y, x).
    pub shape_zyx: [u64; 3],
    /// Voxel spacing in mm, (z, y, x).
    pub spacing_zyx: [f64; 3],
    /// World position (x, y, z) in mm of voxel (0, 0, 0).
    pub origin_xyz: [f64; 3],
    /// Processed intensities.
    pub image: *const f64,
    /// 1 where the voxel is in the intensity mask (after re-segmentation), else 0.
    pub intensity_mask: *const u8,
    /// 1 where the voxel is in the morphological mask, else 0.
    pub morphological_mask: *const u8,
    /// Grey levels for the intensity histogram (`[discretisation.histogram]`).
    pub histogram: RadxGreyLevels,
    /// Grey levels for the texture matrices (`[discretisation.texture]`).
    pub texture: RadxGreyLevels,
    /// Grey levels for the intensity-volume histogram (`[discretisation.ivh]`).
    pub ivh: RadxGreyLevels,
    /// The canonical settings manifest (TOML, NUL-terminated) this ROI is computed under;
    /// on a response map, with `[features]` and `[discretisation]` replaced by the
    /// `[filters]` ones.
    pub settings_toml: *const c_char,
    /// The plugin's own settings (the manifest's `[plugins.settings]` table) as JSON,
    /// NUL-terminated; `{}` when there are none.
    pub settings_json: *const c_char,
}

/// One feature a plugin computes.
#[repr(C)]
pub struct RadxFeature {
    /// Feature name (the row tag is `{prefix}_{name}`).
    pub name: *const c_char,
    /// IBSI identifier, or an empty string.
    pub ibsi_id: *const c_char,
    /// Unit, or an empty string.
    pub unit: *const c_char,
}

/// What a plugin says about itself.
#[repr(C)]
pub struct RadxDescriptor {
    /// Family name, as named in the manifest's `[[plugins]] name`.
    pub name: *const c_char,
    /// Tag prefix of the output rows (`{prefix}_{feature}`).
    pub prefix: *const c_char,
    /// The plugin's version, recorded in provenance.
    pub version: *const c_char,
    /// Number of entries of `features`.
    pub n_features: u64,
    /// The features, in the order of the values `radx_plugin_compute` returns.
    pub features: *const RadxFeature,
}

/// What a plugin returns: one value per descriptor feature, in the descriptor's order.
#[repr(C)]
pub struct RadxOutput {
    /// Must equal the descriptor's `n_features`.
    pub n_values: u64,
    /// `n_values` numbers; ignored where `reasons[i]` is non-null.
    pub values: *mut f64,
    /// `n_values` entries: null where the value is defined, else a NUL-terminated reason.
    pub reasons: *mut *mut c_char,
    /// Non-null when the whole computation failed: a NUL-terminated message.
    pub error: *mut c_char,
}

impl RadxOutput {
    /// An empty output for the host to pass in.
    pub fn empty() -> Self {
        RadxOutput {
            n_values: 0,
            values: std::ptr::null_mut(),
            reasons: std::ptr::null_mut(),
            error: std::ptr::null_mut(),
        }
    }
}

thread_local! {
    static PLUGIN_SETTINGS: RefCell<String> = RefCell::new(String::from("{}"));
    /// The last settings text parsed on this thread and its result: every ROI of a run
    /// shares one text, so it is parsed once per thread.
    static MANIFEST: RefCell<Option<(String, Arc<radx_core::Settings>)>> =
        const { RefCell::new(None) };
}

/// Inside a Rust plugin's `compute`: the plugin's own settings (`[plugins.settings]`) as
/// JSON.
pub fn plugin_settings_json() -> String {
    PLUGIN_SETTINGS.with(|s| s.borrow().clone())
}

/// Plugin-side machinery used by [`export_plugin!`]; not for direct use.
#[doc(hidden)]
pub mod guest {
    use super::*;
    use ndarray::Array3;
    use radx_core::{Discretised, FeatureInput, FeaturePlugin, Grid, Roi, Settings};
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// A plugin with its descriptor kept alive for the library's lifetime.
    pub struct Exported {
        plugin: Box<dyn FeaturePlugin>,
        _strings: Vec<CString>,
        _features: Vec<RadxFeature>,
        descriptor: RadxDescriptor,
    }

    // The raw pointers point into `_strings` / `_features`, which never change after
    // construction; the plugin itself is Send + Sync.
    unsafe impl Send for Exported {}
    unsafe impl Sync for Exported {}

    fn cstring(s: &str) -> CString {
        CString::new(s.replace('\0', " ")).expect("no interior NUL")
    }

    impl Exported {
        pub fn new(plugin: Box<dyn FeaturePlugin>) -> Self {
            let info = plugin.info().clone();
            let mut strings = vec![
                cstring(&info.family),
                cstring(&info.prefix),
                cstring(&info.version),
            ];
            for f in &info.features {
                strings.push(cstring(&f.name));
                strings.push(cstring(&f.ibsi_id));
                strings.push(cstring(&f.unit));
            }
            let features: Vec<RadxFeature> = (0..info.features.len())
                .map(|i| RadxFeature {
                    name: strings[3 + 3 * i].as_ptr(),
                    ibsi_id: strings[4 + 3 * i].as_ptr(),
                    unit: strings[5 + 3 * i].as_ptr(),
                })
                .collect();
            let descriptor = RadxDescriptor {
                name: strings[0].as_ptr(),
                prefix: strings[1].as_ptr(),
                version: strings[2].as_ptr(),
                n_features: features.len() as u64,
                features: features.as_ptr(),
            };
            Exported {
                plugin,
                _strings: strings,
                _features: features,
                descriptor,
            }
        }

        pub fn descriptor(&self) -> *const RadxDescriptor {
            &self.descriptor
        }
    }

    fn set_error(out: &mut RadxOutput, msg: &str) -> i32 {
        out.error = cstring(msg).into_raw();
        1
    }

    /// The settings a host passed as `settings_toml`, parsed once per thread and text.
    fn parse_settings(text: &str) -> Result<Arc<Settings>, String> {
        MANIFEST.with(|m| {
            if let Some((t, s)) = &*m.borrow() {
                if t == text {
                    return Ok(s.clone());
                }
            }
            let s = Arc::new(
                Settings::from_toml_str(text, "settings passed by the radx host")
                    .map_err(|e| format!("cannot read the settings the host passed: {e}"))?,
            );
            *m.borrow_mut() = Some((text.to_string(), s.clone()));
            Ok(s)
        })
    }

    /// A grey-level set as the core's [`Discretised`], or why it is undefined.
    ///
    /// # Safety
    /// `g.levels` is null or points to `n` values; `g.undefined_reason` is null or a C string.
    unsafe fn grey_levels(
        g: &RadxGreyLevels,
        dim: (usize, usize, usize),
        n: usize,
    ) -> Result<Discretised, String> {
        if g.levels.is_null() {
            return Err(if g.undefined_reason.is_null() {
                "discretisation undefined for this ROI".into()
            } else {
                CStr::from_ptr(g.undefined_reason)
                    .to_string_lossy()
                    .into_owned()
            });
        }
        Ok(Discretised {
            levels: Array3::from_shape_vec(dim, std::slice::from_raw_parts(g.levels, n).to_vec())
                .map_err(|e| e.to_string())?,
            n_levels: g.n_levels,
            lower_edge: g.lower_edge,
            bin_width: g.bin_width,
        })
    }

    /// # Safety
    /// `input` and `output` must be valid pointers as the ABI describes.
    pub unsafe fn compute(
        plugin: &Exported,
        input: *const RadxInput,
        output: *mut RadxOutput,
    ) -> i32 {
        if input.is_null() || output.is_null() {
            return 2;
        }
        let out = &mut *output;
        *out = RadxOutput::empty();
        let inp = &*input;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let shape = [
                usize::try_from(inp.shape_zyx[0]).map_err(|e| e.to_string())?,
                usize::try_from(inp.shape_zyx[1]).map_err(|e| e.to_string())?,
                usize::try_from(inp.shape_zyx[2]).map_err(|e| e.to_string())?,
            ];
            let n = shape[0]
                .checked_mul(shape[1])
                .and_then(|v| v.checked_mul(shape[2]))
                .ok_or_else(|| format!("array shape {shape:?} overflows"))?;
            if n > 0
                && (inp.image.is_null()
                    || inp.intensity_mask.is_null()
                    || inp.morphological_mask.is_null())
            {
                return Err("the host passed a null array".to_string());
            }
            let dim = (shape[0], shape[1], shape[2]);
            let image =
                Array3::from_shape_vec(dim, std::slice::from_raw_parts(inp.image, n).to_vec())
                    .map_err(|e| e.to_string())?;
            let to_mask = |p: *const u8| {
                Array3::from_shape_vec(
                    dim,
                    std::slice::from_raw_parts(p, n)
                        .iter()
                        .map(|&v| v != 0)
                        .collect(),
                )
            };
            let intensity = to_mask(inp.intensity_mask).map_err(|e| e.to_string())?;
            let morphological = to_mask(inp.morphological_mask).map_err(|e| e.to_string())?;
            let mut grid = Grid::new(shape, inp.spacing_zyx, inp.origin_xyz);
            grid.shape_zyx = shape;
            let roi = Roi {
                grid,
                image,
                morphological,
                intensity,
            };
            let histogram = grey_levels(&inp.histogram, dim, n);
            let texture = grey_levels(&inp.texture, dim, n);
            let ivh = grey_levels(&inp.ivh, dim, n);
            if inp.settings_toml.is_null() {
                return Err("the host passed no settings".to_string());
            }
            let settings = parse_settings(&CStr::from_ptr(inp.settings_toml).to_string_lossy())?;
            let settings_json = if inp.settings_json.is_null() {
                "{}".to_string()
            } else {
                CStr::from_ptr(inp.settings_json)
                    .to_string_lossy()
                    .into_owned()
            };
            PLUGIN_SETTINGS.with(|s| *s.borrow_mut() = settings_json);
            let fi = FeatureInput {
                roi: &roi,
                settings: &settings,
                histogram: &histogram,
                texture: &texture,
                ivh: &ivh,
            };
            plugin.plugin.compute(&fi).map_err(|e| e.to_string())
        }));
        match result {
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic payload".into());
                set_error(out, &format!("plugin panicked: {msg}"))
            }
            Ok(Err(e)) => set_error(out, &e),
            Ok(Ok(values)) => {
                let mut nums: Vec<f64> = Vec::with_capacity(values.len());
                let mut reasons: Vec<*mut c_char> = Vec::with_capacity(values.len());
                for v in &values {
                    match v.value {
                        Some(x) => {
                            nums.push(x);
                            reasons.push(std::ptr::null_mut());
                        }
                        None => {
                            nums.push(0.0);
                            let r = v.missing_reason.clone().unwrap_or_else(|| "missing".into());
                            reasons.push(cstring(&r).into_raw());
                        }
                    }
                }
                out.n_values = values.len() as u64;
                out.values = Box::into_raw(nums.into_boxed_slice()) as *mut f64;
                out.reasons = Box::into_raw(reasons.into_boxed_slice()) as *mut *mut c_char;
                0
            }
        }
    }

    /// # Safety
    /// `output` must have been filled by [`compute`] and not freed yet.
    pub unsafe fn free(output: *mut RadxOutput) {
        if output.is_null() {
            return;
        }
        let out = &mut *output;
        let n = out.n_values as usize;
        if !out.reasons.is_null() {
            let reasons = Box::from_raw(std::ptr::slice_from_raw_parts_mut(out.reasons, n));
            for &r in reasons.iter() {
                if !r.is_null() {
                    drop(CString::from_raw(r));
                }
            }
        }
        if !out.values.is_null() {
            drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                out.values, n,
            )));
        }
        if !out.error.is_null() {
            drop(CString::from_raw(out.error));
        }
        *out = RadxOutput::empty();
    }
}

/// Exports a [`radx_core::FeaturePlugin`] through the C ABI. The argument is an
/// expression that builds the plugin (evaluated once, on first use).
///
/// ```ignore
/// struct MyPlugin { info: radx_core::PluginInfo }
/// impl radx_core::FeaturePlugin for MyPlugin { /* info() and compute() */ }
/// radx_plugin_sdk::export_plugin!(MyPlugin::new());
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($make:expr) => {
        static __RADX_EXPORTED: ::std::sync::OnceLock<$crate::guest::Exported> =
            ::std::sync::OnceLock::new();

        fn __radx_exported() -> &'static $crate::guest::Exported {
            __RADX_EXPORTED.get_or_init(|| $crate::guest::Exported::new(Box::new($make)))
        }

        #[no_mangle]
        pub extern "C" fn radx_plugin_abi_version() -> u32 {
            $crate::RADX_PLUGIN_ABI_VERSION
        }

        #[no_mangle]
        pub extern "C" fn radx_plugin_descriptor() -> *const $crate::RadxDescriptor {
            match ::std::panic::catch_unwind(__radx_exported) {
                Ok(e) => e.descriptor(),
                Err(_) => ::std::ptr::null(),
            }
        }

        /// # Safety
        /// Called by the radx host with valid pointers.
        #[no_mangle]
        pub unsafe extern "C" fn radx_plugin_compute(
            input: *const $crate::RadxInput,
            output: *mut $crate::RadxOutput,
        ) -> i32 {
            match ::std::panic::catch_unwind(__radx_exported) {
                Ok(e) => $crate::guest::compute(e, input, output),
                Err(_) => 3,
            }
        }

        /// # Safety
        /// Called by the radx host on an output this plugin filled.
        #[no_mangle]
        pub unsafe extern "C" fn radx_plugin_free(output: *mut $crate::RadxOutput) {
            $crate::guest::free(output)
        }
    };
}
