// fv-embed over packed inputs: RecordIO pairs (ids = record keys, corrupt records counted) and .bin sets.
#include <gtest/gtest.h>

#include <fstream>

#include "core/atomic_file.h"
#include "formats/embedding_store.h"
#include "core/error.h"
#include "formats/recordio.h"
#include "core/runtime.h"
#include "dataset/test_bin.h"
#include "dataset/test_png.h"
#include "embed/embed_run.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

TEST(EmbedInputs, RecordIOIsDetectedByExtensionAndCorruptRecordsAreCounted) {
  testing::TempDir dir;
  const auto rec = dir / "faces.rec";
  std::vector<std::uint64_t> offsets;
  {
    RecordWriter w(rec, dir / "faces.idx");
    w.write(0, pack_image_record(IRHeader{}, "", {6.f, 8.f}));  // insightface header: images are keys 1..5
    for (std::uint64_t k = 1; k <= 5; ++k) {
      IRHeader h;
      h.label = static_cast<float>(k % 2);
      offsets.push_back(w.write(k, pack_image_record(h, testing::make_png(6, 6, static_cast<std::uint8_t>(40 * k), 0, 0))));
    }
  }
  {
    std::fstream f(rec, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offsets[2]));  // key 3
    f.write("XXXX", 4);
  }
  EmbedConfig config;
  config.input = rec.string();
  config.output = (dir / "e.h5").string();
  config.embedder.pixel_width = 6;
  config.embedder.pixel_height = 6;
  config.embedder.pixel_grey = false;
  config.embedder.normalize = false;
  config.batch_size = 2;
  config.threads = 2;
  config.max_failure_rate = 0.25;
  config.validate();
  auto source = open_embed_input(config);
  ASSERT_EQ(source->size(), 5u);
  auto embedder = make_embedder(config.embedder);
  const EmbedSummary s = run_embed(config, *source, *embedder, "h");
  EXPECT_EQ(s.embedded, 4);
  EXPECT_EQ(s.failed, 1);
  const EmbeddingSet set = read_embeddings(config.output);
  EXPECT_EQ(set.ids, (std::vector<std::string>{"1", "2", "4", "5"}));
  ASSERT_TRUE(set.labels.has_value());
  EXPECT_EQ(*set.labels, (std::vector<std::int64_t>{1, 0, 0, 1}));
  // Pixel embedding, unnormalised: first value is red of pixel (0, 0) / 255 = 40k / 255.
  EXPECT_FLOAT_EQ(set.row(2)[0], 160.f / 255.f);
  const std::string failures = read_file(config.output + ".failures.csv");
  EXPECT_NE(failures.find("\"3\""), std::string::npos) << failures;
  EXPECT_NE(failures.find("magic"), std::string::npos) << failures;
}

EmbedConfig pixel_config(const std::filesystem::path& input, const std::filesystem::path& output) {
  EmbedConfig config;
  config.input = input.string();
  config.output = output.string();
  config.embedder.pixel_width = 4;
  config.embedder.pixel_height = 4;
  config.embedder.pixel_grey = false;
  config.embedder.normalize = false;
  config.batch_size = 3;
  config.threads = 2;
  config.validate();
  return config;
}

TEST(EmbedInputs, BinSetWritesIndexIdsAndPairFlags) {
  testing::TempDir dir;
  std::vector<std::string> images;
  for (int i = 0; i < 6; ++i) images.push_back(testing::make_png(4, 4, static_cast<std::uint8_t>(30 * i), 0, 0));
  const auto bin = dir / "agedb_30.bin";
  ASSERT_TRUE(testing::write_bin_with_python(bin, images, {false, true, true}, 4));
  EmbedConfig config = pixel_config(bin, dir / "agedb.h5");
  std::optional<std::vector<std::int8_t>> flags;
  auto source = open_embed_input(config, &flags);  // input_kind auto: *.bin
  ASSERT_TRUE(flags.has_value());
  EXPECT_EQ(*flags, (std::vector<std::int8_t>{0, 1, 1}));
  auto embedder = make_embedder(config.embedder);
  const EmbedSummary s = run_embed(config, *source, *embedder, "h", flags);
  EXPECT_EQ(s.embedded, 6);
  const EmbeddingSet set = read_embeddings(config.output);
  EXPECT_EQ(set.ids, (std::vector<std::string>{"0", "1", "2", "3", "4", "5"}));
  EXPECT_FALSE(set.labels.has_value());
  ASSERT_TRUE(set.pair_flags.has_value());
  EXPECT_EQ(*set.pair_flags, (std::vector<std::int8_t>{0, 1, 1}));
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(set.row(i)[0], 30.f * i / 255.f) << i;
}

