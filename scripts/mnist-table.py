#!/usr/bin/env python3
"""Recomputes the MNIST tables (markdown) from results.csv, the one row per run that scripts/mnist-experiments.sh writes.

    scripts/mnist-table.py docs/mnist/results.csv [--header FILE.md] > docs/mnist/results.md

CSV header: experiment,loss,m,seed,steps,batch,test_error,seconds (experiment = full, 2d or finetune; test_error a fraction;
seconds = the run's train_seconds from its summary.json: training plus the final test evaluation).
One table per (experiment, steps, batch): per loss the seeds, the test error (full) or accuracy (2d) as mean and
sample standard deviation over the seeds, the difference to softmax on the same seeds (same initial weights and
data order: a paired difference, mean and standard deviation), whether the loss beats softmax by more than one
standard deviation (softmax's mean - the loss's mean > the larger of the two seed spreads), the paper's number,
and the mean seconds per run.
"""
import argparse
import csv
import math
import sys
from collections import defaultdict

# Display names and the papers' numbers, keyed by (loss, m). Full experiment: test error in %; 2-D: accuracy in %.
LABELS = {
    ("softmax", 0): "softmax",
    ("lsoftmax", 2): "L-Softmax m=2",
    ("lsoftmax", 3): "L-Softmax m=3",
    ("lsoftmax", 4): "L-Softmax m=4",
    ("asoftmax", 4): "A-Softmax m=4",
    ("smsoftmax", 1): "SM-Softmax m=1",
    ("smsoftmax", 4): "SM-Softmax m=4",
    ("l2softmax", 0): "L2-softmax alpha=10",
}
# Liu et al. 2016 (L-Softmax) Table 2: softmax 0.40 %, L-Softmax 0.31 % (m=4); Liang et al. 2017 (SM-Softmax)
# 0.30 %. SphereFace (A-Softmax) and Ranjan et al. 2017 (L2-softmax) report no MNIST test error.
PAPER_FULL = {("softmax", 0): "0.40", ("lsoftmax", 4): "0.31", ("smsoftmax", 1): "0.30",
              ("asoftmax", 4): "none reported", ("l2softmax", 0): "none reported"}
# The L-Softmax slides' 2-D feature experiment (test accuracy, %).
PAPER_2D = {("softmax", 0): "98.45", ("lsoftmax", 2): "98.96", ("lsoftmax", 3): "99.22", ("lsoftmax", 4): "99.34"}


def mean_sd(xs):
    if not xs:
        return math.nan, math.nan
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else math.nan
    return m, sd


def fmt(m, sd, digits=2):
    if math.isnan(m):
        return "-"
    return f"{m:.{digits}f}" if math.isnan(sd) else f"{m:.{digits}f} ± {sd:.{digits}f}"


def read_rows(path):
    rows = []
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        want = ["experiment", "loss", "m", "seed", "steps", "batch", "test_error", "seconds"]
        if r.fieldnames != want:
            sys.exit(f"mnist-table: {path}: header {r.fieldnames}, expected {want}")
        for line, row in enumerate(r, start=2):
            try:
                rows.append(dict(experiment=row["experiment"], loss=row["loss"], m=int(float(row["m"])),
                                 seed=int(row["seed"]), steps=int(row["steps"]), batch=int(row["batch"]),
                                 test_error=float(row["test_error"]), seconds=float(row["seconds"])))
            except (TypeError, ValueError) as e:
                sys.exit(f"mnist-table: {path}:{line}: {e}")
    return rows


def table(rows, experiment):
    two_d = experiment == "2d"
    by_key = defaultdict(dict)  # (loss, m) -> seed -> row (the last row of a seed wins)
    for r in rows:
        by_key[(r["loss"], r["m"])][r["seed"]] = r
    order = [k for k in LABELS if k in by_key] + sorted(k for k in by_key if k not in LABELS)
    base = by_key.get(("softmax", 0), {})
    base_vals = [100 * (1 - r["test_error"] if two_d else r["test_error"]) for r in base.values()]
    base_m, base_sd = mean_sd(base_vals)
    what = "test accuracy (%)" if two_d else "test error (%)"
    paper = PAPER_2D if two_d else PAPER_FULL
    out = [f"| loss | seeds | {what}, mean ± sd | minus softmax, same seeds | beats softmax by > 1 sd | paper (%) | seconds / run |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for key in order:
        runs = by_key[key]
        vals = {s: 100 * (1 - r["test_error"] if two_d else r["test_error"]) for s, r in runs.items()}
        m, sd = mean_sd(list(vals.values()))
        secs, _ = mean_sd([r["seconds"] for r in runs.values()])
        if key == ("softmax", 0):
            diff, verdict = "-", "-"
        else:
            shared = sorted(set(vals) & set(base))
            d = [vals[s] - 100 * (1 - base[s]["test_error"] if two_d else base[s]["test_error"]) for s in shared]
            dm, dsd = mean_sd(d)
            diff = fmt(dm, dsd) if d else "-"
            spread = max(x for x in (sd, base_sd) if not math.isnan(x)) if not (math.isnan(sd) and math.isnan(base_sd)) else math.nan
            if math.isnan(m) or math.isnan(base_m) or math.isnan(spread) or len(runs) < 2 or len(base) < 2:
                verdict = "n/a (< 2 seeds)"
            else:
                better = (m - base_m) if two_d else (base_m - m)
                verdict = "yes" if better > spread else "no"
        seeds = ",".join(str(s) for s in sorted(runs))
        out.append(f"| {LABELS.get(key, f'{key[0]} m={key[1]}')} | {seeds} | {fmt(m, sd)} | {diff} | {verdict} | "
                   f"{paper.get(key, '-')} | {secs:.0f} |")
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("csv")
    p.add_argument("--header", help="markdown printed before the tables")
    a = p.parse_args()
    rows = read_rows(a.csv)
    lines = []
    if a.header:
        lines += open(a.header).read().rstrip("\n").split("\n") + [""]
    groups = defaultdict(list)
    for r in rows:
        groups[(r["experiment"], r["steps"], r["batch"])].append(r)
    names = {"full": "Full experiment (FC 256 features)", "2d": "2-D feature experiment (FC 2)",
             "finetune": "Two-stage (the SM-Softmax paper's recipe): each seed's full softmax run fine-tuned with each "
                         "loss (softmax = the same extra training without a margin)"}
    order = {"full": 0, "2d": 1, "finetune": 2}
    for (experiment, steps, batch) in sorted(groups, key=lambda g: (order.get(g[0], 3), g[0], g[1], g[2])):
        g = groups[(experiment, steps, batch)]
        total = sum(r["seconds"] for r in g)
        lines.append(f"### {names.get(experiment, experiment)}: {steps} steps of {batch}")
        lines.append("")
        lines += table(g, experiment)
        lines.append("")
        lines.append(f"{len(g)} runs, {total / 3600:.2f} h of training and evaluation in all.")
        lines.append("")
    if not rows:
        lines.append("(no finished run yet)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
