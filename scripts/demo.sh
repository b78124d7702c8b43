#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, and runs the pipeline's stages on a small
# synthetic dataset: fv-synth -> fv-align -> fv-embed (raw-pixel baseline, raw and aligned faces) -> fv-eval
# (LFW 10-fold protocol on the synthetic pairs.txt) -> fv-eval compare. Prints the report paths at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${FV_BUILD_DIR:-build}
out=${FV_DEMO_DIR:-out/demo}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target fv-synth fv-align fv-embed fv-eval
bin="$build/bin"
rm -rf "$out"
mkdir -p "$out"

echo "== 1/5 fv-synth: 100 synthetic identities x 6 images"
"$bin/fv-synth" --config configs/synth.ini --synth.output "$out/synth" \
  --synth.identities 100 --synth.images_per_identity 6

echo "== 2/5 fv-align: HOG detection, 68 landmarks, ArcFace 112x112 template, RecordIO"
"$bin/fv-align" "$out/synth/images" --config configs/align.ini --output.dir "$out/aligned" \
  --output.recordio true --align.no_face center_crop

echo "== 3/5 fv-embed: raw-pixel baseline on the raw and on the aligned images"
"$bin/fv-embed" --config configs/embed.ini --embed.input "$out/synth/images" --embed.output "$out/raw-pixels.h5"
"$bin/fv-embed" --config configs/embed.ini --embed.input "$out/aligned/images" --embed.output "$out/aligned-pixels.h5"

echo "== 4/5 fv-eval: LFW 10-fold protocol on the synthetic pairs.txt"
"$bin/fv-eval" --config configs/eval.ini --eval.embeddings "$out/raw-pixels.h5" --eval.pairs "$out/synth/pairs.txt" \
  --eval.output "$out/eval-raw-pixels" --eval.name raw-pixels
"$bin/fv-eval" --config configs/eval.ini --eval.embeddings "$out/aligned-pixels.h5" --eval.pairs "$out/synth/pairs.txt" \
  --eval.output "$out/eval-aligned-pixels" --eval.name aligned-pixels

echo "== 5/5 fv-eval compare"
"$bin/fv-eval" compare "$out/eval-raw-pixels/report.json" "$out/eval-aligned-pixels/report.json" \
  --compare.output "$out/compare"

echo
echo "Demo finished. Reports:"
echo "  $out/eval-raw-pixels/summary.md      (report.json, roc.csv, roc.png beside it)"
echo "  $out/eval-aligned-pixels/summary.md"
echo "  $out/compare/compare.md              (roc_compare.png beside it)"
