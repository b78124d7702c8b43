// ONNX operators with LibTorch ops. Specification: https://onnx.ai/onnx/operators/ (opsets 7-17).
#include "model/graph_ops.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>

#include "core/check.h"
#include "core/error.h"

namespace fv {
namespace {

using Tensors = std::vector<torch::Tensor>;

int64_t int_attr(const OpNode& n, const char* key, int64_t fallback) {
  return n.attributes.contains(key) ? n.attributes.at(key).get<int64_t>() : fallback;
}
double float_attr(const OpNode& n, const char* key, double fallback) {
  return n.attributes.contains(key) ? n.attributes.at(key).get<double>() : fallback;
}
std::vector<int64_t> ints_attr(const OpNode& n, const char* key, std::vector<int64_t> fallback) {
  return n.attributes.contains(key) ? n.attributes.at(key).get<std::vector<int64_t>>() : fallback;
}

std::vector<int64_t> int_values(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU, torch::kInt64).contiguous().flatten();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

// Normalises an axis of a tensor of `rank` dimensions (ONNX allows -rank..rank-1).
int64_t axis_of(int64_t axis, int64_t rank) {
  FV_CHECK(axis >= -rank && axis < rank, DataError, "axis {} is outside a tensor of rank {}", axis, rank);
  return axis < 0 ? axis + rank : axis;
}

void require_rank(const torch::Tensor& x, int64_t rank, const char* what) {
  FV_CHECK(x.dim() == rank, DataError, "{} expects a tensor of rank {}, got [{}]", what, rank,
           fmt::join(x.sizes(), ", "));
}

// ONNX pads [top, left, bottom, right] (x1_begin, x2_begin, x1_end, x2_end): symmetric ones go to the op,
// asymmetric ones are applied beforehand with `fill`.
std::vector<int64_t> apply_pads(torch::Tensor& x, const std::vector<int64_t>& pads, double fill) {
  if (pads[0] == pads[2] && pads[1] == pads[3]) return {pads[0], pads[1]};
  x = at::constant_pad_nd(x, {pads[1], pads[3], pads[0], pads[2]}, fill);
  return {0, 0};
}

Tensors conv(const OpNode& n, const Tensors& in) {
  auto x = in[0];
  require_rank(x, 4, "Conv");
  require_rank(in[1], 4, "Conv's weight");
  const auto padding = apply_pads(x, ints_attr(n, "pads", {0, 0, 0, 0}), 0.0);
  return {at::conv2d(x, in[1], in.size() > 2 ? in[2] : torch::Tensor(), ints_attr(n, "strides", {1, 1}), padding,
                     ints_attr(n, "dilations", {1, 1}), int_attr(n, "group", 1))};
}

Tensors max_pool(const OpNode& n, const Tensors& in) {
  auto x = in[0];
  require_rank(x, 4, "MaxPool");
  const auto padding = apply_pads(x, ints_attr(n, "pads", {0, 0, 0, 0}), -std::numeric_limits<double>::infinity());
  const auto kernel = ints_attr(n, "kernel_shape", {});
  return {at::max_pool2d(x, kernel, ints_attr(n, "strides", {1, 1}), padding, ints_attr(n, "dilations", {1, 1}),
                         int_attr(n, "ceil_mode", 0) != 0)};
}

Tensors batch_norm(const OpNode& n, const Tensors& in) {
  // The call nn::BatchNorm2d makes in eval mode (scale, bias, mean, var; not training).
  return {at::batch_norm(in[0], in[1], in[2], in[3], in[4], /*training=*/false, 0.0, float_attr(n, "epsilon", 1e-5),
                         /*cudnn_enabled=*/true)};
}

Tensors gemm(const OpNode& n, const Tensors& in) {
  const double alpha = float_attr(n, "alpha", 1.0), beta = float_attr(n, "beta", 1.0);
  const bool trans_a = int_attr(n, "transA", 0) != 0, trans_b = int_attr(n, "transB", 0) != 0;
  require_rank(in[0], 2, "Gemm's A");
  require_rank(in[1], 2, "Gemm's B");
  const torch::Tensor c = in.size() > 2 ? in[2] : torch::Tensor();
  // nn::Linear's forward (the form PyTorch's exporter writes for it).
  if (!trans_a && trans_b && alpha == 1.0 && beta == 1.0 && (!c.defined() || c.dim() == 1)) return {at::linear(in[0], in[1], c)};
  auto y = at::matmul(trans_a ? in[0].t() : in[0], trans_b ? in[1].t() : in[1]);
  if (alpha != 1.0) y = y * alpha;
  if (c.defined()) y = beta == 1.0 ? y + c : y + c * beta;
  return {y};
}

Tensors flatten(const OpNode& n, const Tensors& in) {
  const auto& x = in[0];
  const int64_t axis = int_attr(n, "axis", 1);
  FV_CHECK(axis >= -x.dim() && axis <= x.dim(), DataError, "Flatten axis {} is outside rank {}", axis, x.dim());
  const int64_t a = axis < 0 ? axis + x.dim() : axis;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < x.dim(); ++d) (d < a ? outer : inner) *= x.size(d);
  return {x.reshape({outer, inner})};
}

Tensors reshape(const OpNode& n, const Tensors& in) {
  auto shape = int_values(in[1]);
  if (int_attr(n, "allowzero", 0) == 0) {
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 0) {
        FV_CHECK(static_cast<int64_t>(d) < in[0].dim(), DataError, "Reshape copies dimension {} of a tensor of rank {}",
                 d, in[0].dim());
        shape[d] = in[0].size(static_cast<int64_t>(d));
      }
    }
  }
  return {in[0].reshape(shape)};
}

