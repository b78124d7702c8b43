// The restricted unpickler: real pickles from Python (protocols 2-5), every limit (nesting 1e3 to 1e7 levels
// of lists, tuples, dicts and mixtures, on a 256 KiB stack), declared lengths beyond the input, memo keys
// never stored, self-referencing containers, and refusals naming the input, byte offset and opcode.
#include "formats/unpickler.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "formats/nested_pickles.h"
#include "support/command.h"
#include "support/small_stack.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

using namespace std::string_literals;  // "..."s keeps embedded NUL bytes
using testing::Nesting;
using testing::NestingCase;

// Every opcode the interpreter implements; GLOBAL makes a name, REDUCE / NEWOBJ an object named after the
// callable, BUILD ignores the state, BINPERSID an object named "persistent".
class AnyDialect final : public PickleDialect {
 public:
  const PickleOpSet& opcodes() const override {
    using Op = PickleOp;
    static const PickleOpSet kAll = {
        Op::kMark, Op::kStop, Op::kPop, Op::kPopMark, Op::kDup, Op::kNone, Op::kBinInt, Op::kBinInt1,
        Op::kBinInt2, Op::kBinFloat, Op::kBinString, Op::kShortBinString, Op::kBinUnicode, Op::kBinBytes,
        Op::kShortBinBytes, Op::kEmptyTuple, Op::kTuple, Op::kEmptyList, Op::kList, Op::kAppend, Op::kAppends,
        Op::kEmptyDict, Op::kDict, Op::kSetItem, Op::kSetItems, Op::kBinGet, Op::kLongBinGet, Op::kBinPut,
        Op::kLongBinPut, Op::kGlobal, Op::kReduce, Op::kBuild, Op::kBinPersId, Op::kProto, Op::kNewObj,
        Op::kTuple1, Op::kTuple2, Op::kTuple3, Op::kNewTrue, Op::kNewFalse, Op::kLong1, Op::kLong4,
        Op::kShortBinUnicode, Op::kBinUnicode8, Op::kBinBytes8, Op::kEmptySet, Op::kAddItems, Op::kFrozenSet,
        Op::kStackGlobal, Op::kMemoize, Op::kFrame};
    return kAll;
  }
  std::string_view refusal() const override { return "the test dialect"; }
  PickleKind python2_str_kind() const override { return PickleKind::kStr; }
  PickleId global(UnpickleContext& c, std::string_view module, std::string_view name) override {
    return c.values().add_owned_text(PickleKind::kGlobal, fmt::format("{}.{}", module, name));
  }
  PickleId reduce(UnpickleContext& c, PickleId callable, PickleId) override {
    return c.values().add_object(c.values().text(callable), 0, -1);
  }
  PickleId new_object(UnpickleContext& c, PickleId cls, PickleId) override {
    return c.values().add_object(c.values().text(cls), 0, -1);
  }
  void build(UnpickleContext&, PickleId, PickleId) override {}
  PickleId persistent_load(UnpickleContext& c, PickleId) override { return c.values().add_object("persistent", 7, 0); }
};

// Only lists and ints: what a narrow format's refusals look like.
class ListsOnly final : public PickleDialect {
 public:
  const PickleOpSet& opcodes() const override {
    static const PickleOpSet kOps = {PickleOp::kProto, PickleOp::kStop, PickleOp::kEmptyList, PickleOp::kAppend,
                                     PickleOp::kBinInt1, PickleOp::kGlobal, PickleOp::kReduce};
    return kOps;
  }
  std::string_view refusal() const override { return "lists of small ints only"; }
};

Unpickled parse(const std::string& bytes, const UnpickleLimits& limits = {}) {
  AnyDialect dialect;
  return unpickle(bytes, "t.pkl", dialect, limits);
}

std::string format_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected FormatError";
  return {};
}

