"""radx: standardised, reproducible radiomics (IBSI features with provenance) in Python.

The same Rust code as the ``radx`` command line, called in process: every value is the
command line's value, bit for bit, and every table carries its provenance record.

>>> import radx
>>> df = radx.extract("image.nii.gz", "mask.nii.gz", preset="ibsi-config-e")
>>> df.attrs["provenance"]["settings_id"]
>>> X = radx.wide(df)            # one row per (case, roi), one column per image__tag

Errors raise :class:`RadxError` or a subclass (:class:`InputError`,
:class:`SettingsError`, :class:`LimitError`) with the command line's message.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Union

from . import _radx
from ._radx import InputError, LimitError, RadxError, Settings, SettingsError

__version__: str = _radx.__version__

__all__ = [
    "RadxError",
    "InputError",
    "SettingsError",
    "LimitError",
    "Settings",
    "Volume",
    "build_info",
    "version_text",
    "extract",
    "read_image",
    "read_table",
    "wide",
    "long",
    "validate_ibsi",
    "compare",
    "batch",
    "stability",
    "maps",
    "MapSet",
]

PathLike = Union[str, "os.PathLike[str]"]

#: The columns of radx's long table, in the CSV's order.
LONG_COLUMNS = (
    "case",
    "roi",
    "image",
    "family",
    "feature",
    "ibsi_id",
    "aggregation",
    "tag",
    "unit",
    "value",
    "missing_reason",
)


def build_info() -> Dict[str, Any]:
    """The build identity of this radx, as ``radx --version`` shows it.

    A dict with ``version``, ``commit``, ``dirty``, ``diff_sha256`` (when dirty),
    ``rustc``, ``target``, ``profile`` and ``cargo_lock_sha256``: the ``build`` entry of
    every provenance record this package writes.
    """
    return json.loads(_radx.build_info())


def version_text() -> str:
    """The text ``radx --version`` prints (``radx <version> (<commit>...)`` and details)."""
    return _radx.version_text()


class Volume(NamedTuple):
    """An image in array order: ``array[z, y, x]``, and ``spacing`` (mm), ``origin`` (the
    world position of voxel [0, 0, 0]) and ``direction`` (``direction[i][j]`` is world
    component i of array axis j), each listed (z, y, x). The world frame is radx's (RAS,
    as NIfTI's)."""

    array: Any
    spacing: tuple
    origin: tuple
    direction: tuple


def read_image(path: PathLike) -> Volume:
    """Reads an image file (NIfTI, NRRD, a DICOM series folder) as radx reads it.

    ``radx.extract(*radx.read_image(p)[:1], mask, spacing=..., ...)`` gives the same
    values as ``radx.extract(p, mask)``.
    """
    array, spacing, origin, direction = _radx.read_image(os.fspath(path))
    return Volume(
        array,
        tuple(spacing),
        tuple(origin),
        tuple(tuple(r) for r in direction),
    )


def _settings(settings: Any, preset: Optional[str]) -> Settings:
    if settings is not None and preset is not None:
        raise SettingsError("give settings= or preset=, not both")
    if preset is not None:
        return Settings.preset(preset)
    if settings is None:
        return Settings()
    if isinstance(settings, Settings):
        return settings
    if isinstance(settings, Mapping):
        return Settings.from_dict(dict(settings))
    if isinstance(settings, (str, os.PathLike)):
        text = os.fspath(settings)
        if "\n" in text or "=" in text and not os.path.exists(text):
            return Settings.from_string(text)
        return Settings.from_file(text)
    raise TypeError(
        "settings: a radx.Settings, a path to a TOML manifest, TOML text or a dict, "
        f"not {type(settings).__name__}"
    )


_LPS_TO_RAS = (-1.0, -1.0, 1.0)  # world x, y, z


def _is_sitk(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "SimpleITK"


def _sitk_volume(img: Any, what: str):
    """A SimpleITK image as (array view, geometry): read through its accessors, its
    LPS world frame turned into radx's RAS one."""
    import SimpleITK as sitk  # only reached with a SimpleITK image in hand

    if img.GetDimension() != 3:
        raise InputError(f"{what}: a SimpleITK image of dimension {img.GetDimension()}, not 3")
    if img.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(f"{what}: a SimpleITK image with vector pixels")
    array = sitk.GetArrayViewFromImage(img)  # (z, y, x), no copy
    sx, sy, sz = img.GetSpacing()
    ox, oy, oz = img.GetOrigin()
    d = img.GetDirection()  # row-major: d[3 * r + c], world r (x, y, z) of index axis c
    ras = [[_LPS_TO_RAS[r] * d[3 * r + c] for c in range(3)] for r in range(3)]
    origin = [_LPS_TO_RAS[0] * ox, _LPS_TO_RAS[1] * oy, _LPS_TO_RAS[2] * oz]
    direction_zyx = [[ras[2 - i][2 - j] for j in range(3)] for i in range(3)]
    return array, ((sz, sy, sx), (origin[2], origin[1], origin[0]), direction_zyx)


_IDENTITY = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))


