#!/usr/bin/env bash
# dlib's face descriptor (imported from face-api's copy of dlib_face_recognition_resnet_model_v1) over every
# verification set of a folder of real photographs, as a user runs the pipeline: fv-align (dlib_chip,
# every other key at its default) -> fv-embed -> fv-eval pairlist. Prints one table row per set: photos,
# how each was aligned (detected / prior box / centre crop / none), accuracy (10-fold), AUC, TAR@FAR=1e-3.
#
# Usage: scripts/realfaces-eval.sh [--faces DIR] [--out DIR] [--threads N] [--sets a,b] [FV-ALIGN OPTION...]
#   --faces DIR   sets to evaluate: every sub-folder holding a pairs.txt ('path_a path_b same' lines, paths
#                 relative to the sub-folder). Default data/faces; when that is missing and ../shared/data/faces
#                 exists beside the checkout, it is copied there first. Neither: prints why and exits 0.
#   --out DIR     work folder (default out/realfaces); the table is written to DIR/table.md too.
#   --threads N   threads of every stage (default: all cores).
#   --sets a,b    only these sub-folders.
#   Further arguments go to fv-align (for example --detect.policy largest --align.no_face center_crop).
# FV_BIN: folder of the executables (default build/bin). The model file is made once with fv-import dlib.
set -euo pipefail
cd "$(dirname "$0")/.."

faces=data/faces
out=out/realfaces
threads=0
sets=""
align_args=()
while (($#)); do
  case $1 in
    --faces) faces=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --sets) sets=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) align_args+=("$1"); shift ;;
  esac
done
bin=${FV_BIN:-build/bin}
face_api=third_party/face-api

if [[ ! -d $faces && $faces == data/faces && -d ../shared/data/faces ]]; then
  echo "realfaces-eval: copying ../shared/data/faces into data/faces"
  mkdir -p data
  cp -r ../shared/data/faces data/faces.partial && mv data/faces.partial data/faces
fi
if [[ ! -d $faces ]]; then
  echo "realfaces-eval: skipped: no folder of real photographs at '$faces' (give one with --faces)"
  exit 0
fi
if [[ ! -f $face_api/face_recognition_model-weights_manifest.json ]]; then
  echo "realfaces-eval: skipped: no $face_api (scripts/fetch-face-api.sh, run by install-deps.sh, needs npm)"
  exit 0
fi
for b in fv-import fv-align fv-embed fv-eval; do
  [[ -x $bin/$b ]] || { echo "realfaces-eval: $bin/$b is missing (build it, or set FV_BIN)" >&2; exit 2; }
done

mkdir -p "$out"
model=$out/dlib.fvm
[[ -f $model ]] || "$bin/fv-import" dlib --manifest "$face_api/face_recognition_model-weights_manifest.json" \
  --output "$model" >/dev/null

table=$out/table.md
{
  echo "| set | photos | detected | prior box | centre crop | not aligned | pairs | accuracy % | AUC | TAR@FAR=1e-3 |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$table.partial"
for dir in "$faces"/*/; do
  set_name=$(basename "$dir")
  [[ -f $dir/pairs.txt ]] || continue
  if [[ -n $sets && ",$sets," != *",$set_name,"* ]]; then continue; fi
  work=$out/$set_name
  rm -rf "$work"
  mkdir -p "$work"
  echo "== $set_name"
  "$bin/fv-align" "$dir" --config configs/align.ini --output.dir "$work/aligned" --output.format png \
    --align.template dlib_chip --run.threads "$threads" --run.progress false "${align_args[@]}" >"$work/align.log" 2>&1 \
    || { echo "fv-align failed on $set_name: see $work/align.log" >&2; exit 1; }
  "$bin/fv-embed" --config configs/embed.ini --embed.input "$work/aligned/images" --embed.output "$work/dlib.h5" \
    --embed.model "$model" --threads "$threads" >"$work/embed.log" 2>&1 \
    || { echo "fv-embed failed on $set_name: see $work/embed.log" >&2; exit 1; }
  # The pair list again, naming each photo's aligned image (the manifest maps input to output).
  python3 - "$dir" "$work" <<'EOF' || exit 1
import csv, os, sys
src, work = sys.argv[1], sys.argv[2]
out = {}
for r in csv.DictReader(open(f"{work}/aligned/manifest.csv", newline="")):
    if r["output"]:
        out[os.path.relpath(r["input"], src)] = os.path.relpath(r["output"], "images")
with open(f"{work}/pairs.txt", "w") as f:
    for n, line in enumerate(open(f"{src}/pairs.txt"), 1):
        if not line.strip():
            continue
        a, b, same = line.split()
        for p in (a, b):
            if p not in out:
                sys.exit(f"{src}/pairs.txt:{n}: '{p}' has no aligned image (see {work}/aligned/manifest.csv)")
        f.write(f"{out[a]} {out[b]} {same}\n")
EOF
  "$bin/fv-eval" --config configs/eval.ini --eval.protocol pairlist --eval.embeddings "$work/dlib.h5" \
    --eval.pairs "$work/pairs.txt" --eval.output "$work/eval" --eval.name "$set_name" --eval.plot false \
    >"$work/eval.log" 2>&1 || { echo "fv-eval failed on $set_name: see $work/eval.log" >&2; exit 1; }
  python3 - "$work" "$set_name" >>"$table.partial" <<'EOF'
import csv, json, sys
work, name = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(f"{work}/aligned/manifest.csv", newline="")))
count = lambda *s: sum(r["status"] in s for r in rows)
photos = len({r["input"] for r in rows})
rep = json.load(open(f"{work}/eval/report.json"))
acc = rep["accuracy"]
acc_text = f"{100 * acc['mean']:.2f} ± {100 * acc['std']:.2f}" if acc else "-"
tar = next((t for t in rep["tar_at_far"] if abs(t["far_target"] - 1e-3) < 1e-12), None)
tar_text = f"{tar['strict']['tar']:.4f}" if tar and tar["strict"].get("tar") is not None else "-"
print(f"| {name} | {photos} | {count('ok')} | {count('prior_box')} | {count('no_face_cropped')} | "
      f"{photos - count('ok', 'prior_box', 'no_face_cropped')} | {rep['pairs']} | {acc_text} | {rep['auc']:.4f} | {tar_text} |")
EOF
  tail -1 "$table.partial"
done
mv "$table.partial" "$table"
echo
echo "fv-align options: --align.template dlib_chip ${align_args[*]:-(defaults otherwise)}; threads $threads; $(nproc) cores"
cat "$table"
