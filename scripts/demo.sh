#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, and runs every stage of the pipeline:
#   fv-synth (a training set and a disjoint test set of synthetic identities) -> fv-align (ArcFace 112x112
#   template, RecordIO) -> fv-train (ArcFace loss, small CNN, on the training identities) -> fv-embed (the
#   trained model, the raw-pixel baseline, and dlib's imported face descriptor) -> fv-eval (LFW 10-fold
#   protocol on the test identities' pairs.txt) -> fv-eval compare; then fv-verify on two real photos with
#   the imported dlib model. Prints the report paths at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${FV_BUILD_DIR:-build}
out=${FV_DEMO_DIR:-out/demo}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target fv-synth fv-align fv-train fv-embed fv-eval fv-verify fv-import
bin="$build/bin"
rm -rf "$out"
mkdir -p "$out"
astronaut=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
messi=/usr/share/doc/opencv-doc/examples/data/messi5.jpg
face_api=third_party/face-api

echo "== 1/7 fv-synth: 200 training identities x 10 images, and 100 other test identities x 6 images"
"$bin/fv-synth" --config configs/synth.ini --synth.output "$out/synth-train" --synth.seed 7 \
  --synth.identities 200 --synth.images_per_identity 10
"$bin/fv-synth" --config configs/synth.ini --synth.output "$out/synth" \
  --synth.identities 100 --synth.images_per_identity 6

echo "== 2/7 fv-align: HOG detection, 68 landmarks, ArcFace 112x112 template, RecordIO"
"$bin/fv-align" "$out/synth-train/images" --config configs/align.ini --output.dir "$out/aligned-train" \
  --output.recordio true --align.no_face center_crop
"$bin/fv-align" "$out/synth/images" --config configs/align.ini --output.dir "$out/aligned" \
  --output.recordio true --align.no_face center_crop

echo "== 3/7 fv-train: ArcFace loss, the papers' CIFAR CNN at 32x32, on the aligned training RecordIO"
"$bin/fv-train" --config configs/train.ini --output "$out/train" --data.input "$out/aligned-train/train.rec" \
  --model.backbone cifar --model.input_height 32 --model.input_width 32 --model.embedding_dim 128 \
  --train.loss arcface --train.m 0.3 --train.s 32 --train.lr 0.1 --train.warmup_steps 30 \
  --train.epochs 0 --train.steps 300 --train.batch_size 64 --train.log_every 25 --checkpoint.every_steps 100 \
  --val.pairs "$out/synth/pairs.txt" --val.root "$out/aligned/images" --val.every_steps 0

echo "== 4/7 fv-embed: the trained model, and the raw-pixel baseline on the raw and the aligned test images"
"$bin/fv-embed" --config configs/embed.ini --embed.input "$out/aligned/images" --embed.output "$out/aligned-trained.h5" \
  --embed.model "$out/train/model.fvm" --embed.flip sum
"$bin/fv-embed" --config configs/embed.ini --embed.input "$out/synth/images" --embed.output "$out/raw-pixels.h5"
"$bin/fv-embed" --config configs/embed.ini --embed.input "$out/aligned/images" --embed.output "$out/aligned-pixels.h5"
reports=("$out/eval-raw-pixels/report.json" "$out/eval-aligned-pixels/report.json" "$out/eval-trained/report.json")

have_dlib=0
if [[ -f $face_api/face_recognition_model-weights_manifest.json ]]; then
  have_dlib=1
  echo "== 5/7 fv-import dlib + fv-align dlib chips (150x150) + fv-embed: dlib's face descriptor as a reference"
  "$bin/fv-import" dlib --manifest "$face_api/face_recognition_model-weights_manifest.json" --output "$out/dlib.fvm"
  "$bin/fv-align" "$out/synth/images" --config configs/align.ini --output.dir "$out/aligned-dlib" \
    --align.template dlib_chip --align.no_face center_crop
  "$bin/fv-embed" --config configs/embed.ini --embed.input "$out/aligned-dlib/images" \
    --embed.output "$out/dlib.h5" --embed.model "$out/dlib.fvm"
  reports+=("$out/eval-dlib/report.json")
else
  echo "== 5/7 skipped: no $face_api (scripts/fetch-face-api.sh needs npm)"
fi

echo "== 6/7 fv-eval: LFW 10-fold protocol on the test identities' pairs.txt, then compare"
for name in raw-pixels aligned-pixels aligned-trained dlib; do
  [[ $name == dlib && $have_dlib == 0 ]] && continue
  report_name=$name
  [[ $name == aligned-trained ]] && report_name=trained
  "$bin/fv-eval" --config configs/eval.ini --eval.embeddings "$out/$name.h5" --eval.pairs "$out/synth/pairs.txt" \
    --eval.output "$out/eval-$report_name" --eval.name "$report_name"
done
"$bin/fv-eval" compare "${reports[@]}" --compare.output "$out/compare"

if ((have_dlib)); then
  echo "== 7/7 fv-verify on real photos with the imported dlib model (threshold: the dlib report's at FAR 1e-3)"
  # The same person: the photo mirrored and cropped (a different image of the same face).
  /usr/bin/python3 -c "import sys, skimage.io as io; im = io.imread(sys.argv[1]); io.imsave(sys.argv[2], im[20:480, ::-1])" \
    "$astronaut" "$out/astronaut-mirrored-cropped.png"
  for other in "$out/astronaut-mirrored-cropped.png" "$messi"; do
    "$bin/fv-verify" --config configs/verify.ini --embed.model "$out/dlib.fvm" --verify.align auto \
      --align.template dlib_chip --detect.upsample 1 --verify.report "$out/eval-dlib/report.json" --verify.far 1e-3 \
      "$astronaut" "$other"
  done
fi

echo
echo "Demo finished. Reports:"
echo "  $out/compare/compare.md              (roc_compare.png beside it)"
echo "  $out/eval-*/summary.md               (report.json, roc.csv, roc.png beside each)"
echo "  $out/train/train.jsonl, summary.json (the training run; model.fvm is its model file)"
