// Reading one tensor of a module saved with torch::nn::Module::save, by its dotted name, so that model files
// and checkpoints can name a missing or misshaped tensor instead of failing with LibTorch's generic error.
#pragma once

#include <torch/torch.h>

#include <string>

namespace fv {

// Module::save nests one archive per submodule: "layer1.0.conv1.weight" is archive layer1 / 0 / conv1, key
// weight. Copies the stored tensor into `target` (any device) and returns true; returns false when the name
// is absent. Throws FormatError naming `where` and the tensor when the stored shape differs from `target`'s.
bool read_module_tensor(torch::serialize::InputArchive& root, const std::string& name, torch::Tensor& target,
                        bool is_buffer, const std::string& where);

}  // namespace fv
