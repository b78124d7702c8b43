#!/usr/bin/env bash
# The one command a GPU machine runs (issue #16): builds what the CUDA checks need, runs the CUDA tests, the
# training and embedding benchmarks, iResNet-50 trained by fv-train from a RecordIO file written on the spot, and
# with the time left the MNIST --paper schedule for softmax and L-Softmax m=4; writes OUT/gpu-summary.md (every
# figure beside the PyTorch anchor of shared MACHINE-NOTES as a ratio, peak GPU memory per image, each stage's
# time and status), OUT/gpu-check.log (every stage's output) and OUT/mnist-results.csv.
#
#   scripts/gpu-check.sh [--dry-run] [--out DIR] [--budget SECONDS] [--deb-dir DIR] [--build-dir DIR] [--jobs N]
#
#   --dry-run        the same stages on the CPU with tiny sizes, in an existing build (default build/, as
#                    scripts/test.sh leaves it; only the stage's targets are brought up to date): CI runs this so
#                    that the script cannot rot. The CUDA test instances skip there.
#   --out DIR        where the summary and log go (default: $OUT when set, as on the device machine, else
#                    out/gpu-check)
#   --budget S       wall-clock budget of all stages together (default 480 = 8 minutes); each stage also has its
#                    own limit, cut to what is left; a stage stopped at its limit keeps what it printed
#   --deb-dir DIR    Debian 12 .debs for scripts/build-gpu.sh (Boost.Program_options, which the GPU machine lacks;
#                    made with `scripts/build-gpu.sh --fetch-boost DIR`); default third_party_cache/gpu-debs when
#                    it exists. Carry that folder to the device machine (it is ~12 MB and git-ignored).
#   --build-dir DIR  build folder (default build-gpu; --dry-run: $FV_BUILD_DIR or build)
#   --jobs N         compile jobs (default: every core)
#
# Stages and their limits on the GPU (seconds): env 10, build 270 (build-gpu.sh, only the targets below, -j16,
# the precompiled torch header), tests 60, train 75, recordio 75, embed 45, mnist: what is left of the budget.
# MNIST needs data/mnist (carry it: it is git-ignored); without it the stage is skipped with a note.
# Exit status: 0 when every stage that ran passed, 1 otherwise (the summary says which).
set -uo pipefail
cd "$(dirname "$0")/.."

dry_run=0
out=${OUT:-out/gpu-check}
budget=480
deb_dir=""
build=""
jobs=$(nproc)
usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
  case $1 in
    --dry-run) dry_run=1 ;;
    --out) out=$2; shift ;;
    --budget) budget=$2; shift ;;
    --deb-dir) deb_dir=$2; shift ;;
    --build-dir) build=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $budget =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ ]] || { echo "gpu-check: --budget and --jobs take integers" >&2; exit 2; }
[[ -z $deb_dir && -d third_party_cache/gpu-debs ]] && deb_dir=third_party_cache/gpu-debs
if ((dry_run)); then build=${build:-${FV_BUILD_DIR:-build}}; else build=${build:-build-gpu}; fi
bin=$build/bin
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fv-gpu-check-XXXXXX")
log=$out/gpu-check.log
stages=$work/stages.tsv
: >"$log"
: >"$stages"
start=$SECONDS

write_summary() {
  python3 scripts/gpu_summary.py --log "$log" --stages "$stages" --budget "$budget" \
    $( ((dry_run)) && echo --dry-run) >"$out/gpu-summary.md" 2>>"$log" ||
    echo "gpu-check: the summary could not be written (see $log)" >&2
  [[ -f $work/mnist/results.csv ]] && cp "$work/mnist/results.csv" "$out/mnist-results.csv"
  rm -rf "$work"
  echo "gpu-check: $out/gpu-summary.md"
}
trap write_summary EXIT
trap 'exit 130' INT TERM

# stage NAME LIMIT COMMAND: runs the bash COMMAND with a time limit (LIMIT, cut to what is left of the budget;
# the mnist stage passes 0 = all that is left), appends its output to the log, records status and time.
failed=0
stage() {
  local name=$1 limit=$2 command=$3
  local left=$((budget - (SECONDS - start)))
  ((limit == 0 || limit > left)) && limit=$left
  if ((limit < 5)); then
    printf '%s\tskipped: budget spent\t0\t%s\n' "$name" "$limit" >>"$stages"
    echo "== gpu-check: $name skipped (budget spent)" | tee -a "$log"
    return
  fi
  echo "== gpu-check: $name (limit $limit s): $command" | tee -a "$log"
  local t0=$SECONDS rc status
  timeout --kill-after=10 "$limit" bash -c "set -euo pipefail; $command" >>"$log" 2>&1
  rc=$?
  case $rc in
    0) status=passed ;;
    124 | 137)
      if [[ $name == mnist ]]; then status="stopped at the budget (finished runs kept)"; else status="stopped at its limit"; failed=1; fi ;;
    *) status="failed (exit $rc)"; failed=1 ;;
  esac
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$((SECONDS - t0))" "$limit" >>"$stages"
  echo "   $status in $((SECONDS - t0)) s" | tee -a "$log"
}
# skip NAME WHY: records a stage that cannot run here.
skip() {
  printf '%s\tskipped: %s\t0\t0\n' "$1" "$2" >>"$stages"
  echo "== gpu-check: $1 skipped ($2)" | tee -a "$log"
}

