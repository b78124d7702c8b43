#!/usr/bin/env bash
# Builds (when needed) and runs every stage's benchmark with short settings, then collects the figures.
#
#   scripts/benchmarks.sh [--build-dir DIR] [--out DIR] [--stages "align decode load train embed eval verify"]
#                         [--device cpu|cuda] [--full] [--no-build]
# Writes DIR/<stage>.txt (each program's output, with its "# machine:" line), google-benchmark JSON
# (DIR/<stage>.<program>.json) and DIR/summary.md (stage, program, setting, figure, unit, machine, threads).
# Defaults (5-8 min on the shared 2-core CPU VM): short runs, small backbones/batches on the CPU. --full uses the
# GPU-sized settings (batches 128/256, iResNet-50/100, fp16/bf16 on CUDA); --device cuda runs train/embed there.
# align needs a build with FV_WITH_VISION=ON and is skipped (with a note) otherwise.
# Environment: OMP_NUM_THREADS limits the torch programs' threads (default: every available core).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${FV_BUILD_DIR:-build}
out=out/benchmarks
stages="align decode load train embed eval verify"
device=cpu
full=0
do_build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --stages) stages=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --full) full=1; shift ;;
    --no-build) do_build=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "benchmarks.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$device" in cpu|cuda) ;; *) echo "benchmarks.sh: --device must be cpu or cuda, got '$device'" >&2; exit 2 ;; esac

bin="$build/bin"
has_vision=0
if [[ $do_build == 1 ]]; then
  if [[ ! -f "$build/build.ninja" ]]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
fi
if grep -q '^FV_WITH_VISION:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then has_vision=1; fi
targets=(fv_bench_decode fv_loader_bench fv_train_benchmark fv_embed_benchmark fv_bin_read_benchmark
         fv_eval_metrics_benchmark fv_eval_ijbc_benchmark fv_bench_search)
[[ $has_vision == 1 ]] && targets+=(fv_align_bench)
if [[ $do_build == 1 ]]; then
  cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
fi

mkdir -p "$out"
rm -f "$out"/*.txt "$out"/*.json "$out/summary.md"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fv-benchmarks-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# run STAGE PROGRAM ARGS...: appends the program's stdout to OUT/STAGE.txt (and shows it).
run() {
  local stage=$1 program=$2
  shift 2
  if [[ ! -x "$bin/$program" ]]; then
    echo "== $stage: $program is not built in $bin (skipped)" | tee -a "$out/$stage.txt"
    return 0
  fi
  echo "== $stage: $program $*" | tee -a "$out/$stage.txt"
  local start=$SECONDS
  "$bin/$program" "$@" | tee -a "$out/$stage.txt"
  echo "   ($((SECONDS - start)) s)"
}
# gbench STAGE PROGRAM ARGS...: a google-benchmark program, JSON next to the text output.
gbench() {
  local stage=$1 program=$2
  shift 2
  run "$stage" "$program" --benchmark_out="$out/$stage.$program.json" --benchmark_out_format=json "$@"
}

# CPU runs of the torch programs: one thread and every core (on a shared VM, OpenMP threads that wait for a busy
# core make the many-thread figure collapse; the one-thread figure shows it). CUDA runs: the default threads.
cores=$(nproc)
torch_threads=$([[ $device == cpu && $cores -gt 1 ]] && echo "1 $cores" || echo "0")
if [[ $full == 1 ]]; then
  train_args=(--backbone iresnet50,iresnet100,mobilefacenet --batch 128,256 --steps 20 --warmup 5)
  embed_args=(--backbone iresnet50,mobilefacenet --batch 1,128,512 --iters 20 --warmup 5)
else
  train_args=(--backbone mobilefacenet,iresnet18 --batch 32 --steps 3 --warmup 2)  # iResNet-50: ~2 img/s here
  embed_args=(--backbone mobilefacenet,iresnet18,iresnet50 --batch 1,32 --iters 5 --warmup 2)
fi

for stage in $stages; do
  case "$stage" in
    align)
      if [[ $has_vision == 1 ]]; then
        run align fv_align_bench --count $([[ $full == 1 ]] && echo 600 || echo 200)
      else
        echo "== align: skipped ($build has FV_WITH_VISION=OFF)" | tee "$out/align.txt"
      fi ;;
    decode)
      gbench decode fv_bench_decode --benchmark_min_time=0.5 ;;
    load)
      run load fv_loader_bench --images 2000 --epochs 2 --workdir "$tmp/loader" ;;
    train)
      for t in $torch_threads; do run train fv_train_benchmark --device "$device" --threads "$t" "${train_args[@]}"; done
      if [[ $device == cuda ]]; then
        run train fv_train_benchmark --device cuda "${train_args[@]}" --amp fp16
        run train fv_train_benchmark --device cuda "${train_args[@]}" --amp bf16 --channels_last
      fi ;;
    embed)
      for t in $torch_threads; do run embed fv_embed_benchmark --device "$device" --threads "$t" "${embed_args[@]}"; done
      if [[ $device == cuda ]]; then run embed fv_embed_benchmark --device cuda "${embed_args[@]}" --precision fp16; fi ;;
    eval)
      gbench eval fv_eval_metrics_benchmark --benchmark_min_time=0.2
      if [[ $full == 1 ]]; then
        run eval fv_eval_ijbc_benchmark --bench.workdir "$tmp/ijbc" --bench.plot false
      else  # a tenth of IJB-C: the same per-pair work, ten times shorter
        run eval fv_eval_ijbc_benchmark --bench.workdir "$tmp/ijbc" --bench.plot false \
          --bench.templates 2312 --bench.subjects 353 --bench.pairs 1565849 --bench.positives 1956
      fi
      gbench eval fv_bin_read_benchmark ;;
    verify)
      gbench verify fv_bench_search ;;
    *) echo "benchmarks.sh: unknown stage '$stage' (align decode load train embed eval verify)" >&2; exit 2 ;;
  esac
done

python3 scripts/bench_summary.py "$out" > "$out/summary.md"
echo "== summary: $out/summary.md"
cat "$out/summary.md"
