import json

import numpy as np
import pandas as pd
import pytest

import radx
from conftest import CT_IMAGE, CT_MASK, DIGITAL_IMAGE, DIGITAL_MASK, cli, read_json


def test_validate_ibsi_is_the_command_lines_report():
    report = radx.validate_ibsi(["digital-phantom"])
    [s] = report["sets"]
    assert (s["set"], s["matched"], s["total"]) == ("digital-phantom", 482, 482)
    assert s["misses"] == []
    want = json.loads(cli("validate", "ibsi", "--set", "digital-phantom", "--format", "json").stdout)
    assert report == want
    with pytest.raises(radx.InputError, match="no-such-set"):
        radx.validate_ibsi("no-such-set")


def test_compare_is_the_command_lines_compare(tmp_path):
    a = radx.extract(CT_IMAGE, CT_MASK, preset="ibsi-config-a", case="ct")
    b = radx.extract(CT_IMAGE, CT_MASK, preset="ibsi-config-b", case="ct")
    pa, pb = tmp_path / "a.csv", tmp_path / "b.csv"
    cli("extract", "--image", CT_IMAGE, "--mask", CT_MASK, "--preset", "ibsi-config-a",
        "--case", "ct", "--out", pa)
    cli("extract", "--image", CT_IMAGE, "--mask", CT_MASK, "--preset", "ibsi-config-b",
        "--case", "ct", "--out", pb)
    want = json.loads(
        cli("compare", pa, pb, "--format", "json", "--max-rel-diff", "0.01", check=False).stdout
    )
    for x, y in ((a, b), (pa, pb), (a, pb)):
        got = radx.compare(x, y, max_rel_diff=0.01)
        assert got == want
    assert want["passed"] is False and want["failing"]
    same = radx.compare(a, pa, max_rel_diff=0.0)
    assert same["passed"] is True
    with pytest.raises(radx.InputError, match="max_rel_diff"):
        radx.compare(a, b, max_rel_diff=-1.0)


def write_cohort(tmp_path, rows):
    p = tmp_path / "cohort.csv"
    p.write_text("case_id,image,mask\n" + "".join(f"{c},{i},{m}\n" for c, i, m in rows))
    return p


def test_batch_is_the_command_lines_batch(tmp_path):
    cohort = write_cohort(tmp_path, [
        ("a", DIGITAL_IMAGE, DIGITAL_MASK),
        ("b", DIGITAL_IMAGE, DIGITAL_MASK),
        ("broken", tmp_path / "none.nii.gz", DIGITAL_MASK),
    ])
    df = radx.batch(cohort, tmp_path / "py", preset="ibsi-digital-phantom", threads=2,
                    format="wide")
    r = cli("batch", "--cohort", cohort, "--out", tmp_path / "cli", "--preset",
            "ibsi-digital-phantom", check=False)
    assert r.returncode == 1
    assert df.attrs["exit_status"] == 1
    assert [f["case"] for f in df.attrs["failed"]] == ["broken"]
    want = pd.read_csv(tmp_path / "cli" / "features.csv", dtype=str, keep_default_na=False)
    assert sorted(set(df["case"])) == ["a", "b"]
    assert df["tag"].tolist() == want["tag"].tolist()
    w = want["value"].map(lambda s: float(s) if s else np.nan)
    assert np.array_equal(df["value"].to_numpy(), w.to_numpy(), equal_nan=True)
    assert (tmp_path / "py" / "features_wide.csv").exists()
    # each case's provenance: the CLI's apart from the entry point (none: the same code)
    for case in ("a", "b"):
        p = read_json(tmp_path / "py" / "cases" / f"{case}.provenance.json")
        q = read_json(tmp_path / "cli" / "cases" / f"{case}.provenance.json")
        for x in (p, q):
            x.pop("threads")
        assert p == q
    # resumed: nothing recomputed, same table
    again = radx.batch(cohort, tmp_path / "py", preset="ibsi-digital-phantom")
    assert np.array_equal(again["value"], df["value"], equal_nan=True)


def test_batch_with_settings_from_text(tmp_path):
    cohort = write_cohort(tmp_path, [("a", DIGITAL_IMAGE, DIGITAL_MASK)])
    text = radx.Settings.preset("ibsi-digital-phantom").canonical()
    df = radx.batch(cohort, tmp_path / "o", settings=text)
    want = radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom", case="a")
    assert np.array_equal(df["value"], want["value"], equal_nan=True)


def test_stability_is_the_command_lines_stability(tmp_path):
    tables = {}
    for name, preset in (("a", "ibsi-config-a"), ("b", "ibsi-config-b")):
        p = tmp_path / f"{name}.csv"
        df = pd.concat(
            [radx.extract(CT_IMAGE, CT_MASK, preset=preset, case="c1"),
             radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom", case="c2")],
            ignore_index=True,
        )
        df.to_csv(p, index=False)
        tables[name] = p
    got = radx.stability(tmp_path / "py", tables=tables, ignore_roi=True)
    cli("stability", "--table", f"a={tables['a']}", "--table", f"b={tables['b']}",
        "--ignore-roi", "--out", tmp_path / "cli")
    want = read_json(tmp_path / "cli" / "stability.json")
    got.pop("exit_status")
    assert got == want
    assert (tmp_path / "py" / "report.html").exists()


def test_maps_are_the_command_lines_maps(tmp_path):
    common = ["--kernel-radius-mm", "2", "--features", "intensity_stats", "glcm:joint_max"]
    cli("maps", "--image", DIGITAL_IMAGE, "--mask", DIGITAL_MASK, "--preset",
        "ibsi-digital-phantom", "--out", tmp_path / "cli", *common)
    got = radx.maps(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom",
                    kernel_radius_mm=2, features=["intensity_stats", "glcm:joint_max"],
                    threads=2)
    want = read_json(tmp_path / "cli" / "maps.provenance.json")
    assert sorted(got) == sorted(m["tag"] for m in want["maps"]["maps"])
    assert len(got) == 24
    mask = radx.read_image(DIGITAL_MASK).array
    for m in want["maps"]["maps"]:
        v = got[m["tag"]]
        w = radx.read_image(tmp_path / "cli" / m["file"])
        assert np.array_equal(v.array, w.array, equal_nan=True), m["tag"]
        assert (v.spacing, v.origin, v.direction) == (w.spacing, w.origin, w.direction)
        # NaN exactly outside the ROI (the digital phantom's maps are on its own grid)
        assert v.array.shape == mask.shape
        assert np.array_equal(np.isnan(v.array), mask == 0), m["tag"]
    p = got.provenance
    assert p["provenance"]["settings_id"] == want["provenance"]["settings_id"]
    assert p["maps"]["grid"] == want["maps"]["grid"]
    assert got["stat_mean"].array[~np.isnan(got["stat_mean"].array)].size == 74


def test_maps_kept_in_a_folder_and_refusals(tmp_path):
    got = radx.maps(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom",
                    kernel_radius_mm=1, kernel="sphere", features=["intensity_stats:mean"],
                    out=tmp_path / "kept")
    assert list(got) == ["stat_mean"]
    assert (tmp_path / "kept" / "stat_mean.nii.gz").exists()
    assert (tmp_path / "kept" / "maps.provenance.json").exists()
    with pytest.raises(radx.RadxError, match="morphology"):
        radx.maps(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom",
                  kernel_radius_mm=2, features=["morphology"])
