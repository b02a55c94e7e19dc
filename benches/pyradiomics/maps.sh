#!/usr/bin/env bash
# Side-by-side timing of voxel-wise feature maps: `radx maps` and PyRadiomics' voxel-based
# extraction (extractor.execute(..., voxelBased=True)) on the IBSI 1 CT phantom (GTV), on
# this machine.
#
#   bash benches/pyradiomics/maps.sh [threads]
#
# Same settings on both sides (pyradiomics-maps.yaml, settings-maps.toml): 2 mm isotropic
# (linear), re-segmentation to [-1000, 400] HU, 32 bins over the whole ROI (global
# discretisation in both tools), 3D texture with directions averaged, a 5 x 5 x 5 voxel
# cube kernel (PyRadiomics kernelRadius 2; radx --kernel cube --kernel-radius-mm 4)
# restricted to the ROI; the same families: first order (radx: intensity statistics and
# histogram), GLCM, GLRLM, GLSZM, GLDM (radx: NGLDM) and NGTDM. radx runs on 1 thread and
# on `threads` (default 2); PyRadiomics' voxel-based extraction is single-threaded.
#
# Installs PyRadiomics (numpy, SimpleITK, PyWavelets) from PyPI into a virtual environment
# under target/ (as run.sh), builds radx in release (or RADX_BIN), then prints wall-clock
# seconds, peak resident memory and the number of maps of each run, and the speed-ups.
# Set FAMILIES="firstorder glcm" to time a subset (PyRadiomics class names; radx families
# follow).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
threads="${1:-2}"
work="$root/target/maps-compare"
venv="$root/target/pyradiomics-venv"
data="$root/reference-data/ibsi/ibsi_1_ct_radiomics_phantom/nifti"
image="$data/image/phantom.nii.gz"
mask="$data/mask/mask.nii.gz"
mkdir -p "$work"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import radiomics" 2>/dev/null; then
  echo "installing PyRadiomics into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "numpy<2" setuptools wheel versioneer
  "$venv/bin/pip" install -q --no-build-isolation pyradiomics
fi
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 1; }
if [ -n "${RADX_BIN:-}" ]; then
  radx="$RADX_BIN"
else
  (cd "$root" && cargo build --release --quiet -p radx)
  radx="$root/target/release/radx"
fi

families="${FAMILIES:-firstorder glcm glrlm glszm gldm ngtdm}"
params="$work/pyradiomics-maps.yaml"
sed '/^featureClass:/,$d' "$here/pyradiomics-maps.yaml" > "$params"
echo "featureClass:" >> "$params"
radx_families=()
for f in $families; do
  echo "  $f:" >> "$params"
  case "$f" in
    firstorder) radx_families+=(intensity_stats intensity_histogram) ;;
    gldm) radx_families+=(ngldm) ;;
    *) radx_families+=("$f") ;;
  esac
done

measure() { # label, command...: prints "label seconds peak_kib"
  local label="$1"; shift
  local log="$work/$label.time"
  /usr/bin/time -v "$@" > "$work/$label.out" 2> "$log" || { tail -20 "$log" >&2; exit 1; }
  local secs mem
  secs=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  mem=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  echo "$label $secs $mem"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
for n in 1 "$threads"; do
  rm -rf "$work/radx-$n"
  rows+=("$(measure "radx-${n}-thread" "$radx" maps --image "$image" --mask "$mask" \
      --settings "$here/settings-maps.toml" --kernel cube --kernel-radius-mm 4 \
      --features "${radx_families[@]}" --threads "$n" --out "$work/radx-$n")")
done
rm -rf "$work/pyradiomics"
rows+=("$(measure pyradiomics "$venv/bin/python" "$here/pyradiomics_maps.py" "$image" "$mask" \
    "$params" "$work/pyradiomics")")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
radx_maps=$(find "$work/radx-1" -name '*.nii.gz' | wc -l)
py_maps=$(find "$work/pyradiomics" -name '*.nii.gz' | wc -l)

python3 - "$radx_maps" "$py_maps" "${rows[@]}" <<'PY'
import sys
radx_maps, py_maps = int(sys.argv[1]), int(sys.argv[2])
rows = [a.split() for a in sys.argv[3:]]
print(f"{'tool':<20} {'maps':>5} {'seconds':>9} {'peak MiB':>9}")
secs = {}
for label, s, kib in rows:
    secs[label] = float(s)
    maps = py_maps if label == "pyradiomics" else radx_maps
    print(f"{label:<20} {maps:>5} {float(s):>9.2f} {int(kib)/1024:>9.0f}")
py = secs["pyradiomics"]
for label, s in secs.items():
    if label != "pyradiomics":
        print(f"PyRadiomics / {label}: {py / s:.1f}x")
PY
echo "seconds: wall clock of the whole process (reading, processing, maps, writing); peak MiB: largest resident set (GNU time)" >&2
echo "load average (1, 5, 15 min) before: $load_before, after: $load_after" >&2
