// LibTorch archives as the project's files use them: reading one tensor of a module saved with
// torch::nn::Module::save by its dotted name (so that model files and checkpoints can name a missing or misshaped
// tensor instead of failing with LibTorch's generic error), and writing an archive atomically.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace fv {

// Module::save nests one archive per submodule: "layer1.0.conv1.weight" is archive layer1 / 0 / conv1, key
// weight. Copies the stored tensor into `target` (any device) and returns true; returns false when the name
// is absent. Throws FormatError naming `where` and the tensor when the stored shape differs from `target`'s.
bool read_module_tensor(torch::serialize::InputArchive& root, const std::string& name, torch::Tensor& target,
                        bool is_buffer, const std::string& where);

// Writes `archive` to `path` atomically (temporary file beside it, fsync, rename; missing folders created).
// Requires: nothing. Ensures: on success `path` holds the whole archive; on failure `path` is unchanged and no
// temporary file is left. Throws IoError naming `path`, `what` (e.g. "checkpoint") and the system's reason when a
// write fails (disk full, file-size limit, permissions). LibTorch's own file writer throws from a destructor on a
// short write (std::terminate); here the bytes go through our writer, which never reports a short write to
// LibTorch and keeps the first error instead.
void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::filesystem::path& path,
                         std::string_view what);

}  // namespace fv
