"""Regenerates dicom/STS_002/CT-multiframe/legacy-enhanced.dcm: six slices (000019-000024) of
the shipped STS_002 CT series (dicom/STS_002/CT/image) converted into one Legacy Converted
Enhanced CT Image (multi-frame, per-frame and shared functional groups) with highdicom.
Same licence as the cohort (CC BY 3.0). Run in a throwaway virtual environment:

    python3 -m venv /tmp/hd && /tmp/hd/bin/pip install highdicom
    /tmp/hd/bin/python reference-data/cohorts/sts-mini/scripts/make-multiframe-dicom.py

then update the file's sha256 in reference-data/sts-mini.toml (the script prints it).
highdicom writes new UIDs each run, so each run gives other bytes; the tests compare voxels
and features with the single-frame slices, not bytes.
"""
import hashlib
import pathlib

import pydicom
from highdicom.legacy import LegacyConvertedEnhancedCTImage

here = pathlib.Path(__file__).resolve().parent.parent
src = here / "dicom/STS_002/CT/image"
out = here / "dicom/STS_002/CT-multiframe/legacy-enhanced.dcm"
slices = [pydicom.dcmread(src / f"{k:06d}.dcm") for k in range(19, 25)]
mf = LegacyConvertedEnhancedCTImage(
    legacy_datasets=slices,
    series_instance_uid=pydicom.uid.generate_uid(),
    series_number=9001,
    sop_instance_uid=pydicom.uid.generate_uid(),
    instance_number=1,
)
out.parent.mkdir(parents=True, exist_ok=True)
mf.save_as(out, enforce_file_format=True)
print(out, hashlib.sha256(out.read_bytes()).hexdigest())
