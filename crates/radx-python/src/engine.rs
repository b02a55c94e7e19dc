//! The Python-free half of the bindings: every call of the Python package as plain Rust
//! (inputs in, feature table / report / typed failure out), so that `cargo test` checks it
//! without a Python interpreter. The module `python` (feature `python`) only converts
//! Python objects to these inputs and back, releases the GIL around them and raises the
//! failures as Python exceptions.
//!
//! Every computation goes through the same library calls as the command line
//! (`radx_pipeline::extract_inputs`, `radx_check::validate`, `radx_check::compare`), or
//! through the command line's own code in process (`radx_cli::run_args` for `batch` and
//! `stability`); none starts a process.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ndarray::Array3;
use radx_core::provenance::InputRecord;
use radx_core::{BuildInfo, FeatureTable, Grid, Image, Mask, Provenance, Request, Settings};
use radx_io::MaskSelector;
use radx_pipeline::{CaseLabels, InputOptions, RoiSelector};

/// Which Python exception a failure raises (`radx.RadxError` and its subclasses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `radx.InputError`: an input that cannot be read or used (missing or corrupt file,
    /// empty ROI, grids that differ, NaN in the ROI, a malformed table, a bad argument).
    Input,
    /// `radx.SettingsError`: an invalid manifest, an unknown preset or feature family, a
    /// plugin the manifest names that cannot be loaded.
    Settings,
    /// `radx.LimitError`: a size beyond a resource limit (`[limits]`).
    Limit,
    /// `radx.RadxError`: anything else (an output that cannot be written, an output folder
    /// refused, ...), and a panic inside
    /// radx (a bug), whose message starts `internal error: please report`.
    Other,
}

/// A failed call: the exception to raise and its message, which is the text the command
/// line prints after `radx: error: ` ([`radx_cli::error_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    pub message: String,
}

impl Failure {
    /// A failure of kind `kind` with this message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure {
            kind: classify(&e),
            message: radx_cli::error_text(&e),
        }
    }
}

/// The result of every call.
pub type Outcome<T> = Result<T, Failure>;

/// The kind of one error of a chain, if it tells (`None`: look at its causes).
fn kind_of(cause: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
    use radx_core::SettingsError;
    use radx_process::ProcessError;
    fn process(p: &ProcessError) -> ErrorKind {
        match p {
            ProcessError::Limit(_) => ErrorKind::Limit,
            ProcessError::NoFilter | ProcessError::NoSuchFilter { .. } => ErrorKind::Settings,
            _ => ErrorKind::Input,
        }
    }
    fn settings(s: &SettingsError) -> ErrorKind {
        match s {
            SettingsError::Limit { .. } => ErrorKind::Limit,
            _ => ErrorKind::Settings,
        }
    }
    fn io(e: &radx_io::IoError) -> ErrorKind {
        // the readers' voxel limit (radx_io::guard) is reported as an input error of the
        // file; it is a resource limit all the same
        if e.to_string().contains("(limits.max_image_voxels") {
            ErrorKind::Limit
        } else if matches!(e, radx_io::IoError::Write { .. }) {
            // an output that cannot be written is no fault of an input
            ErrorKind::Other
        } else {
            ErrorKind::Input
        }
    }
    fn pipeline(p: &radx_pipeline::PipelineError) -> ErrorKind {
        use radx_pipeline::PipelineError as P;
        match p {
            P::Io(e) => io(e),
            P::Process { source, .. } => process(source),
            P::UnknownFamily(..) => ErrorKind::Settings,
            P::DuplicateRegion { .. } => ErrorKind::Input,
            P::Region { source, .. } => process(source),
            P::MissingExtraMask { .. } => ErrorKind::Input,
            P::Derive(source) => process(source),
        }
    }
    if cause.is::<radx_core::LimitError>() || cause.is::<radx_core::limits::LimitValueError>() {
        return Some(ErrorKind::Limit);
    }
    if let Some(s) = cause.downcast_ref::<SettingsError>() {
        return Some(settings(s));
    }
    if let Some(p) = cause.downcast_ref::<ProcessError>() {
        return Some(process(p));
    }
    if let Some(p) = cause.downcast_ref::<radx_pipeline::PipelineError>() {
        return Some(pipeline(p));
    }
    if let Some(c) = cause.downcast_ref::<radx_check::CheckError>() {
        use radx_check::CheckError as C;
        return Some(match c {
            C::Settings(s) => settings(s),
            C::Pipeline(p) => pipeline(p),
            C::Io(e) => io(e),
            _ => ErrorKind::Input,
        });
    }
    if let Some(e) = cause.downcast_ref::<radx_io::IoError>() {
        return Some(io(e));
    }
    if cause.is::<radx_pipeline::PluginLoadError>() {
        return Some(ErrorKind::Settings);
    }
    if let Some(radx_batch::BatchError::Output { .. }) = cause.downcast_ref() {
        return Some(ErrorKind::Other);
    }
    if cause.is::<radx_core::CoreError>()
        || cause.is::<radx_io::wide::WideError>()
        || cause.is::<radx_batch::BatchError>()
        || cause.is::<clap::Error>()
    {
        return Some(ErrorKind::Input);
    }
    None
}

