// PyTorch state dict files: the zip container, and the tensors made from the checked layout of data.pkl.
#include "import/torch_state_dict_file.h"

#include <caffe2/serialize/inline_container.h>
#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <tuple>

#include "core/error.h"
#include "import/state_dict_layout.h"

namespace fv {
namespace {

torch::Dtype dtype_of(StorageType type) {
  switch (type) {
    case StorageType::kFloat: return torch::kFloat32;
    case StorageType::kDouble: return torch::kFloat64;
    case StorageType::kHalf: return torch::kFloat16;
    case StorageType::kBFloat16: return torch::kBFloat16;
    case StorageType::kLong: return torch::kInt64;
    case StorageType::kInt: return torch::kInt32;
    case StorageType::kShort: return torch::kInt16;
    case StorageType::kChar: return torch::kInt8;
    case StorageType::kByte: return torch::kUInt8;
    case StorageType::kBool: return torch::kBool;
  }
  throw std::logic_error("dtype_of: unknown StorageType");
}

// Refuses files that are not zip archives, naming the legacy format when recognised.
void check_container(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot open the state dict file", path.string()));
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() == 4 && std::memcmp(magic, "PK\x03\x04", 4) == 0) return;
  if (in.gcount() >= 1 && static_cast<uint8_t>(magic[0]) == 0x80) {
    throw FormatError(fmt::format(
        "{}: legacy (PyTorch < 1.6) torch.save format, which is not supported; re-save it in PyTorch with "
        "torch.save(torch.load(path), new_path)",
        path.string()));
  }
  throw FormatError(fmt::format("{}: not a PyTorch file (expected the zip archive that torch.save writes)", path.string()));
}

}  // namespace

std::vector<StateDictEntry> read_torch_state_dict(const std::filesystem::path& path, const UnpickleLimits& limits) {
  check_container(path);
  const std::string file = path.string();
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(file);
  } catch (const c10::Error& e) {
    throw FormatError(fmt::format("{}: not a readable PyTorch zip archive: {}", file, e.what_without_backtrace()));
  }
  try {
    if (reader->hasRecord("byteorder")) {
      auto [ptr, bytes] = reader->getRecord("byteorder");
      const std::string order(static_cast<const char*>(ptr.get()), bytes);
      if (order != "little") throw FormatError(fmt::format("{}: byte order '{}' is not supported (only little)", file, order));
    }
    if (!reader->hasRecord("data.pkl")) throw FormatError(fmt::format("{}: the archive has no data.pkl record", file));
    auto [pickle, pickle_bytes] = reader->getRecord("data.pkl");
    // The pickle is checked whole (state_dict_layout.h) before any tensor is made; the storage records it
    // names are read once, while it is parsed, and kept until copied into their tensors.
    std::map<std::string, std::tuple<at::DataPtr, size_t>> records;
    const RecordSize record_size = [&](const std::string& record) -> std::optional<std::uint64_t> {
      if (!reader->hasRecord(record)) return std::nullopt;
      auto it = records.emplace(record, reader->getRecord(record)).first;
      return std::get<1>(it->second);
    };
    const StateDictLayout layout = parse_state_dict_pickle(
        std::string_view(static_cast<const char*>(pickle.get()), pickle_bytes), file + ":data.pkl", record_size, limits);

    std::vector<torch::Tensor> storages(layout.storages.size());
    std::vector<StateDictEntry> entries;
    entries.reserve(layout.entries.size());
    for (const auto& entry : layout.entries) {
      const TensorLayout& t = layout.tensors.at(entry.tensor);
      torch::Tensor& storage = storages.at(t.storage);
      if (!storage.defined()) {
        const StorageLayout& s = layout.storages[t.storage];
        auto record = records.find(s.record);
        storage = torch::empty({s.numel}, torch::TensorOptions().dtype(dtype_of(s.type)));
        const std::size_t bytes = std::get<1>(record->second);
        if (bytes) std::memcpy(storage.data_ptr(), std::get<0>(record->second).get(), bytes);
        records.erase(record);
      }
      entries.push_back({entry.name, t.numel == 0 ? torch::empty(t.size, storage.options())
                                                  : storage.as_strided(t.size, t.stride, t.offset).contiguous()});
    }
    return entries;
  } catch (const c10::Error& e) {
    throw FormatError(fmt::format("{}: {}", file, e.what_without_backtrace()));
  }
}

}  // namespace fv