Tensors shape_of(const OpNode& n, const Tensors& in) {
  const int64_t rank = in[0].dim();
  auto clamp = [rank](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  const int64_t start = clamp(int_attr(n, "start", 0)), end = clamp(int_attr(n, "end", rank));
  std::vector<int64_t> dims(in[0].sizes().begin() + start, in[0].sizes().begin() + std::max(start, end));
  return {torch::tensor(dims, torch::kInt64).to(in[0].device())};
}

Tensors gather(const OpNode& n, const Tensors& in) {
  const auto& data = in[0];
  const int64_t axis = axis_of(int_attr(n, "axis", 0), data.dim());
  auto index = in[1].to(torch::kInt64);
  index = torch::where(index < 0, index + data.size(axis), index);
  std::vector<int64_t> shape(data.sizes().begin(), data.sizes().begin() + axis);
  shape.insert(shape.end(), index.sizes().begin(), index.sizes().end());
  shape.insert(shape.end(), data.sizes().begin() + axis + 1, data.sizes().end());
  return {data.index_select(axis, index.flatten()).reshape(shape)};
}

// Unsqueeze's and Squeeze's axes: an attribute before opset 13, the second input from 13 on.
std::vector<int64_t> axes_of(const OpNode& n, const Tensors& in) {
  if (in.size() > 1 && in[1].defined()) return int_values(in[1]);
  return ints_attr(n, "axes", {});
}

Tensors unsqueeze(const OpNode& n, const Tensors& in) {
  auto axes = axes_of(n, in);
  const int64_t rank = in[0].dim() + static_cast<int64_t>(axes.size());
  for (auto& a : axes) a = axis_of(a, rank);
  std::sort(axes.begin(), axes.end());
  auto y = in[0];
  for (int64_t a : axes) y = y.unsqueeze(a);
  return {y};
}

Tensors squeeze(const OpNode& n, const Tensors& in) {
  auto axes = axes_of(n, in);
  if (axes.empty()) return {in[0].squeeze()};
  for (auto& a : axes) a = axis_of(a, in[0].dim());
  std::sort(axes.rbegin(), axes.rend());
  auto y = in[0];
  for (int64_t a : axes) {
    FV_CHECK(y.size(a) == 1, DataError, "Squeeze of axis {} of size {}", a, y.size(a));
    y = y.squeeze(a);
  }
  return {y};
}

Tensors concat(const OpNode& n, const Tensors& in) {
  FV_CHECK(n.attributes.contains("axis"), DataError, "Concat without an axis attribute");
  return {at::cat(in, axis_of(int_attr(n, "axis", 0), in[0].dim()))};
}

Tensors global_average_pool(const OpNode&, const Tensors& in) {
  FV_CHECK(in[0].dim() >= 3, DataError, "GlobalAveragePool expects a tensor of rank 3 or more, got {}", in[0].dim());
  std::vector<int64_t> dims;
  for (int64_t d = 2; d < in[0].dim(); ++d) dims.push_back(d);
  return {in[0].mean(dims, /*keepdim=*/true)};
}

// ReduceL2 / ReduceMean: axes as an attribute (opsets before 18; none = every axis), keepdims default 1.
template <bool kL2>
Tensors reduce(const OpNode& n, const Tensors& in) {
  auto axes = ints_attr(n, "axes", {});
  if (axes.empty()) {
    for (int64_t d = 0; d < in[0].dim(); ++d) axes.push_back(d);
  }
  for (auto& a : axes) a = axis_of(a, in[0].dim());
  const bool keep = int_attr(n, "keepdims", 1) != 0;
  return {kL2 ? at::norm(in[0], 2, axes, keep) : in[0].mean(axes, keep)};
}

Tensors dropout(const OpNode& n, const Tensors& in) {  // inference: the identity (and an all-true mask)
  if (n.outputs.size() > 1) return {in[0], torch::ones_like(in[0], torch::kBool)};
  return {in[0]};
}

using OpFn = std::function<Tensors(const OpNode&, const Tensors&)>;

const std::map<std::string, OpFn>& ops() {
  static const std::map<std::string, OpFn> table = {
      {"Add", [](const OpNode&, const Tensors& in) { return Tensors{in[0] + in[1]}; }},
      {"Sub", [](const OpNode&, const Tensors& in) { return Tensors{in[0] - in[1]}; }},
      {"Mul", [](const OpNode&, const Tensors& in) { return Tensors{in[0] * in[1]}; }},
      {"Div", [](const OpNode&, const Tensors& in) { return Tensors{in[0] / in[1]}; }},
      {"MatMul", [](const OpNode&, const Tensors& in) { return Tensors{at::matmul(in[0], in[1])}; }},
      {"Relu", [](const OpNode&, const Tensors& in) { return Tensors{at::relu(in[0])}; }},
      {"Sigmoid", [](const OpNode&, const Tensors& in) { return Tensors{at::sigmoid(in[0])}; }},
      // PReLU as LibTorch computes it (x > 0 ? x : slope * x), with ONNX's broadcasting of the slope.
      {"PRelu", [](const OpNode&, const Tensors& in) { return Tensors{at::where(in[0] > 0, in[0], in[1] * in[0])}; }},
      {"Identity", [](const OpNode&, const Tensors& in) { return Tensors{in[0]}; }},
      {"Cast",
       [](const OpNode& n, const Tensors& in) {
         return Tensors{in[0].to(int_attr(n, "to", 1) == 7 ? torch::kInt64 : torch::kFloat32)};
       }},
      {"Conv", conv},
      {"MaxPool", max_pool},
      {"BatchNormalization", batch_norm},
      {"Gemm", gemm},
      {"Flatten", flatten},
      {"Reshape", reshape},
      {"Shape", shape_of},
      {"Gather", gather},
      {"Unsqueeze", unsqueeze},
      {"Squeeze", squeeze},
      {"Concat", concat},
      {"GlobalAveragePool", global_average_pool},
      {"Dropout", dropout},
      {"ReduceL2", reduce<true>},
      {"ReduceMean", reduce<false>},
  };
  return table;
}

}  // namespace

