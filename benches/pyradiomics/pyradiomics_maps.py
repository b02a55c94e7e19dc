"""PyRadiomics voxel-based extraction of one image and mask: the driver of maps.sh.

usage: pyradiomics_maps.py IMAGE MASK PARAMS.yaml OUT_DIR

Writes one NIfTI per feature map into OUT_DIR and prints the number of maps and the
seconds spent in extractor.execute (reading and writing excluded)."""
import os
import sys
import time

import SimpleITK as sitk
from radiomics import featureextractor, setVerbosity

setVerbosity(40)
image, mask, params, out = sys.argv[1:5]
os.makedirs(out, exist_ok=True)
extractor = featureextractor.RadiomicsFeatureExtractor(params)
start = time.perf_counter()
result = extractor.execute(image, mask, voxelBased=True)
seconds = time.perf_counter() - start
maps = 0
for name, value in result.items():
    if isinstance(value, sitk.Image):
        sitk.WriteImage(value, os.path.join(out, name + ".nii.gz"))
        maps += 1
print(f"maps {maps} seconds {seconds:.2f}")
