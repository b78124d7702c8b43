// fv-import onnx on models exported by PyTorch exactly as insightface's torch2onnx.py does
// (tests/data/import/make_onnx_models.py, Debian's python3-torch and python3-onnx): through fv-embed the imported
// model reproduces PyTorch's forward pass on real photographs, equals fv-import iresnet of the same weights, and
// bad files are refused with the offending file, node or output named, nothing written.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstring>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "formats/embedding_store.h"
#include "import/iresnet_state_dict.h"
#include "import/onnx_import.h"
#include "model/model_file.h"
#include "support/command.h"
#include "support/margin.h"
#include "support/python_fixtures.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

namespace fs = std::filesystem;

// Photos besides the Debian-shipped ones when the shared data folder is there (skipped cleanly otherwise).
std::string photo_args() {
  const fs::path shared = testing::source_dir() / "../shared/data/faces/face_recognition_examples";
  return fs::is_directory(shared) ? "--photos " + shared.string() : "";
}

// ~40 s to make, ~550 MB. Empty when python3-torch, python3-onnx or PIL is missing.
const fs::path& fixtures() {
  static const fs::path dir = testing::python_fixtures(
      {"tests/data/import/make_onnx_models.py", "tests/data/import/make_iresnet_state_dict.py"}, FV_ONNX_FIXTURE_DIR,
      "--seed 0 " + photo_args(), "import torch, onnx, PIL");
  return dir;
}

#define REQUIRE_FIXTURES() \
  if (fixtures().empty()) GTEST_SKIP() << "python3-torch / python3-onnx / python3-pil missing (scripts/install-deps.sh)"

std::vector<std::string> photo_names() {
  std::vector<std::string> names;
  std::ifstream in(fixtures() / "photos.txt");
  for (std::string line; std::getline(in, line);) names.push_back(line);
  return names;
}

torch::Tensor read_floats(const fs::path& path, std::vector<int64_t> shape) {
  const std::string bytes = read_file(path);
  auto t = torch::empty(shape, torch::kFloat32);
  EXPECT_EQ(bytes.size(), static_cast<size_t>(t.nbytes())) << path;
  std::memcpy(t.data_ptr(), bytes.data(), std::min(bytes.size(), static_cast<size_t>(t.nbytes())));
  return t;
}

testing::CommandResult import_cli(const fs::path& model, const fs::path& output, const std::string& extra = "") {
  return testing::run_command(fmt::format("{} onnx --import.model {} --output {} {}", FV_IMPORT_BIN, model.string(),
                                          output.string(), extra));
}

// fv-embed's raw embeddings (no flip, no normalisation) of the fixture photos, in photos.txt order.
torch::Tensor embed_photos(const fs::path& model_file, const fs::path& dir) {
  const fs::path out = dir / "e.h5";
  const auto r = testing::run_command(fmt::format(
      "{} --threads 2 --embed.input {} --embed.model {} --embed.output {} --embed.normalize false --embed.flip none",
      FV_EMBED_BIN, (fixtures() / "photos").string(), model_file.string(), out.string()));
  EXPECT_EQ(r.code, 0) << r.output;
  const EmbeddingSet set = read_embeddings(out);
  const auto names = photo_names();
  auto rows = torch::empty({static_cast<int64_t>(names.size()), set.attributes.embedding_dim});
  for (size_t k = 0; k < names.size(); ++k) {
    const auto it = std::find_if(set.ids.begin(), set.ids.end(),
                                 [&](const std::string& id) { return fs::path(id).stem() == names[k]; });
    EXPECT_NE(it, set.ids.end()) << names[k];
    if (it == set.ids.end()) continue;
    const auto row = static_cast<size_t>(it - set.ids.begin());
    const auto dim = static_cast<size_t>(set.attributes.embedding_dim);
    rows[static_cast<int64_t>(k)] =
        torch::from_blob(const_cast<float*>(set.embeddings.data() + row * dim), {static_cast<int64_t>(dim)}).clone();
  }
  return rows;
}

double max_relative_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(b.abs().max().item<double>(), 1e-12);
}

class OnnxImportNetwork : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxImportNetwork, FvEmbedOfTheImportEqualsPyTorchOnRealPhotos) {
  REQUIRE_FIXTURES();
  const std::string net = GetParam();
  testing::TempDir dir;
  const auto r = import_cli(fixtures() / (net + ".onnx"), dir / "m.fvm");
  ASSERT_EQ(r.code, 0) << r.output;
  const ModelMeta meta = read_model_meta(dir / "m.fvm");
  EXPECT_EQ(meta.backbone.kind(), BackboneKind::kOnnxGraph);
  EXPECT_EQ(meta.backbone.input_height(), 112);
  EXPECT_EQ(meta.backbone.embedding_dim(), 512);
  EXPECT_EQ(meta.preprocess.mean[0], 127.5f);  // insightface's convention (the graph has no Sub/Mul in front)
  EXPECT_EQ(meta.preprocess.std[0], 127.5f);
  EXPECT_EQ(meta.producer, "fv-import onnx");
  // MobileFaceNet's view(x.size(0), -1) was traced as Reshape [1, -1]: freed for any batch size.
  EXPECT_EQ(meta.provenance.at("batch_reshapes").get<int>(), net == "mbf" ? 1 : 0);

  const auto names = photo_names();
  ASSERT_GE(names.size(), 2u);
  const auto n = static_cast<int64_t>(names.size());
  const auto expected = read_floats(fixtures() / (net + ".output.f32"), {n, 512});
  EXPECT_GT(expected.abs().mean().item<double>(), 0.05) << "the reference outputs are not trivial";
  const auto ours = embed_photos(dir / "m.fvm", dir.path());
  const double diff = max_relative_difference(ours, expected);
  ::testing::Test::RecordProperty(net + "_max_relative_diff", fmt::format("{:.3g}", diff));
  EXPECT_TRUE(testing::below(fmt::format("max_relative_diff_to_pytorch[{}]", net), diff, 1e-4));
}