/// The exception kind of an error: the first cause of its chain that tells, a limit
/// anywhere in the chain winning.
pub fn classify(e: &anyhow::Error) -> ErrorKind {
    let kinds: Vec<ErrorKind> = e.chain().filter_map(kind_of).collect();
    if kinds.contains(&ErrorKind::Limit) {
        ErrorKind::Limit
    } else {
        kinds.first().copied().unwrap_or(ErrorKind::Other)
    }
}

/// Runs `f`, turning a panic inside radx into an internal error (never a panic crossing
/// into Python), with the message a batch writes for one.
pub fn guarded<T>(f: impl FnOnce() -> Outcome<T>) -> Outcome<T> {
    match radx_batch::catch_panic(f) {
        Ok(r) => r,
        Err(panic) => Err(Failure::new(
            ErrorKind::Other,
            radx_batch::internal_error_message(&panic),
        )),
    }
}

/// Runs `f` on `threads` workers (a pool of its own, so calls with different counts can
/// run side by side), or on the process's pool (one worker per core) when `None`. The
/// count is checked as the command line checks `--threads`.
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    limits: &radx_core::Limits,
    f: impl FnOnce() -> Outcome<T> + Send,
) -> Outcome<T> {
    match threads {
        None => f(),
        Some(0) => Err(Failure::new(ErrorKind::Input, "threads must be at least 1")),
        Some(n) => {
            limits
                .check(
                    radx_core::Limit::Threads,
                    &format!("threads={n}"),
                    n as u128,
                )
                .map_err(|e| Failure::from(anyhow::Error::from(e)))?;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| {
                    Failure::new(ErrorKind::Other, format!("setting up the thread pool: {e}"))
                })?;
            pool.install(f)
        }
    }
}

/// Settings and where they came from (for provenance and for the command line).
#[derive(Debug, Clone)]
pub struct SettingsSource {
    pub settings: Settings,
    pub origin: SettingsOrigin,
    /// `KEY=VALUE` resource limits applied on top of the manifest (as `--limit`).
    pub limits: Vec<String>,
}

/// Where settings came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsOrigin {
    /// A manifest file: recorded in provenance as an input, as `--settings` is.
    File(PathBuf),
    /// A shipped preset.
    Preset(String),
    /// TOML text or a dict (no file).
    Text,
}

impl SettingsSource {
    /// A manifest file (`radx ... --settings PATH --limit ...`).
    pub fn file(path: &Path, limits: &[String]) -> Outcome<Self> {
        let settings = Settings::from_file_with_limits(path, limits).map_err(fail)?;
        Ok(SettingsSource {
            settings,
            origin: SettingsOrigin::File(path.to_path_buf()),
            limits: limits.to_vec(),
        })
    }

    /// A shipped preset (`--preset NAME`).
    pub fn preset(name: &str, limits: &[String]) -> Outcome<Self> {
        let settings = Settings::preset_with_limits(name, limits).map_err(fail)?;
        Ok(SettingsSource {
            settings,
            origin: SettingsOrigin::Preset(name.to_string()),
            limits: limits.to_vec(),
        })
    }

    /// TOML text; `source_name` names it in messages.
    pub fn text(text: &str, source_name: &str, limits: &[String]) -> Outcome<Self> {
        let settings =
            Settings::from_toml_str_with_limits(text, source_name, limits).map_err(fail)?;
        Ok(SettingsSource {
            settings,
            origin: SettingsOrigin::Text,
            limits: limits.to_vec(),
        })
    }