TEST(EmbedInputs, AnInterruptedBinRunResumesWithItsPairFlags) {
  testing::TempDir dir;
  std::vector<std::string> images;
  for (int i = 0; i < 8; ++i) images.push_back(testing::make_png(4, 4, static_cast<std::uint8_t>(20 * i), 1, 2));
  const auto bin = dir / "cfp_fp.bin";
  ASSERT_TRUE(testing::write_bin_with_python(bin, images, {true, true, false, true}, 2));
  EmbedConfig config = pixel_config(bin, dir / "cfp.h5");
  std::optional<std::vector<std::int8_t>> flags;
  auto source = open_embed_input(config, &flags);
  auto embedder = make_embedder(config.embedder);
  clear_stop_request();
  request_stop();  // stops after the first batch (3 rows)
  const EmbedSummary first = run_embed(config, *source, *embedder, "h", flags);
  clear_stop_request();
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.embedded, 3);
  const EmbedSummary second = run_embed(config, *source, *embedder, "h", flags);
  EXPECT_EQ(second.resumed_rows, 3);
  const EmbeddingSet set = read_embeddings(config.output);
  ASSERT_EQ(set.rows(), 8);
  ASSERT_TRUE(set.pair_flags.has_value());
  EXPECT_EQ(*set.pair_flags, (std::vector<std::int8_t>{1, 1, 0, 1}));
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(set.row(i)[0], 20.f * i / 255.f) << i;
}

TEST(EmbedInputs, AnUnreadableImageOfABinSetFailsTheRun) {
  testing::TempDir dir;
  const auto bin = dir / "broken.bin";
  ASSERT_TRUE(testing::write_bin_with_python(bin, {testing::make_png(4, 4, 1, 2, 3), "not an image"}, {true}, 4));
  EmbedConfig config = pixel_config(bin, dir / "b.h5");
  config.max_failure_rate = 1.0;  // even when failures are otherwise tolerated: the pairs would shift
  std::optional<std::vector<std::int8_t>> flags;
  auto source = open_embed_input(config, &flags);
  auto embedder = make_embedder(config.embedder);
  try {
    run_embed(config, *source, *embedder, "h", flags);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("image 1"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(config.output));
}

// A run that stops on an unreadable .bin image before storing any row leaves no <output>.partial (nothing
// to resume), only the failures file; once the set is fixed the same command runs from the start. A run
// that stops after storing rows keeps its partial file for the resume.
TEST(EmbedInputs, AFailedBinRunLeavesAPartialFileOnlyWhenItStoredRows) {
  testing::TempDir dir;
  const auto bin = dir / "broken.bin";
  ASSERT_TRUE(testing::write_bin_with_python(bin, {testing::make_png(4, 4, 1, 2, 3), "not an image"}, {true}, 4));
  EmbedConfig config = pixel_config(bin, dir / "b.h5");
  const auto partial = EmbeddingWriter::partial_path(config.output);
  auto run = [&](const EmbedConfig& c) {
    std::optional<std::vector<std::int8_t>> flags;
    auto source = open_embed_input(c, &flags);
    auto embedder = make_embedder(c.embedder);
    return run_embed(c, *source, *embedder, "h", flags);
  };
  EXPECT_THROW(run(config), DataError);
  EXPECT_FALSE(std::filesystem::exists(partial));
  EXPECT_FALSE(std::filesystem::exists(config.output));
  EXPECT_NE(read_file(config.output + ".failures.csv").find("0,1,\"1\""), std::string::npos);

  ASSERT_TRUE(testing::write_bin_with_python(bin, {testing::make_png(4, 4, 1, 2, 3), testing::make_png(4, 4, 9, 9, 9)},
                                             {true}, 4));
  const EmbedSummary fixed = run(config);
  EXPECT_EQ(fixed.embedded, 2);
  EXPECT_EQ(fixed.resumed_rows, 0);
  EXPECT_EQ(read_embeddings(config.output).rows(), 2);

  // Three images embed (one batch of 3 stored), the fourth does not: the partial file keeps the 3 rows.
  const auto bin2 = dir / "late.bin";
  std::vector<std::string> images;
  for (int i = 0; i < 3; ++i) images.push_back(testing::make_png(4, 4, static_cast<std::uint8_t>(10 * i), 0, 0));
  images.push_back("not an image");
  ASSERT_TRUE(testing::write_bin_with_python(bin2, images, {true, false}, 4));
  EmbedConfig late = pixel_config(bin2, dir / "late.h5");
  EXPECT_THROW(run(late), DataError);
  ASSERT_TRUE(std::filesystem::exists(EmbeddingWriter::partial_path(late.output)));
  images.back() = testing::make_png(4, 4, 30, 0, 0);
  ASSERT_TRUE(testing::write_bin_with_python(bin2, images, {true, false}, 4));
  const EmbedSummary resumed = run(late);
  EXPECT_EQ(resumed.resumed_rows, 3);
  EXPECT_EQ(resumed.embedded, 4);
  EXPECT_FALSE(std::filesystem::exists(EmbeddingWriter::partial_path(late.output)));
}

}  // namespace
}  // namespace fv
