// Tests of the protocol line reader: line numbers, line ends, the line-length bound, quoting and splitting.
#include "protocol/protocol_reader.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv::protocol {
namespace {

std::vector<std::pair<int, std::string>> read_all(const std::filesystem::path& file) {
  ProtocolReader in(file);
  std::vector<std::pair<int, std::string>> lines;
  while (in.next()) lines.emplace_back(in.line_number(), std::string(in.text()));
  return lines;
}

TEST(ProtocolReader, LinesNumbersAndLineEnds) {
  testing::TempDir dir;
  // CRLF and LF, a blank line, a NUL byte, and a last line without a line break.
  testing::write_text(dir / "a.txt", std::string("one\r\ntwo\n\nfo\0ur\r\nlast", 21));
  using L = std::vector<std::pair<int, std::string>>;
  EXPECT_EQ(read_all(dir / "a.txt"), (L{{1, "one"}, {2, "two"}, {3, ""}, {4, std::string("fo\0ur", 5)}, {5, "last"}}));
  testing::write_text(dir / "b.txt", "x\n");
  EXPECT_EQ(read_all(dir / "b.txt"), (L{{1, "x"}}));
  testing::write_text(dir / "empty.txt", "");
  EXPECT_TRUE(read_all(dir / "empty.txt").empty());
  // Lines that straddle the 64 KiB read buffer.
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "line" + std::to_string(i) + "\n";
  testing::write_text(dir / "big.txt", big);
  const auto lines = read_all(dir / "big.txt");
  ASSERT_EQ(lines.size(), 20000u);
  EXPECT_EQ(lines[12345], (std::pair<int, std::string>{12346, "line12345"}));
  EXPECT_THROW(ProtocolReader(dir / "missing.txt"), IoError);
}

TEST(ProtocolReader, ALineWithoutEndIsRejectedAtTheBound) {
  testing::TempDir dir;
  // A "file without line breaks" (a binary file passed by mistake): rejected after 64 KiB, not read whole.
  testing::write_text(dir / "long.txt", "ok\n" + std::string(kMaxProtocolLineBytes + 1, 'x') + "\nnever read\n");
  ProtocolReader in(dir / "long.txt");
  ASSERT_TRUE(in.next());
  try {
    in.next();
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "long.txt").string() + ":2: line longer than 65536 bytes (not a text "
                                                                   "protocol file?): '" + std::string(200, 'x') + "...'");
  }
  // Exactly at the bound is fine.
  testing::write_text(dir / "max.txt", std::string(kMaxProtocolLineBytes, 'y') + "\n");
  EXPECT_EQ(read_all(dir / "max.txt").at(0).second.size(), kMaxProtocolLineBytes);
}

TEST(ProtocolReader, ErrorsQuoteTheLine) {
  testing::TempDir dir;
  testing::write_text(dir / "a.txt", std::string("a\tb\x01\x7f\0c\n", 8));
  ProtocolReader in(dir / "a.txt");
  ASSERT_TRUE(in.next());
  try {
    in.fail("bad");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "a.txt").string() + ":1: bad: 'a\tb\\x01\\x7f\\x00c'");
  }
  EXPECT_EQ(in.integer("-12", "n"), -12);
  EXPECT_THROW(in.integer("12x", "n"), FormatError);
  EXPECT_THROW(in.integer("", "n"), FormatError);
  EXPECT_EQ(quote_line(std::string(300, 'z')), std::string(200, 'z') + "... (300 bytes)");
}

TEST(ProtocolReader, Splitting) {
  std::vector<std::string_view> f;
  split_fields("  a\t b  c ", " \t", f);
  EXPECT_EQ(f, (std::vector<std::string_view>{"a", "b", "c"}));
  split_fields("", " \t", f);
  EXPECT_TRUE(f.empty());
  split_fields("1 2,3", " \t,", f);
  EXPECT_EQ(f, (std::vector<std::string_view>{"1", "2", "3"}));
  split_csv("1, A/0 ,\tB/1,, 0 ", f);
  EXPECT_EQ(f, (std::vector<std::string_view>{"1", "A/0", "B/1", "", "0"}));
  split_csv("a,", f);
  EXPECT_EQ(f, (std::vector<std::string_view>{"a", ""}));
  split_csv("  ", f);
  EXPECT_EQ(f, (std::vector<std::string_view>{""}));
}

}  // namespace
}  // namespace fv::protocol