    /// A manifest given as JSON (a Python dict dumped): turned into TOML and read as
    /// [`SettingsSource::text`], so every check and message is the manifest's own.
    pub fn json(json: &str, source_name: &str, limits: &[String]) -> Outcome<Self> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
            Failure::new(
                ErrorKind::Settings,
                format!("{source_name}: invalid settings manifest: {e}"),
            )
        })?;
        let toml_value = toml::Value::try_from(&value).map_err(|e| {
            Failure::new(
                ErrorKind::Settings,
                format!(
                    "{source_name}: invalid settings manifest: {e} (a TOML manifest holds no null)"
                ),
            )
        })?;
        if !toml_value.is_table() {
            return Err(Failure::new(
                ErrorKind::Settings,
                format!("{source_name}: invalid settings manifest: expected a table of keys"),
            ));
        }
        let text = toml::to_string(&toml_value).map_err(|e| {
            Failure::new(
                ErrorKind::Settings,
                format!("{source_name}: invalid settings manifest: {e}"),
            )
        })?;
        Self::text(&text, source_name, limits)
    }

    /// The settings the command line uses without `--settings` or `--preset` (the
    /// defaults), or `default_preset`.
    pub fn default_or(default_preset: Option<&str>, limits: &[String]) -> Outcome<Self> {
        match default_preset {
            Some(p) => Self::preset(p, limits),
            None => Self::text("radx_settings = 1\n", "--limit", limits),
        }
    }

    /// The canonical manifest as JSON (`Settings.to_dict()`).
    pub fn to_json(&self) -> Outcome<String> {
        let v: toml::Value = toml::from_str(&self.settings.canonical())
            .map_err(|e| Failure::new(ErrorKind::Other, format!("canonical settings: {e}")))?;
        serde_json::to_string(&v)
            .map_err(|e| Failure::new(ErrorKind::Other, format!("canonical settings: {e}")))
    }

    /// The provenance record of the manifest file, when the settings came from one.
    pub fn input_record(&self) -> Outcome<Option<InputRecord>> {
        match &self.origin {
            SettingsOrigin::File(p) => Ok(Some(
                radx_pipeline::input_record("settings", p, "TOML", std::slice::from_ref(p))
                    .map_err(fail)?,
            )),
            _ => Ok(None),
        }
    }

    /// The command-line arguments that give these settings (`--settings F`, `--preset
    /// P`, with `--limit`s). Settings from text are written to `scratch` first.
    pub fn cli_args(&self, scratch: &Path) -> Outcome<Vec<String>> {
        let mut args = match &self.origin {
            SettingsOrigin::File(p) => vec!["--settings".into(), p.display().to_string()],
            SettingsOrigin::Preset(n) => vec!["--preset".into(), n.clone()],
            SettingsOrigin::Text => {
                let f = scratch.join("settings.toml");
                std::fs::write(&f, self.settings.manifest()).map_err(|e| {
                    Failure::new(
                        ErrorKind::Other,
                        format!("{}: cannot write: {e}", f.display()),
                    )
                })?;
                return Ok(vec!["--settings".into(), f.display().to_string()]);
            }
        };
        for l in &self.limits {
            args.push("--limit".into());
            args.push(l.clone());
        }
        Ok(args)
    }
}

/// Any error as a failure.
pub fn fail(e: impl Into<anyhow::Error>) -> Failure {
    Failure::from(e.into())
}

/// The grid of an array given with (z, y, x) geometry: `spacing_zyx` per array axis (mm),
/// `origin_zyx` the world position of voxel [0, 0, 0] listed (z, y, x), and
/// `direction_zyx[i][j]` component i (z, y, x) of the world direction of array axis j (z,
/// y, x). The world frame is radx's (RAS, as NIfTI).
pub fn grid_zyx(
    shape_zyx: [usize; 3],
    spacing_zyx: [f64; 3],
    origin_zyx: [f64; 3],
    direction_zyx: [[f64; 3]; 3],
    what: &str,
) -> Outcome<Grid> {
    if let Some(s) = spacing_zyx.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
        return Err(Failure::new(
            ErrorKind::Input,
            format!("{what}: spacing (z, y, x) {spacing_zyx:?}: {s} is not a finite number > 0"),
        ));
    }
    if origin_zyx.iter().any(|o| !o.is_finite())
        || direction_zyx.iter().flatten().any(|d| !d.is_finite())
    {
        return Err(Failure::new(
            ErrorKind::Input,
            format!("{what}: origin and direction must be finite numbers"),
        ));
    }
    for j in 0..3 {
        let norm = (0..3)
            .map(|i| direction_zyx[i][j].powi(2))
            .sum::<f64>()
            .sqrt();
        if (norm - 1.0).abs() > 1e-3 {
            return Err(Failure::new(
                ErrorKind::Input,
                format!(
                    "{what}: direction column {j} (array axis {}) has length {norm}, not 1",
                    ["z", "y", "x"][j]
                ),
            ));
        }
    }
    let mut direction = [[0.0; 3]; 3];
    for (r, row) in direction.iter_mut().enumerate() {
        for (c, d) in row.iter_mut().enumerate() {
            *d = direction_zyx[2 - r][2 - c];
        }
    }
    Ok(Grid {
        shape_zyx,
        spacing_zyx,
        origin_xyz: [origin_zyx[2], origin_zyx[1], origin_zyx[0]],
        direction,
    })
}

