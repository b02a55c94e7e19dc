"""Times PyRadiomics on a cohort CSV (case_id,image,mask) with a parameter file,
with a process pool of the given size. Used by run.sh; prints one line per case.

    python pyradiomics_cohort.py COHORT.csv PARAMS.yaml THREADS [FEATURES.csv]

With FEATURES.csv, also writes every feature value, one row per case and feature
(case,feature,value; feature names as PyRadiomics gives them, e.g.
wavelet-LLH_glcm_Contrast), so that run.sh can check which images were filtered."""
import csv
import logging
import sys
from multiprocessing import Pool

import radiomics
from radiomics import featureextractor

radiomics.logger.setLevel(logging.ERROR)
cohort, params, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
features_out = sys.argv[4] if len(sys.argv) > 4 else None
extractor = None


def init():
    global extractor
    extractor = featureextractor.RadiomicsFeatureExtractor(params)


def run(case):
    result = extractor.execute(case["image"], case["mask"])
    values = {k: float(v) for k, v in result.items() if not k.startswith("diagnostics_")}
    return case["case_id"], values if features_out else len(values)


if __name__ == "__main__":
    with open(cohort) as f:
        cases = list(csv.DictReader(f))
    out = open(features_out, "w", newline="") if features_out else None
    writer = csv.writer(out) if out else None
    if writer:
        writer.writerow(["case", "feature", "value"])
    with Pool(threads, initializer=init) as pool:
        for case_id, values in pool.imap(run, cases):
            if writer:
                writer.writerows((case_id, k, repr(v)) for k, v in values.items())
                values = len(values)
            print(f"{case_id}: {values} features", flush=True)
    if out:
        out.close()
