// fv-embed: flip TTA and normalisation values, determinism, failure recording, interrupt + resume.
#include <gtest/gtest.h>

#include <cmath>

#include "core/atomic_file.h"
#include "formats/embedding_store.h"
#include "core/error.h"
#include "core/runtime.h"
#include "embed/embed_run.h"
#include "embedder/embedder.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

// Embeds a 1x1x3 "image" (width 3) as [x0, 2*x1, 3*x2]: not mirror-symmetric, so flips are visible.
class WeightedEmbedder : public Embedder {
 public:
  WeightedEmbedder() {
    p_.width = 3;
    p_.height = 1;
    p_.channels = 1;
  }
  const PreprocessOptions& preprocess() const override { return p_; }
  std::int64_t dim() const override { return 3; }
  void embed(const float* in, std::int64_t n, float* out) override {
    for (std::int64_t i = 0; i < n; ++i) {
      for (int k = 0; k < 3; ++k) out[i * 3 + k] = (k + 1) * in[i * 3 + k];
    }
  }
  std::string model_hash() const override { return "test"; }
  std::string description() const override { return "weighted"; }

 private:
  PreprocessOptions p_;
};

TEST(FlipTta, NoneSumConcatAndNormalisation) {
  WeightedEmbedder e;
  const std::vector<float> x = {1, 2, 3};
  EXPECT_EQ(embed_with_tta(e, x, 1, FlipMode::kNone, false), (std::vector<float>{1, 4, 9}));
  // mirrored input [3, 2, 1] embeds to [3, 4, 3]
  EXPECT_EQ(embed_with_tta(e, x, 1, FlipMode::kSum, false), (std::vector<float>{4, 8, 12}));
  EXPECT_EQ(embed_with_tta(e, x, 1, FlipMode::kConcat, false), (std::vector<float>{1, 4, 9, 3, 4, 3}));
  const auto unit = embed_with_tta(e, x, 1, FlipMode::kSum, true);
  const double norm = std::sqrt(16.0 + 64.0 + 144.0);
  EXPECT_NEAR(unit[0], 4 / norm, 1e-7);
  EXPECT_NEAR(unit[2], 12 / norm, 1e-7);
  EXPECT_EQ(output_dim(3, FlipMode::kConcat), 6);
  const std::vector<float> zero = {0, 0, 0};
  EXPECT_EQ(embed_with_tta(e, zero, 1, FlipMode::kNone, true), zero);  // a zero row stays zero, no NaN
}

TEST(PixelEmbedder, SameImageTwiceGivesTheSameEmbeddingBitForBit) {
  auto e = make_pixel_embedder(16, 16, 1);
  const RgbImage img = read_image("/usr/share/doc/opencv-doc/examples/data/messi5.jpg");
  std::vector<float> in(2 * 256);
  preprocess_into(img, e->preprocess(), in.data());
  preprocess_into(img, e->preprocess(), in.data() + 256);
  const auto out = embed_with_tta(*e, in, 2, FlipMode::kNone, true);
  ASSERT_EQ(out.size(), 512u);
  EXPECT_TRUE(std::equal(out.begin(), out.begin() + 256, out.begin() + 256));
  EXPECT_THROW(make_pixel_embedder(0, 16, 1), ConfigError);
  EXPECT_THROW(make_pixel_embedder(16, 16, 2), ConfigError);
}

class EmbedRun : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_stop_request();
    for (int id = 0; id < 3; ++id) {
      for (int k = 0; k < 4; ++k) {
        const auto path = dir_ / ("images/id" + std::to_string(id) + "/" + std::to_string(k) + ".png");
        std::filesystem::create_directories(path.parent_path());
        std::filesystem::copy_file(k % 2 ? "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
                                         : "/usr/share/doc/opencv-doc/examples/data/messi5.jpg",
                                   path);
      }
    }
    testing::write_text(dir_ / "images/id1/broken.png", "this is not a png");
    config_.input = (dir_ / "images").string();
    config_.embedder.pixel_width = 8;
    config_.embedder.pixel_height = 8;
    config_.batch_size = 3;
    config_.threads = 2;
    config_.max_failure_rate = 0.2;
  }
  void TearDown() override { clear_stop_request(); }
  testing::TempDir dir_;
  EmbedConfig config_;
};

