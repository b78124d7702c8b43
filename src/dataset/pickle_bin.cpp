// Whitelisting pickle interpreter for insightface .bin verification sets, and their SampleSource.
#include "dataset/pickle_bin.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_map>

#include <fmt/format.h>

#include "core/error.h"

namespace fv {
namespace {

// Pickle opcodes (Python's Lib/pickletools.py).
enum Op : std::uint8_t {
  kMark = '(', kStop = '.', kBinInt = 'J', kBinInt1 = 'K', kBinInt2 = 'M', kBinString = 'T',
  kShortBinString = 'U', kBinUnicode = 'X', kAppend = 'a', kAppends = 'e', kList = 'l', kEmptyList = ']',
  kTuple = 't', kEmptyTuple = ')', kBinGet = 'h', kLongBinGet = 'j', kBinPut = 'q', kLongBinPut = 'r',
  kGlobal = 'c', kReduce = 'R', kBinBytes = 'B', kShortBinBytes = 'C', kProto = 0x80, kTuple1 = 0x85,
  kTuple2 = 0x86, kTuple3 = 0x87, kNewTrue = 0x88, kNewFalse = 0x89, kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d, kBinBytes8 = 0x8e, kMemoize = 0x94, kFrame = 0x95,
};

// Names of the opcodes, for error messages (those the reader refuses included).
const char* op_name(std::uint8_t op) {
  switch (op) {
    case '(': return "MARK"; case '.': return "STOP"; case '0': return "POP"; case '1': return "POP_MARK";
    case '2': return "DUP"; case 'F': return "FLOAT"; case 'I': return "INT"; case 'J': return "BININT";
    case 'K': return "BININT1"; case 'L': return "LONG"; case 'M': return "BININT2"; case 'N': return "NONE";
    case 'P': return "PERSID"; case 'Q': return "BINPERSID"; case 'R': return "REDUCE"; case 'S': return "STRING";
    case 'T': return "BINSTRING"; case 'U': return "SHORT_BINSTRING"; case 'V': return "UNICODE";
    case 'X': return "BINUNICODE"; case 'a': return "APPEND"; case 'b': return "BUILD"; case 'c': return "GLOBAL";
    case 'd': return "DICT"; case '}': return "EMPTY_DICT"; case 'e': return "APPENDS"; case 'g': return "GET";
    case 'h': return "BINGET"; case 'i': return "INST"; case 'j': return "LONG_BINGET"; case 'l': return "LIST";
    case ']': return "EMPTY_LIST"; case 'o': return "OBJ"; case 'p': return "PUT"; case 'q': return "BINPUT";
    case 'r': return "LONG_BINPUT"; case 's': return "SETITEM"; case 't': return "TUPLE"; case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS"; case 'G': return "BINFLOAT"; case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES"; case 0x80: return "PROTO"; case 0x81: return "NEWOBJ"; case 0x82: return "EXT1";
    case 0x83: return "EXT2"; case 0x84: return "EXT4"; case 0x85: return "TUPLE1"; case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3"; case 0x88: return "NEWTRUE"; case 0x89: return "NEWFALSE"; case 0x8a: return "LONG1";
    case 0x8b: return "LONG4"; case 0x8c: return "SHORT_BINUNICODE"; case 0x8d: return "BINUNICODE8";
    case 0x8e: return "BINBYTES8"; case 0x8f: return "EMPTY_SET"; case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET"; case 0x92: return "NEWOBJ_EX"; case 0x93: return "STACK_GLOBAL";
    case 0x94: return "MEMOIZE"; case 0x95: return "FRAME"; case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER"; case 0x98: return "READONLY_BUFFER";
    default: return "unknown";
  }
}

struct Value {
  enum class Kind { kMark, kBytes, kText, kBool, kInt, kList, kTuple, kCodecsEncode, kBytesType };
  Value(Kind k = Kind::kMark, std::string_view d = {}, std::int64_t n = 0) : kind(k), data(d), number(n) {}
  Kind kind;
  std::string_view data;                       // kBytes, kText (UTF-8)
  std::int64_t number = 0;                     // kBool, kInt
  std::shared_ptr<std::vector<Value>> items;   // kList (shared: the memo and the stack see one list), kTuple
};

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::kMark: return "mark";
    case Value::Kind::kBytes: return "bytes";
    case Value::Kind::kText: return "str";
    case Value::Kind::kBool: return "bool";
    case Value::Kind::kInt: return "int";
    case Value::Kind::kList: return "list";
    case Value::Kind::kTuple: return "tuple";
    case Value::Kind::kCodecsEncode: return "_codecs.encode";
    case Value::Kind::kBytesType: return "bytes type";
  }
  return "?";
}