def _input(obj: Any, what: str, spacing, origin, direction):
    if isinstance(obj, (str, os.PathLike)):
        if spacing is not None or origin is not None or direction is not None:
            if what == "image":
                raise InputError(
                    "spacing=, origin= and direction= describe an image array; "
                    "an image file has its own geometry"
                )
        return os.fspath(obj)
    if _is_sitk(obj):
        array, geometry = _sitk_volume(obj, what)
        return (array, geometry, "SimpleITK image")
    if hasattr(obj, "__array__") or hasattr(obj, "__array_interface__"):
        import numpy as np

        array = obj if isinstance(obj, np.ndarray) else np.asarray(obj)
        if array.ndim != 3:
            raise InputError(
                f"{what}: expected a 3D numpy array (z, y, x), got {array.ndim} dimensions"
            )
        if not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        if what == "mask":
            return (array, None, "numpy array")
        if spacing is None:
            raise InputError(
                "image: a numpy array needs spacing=(z, y, x) in mm "
                "(and origin=, direction= when they matter)"
            )
        geometry = (
            tuple(float(s) for s in spacing),
            tuple(float(o) for o in (origin if origin is not None else (0.0, 0.0, 0.0))),
            tuple(
                tuple(float(v) for v in row)
                for row in (direction if direction is not None else _IDENTITY)
            ),
        )
        if len(geometry[0]) != 3 or len(geometry[1]) != 3 or len(geometry[2]) != 3 or any(
            len(r) != 3 for r in geometry[2]
        ):
            raise InputError(
                "image: spacing and origin take 3 numbers (z, y, x), direction a 3x3 matrix"
            )
        return (array, geometry, "numpy array")
    raise InputError(
        f"{what}: expected a path, a numpy array or a SimpleITK image, "
        f"not {type(obj).__name__}"
    )


def _entry_point(function: str) -> Dict[str, str]:
    return {
        "python": function,
        "python_version": sys.version.split()[0],
        "package": f"radx {__version__}",
    }


def _frame(columns: Dict[str, list], provenance: Optional[dict] = None):
    import pandas as pd

    df = pd.DataFrame({c: columns[c] for c in LONG_COLUMNS})
    df["value"] = df["value"].astype("float64")
    if provenance is not None:
        df.attrs["provenance"] = provenance
    return df


def extract(
    image: Any,
    mask: Any,
    *,
    settings: Any = None,
    preset: Optional[str] = None,
    label: Optional[int] = None,
    roi: Optional[str] = None,
    threads: Optional[int] = None,
    case: Optional[str] = None,
    spacing: Optional[Sequence[float]] = None,
    origin: Optional[Sequence[float]] = None,
    direction: Optional[Sequence[Sequence[float]]] = None,
    series_uid: Optional[str] = None,
    suv: bool = False,
    suv_type: Optional[str] = None,
    volume: Optional[int] = None,
):
    """Extracts IBSI features of one image and ROI: ``radx extract`` in process.

    Parameters
    ----------
    image, mask
        Each a path (NIfTI, NRRD, a DICOM series folder; for the mask also an RTSTRUCT or
        SEG file), a 3D ``numpy.ndarray`` indexed (z, y, x) as SimpleITK's
        ``GetArrayFromImage`` gives it, or a ``SimpleITK.Image``. An image array needs
        ``spacing`` (and ``origin``, ``direction`` when they matter); a mask array is a
        label map on the image's grid. Arrays of bool, int8-64, uint8-64, float32/64, of
        any strides, are read in place, without an intermediate copy.
    settings
        A :class:`Settings`, a path to a TOML manifest, TOML text, or a dict of its
        tables. ``preset`` names a shipped preset instead. Neither: the defaults.
    label
        The label value of the ROI in a label map (default: every non-zero voxel).
    roi
        An RTSTRUCT ROI name or SEG segment (``name``, ``#number``), as ``--roi``.
    threads
        Worker threads for this call (default: one per core). Values do not depend on it.
    case
        The case id written in the table (default: the image file's name, or ``array``).
    spacing, origin, direction
        The geometry of an image array, each listed (z, y, x): spacing in mm, the world
        position of voxel [0, 0, 0], and ``direction[i][j]`` = world component i of array
        axis j (default: identity). World coordinates are radx's (RAS, as NIfTI's).
    series_uid, suv, suv_type
        DICOM series choice and SUV conversion, as ``--series-uid``, ``--suv`` and
        ``--suv-type`` (``bw``, ``lbm-james``, ``lbm-janmahasatian``, ``bsa``; implies
        ``suv``).
    volume
        The volume (0-based) of a 4D NIfTI image file, as ``--volume``; a 4D file without it
        is an error naming the number of volumes.

    Returns
    -------
    pandas.DataFrame
        radx's long table (the CSV's columns and values: case, roi, image, family,
        feature, ibsi_id, aggregation, tag, unit, value, missing_reason), with the
        provenance record as ``df.attrs["provenance"]`` (a dict; its ``entry_point``
        names this call).

    Raises
    ------
    InputError, SettingsError, LimitError, RadxError
        With the command line's message.
    """
    s = _settings(settings, preset)
    img = _input(image, "image", spacing, origin, direction)
    msk = _input(mask, "mask", None, None, None)
    columns, provenance = _radx.extract(
        img,
        msk,
        s,
        threads=threads,
        case=case,
        label=label,
        roi=roi,
        series_uid=series_uid,
        suv=suv,
        suv_type=suv_type,
        volume=volume,
        entry_point=json.dumps(_entry_point("radx.extract")),
    )
    return _frame(columns, json.loads(provenance))