/// An image or mask given in memory: its voxels (z, y, x), its grid (a mask volume may
/// come without one: it is then on the image's grid), and what it was (`numpy array`,
/// `SimpleITK image`) for messages and provenance.
#[derive(Debug, Clone)]
pub struct Volume {
    pub data: Array3<f64>,
    pub grid: Option<Grid>,
    pub kind: String,
}

/// An input of `extract`: a path (any format the command line reads) or a volume.
#[derive(Debug, Clone)]
pub enum Input {
    Path(PathBuf),
    Volume(Box<Volume>),
}

impl Input {
    /// A volume input.
    pub fn volume(data: Array3<f64>, grid: Option<Grid>, kind: impl Into<String>) -> Self {
        Input::Volume(Box::new(Volume {
            data,
            grid,
            kind: kind.into(),
        }))
    }
}

/// What `extract` was asked besides the inputs (the command line's options).
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    pub case: Option<String>,
    pub label: Option<i64>,
    pub roi: Option<String>,
    pub series_uid: Option<String>,
    pub suv: bool,
    /// The SUV normalisation (as `--suv-type`; implies `suv`).
    pub suv_type: radx_io::SuvType,
    /// 4D NIfTI images: the volume to read, 0-based (as `--volume`).
    pub volume: Option<usize>,
}

/// sha256 of a volume as radx computes on it: its values as little-endian f64 in (z, y,
/// x) C order.
pub fn volume_sha256(data: &Array3<f64>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut buf = Vec::with_capacity(8 * 4096);
    for v in data.iter() {
        buf.extend_from_slice(&v.to_le_bytes());
        if buf.len() >= 8 * 4096 {
            h.update(&buf);
            buf.clear();
        }
    }
    h.update(&buf);
    radx_core::settings::hex(&h.finalize())
}

fn volume_record(role: &str, data: &Array3<f64>, kind: &str) -> InputRecord {
    InputRecord {
        role: role.into(),
        path: format!("<{kind}>"),
        sha256: volume_sha256(data),
        format: format!("{kind} (voxel values as little-endian f64, z-y-x order)"),
        files: Vec::new(),
    }
}

/// The labels and request the command line would write for these options.
fn labels_and_request(opts: &ExtractOptions, default_case: String) -> (CaseLabels, Request) {
    let labels = CaseLabels {
        case: opts.case.clone().unwrap_or(default_case),
        roi: match (&opts.roi, opts.label) {
            (Some(r), _) => r.clone(),
            (None, Some(l)) => format!("label_{l}"),
            (None, None) => "nonzero".into(),
        },
        image: "original".into(),
    };
    let roi = match (&opts.roi, opts.label) {
        (Some(r), _) => RoiSelector::parse(r),
        (None, Some(l)) => RoiSelector::Label(l),
        (None, None) => RoiSelector::Auto,
    };
    let request = Request {
        case: labels.case.clone(),
        roi: labels.roi.clone(),
        phantom: false,
        label: match &roi {
            RoiSelector::Label(l) => Some(*l),
            _ => None,
        },
        roi_name: match &roi {
            RoiSelector::Name(n) => Some(n.clone()),
            _ => None,
        },
        series_uid: opts.series_uid.clone(),
        suv: opts.suv,
        volume: opts.volume,
    };
    (labels, request)
}

/// A label-map volume as a mask: every non-zero voxel, or `label` (the rules and messages
/// of a label-map file).
fn mask_of(labels: &Array3<f64>, grid: Grid, label: Option<i64>, kind: &str) -> Outcome<Mask> {
    let name = PathBuf::from(format!("<{kind} mask>"));
    if [labels.dim().0, labels.dim().1, labels.dim().2] != grid.shape_zyx {
        return Err(Failure::new(
            ErrorKind::Input,
            format!(
                "{}: shape (z, y, x) {:?} differs from the image's {:?}",
                name.display(),
                labels.shape(),
                grid.shape_zyx
            ),
        ));
    }
    let selector = label.map_or(MaskSelector::NonZero, MaskSelector::Label);
    let data = radx_io::select_labels(&name, labels, selector).map_err(fail)?;
    Mask::new(grid, data).map_err(fail)
}

