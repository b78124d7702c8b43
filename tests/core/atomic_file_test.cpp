// Atomic writes leave the complete file and no temporaries; an uncommitted output leaves nothing.
#include "core/atomic_file.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

size_t count_entries(const std::filesystem::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFile, WritesCreatesFoldersAndReplaces) {
  testing::TempDir dir;
  const auto path = dir / "a/b/out.txt";
  write_file_atomic(path, "first");
  EXPECT_EQ(read_file(path), "first");
  write_file_atomic(path, "second");
  EXPECT_EQ(read_file(path), "second");
  EXPECT_EQ(count_entries(path.parent_path()), 1u);
}

TEST(AtomicFile, UncommittedOutputLeavesNothing) {
  testing::TempDir dir;
  {
    AtomicOutput out(dir / "x.bin");
    testing::write_text(out.temp_path(), "partial");
  }
  EXPECT_EQ(count_entries(dir.path()), 0u);
}

TEST(AtomicFile, CommittedOutputAppears) {
  testing::TempDir dir;
  AtomicOutput out(dir / "x.bin");
  testing::write_text(out.temp_path(), "full");
  out.commit();
  EXPECT_EQ(read_file(dir / "x.bin"), "full");
  EXPECT_EQ(count_entries(dir.path()), 1u);
}

TEST(AtomicFile, ReadingMissingFileNamesIt) {
  try {
    read_file("/nonexistent/file.txt");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/file.txt"), std::string::npos);
  }
}

}  // namespace
}  // namespace fv
