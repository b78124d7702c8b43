// Pickle opcodes (CPython's Lib/pickletools.py): the ones the restricted unpickler implements, the names of
// all of them (for error messages), and the set of opcodes a format accepts.
#pragma once

#include <bitset>
#include <cstdint>
#include <initializer_list>

namespace fv {

// The opcodes that formats/unpickler.h interprets (protocols 2 to 5). Every other byte is refused.
enum class PickleOp : std::uint8_t {
  kMark = '(', kStop = '.', kPop = '0', kPopMark = '1', kDup = '2', kNone = 'N', kBinInt = 'J', kBinInt1 = 'K',
  kBinInt2 = 'M', kBinFloat = 'G', kBinString = 'T', kShortBinString = 'U', kBinUnicode = 'X', kBinBytes = 'B',
  kShortBinBytes = 'C', kEmptyTuple = ')', kTuple = 't', kEmptyList = ']', kList = 'l', kAppend = 'a',
  kAppends = 'e', kEmptyDict = '}', kDict = 'd', kSetItem = 's', kSetItems = 'u', kBinGet = 'h',
  kLongBinGet = 'j', kBinPut = 'q', kLongBinPut = 'r', kGlobal = 'c', kReduce = 'R', kBuild = 'b',
  kBinPersId = 'Q', kProto = 0x80, kNewObj = 0x81, kTuple1 = 0x85, kTuple2 = 0x86, kTuple3 = 0x87,
  kNewTrue = 0x88, kNewFalse = 0x89, kLong1 = 0x8a, kLong4 = 0x8b, kShortBinUnicode = 0x8c, kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e, kEmptySet = 0x8f, kAddItems = 0x90, kFrozenSet = 0x91, kStackGlobal = 0x93,
  kMemoize = 0x94, kFrame = 0x95,
};

// The pickletools name of any opcode byte ("GLOBAL", "EMPTY_DICT", ...), "unknown" for bytes that are none.
const char* pickle_op_name(std::uint8_t op);

// The opcodes one format accepts.
class PickleOpSet {
 public:
  PickleOpSet(std::initializer_list<PickleOp> ops) {
    for (PickleOp op : ops) bits_.set(static_cast<std::uint8_t>(op));
  }
  bool contains(std::uint8_t op) const { return bits_.test(op); }

 private:
  std::bitset<256> bits_;
};

}  // namespace fv
