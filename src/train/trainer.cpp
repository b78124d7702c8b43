// The training loop (see trainer.h).
#include "train/trainer.h"

#include <ATen/Context.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <optional>

#include "core/atomic_file.h"
#include "core/check.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/progress.h"
#include "core/runtime.h"
#include "dataset/batch_loader.h"
#include "model/backbone.h"
#include "model/model_file.h"
#include "dist/dist_env.h"
#include "dist/gradient_bucketer.h"
#include "dist/process_group.h"
#include "train/checkpoint.h"
#include "train/curves_plotter.h"
#include "train/classifier_head.h"
#include "train/device_batch.h"
#include "train/cross_entropy.h"
#include "train/evaluation.h"
#include "train/head_shards.h"
#include "train/loss_heads.h"
#include "train/partial_fc.h"
#include "train/step_metrics.h"
#include "train/train_log.h"
#include "train/train_step.h"
#include "train/training_data.h"

namespace fv {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& o, double lr,
                                                        std::vector<torch::Tensor> params) {
  if (o.kind == OptimizerKind::kAdamW) {
    return std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::SGD>(
      params, torch::optim::SGDOptions(lr).momentum(o.momentum).weight_decay(o.weight_decay).nesterov(o.nesterov));
}

// Running sums over a log interval, filled from the device-side metrics whenever they are read.
struct IntervalStats {
  double loss = 0, accuracy = 0;
  std::int64_t steps = 0, images = 0;
  Clock::time_point start = Clock::now();
  void add(const MetricTotals& t) {
    loss += t.mean_loss * static_cast<double>(t.steps);
    accuracy += t.mean_accuracy * static_cast<double>(t.steps);
    steps += t.steps;
    images += t.images;
  }
  void reset() { *this = IntervalStats{}; }
};

// The summary of a run that finished at `step`: its summary.json records that step and its model file exists.
// nullopt when the run did not get that far (killed while writing its model file, evaluation or summary).
std::optional<TrainSummary> finished_run(const std::filesystem::path& output, std::int64_t step) {
  std::error_code ec;
  const auto summary_path = output / "summary.json";
  const auto model = Trainer::model_path(output);
  if (!std::filesystem::is_regular_file(summary_path, ec) || !std::filesystem::is_regular_file(model, ec))
    return std::nullopt;
  const auto j = nlohmann::json::parse(read_file(summary_path), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("step", std::int64_t{-1}) != step) return std::nullopt;
  TrainSummary t;
  t.step = step;
  t.last_loss = j.value("loss", 0.0);
  t.test_error = j.value("test_error", -1.0);
  t.val_accuracy = j.value("val_accuracy", -1.0);
  t.images_per_second = j.value("images_per_second", 0.0);
  t.model_file = model;
  return t;
}

}  // namespace

struct Trainer::State {
  TrainConfig config;
  std::string config_hash;
  torch::Device device{torch::kCPU};
  PreprocessOptions preprocess;
  std::unique_ptr<SampleSource> train_source;
  std::unique_ptr<SampleSource> test_source;
  DistEnv env;                          // torchrun variables (world 1 when none are set)
  std::unique_ptr<Communicator> comm;   // no-op for a single process
  std::shared_ptr<Backbone> backbone;
  ClassifierHead head{nullptr};         // train.classifier = full
  PartialFc shard{nullptr};             // train.classifier = sharded
  std::unique_ptr<torch::optim::Optimizer> optimizer;       // backbone (+ the full head)
  std::unique_ptr<torch::optim::Optimizer> shard_optimizer;  // the Partial FC shard
  std::unique_ptr<GradientBucketer> bucketer;                // world > 1
  std::vector<torch::Tensor> params;    // replicated parameters: equal on every rank
  std::unique_ptr<TrainStep> step_fn;
  std::unique_ptr<BatchStager> stager;
  std::unique_ptr<BatchLoader> loader;
  std::int64_t batches_per_epoch = 0;
  std::int64_t total_steps = 0;
  std::int64_t step = 0;
  std::int64_t images_seen = 0;
  double elapsed_before = 0;  // training seconds of earlier sessions
  int loader_threads = 1;

  std::filesystem::path output() const { return config.output; }

