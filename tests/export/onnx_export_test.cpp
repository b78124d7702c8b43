// fv-export onnx: the written file passes ONNX's own checker with full shape inference (python3-onnx), runs in
// OpenCV's DNN module and (Debian 13 build) in onnxruntime with fv-embed's outputs to 1e-4, and export -> import
// gives back the same weights and the same forward pass bit for bit. Preprocessing other than insightface's goes
// into the graph as Sub and Mul; networks that cannot be exported are refused with nothing written.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <opencv2/dnn.hpp>

#include <cstring>

#include "core/atomic_file.h"
#include "core/error.h"
#include "import/onnx_import.h"
#include "model/backbone.h"
#include "model/model_file.h"
#include "support/command.h"
#include "support/margin.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

namespace fs = std::filesystem;

bool have_python_onnx() { return testing::run_command("/usr/bin/python3 -c 'import onnx'").code == 0; }

// A network with seeded random weights and batch-norm statistics (so that every tensor matters), saved as a model
// file with `preprocess`.
std::shared_ptr<Backbone> write_model(BackboneKind kind, const PreprocessOptions& preprocess, const fs::path& path) {
  torch::manual_seed(5);
  auto net = make_backbone(BackboneOptions(kind));
  torch::NoGradGuard no_grad;
  for (auto& p : net->named_parameters()) {
    if (p.key().find("prelu") != std::string::npos || p.value().dim() == 1) p.value().uniform_(0.5, 1.5);
  }
  for (auto& b : net->named_buffers()) {
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
    if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.2, 0.2);
  }
  net->eval();
  ModelMeta meta;
  meta.backbone = net->options();
  meta.preprocess = preprocess;
  meta.producer = "test";
  save_model_file(path, meta, *net);
  return net;
}

testing::CommandResult export_cli(const fs::path& model, const fs::path& out, const std::string& extra = "") {
  return testing::run_command(
      fmt::format("{} onnx --export.model {} --export.output {} {}", FV_EXPORT_BIN, model.string(), out.string(), extra));
}

torch::Tensor opencv_forward(const fs::path& onnx_file, const torch::Tensor& x) {
  cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx_file.string());
  const auto c = x.contiguous();
  std::vector<int> shape(c.sizes().begin(), c.sizes().end());
  cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F, c.data_ptr<float>());
  net.setInput(blob);
  cv::Mat out = net.forward();
  return torch::from_blob(out.ptr<float>(), {out.size[0], out.size[1]}).clone();
}

double max_relative_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(b.abs().max().item<double>(), 1e-12);
}

class OnnxExportNetwork : public ::testing::TestWithParam<BackboneKind> {};

TEST_P(OnnxExportNetwork, CheckedRunsInOpenCvAndOnnxruntimeAndRoundTripsBitForBit) {
  testing::TempDir dir;
  const BackboneKind kind = GetParam();
  const auto o = resolve(BackboneOptions(kind));
  const int64_t c = o.in_channels(), h = o.input_height(), w = o.input_width();
  const bool insightface_size = c == 3 && h == 112 && w == 112;
  const auto p = insightface_size ? PreprocessOptions::insightface()
                                  : PreprocessOptions::uniform(static_cast<int>(w), static_cast<int>(h), static_cast<int>(c), 127.5f, 127.5f);
  const auto net = write_model(kind, p, dir / "m.fvm");
  const auto r = export_cli(dir / "m.fvm", dir / "m.onnx");
  ASSERT_EQ(r.code, 0) << r.output;
  torch::manual_seed(9);
  const auto x = torch::rand({3, c, h, w}) * 2 - 1;
  torch::NoGradGuard no_grad;
  const auto expected = net->forward(x);

  if (have_python_onnx()) {  // ONNX's checker with full shape inference
    const auto check = testing::run_command(fmt::format(
        "/usr/bin/python3 {} {}", (testing::source_dir() / "tests/data/export/check_onnx.py").string(),
        (dir / "m.onnx").string()));
    ASSERT_EQ(check.code, 0) << check.output;
    EXPECT_NE(check.output.find(fmt::format("opset=11 inputs=data:Nonex{}x{}x{} outputs=fc1:Nonex{}", c, h, w,
                                            net->options().embedding_dim())),
              std::string::npos)
        << check.output;
    // onnxruntime (python3-onnxruntime, Debian 13); exit 3 when it is not installed.
    const std::string in = (dir / "x.f32").string(), out = (dir / "y.f32").string();
    const auto xc = x.contiguous();
    write_file_atomic(in, std::string(static_cast<const char*>(xc.data_ptr()), xc.nbytes()));
    const auto ort = testing::run_command(fmt::format(
        "/usr/bin/python3 {} {} --input {} --shape 3,{},{},{} --output {}",
        (testing::source_dir() / "tests/data/export/check_onnx.py").string(), (dir / "m.onnx").string(), in, c, h, w, out));
    if (ort.code == 3) {
      ::testing::Test::RecordProperty("onnxruntime", "not installed");
    } else {
      ASSERT_EQ(ort.code, 0) << ort.output;
      const std::string bytes = read_file(out);
      ASSERT_EQ(bytes.size(), static_cast<size_t>(expected.nbytes()));
      auto y = torch::empty_like(expected);
      std::memcpy(y.data_ptr(), bytes.data(), bytes.size());
      EXPECT_TRUE(testing::below("max_relative_diff_onnxruntime", max_relative_difference(y, expected), 1e-4));
    }
  }
  // OpenCV's DNN module, an independent ONNX runner.
  EXPECT_TRUE(testing::below("max_relative_diff_opencv_dnn",
                             max_relative_difference(opencv_forward(dir / "m.onnx", x), expected), 1e-4));

  // Export -> import: the same weights and the same forward pass, bit for bit (the graph's operators call the
  // LibTorch functions the modules call).
  OnnxImportConfig config;
  config.model = (dir / "m.onnx").string();
  const OnnxImport back = load_onnx_model(config);
  EXPECT_EQ(back.meta.preprocess.mean[0], 127.5f);
  EXPECT_TRUE(torch::equal(back.backbone->forward(x), expected));
  std::map<std::string, torch::Tensor> ours;
  for (const auto& p : net->named_parameters()) ours[p.key()] = p.value();
  for (const auto& b : net->named_buffers()) ours[b.key()] = b.value();
  const auto graph = nlohmann::json::parse(back.meta.backbone.graph());
  const auto buffers = back.backbone->buffers();
  size_t compared = 0;
  for (size_t i = 0; i < buffers.size(); ++i) {
    const auto name = graph.at("initializers").at(i).at("name").get<std::string>();
    const auto it = ours.find(name);
    ASSERT_NE(it, ours.end()) << name;
    EXPECT_TRUE(torch::equal(buffers[i].reshape(it->second.sizes()), it->second)) << name;
    ++compared;
  }
  // Every parameter and statistic went into the file (num_batches_tracked is not a weight).
  size_t weights = 0;
  for (const auto& [name, t] : ours) weights += name.find("num_batches_tracked") == std::string::npos;
  EXPECT_EQ(compared, weights);
}

