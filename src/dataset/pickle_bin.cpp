// insightface .bin verification sets: their pickle dialect on the shared unpickler, and their SampleSource.
#include "dataset/pickle_bin.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include <fmt/format.h>

#include "core/error.h"

namespace fv {
namespace {

// Names the .bin dialect gives the only two callables it knows (static: values point at them).
constexpr std::string_view kCodecsEncode = "_codecs.encode";
constexpr std::string_view kBytesType = "builtins.bytes";

// The .bin format: (list of bytes, list of bools) and the two ways Python 3 writes bytes at protocol 2.
class BinDialect final : public PickleDialect {
 public:
  const PickleOpSet& opcodes() const override {
    using Op = PickleOp;
    static const PickleOpSet kOps = {
        Op::kProto, Op::kFrame, Op::kStop, Op::kMark, Op::kEmptyList, Op::kList, Op::kAppend, Op::kAppends,
        Op::kEmptyTuple, Op::kTuple, Op::kTuple1, Op::kTuple2, Op::kTuple3, Op::kNewTrue, Op::kNewFalse,
        Op::kBinInt, Op::kBinInt1, Op::kBinInt2, Op::kBinBytes, Op::kShortBinBytes, Op::kBinBytes8,
        Op::kBinString, Op::kShortBinString, Op::kBinUnicode, Op::kShortBinUnicode, Op::kBinUnicode8,
        Op::kMemoize, Op::kBinPut, Op::kLongBinPut, Op::kBinGet, Op::kLongBinGet, Op::kGlobal, Op::kReduce};
    return kOps;
  }
  std::string_view refusal() const override {
    return "a .bin verification set holds only (list of bytes, list of bools), and the reader never runs pickle "
           "code";
  }
  PickleKind python2_str_kind() const override { return PickleKind::kBytes; }  // Python 2 str: the image bytes

  // GLOBAL: only the two names Python 3 uses for bytes at protocol 2.
  PickleId global(UnpickleContext& context, std::string_view module, std::string_view name) override {
    if (module == "_codecs" && name == "encode") return context.values().add_text(PickleKind::kGlobal, kCodecsEncode);
    if ((module == "__builtin__" || module == "builtins") && name == "bytes") {
      return context.values().add_text(PickleKind::kGlobal, kBytesType);
    }
    context.fail(fmt::format("GLOBAL '{}.{}' is not allowed (only _codecs.encode and bytes, which Python 3 uses for "
                             "bytes at protocol 2); the reader never runs pickle code",
                             module, name));
  }

  // REDUCE: _codecs.encode(<str>, 'latin1') -> bytes, bytes() -> b''. Anything else is refused.
  PickleId reduce(UnpickleContext& context, PickleId callable, PickleId args) override {
    PickleValues& v = context.values();
    if (v.kind(args) != PickleKind::kTuple) context.fail("REDUCE arguments are not a tuple");
    const auto& a = v.items(args);
    const bool global = v.kind(callable) == PickleKind::kGlobal;
    if (global && v.text(callable) == kBytesType && a.empty()) return v.add_text(PickleKind::kBytes, {});
    if (!global || v.text(callable) != kCodecsEncode || a.size() != 2 || v.kind(a[0]) != PickleKind::kStr ||
        v.kind(a[1]) != PickleKind::kStr || (v.text(a[1]) != "latin1" && v.text(a[1]) != "latin-1")) {
      context.fail(fmt::format("REDUCE is only allowed as _codecs.encode(str, 'latin1') or bytes(), got a call of {} "
                               "with {} arguments",
                               global ? v.text(callable) : pickle_kind_name(v.kind(callable)), a.size()));
    }
    // UTF-8 -> latin1: every code point must be below 256.
    std::string out;
    const std::string_view s = v.text(a[0]);
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<std::uint8_t>(s[i]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else if ((c & 0xe0) == 0xc0 && i + 1 < s.size() && (static_cast<std::uint8_t>(s[i + 1]) & 0xc0) == 0x80) {
        const unsigned cp = ((c & 0x1fu) << 6) | (static_cast<std::uint8_t>(s[i + 1]) & 0x3fu);
        if (cp > 0xff) context.fail(fmt::format("latin1 string holds code point U+{:04X}", cp));
        out.push_back(static_cast<char>(cp));
        ++i;
      } else {
        context.fail("latin1 string is not valid UTF-8 below U+0100");
      }
    }
    // Kept outside the arena: the BinSet's image views outlive the parse.
    owned_->push_back(std::move(out));
    return v.add_text(PickleKind::kBytes, owned_->back());
  }