/// Features of an image and a mask, with provenance, as `radx extract` computes them:
/// paths go through `radx_pipeline::extract_inputs` (the command line's own call);
/// volumes through `radx_pipeline::extract` with a provenance record naming each volume
/// by the sha256 of its values. The caller chooses the thread pool ([`with_threads`]).
pub fn extract(
    image: Input,
    mask: Input,
    opts: &ExtractOptions,
    settings: &SettingsSource,
    build: &BuildInfo,
) -> Outcome<(FeatureTable, Provenance)> {
    let s = &settings.settings;
    radx_io::guard::set_max_voxels(s.limits.max_image_voxels);
    let registry = radx_pipeline::registry_for(s).map_err(fail)?;
    if !s.roi.is_empty() {
        return Err(fail(anyhow::anyhow!(
            "the settings derive regions ([[roi.derived]]), which radx.extract does not compute yet: use radx batch or radx extract on the command line"
        )));
    }
    let (table, mut prov) = match (image, mask) {
        (Input::Path(ip), Input::Path(mp)) => {
            let (labels, request) = labels_and_request(opts, radx_cli::case_name(&ip));
            let mut options = InputOptions {
                roi: request
                    .roi_name
                    .clone()
                    .map(RoiSelector::Name)
                    .or(request.label.map(RoiSelector::Label))
                    .unwrap_or(RoiSelector::Auto),
                ..Default::default()
            };
            if let Some(r) = &opts.roi {
                options.roi = RoiSelector::parse(r);
            }
            options.series.suv = opts.suv;
            options.series.suv_type = opts.suv_type;
            options.series.series_uid = opts.series_uid.clone();
            options.series.volume = opts.volume;
            let (table, mut prov) =
                radx_pipeline::extract_inputs(&ip, &mp, &options, s, &registry, &labels)
                    .map_err(fail)?;
            prov.request = Some(request);
            (table, prov)
        }
        (image, mask) => {
            if opts.roi.is_some() {
                return Err(Failure::new(
                    ErrorKind::Input,
                    "roi= names an RTSTRUCT ROI or SEG segment: give both image and mask as \
                     files for it (a mask array is a label map: use label=)",
                ));
            }
            radx_pipeline::check_families(s, &registry).map_err(fail)?;
            let (img, image_record, default_case, mut selection) = match image {
                Input::Path(ip) => {
                    let options = radx_pipeline::SeriesOptions {
                        suv: opts.suv,
                        suv_type: opts.suv_type,
                        series_uid: opts.series_uid.clone(),
                        volume: opts.volume,
                    };
                    let loaded = read_image_file(&ip, &options)?;
                    (loaded.0, loaded.1, radx_cli::case_name(&ip), loaded.2)
                }
                Input::Volume(v) => {
                    let Volume { data, grid, kind } = *v;
                    if opts.suv || opts.series_uid.is_some() {
                        return Err(Failure::new(
                            ErrorKind::Input,
                            "suv= and series_uid= apply to DICOM series files, not to arrays",
                        ));
                    }
                    if opts.volume.is_some() {
                        return Err(Failure::new(
                            ErrorKind::Input,
                            "volume= chooses a volume of a 4D NIfTI file; an image array is 3D",
                        ));
                    }
                    let grid = grid.ok_or_else(|| {
                        Failure::new(ErrorKind::Input, "an image array needs its geometry")
                    })?;
                    let record = volume_record("image", &data, &kind);
                    let selection = radx_core::Selection {
                        image_shape_zyx: Some(grid.shape_zyx),
                        image_spacing_zyx_mm: Some(grid.spacing_zyx),
                        ..Default::default()
                    };
                    (
                        Image::new(grid, data).map_err(fail)?,
                        record,
                        "array".to_string(),
                        selection,
                    )
                }
            };
            let (mask, mask_record) = match mask {
                Input::Volume(v) => {
                    let Volume { data, grid, kind } = *v;
                    let record = volume_record("mask", &data, &kind);
                    let grid = grid.unwrap_or_else(|| img.grid.clone());
                    (mask_of(&data, grid, opts.label, &kind)?, record)
                }
                Input::Path(mp) => read_mask_file(&mp, &img.grid, opts.label)?,
            };
            selection.label_value = opts.label;
            selection.label_rule = Some(if opts.label.is_some() {
                "label".into()
            } else {
                "nonzero".into()
            });
            let (labels, request) = labels_and_request(opts, default_case);
            let table = radx_pipeline::extract(img, mask, s, &registry, &labels).map_err(|e| {
                fail(
                    anyhow::Error::from(e)
                        .context(format!("{} with {}", image_record.path, mask_record.path)),
                )
            })?;
            let mut prov = radx_pipeline::provenance(s, &registry, vec![image_record, mask_record]);
            prov.selection = Some(selection);
            prov.request = Some(request);
            (table, prov)
        }
    };
    prov.inputs.extend(settings.input_record()?);
    radx_pipeline::stamp_build(&mut prov, build);
    Ok((table, prov))
}