INSTANTIATE_TEST_SUITE_P(Networks, OnnxImportNetwork, ::testing::Values("r50", "mbf"));

TEST(OnnxImport, EqualsTheStateDictImportOfTheSameWeights) {
  REQUIRE_FIXTURES();
  OnnxImportConfig onnx;
  onnx.model = (fixtures() / "r50.onnx").string();
  const OnnxImport from_onnx = load_onnx_model(onnx);
  IResNetImportConfig pth;
  pth.state_dict = (fixtures() / "r50.pth").string();
  const IResNetImport from_pth = load_iresnet_state_dict(pth);
  torch::NoGradGuard no_grad;
  const auto x = read_floats(fixtures() / "photos.input.f32", {static_cast<int64_t>(photo_names().size()), 3, 112, 112});
  const auto a = from_onnx.backbone->forward(x);
  const auto b = from_pth.backbone->forward(x);
  // The exporter folded each conv's BatchNorm into the conv: the same function, rounded differently.
  const double diff = max_relative_difference(a, b);
  ::testing::Test::RecordProperty("onnx_vs_state_dict_max_relative_diff", fmt::format("{:.3g}", diff));
  EXPECT_TRUE(testing::below("max_relative_diff_onnx_vs_state_dict", diff, 1e-5));
}

TEST(OnnxImport, AGraphThatNormalisesItsInputIsFedRawPixels) {
  REQUIRE_FIXTURES();
  testing::TempDir dir;
  const auto r = import_cli(fixtures() / "r50_submul.onnx", dir / "m.fvm");
  ASSERT_EQ(r.code, 0) << r.output;
  const ModelMeta meta = read_model_meta(dir / "m.fvm");
  EXPECT_EQ(meta.preprocess.mean[0], 0.0f);
  EXPECT_EQ(meta.preprocess.std[0], 1.0f);
  EXPECT_TRUE(meta.provenance.at("normalises_input").get<bool>());
  const auto n = static_cast<int64_t>(photo_names().size());
  const double diff = max_relative_difference(embed_photos(dir / "m.fvm", dir.path()),
                                              read_floats(fixtures() / "r50_submul.output.f32", {n, 512}));
  EXPECT_TRUE(testing::below("max_relative_diff_submul", diff, 1e-4));
  // import.normalization overrides the rule.
  const auto forced = import_cli(fixtures() / "r50_submul.onnx", dir / "f.fvm", "--import.normalization insightface");
  ASSERT_EQ(forced.code, 0) << forced.output;
  EXPECT_EQ(read_model_meta(dir / "f.fvm").preprocess.mean[0], 127.5f);
}

struct BadCase {
  const char* file;
  int exit_code;
  std::vector<std::string> named;  // every one must appear in the message
};

class OnnxImportRefuses : public ::testing::TestWithParam<BadCase> {};

TEST_P(OnnxImportRefuses, WithAClearErrorAndNothingWritten) {
  REQUIRE_FIXTURES();
  const BadCase& c = GetParam();
  testing::TempDir dir;
  const auto r = import_cli(fixtures() / c.file, dir / "m.fvm");
  EXPECT_EQ(r.code, c.exit_code) << r.output;
  for (const auto& text : c.named) EXPECT_NE(r.output.find(text), std::string::npos) << text << " not in: " << r.output;
  EXPECT_FALSE(fs::exists(dir / "m.fvm"));
  EXPECT_TRUE(fs::is_empty(dir.path())) << "nothing at all is left in the output folder";
}

INSTANTIATE_TEST_SUITE_P(
    BadFiles, OnnxImportRefuses,
    ::testing::Values(BadCase{"bad_truncated.onnx", kExitData, {"bad_truncated.onnx", "do not parse", "truncated"}},
                      BadCase{"bad_external.onnx", kExitIo, {"mbf_weights.bin", "is missing"}},
                      BadCase{"bad_op.onnx", kExitData, {"bad_op.onnx", "Softplus", "not supported"}},
                      BadCase{"bad_two_outputs.onnx", kExitData, {"2 outputs", "--import.output_name"}},
                      BadCase{"no_such_file.onnx", kExitIo, {"no_such_file.onnx"}}));

TEST(OnnxImport, ChoosingAnOutputOfTwo) {
  REQUIRE_FIXTURES();
  testing::TempDir dir;
  // The embedding (the first output); naming an output the graph lacks lists the real ones.
  const auto wrong = import_cli(fixtures() / "bad_two_outputs.onnx", dir / "m.fvm", "--import.output_name nope");
  EXPECT_NE(wrong.code, 0);
  EXPECT_NE(wrong.output.find("'nope' is not an output"), std::string::npos) << wrong.output;
  const auto first = testing::run_command(fmt::format(
      "/usr/bin/python3 -c \"import onnx; print(onnx.load('{}', load_external_data=False).graph.output[0].name)\"",
      (fixtures() / "bad_two_outputs.onnx").string()));
  ASSERT_EQ(first.code, 0) << first.output;
  const std::string name = first.output.substr(0, first.output.find('\n'));
  const auto r = import_cli(fixtures() / "bad_two_outputs.onnx", dir / "m.fvm", "--import.output_name " + name);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(read_model_meta(dir / "m.fvm").backbone.embedding_dim(), 512);
}

}  // namespace
}  // namespace fv
