// fv-import dlib: tfjs names -> parameters, layout transposes, refusal by name, and agreement with face-api's
// own TensorFlow.js forward pass (tests/data/dlib/reference.json, made by make_reference.mjs).
#include "import/dlib_import.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/image_codec.h"
#include "dataset/preprocess.h"
#include "model/backbone.h"
#include "model/model_file.h"
#include "support/margin.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

TEST(DlibImport, ParameterNames) {
  EXPECT_EQ(dlib_parameter_name("conv32_down/conv/filters"), "conv32_down.conv.weight");
  EXPECT_EQ(dlib_parameter_name("conv32_down/conv/bias"), "conv32_down.conv.bias");
  EXPECT_EQ(dlib_parameter_name("conv64_down/conv1/scale/weights"), "conv64_down.conv1.scale.weight");
  EXPECT_EQ(dlib_parameter_name("conv64_down/conv1/scale/biases"), "conv64_down.conv1.scale.bias");
  EXPECT_EQ(dlib_parameter_name("fc"), "fc.weight");
  EXPECT_EQ(dlib_parameter_name("something/else"), "something.else");
}

// A full synthetic tensor set in tfjs layouts, made from the backbone's own parameter shapes
// (values = a fixed function of the element index, so that transposition errors show).
std::vector<TfjsTensor> synthetic_tensors(Backbone& backbone) {
  std::vector<TfjsTensor> out;
  for (const auto& item : backbone.named_parameters()) {
    std::string name = item.key();
    for (char& c : name) c = c == '.' ? '/' : c;
    const auto tail = [&](const std::string& from, const std::string& to) {
      if (name.size() > from.size() && name.compare(name.size() - from.size(), from.size(), from) == 0)
        name = name.substr(0, name.size() - from.size()) + to;
    };
    torch::Tensor v = item.value();
    if (name == "fc/weight") {
      name = "fc";
      v = v.t();
    } else if (name.find("/scale/") != std::string::npos) {
      tail("/weight", "/weights");
      tail("/bias", "/biases");
    } else {
      tail("/weight", "/filters");
    }
    if (v.dim() == 4) v = v.permute({2, 3, 1, 0});  // OIHW -> HWIO
    v = v.contiguous();
    TfjsTensor t;
    t.name = name;
    t.shape = v.sizes().vec();
    t.values.resize(static_cast<size_t>(v.numel()));
    for (size_t k = 0; k < t.values.size(); ++k) t.values[k] = std::sin(0.37f * k + t.name.size());
    out.push_back(std::move(t));
  }
  return out;
}

std::shared_ptr<Backbone> dlib_backbone() { return make_backbone(BackboneOptions(BackboneKind::kDlibResNet)); }

TEST(DlibImport, LoadsEveryParameterWithTfjsLayouts) {
  auto backbone = dlib_backbone();
  const auto tensors = synthetic_tensors(*backbone);
  EXPECT_EQ(tensors.size(), 117u);  // as face-api's manifest: 4 per conv layer (filters, bias, scale weights and biases) x 29, + fc
  auto target = dlib_backbone();
  load_dlib_tfjs_weights(tensors, *target, "synthetic");
  const auto params = target->named_parameters();
  for (const auto& t : tensors) {
    if (t.name == "conv32_down/conv/filters") {
      // tfjs HWIO [7, 7, 3, 32]: element (h=1, w=2, i=0, o=5) -> OIHW (5, 0, 1, 2).
      const size_t k = ((1 * 7 + 2) * 3 + 0) * 32 + 5;
      EXPECT_EQ(params["conv32_down.conv.weight"][5][0][1][2].item<float>(), t.values[k]);
    }
    if (t.name == "fc") {
      // tfjs [256, 128]: element (i=7, o=3) -> Linear weight (3, 7).
      EXPECT_EQ(params["fc.weight"][3][7].item<float>(), t.values[7 * 128 + 3]);
    }
    if (t.name == "conv128_1/conv2/scale/biases") {
      EXPECT_EQ(params["conv128_1.conv2.scale.bias"][100].item<float>(), t.values[100]);
    }
  }
}

void expect_format_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no FormatError";
  } catch (const FormatError& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << n << " in " << e.what();
  }
}

TEST(DlibImport, RefusesMissingUnexpectedAndMisshapedTensorsByName) {
  auto backbone = dlib_backbone();
  auto tensors = synthetic_tensors(*backbone);
  auto missing = tensors;
  missing.erase(std::remove_if(missing.begin(), missing.end(), [](const TfjsTensor& t) { return t.name == "conv64_2/conv1/conv/bias"; }),
                missing.end());
  expect_format_error([&] { load_dlib_tfjs_weights(missing, *backbone, "m.json"); },
                      {"m.json", "parameters without a tensor: conv64_2.conv1.conv.bias"});
  auto extra = tensors;
  extra.push_back({"conv512_1/conv1/conv/bias", {4}, {1, 2, 3, 4}, false});
  expect_format_error([&] { load_dlib_tfjs_weights(extra, *backbone, "m.json"); },
                      {"unexpected tensors: conv512_1/conv1/conv/bias"});
  auto misshaped = tensors;
  for (auto& t : misshaped) {
    if (t.name == "fc") {
      t.shape = {128, 256};  // transposed by mistake
    }
  }
  expect_format_error([&] { load_dlib_tfjs_weights(misshaped, *backbone, "m.json"); },
                      {"misshaped tensors: fc (tfjs [128, 256] -> [256, 128], parameter fc.weight is [128, 256])"});
}

