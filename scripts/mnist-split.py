#!/usr/bin/env python3
"""Splits MNIST's official training set into a training part and a validation part (IDX files, gzip'ed).

The CPU schedule of scripts/mnist-experiments.sh was chosen on this split, never on the test set:

    scripts/mnist-split.py            # data/mnist/train-images-idx3-ubyte.gz -> data/mnist/{train50k,val10k}-*
    scripts/mnist-split.py --train 50000 --dir data/mnist

The first N images (default 50,000) become train50k-{images-idx3,labels-idx1}-ubyte.gz and the rest
(10,000) val10k-*; the names say the counts. Rerunning rewrites them (a second).
"""
import argparse
import gzip
import os
import struct
import sys


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    got = struct.unpack(">I", data[:4])[0]
    if got != magic:
        sys.exit(f"mnist-split: {path}: magic {got:#x}, expected {magic:#x} (not an MNIST IDX file)")
    return data


def write_idx(path, header, body):
    tmp = path + ".partial"
    with gzip.open(tmp, "wb", compresslevel=6) as f:
        f.write(header + body)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", default="data/mnist")
    p.add_argument("--train", type=int, default=50000, help="images kept for training (the first N)")
    a = p.parse_args()
    images = read_idx(os.path.join(a.dir, "train-images-idx3-ubyte.gz"), 0x803)
    labels = read_idx(os.path.join(a.dir, "train-labels-idx1-ubyte.gz"), 0x801)
    n, rows, cols = struct.unpack(">III", images[4:16])
    if struct.unpack(">I", labels[4:8])[0] != n:
        sys.exit("mnist-split: the images and labels files hold different counts")
    if not 0 < a.train < n:
        sys.exit(f"mnist-split: --train must be in (0, {n}), got {a.train}")
    px = rows * cols
    parts = {f"train{a.train // 1000}k": (0, a.train), f"val{(n - a.train) // 1000}k": (a.train, n)}
    for name, (lo, hi) in parts.items():
        k = hi - lo
        img = os.path.join(a.dir, f"{name}-images-idx3-ubyte.gz")
        lab = os.path.join(a.dir, f"{name}-labels-idx1-ubyte.gz")
        write_idx(img, struct.pack(">IIII", 0x803, k, rows, cols), images[16 + lo * px:16 + hi * px])
        write_idx(lab, struct.pack(">II", 0x801, k), labels[8 + lo:8 + hi])
        print(f"mnist-split: {img} and {lab}: images {lo}..{hi - 1} of the training set ({k})")


if __name__ == "__main__":
    main()
