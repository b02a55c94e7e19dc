#!/usr/bin/env bash
# Regenerates the compressed-DICOM test fixtures of the STS mini cohort:
#   dicom/STS_002/CT-compressed/<syntax>/0000{20,21,22}.dcm
# three slices of the shipped STS_002 CT series (dicom/STS_002/CT/image), each re-encoded in
# one transfer syntax with Debian's dcmtk (dcmcjpeg, dcmcjpls, dcmcrle, dcmconv) or GDCM
# (gdcmconv, package libgdcm-tools), then rewrites their entries in reference-data/sts-mini.toml
# (between the "generated compressed DICOM" markers). Same licence as the cohort (CC BY 3.0).
#
#   apt-get install dcmtk libgdcm-tools
#   bash reference-data/cohorts/sts-mini/scripts/make-compressed-dicom.sh
#
# The encoders write their own version and, for lossy syntaxes, new UIDs into the files, so
# other tool versions give other bytes (and sha256); the tests compare voxels, not bytes.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
manifest="$here/../../sts-mini.toml"
src="$here/dicom/STS_002/CT/image"
out="$here/dicom/STS_002/CT-compressed"
slices=(000020 000021 000022)
rm -rf "$out"
# The originals are implicit VR and hold a private-made sequence as UN of undefined length
# (CP-246); GDCM would copy it as such, so its input is first rewritten as explicit VR
# little endian by dcmtk, which reads that element as the sequence it is.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for s in "${slices[@]}"; do dcmconv +te "$src/$s.dcm" "$tmp/$s.dcm" >/dev/null 2>&1; done
encode() { # name command...
  local name=$1; shift
  local from="$src"
  [ "$1" = gdcmconv ] && from="$tmp"
  mkdir -p "$out/$name"
  for s in "${slices[@]}"; do
    "$@" "$from/$s.dcm" "$out/$name/$s.dcm" >/dev/null 2>&1
  done
}
encode jpeg-baseline dcmcjpeg +eb            # 1.2.840.10008.1.2.4.50 (8 bits: dcmtk rescales)
encode jpeg-extended dcmcjpeg +ee            # 1.2.840.10008.1.2.4.51 (12 bits)
encode jpeg-lossless-sv1 dcmcjpeg +e1        # 1.2.840.10008.1.2.4.70
encode jpeg-ls-lossless dcmcjpls +el         # 1.2.840.10008.1.2.4.80
encode jpeg-ls-near-lossless gdcmconv --jpegls --lossy -e 2   # 1.2.840.10008.1.2.4.81, NEAR = 2
encode j2k-lossless gdcmconv --j2k           # 1.2.840.10008.1.2.4.90
encode j2k-lossy gdcmconv --j2k --lossy -q 80  # 1.2.840.10008.1.2.4.91, PSNR 80 dB of the 16-bit range
encode rle dcmcrle                           # 1.2.840.10008.1.2.5
encode deflated dcmconv +td                  # 1.2.840.10008.1.2.1.99

licence='CC BY 3.0; cite Vallières et al. 2015 (DOI:10.7937/K9/TCIA.2015.7GO2GSKS) and Clark et al. 2013 (TCIA)'
block="$(mktemp)"
{
  echo "# BEGIN generated compressed DICOM (scripts/make-compressed-dicom.sh)"
  for d in "$out"/*/; do
    name=$(basename "$d")
    for f in "$d"*.dcm; do
      rel="dicom/STS_002/CT-compressed/$name/$(basename "$f")"
      printf '\n[[file]]\npath = "%s"\nset = "STS_002"\nwhat = "STS_002 CT slice re-encoded (%s)"\nsource = "radx: scripts/make-compressed-dicom.sh from dicom/STS_002/CT/image (theibsi/data_sets ibsi_validation, TCIA Soft-tissue-Sarcoma)"\nlicence = "%s"\nsha256 = "%s"\n' \
        "$rel" "$name" "$licence" "$(sha256sum "$f" | cut -d' ' -f1)"
    done
  done
  echo
  echo "# END generated compressed DICOM"
} > "$block"
python3 - "$manifest" "$block" <<'PY'
import sys, re
man, block = open(sys.argv[1]).read(), open(sys.argv[2]).read()
pat = re.compile(r"# BEGIN generated compressed DICOM.*?# END generated compressed DICOM\n", re.S)
man = pat.sub(lambda m: block, man) if pat.search(man) else man.rstrip("\n") + "\n\n" + block
open(sys.argv[1], "w").write(man)
PY
rm -f "$block"
echo "wrote $out and its entries in $manifest"
