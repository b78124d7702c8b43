// A minimal unpickler for PyTorch state dict files (zip container + pickle), see torch_state_dict_file.h.
#include "import/torch_state_dict_file.h"

#include <caffe2/serialize/inline_container.h>
#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include "core/error.h"

namespace fv {
namespace {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

// A Python object as far as state dicts need: scalars, strings, containers, globals (by name), storages
// and tensors; anything else built by REDUCE/NEWOBJ becomes an opaque kObject named after its class.
struct Value {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kBytes, kTuple, kList, kDict, kGlobal, kStorage, kTensor, kObject };
  Kind kind = Kind::kNone;
  int64_t i = 0;
  double f = 0.0;
  std::string s;  // string, bytes, global "module.name", object class name
  std::vector<ValuePtr> items;
  std::vector<std::pair<ValuePtr, ValuePtr>> dict;
  torch::Tensor tensor;  // kStorage: the whole storage as a 1-D tensor; kTensor: the tensor
};

ValuePtr make(Value::Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

ValuePtr make_int(int64_t i) {
  auto v = make(Value::Kind::kInt);
  v->i = i;
  return v;
}

ValuePtr make_string(Value::Kind kind, std::string s) {
  auto v = make(kind);
  v->s = std::move(s);
  return v;
}

const char* kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNone: return "None";
    case Value::Kind::kBool: return "bool";
    case Value::Kind::kInt: return "int";
    case Value::Kind::kFloat: return "float";
    case Value::Kind::kString: return "str";
    case Value::Kind::kBytes: return "bytes";
    case Value::Kind::kTuple: return "tuple";
    case Value::Kind::kList: return "list";
    case Value::Kind::kDict: return "dict";
    case Value::Kind::kGlobal: return "global";
    case Value::Kind::kStorage: return "storage";
    case Value::Kind::kTensor: return "tensor";
    case Value::Kind::kObject: return "object";
  }
  return "?";
}

