// A restricted unpickler: interprets the pickle opcodes a format allows over a byte span and never runs code.
//
// One interpreter serves every pickle-based format of the project (insightface .bin verification sets,
// PyTorch state dicts). A format is a PickleDialect: the opcodes it accepts, and hooks for the opcodes that
// would call Python code (GLOBAL / STACK_GLOBAL, REDUCE, NEWOBJ, BUILD, BINPERSID), which the format
// implements for exactly the names it knows. The interpreter implements the data opcodes of protocols 2 to
// 5 (see PickleOp); any opcode outside the dialect's set is a FormatError naming the input, the byte offset
// and the opcode.
//
// Resources are bounded whatever the input: values live in a flat arena (formats/pickle_values.h) and
// nothing recurses on the input's nesting, in construction, traversal or destruction; the nesting depth,
// the number of open MARKs, the number of values, the stack and the memo are capped by UnpickleLimits.
// A declared length beyond the end of the input is refused before anything is allocated for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "formats/pickle_opcodes.h"
#include "formats/pickle_values.h"

namespace fv {

struct UnpickleLimits {
  // Deepest nesting of containers (PickleValues::depth), and most MARKs open at once. CPython's pickler
  // recurses once per level and stops at its recursion limit (1000 by default), so files it writes are no
  // deeper; .bin sets are 2 levels deep, state dicts a few.
  std::uint32_t max_depth = 1000;
  // Most values made (scalars, strings and containers alike), and most entries on the stack and in the
  // memo: at most ~400 MB of parser memory (measured: 2^22 values, each memoized, 376 MB peak; without the
  // memo, 214 MB). A .bin set of N pairs makes 3N + 3 values (lfw.bin: 18,003); a state dict 10 to 20 per
  // tensor (iResNet-100: 925 tensors).
  std::size_t max_values = std::size_t{1} << 22;
};

// What a dialect's hooks see: the values made so far, and the way to refuse the input.
class UnpickleContext {
 public:
  virtual PickleValues& values() = 0;
  // Throws FormatError "'<name>': byte offset <offset of the current opcode>, opcode 0x.. (NAME): <what>".
  [[noreturn]] void fail(const std::string& what) const;

 protected:
  ~UnpickleContext() = default;
  // The start of fail()'s message: the input's name, the current opcode and its offset.
  virtual std::string where() const = 0;
};

// One pickle-based format. The default hooks refuse their opcode; a dialect overrides those it allows.
class PickleDialect {
 public:
  virtual ~PickleDialect() = default;
  // The opcodes the format accepts; every other one is refused.
  virtual const PickleOpSet& opcodes() const = 0;
  // Ends the message for a refused opcode: what the format holds ("a .bin set holds only ...").
  virtual std::string_view refusal() const = 0;
  // What SHORT_BINSTRING / BINSTRING (Python 2 `str`) make: kBytes or kStr.
  virtual PickleKind python2_str_kind() const { return PickleKind::kBytes; }
  // GLOBAL `module\nname\n`, or STACK_GLOBAL of two str: the value to push (usually a kGlobal).
  virtual PickleId global(UnpickleContext& context, std::string_view module, std::string_view name);
  // REDUCE: callable(*args) for the popped `callable` and `args`; returns the value to push.
  virtual PickleId reduce(UnpickleContext& context, PickleId callable, PickleId args);
  // NEWOBJ: cls.__new__(cls, *args); returns the value to push.
  virtual PickleId new_object(UnpickleContext& context, PickleId cls, PickleId args);
  // BUILD: sets the popped `state` on `object`, which stays on the stack.
  virtual void build(UnpickleContext& context, PickleId object, PickleId state);
  // BINPERSID: the value for the popped persistent id `pid`.
  virtual PickleId persistent_load(UnpickleContext& context, PickleId pid);
};

struct Unpickled {
  PickleValues values;
  PickleId root = 0;  // the object on the stack at STOP
};

// Interprets `bytes`, one pickle from its first byte to its STOP, which must be the last byte.
// `name` names the input in error messages (a path, or "path:member" for a file inside an archive).
// Requires: `bytes` outlives the result (kStr and kBytes values point into it).
// Throws FormatError naming `name`, the byte offset and the opcode for: an opcode outside
// dialect.opcodes() or unknown, a protocol other than 2 to 5, data running past the end (a truncated file
// or a declared length beyond it), a memo key never stored, a stack or MARK misuse, a change to a
// container that is already an item of another (or of itself), nesting deeper than limits.max_depth,
// more than limits.max_values values, stack entries or memo entries, not exactly one object at STOP,
// bytes after STOP; and whatever the dialect's hooks throw.
Unpickled unpickle(std::string_view bytes, const std::string& name, PickleDialect& dialect,
                   const UnpickleLimits& limits = {});

}  // namespace fv
