// Trainer::State: everything a run holds, shared by the trainer's parts (internal to fv_train):
//   trainer.cpp             building the run (data, network, head, optimiser) and restoring a checkpoint;
//   trainer_checkpoint.cpp  writing checkpoints (with the head shards) and recognising a finished run;
//   trainer_validation.cpp  validation sets, the best model (train.keep_best), the final model file;
//   trainer_loop.cpp        the step loop, the metrics it reads and the JSONL lines it writes.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataset/batch_loader.h"
#include "dataset/sample_source.h"
#include "dist/dist_env.h"
#include "dist/gradient_bucketer.h"
#include "dist/process_group.h"
#include "model/backbone.h"
#include "model/model_file.h"
#include "train/checkpoint.h"
#include "train/classifier_head.h"
#include "train/curves_plotter.h"
#include "train/device_batch.h"
#include "train/evaluation.h"
#include "train/margin.h"
#include "train/partial_fc.h"
#include "train/step_metrics.h"
#include "train/train_log.h"
#include "train/train_step.h"
#include "train/trainer.h"
#include "train/validation.h"

namespace fv {

using TrainClock = std::chrono::steady_clock;

inline double seconds_since(TrainClock::time_point t) {
  return std::chrono::duration<double>(TrainClock::now() - t).count();
}

// Running sums over a log interval, filled from the device-side metrics whenever they are read.
struct IntervalStats {
  double loss = 0, accuracy = 0;
  std::int64_t steps = 0, images = 0;
  TrainClock::time_point start = TrainClock::now();
  void add(const MetricTotals& t) {
    loss += t.mean_loss * static_cast<double>(t.steps);
    accuracy += t.mean_accuracy * static_cast<double>(t.steps);
    steps += t.steps;
    images += t.images;
  }
  void reset() { *this = IntervalStats{}; }
};

// The best model so far (train.keep_best): its set, accuracy and step, as model.best.fvm's metadata holds them.
struct BestModel {
  std::string set;
  double accuracy = -1;
  std::int64_t step = -1;
};

struct Trainer::State {
  // --- the run, built by the constructor (trainer.cpp)
  TrainConfig config;
  std::string config_hash;
  torch::Device device{torch::kCPU};
  PreprocessOptions preprocess;
  bool channels_last = false;
  std::unique_ptr<SampleSource> train_source;
  std::unique_ptr<SampleSource> test_source;
  DistEnv env;                          // torchrun variables (world 1 when none are set)
  std::unique_ptr<Communicator> comm;   // no-op for a single process
  std::shared_ptr<Backbone> backbone;
  ClassifierHead head{nullptr};         // train.classifier = full
  PartialFc shard{nullptr};             // train.classifier = sharded
  std::shared_ptr<Margin> margin;       // the loss's lambda schedule, for logs and checkpoints
  std::unique_ptr<torch::optim::Optimizer> optimizer;       // backbone (+ the full head)
  std::unique_ptr<torch::optim::Optimizer> shard_optimizer;  // the Partial FC shard
  std::unique_ptr<GradientBucketer> bucketer;                // world > 1
  std::vector<torch::Tensor> params;    // replicated parameters: equal on every rank
  std::unique_ptr<TrainStep> step_fn;
  std::unique_ptr<BatchStager> stager;
  std::unique_ptr<BatchLoader> loader;
  std::unique_ptr<Validator> validator;  // rank 0 only; null without validation sets
  std::int64_t batches_per_epoch = 0;
  std::int64_t total_steps = 0;
  std::int64_t step = 0;
  std::int64_t images_seen = 0;
  double elapsed_before = 0;  // training seconds of earlier sessions
  int loader_threads = 1;

  // --- this session (trainer_loop.cpp)
  std::optional<TrainLog> journal;      // rank 0 alone writes the log, the model files and the summary
  std::optional<CurvesPlotter> curves;
  TrainSummary summary;
  TrainClock::time_point session_start = TrainClock::now();
  TrainClock::time_point last_checkpoint = TrainClock::now();
  double lambda = 0;
  double last_lr = 0;
  IntervalStats interval;
  std::unique_ptr<StepMetrics> metrics;
  bool stop = false, time_due = false;
  BestModel best;
  std::map<std::string, ValidationResult> last_validation;

  bool main_rank() const { return env.is_main(); }
  bool distributed() const { return env.distributed(); }
  bool sharded() const { return config.classifier == ClassifierMode::kSharded; }
  double elapsed() const { return elapsed_before + seconds_since(session_start); }
  void record(const nlohmann::json& line) {
    if (journal) journal->write(line);
  }
  EvalSettings eval_settings() const;

  // trainer.cpp
  void open_data();
  void build_network();
  void distribute();  // world > 1: rank 0's weights everywhere, gradients averaged in buckets
  // trainer_checkpoint.cpp
  void restore_checkpoint();  // the checkpoint of config.output (resume), or config.init_from
  CheckpointInfo info() const;
  torch::nn::Module& checkpoint_head();  // the full head, or nothing (shards have their own files)
  std::map<std::string, torch::Tensor> shard_rows();
  void write_checkpoint();  // collective when sharded or distributed
  // trainer_validation.cpp
  void open_validation();
  void restore_validation();  // a resumed run: the highest accuracies so far and model.best.fvm's record
  double run_validation(const char* when);  // collective; the first set's accuracy (rank 0), else -1
  ModelMeta model_meta() const;
  // trainer_loop.cpp
  std::int64_t train_step(Batch& batch);  // one optimisation step; returns the global batch size
  void after_step();    // the log line, checkpoint and validation due
  void read_metrics();  // collective when distributed; throws DataError on divergence
  void log_interval(double lr);
  bool stopping();
  void finish();        // model file, test error, final validation, summary.json
};

// The summary of a run that finished at `step` (its summary.json records that step and its model file exists);
// nullopt when the run did not get that far (killed while writing its model file, evaluation or summary).
std::optional<TrainSummary> finished_run(const std::filesystem::path& output, std::int64_t step);

}  // namespace fv
