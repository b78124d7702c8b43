// Binding and validation of fv-embed's configuration.
#include "embed/embed_config.h"

#include <fmt/format.h>

#include "core/check.h"
#include "embed/model_embedder.h"

namespace fv {

const EnumNames<InputKind>& input_kind_names() {
  static const EnumNames<InputKind> names{
      {"auto", InputKind::kAuto}, {"folder", InputKind::kFolder}, {"list", InputKind::kList},
      {"recordio", InputKind::kRecordIO}, {"bin", InputKind::kBin}};
  return names;
}

const EnumNames<DeviceKind>& embed_device_names() {
  static const EnumNames<DeviceKind> names{{"auto", DeviceKind::kAuto}, {"cpu", DeviceKind::kCpu}, {"cuda", DeviceKind::kCuda}};
  return names;
}

void EmbedderConfig::bind(OptionSet& o) {
  o.add("embed.model", &model, "`pixels` (raw-pixel baseline) or a model file written by fv-train")
      .add("embed.pixel_width", &pixel_width, "raw-pixel baseline: width the image is resized to")
      .add("embed.pixel_height", &pixel_height, "raw-pixel baseline: height the image is resized to")
      .add("embed.pixel_grey", &pixel_grey, "raw-pixel baseline: grey (true) or RGB (false)")
      .add_enum("embed.flip", &flip, flip_mode_names(), "flip test-time augmentation: none, sum or concat")
      .add("embed.normalize", &normalize, "L2-normalise each embedding")
      .add_enum("embed.device", &device, embed_device_names(), "where a model file runs: auto (CUDA when available), cpu or cuda")
      .add_enum("embed.precision", &precision, precision_names(), "model files: fp32, or fp16 / bf16 inference (CUDA only)")
      .add_enum("embed.memory_format", &memory_format, memory_format_names(),
                "model files: auto (channels_last on CUDA, contiguous on CPU), contiguous or channels_last");
}

void EmbedderConfig::validate() const {
  FV_CHECK(!model.empty(), ConfigError, "embed.model must be `pixels` or a model file");
  FV_CHECK(pixel_width > 0 && pixel_height > 0, ConfigError, "embed.pixel_width and embed.pixel_height must be positive");
}

std::unique_ptr<Embedder> make_embedder(const EmbedderConfig& config) {
  if (config.model == "pixels") {
    return make_pixel_embedder(config.pixel_width, config.pixel_height, config.pixel_grey ? 1 : 3);
  }
  ModelEmbedderOptions o;
  o.device = config.device;
  o.precision = config.precision;
  o.memory_format = config.memory_format;
  return make_model_embedder(config.model, o);
}

void EmbedConfig::bind(OptionSet& o) {
  o.add("threads", &threads, "decoding and LibTorch threads (0 = all available cores)")
      .add("embed.input", &input, "image folder (identity sub-folders, any depth), list file (`path [label]` lines), RecordIO .rec (+ .idx) or insightface .bin pair set")
      .add_enum("embed.input_kind", &input_kind, input_kind_names(), "how to read embed.input: auto (folder; *.rec: recordio; *.bin: bin; else list), folder, list, recordio, bin")
      .add("embed.output", &output, "HDF5 embeddings file to write (resumed from <output>.partial after a kill)")
      .add("embed.batch_size", &batch_size, "images per inference batch")
      .add("embed.max_failure_rate", &max_failure_rate, "fail when more than this fraction of inputs is unreadable")
      .add("embed.chunk_rows", &chunk_rows, "rows per HDF5 chunk")
      .add("embed.compression", &compression, "gzip level of /embeddings (0 = none, 1-9)");
  embedder.bind(o);
  o.positional("embed.input", 1);
}

void EmbedConfig::validate() const {
  FV_CHECK(!input.empty(), ConfigError, "embed.input is required (an image folder or a list file)");
  FV_CHECK(!output.empty(), ConfigError, "embed.output must name a file");
  FV_CHECK_GT(batch_size, 0, ConfigError, "embed.batch_size must be positive");
  embedder.validate();
  FV_CHECK(max_failure_rate >= 0 && max_failure_rate <= 1, ConfigError, "embed.max_failure_rate must be in [0, 1], got {}",
           max_failure_rate);
  FV_CHECK_GT(chunk_rows, 0, ConfigError, "embed.chunk_rows must be positive");
  FV_CHECK(compression >= 0 && compression <= 9, ConfigError, "embed.compression must be 0-9, got {}", compression);
  FV_CHECK_GE(threads, 0, ConfigError, "threads must not be negative");
}

}  // namespace fv
