import json
import threading

import numpy as np
import pandas as pd
import pytest

import radx
from conftest import (
    CT_IMAGE,
    CT_MASK,
    DIGITAL_IMAGE,
    DIGITAL_MASK,
    DIGITAL_REFERENCE,
    cli,
    read_json,
)


def significant_digits(text):
    """Significant digits of a number as written (`3065` -> 4, `0.0411` -> 3)."""
    t = text.strip().lstrip("+-").lower()
    mantissa = t.split("e")[0]
    digits = mantissa.replace(".", "").lstrip("0")
    if "." not in mantissa:
        digits = digits.rstrip("0")
    return max(len(digits), 1)


def complies(value, reference_text, tolerance):
    """The IBSI rule: the value rounded to the reference's significant digits (at least
    3) lies within the tolerance."""
    reference = float(reference_text)
    digits = max(significant_digits(reference_text), 3)
    rounded = float(f"{value:.{digits - 1}e}")
    return abs(rounded - reference) <= tolerance + 1e-9 * max(abs(reference), 1.0)


def test_digital_phantom_matches_every_reference_value_through_extract():
    df = radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom")
    ref = pd.read_csv(DIGITAL_REFERENCE, sep=";", dtype=str, keep_default_na=False)
    ref = ref[ref["reference value"] != ""]  # features IBSI gives no value for
    values = dict(zip(df["tag"], df["value"]))
    matched = [
        row["tag"]
        for _, row in ref.iterrows()
        if row["tag"] in values
        and values[row["tag"]] == values[row["tag"]]
        and complies(values[row["tag"]], row["reference value"], float(row["tolerance"]))
    ]
    assert len(ref) == 482
    assert len(matched) == 482, sorted(set(ref["tag"]) - set(matched))


def test_the_table_is_the_command_lines_csv(tmp_path):
    out = tmp_path / "t.csv"
    cli("extract", "--image", DIGITAL_IMAGE, "--mask", DIGITAL_MASK,
        "--preset", "ibsi-digital-phantom", "--out", out)
    want = pd.read_csv(out, keep_default_na=False, na_values={"value": [""]}, dtype=str)
    got = radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom")
    assert list(got.columns) == list(want.columns)
    for c in got.columns:
        if c == "value":
            w = want[c].map(lambda s: np.nan if s != s or s == "" else float(s))
            assert np.array_equal(got[c].to_numpy(), w.to_numpy(), equal_nan=True)
        elif c == "missing_reason":
            assert got[c].fillna("").tolist() == want[c].fillna("").tolist()
        else:
            assert got[c].tolist() == want[c].tolist(), c
    # and read back through the strict reader, with its provenance
    back = radx.read_table(out)
    assert np.array_equal(back["value"], got["value"], equal_nan=True)
    assert back.attrs["provenance"]["settings_id"] == got.attrs["provenance"]["settings_id"]


def strip(p):
    p = dict(p)
    p.pop("entry_point", None)
    p.pop("table", None)  # the CLI's table file and its sha256: Python writes no file
    return p


def test_provenance_is_the_command_lines_apart_from_the_entry_point(tmp_path):
    settings = tmp_path / "s.toml"
    settings.write_text(
        "radx_settings = 1\n[discretisation.texture]\nmethod = \"fbn\"\nbins = 16\n"
    )
    out = tmp_path / "t.csv"
    cli("extract", "--image", CT_IMAGE, "--mask", CT_MASK, "--settings", settings,
        "--threads", 2, "--out", out)
    want = read_json(tmp_path / "t.csv.provenance.json")
    df = radx.extract(CT_IMAGE, CT_MASK, settings=radx.Settings.from_file(settings), threads=2)
    got = df.attrs["provenance"]
    assert got["entry_point"]["python"] == "radx.extract"
    assert "entry_point" not in want
    assert strip(got) == strip(want)
    assert [i["role"] for i in got["inputs"]] == ["image", "mask", "settings"]


def test_build_info_is_radx_version():
    info = radx.build_info()
    text = cli("--version").stdout
    assert radx.version_text().strip() == text.strip().replace("radx ", "radx ", 1)
    assert info["commit"] in text and info["cargo_lock_sha256"] in text
    assert info["version"] == radx.__version__
    df = radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom")
    assert df.attrs["provenance"]["build"] == info


def nifti_as_arrays(image, mask):
    img = radx.read_image(image)
    m = radx.read_image(mask)
    assert img.array.shape == m.array.shape
    return img, m


