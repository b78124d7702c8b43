// The Embedder of a backbone in memory: a model file's (model_embedder.h) or the one fv-train is training (its
// validation). The caller puts the backbone in eval mode and keeps it alive.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "embedder/embedder.h"
#include "model/backbone.h"

namespace fv {

struct BackboneInput {
  torch::Device device = torch::kCPU;         // where the backbone's weights are
  torch::ScalarType dtype = torch::kFloat32;  // of its weights (fp16/bf16 only on CUDA)
  bool channels_last = false;                 // feed NHWC-strided inputs
};

class BackboneEmbedder : public Embedder {
 public:
  // `name` appears in error messages (a file path, or "the training backbone").
  BackboneEmbedder(std::shared_ptr<Backbone> backbone, PreprocessOptions preprocess, BackboneInput input,
                   std::string name);

  const PreprocessOptions& preprocess() const override { return preprocess_; }
  std::int64_t dim() const override { return dim_; }
  // Runs the backbone under torch::InferenceMode; the embeddings come back as fp32 on the CPU. Throws DataError
  // naming `name` for n < 1 or a backbone output of another shape.
  void embed(const float* inputs, std::int64_t n, float* out) override;
  std::string model_hash() const override { return "in-memory"; }
  std::string description() const override { return name_; }
  BatchAllocator input_allocator() const override;

 protected:
  const std::string& name() const { return name_; }

 private:
  std::shared_ptr<Backbone> backbone_;
  PreprocessOptions preprocess_;
  BackboneInput input_;
  std::int64_t dim_;
  std::string name_;
};

}  // namespace fv
