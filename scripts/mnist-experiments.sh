#!/usr/bin/env bash
# The seed papers' MNIST comparison (issue #14): softmax, L-Softmax m=2,3,4, A-Softmax m=4, SM-Softmax and
# L2-softmax on the same network (configs/mnist.ini), several seeds each, on the full 60,000 training digits; then
# the L-Softmax paper's 2-D feature experiment (FC 2, one panel per loss). Resumable: rerun the same command and
# finished runs are kept (a run with a row in results.csv, or a summary in its folder), an interrupted one
# continues from its checkpoint (fv-train --resume true).
#
#   scripts/mnist-experiments.sh [--paper] [--val] [--steps N] [--steps-2d N] [--batch N] [--seeds 1,2,3]
#                                [--losses NAME,...] [--losses-2d NAME,...] [--experiments full,2d,finetune]
#                                [--steps-finetune N] [--lr-finetune F] [--losses-finetune NAME,...]
#                                [--test-limit N] [--threads N]
#                                [--checkpoint-every N] [--lambda-speed F] [--lr F] [--out DIR] [--docs DIR]
#
# --losses: the full experiment's losses, names from the list below (default all), or for a margin sweep
# smsoftmax-m<M> (e.g. smsoftmax-m4: SM-Softmax with margin 4 in logit units). --losses-2d: the 2-D experiment's
# (default the slides' four: softmax,lsoftmax-m2,lsoftmax-m3,lsoftmax-m4, which keeps the whole table near 3 hours
# on the 2-core CI VM: 2.5-3.2 h from idle run times, docs/mnist/README.md; "all" adds ~0.6 h); --losses alone
# sets both.
#
# --experiments finetune (not in the default): the SM-Softmax paper's two-stage recipe. For each seed, the full
# experiment's softmax run of that seed (trained first when it is missing) is fine-tuned for --steps-finetune steps
# (default 750) at --lr-finetune (default 0.005: the paper's 0.01 for batches of 128 scaled to 64; /10 at 2/3 and
# 5/6) with each loss of --losses-finetune (default softmax,smsoftmax-m1): softmax is the control, the same extra
# training without the margin, so the paired difference is the margin's alone (fv-train --init_from).
#
# Outputs under --out (default out/mnist): <experiment>/<loss>/seed<k>/ (fv-train's run folder and fv-train.log),
# results.csv (one row per finished run: experiment,loss,m,seed,steps,batch,test_error,seconds), results.md (the
# tables, recomputed from results.csv by scripts/mnist-table.py after every run), failed.csv (runs that stopped
# with an error other than an interruption, e.g. divergence: kept out of the table, retried on a rerun),
# features-2d.png (2-D test features, one panel per loss, the first seed) and, when $build/bin/fv-plot exists,
# training curves (curves-*.png: loss, accuracy, lr, lambda against step). --docs DIR copies results.csv,
# results.md and the figures there after every run.
#
# Schedules. --paper: configs/mnist.ini unchanged (the papers' GPU schedule: 18k steps of 256). Default: the CPU
# schedule of docs/mnist/README.md (chosen with pilot runs on the validation split): --steps steps of --batch
# (default 1500 of 64, 1.6 epochs) for the full experiment and --steps-2d (default 1000) for the 2-D one, lr --lr
# (default 0.025: the paper's 0.1 for batches of 256 scaled to 64, the same step per image; at 0.1 with batches of
# 64 the margins lost and L-Softmax m=4 collapsed, measured) divided by 10 at 2/3 and 5/6 of the run, the
# L-Softmax lambda annealing compressed to the run (gamma x 18000 / steps, so lambda follows the paper's curve
# against the fraction of the run), a linear warm-up over the first min(50, steps/10) steps from 0.1 x lr and the
# gradient norm clipped at 10 (without them lr 0.1 from step 0 diverges within 30 steps, measured). For a seed k every loss starts from the same weights and sees the same
# batches, so the losses can be compared seed by seed.
#
# --val: train on the first 50,000 training digits and test on the last 10,000 (scripts/mnist-split.py), for
# choosing a schedule without touching the test set; default --out out/mnist-val.
# Small runs (tests): --steps 8 --test-limit 300 --losses softmax,lsoftmax-m2 --seeds 1 --out /tmp/x.
#
# Environment: FV_BUILD_DIR (default build), FV_TRAIN (default $FV_BUILD_DIR/bin/fv-train; built with CMake when
# missing), FV_PLOT (default $FV_BUILD_DIR/bin/fv-plot; the curves are skipped when missing).
set -euo pipefail
# Everything is in main, which bash reads whole before running it: editing this file does not disturb a running
# experiment.
main() {
cd "$(dirname "$0")/.."
command_line="scripts/mnist-experiments.sh $*"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
paper=0
val=0
steps=1500
steps_2d=1000
batch=64
seeds=1,2,3
losses_wanted=all
losses_2d_wanted=softmax,lsoftmax-m2,lsoftmax-m3,lsoftmax-m4
losses_2d_given=0
experiments=full,2d
steps_finetune=750
lr_finetune=0.005
losses_finetune_wanted=softmax,smsoftmax-m1
test_limit=0
threads=0
checkpoint_every=100
lambda_speed=1
lr=0.025
out=
docs=
while (($#)); do
  case $1 in
    --paper) paper=1 ;;
    --val) val=1 ;;
    --steps) steps=$2; shift ;;
    --steps-2d) steps_2d=$2; shift ;;
    --batch) batch=$2; shift ;;
    --seeds) seeds=$2; shift ;;
    --losses) losses_wanted=$2; shift ;;
    --losses-2d) losses_2d_wanted=$2; losses_2d_given=1; shift ;;
    --experiments) experiments=$2; shift ;;
    --steps-finetune) steps_finetune=$2; shift ;;
    --lr-finetune) lr_finetune=$2; shift ;;
    --losses-finetune) losses_finetune_wanted=$2; shift ;;
    --test-limit) test_limit=$2; shift ;;
    --threads) threads=$2; shift ;;
    --checkpoint-every) checkpoint_every=$2; shift ;;
    --lambda-speed) lambda_speed=$2; shift ;;
    --lr) lr=$2; shift ;;
    --out) out=$2; shift ;;
    --docs) docs=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "mnist-experiments: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for n in "$steps" "$steps_2d" "$steps_finetune" "$batch" "$test_limit" "$threads" "$checkpoint_every"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "mnist-experiments: '$n' is not a non-negative integer" >&2; exit 2; }