std::string u32le(std::uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

class PythonPickles : public ::testing::TestWithParam<int> {};

// What CPython's pickler writes for the kinds of values the interpreter models, read back at each protocol.
TEST_P(PythonPickles, ReadsWhatPythonWrites) {
  testing::TempDir dir;
  const auto out = dir / "p.pkl";
  const std::string cmd = fmt::format(
      "/usr/bin/python3 -c \"import pickle, collections; "
      "v = {{'list': [1, -2, 300, 70000, -2**40, 2**63 - 1, 2.5, None, True, False], "
      "'tuple': (b'xy', 'z\\u00e9', ()), 'set': {{3}}, 'frozen': frozenset([4]), "
      "'nested': [[[]]], 'shared': [[7]] * 2}}; "
      "open('{}', 'wb').write(pickle.dumps(v, protocol={}))\"",
      out.string(), GetParam());
  const auto made = testing::run_command(cmd);
  ASSERT_EQ(made.code, 0) << made.output;
  const std::string bytes = read_file(out);
  const Unpickled u = parse(bytes);
  const PickleValues& v = u.values;
  ASSERT_EQ(v.kind(u.root), PickleKind::kDict);
  std::map<std::string, PickleId> d;
  const auto& items = v.items(u.root);
  ASSERT_EQ(items.size(), 12u);
  for (std::size_t k = 0; k < items.size(); k += 2) {
    ASSERT_EQ(v.kind(items[k]), PickleKind::kStr);
    d[std::string(v.text(items[k]))] = items[k + 1];
  }
  const auto& list = v.items(d.at("list"));
  ASSERT_EQ(list.size(), 10u);
  const std::vector<std::int64_t> ints = {1, -2, 300, 70000, -(std::int64_t{1} << 40), INT64_MAX};
  for (std::size_t i = 0; i < ints.size(); ++i) {
    EXPECT_EQ(v.kind(list[i]), PickleKind::kInt) << i;
    EXPECT_EQ(v.integer(list[i]), ints[i]) << i;
  }
  EXPECT_EQ(v.kind(list[6]), PickleKind::kFloat);
  EXPECT_EQ(v.real(list[6]), 2.5);
  EXPECT_EQ(v.kind(list[7]), PickleKind::kNone);
  EXPECT_EQ(v.integer(list[8]), 1);
  EXPECT_EQ(v.kind(list[9]), PickleKind::kBool);
  EXPECT_EQ(v.integer(list[9]), 0);
  const auto& tuple = v.items(d.at("tuple"));
  ASSERT_EQ(tuple.size(), 3u);
  if (GetParam() >= 3) {  // protocol 2 writes bytes as _codecs.encode(...) REDUCE: an object here
    EXPECT_EQ(v.kind(tuple[0]), PickleKind::kBytes);
    EXPECT_EQ(v.text(tuple[0]), "xy");
  } else {
    EXPECT_EQ(v.kind(tuple[0]), PickleKind::kObject);
    EXPECT_EQ(v.text(tuple[0]), "_codecs.encode");
  }
  EXPECT_EQ(v.text(tuple[1]), "z\xc3\xa9");
  EXPECT_EQ(v.kind(tuple[2]), PickleKind::kTuple);
  if (GetParam() >= 4) {  // EMPTY_SET + ADDITEMS, FROZENSET
    EXPECT_EQ(v.kind(d.at("set")), PickleKind::kSet);
    ASSERT_EQ(v.items(d.at("set")).size(), 1u);
    EXPECT_EQ(v.integer(v.items(d.at("set"))[0]), 3);
    EXPECT_EQ(v.kind(d.at("frozen")), PickleKind::kFrozenSet);
  } else {  // REDUCE of builtins.set
    EXPECT_EQ(v.kind(d.at("set")), PickleKind::kObject);
  }
  EXPECT_EQ(v.depth(d.at("nested")), 3u);
  // [[7]] * 2: one inner list referenced twice through the memo (a shared, sealed item is fine).
  const auto& shared = v.items(d.at("shared"));
  ASSERT_EQ(shared.size(), 2u);
  EXPECT_EQ(shared[0], shared[1]);
  EXPECT_EQ(v.depth(u.root), 4u);
}

INSTANTIATE_TEST_SUITE_P(Protocols, PythonPickles, ::testing::Values(2, 3, 4, 5));

// Nesting: within the default limit parsed, beyond it refused, on a 256 KiB stack; never a crash.
class Nested : public ::testing::TestWithParam<NestingCase> {};

TEST_P(Nested, ParsedWithinTheLimitRefusedBeyondNeverACrash) {
  const auto [shape, levels] = GetParam();
  const std::string bytes = testing::nested_pickle(shape, levels);
  std::optional<std::uint32_t> depth;
  std::string error;
  testing::run_with_small_stack([&] {
    try {
      const Unpickled u = parse(bytes);
      depth = u.values.depth(u.root);
    } catch (const FormatError& e) {
      error = e.what();
    }
  });
  if (levels <= UnpickleLimits{}.max_depth) {
    ASSERT_TRUE(depth.has_value()) << error;
    EXPECT_EQ(*depth, levels);
    return;
  }
  ASSERT_FALSE(depth.has_value());
  EXPECT_NE(error.find("'t.pkl': byte offset "), std::string::npos) << error;
  if (shape == Nesting::kListsByMark) {
    EXPECT_NE(error.find("opcode 0x28 (MARK): more than 1000 MARKs open at once"), std::string::npos) << error;
  } else if (error.find("(UnpickleLimits::max_values)") == std::string::npos) {
    // Shapes that first push one list per level may meet the value limit first (at 1e7 levels).
    EXPECT_NE(error.find("nested deeper than 1000 levels (UnpickleLimits::max_depth)"), std::string::npos) << error;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Nested,
                         ::testing::ValuesIn(testing::nesting_cases({1000, 100000, 200000, 10000000})),
                         testing::nesting_case_name);

// With the limits raised, up to 200,000 levels parse (and are destroyed) on the same small stack: nothing
// recurses.
class NestedRaisedLimits : public ::testing::TestWithParam<NestingCase> {};

TEST_P(NestedRaisedLimits, ParseDeepValuesWithoutRecursion) {
  const auto [shape, levels] = GetParam();
  UnpickleLimits limits;
  limits.max_depth = 250000;
  const std::string bytes = testing::nested_pickle(shape, levels);
  std::uint32_t depth = 0;
  testing::run_with_small_stack([&] {
    const Unpickled u = parse(bytes, limits);
    depth = u.values.depth(u.root);
  });
  EXPECT_EQ(depth, levels);
}

INSTANTIATE_TEST_SUITE_P(Shapes, NestedRaisedLimits,
                         ::testing::ValuesIn(testing::nesting_cases({1000, 100000, 200000})),
                         testing::nesting_case_name);

TEST(Unpickler, ValueStackAndMemoCountsAreBounded) {
  UnpickleLimits limits;
  limits.max_values = 4;
  EXPECT_NO_THROW(parse("\x80\x04(NNNl."s, limits));  // 3 Nones and a list: 4 values
  std::string what = format_error([&] { parse("\x80\x04(NNNNl."s, limits); });
  EXPECT_NE(what.find("byte offset 7, opcode 0x6c (LIST): more than 4 values, stack entries or memo entries"),
            std::string::npos)
      << what;
  // The same value pushed again and again (DUP, BINGET) makes no value, but fills the stack.
  what = format_error([&] { parse("\x80\x04N22222"s + std::string(100, '2') + "."s, limits); });
  EXPECT_NE(what.find("opcode 0x32 (DUP): more than 4 values, stack entries"), std::string::npos) << what;
  what = format_error([&] { parse("\x80\x04Nq\x00q\x01q\x02q\x03q\x04."s, limits); });
  EXPECT_NE(what.find("opcode 0x71 (BINPUT): more than 4 values, stack entries or memo entries"), std::string::npos)
      << what;
}

TEST(Unpickler, DeclaredLengthsBeyondTheInputAreRefusedBeforeAllocating) {
  const std::string huge8 = "\xff\xff\xff\xff\xff\xff\xff\x7f"s;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\x80\x04X\xff\xff\xff\xff" "abc."s, "opcode 0x58 (BINUNICODE): truncated: needs 4294967295 bytes"},
      {"\x80\x04" "B"s + u32le(0xfffffff0u) + "abc.", "opcode 0x42 (BINBYTES): truncated: needs 4294967280 bytes"},
      {"\x80\x04\x8d"s + huge8 + "abc.", "opcode 0x8d (BINUNICODE8): truncated: needs 9223372036854775807 bytes"},
      {"\x80\x04\x8e"s + huge8 + ".", "opcode 0x8e (BINBYTES8): truncated: needs 9223372036854775807 bytes"},
      {"\x80\x04\x8c\xff" "ab."s, "opcode 0x8c (SHORT_BINUNICODE): truncated: needs 255 bytes of data but the file ends 3"},
      {"\x80\x04T\xff\xff\xff\xff."s, "opcode 0x54 (BINSTRING): negative string length -1"},
      {"\x80\x04\x8b\xff\xff\xff\xff."s, "opcode 0x8b (LONG4): integer of 4294967295 bytes"},
      {"\x80\x04\x95\xff\xff\xff\xff"s, "opcode 0x95 (FRAME): truncated: needs 8 bytes of data but the file ends 4"},
      {"\x80\x04\x63os"s, "opcode 0x63 (GLOBAL): truncated: no end of line"},
  };
  for (const auto& [bytes, expected] : cases) {
    const std::string what = format_error([&] { parse(bytes); });
    EXPECT_NE(what.find("'t.pkl': byte offset 2, " + expected), std::string::npos) << what;
  }
}

TEST(Unpickler, MemoKeysNeverStoredAreRefused) {
  std::string what = format_error([] { parse("\x80\x04Nq\x00h\x01."s); });
  EXPECT_NE(what.find("byte offset 5, opcode 0x68 (BINGET): memo key 1 was never stored"), std::string::npos) << what;
  what = format_error([] { parse("\x80\x04N\x94j\xff\xff\xff\xff."s); });
  EXPECT_NE(what.find("opcode 0x6a (LONG_BINGET): memo key 4294967295 was never stored"), std::string::npos) << what;
  what = format_error([] { parse("\x80\x04j\x00\x00\x00\x00."s); });
  EXPECT_NE(what.find("memo key 0 was never stored"), std::string::npos) << what;
  // MEMOIZE numbers entries 0, 1, 2, ... in order.
  const Unpickled u = parse("\x80\x04K\x05\x94" "0" "K\x06\x94" "0" "h\x00h\x01\x86."s);
  ASSERT_EQ(u.values.kind(u.root), PickleKind::kTuple);
  EXPECT_EQ(u.values.integer(u.values.items(u.root)[0]), 5);
  EXPECT_EQ(u.values.integer(u.values.items(u.root)[1]), 6);
}

TEST(Unpickler, SelfReferencesAndChangesToSealedContainersAreRefused) {
  // l = []; l.append(l)
  std::string what = format_error([] { parse("\x80\x04]q\x00h\x00" "a."s); });
  EXPECT_NE(what.find("byte offset 7, opcode 0x61 (APPEND): puts a list into itself"), std::string::npos) << what;
  // a = []; b = [a]; then a list item appended to a, which is already inside b.
  what = format_error([] { parse("\x80\x04]q\x00]h\x00" "ah\x00" "Na."s); });
  EXPECT_NE(what.find("opcode 0x61 (APPEND): changes a list that is already an item of another container"),
            std::string::npos)
      << what;
  // d = {}; d['k'] = d
  what = format_error([] { parse("\x80\x04}q\x00\x8c\x01kh\x00s."s); });
  EXPECT_NE(what.find("opcode 0x73 (SETITEM): puts a dict into itself"), std::string::npos) << what;
}

TEST(Unpickler, StackAndStructureErrorsNameOffsetAndOpcode) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\x80\x09N."s, "byte offset 0, opcode 0x80 (PROTO): pickle protocol 9 is not supported (2 to 5)"},
      {"\x80\x04NN."s, "byte offset 4, opcode 0x2e (STOP): expected one object on the stack at STOP, found 2"},
      {"\x80\x04(N."s, "byte offset 4, opcode 0x2e (STOP): 1 MARK(s) still open at STOP"},
      {"\x80\x04" "a."s, "byte offset 2, opcode 0x61 (APPEND): needs 1 object(s) on the stack above the last MARK, found 0"},
      {"\x80\x04](Na."s, "byte offset 5, opcode 0x61 (APPEND): needs 1 object(s) on the stack above the last MARK"},
      {"\x80\x04Nt."s, "byte offset 3, opcode 0x74 (TUPLE): no MARK on the stack"},
      {"\x80\x04K\x01K\x02" "a."s, "opcode 0x61 (APPEND): adds items to a int, not a list"},
      {"\x80\x04}(K\x01u."s, "opcode 0x75 (SETITEMS): SETITEMS with an odd number of items"},
      {"\x80\x04(K\x01" "d."s, "opcode 0x64 (DICT): DICT with an odd number of items"},
      {"\x80\x04K\x01K\x02\x93."s, "opcode 0x93 (STACK_GLOBAL): STACK_GLOBAL of values that are not both str"},
      {"\x80\x04\xff."s, "byte offset 2, opcode 0xff (unknown): not allowed: the test dialect"},
      {"\x80\x04" "F1.0\n."s, "byte offset 2, opcode 0x46 (FLOAT): not allowed: the test dialect"},
  };
  for (const auto& [bytes, expected] : cases) {
    const std::string what = format_error([&] { parse(bytes); });
    EXPECT_NE(what.find("'t.pkl': "), std::string::npos) << what;
    EXPECT_NE(what.find(expected), std::string::npos) << what;
  }
  std::string what = format_error([] { parse("\x80\x04N.xyz"s); });
  EXPECT_NE(what.find("'t.pkl': 3 bytes of trailing data after STOP at byte offset 3"), std::string::npos) << what;
  what = format_error([] { parse("\x80\x04N"s); });
  EXPECT_NE(what.find("'t.pkl': truncated pickle: no STOP opcode before the end of the file (byte offset 3)"),
            std::string::npos)
      << what;
}