class Parser {
 public:
  Parser(std::string_view bytes, const std::string& name) : in_(bytes), name_(name) {}

  BinSet run(std::shared_ptr<const void> storage) {
    auto owned = std::make_shared<std::deque<std::string>>();
    owned_ = owned.get();
    bool stopped = false;
    while (!stopped) {
      op_at_ = pos_;
      check_not_at_end();
      op_ = static_cast<std::uint8_t>(in_[pos_++]);
      switch (op_) {
        case kProto: {
          const std::uint8_t v = u8();
          if (v < 2 || v > 5) fail(fmt::format("pickle protocol {} is not supported (2 to 5)", v));
          break;
        }
        case kFrame: u64(); break;  // frame length: the data follow inline
        case kStop: stopped = true; break;
        case kMark: push({Value::Kind::kMark}); break;
        case kEmptyList: push(list_value(Value::Kind::kList, {})); break;
        case kEmptyTuple: push(list_value(Value::Kind::kTuple, {})); break;
        case kList: push(list_value(Value::Kind::kList, pop_to_mark())); break;
        case kTuple: push(list_value(Value::Kind::kTuple, pop_to_mark())); break;
        case kTuple1: case kTuple2: case kTuple3: {
          const std::size_t n = op_ - kTuple1 + 1;
          need_stack(n);
          std::vector<Value> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          for (const auto& v : items) no_mark(v);
          push(list_value(Value::Kind::kTuple, std::move(items)));
          break;
        }
        case kAppend: {
          need_stack(2);
          Value v = stack_.back();
          stack_.pop_back();
          no_mark(v);
          list_on_top().push_back(std::move(v));
          break;
        }
        case kAppends: {
          auto items = pop_to_mark();
          auto& list = list_on_top();
          list.insert(list.end(), items.begin(), items.end());
          break;
        }
        case kNewTrue: push({Value::Kind::kBool, {}, 1}); break;
        case kNewFalse: push({Value::Kind::kBool, {}, 0}); break;
        case kBinInt1: push({Value::Kind::kInt, {}, u8()}); break;
        case kBinInt2: push({Value::Kind::kInt, {}, static_cast<std::int64_t>(le(2))}); break;
        case kBinInt: push({Value::Kind::kInt, {}, static_cast<std::int32_t>(le(4))}); break;
        case kShortBinBytes: case kShortBinString: push({Value::Kind::kBytes, take(u8())}); break;
        case kBinBytes: push({Value::Kind::kBytes, take(le(4))}); break;
        case kBinString: {
          const auto n = static_cast<std::int32_t>(le(4));
          if (n < 0) fail(fmt::format("negative string length {}", n));
          push({Value::Kind::kBytes, take(static_cast<std::uint64_t>(n))});
          break;
        }
        case kBinBytes8: push({Value::Kind::kBytes, take(u64())}); break;
        case kShortBinUnicode: push({Value::Kind::kText, take(u8())}); break;
        case kBinUnicode: push({Value::Kind::kText, take(le(4))}); break;
        case kBinUnicode8: push({Value::Kind::kText, take(u64())}); break;
        case kMemoize: need_stack(1); memo_[memo_.size()] = stack_.back(); break;
        case kBinPut: need_stack(1); memo_[u8()] = stack_.back(); break;
        case kLongBinPut: need_stack(1); memo_[le(4)] = stack_.back(); break;
        case kBinGet: push(memo(u8())); break;
        case kLongBinGet: push(memo(le(4))); break;
        case kGlobal: global(); break;
        case kReduce: reduce(); break;
        default:
          fail(fmt::format("opcode 0x{:02x} ({}) is not allowed in a .bin verification set; the reader accepts only "
                           "the opcodes of (list of bytes, list of bools) and never runs pickle code",
                           op_, op_name(op_)));
      }
    }
    check_one_result();
    BinSet out = to_bin_set(stack_.back());
    if (pos_ != in_.size()) {
      throw FormatError(fmt::format("'{}': {} bytes of trailing data after STOP at byte offset {}", name_,
                                    in_.size() - pos_, op_at_));
    }
    struct Both {
      std::shared_ptr<const void> file;
      std::shared_ptr<std::deque<std::string>> owned;
    };
    out.storage = std::make_shared<Both>(Both{std::move(storage), std::move(owned)});
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(fmt::format("'{}': byte offset {}, opcode 0x{:02x} ({}): {}", name_, op_at_, op_, op_name(op_), what));
  }
  void check_not_at_end() const {
    if (pos_ >= in_.size()) {
      throw FormatError(fmt::format("'{}': truncated pickle: no STOP opcode before the end of the file (byte offset {})",
                                    name_, pos_));
    }
  }
  void check_one_result() {
    if (stack_.size() != 1) fail(fmt::format("expected one object on the stack at STOP, found {}", stack_.size()));
  }
  std::string_view take(std::uint64_t n) {
    if (n > in_.size() - pos_) {
      fail(fmt::format("truncated: needs {} bytes of data but the file ends {} bytes later", n, in_.size() - pos_));
    }
    std::string_view v = in_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::uint64_t le(int n) {
    const std::string_view b = take(static_cast<std::uint64_t>(n));
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(b[i]);
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(le(1)); }
  std::uint64_t u64() { return le(8); }
  std::string_view line() {
    const auto end = in_.find('\n', pos_);
    if (end == std::string_view::npos) fail("truncated: no end of line");
    std::string_view v = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return v;
  }

  static Value list_value(Value::Kind kind, std::vector<Value> items) {
    Value v{kind};
    v.items = std::make_shared<std::vector<Value>>(std::move(items));
    return v;
  }
  void push(Value v) { stack_.push_back(std::move(v)); }
  void need_stack(std::size_t n) {
    if (stack_.size() < n) fail(fmt::format("needs {} objects on the stack, found {}", n, stack_.size()));
  }
  void no_mark(const Value& v) {
    if (v.kind == Value::Kind::kMark) fail("unexpected MARK");
  }
  std::vector<Value> pop_to_mark() {
    std::size_t k = stack_.size();
    while (k > 0 && stack_[k - 1].kind != Value::Kind::kMark) --k;
    if (k == 0) fail("no MARK on the stack");
    std::vector<Value> items(stack_.begin() + static_cast<std::ptrdiff_t>(k), stack_.end());
    stack_.resize(k - 1);
    return items;
  }
  std::vector<Value>& list_on_top() {
    need_stack(1);
    if (stack_.back().kind != Value::Kind::kList) fail(fmt::format("appends to a {}, not a list", kind_name(stack_.back().kind)));
    return *stack_.back().items;
  }
  Value memo(std::uint64_t key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail(fmt::format("memo key {} was never stored", key));
    return it->second;
  }

  // GLOBAL: only the two names Python 3 uses for bytes at protocol 2.
  void global() {
    const std::string module(line()), name(line());
    if (module == "_codecs" && name == "encode") {
      push({Value::Kind::kCodecsEncode});
    } else if ((module == "__builtin__" || module == "builtins") && name == "bytes") {
      push({Value::Kind::kBytesType});
    } else {
      fail(fmt::format("GLOBAL '{}.{}' is not allowed (only _codecs.encode and bytes, which Python 3 uses for bytes "
                       "at protocol 2); the reader never runs pickle code",
                       module, name));
    }
  }

  // REDUCE: _codecs.encode(<str>, 'latin1') -> bytes, bytes() -> b''. Anything else is refused.
  void reduce() {
    need_stack(2);
    const Value args = stack_.back();
    const Value callable = stack_[stack_.size() - 2];
    stack_.resize(stack_.size() - 2);
    if (args.kind != Value::Kind::kTuple) fail("REDUCE arguments are not a tuple");
    const auto& a = *args.items;
    if (callable.kind == Value::Kind::kBytesType && a.empty()) {
      push({Value::Kind::kBytes, std::string_view()});
      return;
    }
    if (callable.kind != Value::Kind::kCodecsEncode || a.size() != 2 || a[0].kind != Value::Kind::kText ||
        a[1].kind != Value::Kind::kText || (a[1].data != "latin1" && a[1].data != "latin-1")) {
      fail(fmt::format("REDUCE is only allowed as _codecs.encode(str, 'latin1') or bytes(), got a call of {} with {} "
                       "arguments",
                       kind_name(callable.kind), a.size()));
    }
    // UTF-8 -> latin1: every code point must be below 256.
    std::string out;
    out.reserve(a[0].data.size());
    const std::string_view s = a[0].data;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<std::uint8_t>(s[i]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else if ((c & 0xe0) == 0xc0 && i + 1 < s.size() && (static_cast<std::uint8_t>(s[i + 1]) & 0xc0) == 0x80) {
        const unsigned cp = ((c & 0x1fu) << 6) | (static_cast<std::uint8_t>(s[i + 1]) & 0x3fu);
        if (cp > 0xff) fail(fmt::format("latin1 string holds code point U+{:04X}", cp));
        out.push_back(static_cast<char>(cp));
        ++i;
      } else {
        fail("latin1 string is not valid UTF-8 below U+0100");
      }
    }
    owned_->push_back(std::move(out));
    push({Value::Kind::kBytes, owned_->back()});
  }

  BinSet to_bin_set(const Value& top) {
    if ((top.kind != Value::Kind::kTuple && top.kind != Value::Kind::kList) || top.items->size() != 2) {
      fail(fmt::format("the pickled object is a {}, not the pair (bins, issame_list)", kind_name(top.kind)));
    }
    const Value& bins = (*top.items)[0];
    const Value& flags = (*top.items)[1];
    if (bins.kind != Value::Kind::kList && bins.kind != Value::Kind::kTuple) fail("bins is not a list");
    if (flags.kind != Value::Kind::kList && flags.kind != Value::Kind::kTuple) fail("issame_list is not a list");
    BinSet out;
    out.images.reserve(bins.items->size());
    for (std::size_t i = 0; i < bins.items->size(); ++i) {
      const Value& v = (*bins.items)[i];
      if (v.kind != Value::Kind::kBytes) fail(fmt::format("bins[{}] is a {}, not bytes", i, kind_name(v.kind)));
      out.images.push_back(v.data);
    }
    for (std::size_t i = 0; i < flags.items->size(); ++i) {
      const Value& v = (*flags.items)[i];
      if ((v.kind != Value::Kind::kBool && v.kind != Value::Kind::kInt) || v.number < 0 || v.number > 1) {
        fail(fmt::format("issame_list[{}] is a {}, not a bool", i, kind_name(v.kind)));
      }
      out.pair_flags.push_back(static_cast<std::int8_t>(v.number));
    }
    if (out.images.size() != 2 * out.pair_flags.size()) {
      fail(fmt::format("{} images for {} pair flags (expected 2 images per pair)", out.images.size(),
                       out.pair_flags.size()));
    }
    return out;
  }

  std::string_view in_;
  const std::string& name_;
  std::size_t pos_ = 0;
  std::size_t op_at_ = 0;
  std::uint8_t op_ = 0;
  std::vector<Value> stack_;
  std::unordered_map<std::uint64_t, Value> memo_;
  std::deque<std::string>* owned_ = nullptr;
};

// A read-only memory mapping of a whole file.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      throw IoError(fmt::format("cannot stat '{}': {}", path.string(), std::strerror(err)));
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        throw IoError(fmt::format("cannot map '{}': {}", path.string(), std::strerror(err)));
      }
      data_ = static_cast<const char*>(p);
      ::madvise(p, size_, MADV_SEQUENTIAL);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view view() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

