// The ONNX operator graph (model/op_graph.h) and its LibTorch executor (model/graph_ops.h, graph_net.cpp):
// operators against hand-computed or LibTorch-module results, validation messages, the JSON round trip and a
// graph backbone through the model file.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "core/error.h"
#include "model/backbone.h"
#include "model/graph_ops.h"
#include "model/model_file.h"
#include "model/op_graph.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

OpNode node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
            nlohmann::json attributes = nlohmann::json::object()) {
  OpNode n;
  n.name = op + "_0";
  n.op = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attributes);
  return n;
}

torch::Tensor run1(const OpNode& n, const std::vector<torch::Tensor>& in) { return run_op(n, in).at(0); }

TEST(GraphOps, ConvAndBatchNormEqualTheLibTorchModulesBitForBit) {
  torch::manual_seed(1);
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 3).stride(2).padding(1).groups(1).bias(true));
  torch::nn::BatchNorm2d bn(8);
  bn->eval();
  bn->running_mean.uniform_(-1, 1);
  bn->running_var.uniform_(0.5, 2);
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 3, 17, 17});
  const auto c = run1(node("Conv", {"x", "w", "b"}, {"y"}, {{"strides", {2, 2}}, {"pads", {1, 1, 1, 1}}, {"kernel_shape", {3, 3}}}),
                      {x, conv->weight, conv->bias});
  EXPECT_TRUE(torch::equal(c, conv->forward(x)));
  const auto b = run1(node("BatchNormalization", {"c", "s", "b", "m", "v"}, {"y"}, {{"epsilon", 1e-5}}),
                      {c, bn->weight, bn->bias, bn->running_mean, bn->running_var});
  EXPECT_TRUE(torch::equal(b, bn->forward(c)));
}

TEST(GraphOps, AsymmetricPadsPadFirst) {
  const auto x = torch::arange(16, torch::kFloat32).reshape({1, 1, 4, 4});
  const auto w = torch::ones({1, 1, 2, 2});
  // pads [top, left, bottom, right] = [0, 0, 1, 1]: the last row and column see a zero border.
  const auto y = run1(node("Conv", {"x", "w"}, {"y"}, {{"pads", {0, 0, 1, 1}}}), {x, w});
  ASSERT_EQ(y.sizes(), (torch::IntArrayRef{1, 1, 4, 4}));
  EXPECT_FLOAT_EQ(y[0][0][0][0].item<float>(), 0 + 1 + 4 + 5);
  EXPECT_FLOAT_EQ(y[0][0][3][3].item<float>(), 15);
  const auto m = run1(node("MaxPool", {"x"}, {"y"}, {{"kernel_shape", {2, 2}}, {"pads", {0, 0, 1, 1}}}), {-x});
  EXPECT_FLOAT_EQ(m[0][0][3][3].item<float>(), -15) << "max pooling pads with -inf, not 0";
}

TEST(GraphOps, GemmHonoursAlphaBetaAndTransposes) {
  const auto a = torch::tensor({{1.0f, 2.0f}, {3.0f, 4.0f}});
  const auto b = torch::tensor({{1.0f, 0.0f}, {1.0f, 1.0f}});
  const auto c = torch::tensor({10.0f, 20.0f});
  // Y = 2 * A^T B + 0.5 * C
  const auto y = run1(node("Gemm", {"a", "b", "c"}, {"y"}, {{"alpha", 2.0}, {"beta", 0.5}, {"transA", 1}}), {a, b, c});
  const auto expected = 2 * a.t().matmul(b) + 0.5 * c;
  EXPECT_TRUE(torch::allclose(y, expected));
  // transB = 1, alpha = beta = 1 is nn::Linear.
  torch::nn::Linear linear(2, 3);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(run1(node("Gemm", {"a", "w", "b"}, {"y"}, {{"transB", 1}}), {a, linear->weight, linear->bias}),
                           linear->forward(a)));
}

TEST(GraphOps, PReluBroadcastsItsSlopeFromTheRight) {
  const auto x = torch::tensor({-1.0f, 2.0f, -3.0f, 4.0f}).reshape({1, 2, 1, 2});
  const auto slope = torch::tensor({0.5f, 0.25f}).reshape({2, 1, 1});  // PyTorch's exporter's shape
  const auto y = run1(node("PRelu", {"x", "s"}, {"y"}), {x, slope});
  EXPECT_TRUE(torch::equal(y, torch::tensor({-0.5f, 2.0f, -0.75f, 4.0f}).reshape({1, 2, 1, 2})));
  torch::nn::PReLU prelu(torch::nn::PReLUOptions().num_parameters(2));
  torch::NoGradGuard no_grad;
  prelu->weight.copy_(torch::tensor({0.5f, 0.25f}));
  const auto z = torch::randn({3, 2, 4, 4});
  EXPECT_TRUE(torch::equal(run1(node("PRelu", {"x", "s"}, {"y"}), {z, prelu->weight.reshape({2, 1, 1})}), prelu->forward(z)));
}

