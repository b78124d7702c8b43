// Importing insightface iResNet-18/50/100 weights (a PyTorch state dict of
// recognition/arcface_torch/backbones/iresnet.py) onto the project's iResNet of the same depth.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "model/model_file.h"

namespace fv {

class OptionSet;

struct IResNetImportConfig {
  std::string state_dict;      // import.state_dict: the .pth file (torch.save(model.state_dict(), path))
  int depth = 0;               // import.depth: 18, 50 or 100; 0 = detect from the keys
  int64_t embedding_dim = 0;   // import.embedding_dim: 0 = the rows of fc.weight; else must equal them
  std::string output;          // import.output: the model file to write (.fvm)

  void bind(OptionSet& options);
  // Throws ConfigError naming the key (import.state_dict / import.output empty, import.depth not 0/18/50/100,
  // import.embedding_dim negative).
  void validate() const;
};

struct IResNetImport {
  ModelMeta meta;                     // iresnetN, 112x112x3, mean/std 127.5, producer "fv-import iresnet"
  std::shared_ptr<Backbone> backbone;  // on the CPU, in eval mode, every parameter and buffer from the file
  int depth = 0;
  bool stripped_module_prefix = false;  // the keys carried DataParallel's "module." prefix
  size_t tensors = 0;                   // number of state-dict entries copied
};

// The iResNet depth whose per-stage block counts the key names show: layer1..layer4 with {2,2,2,2} blocks
// -> 18, {3,4,14,3} -> 50, {3,13,30,3} -> 100 (names without a "module." prefix).
// Throws FormatError naming `where` and the counts seen when they match none of them (iresnet34's
// {3,4,6,3} is named as unsupported).
int detect_iresnet_depth(const std::vector<std::string>& names, const std::string& where);

// Loads the state dict onto a new iResNet of the detected (or given) depth.
// Requires: config.state_dict names a file written by torch.save (see import/torch_state_dict_file.h).
// Ensures: every parameter and buffer of the network was copied from the file; the network is in eval mode.
// Throws IoError / FormatError from reading; FormatError naming the file and listing (up to 20 each) the
// missing, unexpected and misshaped keys ("name: file AxB, expected CxD") when the keys do not match the
// network exactly (also when import.depth names another depth than the file's); ConfigError when
// import.embedding_dim differs from the rows of fc.weight.
IResNetImport load_iresnet_state_dict(const IResNetImportConfig& config);

// load_iresnet_state_dict, then writes config.output with save_model_file (provenance: source file name and
// sha256, depth, prefix stripped, number of tensors, `config_hash`). Returns what was imported.
IResNetImport import_iresnet(const IResNetImportConfig& config, const std::string& config_hash = "");

}  // namespace fv