targets="fv_train_tests fv_dist_tests fv_train_benchmark fv_embed_benchmark fv_loader_bench fv-train"
if ((dry_run)); then
  device=cpu fp16=off bf16=bf16
  bench="--steps 1 --warmup 1"
  r50_batches=2 mbf_batch=4 embed_batch=2 embed_bench="--iters 1 --warmup 1"
  rec_images=64 rec_batch=4 rec_steps=4 rec_log=2
  mnist_args="--steps 4 --test-limit 100"
else
  device=cuda fp16=fp16 bf16=bf16
  bench="--steps 20 --warmup 5"
  r50_batches=128,256 mbf_batch=512 embed_batch=512 embed_bench="--iters 20 --warmup 5"
  rec_images=12800 rec_batch=128 rec_steps=200 rec_log=25
  mnist_args="--paper"
fi

stage env 10 "date -u; uname -a; nproc; (nvidia-smi || echo 'no nvidia-smi'); \
  (python3 -c 'import torch; print(\"python torch\", torch.__version__, torch.version.cuda)' || echo 'no python torch'); \
  echo 'build: $build'"

if ((dry_run)); then
  stage build 900 "cmake --build '$build' -j $jobs --target $targets"
else
  stage build 270 "scripts/build-gpu.sh --build-dir '$build' --jobs $jobs --targets '$targets' ${deb_dir:+--deb-dir '$deb_dir'}"
fi

# The CUDA tests: every test written once per device (CPU and CUDA instances): bf16 and fp16 autocast training
# steps against fp32, the loss scaler skipping an overflowing step, channels-last against NCHW, a process group
# of one (Gloo on the CPU, NCCL on CUDA).
stage tests 60 "'$bin/fv_train_tests' --gtest_filter='*OnDevice*' && '$bin/fv_dist_tests' --gtest_filter='*OnDevice*'"

# Training images/s, fv-train's own step, synthetic batches on the device, ArcFace over 10,572 classes.
stage train 75 "B='$bin/fv_train_benchmark --device $device $bench --classes 10572'; \
  \$B --backbone iresnet50 --batch $r50_batches --amp $fp16; \
  \$B --backbone iresnet50 --batch $r50_batches$( ((dry_run)) || echo ,512) --amp $bf16 --channels_last; \
  \$B --backbone mobilefacenet --batch $mbf_batch --amp $fp16"

# iResNet-50 trained by fv-train from a RecordIO file (JPEGs, 100 identities) through the real loader and stager.
# The rate: mean of train.jsonl's intervals after the first two (start-up, cuDNN autotuning).
stage recordio 75 "'$bin/fv_loader_bench' --source recordio --images $rec_images --write_only --workdir '$work/rec'; \
  '$bin/fv-train' --device $device --output '$work/r50' --data.input '$work/rec/train.rec' --data.kind recordio \
    --model.backbone iresnet50 --train.loss arcface --train.m 0.5 --train.s 64 --train.amp $fp16 \
    --train.batch_size $rec_batch --train.steps $rec_steps --train.log_every $rec_log --train.lr 0.1 \
    --train.lr_schedule constant --train.plot false --checkpoint.every_steps 1000000; \
  python3 scripts/gpu_summary.py --jsonl-rate '$work/r50/train.jsonl' \
    --setting 'iresnet50 batch $rec_batch $device $fp16 RecordIO'"

# Embedding images/s through fv-embed's model embedder, fp16 on CUDA.
stage embed 45 "'$bin/fv_embed_benchmark' --device $device --precision $([[ $device == cuda ]] && echo fp16 || echo fp32) \
  --backbone iresnet50,iresnet100,mobilefacenet --batch $embed_batch $embed_bench"

# MNIST, the papers' schedule (18k steps of 256), with whatever time is left.
if [[ ! -x $bin/fv-train ]]; then
  skip mnist "no $bin/fv-train (the build stage did not make it)"
elif [[ -f data/mnist/train-images-idx3-ubyte.gz && -f data/mnist/t10k-labels-idx1-ubyte.gz ]]; then
  stage mnist 0 "FV_TRAIN='$bin/fv-train' FV_PLOT=/nonexistent scripts/mnist-experiments.sh $mnist_args \
    --losses softmax,lsoftmax-m4 --seeds 1 --experiments full --out '$work/mnist'; cat '$work/mnist/results.md'"
else
  skip mnist "no data/mnist here (scripts/fetch-mnist.sh; carry data/mnist to the device machine)"
fi
((failed == 0))
