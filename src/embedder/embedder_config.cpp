// Binding and validation of the shared [embed] keys, and the embedder they name.
#include "embedder/embedder_config.h"

#include "core/check.h"

namespace fv {

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

}  // namespace fv
