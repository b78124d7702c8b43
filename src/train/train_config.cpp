// Binding and validation of fv-train's configuration.
#include "train/train_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/check.h"
#include "core/list_values.h"

namespace fv {
namespace {

const EnumNames<DeviceKind>& device_names() {
  static const EnumNames<DeviceKind> names{
      {"auto", DeviceKind::kAuto}, {"cpu", DeviceKind::kCpu}, {"cuda", DeviceKind::kCuda}};
  return names;
}

std::array<float, 3> per_channel(const std::vector<std::string>& values, const char* key) {
  FV_CHECK(values.size() == 1 || values.size() == 3, ConfigError, "{} takes 1 or 3 values (got {})", key,
           values.size());
  std::array<float, 3> out{};
  for (size_t c = 0; c < 3; ++c) out[c] = parse_value<float>(key, values[values.size() == 1 ? 0 : c]);
  return out;
}

}  // namespace

const EnumNames<DataKind>& data_kind_names() {
  static const EnumNames<DataKind> names{{"auto", DataKind::kAuto},
                                         {"folder", DataKind::kFolder},
                                         {"list", DataKind::kList},
                                         {"mnist", DataKind::kMnist},
                                         {"recordio", DataKind::kRecordIO}};
  return names;
}

const EnumNames<OptimizerKind>& optimizer_kind_names() {
  static const EnumNames<OptimizerKind> names{{"sgd", OptimizerKind::kSgd}, {"adamw", OptimizerKind::kAdamW}};
  return names;
}

const EnumNames<AmpMode>& amp_mode_names() {
  static const EnumNames<AmpMode> names{{"off", AmpMode::kOff}, {"bf16", AmpMode::kBf16}, {"fp16", AmpMode::kFp16}};
  return names;
}

const EnumNames<ClassifierMode>& classifier_mode_names() {
  static const EnumNames<ClassifierMode> names{{"full", ClassifierMode::kFull}, {"sharded", ClassifierMode::kSharded}};
  return names;
}

void TrainConfig::bind(OptionSet& o) {
  o.add("threads", &threads, "LibTorch and decoding threads (0 = all available cores)")
      .add_enum("device", &device, device_names(), "auto (CUDA when available), cpu or cuda")
      .add("output", &output, "run folder (checkpoint.fvc, model.fvm, train.jsonl, config.ini)")
      .add("resume", &resume, "continue the run in `output` from its checkpoint")
      .add("init_from", &init_from,
           "two-stage recipe: initialise model and head from this checkpoint (step 0, fresh optimiser)")
      .add("seed", &seed, "seed of the weights, the shuffling and the augmentation");
  o.add("data.input", &data.input, "training set: image folder, list file, .rec (RecordIO) or MNIST images file")
      .add_enum("data.kind", &data.kind, data_kind_names(), "how to read data.input and data.test_input")
      .add("data.labels", &data.labels, "MNIST labels file for data.input")
      .add("data.test_input", &data.test_input, "optional held-out set: test error of the classifier at the end")
      .add("data.test_labels", &data.test_labels, "MNIST labels file for data.test_input")
      .add("data.test_limit", &data.test_limit, "evaluate only the first N test samples (0 = all)")
      .add("data.mean", &data.mean, "input = (pixel - mean) / std; 1 or 3 values")
      .add("data.std", &data.std, "see data.mean")
      .add("data.flip", &data.flip, "random horizontal flip")
      .add("data.crop_padding", &data.crop_padding, "random translation by up to this many pixels")
      .add("data.loader_threads", &data.loader_threads, "decoding threads (0 = threads)")
      .add("data.prefetch", &data.prefetch, "batches decoded ahead of the model");
  fv::bind(o, &model);
  fv::bind(o, &head);
  o.add_enum("train.optimizer", &optimizer.kind, optimizer_kind_names(), "sgd (momentum) or adamw")
      .add("train.momentum", &optimizer.momentum, "SGD momentum")
      .add("train.weight_decay", &optimizer.weight_decay, "weight decay (L2 for SGD, decoupled for AdamW)")
      .add("train.nesterov", &optimizer.nesterov, "SGD Nesterov momentum")
      .add("train.beta1", &optimizer.beta1, "AdamW beta1")
      .add("train.beta2", &optimizer.beta2, "AdamW beta2")
      .add("train.eps", &optimizer.eps, "AdamW epsilon")
      .add("train.clip_grad_norm", &optimizer.clip_grad_norm, "clip the global gradient L2 norm (0 = off)")
      .add_enum("train.lr_schedule", &schedule.kind, lr_schedule_kind_names(), "constant, step, multistep or poly")
      .add("train.lr", &schedule.lr, "base learning rate")
      .add("train.lr_gamma", &schedule.gamma, "step / multistep decay factor")
      .add("train.lr_step_size", &schedule.step_size, "step schedule: steps between decays")
      .add("train.lr_milestones", &milestones, "multistep schedule: steps at which lr *= gamma")
      .add("train.lr_power", &schedule.power, "poly schedule power")
      .add("train.warmup_steps", &schedule.warmup_steps, "linear warm-up steps")
      .add("train.warmup_start", &schedule.warmup_start, "warm-up starts at this fraction of the lr")
      .add("train.steps", &steps, "optimisation steps (0: use train.epochs)")
      .add("train.epochs", &epochs, "epochs when train.steps = 0")
      .add("train.batch_size", &batch_size, "images per step over all ranks (each takes batch_size / WORLD_SIZE)")
      .add_enum("train.classifier", &classifier, classifier_mode_names(),
                "full (replicated ClassifierHead, every loss) or sharded (Partial FC across ranks)")
      .add("train.sample_rate", &sample_rate, "sharded classifier: fraction of each shard's classes per step, (0, 1]")
      .add_enum("train.amp", &amp, amp_mode_names(), "mixed precision: off, bf16 (CUDA or CPU autocast) or fp16 (CUDA, with loss scaling)")
      .add_enum("train.memory_format", &memory_format, memory_format_names(),
                "auto (channels_last on CUDA, contiguous on CPU), contiguous or channels_last")
      .add("train.cudnn_benchmark", &cudnn_benchmark, "CUDA: let cuDNN pick the fastest convolution algorithms")
      .add("train.max_loss", &max_loss, "stop when the loss is NaN, infinite or above this")
      .add("train.log_every", &log_every_steps, "steps between train.jsonl lines")
      .add("train.test_features", &test_features, "write test-set features to this CSV (label,f0,f1,...)")
      .add("train.plot", &plot,
           "draw curves.png (loss, accuracy, lr, lambda against step) at checkpoints and at the end; needs gnuplot "
           "(a warning without it)")
      .add("train.gnuplot", &gnuplot, "gnuplot program for train.plot (name in PATH or path)");
  o.add("dist.bucket_mb", &dist.bucket_mb, "data parallelism: gradient all-reduce bucket size in MB")
      .add("dist.timeout_minutes", &dist.timeout_minutes, "data parallelism: rendezvous and collective timeout");
  o.add("checkpoint.every_steps", &checkpoint.every_steps, "checkpoint every N steps (0 = off)")
      .add("checkpoint.every_minutes", &checkpoint.every_minutes, "checkpoint every N minutes (0 = off)");
  o.add("val.pairs", &validation.pairs, "optional LFW-style pairs.txt verified during training")
      .add("val.root", &validation.root, "folder of the pair images")
      .add("val.id_prefix", &validation.id_prefix, "image id = prefix + Name/Name_%04d + extension")
      .add("val.id_extension", &validation.id_extension, "see val.id_prefix")
      .add("val.bin", &validation.bins,
           "insightface .bin verification sets (comma-separated or repeated), each named by its file stem")
      .add("val.every_steps", &validation.every_steps, "verify every N steps (0 = only at the end)")
      .add("val.folds", &validation.folds, "folds of val.pairs when the file has none (.bin: 10, as insightface)")
      .add("train.keep_best", &validation.keep_best,
           "keep model.best.fvm for the highest validation accuracy on this set (\"pairs\" or a val.bin stem)");
}

void TrainConfig::finalize() {
  FV_CHECK(!output.empty(), ConfigError, "output (the run folder) is required");
  FV_CHECK(!data.input.empty(), ConfigError, "data.input (the training set) is required");
  FV_CHECK_GE(threads, 0, ConfigError, "threads must not be negative");
  FV_CHECK(!(resume && !init_from.empty()), ConfigError, "resume and init_from exclude each other");
  FV_CHECK_GT(batch_size, 0, ConfigError, "train.batch_size must be positive");
  FV_CHECK(steps > 0 || epochs > 0, ConfigError, "give train.steps or train.epochs");
  FV_CHECK(steps >= 0 && epochs >= 0, ConfigError, "train.steps and train.epochs must not be negative");
  FV_CHECK(data.test_limit >= 0, ConfigError, "data.test_limit must not be negative");
  FV_CHECK(data.crop_padding >= 0, ConfigError, "data.crop_padding must not be negative");
  FV_CHECK(data.loader_threads >= 0 && data.prefetch > 0, ConfigError,
           "data.loader_threads must be >= 0 and data.prefetch > 0");
  for (const auto& s : per_channel(data.std, "data.std"))
    FV_CHECK(s > 0, ConfigError, "data.std must be positive (got {})", s);
  per_channel(data.mean, "data.mean");
  FV_CHECK(optimizer.momentum >= 0 && optimizer.momentum < 1, ConfigError, "train.momentum must be in [0, 1)");
  FV_CHECK(optimizer.weight_decay >= 0, ConfigError, "train.weight_decay must not be negative");
  FV_CHECK(optimizer.clip_grad_norm >= 0, ConfigError, "train.clip_grad_norm must not be negative");
  FV_CHECK(optimizer.beta1 >= 0 && optimizer.beta1 < 1 && optimizer.beta2 >= 0 && optimizer.beta2 < 1, ConfigError,
           "train.beta1 and train.beta2 must be in [0, 1)");
  FV_CHECK(max_loss > 0, ConfigError, "train.max_loss must be positive");
  FV_CHECK_GT(log_every_steps, 0, ConfigError, "train.log_every must be positive");
  FV_CHECK(sample_rate > 0 && sample_rate <= 1, ConfigError, "train.sample_rate must lie in (0, 1] (got {})", sample_rate);
  FV_CHECK(sample_rate == 1 || classifier == ClassifierMode::kSharded, ConfigError,
           "train.sample_rate < 1 needs train.classifier = sharded");
  FV_CHECK(classifier == ClassifierMode::kFull || (data.test_input.empty() && init_from.empty()), ConfigError,
           "data.test_input and init_from need train.classifier = full (a sharded classifier has no single head)");
  FV_CHECK(dist.bucket_mb > 0 && dist.timeout_minutes > 0, ConfigError,
           "dist.bucket_mb and dist.timeout_minutes must be positive");
  FV_CHECK(checkpoint.every_steps >= 0 && checkpoint.every_minutes >= 0, ConfigError,
           "checkpoint.every_steps and checkpoint.every_minutes must not be negative");
  FV_CHECK(validation.pairs.empty() || !validation.root.empty(), ConfigError, "val.pairs needs val.root");
  FV_CHECK(validation.every_steps >= 0 && validation.folds >= 2, ConfigError,
           "val.every_steps must be >= 0 and val.folds >= 2");
  FV_CHECK(amp != AmpMode::kFp16 || device != DeviceKind::kCpu, ConfigError,
           "train.amp fp16 needs a CUDA device (bf16 runs on the CPU too)");
  schedule.milestones.clear();
  for (const auto& m : split_commas(milestones))
    schedule.milestones.push_back(parse_value<std::int64_t>("train.lr_milestones", m));
  validation.bins = split_commas(validation.bins);
  std::vector<std::string> sets;
  if (!validation.pairs.empty()) sets.push_back("pairs");
  for (const auto& bin : validation.bins) {
    const std::string name = std::filesystem::path(bin).stem().string();
    FV_CHECK(std::find(sets.begin(), sets.end(), name) == sets.end(), ConfigError,
             "val.bin: two validation sets are named '{}' (sets are named by their file stem)", name);
    sets.push_back(name);
  }
  FV_CHECK(validation.keep_best.empty() || std::find(sets.begin(), sets.end(), validation.keep_best) != sets.end(),
           ConfigError, "train.keep_best = {} names no validation set (the sets are: {})", validation.keep_best,
           sets.empty() ? std::string("none; give val.bin or val.pairs") : join_names(sets, ", "));
  model = resolve(model);
  head.embedding_dim(model.embedding_dim());
}

PreprocessOptions TrainConfig::preprocess() const {
  PreprocessOptions p;
  p.width = static_cast<int>(model.input_width());
  p.height = static_cast<int>(model.input_height());
  p.channels = static_cast<int>(model.in_channels());
  p.mean = per_channel(data.mean, "data.mean");
  p.std = per_channel(data.std, "data.std");
  return p;
}

AugmentOptions TrainConfig::augment() const {
  AugmentOptions a;
  a.flip = data.flip;
  a.crop_padding = data.crop_padding;
  return a;
}

}  // namespace fv
