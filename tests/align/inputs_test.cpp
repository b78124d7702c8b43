// Tests for input enumeration: folder order and labels, list files and their errors, shard slices, output
// names confined under images/, and rows for entries that cannot be read.
#include "align/inputs.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

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

namespace fs = std::filesystem;

std::map<std::string, InputItem> items_by_relative(const InputSet& s) {
  std::map<std::string, InputItem> out;
  for (const auto& item : s.items) out[item.relative] = item;
  return out;
}

TEST(Inputs, ConfinedStemHasNoRootAndNoParentComponents) {
  EXPECT_EQ(confined_stem("anna/x.jpg"), "anna/x");
  EXPECT_EQ(confined_stem("../x.jpg"), "x");
  EXPECT_EQ(confined_stem("a/../../b/./c.png"), "b/c");
  EXPECT_EQ(confined_stem("/data/set/y.jpg"), "data/set/y");
  EXPECT_EQ(confined_stem("../../.."), "_");
  EXPECT_EQ(confined_stem("/"), "_");
  EXPECT_EQ(confined_stem("a/....jpg"), "a/...");
  EXPECT_EQ(confined_stem("a/..."), "a/...");
  EXPECT_EQ(confined_stem(".hidden"), ".hidden");
  EXPECT_TRUE(path_is_within("out/images/a/b.jpg", "out/images"));
  EXPECT_TRUE(path_is_within("out/images/a/../b.jpg", "out/images/"));
  EXPECT_FALSE(path_is_within("out/images/../src/b.jpg", "out/images"));
  EXPECT_FALSE(path_is_within("out/images", "out/images"));
  EXPECT_FALSE(path_is_within("out/imagesX/a.jpg", "out/images"));
  EXPECT_FALSE(path_is_within("/etc/passwd", "out"));
}

// A list line with '..' or an absolute path outside the root gets a name under images/ without '..';
// names that then coincide get "_L<line>"; the manifest's path stays the one the list gave.
TEST(Inputs, ListPathsOutsideTheRootAreConfined) {
  testing::TempDir dir;
  const fs::path root = dir / "set";
  const std::string outside = (dir / "elsewhere" / "y.jpg").string();
  testing::write_text(root / "list.txt", "../x.jpg\nx.jpg\n" + outside + "\n" + (root / "p" / "in.jpg").string() +
                                             "\np/../../../z.jpg\n");
  AlignConfig c;
  c.input = (root / "list.txt").string();
  const InputSet s = collect_inputs(c);
  ASSERT_EQ(s.items.size(), 5u);
  EXPECT_EQ(s.items[0].relative, "x_L1");
  EXPECT_EQ(s.items[0].path, (dir / "x.jpg").string());
  EXPECT_EQ(s.items[1].relative, "x_L2");
  EXPECT_EQ(s.items[2].relative, confined_stem(outside));
  EXPECT_EQ(s.items[2].relative.find(".."), std::string::npos);
  EXPECT_EQ(s.items[2].path, outside);
  EXPECT_EQ(s.items[3].relative, "p/in");  // absolute but inside the root: its path under the root
  EXPECT_EQ(s.items[4].relative, "z");
  for (const auto& item : s.items) {
    EXPECT_TRUE(path_is_within(dir / "out" / "images" / (item.relative + ".jpg"), dir / "out" / "images"))
        << item.relative;
  }
}

// Links are named where they sit under the root (never by their target); what cannot be an image is an item
// with a problem (a row), not skipped.
TEST(Inputs, FolderLinksAndSpecialFilesAreNamedUnderTheRoot) {
  testing::TempDir dir;
  const fs::path root = dir / "set";
  testing::write_text(root / "anna" / "a.jpg", "x");
  testing::write_text(root / "anna" / "a.png", "x");  // same stem: a_jpg, a_png
  testing::write_text(dir / "outside" / "y.jpg", "x");
  testing::write_text(dir / "outside_dir" / "z.jpg", "x");
  fs::create_symlink(dir / "outside" / "y.jpg", root / "anna" / "link.jpg");
  fs::create_symlink(dir / "outside_dir", root / "linked");
  fs::create_symlink("self.jpg", root / "anna" / "self.jpg");
  fs::create_symlink(dir / "nowhere.jpg", root / "anna" / "dangling.jpg");
  fs::create_symlink("..", root / "anna" / "up");
  fs::create_symlink("/dev/zero", root / "anna" / "zero.jpg");
  ASSERT_EQ(::mkfifo((root / "anna" / "pipe.jpg").c_str(), 0600), 0);
  AlignConfig c;
  c.input = root.string();
  const auto items = items_by_relative(collect_inputs(c));
  ASSERT_EQ(items.size(), 9u);
  EXPECT_TRUE(items.at("anna/a_jpg").problem.empty());
  EXPECT_TRUE(items.at("anna/a_png").problem.empty());
  EXPECT_TRUE(items.at("anna/link").problem.empty());
  EXPECT_EQ(items.at("anna/link").path, (root / "anna" / "link.jpg").string());
  EXPECT_TRUE(items.at("linked/z").problem.empty());
  EXPECT_EQ(items.at("linked/z").identity, "linked");
  EXPECT_EQ(items.at("anna/self").problem_status, AlignStatus::kUnreadable);
  EXPECT_NE(items.at("anna/self").problem.find("loop"), std::string::npos) << items.at("anna/self").problem;
  EXPECT_EQ(items.at("anna/dangling").problem_status, AlignStatus::kMissing);
  EXPECT_NE(items.at("anna/dangling").problem.find("dangling"), std::string::npos);
  EXPECT_NE(items.at("anna/up").problem.find("loop"), std::string::npos) << items.at("anna/up").problem;
  EXPECT_NE(items.at("anna/zero").problem.find("character device"), std::string::npos);
  EXPECT_NE(items.at("anna/pipe").problem.find("FIFO"), std::string::npos);
  for (const auto& [rel, item] : items) EXPECT_EQ(item.identity, rel.substr(0, rel.find('/'))) << rel;
}

TEST(Inputs, FolderWithoutReadPermissionIsAnItem) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads folders whatever their permissions";
  testing::TempDir dir;
  const fs::path root = dir / "set";
  testing::write_text(root / "anna" / "a.jpg", "x");
  testing::write_text(root / "bob" / "b.jpg", "x");
  fs::permissions(root / "anna", fs::perms::none);
  AlignConfig c;
  c.input = root.string();
  const InputSet s = collect_inputs(c);
  fs::permissions(root / "anna", fs::perms::owner_all);
  ASSERT_EQ(s.items.size(), 2u);
  EXPECT_EQ(s.items[0].path, (root / "anna").string());
  EXPECT_EQ(s.items[0].identity, "anna");
  EXPECT_NE(s.items[0].problem.find("cannot list"), std::string::npos) << s.items[0].problem;
  EXPECT_TRUE(s.items[1].problem.empty());
}

}  // namespace
}  // namespace fv
