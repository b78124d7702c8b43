// Module -> ONNX node helpers.
#include "model/graph_builder.h"

#include <fmt/format.h>


#include "core/check.h"
#include "core/error.h"
#include "model/torch_compat.h"

namespace fv {
namespace {

std::vector<int64_t> pair(const torch::ExpandingArray<2>& a) { return {(*a)[0], (*a)[1]}; }

}  // namespace

GraphBuilder::GraphBuilder(std::string input) { graph_.input = std::move(input); }

std::string GraphBuilder::node(const std::string& op, std::vector<std::string> inputs, nlohmann::json attributes) {
  OpNode n;
  const int index = counter_++;
  n.name = fmt::format("{}_{}", op, index);
  n.op = op;
  n.inputs = std::move(inputs);
  n.outputs = {fmt::format("t{}", index)};
  n.attributes = std::move(attributes);
  graph_.nodes.push_back(std::move(n));
  return graph_.nodes.back().outputs[0];
}

std::string GraphBuilder::weight(const std::string& hint, const torch::Tensor& tensor) {
  std::string name = hint;
  for (int k = 1; std::any_of(graph_.initializers.begin(), graph_.initializers.end(),
                              [&](const OpInitializer& i) { return i.name == name; });
       ++k)
    name = fmt::format("{}_{}", hint, k);
  const auto t = tensor.detach().to(torch::kCPU).contiguous();
  FV_CHECK(t.scalar_type() == torch::kFloat32 || t.scalar_type() == torch::kInt64, DataError,
           "'{}' is {}: only float32 and int64 weights are exported", name, std::string(c10::toString(t.scalar_type())));
  graph_.initializers.push_back({name, t.scalar_type() == torch::kInt64 ? OpTensorType::kInt64 : OpTensorType::kFloat32,
                                 t.sizes().vec()});
  weights_.push_back(t);
  return name;
}

std::string GraphBuilder::conv(const torch::nn::Conv2dImpl& conv, const std::string& x, const std::string& name) {
  const auto& o = conv.options;
  const auto* padding = explicit_padding(o.padding());
  FV_CHECK(padding != nullptr, DataError, "{}: only explicit conv padding is exported", name);
  FV_CHECK(o.padding_mode().index() == 0, DataError, "{}: only zero padding is exported", name);  // kZeros
  const auto p = pair(*padding);
  std::vector<std::string> in = {x, weight(name + ".weight", conv.weight)};
  if (conv.bias.defined()) in.push_back(weight(name + ".bias", conv.bias));
  return node("Conv", in,
              {{"kernel_shape", pair(o.kernel_size())},
               {"strides", pair(o.stride())},
               {"pads", {p[0], p[1], p[0], p[1]}},
               {"dilations", pair(o.dilation())},
               {"group", o.groups()}});
}

std::string GraphBuilder::batch_norm_node(const torch::Tensor& weight_t, const torch::Tensor& bias, const torch::Tensor& mean,
                                          const torch::Tensor& var, double eps, const std::string& x,
                                          const std::string& name) {
  FV_CHECK(mean.defined() && var.defined(), DataError, "{}: a batch norm without running statistics cannot be exported",
           name);
  // affine = false: the identity scale and shift, as batch_norm computes it with undefined ones.
  const auto scale = weight_t.defined() ? weight_t : torch::ones_like(mean);
  const auto shift = bias.defined() ? bias : torch::zeros_like(mean);
  return node("BatchNormalization",
              {x, weight(name + ".weight", scale), weight(name + ".bias", shift), weight(name + ".running_mean", mean),
               weight(name + ".running_var", var)},
              {{"epsilon", eps}});
}

std::string GraphBuilder::batch_norm(const torch::nn::BatchNormImplBase<2, torch::nn::BatchNorm2dImpl>& bn,
                                     const std::string& x, const std::string& name) {
  return batch_norm_node(bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.options.eps(), x, name);
}

std::string GraphBuilder::batch_norm(const torch::nn::BatchNormImplBase<1, torch::nn::BatchNorm1dImpl>& bn,
                                     const std::string& x, const std::string& name) {
  return batch_norm_node(bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.options.eps(), x, name);
}

std::string GraphBuilder::prelu(const torch::nn::PReLUImpl& prelu, const std::string& x, const std::string& name,
                                bool spatial) {
  auto slope = prelu.weight.detach();
  if (spatial) slope = slope.reshape({-1, 1, 1});
  return node("PRelu", {x, weight(name + ".weight", slope)});
}

std::string GraphBuilder::linear(const torch::nn::LinearImpl& linear, const std::string& x, const std::string& name) {
  std::vector<std::string> in = {x, weight(name + ".weight", linear.weight)};
  if (linear.bias.defined()) in.push_back(weight(name + ".bias", linear.bias));
  return node("Gemm", in, {{"transB", 1}});
}

std::string GraphBuilder::module(const torch::nn::Module& m, const std::string& x, const std::string& name,
                                 bool spatial) {
  if (const auto* c = m.as<torch::nn::Conv2d>()) return conv(*c, x, name);
  if (const auto* b2 = m.as<torch::nn::BatchNorm2d>()) return batch_norm(*b2, x, name);
  if (const auto* b1 = m.as<torch::nn::BatchNorm1d>()) return batch_norm(*b1, x, name);
  if (const auto* p = m.as<torch::nn::PReLU>()) return prelu(*p, x, name, spatial);
  if (const auto* l = m.as<torch::nn::Linear>()) return linear(*l, x, name);
  if (const auto* pool = m.as<torch::nn::MaxPool2d>()) {
    const auto& o = pool->options;
    const auto pad = pair(o.padding());
    return node("MaxPool", {x},
                {{"kernel_shape", pair(o.kernel_size())},
                 {"strides", pair(o.stride())},
                 {"pads", {pad[0], pad[1], pad[0], pad[1]}},
                 {"dilations", pair(o.dilation())},
                 {"ceil_mode", o.ceil_mode() ? 1 : 0}});
  }
  if (m.as<torch::nn::Dropout>() != nullptr) return x;
  throw ConfigError(fmt::format("{}: a {} cannot be exported as an operator graph", name, m.name()));
}

std::string GraphBuilder::sequential(const torch::nn::SequentialImpl& seq, const std::string& x, const std::string& name,
                                     bool spatial) {
  std::string y = x;
  for (const auto& child : seq.named_children()) y = module(*child.value(), y, name + "." + child.key(), spatial);
  return y;
}

std::string GraphBuilder::add(const std::string& a, const std::string& b) { return node("Add", {a, b}); }

std::string GraphBuilder::flatten(const std::string& x) { return node("Flatten", {x}, {{"axis", 1}}); }

OpGraph GraphBuilder::finish(const std::string& output) {
  graph_.output = output;
  validate(graph_, "exported graph");
  return graph_;
}

}  // namespace fv