def read_table(path: PathLike):
    """Reads a radx long table (CSV, as ``radx extract --out`` or ``batch`` writes it),
    strictly (every malformed row is an :class:`InputError` naming the file and line),
    with its provenance sidecar (``<table>.csv.provenance.json``) in ``df.attrs`` when
    present."""
    p = os.fspath(path)
    df = _frame(_radx.read_long(p))
    side = p + ".provenance.json"
    if os.path.exists(side):
        with open(side, encoding="utf-8") as f:
            df.attrs["provenance"] = json.load(f)
    return df


def wide(df):
    """The wide table of a long one: one row per (case, roi) (the index), one column per
    ``<image>__<tag>`` (e.g. ``original__morph_volume``), a missing value as NaN: the
    shape scikit-learn takes (``radx.wide(df).to_numpy()``). The same pivot as
    ``radx extract|batch|merge --format wide``; :func:`long` turns it back.

    Raises :class:`InputError` when a (case, roi, image, tag) appears twice.
    """
    import pandas as pd

    for c in ("case", "roi", "image", "tag", "value"):
        if c not in df.columns:
            raise InputError(f"<DataFrame>: no `{c}` column: not a radx long table")
    value = [None if v != v else float(v) for v in df["value"].tolist()]
    keys, names, values = _radx.wide(
        [str(x) for x in df["case"]],
        [str(x) for x in df["roi"]],
        [str(x) for x in df["image"]],
        [str(x) for x in df["tag"]],
        value,
    )
    index = pd.MultiIndex.from_tuples(keys, names=["case", "roi"]) if keys else pd.MultiIndex.from_tuples([], names=["case", "roi"])
    out = pd.DataFrame(values, index=index, columns=names)
    out.attrs = dict(df.attrs)
    return out


def long(wide_df):
    """The long table's (case, roi, image, tag, value) of a wide table made by
    :func:`wide` (or read from ``--format wide`` with ``index_col=[0, 1]``), in its row
    and column order, missing cells left out."""
    import pandas as pd

    rows = []
    for (case, roi), values in zip(wide_df.index, wide_df.to_numpy()):
        for name, v in zip(wide_df.columns, values):
            image, sep, tag = str(name).partition("__")
            if not sep:
                raise InputError(f"<DataFrame>: column `{name}` is not <image>__<tag>")
            if v == v:
                rows.append((str(case), str(roi), image, tag, float(v)))
    return pd.DataFrame(rows, columns=["case", "roi", "image", "tag", "value"])


def validate_ibsi(
    sets: Union[str, Iterable[str]] = ("digital-phantom",),
    *,
    reference_data: Optional[PathLike] = None,
) -> Dict[str, Any]:
    """Validates radx against the IBSI reference values: ``radx validate ibsi --set ...
    --format json``, the same report as a dict (``{"sets": [{"set", "matched", "total",
    "families", "misses", ...}]}``).

    ``sets``: names among digital-phantom, config-a ... config-e, filters-maps,
    filters-features (or ``ibsi2``, ``all``). ``reference_data``: the folder of the IBSI
    data (default: the checkout's ``reference-data/ibsi``, verified against its
    manifest).
    """
    if isinstance(sets, str):
        sets = [sets]
    ref = os.fspath(reference_data) if reference_data is not None else None
    return json.loads(_radx.validate_ibsi(list(sets), ref))