INSTANTIATE_TEST_SUITE_P(Networks, OnnxExportNetwork,
                         ::testing::Values(BackboneKind::kIResNet18, BackboneKind::kMobileFaceNet,
                                           BackboneKind::kSphereFace20, BackboneKind::kMnistNet, BackboneKind::kCifarNet),
                         [](const auto& info) { return backbone_kind_name(info.param); });

TEST(OnnxExport, OtherPreprocessingGoesIntoTheGraphAsSubAndMul) {
  testing::TempDir dir;
  const auto p = PreprocessOptions::uniform(112, 112, 3, 100.0f, 50.0f);
  const auto net = write_model(BackboneKind::kIResNet18, p, dir / "m.fvm");
  ASSERT_EQ(export_cli(dir / "m.fvm", dir / "m.onnx", "--export.opset 13").code, 0);
  OnnxImportConfig c;
  c.model = (dir / "m.onnx").string();
  const OnnxImport back = load_onnx_model(c);
  EXPECT_TRUE(back.normalises_input);  // insightface's rule: raw pixels for this graph
  EXPECT_EQ(back.meta.preprocess.mean[0], 0.0f);
  EXPECT_EQ(back.meta.preprocess.std[0], 1.0f);
  torch::NoGradGuard no_grad;
  const auto pixels = torch::randint(0, 256, {2, 3, 112, 112}).to(torch::kFloat32);
  const auto expected = net->forward((pixels - 100.0f) / 50.0f);
  EXPECT_TRUE(testing::below("max_relative_diff_sub_mul", max_relative_difference(back.backbone->forward(pixels), expected),
                             1e-5));
  if (have_python_onnx()) {
    const auto check = testing::run_command(fmt::format(
        "/usr/bin/python3 {} {}", (testing::source_dir() / "tests/data/export/check_onnx.py").string(),
        (dir / "m.onnx").string()));
    ASSERT_EQ(check.code, 0) << check.output;
    EXPECT_NE(check.output.find("opset=13 inputs=data:Nonex3x112x112"), std::string::npos) << check.output;
    EXPECT_NE(check.output.find("first=Sub,Mul"), std::string::npos) << check.output;
  }
}

TEST(OnnxExport, RefusesWhatItCannotWriteAndWritesNothing) {
  testing::TempDir dir;
  write_model(BackboneKind::kDlibResNet, PreprocessOptions::dlib_resnet(), dir / "dlib.fvm");
  auto r = export_cli(dir / "dlib.fvm", dir / "m.onnx");
  EXPECT_EQ(r.code, kExitConfig) << r.output;
  EXPECT_NE(r.output.find("model.backbone dlib_resnet: this network cannot be exported"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "m.onnx"));
  write_model(BackboneKind::kIResNet18, PreprocessOptions::insightface(), dir / "r.fvm");
  r = export_cli(dir / "r.fvm", dir / "m.onnx", "--export.opset 9");
  EXPECT_EQ(r.code, kExitConfig) << r.output;
  EXPECT_NE(r.output.find("export.opset"), std::string::npos) << r.output;
  r = export_cli(dir / "missing.fvm", dir / "m.onnx");
  EXPECT_EQ(r.code, kExitIo) << r.output;
  EXPECT_NE(r.output.find("missing.fvm"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "m.onnx"));
}

}  // namespace
}  // namespace fv