/// Reads an image file in any format the command line reads, with its provenance record
/// and the grid and DICOM identity it resolved to.
fn read_image_file(
    path: &Path,
    options: &radx_pipeline::SeriesOptions,
) -> Outcome<(Image, InputRecord, radx_core::Selection)> {
    let loaded = radx_io::read_image_any(path, options).map_err(fail)?;
    let record =
        radx_pipeline::input_record("image", path, &loaded.format.to_string(), &loaded.files)
            .map_err(fail)?;
    let series = loaded.series.as_ref();
    let selection = radx_core::Selection {
        series_instance_uid: series.map(|s| s.series_uid.clone()),
        frame_of_reference_uid: series.and_then(|s| s.frame_of_reference_uid.clone()),
        modality: series.and_then(|s| s.modality.clone()),
        pixel_decoding: series.and_then(|s| s.pixel_decoding()),
        image_shape_zyx: Some(loaded.image.grid.shape_zyx),
        image_spacing_zyx_mm: Some(loaded.image.grid.spacing_zyx),
        ..Default::default()
    };
    Ok((loaded.image, record, selection))
}

/// Reads a label-map mask file (NIfTI, NRRD) onto an in-memory image's grid.
fn read_mask_file(path: &Path, grid: &Grid, label: Option<i64>) -> Outcome<(Mask, InputRecord)> {
    let sel = label.map_or(RoiSelector::Auto, RoiSelector::Label);
    let loaded = radx_io::load_mask_any(path, &grid.into(), &sel).map_err(fail)?;
    let record =
        radx_pipeline::input_record("mask", path, &loaded.format.to_string(), &loaded.files)
            .map_err(fail)?;
    Ok((loaded.mask, record))
}

/// `radx validate ibsi --set ... --format json`: the report as JSON.
pub fn validate_ibsi(sets: &[String], reference_data: Option<&Path>) -> Outcome<String> {
    let data =
        radx_check::ReferenceData::open(radx_check::reference::DataSet::Ibsi, reference_data)
            .map_err(fail)?;
    let report =
        radx_check::validate(sets, &data, &radx_pipeline::builtin_registry()).map_err(fail)?;
    serde_json::to_string(&report).map_err(fail)
}

/// A table for `compare`: a radx long CSV, a PyRadiomics batch CSV, or values in memory.
#[derive(Debug, Clone)]
pub enum Table {
    Radx(PathBuf),
    PyRadiomics(PathBuf, Option<String>),
    Values(Vec<radx_check::compare::LongValue>),
}

impl Table {
    fn read(self) -> Outcome<Vec<radx_check::compare::LongValue>> {
        Ok(match self {
            Table::Radx(p) => radx_check::compare::read_long_table(&p).map_err(fail)?,
            Table::PyRadiomics(p, id_column) => {
                let mapping = radx_check::pyradiomics::Mapping::builtin().map_err(fail)?;
                let options = radx_check::pyradiomics::ImportOptions {
                    id_column,
                    ..Default::default()
                };
                radx_check::pyradiomics::import_pyradiomics(&p, &mapping, &options)
                    .map_err(fail)?
                    .values
            }
            Table::Values(v) => {
                radx_check::table::check_unique(&v, Path::new("<DataFrame>")).map_err(fail)?;
                v
            }
        })
    }

    fn name(&self) -> String {
        match self {
            Table::Radx(p) | Table::PyRadiomics(p, _) => p.display().to_string(),
            Table::Values(_) => "<DataFrame>".into(),
        }
    }
}

/// The guards of `radx compare`.
#[derive(Debug, Clone, Default)]
pub struct CompareOptions {
    pub max_rel_diff: Option<f64>,
    pub min_ccc: Option<f64>,
    pub tolerances: Option<PathBuf>,
    pub allow_one_sided: bool,
    pub ignore_roi: bool,
}