std::vector<std::string> implemented_ops() {
  std::vector<std::string> names;
  for (const auto& [op, fn] : ops()) names.push_back(op);
  return names;
}

std::vector<torch::Tensor> run_op(const OpNode& node, const std::vector<torch::Tensor>& inputs) {
  const auto it = ops().find(node.op);
  FV_CHECK(it != ops().end(), DataError, "operator '{}' is not supported", node.op);
  return it->second(node, inputs);
}

}  // namespace fv

namespace fv {

torch::Tensor run_graph(const OpGraph& graph, const std::vector<torch::Tensor>& weights, const torch::Tensor& input) {
  FV_CHECK(weights.size() == graph.initializers.size(), DataError, "onnx graph: {} weights for {} initializers",
           weights.size(), graph.initializers.size());
  std::unordered_map<std::string, size_t> last_use;
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    for (const auto& in : graph.nodes[k].inputs) last_use[in] = k;
  }
  std::unordered_map<std::string, torch::Tensor> values;
  values[graph.input] = input;
  for (size_t i = 0; i < weights.size(); ++i) values[graph.initializers[i].name] = weights[i];
  std::vector<torch::Tensor> inputs;
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    const OpNode& node = graph.nodes[k];
    inputs.clear();
    for (const auto& in : node.inputs) inputs.push_back(in.empty() ? torch::Tensor() : values.at(in));
    std::vector<torch::Tensor> outputs;
    try {
      outputs = run_op(node, inputs);
    } catch (const c10::Error& e) {
      throw DataError(fmt::format("onnx graph: {}: {}", describe_node(graph, k), e.what_without_backtrace()));
    } catch (const Error& e) {
      throw DataError(fmt::format("onnx graph: {}: {}", describe_node(graph, k), e.what()));
    }
    for (size_t o = 0; o < node.outputs.size() && o < outputs.size(); ++o) {
      if (!node.outputs[o].empty()) values[node.outputs[o]] = std::move(outputs[o]);
    }
    for (const auto& in : node.inputs) {
      const auto last = last_use.find(in);
      if (last != last_use.end() && last->second == k && in != graph.output) values.erase(in);
    }
  }
  return values.at(graph.output);
}

}  // namespace fv