// torch.<Name>Storage -> dtype.
bool storage_dtype(const std::string& global, torch::Dtype* dtype) {
  static const std::map<std::string, torch::Dtype> kTypes = {
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

class Unpickler {
 public:
  Unpickler(std::string file, const char* data, size_t size, caffe2::serialize::PyTorchStreamReader& reader)
      : file_(std::move(file)), data_(data), size_(size), reader_(reader) {}

  ValuePtr run() {
    while (true) {
      op_offset_ = pos_;
      const uint8_t op = read_u8();
      if (op == '.') break;  // STOP
      step(op);
    }
    if (stack_.size() != 1) fail("the pickle does not end with exactly one object on the stack");
    return stack_.back();
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(fmt::format("{}: data.pkl offset {}: {}", file_, op_offset_, what));
  }

  const char* take(size_t n) {
    if (n > size_ - pos_) fail(fmt::format("truncated pickle (wanted {} more bytes, {} left)", n, size_ - pos_));
    const char* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  uint8_t read_u8() { return static_cast<uint8_t>(*take(1)); }
  uint64_t read_le(size_t n) {
    const auto* p = reinterpret_cast<const uint8_t*>(take(n));
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(p[k]) << (8 * k);
    return v;
  }
  std::string read_bytes(size_t n) { return std::string(take(n), n); }
  std::string read_line() {
    std::string line;
    while (true) {
      const char c = static_cast<char>(read_u8());
      if (c == '\n') return line;
      line += c;
    }
  }

  ValuePtr pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("pop from an empty stack");
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  ValuePtr& top() {
    if (stack_.empty()) fail("empty stack");
    return stack_.back();
  }
  // Pops everything above the last MARK (and the mark).
  std::vector<ValuePtr> pop_to_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  ValuePtr tuple(std::vector<ValuePtr> items) {
    auto v = make(Value::Kind::kTuple);
    v->items = std::move(items);
    return v;
  }
  void set_items(Value& dict, const std::vector<ValuePtr>& items) {
    if (dict.kind != Value::Kind::kDict) fail(fmt::format("SETITEM(S) on a {}", kind_name(dict.kind)));
    if (items.size() % 2 != 0) fail("SETITEMS with an odd number of items");
    for (size_t k = 0; k < items.size(); k += 2) dict.dict.emplace_back(items[k], items[k + 1]);
  }
  void memo_put(uint64_t index) { memo_[index] = top(); }
  ValuePtr memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail(fmt::format("memo index {} used before it was set", index));
    return it->second;
  }
  int64_t int_of(const ValuePtr& v, const char* what) {
    if (v->kind != Value::Kind::kInt) fail(fmt::format("{}: expected an int, got {}", what, kind_name(v->kind)));
    return v->i;
  }
  std::vector<int64_t> ints_of(const ValuePtr& v, const char* what) {
    if (v->kind != Value::Kind::kTuple && v->kind != Value::Kind::kList) fail(fmt::format("{}: expected a tuple", what));
    std::vector<int64_t> out;
    for (const auto& item : v->items) out.push_back(int_of(item, what));
    return out;
  }

  // BINPERSID: ('storage', storage class, key, location, numel) -> the storage's bytes as a 1-D tensor.
  ValuePtr persistent_load(const ValuePtr& pid) {
    if (pid->kind != Value::Kind::kTuple || pid->items.size() < 5 || pid->items[0]->kind != Value::Kind::kString ||
        pid->items[0]->s != "storage") {
      fail("unsupported persistent id (expected ('storage', type, key, location, numel))");
    }
    const auto& type = pid->items[1];
    const auto& key = pid->items[2];
    torch::Dtype dtype{};
    if (type->kind != Value::Kind::kGlobal || !storage_dtype(type->s, &dtype)) {
      fail(fmt::format("unsupported storage type '{}'", type->s));
    }
    if (key->kind != Value::Kind::kString) fail("storage key is not a string");
    auto cached = storages_.find(key->s);
    if (cached != storages_.end()) return cached->second;

    const std::string record = "data/" + key->s;
    if (!reader_.hasRecord(record)) fail(fmt::format("storage record '{}' is missing from the archive", record));
    auto [ptr, bytes] = reader_.getRecord(record);
    const auto element = static_cast<size_t>(torch::elementSize(dtype));
    if (bytes % element != 0) fail(fmt::format("storage record '{}' has {} bytes, not a multiple of {}", record, bytes, element));
    const auto numel = static_cast<int64_t>(bytes / element);
    // Typed storages give numel in elements; torch >= 2 may give the byte count of an untyped storage.
    const int64_t declared = int_of(pid->items[4], "storage numel");
    if (declared != numel && declared != static_cast<int64_t>(bytes)) {
      fail(fmt::format("storage record '{}' holds {} elements but the pickle declares {}", record, numel, declared));
    }
    auto storage = make(Value::Kind::kStorage);
    storage->tensor = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    if (bytes) std::memcpy(storage->tensor.data_ptr(), ptr.get(), bytes);
    storages_.emplace(key->s, storage);
    return storage;
  }

  // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata]).
  ValuePtr rebuild_tensor(const std::vector<ValuePtr>& args) {
    if (args.size() < 4 || args[0]->kind != Value::Kind::kStorage) fail("_rebuild_tensor_v2: unexpected arguments");
    const torch::Tensor& storage = args[0]->tensor;
    const int64_t offset = int_of(args[1], "storage_offset");
    const auto size = ints_of(args[2], "size");
    const auto stride = ints_of(args[3], "stride");
    if (size.size() != stride.size()) fail("_rebuild_tensor_v2: size and stride differ in length");
    int64_t last = offset;
    bool empty = false;
    for (size_t d = 0; d < size.size(); ++d) {
      if (size[d] < 0 || stride[d] < 0) fail("_rebuild_tensor_v2: negative size or stride");
      if (size[d] == 0) empty = true;
      else last += (size[d] - 1) * stride[d];
    }
    if (offset < 0 || (!empty && last >= storage.numel())) {
      fail(fmt::format("tensor of size {} stride {} offset {} reaches past its storage of {} elements",
                       fmt::join(size, "x"), fmt::join(stride, ","), offset, storage.numel()));
    }
    auto v = make(Value::Kind::kTensor);
    v->tensor = empty ? torch::empty(size, storage.options()) : storage.as_strided(size, stride, offset).contiguous();
    return v;
  }

  ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args) {
    if (callable->kind != Value::Kind::kGlobal) fail(fmt::format("REDUCE on a {}", kind_name(callable->kind)));
    const std::string& name = callable->s;
    if (args->kind != Value::Kind::kTuple) fail(fmt::format("REDUCE of {} with non-tuple arguments", name));
    if (name == "collections.OrderedDict" || name == "builtins.dict") {
      auto dict = make(Value::Kind::kDict);
      if (!args->items.empty() && args->items[0]->kind == Value::Kind::kList) {
        for (const auto& pair : args->items[0]->items) {
          if (pair->kind != Value::Kind::kTuple || pair->items.size() != 2) fail("OrderedDict from a list of non-pairs");
          dict->dict.emplace_back(pair->items[0], pair->items[1]);
        }
      }
      return dict;
    }
    if (name == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(args->items);
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      if (args->items.empty() || args->items[0]->kind != Value::Kind::kTensor) fail(name + ": expected a tensor");
      return args->items[0];
    }
    if (name == "torch.device" || name == "builtins.set" || name == "builtins.frozenset") {
      return make_string(Value::Kind::kObject, name);
    }
    // Unknown classes (a whole pickled nn.Module, optimizer state...) stay opaque; the caller refuses them
    // if they end up where a tensor is expected.
    return make_string(Value::Kind::kObject, name);
  }

  void step(uint8_t op) {
    switch (op) {
      case 0x80: read_u8(); return;                // PROTO
      case 0x95: read_le(8); return;               // FRAME
      case '(': marks_.push_back(stack_.size()); return;  // MARK
      case 'N': stack_.push_back(make(Value::Kind::kNone)); return;
      case 0x88:
      case 0x89: {                                  // NEWTRUE / NEWFALSE
        auto v = make(Value::Kind::kBool);
        v->i = op == 0x88;
        stack_.push_back(v);
        return;
      }
      case 'K': stack_.push_back(make_int(read_u8())); return;                                // BININT1
      case 'M': stack_.push_back(make_int(static_cast<int64_t>(read_le(2)))); return;         // BININT2
      case 'J': stack_.push_back(make_int(static_cast<int32_t>(read_le(4)))); return;         // BININT
      case 0x8a:
      case 0x8b: {                                  // LONG1 / LONG4: little-endian two's complement
        const uint64_t n = op == 0x8a ? read_u8() : read_le(4);
        if (n > 8) fail(fmt::format("integer of {} bytes", n));
        uint64_t v = n ? read_le(n) : 0;
        if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);
        stack_.push_back(make_int(static_cast<int64_t>(v)));
        return;
      }
      case 'G': {                                   // BINFLOAT: big-endian double
        const auto* p = reinterpret_cast<const uint8_t*>(take(8));
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | p[k];
        auto v = make(Value::Kind::kFloat);
        std::memcpy(&v->f, &bits, 8);
        stack_.push_back(v);
        return;
      }
      case 'X': stack_.push_back(make_string(Value::Kind::kString, read_bytes(read_le(4)))); return;  // BINUNICODE
      case 0x8c: stack_.push_back(make_string(Value::Kind::kString, read_bytes(read_u8()))); return;  // SHORT_BINUNICODE
      case 0x8d: stack_.push_back(make_string(Value::Kind::kString, read_bytes(read_le(8)))); return; // BINUNICODE8
      case 'U': stack_.push_back(make_string(Value::Kind::kString, read_bytes(read_u8()))); return;   // SHORT_BINSTRING
      case 'T': stack_.push_back(make_string(Value::Kind::kString, read_bytes(read_le(4)))); return;  // BINSTRING
      case 'C': stack_.push_back(make_string(Value::Kind::kBytes, read_bytes(read_u8()))); return;    // SHORT_BINBYTES
      case 'B': stack_.push_back(make_string(Value::Kind::kBytes, read_bytes(read_le(4)))); return;   // BINBYTES
      case 'c': {                                   // GLOBAL module\nname\n
        std::string module = read_line();
        std::string name = read_line();
        stack_.push_back(make_string(Value::Kind::kGlobal, module + "." + name));
        return;
      }
      case 0x93: {                                  // STACK_GLOBAL
        auto name = pop();
        auto module = pop();
        if (name->kind != Value::Kind::kString || module->kind != Value::Kind::kString) fail("STACK_GLOBAL of non-strings");
        stack_.push_back(make_string(Value::Kind::kGlobal, module->s + "." + name->s));
        return;
      }
      case ')': stack_.push_back(make(Value::Kind::kTuple)); return;  // EMPTY_TUPLE
      case 0x85:
      case 0x86:
      case 0x87: {                                  // TUPLE1..3
        const size_t n = op - 0x84u;
        std::vector<ValuePtr> items(n);
        for (size_t k = n; k-- > 0;) items[k] = pop();
        stack_.push_back(tuple(std::move(items)));
        return;
      }
      case 't': stack_.push_back(tuple(pop_to_mark())); return;  // TUPLE
      case ']': stack_.push_back(make(Value::Kind::kList)); return;  // EMPTY_LIST
      case 'l': {                                   // LIST
        auto v = make(Value::Kind::kList);
        v->items = pop_to_mark();
        stack_.push_back(v);
        return;
      }
      case '}': stack_.push_back(make(Value::Kind::kDict)); return;  // EMPTY_DICT
      case 'd': {                                   // DICT
        auto v = make(Value::Kind::kDict);
        set_items(*v, pop_to_mark());
        stack_.push_back(v);
        return;
      }
      case 'a': {                                   // APPEND
        auto item = pop();
        if (top()->kind != Value::Kind::kList) fail("APPEND to a non-list");
        top()->items.push_back(item);
        return;
      }
      case 'e': {                                   // APPENDS
        auto items = pop_to_mark();
        if (top()->kind != Value::Kind::kList) fail("APPENDS to a non-list");
        top()->items.insert(top()->items.end(), items.begin(), items.end());
        return;
      }
      case 's': {                                   // SETITEM
        auto value = pop();
        auto key = pop();
        set_items(*top(), {key, value});
        return;
      }
      case 'u': {                                   // SETITEMS
        auto items = pop_to_mark();
        set_items(*top(), items);
        return;
      }
      case 0x8f: stack_.push_back(make_string(Value::Kind::kObject, "builtins.set")); return;  // EMPTY_SET
      case 0x90: pop_to_mark(); return;             // ADDITEMS (sets are not needed: dropped)
      case 0x91: pop_to_mark(); stack_.push_back(make_string(Value::Kind::kObject, "builtins.frozenset")); return;
      case 'q': memo_put(read_u8()); return;        // BINPUT
      case 'r': memo_put(read_le(4)); return;       // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); return;    // MEMOIZE
      case 'h': stack_.push_back(memo_get(read_u8())); return;   // BINGET
      case 'j': stack_.push_back(memo_get(read_le(4))); return;  // LONG_BINGET
      case 'Q': {                                   // BINPERSID
        auto pid = pop();
        stack_.push_back(persistent_load(pid));
        return;
      }
      case 'R': {                                   // REDUCE
        auto args = pop();
        auto callable = pop();
        stack_.push_back(reduce(callable, args));
        return;
      }
      case 0x81: {                                  // NEWOBJ: cls.__new__(cls, *args)
        pop();
        auto cls = pop();
        stack_.push_back(make_string(Value::Kind::kObject, cls->s));
        return;
      }
      case 'b': pop(); return;                      // BUILD: the state (OrderedDict._metadata) is not needed
      case '0': pop(); return;                      // POP
      case '1': pop_to_mark(); return;              // POP_MARK
      case '2': stack_.push_back(top()); return;    // DUP
      default:
        fail(fmt::format("unsupported pickle opcode 0x{:02x}", op));
    }
  }

  std::string file_;
  const char* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t op_offset_ = 0;
  caffe2::serialize::PyTorchStreamReader& reader_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ValuePtr> memo_;
  std::unordered_map<std::string, ValuePtr> storages_;
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

std::vector<StateDictEntry> read_torch_state_dict(const std::filesystem::path& path) {
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
  ValuePtr root;
  try {
    root = Unpickler(file, static_cast<const char*>(pickle.get()), pickle_bytes, *reader).run();
  } catch (const c10::Error& e) {
    throw FormatError(fmt::format("{}: {}", file, e.what_without_backtrace()));
  }
  if (root->kind != Value::Kind::kDict) {
    throw FormatError(fmt::format("{}: the file holds a {} ({}), not a state dict; save model.state_dict()", file,
                                  kind_name(root->kind), root->s));
  }
  std::vector<StateDictEntry> entries;
  entries.reserve(root->dict.size());
  for (const auto& [key, value] : root->dict) {
    if (key->kind != Value::Kind::kString) throw FormatError(fmt::format("{}: a state dict key is a {}, not a str", file, kind_name(key->kind)));
    if (value->kind != Value::Kind::kTensor) {
      throw FormatError(fmt::format("{}: state dict entry '{}' is a {}{}, not a tensor", file, key->s, kind_name(value->kind),
                                    value->s.empty() ? "" : " (" + value->s + ")"));
    }
    entries.push_back({key->s, value->tensor});
  }
  return entries;
}

}  // namespace fv