@pytest.mark.parametrize("preset", ["ibsi-digital-phantom", "ibsi-config-c"])
def test_numpy_input_gives_bit_identical_values_to_the_nifti_file(preset):
    image, mask = (DIGITAL_IMAGE, DIGITAL_MASK) if "digital" in preset else (CT_IMAGE, CT_MASK)
    want = radx.extract(image, mask, preset=preset, case="c")
    img, m = nifti_as_arrays(image, mask)
    got = radx.extract(img.array, m.array, preset=preset, case="c",
                       spacing=img.spacing, origin=img.origin, direction=img.direction)
    assert got["tag"].tolist() == want["tag"].tolist()
    assert np.array_equal(got["value"].to_numpy(), want["value"].to_numpy(), equal_nan=True)
    assert got.attrs["provenance"]["settings_id"] == want.attrs["provenance"]["settings_id"]
    inputs = got.attrs["provenance"]["inputs"]
    assert [i["path"] for i in inputs] == ["<numpy array>", "<numpy array>"]
    assert all(len(i["sha256"]) == 64 for i in inputs)


def test_numpy_layouts_and_dtypes_give_the_same_values():
    img, m = nifti_as_arrays(DIGITAL_IMAGE, DIGITAL_MASK)
    geometry = dict(spacing=img.spacing, origin=img.origin, direction=img.direction)
    want = radx.extract(img.array, m.array, preset="ibsi-digital-phantom", **geometry)
    variants = [
        (np.asfortranarray(img.array), m.array.astype(np.uint8)),  # Fortran order
        (img.array.astype(np.int16), m.array.astype(bool)),  # the phantom's grey levels are ints
        (img.array.astype(">f8"), m.array.astype("<i4")),  # big-endian
        (np.ascontiguousarray(img.array[::-1])[::-1], m.array.astype(np.float32)),  # strided view
    ]
    for image, mask in variants:
        got = radx.extract(image, mask, preset="ibsi-digital-phantom", **geometry)
        assert np.array_equal(got["value"], want["value"], equal_nan=True), image.dtype
        assert got.attrs["provenance"]["inputs"][0]["sha256"] == \
            want.attrs["provenance"]["inputs"][0]["sha256"]


def test_an_array_mask_with_an_image_file_and_the_reverse():
    want = radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom", case="c")
    img, m = nifti_as_arrays(DIGITAL_IMAGE, DIGITAL_MASK)
    a = radx.extract(DIGITAL_IMAGE, m.array, preset="ibsi-digital-phantom", case="c")
    b = radx.extract(img.array, DIGITAL_MASK, preset="ibsi-digital-phantom", case="c",
                     spacing=img.spacing, origin=img.origin, direction=img.direction)
    for got in (a, b):
        assert np.array_equal(got["value"], want["value"], equal_nan=True)
    assert a.attrs["provenance"]["inputs"][0] == want.attrs["provenance"]["inputs"][0]
    assert b.attrs["provenance"]["inputs"][1] == want.attrs["provenance"]["inputs"][1]


def test_label_selects_a_label_as_the_command_line_does(tmp_path):
    img, m = nifti_as_arrays(DIGITAL_IMAGE, DIGITAL_MASK)
    labels = m.array.copy()
    labels[labels > 0] = 3
    outside = tuple(np.argwhere(m.array == 0)[0])
    labels[outside] = 7  # another label, outside the ROI
    got = radx.extract(img.array, labels, label=3, preset="ibsi-digital-phantom",
                       spacing=img.spacing, origin=img.origin, direction=img.direction)
    want = radx.extract(img.array, m.array, preset="ibsi-digital-phantom",
                        spacing=img.spacing, origin=img.origin, direction=img.direction)
    assert set(got["roi"]) == {"label_3"}
    assert np.array_equal(got["value"], want["value"], equal_nan=True)


def test_two_threads_at_once_give_the_sequential_results():
    jobs = [
        (CT_IMAGE, CT_MASK, "ibsi-config-b"),
        (DIGITAL_IMAGE, DIGITAL_MASK, "ibsi-digital-phantom"),
    ]
    sequential = [radx.extract(i, m, preset=p, threads=1) for i, m, p in jobs]
    results = [None, None]
    errors = []
    started = threading.Barrier(2)

    def run(k):
        try:
            started.wait()
            i, m, p = jobs[k]
            results[k] = radx.extract(i, m, preset=p, threads=1)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for got, want in zip(results, sequential):
        assert np.array_equal(got["value"], want["value"], equal_nan=True)
        assert got["tag"].tolist() == want["tag"].tolist()


def test_the_gil_is_released_while_radx_computes():
    """A Python thread keeps running while another thread extracts."""
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    t = threading.Thread(target=count)
    t.start()
    before = len(ticks)
    radx.extract(CT_IMAGE, CT_MASK, preset="ibsi-config-b", threads=1)
    during = len(ticks) - before
    done.set()
    t.join()
    assert during > 10, during


def test_thread_count_does_not_change_values():
    a = radx.extract(CT_IMAGE, CT_MASK, preset="ibsi-config-b", threads=1)
    b = radx.extract(CT_IMAGE, CT_MASK, preset="ibsi-config-b", threads=2)
    assert np.array_equal(a["value"], b["value"], equal_nan=True)
    assert a.attrs["provenance"]["threads"] == 1 and b.attrs["provenance"]["threads"] == 2
