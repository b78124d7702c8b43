// The restricted pickle interpreter: a loop over opcodes, a stack of value ids, MARK positions and a memo.
#include "formats/unpickler.h"

#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"

namespace fv {

void UnpickleContext::fail(const std::string& what) const { throw FormatError(where() + ": " + what); }

PickleId PickleDialect::global(UnpickleContext& context, std::string_view module, std::string_view name) {
  context.fail(fmt::format("GLOBAL '{}.{}' is not allowed", module, name));
}
PickleId PickleDialect::reduce(UnpickleContext& context, PickleId, PickleId) { context.fail("REDUCE is not allowed"); }
PickleId PickleDialect::new_object(UnpickleContext& context, PickleId, PickleId) { context.fail("NEWOBJ is not allowed"); }
void PickleDialect::build(UnpickleContext& context, PickleId, PickleId) { context.fail("BUILD is not allowed"); }
PickleId PickleDialect::persistent_load(UnpickleContext& context, PickleId) {
  context.fail("persistent ids are not allowed");
}

namespace {

using Op = PickleOp;

class Machine final : public UnpickleContext {
 public:
  Machine(std::string_view in, const std::string& name, PickleDialect& dialect, const UnpickleLimits& limits)
      : in_(in), name_(name), dialect_(dialect), limits_(limits) {}

  PickleValues& values() override { return out_.values; }

  std::string where() const override {
    return fmt::format("'{}': byte offset {}, opcode 0x{:02x} ({})", name_, op_at_, op_, pickle_op_name(op_));
  }

  Unpickled run() && {
    while (true) {
      op_at_ = pos_;
      if (pos_ >= in_.size()) {
        throw FormatError(fmt::format("'{}': truncated pickle: no STOP opcode before the end of the file (byte offset {})",
                                      name_, pos_));
      }
      op_ = static_cast<std::uint8_t>(in_[pos_++]);
      if (!dialect_.opcodes().contains(op_)) {
        fail(fmt::format("not allowed: {}", dialect_.refusal()));
      }
      if (op_ == static_cast<std::uint8_t>(Op::kStop)) break;
      step(static_cast<Op>(op_));
      check_limits();
    }
    if (stack_.size() != 1) fail(fmt::format("expected one object on the stack at STOP, found {}", stack_.size()));
    if (!marks_.empty()) fail(fmt::format("{} MARK(s) still open at STOP", marks_.size()));
    if (pos_ != in_.size()) {
      throw FormatError(fmt::format("'{}': {} bytes of trailing data after STOP at byte offset {}", name_,
                                    in_.size() - pos_, op_at_));
    }
    out_.root = stack_.back();
    return std::move(out_);
  }

 private:
  PickleValues& v() { return out_.values; }

  void check_limits() {
    if (v().max_depth() > limits_.max_depth) {
      fail(fmt::format("values nested deeper than {} levels (UnpickleLimits::max_depth)", limits_.max_depth));
    }
    if (v().size() > limits_.max_values || stack_.size() > limits_.max_values || memo_.size() > limits_.max_values) {
      fail(fmt::format("more than {} values, stack entries or memo entries (UnpickleLimits::max_values)",
                       limits_.max_values));
    }
  }

  // ---- reading the input ----
  std::string_view take(std::uint64_t n) {
    if (n > in_.size() - pos_) {
      fail(fmt::format("truncated: needs {} bytes of data but the file ends {} bytes later", n, in_.size() - pos_));
    }
    const std::string_view out = in_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }
  std::uint64_t le(int n) {
    const std::string_view b = take(static_cast<std::uint64_t>(n));
    std::uint64_t x = 0;
    for (int i = n - 1; i >= 0; --i) x = (x << 8) | static_cast<std::uint8_t>(b[static_cast<std::size_t>(i)]);
    return x;
  }
  std::string_view line() {
    const auto end = in_.find('\n', pos_);
    if (end == std::string_view::npos) fail("truncated: no end of line");
    const std::string_view out = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }

