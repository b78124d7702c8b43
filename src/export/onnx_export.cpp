// Model file -> ONNX.
#include "export/onnx_export.h"

#include <fmt/format.h>

#include "core/check.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/options.h"
#include "model/backbone_graph.h"
#include "model/model_file.h"
#include "onnx/onnx_model.h"

namespace fv {
namespace {

bool insightface_convention(const PreprocessOptions& p) {
  for (int c = 0; c < p.channels; ++c) {
    if (p.mean[static_cast<size_t>(c)] != 127.5f || p.std[static_cast<size_t>(c)] != 127.5f) return false;
  }
  return true;
}

// Puts (x - mean) * (1 / std) in front of the graph: the input feeds Sub and Mul, whose output replaces the input
// in the nodes that read it.
void prepend_normalisation(BackboneGraph& g, const PreprocessOptions& p) {
  const std::string normalised = "fv.normalised";
  for (auto& node : g.graph.nodes) {
    for (auto& in : node.inputs) {
      if (in == g.graph.input) in = normalised;
    }
  }
  auto mean = torch::empty({1, p.channels, 1, 1});
  auto inv_std = torch::empty({1, p.channels, 1, 1});
  for (int c = 0; c < p.channels; ++c) {
    mean[0][c] = p.mean[static_cast<size_t>(c)];
    inv_std[0][c] = 1.0f / p.std[static_cast<size_t>(c)];
  }
  OpNode sub, mul;
  sub.name = "Sub_normalise";
  sub.op = "Sub";
  sub.inputs = {g.graph.input, "fv.mean"};
  sub.outputs = {"fv.centred"};
  mul.name = "Mul_normalise";
  mul.op = "Mul";
  mul.inputs = {"fv.centred", "fv.inv_std"};
  mul.outputs = {normalised};
  g.graph.nodes.insert(g.graph.nodes.begin(), {sub, mul});
  g.graph.initializers.push_back({"fv.mean", OpTensorType::kFloat32, {1, p.channels, 1, 1}});
  g.graph.initializers.push_back({"fv.inv_std", OpTensorType::kFloat32, {1, p.channels, 1, 1}});
  g.weights.push_back(mean);
  g.weights.push_back(inv_std);
  validate(g.graph, "exported graph");
}

}  // namespace

void OnnxExportConfig::bind(OptionSet& options) {
  options.add("export.model", &model, "model file to export (.fvm, from fv-train or fv-import)")
      .add("export.output", &output, "ONNX file to write (.onnx)")
      .add("export.opset", &opset, "ONNX opset: 11 (insightface's torch2onnx.py) to 17");
}

void OnnxExportConfig::validate() const {
  FV_CHECK(!model.empty(), ConfigError, "config key 'export.model': required (the model file to export)");
  FV_CHECK(!output.empty(), ConfigError, "config key 'export.output': required (the .onnx file to write)");
  FV_CHECK(opset >= 11 && opset <= 17, ConfigError, "config key 'export.opset': {} is not supported (11 to 17)", opset);
}

OnnxExportSummary export_onnx(const OnnxExportConfig& config, const std::string& config_hash) {
  const LoadedModel model = load_model_file(config.model);
  BackboneGraph g = backbone_graph(*model.backbone);
  const PreprocessOptions& p = model.meta.preprocess;
  OnnxExportSummary summary;
  summary.normalisation_in_graph = !insightface_convention(p);
  if (summary.normalisation_in_graph) prepend_normalisation(g, p);
  summary.nodes = g.graph.nodes.size();
  summary.weights = g.weights.size();

  nlohmann::json preprocess = to_json(p);
  preprocess["channel_order"] = p.channels == 3 ? "RGB" : "grey";
  preprocess["applied_in_graph"] = summary.normalisation_in_graph;
  OnnxWriteOptions w;
  w.opset = config.opset;
  w.producer = "fv-export";
  w.metadata = {{"fv_preprocess", preprocess.dump()},
                {"fv_backbone", backbone_kind_name(model.meta.backbone.kind())},
                {"fv_producer", model.meta.producer},
                {"fv_model_sha256", model.sha256},
                {"fv_config_hash", config_hash}};
  const auto& b = model.meta.backbone;
  write_onnx_network(config.output, g.graph, g.weights, b.in_channels(), b.input_height(), b.input_width(),
                     b.embedding_dim(), w);
  log::info("fv-export onnx: {} -> {} (opset {}, {} nodes, {} weights{})", config.model, config.output, config.opset,
            summary.nodes, summary.weights,
            summary.normalisation_in_graph ? ", preprocessing as Sub and Mul in front" : ", insightface preprocessing");
  return summary;
}

}  // namespace fv