TEST(GraphOps, ShapeOperatorsOfADynamicFlatten) {
  // x.view(x.size(0), -1) as the exporter writes it without constant folding: Shape, Gather, Unsqueeze, Concat, Reshape.
  const auto x = torch::randn({3, 4, 2, 2});
  const auto shape = run1(node("Shape", {"x"}, {"s"}), {x});
  EXPECT_TRUE(torch::equal(shape, torch::tensor({3, 4, 2, 2}, torch::kInt64)));
  const auto n = run1(node("Gather", {"s", "i"}, {"n"}, {{"axis", 0}}), {shape, torch::tensor(0, torch::kInt64)});
  EXPECT_EQ(n.dim(), 0);
  const auto n1 = run1(node("Unsqueeze", {"n"}, {"n1"}, {{"axes", {0}}}), {n});
  const auto n1_13 = run1(node("Unsqueeze", {"n", "axes"}, {"n1"}), {n, torch::tensor({0}, torch::kInt64)});
  EXPECT_TRUE(torch::equal(n1, n1_13));
  const auto target = run1(node("Concat", {"a", "b"}, {"t"}, {{"axis", 0}}), {n1, torch::tensor({-1}, torch::kInt64)});
  EXPECT_TRUE(torch::equal(run1(node("Reshape", {"x", "t"}, {"y"}), {x, target}), x.reshape({3, 16})));
  // Reshape's 0 copies the input's dimension; Flatten's axis splits the dimensions in two.
  EXPECT_EQ(run1(node("Reshape", {"x", "t"}, {"y"}), {x, torch::tensor({0, -1}, torch::kInt64)}).sizes(),
            (torch::IntArrayRef{3, 16}));
  EXPECT_EQ(run1(node("Flatten", {"x"}, {"y"}, {{"axis", 2}}), {x}).sizes(), (torch::IntArrayRef{12, 4}));
  EXPECT_EQ(run1(node("GlobalAveragePool", {"x"}, {"y"}), {x}).sizes(), (torch::IntArrayRef{3, 4, 1, 1}));
}

TEST(GraphOps, EverySupportedOperatorHasAnImplementation) { EXPECT_EQ(implemented_ops(), supported_ops()); }

OpGraph small_graph() {
  OpGraph g;
  g.input = "data";
  g.output = "emb";
  g.initializers = {{"conv.w", OpTensorType::kFloat32, {4, 3, 3, 3}}, {"fc.w", OpTensorType::kFloat32, {5, 4}},
                    {"shape", OpTensorType::kInt64, {2}}};
  g.nodes = {node("Conv", {"data", "conv.w"}, {"c"}, {{"pads", {1, 1, 1, 1}}}), node("Relu", {"c"}, {"r"}),
             node("GlobalAveragePool", {"r"}, {"p"}), node("Reshape", {"p", "shape"}, {"f"}),
             node("Dropout", {"f"}, {"d"}), node("Gemm", {"d", "fc.w"}, {"emb"}, {{"transB", 1}})};
  return g;
}

TEST(OpGraph, ValidationNamesTheNodeAndTheProblem) {
  EXPECT_NO_THROW(validate(small_graph(), "g"));
  auto expect_error = [](const OpGraph& g, const std::string& text) {
    try {
      validate(g, "model.onnx");
      ADD_FAILURE() << "accepted; expected: " << text;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  OpGraph g = small_graph();
  g.nodes[1].op = "Softplus";
  expect_error(g, "model.onnx: node 1 'Relu_0' (Softplus): operator 'Softplus' is not supported");
  g = small_graph();
  g.nodes[0].attributes["auto_pad"] = "SAME_UPPER";
  expect_error(g, "attribute auto_pad = \"SAME_UPPER\" is not supported");
  g = small_graph();
  g.nodes[2].inputs[0] = "nowhere";
  expect_error(g, "input 'nowhere' is neither the graph input");
  g = small_graph();
  g.output = "missing";
  expect_error(g, "no node produces the output 'missing'");
  g = small_graph();
  g.nodes[1].outputs[0] = "c";
  expect_error(g, "output 'c' is defined twice");
}

TEST(OpGraph, JsonRoundTrip) {
  const OpGraph g = small_graph();
  EXPECT_EQ(to_json(op_graph_from_json(to_json(g), "g")), to_json(g));
  EXPECT_THROW(op_graph_from_json(nlohmann::json{{"input", "x"}}, "g"), FormatError);
}

TEST(GraphNet, RunsTheGraphAndRoundTripsThroughTheModelFile) {
  const OpGraph g = small_graph();
  BackboneOptions o(BackboneKind::kOnnxGraph);
  o.graph(to_json(g).dump()).input_height(16).input_width(16).in_channels(3).embedding_dim(5);
  auto net = make_backbone(o);
  torch::manual_seed(3);
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> weights = {torch::randn({4, 3, 3, 3}), torch::randn({5, 4}), torch::tensor({0, -1}, torch::kInt64)};
  size_t i = 0;
  for (auto& b : net->buffers()) b.copy_(weights[i++]);
  const auto x = torch::randn({2, 3, 16, 16});
  const auto expected =
      torch::relu(torch::conv2d(x, weights[0], {}, 1, 1)).mean({2, 3}).matmul(weights[1].t());
  const auto y = net->forward(x);
  EXPECT_TRUE(torch::allclose(y, expected, 1e-5, 1e-6));
  EXPECT_THROW(net->forward(torch::randn({2, 3, 8, 8})), DataError);  // the input size is the graph's

  testing::TempDir dir;
  ModelMeta meta;
  meta.backbone = net->options();
  meta.preprocess = PreprocessOptions::uniform(16, 16, 3, 127.5f, 127.5f);
  save_model_file(dir / "g.fvm", meta, *net);
  const LoadedModel loaded = load_model_file(dir / "g.fvm");
  EXPECT_EQ(loaded.meta.backbone.kind(), BackboneKind::kOnnxGraph);
  EXPECT_TRUE(torch::equal(loaded.backbone->forward(x), y));
}

TEST(GraphNet, CannotBeConfiguredWithoutAGraph) {
  EXPECT_THROW(make_backbone(BackboneOptions(BackboneKind::kOnnxGraph)), ConfigError);
}

}  // namespace
}  // namespace fv
