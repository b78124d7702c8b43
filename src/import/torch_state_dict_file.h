// Reading a PyTorch state dict file (`torch.save(model.state_dict(), path)`) without Python.
//
// LibTorch 1.13's own torch::pickle_load cannot read state dicts: its unpickler turns every
// collections.OrderedDict (what state_dict() returns) into None. This reader understands the part of the
// format that state dicts use:
//   - the zip container that torch.save writes since PyTorch 1.6 ("<archive>/data.pkl" holds the pickle,
//     "<archive>/data/<key>" the raw little-endian bytes of each storage);
//   - pickle protocols 2-5 with the opcodes that dicts, tuples, strings, numbers, globals, persistent ids
//     (storages) and REDUCE/BUILD produce, read by the project's restricted unpickler (formats/unpickler.h:
//     bounded nesting and value count, no recursion, no code run; a GLOBAL is only a name);
//   - tensors rebuilt by torch._utils._rebuild_tensor_v2 (and _rebuild_parameter) from Float, Double, Half,
//     BFloat16, Long, Int, Short, Char, Byte and Bool storages.
// The top-level object must be a dict or OrderedDict whose keys are strings and whose values are tensors
// (the OrderedDict's `_metadata` attribute, set by BUILD, is ignored).
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "formats/unpickler.h"

namespace fv {

struct StateDictEntry {
  std::string name;
  torch::Tensor tensor;  // contiguous, on the CPU, with the storage's dtype
};

// Reads every (name, tensor) pair in file order.
// Requires: `path` is a zip-format file written by torch.save (PyTorch >= 1.6) on a little-endian machine.
// Throws IoError (unreadable), FormatError naming the file: not a zip archive (the pre-1.6 legacy format is
// recognised and named, with how to re-save it), malformed or unsupported pickle content (the opcode and
// its offset in data.pkl), nesting or a value count over `limits`, a top-level object that is not a dict of
// tensors (naming the key), a missing or short storage record.
std::vector<StateDictEntry> read_torch_state_dict(const std::filesystem::path& path, const UnpickleLimits& limits = {});

}  // namespace fv
