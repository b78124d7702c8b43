// Tests for input enumeration: folder order and labels, list files and their errors, shard slices.
#include "align/inputs.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

TEST(Inputs, FolderTreeIsSortedWithLabelsFromFirstFolder) {
  testing::TempDir dir;
  const auto root = dir / "data";
  for (const char* f : {"bob/2.jpg", "alice/v1/f2.PNG", "alice/v1/f1.png", "alice/x.jpg", "bob/notes.txt", "top.jpg"}) {
    testing::write_text(root / f, "x");
  }
  AlignConfig c;
  c.input = root.string();
  const InputSet s = collect_inputs(c);
  ASSERT_EQ(s.items.size(), 5u);  // notes.txt is not an image extension
  EXPECT_EQ(s.items[0].relative, "alice/v1/f1");
  EXPECT_EQ(s.items[1].relative, "alice/v1/f2");
  EXPECT_EQ(s.items[2].relative, "alice/x");
  EXPECT_EQ(s.items[3].relative, "bob/2");
  EXPECT_EQ(s.items[4].relative, "top");
  ASSERT_EQ(s.identities, (std::vector<std::string>{"", "alice", "bob"}));
  EXPECT_EQ(s.items[0].label, 1);
  EXPECT_EQ(s.items[3].label, 2);
  EXPECT_EQ(s.items[4].label, 0);
  EXPECT_EQ(s.items[0].identity, "alice");
}

TEST(Inputs, ListFileWithBoxesAndLandmarks) {
  testing::TempDir dir;
  testing::write_text(dir / "list.txt",
                      "# comment\n"
                      "p1/a.jpg\n"
                      "\n"
                      "p2/b.jpg 10 20 30 40\n"
                      "p2/b.jpg\t1 1 5 5\n"
                      "p1/c.jpg 1 2 3 4 5 6 7 8 9 10\n");
  AlignConfig c;
  c.input = (dir / "list.txt").string();
  const InputSet s = collect_inputs(c);
  ASSERT_EQ(s.items.size(), 4u);
  EXPECT_EQ(s.items[0].path, (dir / "p1/a.jpg").string());
  EXPECT_FALSE(s.items[0].has_box);
  EXPECT_EQ(s.items[0].line, 2);
  EXPECT_TRUE(s.items[1].has_box);
  EXPECT_FLOAT_EQ(s.items[1].box.h, 40.f);
  EXPECT_EQ(s.items[1].relative, "p2/b_L4");  // listed twice: one output per line
  EXPECT_EQ(s.items[2].relative, "p2/b_L5");
  EXPECT_NE(s.items[1].key, s.items[2].key);
  EXPECT_TRUE(s.items[3].has_landmarks);
  EXPECT_FLOAT_EQ(s.items[3].landmarks[kRightMouth].y, 10.f);
  EXPECT_EQ(s.items[3].identity, "p1");
  EXPECT_EQ(s.items[3].label, 0);
  EXPECT_EQ(s.items[1].label, 1);
}

TEST(Inputs, MalformedListLinesNameFileAndLine) {
  testing::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases{
      {"a.jpg\nb.jpg 1 2 3\n", ":2"},
      {"a.jpg 1 2 x 4\n", ":1"},
      {"a.jpg\n\n# c\nb.jpg 1 2 0 4\n", ":4"},
      {"a.jpg 1 2 3 4 5 6 7 8 9 nan\n", ":1"}};
  for (const auto& [text, where] : cases) {
    testing::write_text(dir / "bad.txt", text);
    AlignConfig c;
    c.input = (dir / "bad.txt").string();
    try {
      collect_inputs(c);
      FAIL() << "expected FormatError for " << text;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.txt" + where), std::string::npos) << e.what();
    }
  }
}

TEST(Inputs, ShardsPartitionContiguously) {
  for (std::size_t n : {0u, 1u, 7u, 100u}) {
    for (int shards : {1, 3, 8}) {
      std::size_t expected_begin = 0;
      for (int i = 0; i < shards; ++i) {
        const auto [b, e] = shard_range(n, i, shards);
        EXPECT_EQ(b, expected_begin);
        EXPECT_LE(e - b, n / shards + 1);
        expected_begin = e;
      }
      EXPECT_EQ(expected_begin, n);
    }
  }
  AlignConfig c;
  c.shard = "2/5";
  EXPECT_EQ(c.shard_index(), 2);
  EXPECT_EQ(c.shard_count(), 5);
  EXPECT_EQ(c.shard_suffix(), "-2-of-5");
  for (const char* bad : {"5/5", "1", "-1/3", "a/b", "1/0", "1/2x"}) {
    c.shard = bad;
    EXPECT_THROW(c.shard_index(), ConfigError) << bad;
  }
}

}  // namespace
}  // namespace fv
