#!/usr/bin/env python3
"""radx.extract against the radx command line on the IBSI CT phantom, configuration E.

Both read the same NIfTI files and compute the same table; the command line's time is a
whole process (start, read, compute, write the CSV to /dev/null), the Python call's is
`radx.extract` returning a DataFrame with its provenance. Goal: the Python call adds no
more than 5%.

    pip install ./crates/radx-python && cargo build --release
    python benches/python_extract.py [--runs 5] [--threads 1] [--radx target/release/radx]
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import radx

ROOT = Path(__file__).resolve().parents[1]
CT = ROOT / "reference-data/ibsi/ibsi_1_ct_radiomics_phantom/nifti"
IMAGE, MASK = CT / "image/phantom.nii.gz", CT / "mask/mask.nii.gz"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--radx", default=str(ROOT / "target/release/radx"))
    a = ap.parse_args()
    cmd = [a.radx, "extract", "--image", str(IMAGE), "--mask", str(MASK),
           "--preset", "ibsi-config-e", "--threads", str(a.threads)]
    settings = radx.Settings.preset("ibsi-config-e")

    def run_cli():
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def run_py():
        radx.extract(IMAGE, MASK, settings=settings, threads=a.threads)

    def run_bare():  # the extension call alone: no DataFrame, no provenance dict
        radx._radx.extract(str(IMAGE), str(MASK), settings, threads=a.threads)

    run_cli(), run_py()  # warm the file cache and the allocator
    cli_t, py_t, bare_t = [], [], []
    for _ in range(a.runs):  # interleaved, so a load on the machine hits all alike
        for f, ts in ((run_cli, cli_t), (run_py, py_t), (run_bare, bare_t)):
            t0 = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t0)
    c, p = statistics.median(cli_t), statistics.median(py_t)
    print(f"CT phantom, config E, {a.threads} thread(s), median of {a.runs}:")
    print(f"  radx extract (CLI process): {c:.3f} s   (min {min(cli_t):.3f})")
    print(f"  radx.extract (Python):      {p:.3f} s   (min {min(py_t):.3f})")
    b = statistics.median(bare_t)
    print(f"  radx._radx.extract (bare):  {b:.3f} s   (min {min(bare_t):.3f})")
    print(f"  Python / CLI: {p / c:.3f} ({(p / c - 1) * 100:+.1f}%); "
          f"DataFrame and provenance dict: {(p - b) * 1000:+.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
