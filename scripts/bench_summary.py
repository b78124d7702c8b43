#!/usr/bin/env python3
"""Collects the figures of scripts/benchmarks.sh into one markdown table (out/benchmarks/summary.md).

Inputs, per stage, in the output folder:
  <stage>.txt   a program's stdout: "# machine: ..." lines and "RESULT\tstage\tprogram\tsetting\tvalue\tunit\tthreads"
  <stage>.<program>.json  google-benchmark JSON (--benchmark_out_format=json) whose context holds fv_machine
Usage: bench_summary.py OUT_DIR > OUT_DIR/summary.md
"""
import glob
import json
import os
import re
import sys


def short_machine(line):
    """'machine: CPU, 2 cores available | threads: 2 | device: D | load: L | date: Z' -> ('CPU, 2 cores; D; load L', 'Z')."""
    fields = {}
    for part in line.split(" | "):
        key, _, value = part.partition(": ")
        fields[key.strip().lstrip("# ")] = value.strip()
    machine = fields.get("machine", "?").replace(" cores available", " cores")
    device = fields.get("device", "CPU")
    load = f"; load {fields['load']}" if "load" in fields else ""
    return f"{machine}; {device}{load}", fields.get("date", "")


def fmt_value(v):
    if v >= 1e6:
        return f"{v / 1e6:,.2f} M"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:,.1f}"


def from_text(path, rows, dates):
    machine = "?"
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# machine:"):
                machine, date = short_machine(line[2:])
                dates.add(date[:10])
            elif line.startswith("RESULT\t"):
                _, stage, program, setting, value, unit, threads = line.split("\t")
                rows.append((stage, program, setting, float(value), unit, machine, threads))


# google-benchmark counters that are the stage's figure, in order of preference, with their unit.
COUNTERS = [("img/s", "img/s"), ("pairs/s", "pairs/s"), ("items_per_second", "items/s")]


def from_json(path, rows, dates):
    stage, program = os.path.basename(path).split(".")[:2]
    with open(path) as f:
        data = json.load(f)
    ctx = data.get("context", {})
    machine, date = short_machine(ctx.get("fv_machine", "machine: ?"))
    dates.add(date[:10])
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        threads = str(b.get("threads", 1)) if "/threads:" in b["name"] else ctx.get("fv_threads", "1")
        setting = re.sub(r"/min_time:[0-9.]+", "", b["name"]).replace("/real_time", "").replace("/threads:", " threads ")
        for key, unit in COUNTERS:
            if key in b:
                rows.append((stage, program, setting, float(b[key]), unit, machine, threads))
                break
        else:
            if "bytes_per_second" in b:
                rows.append((stage, program, setting, b["bytes_per_second"] / 1e6, "MB/s", machine, threads))


def main():
    out = sys.argv[1]
    rows, dates = [], set()
    for path in sorted(glob.glob(os.path.join(out, "*.txt"))):
        from_text(path, rows, dates)
    for path in sorted(glob.glob(os.path.join(out, "*.json"))):
        from_json(path, rows, dates)
    order = ["align", "decode", "load", "train", "embed", "eval", "verify"]
    rows.sort(key=lambda r: (order.index(r[0]) if r[0] in order else len(order), r[1]))
    print(f"Measured by scripts/benchmarks.sh on {', '.join(sorted(d for d in dates if d)) or '?'}.\n")
    print("| stage | program | setting | figure | unit | machine | threads |")
    print("| --- | --- | --- | ---: | --- | --- | ---: |")
    for stage, program, setting, value, unit, machine, threads in rows:
        print(f"| {stage} | `{program}` | {setting} | {fmt_value(value)} | {unit} | {machine} | {threads} |")


if __name__ == "__main__":
    main()
