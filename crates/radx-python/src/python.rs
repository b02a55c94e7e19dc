//! The extension module `radx._radx`: Python objects in, [`crate::engine`] calls with the
//! GIL released, Python objects or `radx.RadxError` subclasses out. The public, documented
//! API is the pure-Python package `radx` (src/radx/__init__.py) built on these functions.

use std::path::PathBuf;

use ndarray::Array3;
use numpy::{IntoPyArray, PyReadonlyArray3};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::engine::{self, ErrorKind, Failure, Input, Outcome, SettingsOrigin, SettingsSource};

create_exception!(
    radx,
    RadxError,
    PyException,
    "Every error radx raises. Its message is the one the `radx` command line prints \
     after `radx: error:` for the same problem (it names the file and the problem)."
);
create_exception!(
    radx,
    InputError,
    RadxError,
    "An input that cannot be read or used: a missing, unreadable or corrupt file, an \
     empty ROI, an image and mask on different grids, NaN voxels in the ROI, a malformed \
     table, an invalid argument."
);
create_exception!(
    radx,
    SettingsError,
    RadxError,
    "Invalid settings: a manifest that does not parse, an unknown key, an impossible value, \
     an unknown preset or feature family, a plugin the manifest names that cannot be loaded."
);
create_exception!(
    radx,
    LimitError,
    RadxError,
    "A size beyond a resource limit ([limits] of the settings, or limits=): the message \
     names the setting, the size it needs and the limit."
);

fn to_py(f: Failure) -> PyErr {
    match f.kind {
        ErrorKind::Input => InputError::new_err(f.message),
        ErrorKind::Settings => SettingsError::new_err(f.message),
        ErrorKind::Limit => LimitError::new_err(f.message),
        ErrorKind::Other => RadxError::new_err(f.message),
    }
}

/// Runs `f` without the GIL, a panic inside radx turned into an internal `RadxError`.
fn compute<T: Send>(py: Python<'_>, f: impl FnOnce() -> Outcome<T> + Send) -> PyResult<T> {
    py.detach(|| engine::guarded(f)).map_err(to_py)
}