  std::shared_ptr<std::deque<std::string>> owned() const { return owned_; }

 private:
  std::shared_ptr<std::deque<std::string>> owned_ = std::make_shared<std::deque<std::string>>();
};

bool is_sequence(const PickleValues& v, PickleId id) {
  return v.kind(id) == PickleKind::kList || v.kind(id) == PickleKind::kTuple;
}

// The pickled object must be (bins, issame_list): a pair of sequences of bytes and of bools (or 0/1).
BinSet to_bin_set(const PickleValues& v, PickleId top, const std::string& name) {
  auto fail = [&](const std::string& what) { throw FormatError(fmt::format("'{}': {}", name, what)); };
  if (!is_sequence(v, top) || v.items(top).size() != 2) {
    fail(fmt::format("the pickled object is a {}, not the pair (bins, issame_list)", pickle_kind_name(v.kind(top))));
  }
  const PickleId bins = v.items(top)[0];
  const PickleId flags = v.items(top)[1];
  if (!is_sequence(v, bins)) fail(fmt::format("bins is a {}, not a list", pickle_kind_name(v.kind(bins))));
  if (!is_sequence(v, flags)) fail(fmt::format("issame_list is a {}, not a list", pickle_kind_name(v.kind(flags))));
  BinSet out;
  out.images.reserve(v.items(bins).size());
  for (std::size_t i = 0; i < v.items(bins).size(); ++i) {
    const PickleId item = v.items(bins)[i];
    if (v.kind(item) != PickleKind::kBytes) fail(fmt::format("bins[{}] is a {}, not bytes", i, pickle_kind_name(v.kind(item))));
    out.images.push_back(v.text(item));
  }
  out.pair_flags.reserve(v.items(flags).size());
  for (std::size_t i = 0; i < v.items(flags).size(); ++i) {
    const PickleId item = v.items(flags)[i];
    const bool flag = v.kind(item) == PickleKind::kBool || v.kind(item) == PickleKind::kInt;
    if (!flag || v.integer(item) < 0 || v.integer(item) > 1) {
      fail(fmt::format("issame_list[{}] is a {}, not a bool", i, pickle_kind_name(v.kind(item))));
    }
    out.pair_flags.push_back(static_cast<std::int8_t>(v.integer(item)));
  }
  if (out.images.size() != 2 * out.pair_flags.size()) {
    fail(fmt::format("{} images for {} pair flags (expected 2 images per pair)", out.images.size(),
                     out.pair_flags.size()));
  }
  return out;
}

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

BinSet parse_bin_set(std::string_view bytes, const std::string& name, std::shared_ptr<const void> storage,
                     const UnpickleLimits& limits) {
  BinDialect dialect;
  const Unpickled pickle = unpickle(bytes, name, dialect, limits);
  BinSet out = to_bin_set(pickle.values, pickle.root, name);
  struct Both {
    std::shared_ptr<const void> file;
    std::shared_ptr<std::deque<std::string>> owned;
  };
  out.storage = std::make_shared<Both>(Both{std::move(storage), dialect.owned()});
  return out;
}

BinSet read_bin_set(const std::filesystem::path& path, const UnpickleLimits& limits) {
  auto file = std::make_shared<MappedFile>(path);
  const std::string_view bytes = file->view();
  return parse_bin_set(bytes, path.string(), std::move(file), limits);
}

std::unique_ptr<SampleSource> open_bin_set(const std::filesystem::path& path, std::vector<std::int8_t>* pair_flags) {
  BinSet set = read_bin_set(path);
  if (set.images.empty()) throw DataError(fmt::format("'{}' holds no image pair", path.string()));
  if (pair_flags) *pair_flags = set.pair_flags;
  return std::make_unique<BinSource>(std::move(set), path.string());
}

}  // namespace fv
