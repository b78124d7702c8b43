// ONNX model files <-> the product's operator graph (model/op_graph.h) and its weights: the reading half of
// fv-import onnx and the writing half of fv-export onnx. Built on ONNX's own protobuf classes (libonnx-dev),
// which stay inside src/onnx.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "model/op_graph.h"

namespace fv {

// A recognition network read from an ONNX model: one image input [N, C, H, W] (float32, H and W fixed), one
// output (the embedding).
struct OnnxNetwork {
  OpGraph graph;                       // validated; only the nodes and initializers the output needs
  std::vector<torch::Tensor> weights;  // one per graph.initializers (float32 or int64, CPU)
  int64_t channels = 0, height = 0, width = 0;
  int64_t opset = 0;                   // of the default domain
  std::string producer;                // producer_name and producer_version
  std::map<std::string, std::string> metadata;  // metadata_props
  // insightface's ArcFaceONNX rule: a Sub and a Mul among the first 8 nodes mean the graph normalises its own
  // input (the MXNet-converted models), so it is fed raw pixels (mean 0, std 1).
  bool normalises_input = false;
  // Reshapes of the images' data whose constant shape started with 1, the batch size the graph was traced with
  // (PyTorch's exporter folds x.view(x.size(0), -1) to [1, -1], as in insightface's MobileFaceNet exports):
  // rewritten to 0, ONNX's "copy this dimension", so that any batch size runs.
  int batch_reshapes = 0;
};

// The network of the .onnx file `path`. `output` chooses among several graph outputs (empty: the only one);
// external data is read from the file's folder. Throws IoError (unreadable file, missing external data file,
// naming it); FormatError naming the file when it is not a protobuf ModelProto (e.g. truncated) or has no
// graph, and naming the file and: the inputs when there is not
// exactly one image input of rank 4 with fixed C (1 or 3), H and W; the outputs when there are several and none
// was chosen, or the chosen one does not exist; a node of another domain, an attribute of an unsupported type,
// or an operator graph_net does not run (naming the node and the op); and what tensor_from_proto throws.
OnnxNetwork read_onnx_network(const std::filesystem::path& path, const std::string& output);

struct OnnxWriteOptions {
  int64_t opset = 11;                 // 11 to 17
  std::string input_name = "data";    // insightface's name
  std::string output_name = "fc1";
  std::string producer = "fv-export";
  std::map<std::string, std::string> metadata;  // written as metadata_props
};

// Writes the ONNX model of a graph and its weights to `path` atomically: input [N, C, H, W] with a symbolic batch dimension ("None", as
// insightface's torch2onnx.py sets it), the output [N, D], the weights as initializers (raw data), Identity and
// Dropout removed, Squeeze/Unsqueeze axes written as the opset wants them (attribute before 13, input after).
// Throws ConfigError naming the opset when it is outside 11..17 or an attribute needs a newer one; IoError
// naming the path when the write fails (nothing is left under `path` then).
void write_onnx_network(const std::filesystem::path& path, const OpGraph& graph, const std::vector<torch::Tensor>& weights,
                        int64_t channels, int64_t height, int64_t width, int64_t embedding_dim,
                        const OnnxWriteOptions& options);

}  // namespace fv
