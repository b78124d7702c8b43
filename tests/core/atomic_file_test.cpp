// Atomic writes leave the complete file and no temporaries; an uncommitted output leaves nothing.
#include "core/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

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

// The pid of a process that has exited (and been reaped), as a killed writer's would be.
long dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST(AtomicFile, StaleTemporariesOfDeadProcessesAreRemoved) {
  testing::TempDir dir;
  const long dead = dead_pid();
  const auto stale = dir / fmt::format(".checkpoint.fvc.tmp.{}.0", dead);
  const auto nested = dir / fmt::format("images/a/.x.jpg.tmp.{}.3", dead);
  const auto own = dir / fmt::format(".model.fvm.tmp.{}.1", static_cast<long>(::getpid()));  // being written
  const auto alive = dir / ".summary.json.tmp.1.0";  // pid 1 is always running
  const auto user = dir / "notes.tmp.5.txt";         // not AtomicOutput's pattern
  for (const auto& p : {stale, nested, own, alive, user}) write_file_atomic(p, "x");
  EXPECT_EQ(remove_stale_temporaries(dir.path(), /*recursive=*/false), 1u);
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(nested));
  EXPECT_EQ(remove_stale_temporaries(dir.path(), /*recursive=*/true), 1u);
  EXPECT_FALSE(std::filesystem::exists(nested));
  for (const auto& p : {own, alive, user}) EXPECT_TRUE(std::filesystem::exists(p)) << p;
  EXPECT_EQ(remove_stale_temporaries(dir / "missing", true), 0u);
}

}  // namespace
}  // namespace fv
