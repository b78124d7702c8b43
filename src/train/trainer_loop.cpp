// The trainer's step loop: batches through TrainStep, the LR schedule, the metrics read at log lines and
// checkpoints, periodic validation, and the end of a run (model file, test error, summary.json).
#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/progress.h"
#include "core/runtime.h"
#include "train/trainer_state.h"

namespace fv {

TrainSummary Trainer::run() {
  State& s = *s_;
  const TrainConfig& c = s.config;
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
  if (s.main_rank()) s.journal.emplace(c.output + "/train.jsonl", s.step > 0 ? s.step : -1);
  if (s.validator && s.step > 0) s.restore_validation();
  // curves.png from train.jsonl: at every checkpoint and validation before the last step, and once at the end.
  s.curves.emplace(s.main_rank() && c.plot, c.gnuplot, c.output, fmt::format("{}: {}", c.output, describe(c.head)));
  log::info("fv-train: {} samples, {} classes, {}; {}; {}; {} steps ({} per epoch), batch {}, device {}",
            s.train_source->size(), c.head.num_classes(), describe(c.head), backbone_kind_name(c.model.kind()),
            describe(c.schedule), s.total_steps, s.batches_per_epoch, c.batch_size, s.device.str());
  s.summary.first_step = s.step;
  s.summary.total_steps = s.total_steps;
  s.session_start = s.last_checkpoint = TrainClock::now();
  s.lambda = s.margin->lambda(s.step);
  s.metrics = std::make_unique<StepMetrics>(c.max_loss);
  s.backbone->train();
  if (s.head) s.head->train();
  Progress progress("train", static_cast<std::uint64_t>(s.total_steps - s.step) * c.batch_size, "img");
  std::int64_t session_images = 0;
  while (s.step < s.total_steps && !s.stopping()) {
    s.loader->start_epoch(s.step / s.batches_per_epoch, s.step % s.batches_per_epoch);
    while (s.step < s.total_steps && !s.stopping()) {
      std::optional<Batch> batch = s.loader->next();
      if (!batch) break;
      const std::int64_t n = s.train_step(*batch);
      session_images += n;
      progress.advance(static_cast<std::uint64_t>(n));
      s.after_step();
    }
  }
  s.read_metrics();
  TrainSummary& summary = s.summary;
  if (s.interval.steps > 0) {
    summary.last_loss = s.interval.loss / static_cast<double>(s.interval.steps);
  } else if (s.journal && s.step == summary.first_step) {
    summary.last_loss = last_logged_loss(s.journal->path());  // no step in this session: the log's last interval
  }
  summary.step = s.step;
  summary.seconds = seconds_since(s.session_start);
  summary.images_per_second = static_cast<double>(session_images) / std::max(summary.seconds, 1e-9);
  // A session that ran no step leaves the checkpoint as it was (its step, lambda and optimiser state are current).
  if (s.step > summary.first_step || !std::filesystem::exists(checkpoint_path(c.output))) s.write_checkpoint();
  progress.finish();
  if (s.step < s.total_steps) {
    summary.interrupted = true;
    log::warn("stopped at step {} of {}; checkpoint written to {}; rerun with --resume to continue", s.step,
              s.total_steps, checkpoint_path(c.output).string());
    return summary;
  }
  s.finish();
  return summary;
}

std::int64_t Trainer::State::train_step(Batch& batch) {
  const auto n = static_cast<std::int64_t>(batch.size()) * env.world_size;  // the global batch
  last_lr = learning_rate(config.schedule, step);
  for (auto* o : {optimizer.get(), shard_optimizer.get()})
    if (o)
      for (auto& group : o->param_groups()) group.options().set_lr(last_lr);
  const DeviceBatch input = stager->stage(batch);
  const StepResult r = step_fn->run(input.images, input.labels, step);
  lambda = r.lambda;
  metrics->add(r.loss, r.accuracy, step, n);
  ++step;
  images_seen += n;
  return n;
}

// The log line, checkpoint and validation due after a step.
void Trainer::State::after_step() {
  const TrainConfig& c = config;
  if (step % c.log_every_steps == 0) log_interval(last_lr);
  const bool step_due = c.checkpoint.every_steps > 0 && step % c.checkpoint.every_steps == 0;
  if (!distributed())
    time_due = c.checkpoint.every_minutes > 0 && seconds_since(last_checkpoint) >= 60.0 * c.checkpoint.every_minutes;
  if ((step_due || time_due) && step < total_steps) {
    read_metrics();
    write_checkpoint();
    time_due = false;
  }
  if (c.validation.every_steps > 0 && step % c.validation.every_steps == 0 && step < total_steps) {
    run_validation("periodic");
    backbone->train();
  }
}

bool Trainer::State::stopping() {
  if (!distributed()) stop = stop || stop_requested();
  return stop;
}

// Reads the device-side metrics (the only host synchronisation of a bf16/fp32 step) and stops on a diverged step.
// Runs before every log line and checkpoint, so a checkpoint never holds a diverged state. With several ranks it is
// collective: means over ranks, and any rank's divergence or stop request counts.
void Trainer::State::read_metrics() {
  const TrainConfig& c = config;
  MetricTotals t = metrics->take();
  if (distributed()) {
    const bool want_checkpoint =
        c.checkpoint.every_minutes > 0 && seconds_since(last_checkpoint) >= 60.0 * c.checkpoint.every_minutes;
    auto v = torch::tensor({t.mean_loss, t.mean_accuracy, t.bad_step >= 0 ? 1.0 : 0.0, stop_requested() ? 1.0 : 0.0,
                            want_checkpoint && main_rank() ? 1.0 : 0.0, static_cast<double>(t.bad_step), t.bad_loss},
                           torch::TensorOptions().dtype(torch::kFloat64).device(device));
    auto sums = v.slice(0, 0, 2).contiguous();
    auto maxes = v.slice(0, 2, 7).contiguous();
    comm->allreduce_sum_(sums);
    comm->allreduce_max_(maxes);
    const auto host_sums = sums.cpu(), host_max = maxes.cpu();
    t.mean_loss = host_sums[0].item<double>() / env.world_size;
    t.mean_accuracy = host_sums[1].item<double>() / env.world_size;
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
        t.bad_step, t.bad_loss, learning_rate(c.schedule, t.bad_step), margin->lambda(t.bad_step),
        checkpoint_path(c.output).string()));
  }
  interval.add(t);
}

