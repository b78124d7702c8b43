// A network kept as a graph of ONNX operators: how the product holds a model it did not build itself
// (fv-import onnx; model/graph_net.cpp runs it with LibTorch ops). The graph names tensors as ONNX does;
// its weights (the initializers) are the backbone's buffers, stored in the model file like any other
// network's, and the graph itself travels in the model file's metadata as JSON.
//
// The operators and attributes are ONNX's (https://onnx.ai/onnx/operators/, opsets 7 to 17), restricted to
// what face-recognition backbones use (supported_ops()); the semantics are ONNX's, not PyTorch's (for
// example PRelu's slope broadcasts from the right, Gemm has alpha, beta and transposes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fv {

struct OpNode {
  std::string name;                 // the ONNX node's name (may be empty; messages then use its index)
  std::string op;                   // ONNX op_type, e.g. "Conv"
  std::vector<std::string> inputs;  // tensor names; "" = an omitted optional input
  std::vector<std::string> outputs;
  nlohmann::json attributes = nlohmann::json::object();  // name -> int, float, string or a list of ints/floats
};

enum class OpTensorType { kFloat32, kInt64 };

struct OpInitializer {
  std::string name;
  OpTensorType type = OpTensorType::kFloat32;
  std::vector<int64_t> shape;
};

struct OpGraph {
  std::string input;                      // the images, [N, C, H, W] float32
  std::string output;                     // the embeddings, [N, D]
  std::vector<OpInitializer> initializers;  // the weights, in the order of the backbone's buffers
  std::vector<OpNode> nodes;              // in execution (topological) order
};

// The operators graph_net runs: Add, BatchNormalization, Cast, Concat, Conv, Div, Dropout, Flatten, Gather,
// Gemm, GlobalAveragePool, Identity, MatMul, MaxPool, Mul, PRelu, ReduceL2, ReduceMean, Relu, Reshape, Shape,
// Sigmoid, Squeeze, Sub, Unsqueeze.
const std::vector<std::string>& supported_ops();

// "node 12 'Conv_12' (Conv)": how messages name a node.
std::string describe_node(const OpGraph& graph, size_t index);

// Checks that the graph can run: every op is supported with the attribute values graph_net implements
// (e.g. Conv's auto_pad NOTSET, BatchNormalization in inference mode), every input is the graph input, an
// initializer or an earlier node's output, names are defined once, and the output is produced.
// Throws FormatError naming `where`, the node (describe_node) and the op or tensor at fault.
void validate(const OpGraph& graph, const std::string& where);

nlohmann::json to_json(const OpGraph& graph);
// Throws FormatError naming `where` and the key when a field is missing or has the wrong type (not validate()).
OpGraph op_graph_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace fv