TEST(Unpickler, ADialectRefusesWhatItDoesNotListAndItsHooksFailInPlace) {
  ListsOnly dialect;
  EXPECT_NO_THROW(unpickle("\x80\x04]K\x01" "a."s, "l.pkl", dialect));
  std::string what = format_error([&] { unpickle("\x80\x04]}."s, "l.pkl", dialect); });
  EXPECT_NE(what.find("'l.pkl': byte offset 3, opcode 0x7d (EMPTY_DICT): not allowed: lists of small ints only"),
            std::string::npos)
      << what;
  // Allowed opcodes whose hooks the dialect does not override refuse by default.
  what = format_error([&] { unpickle("\x80\x04" "cos\nsystem\n."s, "l.pkl", dialect); });
  EXPECT_NE(what.find("byte offset 2, opcode 0x63 (GLOBAL): GLOBAL 'os.system' is not allowed"), std::string::npos)
      << what;
}

TEST(Unpickler, HooksSeeTheirArguments) {
  // GLOBAL / STACK_GLOBAL names, REDUCE, NEWOBJ, BUILD, BINPERSID through the test dialect.
  const std::string p = "\x80\x04" "ccollections\nOrderedDict\n)R"  // REDUCE -> object
                        "\x8c\x05torch\x8c\x06Tensor\x93)\x81"        // STACK_GLOBAL, NEWOBJ -> object
                        "}b"                                           // BUILD with an empty state
                        "\x8c\x03pid\x85Q"                             // BINPERSID -> object 'persistent'
                        "\x87."s;
  const Unpickled u = parse(p);
  const PickleValues& v = u.values;
  const auto& items = v.items(u.root);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(v.text(items[0]), "collections.OrderedDict");
  EXPECT_EQ(v.text(items[1]), "torch.Tensor");
  EXPECT_EQ(v.text(items[2]), "persistent");
  EXPECT_EQ(v.tag(items[2]), 7u);
}

}  // namespace
}  // namespace fv
