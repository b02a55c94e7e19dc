"""Measured equivalence of radx and MIRP 2.7, with MIRP's conventions.

    python equivalence.py RADX_BIN RUN COHORT.csv OUT_DIR [--jobs N] [--fixture FIXTURE.csv]

RUN names a pair of files in this folder: RUN.json, the keyword arguments given to MIRP's
`extract_features` (besides image and mask), and RUN.toml, the radx manifest written by hand
to set the same parameters and MIRP's conventions (`[conventions]`: mask extrapolation,
local-intensity padding, IVH range; MIRP's default FBS lower bound per modality).

1. MIRP extracts every case of COHORT.csv (case_id,image,mask), N cases at a time (default 2),
   each case's table kept in OUT_DIR/mirp/CASE.csv (delete it to measure again).
2. `radx batch` extracts the same cases with RUN.toml.
3. Every MIRP column that reference-data/mirp-mapping.toml maps to a radx tag is paired with
   radx's value; the relative difference is |radx - mirp| / |mirp| (|radx - mirp| when
   mirp = 0).

Prints, per feature, the share of cases within 1 % and the largest relative difference, the
headline (the share of mapped features agreeing within 1 % in at least 95 % of the cases),
and the features below that with the mapping's explanation. Writes OUT_DIR/pairs.csv and,
with --fixture, MIRP's values as a fixture for radx's CI (tests/equivalence.rs), headed by
the tool versions and RUN.json.
"""
import argparse
import csv
import json
import math
import multiprocessing
import os
import re
import subprocess
import sys
import tomllib
import warnings

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", ".."))


def mirp_case(job):
    """Runs MIRP on one case; returns {column: value} of the numeric feature columns."""
    case, image, mask, kwargs, cache = job
    if os.path.exists(cache):
        with open(cache) as f:
            return case, {r[0]: float(r[1]) for r in csv.reader(f)}
    warnings.filterwarnings("ignore")
    import logging
    logging.disable(logging.WARNING)
    from mirp import extract_features
    table = extract_features(image=image, mask=mask, export_features=True,
                             write_features=False, **kwargs)[0]
    row = table.iloc[0]
    values = {}
    for column in table.columns:
        try:
            values[column] = float(row[column])
        except (TypeError, ValueError):
            pass
    with open(cache, "w", newline="") as f:
        w = csv.writer(f)
        for k, v in values.items():
            w.writerow([k, repr(v)])
    print(f"mirp: {case}: {len(values)} values", file=sys.stderr)
    return case, values


def load_mapping():
    with open(os.path.join(root, "reference-data", "mirp-mapping.toml"), "rb") as f:
        return tomllib.load(f)


def radx_tag(column, mapping):
    """The radx tag of a MIRP column, or None (not a feature, or unmapped)."""
    rules = mapping["names"]
    if not re.match(rules["feature_prefix"], column):
        return None
    if column in {u["mirp"] for u in mapping.get("unmapped", [])}:
        return None
    tag = re.sub(rules["discretisation_suffix"], "", column)
    for s in rules["remove"]:
        tag = tag.replace(s, "")
    for old, new in rules["replace"].items():
        tag = tag.replace(old, new)
    return tag