  CheckpointInfo info(double lambda, double elapsed) const {
    CheckpointInfo i;
    i.step = step;
    i.images_seen = images_seen;
    i.elapsed_seconds = elapsed;
    i.config_hash = config_hash;
    i.num_samples = static_cast<std::int64_t>(train_source->size());
    i.num_classes = config.head.num_classes();
    if (config.amp == AmpMode::kFp16) {
      i.loss_scale = step_fn->scaler().value();
      i.loss_scale_growth_tracker = step_fn->scaler().growth_tracker();
    }
    i.lambda = lambda;
    i.backbone = to_json(backbone->options());
    i.loss = describe(config.head);
    i.classifier = enum_name(classifier_mode_names(), config.classifier);
    i.world_size = env.world_size;
    return i;
  }

  bool sharded() const { return config.classifier == ClassifierMode::kSharded; }

  // The modules a checkpoint holds besides the backbone: the full head, or nothing (shards have their files).
  torch::nn::Module& checkpoint_head() {
    static torch::nn::Module none;
    return sharded() ? none : static_cast<torch::nn::Module&>(*head);
  }

  std::map<std::string, torch::Tensor> shard_rows() {
    auto rows = optimizer_state_rows(*shard_optimizer, shard->weight);
    rows["weight"] = shard->weight.detach();
    return rows;
  }

  EvalSettings eval_settings() const {
    EvalSettings e;
    e.preprocess = preprocess;
    e.batch_size = std::max(config.batch_size, 64);
    e.threads = loader_threads;
    e.device = device;
    return e;
  }
};

std::filesystem::path Trainer::checkpoint_path(const std::filesystem::path& output) {
  return output / "checkpoint.fvc";
}
std::filesystem::path Trainer::model_path(const std::filesystem::path& output) { return output / "model.fvm"; }

