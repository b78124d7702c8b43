// BackboneEmbedder: LibTorch inference of a backbone in memory (CPU or CUDA, fp32/fp16/bf16, channels-last).
#include "embedder/backbone_embedder.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>

#include "core/check.h"
#include "model/device_memory.h"

namespace fv {

BackboneEmbedder::BackboneEmbedder(std::shared_ptr<Backbone> backbone, PreprocessOptions preprocess,
                                   BackboneInput input, std::string name)
    : backbone_(std::move(backbone)),
      preprocess_(std::move(preprocess)),
      input_(input),
      dim_(backbone_->options().embedding_dim()),
      name_(std::move(name)) {}

BatchAllocator BackboneEmbedder::input_allocator() const {
  return input_.device.is_cuda() ? pinned_batch_allocator() : BatchAllocator{};
}

void BackboneEmbedder::embed(const float* inputs, std::int64_t n, float* out) {
  FV_CHECK_GT(n, 0, DataError, "'{}': embed() needs at least one input", name_);
  const auto& p = preprocess_;
  c10::InferenceMode inference;
  // from_blob does not copy; the backbone does not write into its input.
  auto cpu = torch::from_blob(const_cast<float*>(inputs), {n, p.channels, p.height, p.width}, torch::kFloat32);
  auto x = input_.device.is_cpu() ? cpu : cpu.to(input_.device);
  if (input_.dtype != torch::kFloat32) x = x.to(input_.dtype);
  if (input_.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  auto result = backbone_->forward(x).to(torch::kCPU, torch::kFloat32).contiguous();
  FV_CHECK(result.dim() == 2 && result.size(0) == n && result.size(1) == dim_, DataError,
           "'{}': the backbone returned shape [{}], expected [{}, {}]", name_, fmt::join(result.sizes(), ", "), n, dim_);
  std::memcpy(out, result.data_ptr<float>(), static_cast<std::size_t>(n * dim_) * sizeof(float));
}

}  // namespace fv
