// insightface's .bin verification sets (lfw.bin, cfp_fp.bin, agedb_30.bin, ...): a safe pickle reader.
//
// A .bin file is `pickle.dump((bins, issame_list), f, protocol=...)`: `bins` a list of 2N encoded images
// (JPEG/PNG bytes), `issame_list` a list of N bools; pair i is images (2i, 2i+1).
// The file is read by the project's restricted unpickler (formats/unpickler.h) with the .bin dialect, which
// accepts these opcodes and never executes pickle code:
//   PROTO (2..5), FRAME, STOP, MARK, EMPTY_LIST, LIST, APPEND, APPENDS, EMPTY_TUPLE, TUPLE, TUPLE1, TUPLE2,
//   TUPLE3, NEWTRUE, NEWFALSE, BININT, BININT1, BININT2 (flags written as 0/1), BINBYTES, SHORT_BINBYTES,
//   BINBYTES8 (Python 3 bytes), BINSTRING, SHORT_BINSTRING (Python 2 str), BINUNICODE, SHORT_BINUNICODE,
//   BINUNICODE8, MEMOIZE, BINPUT, LONG_BINPUT, BINGET, LONG_BINGET.
// Plus one narrow case: Python 3 writes `bytes` at protocol 2 as `_codecs.encode(<str>, 'latin1')`
// (GLOBAL '_codecs encode' ... REDUCE), and empty bytes as `__builtin__.bytes()`. GLOBAL is accepted only
// for those two names, and REDUCE only on them with exactly those arguments; the reader then converts the
// string to bytes itself. Every other opcode (GLOBAL of any other name, REDUCE, BUILD, INST, OBJ, NEWOBJ,
// STACK_GLOBAL, PERSID, dicts, ...) is rejected with a FormatError naming the file, the byte offset and the
// opcode. Numpy-array .bin variants need numpy's reconstructor and are therefore refused. Nesting depth
// and value count are bounded (UnpickleLimits), and nothing recurses on the file's nesting.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataset/sample_source.h"
#include "formats/unpickler.h"

namespace fv {

struct BinSet {
  // Encoded images, in file order. The views point into `storage` (the memory-mapped file, or buffers the
  // reader filled for latin1-encoded strings) and stay valid as long as a copy of `storage` lives.
  std::vector<std::string_view> images;
  std::vector<std::int8_t> pair_flags;  // 1 = same identity, 0 = different; images.size() == 2 * pair_flags.size()
  std::shared_ptr<const void> storage;
};

// Parses pickle bytes (the whole file content). `bytes` must outlive the returned views unless the caller
// keeps it in `storage` (read_bin_set does). `name` is used in error messages.
// Throws FormatError naming `name`, the byte offset and the opcode for a forbidden or unknown opcode, a
// truncated file (offset where the data ran out) or a declared length beyond its end, nesting or a value
// count over `limits`, and as formats/unpickler.h says; FormatError naming `name` for a malformed
// structure (not a (list of bytes, list of bools) pair, or 2N images with a flag count other than N).
BinSet parse_bin_set(std::string_view bytes, const std::string& name, std::shared_ptr<const void> storage = nullptr,
                     const UnpickleLimits& limits = {});

// Memory-maps `path` (no copy of the file; a 400 MB set costs 400 MB of page cache, not of heap) and parses it.
// Throws IoError when it cannot be opened or mapped, FormatError as parse_bin_set.
BinSet read_bin_set(const std::filesystem::path& path, const UnpickleLimits& limits = {});

// The images of a .bin as a SampleSource: id(i) = "<i>", no labels (-1), image(i) decodes image i
// (FormatError naming the file and the index when it is not a JPEG/PNG). Fills `pair_flags` when non-null.
std::unique_ptr<SampleSource> open_bin_set(const std::filesystem::path& path,
                                           std::vector<std::int8_t>* pair_flags = nullptr);

}  // namespace fv
