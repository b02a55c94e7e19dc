"""Shared fixtures: the checkout's reference data and its `radx` command line.

The tests compare the package with the command line built from the same checkout
(`target/release/radx`, or the binary named by RADX_BIN): build it first with
`cargo build --release` (CI's `cargo test --workspace --release` does).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
IBSI = ROOT / "reference-data" / "ibsi"
DIGITAL_IMAGE = IBSI / "ibsi_1_digital_phantom/nifti/image/phantom.nii.gz"
DIGITAL_MASK = IBSI / "ibsi_1_digital_phantom/nifti/mask/mask.nii.gz"
CT_IMAGE = IBSI / "ibsi_1_ct_radiomics_phantom/nifti/image/phantom.nii.gz"
CT_MASK = IBSI / "ibsi_1_ct_radiomics_phantom/nifti/mask/mask.nii.gz"
DIGITAL_REFERENCE = IBSI / "reference_values/ibsi_1/ibsi_1_dig_phantom.csv"


def radx_bin() -> Path:
    p = Path(os.environ.get("RADX_BIN", ROOT / "target" / "release" / "radx"))
    if not p.exists():
        pytest.fail(f"{p}: no radx binary: run `cargo build --release` (or set RADX_BIN)")
    return p


def cli(*args, check=True):
    """Runs the command line; returns the completed process (text)."""
    r = subprocess.run([str(radx_bin()), *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"radx {' '.join(map(str, args))}: {r.returncode}\n{r.stderr}")
    return r


def cli_error(*args):
    """The message the command line prints after `radx: error: `."""
    r = cli(*args, check=False)
    assert r.returncode == 2, (r.returncode, r.stderr)
    at = r.stderr.rfind("radx: error: ")
    assert at >= 0, r.stderr
    return r.stderr[at + len("radx: error: ") :][:-1]  # writeln's newline


def read_json(p):
    with open(p, encoding="utf-8") as f:
        return json.load(f)
