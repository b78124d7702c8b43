// The backbone of an imported ONNX graph (BackboneKind::kOnnxGraph): the graph from the options' JSON, its
// initializers as buffers w0, w1, ... (ONNX names may hold '.' and ':', which module names cannot), run node
// by node with model/graph_ops.h's run_graph.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/check.h"
#include "core/error.h"
#include "model/backbone_impls.h"
#include "model/graph_ops.h"
#include "model/op_graph.h"

namespace fv::detail {
namespace {

class GraphNet final : public Backbone {
 public:
  explicit GraphNet(const BackboneOptions& o) : Backbone(o) {
    try {
      graph_ = op_graph_from_json(nlohmann::json::parse(o.graph()), "model.graph");
    } catch (const nlohmann::json::exception& e) {
      throw FormatError(fmt::format("model.graph: not valid JSON ({})", e.what()));
    }
    validate(graph_, "model.graph");
    for (size_t i = 0; i < graph_.initializers.size(); ++i) {
      const auto& init = graph_.initializers[i];
      const auto type = init.type == OpTensorType::kInt64 ? torch::kInt64 : torch::kFloat32;
      weights_.push_back(register_buffer(fmt::format("w{}", i), torch::zeros(init.shape, type)));
    }
  }

  torch::Tensor forward(torch::Tensor x) override {
    check_input(x);
    torch::Tensor y = run_graph(graph_, weights_, x);
    FV_CHECK(y.dim() == 2 && y.size(0) == x.size(0) && y.size(1) == options().embedding_dim(), DataError,
             "onnx graph: output '{}' is [{}], expected [{}, {}]", graph_.output, fmt::join(y.sizes(), ", "), x.size(0),
             options().embedding_dim());
    return y;
  }

 private:
  OpGraph graph_;
  std::vector<torch::Tensor> weights_;
};

}  // namespace

std::shared_ptr<Backbone> make_graph_net(const BackboneOptions& resolved) { return std::make_shared<GraphNet>(resolved); }

}  // namespace fv::detail
