"""Type stub of the extension module ``radx._radx`` (the Rust half of the package).

The documented API is the package ``radx`` (``radx/__init__.py``), built on these calls.
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

__version__: str

class RadxError(Exception):
    """Every error radx raises, with the command line's message."""

class InputError(RadxError):
    """An input that cannot be read or used."""

class SettingsError(RadxError):
    """Invalid settings."""

class LimitError(RadxError):
    """A size beyond a resource limit."""

class Settings:
    """A validated settings manifest (TOML, schema ``radx_settings = 1``)."""

    def __init__(self, *, limits: Optional[Dict[str, Any]] = None) -> None: ...
    @staticmethod
    def from_file(path: str, *, limits: Optional[Dict[str, Any]] = None) -> "Settings": ...
    @staticmethod
    def from_string(
        text: str, *, name: str = "<string>", limits: Optional[Dict[str, Any]] = None
    ) -> "Settings": ...
    @staticmethod
    def preset(name: str, *, limits: Optional[Dict[str, Any]] = None) -> "Settings": ...
    @staticmethod
    def from_dict(d: Dict[str, Any], *, limits: Optional[Dict[str, Any]] = None) -> "Settings": ...
    @staticmethod
    def presets() -> List[str]: ...
    def canonical(self) -> str: ...
    def manifest(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def path(self) -> Optional[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

Geometry = Tuple[Sequence[float], Sequence[float], Sequence[Sequence[float]]]
InputArg = Union[str, Tuple[np.ndarray, Optional[Geometry], str]]

def build_info() -> str: ...
def version_text() -> str: ...
def extract(
    image: InputArg,
    mask: InputArg,
    settings: Settings,
    *,
    threads: Optional[int] = None,
    case: Optional[str] = None,
    label: Optional[int] = None,
    roi: Optional[str] = None,
    series_uid: Optional[str] = None,
    suv: bool = False,
    suv_type: Optional[str] = None,
    volume: Optional[int] = None,
    entry_point: Optional[str] = None,
) -> Tuple[Dict[str, list], str]: ...
def wide(
    case: List[str],
    roi: List[str],
    image: List[str],
    tag: List[str],
    value: List[Optional[float]],
) -> Tuple[List[Tuple[str, str]], List[str], np.ndarray]: ...
def validate_ibsi(sets: List[str], reference_data: Optional[str] = None) -> str: ...
def compare(
    a: Union[str, Dict[str, list]],
    b: Union[str, Dict[str, list]],
    *,
    a_format: str = "radx",
    b_format: str = "radx",
    id_column: Optional[str] = None,
    max_rel_diff: Optional[float] = None,
    min_ccc: Optional[float] = None,
    tolerances: Optional[str] = None,
    allow_one_sided: bool = False,
    ignore_roi: bool = False,
) -> str: ...
def settings_args(settings: Settings, scratch: str) -> List[str]: ...
def run_cli(
    args: List[str], *, threads: Optional[int] = None, limits: Optional[Settings] = None
) -> int: ...
def read_long(path: str) -> Dict[str, list]: ...
def read_image(
    path: str,
) -> Tuple[np.ndarray, List[float], List[float], List[List[float]]]: ...
def _debug_panic(message: str) -> None: ...