fn limit_args(limits: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<String>> {
    let mut out = Vec::new();
    if let Some(d) = limits {
        for (k, v) in d.iter() {
            out.push(format!("{}={}", k.str()?, v.str()?));
        }
    }
    Ok(out)
}

/// A settings manifest (TOML, schema `radx_settings = 1`), validated as the command line
/// validates it. Make one with `Settings.from_file(path)`, `Settings.from_string(text)`,
/// `Settings.preset(name)`, `Settings.from_dict(d)`, or `Settings()` for the defaults;
/// each takes `limits={"max_grey_levels": 100000, ...}` (as `--limit KEY=VALUE`).
/// Invalid settings raise `radx.SettingsError` (or `radx.LimitError`) with the command
/// line's message.
#[pyclass(name = "Settings", module = "radx", frozen)]
#[derive(Clone)]
pub struct PySettings {
    pub(crate) source: SettingsSource,
}

#[pymethods]
impl PySettings {
    /// The default settings (`radx extract` without `--settings` or `--preset`).
    #[new]
    #[pyo3(signature = (*, limits = None))]
    fn new(py: Python<'_>, limits: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let l = limit_args(limits)?;
        let source = compute(py, || SettingsSource::default_or(None, &l))?;
        Ok(PySettings { source })
    }

    /// Reads a manifest file (as `--settings PATH`); it is recorded, with its sha256, in
    /// the provenance of every extraction that uses it.
    #[staticmethod]
    #[pyo3(signature = (path, *, limits = None))]
    fn from_file(
        py: Python<'_>,
        path: PathBuf,
        limits: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let l = limit_args(limits)?;
        let source = compute(py, || SettingsSource::file(&path, &l))?;
        Ok(PySettings { source })
    }

    /// Reads a manifest from TOML text; `name` names it in error messages.
    #[staticmethod]
    #[pyo3(signature = (text, *, name = "<string>", limits = None))]
    fn from_string(
        py: Python<'_>,
        text: &str,
        name: &str,
        limits: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let l = limit_args(limits)?;
        let source = compute(py, || SettingsSource::text(text, name, &l))?;
        Ok(PySettings { source })
    }

    /// A shipped preset (`radx settings presets` lists them; `Settings.presets()` too).
    #[staticmethod]
    #[pyo3(signature = (name, *, limits = None))]
    fn preset(py: Python<'_>, name: &str, limits: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let l = limit_args(limits)?;
        let source = compute(py, || SettingsSource::preset(name, &l))?;
        Ok(PySettings { source })
    }

    /// A manifest given as a dict of its TOML tables (`{"radx_settings": 1,
    /// "discretisation": {"texture": {"method": "fbn", "bins": 32}}}`).
    #[staticmethod]
    #[pyo3(signature = (d, *, limits = None))]
    fn from_dict(
        py: Python<'_>,
        d: &Bound<'_, PyAny>,
        limits: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let json: String = py
            .import("json")?
            .call_method1("dumps", (d,))
            .map_err(|e| SettingsError::new_err(format!("<dict>: invalid settings manifest: {e}")))?
            .extract()?;
        let l = limit_args(limits)?;
        let source = compute(py, || SettingsSource::json(&json, "<dict>", &l))?;
        Ok(PySettings { source })
    }

    /// The names of the shipped presets.
    #[staticmethod]
    fn presets() -> Vec<&'static str> {
        radx_core::settings::PRESETS
            .iter()
            .map(|(n, _)| *n)
            .collect()
    }

    /// The canonical manifest (sorted, every default filled in): the text the settings id
    /// hashes, as `radx settings show` prints it.
    fn canonical(&self) -> String {
        self.source.settings.canonical()
    }

    /// The manifest with its `[limits]` (which are not part of the canonical form).
    fn manifest(&self) -> String {
        self.source.settings.manifest()
    }

    /// The settings id: sha256 of the canonical manifest, written beside every value.
    #[getter]
    fn id(&self) -> String {
        self.source.settings.id()
    }

    /// The manifest file, when the settings were read from one.
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        match &self.source.origin {
            SettingsOrigin::File(p) => Some(p.clone()),
            _ => None,
        }
    }

    /// The canonical manifest as a dict (its TOML tables as dicts).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = self.source.to_json().map_err(to_py)?;
        py.import("json")?.call_method1("loads", (json,))
    }

    fn __repr__(&self) -> String {
        let from = match &self.source.origin {
            SettingsOrigin::File(p) => format!("file {}", p.display()),
            SettingsOrigin::Preset(n) => format!("preset {n}"),
            SettingsOrigin::Text => "text".into(),
        };
        format!("<radx.Settings id {} ({from})>", self.source.settings.id())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PySettings>()
            .map(|o| o.get().source.settings.id() == self.source.settings.id())
            .unwrap_or(false)
    }

    fn __hash__(&self) -> u64 {
        u64::from_str_radix(&self.source.settings.id()[..15], 16).unwrap_or(0)
    }
}

/// A 3D numpy array (any of bool, int8-64, uint8-64, float32/64 in native byte order; any
/// strides) read in place and converted in one pass into radx's f64 working volume
/// ((z, y, x), C order), which the processing chain owns and modifies.
fn volume(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Array3<f64>> {
    fn owned<T: Copy>(v: ndarray::ArrayView3<'_, T>, f: impl Fn(T) -> f64) -> Array3<f64> {
        let data: Vec<f64> = match v.as_slice() {
            Some(s) => s.iter().map(|&x| f(x)).collect(),
            None => v.iter().map(|&x| f(x)).collect(),
        };
        Array3::from_shape_vec(v.dim(), data).expect("a vector of the view's length")
    }
    macro_rules! numeric {
        ($($t:ty),*) => {$(
            if let Ok(a) = obj.extract::<PyReadonlyArray3<'_, $t>>() {
                return Ok(owned(a.as_array(), |x| x as f64));
            }
        )*};
    }
    numeric!(f64, f32, i16, u8, i8, u16, i32, u32, i64, u64);
    if let Ok(a) = obj.extract::<PyReadonlyArray3<'_, bool>>() {
        return Ok(owned(a.as_array(), |x| if x { 1.0 } else { 0.0 }));
    }
    Err(InputError::new_err(format!(
        "{what}: expected a 3D numpy array of numbers (z, y, x), got {}",
        describe(obj)
    )))
}

