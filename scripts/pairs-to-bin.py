#!/usr/bin/env python3
"""Packs an LFW-style image folder and its pairs.txt into an insightface .bin verification set.

    scripts/pairs-to-bin.py --root DIR --pairs pairs.txt --output set.bin [--extension .jpg] [--protocol 4]

pairs.txt is LFW's View 2 format (first line "<folds> <pairs per fold>", then "name i j" for a same pair and
"name1 i name2 j" for a different one; fv-synth writes one). The images are DIR/name/name_%04d<extension>, stored
as their encoded bytes, unchanged. The output is what insightface's recognition/_datasets_/lfw2pack.py writes:
pickle.dump((bins, issame_list), f, protocol), bins the 2N images of the N pairs in file order (pair i = images
2i, 2i+1). fv-train validates on it (val.bin), fv-embed embeds it (--embed.input set.bin), fv-eval scores it (--eval.protocol bin).
The order of the pairs is kept: fv-eval and insightface cut a .bin into contiguous folds, as pairs.txt's are.
Written atomically (a temporary file renamed into place). Python's standard library only.
"""
import argparse
import os
import pickle
import sys
import tempfile


def read_pairs(path):
    with open(path, encoding="utf-8") as f:
        lines = [line.split() for line in f if line.strip()]
    if not lines:
        sys.exit(f"{path}: empty pairs file")
    header, rows = lines[0], lines[1:]
    if len(header) == 2 and all(x.isdigit() for x in header):
        expected = int(header[0]) * int(header[1]) * 2
        if expected != len(rows):
            sys.exit(f"{path}:1: the header announces {expected} pairs, the file has {len(rows)}")
    else:
        rows = lines
    pairs = []
    for number, row in enumerate(rows, start=2 if rows is not lines else 1):
        try:
            if len(row) == 3:
                pairs.append(((row[0], int(row[1])), (row[0], int(row[2])), True))
            elif len(row) == 4:
                pairs.append(((row[0], int(row[1])), (row[2], int(row[3])), False))
            else:
                raise ValueError
        except ValueError:
            sys.exit(f"{path}:{number}: expected 'name i j' or 'name1 i name2 j', got '{' '.join(row)}'")
    return pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", required=True, help="image folder: ROOT/name/name_%%04d<extension>")
    parser.add_argument("--pairs", required=True, help="LFW-style pairs.txt")
    parser.add_argument("--output", required=True, help="the .bin to write")
    parser.add_argument("--extension", default=".jpg")
    parser.add_argument("--protocol", type=int, default=4, help="pickle protocol (insightface's sets use 2..4)")
    args = parser.parse_args()
    pairs = read_pairs(args.pairs)
    bins, issame = [], []
    for a, b, same in pairs:
        for name, number in (a, b):
            path = os.path.join(args.root, name, f"{name}_{number:04d}{args.extension}")
            try:
                with open(path, "rb") as f:
                    bins.append(f.read())
            except OSError as e:
                sys.exit(f"{args.pairs}: pair image {path}: {e.strerror}")
        issame.append(same)
    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".pairs-to-bin.")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump((bins, issame), f, protocol=args.protocol)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, args.output)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"{args.output}: {len(issame)} pairs ({sum(issame)} same), {len(bins)} images")


if __name__ == "__main__":
    main()