done
((steps >= 2 && steps_2d >= 2 && steps_finetune >= 2 && batch >= 1)) ||
  { echo "mnist-experiments: --steps, --steps-2d and --steps-finetune must be >= 2, --batch >= 1" >&2; exit 2; }
for f in "$lr" "$lr_finetune"; do
  [[ $f =~ ^[0-9]*\.?[0-9]+([eE]-?[0-9]+)?$ ]] || { echo "mnist-experiments: '$f' is not a learning rate" >&2; exit 2; }
done
[[ $seeds =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "mnist-experiments: --seeds must be a comma-separated list of integers, got '$seeds'" >&2; exit 2; }
[[ -n $out ]] || { if ((val)); then out=out/mnist-val; else out=out/mnist; fi; }

# The losses: name | loss | m (the CSV's m column) | the overrides of configs/mnist.ini.
# SM-Softmax: m = 1 in logit units; L2-softmax: alpha = 10, above Ranjan et al.'s lower bound for 10 classes
# (log(0.9 x 8 / 0.1) = 4.28; the paper's rule, it reports no MNIST run).
# The order is the order of the runs within a seed (the tables have their own order).
all_losses=(
  "softmax|softmax|0|--train.loss softmax"
  "smsoftmax-m1|smsoftmax|1|--train.loss smsoftmax --train.m 1"
  "l2softmax-a10|l2softmax|0|--train.loss l2softmax --train.alpha 10"
  "lsoftmax-m2|lsoftmax|2|--train.loss lsoftmax --train.m 2"
  "lsoftmax-m3|lsoftmax|3|--train.loss lsoftmax --train.m 3"
  "lsoftmax-m4|lsoftmax|4|--train.loss lsoftmax --train.m 4"
  "asoftmax-m4|asoftmax|4|--train.loss asoftmax --train.m 4"
)
# select_losses NAMES: the entries of a comma-separated list of names (or "all") into the array `selected`.
select_losses() {
  selected=()
  if [[ $1 == all ]]; then selected=("${all_losses[@]}"); return; fi
  local w entry found
  IFS=, read -ra wanted <<<"$1"
  for w in "${wanted[@]}"; do
    found=0
    for entry in "${all_losses[@]}"; do [[ ${entry%%|*} == "$w" ]] && { selected+=("$entry"); found=1; }; done
    # Other margins (sweeps): smsoftmax-m<M>, M in logit units (the CSV's m column).
    if ((!found)) && [[ $w =~ ^smsoftmax-m([0-9]+(\.[0-9]+)?)$ ]]; then
      selected+=("$w|smsoftmax|${BASH_REMATCH[1]}|--train.loss smsoftmax --train.m ${BASH_REMATCH[1]}"); found=1
    fi
    ((found)) || { echo "mnist-experiments: unknown loss '$w'; known: $(printf '%s ' "${all_losses[@]%%|*}")" >&2; exit 2; }
  done
}
# --losses alone sets both experiments' lists (as before --losses-2d existed).
[[ $losses_wanted != all && $losses_2d_given == 0 ]] && losses_2d_wanted=$losses_wanted
select_losses "$losses_wanted"; losses_full=("${selected[@]}")
select_losses "$losses_2d_wanted"; losses_2d=("${selected[@]}")
select_losses "$losses_finetune_wanted"; losses_finetune=("${selected[@]}")
# losses_of EXPERIMENT: that experiment's list into `losses`.
losses_of() {
  case $1 in
    2d) losses=("${losses_2d[@]}") ;;
    finetune) losses=("${losses_finetune[@]}") ;;
    *) losses=("${losses_full[@]}") ;;
  esac
}
IFS=, read -ra exps <<<"$experiments"
for e in "${exps[@]}"; do
  [[ $e == full || $e == 2d || $e == finetune ]] ||
    { echo "mnist-experiments: unknown experiment '$e' (full, 2d, finetune)" >&2; exit 2; }
