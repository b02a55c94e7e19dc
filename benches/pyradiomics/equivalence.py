"""Measured equivalence of radx and PyRadiomics, with PyRadiomics' conventions.

    python equivalence.py RADX_BIN PARAMS.yaml COHORT.csv OUT_DIR [FIXTURE.csv]

1. `radx settings import-pyradiomics PARAMS.yaml --out OUT_DIR/radx.toml` translates the
   parameter file (PyRadiomics conventions set: FBS edges at multiples of the bin width,
   nearest-neighbour mask, voxelArrayShift as the energy shift).
2. PyRadiomics extracts every case of COHORT.csv (case_id,image,mask) with PARAMS.yaml.
3. `radx batch` extracts the same cases with the imported manifest.
4. Every PyRadiomics column of the original image that reference-data/pyradiomics-mapping.toml
   maps to a radx tag is paired with radx's value (the mapping's scale and offset applied);
   the relative difference is |radx - py| / |py| (|radx - py| when py = 0).

Prints, per feature, the fraction of cases within 1 %, and the headline: the share of mapped
features that agree within 1 % in at least 95 % of the cases. Writes OUT_DIR/pairs.csv
(case, column, tag, pyradiomics, radx, rel_diff) and, with FIXTURE.csv, the PyRadiomics values
as a fixture for radx's CI (tests/equivalence.rs), headed by the tool versions and the
parameter file.
"""
import csv
import logging
import os
import subprocess
import sys
import tomllib

import radiomics
from radiomics import featureextractor

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", ".."))
radx, params, cohort, out = sys.argv[1:5]
fixture = sys.argv[5] if len(sys.argv) > 5 else None
os.makedirs(out, exist_ok=True)
radiomics.logger.setLevel(logging.ERROR)

manifest = os.path.join(out, "radx.toml")
subprocess.run([radx, "settings", "import-pyradiomics", params, "--out", manifest], check=True)

with open(cohort) as f:
    cases = list(csv.DictReader(f))

# PyRadiomics
extractor = featureextractor.RadiomicsFeatureExtractor(params)
py = {}
for c in cases:
    result = extractor.execute(c["image"], c["mask"])
    py[c["case_id"]] = {k: float(v) for k, v in result.items() if not k.startswith("diagnostics_")}
    print(f"pyradiomics: {c['case_id']}: {len(py[c['case_id']])} values", file=sys.stderr)

# radx
batch = os.path.join(out, "radx")
subprocess.run([radx, "batch", "--cohort", cohort, "--settings", manifest, "--out", batch,
                "--threads", "2", "--overwrite"], check=True)
rx = {}
with open(os.path.join(batch, "features.csv")) as f:
    for r in csv.DictReader(f):
        if r["image"] == "original" and r["value"] not in ("", "NA"):
            rx[(r["case"], r["tag"])] = float(r["value"])

with open(os.path.join(root, "reference-data", "pyradiomics-mapping.toml"), "rb") as f:
    mapping = tomllib.load(f)
classes = mapping["class"]
features = {(e["class"], e["name"]): e for e in mapping["feature"]}


def radx_tag(column):
    image, cls, name = column.split("_", 2)
    if image != "original":
        return None
    e = features.get((cls, name))
    if e is None or "unmapped" in e or "tag" not in e:
        return None
    agg = classes[cls]["aggregation"]
    tag = e["tag"] + (f"_{agg}" if agg else "")
    return tag, e.get("scale", 1.0), e.get("offset", 0.0)


pairs = []
for case, values in py.items():
    for column, v in sorted(values.items()):
        m = radx_tag(column)
        if m is None:
            continue
        tag, scale, offset = m
        p = scale * v + offset
        r = rx.get((case, tag))
        rel = None if r is None else (abs(r - p) / abs(p) if p != 0 else abs(r - p))
        pairs.append((case, column, tag, p, r, rel))

with open(os.path.join(out, "pairs.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["case", "column", "tag", "pyradiomics", "radx", "rel_diff"])
    for p in pairs:
        w.writerow([p[0], p[1], p[2], repr(p[3]), "" if p[4] is None else repr(p[4]),
                    "" if p[5] is None else f"{p[5]:.3e}"])

by_feature = {}
for case, column, tag, p, r, rel in pairs:
    by_feature.setdefault(column, []).append(rel)
agreeing = 0
print(f"{'feature':45s} cases  within 1%  max rel diff")
for column, rels in sorted(by_feature.items()):
    ok = sum(1 for x in rels if x is not None and x <= 0.01)
    worst = max((x for x in rels if x is not None), default=float("nan"))
    frac = ok / len(rels)
    if frac >= 0.95:
        agreeing += 1
    print(f"{column:45s} {len(rels):5d}  {100 * frac:6.1f}%   {worst:.2e}")
n = len(by_feature)
print(f"\n{agreeing} of {n} mapped features ({100 * agreeing / max(n, 1):.1f}%) agree within 1% "
      f"in >= 95% of {len(py)} cases (PyRadiomics {radiomics.__version__})")

if fixture:
    with open(params) as f:
        param_lines = [l.rstrip() for l in f if l.strip() and not l.lstrip().startswith("#")]
    version = subprocess.run([radx, "--version"], capture_output=True, text=True).stdout.strip().splitlines()[0]
    with open(fixture, "w", newline="") as f:
        f.write(f"# PyRadiomics {radiomics.__version__} values (mapped to radx tags) on the shipped "
                f"test cohort, measured with benches/pyradiomics/equivalence.py\n")
        f.write(f"# radx at measurement: {version}; parameter file {os.path.basename(params)}:\n")
        for l in param_lines:
            f.write(f"#   {l}\n")
        f.write("case,column,tag,pyradiomics,agreed_within_1pct\n")
        for case, column, tag, p, r, rel in pairs:
            agreed = rel is not None and rel <= 0.01
            f.write(f"{case},{column},{tag},{p!r},{'yes' if agreed else 'no'}\n")
