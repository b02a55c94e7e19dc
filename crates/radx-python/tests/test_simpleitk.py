"""SimpleITK images as inputs (skipped, as a module, when SimpleITK is not installed)."""

import numpy as np
import pytest

sitk = pytest.importorskip("SimpleITK")

import radx  # noqa: E402
from conftest import CT_IMAGE, CT_MASK, DIGITAL_IMAGE, DIGITAL_MASK, cli  # noqa: E402


@pytest.mark.parametrize(
    "image,mask,preset",
    [
        (DIGITAL_IMAGE, DIGITAL_MASK, "ibsi-digital-phantom"),
        (CT_IMAGE, CT_MASK, "ibsi-config-c"),
    ],
)
def test_simpleitk_images_give_bit_identical_values_to_the_files(image, mask, preset):
    want = radx.extract(image, mask, preset=preset, case="c")
    img = sitk.ReadImage(str(image))
    msk = sitk.ReadImage(str(mask))
    got = radx.extract(img, msk, preset=preset, case="c")
    assert got["tag"].tolist() == want["tag"].tolist()
    assert np.array_equal(got["value"], want["value"], equal_nan=True)
    assert [i["path"] for i in got.attrs["provenance"]["inputs"]] == [
        "<SimpleITK image>",
        "<SimpleITK image>",
    ]


def test_simpleitk_geometry_is_radx_geometry():
    """SimpleITK's LPS origin and direction become radx's RAS ones."""
    img = sitk.ReadImage(str(CT_IMAGE))
    v = radx.read_image(CT_IMAGE)
    assert np.array_equal(sitk.GetArrayViewFromImage(img), v.array)
    assert tuple(reversed(img.GetSpacing())) == pytest.approx(v.spacing)
    ox, oy, oz = img.GetOrigin()
    assert (oz, -oy, -ox) == pytest.approx(v.origin, abs=1e-4)


def test_a_simpleitk_image_of_two_dimensions_is_an_input_error():
    with pytest.raises(radx.InputError, match="dimension 2"):
        radx.extract(sitk.Image(4, 4, sitk.sitkFloat32), DIGITAL_MASK)


def test_volume_chooses_a_volume_of_a_4d_nifti_as_the_command_line_does(tmp_path):
    img = sitk.ReadImage(str(DIGITAL_IMAGE))
    second = sitk.Cast(img, sitk.sitkFloat64) * 2.0 + 1.0
    four_d = sitk.JoinSeries([sitk.Cast(img, sitk.sitkFloat64), second])
    assert four_d.GetDimension() == 4
    path = tmp_path / "dynamic.nii.gz"
    sitk.WriteImage(four_d, str(path))
    three_d = tmp_path / "second.nii.gz"
    sitk.WriteImage(second, str(three_d))

    want = radx.extract(three_d, DIGITAL_MASK, preset="ibsi-digital-phantom", case="c")
    got = radx.extract(path, DIGITAL_MASK, preset="ibsi-digital-phantom", case="c", volume=1)
    assert got["tag"].tolist() == want["tag"].tolist()
    assert np.array_equal(got["value"], want["value"], equal_nan=True)
    first = radx.extract(path, DIGITAL_MASK, preset="ibsi-digital-phantom", case="c", volume=0)
    assert not np.array_equal(first["value"], got["value"], equal_nan=True)
    assert got.attrs["provenance"]["request"]["volume"] == 1

    # the command line's --volume gives the same values
    out = tmp_path / "cli.csv"
    cli("extract", "--image", path, "--mask", DIGITAL_MASK, "--preset", "ibsi-digital-phantom",
        "--case", "c", "--volume", 1, "--out", out)
    assert np.array_equal(radx.read_table(out)["value"], got["value"], equal_nan=True)

    with pytest.raises(radx.InputError, match="2 volumes"):
        radx.extract(path, DIGITAL_MASK, preset="ibsi-digital-phantom")
    with pytest.raises(radx.InputError, match="4D NIfTI"):
        radx.extract(sitk.GetArrayFromImage(img), DIGITAL_MASK, spacing=(2.0, 2.0, 2.0),
                     volume=0)
