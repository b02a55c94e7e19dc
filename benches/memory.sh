#!/usr/bin/env bash
# Peak memory of `radx batch` (getrusage maxrss, as radx prints it at the end) per case,
# against image and ROI size, and for a whole cohort against the thread count: the
# measurements behind the README's --mem / --cpus-per-task (section "Sizing a cluster
# request"). Reads the shipped STS test cohort (PET and CT, the benches' PyRadiomics
# comparison settings); one run per line, nothing in a loop beyond that.
#   benches/memory.sh [path/to/radx]
set -euo pipefail
cd "$(dirname "$0")/.."
RADX=${1:-target/release/radx}
D=$PWD/reference-data/cohorts/sts-mini/nifti
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# Image voxels, ROI voxels (non-zero mask voxels) of a NIfTI-1 file pair.
sizes() {
  python3 - "$1" "$2" <<'EOF'
import gzip, struct, sys
def read(p):
    b = gzip.open(p).read()
    dims = struct.unpack("<8h", b[40:56])
    dtype = struct.unpack("<h", b[70:72])[0]
    off = int(struct.unpack("<f", b[108:112])[0])
    n = 1
    for d in dims[1:1 + dims[0]]:
        n *= d
    fmt = {2: "B", 4: "h", 8: "i", 16: "f", 64: "d", 256: "b", 512: "H", 768: "I"}[dtype]
    vals = struct.unpack("<%d%s" % (n, fmt), b[off:off + n * struct.calcsize(fmt)])
    return n, sum(1 for v in vals if v != 0)
img, _ = read(sys.argv[1])
_, roi = read(sys.argv[2])
print(img, roi)
EOF
}
peak() { grep -o 'peak memory [0-9]* MiB' "$1" | awk '{print $3}'; }

echo "| case | image voxels | ROI voxels | peak MiB, 1 thread |"
echo "| --- | ---: | ---: | ---: |"
for m in PET CT; do
  settings=benches/pyradiomics/settings-$(echo $m | tr A-Z a-z).toml
  for dir in "$D"/STS_*; do
    [ -e "$dir/${m}_image.nii.gz" ] || continue
    c=$(basename "$dir")
    printf 'case_id,image,mask\n%s,%s,%s\n' "$c" "$dir/${m}_image.nii.gz" "$dir/${m}_mask.nii.gz" >"$T/one.csv"
    "$RADX" batch --cohort "$T/one.csv" --settings "$settings" --out "$T/one-$m-$c" --threads 1 2>"$T/err"
    read -r img roi < <(sizes "$dir/${m}_image.nii.gz" "$dir/${m}_mask.nii.gz")
    echo "| $c $m | $img | $roi | $(peak "$T/err") |"
  done
done

# A cohort of the 6 PET cases, each 10 times: the peak against threads.
{
  echo "case_id,image,mask"
  for r in $(seq 10); do for dir in "$D"/STS_*; do
    c=$(basename "$dir")
    echo "${c}_$r,$dir/PET_image.nii.gz,$dir/PET_mask.nii.gz"
  done; done
} >"$T/cohort.csv"
echo
echo "| 60 PET cases, threads | peak MiB | wall s |"
echo "| ---: | ---: | ---: |"
for n in 1 2 4 8; do
  s=$(date +%s.%N)
  "$RADX" batch --cohort "$T/cohort.csv" --settings benches/pyradiomics/settings-pet.toml \
    --out "$T/threads-$n" --threads "$n" 2>"$T/err"
  e=$(date +%s.%N)
  echo "| $n | $(peak "$T/err") | $(printf '%.1f' "$(echo "$e - $s" | bc)") |"
done
