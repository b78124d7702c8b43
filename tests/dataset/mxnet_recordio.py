#!/usr/bin/env python3
"""MXNet's RecordIO as MXNet and insightface write and read it, re-implemented from their code (not ours), for
fv's compatibility tests. Standard library only (no mxnet, no numpy).

Sources followed line by line:
  dmlc-core src/recordio.cc  RecordIOWriter::WriteRecord / RecordIOReader::NextRecord: each record is
      uint32 magic 0xced7230a, uint32 lrec = cflag << 29 | length, the bytes, zero padding to 4; a payload that
      holds the magic at a 4-aligned offset is cut there (the magic dropped) into parts cflag 1 (first),
      2 (middle), 3 (last); the reader puts the magic back between parts. Records must be < 2^29 bytes.
  mxnet python/mxnet/recordio.py  IRHeader(flag, label, id, id2) packed as struct 'IfQQ' (24 bytes); pack():
      a number label gives flag 0; a label sequence is written as float32s after the header, flag = its length,
      header.label = 0; MXIndexedRecordIO.write_idx(): the .idx line is '%s\\t%d\\n' % (key, byte offset).
  mxnet tools/im2rec.py  one record per .lst line, key = the line's index, header IRHeader(0, label, index, 0).
  insightface (recognition/arcface_torch/dataset.py MXFaceDataset, the face2rec scripts that made
      faces_webface_112x112 / faces_emore): record 0 = pack(IRHeader(0, [N + 1, N + 1 + K], 0, 0), b''); images
      at keys 1..N with IRHeader(0, label, key, 0); then one record per identity k at key N + 1 + k:
      pack(IRHeader(0, [first image key, end image key], 0, 0), b''). The reader takes keys 1..label0[0]-1.

Commands:
  pack-insightface --root DIR --out PREFIX [--label-vector] [--split-record KEY]
      DIR/<identity>/<images> (identities in sorted order, labels 0..K-1) -> PREFIX.rec, PREFIX.idx, and
      PREFIX.json (what was written: per image key its label(s), identity and file). --label-vector writes each
      image's label as the float array [label, key] (flag 2). --split-record KEY appends 4 zero bytes and the magic to
      that image's bytes at a 4-aligned offset, so that the writer splits it as dmlc-core does.
  read PREFIX
      Reads PREFIX.rec through PREFIX.idx as MXIndexedRecordIO + unpack() do and prints one JSON object per
      record: key, flag, label (number or list), id, id2, sha256 and size of the image bytes.
"""
import hashlib
import json
import os
import struct
import sys

MAGIC = 0xCED7230A
IR_FORMAT = "IfQQ"
IR_SIZE = struct.calcsize(IR_FORMAT)
assert IR_SIZE == 24


def write_record(f, payload):
    """dmlc::RecordIOWriter::WriteRecord."""
    if len(payload) >= 1 << 29:
        raise ValueError("RecordIO only accept record less than 2^29 bytes")
    magic = struct.pack("<I", MAGIC)
    lower_align = (len(payload) >> 2) << 2
    upper_align = ((len(payload) + 3) >> 2) << 2
    dptr = 0
    for i in range(0, lower_align, 4):
        if payload[i:i + 4] == magic:
            f.write(magic + struct.pack("<I", ((1 if dptr == 0 else 2) << 29) | (i - dptr)))
            f.write(payload[dptr:i])
            dptr = i + 4
    f.write(magic + struct.pack("<I", ((3 if dptr != 0 else 0) << 29) | (len(payload) - dptr)))
    f.write(payload[dptr:])
    f.write(b"\0" * (upper_align - len(payload)))


def read_record(f):
    """dmlc::RecordIOReader::NextRecord; None at the end of the file."""
    out = b""
    while True:
        head = f.read(8)
        if not head:
            return None
        if len(head) != 8:
            raise ValueError("Invalid RecordIO File")
        magic, lrec = struct.unpack("<II", head)
        if magic != MAGIC:
            raise ValueError("Invalid RecordIO File")
        cflag, length = lrec >> 29, lrec & ((1 << 29) - 1)
        upper_align = ((length + 3) >> 2) << 2
        data = f.read(upper_align)
        if len(data) != upper_align:
            raise ValueError("Invalid RecordIO File upper_align=%d" % upper_align)
        out += data[:length]
        if cflag in (0, 3):
            return out
        out += struct.pack("<I", MAGIC)