/// `radx compare A B --format json`: the same JSON object (`features`, `failing`,
/// `coverage`, `coverage_fails`, `passed`).
pub fn compare(a: Table, b: Table, o: &CompareOptions) -> Outcome<String> {
    let mut guards = radx_check::compare::Guards {
        max_rel_diff: o.max_rel_diff,
        min_ccc: o.min_ccc,
        tolerances: None,
        allow_one_sided: o.allow_one_sided,
    };
    guards
        .validate()
        .map_err(|e| Failure::new(ErrorKind::Input, e))?;
    let (na, nb) = (a.name(), b.name());
    let mut ta = a.read()?;
    let mut tb = b.read()?;
    if o.ignore_roi {
        ta.iter_mut()
            .chain(tb.iter_mut())
            .for_each(|v| v.roi.clear());
        for (t, p) in [(&ta, &na), (&tb, &nb)] {
            radx_check::table::check_unique(t, Path::new(p))
                .context("ignore_roi needs one ROI per case")
                .map_err(Failure::from)?;
        }
    }
    if let Some(p) = &o.tolerances {
        guards.tolerances = Some(
            radx_check::reference::read_ibsi1_table(p)
                .map_err(fail)?
                .into_iter()
                .map(|r| (r.tag, r.tolerance))
                .collect(),
        );
    }
    let verdict = radx_check::compare::judge(&ta, &tb, &guards);
    if verdict.features.is_empty() {
        return Err(Failure::new(
            ErrorKind::Input,
            format!("{na} and {nb} share no feature value (same case, roi, image and tag)"),
        ));
    }
    serde_json::to_string(&verdict).map_err(fail)
}

/// Runs the command line `args` in process (`radx_cli::run_args`): its exit status (0 or
/// 1), or its error (status 2) as a failure.
pub fn run_cli(args: &[String], build: &BuildInfo) -> Outcome<u8> {
    let code = radx_cli::run_args(args, build).map_err(Failure::from)?;
    Ok(if code == std::process::ExitCode::SUCCESS {
        0
    } else {
        1
    })
}

fn bail_input<T>(message: String) -> Outcome<T> {
    Err(Failure::new(ErrorKind::Input, message))
}

/// `radx.wide`: the pivot of long values (case, roi, image, tag, value).
pub fn wide(
    case: &[String],
    roi: &[String],
    image: &[String],
    tag: &[String],
    value: &[Option<f64>],
) -> Outcome<radx_io::wide::WideTable> {
    let n = case.len();
    if [roi.len(), image.len(), tag.len(), value.len()]
        .iter()
        .any(|&l| l != n)
    {
        return bail_input("the long table's columns differ in length".into());
    }
    radx_io::wide::WideTable::pivot((0..n).map(|i| {
        (
            case[i].as_str(),
            roi[i].as_str(),
            image[i].as_str(),
            tag[i].as_str(),
            value[i],
        )
    }))
    .map_err(fail)
}

/// An image file read as radx reads it, in array order: its voxels (z, y, x) and
/// `(spacing_zyx, origin_zyx, direction_zyx)` as [`grid_zyx`] takes them back.
pub fn read_image(path: &Path) -> Outcome<(Array3<f64>, GeometryZyx)> {
    let image = radx_pipeline::read_image(path).map_err(fail)?;
    let geometry = geometry_zyx(&image.grid);
    Ok((image.data, geometry))
}

/// A grid's spacing, origin and direction listed in array order (z, y, x).
pub type GeometryZyx = ([f64; 3], [f64; 3], [[f64; 3]; 3]);

/// The inverse of [`grid_zyx`].
pub fn geometry_zyx(grid: &Grid) -> GeometryZyx {
    let o = grid.origin_xyz;
    let mut direction = [[0.0; 3]; 3];
    for (r, row) in direction.iter_mut().enumerate() {
        for (c, d) in row.iter_mut().enumerate() {
            *d = grid.direction[2 - r][2 - c];
        }
    }
    (grid.spacing_zyx, [o[2], o[1], o[0]], direction)
}

/// Reads a radx long table (CSV) strictly.
pub fn read_long(path: &Path) -> Outcome<FeatureTable> {
    Ok(FeatureTable {
        rows: radx_io::read_long_table(path).map_err(fail)?.rows,
    })
}