fn describe(obj: &Bound<'_, PyAny>) -> String {
    let ty = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    match (obj.getattr("shape"), obj.getattr("dtype")) {
        (Ok(s), Ok(d)) => format!("{ty} of shape {} and dtype {}", s, d),
        _ => ty,
    }
}

type Geometry = ([f64; 3], [f64; 3], [[f64; 3]; 3]);

/// An input from Python: a path (str), or a tuple (array, geometry or None, kind) where
/// geometry is (spacing_zyx, origin_zyx, direction_zyx).
fn input(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Input> {
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Ok(Input::Path(p));
    }
    let t = obj
        .cast::<PyTuple>()
        .map_err(|_| PyTypeError::new_err(format!("{what}: a path or (array, geometry, kind)")))?;
    let (array, geometry, kind): (Bound<'_, PyAny>, Option<Geometry>, String) = t.extract()?;
    let data = volume(&array, what)?;
    let grid = match geometry {
        None => None,
        Some((spacing, origin, direction)) => {
            let (z, y, x) = data.dim();
            Some(engine::grid_zyx([z, y, x], spacing, origin, direction, what).map_err(to_py)?)
        }
    };
    Ok(Input::volume(data, grid, kind))
}

/// The long table as a dict of column lists (the CSV's columns and values).
fn columns<'py>(py: Python<'py>, table: &radx_core::FeatureTable) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    type Text = fn(&radx_core::FeatureRow) -> &str;
    let text: [(&str, Text); 9] = [
        ("case", |r| &r.case),
        ("roi", |r| &r.roi),
        ("image", |r| &r.image),
        ("family", |r| &r.family),
        ("feature", |r| &r.feature),
        ("ibsi_id", |r| &r.ibsi_id),
        ("aggregation", |r| &r.aggregation),
        ("tag", |r| &r.tag),
        ("unit", |r| &r.unit),
    ];
    for (name, f) in text {
        d.set_item(name, PyList::new(py, table.rows.iter().map(f))?)?;
    }
    d.set_item(
        "value",
        PyList::new(py, table.rows.iter().map(|r| r.value))?,
    )?;
    d.set_item(
        "missing_reason",
        PyList::new(py, table.rows.iter().map(|r| r.missing_reason.as_deref()))?,
    )?;
    Ok(d)
}

/// The build identity (JSON), as `radx --version` shows it.
#[pyfunction]
fn build_info() -> String {
    serde_json::to_string(&radx_build::identity()).expect("the identity serialises")
}

/// `radx --version`'s text.
#[pyfunction]
fn version_text() -> String {
    radx_build::version_text()
}

/// Extraction; see `radx.extract`. Returns (columns, provenance JSON).
#[pyfunction]
#[pyo3(signature = (image, mask, settings, *, threads = None, case = None, label = None, roi = None, series_uid = None, suv = false, suv_type = None, volume = None, entry_point = None))]
#[allow(clippy::too_many_arguments)]
fn extract<'py>(
    py: Python<'py>,
    image: &Bound<'py, PyAny>,
    mask: &Bound<'py, PyAny>,
    settings: &PySettings,
    threads: Option<usize>,
    case: Option<String>,
    label: Option<i64>,
    roi: Option<String>,
    series_uid: Option<String>,
    suv: bool,
    suv_type: Option<String>,
    volume: Option<usize>,
    entry_point: Option<String>,
) -> PyResult<(Bound<'py, PyDict>, String)> {
    let image = input(image, "image")?;
    let mask = input(mask, "mask")?;
    // a suv_type implies suv, as --suv-type does
    let suv = suv || suv_type.is_some();
    let suv_type = match &suv_type {
        Some(t) => radx_io::SuvType::parse(t).ok_or_else(|| {
            InputError::new_err(format!(
                "suv_type={t:?}: not an SUV normalisation (bw, lbm-james, lbm-janmahasatian, bsa)"
            ))
        })?,
        None => Default::default(),
    };
    let opts = engine::ExtractOptions {
        case,
        label,
        roi,
        series_uid,
        suv,
        suv_type,
        volume,
    };
    let source = &settings.source;
    let (table, prov) = compute(py, || {
        engine::with_threads(threads, &source.settings.limits, || {
            engine::extract(image, mask, &opts, source, &radx_build::info())
        })
    })?;
    let mut json = serde_json::to_value(&prov).expect("provenance serialises");
    if let (Some(e), Some(o)) = (entry_point, json.as_object_mut()) {
        let e: serde_json::Value = serde_json::from_str(&e).unwrap_or(serde_json::Value::String(e));
        o.insert("entry_point".into(), e);
    }
    Ok((columns(py, &table)?, json.to_string()))
}