TEST_F(EmbedRun, WritesEveryReadableImageAndRecordsTheUnreadable) {
  config_.output = (dir_ / "e.h5").string();
  auto source = open_embed_input(config_);
  auto embedder = make_embedder(config_.embedder);
  const EmbedSummary s = run_embed(config_, *source, *embedder, "cafe");
  EXPECT_EQ(s.inputs, 13);
  EXPECT_EQ(s.embedded, 12);
  EXPECT_EQ(s.failed, 1);
  const EmbeddingSet set = read_embeddings(config_.output);
  ASSERT_EQ(set.rows(), 12);
  EXPECT_EQ(set.attributes.embedding_dim, 64);
  EXPECT_EQ(set.attributes.config_hash, "cafe");
  EXPECT_EQ(set.attributes.model_hash, "builtin:pixels:8x8x1");
  EXPECT_EQ(set.ids[0], "id0/0.png");
  ASSERT_TRUE(set.labels.has_value());
  EXPECT_EQ((*set.labels)[11], 2);
  // messi (id0/0.png) and messi (id0/2.png) embed identically; astronaut differs.
  EXPECT_TRUE(std::equal(set.row(0), set.row(0) + 64, set.row(2)));
  EXPECT_FALSE(std::equal(set.row(0), set.row(0) + 64, set.row(1)));
  const std::string failures = read_file(config_.output + ".failures.csv");
  EXPECT_NE(failures.find("id1/broken.png"), std::string::npos) << failures;
}

TEST_F(EmbedRun, TooManyFailuresFailTheRun) {
  config_.output = (dir_ / "f.h5").string();
  config_.max_failure_rate = 0.0;
  auto source = open_embed_input(config_);
  auto embedder = make_embedder(config_.embedder);
  EXPECT_THROW(run_embed(config_, *source, *embedder, "x"), DataError);
}

TEST_F(EmbedRun, InterruptedThenResumedEqualsUninterrupted) {
  auto source = open_embed_input(config_);
  auto embedder = make_embedder(config_.embedder);
  config_.output = (dir_ / "full.h5").string();
  run_embed(config_, *source, *embedder, "h");

  config_.output = (dir_ / "resumed.h5").string();
  request_stop();  // stops after the first batch, as SIGINT would
  const EmbedSummary first = run_embed(config_, *source, *embedder, "h");
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.embedded, 3);
  EXPECT_FALSE(std::filesystem::exists(config_.output));
  clear_stop_request();
  const EmbedSummary second = run_embed(config_, *source, *embedder, "h");
  EXPECT_FALSE(second.interrupted);
  EXPECT_EQ(second.resumed_rows, 3);
  EXPECT_EQ(second.embedded, 12);
  EXPECT_EQ(second.failed, 1);

  const EmbeddingSet a = read_embeddings(dir_ / "full.h5"), b = read_embeddings(config_.output);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.embeddings, b.embeddings);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(read_file(dir_ / "full.h5.failures.csv"), read_file(config_.output + ".failures.csv"));
}

TEST_F(EmbedRun, ResumeWithAnotherBatchSizeIsRefused) {
  auto source = open_embed_input(config_);
  auto embedder = make_embedder(config_.embedder);
  config_.output = (dir_ / "r.h5").string();
  request_stop();
  EXPECT_TRUE(run_embed(config_, *source, *embedder, "h").interrupted);  // sidecar says batch_size=3
  clear_stop_request();
  config_.batch_size = 30;  // "batch_size=3" is a prefix of "batch_size=30": must still be refused
  try {
    run_embed(config_, *source, *embedder, "h");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("embed.batch_size"), std::string::npos) << e.what();
  }
}

TEST(EmbedConfig, ValidationNamesTheKey) {
  EmbedConfig c;
  try {
    c.validate();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("embed.input"), std::string::npos);
  }
  c.input = "x";
  c.batch_size = 0;
  try {
    c.validate();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("embed.batch_size"), std::string::npos);
  }
}

}  // namespace
}  // namespace fv
