#!/usr/bin/env bash
# Runs the tests that assert on float outcomes (training that must learn, results compared across layouts,
# ranks and implementations) under every OpenBLAS kernel this CPU can execute, and prints each measured value
# beside its bar. OpenBLAS picks its kernel by CPU (Haswell, SkylakeX, Cooperlake, Zen, ...) and each kernel
# sums in its own order; a test that holds under one kernel only would fail on another CI machine.
#
#   scripts/check-numerics.sh                    # the outcome tests, every kernel the CPU runs (a few minutes)
#   scripts/check-numerics.sh --all              # also the whole ctest suite under each kernel (long)
#   scripts/check-numerics.sh --cores "Zen Haswell" --build-dir build
#
# Each outcome test prints "[fv-margin] <test> <quantity> <value> <op> <bar> margin <m>" (tests/support/margin.h);
# this script collects those lines into out/numerics/margins.md (one row per quantity, one column per kernel,
# and the smallest margin) and exits non-zero if any test fails under any kernel. It sets OPENBLAS_CORETYPE only
# for its own runs, and only to kernels whose instructions the CPU has (a kernel the CPU lacks would crash).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${FV_BUILD_DIR:-build}
cores="Haswell SkylakeX Cooperlake Zen"
all=0
out=out/numerics
while (($#)); do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --cores) cores=$2; shift 2 ;;
    --all) all=1; shift ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-numerics: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bin=$build/bin
[[ -x $bin/fv_trainer_tests ]] || { echo "check-numerics: no $bin/fv_trainer_tests: build first (scripts/test.sh)" >&2; exit 2; }

# The outcome tests: binary and gtest filter. A binary that is not built (e.g. without the vision parts) is left out.
outcome_tests=(
  "fv_trainer_tests Trainer.LossFallsAndEveryArtifactIsWritten"
  "fv_train_tests ClassifierHead.EveryLossTrainsOnSeparableData:Devices/TrainStepOnDevice.*/cpu"
  "fv_train_cli_tests TrainCli.LossFallsWellBelowItsStartOnSynthFaces"
  "fv_dist_multiprocess_tests DistTest.TwoRanksTrainLikeOneProcessOverTheSameGlobalBatch:DistTest.ResumeOnAnotherWorldSizeMatchesAnUninterruptedRun:TrainDistributed.*"
  "fv_embed_tests ModelEmbedderOptions.ChannelsLastGivesTheContiguousEmbeddingsAndHalfNeedsCuda"
  "fv_import_tests DlibImport.MatchesFaceApiTensorFlowJsDescriptors"
  "fv_import_iresnet_tests Depths/IResNetImportDepth.*"
  "fv_dlib_photo_tests *"
)

# Instruction sets each kernel needs (OpenBLAS's own dispatch conditions, x86-64).
needs() {
  case "$1" in
    Haswell|Zen) echo "avx2 fma" ;;
    SkylakeX) echo "avx512f avx512bw avx512dq avx512vl" ;;
    Cooperlake) echo "avx512f avx512bw avx512dq avx512vl avx512_bf16" ;;
    Sandybridge) echo "avx" ;;
    Nehalem|Core2|Prescott) echo "sse3" ;;
    *) echo "unknown" ;;
  esac
}
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
runnable=()
for c in $cores; do
  ok=1
  for f in $(needs "$c"); do [[ $flags == *" $f "* ]] || ok=0; done
  if ((ok)); then runnable+=("$c"); else echo "check-numerics: skipping $c (this CPU lacks: $(needs "$c"))"; fi
