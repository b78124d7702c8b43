// The Embedder for a model file written by fv-train (or imported): its backbone, in eval mode, under no-grad.
#pragma once

#include <filesystem>
#include <memory>

#include "embed/embedder.h"
#include "model/torch_runtime.h"

namespace fv {

// Loads `path` with load_model_file and moves the backbone to select_device(device) (kAuto: CUDA when LibTorch
// sees a GPU, else the CPU). The returned embedder:
//   preprocess()  = the file's PreprocessOptions (size, colour, mean/std the network was trained with);
//   dim()         = the backbone's embedding_dim;
//   embed()       runs the backbone in eval mode under torch::InferenceMode: deterministic, the same input
//                 gives the same output bit for bit (on the CPU);
//   model_hash()  = the SHA-256 of the file's bytes;
//   description() names the backbone, its input, the producer and the file.
// Throws IoError naming the file when it is missing or unreadable, FormatError naming it when it is not a
// model file (corrupt, wrong format tag, newer version, misshaped tensors), ConfigError for kCuda without a GPU.
// Not thread-safe: one thread calls embed() at a time.
std::unique_ptr<Embedder> make_model_embedder(const std::filesystem::path& path, DeviceKind device);

}  // namespace fv
