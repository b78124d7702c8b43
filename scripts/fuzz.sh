#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with ASan and UBSan) in build-fuzz, replays every input that ever
# crashed a target (fuzz/regressions/<target>/), then runs each target for a fixed time from its seed corpus.
#
#   scripts/fuzz.sh [--seconds N] [--targets a,b] [--build DIR] [--jobs N]
#
#   --seconds N   time per target (default 60; CI: 5, about a minute for the eleven targets)
#   --targets     comma-separated subset of fuzz/fuzz_*.cpp (default: all)
#   --build DIR   build folder (default build-fuzz); its corpus/<target>/ keeps what the runs discover
#   --jobs N      targets fuzzed at once (default 1)
#
# A crash (ASan, UBSan, a trap in a target's invariants, an exception other than fv::Error, a timeout of 10 s
# or more than 2 GB of memory on one input) stops that target; its input is kept as
# DIR/crashes/<target>/crash-<sha1> and printed, and the script exits 1. Copy the input into
# fuzz/regressions/<target>/ when the bug is fixed and add a unit test for it. docs/fuzzing.md explains the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
targets=all
build=build-fuzz
jobs=1
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift ;;
    --targets) targets=$2; shift ;;
    --build) build=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $seconds =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --seconds and --jobs take integers" >&2; exit 2; }

all=()
for f in fuzz/fuzz_*.cpp; do all+=("$(basename "$f" .cpp)"); done
if [[ $targets == all ]]; then chosen=("${all[@]}"); else
  IFS=, read -ra chosen <<<"$targets"
  for t in "${chosen[@]}"; do
    [[ -f fuzz/$t.cpp ]] || { echo "fuzz.sh: no target '$t'; known: ${all[*]}" >&2; exit 2; }
  done
fi

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (scripts/install-deps.sh installs clang)" >&2; exit 3; }
cmake -S . -B "$build" -G Ninja -DFV_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${chosen[@]}"

python=/usr/bin/python3  # Debian's, with python3-torch for the .pth seeds
[[ -x $python ]] || python=python3
rm -rf "$build/seeds"
"$python" fuzz/make_corpus.py "$build/seeds" >/dev/null

# Parsers that take paths write their input to a scratch folder; a crashing process cannot remove it.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/fv-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export FV_FUZZ_SCRATCH=$scratch
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
# Replays fuzz/regressions/<target>/ (every input that once crashed the target): must pass before fuzzing.
replay() {
  local t=$1 dir=fuzz/regressions/$1
  [[ -d $dir ]] && compgen -G "$dir/*" >/dev/null || return 0
  if ! "$build/bin/$t" -rss_limit_mb=2048 -timeout=10 "$dir"/* >"$build/logs/$t.replay.log" 2>&1; then
    echo "fuzz.sh: $t fails on a recorded regression input (see $build/logs/$t.replay.log)" >&2
    return 1
  fi
  echo "fuzz.sh: $t: $(find "$dir" -type f | wc -l) regression input(s) pass"
}
run_one() {
  local t=$1
  mkdir -p "$build/corpus/$t" "$build/crashes/$t" "$scratch/$t"
  FV_FUZZ_SCRATCH=$scratch/$t "$build/bin/$t" "$build/corpus/$t" "$build/seeds/$t" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$build/crashes/$t/" \
    >"$build/logs/$t.log" 2>&1
}
summary() {
  local t=$1 log=$build/logs/$1.log
  local runs corpus
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  corpus=$(find "$build/corpus/$t" -type f | wc -l)
  echo "fuzz.sh: $t: ${runs} executions in ${seconds} s, corpus ${corpus} inputs"
}

mkdir -p "$build/logs"
for t in "${chosen[@]}"; do replay "$t" || failed+=("$t (regression)"); done

pids=()
names=()
wait_one() {
  local status=0
  wait "${pids[0]}" || status=$?
  local t=${names[0]}
  pids=("${pids[@]:1}")
  names=("${names[@]:1}")
  if ((status)); then
    echo "fuzz.sh: $t CRASHED (exit $status): input $(ls -t "$build/crashes/$t"/* 2>/dev/null | head -1), log $build/logs/$t.log" >&2
    grep -m3 -E 'ERROR: |runtime error|SUMMARY' "$build/logs/$t.log" >&2 || true
    failed+=("$t")
  else
    summary "$t"
  fi
}
start=$SECONDS
for t in "${chosen[@]}"; do
  run_one "$t" &
  pids+=($!)
  names+=("$t")
  ((${#pids[@]} < jobs)) || wait_one
done
while ((${#pids[@]})); do wait_one; done

echo "fuzz.sh: ${#chosen[@]} target(s), $((SECONDS - start)) s of fuzzing, ${#failed[@]} failed${failed:+: ${failed[*]}}"
((${#failed[@]} == 0))