done
((paper)) && [[ " ${exps[*]} " == *" finetune "* ]] &&
  { echo "mnist-experiments: --experiments finetune is a CPU-schedule experiment; not with --paper" >&2; exit 2; }
IFS=, read -ra seed_list <<<"$seeds"

build=${FV_BUILD_DIR:-build}
train=${FV_TRAIN:-$build/bin/fv-train}
plot=${FV_PLOT:-$build/bin/fv-plot}
if [[ ! -x $train ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target fv-train >/dev/null
fi
if ((val)); then
  data=(--data.input data/mnist/train50k-images-idx3-ubyte.gz --data.labels data/mnist/train50k-labels-idx1-ubyte.gz
        --data.test_input data/mnist/val10k-images-idx3-ubyte.gz --data.test_labels data/mnist/val10k-labels-idx1-ubyte.gz)
  [[ -f data/mnist/val10k-labels-idx1-ubyte.gz ]] || { bash scripts/fetch-mnist.sh; python3 scripts/mnist-split.py; }
else
  data=()  # configs/mnist.ini: the official 60k training and 10k test sets
  bash scripts/fetch-mnist.sh >/dev/null
fi
mkdir -p "$out"

if ((paper)); then  # the steps and batch of configs/mnist.ini, for the table and for telling finished runs
  resolved=$("$train" --config configs/mnist.ini --print-config | sed -n '/^\[train\]/,/^\[/p')
  steps=$(sed -n 's/^steps = //p' <<<"$resolved")
  batch=$(sed -n 's/^batch_size = //p' <<<"$resolved")
  steps_2d=$steps
fi
schedule_args() {  # $1 = steps, $2 = lr
  local s=$1 rate=$2
  if ((paper)); then return; fi
  local warmup=$((s / 10 < 50 ? s / 10 : 50)) log_every=$((s / 75 > 1 ? s / 75 : 1))
  ((warmup >= 1)) || warmup=1
  echo "--train.steps $s --train.batch_size $batch --train.lr $rate --train.lr_milestones $((s * 2 / 3)),$((s * 5 / 6))" \
       "--train.lambda_gamma $(python3 -c "print(2.5e-5 * 18000 / $s * $lambda_speed)") --train.log_every $log_every" \
       "--train.warmup_steps $warmup --train.warmup_start 0.1 --train.clip_grad_norm 10" \
       "--checkpoint.every_steps $checkpoint_every"
}

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
{
  echo "# MNIST: test error per loss"
  echo
  if ((val)); then echo "Data: the first 50,000 training digits; tested on the last 10,000 (validation split, not the test set)."
  else echo "Data: the official 60,000 training and 10,000 test digits$( ((test_limit)) && echo " (only the first $test_limit test digits)")."; fi
  echo "Network: the papers' MNIST CNN (configs/mnist.ini)."
  if ((paper)); then echo "Schedule: the paper's (configs/mnist.ini): $steps steps of $batch."; else
    echo "Schedule: full $steps steps of $batch, 2-D $steps_2d steps of $batch; lr $lr (linear warm-up from 0.1 x lr over min(50, steps/10) steps, gradient norm clipped at 10) /10 at 2/3 and 5/6 of the run; lambda annealing compressed to the run (gamma = 2.5e-5 x 18000 / steps)."; fi
  if [[ " ${exps[*]} " == *" finetune "* ]]; then
    echo "Fine-tuning (the SM-Softmax paper's recipe): each seed's full softmax run, then $steps_finetune steps of $batch at lr $lr_finetune (/10 at 2/3 and 5/6) with each loss; softmax fine-tuned the same way is the control."; fi
  echo "Seeds: $seeds (for one seed every loss has the same initial weights and data order)."
  echo "Machine: $machine; fv-train --threads $threads (0 = all). Seconds are wall time of training plus the test evaluation, and grow when the machine is shared."
  echo "Command: \`$command_line\`"
} > "$out/header.md"
csv=$out/results.csv
header_csv="experiment,loss,m,seed,steps,batch,test_error,seconds"
[[ -f $csv ]] || echo "$header_csv" > "$csv"
[[ $(head -1 "$csv") == "$header_csv" ]] || { echo "mnist-experiments: $csv does not start with '$header_csv'" >&2; exit 3; }

# "step test_error train_seconds" of a run's summary.json, or nothing when there is none.
summary_of() {
  [[ -f $1/summary.json ]] || return 0
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["step"], s["test_error"], s["train_seconds"])' "$1/summary.json"
}
write_table() {
  python3 scripts/mnist-table.py "$csv" --header "$out/header.md" > "$out/results.md.partial"
  mv "$out/results.md.partial" "$out/results.md"
}
publish() {
  [[ -n $docs ]] || return 0
  mkdir -p "$docs"
  cp "$csv" "$out/results.md" "$docs/"
  local f
  for f in "$out"/features-2d.png "$out"/curves-*.png; do [[ -f $f ]] && cp "$f" "$docs/"; done
  return 0
}

failures=0
# run_one EXPERIMENT ENTRY SEED [NEED_FOLDER]: trains one run unless it is finished, and records its CSV row. A run
# whose row is recorded is kept even when its folder is gone, unless NEED_FOLDER (the first stage of a fine-tuning
# needs its checkpoint): then it is trained again and its row is not repeated.
run_one() {
  local exp=$1 entry=$2 seed=$3 need_folder=${4:-0} name loss m args
  IFS='|' read -r name loss m args <<<"$entry"
  local s=$steps rate=$lr extra=()
  local run=$out/$exp/$name/seed$seed
  case $exp in
    2d) s=$steps_2d; extra=(--model.embedding_dim 2 --train.test_features "$run/test-features.csv") ;;
    finetune) s=$steps_finetune; rate=$lr_finetune ;;
  esac
  local key="$exp,$loss,$m,$seed,$s,$batch," recorded=0
  grep -q "^$key" "$csv" && recorded=1
  if ((recorded && !need_folder)); then  # recorded earlier, perhaps in a run folder since deleted: kept
    echo "== $exp $name seed $seed: finished (kept)"
    return 0
  fi
  local summary
  summary=$(summary_of "$run")
  if [[ -n $summary && ${summary%% *} == "$s" ]] && { ((!need_folder)) || [[ -f $run/checkpoint.fvc ]]; }; then
    echo "== $exp $name seed $seed: finished (kept)"
  else
    local start=(--resume true)
    if [[ -f $run/checkpoint.fvc ]]; then echo "== $exp $name seed $seed: resuming from its checkpoint ($(date +%T))"
    elif [[ $exp == finetune ]]; then
      # The first stage: the full experiment's softmax run of this seed, trained now when it is missing.
      local base=$out/full/${all_losses[0]%%|*}/seed$seed
      run_one full "${all_losses[0]}" "$seed" 1
      [[ -f $base/checkpoint.fvc ]] || { echo "mnist-experiments: $base has no checkpoint to fine-tune" >&2; exit 1; }
      start=(--init_from "$base/checkpoint.fvc")
      echo "== $exp $name seed $seed: new run from $base, $s steps of $batch at lr $rate ($(date +%T))"
    else echo "== $exp $name seed $seed: new run, $s steps of $batch ($(date +%T))"; fi
    mkdir -p "$run"
    local rc=0
    # shellcheck disable=SC2046,SC2086
    "$train" --config configs/mnist.ini --output "$run" "${start[@]}" --threads "$threads" --seed "$seed" \
      --data.test_limit "$test_limit" "${data[@]}" "${extra[@]}" $args $(schedule_args "$s" "$rate") \
      >> "$run/fv-train.log" 2>&1 || rc=$?
    if ((rc == 130)); then echo "mnist-experiments: $run was interrupted; rerun the same command to continue it" >&2; exit 130; fi
    if ((rc != 0)); then
      local reason
      reason=$(grep ' E ' "$run/fv-train.log" | tail -1 | sed 's/.* E //; s/,/;/g')
      echo "mnist-experiments: $exp $name seed $seed failed (exit $rc): $reason" >&2
      [[ -f $out/failed.csv ]] || echo "experiment,loss,m,seed,steps,batch,exit,reason" > "$out/failed.csv"
      echo "$key$rc,$reason" >> "$out/failed.csv"
      failures=$((failures + 1))
      ((need_folder)) && { echo "mnist-experiments: cannot fine-tune without $run" >&2; exit 1; }
      return 0
    fi
    summary=$(summary_of "$run")
    [[ -n $summary && ${summary%% *} == "$s" ]] || { echo "mnist-experiments: $run has no summary of step $s" >&2; exit 1; }
  fi
  ((recorded)) && return 0
  read -r _ test_error seconds <<<"$summary"
  echo "$key$test_error,$seconds" >> "$csv"
  echo "   test error $(python3 -c "print(f'{100 * $test_error:.2f}%')"), $(printf '%.0f' "$seconds") s"
  write_table
  publish
}

