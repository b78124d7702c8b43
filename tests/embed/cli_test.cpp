// fv-embed as users run it, on a file system that fills up: a file-size limit (ulimit -f, with SIGXFSZ ignored so
// that write() fails with EFBIG as a full disk fails with ENOSPC) stops the run with exit 3 naming the file, no
// crash; the same command rerun with space again completes without any manual clean-up, and its embeddings
// equal an uninterrupted run's.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "formats/embedding_store.h"
#include "support/command.h"
#include "support/synth.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

using testing::CommandResult;
using testing::run_command;

// 40 identities x 10 images, 64x64: raw-pixel embeddings of 4,096 floats, 256 KiB per batch of 16.
std::filesystem::path make_synth(const testing::TempDir& dir) {
  return testing::make_synth_images(FV_SYNTH_BIN, dir / "synth", 40, 10);
}

std::string embed(const std::filesystem::path& images, const std::filesystem::path& output) {
  // Chunks of 16 rows (256 KiB), so that the file grows batch by batch.
  return fmt::format("{} {} --embed.output {} --embed.batch_size 16 --embed.chunk_rows 16 --threads 2", FV_EMBED_BIN,
                     images.string(), output.string());
}

// `command` with a file-size limit of `kib` KiB.
CommandResult run_limited(const std::string& command, int kib) {
  return run_command(fmt::format("trap '' XFSZ; ulimit -f {}; exec {}", kib * 2, command));
}

void expect_same_embeddings(const std::filesystem::path& a, const std::filesystem::path& b) {
  const EmbeddingSet x = read_embeddings(a);
  const EmbeddingSet y = read_embeddings(b);
  EXPECT_EQ(x.ids, y.ids);
  EXPECT_EQ(x.embeddings, y.embeddings);  // bit for bit
}

class EmbedCli : public ::testing::Test {
 protected:
  void SetUp() override {
    images_ = make_synth(dir_);
    const CommandResult r = run_command(embed(images_, dir_ / "reference.h5"));
    ASSERT_EQ(r.code, 0) << r.output;
  }
  void expect_disk_full_exit(const CommandResult& r, const std::filesystem::path& output) {
    EXPECT_EQ(r.code, 3) << r.output;  // an I/O error, not a crash (139) or a bug (1)
    EXPECT_NE(r.output.find(output.string() + ".partial"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(output)) << "a final file after a failed run";
  }
  testing::TempDir dir_;
  std::filesystem::path images_;
};

TEST_F(EmbedCli, DiskFullAtTheFirstBatchExitsThreeAndTheRerunCompletes) {
  const auto out = dir_ / "e.h5";
  expect_disk_full_exit(run_limited(embed(images_, out), 128), out);
  const CommandResult again = run_command(embed(images_, out));
  ASSERT_EQ(again.code, 0) << again.output;
  expect_same_embeddings(out, dir_ / "reference.h5");
}

TEST_F(EmbedCli, DiskFullAfterSomeBatchesKeepsThePartialFileAndTheRerunResumes) {
  const auto out = dir_ / "e.h5";
  expect_disk_full_exit(run_limited(embed(images_, out), 2048), out);
  ASSERT_TRUE(std::filesystem::exists(dir_ / "e.h5.partial")) << "the rows stored before the disk filled are lost";
  const CommandResult again = run_command(embed(images_, out));
  ASSERT_EQ(again.code, 0) << again.output;
  // HDF5 leaves a file whose flush failed torn: the rerun sets it aside (kept, named in a warning) and starts
  // again; a partial file it can read is resumed.
  const auto aside = dir_ / "e.h5.partial.unreadable";
  if (std::filesystem::exists(aside)) {
    EXPECT_NE(again.output.find("moved it to '" + aside.string() + "' and starting again"), std::string::npos)
        << again.output;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "e.h5.partial"));
  expect_same_embeddings(out, dir_ / "reference.h5");
}

}  // namespace
}  // namespace fv
