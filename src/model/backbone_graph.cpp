// Backbone -> operator graph.
#include "model/backbone_graph.h"

#include "model/graph_builder.h"

namespace fv {

BackboneGraph backbone_graph(const Backbone& backbone) {
  BackboneGraph out;
  if (backbone.options().kind() == BackboneKind::kOnnxGraph) {
    out.graph = op_graph_from_json(nlohmann::json::parse(backbone.options().graph()), "model.graph");
    for (const auto& b : backbone.buffers()) out.weights.push_back(b.detach().to(torch::kCPU));
    return out;
  }
  GraphBuilder builder("data");
  const std::string output = backbone.emit(builder, "data");
  out.graph = builder.finish(output);
  out.weights = builder.weights();
  return out;
}

}  // namespace fv
