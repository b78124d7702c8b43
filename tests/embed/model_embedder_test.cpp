// Model-file embedder: determinism, agreement with the backbone, flip TTA, HDF5 model hash, named errors.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cstring>

#include "core/atomic_file.h"
#include "formats/embedding_store.h"
#include "core/error.h"
#include "core/sha256.h"
#include "embed/embed_config.h"
#include "embed/embed_run.h"
#include "embedder/model_embedder.h"
#include "model/model_file.h"
#include "support/margin.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

constexpr const char* kMessi = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";
constexpr const char* kAstronaut = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";

// Saves `dir`/`name`, a model file of a network with random weights drawn after manual_seed(seed).
std::filesystem::path save_random_model(const testing::TempDir& dir, const std::string& name,
                                        const BackboneOptions& options, const PreprocessOptions& preprocess,
                                        std::uint64_t seed) {
  torch::manual_seed(seed);
  auto backbone = make_backbone(options);
  ModelMeta meta;
  meta.backbone = backbone->options();
  meta.preprocess = preprocess;
  meta.producer = "model-embedder-test";
  const auto path = dir / name;
  save_model_file(path, meta, *backbone);
  return path;
}

// An MNIST-net model file with random weights (seed 7), 8-D embeddings, 28x28 grey inputs.
std::filesystem::path make_model(const testing::TempDir& dir) {
  return save_random_model(dir, "mnist8.fvm", BackboneOptions(BackboneKind::kMnistNet).embedding_dim(8),
                           PreprocessOptions::uniform(28, 28, 1, 33, 78), 7);
}

std::vector<float> preprocessed(const char* file, const PreprocessOptions& p, bool flip = false) {
  std::vector<float> v(static_cast<std::size_t>(p.channels) * p.width * p.height);
  preprocess_into(read_image(file), p, v.data(), flip);
  return v;
}

class ModelEmbedderTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::filesystem::path model_ = make_model(dir_);
};

TEST_F(ModelEmbedderTest, MetadataComesFromTheFile) {
  auto e = make_model_embedder(model_, DeviceKind::kCpu);
  EXPECT_EQ(e->dim(), 8);
  EXPECT_EQ(e->preprocess().width, 28);
  EXPECT_EQ(e->preprocess().channels, 1);
  EXPECT_EQ(e->preprocess().mean[0], 33.f);
  EXPECT_EQ(e->model_hash(), sha256_file_hex(model_));
  EXPECT_EQ(e->model_hash().size(), 64u);
  EXPECT_NE(e->description().find("mnist"), std::string::npos) << e->description();
  EXPECT_NE(e->description().find("model-embedder-test"), std::string::npos) << e->description();
}

TEST_F(ModelEmbedderTest, SameImageTwiceGivesTheSameBitsAndMatchesTheBackbone) {
  auto e = make_model_embedder(model_, DeviceKind::kCpu);
  const auto x = preprocessed(kMessi, e->preprocess());
  std::vector<float> a(8), b(8), pair(16);
  e->embed(x.data(), 1, a.data());
  e->embed(x.data(), 1, b.data());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), 8 * sizeof(float)), 0);
  std::vector<float> two(x);
  two.insert(two.end(), x.begin(), x.end());
  e->embed(two.data(), 2, pair.data());
  EXPECT_EQ(std::memcmp(pair.data(), pair.data() + 8, 8 * sizeof(float)), 0);
  for (int k = 0; k < 8; ++k) EXPECT_NEAR(pair[k], a[k], 1e-5f * (1 + std::abs(a[k])));
  // Another image gives another embedding.
  const auto y = preprocessed(kAstronaut, e->preprocess());
  std::vector<float> c(8);
  e->embed(y.data(), 1, c.data());
  EXPECT_NE(std::memcmp(a.data(), c.data(), 8 * sizeof(float)), 0);

  // The same numbers as the backbone loaded directly (eval mode, no grad).
  LoadedModel m = load_model_file(model_);
  torch::NoGradGuard no_grad;
  const auto ref = m.backbone->forward(torch::from_blob(const_cast<float*>(x.data()), {1, 1, 28, 28}).clone());
  for (int k = 0; k < 8; ++k) EXPECT_FLOAT_EQ(a[k], ref[0][k].item<float>());
  // Non-trivial output (random weights do not give zeros).
  double norm = 0;
  for (float v : a) norm += v * v;
  EXPECT_GT(norm, 0);
}

TEST_F(ModelEmbedderTest, FlipSumAndConcatFollowTheirDefinitions) {
  auto e = make_model_embedder(model_, DeviceKind::kCpu);
  const auto x = preprocessed(kAstronaut, e->preprocess());
  const auto mirrored = preprocessed(kAstronaut, e->preprocess(), /*flip=*/true);
  std::vector<float> plain(8), flipped(8);
  e->embed(x.data(), 1, plain.data());
  e->embed(mirrored.data(), 1, flipped.data());
  EXPECT_NE(plain, flipped);  // the astronaut is not mirror-symmetric

  const auto sum = embed_with_tta(*e, x, 1, FlipMode::kSum, false);
  ASSERT_EQ(sum.size(), 8u);
  for (int k = 0; k < 8; ++k) EXPECT_NEAR(sum[k], plain[k] + flipped[k], 1e-5f * (1 + std::abs(sum[k])));
  const auto concat = embed_with_tta(*e, x, 1, FlipMode::kConcat, false);
  ASSERT_EQ(concat.size(), 16u);
  for (int k = 0; k < 8; ++k) {
    EXPECT_NEAR(concat[k], plain[k], 1e-6f * (1 + std::abs(plain[k])));
    EXPECT_NEAR(concat[8 + k], flipped[k], 1e-6f * (1 + std::abs(flipped[k])));
  }
  const auto unit = embed_with_tta(*e, x, 1, FlipMode::kSum, true);
  double norm = 0, dot = 0, sum_norm = 0;
  for (int k = 0; k < 8; ++k) {
    norm += unit[k] * unit[k];
    dot += unit[k] * sum[k];
    sum_norm += sum[k] * sum[k];
  }
  EXPECT_NEAR(norm, 1.0, 1e-5);
  EXPECT_NEAR(dot, std::sqrt(sum_norm), 1e-4 * std::sqrt(sum_norm));  // same direction as the raw sum
}

