#!/usr/bin/env bash
# Side-by-side throughput of radx and PyRadiomics on the STS cohort, on this machine.
#
#   bash benches/pyradiomics/run.sh [ct|pet] [threads] [original|filters]
#
# Installs PyRadiomics (and numpy, SimpleITK, PyWavelets) from PyPI into a virtual
# environment under target/, builds radx in release, then runs both on the same cases with the
# closest equivalent settings (see settings-*.toml and pyradiomics-*.yaml beside this script):
# resampling to 2 mm isotropic (linear image, mask at 0.5), bin width 25 HU (CT) or 0.25 SUV
# (PET), 3D texture with directions averaged; PyRadiomics with shape, first order, GLCM, GLRLM,
# GLSZM, GLDM and NGTDM; radx with every IBSI 1 family (it computes more features). It prints
# cases per second, peak resident memory and CPU time of each and the ratio.
#
# Mode `filters` (settings-*-filters.toml, pyradiomics-*-filters.yaml) adds response maps to the
# original image: the Laplacian of Gaussian at sigma 2 and 4 mm and the 8 level-1 sub-bands of
# the undecimated coif1 wavelet, each with first order (radx: intensity statistics and
# histogram), GLCM, GLRLM, GLSZM, GLDM (radx: NGLDM) and NGTDM at the original bin width; the
# header of settings-*-filters.toml says what is equivalent and what is not.
#
# After the timings it checks both outputs (compare_outputs.py): features per case and per
# image, every response map present for every case, and per map the ROI mean and range of each
# tool. It also prints the load average before and after the runs (the machine should be idle).
#
# Environment:
#   RADX_BIN          a prebuilt radx binary (default: build the workspace in release and use
#                     target/release/radx)
#   RUNS              how many times each tool runs, alternately (default 1); one table row per
#                     run, then the medians
#   RADX_COHORT_DATA  the cohort (default ../shared/cohorts/sts beside the workspace)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
modality="${1:-pet}"
threads="${2:-2}"
mode="${3:-original}"
runs="${RUNS:-1}"
case "$mode" in
  original) suffix="" ;;
  filters) suffix="-filters" ;;
  *) echo "mode must be original or filters, not $mode" >&2; exit 2 ;;
esac
data="${RADX_COHORT_DATA:-$root/../shared/cohorts/sts}"
work="$root/target/pyradiomics-compare"
venv="$root/target/pyradiomics-venv"
mkdir -p "$work"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import radiomics" 2>/dev/null; then
  echo "installing PyRadiomics into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "numpy<2" setuptools wheel versioneer
  # pyradiomics (3.0.1 from PyPI here) ships as an sdist whose build imports numpy: build without isolation
  "$venv/bin/pip" install -q --no-build-isolation pyradiomics
fi
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 1; }

if [ -n "${RADX_BIN:-}" ]; then
  radx="$RADX_BIN"
  [ -x "$radx" ] || { echo "RADX_BIN=$radx is not an executable" >&2; exit 1; }
else
  (cd "$root" && cargo build --release --quiet)
  radx="$root/target/release/radx"
fi

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
echo "$n $upper cases, $threads threads, $mode" >&2

measure() { # label, command...
  local label="$1"; shift
  local log="$work/$label-$modality$suffix.time"
  /usr/bin/time -v "$@" > "$work/$label-$modality$suffix.out" 2> "$log" || { tail -20 "$log" >&2; exit 1; }
  local secs mem cpu
  secs=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  mem=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  cpu=$(grep -E '(User|System) time \(seconds\)' "$log" | awk '{s += $NF} END {print s}')
  echo "$label $secs $mem $cpu"
}

settings="$here/settings-$modality$suffix.toml"
params="$here/pyradiomics-$modality$suffix.yaml"
radx_out="$work/radx-out-$modality$suffix"
py_out="$work/pyradiomics-$modality$suffix.csv"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
for i in $(seq 1 "$runs"); do
  rm -rf "$radx_out"
  rows+=("$(measure radx "$radx" batch --cohort "$cohort" \
        --settings "$settings" --out "$radx_out" --threads "$threads")")
  rows+=("$(measure pyradiomics "$venv/bin/python" "$here/pyradiomics_cohort.py" "$cohort" \
        "$params" "$threads" "$py_out")")
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$n" "${rows[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
rows = [a.split() for a in sys.argv[2:]]
print(f"{'tool':<19} {'cases':>5} {'seconds':>8} {'cases/s':>8} {'peak MiB':>9} {'CPU s':>8}")
secs_of, kib_of, cpu_of = {}, {}, {}
for label, secs, kib, cpu in rows:
    secs, cpu = float(secs), float(cpu)
    secs_of.setdefault(label, []).append(secs); kib_of.setdefault(label, []).append(int(kib))
    cpu_of.setdefault(label, []).append(cpu)
    print(f"{label:<19} {n:>5} {secs:>8.2f} {n/secs:>8.2f} {int(kib)/1024:>9.0f} {cpu:>8.2f}")
rates = {label: n / statistics.median(s) for label, s in secs_of.items()}
cpu = {label: statistics.median(c) for label, c in cpu_of.items()}
if len(rows) > 2:
    for label, s in secs_of.items():
        print(f"{label + ' median':<19} {n:>5} {statistics.median(s):>8.2f} {rates[label]:>8.2f} {max(kib_of[label])/1024:>9.0f} {cpu[label]:>8.2f}")
print(f"radx / PyRadiomics throughput: {rates['radx'] / rates['pyradiomics']:.1f}x"
      f" (CPU time: {cpu['pyradiomics'] / cpu['radx']:.1f}x less)")
PY
echo "peak memory is the largest single process, CPU s the user + system time of the process and its children (GNU time)" >&2
echo "load average (1, 5, 15 min) before: $load_before, after: $load_after" >&2
maps=$(grep -c '^\[\[filters.maps\]\]' "$settings" || true)
bin_width=$(sed -n 's/^ *binWidth: *//p' "$params" | head -1)
python3 "$here/compare_outputs.py" "$radx_out/features.csv" "$py_out" "$n" "$maps" "$bin_width"