def main():
    p = argparse.ArgumentParser()
    p.add_argument("radx")
    p.add_argument("run")
    p.add_argument("cohort")
    p.add_argument("out")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--fixture")
    a = p.parse_args()
    os.makedirs(os.path.join(a.out, "mirp"), exist_ok=True)
    with open(os.path.join(here, f"{a.run}.json")) as f:
        kwargs = json.load(f)
    manifest = os.path.join(here, f"{a.run}.toml")
    with open(a.cohort) as f:
        cases = list(csv.DictReader(f))

    jobs = [(c["case_id"], c["image"], c["mask"], kwargs,
             os.path.join(a.out, "mirp", f"{c['case_id']}.csv")) for c in cases]
    with multiprocessing.get_context("spawn").Pool(a.jobs) as pool:
        mirp = dict(pool.map(mirp_case, jobs, chunksize=1))

    batch = os.path.join(a.out, "radx")
    subprocess.run([a.radx, "batch", "--cohort", a.cohort, "--settings", manifest, "--out", batch,
                    "--threads", str(a.jobs), "--overwrite"], check=True)
    rx = {}
    with open(os.path.join(batch, "features.csv")) as f:
        for r in csv.DictReader(f):
            if r["image"] == "original" and r["value"] not in ("", "NA"):
                rx[(r["case"], r["tag"])] = float(r["value"])

    mapping = load_mapping()
    exceptions = {e["tag"]: e for e in mapping.get("exception", [])}
    pairs = []
    missing = set()
    for case, values in mirp.items():
        for column, v in sorted(values.items()):
            tag = radx_tag(column, mapping)
            if tag is None or math.isnan(v):
                continue
            r = rx.get((case, tag))
            if r is None:
                missing.add((column, tag))
            rel = None if r is None else (abs(r - v) / abs(v) if v != 0 else abs(r - v))
            pairs.append((case, column, tag, v, r, rel))
    if missing:
        sys.exit("radx has no value for mapped MIRP columns (fix reference-data/mirp-mapping.toml): "
                 + ", ".join(f"{c} -> {t}" for c, t in sorted(missing)))

    with open(os.path.join(a.out, "pairs.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case", "column", "tag", "mirp", "radx", "rel_diff"])
        for c, column, tag, v, r, rel in pairs:
            w.writerow([c, column, tag, repr(v), repr(r), f"{rel:.3e}"])

    by_tag = {}
    for c, column, tag, v, r, rel in pairs:
        by_tag.setdefault(tag, []).append((rel, c))
    agreeing, below = 0, []
    exact = sum(1 for p in pairs if p[5] <= 1e-6)
    within = sum(1 for p in pairs if p[5] <= 0.01)
    print(f"{'feature':32s} cases  within 1%  max rel diff")
    for tag, rels in sorted(by_tag.items()):
        ok = sum(1 for x, _ in rels if x <= 0.01)
        worst, worst_case = max(rels)
        frac = ok / len(rels)
        if frac >= 0.95:
            agreeing += 1
        else:
            below.append(tag)
        print(f"{tag:32s} {len(rels):5d}  {100 * frac:6.1f}%   {worst:.2e} ({worst_case})")
    n = len(by_tag)
    import mirp as mirp_module
    version = getattr(mirp_module, "__version__", None)
    if version is None:
        from importlib.metadata import version as v
        version = v("mirp")
    worst = max(pairs, key=lambda p: p[5])
    print(f"\n{agreeing} of {n} mapped features ({100 * agreeing / max(n, 1):.1f}%) agree within 1% "
          f"in >= 95% of {len(mirp)} cases (MIRP {version}); values within 1%: {within} / "
          f"{len(pairs)}, within 1e-6: {exact}; largest: {worst[5]:.2e} ({worst[2]}, {worst[0]})")
    for tag in below:
        e = exceptions.get(tag)
        print(f"  below: {tag}: " + (e["why"] if e else "NOT EXPLAINED in reference-data/mirp-mapping.toml"))

    if a.fixture:
        radx_version = subprocess.run([a.radx, "--version"], capture_output=True,
                                      text=True).stdout.strip().splitlines()[0]
        with open(a.fixture, "w", newline="") as f:
            f.write(f"# MIRP {version} values (mapped to radx tags) on the shipped test cohort, "
                    f"measured with benches/mirp/equivalence.py {a.run}\n")
            f.write(f"# radx at measurement: {radx_version}; radx manifest benches/mirp/{a.run}.toml; "
                    f"MIRP extract_features arguments ({a.run}.json):\n")
            for k, v in kwargs.items():
                f.write(f"#   {k} = {json.dumps(v)}\n")
            f.write("case,column,tag,mirp,agreed_within_1pct\n")
            for c, column, tag, v, r, rel in pairs:
                f.write(f"{c},{column},{tag},{v!r},{'yes' if rel <= 0.01 else 'no'}\n")


if __name__ == "__main__":
    main()
