// ONNX file -> model file with an operator-graph backbone.
#include "import/onnx_import.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/check.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/options.h"
#include "core/sha256.h"
#include "model/graph_ops.h"
#include "onnx/onnx_model.h"

namespace fv {
namespace {

const EnumNames<OnnxNormalization>& normalization_names() {
  static const EnumNames<OnnxNormalization> names = {{"auto", OnnxNormalization::kAuto},
                                                     {"insightface", OnnxNormalization::kInsightface},
                                                     {"none", OnnxNormalization::kNone}};
  return names;
}

}  // namespace

void OnnxImportConfig::bind(OptionSet& options) {
  options.add("import.model", &model, "the ONNX model (.onnx; external data files next to it)")
      .add("import.output_name", &output_name, "the graph output that is the embedding (empty: the only output)")
      .add_enum("import.normalization", &normalization, normalization_names(),
                "input normalisation: auto (raw pixels when the graph starts with Sub and Mul, as insightface's "
                "ArcFaceONNX decides; else insightface), insightface ((pixel - 127.5) / 127.5), none (raw 0..255)")
      .add("output", &output, "model file to write (.fvm)");
}

void OnnxImportConfig::validate() const {
  FV_CHECK(!model.empty(), ConfigError, "config key 'import.model': required (the .onnx file to import)");
  FV_CHECK(!output.empty(), ConfigError, "config key 'output': required (the model file to write)");
}

OnnxImport load_onnx_model(const OnnxImportConfig& config) {
  const OnnxNetwork net = read_onnx_network(config.model, config.output_name);
  OnnxImport result;
  result.opset = net.opset;
  result.nodes = net.graph.nodes.size();
  result.weights = net.weights.size();
  result.normalises_input = net.normalises_input;

  // The embedding size, from the output for two images; and a check that the graph embeds each image of a batch
  // on its own (a Reshape with a fixed batch size that free_batch_dimension did not recognise would mix them).
  BackboneOptions options(BackboneKind::kOnnxGraph);
  options.graph(to_json(net.graph).dump()).input_height(net.height).input_width(net.width).in_channels(net.channels);
  torch::Tensor probe;
  {
    torch::NoGradGuard no_grad;
    const auto x = torch::rand({2, net.channels, net.height, net.width}, at::make_generator<at::CPUGeneratorImpl>(7)) * 2 - 1;
    probe = run_graph(net.graph, net.weights, x);
    FV_CHECK(probe.dim() == 2 && probe.size(0) == 2 && probe.size(1) > 0, DataError,
             "{}: output '{}' is [{}] for 2 images, expected [2, D] (an embedding per image)", config.model,
             net.graph.output, fmt::join(probe.sizes(), ", "));
    const auto alone = torch::cat({run_graph(net.graph, net.weights, x.slice(0, 0, 1)),
                                   run_graph(net.graph, net.weights, x.slice(0, 1, 2))});
    const double difference = (probe - alone).abs().max().item<double>();
    const double scale = std::max(alone.abs().max().item<double>(), 1e-12);
    FV_CHECK(difference <= 1e-4 * scale, DataError,
             "{}: the graph embeds a batch of 2 images differently from each image alone (largest difference {:.3g} "
             "for values up to {:.3g}): it mixes the images of a batch (a Reshape to a fixed batch size?)",
             config.model, difference, scale);
  }
  options.embedding_dim(probe.size(1));
  result.backbone = make_backbone(options);
  {
    torch::NoGradGuard no_grad;
    size_t i = 0;
    for (auto& buffer : result.backbone->buffers()) buffer.copy_(net.weights.at(i++));
  }
  result.backbone->eval();

  const bool raw = config.normalization == OnnxNormalization::kNone ||
                   (config.normalization == OnnxNormalization::kAuto && net.normalises_input);
  result.meta.backbone = result.backbone->options();
  result.meta.preprocess = PreprocessOptions::uniform(static_cast<int>(net.width), static_cast<int>(net.height),
                                                      static_cast<int>(net.channels), raw ? 0.0f : 127.5f,
                                                      raw ? 1.0f : 127.5f);
  result.meta.producer = "fv-import onnx";
  result.meta.provenance = {{"source", std::filesystem::path(config.model).filename().string()},
                            {"source_format", "onnx"},
                            {"opset", net.opset},
                            {"onnx_producer", net.producer},
                            {"output_name", net.graph.output},
                            {"nodes", result.nodes},
                            {"weights", result.weights},
                            {"normalises_input", net.normalises_input},
                            {"batch_reshapes", net.batch_reshapes}};
  return result;
}

OnnxImport import_onnx(const OnnxImportConfig& config, const std::string& config_hash) {
  OnnxImport imported = load_onnx_model(config);
  imported.meta.provenance["source_sha256"] = sha256_file_hex(config.model);
  imported.meta.provenance["config_hash"] = config_hash;
  save_model_file(config.output, imported.meta, *imported.backbone);
  log::info("fv-import onnx: {} -> {} (opset {}, {} nodes, {} weights, input {}x{}x{}, {}-D, {})", config.model,
            config.output, imported.opset, imported.nodes, imported.weights, imported.meta.preprocess.channels,
            imported.meta.preprocess.height, imported.meta.preprocess.width, imported.meta.backbone.embedding_dim(),
            imported.meta.preprocess.mean[0] == 0.0f ? "raw pixels" : "(pixel - 127.5) / 127.5");
  return imported;
}

}  // namespace fv
