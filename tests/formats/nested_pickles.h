// Test inputs: pickles of one value nested N levels deep, built opcode by opcode (Python's own pickler
// cannot write them: it recurses once per level and stops near 1,000).
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

namespace fv::testing {

enum class Nesting {
  kListsByAppend,    // ]]]...] then APPEND N-1 times: N lists on the stack, folded from the top
  kListsByMark,      // (((...( then LIST N times: N MARKs open at once
  kTuples,           // EMPTY_TUPLE then TUPLE1 N-1 times: one stack slot, one byte per level
  kDicts,            // EMPTY_DICT, then per level: BINPUT 0, POP, EMPTY_DICT, 'k', BINGET 0, SETITEM
  kListsAndTuples,   // alternately a tuple and a list around the level below (the opcodes of a .bin)
  kListsTuplesDicts  // tuple, dict, list, tuple, dict, list, ... around the level below
};

// A protocol-4 pickle whose one object is nested exactly `levels` >= 1 deep (PickleValues::depth), ending
// with STOP. The innermost value is an empty list (an empty dict for kDicts, an empty tuple for kTuples).
inline std::string nested_pickle(Nesting shape, std::size_t levels) {
  std::string p = "\x80\x04";
  const std::string wrap_in_dict = std::string("q\x00" "0}\x8c\x01kh\x00s", 10);
  switch (shape) {
    case Nesting::kListsByAppend:
      p.append(levels, ']');
      p.append(levels - 1, 'a');
      break;
    case Nesting::kListsByMark:
      p.append(levels, '(');
      p.append(levels, 'l');
      break;
    case Nesting::kTuples:
      p += ')';
      p.append(levels - 1, '\x85');
      break;
    case Nesting::kDicts:
      p += '}';
      p.reserve(p.size() + wrap_in_dict.size() * levels);
      for (std::size_t i = 1; i < levels; ++i) p += wrap_in_dict;
      break;
    case Nesting::kListsAndTuples:
    case Nesting::kListsTuplesDicts: {
      // Level i (2..levels) wraps the value below in kinds[(i - 2) % period]; a list wrap APPENDs into one of
      // the empty lists pushed first (outermost at the bottom of the stack).
      const bool dicts = shape == Nesting::kListsTuplesDicts;
      const std::size_t period = dicts ? 3 : 2;
      std::size_t lists = 0;
      for (std::size_t i = 2; i <= levels; ++i) lists += (i - 2) % period == period - 1;
      p.append(lists + 1, ']');
      for (std::size_t i = 2; i <= levels; ++i) {
        const std::size_t k = (i - 2) % period;
        if (k == 0) p += '\x85';
        else if (k == period - 1) p += 'a';
        else p += wrap_in_dict;
      }
      break;
    }
  }
  p += '.';
  return p;
}

inline const char* nesting_name(Nesting shape) {
  switch (shape) {
    case Nesting::kListsByAppend: return "lists_by_append";
    case Nesting::kListsByMark: return "lists_by_mark";
    case Nesting::kTuples: return "tuples";
    case Nesting::kDicts: return "dicts";
    case Nesting::kListsAndTuples: return "lists_and_tuples";
    case Nesting::kListsTuplesDicts: return "lists_tuples_dicts";
  }
  return "?";
}

// One parameter of the nesting tests: a shape and a depth; named "<shape>_<levels>" in test names.
struct NestingCase {
  Nesting shape;
  std::size_t levels;
};

inline void PrintTo(const NestingCase& c, std::ostream* os) { *os << nesting_name(c.shape) << "_" << c.levels; }

// Every shape at each of `sizes`.
inline std::vector<NestingCase> nesting_cases(std::initializer_list<std::size_t> sizes) {
  std::vector<NestingCase> out;
  for (Nesting shape : {Nesting::kListsByAppend, Nesting::kListsByMark, Nesting::kTuples, Nesting::kDicts,
                        Nesting::kListsAndTuples, Nesting::kListsTuplesDicts}) {
    for (std::size_t levels : sizes) out.push_back({shape, levels});
  }
  return out;
}

// INSTANTIATE_TEST_SUITE_P's name generator.
inline std::string nesting_case_name(const ::testing::TestParamInfo<NestingCase>& info) {
  return std::string(nesting_name(info.param.shape)) + "_" + std::to_string(info.param.levels);
}

}  // namespace fv::testing