def pack(header, s):
    """mxnet.recordio.pack: header = (flag, label, id, id2)."""
    flag, label, id_, id2 = header
    if isinstance(label, (int, float)):
        flag = 0
    else:
        label = list(label)
        s = struct.pack("<%df" % len(label), *label) + s
        flag, label = len(label), 0
    return struct.pack(IR_FORMAT, flag, label, id_, id2) + s


def unpack(s):
    """mxnet.recordio.unpack: (header, image bytes); a flag > 0 header carries its float32 label array."""
    flag, label, id_, id2 = struct.unpack(IR_FORMAT, s[:IR_SIZE])
    s = s[IR_SIZE:]
    if flag > 0:
        label = list(struct.unpack("<%df" % flag, s[:flag * 4]))
        s = s[flag * 4:]
    return (flag, label, id_, id2), s


class IndexedWriter:
    """MXIndexedRecordIO(idx, rec, 'w').write_idx."""

    def __init__(self, prefix):
        self.rec = open(prefix + ".rec", "wb")
        self.idx = open(prefix + ".idx", "w")

    def write_idx(self, key, buf):
        pos = self.rec.tell()
        write_record(self.rec, buf)
        self.idx.write("%s\t%d\n" % (str(key), pos))

    def close(self):
        self.rec.close()
        self.idx.close()


def pack_insightface(root, prefix, label_vector, split_key):
    identities = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    images = []
    for label, name in enumerate(identities):
        for f in sorted(os.listdir(os.path.join(root, name))):
            images.append((label, name, os.path.join(root, name, f)))
    n, k = len(images), len(identities)
    w = IndexedWriter(prefix)
    w.write_idx(0, pack((0, [float(n + 1), float(n + 1 + k)], 0, 0), b""))
    written, ranges = [], {}
    for key, (label, name, path) in enumerate(images, start=1):
        with open(path, "rb") as f:
            data = f.read()
        if key == split_key:
            # The header (24 bytes, + 8 with a label vector) keeps 4-alignment: pad the image to 4, then the magic.
            data += b"\0" * ((-len(data)) % 4 + 4) + struct.pack("<I", MAGIC)
        header_label = [float(label), float(key)] if label_vector else float(label)
        w.write_idx(key, pack((0, header_label, key, 0), data))
        ranges.setdefault(label, [key, key + 1])[1] = key + 1
        written.append({"key": key, "label": label, "identity": name, "file": path,
                        "sha256": hashlib.sha256(data).hexdigest()})
    for label in range(k):
        w.write_idx(n + 1 + label, pack((0, [float(x) for x in ranges[label]], 0, 0), b""))
    w.close()
    with open(prefix + ".json", "w") as f:
        json.dump({"images": written, "identities": k}, f, indent=1)


def read(prefix):
    """MXIndexedRecordIO(idx, rec, 'r'): keys in .idx order, read_idx(key) = seek(offset) + read()."""
    entries = []
    with open(prefix + ".idx") as f:
        for line in f:
            key, offset = line.strip().split("\t")
            entries.append((int(key), int(offset)))
    with open(prefix + ".rec", "rb") as f:
        for key, offset in entries:
            f.seek(offset)
            (flag, label, id_, id2), s = unpack(read_record(f))
            print(json.dumps({"key": key, "flag": flag, "label": label, "id": id_, "id2": id2,
                              "size": len(s), "sha256": hashlib.sha256(s).hexdigest()}))


def main(argv):
    if len(argv) >= 2 and argv[1] == "read" and len(argv) == 3:
        read(argv[2])
        return 0
    if len(argv) >= 2 and argv[1] == "pack-insightface":
        flags = [a for a in argv[2:] if a == "--label-vector"]
        rest = [a for a in argv[2:] if a != "--label-vector"]
        args = dict(zip(rest[0::2], rest[1::2]))
        pack_insightface(args["--root"], args["--out"], bool(flags), int(args.get("--split-record", "-1")))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
