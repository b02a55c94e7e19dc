import numpy as np
import pandas as pd
import pytest

import radx
from conftest import CT_IMAGE, CT_MASK, DIGITAL_IMAGE, DIGITAL_MASK, cli


def test_settings_from_every_source_are_the_same_manifest(tmp_path):
    text = "radx_settings = 1\n[discretisation.texture]\nmethod = \"fbs\"\nbin_width = 25.0\n"
    f = tmp_path / "s.toml"
    f.write_text(text)
    a = radx.Settings.from_file(f)
    b = radx.Settings.from_string(text)
    c = radx.Settings.from_dict(a.to_dict())
    assert a.id == b.id == c.id
    assert a == b and hash(a) == hash(b)
    assert a.path == str(f) or str(a.path) == str(f)
    shown = cli("settings", "show", "--settings", f).stdout
    assert f"# settings id: {a.id}" in shown
    assert a.canonical() in shown
    assert isinstance(a.to_dict(), dict) and a.to_dict()["radx_settings"] == 1
    assert "ibsi-config-e" in radx.Settings.presets()
    assert radx.Settings.preset("ibsi-config-e").id != radx.Settings().id
    assert "radx.Settings" in repr(a)


def test_settings_given_as_text_or_a_dict_to_extract():
    text = radx.Settings.preset("ibsi-digital-phantom").canonical()
    a = radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, settings=text)
    b = radx.extract(DIGITAL_IMAGE, DIGITAL_MASK,
                     settings=radx.Settings.preset("ibsi-digital-phantom").to_dict())
    c = radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom")
    for df in (a, b):
        assert np.array_equal(df["value"], c["value"], equal_nan=True)


def long_table():
    a = radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom", case="a")
    b = radx.extract(CT_IMAGE, CT_MASK, preset="ibsi-config-a", case="b")
    return pd.concat([a, b], ignore_index=True)


def test_wide_round_trips_to_the_long_table():
    df = long_table()
    w = radx.wide(df)
    assert list(w.index) == [("a", "nonzero"), ("b", "nonzero")]
    assert "original__morph_volume" in w.columns
    assert w.dtypes.unique().tolist() == [np.dtype("float64")]
    back = radx.long(w)
    present = df[df["value"].notna()][["case", "roi", "image", "tag", "value"]]
    got = back.set_index(["case", "roi", "image", "tag"]).sort_index()
    want = present.set_index(["case", "roi", "image", "tag"]).sort_index()
    assert got.index.equals(want.index)
    assert np.array_equal(got["value"].to_numpy(), want["value"].to_numpy())
    # a feature only one case has is NaN in the other's row
    assert w.isna().to_numpy().any()


def test_wide_is_the_command_lines_wide_table(tmp_path):
    out = tmp_path / "w.csv"
    cli("extract", "--image", DIGITAL_IMAGE, "--mask", DIGITAL_MASK,
        "--preset", "ibsi-digital-phantom", "--format", "wide", "--out", out)
    want = pd.read_csv(out, index_col=[0, 1], dtype={"case": str, "roi": str})
    got = radx.wide(radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom"))
    assert list(got.columns) == list(want.columns)
    assert list(got.index) == list(want.index)
    assert np.array_equal(got.to_numpy(), want.to_numpy(), equal_nan=True)


def test_wide_refuses_a_value_twice():
    df = long_table()
    with pytest.raises(radx.InputError, match="appears twice"):
        radx.wide(pd.concat([df, df.iloc[:1]]))
    with pytest.raises(radx.InputError, match="no `tag` column"):
        radx.wide(df.drop(columns=["tag"]))
