// Model-file embedder: LibTorch inference of a saved backbone (eval mode, InferenceMode, CPU or CUDA).
#include "embedder/model_embedder.h"

#include <torch/torch.h>

#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/check.h"
#include "model/model_file.h"

namespace fv {
namespace {

torch::ScalarType scalar_type(Precision p) {
  return p == Precision::kFp16 ? torch::kHalf : p == Precision::kBf16 ? torch::kBFloat16 : torch::kFloat32;
}

class ModelEmbedder : public Embedder {
 public:
  ModelEmbedder(LoadedModel model, c10::Device device, const ModelEmbedderOptions& options, std::string path)
      : model_(std::move(model)),
        device_(device),
        dtype_(scalar_type(options.precision)),
        channels_last_(use_channels_last(options.memory_format, device)),
        path_(std::move(path)) {
    FV_CHECK(dtype_ == torch::kFloat32 || device_.is_cuda(), ConfigError,
             "embed.precision {} needs a CUDA device (embed.device)", enum_name(precision_names(), options.precision));
    // Module::to(dtype) converts every buffer, integer ones too: only for the half types.
    model_.backbone->to(device_);
    if (dtype_ != torch::kFloat32) model_.backbone->to(dtype_);
    if (channels_last_) to_channels_last(*model_.backbone);
    model_.backbone->eval();
    const auto& b = model_.meta.backbone;
    description_ = fmt::format("{} {}-D, input {}x{}x{}, by {} ('{}', sha256 {}), on {}", backbone_kind_name(b.kind()),
                               b.embedding_dim(), b.in_channels(), b.input_height(), b.input_width(),
                               model_.meta.producer.empty() ? "unknown producer" : model_.meta.producer, path_,
                               model_.sha256.substr(0, 12), device_.str());
    if (dtype_ != torch::kFloat32) description_ += fmt::format(", {}", enum_name(precision_names(), options.precision));
  }

  BatchAllocator input_allocator() const override { return device_.is_cuda() ? pinned_batch_allocator() : BatchAllocator{}; }

  const PreprocessOptions& preprocess() const override { return model_.meta.preprocess; }
  std::int64_t dim() const override { return model_.meta.backbone.embedding_dim(); }

  void embed(const float* inputs, std::int64_t n, float* out) override {
    FV_CHECK_GT(n, 0, DataError, "'{}': embed() needs at least one input", path_);
    const auto& p = preprocess();
    c10::InferenceMode inference;
    // from_blob does not copy; the backbone does not write into its input.
    auto cpu = torch::from_blob(const_cast<float*>(inputs), {n, p.channels, p.height, p.width}, torch::kFloat32);
    auto x = device_.is_cpu() ? cpu : cpu.to(device_);
    if (dtype_ != torch::kFloat32) x = x.to(dtype_);
    if (channels_last_) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    auto result = model_.backbone->forward(x).to(torch::kCPU, torch::kFloat32).contiguous();
    FV_CHECK(result.dim() == 2 && result.size(0) == n && result.size(1) == dim(), DataError,
             "'{}': the backbone returned shape [{}], expected [{}, {}]", path_, fmt::join(result.sizes(), ", "), n,
             dim());
    std::memcpy(out, result.data_ptr<float>(), static_cast<std::size_t>(n * dim()) * sizeof(float));
  }

  std::string model_hash() const override { return model_.sha256; }
  std::string description() const override { return description_; }

 private:
  LoadedModel model_;
  c10::Device device_;
  torch::ScalarType dtype_;
  bool channels_last_;
  std::string path_;
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
