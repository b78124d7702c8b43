// The project's model file (`.fvm`): a trained or imported backbone with everything needed to embed with
// it — its architecture, its weights and the preprocessing its inputs need — so that fv-embed, fv-verify
// and fv-eval need nothing else.
//
// Layout: a LibTorch archive (zip, as torch::save writes) with
//   "fv_model_meta"  string: JSON {"format": "fv-model", "version": 1, "backbone": {...}, "preprocess": {...},
//                    "producer": "...", "created": "...", "provenance": {...}}
//   "backbone"       the backbone's parameters and buffers (module archive)
// A file whose format tag differs, or whose version is newer than kModelFileVersion, is refused with a
// FormatError naming the file (dlib's rule: serialized files start with a version tag).
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/preprocess_options.h"
#include "model/backbone.h"

namespace fv {

inline constexpr int kModelFileVersion = 1;

struct ModelMeta {
  BackboneOptions backbone{BackboneKind::kIResNet50};  // resolved (no 0 fields)
  PreprocessOptions preprocess;
  std::string producer;        // "fv-train", "fv-import dlib", ...
  std::string created;         // ISO 8601 UTC; filled by save_model_file when empty
  nlohmann::json provenance = nlohmann::json::object();  // free-form: loss, step, config hash, source file...
};

struct LoadedModel {
  ModelMeta meta;
  std::shared_ptr<Backbone> backbone;  // on the CPU, in eval mode
  std::string sha256;                  // of the file's bytes
};

// Writes the model file atomically (temporary file + rename). The backbone's options must equal
// meta.backbone (checked). The preprocessing size must match the backbone's input
// (width == input_width, height == input_height, channels == in_channels). Throws IoError / ConfigError.
void save_model_file(const std::filesystem::path& path, const ModelMeta& meta, Backbone& backbone);

// Reads a model file. Throws IoError (unreadable), FormatError (not a model file, unknown version, missing
// or misshaped tensors; the message names the file and the key).
LoadedModel load_model_file(const std::filesystem::path& path);

// Only the metadata (cheap: does not build the network).
ModelMeta read_model_meta(const std::filesystem::path& path);

// JSON forms of the options (as stored in the file).
nlohmann::json to_json(const BackboneOptions& options);
nlohmann::json to_json(const PreprocessOptions& options);
// Throw FormatError naming `where` and the key when a field is missing or has the wrong type.
BackboneOptions backbone_options_from_json(const nlohmann::json& j, const std::string& where);
PreprocessOptions preprocess_options_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace fv