class BinSource : public SampleSource {
 public:
  BinSource(BinSet set, std::string name) : set_(std::move(set)), name_(std::move(name)) {}
  std::size_t size() const override { return set_.images.size(); }
  RgbImage image(std::size_t i) const override {
    const std::string_view b = set_.images.at(i);
    return decode_image(reinterpret_cast<const std::uint8_t*>(b.data()), b.size(), fmt::format("'{}' image {}", name_, i));
  }
  std::int64_t label(std::size_t) const override { return -1; }
  std::string id(std::size_t i) const override { return std::to_string(i); }
  std::int64_t num_classes() const override { return 0; }

 private:
  BinSet set_;
  std::string name_;
};

}  // namespace

BinSet parse_bin_set(std::string_view bytes, const std::string& name, std::shared_ptr<const void> storage) {
  return Parser(bytes, name).run(std::move(storage));
}

BinSet read_bin_set(const std::filesystem::path& path) {
  auto file = std::make_shared<MappedFile>(path);
  const std::string_view bytes = file->view();
  return parse_bin_set(bytes, path.string(), std::move(file));
}

std::unique_ptr<SampleSource> open_bin_set(const std::filesystem::path& path, std::vector<std::int8_t>* pair_flags) {
  BinSet set = read_bin_set(path);
  if (set.images.empty()) throw DataError(fmt::format("'{}' holds no image pair", path.string()));
  if (pair_flags) *pair_flags = set.pair_flags;
  return std::make_unique<BinSource>(std::move(set), path.string());
}

}  // namespace fv
