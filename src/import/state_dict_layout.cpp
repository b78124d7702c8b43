// The state dict dialect of the shared unpickler: storages and tensor views checked before any byte is read.
#include "import/state_dict_layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <unordered_map>
#include <utility>

#include "core/error.h"

namespace fv {
namespace {

// Tags of the kObject values this dialect makes; the handle of a storage / tensor indexes the layout's lists.
enum ObjectTag : std::uint32_t { kOpaque = 0, kStorage = 1, kTensor = 2 };

constexpr struct {
  const char* name;
  std::size_t bytes;
} kStorageTypes[] = {{"torch.FloatStorage", 4}, {"torch.DoubleStorage", 8}, {"torch.HalfStorage", 2},
                     {"torch.BFloat16Storage", 2}, {"torch.LongStorage", 8}, {"torch.IntStorage", 4},
                     {"torch.ShortStorage", 2}, {"torch.CharStorage", 1}, {"torch.ByteStorage", 1},
                     {"torch.BoolStorage", 1}};

bool storage_type_of(std::string_view global, StorageType* type) {
  for (std::size_t i = 0; i < std::size(kStorageTypes); ++i) {
    if (global == kStorageTypes[i].name) {
      *type = static_cast<StorageType>(i);
      return true;
    }
  }
  return false;
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

// The dialect: the opcodes that dicts, tuples, strings, numbers, globals, persistent ids (storages) and
// REDUCE/NEWOBJ/BUILD produce. collections.OrderedDict and builtins.dict make dicts, _rebuild_tensor_v2
// tensors, _rebuild_parameter(_with_state) pass their tensor through, and any other class becomes an opaque
// object named after it (refused wherever a tensor is expected). torch.*Storage names are only used inside
// persistent ids.
class StateDictDialect final : public PickleDialect {
 public:
  explicit StateDictDialect(const RecordSize& record_size) : record_size_(record_size) {}

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
    // they are refused if they end up where a tensor is expected.
    return v.add_object(name, kOpaque, -1);
  }

  // NEWOBJ: cls.__new__(cls, *args) -> an opaque object named after the class.
  PickleId new_object(UnpickleContext& context, PickleId cls, PickleId) override {
    PickleValues& v = context.values();
    return v.add_object(v.kind(cls) == PickleKind::kGlobal ? v.text(cls) : std::string_view(), kOpaque, -1);
  }

  // BUILD: the state (an OrderedDict's _metadata, a module's __dict__) is not needed.
  void build(UnpickleContext&, PickleId, PickleId) override {}

  // BINPERSID: ('storage', storage class, key, location, numel) -> a storage, its record checked.
  PickleId persistent_load(UnpickleContext& context, PickleId pid) override {
    PickleValues& v = context.values();
    const auto& p = v.items(pid);
    if (v.kind(pid) != PickleKind::kTuple || p.size() < 5 || v.kind(p[0]) != PickleKind::kStr ||
        v.text(p[0]) != "storage") {
      context.fail("unsupported persistent id (expected ('storage', type, key, location, numel))");
    }
    StorageType type{};
    if (v.kind(p[1]) != PickleKind::kGlobal || !storage_type_of(v.text(p[1]), &type)) {
      context.fail(fmt::format("unsupported storage type '{}'", v.text(p[1])));
    }
    if (v.kind(p[2]) != PickleKind::kStr) context.fail("storage key is not a string");
    const std::string record = fmt::format("data/{}", v.text(p[2]));
    const auto cached = storages_.find(record);
    if (cached != storages_.end()) return cached->second;

    const std::optional<std::uint64_t> bytes = record_size_(record);
    if (!bytes) context.fail(fmt::format("storage record '{}' is missing from the archive", record));
    const std::size_t element = storage_element_size(type);
    if (*bytes % element != 0) {
      context.fail(fmt::format("storage record '{}' has {} bytes, not a multiple of {}", record, *bytes, element));
    }
    if (*bytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      context.fail(fmt::format("storage record '{}' has {} bytes, more than 2^63 - 1", record, *bytes));
    }
    const auto numel = static_cast<std::int64_t>(*bytes / element);
    // Typed storages give numel in elements; torch >= 2 may give the byte count of an untyped storage.
    const std::int64_t declared = int_of(context, p[4], "storage numel");
    if (declared != numel && declared != static_cast<std::int64_t>(*bytes)) {
      context.fail(fmt::format("storage record '{}' holds {} elements but the pickle declares {}", record, numel, declared));
    }
    out_.storages.push_back({record, type, numel});
    const PickleId id = v.add_object("storage", kStorage, static_cast<std::int64_t>(out_.storages.size() - 1));
    storages_.emplace(record, id);
    return id;
  }

  static bool is_tensor(const PickleValues& v, PickleId id) {
    return v.kind(id) == PickleKind::kObject && v.tag(id) == kTensor;
  }

  StateDictLayout take() { return std::move(out_); }

 private:
  static std::int64_t int_of(UnpickleContext& context, PickleId id, const char* what) {
    const PickleValues& v = context.values();
    if (v.kind(id) != PickleKind::kInt) context.fail(fmt::format("{}: expected an int, got {}", what, describe(v, id)));
    return v.integer(id);
  }
  static std::vector<std::int64_t> ints_of(UnpickleContext& context, PickleId id, const char* what) {
    const PickleValues& v = context.values();
    if (v.kind(id) != PickleKind::kTuple && v.kind(id) != PickleKind::kList) {
      context.fail(fmt::format("{}: expected a tuple", what));
    }
    std::vector<std::int64_t> out;
    for (PickleId item : v.items(id)) out.push_back(int_of(context, item, what));
    return out;
  }

  // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata]).
  PickleId rebuild_tensor(UnpickleContext& context, const std::vector<PickleId>& args) {
    PickleValues& v = context.values();
    if (args.size() < 4 || v.kind(args[0]) != PickleKind::kObject || v.tag(args[0]) != kStorage) {
      context.fail("_rebuild_tensor_v2: unexpected arguments");
    }
    TensorLayout t;
    t.storage = static_cast<std::size_t>(v.integer(args[0]));
    t.offset = int_of(context, args[1], "storage_offset");
    t.size = ints_of(context, args[2], "size");
    t.stride = ints_of(context, args[3], "stride");
    if (t.size.size() != t.stride.size()) context.fail("_rebuild_tensor_v2: size and stride differ in length");
    if (t.offset < 0) context.fail(fmt::format("_rebuild_tensor_v2: negative storage offset {}", t.offset));
    // The product of the sizes (each at least 1, as LibTorch's contiguous strides multiply them) and the last
    // element viewed, offset + sum (size - 1) * stride, are checked for overflow: sizes and strides come from
    // the file.
    std::int64_t product = 1;
    bool overflow = false;
    for (std::size_t d = 0; d < t.size.size(); ++d) {
      if (t.size[d] < 0 || t.stride[d] < 0) context.fail("_rebuild_tensor_v2: negative size or stride");
      overflow = overflow || __builtin_mul_overflow(product, std::max<std::int64_t>(t.size[d], 1), &product);
    }
    if (overflow) {
      context.fail(fmt::format("_rebuild_tensor_v2: the dimensions of size {} multiply past 2^63 - 1",
                               fmt::join(t.size, "x")));
    }
    const bool empty = std::find(t.size.begin(), t.size.end(), 0) != t.size.end();
    t.numel = empty ? 0 : product;
    if (!empty) {
      std::int64_t last = t.offset;
      for (std::size_t d = 0; d < t.size.size(); ++d) {
        std::int64_t span = 0;
        overflow = overflow || __builtin_mul_overflow(t.size[d] - 1, t.stride[d], &span) ||
                   __builtin_add_overflow(last, span, &last);
      }
      const std::int64_t storage_numel = out_.storages.at(t.storage).numel;
      if (overflow || last >= storage_numel) {
        context.fail(fmt::format("tensor of size {} stride {} offset {} reaches past its storage of {} elements",
                                 fmt::join(t.size, "x"), fmt::join(t.stride, ","), t.offset, storage_numel));
      }
      // A view with more elements than its storage repeats elements (a stride-0, expanded tensor): the reader
      // makes every tensor contiguous, so a few bytes in the file could ask for terabytes. Models never save such
      // parameters.
      if (t.numel > storage_numel) {
        context.fail(fmt::format("tensor of size {} stride {} has {} elements, more than its storage of {}: an "
                                 "expanded (overlapping) view, refused",
                                 fmt::join(t.size, "x"), fmt::join(t.stride, ","), t.numel, storage_numel));
      }
    }
    out_.tensors.push_back(std::move(t));
    return v.add_object("tensor", kTensor, static_cast<std::int64_t>(out_.tensors.size() - 1));
  }

  const RecordSize& record_size_;
  StateDictLayout out_;
  std::unordered_map<std::string, PickleId> storages_;  // record -> its storage value
};

}  // namespace

std::size_t storage_element_size(StorageType type) { return kStorageTypes[static_cast<std::size_t>(type)].bytes; }

const char* storage_type_name(StorageType type) { return kStorageTypes[static_cast<std::size_t>(type)].name; }

StateDictLayout parse_state_dict_pickle(std::string_view bytes, const std::string& name, const RecordSize& record_size,
                                        const UnpickleLimits& limits) {
  StateDictDialect dialect(record_size);
  const Unpickled root = unpickle(bytes, name, dialect, limits);
  const PickleValues& v = root.values;
  if (v.kind(root.root) != PickleKind::kDict) {
    throw FormatError(
        fmt::format("{}: the file holds a {}, not a state dict; save model.state_dict()", name, describe(v, root.root)));
  }
  StateDictLayout out = dialect.take();
  const auto& items = v.items(root.root);
  out.entries.reserve(items.size() / 2);
  for (std::size_t k = 0; k < items.size(); k += 2) {
    const PickleId key = items[k];
    const PickleId value = items[k + 1];
    if (v.kind(key) != PickleKind::kStr) {
      throw FormatError(fmt::format("{}: a state dict key is a {}, not a str", name, describe(v, key)));
    }
    if (!StateDictDialect::is_tensor(v, value)) {
      throw FormatError(
          fmt::format("{}: state dict entry '{}' is a {}, not a tensor", name, v.text(key), describe(v, value)));
    }
    out.entries.push_back({std::string(v.text(key)), static_cast<std::size_t>(v.integer(value))});
  }
  return out;
}

}  // namespace fv
