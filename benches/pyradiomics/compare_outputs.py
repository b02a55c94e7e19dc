"""Checks and counts the outputs of the two tools after run.sh (standard library only).

    python3 compare_outputs.py RADX_FEATURES.csv PYRADIOMICS_FEATURES.csv N_CASES N_MAPS BIN_WIDTH

RADX_FEATURES.csv is `radx batch`'s long table (case,roi,image,family,feature,...,value,
missing_reason); PYRADIOMICS_FEATURES.csv is pyradiomics_cohort.py's (case,feature,value).
Prints, for each tool, the features per case and per image, checks that every case has the
original image and every response map (radx: N_MAPS maps, labelled with the filters'
canonical names; PyRadiomics: the `log-sigma-*` and `wavelet-*` prefixes), and, per image, the
median over cases of the mean and range of the intensities in the ROI with the number of
grey levels that range implies at BIN_WIDTH, to show how comparable the discretised maps are.
Exits non-zero when a check fails."""
import csv
import re
import statistics
import sys
from collections import defaultdict

radx_csv, py_csv, n_cases, n_maps, bw = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
ok = True


def fail(msg):
    global ok
    ok = False
    print(f"CHECK FAILED: {msg}")


def spread(values):
    values = sorted(values)
    return f"{values[0]}" if values[0] == values[-1] else f"{values[0]}..{values[-1]} (median {statistics.median(values):g})"


# radx: rows per (case, image), diagnostics left out
radx_rows = defaultdict(lambda: defaultdict(int))
radx_missing = defaultdict(int)
radx_stats = defaultdict(lambda: defaultdict(dict))  # image -> case -> {mean, range}
with open(radx_csv) as f:
    for r in csv.DictReader(f):
        if r["family"] == "diagnostics":
            continue
        radx_rows[r["case"]][r["image"]] += 1
        if r["value"] == "":
            radx_missing[r["case"]] += 1
        if r["family"] == "intensity_stats" and r["feature"] in ("mean", "range") and r["value"]:
            radx_stats[r["image"]][r["case"]][r["feature"]] = float(r["value"])

# PyRadiomics: columns per (case, image prefix)
py_rows = defaultdict(lambda: defaultdict(int))
py_stats = defaultdict(lambda: defaultdict(dict))
with open(py_csv) as f:
    for r in csv.DictReader(f):
        image, cls, name = r["feature"].split("_", 2)
        py_rows[r["case"]][image] += 1
        if cls == "firstorder" and name in ("Mean", "Range"):
            py_stats[image][r["case"]][name.lower()] = float(r["value"])

for tool, rows, expected_images in (("radx", radx_rows, 1 + n_maps), ("pyradiomics", py_rows, 1 + n_maps)):
    print(f"{tool}: {len(rows)} cases")
    if len(rows) != n_cases:
        fail(f"{tool} has features for {len(rows)} of {n_cases} cases")
    images = sorted({i for c in rows.values() for i in c})
    totals = [sum(c.values()) for c in rows.values()]
    print(f"  features per case: {spread(totals)}")
    if tool == "radx":
        print(f"  missing values per case: {spread([radx_missing.get(c, 0) for c in rows])}")
    for image in images:
        per_case = [rows[c].get(image, 0) for c in rows]
        print(f"  {image:<36} features per case: {spread(per_case)}")
        if min(per_case) == 0:
            fail(f"{tool}: image {image} missing for some cases")
    if len(images) != expected_images:
        fail(f"{tool}: {len(images)} images, expected {expected_images} (original + {n_maps} maps)")
    if "original" not in images:
        fail(f"{tool}: no original-image features")

if n_maps:
    if not any(i.startswith("log-sigma-") for c in py_rows.values() for i in c):
        fail("pyradiomics: no LoG columns")
    if not any(i.startswith("wavelet-") for c in py_rows.values() for i in c):
        fail("pyradiomics: no wavelet columns")


def py_name(radx_image):
    """PyRadiomics image prefix of a radx image label."""
    if radx_image == "original":
        return "original"
    m = re.fullmatch(r"log_s([0-9.]+)mm_3d(_\w+)?", radx_image)
    if m:
        return "log-sigma-%s-mm-3D" % str(float(m.group(1))).replace(".", "-")
    m = re.fullmatch(r"wavelet_\w+?_([lh]{3})_l1_3d(_\w+)?", radx_image)
    if m:
        return "wavelet-" + m.group(1).upper()
    return None


print(f"median over cases of the ROI mean and range; grey levels = range / {bw:g} + 1")
print(f"  {'radx image':<36} {'PyRadiomics image':<22} {'mean radx':>10} {'mean py':>10} {'range radx':>10} {'range py':>10} {'levels radx':>11} {'levels py':>9}")
for image in sorted(radx_stats):
    p = py_name(image)
    if p is None or p not in py_stats:
        fail(f"no PyRadiomics image for radx image {image}")
        continue
    cases = sorted(set(radx_stats[image]) & set(py_stats[p]))
    med = lambda d, k: statistics.median(d[c][k] for c in cases)
    rm, pm, rr, pr = med(radx_stats[image], "mean"), med(py_stats[p], "mean"), med(radx_stats[image], "range"), med(py_stats[p], "range")
    print(f"  {image:<36} {p:<22} {rm:>10.4g} {pm:>10.4g} {rr:>10.4g} {pr:>10.4g} {rr / bw + 1:>11.0f} {pr / bw + 1:>9.0f}")

sys.exit(0 if ok else 1)