void Trainer::State::log_interval(double lr) {
  read_metrics();
  const double dt = seconds_since(interval.start);
  summary.last_loss = interval.loss / static_cast<double>(interval.steps);
  nlohmann::json line = {{"step", step},
                         {"epoch", static_cast<double>(step) / static_cast<double>(batches_per_epoch)},
                         {"loss", summary.last_loss},
                         {"accuracy", interval.accuracy / static_cast<double>(interval.steps)},
                         {"lr", lr},
                         {"lambda", lambda},
                         {"alpha", head ? head->alpha() : 0.0},
                         {"images_per_second", static_cast<double>(interval.images) / std::max(dt, 1e-9)},
                         {"elapsed", elapsed()}};
  if (config.amp == AmpMode::kFp16) line["loss_scale"] = step_fn->scaler().value();
  record(line);
  interval.reset();
}

void Trainer::State::finish() {
  const TrainConfig& c = config;
  summary.model_file = model_path(c.output);
  if (main_rank()) save_model_file(summary.model_file, model_meta(), *backbone);
  if (test_source && main_rank()) {
    const auto r = evaluate_classifier(*backbone, *head, *test_source, eval_settings(),
                                       std::filesystem::path(c.test_features));
    summary.test_error = r.error_rate();
    log::info("test error on {}: {:.2f}% ({} of {})", c.data.test_input, 100 * summary.test_error, r.errors,
              r.samples);
    record(nlohmann::json{{"event", "test"},
                          {"step", step},
                          {"error", summary.test_error},
                          {"samples", r.samples},
                          {"logit_gap", {{"p10", r.gap_p10}, {"median", r.gap_median}, {"p90", r.gap_p90}}},
                          {"feature_norm_median", r.feature_norm_median}});
  }
  summary.val_accuracy = run_validation("final");
  nlohmann::json final_record = {{"event", "final"},
                                 {"step", step},
                                 {"loss", summary.last_loss},
                                 {"test_error", summary.test_error},
                                 {"val_accuracy", summary.val_accuracy},
                                 {"images_per_second", summary.images_per_second},
                                 {"train_seconds", elapsed()},
                                 {"model_file", summary.model_file.string()},
                                 {"loss_name", describe(c.head)},
                                 {"config_hash", config_hash}};
  for (const auto& [set, r] : last_validation)
    final_record["validation"][set] = {{"accuracy", r.accuracy}, {"std", r.accuracy_std}, {"threshold", r.threshold},
                                       {"best", r.best}};
  if (best.step >= 0) {
    final_record["best"] = {{"set", best.set}, {"accuracy", best.accuracy}, {"step", best.step},
                            {"model_file", best_model_path(c.output).string()}};
  }
  record(final_record);
  if (main_rank()) write_file_atomic(std::filesystem::path(c.output) / "summary.json", final_record.dump(2) + "\n");
  if (curves) curves->draw();
  if (distributed()) comm->barrier();  // nobody leaves before rank 0 has written the run's files
}

}  // namespace fv
