// Flip TTA, normalisation, and the raw-pixel baseline embedder.
#include "embedder/embedder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "core/check.h"

namespace fv {
namespace {

class PixelEmbedder : public Embedder {
 public:
  PixelEmbedder(int width, int height, int channels)
      : preprocess_(PreprocessOptions::uniform(width, height, channels, 0, 255)) {}
  const PreprocessOptions& preprocess() const override { return preprocess_; }
  std::int64_t dim() const override {
    return static_cast<std::int64_t>(preprocess_.width) * preprocess_.height * preprocess_.channels;
  }
  void embed(const float* inputs, std::int64_t n, float* out) override {
    std::memcpy(out, inputs, static_cast<std::size_t>(n * dim()) * sizeof(float));
  }
  std::string model_hash() const override {
    return fmt::format("builtin:pixels:{}x{}x{}", preprocess_.width, preprocess_.height, preprocess_.channels);
  }
  std::string description() const override {
    return fmt::format("raw pixels {}x{} {}", preprocess_.width, preprocess_.height,
                       preprocess_.channels == 1 ? "grey" : "RGB");
  }

 private:
  PreprocessOptions preprocess_;
};

}  // namespace

std::unique_ptr<Embedder> make_pixel_embedder(int width, int height, int channels) {
  FV_CHECK(width > 0 && height > 0, ConfigError, "pixel embedder size must be positive, got {}x{}", width, height);
  FV_CHECK(channels == 1 || channels == 3, ConfigError, "pixel embedder channels must be 1 or 3, got {}", channels);
  return std::make_unique<PixelEmbedder>(width, height, channels);
}

const EnumNames<FlipMode>& flip_mode_names() {
  static const EnumNames<FlipMode> names{{"none", FlipMode::kNone}, {"sum", FlipMode::kSum}, {"concat", FlipMode::kConcat}};
  return names;
}

std::int64_t output_dim(std::int64_t dim, FlipMode flip) { return flip == FlipMode::kConcat ? 2 * dim : dim; }

std::vector<float> flip_inputs(const float* inputs, std::int64_t n, const PreprocessOptions& p) {
  const std::int64_t rows = n * p.channels * p.height;
  std::vector<float> out(static_cast<std::size_t>(rows * p.width));
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* src = inputs + r * p.width;
    float* dst = out.data() + r * p.width;
    std::reverse_copy(src, src + p.width, dst);
  }
  return out;
}

std::vector<float> embed_with_tta(Embedder& embedder, const float* inputs, std::int64_t n, FlipMode flip,
                                  bool normalize) {
  const std::int64_t d = embedder.dim();
  const std::int64_t out_d = output_dim(d, flip);
  std::vector<float> plain(static_cast<std::size_t>(n * d));
  embedder.embed(inputs, n, plain.data());
  std::vector<float> out(static_cast<std::size_t>(n * out_d));
  if (flip == FlipMode::kNone) {
    out = std::move(plain);
  } else {
    std::vector<float> mirrored(static_cast<std::size_t>(n * d));
    const auto flipped = flip_inputs(inputs, n, embedder.preprocess());
    embedder.embed(flipped.data(), n, mirrored.data());
    for (std::int64_t i = 0; i < n; ++i) {
      float* row = out.data() + i * out_d;
      const float* a = plain.data() + i * d;
      const float* b = mirrored.data() + i * d;
      if (flip == FlipMode::kSum) {
        for (std::int64_t k = 0; k < d; ++k) row[k] = a[k] + b[k];
      } else {
        std::copy(a, a + d, row);
        std::copy(b, b + d, row + d);
      }
    }
  }
  if (normalize) {
    for (std::int64_t i = 0; i < n; ++i) {
      float* row = out.data() + i * out_d;
      double norm = 0;
      for (std::int64_t k = 0; k < out_d; ++k) norm += static_cast<double>(row[k]) * row[k];
      norm = std::sqrt(norm);
      if (norm > 0) {
        for (std::int64_t k = 0; k < out_d; ++k) row[k] = static_cast<float>(row[k] / norm);
      }
    }
  }
  return out;
}

std::vector<float> embed_source(Embedder& embedder, const SampleSource& source, FlipMode flip, bool normalize,
                                int batch_size, int threads) {
  LoaderOptions o;
  o.batch_size = batch_size;
  o.shuffle = false;
  o.threads = threads;
  o.drop_last = false;
  o.allocate = embedder.input_allocator();
  BatchLoader loader(source, embedder.preprocess(), AugmentOptions{}, o);
  loader.start_epoch(0);
  const auto width = static_cast<std::size_t>(output_dim(embedder.dim(), flip));
  std::vector<float> out(source.size() * width);
  while (auto batch = loader.next()) {
    const auto rows = embed_with_tta(embedder, batch->data(), static_cast<std::int64_t>(batch->size()), flip, normalize);
    for (std::size_t r = 0; r < batch->size(); ++r)
      std::copy_n(rows.data() + r * width, width, out.data() + batch->indices[r] * width);
  }
  return out;
}

}  // namespace fv
