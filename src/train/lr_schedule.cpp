// Learning-rate schedules (see lr_schedule.h for the formulas).
#include "train/lr_schedule.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace fv {

const EnumNames<LrScheduleKind>& lr_schedule_kind_names() {
  static const EnumNames<LrScheduleKind> names{{"constant", LrScheduleKind::kConstant},
                                               {"step", LrScheduleKind::kStep},
                                               {"multistep", LrScheduleKind::kMultiStep},
                                               {"poly", LrScheduleKind::kPoly}};
  return names;
}

void validate(const LrScheduleOptions& o) {
  FV_CHECK(o.lr > 0 && std::isfinite(o.lr), ConfigError, "train.lr must be positive (got {})", o.lr);
  FV_CHECK(o.gamma > 0 && o.gamma <= 1, ConfigError, "train.lr_gamma must be in (0, 1] (got {})", o.gamma);
  FV_CHECK(o.warmup_steps >= 0, ConfigError, "train.warmup_steps must not be negative");
  FV_CHECK(o.warmup_start >= 0 && o.warmup_start <= 1, ConfigError, "train.warmup_start must be in [0, 1]");
  if (o.kind == LrScheduleKind::kStep)
    FV_CHECK(o.step_size > 0, ConfigError, "train.lr_step_size must be positive for the step schedule");
  if (o.kind == LrScheduleKind::kMultiStep) {
    for (size_t i = 0; i < o.milestones.size(); ++i) {
      FV_CHECK(o.milestones[i] > 0, ConfigError, "train.lr_milestones must be positive steps (got {})",
               o.milestones[i]);
      FV_CHECK(i == 0 || o.milestones[i] > o.milestones[i - 1], ConfigError,
               "train.lr_milestones must increase (got {})", fmt::join(o.milestones, " "));
    }
  }
  if (o.kind == LrScheduleKind::kPoly) {
    FV_CHECK(o.power > 0, ConfigError, "train.lr_power must be positive (got {})", o.power);
    FV_CHECK(o.total_steps > o.warmup_steps, ConfigError,
             "the poly schedule needs train.steps (or epochs) beyond train.warmup_steps ({} <= {})", o.total_steps,
             o.warmup_steps);
  }
}

double learning_rate(const LrScheduleOptions& o, std::int64_t step) {
  step = std::max<std::int64_t>(step, 0);
  double lr = o.lr;
  switch (o.kind) {
    case LrScheduleKind::kConstant:
      break;
    case LrScheduleKind::kStep:
      lr *= std::pow(o.gamma, static_cast<double>(step / o.step_size));
      break;
    case LrScheduleKind::kMultiStep: {
      const auto passed = std::count_if(o.milestones.begin(), o.milestones.end(),
                                        [step](std::int64_t m) { return m <= step; });
      lr *= std::pow(o.gamma, static_cast<double>(passed));
      break;
    }
    case LrScheduleKind::kPoly: {
      const double span = static_cast<double>(o.total_steps - o.warmup_steps);
      const double done = std::clamp(static_cast<double>(step - o.warmup_steps) / span, 0.0, 1.0);
      lr *= std::pow(1.0 - done, o.power);
      break;
    }
  }
  if (step < o.warmup_steps) {
    lr *= o.warmup_start + (1.0 - o.warmup_start) * static_cast<double>(step) / static_cast<double>(o.warmup_steps);
  }
  return lr;
}

std::string describe(const LrScheduleOptions& o) {
  std::string s = fmt::format("lr {} {}", o.lr, enum_name(lr_schedule_kind_names(), o.kind));
  switch (o.kind) {
    case LrScheduleKind::kConstant:
      break;
    case LrScheduleKind::kStep:
      s += fmt::format(" (x{} every {} steps)", o.gamma, o.step_size);
      break;
    case LrScheduleKind::kMultiStep:
      s += fmt::format(" (x{} at {})", o.gamma, fmt::join(o.milestones, ", "));
      break;
    case LrScheduleKind::kPoly:
      s += fmt::format(" (power {} to step {})", o.power, o.total_steps);
      break;
  }
  if (o.warmup_steps > 0) s += fmt::format(", warm-up {} steps from {} x lr", o.warmup_steps, o.warmup_start);
  return s;
}

}  // namespace fv
