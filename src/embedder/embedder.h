// One interface for everything that turns preprocessed images into embeddings: trained models, imported
// reference models, and the raw-pixel baseline.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/options.h"
#include "dataset/batch_loader.h"
#include "dataset/preprocess.h"
#include "dataset/sample_source.h"

namespace fv {

class Embedder {
 public:
  virtual ~Embedder() = default;
  // The input each image must be brought to (size, colour, normalisation).
  virtual const PreprocessOptions& preprocess() const = 0;
  virtual std::int64_t dim() const = 0;
  // Embeds `n` preprocessed inputs (n x C x H x W floats, as BatchLoader makes them) into n x dim() floats.
  // Deterministic: the same input gives the same output bit for bit (models run in eval mode, no grad).
  virtual void embed(const float* inputs, std::int64_t n, float* out) = 0;
  // SHA-256 of the model file (or a fixed tag for built-in models), recorded in every embeddings file.
  virtual std::string model_hash() const = 0;
  virtual std::string description() const = 0;
  // Where the loader should put the inputs of embed(): pinned memory for a CUDA model (faster copies to the
  // GPU); empty (the heap) otherwise.
  virtual BatchAllocator input_allocator() const { return {}; }
};

// The raw-pixel baseline: the embedding is the preprocessed image itself (grey or RGB, resized to
// width x height, pixel / 255). What "identity recoverable from trivial cues" is measured with.
std::unique_ptr<Embedder> make_pixel_embedder(int width, int height, int channels);

// Flip test-time augmentation: embed the mirrored image too and add (sum) or append (concat) its embedding.
enum class FlipMode { kNone, kSum, kConcat };
const EnumNames<FlipMode>& flip_mode_names();

// Output width of embed_with_tta for an embedder of dimension `dim`.
std::int64_t output_dim(std::int64_t dim, FlipMode flip);

// Embeds a batch of n x C x H x W preprocessed inputs with flip TTA, then L2-normalises each row when
// `normalize` (a zero row stays zero).
std::vector<float> embed_with_tta(Embedder& embedder, const float* inputs, std::int64_t n, FlipMode flip,
                                  bool normalize);
inline std::vector<float> embed_with_tta(Embedder& embedder, const std::vector<float>& inputs, std::int64_t n,
                                         FlipMode flip, bool normalize) {
  return embed_with_tta(embedder, inputs.data(), n, flip, normalize);
}

// Embeds every image of `source` in order (a BatchLoader with `threads` decoders, batches of `batch_size`) with
// flip TTA, each row L2-normalised when `normalize`: source.size() x output_dim(dim, flip) floats. Throws what
// the source throws for an unreadable image (naming it).
std::vector<float> embed_source(Embedder& embedder, const SampleSource& source, FlipMode flip, bool normalize,
                                int batch_size, int threads);

// Mirrors n x C x H x W inputs left-right.
std::vector<float> flip_inputs(const float* inputs, std::int64_t n, const PreprocessOptions& p);

}  // namespace fv