/// Pivot; see `radx.wide`. Returns (keys, column names, values 2D array).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn wide<'py>(
    py: Python<'py>,
    case: Vec<String>,
    roi: Vec<String>,
    image: Vec<String>,
    tag: Vec<String>,
    value: Vec<Option<f64>>,
) -> PyResult<(Vec<(String, String)>, Vec<String>, Bound<'py, PyAny>)> {
    let w = compute(py, || engine::wide(&case, &roi, &image, &tag, &value))?;
    let values = Array3::from_shape_vec(
        (1, w.keys.len(), w.columns.len()),
        w.values.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
    )
    .expect("row-major values")
    .index_axis_move(ndarray::Axis(0), 0);
    let names = w.column_names();
    Ok((w.keys, names, values.into_pyarray(py).into_any()))
}

/// `radx validate ibsi --format json`; see `radx.validate_ibsi`.
#[pyfunction]
#[pyo3(signature = (sets, reference_data = None))]
fn validate_ibsi(
    py: Python<'_>,
    sets: Vec<String>,
    reference_data: Option<PathBuf>,
) -> PyResult<String> {
    compute(py, || {
        engine::validate_ibsi(&sets, reference_data.as_deref())
    })
}

fn table_arg(
    obj: &Bound<'_, PyAny>,
    format: &str,
    id_column: Option<String>,
) -> PyResult<engine::Table> {
    if let Ok(p) = obj.extract::<PathBuf>() {
        return match format {
            "radx" => Ok(engine::Table::Radx(p)),
            "pyradiomics" => Ok(engine::Table::PyRadiomics(p, id_column)),
            f => Err(InputError::new_err(format!(
                "format `{f}`: expected `radx` or `pyradiomics`"
            ))),
        };
    }
    let d = obj
        .cast::<PyDict>()
        .map_err(|_| PyTypeError::new_err("a table: a path or a DataFrame"))?;
    let col = |name: &str| -> PyResult<Option<Bound<'_, PyAny>>> { d.get_item(name) };
    let strings = |name: &str, required: bool| -> PyResult<Option<Vec<String>>> {
        match col(name)? {
            Some(c) => Ok(Some(c.extract()?)),
            None if required => Err(InputError::new_err(format!(
                "<DataFrame>: no `{name}` column: not a radx long table"
            ))),
            None => Ok(None),
        }
    };
    let case = strings("case", true)?.unwrap_or_default();
    let roi = strings("roi", true)?.unwrap_or_default();
    let image = strings("image", true)?.unwrap_or_default();
    let tag = strings("tag", true)?.unwrap_or_default();
    let value: Vec<Option<f64>> = match col("value")? {
        Some(c) => c.extract()?,
        None => {
            return Err(InputError::new_err(
                "<DataFrame>: no `value` column: not a radx long table",
            ))
        }
    };
    let n = case.len();
    let opt = |name: &str| -> PyResult<Vec<String>> {
        Ok(strings(name, false)?.unwrap_or_else(|| vec![String::new(); n]))
    };
    let (family, feature, ibsi_id, aggregation, unit) = (
        opt("family")?,
        opt("feature")?,
        opt("ibsi_id")?,
        opt("aggregation")?,
        opt("unit")?,
    );
    let reasons: Vec<Option<String>> = match col("missing_reason")? {
        Some(c) => c.extract()?,
        None => vec![None; n],
    };
    let lens = [
        roi.len(),
        image.len(),
        tag.len(),
        value.len(),
        family.len(),
        feature.len(),
        ibsi_id.len(),
        aggregation.len(),
        unit.len(),
        reasons.len(),
    ];
    if lens.iter().any(|&l| l != n) {
        return Err(InputError::new_err("<DataFrame>: columns differ in length"));
    }
    if let Some(i) = value.iter().position(|v| v.is_some_and(|x| !x.is_finite())) {
        return Err(InputError::new_err(format!(
            "<DataFrame>: row {i}: value is not finite"
        )));
    }
    Ok(engine::Table::Values(
        (0..n)
            .map(|i| radx_check::compare::LongValue {
                case: case[i].clone(),
                roi: roi[i].clone(),
                image: image[i].clone(),
                tag: tag[i].clone(),
                value: value[i],
                family: family[i].clone(),
                feature: feature[i].clone(),
                ibsi_id: ibsi_id[i].clone(),
                aggregation: aggregation[i].clone(),
                unit: unit[i].clone(),
                missing_reason: reasons[i].clone(),
            })
            .collect(),
    ))
}

