// Learning-rate schedules: constant, step, multi-step and polynomial decay, each with an optional linear
// warm-up. A pure function of the step, so a resumed run gets exactly the rates an uninterrupted one would.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/options.h"

namespace fv {

enum class LrScheduleKind {
  kConstant,   // lr
  kStep,       // lr * gamma^floor(step / step_size)            (Caffe "step")
  kMultiStep,  // lr * gamma^(number of milestones <= step)     (Caffe "multistep"; the seed papers' recipes)
  kPoly,       // lr * (1 - step / total_steps)^power            (insightface's PolyScheduler, power 2)
};
const EnumNames<LrScheduleKind>& lr_schedule_kind_names();

struct LrScheduleOptions {
  LrScheduleKind kind = LrScheduleKind::kMultiStep;
  double lr = 0.1;
  double gamma = 0.1;                  // step, multistep
  std::int64_t step_size = 10000;      // step
  std::vector<std::int64_t> milestones;  // multistep, increasing
  double power = 2.0;                  // poly
  std::int64_t warmup_steps = 0;       // linear ramp from warmup_start * lr to the schedule's value
  double warmup_start = 0.0;
  std::int64_t total_steps = 0;        // poly (decays to 0 at total_steps); also bounds the milestones
};

// Throws ConfigError naming the key (train.lr, train.lr_gamma, train.lr_step_size, train.lr_milestones,
// train.lr_power, train.warmup_steps, train.warmup_start).
void validate(const LrScheduleOptions& options);

// The learning rate for optimisation step `step` (0-based). Warm-up multiplies the schedule's value by
// warmup_start + (1 - warmup_start) * step / warmup_steps while step < warmup_steps (insightface's
// PolyScheduler warms up the same way; the poly decay is then measured from the end of the warm-up).
double learning_rate(const LrScheduleOptions& options, std::int64_t step);

// One line for logs.
std::string describe(const LrScheduleOptions& options);

}  // namespace fv
