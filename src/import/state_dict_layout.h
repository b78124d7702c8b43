// A PyTorch state dict's data.pkl read without LibTorch: which storages it names and how its tensors view them.
//
// torch.save writes a zip archive: "<archive>/data.pkl" (the pickle) and "<archive>/data/<key>" (the raw
// little-endian bytes of each storage). This is the pickle half: the state dict dialect of the project's
// restricted unpickler (formats/unpickler.h: bounded nesting and value count, no recursion, no code run; a
// GLOBAL is only a name). It reads
//   - dicts, OrderedDicts (collections.OrderedDict / builtins.dict REDUCE; an OrderedDict's `_metadata`,
//     set by BUILD, is ignored), tuples, lists, sets, strings, numbers, None and globals;
//   - persistent ids ('storage', torch.<Type>Storage, key, location, numel) for Float, Double, Half, BFloat16,
//     Long, Int, Short, Char, Byte and Bool storages;
//   - tensors rebuilt by torch._utils._rebuild_tensor_v2 (and _rebuild_parameter[_with_state]).
// and checks everything a tensor needs before any storage byte is read: the record exists, its size is a
// whole number of elements and agrees with the declared numel, every tensor lies inside its storage, and no
// size, stride or element count overflows 64 bits. import/torch_state_dict_file.h then only copies bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/unpickler.h"

namespace fv {

// The storage classes of a state dict (torch.<Name>Storage), in this order.
enum class StorageType : std::uint8_t { kFloat, kDouble, kHalf, kBFloat16, kLong, kInt, kShort, kChar, kByte, kBool };
// 4, 8, 2, 2, 8, 4, 2, 1, 1, 1 bytes.
std::size_t storage_element_size(StorageType type);
// "torch.FloatStorage", ...
const char* storage_type_name(StorageType type);

struct StorageLayout {
  std::string record;     // "data/<key>", the archive record holding its bytes
  StorageType type = StorageType::kFloat;
  std::int64_t numel = 0;  // elements in the record (its byte size / storage_element_size(type))
};

// A tensor as a strided view of a storage; checked: every element it views lies in [0, storage numel).
struct TensorLayout {
  std::size_t storage = 0;  // index into StateDictLayout::storages
  std::int64_t offset = 0;
  std::vector<std::int64_t> size;
  std::vector<std::int64_t> stride;
  std::int64_t numel = 0;  // product of size (fits in int64)
};

struct StateDictLayout {
  std::vector<StorageLayout> storages;  // those the pickle names, each once, in order of first use
  std::vector<TensorLayout> tensors;    // every tensor the pickle rebuilds
  struct Entry {
    std::string name;
    std::size_t tensor = 0;  // index into tensors
  };
  std::vector<Entry> entries;  // the state dict, in file order
};

// The byte size of `record` in the archive, or nullopt when the archive has no such record.
using RecordSize = std::function<std::optional<std::uint64_t>(const std::string& record)>;

// Reads the state dict pickle `bytes` (the archive's data.pkl). `name` names it in messages
// ("<file>:data.pkl"); `record_size` answers for the storage records it names.
// Requires: `bytes` outlives the call only (the result owns its strings).
// Throws FormatError naming `name`, the byte offset and the opcode for: an opcode outside the dialect, and
// what formats/unpickler.h refuses; an unsupported persistent id or storage type, a storage record that is
// missing, is not a whole number of elements or disagrees with the declared numel; _rebuild_tensor_v2 with
// unexpected arguments, negative sizes or strides, sizes whose product or views whose last element overflow
// 64 bits, a view reaching past its storage, or a view with more elements than its storage (stride 0). FormatError naming `name` for a top-level object that is not a
// dict, a key that is not a str, or a value that is not a tensor (naming the key).
StateDictLayout parse_state_dict_pickle(std::string_view bytes, const std::string& name, const RecordSize& record_size,
                                        const UnpickleLimits& limits = {});

}  // namespace fv
