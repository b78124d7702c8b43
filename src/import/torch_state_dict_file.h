// Reading a PyTorch state dict file (`torch.save(model.state_dict(), path)`) without Python.
//
// LibTorch 1.13's own torch::pickle_load cannot read state dicts: its unpickler turns every
// collections.OrderedDict (what state_dict() returns) into None. This reader understands the part of the
// format that state dicts use:
//   - the zip container that torch.save writes since PyTorch 1.6 ("<archive>/data.pkl" holds the pickle,
//     "<archive>/data/<key>" the raw little-endian bytes of each storage), read by LibTorch's own zip reader;
//   - the pickle, read without LibTorch by import/state_dict_layout.h (the project's restricted unpickler:
//     bounded nesting and value count, no recursion, no code run), which checks every storage record and
//     tensor view before any tensor is made; this file then only copies the storages' bytes.
// The top-level object must be a dict or OrderedDict whose keys are strings and whose values are tensors.
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
// recognised and named, with how to re-save it), a zip record LibTorch cannot read, and everything
// parse_state_dict_pickle refuses (the opcode and its offset in data.pkl: malformed or unsupported pickle
// content, nesting or a value count over `limits`, a missing or short storage record, a tensor view outside
// its storage or whose sizes overflow; a top-level object that is not a dict of tensors, naming the key).
std::vector<StateDictEntry> read_torch_state_dict(const std::filesystem::path& path, const UnpickleLimits& limits = {});

}  // namespace fv
