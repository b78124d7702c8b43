// Backbones: output shapes, parameter counts, insightface iresnet names/shapes, eval determinism, errors.
#include "model/backbone.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace fv {
namespace {

using Named = std::vector<std::pair<std::string, std::vector<int64_t>>>;

std::vector<int64_t> shape(const torch::Tensor& t) { return t.sizes().vec(); }

// insightface arcface_torch iresnet.py transcribed: the state-dict entries (parameters and buffers apart)
// in PyTorch's order, for `layers` blocks per stage, embedding size `dim` and 112x112 input.
void insightface_iresnet_names(const std::vector<int>& layers, int64_t dim, Named* params, Named* buffers) {
  auto add_bn = [&](const std::string& p, int64_t c) {
    params->push_back({p + ".weight", {c}});
    params->push_back({p + ".bias", {c}});
    buffers->push_back({p + ".running_mean", {c}});
    buffers->push_back({p + ".running_var", {c}});
    buffers->push_back({p + ".num_batches_tracked", {}});
  };
  params->push_back({"conv1.weight", {64, 3, 3, 3}});
  add_bn("bn1", 64);
  params->push_back({"prelu.weight", {64}});
  int64_t inplanes = 64;
  const int64_t planes[] = {64, 128, 256, 512};
  for (int i = 0; i < 4; ++i) {
    for (int b = 0; b < layers[i]; ++b) {
      const std::string p = "layer" + std::to_string(i + 1) + "." + std::to_string(b) + ".";
      const int64_t in = b == 0 ? inplanes : planes[i];
      add_bn(p + "bn1", in);
      params->push_back({p + "conv1.weight", {planes[i], in, 3, 3}});
      add_bn(p + "bn2", planes[i]);
      params->push_back({p + "prelu.weight", {planes[i]}});
      params->push_back({p + "conv2.weight", {planes[i], planes[i], 3, 3}});
      add_bn(p + "bn3", planes[i]);
      if (b == 0) {  // stride 2 at the start of every stage -> downsample
        params->push_back({p + "downsample.0.weight", {planes[i], in, 1, 1}});
        add_bn(p + "downsample.1", planes[i]);
      }
    }
    inplanes = planes[i];
  }
  add_bn("bn2", 512);
  params->push_back({"fc.weight", {dim, 512 * 7 * 7}});
  params->push_back({"fc.bias", {dim}});
  add_bn("features", dim);
}

Named named_shapes(const torch::OrderedDict<std::string, torch::Tensor>& dict) {
  Named out;
  for (const auto& item : dict) out.push_back({item.key(), shape(item.value())});
  return out;
}

TEST(Backbone, IResNet50HasInsightfaceNamesAndShapes) {
  auto net = make_backbone(BackboneOptions(BackboneKind::kIResNet50));
  Named params, buffers;
  insightface_iresnet_names({3, 4, 14, 3}, 512, &params, &buffers);
  const Named got_params = named_shapes(net->named_parameters());
  const Named got_buffers = named_shapes(net->named_buffers());
  ASSERT_EQ(got_params.size(), params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(got_params[i].first, params[i].first) << "parameter " << i;
    EXPECT_EQ(got_params[i].second, params[i].second) << params[i].first;
  }
  ASSERT_EQ(got_buffers.size(), buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_EQ(got_buffers[i].first, buffers[i].first) << "buffer " << i;
    EXPECT_EQ(got_buffers[i].second, buffers[i].second) << buffers[i].first;
  }
  int64_t expected_count = 0;
  for (const auto& [name, dims] : params) {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    expected_count += n;
  }
  EXPECT_EQ(parameter_count(*net), expected_count);
  // "about 43.6M" parameters with a 512-D fc at 112x112 (insightface's published figure).
  EXPECT_GT(parameter_count(*net), 43'500'000);
  EXPECT_LT(parameter_count(*net), 43'700'000);
  // insightface freezes features.weight at 1.
  EXPECT_FALSE(net->named_parameters()["features.weight"].requires_grad());
  EXPECT_TRUE(torch::equal(net->named_parameters()["features.weight"], torch::ones({512})));
  EXPECT_TRUE(net->named_parameters()["fc.weight"].requires_grad());
}

TEST(Backbone, IResNet18And100FollowTheSameLayout) {
  for (auto [kind, layers] : {std::pair{BackboneKind::kIResNet18, std::vector<int>{2, 2, 2, 2}},
                              std::pair{BackboneKind::kIResNet100, std::vector<int>{3, 13, 30, 3}}}) {
    auto net = make_backbone(BackboneOptions(kind).embedding_dim(256));
    Named params, buffers;
    insightface_iresnet_names(layers, 256, &params, &buffers);
    EXPECT_EQ(named_shapes(net->named_parameters()), params) << backbone_kind_name(kind);
    EXPECT_EQ(named_shapes(net->named_buffers()), buffers) << backbone_kind_name(kind);
  }
}

struct ShapeCase {
  BackboneKind kind;
  int64_t channels, height, width, dim;
  int64_t min_params, max_params;
};

TEST(Backbone, OutputShapesAndParameterCountsAtNativeSizes) {
  const std::vector<ShapeCase> cases = {
      {BackboneKind::kMnistNet, 1, 28, 28, 256, 300'000, 700'000},
      {BackboneKind::kCifarNet, 3, 32, 32, 256, 1'000'000, 2'000'000},
      {BackboneKind::kSphereFace20, 3, 112, 96, 512, 22'000'000, 23'500'000},
      {BackboneKind::kIResNet18, 3, 112, 112, 512, 23'500'000, 24'500'000},
      {BackboneKind::kIResNet50, 3, 112, 112, 512, 43'500'000, 43'700'000},
      {BackboneKind::kIResNet100, 3, 112, 112, 512, 65'000'000, 65'300'000},
      {BackboneKind::kMobileFaceNet, 3, 112, 112, 128, 900'000, 1'300'000},
  };
  torch::manual_seed(0);
  for (const auto& c : cases) {
    auto net = make_backbone(BackboneOptions(c.kind));
    const auto& o = net->options();
    EXPECT_EQ(o.in_channels(), c.channels);
    EXPECT_EQ(o.input_height(), c.height);
    EXPECT_EQ(o.input_width(), c.width);
    EXPECT_EQ(o.embedding_dim(), c.dim);
    const int64_t n = parameter_count(*net);
    std::cout << backbone_kind_name(c.kind) << ": " << n << " parameters\n";
    EXPECT_GE(n, c.min_params) << backbone_kind_name(c.kind);
    EXPECT_LE(n, c.max_params) << backbone_kind_name(c.kind);
    // Train mode: at insightface's initialisation (convs N(0, 0.1)) the untrained BN running statistics
    // are the identity, and the residual stream of a deep iResNet overflows in eval mode until trained.
    net->train();
    torch::NoGradGuard no_grad;
    const auto out = net->forward(torch::randn({2, c.channels, c.height, c.width}));
    EXPECT_EQ(shape(out), (std::vector<int64_t>{2, c.dim})) << backbone_kind_name(c.kind);
    EXPECT_TRUE(torch::isfinite(out).all().item<bool>()) << backbone_kind_name(c.kind);
  }
}

TEST(Backbone, EmbeddingSizeAndInputSizeAreConfigurable) {
  auto mnist2d = make_backbone(BackboneOptions(BackboneKind::kMnistNet).embedding_dim(2));
  mnist2d->train();
  const auto out = mnist2d->forward(torch::randn({4, 1, 28, 28}));
  EXPECT_EQ(shape(out), (std::vector<int64_t>{4, 2}));
  // The papers' CNN on 112x112 faces (the benchmark's setting): 112 -> 56 -> 28 -> 14.
  auto face = make_backbone(BackboneOptions(BackboneKind::kMnistNet).in_channels(3).input_height(112).input_width(112));
  EXPECT_EQ(face->named_parameters()["fc.weight"].size(1), 64 * 14 * 14);
  auto mobile = make_backbone(BackboneOptions(BackboneKind::kMobileFaceNet).embedding_dim(512).input_height(96).input_width(96));
  mobile->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(shape(mobile->forward(torch::randn({1, 3, 96, 96}))), (std::vector<int64_t>{1, 512}));
}

TEST(Backbone, EvalModeIsDeterministicAndPerImage) {
  torch::manual_seed(1);
  for (auto kind : {BackboneKind::kMnistNet, BackboneKind::kMobileFaceNet, BackboneKind::kIResNet18}) {
    auto net = make_backbone(BackboneOptions(kind).dropout(0.3));
    const auto& o = net->options();
    // Move the BN statistics away from their initial values first.
    net->train();
    net->forward(torch::randn({4, o.in_channels(), o.input_height(), o.input_width()}));
    net->eval();
    torch::NoGradGuard no_grad;
    const auto batch = torch::randn({3, o.in_channels(), o.input_height(), o.input_width()});
    const auto a = net->forward(batch);
    const auto b = net->forward(batch);
    EXPECT_TRUE(torch::equal(a, b)) << backbone_kind_name(kind);
    // The same image alone gives the same embedding as inside the batch (no batch statistics in eval).
    const auto single = net->forward(batch.slice(0, 1, 2));
    EXPECT_TRUE(torch::allclose(single, a.slice(0, 1, 2), 1e-4, 1e-5)) << backbone_kind_name(kind);
  }
}

TEST(Backbone, GradientsReachTheFirstLayer) {
  torch::manual_seed(2);
  auto net = make_backbone(BackboneOptions(BackboneKind::kSphereFace20).input_height(32).input_width(32));
  net->train();
  net->forward(torch::randn({2, 3, 32, 32})).pow(2).sum().backward();
  for (const auto& p : net->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
  }
  EXPECT_GT(net->parameters().front().grad().abs().sum().item<double>(), 0.0);
}

// (in, out, kernel h, stride h) of every Conv2d, in registration order.
std::vector<std::vector<int64_t>> convs_of(const torch::nn::Module& net) {
  std::vector<std::vector<int64_t>> out;
  for (const auto& m : net.modules(/*include_self=*/false)) {
    if (const auto* conv = m->as<torch::nn::Conv2d>()) {
      const auto& o = conv->options;
      out.push_back({o.in_channels(), o.out_channels(), (*o.kernel_size())[0], (*o.stride())[0]});
    }
  }
  return out;
}

TEST(Backbone, PaperNetworksFollowTheirTables) {
  // L-Softmax Table 1, MNIST: conv0 [3x3,64]x1 + three stages [3x3,64]x3 = 10 convs, all 3x3 stride 1.
  const auto mnist = convs_of(*make_backbone(BackboneOptions(BackboneKind::kMnistNet)));
  ASSERT_EQ(mnist.size(), 10u);
  EXPECT_EQ(mnist[0], (std::vector<int64_t>{1, 64, 3, 1}));
  for (size_t i = 1; i < mnist.size(); ++i) EXPECT_EQ(mnist[i], (std::vector<int64_t>{64, 64, 3, 1})) << i;
  // CIFAR-10: conv0 [3x3,64]x1, [3x3,64]x4, [3x3,96]x4, [3x3,128]x4 = 13 convs.
  const auto cifar = convs_of(*make_backbone(BackboneOptions(BackboneKind::kCifarNet)));
  ASSERT_EQ(cifar.size(), 13u);
  EXPECT_EQ(cifar[0], (std::vector<int64_t>{3, 64, 3, 1}));
  EXPECT_EQ(cifar[4], (std::vector<int64_t>{64, 64, 3, 1}));
  EXPECT_EQ(cifar[5], (std::vector<int64_t>{64, 96, 3, 1}));
  EXPECT_EQ(cifar[9], (std::vector<int64_t>{96, 128, 3, 1}));
  EXPECT_EQ(cifar[12], (std::vector<int64_t>{128, 128, 3, 1}));
  // SphereFace-20: 20 convs; stride-2 convs open the four stages, followed by 1, 2, 4, 1 residual units.
  const auto sphere = convs_of(*make_backbone(BackboneOptions(BackboneKind::kSphereFace20)));
  ASSERT_EQ(sphere.size(), 20u);
  std::vector<size_t> stride2;
  for (size_t i = 0; i < sphere.size(); ++i)
    if (sphere[i][3] == 2) stride2.push_back(i);
  EXPECT_EQ(stride2, (std::vector<size_t>{0, 3, 8, 17}));
  EXPECT_EQ(sphere[17], (std::vector<int64_t>{256, 512, 3, 2}));
  auto sphere_net = make_backbone(BackboneOptions(BackboneKind::kSphereFace20));
  EXPECT_EQ(sphere_net->named_parameters()["fc5.weight"].sizes().vec(), (std::vector<int64_t>{512, 512 * 7 * 6}));
}

TEST(Backbone, RejectsBadOptionsAndInputs) {
  auto expect_key = [](const BackboneOptions& o, const std::string& key) {
    try {
      make_backbone(o);
      ADD_FAILURE() << "accepted, expected an error naming " << key;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  expect_key(BackboneOptions(BackboneKind::kIResNet18).embedding_dim(-1), "model.embedding_dim");
  expect_key(BackboneOptions(BackboneKind::kIResNet18).input_height(8), "model.input_height");
  expect_key(BackboneOptions(BackboneKind::kIResNet18).input_width(4), "model.input_width");
  expect_key(BackboneOptions(BackboneKind::kMnistNet).in_channels(-3), "model.in_channels");
  expect_key(BackboneOptions(BackboneKind::kMnistNet).dropout(1.0), "model.dropout");
  for (const auto& [name, kind] : backbone_kind_names()) EXPECT_EQ(parse_backbone_kind(name), kind);
  try {
    parse_backbone_kind("resnet50");
    FAIL() << "unknown backbone accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model.backbone"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("iresnet50"), std::string::npos) << e.what();
  }
  auto net = make_backbone(BackboneOptions(BackboneKind::kMnistNet));
  try {
    net->forward(torch::randn({2, 3, 28, 28}));
    FAIL() << "wrong channel count accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3, 28, 28]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fv
