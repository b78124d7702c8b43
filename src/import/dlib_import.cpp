// fv-import dlib: tfjs weights of face-api's FaceRecognitionNet -> dlib_resnet backbone -> model file.
#include "import/dlib_import.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <map>
#include <set>

#include "core/check.h"
#include "core/logging.h"
#include "core/options.h"
#include "core/sha256.h"
#include "model/backbone.h"
#include "model/model_file.h"

namespace fv {

void DlibImportConfig::bind(OptionSet& o) {
  o.add("manifest", &manifest, "tfjs weights manifest (face_recognition_model-weights_manifest.json)")
      .add("weights", &weights, "tfjs weights binary (face_recognition_model.bin; empty: the manifest's paths)")
      .add("output", &output, "model file to write (.fvm)")
      .add("source", &source, "where the weights came from (recorded in the model file's provenance)");
}

void DlibImportConfig::validate() const {
  FV_CHECK(!manifest.empty(), ConfigError, "manifest: required (path of the tfjs weights manifest JSON)");
  FV_CHECK(!output.empty(), ConfigError, "output: required (path of the model file to write)");
}

std::string dlib_parameter_name(const std::string& tfjs_name) {
  if (tfjs_name == "fc") return "fc.weight";
  std::string name = tfjs_name;
  for (char& c : name) {
    if (c == '/') c = '.';
  }
  static const std::pair<const char*, const char*> renames[] = {
      {".filters", ".weight"}, {".weights", ".weight"}, {".biases", ".bias"}};
  for (const auto& [from, to] : renames) {
    const std::string suffix = from;
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return name.substr(0, name.size() - suffix.size()) + to;
    }
  }
  return name;
}

void load_dlib_tfjs_weights(const std::vector<TfjsTensor>& tensors, Backbone& backbone, const std::string& where) {
  std::map<std::string, torch::Tensor> params;
  for (const auto& item : backbone.named_parameters(/*recurse=*/true)) params.emplace(item.key(), item.value());
  std::vector<std::string> unexpected, misshaped;
  std::set<std::string> loaded;
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    const std::string name = dlib_parameter_name(t.name);
    const auto it = params.find(name);
    if (it == params.end()) {
      unexpected.push_back(t.name);
      continue;
    }
    torch::Tensor value = torch::from_blob(const_cast<float*>(t.values.data()), t.shape, torch::kFloat32);
    if (value.dim() == 4) value = value.permute({3, 2, 0, 1});  // HWIO -> OIHW
    if (value.dim() == 2) value = value.t();                     // [in, out] -> [out, in]
    if (value.sizes() != it->second.sizes()) {
      misshaped.push_back(fmt::format("{} (tfjs [{}] -> [{}], parameter {} is [{}])", t.name, fmt::join(t.shape, ", "),
                                      fmt::join(value.sizes(), ", "), name, fmt::join(it->second.sizes(), ", ")));
      continue;
    }
    it->second.copy_(value);
    loaded.insert(name);
  }
  std::vector<std::string> missing;
  for (const auto& [name, p] : params) {
    if (!loaded.count(name)) missing.push_back(name);
  }
  if (unexpected.empty() && misshaped.empty() && missing.empty()) return;
  std::string message = fmt::format("{}: the weights do not match the dlib_resnet network:", where);
  if (!unexpected.empty()) message += fmt::format(" unexpected tensors: {};", fmt::join(unexpected, ", "));
  if (!misshaped.empty()) message += fmt::format(" misshaped tensors: {};", fmt::join(misshaped, "; "));
  if (!missing.empty()) message += fmt::format(" parameters without a tensor: {};", fmt::join(missing, ", "));
  message.pop_back();
  throw FormatError(message);
}

DlibImportSummary import_dlib(const DlibImportConfig& config, const std::string& config_hash) {
  config.validate();
  const std::vector<TfjsTensor> tensors = read_tfjs_weights(config.manifest, config.weights);
  ModelMeta meta;
  meta.backbone = resolve(BackboneOptions(BackboneKind::kDlibResNet));
  auto backbone = make_backbone(meta.backbone);
  load_dlib_tfjs_weights(tensors, *backbone, config.manifest);
  meta.preprocess = PreprocessOptions::dlib_resnet();
  meta.producer = "fv-import dlib";
  DlibImportSummary summary;
  summary.tensors = tensors.size();
  for (const auto& t : tensors) summary.quantized += t.quantized ? 1 : 0;
  summary.parameters = parameter_count(*backbone);
  meta.provenance = {{"source", config.source},
                     {"network", "dlib dnn_face_recognition_ex.cpp ResNet (face-api FaceRecognitionNet)"},
                     {"manifest", config.manifest},
                     {"manifest_sha256", sha256_file_hex(config.manifest)},
                     {"tensors", summary.tensors},
                     {"quantized_tensors", summary.quantized},
                     {"dequantisation", "value = q * scale + min"},
                     {"config_hash", config_hash}};
  nlohmann::json shards = nlohmann::json::array();
  for (const auto& shard : tfjs_shard_paths(config.manifest, config.weights)) {
    shards.push_back({{"path", shard.string()}, {"sha256", sha256_file_hex(shard)}});
  }
  meta.provenance["weights"] = shards;
  backbone->eval();
  save_model_file(config.output, meta, *backbone);
  return summary;
}

}  // namespace fv