/// Bails with an input failure unless `cond`.
pub fn ensure_input(cond: bool, message: impl FnOnce() -> String) -> Outcome<()> {
    if cond {
        Ok(())
    } else {
        bail_input(message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build() -> BuildInfo {
        radx_build::info()
    }

    fn phantom_volumes() -> (Input, Input) {
        let (image, mask) = radx_core::phantom::ibsi_digital_phantom();
        let m = mask.data.mapv(|b| if b { 1.0 } else { 0.0 });
        (
            Input::volume(image.data, Some(image.grid), "numpy array"),
            Input::volume(m, None, "numpy array"),
        )
    }

    #[test]
    fn volumes_give_the_phantom_values_with_a_record_of_their_digests() {
        let (image, mask) = phantom_volumes();
        let s = SettingsSource::preset("ibsi-digital-phantom", &[]).unwrap();
        let (table, prov) = extract(image, mask, &ExtractOptions::default(), &s, &build()).unwrap();
        let (pi, pm) = radx_core::phantom::ibsi_digital_phantom();
        let want = radx_pipeline::extract(
            pi,
            pm,
            &s.settings,
            &radx_pipeline::builtin_registry(),
            &CaseLabels {
                case: "array".into(),
                roi: "nonzero".into(),
                image: "original".into(),
            },
        )
        .unwrap();
        assert_eq!(table, want);
        assert_eq!(prov.inputs.len(), 2);
        assert_eq!(prov.inputs[0].path, "<numpy array>");
        assert_eq!(prov.inputs[0].sha256.len(), 64);
        assert_ne!(prov.inputs[0].sha256, prov.inputs[1].sha256);
        assert!(prov.build.is_some());
        assert_eq!(prov.request.as_ref().unwrap().roi, "nonzero");
    }

    #[test]
    fn failures_are_typed_with_the_command_lines_message() {
        let e = SettingsSource::text("radx_settings = 1\nbogus = 1\n", "s.toml", &[]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Settings);
        assert!(
            e.message.starts_with("s.toml: invalid settings manifest"),
            "{e}"
        );
        let e = SettingsSource::preset("nope", &[]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Settings);
        let e = SettingsSource::text(
            "radx_settings = 1\n[discretisation.texture]\nmethod = \"fbn\"\nbins = 100000\n",
            "s.toml",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Limit, "{e}");
        let s = SettingsSource::default_or(None, &[]).unwrap();
        let e = extract(
            Input::Path("/nonexistent/i.nii".into()),
            Input::Path("/nonexistent/m.nii".into()),
            &ExtractOptions::default(),
            &s,
            &build(),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Input);
        assert_eq!(e.message, "/nonexistent/i.nii: file not found");
        // an empty mask array
        for (shape, want) in [
            ((4, 4, 5), "<numpy array mask>: mask is empty"),
            (
                (4, 5, 4),
                "<numpy array mask>: shape (z, y, x) [4, 5, 4] differs from the image's [4, 4, 5]",
            ),
        ] {
            let (image, _) = phantom_volumes();
            let e = extract(
                image,
                Input::volume(Array3::zeros(shape), None, "numpy array"),
                &ExtractOptions::default(),
                &s,
                &build(),
            )
            .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Input);
            assert!(e.message.contains(want), "{e}");
        }
        let e = with_threads(Some(100_000), &s.settings.limits, || Ok(())).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Limit);
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let e = guarded::<()>(|| panic!("boom")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Other);
        assert!(
            e.message
                .starts_with("internal error: please report: radx panicked: boom"),
            "{e}"
        );
    }

    #[test]
    fn settings_from_json_are_the_same_manifest() {
        let toml_text =
            "radx_settings = 1\n[discretisation.texture]\nmethod = \"fbs\"\nbin_width = 25.0\n";
        let a = SettingsSource::text(toml_text, "t", &[]).unwrap();
        let b = SettingsSource::json(&a.to_json().unwrap(), "d", &[]).unwrap();
        assert_eq!(a.settings.id(), b.settings.id());
        let e = SettingsSource::json("{\"radx_settings\": null}", "<dict>", &[]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Settings);
    }

    #[test]
    fn an_image_read_in_array_order_gives_its_grid_back() {
        let p = radx_testkit::data("ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz");
        let (data, (sp, o, d)) = read_image(&p).unwrap();
        let img = radx_pipeline::read_image(&p).unwrap();
        let (z, y, x) = data.dim();
        assert_eq!(grid_zyx([z, y, x], sp, o, d, "t").unwrap(), img.grid);
        assert_eq!(data, img.data);
        let e = read_image(Path::new("/nonexistent/x.nii.gz")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Input);
        assert_eq!(e.message, "/nonexistent/x.nii.gz: file not found");
    }

    #[test]
    fn geometry_in_array_order_becomes_the_grid() {
        let g = grid_zyx(
            [2, 3, 4],
            [3.0, 2.0, 1.0],
            [30.0, 20.0, 10.0],
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            "x",
        )
        .unwrap();
        assert_eq!(g, Grid::new([2, 3, 4], [3.0, 2.0, 1.0], [10.0, 20.0, 30.0]));
        // axis x flipped: column x of the zyx matrix is (0, 0, -1)
        let g = grid_zyx(
            [2, 3, 4],
            [1.0; 3],
            [0.0; 3],
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]],
            "x",
        )
        .unwrap();
        assert_eq!(g.direction[0][0], -1.0);
        let e = grid_zyx(
            [1, 1, 1],
            [0.0, 1.0, 1.0],
            [0.0; 3],
            [[1.0, 0.0, 0.0]; 3],
            "img",
        )
        .unwrap_err();
        assert!(e.message.starts_with("img: spacing"), "{e}");
    }
}
