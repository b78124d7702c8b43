// One ONNX operator run with LibTorch ops (the executor of model/op_graph.h). The semantics are ONNX's:
// numpy-style broadcasting from the right, Gemm's alpha, beta and transposes, Reshape's 0 = "copy the input's
// dimension", asymmetric pads. Where an ONNX operator equals a LibTorch module's forward (Conv without
// asymmetric pads, BatchNormalization, Gemm with transB = 1 and alpha = beta = 1, PRelu) the same LibTorch
// function is called, so a graph exported from a LibTorch network gives its outputs bit for bit.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "model/op_graph.h"

namespace fv {

// Runs `node` (an operator of supported_ops(), checked by validate()) on `inputs`, given in the node's order
// (an undefined tensor for an omitted optional input). Returns one tensor per node output.
// Throws DataError (shape or type errors, naming what was seen) or c10::Error from LibTorch; the caller names
// the node.
std::vector<torch::Tensor> run_op(const OpNode& node, const std::vector<torch::Tensor>& inputs);

// The operators run_op implements, sorted (equal to supported_ops(); a test checks it).
std::vector<std::string> implemented_ops();

// Runs a validated graph: `weights[i]` is initializer i, `input` the graph input. Each intermediate tensor is
// released after its last use, so peak memory is that of the widest point of the network, as in a LibTorch
// module's forward. Returns the graph output.
// Throws DataError naming the node (describe_node) and LibTorch's or run_op's reason when a node fails.
torch::Tensor run_graph(const OpGraph& graph, const std::vector<torch::Tensor>& weights, const torch::Tensor& input);

}  // namespace fv
