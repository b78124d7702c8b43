// Import of dlib's ResNet face descriptor from TensorFlow.js weights (npm @vladmandic/face-api) into a model file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "import/tfjs_weights.h"

namespace fv {

class Backbone;
class OptionSet;

// Typed configuration of `fv-import dlib` (keys without a section: manifest, weights, output, source).
struct DlibImportConfig {
  std::string manifest;  // face_recognition_model-weights_manifest.json
  std::string weights;   // face_recognition_model.bin (empty: the manifest's own "paths", next to it)
  std::string output;    // the model file to write (.fvm)
  std::string source = "npm:@vladmandic/face-api@1.7.15";  // recorded in the provenance

  void bind(OptionSet& options);
  // Throws ConfigError naming the key (manifest and output are required).
  void validate() const;
};

// The backbone parameter a tfjs weight name maps to: '/' -> '.', and the last component renamed
// (filters -> weight, bias -> bias, weights -> weight, biases -> bias); "fc" -> "fc.weight".
// E.g. "conv64_down/conv1/scale/biases" -> "conv64_down.conv1.scale.bias". Other names map to themselves
// with '/' replaced (and are then refused as unexpected by load_dlib_tfjs_weights).
std::string dlib_parameter_name(const std::string& tfjs_name);

// Copies the tensors onto a dlib_resnet backbone: 4-D conv filters HWIO -> OIHW, the 2-D fc [in, out] ->
// [out, in], 1-D as is. Ensures every parameter of the backbone was set exactly once.
// Throws FormatError listing, by name, every unexpected tensor (no such parameter), every misshaped one
// (with both shapes) and every parameter that no tensor provides (prefixed with `where`).
void load_dlib_tfjs_weights(const std::vector<TfjsTensor>& tensors, Backbone& backbone, const std::string& where);

struct DlibImportSummary {
  size_t tensors = 0;     // read from the manifest
  size_t quantized = 0;   // of which stored as uint8/uint16
  int64_t parameters = 0; // parameter elements of the backbone
};

// Reads config.manifest + config.weights, builds the dlib_resnet backbone (150x150x3 -> 128), loads the
// weights and writes config.output with save_model_file: producer "fv-import dlib", preprocessing 150x150
// RGB, mean (122.782, 117.001, 104.298), std 255 (FaceRecognitionNet.ts), provenance {source, manifest,
// manifest_sha256, weights: [{path, sha256} per binary], tensors, quantized_tensors, dequantisation,
// config_hash}.
// Throws what read_tfjs_weights, load_dlib_tfjs_weights and save_model_file throw.
DlibImportSummary import_dlib(const DlibImportConfig& config, const std::string& config_hash);

}  // namespace fv
