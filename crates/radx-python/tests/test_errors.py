import numpy as np
import pytest

import radx
from conftest import CT_IMAGE, CT_MASK, DIGITAL_IMAGE, DIGITAL_MASK, cli_error


def test_the_hierarchy():
    for e in (radx.InputError, radx.SettingsError, radx.LimitError):
        assert issubclass(e, radx.RadxError)
    assert issubclass(radx.RadxError, Exception)
    assert radx.RadxError.__module__ == "radx"


def test_a_missing_file_is_an_input_error_with_the_command_lines_message(tmp_path):
    missing = tmp_path / "none.nii.gz"
    want = cli_error("extract", "--image", missing, "--mask", DIGITAL_MASK)
    with pytest.raises(radx.InputError) as e:
        radx.extract(missing, DIGITAL_MASK)
    assert str(e.value) == want
    assert str(missing) in str(e.value)


def test_an_empty_roi_is_an_input_error(tmp_path):
    img = radx.read_image(DIGITAL_IMAGE)
    with pytest.raises(radx.InputError, match="mask is empty"):
        radx.extract(img.array, np.zeros_like(img.array), spacing=img.spacing)


def test_a_mask_of_another_shape_is_an_input_error():
    img = radx.read_image(DIGITAL_IMAGE)
    with pytest.raises(radx.InputError, match=r"shape \(z, y, x\)"):
        radx.extract(img.array, np.ones((1, 2, 3)), spacing=img.spacing)


def test_arrays_that_cannot_be_read_are_input_errors():
    img = radx.read_image(DIGITAL_IMAGE)
    with pytest.raises(radx.InputError, match="3D numpy array"):
        radx.extract(img.array[0], img.array[0], spacing=img.spacing)
    with pytest.raises(radx.InputError, match="needs spacing"):
        radx.extract(img.array, img.array)
    with pytest.raises(radx.InputError, match="spacing"):
        radx.extract(img.array, img.array, spacing=(0.0, 1.0, 1.0))
    with pytest.raises(radx.InputError, match="direction column"):
        radx.extract(img.array, img.array, spacing=(1, 1, 1), direction=((2, 0, 0), (0, 1, 0), (0, 0, 1)))
    with pytest.raises(radx.InputError, match="expected a 3D numpy array of numbers"):
        radx.extract(img.array.astype(complex), img.array, spacing=(1, 1, 1))
    with pytest.raises(radx.InputError, match="a path, a numpy array or a SimpleITK image"):
        radx.extract(42, DIGITAL_MASK)


def test_invalid_settings_are_settings_errors_with_the_command_lines_message(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("radx_settings = 1\nbogus = 2\n")
    want = cli_error("settings", "check", bad)
    with pytest.raises(radx.SettingsError) as e:
        radx.Settings.from_file(bad)
    assert str(e.value) == want
    with pytest.raises(radx.SettingsError) as e:
        radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, settings=str(bad))
    assert str(e.value) == want
    with pytest.raises(radx.SettingsError, match="no-such-preset"):
        radx.Settings.preset("no-such-preset")
    with pytest.raises(radx.SettingsError, match="invalid settings manifest"):
        radx.Settings.from_string("radx_settings = 1\n[discretisation.texture]\nmethod = 3\n")
    with pytest.raises(radx.SettingsError):
        radx.Settings.from_dict({"radx_settings": 1, "nonsense": {"x": 1}})
    with pytest.raises(radx.SettingsError, match="not both"):
        radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, settings=radx.Settings(), preset="ibsi-config-a")


def test_a_size_beyond_a_limit_is_a_limit_error_with_the_command_lines_message(tmp_path):
    s = tmp_path / "s.toml"
    s.write_text("radx_settings = 1\n[limits]\nmax_image_voxels = 1000\n")
    want = cli_error("extract", "--image", CT_IMAGE, "--mask", CT_MASK, "--settings", s)
    with pytest.raises(radx.LimitError) as e:
        radx.extract(CT_IMAGE, CT_MASK, settings=radx.Settings.from_file(s))
    assert str(e.value) == want
    assert "max_image_voxels" in str(e.value)
    with pytest.raises(radx.LimitError, match="max_threads"):
        radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, threads=100000)
    with pytest.raises(radx.LimitError):
        radx.Settings(limits={"max_image_voxels": 10}).__class__.from_string(
            "radx_settings = 1\n[discretisation.texture]\nmethod = \"fbn\"\nbins = 100000\n")


def test_other_failures_are_radx_errors(tmp_path):
    # an output folder that cannot be made
    cohort = tmp_path / "cohort.csv"
    cohort.write_text(f"case_id,image,mask\na,{DIGITAL_IMAGE},{DIGITAL_MASK}\n")
    out = "/proc/radx-no-such-folder"
    want = cli_error("batch", "--cohort", cohort, "--out", out, "--preset", "ibsi-digital-phantom")
    with pytest.raises(radx.RadxError) as e:
        radx.batch(cohort, out, preset="ibsi-digital-phantom")
    assert type(e.value) is radx.RadxError
    assert str(e.value) == want
    # an output folder refused
    f = tmp_path / "file"
    f.write_text("a file, not a folder")
    with pytest.raises(radx.RadxError, match="exists and is not a folder") as e:
        radx.batch(cohort, f, preset="ibsi-digital-phantom")
    assert type(e.value) is radx.RadxError


def test_a_panic_inside_radx_is_an_internal_radx_error_not_a_crash():
    with pytest.raises(radx.RadxError) as e:
        radx._radx._debug_panic("boom")
    assert type(e.value) is radx.RadxError
    assert str(e.value).startswith("internal error: please report: radx panicked: boom")
    # and the module still works
    assert radx.Settings().id


def test_threads_zero_is_an_input_error():
    with pytest.raises(radx.InputError, match="threads must be at least 1"):
        radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, threads=0)


def test_an_unknown_suv_type_is_an_input_error():
    with pytest.raises(radx.InputError, match="suv_type"):
        radx.extract(DIGITAL_IMAGE, DIGITAL_MASK, preset="ibsi-digital-phantom", suv_type="weight")
