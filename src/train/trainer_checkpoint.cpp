// The trainer's checkpointing: restoring a run, writing checkpoints (with Partial FC's head shards), and
// recognising a run that already finished.
#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/check.h"
#include "core/error.h"
#include "core/logging.h"
#include "train/head_shards.h"
#include "train/trainer_state.h"

namespace fv {

void Trainer::State::restore_checkpoint() {
  const TrainConfig& c = config;
  const auto checkpoint = checkpoint_path(c.output);
  std::error_code ec;
  const bool exists = std::filesystem::exists(checkpoint, ec);
  if (exists && !c.resume) {
    throw ConfigError(fmt::format("{} exists (step {}): pass --resume to continue that run, or choose another output",
                                  checkpoint.string(), read_checkpoint_info(checkpoint).step));
  }
  if (c.resume && env.is_main()) {
    // A kill during a write leaves its temporary file (the other ranks write nothing before the broadcast).
    if (const std::size_t n = remove_stale_temporaries(c.output, /*recursive=*/false))
      log::info("removed {} temporary file(s) of an interrupted write from {}", n, c.output);
  }
  if (!exists) {
    if (c.resume) {
      log::info("--resume: no checkpoint in {}, starting a new run", c.output);
    } else if (!c.init_from.empty()) {
      init_from_checkpoint(c.init_from, *backbone, *head);
      log::info("initialised model and head from {} (two-stage recipe)", c.init_from);
    }
    return;
  }
  const std::string written_with = read_checkpoint_info(checkpoint).classifier;
  FV_CHECK(written_with == enum_name(classifier_mode_names(), c.classifier), ConfigError,
           "{} was written with train.classifier = {}; resume it with the same", checkpoint.string(), written_with);
  const CheckpointInfo saved = load_checkpoint(checkpoint, *backbone, checkpoint_head(), optimizer.get(), device);
  if (sharded()) {
    // This rank's class range, from the shard files of the checkpoint's step (written by any number of ranks).
    auto rows = load_head_range(c.output, saved.step, config.head.num_classes(), shard->range());
    torch::NoGradGuard no_grad;
    shard->weight.copy_(rows.at("weight"));
    set_optimizer_state_rows(*shard_optimizer, shard->weight, rows, saved.step);
  }
  FV_CHECK(saved.num_samples == static_cast<std::int64_t>(train_source->size()) &&
               saved.num_classes == config.head.num_classes(),
           ConfigError, "{}: the checkpoint was trained on {} samples of {} classes, data.input has {} of {}",
           checkpoint.string(), saved.num_samples, saved.num_classes, train_source->size(),
           config.head.num_classes());
  if (saved.config_hash != config_hash)
    log::warn("resuming {} with a different configuration (hash {} -> {})", checkpoint.string(), saved.config_hash,
              config_hash);
  step = saved.step;
  images_seen = saved.images_seen;
  elapsed_before = saved.elapsed_seconds;
  if (c.amp == AmpMode::kFp16) step_fn->scaler().restore(saved.loss_scale, saved.loss_scale_growth_tracker);
  log::info("resumed {} at step {} of {}", checkpoint.string(), step, total_steps);
}

CheckpointInfo Trainer::State::info() const {
  CheckpointInfo i;
  i.step = step;
  i.images_seen = images_seen;
  i.elapsed_seconds = elapsed();
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

torch::nn::Module& Trainer::State::checkpoint_head() {
  static torch::nn::Module none;
  return sharded() ? none : static_cast<torch::nn::Module&>(*head);
}

std::map<std::string, torch::Tensor> Trainer::State::shard_rows() {
  auto rows = optimizer_state_rows(*shard_optimizer, shard->weight);
  rows["weight"] = shard->weight.detach();
  return rows;
}

// Sharded: every rank writes its head shard for this step first, then rank 0 the checkpoint that names the
// step, then the older shards go; a kill at any point leaves a checkpoint whose shards exist.
void Trainer::State::write_checkpoint() {
  const TrainConfig& c = config;
  if (sharded()) {
    save_head_shard(c.output, step, env.rank, env.world_size, c.head.num_classes(), shard->range(), shard_rows());
    comm->barrier();
  }
  if (main_rank()) save_checkpoint(checkpoint_path(c.output), info(), *backbone, checkpoint_head(), optimizer.get());
  if (distributed()) comm->barrier();
  if (sharded() && main_rank()) remove_stale_shards(c.output, step);
  if (step < total_steps && curves) curves->draw();
  last_checkpoint = TrainClock::now();
}

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

}  // namespace fv
