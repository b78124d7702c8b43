// fv-export onnx: a model file's backbone as an ONNX model that insightface's ArcFaceONNX (onnxruntime), OpenCV's
// DNN module or TensorRT run: input "data" [N, C, H, W] with a dynamic batch, one output [N, D], the weights as
// initializers, the preprocessing in the model's metadata.
#pragma once

#include <cstdint>
#include <string>

namespace fv {

class OptionSet;

struct OnnxExportConfig {
  std::string model;   // export.model: the model file (.fvm)
  std::string output;  // export.output: the .onnx file to write
  int64_t opset = 11;  // export.opset: 11 (insightface's torch2onnx.py) to 17

  void bind(OptionSet& options);
  // Throws ConfigError naming the key (export.model / export.output empty, export.opset outside 11..17).
  void validate() const;
};

struct OnnxExportSummary {
  size_t nodes = 0;    // in the written graph (with the input normalisation, when added)
  size_t weights = 0;  // initializers
  bool normalisation_in_graph = false;  // Sub and Mul in front (preprocessing other than insightface's)
};

// Reads config.model, writes its backbone to config.output atomically. A model with insightface's preprocessing
// ((pixel - 127.5) / 127.5) is written as it is, and ArcFaceONNX feeds it normalised pixels; any other
// preprocessing is put in front of the graph as Sub (the mean per channel) and Mul (1 / std), which makes
// ArcFaceONNX feed raw pixels (its rule for graphs that start with Sub and Mul), so the model is fed right either
// way. metadata_props: fv_preprocess (JSON: size, channels, mean, std, whether the graph applies them),
// fv_backbone, fv_producer, fv_model_sha256, fv_config_hash.
// Throws IoError / FormatError (model file), ConfigError naming a network that cannot be exported or the opset;
// nothing is written under config.output on failure.
OnnxExportSummary export_onnx(const OnnxExportConfig& config, const std::string& config_hash = "");

}  // namespace fv