Trainer::Trainer(TrainConfig config, std::string config_hash) : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.config = std::move(config);
  s.config_hash = std::move(config_hash);
  const TrainConfig& c = s.config;
  s.env = parse_dist_env();
  s.device = select_device(c.device);
  if (s.device.is_cuda() && s.env.distributed()) s.device = torch::Device(torch::kCUDA, s.env.local_rank);
  FV_CHECK(c.batch_size % s.env.world_size == 0, ConfigError,
           "train.batch_size {} (images per step over all ranks) must be divisible by WORLD_SIZE={}", c.batch_size,
           s.env.world_size);
  if (!s.env.is_main()) log::set_level(log::Level::kWarn);  // rank 0 logs and writes; the others only warn
  s.comm = s.env.distributed()
               ? Communicator::create(s.env, s.device.is_cuda() ? CommDevice::kCuda : CommDevice::kCpu,
                                      std::chrono::milliseconds(static_cast<std::int64_t>(c.dist.timeout_minutes * 60000)))
               : Communicator::single();
  if (s.env.distributed()) log::info("data parallel: {}, backend {}", describe(s.env), s.comm->backend_name());
  FV_CHECK(c.amp == AmpMode::kOff || s.device.is_cuda(), ConfigError, "train.amp {} needs a CUDA device",
           enum_name(amp_mode_names(), c.amp));
  const int threads = configure_torch_threads(c.threads);
  s.loader_threads = c.data.loader_threads > 0 ? c.data.loader_threads : threads;
  s.preprocess = c.preprocess();

  s.train_source = open_training_source(c.data.input, c.data.kind, c.data.labels, "data.input");
  if (!c.data.test_input.empty())
    s.test_source = first_samples(
        open_training_source(c.data.test_input, c.data.kind, c.data.test_labels, "data.test_input"),
        static_cast<std::size_t>(c.data.test_limit));
  s.config.head.num_classes(s.train_source->num_classes());
  validate(s.config.head);

  const bool channels_last = use_channels_last(c.memory_format, s.device);
  s.stager = std::make_unique<BatchStager>(s.device, s.preprocess, channels_last);
  if (s.device.is_cuda()) at::globalContext().setBenchmarkCuDNN(c.cudnn_benchmark);

  LoaderOptions lo;
  lo.allocate = s.stager->allocator();
  lo.batch_size = c.batch_size / s.env.world_size;
  lo.rank = s.env.rank;
  lo.world_size = s.env.world_size;
  lo.shuffle = true;
  lo.seed = c.seed;
  lo.threads = s.loader_threads;
  lo.prefetch = c.data.prefetch;
  lo.drop_last = true;
  s.loader = std::make_unique<BatchLoader>(*s.train_source, s.preprocess, c.augment(), lo);
  s.batches_per_epoch = s.loader->batches_per_epoch();
  FV_CHECK_GT(s.batches_per_epoch, 0, ConfigError, "train.batch_size {} exceeds the {} training samples",
              c.batch_size, s.train_source->size());
  s.total_steps = c.steps > 0 ? c.steps
                              : static_cast<std::int64_t>(std::ceil(c.epochs * static_cast<double>(s.batches_per_epoch)));
  s.config.schedule.total_steps = s.total_steps;
  validate(s.config.schedule);

  torch::manual_seed(c.seed);
  s.backbone = make_backbone(c.model);
  s.backbone->to(s.device);
  if (channels_last) to_channels_last(*s.backbone);
  for (const auto& p : s.backbone->parameters()) s.params.push_back(p);
  StepOptions so;
  so.amp = c.amp;
  so.clip_grad_norm = c.optimizer.clip_grad_norm;
  so.comm = s.env.distributed() ? s.comm.get() : nullptr;
  HeadForward head_forward;
  if (s.sharded()) {
    s.shard = PartialFc(PartialFcOptions(s.config.head).sample_rate(c.sample_rate).seed(c.seed), *s.comm);
    s.shard->to(s.device);
    so.sharded = s.shard->parameters();
    s.shard_optimizer = make_optimizer(c.optimizer, c.schedule.lr, s.shard->parameters());
    head_forward = sharded_head_forward(s.shard, *s.comm);
  } else {
    s.head = ClassifierHead(s.config.head);
    s.head->to(s.device);
    for (const auto& p : s.head->parameters()) s.params.push_back(p);
    head_forward = full_head_forward(s.head);
  }
  s.optimizer = make_optimizer(c.optimizer, c.schedule.lr, s.params);
  std::vector<torch::optim::Optimizer*> optimizers{s.optimizer.get()};
  if (s.shard_optimizer) optimizers.push_back(s.shard_optimizer.get());
  s.step_fn = std::make_unique<TrainStep>(*s.backbone, head_forward, optimizers, s.params, so);

  const auto checkpoint = checkpoint_path(c.output);
  std::error_code ec;
  const bool exists = std::filesystem::exists(checkpoint, ec);
  if (exists && !c.resume) {
    throw ConfigError(fmt::format("{} exists (step {}): pass --resume to continue that run, or choose another output",
                                  checkpoint.string(), read_checkpoint_info(checkpoint).step));
  }
  if (c.resume && s.env.is_main()) {
    // A kill during a write leaves its temporary file (the other ranks write nothing before the broadcast below).
    if (const std::size_t n = remove_stale_temporaries(c.output, /*recursive=*/false))
      log::info("removed {} temporary file(s) of an interrupted write from {}", n, c.output);
  }
  if (exists) {
    const std::string written_with = read_checkpoint_info(checkpoint).classifier;
    FV_CHECK(written_with == enum_name(classifier_mode_names(), c.classifier), ConfigError,
             "{} was written with train.classifier = {}; resume it with the same", checkpoint.string(), written_with);
    const CheckpointInfo info =
        load_checkpoint(checkpoint, *s.backbone, s.checkpoint_head(), s.optimizer.get(), s.device);
    if (s.sharded()) {
      // This rank's class range, from the shard files of the checkpoint's step (written by any number of ranks).
      auto rows = load_head_range(c.output, info.step, s.config.head.num_classes(), s.shard->range());
      torch::NoGradGuard no_grad;
      s.shard->weight.copy_(rows.at("weight"));
      set_optimizer_state_rows(*s.shard_optimizer, s.shard->weight, rows, info.step);
    }
    FV_CHECK(info.num_samples == static_cast<std::int64_t>(s.train_source->size()) &&
                 info.num_classes == s.config.head.num_classes(),
             ConfigError, "{}: the checkpoint was trained on {} samples of {} classes, data.input has {} of {}",
             checkpoint.string(), info.num_samples, info.num_classes, s.train_source->size(),
             s.config.head.num_classes());
    if (info.config_hash != s.config_hash)
      log::warn("resuming {} with a different configuration (hash {} -> {})", checkpoint.string(), info.config_hash,
                s.config_hash);
    s.step = info.step;
    s.images_seen = info.images_seen;
    s.elapsed_before = info.elapsed_seconds;
    if (c.amp == AmpMode::kFp16) s.step_fn->scaler().restore(info.loss_scale, info.loss_scale_growth_tracker);
    log::info("resumed {} at step {} of {}", checkpoint.string(), s.step, s.total_steps);
  } else if (c.resume) {
    log::info("--resume: no checkpoint in {}, starting a new run", c.output);
  } else if (!c.init_from.empty()) {
    init_from_checkpoint(c.init_from, *s.backbone, *s.head);
    log::info("initialised model and head from {} (two-stage recipe)", c.init_from);
  }
  if (s.env.distributed()) {
    // As DDP: rank 0's weights everywhere, then gradients averaged in buckets during backward.
    broadcast_parameters(*s.backbone, *s.comm);
    if (!s.sharded()) broadcast_parameters(*s.head, *s.comm);
    s.bucketer = std::make_unique<GradientBucketer>(s.params, *s.comm, c.dist.bucket_mb);
    s.step_fn->set_gradient_hook([b = s.bucketer.get()] { b->finish(); });
  }
}

