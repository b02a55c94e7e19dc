#!/usr/bin/env bash
# Side-by-side throughput of radx and PyRadiomics on the STS cohort, on this machine.
#
#   bash benches/pyradiomics/run.sh [ct|pet] [threads]
#
# Installs PyRadiomics (and numpy, SimpleITK, PyWavelets) from PyPI into a virtual
# environment under target/, builds radx in release, then runs both on the same cases with the
# closest equivalent settings (see settings-*.toml and pyradiomics-*.yaml beside this script):
# resampling to 2 mm isotropic (linear image, mask at 0.5), bin width 25 HU (CT) or 0.25 SUV
# (PET), 3D texture with directions averaged; PyRadiomics with shape, first order, GLCM, GLRLM,
# GLSZM, GLDM and NGTDM; radx with every IBSI 1 family (it computes more features). It prints
# cases per second and peak resident memory of each and the ratio.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
modality="${1:-pet}"
threads="${2:-2}"
data="${RADX_COHORT_DATA:-$root/../shared/cohorts/sts}"
work="$root/target/pyradiomics-compare"
venv="$root/target/pyradiomics-venv"
mkdir -p "$work"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import radiomics" 2>/dev/null; then
  echo "installing PyRadiomics into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "numpy<2" setuptools wheel versioneer
  # pyradiomics 3.1.0 ships as an sdist whose build imports numpy: build without isolation
  "$venv/bin/pip" install -q --no-build-isolation pyradiomics
fi
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 1; }

(cd "$root" && cargo build --release --quiet)

# cohort CSV for radx; the Python driver reads the same file
cohort="$work/cohort-$modality.csv"
upper=$(echo "$modality" | tr a-z A-Z)
echo "case_id,image,mask" > "$cohort"
for d in "$data"/nifti/STS_*; do
  if [ -f "$d/${upper}_image.nii.gz" ]; then
    echo "$(basename "$d"),$d/${upper}_image.nii.gz,$d/${upper}_mask.nii.gz" >> "$cohort"
  fi
done
n=$(( $(wc -l < "$cohort") - 1 ))
echo "$n $upper cases, $threads threads" >&2

measure() { # label, command...
  local label="$1"; shift
  local log="$work/$label.time"
  /usr/bin/time -v "$@" > "$work/$label.out" 2> "$log" || { tail -20 "$log" >&2; exit 1; }
  local secs mem
  secs=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  mem=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  echo "$label $secs $mem"
}

rm -rf "$work/radx-out"
r=$(measure radx "$root/target/release/radx" batch --cohort "$cohort" \
      --settings "$here/settings-$modality.toml" --out "$work/radx-out" --threads "$threads")
p=$(measure pyradiomics "$venv/bin/python" "$here/pyradiomics_cohort.py" "$cohort" \
      "$here/pyradiomics-$modality.yaml" "$threads")

python3 - "$n" "$r" "$p" <<'PY'
import sys
n = int(sys.argv[1])
rows = [a.split() for a in sys.argv[2:]]
print(f"{'tool':<12} {'cases':>5} {'seconds':>8} {'cases/s':>8} {'peak MiB':>9}")
rates = {}
for label, secs, kib in rows:
    secs = float(secs); rates[label] = n / secs
    print(f"{label:<12} {n:>5} {secs:>8.2f} {n/secs:>8.2f} {int(kib)/1024:>9.0f}")
print(f"radx / PyRadiomics throughput: {rates['radx'] / rates['pyradiomics']:.1f}x")
PY
echo "peak memory is the largest single process (GNU time, RUSAGE_CHILDREN)" >&2
