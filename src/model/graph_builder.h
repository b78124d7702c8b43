// Writing a LibTorch network as an operator graph (model/op_graph.h), for fv-export onnx: each backbone's
// emit() calls these helpers in the order of its forward(), with its own modules, so that the graph computes
// what forward() computes (in eval mode) with the same LibTorch functions (graph_ops.h), bit for bit.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "model/op_graph.h"

namespace fv {

class GraphBuilder {
 public:
  // `input` names the graph input (the images).
  explicit GraphBuilder(std::string input);

  // Adds a node of `op` on `inputs` with `attributes`; returns the name of its (single) output.
  std::string node(const std::string& op, std::vector<std::string> inputs,
                   nlohmann::json attributes = nlohmann::json::object());
  // Adds `tensor` (float32 or int64; copied to the CPU) as an initializer; returns its name (`hint`, made unique).
  std::string weight(const std::string& hint, const torch::Tensor& tensor);

  // One node (or two) per LibTorch module, as the module's forward computes it in eval mode; `name` is the
  // module's name in the network (used for the initializers' names).
  std::string conv(const torch::nn::Conv2dImpl& conv, const std::string& x, const std::string& name);
  std::string batch_norm(const torch::nn::BatchNormImplBase<2, torch::nn::BatchNorm2dImpl>& bn, const std::string& x,
                         const std::string& name);
  std::string batch_norm(const torch::nn::BatchNormImplBase<1, torch::nn::BatchNorm1dImpl>& bn, const std::string& x,
                         const std::string& name);
  // `spatial`: x is [N, C, H, W] (the slope becomes [C, 1, 1] for ONNX's broadcasting), else [N, C].
  std::string prelu(const torch::nn::PReLUImpl& prelu, const std::string& x, const std::string& name, bool spatial);
  std::string linear(const torch::nn::LinearImpl& linear, const std::string& x, const std::string& name);
  // One of the modules above, MaxPool2d, or Dropout (the identity in eval mode), by its type. Throws ConfigError naming a
  // module of another type.
  std::string module(const torch::nn::Module& m, const std::string& x, const std::string& name, bool spatial);
  // A Sequential of the modules above (and Dropout, the identity in eval mode), child by child; `spatial` as for
  // prelu. Throws ConfigError naming a child of another type.
  std::string sequential(const torch::nn::SequentialImpl& seq, const std::string& x, const std::string& name,
                         bool spatial);
  std::string add(const std::string& a, const std::string& b);
  std::string flatten(const std::string& x);  // [N, ...] -> [N, rest]

  // The graph with `output` as its output, validated, and the weights in initializer order.
  OpGraph finish(const std::string& output);
  const std::vector<torch::Tensor>& weights() const { return weights_; }

 private:
  std::string batch_norm_node(const torch::Tensor& weight, const torch::Tensor& bias, const torch::Tensor& mean,
                              const torch::Tensor& var, double eps, const std::string& x, const std::string& name);

  OpGraph graph_;
  std::vector<torch::Tensor> weights_;
  int counter_ = 0;
};

}  // namespace fv
