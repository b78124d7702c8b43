// PyTorch state dict files: the zip container, and the state dict dialect of the shared unpickler.
#include "import/torch_state_dict_file.h"

#include <caffe2/serialize/inline_container.h>
#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "formats/unpickler.h"

namespace fv {
namespace {

// Tags of the kObject values this dialect makes; their handle indexes StateDictDialect::tensors_.
enum ObjectTag : std::uint32_t { kOpaque = 0, kStorage = 1, kTensor = 2 };

// torch.<Name>Storage -> dtype.
bool storage_dtype(std::string_view global, torch::Dtype* dtype) {
  static const std::map<std::string, torch::Dtype, std::less<>> kTypes = {
      {"torch.FloatStorage", torch::kFloat32}, {"torch.DoubleStorage", torch::kFloat64},
      {"torch.HalfStorage", torch::kFloat16},  {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
      {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
      {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool}};
  auto it = kTypes.find(global);
  if (it == kTypes.end()) return false;
  *dtype = it->second;
  return true;
}

// A value's kind for messages: "tensor", "storage", "object (torch.nn.modules.linear.Linear)", "int", ...
std::string describe(const PickleValues& v, PickleId id) {
  if (v.kind(id) == PickleKind::kObject) {
    if (v.tag(id) == kTensor) return "tensor";
    if (v.tag(id) == kStorage) return "storage";
  }
  std::string out = pickle_kind_name(v.kind(id));
  if ((v.kind(id) == PickleKind::kObject || v.kind(id) == PickleKind::kGlobal) && !v.text(id).empty()) {
    out += fmt::format(" ({})", v.text(id));
  }
  return out;
}

// The state dict dialect: the opcodes that dicts, tuples, strings, numbers, globals, persistent ids
// (storages) and REDUCE/NEWOBJ/BUILD produce. A GLOBAL is only a name: collections.OrderedDict and
// builtins.dict make dicts, torch._utils._rebuild_tensor_v2 tensors, _rebuild_parameter(_with_state) pass
// their tensor through, and any other class becomes an opaque object named after it (refused by the caller
// wherever a tensor is expected). torch.*Storage names are only used inside persistent ids.
class StateDictDialect final : public PickleDialect {
 public:
  explicit StateDictDialect(caffe2::serialize::PyTorchStreamReader& reader) : reader_(reader) {}

  const PickleOpSet& opcodes() const override {
    using Op = PickleOp;
    static const PickleOpSet kOps = {
        Op::kProto, Op::kFrame, Op::kStop, Op::kMark, Op::kNone, Op::kNewTrue, Op::kNewFalse, Op::kBinInt1,
        Op::kBinInt2, Op::kBinInt, Op::kLong1, Op::kLong4, Op::kBinFloat, Op::kBinUnicode, Op::kShortBinUnicode,
        Op::kBinUnicode8, Op::kShortBinString, Op::kBinString, Op::kShortBinBytes, Op::kBinBytes, Op::kGlobal,
        Op::kStackGlobal, Op::kEmptyTuple, Op::kTuple1, Op::kTuple2, Op::kTuple3, Op::kTuple, Op::kEmptyList,
        Op::kList, Op::kEmptyDict, Op::kDict, Op::kAppend, Op::kAppends, Op::kSetItem, Op::kSetItems,
        Op::kEmptySet, Op::kAddItems, Op::kFrozenSet, Op::kBinPut, Op::kLongBinPut, Op::kMemoize, Op::kBinGet,
        Op::kLongBinGet, Op::kBinPersId, Op::kReduce, Op::kNewObj, Op::kBuild, Op::kPop, Op::kPopMark, Op::kDup};
    return kOps;
  }
  std::string_view refusal() const override {
    return "a state dict holds dicts, tuples, lists, strings, numbers and tensors; the reader never runs pickle code";
  }
  PickleKind python2_str_kind() const override { return PickleKind::kStr; }

  PickleId global(UnpickleContext& context, std::string_view module, std::string_view name) override {
    return context.values().add_owned_text(PickleKind::kGlobal, fmt::format("{}.{}", module, name));
  }

  PickleId reduce(UnpickleContext& context, PickleId callable, PickleId args) override {
    PickleValues& v = context.values();
    if (v.kind(callable) != PickleKind::kGlobal) context.fail(fmt::format("REDUCE on a {}", describe(v, callable)));
    const std::string_view name = v.text(callable);
    if (v.kind(args) != PickleKind::kTuple) context.fail(fmt::format("REDUCE of {} with non-tuple arguments", name));
    const auto& a = v.items(args);
    if (name == "collections.OrderedDict" || name == "builtins.dict") {
      std::vector<PickleId> items;
      if (!a.empty() && v.kind(a[0]) == PickleKind::kList) {
        for (PickleId pair : v.items(a[0])) {
          if (v.kind(pair) != PickleKind::kTuple || v.items(pair).size() != 2) {
            context.fail("OrderedDict from a list of non-pairs");
          }
          items.push_back(v.items(pair)[0]);
          items.push_back(v.items(pair)[1]);
        }
      }
      return v.add_container(PickleKind::kDict, std::move(items));
    }
    if (name == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(context, a);
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || !is_tensor(v, a[0])) context.fail(fmt::format("{}: expected a tensor", name));
      return a[0];
    }
    // Other classes (torch.device, builtins.set, a whole pickled nn.Module, optimizer state...) stay opaque;
    // the caller refuses them if they end up where a tensor is expected.
    return v.add_object(name, kOpaque, -1);
  }

  // NEWOBJ: cls.__new__(cls, *args) -> an opaque object named after the class.
  PickleId new_object(UnpickleContext& context, PickleId cls, PickleId) override {
    PickleValues& v = context.values();
    return v.add_object(v.kind(cls) == PickleKind::kGlobal ? v.text(cls) : std::string_view(), kOpaque, -1);
  }

  // BUILD: the state (an OrderedDict's _metadata, a module's __dict__) is not needed.
  void build(UnpickleContext&, PickleId, PickleId) override {}

  // BINPERSID: ('storage', storage class, key, location, numel) -> the storage's bytes as a 1-D tensor.
  PickleId persistent_load(UnpickleContext& context, PickleId pid) override {
    PickleValues& v = context.values();
    const auto& p = v.items(pid);
    if (v.kind(pid) != PickleKind::kTuple || p.size() < 5 || v.kind(p[0]) != PickleKind::kStr ||
        v.text(p[0]) != "storage") {
      context.fail("unsupported persistent id (expected ('storage', type, key, location, numel))");
    }
    torch::Dtype dtype{};
    if (v.kind(p[1]) != PickleKind::kGlobal || !storage_dtype(v.text(p[1]), &dtype)) {
      context.fail(fmt::format("unsupported storage type '{}'", v.text(p[1])));
    }
    if (v.kind(p[2]) != PickleKind::kStr) context.fail("storage key is not a string");
    const std::string key(v.text(p[2]));
    auto cached = storages_.find(key);
    if (cached != storages_.end()) return cached->second;

    const std::string record = "data/" + key;
    if (!reader_.hasRecord(record)) context.fail(fmt::format("storage record '{}' is missing from the archive", record));
    auto [ptr, bytes] = reader_.getRecord(record);
    const auto element = static_cast<size_t>(torch::elementSize(dtype));
    if (bytes % element != 0) {
      context.fail(fmt::format("storage record '{}' has {} bytes, not a multiple of {}", record, bytes, element));
    }
    const auto numel = static_cast<int64_t>(bytes / element);
    // Typed storages give numel in elements; torch >= 2 may give the byte count of an untyped storage.
    const int64_t declared = int_of(context, p[4], "storage numel");
    if (declared != numel && declared != static_cast<int64_t>(bytes)) {
      context.fail(fmt::format("storage record '{}' holds {} elements but the pickle declares {}", record, numel, declared));
    }
    torch::Tensor storage = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    if (bytes) std::memcpy(storage.data_ptr(), ptr.get(), bytes);
    const PickleId id = add_tensor(v, kStorage, std::move(storage));
    storages_.emplace(key, id);
    return id;
  }

  // A kTensor value's tensor.
  const torch::Tensor& tensor(const PickleValues& v, PickleId id) const {
    return tensors_.at(static_cast<std::size_t>(v.integer(id)));
  }
  static bool is_tensor(const PickleValues& v, PickleId id) {
    return v.kind(id) == PickleKind::kObject && v.tag(id) == kTensor;
  }

 private:
  PickleId add_tensor(PickleValues& v, ObjectTag tag, torch::Tensor t) {
    tensors_.push_back(std::move(t));
    return v.add_object(tag == kTensor ? "tensor" : "storage", tag, static_cast<std::int64_t>(tensors_.size() - 1));
  }

  static int64_t int_of(UnpickleContext& context, PickleId id, const char* what) {
    const PickleValues& v = context.values();
    if (v.kind(id) != PickleKind::kInt) context.fail(fmt::format("{}: expected an int, got {}", what, describe(v, id)));
    return v.integer(id);
  }
  static std::vector<int64_t> ints_of(UnpickleContext& context, PickleId id, const char* what) {
    const PickleValues& v = context.values();
    if (v.kind(id) != PickleKind::kTuple && v.kind(id) != PickleKind::kList) {
      context.fail(fmt::format("{}: expected a tuple", what));
    }
    std::vector<int64_t> out;
    for (PickleId item : v.items(id)) out.push_back(int_of(context, item, what));
    return out;
  }

  // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata]).
  PickleId rebuild_tensor(UnpickleContext& context, const std::vector<PickleId>& args) {
    PickleValues& v = context.values();
    if (args.size() < 4 || v.kind(args[0]) != PickleKind::kObject || v.tag(args[0]) != kStorage) {
      context.fail("_rebuild_tensor_v2: unexpected arguments");
    }
    const torch::Tensor storage = tensors_.at(static_cast<std::size_t>(v.integer(args[0])));
    const int64_t offset = int_of(context, args[1], "storage_offset");
    const auto size = ints_of(context, args[2], "size");
    const auto stride = ints_of(context, args[3], "stride");
    if (size.size() != stride.size()) context.fail("_rebuild_tensor_v2: size and stride differ in length");
    int64_t last = offset;
    bool empty = false;
    for (size_t d = 0; d < size.size(); ++d) {
      if (size[d] < 0 || stride[d] < 0) context.fail("_rebuild_tensor_v2: negative size or stride");
      if (size[d] == 0) empty = true;
      else last += (size[d] - 1) * stride[d];
    }
    if (offset < 0 || (!empty && last >= storage.numel())) {
      context.fail(fmt::format("tensor of size {} stride {} offset {} reaches past its storage of {} elements",
                               fmt::join(size, "x"), fmt::join(stride, ","), offset, storage.numel()));
    }
    return add_tensor(v, kTensor,
                      empty ? torch::empty(size, storage.options()) : storage.as_strided(size, stride, offset).contiguous());
  }

  caffe2::serialize::PyTorchStreamReader& reader_;
  std::vector<torch::Tensor> tensors_;  // storages and tensors, by kObject handle
  std::unordered_map<std::string, PickleId> storages_;
};

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
  if (reader->hasRecord("byteorder")) {
    auto [ptr, bytes] = reader->getRecord("byteorder");
    const std::string order(static_cast<const char*>(ptr.get()), bytes);
    if (order != "little") throw FormatError(fmt::format("{}: byte order '{}' is not supported (only little)", file, order));
  }
  if (!reader->hasRecord("data.pkl")) throw FormatError(fmt::format("{}: the archive has no data.pkl record", file));
  auto [pickle, pickle_bytes] = reader->getRecord("data.pkl");
  StateDictDialect dialect(*reader);
  Unpickled root;
  try {
    root = unpickle(std::string_view(static_cast<const char*>(pickle.get()), pickle_bytes), file + ":data.pkl", dialect,
                    limits);
  } catch (const c10::Error& e) {
    throw FormatError(fmt::format("{}: {}", file, e.what_without_backtrace()));
  }
  const PickleValues& v = root.values;
  if (v.kind(root.root) != PickleKind::kDict) {
    throw FormatError(fmt::format("{}: the file holds a {}, not a state dict; save model.state_dict()", file,
                                  describe(v, root.root)));
  }
  const auto& items = v.items(root.root);
  std::vector<StateDictEntry> entries;
  entries.reserve(items.size() / 2);
  for (size_t k = 0; k < items.size(); k += 2) {
    const PickleId key = items[k];
    const PickleId value = items[k + 1];
    if (v.kind(key) != PickleKind::kStr) {
      throw FormatError(fmt::format("{}: a state dict key is a {}, not a str", file, describe(v, key)));
    }
    if (!StateDictDialect::is_tensor(v, value)) {
      throw FormatError(fmt::format("{}: state dict entry '{}' is a {}, not a tensor", file, v.text(key), describe(v, value)));
    }
    entries.push_back({std::string(v.text(key)), dialect.tensor(v, value)});
  }
  return entries;
}

}  // namespace fv