Trainer::~Trainer() = default;

Backbone& Trainer::backbone() { return *s_->backbone; }
ClassifierHeadImpl& Trainer::head() {
  FV_CHECK(!s_->sharded(), ConfigError, "a sharded classifier (train.classifier = sharded) has no single head");
  return *s_->head;
}
std::int64_t Trainer::step() const { return s_->step; }
std::int64_t Trainer::total_steps() const { return s_->total_steps; }
int Trainer::rank() const { return s_->env.rank; }

TrainSummary Trainer::run() {
  State& s = *s_;
  const TrainConfig& c = s.config;
  const bool main_rank = s.env.is_main();
  const bool distributed = s.env.distributed();
  std::filesystem::create_directories(c.output);
  if (s.step > 0 && s.step >= s.total_steps) {
    // --resume on a run that finished: job scripts always pass --resume, and a finished run must stay as it is.
    if (std::optional<TrainSummary> done = finished_run(c.output, s.step)) {
      log::info("{} finished at step {} of {}: nothing to do (raise train.steps to train further)", c.output, s.step,
                s.total_steps);
      done->first_step = s.step;
      done->total_steps = s.total_steps;
      return *done;
    }
    log::info("{}: all {} steps are done; writing the model file, evaluation and summary", c.output, s.step);
  }
  // Rank 0 alone writes the log, the model file and the summary; every rank trains.
  std::optional<TrainLog> journal;
  if (main_rank) journal.emplace(c.output + "/train.jsonl", s.step > 0 ? s.step : -1);
  auto record = [&](const nlohmann::json& line) {
    if (journal) journal->write(line);
  };
  // curves.png from train.jsonl: at every checkpoint before the last step, and once the run is complete.
  const CurvesPlotter curves(main_rank && c.plot, c.gnuplot, c.output, fmt::format("{}: {}", c.output, describe(c.head)));
  log::info("fv-train: {} samples, {} classes, {}; {}; {}; {} steps ({} per epoch), batch {}, device {}",
            s.train_source->size(), c.head.num_classes(), describe(c.head), backbone_kind_name(c.model.kind()),
            describe(c.schedule), s.total_steps, s.batches_per_epoch, c.batch_size, s.device.str());
  if (c.head.kind() == MarginKind::kL2Softmax && c.head.num_classes() > 2) {
    log::info("l2softmax: alpha {} (learned: {}); the paper's lower bound for {} classes at p=0.9 is {:.3f}",
              c.head.alpha(), c.head.learn_alpha(), c.head.num_classes(),
              l2softmax_alpha_lower_bound(c.head.num_classes()));
  }

  TrainSummary summary;
  summary.first_step = s.step;
  summary.total_steps = s.total_steps;
  const auto session_start = Clock::now();
  auto last_checkpoint = Clock::now();
  double lambda = lsoftmax_lambda(c.head, s.step);
  auto elapsed = [&] { return s.elapsed_before + seconds_since(session_start); };
  // Sharded: every rank writes its head shard for this step first, then rank 0 the checkpoint that names the
  // step, then the older shards go; a kill at any point leaves a checkpoint whose shards exist.
  auto write_checkpoint = [&] {
    if (s.sharded()) {
      save_head_shard(c.output, s.step, s.env.rank, s.env.world_size, c.head.num_classes(), s.shard->range(),
                      s.shard_rows());
      s.comm->barrier();
    }
    if (main_rank)
      save_checkpoint(checkpoint_path(c.output), s.info(lambda, elapsed()), *s.backbone, s.checkpoint_head(),
                      s.optimizer.get());
    if (distributed) s.comm->barrier();
    if (s.sharded() && main_rank) remove_stale_shards(c.output, s.step);
    if (s.step < s.total_steps) curves.draw();
    last_checkpoint = Clock::now();
  };
  auto validate_pairs = [&](const char* when) {
    if (c.validation.pairs.empty()) return -1.0;
    double accuracy = -1.0;
    if (main_rank) {  // the others wait at the barrier
      PairsSpec spec{c.validation.pairs, c.validation.root, c.validation.id_prefix, c.validation.id_extension,
                     c.validation.folds};
      const auto r = verify_pairs(*s.backbone, spec, s.eval_settings());
      log::info("validation ({}) at step {}: {:.2f}% +- {:.2f}% on {} pairs", when, s.step, 100 * r.accuracy,
                100 * r.accuracy_std, r.pairs);
      record(nlohmann::json{{"event", "validation"}, {"step", s.step}, {"accuracy", r.accuracy}, {"std", r.accuracy_std}});
      accuracy = r.accuracy;
    }
    if (distributed) s.comm->barrier();
    return accuracy;
  };

  s.backbone->train();
  if (s.head) s.head->train();
  Progress progress("train", static_cast<std::uint64_t>(s.total_steps - s.step) * c.batch_size, "img");
  IntervalStats interval;
  StepMetrics metrics(c.max_loss);
  // Whether to stop: a single process checks its signal flag every step; ranks must stop at the same step, so
  // they agree on it (and on a time-based checkpoint) only where they read the metrics.
  bool stop = false, time_due = false;
  // Reads the device-side metrics (the only host synchronisation of a bf16/fp32 step) and stops on a
  // diverged step. Runs before every log line and checkpoint, so a checkpoint never holds a diverged state.
  // With several ranks it is collective: means over ranks, and any rank's divergence or stop request counts.
  auto read_metrics = [&] {
    MetricTotals t = metrics.take();
    if (distributed) {
      const bool want_checkpoint =
          c.checkpoint.every_minutes > 0 && seconds_since(last_checkpoint) >= 60.0 * c.checkpoint.every_minutes;
      auto v = torch::tensor({t.mean_loss, t.mean_accuracy, t.bad_step >= 0 ? 1.0 : 0.0, stop_requested() ? 1.0 : 0.0,
                              want_checkpoint && main_rank ? 1.0 : 0.0, static_cast<double>(t.bad_step), t.bad_loss},
                             torch::TensorOptions().dtype(torch::kFloat64).device(s.device));
      auto sums = v.slice(0, 0, 2).contiguous();
      auto maxes = v.slice(0, 2, 7).contiguous();
      s.comm->allreduce_sum_(sums);
      s.comm->allreduce_max_(maxes);
      const auto host_sums = sums.cpu(), host_max = maxes.cpu();
      t.mean_loss = host_sums[0].item<double>() / s.env.world_size;
      t.mean_accuracy = host_sums[1].item<double>() / s.env.world_size;
      if (host_max[0].item<double>() > 0) {
        t.bad_step = static_cast<std::int64_t>(host_max[3].item<double>());
        t.bad_loss = host_max[4].item<double>();
      }
      stop = stop || host_max[1].item<double>() > 0;
      time_due = host_max[2].item<double>() > 0;
    }
    if (t.bad_step >= 0) {
      throw DataError(fmt::format(
          "training diverged at step {}: loss {} (lr {}, lambda {}); the last good checkpoint is {}. Lower "
          "train.lr, add train.clip_grad_norm or warm-up, then rerun with --resume",
          t.bad_step, t.bad_loss, learning_rate(c.schedule, t.bad_step), lsoftmax_lambda(c.head, t.bad_step),
          checkpoint_path(c.output).string()));
    }
    interval.add(t);
  };
  std::int64_t session_images = 0;
  auto stopping = [&] {
    if (!distributed) stop = stop || stop_requested();
    return stop;
  };
  while (s.step < s.total_steps && !stopping()) {
    s.loader->start_epoch(s.step / s.batches_per_epoch, s.step % s.batches_per_epoch);
    while (s.step < s.total_steps && !stopping()) {
      std::optional<Batch> batch = s.loader->next();
      if (!batch) break;
      const auto n = static_cast<std::int64_t>(batch->size()) * s.env.world_size;  // the global batch
      const double lr = learning_rate(c.schedule, s.step);
      for (auto& group : s.optimizer->param_groups()) group.options().set_lr(lr);
      if (s.shard_optimizer)
        for (auto& group : s.shard_optimizer->param_groups()) group.options().set_lr(lr);
      const DeviceBatch input = s.stager->stage(*batch);
      const StepResult r = s.step_fn->run(input.images, input.labels, s.step);
      lambda = r.lambda;
      metrics.add(r.loss, r.accuracy, s.step, n);
      ++s.step;
      s.images_seen += n;
      session_images += n;
      progress.advance(static_cast<std::uint64_t>(n));

      if (s.step % c.log_every_steps == 0) {
        read_metrics();
        const double dt = seconds_since(interval.start);
        summary.last_loss = interval.loss / static_cast<double>(interval.steps);
        nlohmann::json line = {{"step", s.step},
                                 {"epoch", static_cast<double>(s.step) / static_cast<double>(s.batches_per_epoch)},
                                 {"loss", summary.last_loss},
                                 {"accuracy", interval.accuracy / static_cast<double>(interval.steps)},
                                 {"lr", lr},
                                 {"lambda", lambda},
                                 {"alpha", s.head ? s.head->alpha() : 0.0},
                                 {"images_per_second", static_cast<double>(interval.images) / std::max(dt, 1e-9)},
                                 {"elapsed", elapsed()}};
        if (c.amp == AmpMode::kFp16) line["loss_scale"] = s.step_fn->scaler().value();
        record(line);
        interval.reset();
      }
      const bool step_due = c.checkpoint.every_steps > 0 && s.step % c.checkpoint.every_steps == 0;
      if (!distributed)
        time_due = c.checkpoint.every_minutes > 0 && seconds_since(last_checkpoint) >= 60.0 * c.checkpoint.every_minutes;
      if ((step_due || time_due) && s.step < s.total_steps) {
        read_metrics();
        write_checkpoint();
        time_due = false;
      }
      if (c.validation.every_steps > 0 && s.step % c.validation.every_steps == 0 && s.step < s.total_steps) {
        validate_pairs("periodic");
        s.backbone->train();
      }
    }
  }
  read_metrics();
  if (interval.steps > 0) {
    summary.last_loss = interval.loss / static_cast<double>(interval.steps);
  } else if (journal && s.step == summary.first_step) {
    summary.last_loss = last_logged_loss(journal->path());  // no step in this session: the log's last interval
  }
  summary.step = s.step;
  summary.seconds = seconds_since(session_start);
  summary.images_per_second = static_cast<double>(session_images) / std::max(summary.seconds, 1e-9);
  // A session that ran no step leaves the checkpoint as it was (its step, lambda and optimiser state are current).
  if (s.step > summary.first_step || !std::filesystem::exists(checkpoint_path(c.output))) write_checkpoint();
  if (s.step < s.total_steps) {
    summary.interrupted = true;
    progress.finish();
    log::warn("stopped at step {} of {}; checkpoint written to {}; rerun with --resume to continue", s.step,
              s.total_steps, checkpoint_path(c.output).string());
    return summary;
  }
  progress.finish();

  ModelMeta meta;
  meta.backbone = s.backbone->options();
  meta.preprocess = s.preprocess;
  meta.producer = "fv-train";
  meta.provenance = {{"loss", describe(c.head)},     {"steps", s.step},
                     {"config_hash", s.config_hash}, {"num_classes", c.head.num_classes()},
                     {"train_data", c.data.input},   {"images_seen", s.images_seen}};
  summary.model_file = model_path(c.output);
  if (main_rank) save_model_file(summary.model_file, meta, *s.backbone);

  if (s.test_source && main_rank) {
    const auto r = evaluate_classifier(*s.backbone, *s.head, *s.test_source, s.eval_settings(),
                                       std::filesystem::path(c.test_features));
    summary.test_error = r.error_rate();
    log::info("test error on {}: {:.2f}% ({} of {})", c.data.test_input, 100 * summary.test_error, r.errors,
              r.samples);
    record(nlohmann::json{{"event", "test"}, {"step", s.step}, {"error", summary.test_error}, {"samples", r.samples}});
  }
  summary.val_accuracy = validate_pairs("final");
  const nlohmann::json final_record = {{"event", "final"},
                                       {"step", s.step},
                                       {"loss", summary.last_loss},
                                       {"test_error", summary.test_error},
                                       {"val_accuracy", summary.val_accuracy},
                                       {"images_per_second", summary.images_per_second},
                                       {"train_seconds", elapsed()},
                                       {"model_file", summary.model_file.string()},
                                       {"loss_name", describe(c.head)},
                                       {"config_hash", s.config_hash}};
  record(final_record);
  if (main_rank) write_file_atomic(std::filesystem::path(c.output) / "summary.json", final_record.dump(2) + "\n");
  curves.draw();
  if (distributed) s.comm->barrier();  // nobody leaves before rank 0 has written the run's files
  return summary;
}

}  // namespace fv