TEST_F(ModelEmbedderTest, EmbeddingsFileRecordsTheModelHash) {
  std::filesystem::create_directories(dir_ / "images/a");
  std::filesystem::create_directories(dir_ / "images/b");
  std::filesystem::copy_file(kMessi, dir_ / "images/a/1.jpg");
  std::filesystem::copy_file(kAstronaut, dir_ / "images/b/1.png");
  EmbedConfig config;
  config.input = (dir_ / "images").string();
  config.output = (dir_ / "e.h5").string();
  config.embedder.model = model_.string();
  config.embedder.device = DeviceKind::kCpu;
  config.embedder.flip = FlipMode::kConcat;
  config.batch_size = 2;
  config.threads = 1;
  config.validate();
  auto source = open_embed_input(config);
  auto embedder = make_embedder(config.embedder);
  const EmbedSummary s = run_embed(config, *source, *embedder, "0123456789abcdef");
  EXPECT_EQ(s.embedded, 2);
  const EmbeddingSet set = read_embeddings(config.output);
  EXPECT_EQ(set.attributes.model_hash, sha256_file_hex(model_));
  EXPECT_EQ(set.attributes.embedding_dim, 16);
  EXPECT_EQ(set.attributes.flip_mode, "concat");
  ASSERT_EQ(set.rows(), 2);
  // Row 0 is messi: the direct embedding, concatenated with its mirror's, normalised.
  const auto x = preprocessed(kMessi, embedder->preprocess());
  const auto expected = embed_with_tta(*embedder, x, 1, FlipMode::kConcat, true);
  for (int k = 0; k < 16; ++k) EXPECT_NEAR(set.row(0)[k], expected[k], 1e-5f);
}

TEST_F(ModelEmbedderTest, MissingOrCorruptModelFileIsANamedError) {
  const auto missing = dir_ / "nope.fvm";
  try {
    make_model_embedder(missing, DeviceKind::kCpu);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
  const auto corrupt = dir_ / "corrupt.fvm";
  testing::write_text(corrupt, std::string(1000, 'x'));
  try {
    EmbedderConfig c;
    c.model = corrupt.string();
    make_embedder(c);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(corrupt.string()), std::string::npos) << e.what();
  }
  // A truncated copy of a real model file.
  const std::string bytes = read_file(model_);
  const auto truncated = dir_ / "truncated.fvm";
  testing::write_text(truncated, bytes.substr(0, bytes.size() / 2));
  try {
    make_model_embedder(truncated, DeviceKind::kCpu);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(truncated.string()), std::string::npos) << e.what();
  }
}

TEST(EmbedderConfig, DeviceNamesParseAndCudaWithoutGpuIsAConfigError) {
  EXPECT_EQ(parse_enum(embed_device_names(), "cpu", "embed.device"), DeviceKind::kCpu);
  EXPECT_THROW(parse_enum(embed_device_names(), "tpu", "embed.device"), ConfigError);
  if (!torch::cuda::is_available()) {
    testing::TempDir dir;
    EXPECT_THROW(make_model_embedder(make_model(dir), DeviceKind::kCuda), ConfigError);
  }
}

TEST(ModelEmbedderOptions, ChannelsLastGivesTheContiguousEmbeddingsAndHalfNeedsCuda) {
  testing::TempDir dir;
  PreprocessOptions preprocess;
  preprocess.width = 32;
  preprocess.height = 32;
  preprocess.channels = 3;
  const auto path =
      save_random_model(dir, "cifar16.fvm", BackboneOptions(BackboneKind::kCifarNet).embedding_dim(16), preprocess, 5);

  ModelEmbedderOptions o;
  o.device = DeviceKind::kCpu;
  o.memory_format = MemoryFormatMode::kContiguous;
  auto plain = make_model_embedder(path, o);
  o.memory_format = MemoryFormatMode::kChannelsLast;
  auto nhwc = make_model_embedder(path, o);
  std::vector<float> inputs = preprocessed(kMessi, preprocess);
  const auto second = preprocessed(kAstronaut, preprocess);
  inputs.insert(inputs.end(), second.begin(), second.end());
  std::vector<float> a(32), b(32);
  plain->embed(inputs.data(), 2, a.data());
  nhwc->embed(inputs.data(), 2, b.data());
  double scale = 0, worst = 0;
  for (int i = 0; i < 32; ++i) {
    scale = std::max(scale, std::abs(static_cast<double>(a[i])));
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  }
  EXPECT_GT(scale, 0);
  // Measured under the Haswell, SkylakeX, Cooperlake and Zen kernels: 2.1e-7 to 2.8e-7 (margin 360).
  EXPECT_TRUE(testing::below("channels_last_difference_over_scale", worst / scale, 1e-4));
  EXPECT_FALSE(static_cast<bool>(plain->input_allocator()));  // heap memory on the CPU

  EXPECT_EQ(parse_enum(precision_names(), "bf16", "embed.precision"), Precision::kBf16);
  o.precision = Precision::kFp16;
  try {
    make_model_embedder(path, o);
    FAIL() << "fp16 inference on the CPU was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("embed.precision"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fv
