// insightface iResNet state dict -> the project's iResNet (key matching, depth detection, model file).
#include "import/iresnet_state_dict.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "core/error.h"
#include "core/logging.h"
#include "core/options.h"
#include "core/sha256.h"
#include "import/torch_state_dict_file.h"

namespace fv {
namespace {

constexpr const char* kModulePrefix = "module.";
constexpr size_t kMaxListed = 20;

struct Depth {
  int depth;
  BackboneKind kind;
  std::array<int, 4> blocks;
};

// The block counts of insightface's iresnet18/50/100 (iresnet.py's iresnetN factories).
constexpr Depth kDepths[] = {{18, BackboneKind::kIResNet18, {2, 2, 2, 2}},
                             {50, BackboneKind::kIResNet50, {3, 4, 14, 3}},
                             {100, BackboneKind::kIResNet100, {3, 13, 30, 3}}};

const Depth& depth_entry(int depth) {
  for (const auto& d : kDepths) {
    if (d.depth == depth) return d;
  }
  throw ConfigError(fmt::format("config key 'import.depth': {} is not an imported depth; valid: 0 (detect), 18, 50, 100", depth));
}

std::string shape_text(const torch::IntArrayRef& sizes) {
  if (sizes.empty()) return "scalar";
  return fmt::format("{}", fmt::join(sizes, "x"));
}

// "name, name, ... and N more".
std::string listing(const std::vector<std::string>& names) {
  std::string out;
  for (size_t k = 0; k < names.size() && k < kMaxListed; ++k) out += (k ? ", " : "") + names[k];
  if (names.size() > kMaxListed) out += fmt::format(" and {} more", names.size() - kMaxListed);
  return out;
}

}  // namespace

void IResNetImportConfig::bind(OptionSet& options) {
  options.add("import.state_dict", &state_dict, "PyTorch state dict of an insightface iResNet (torch.save(model.state_dict()))")
      .add("import.depth", &depth, "iResNet depth: 18, 50 or 100 (0: detect from the keys)")
      .add("import.embedding_dim", &embedding_dim, "embedding size (0: the rows of fc.weight; otherwise must match them)")
      .add("import.output", &output, "model file to write (.fvm)");
}

void IResNetImportConfig::validate() const {
  if (state_dict.empty()) throw ConfigError("config key 'import.state_dict': required (the .pth file to import)");
  if (output.empty()) throw ConfigError("config key 'import.output': required (the model file to write)");
  if (depth != 0) depth_entry(depth);
  if (embedding_dim < 0) throw ConfigError(fmt::format("config key 'import.embedding_dim': must be >= 0, got {}", embedding_dim));
}

int detect_iresnet_depth(const std::vector<std::string>& names, const std::string& where) {
  std::array<int, 4> blocks{0, 0, 0, 0};
  for (const auto& name : names) {
    // "layerL.B.rest" with L in 1..4 and B a block index.
    if (name.size() < 8 || name.compare(0, 5, "layer") != 0 || name[6] != '.') continue;
    const int layer = name[5] - '1';
    if (layer < 0 || layer > 3) continue;
    const size_t dot = name.find('.', 7);
    if (dot == std::string::npos) continue;
    int index = 0;
    bool digits = dot > 7;
    for (size_t k = 7; k < dot && digits; ++k) {
      if (name[k] < '0' || name[k] > '9') digits = false;
      else index = index * 10 + (name[k] - '0');
    }
    if (digits) blocks[layer] = std::max(blocks[layer], index + 1);
  }
  for (const auto& d : kDepths) {
    if (d.blocks == blocks) return d.depth;
  }
  const std::string seen = fmt::format("{}", fmt::join(blocks, ","));
  if (blocks == std::array<int, 4>{3, 4, 6, 3}) {
    throw FormatError(fmt::format("{}: blocks per stage {{{}}} are insightface's iresnet34, which the project does not "
                                  "build; supported: iresnet18 {{2,2,2,2}}, iresnet50 {{3,4,14,3}}, iresnet100 {{3,13,30,3}}",
                                  where, seen));
  }
  throw FormatError(fmt::format("{}: blocks per stage (layer1..layer4) {{{}}} match no iResNet; expected iresnet18 "
                                "{{2,2,2,2}}, iresnet50 {{3,4,14,3}} or iresnet100 {{3,13,30,3}}",
                                where, seen));
}

IResNetImport load_iresnet_state_dict(const IResNetImportConfig& config) {
  const std::string file = config.state_dict;
  auto entries = read_torch_state_dict(config.state_dict);
  if (entries.empty()) throw FormatError(fmt::format("{}: the state dict is empty", file));

  IResNetImport result;
  // DataParallel / DistributedDataParallel prefix every key with "module."; strip it when all keys have it.
  const bool prefixed = std::all_of(entries.begin(), entries.end(),
                                    [](const StateDictEntry& e) { return e.name.rfind(kModulePrefix, 0) == 0; });
  if (prefixed) {
    for (auto& e : entries) e.name.erase(0, std::char_traits<char>::length(kModulePrefix));
    result.stripped_module_prefix = true;
  }
  std::vector<std::string> names;
  std::map<std::string, const torch::Tensor*> by_name;
  for (const auto& e : entries) {
    names.push_back(e.name);
    if (!by_name.emplace(e.name, &e.tensor).second) throw FormatError(fmt::format("{}: key '{}' appears twice", file, e.name));
  }

  result.depth = config.depth != 0 ? config.depth : detect_iresnet_depth(names, file);
  const Depth& depth = depth_entry(result.depth);

  // The embedding size is the number of rows of fc.weight (insightface's num_features).
  int64_t embedding_dim = config.embedding_dim;
  auto fc = by_name.find("fc.weight");
  if (fc != by_name.end() && fc->second->dim() == 2) {
    const int64_t rows = fc->second->size(0);
    if (embedding_dim == 0) {
      embedding_dim = rows;
    } else if (embedding_dim != rows) {
      throw ConfigError(fmt::format("config key 'import.embedding_dim': {} but {} has fc.weight of {} rows", embedding_dim,
                                    file, rows));
    }
  }
  if (embedding_dim == 0) embedding_dim = 512;  // fc.weight missing or misshaped: reported below

  BackboneOptions options(depth.kind);
  options.embedding_dim(embedding_dim).input_height(112).input_width(112).in_channels(3);
  result.backbone = make_backbone(options);

  // Our parameters and buffers by name (the same names as iresnet.py's state_dict()).
  std::map<std::string, torch::Tensor> ours;
  for (const auto& p : result.backbone->named_parameters(/*recurse=*/true)) ours.emplace(p.key(), p.value());
  for (const auto& b : result.backbone->named_buffers(/*recurse=*/true)) ours.emplace(b.key(), b.value());

  std::vector<std::string> missing, unexpected, misshaped;
  for (const auto& [name, tensor] : ours) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      missing.push_back(name);
    } else if (it->second->sizes() != tensor.sizes()) {
      misshaped.push_back(fmt::format("{}: file {}, expected {}", name, shape_text(it->second->sizes()), shape_text(tensor.sizes())));
    } else if (tensor.is_floating_point() != it->second->is_floating_point()) {
      misshaped.push_back(fmt::format("{}: file dtype {}, expected {}", name, std::string(c10::toString(it->second->scalar_type())),
                                      std::string(c10::toString(tensor.scalar_type()))));
    }
  }
  for (const auto& name : names) {
    if (ours.find(name) == ours.end()) unexpected.push_back(name);
  }
  if (!missing.empty() || !unexpected.empty() || !misshaped.empty()) {
    std::string message = fmt::format("{}: the state dict does not match iresnet{} ({}-D embedding){}:", file, result.depth,
                                      embedding_dim, prefixed ? " after stripping the 'module.' prefix" : "");
    if (!missing.empty()) message += fmt::format(" {} missing key(s): {};", missing.size(), listing(missing));
    if (!unexpected.empty()) message += fmt::format(" {} unexpected key(s): {};", unexpected.size(), listing(unexpected));
    if (!misshaped.empty()) message += fmt::format(" {} misshaped key(s): {};", misshaped.size(), listing(misshaped));
    message.back() = '.';
    throw FormatError(message);
  }

  {
    torch::NoGradGuard no_grad;
    for (auto& [name, tensor] : ours) tensor.copy_(*by_name.at(name));
  }
  result.backbone->eval();
  result.tensors = entries.size();

  result.meta.backbone = result.backbone->options();
  result.meta.preprocess = PreprocessOptions::insightface();
  result.meta.producer = "fv-import iresnet";
  return result;
}

IResNetImport import_iresnet(const IResNetImportConfig& config, const std::string& config_hash) {
  IResNetImport imported = load_iresnet_state_dict(config);
  imported.meta.provenance = {
      {"source", std::filesystem::path(config.state_dict).filename().string()},
      {"source_sha256", sha256_file_hex(config.state_dict)},
      {"source_format", "pytorch state dict (insightface arcface_torch iresnet.py)"},
      {"depth", imported.depth},
      {"stripped_module_prefix", imported.stripped_module_prefix},
      {"tensors", imported.tensors},
      {"config_hash", config_hash},
  };
  save_model_file(config.output, imported.meta, *imported.backbone);
  log::info("fv-import iresnet: {} -> {} (iresnet{}, {}-D, {} tensors{})", config.state_dict, config.output, imported.depth,
            imported.meta.backbone.embedding_dim(), imported.tensors,
            imported.stripped_module_prefix ? ", 'module.' prefix stripped" : "");
  return imported;
}

}  // namespace fv
