// Model file: round trip (same outputs bit for bit, metadata kept), version and format checks, bad files.
#include "model/model_file.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

ModelMeta mnist_meta() {
  ModelMeta meta;
  meta.backbone = resolve(BackboneOptions(BackboneKind::kMnistNet).embedding_dim(3));
  meta.preprocess.width = 28;
  meta.preprocess.height = 28;
  meta.preprocess.channels = 1;
  meta.preprocess.mean = {33.3f, 0, 0};
  meta.preprocess.std = {78.6f, 1, 1};
  meta.producer = "test";
  meta.provenance = {{"loss", "lsoftmax"}, {"step", 42}};
  return meta;
}

TEST(ModelFile, RoundTripGivesTheSameNetworkAndMetadata) {
  testing::TempDir dir;
  torch::manual_seed(3);
  const ModelMeta meta = mnist_meta();
  auto net = make_backbone(meta.backbone);
  // Train-mode BatchNorm statistics must travel too: run one forward in train mode to change them.
  net->train();
  net->forward(torch::randn({8, 1, 28, 28}));
  net->eval();
  save_model_file(dir / "m.fvm", meta, *net);

  const LoadedModel loaded = load_model_file(dir / "m.fvm");
  EXPECT_EQ(loaded.meta.producer, "test");
  EXPECT_EQ(loaded.meta.provenance.at("step"), 42);
  EXPECT_FALSE(loaded.meta.created.empty());
  EXPECT_EQ(loaded.meta.backbone.embedding_dim(), 3);
  EXPECT_EQ(loaded.meta.preprocess.channels, 1);
  EXPECT_FLOAT_EQ(loaded.meta.preprocess.mean[0], 33.3f);
  EXPECT_EQ(loaded.sha256.size(), 64u);
  EXPECT_FALSE(loaded.backbone->is_training());

  torch::NoGradGuard no_grad;
  const auto x = torch::randn({4, 1, 28, 28});
  EXPECT_TRUE(torch::equal(net->forward(x), loaded.backbone->forward(x)));
  auto a = net->named_buffers();
  auto b = loaded.backbone->named_buffers();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& item : a) EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << item.key();
}

TEST(ModelFile, RefusesMismatchedPreprocessing) {
  testing::TempDir dir;
  ModelMeta meta = mnist_meta();
  auto net = make_backbone(meta.backbone);
  meta.preprocess.width = 32;
  EXPECT_THROW(save_model_file(dir / "m.fvm", meta, *net), FormatError);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.fvm"));
}

TEST(ModelFile, RefusesANewerVersionAndForeignFiles) {
  testing::TempDir dir;
  // A newer version: same layout, version bumped.
  torch::serialize::OutputArchive archive;
  nlohmann::json j = {{"format", "fv-model"}, {"version", kModelFileVersion + 1}};
  archive.write("fv_model_meta", c10::IValue(j.dump()));
  archive.save_to((dir / "new.fvm").string());
  try {
    load_model_file(dir / "new.fvm");
    FAIL() << "a newer version was accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("version"), std::string::npos) << e.what();
  }
  // A torch archive that is not a model file.
  torch::serialize::OutputArchive other;
  other.write("x", torch::ones({2}));
  other.save_to((dir / "other.pt").string());
  EXPECT_THROW(load_model_file(dir / "other.pt"), FormatError);
  // Garbage and a truncated file.
  testing::write_text(dir / "garbage.fvm", "not a zip file at all");
  EXPECT_THROW(load_model_file(dir / "garbage.fvm"), FormatError);
  EXPECT_THROW(load_model_file(dir / "missing.fvm"), IoError);
}

TEST(ModelFile, TruncatedFileIsAFormatError) {
  testing::TempDir dir;
  const ModelMeta meta = mnist_meta();
  auto net = make_backbone(meta.backbone);
  save_model_file(dir / "m.fvm", meta, *net);
  const auto size = std::filesystem::file_size(dir / "m.fvm");
  std::filesystem::resize_file(dir / "m.fvm", size / 2);
  EXPECT_THROW(load_model_file(dir / "m.fvm"), FormatError);
}

TEST(ModelFile, MissingTensorIsNamed) {
  testing::TempDir dir;
  const ModelMeta meta = mnist_meta();
  torch::serialize::OutputArchive archive;
  nlohmann::json j = {{"format", "fv-model"},     {"version", 1},
                      {"backbone", to_json(meta.backbone)}, {"preprocess", to_json(meta.preprocess)}};
  archive.write("fv_model_meta", c10::IValue(j.dump()));
  torch::serialize::OutputArchive weights;
  archive.write("backbone", weights);
  archive.save_to((dir / "empty.fvm").string());
  try {
    load_model_file(dir / "empty.fvm");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("weights lack"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fv