  // ---- the stack: the part above the last MARK is the current frame ----
  std::size_t frame() const { return marks_.empty() ? 0 : marks_.back(); }
  void need(std::size_t n) {
    if (stack_.size() - frame() < n) {
      fail(fmt::format("needs {} object(s) on the stack above the last MARK, found {}", n, stack_.size() - frame()));
    }
  }
  PickleId pop() {
    need(1);
    const PickleId id = stack_.back();
    stack_.pop_back();
    return id;
  }
  PickleId top() {
    need(1);
    return stack_.back();
  }
  void push(PickleId id) { stack_.push_back(id); }
  std::vector<PickleId> pop_to_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PickleId> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }

  // Adds `items` to the container on top of the stack, which must be of `kind`.
  void extend_top(PickleKind kind, const std::vector<PickleId>& items) {
    const PickleId c = top();
    if (v().kind(c) != kind) {
      fail(fmt::format("adds items to a {}, not a {}", pickle_kind_name(v().kind(c)), pickle_kind_name(kind)));
    }
    if (kind == PickleKind::kDict && items.size() % 2 != 0) fail("SETITEMS with an odd number of items");
    if (v().sealed(c)) {
      fail(fmt::format("changes a {} that is already an item of another container (a self-referencing object, which "
                       "this format never holds)",
                       pickle_kind_name(kind)));
    }
    for (PickleId item : items) {
      if (item == c) fail(fmt::format("puts a {} into itself", pickle_kind_name(kind)));
      v().append(c, item);
    }
  }

  void memo_put(std::uint64_t key) { memo_[key] = top(); }
  PickleId memo_get(std::uint64_t key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail(fmt::format("memo key {} was never stored", key));
    return it->second;
  }

  PickleId text(PickleKind kind, std::uint64_t n) { return v().add_text(kind, take(n)); }