def _table(obj: Any):
    if isinstance(obj, (str, os.PathLike)):
        return os.fspath(obj)
    if hasattr(obj, "columns") and hasattr(obj, "to_dict"):
        d = {}
        for c in obj.columns:
            col = obj[c].tolist()
            if c == "value":
                col = [None if v is None or v != v else float(v) for v in col]
            elif c == "missing_reason":
                col = [None if v is None or v != v else str(v) for v in col]
            else:
                col = [str(v) for v in col]
            d[str(c)] = col
        return d
    raise TypeError(f"a table: a path or a pandas.DataFrame, not {type(obj).__name__}")


def compare(
    a: Any,
    b: Any,
    *,
    a_format: str = "radx",
    b_format: str = "radx",
    id_column: Optional[str] = None,
    max_rel_diff: Optional[float] = None,
    min_ccc: Optional[float] = None,
    tolerances: Optional[PathLike] = None,
    allow_one_sided: bool = False,
    ignore_roi: bool = False,
) -> Dict[str, Any]:
    """Compares two feature tables: ``radx compare A B --format json`` as a dict
    (``features``: per tag n, max_abs_diff, max_rel_diff, ccc, ...; ``failing``;
    ``coverage``; ``passed``).

    ``a`` and ``b``: radx long DataFrames (as :func:`extract` returns) or CSV paths; a
    path may be a PyRadiomics batch CSV with ``a_format``/``b_format="pyradiomics"``
    (``id_column`` names its case column). The guards ``max_rel_diff``, ``min_ccc`` and
    ``tolerances`` (an IBSI reference table) decide ``passed``, as the command line's
    options do.
    """
    return json.loads(
        _radx.compare(
            _table(a),
            _table(b),
            a_format=a_format,
            b_format=b_format,
            id_column=id_column,
            max_rel_diff=max_rel_diff,
            min_ccc=min_ccc,
            tolerances=None if tolerances is None else os.fspath(tolerances),
            allow_one_sided=allow_one_sided,
            ignore_roi=ignore_roi,
        )
    )


def _run(args: List[str], settings: Settings, threads: Optional[int]) -> int:
    with tempfile.TemporaryDirectory(prefix="radx-settings-") as scratch:
        full = args + list(_radx.settings_args(settings, scratch))
        return _radx.run_cli(full, threads=threads, limits=settings)


def batch(
    cohort: PathLike,
    out: PathLike,
    *,
    settings: Any = None,
    preset: Optional[str] = None,
    threads: Optional[int] = None,
    shard: Optional[str] = None,
    overwrite: bool = False,
    format: str = "long",
):
    """Extracts a cohort: ``radx batch --cohort COHORT --out OUT`` in process (the command
    line's own code: resumable, one provenance record per case, failed cases recorded in
    ``OUT/errors/``).

    Returns ``OUT/features.csv`` as a DataFrame; ``df.attrs["failed"]`` lists the error
    records of the cases that failed (the command line exits 1 for them). A batch that
    cannot start (a bad cohort or settings, a refused folder) raises.
    """
    s = _settings(settings, preset)
    args = ["batch", "--cohort", os.fspath(cohort), "--out", os.fspath(out), "--format", format]
    if shard is not None:
        args += ["--shard", shard]
    if overwrite:
        args.append("--overwrite")
    status = _run(args, s, threads)
    df = read_table(os.path.join(os.fspath(out), "features.csv"))
    failed = []
    errors = os.path.join(os.fspath(out), "errors")
    if os.path.isdir(errors):
        for name in sorted(os.listdir(errors)):
            if name.endswith(".json"):
                with open(os.path.join(errors, name), encoding="utf-8") as f:
                    failed.append(json.load(f))
    df.attrs["failed"] = failed
    df.attrs["exit_status"] = status
    return df


