// Any backbone as an operator graph with its weights: what fv-export onnx writes.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/backbone.h"
#include "model/op_graph.h"

namespace fv {

struct BackboneGraph {
  OpGraph graph;                       // validated; input "data", [N, C, H, W]; output [N, embedding_dim]
  std::vector<torch::Tensor> weights;  // one per graph.initializers, on the CPU
};

// An imported graph (onnx) is returned as it is, with its buffers; every other network through its emit()
// (Backbone::emit). Throws ConfigError naming the network when it cannot be exported.
BackboneGraph backbone_graph(const Backbone& backbone);

}  // namespace fv
