#!/usr/bin/env bash
# scripts/mnist-experiments.sh resumes a partly finished table: a finished run is kept as it is (its files are not
# rewritten and its CSV row is not repeated) and an interrupted run continues from its checkpoint.
# A handful of steps on 16-image batches and 300 test digits: well under a minute on 2 cores.
# Needs the MNIST files under data/mnist (scripts/fetch-mnist.sh); exits 77 (CTest SKIP_RETURN_CODE) without them.
# Environment: FV_TRAIN (the fv-train to run; CTest passes the build's), FV_SOURCE_DIR (the checkout).
set -euo pipefail
src=${FV_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [[ -f data/mnist/$f.gz ]] || { echo "SKIP: data/mnist/$f.gz is missing (run scripts/fetch-mnist.sh)"; exit 77; }
done
[[ -x ${FV_TRAIN:-} ]] || { echo "FAIL: set FV_TRAIN to an fv-train executable" >&2; exit 1; }
tmp=$(mktemp -d)
script=
# On a failure, stop the background experiment (and its fv-train) before removing its folder.
cleanup() {
  if [[ -n $script ]] && kill -0 "$script" 2>/dev/null; then
    pkill -TERM -P "$script" -x fv-train 2>/dev/null || true
    kill "$script" 2>/dev/null || true
    wait "$script" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
out=$tmp/mnist
fail() { echo "FAIL: $*" >&2; exit 1; }
export FV_PLOT=$tmp/no-fv-plot  # the curves are another tool's test; here they must be skipped cleanly
args=(--losses softmax,lsoftmax-m2 --seeds 1 --steps 60 --steps-2d 4 --batch 16 --test-limit 300 --threads 1
      --checkpoint-every 10 --out "$out")

# 1. softmax finishes; lsoftmax-m2 is stopped (SIGTERM to fv-train) after its first checkpoint.
scripts/mnist-experiments.sh "${args[@]}" --experiments full > "$tmp/run1.log" 2>&1 &
script=$!
partial=$out/full/lsoftmax-m2/seed1
for _ in $(seq 1 3000); do  # up to 5 minutes on a loaded machine
  [[ -f $partial/checkpoint.fvc ]] && break
  kill -0 "$script" 2>/dev/null || break
  sleep 0.1
done
[[ -f $partial/checkpoint.fvc ]] || { cat "$tmp/run1.log"; fail "no checkpoint of $partial appeared"; }
trainer=$(pgrep -P "$script" -x fv-train || true)
[[ -n $trainer ]] || fail "lsoftmax-m2 finished before it could be interrupted (raise --steps)"
kill -TERM "$trainer"
rc=0; wait "$script" || rc=$?
((rc == 130)) || { cat "$tmp/run1.log"; fail "the interrupted script exited $rc, expected 130"; }
[[ -f $out/full/softmax/seed1/summary.json ]] || fail "softmax did not finish"
[[ ! -f $partial/summary.json ]] || fail "lsoftmax-m2 finished although it was interrupted"
(($(wc -l < "$out/results.csv") == 2)) || fail "results.csv should hold the header and softmax's row"
before=$(sha256sum "$out"/full/softmax/seed1/{summary.json,train.jsonl,model.fvm,checkpoint.fvc})

# 2. The same table plus the 2-D experiment: softmax is kept, lsoftmax-m2 resumes, the 2-D runs are new.
scripts/mnist-experiments.sh "${args[@]}" --experiments full,2d > "$tmp/run2.log" 2>&1 || { cat "$tmp/run2.log"; fail "the second run failed"; }
grep -q "full softmax seed 1: finished (kept)" "$tmp/run2.log" || fail "softmax was not reported as kept"
grep -q "full lsoftmax-m2 seed 1: resuming from its checkpoint" "$tmp/run2.log" || fail "lsoftmax-m2 did not resume"
grep -q "resumed .* at step [1-9][0-9]* of 60" "$partial/fv-train.log" || fail "fv-train did not resume lsoftmax-m2 from its checkpoint"
[[ $(sha256sum "$out"/full/softmax/seed1/{summary.json,train.jsonl,model.fvm,checkpoint.fvc}) == "$before" ]] ||
  fail "the finished softmax run was rewritten"
grep -q "skipped the training curves" "$tmp/run2.log" || fail "the missing fv-plot was not reported"
for key in full,softmax,0,1,60,16, full,lsoftmax,2,1,60,16, 2d,softmax,0,1,4,16, 2d,lsoftmax,2,1,4,16,; do
  (($(grep -c "^$key" "$out/results.csv") == 1)) || fail "results.csv does not hold exactly one row $key..."
done
(($(wc -l < "$out/results.csv") == 5)) || fail "results.csv should hold 4 rows"
grep -q "| L-Softmax m=2 | 1 |" "$out/results.md" || fail "results.md has no L-Softmax m=2 row"
# 3. Everything finished: a third run trains nothing.
scripts/mnist-experiments.sh "${args[@]}" --experiments full,2d > "$tmp/run3.log" 2>&1 || fail "the third run failed"
(($(grep -c "finished (kept)" "$tmp/run3.log") == 4)) || fail "the third run did not keep all 4 runs"
(($(wc -l < "$out/results.csv") == 5)) || fail "the third run changed results.csv"
# 4. A run folder deleted after its row was written (a new clone with the table copied back): the row counts.
rm -rf "$out/full/softmax"
scripts/mnist-experiments.sh "${args[@]}" --experiments full,2d > "$tmp/run4.log" 2>&1 || fail "the fourth run failed"
grep -q "full softmax seed 1: finished (kept)" "$tmp/run4.log" || fail "the recorded softmax run was not kept"
[[ ! -d $out/full/softmax ]] || fail "the recorded softmax run was trained again"
(($(wc -l < "$out/results.csv") == 5)) || fail "the fourth run changed results.csv"
# 5. --losses-2d sets the 2-D experiment's losses apart from --losses: only the 2-D softmax is trained on (from its
# 4-step checkpoint to 5 steps).
scripts/mnist-experiments.sh "${args[@]}" --steps-2d 5 --losses-2d softmax --experiments full,2d > "$tmp/run5.log" 2>&1 ||
  { cat "$tmp/run5.log"; fail "the fifth run failed"; }
grep -q "2d softmax seed 1: resuming from its checkpoint" "$tmp/run5.log" || fail "the 2-D softmax of 5 steps was not run"
! grep -q "2d lsoftmax-m2" "$tmp/run5.log" || fail "--losses-2d softmax still ran lsoftmax-m2 in 2-D"
(($(grep -c "full .* seed 1: finished (kept)" "$tmp/run5.log") == 2)) || fail "the full runs were not kept"
(($(wc -l < "$out/results.csv") == 6)) || fail "results.csv should hold 5 rows"
# 6. The two-stage recipe: the fine-tuning needs the full softmax run's checkpoint, whose folder step 4 deleted: the
# first stage is trained again (its row not repeated), then softmax and SM-Softmax start from its weights.
ft=(--experiments finetune --losses-finetune softmax,smsoftmax-m1 --steps-finetune 6 --lr-finetune 0.01)
scripts/mnist-experiments.sh "${args[@]}" "${ft[@]}" > "$tmp/run6.log" 2>&1 || { cat "$tmp/run6.log"; fail "the sixth run failed"; }
[[ -f $out/full/softmax/seed1/checkpoint.fvc ]] || fail "the first stage (full softmax) was not trained again"
(($(grep -c "^full,softmax,0,1,60,16," "$out/results.csv") == 1)) || fail "the first stage's row was repeated"
for name in softmax smsoftmax-m1; do
  grep -q "finetune $name seed 1: new run from $out/full/softmax/seed1" "$tmp/run6.log" || fail "finetune $name was not started from the first stage"
  grep -q "initialised model and head from $out/full/softmax/seed1/checkpoint.fvc" "$out/finetune/$name/seed1/fv-train.log" ||
    fail "fv-train did not start finetune $name from the first stage's weights"
  grep -q '"lr":0.01[,}]' "$out/finetune/$name/seed1/train.jsonl" || fail "finetune $name did not train at --lr-finetune"
done
for key in finetune,softmax,0,1,6,16, finetune,smsoftmax,1,1,6,16,; do
  (($(grep -c "^$key" "$out/results.csv") == 1)) || fail "results.csv does not hold exactly one row $key..."
done
grep -q "^### Two-stage" "$out/results.md" || fail "results.md has no fine-tuning table"
# 7. Rerun: the fine-tuned runs are kept, nothing is trained.
scripts/mnist-experiments.sh "${args[@]}" "${ft[@]}" > "$tmp/run7.log" 2>&1 || fail "the seventh run failed"
(($(grep -c "finetune .* seed 1: finished (kept)" "$tmp/run7.log") == 2)) || { cat "$tmp/run7.log"; fail "the seventh run did not keep both fine-tuned runs"; }
! grep -q "new run\|resuming" "$tmp/run7.log" || fail "the seventh run trained again"
(($(wc -l < "$out/results.csv") == 8)) || fail "results.csv should hold 7 rows"
echo "PASS: finished runs kept (also with only their CSV row left), the interrupted run resumed, one CSV row per run, --losses-2d, the fine-tuning from the full softmax run"