def stability(
    out: PathLike,
    *,
    cohort: Optional[PathLike] = None,
    settings: Any = None,
    preset: Optional[str] = None,
    vary: Sequence[str] = (),
    perturb: Sequence[str] = (),
    perturbations: int = 10,
    seed: int = 1,
    tables: Optional[Mapping[str, PathLike]] = None,
    pyradiomics: Optional[Mapping[str, PathLike]] = None,
    reference: Optional[str] = None,
    ignore_roi: bool = False,
    include_diagnostics: bool = False,
    sites: Optional[PathLike] = None,
    threads: Optional[int] = None,
    extra_args: Sequence[str] = (),
) -> Dict[str, Any]:
    """Feature stability across conditions: ``radx stability ... --out OUT`` in process.

    Conditions are a settings grid (``vary=["discretisation.texture.bin_width=10,25"]``),
    perturbations of image and ROI (``perturb=["noise", "rotation"]``, ``perturbations``,
    ``seed``), or existing tables (``tables={"name": path}``, ``pyradiomics=...``), as the
    command line's options; ``extra_args`` passes any other option verbatim (e.g.
    ``["--rotation-degrees", "-5,5"]``). Returns ``OUT/stability.json`` as a dict; the
    folder also holds the per-condition tables and ``report.html``.
    """
    args = ["stability", "--out", os.fspath(out)]
    if cohort is not None:
        args += ["--cohort", os.fspath(cohort)]
    for v in vary:
        args += ["--vary", v]
    if perturb:
        args += ["--perturb", ",".join(perturb), "--perturbations", str(perturbations)]
    args += ["--seed", str(seed)]
    for name, path in (tables or {}).items():
        args += ["--table", f"{name}={os.fspath(path)}"]
    for name, path in (pyradiomics or {}).items():
        args += ["--pyradiomics", f"{name}={os.fspath(path)}"]
    if reference is not None:
        args += ["--reference", reference]
    if ignore_roi:
        args.append("--ignore-roi")
    if include_diagnostics:
        args.append("--include-diagnostics")
    if sites is not None:
        args += ["--sites", os.fspath(sites)]
    args += list(extra_args)
    if cohort is not None or settings is not None or preset is not None:
        s = _settings(settings, preset)
        status = _run(args, s, threads)
    else:
        status = _radx.run_cli(args, threads=threads)
    with open(os.path.join(os.fspath(out), "stability.json"), encoding="utf-8") as f:
        result = json.load(f)
    if isinstance(result, dict):
        result.setdefault("exit_status", status)
    return result


def maps(
    image: PathLike,
    mask: PathLike,
    *,
    kernel_radius_mm: float,
    kernel: str = "cube",
    features: Sequence[str] = (),
    stride: int = 1,
    settings: Any = None,
    preset: Optional[str] = None,
    label: Optional[int] = None,
    roi: Optional[str] = None,
    out: Optional[PathLike] = None,
    threads: Optional[int] = None,
) -> "MapSet":
    """Voxel-wise feature maps: ``radx maps`` in process (the command line's own code).

    Every ROI voxel (every ``stride``-th along each axis) gets each feature computed on the
    ROI voxels inside a ``kernel`` (``"cube"`` or ``"sphere"``) of ``kernel_radius_mm``
    around it, after the settings' processing chain; discretisation is computed once on the
    whole ROI. ``features`` selects families or single features (``"glcm"``,
    ``"intensity_stats:mean"``; default: every family of the settings but morphology).

    Returns a :class:`MapSet`: a dict ``{IBSI tag: Volume}``, each array in (z, y, x)
    order on the processed grid with its spacing, origin and direction (NaN outside the ROI
    and where a feature is undefined), whose ``provenance`` attribute is the record of
    ``maps.provenance.json`` (build, inputs' sha256, settings id, kernel, grid, undefined
    counts per map). Files are kept in ``out`` when given (``<tag>.nii.gz`` and the
    sidecar), else written to a temporary folder that is removed before returning.
    """
    s = _settings(settings, preset)
    with tempfile.TemporaryDirectory(prefix="radx-maps-") as scratch:
        folder = os.fspath(out) if out is not None else scratch
        args = [
            "maps", "--image", os.fspath(image), "--mask", os.fspath(mask),
            "--kernel-radius-mm", repr(float(kernel_radius_mm)), "--kernel", kernel,
            "--stride", str(int(stride)), "--out", folder,
        ]
        if label is not None:
            args += ["--label", str(int(label))]
        if roi is not None:
            args += ["--roi", roi]
        if features:
            args += ["--features", *features]
        _run(args, s, threads)
        with open(os.path.join(folder, "maps.provenance.json"), encoding="utf-8") as f:
            record = json.load(f)
        result = MapSet(
            (m["tag"], read_image(os.path.join(folder, m["file"])))
            for m in record["maps"]["maps"]
        )
    result.provenance = record
    return result


class MapSet(dict):
    """The maps of :func:`maps`: ``{IBSI tag: Volume}`` plus ``provenance`` (a dict)."""

    provenance: Dict[str, Any]