/// `radx compare --format json`; see `radx.compare`.
#[pyfunction]
#[pyo3(signature = (a, b, *, a_format = "radx", b_format = "radx", id_column = None, max_rel_diff = None, min_ccc = None, tolerances = None, allow_one_sided = false, ignore_roi = false))]
#[allow(clippy::too_many_arguments)]
fn compare(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    a_format: &str,
    b_format: &str,
    id_column: Option<String>,
    max_rel_diff: Option<f64>,
    min_ccc: Option<f64>,
    tolerances: Option<PathBuf>,
    allow_one_sided: bool,
    ignore_roi: bool,
) -> PyResult<String> {
    let ta = table_arg(a, a_format, id_column.clone())?;
    let tb = table_arg(b, b_format, id_column)?;
    let o = engine::CompareOptions {
        max_rel_diff,
        min_ccc,
        tolerances,
        allow_one_sided,
        ignore_roi,
    };
    compute(py, || engine::compare(ta, tb, &o))
}

/// The command-line arguments that give these settings (see `SettingsSource::cli_args`).
#[pyfunction]
fn settings_args(py: Python<'_>, settings: &PySettings, scratch: PathBuf) -> PyResult<Vec<String>> {
    compute(py, || settings.source.cli_args(&scratch))
}

/// Runs `radx ARGS...` in this process on `threads` workers; returns its exit status (0
/// or 1), raises its error (status 2).
#[pyfunction]
#[pyo3(signature = (args, *, threads = None, limits = None))]
fn run_cli(
    py: Python<'_>,
    args: Vec<String>,
    threads: Option<usize>,
    limits: Option<&PySettings>,
) -> PyResult<u8> {
    let l = limits
        .map(|s| s.source.settings.limits.clone())
        .unwrap_or_default();
    compute(py, || {
        engine::with_threads(threads, &l, || engine::run_cli(&args, &radx_build::info()))
    })
}

/// Reads a radx long table (CSV) strictly; returns its columns.
#[pyfunction]
fn read_long<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let t = compute(py, || engine::read_long(&path))?;
    columns(py, &t)
}

/// Reads an image file (any format `extract` reads); returns (array, spacing, origin,
/// direction), all in array order (z, y, x).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn read_image<'py>(
    py: Python<'py>,
    path: PathBuf,
) -> PyResult<(Bound<'py, PyAny>, [f64; 3], [f64; 3], [[f64; 3]; 3])> {
    let (data, (spacing, origin, direction)) = compute(py, || engine::read_image(&path))?;
    Ok((data.into_pyarray(py).into_any(), spacing, origin, direction))
}

/// Test hook: panics inside radx's guard with `message`, which must come back as an
/// internal `RadxError` (a panic never crosses into Python).
#[pyfunction]
fn _debug_panic(py: Python<'_>, message: String) -> PyResult<()> {
    compute(py, || -> Outcome<()> { panic!("{message}") })
}

/// The `radx._radx` extension module.
#[pymodule]
fn _radx(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("RadxError", py.get_type::<RadxError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("SettingsError", py.get_type::<SettingsError>())?;
    m.add("LimitError", py.get_type::<LimitError>())?;
    m.add("__version__", radx_build::identity().version)?;
    m.add_class::<PySettings>()?;
    m.add_function(wrap_pyfunction!(build_info, m)?)?;
    m.add_function(wrap_pyfunction!(version_text, m)?)?;
    m.add_function(wrap_pyfunction!(extract, m)?)?;
    m.add_function(wrap_pyfunction!(wide, m)?)?;
    m.add_function(wrap_pyfunction!(validate_ibsi, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(settings_args, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_function(wrap_pyfunction!(read_long, m)?)?;
    m.add_function(wrap_pyfunction!(read_image, m)?)?;
    m.add_function(wrap_pyfunction!(_debug_panic, m)?)?;
    Ok(())
}