TEST(DlibResNetBackbone, ShapesAndParameterCount) {
  auto backbone = dlib_backbone();
  EXPECT_EQ(backbone->options().input_height(), 150);
  EXPECT_EQ(backbone->options().embedding_dim(), 128);
  // Manifest element count of face-api's face_recognition_model: 7*7*3*32 + 3*32 (conv32_down), then per
  // residual layer 2 convs of 3*3*in*out + 3*out; fc 256*128.
  int64_t expected = 7 * 7 * 3 * 32 + 3 * 32 + 256 * 128;
  const int64_t blocks[][2] = {{32, 32}, {32, 32}, {32, 32}, {32, 64}, {64, 64}, {64, 64}, {64, 64},
                               {64, 128}, {128, 128}, {128, 128}, {128, 256}, {256, 256}, {256, 256}, {256, 256}};
  for (const auto& b : blocks) expected += 9 * b[0] * b[1] + 3 * b[1] + 9 * b[1] * b[1] + 3 * b[1];
  EXPECT_EQ(parameter_count(*backbone), expected);
  torch::NoGradGuard no_grad;
  backbone->eval();
  EXPECT_EQ(backbone->forward(torch::randn({2, 3, 150, 150})).sizes(), (std::vector<int64_t>{2, 128}));
  EXPECT_THROW(backbone->forward(torch::randn({1, 3, 112, 112})), DataError);
  EXPECT_THROW(make_backbone(BackboneOptions(BackboneKind::kDlibResNet).input_height(32).input_width(32)), ConfigError);
}

std::filesystem::path face_api_dir() { return testing::source_dir() / "third_party" / "face-api"; }

TEST(DlibImport, MatchesFaceApiTensorFlowJsDescriptors) {
  const auto dir = face_api_dir();
  if (!std::filesystem::exists(dir / "face_recognition_model.bin")) {
    GTEST_SKIP() << dir.string() << " is absent: run scripts/fetch-face-api.sh (install-deps.sh does) to test the "
                 << "imported dlib model against face-api's reference descriptors";
  }
  testing::TempDir tmp;
  DlibImportConfig config;
  config.manifest = (dir / "face_recognition_model-weights_manifest.json").string();
  config.weights = (dir / "face_recognition_model.bin").string();
  config.output = (tmp / "dlib.fvm").string();
  const DlibImportSummary summary = import_dlib(config, "testhash");
  EXPECT_EQ(summary.tensors, 117u);
  EXPECT_EQ(summary.quantized, 109u);  // 8 conv filters of the 64 stage are float32

  const LoadedModel model = load_model_file(config.output);
  EXPECT_EQ(model.meta.producer, "fv-import dlib");
  EXPECT_EQ(model.meta.provenance.at("source"), "npm:@vladmandic/face-api@1.7.15");
  ASSERT_EQ(model.meta.provenance.at("weights").size(), 1u);
  EXPECT_EQ(model.meta.provenance.at("weights")[0].at("sha256"),
            "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589");  // scripts/fetch-face-api.sh STAMP
  EXPECT_EQ(model.meta.preprocess.width, 150);
  EXPECT_FLOAT_EQ(model.meta.preprocess.mean[0], 122.782f);
  EXPECT_FLOAT_EQ(model.meta.preprocess.std[2], 255.f);

  const auto data = testing::source_dir() / "tests" / "data" / "dlib";
  const auto reference = nlohmann::json::parse(read_file(data / "reference.json"));
  ASSERT_EQ(reference.at("images").size(), 3u);
  torch::NoGradGuard no_grad;
  for (const auto& image : reference.at("images")) {
    const std::string file = image.at("file");
    const RgbImage rgb = read_image(data / file);
    ASSERT_EQ(rgb.width, 150);
    torch::Tensor input = torch::empty({1, 3, 150, 150});
    preprocess_into(rgb, model.meta.preprocess, input.data_ptr<float>());
    const torch::Tensor got = model.backbone->forward(input)[0];
    const auto want = image.at("descriptor").get<std::vector<float>>();
    ASSERT_EQ(want.size(), 128u);
    double worst = 0;
    for (int k = 0; k < 128; ++k) {
      const double diff = std::abs(got[k].item<float>() - want[k]);
      worst = std::max(worst, diff);
      EXPECT_LT(diff, 1e-3) << file << " component " << k << ": ours " << got[k].item<float>() << ", tfjs " << want[k];
    }
    // Measured under the Haswell, SkylakeX, Cooperlake and Zen kernels: 1.7e-7 to 3.0e-7 (margin 3,000).
    EXPECT_TRUE(testing::below("max_component_diff_to_tfjs[" + file + "]", worst, 1e-3));
  }
}

}  // namespace
}  // namespace fv
