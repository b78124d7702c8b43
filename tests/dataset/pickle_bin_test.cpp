// insightface .bin reader: files pickled by Python (protocols 2, 4, 5), a hand-made Python 2 file, and
// rejection of forbidden opcodes and truncated files with the offset and opcode named; hostile files (nesting
// up to 1e7 levels on a 256 KiB stack, declared lengths beyond the file, memo keys never stored).
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

#include "core/atomic_file.h"
#include "core/error.h"
#include "dataset/pickle_bin.h"
#include "dataset/test_bin.h"
#include "dataset/test_png.h"
#include "formats/nested_pickles.h"
#include "support/small_stack.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

using namespace std::string_literals;  // "..."s keeps embedded NUL bytes

std::vector<std::string> four_pngs() {
  return {testing::make_png(3, 2, 10, 0, 0), testing::make_png(3, 2, 20, 0, 0), testing::make_png(2, 2, 30, 5, 5),
          testing::make_png(4, 1, 40, 0, 9)};
}

std::string expect_format_error(const std::function<void()>& f) {
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

class PythonBin : public ::testing::TestWithParam<int> {};

TEST_P(PythonBin, ReadsWhatPythonPickleWrites) {
  testing::TempDir dir;
  const auto images = four_pngs();
  const auto path = dir / "lfw.bin";
  ASSERT_TRUE(testing::write_bin_with_python(path, images, {true, false}, GetParam()));
  const BinSet set = read_bin_set(path);
  ASSERT_EQ(set.images.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(set.images[i], images[i]) << "image " << i;
  EXPECT_EQ(set.pair_flags, (std::vector<std::int8_t>{1, 0}));

  std::vector<std::int8_t> flags;
  auto source = open_bin_set(path, &flags);
  EXPECT_EQ(flags, (std::vector<std::int8_t>{1, 0}));
  ASSERT_EQ(source->size(), 4u);
  EXPECT_EQ(source->id(3), "3");
  EXPECT_EQ(source->label(0), -1);
  const RgbImage img = source->image(3);
  ASSERT_EQ(img.width, 4);
  EXPECT_EQ(img.pixels[3 * 2], 42);  // pixel (2, 0): red 40 + 2
  EXPECT_EQ(img.pixels[2], 9);

  // Every proper prefix is a truncated file: a FormatError naming the file, never a crash.
  const std::string bytes = read_file(path);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const std::string what =
        expect_format_error([&] { parse_bin_set(std::string_view(bytes).substr(0, n), "cut.bin"); });
    EXPECT_NE(what.find("cut.bin"), std::string::npos) << what;
    EXPECT_TRUE(what.find("truncated") != std::string::npos || what.find("expected one object") != std::string::npos ||
                what.find("not the pair") != std::string::npos)
        << n << ": " << what;
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, PythonBin, ::testing::Values(2, 3, 4, 5));

// A Python 2 style file (str as SHORT_BINSTRING / BINSTRING; six images, three pairs), built opcode by opcode, with the memo opcodes,
// APPEND, MARK + TUPLE and BINBYTES8.
TEST(PickleBin, ReadsPython2StyleOpcodes) {
  const auto png = four_pngs();
  std::string p = "\x80\x02"s;                      // PROTO 2
  p += "]q\x00"s;                                   // EMPTY_LIST, BINPUT 0
  p += "(U" + std::string(1, static_cast<char>(png[0].size())) + png[0] + "q\x01"s;  // MARK, SHORT_BINSTRING
  p += "T" + u32le(static_cast<std::uint32_t>(png[1].size())) + png[1] + "r" + u32le(2);  // BINSTRING, LONG_BINPUT
  p += "e";                                         // APPENDS
  p += "h\x01" "a"s;                                // BINGET 1, APPEND (the same image again)
  p += "j" + u32le(2) + "a";                        // LONG_BINGET 2, APPEND
  p += "\x8e";                                      // BINBYTES8
  std::string len8;
  for (int i = 0; i < 8; ++i) len8.push_back(static_cast<char>(i == 0 ? png[3].size() : 0));
  p += len8 + png[3] + "\x94" "a"s;                 // MEMOIZE, APPEND
  p += "C" + std::string(1, static_cast<char>(png[2].size())) + png[2] + "a";  // SHORT_BINBYTES, APPEND
  p += "(\x88\x89\x88t"s;                           // MARK, NEWTRUE, NEWFALSE, NEWTRUE, TUPLE
  p += "\x86.";                                     // TUPLE2, STOP
  const BinSet set = parse_bin_set(p, "py2.bin");
  ASSERT_EQ(set.images.size(), 6u);
  EXPECT_EQ(set.images[0], png[0]);
  EXPECT_EQ(set.images[1], png[1]);
  EXPECT_EQ(set.images[2], png[0]);
  EXPECT_EQ(set.images[3], png[1]);
  EXPECT_EQ(set.images[4], png[3]);
  EXPECT_EQ(set.images[5], png[2]);
  EXPECT_EQ(set.pair_flags, (std::vector<std::int8_t>{1, 0, 1}));
}

TEST(PickleBin, RejectsCodeAndNamesOffsetAndOpcode) {
  // GLOBAL os.system at offset 2, then REDUCE: the classic pickle exploit.
  const std::string evil = "\x80\x02"s + "cos\nsystem\n" + "X\x04\x00\x00\x00" "echo"s + "\x85R.";
  std::string what = expect_format_error([&] { parse_bin_set(evil, "evil.bin"); });
  EXPECT_NE(what.find("evil.bin"), std::string::npos) << what;
  EXPECT_NE(what.find("byte offset 2"), std::string::npos) << what;
  EXPECT_NE(what.find("GLOBAL"), std::string::npos) << what;
  EXPECT_NE(what.find("os.system"), std::string::npos) << what;

  // The whitelisted callable with other arguments is still refused at the REDUCE.
  const std::string reduce = "\x80\x02"s + "c_codecs\nencode\n" + "X\x01\x00\x00\x00" "a"s +
                             "X\x05\x00\x00\x00" "utf-8"s + "\x86R.";
  what = expect_format_error([&] { parse_bin_set(reduce, "r.bin"); });
  EXPECT_NE(what.find("REDUCE"), std::string::npos) << what;
  EXPECT_NE(what.find("byte offset 35"), std::string::npos) << what;

  // BUILD, a dict, STACK_GLOBAL: not part of the format.
  what = expect_format_error([] { parse_bin_set(std::string("\x80\x04}b.", 5), "d.bin"); });
  EXPECT_NE(what.find("EMPTY_DICT"), std::string::npos) << what;
  EXPECT_NE(what.find("byte offset 2"), std::string::npos) << what;
  what = expect_format_error([] { parse_bin_set(std::string("\x80\x04\x93.", 4), "s.bin"); });
  EXPECT_NE(what.find("STACK_GLOBAL"), std::string::npos) << what;
  what = expect_format_error([] { parse_bin_set(std::string("\x80\x02]b.", 5), "b.bin"); });
  EXPECT_NE(what.find("BUILD"), std::string::npos) << what;
  EXPECT_NE(what.find("0x62"), std::string::npos) << what;
}

TEST(PickleBin, PythonObjectsOtherThanTheFormatAreRefused) {
  testing::TempDir dir;
  const auto path = dir / "od.bin";
  // An OrderedDict (REDUCE/BUILD of a class), as a malicious or foreign file might hold.
  const std::string cmd = fmt::format(
      "/usr/bin/python3 -c \"import pickle, collections; pickle.dump(collections.OrderedDict(a=1), open('{}', 'wb'), "
      "protocol=2)\"",
      path.string());
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string what = expect_format_error([&] { read_bin_set(path); });
  EXPECT_NE(what.find(path.string()), std::string::npos) << what;
  EXPECT_NE(what.find("GLOBAL"), std::string::npos) << what;
}

TEST(PickleBin, StructureErrors) {
  // Three images for one flag.
  const std::string p = "\x80\x04]"s + "(C\x01" "a" "C\x01" "b" "C\x01" "c" "e](\x88" "e\x86."s;
  std::string what = expect_format_error([&] { parse_bin_set(p, "odd.bin"); });
  EXPECT_NE(what.find("3 images for 1 pair flags"), std::string::npos) << what;
  // Trailing bytes after STOP.
  what = expect_format_error([] { parse_bin_set(std::string("\x80\x04]]\x86.xx", 8), "t.bin"); });
  EXPECT_NE(what.find("trailing"), std::string::npos) << what;
  // An unknown protocol.
  what = expect_format_error([] { parse_bin_set(std::string("\x80\x09]]\x86.", 6), "p.bin"); });
  EXPECT_NE(what.find("protocol 9"), std::string::npos) << what;
  // A memo key never stored.
  what = expect_format_error([] { parse_bin_set(std::string("\x80\x02h\x05.", 5), "m.bin"); });
  EXPECT_NE(what.find("memo key 5"), std::string::npos) << what;
  // A missing file is an I/O error naming it.
  try {
    read_bin_set("/nonexistent/x.bin");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.bin"), std::string::npos);
  }
}

// Hostile nesting: never a crash, whatever the depth. Within the unpickler's depth limit the value parses
// and the .bin structure check refuses it; beyond, the limit does; dicts are no .bin opcode at all.
class BinNesting : public ::testing::TestWithParam<testing::NestingCase> {};

TEST_P(BinNesting, RefusedWithAFormatErrorOnASmallStack) {
  const auto [shape, levels] = GetParam();
  testing::TempDir dir;
  const auto path = dir / "deep.bin";
  write_file_atomic(path, testing::nested_pickle(shape, levels));
  std::optional<std::string> error;
  testing::run_with_small_stack([&] {
    try {
      read_bin_set(path);
    } catch (const FormatError& e) {
      error = e.what();
    }
  });
  ASSERT_TRUE(error.has_value()) << "a nested value was accepted as a .bin set";
  EXPECT_NE(error->find(path.string()), std::string::npos) << *error;
  if (shape == testing::Nesting::kDicts) {
    EXPECT_NE(error->find("byte offset 2, opcode 0x7d (EMPTY_DICT): not allowed"), std::string::npos) << *error;
  } else if (shape == testing::Nesting::kListsTuplesDicts) {
    EXPECT_NE(error->find("opcode 0x30 (POP): not allowed"), std::string::npos) << *error;
  } else if (levels <= UnpickleLimits{}.max_depth) {
    EXPECT_NE(error->find("not the pair (bins, issame_list)"), std::string::npos) << *error;
  } else if (shape == testing::Nesting::kListsByMark) {
    EXPECT_NE(error->find("opcode 0x28 (MARK): more than 1000 MARKs open at once"), std::string::npos) << *error;
  } else {
    EXPECT_NE(error->find("(UnpickleLimits::max_"), std::string::npos) << *error;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, BinNesting,
                         ::testing::ValuesIn(testing::nesting_cases({1000, 100000, 200000, 10000000})),
                         testing::nesting_case_name);

// A deep value inside an otherwise valid pair: parsed within the limit (bins[0] is then no image), refused
// beyond it; raising the limit parses 200,000 levels on the small stack (nothing recurses, destruction
// included).
TEST(PickleBin, NestingLimitIsConfigurable) {
  auto inside_bins = [](std::size_t levels) {
    std::string p = "\x80\x04(";
    p.append(levels, ']');
    p.append(levels - 1, 'a');
    return p + "C\x01xl](\x88" "e\x86.";  // b'x', LIST (bins); [True]; TUPLE2
  };
  // 998 levels in bins[0]: bins is 999 deep, the pair 1000, the default limit.
  std::string what = expect_format_error([&] { parse_bin_set(inside_bins(998), "ok.bin"); });
  EXPECT_NE(what.find("'ok.bin': bins[0] is a list, not bytes"), std::string::npos) << what;
  what = expect_format_error([&] { parse_bin_set(inside_bins(1001), "deep.bin"); });
  EXPECT_NE(what.find("'deep.bin': byte offset "), std::string::npos) << what;
  EXPECT_NE(what.find("opcode 0x61 (APPEND): values nested deeper than 1000 levels"), std::string::npos) << what;

  UnpickleLimits limits;
  limits.max_depth = 200002;
  std::string error;
  testing::run_with_small_stack([&] {
    try {
      parse_bin_set(inside_bins(200000), "raised.bin", nullptr, limits);
    } catch (const FormatError& e) {
      error = e.what();
    }
  });
  EXPECT_NE(error.find("'raised.bin': bins[0] is a list, not bytes"), std::string::npos) << error;

  limits = UnpickleLimits{};
  limits.max_values = 5;
  what = expect_format_error([] { parse_bin_set("\x80\x04" "C\x01xC\x01y\x86."s, "v.bin"); });
  EXPECT_NE(what.find("bins is a bytes, not a list"), std::string::npos) << what;
  what = expect_format_error([&] { parse_bin_set("\x80\x04(C\x01xC\x01yl](\x88" "e\x86."s, "v.bin", nullptr, limits); });
  EXPECT_NE(what.find("more than 5 values"), std::string::npos) << what;
}

TEST(PickleBin, DeclaredLengthsBeyondTheFileAndUnknownMemoKeysAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\x80\x04X\xff\xff\xff\xff" "abc."s,
       "byte offset 2, opcode 0x58 (BINUNICODE): truncated: needs 4294967295 bytes"},
      {"\x80\x04" "B"s + u32le(0x7fffffffu) + ".",
       "byte offset 2, opcode 0x42 (BINBYTES): truncated: needs 2147483647 bytes"},
      {"\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\xff."s,
       "byte offset 2, opcode 0x8e (BINBYTES8): truncated: needs 18446744073709551615"},
      {"\x80\x04" "T"s + u32le(0x10000u) + "x.",
       "byte offset 2, opcode 0x54 (BINSTRING): truncated: needs 65536 bytes"},
      {"\x80\x04]\x94j\xff\xff\xff\xff."s,
       "byte offset 4, opcode 0x6a (LONG_BINGET): memo key 4294967295 was never stored"},
      {"\x80\x04]\x94h\x01."s, "byte offset 4, opcode 0x68 (BINGET): memo key 1 was never stored"},
  };
  for (const auto& [bytes, expected] : cases) {
    const std::string what = expect_format_error([&] { parse_bin_set(bytes, "h.bin"); });
    EXPECT_NE(what.find("'h.bin': " + expected), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace fv