done
((${#runnable[@]})) || { echo "check-numerics: no requested kernel runs on this CPU" >&2; exit 2; }

mkdir -p "$out"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
threads=$(nproc)
echo "check-numerics: $cpu, $threads cores; kernels: ${runnable[*]}"
failed=0
runs_passed=0
runs_failed=0
for core in "${runnable[@]}"; do
  dir=$out/$core
  rm -rf "$dir"; mkdir -p "$dir"
  # Which kernel OpenBLAS really loaded (it falls back silently when a name is unknown to it).
  used=$(OPENBLAS_CORETYPE=$core OPENBLAS_VERBOSE=2 "$bin/fv_trainer_tests" --gtest_list_tests 2>&1 |
         sed -n 's/^Core: *//p' | head -1)
  echo "== $core (OpenBLAS reports core: ${used:-?})"
  if [[ -n $used && ${used,,} != "${core,,}" ]]; then
    echo "check-numerics: OpenBLAS ran '$used' when asked for '$core'" >&2; failed=1
  fi
  echo "$used" > "$dir/core"
  for entry in "${outcome_tests[@]}"; do
    read -r name filter <<<"$entry"
    [[ -x $bin/$name ]] || { echo "   $name: not built, skipped"; continue; }
    start=$SECONDS
    if OPENBLAS_CORETYPE=$core FV_SOURCE_DIR=$PWD "$bin/$name" --gtest_filter="$filter" >"$dir/$name.log" 2>&1; then
      status=passed
    else
      status=FAILED; failed=1
    fi
    ok=$(grep -c '^\[       OK \]' "$dir/$name.log" || true)
    bad=$(grep -c '^\[  FAILED  \] [A-Za-z0-9_]*\.[A-Za-z0-9_]* (' "$dir/$name.log" || true)
    skipped=$(grep -c '^\[  SKIPPED \] [A-Za-z0-9_]*\.' "$dir/$name.log" || true)
    runs_passed=$((runs_passed + ok))
    runs_failed=$((runs_failed + bad))
    [[ $status == passed || $bad -gt 0 ]] || runs_failed=$((runs_failed + 1))  # crashed before any verdict
    printf '   %-28s %s (%s passed, %s failed, %s skipped, %d s)\n' "$name" "$status" "$ok" "$bad" "$skipped" \
      $((SECONDS - start))
    [[ $status == passed ]] || grep -B2 -A8 'Failure' "$dir/$name.log" | head -40 | sed 's/^/      /'
  done
  if ((all)); then
    start=$SECONDS
    if OPENBLAS_CORETYPE=$core ctest --test-dir "$build" -j "$threads" --timeout 900 >"$dir/ctest.log" 2>&1; then
      status=passed
    else
      status=FAILED; failed=1
    fi
    printf '   %-28s %s: %s (%d s)\n' "whole suite (ctest)" "$status" \
      "$(grep -E 'tests passed|tests failed' "$dir/ctest.log" | tail -1)" $((SECONDS - start))
    [[ $status == passed ]] || grep -A30 'The following tests FAILED' "$dir/ctest.log" | sed 's/^/      /'
  fi
done

python3 - "$out" "${runnable[@]}" <<'EOF'
# Tabulates the [fv-margin] lines: one row per (test, quantity), one column per kernel, the smallest margin.
import pathlib, re, sys
out, cores = pathlib.Path(sys.argv[1]), sys.argv[2:]
line = re.compile(r"^\[fv-margin\] (\S+) (\S+) (\S+) ([<>]) (\S+) margin (\S+)$")
rows, order = {}, []
for core in cores:
    for log in sorted((out / core).glob("*.log")):
        for text in log.read_text(errors="replace").splitlines():
            m = line.match(text.strip())
            if not m:
                continue
            test, quantity, value, op, bar, margin = m.groups()
            key = (test, quantity)
            if key not in rows:
                rows[key] = {"op": op, "bar": bar, "values": {}, "margins": {}}
                order.append(key)
            rows[key]["values"][core] = value
            rows[key]["margins"][core] = float(margin)
header = "| test | quantity | bar | " + " | ".join(cores) + " | smallest margin |"
lines = [header, "|" + " --- |" * (4 + len(cores))]
for key in order:
    r = rows[key]
    margins = [r["margins"][c] for c in cores if c in r["margins"]]
    smallest = min(margins) if margins else float("nan")
    values = [r["values"].get(c, "-") for c in cores]
    lines.append(f"| {key[0]} | {key[1]} | {r['op']} {r['bar']} | " + " | ".join(values) + f" | {smallest:.3g} |")
table = "\n".join(lines) + "\n"
(out / "margins.md").write_text(table)
print(table, end="")
EOF
echo "check-numerics: table in $out/margins.md"
if ((failed)); then echo "check-numerics: FAILED under at least one kernel" >&2; fi
((failed)) || echo "check-numerics: every outcome test passed under ${runnable[*]}"
# The closing line CI reads: test runs over all kernels.
echo "numerics: $runs_passed passed, $runs_failed failed"
exit $failed
