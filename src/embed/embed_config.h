// fv-embed's typed configuration ([embed] section).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/options.h"
#include "embed/embedder.h"
#include "embed/model_embedder.h"
#include "model/torch_runtime.h"

namespace fv {

// auto: a folder is kFolder, *.rec is kRecordIO, *.bin is kBin, anything else a list file.
enum class InputKind { kAuto, kFolder, kList, kRecordIO, kBin };

// Which model embeds and how (shared by fv-embed and fv-verify, which embeds images on the fly).
struct EmbedderConfig {
  std::string model = "pixels";     // "pixels" (raw-pixel baseline) or a model file written by fv-train
  int pixel_width = 64;             // raw-pixel baseline input size and colour
  int pixel_height = 64;
  bool pixel_grey = true;
  FlipMode flip = FlipMode::kNone;
  bool normalize = true;
  DeviceKind device = DeviceKind::kAuto;  // model files: auto (CUDA when available, else CPU), cpu or cuda
  Precision precision = Precision::kFp32;  // model files: fp16/bf16 inference on CUDA
  MemoryFormatMode memory_format = MemoryFormatMode::kAuto;

  void bind(OptionSet& options);
  void validate() const;
};

struct EmbedConfig {
  int threads = 0;                  // top-level key: decoding + LibTorch threads (0 = all cores)
  std::string input;                // image folder (identity sub-folders), list file (`path [label]`), .rec or .bin
  InputKind input_kind = InputKind::kAuto;
  std::string output = "embeddings.h5";
  EmbedderConfig embedder;
  int batch_size = 64;
  double max_failure_rate = 0.01;   // fail the run when more than this fraction of inputs is unreadable
  std::int64_t chunk_rows = 1024;
  int compression = 0;              // gzip level for /embeddings, 0 = none

  void bind(OptionSet& options);
  void validate() const;            // throws ConfigError naming the key
};

const EnumNames<InputKind>& input_kind_names();
// auto, cpu, cuda (embed.device).
const EnumNames<DeviceKind>& embed_device_names();

// The embedder that `config.model` names: the raw-pixel baseline for "pixels", else the model file at that
// path (make_model_embedder on config.device). Throws as make_model_embedder does (errors name the file).
std::unique_ptr<Embedder> make_embedder(const EmbedderConfig& config);

}  // namespace fv
