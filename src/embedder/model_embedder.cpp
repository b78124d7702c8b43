// Model-file embedder: LibTorch inference of a saved backbone (eval mode, InferenceMode, CPU or CUDA).
#include "embedder/model_embedder.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include "core/check.h"
#include "embedder/backbone_embedder.h"
#include "model/model_file.h"

namespace fv {
namespace {

torch::ScalarType scalar_type(Precision p) {
  return p == Precision::kFp16 ? torch::kHalf : p == Precision::kBf16 ? torch::kBFloat16 : torch::kFloat32;
}

// A model file's backbone, moved to its device and precision, in eval mode.
class ModelEmbedder : public BackboneEmbedder {
 public:
  ModelEmbedder(LoadedModel model, c10::Device device, const ModelEmbedderOptions& options, const std::string& path)
      : BackboneEmbedder(prepared(model, device, options), model.meta.preprocess,
                         {device, scalar_type(options.precision), use_channels_last(options.memory_format, device)},
                         path),
        sha256_(model.sha256) {
    const auto& b = model.meta.backbone;
    description_ = fmt::format("{} {}-D, input {}x{}x{}, by {} ('{}', sha256 {}), on {}", backbone_kind_name(b.kind()),
                               b.embedding_dim(), b.in_channels(), b.input_height(), b.input_width(),
                               model.meta.producer.empty() ? "unknown producer" : model.meta.producer, path,
                               sha256_.substr(0, 12), device.str());
    if (options.precision != Precision::kFp32)
      description_ += fmt::format(", {}", enum_name(precision_names(), options.precision));
  }

  std::string model_hash() const override { return sha256_; }
  std::string description() const override { return description_; }

 private:
  static std::shared_ptr<Backbone> prepared(const LoadedModel& model, c10::Device device,
                                            const ModelEmbedderOptions& options) {
    const auto dtype = scalar_type(options.precision);
    FV_CHECK(dtype == torch::kFloat32 || device.is_cuda(), ConfigError,
             "embed.precision {} needs a CUDA device (embed.device)", enum_name(precision_names(), options.precision));
    // Module::to(dtype) converts every buffer, integer ones too: only for the half types.
    model.backbone->to(device);
    if (dtype != torch::kFloat32) model.backbone->to(dtype);
    if (use_channels_last(options.memory_format, device)) to_channels_last(*model.backbone);
    model.backbone->eval();
    return model.backbone;
  }

  std::string sha256_;
  std::string description_;
};

}  // namespace

const EnumNames<Precision>& precision_names() {
  static const EnumNames<Precision> names{{"fp32", Precision::kFp32}, {"fp16", Precision::kFp16}, {"bf16", Precision::kBf16}};
  return names;
}

std::unique_ptr<Embedder> make_model_embedder(const std::filesystem::path& path, const ModelEmbedderOptions& options) {
  const c10::Device target = select_device(options.device);
  return std::make_unique<ModelEmbedder>(load_model_file(path), target, options, path.string());
}

}  // namespace fv
