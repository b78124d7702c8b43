// Importing an ONNX recognition network (insightface's model zoo, torch2onnx.py exports, MXNet-converted models,
// fv-export onnx output) as a model file whose backbone is the ONNX graph itself (BackboneKind::kOnnxGraph), run
// with LibTorch ops by model/graph_net.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/model_file.h"

namespace fv {

class OptionSet;

// How the model wants its pixels (the preprocessing written into the model file).
enum class OnnxNormalization {
  kAuto,         // insightface's ArcFaceONNX rule: raw pixels when the graph starts with Sub and Mul, else insightface
  kInsightface,  // (pixel - 127.5) / 127.5
  kNone,         // raw pixels 0..255 (the graph normalises them itself)
};

struct OnnxImportConfig {
  std::string model;        // import.model: the .onnx file (external data next to it)
  std::string output_name;  // import.output_name: the graph output that is the embedding (empty: the only one)
  OnnxNormalization normalization = OnnxNormalization::kAuto;  // import.normalization: auto, insightface, none
  std::string output;       // output: the model file to write (.fvm)

  void bind(OptionSet& options);
  // Throws ConfigError naming the key (import.model or output empty).
  void validate() const;
};

struct OnnxImport {
  ModelMeta meta;                      // backbone onnx (the graph), preprocessing RGB HxW, producer "fv-import onnx"
  std::shared_ptr<Backbone> backbone;  // on the CPU, in eval mode, every initializer from the file
  int64_t opset = 0;
  size_t nodes = 0;
  size_t weights = 0;
  bool normalises_input = false;  // the graph starts with Sub and Mul
};

// Reads config.model and builds the backbone: the graph the chosen output needs, its initializers as weights,
// the input size from the graph, the embedding size from a forward pass of two blank images.
// Throws IoError / FormatError from model reading (onnx/onnx_model.h: truncated file, missing external data
// named, unsupported operator named with its node, several outputs and none chosen), DataError when the graph
// fails to run on the blank images (naming the node) or does not give [2, D].
OnnxImport load_onnx_model(const OnnxImportConfig& config);

// load_onnx_model, then writes config.output with save_model_file (provenance: source file name and sha256,
// opset, producer, node and weight counts, the chosen output, `config_hash`). Nothing is written on failure.
OnnxImport import_onnx(const OnnxImportConfig& config, const std::string& config_hash = "");

}  // namespace fv
