// The training loop of fv-train: data -> backbone -> classifier head (margin, fp32 cross-entropy) ->
// optimiser, with the LR schedule, gradient clipping, mixed precision on CUDA, checkpoints, the JSONL log,
// validation, and the final model file.
//
// Run folder (config.output): checkpoint.fvc (latest state), model.fvm (the final model, for fv-embed),
// model.best.fvm (train.keep_best: the highest validation accuracy on that set; its step and accuracy in its
// metadata), train.jsonl (one line per log interval; events "validation" (one per set), "test", "final"),
// summary.json (final figures), curves.png (loss, accuracy, lr, lambda and validation accuracy against step;
// train.plot, needs gnuplot) and optionally the test-set feature CSV.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "train/train_config.h"

namespace fv {

class Backbone;
class ClassifierHeadImpl;

struct TrainSummary {
  std::int64_t first_step = 0;   // step the session started from (> 0 after a resume)
  std::int64_t step = 0;         // steps done in total
  std::int64_t total_steps = 0;
  bool interrupted = false;      // SIGINT/SIGTERM: a checkpoint was written, run again with --resume
  double seconds = 0;            // this session's training time (without the final evaluation)
  double images_per_second = 0;  // this session
  double last_loss = 0;          // mean over the last log interval
  double test_error = -1;        // on data.test_input, -1 when none
  double val_accuracy = -1;      // final validation on the first set (val.pairs, else the first val.bin), -1 when none
  std::filesystem::path model_file;  // empty when interrupted
};

class Trainer {
 public:
  // Opens the data, builds the network, head and optimiser, and restores the checkpoint when
  // config.resume (a missing checkpoint starts a new run) or the weights of config.init_from. Refuses to
  // overwrite an existing run without --resume. `config` must be finalized. Throws ConfigError, IoError,
  // FormatError naming the key or file.
  Trainer(TrainConfig config, std::string config_hash);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Trains to the last step (or until a stop is requested), then writes the model file and evaluates.
  // Throws DataError when the loss becomes NaN, infinite or larger than train.max_loss; the last
  // checkpoint written before that is kept.
  TrainSummary run();

  Backbone& backbone();
  ClassifierHeadImpl& head();
  std::int64_t step() const;
  std::int64_t total_steps() const;
  // This process among the job's (RANK; 0 for a single process): rank 0 writes the run's files.
  int rank() const;

  static std::filesystem::path checkpoint_path(const std::filesystem::path& output);
  static std::filesystem::path model_path(const std::filesystem::path& output);
  static std::filesystem::path best_model_path(const std::filesystem::path& output);  // train.keep_best

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace fv
