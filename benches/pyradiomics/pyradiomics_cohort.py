"""Times PyRadiomics on a cohort CSV (case_id,image,mask) with a parameter file,
with a process pool of the given size. Used by run.sh; prints one line per case."""
import csv
import logging
import sys
from multiprocessing import Pool

import radiomics
from radiomics import featureextractor

radiomics.logger.setLevel(logging.ERROR)
cohort, params, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
extractor = None


def init():
    global extractor
    extractor = featureextractor.RadiomicsFeatureExtractor(params)


def run(case):
    result = extractor.execute(case["image"], case["mask"])
    n = sum(1 for k in result if not k.startswith("diagnostics_"))
    return case["case_id"], n


if __name__ == "__main__":
    with open(cohort) as f:
        cases = list(csv.DictReader(f))
    with Pool(threads, initializer=init) as pool:
        for case_id, n in pool.imap(run, cases):
            print(f"{case_id}: {n} features", flush=True)