  void step(Op op) {
    switch (op) {
      case Op::kProto: {
        const auto version = le(1);
        if (version < 2 || version > 5) fail(fmt::format("pickle protocol {} is not supported (2 to 5)", version));
        return;
      }
      case Op::kFrame: le(8); return;  // the frame's length: its opcodes follow inline
      case Op::kMark:
        if (marks_.size() >= limits_.max_depth) {
          fail(fmt::format("more than {} MARKs open at once (UnpickleLimits::max_depth)", limits_.max_depth));
        }
        marks_.push_back(stack_.size());
        return;
      case Op::kPop: pop(); return;
      case Op::kPopMark: pop_to_mark(); return;
      case Op::kDup: push(top()); return;
      case Op::kNone: push(v().add_none()); return;
      case Op::kNewTrue: push(v().add_bool(true)); return;
      case Op::kNewFalse: push(v().add_bool(false)); return;
      case Op::kBinInt1: push(v().add_int(static_cast<std::int64_t>(le(1)))); return;
      case Op::kBinInt2: push(v().add_int(static_cast<std::int64_t>(le(2)))); return;
      case Op::kBinInt: push(v().add_int(static_cast<std::int32_t>(le(4)))); return;
      case Op::kLong1:
      case Op::kLong4: {  // little-endian two's complement of n bytes
        const std::uint64_t n = op == Op::kLong1 ? le(1) : le(4);
        if (n > 8) fail(fmt::format("integer of {} bytes (at most 8 are supported)", n));
        std::uint64_t x = n ? le(static_cast<int>(n)) : 0;
        if (n && n < 8 && ((x >> (8 * n - 1)) & 1)) x |= ~std::uint64_t{0} << (8 * n);
        push(v().add_int(static_cast<std::int64_t>(x)));
        return;
      }
      case Op::kBinFloat: {  // big-endian IEEE double
        const std::string_view b = take(8);
        std::uint64_t bits = 0;
        for (char c : b) bits = (bits << 8) | static_cast<std::uint8_t>(c);
        double x = 0;
        std::memcpy(&x, &bits, sizeof x);
        push(v().add_float(x));
        return;
      }
      case Op::kShortBinUnicode: push(text(PickleKind::kStr, le(1))); return;
      case Op::kBinUnicode: push(text(PickleKind::kStr, le(4))); return;
      case Op::kBinUnicode8: push(text(PickleKind::kStr, le(8))); return;
      case Op::kShortBinBytes: push(text(PickleKind::kBytes, le(1))); return;
      case Op::kBinBytes: push(text(PickleKind::kBytes, le(4))); return;
      case Op::kBinBytes8: push(text(PickleKind::kBytes, le(8))); return;
      case Op::kShortBinString: push(text(dialect_.python2_str_kind(), le(1))); return;
      case Op::kBinString: {
        const auto n = static_cast<std::int32_t>(le(4));
        if (n < 0) fail(fmt::format("negative string length {}", n));
        push(text(dialect_.python2_str_kind(), static_cast<std::uint64_t>(n)));
        return;
      }
      case Op::kEmptyTuple: push(v().add_container(PickleKind::kTuple, {})); return;
      case Op::kTuple1:
      case Op::kTuple2:
      case Op::kTuple3: {
        const std::size_t n = static_cast<std::size_t>(op) - static_cast<std::size_t>(Op::kTuple1) + 1;
        need(n);
        std::vector<PickleId> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        push(v().add_container(PickleKind::kTuple, std::move(items)));
        return;
      }
      case Op::kTuple: push(v().add_container(PickleKind::kTuple, pop_to_mark())); return;
      case Op::kEmptyList: push(v().add_container(PickleKind::kList, {})); return;
      case Op::kList: push(v().add_container(PickleKind::kList, pop_to_mark())); return;
      case Op::kEmptyDict: push(v().add_container(PickleKind::kDict, {})); return;
      case Op::kDict: {
        auto items = pop_to_mark();
        if (items.size() % 2 != 0) fail("DICT with an odd number of items");
        push(v().add_container(PickleKind::kDict, std::move(items)));
        return;
      }
      case Op::kEmptySet: push(v().add_container(PickleKind::kSet, {})); return;
      case Op::kFrozenSet: push(v().add_container(PickleKind::kFrozenSet, pop_to_mark())); return;
      case Op::kAppend: {
        const PickleId item = pop();
        extend_top(PickleKind::kList, {item});
        return;
      }
      case Op::kAppends: extend_top(PickleKind::kList, pop_to_mark()); return;
      case Op::kSetItem: {
        const PickleId value = pop();
        const PickleId key = pop();
        extend_top(PickleKind::kDict, {key, value});
        return;
      }
      case Op::kSetItems: extend_top(PickleKind::kDict, pop_to_mark()); return;
      case Op::kAddItems: extend_top(PickleKind::kSet, pop_to_mark()); return;
      case Op::kBinPut: memo_put(le(1)); return;
      case Op::kLongBinPut: memo_put(le(4)); return;
      case Op::kMemoize: memo_put(memo_.size()); return;
      case Op::kBinGet: push(memo_get(le(1))); return;
      case Op::kLongBinGet: push(memo_get(le(4))); return;
      case Op::kGlobal: {
        const std::string_view module = line();
        const std::string_view name = line();
        push(dialect_.global(*this, module, name));
        return;
      }
      case Op::kStackGlobal: {
        const PickleId name = pop();
        const PickleId module = pop();
        if (v().kind(name) != PickleKind::kStr || v().kind(module) != PickleKind::kStr) {
          fail("STACK_GLOBAL of values that are not both str");
        }
        push(dialect_.global(*this, v().text(module), v().text(name)));
        return;
      }
      case Op::kReduce: {
        const PickleId args = pop();
        const PickleId callable = pop();
        push(dialect_.reduce(*this, callable, args));
        return;
      }
      case Op::kNewObj: {
        const PickleId args = pop();
        const PickleId cls = pop();
        push(dialect_.new_object(*this, cls, args));
        return;
      }
      case Op::kBuild: {
        const PickleId state = pop();
        dialect_.build(*this, top(), state);
        return;
      }
      case Op::kBinPersId: {
        const PickleId pid = pop();
        push(dialect_.persistent_load(*this, pid));
        return;
      }
      case Op::kStop: break;
    }
    // A dialect that lists an opcode this interpreter does not implement.
    fail(fmt::format("not implemented: {}", dialect_.refusal()));
  }

  std::string_view in_;
  const std::string& name_;
  PickleDialect& dialect_;
  const UnpickleLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t op_at_ = 0;
  std::uint8_t op_ = 0;
  Unpickled out_;
  std::vector<PickleId> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, PickleId> memo_;
};

}  // namespace

Unpickled unpickle(std::string_view bytes, const std::string& name, PickleDialect& dialect,
                   const UnpickleLimits& limits) {
  return Machine(bytes, name, dialect, limits).run();
}

}  // namespace fv
