// BatchLoader: workers claim whole batches in order; the consumer takes them in order from a bounded map.
#include "dataset/batch_loader.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "core/check.h"
#include "core/error.h"

namespace fv {
namespace {

// splitmix64: a stateless mix of (seed, epoch, index) into independent random streams.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

BatchLoader::BatchLoader(const SampleSource& source, PreprocessOptions preprocess, AugmentOptions augment,
                         LoaderOptions options)
    : source_(source), preprocess_(preprocess), augment_(augment), options_(options) {
  FV_CHECK_GT(options_.batch_size, 0, ConfigError, "batch size must be positive");
  FV_CHECK_GT(options_.threads, 0, ConfigError, "loader threads must be positive");
  FV_CHECK_GT(options_.prefetch, 0, ConfigError, "prefetch must be positive");
  FV_CHECK_GE(augment_.crop_padding, 0, ConfigError, "crop padding must not be negative");
  FV_CHECK(source_.size() > 0, DataError, "the dataset is empty");
  FV_CHECK(options_.world_size >= 1, ConfigError, "the loader's world size must be >= 1 (got {})", options_.world_size);
  FV_CHECK(options_.rank >= 0 && options_.rank < options_.world_size, ConfigError,
           "the loader's rank {} must lie in [0, {})", options_.rank, options_.world_size);
  FV_CHECK(options_.world_size == 1 || options_.drop_last, ConfigError,
           "distributed loading (world size {}) needs drop_last: every rank must get a full batch",
           options_.world_size);
}

BatchLoader::~BatchLoader() { stop_workers(); }

std::int64_t BatchLoader::batches_per_epoch() const {
  const auto n = static_cast<std::int64_t>(source_.size());
  const auto b = static_cast<std::int64_t>(options_.batch_size) * options_.world_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<std::size_t> BatchLoader::epoch_order(std::int64_t epoch) const {
  std::vector<std::size_t> order(source_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (options_.shuffle) {
    // Fisher-Yates with our own generator: std::shuffle's result differs between standard libraries.
    std::uint64_t state = mix(options_.seed ^ mix(static_cast<std::uint64_t>(epoch) + 0x1234567));
    for (std::size_t i = order.size(); i > 1; --i) {
      state = mix(state);
      std::swap(order[i - 1], order[state % i]);
    }
  }
  return order;
}

void BatchLoader::stop_workers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void BatchLoader::start_epoch(std::int64_t epoch, std::int64_t first_step) {
  stop_workers();
  epoch_ = epoch;
  order_ = epoch_order(epoch);
  steps_ = batches_per_epoch();
  FV_CHECK(steps_ > 0, DataError, "{} samples make no full batch of {}", source_.size(),
           static_cast<std::int64_t>(options_.batch_size) * options_.world_size);
  FV_CHECK(first_step >= 0 && first_step <= steps_, DataError, "cannot start epoch at batch {} of {}", first_step, steps_);
  next_to_build_ = next_to_return_ = first_step;
  ready_.clear();
  error_ = nullptr;
  stopping_ = false;
  for (int t = 0; t < options_.threads; ++t) workers_.emplace_back([this] { worker(); });
}

void BatchLoader::worker() {
  for (;;) {
    std::int64_t step;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] {
        return stopping_ || error_ || (next_to_build_ < steps_ && next_to_build_ < next_to_return_ + options_.prefetch);
      });
      if (stopping_ || error_ || next_to_build_ >= steps_) return;
      step = next_to_build_++;
    }
    try {
      Batch batch = build(step);
      std::lock_guard lock(mutex_);
      ready_.emplace(step, std::move(batch));
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    cv_.notify_all();
  }
}

Batch BatchLoader::build(std::int64_t step) {
  Batch batch;
  batch.epoch = epoch_;
  batch.step = step;
  // This rank's slice of global batch `step` (see LoaderOptions::rank).
  const std::size_t global_batch = static_cast<std::size_t>(options_.batch_size) * options_.world_size;
  const std::size_t begin = static_cast<std::size_t>(step) * global_batch +
                            static_cast<std::size_t>(options_.rank) * options_.batch_size;
  const std::size_t end = std::min(order_.size(), begin + options_.batch_size);
  const std::size_t sample_floats = static_cast<std::size_t>(preprocess_.channels) * preprocess_.width * preprocess_.height;
  const std::size_t floats = (end - begin) * sample_floats;
  batch.pixels = options_.allocate ? options_.allocate(floats) : heap_batch_buffer(floats);
  FV_CHECK(batch.pixels.data != nullptr || floats == 0, Error, "the batch allocator returned no memory for {} floats",
           floats);
  for (std::size_t k = begin; k < end; ++k) {
    const std::size_t index = order_[k];
    RgbImage image;
    try {
      image = source_.image(index);
    } catch (const Error& e) {
      if (!options_.skip_failures) throw DataError(fmt::format("sample {} ('{}'): {}", index, source_.id(index), e.what()));
      batch.failures.push_back({index, e.what()});
      continue;
    }
    bool flip = false;
    int dx = 0, dy = 0;
    if (augment_.flip || augment_.crop_padding > 0) {
      std::uint64_t r = mix(options_.seed ^ mix(static_cast<std::uint64_t>(epoch_) * 0x100000001B3ull + index));
      flip = augment_.flip && (r & 1);
      if (augment_.crop_padding > 0) {
        const int span = 2 * augment_.crop_padding + 1;
        r = mix(r);
        dx = static_cast<int>(r % span) - augment_.crop_padding;
        r = mix(r);
        dy = static_cast<int>(r % span) - augment_.crop_padding;
      }
    }
    preprocess_into(image, preprocess_, batch.data() + batch.indices.size() * sample_floats, flip, dx, dy);
    batch.indices.push_back(index);
    batch.labels.push_back(source_.label(index));
  }
  batch.floats = batch.indices.size() * sample_floats;
  return batch;
}

std::optional<Batch> BatchLoader::next() {
  std::unique_lock lock(mutex_);
  if (next_to_return_ >= steps_) return std::nullopt;
  cv_.wait(lock, [&] { return error_ || ready_.count(next_to_return_); });
  if (error_) std::rethrow_exception(error_);
  Batch batch = std::move(ready_.at(next_to_return_));
  ready_.erase(next_to_return_++);
  lock.unlock();
  cv_.notify_all();
  return batch;
}

}  // namespace fv
