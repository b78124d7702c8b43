#!/usr/bin/env bash
# scripts/realfaces-eval.sh on the shared real photographs: AT&T (400 photos, 3,600 pairs) at >= 99.5 % with
# the imported dlib model and fv-align's defaults (but align.template = dlib_chip), every photo aligned, and the
# face_recognition examples at 100 %. Exits 77 (CTest SKIP_RETURN_CODE) without ../shared/data/faces beside
# the checkout or without face-api's copy of the dlib model (third_party/face-api).
# Environment: FV_BIN (folder of the executables; CTest passes the build's), FV_SOURCE_DIR (the checkout).
set -euo pipefail
src=${FV_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src"
faces=$src/../shared/data/faces
[[ -d $faces/att_faces ]] || { echo "SKIP: $faces/att_faces is absent"; exit 77; }
[[ -f third_party/face-api/face_recognition_model-weights_manifest.json ]] \
  || { echo "SKIP: no third_party/face-api (scripts/fetch-face-api.sh)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
scripts/realfaces-eval.sh --faces "$faces" --out "$tmp" --threads 2 --sets att_faces,face_recognition_examples \
  >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "realfaces-eval.sh failed"; }
cat "$tmp/table.md"
/usr/bin/python3 - "$tmp/table.md" <<'PY' || fail "the table misses its targets"
import sys
rows = {}
for line in open(sys.argv[1]):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if cells[0] in ("att_faces", "face_recognition_examples"):
        rows[cells[0]] = cells
assert set(rows) == {"att_faces", "face_recognition_examples"}, rows
att = rows["att_faces"]
assert att[1] == "400" and att[5] == "0" and att[6] == "3600", att  # every photo aligned, every pair scored
accuracy = float(att[7].split()[0])
assert accuracy >= 99.5, f"AT&T accuracy {accuracy} < 99.5"
assert rows["face_recognition_examples"][7].startswith("100.00"), rows["face_recognition_examples"]
print(f"AT&T {accuracy} % (>= 99.5)")
PY
echo PASS
