#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (fuzz/*.cpp) into OUT/<target>/.

    fuzz/make_corpus.py OUT

Seeds are the project's own test files (tests/data/eval, configs/*.ini), files written by the tools the formats
come from (pickle at protocols 2 to 5 for insightface .bin sets, torch.save for .pth state dicts when Python's
torch is installed, MXNet's RecordIO layout byte for byte), and the real TF.js manifest of the dlib model when
scripts/fetch-face-api.sh has fetched it. Each seed is small (libFuzzer's default input limit follows the
largest seed). Inputs made of several files join them with one NUL byte, in the order the target's comment
gives.
"""
import io
import os
import pickle
import struct
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "data" / "eval"


def write(out, target, name, data):
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def joined(*parts):
    return b"\0".join(p if isinstance(p, bytes) else p.encode() for p in parts)


def text_files(out, target, patterns):
    for pattern in patterns:
        for f in sorted(EVAL.glob(pattern)):
            write(out, target, f.name, f.read_bytes())


def options(out):
    for f in sorted((ROOT / "configs").glob("*.ini")):
        write(out, "fuzz_options", f.name, f.read_bytes())
    write(out, "fuzz_options", "fuzz_keys.ini",
          "seed = 7\n[fuzz]\nflag = true\ncount = -3\nbig = 9000000000\nunsigned = 18446744073709551615\n"
          "scale = 1e-3\nrate = 0.25\npath = out/x\nlist = a,b,c\nmode = exact\nold_path = renamed\n"
          "[eval]\nprotocol = lfw\n")


def ijb(out):
    small = [EVAL / f"ijb_{n}_small.txt" for n in ("template_media", "pairs", "face_scores")]
    write(out, "fuzz_ijb", "small", joined(*(f.read_bytes() for f in small)))
    # Each malformed file of the test suite in place of its well-formed counterpart.
    for bad in sorted((EVAL / "malformed").glob("ijb_*.txt")):
        parts = [f.read_bytes() for f in small]
        for i, kind in enumerate(("template_media", "pairs", "face_scores")):
            if bad.name.startswith(f"ijb_{kind}_"):
                parts[i] = bad.read_bytes()
        write(out, "fuzz_ijb", bad.stem, joined(*parts))


def ijba(out):
    header = "TEMPLATE_ID,SUBJECT_ID,FILE,MEDIA_ID,SIGHTING_ID\n"
    write(out, "fuzz_ijba", "split1", joined(
        header + "1,10,img/1.jpg,100,0\n2,10,img/2.jpg,101,0\n3,20,img/3.jpg,102,0\n4,20,img/4.jpg,103,0\n",
        "1,2\n3,4\n1,3\n2,4\n1,4\n"))
    write(out, "fuzz_ijba", "pooled_and_nonfinite", joined(
        header + "5,30,img/5.jpg,104,0\n5,30,img/6.jpg,104,1\n6,30,img/7.jpg,105,0\n7,40,img/9.jpg,106,0\n",
        "5,6\n5,7\n6,7\n"))


def tfjs(out):
    floats = struct.pack("<6f", 1, -2, 3.5, 0, 1e-3, 7)
    manifest = ('[{"paths": ["w.bin"], "weights": [{"name": "conv/filters", "shape": [2, 2], "dtype": "float32"},'
                ' {"name": "conv/bias", "shape": [2], "dtype": "float32"}]}]')
    write(out, "fuzz_tfjs_manifest", "two_tensors", joined(manifest, floats))
    quantized = ('[{"paths": ["q.bin"], "weights": [{"name": "fc", "shape": [4], "dtype": "float32", '
                 '"quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.5}}]}]')
    write(out, "fuzz_tfjs_manifest", "quantized", joined(quantized, bytes([0, 1, 2, 255])))
    real = ROOT / "third_party" / "face-api" / "face_recognition_model-weights_manifest.json"
    if real.is_file():  # the real manifest, with a shard too short for it: the size checks
        write(out, "fuzz_tfjs_manifest", "face_recognition_manifest", joined(real.read_bytes(), floats))


def pickle_bin(out):
    # insightface's verification sets: pickle.dump((bins, issame_list)), bins = encoded images as bytes.
    bins = [b"\xff\xd8\xff\xe0fake-jpeg-%d" % i for i in range(4)]
    for protocol in range(2, 6):
        write(out, "fuzz_pickle_bin", f"protocol{protocol}",
              pickle.dumps((bins, [True, False]), protocol=protocol))
    write(out, "fuzz_pickle_bin", "bytearray_protocol5",
          pickle.dumps(([bytearray(b) for b in bins], [False, True]), protocol=5))


def state_dict(out):
    try:
        import torch
    except ImportError:
        print("make_corpus: no Python torch: fuzz_state_dict_pickle gets no torch.save seeds", file=sys.stderr)
        return
    weight = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    dicts = {
        "linear": {"fc.weight": weight, "fc.bias": torch.zeros(3)},
        "views": {"w": weight, "w_t": weight.t(), "row": weight[1], "half": torch.ones(2, dtype=torch.float16)},
        "bn": {"bn.weight": torch.ones(4), "bn.num_batches_tracked": torch.tensor(5)},
    }
    for name, d in dicts.items():
        buffer = io.BytesIO()
        torch.save(d, buffer)
        with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as z:
            pkl = next(n for n in z.namelist() if n.endswith("/data.pkl"))
            prefix = pkl[: -len("data.pkl")]
            sizes = []
            while f"{prefix}data/{len(sizes)}" in z.namelist():
                sizes.append(z.getinfo(f"{prefix}data/{len(sizes)}").file_size)
            write(out, "fuzz_state_dict_pickle", name,
                  bytes([len(sizes)]) + b"".join(struct.pack("<I", s) for s in sizes) + z.read(pkl))


def record(payload, cflag=0):
    """One RecordIO record: magic, lrecord, payload padded to 4 bytes (MXNet's dmlc::RecordIOWriter)."""
    head = struct.pack("<II", 0xCED7230A, (cflag << 29) | len(payload))
    return head + payload + b"\0" * (-len(payload) % 4)


def image_record(label, key, image, labels=()):
    flag = len(labels)
    return struct.pack("<IfQQ", flag, label, key, 0) + struct.pack(f"<{flag}f", *labels) + image


def recordio(out):
    images = [b"\x89PNG\r\n\x1a\nimage-%d" % k for k in range(3)]
    # fv-align's layout: keys 0.., one float label each.
    plain_rec, plain_idx, offset = b"", "", 0
    for key, image in enumerate(images):
        r = record(image_record(float(key % 2), key, image))
        plain_idx += f"{key}\t{offset}\n"
        plain_rec += r
        offset += len(r)
    # insightface's layout: record 0 is a header whose label vector is the image key range [1, 4).
    ins_rec = record(image_record(0.0, 0, b"", labels=(4.0, 6.0)))
    ins_idx, offset = f"0\t0\n", len(ins_rec)
    for key, image in enumerate(images, start=1):
        r = record(image_record(float(key - 1), key, image))
        ins_idx += f"{key}\t{offset}\n"
        ins_rec += r
        offset += len(r)
    # A record split in parts (cflag 1, 2, 3) as MXNet writes a payload holding the magic number.
    # MXNet looks for the magic number at 4-byte aligned offsets of the payload; here at 28 and 36.
    magic = struct.pack("<I", 0xCED7230A)
    payload = image_record(1.0, 0, b"abcd" + magic + b"efgh" + magic + b"ijkl")
    split = record(payload[:28], 1) + record(payload[32:36], 2) + record(payload[40:], 3)
    write(out, "fuzz_recordio", "plain.rec", plain_rec)
    write(out, "fuzz_recordio", "insightface.rec", ins_rec)
    write(out, "fuzz_recordio", "multipart.rec", split)
    write(out, "fuzz_recordio_index", "plain.idx", plain_idx)
    write(out, "fuzz_recordio_index", "insightface.idx", ins_idx)
    write(out, "fuzz_recordio_index", "crlf.idx", plain_idx.replace("\n", "\r\n"))
    write(out, "fuzz_recordio_source", "plain", joined(plain_idx, plain_rec))
    write(out, "fuzz_recordio_source", "insightface", joined(ins_idx, ins_rec))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    options(out)
    text_files(out, "fuzz_pairs", ["lfw_*small.txt", "pair_list_small.txt", "malformed/lfw_*.txt",
                                   "malformed/view1_*.txt", "malformed/pair_list_*.txt"])
    text_files(out, "fuzz_ytf_splits", ["ytf_*.txt", "malformed/ytf_*.txt"])
    ijb(out)
    ijba(out)
    tfjs(out)
    pickle_bin(out)
    state_dict(out)
    recordio(out)
    for target in sorted(os.listdir(out)):
        print(f"make_corpus: {target}: {len(os.listdir(out / target))} seeds")


if __name__ == "__main__":
    main()
