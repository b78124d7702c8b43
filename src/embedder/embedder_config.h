// Which model embeds and how: the [embed] keys fv-embed and fv-verify share (fv-verify embeds images on the
// fly), and the embedder they name.
#pragma once

#include <memory>
#include <string>

#include "core/options.h"
#include "embedder/embedder.h"
#include "embedder/model_embedder.h"
#include "model/torch_runtime.h"

namespace fv {

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

// auto, cpu, cuda (embed.device).
const EnumNames<DeviceKind>& embed_device_names();

// The embedder that `config.model` names: the raw-pixel baseline for "pixels", else the model file at that
// path (make_model_embedder on config.device). Throws as make_model_embedder does (errors name the file).
std::unique_ptr<Embedder> make_embedder(const EmbedderConfig& config);

}  // namespace fv