# Seed-major, so an interrupted experiment already has whole seeds of every loss.
for seed in "${seed_list[@]}"; do
  for exp in "${exps[@]}"; do
    losses_of "$exp"
    for entry in "${losses[@]}"; do run_one "$exp" "$entry" "$seed"; done
  done
done
write_table

# The 2-D feature figure: one panel per loss, test features of the first seed, one colour per digit.
if [[ " ${exps[*]} " == *" 2d "* ]]; then
  losses_of 2d
  gp=$out/features-2d.gp
  n=${#losses[@]}
  cols=$((n < 4 ? n : 4))
  rows=$(((n + cols - 1) / cols))
  {
    echo "set terminal pngcairo size $((300 * cols)),$((300 * rows + 40)) noenhanced font ',9'"
    echo "set output '$out/features-2d.png'"
    echo "set datafile separator ','"
    echo "set multiplot layout $rows,$cols title 'MNIST test features, FC 2 (one colour per digit), seed ${seed_list[0]}'"
    echo "unset key; unset colorbox; set size ratio -1; set format x ''; set format y ''"
    # Ten distinct colours, one per digit (gnuplot's default line colours repeat after eight).
    echo "set cbrange [-0.5:9.5]; set palette maxcolors 10"
    echo "set palette defined (0 '#e6194b', 1 '#3cb44b', 2 '#ffe119', 3 '#4363d8', 4 '#f58231', 5 '#911eb4', 6 '#42d4f4', 7 '#f032e6', 8 '#000000', 9 '#9a6324')"
  } > "$gp"
  drawn=0
  panels=()  # the tables' order: softmax, L-Softmax m=2,3,4, A-Softmax, SM-Softmax, L2-softmax
  for want in softmax lsoftmax-m2 lsoftmax-m3 lsoftmax-m4 asoftmax-m4 smsoftmax-m1 l2softmax-a10; do
    for entry in "${losses[@]}"; do [[ ${entry%%|*} == "$want" ]] && panels+=("$entry"); done
  done
  for entry in "${panels[@]}"; do
    IFS='|' read -r name loss m _ <<<"$entry"
    f=$out/2d/$name/seed${seed_list[0]}/test-features.csv
    summary=$(summary_of "$out/2d/$name/seed${seed_list[0]}")
    if [[ -f $f && -n $summary ]]; then
      read -r _ test_error _ <<<"$summary"
      echo "set title '$name: $(python3 -c "print(f'{100 * (1 - $test_error):.2f}')")%'; plot '$f' using 2:3:1 with dots lc palette z" >> "$gp"
      drawn=$((drawn + 1))
    else
      echo "set title '$name: not run'; unset border; unset tics; plot [0:1][0:1] 2 notitle; set border; set tics" >> "$gp"
    fi
  done
  echo "unset multiplot" >> "$gp"
  if ((drawn)) && command -v gnuplot >/dev/null; then gnuplot "$gp" && echo "2-D feature figure: $out/features-2d.png"
  else echo "mnist-experiments: no 2-D feature figure (no finished 2-D run or no gnuplot)"; fi
fi

# Training curves: one run, and every loss of the first seed overlaid (per experiment).
if [[ -x $plot ]]; then
  for exp in "${exps[@]}"; do
    losses_of "$exp"
    first=${losses[0]%%|*}
    runs=() labels=()
    for entry in "${losses[@]}"; do
      r=$out/$exp/${entry%%|*}/seed${seed_list[0]}
      [[ -f $r/train.jsonl ]] && { runs+=("$r"); labels+=("${entry%%|*}"); }
    done
    ((${#runs[@]})) || continue
    "$plot" --plot.runs "$(IFS=,; echo "${runs[*]}")" --plot.labels "$(IFS=,; echo "${labels[*]}")" \
      --plot.output "$out/curves-$exp-seed${seed_list[0]}.png" --plot.title "MNIST $exp, seed ${seed_list[0]}, every loss"
    if [[ $exp == full && -f $out/full/$first/seed${seed_list[0]}/train.jsonl ]]; then
      "$plot" --plot.runs "$out/full/$first/seed${seed_list[0]}" --plot.labels "$first" \
        --plot.output "$out/curves-full-$first-seed${seed_list[0]}.png" --plot.title "MNIST full, $first, seed ${seed_list[0]}"
    fi
  done
  echo "training curves: $out/curves-*.png"
else
  echo "mnist-experiments: $plot not found: skipped the training curves (build the fv-plot target, or set FV_PLOT)"
fi
publish
echo
cat "$out/results.md"
if ((failures)); then echo "mnist-experiments: $failures run(s) failed, see $out/failed.csv" >&2; exit 4; fi
}
main "$@"; exit $?  # on one line: bash has read it whole before main runs, so the file may change meanwhile
