// Multi-threaded, prefetching batch loader: decodes, preprocesses and augments samples on worker threads
// while the model runs. Deterministic: the order and every augmentation depend only on (seed, epoch, index),
// never on the number of threads, so a resumed run sees exactly the batches an uninterrupted one would.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/batch_buffer.h"
#include "dataset/preprocess.h"
#include "dataset/sample_source.h"

namespace fv {

struct LoaderOptions {
  int batch_size = 64;
  bool shuffle = true;
  std::uint64_t seed = 1;
  int threads = 2;        // decoding threads
  int prefetch = 4;       // batches prepared ahead of the consumer
  bool drop_last = true;  // training: only full batches; embedding: false
  // false: the first unreadable sample stops the loader (next() rethrows it). true: it is left out of its batch
  // and reported in Batch::failures (embedding records and counts them).
  bool skip_failures = false;
  BatchAllocator allocate;  // empty: heap_batch_buffer
  // Distributed sampling (data parallelism): batch_size is per rank. Every rank walks the same seeded epoch
  // order; global batch k covers order[k*B*W, (k+1)*B*W) and rank r takes its slice [r*B, (r+1)*B), so the
  // union of the ranks' batches at step k is the world-1 batch k of size B*W, row for row in rank order
  // (resuming with another world size keeps the data order as long as B*W stays the same).
  // Requires 0 <= rank < world_size; world_size > 1 requires drop_last.
  int rank = 0;
  int world_size = 1;
};

struct SampleFailure {
  std::size_t index;
  std::string reason;
};

struct Batch {
  std::int64_t epoch = 0;
  std::int64_t step = 0;                 // batch number within the epoch
  BatchBuffer pixels;                    // room for a full batch; the first `floats` are size() x C x H x W
  std::size_t floats = 0;
  std::vector<std::int64_t> labels;      // -1 when the source has none
  std::vector<std::size_t> indices;      // source indices of the rows, in row order
  std::vector<SampleFailure> failures;   // skipped samples (skip_failures only)
  std::size_t size() const { return indices.size(); }
  float* data() const { return pixels.data; }
};

class BatchLoader {
 public:
  // `source` must outlive the loader.
  BatchLoader(const SampleSource& source, PreprocessOptions preprocess, AugmentOptions augment, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Starts (or restarts) producing epoch `epoch` from batch `first_step` on.
  void start_epoch(std::int64_t epoch, std::int64_t first_step = 0);
  // The next batch of the current epoch in order, or nullopt when the epoch is over.
  std::optional<Batch> next();

  // floor(N / (batch_size * world_size)) with drop_last, else ceil(N / batch_size) (world 1 only).
  std::int64_t batches_per_epoch() const;
  // The order of source indices for an epoch (identity when shuffle is off).
  std::vector<std::size_t> epoch_order(std::int64_t epoch) const;

 private:
  void stop_workers();
  void worker();
  Batch build(std::int64_t step);

  const SampleSource& source_;
  PreprocessOptions preprocess_;
  AugmentOptions augment_;
  LoaderOptions options_;

  std::vector<std::size_t> order_;
  std::int64_t epoch_ = 0;
  std::int64_t steps_ = 0;
  std::int64_t next_to_build_ = 0;
  std::int64_t next_to_return_ = 0;
  std::map<std::int64_t, Batch> ready_;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
};

}  // namespace fv
