// The Embedder for a model file written by fv-train (or imported): its backbone, in eval mode, under no-grad.
#pragma once

#include <filesystem>
#include <memory>

#include "embedder/embedder.h"
#include "model/device_memory.h"
#include "model/torch_runtime.h"

namespace fv {

// Inference precision: fp16 and bf16 run the whole backbone in that type (CUDA only; the embeddings are
// returned as fp32).
enum class Precision { kFp32, kFp16, kBf16 };
const EnumNames<Precision>& precision_names();  // fp32, fp16, bf16

struct ModelEmbedderOptions {
  DeviceKind device = DeviceKind::kAuto;
  Precision precision = Precision::kFp32;
  MemoryFormatMode memory_format = MemoryFormatMode::kAuto;  // auto: channels-last on CUDA
};

// Loads `path` with load_model_file and moves the backbone to select_device(device) (kAuto: CUDA when LibTorch
// sees a GPU, else the CPU). The returned embedder:
//   preprocess()  = the file's PreprocessOptions (size, colour, mean/std the network was trained with);
//   dim()         = the backbone's embedding_dim;
//   embed()       runs the backbone in eval mode under torch::InferenceMode: deterministic, the same input
//                 gives the same output bit for bit (on the CPU);
//   model_hash()  = the SHA-256 of the file's bytes;
//   description() names the backbone, its input, the producer and the file.
// Throws IoError naming the file when it is missing or unreadable, FormatError naming it when it is not a
// model file (corrupt, wrong format tag, newer version, misshaped tensors), ConfigError for kCuda without a GPU
// or fp16/bf16 on the CPU. input_allocator() gives pinned memory on CUDA.
// Not thread-safe: one thread calls embed() at a time.
std::unique_ptr<Embedder> make_model_embedder(const std::filesystem::path& path, const ModelEmbedderOptions& options);
inline std::unique_ptr<Embedder> make_model_embedder(const std::filesystem::path& path, DeviceKind device) {
  ModelEmbedderOptions o;
  o.device = device;
  return make_model_embedder(path, o);
}

}  // namespace fv
