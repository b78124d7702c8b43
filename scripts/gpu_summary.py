#!/usr/bin/env python3
"""The summary of scripts/gpu-check.sh: every figure beside its PyTorch anchor, peak memory, stage times.

  gpu_summary.py --log OUT/gpu-check.log --stages STAGES.tsv --budget S [--dry-run] > OUT/gpu-summary.md
  gpu_summary.py --jsonl-rate RUN/train.jsonl --setting TEXT     (prints fv-train's rate as a RESULT line)

The log holds the benchmarks' lines "RESULT\tstage\tprogram\tsetting\tvalue\tunit\tthreads" and their
"# machine:" lines; STAGES.tsv holds "stage\tstatus\tseconds\tlimit". The anchors are the PyTorch figures of the
shared MACHINE-NOTES (H100, PyTorch 2.11, insightface's own iResNet-50 + ArcFace over 10,572 classes, 112x112,
synthetic data already on the GPU; inference fp16 batch 512).
"""
import argparse
import json
import re
import sys

# (program, setting pattern, anchor img/s, what the anchor measured)
ANCHORS = [
    ("fv_train_benchmark", r"^iresnet50 batch 128 cuda fp16$", 1836, "insightface r50 fp16 autocast bs128"),
    ("fv_train_benchmark", r"^iresnet50 batch 256 cuda fp16$", 2305, "insightface r50 fp16 autocast bs256"),
    ("fv_train_benchmark", r"^iresnet50 batch 256 cuda bf16 channels-last$", 2867, "r50 bf16 + channels-last bs256"),
    ("fv_train_benchmark", r"^iresnet50 batch 512 cuda bf16 channels-last$", 3054, "r50 tuned bf16 bs512"),
    ("fv_train_benchmark", r"^mobilefacenet batch 512 cuda fp16$", 5539, "insightface MobileFaceNet"),
    ("fv-train", r"^iresnet50 batch 128 cuda fp16 RecordIO$", 1836, "r50 fp16 bs128, data already on the GPU"),
    ("fv_embed_benchmark", r"^iresnet50 batch 512 cuda fp16", 11832, "r50 inference fp16 bs512"),
    ("fv_embed_benchmark", r"^iresnet100 batch 512 cuda fp16", 7263, "r100 inference fp16 bs512"),
    ("fv_embed_benchmark", r"^mobilefacenet batch 512 cuda fp16", 24906, "MobileFaceNet inference fp16 bs512"),
]
REFERENCE_ONLY = "PyTorch's torch.compile of r50 bf16 (3,119 img/s) has no LibTorch C++ counterpart."


def jsonl_rate(path, setting):
    """Mean images/s of train.jsonl's logged intervals after the first two (start-up, autotuning)."""
    rates = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                row = json.loads(line)
                if "images_per_second" in row and "step" in row:
                    rates.append(float(row["images_per_second"]))
    if not rates:
        sys.exit(f"gpu_summary: {path} has no logged interval with images_per_second")
    kept = rates[2:] if len(rates) > 2 else rates[-1:]
    print(f"fv-train {setting}: {sum(kept) / len(kept):.1f} img/s over {len(kept)} logged intervals")
    print(f"RESULT\ttrain\tfv-train\t{setting}\t{sum(kept) / len(kept):.3f}\timg/s\t0")


def read_log(path):
    results, machines = [], []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("RESULT\t"):
                parts = line.split("\t")
                if len(parts) >= 7:
                    try:
                        results.append((parts[1], parts[2], parts[3], float(parts[4]), parts[5]))
                    except ValueError:
                        pass
            elif line.startswith("# machine:") and line not in machines:
                machines.append(line[2:])
    return results, machines


def anchor_of(program, setting):
    for p, pattern, value, what in ANCHORS:
        if p == program and re.search(pattern, setting):
            return value, what
    return None, ""


def summary(args):
    results, machines = read_log(args.log)
    stages = []
    with open(args.stages) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 4:
                stages.append(parts)
    out = ["# gpu-check summary", ""]
    if args.dry_run:
        out += ["**Dry run** on the CPU with tiny sizes (`scripts/gpu-check.sh --dry-run`): the figures check the "
                "script, not the speed; the anchors apply only to the CUDA run.", ""]
    out += ["Machines (from the benchmarks' output):", ""]
    out += [f"- {m}" for m in machines] or ["- none printed"]
    out += ["", "## Stages", "", f"Budget {args.budget} s.", "", "| stage | status | seconds | limit (s) |",
            "| --- | --- | ---: | ---: |"]
    out += [f"| {s} | {status} | {sec} | {limit} |" for s, status, sec, limit in stages]
    total = sum(int(s[2]) for s in stages if s[2].isdigit())
    out += [f"| all | | {total} | {args.budget} |", ""]
    # A benchmark prints a case's peak memory (MB/img) just before its rate: pair them in order.
    rates, pending = [], None
    for r in results:
        if r[4] == "MB/img":
            pending = (r[1], r[2].replace(" peak memory", ""), r[3])
        elif r[4] == "img/s":
            mem = pending[2] if pending and pending[0] == r[1] and r[2].startswith(pending[1] + " ") else None
            rates.append(r + (mem,))
            pending = None
    out += ["## Throughput", "", "| program | setting | img/s | anchor img/s | ratio | anchor | peak MB/img |",
            "| --- | --- | ---: | ---: | ---: | --- | ---: |"]
    for stage, program, setting, value, unit, mem in rates:
        anchor, what = anchor_of(program, setting)
        ratio = f"{value / anchor:.2f}" if anchor else ""
        out.append(f"| {program} | {setting} | {value:,.1f} | {f'{anchor:,}' if anchor else ''} | {ratio} | {what} | "
                   f"{f'{mem:.2f}' if mem is not None else ''} |")
    if not rates:
        out.append("| (no figures: see the stages above and gpu-check.log) | | | | | | |")
    out += ["", REFERENCE_ONLY, "",
            "Peak memory: LibTorch's CUDA caching allocator, bytes held by tensors at the high point of the case "
            "(warm-up included) divided by the batch; empty on the CPU.", ""]
    sys.stdout.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log")
    ap.add_argument("--stages")
    ap.add_argument("--budget", type=int, default=0)
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--jsonl-rate")
    ap.add_argument("--setting", default="")
    args = ap.parse_args()
    if args.jsonl_rate:
        jsonl_rate(args.jsonl_rate, args.setting)
    elif args.log and args.stages:
        summary(args)
    else:
        ap.error("give --log and --stages, or --jsonl-rate")


if __name__ == "__main__":
    main()
