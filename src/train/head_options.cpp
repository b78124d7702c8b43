// Margin names, HeadOptions validation, the L-Softmax lambda schedule and the L2-softmax alpha bound.
#include "train/head_options.h"

#include <fmt/format.h>

#include <cmath>

#include "core/check.h"
#include "core/error.h"
#include "core/options.h"

namespace fv {

const std::vector<std::pair<std::string, MarginKind>>& margin_kind_names() {
  static const std::vector<std::pair<std::string, MarginKind>> names = {
      {"softmax", MarginKind::kSoftmax},     {"lsoftmax", MarginKind::kLSoftmax},
      {"asoftmax", MarginKind::kASoftmax},   {"l2softmax", MarginKind::kL2Softmax},
      {"smsoftmax", MarginKind::kSMSoftmax}, {"cosface", MarginKind::kCosFace},
      {"arcface", MarginKind::kArcFace}};
  return names;
}

MarginKind parse_margin_kind(std::string_view name, std::string_view key) {
  return parse_enum(margin_kind_names(), name, key);
}

std::string margin_kind_name(MarginKind kind) { return enum_name(margin_kind_names(), kind); }

namespace {

constexpr double kPi = 3.14159265358979323846;

bool finite(double v) { return std::isfinite(v); }

}  // namespace

void validate(const HeadOptions& o) {
  const std::string kind = margin_kind_name(o.kind());
  FV_CHECK_GT(o.num_classes(), 1, ConfigError, "train.num_classes must be at least 2");
  FV_CHECK_GT(o.embedding_dim(), 0, ConfigError, "train.embedding_dim must be positive");
  switch (o.kind()) {
    case MarginKind::kLSoftmax:
    case MarginKind::kASoftmax: {
      const double m = o.m();
      FV_CHECK(finite(m) && m == std::floor(m) && m >= 1 && m <= 4, ConfigError,
               "train.m must be an integer in {{1,2,3,4}} for {} (got {})", kind, m);
      FV_CHECK(finite(o.lambda_base()) && o.lambda_base() >= 0, ConfigError,
               "train.lambda_base must be >= 0 for {} (got {})", kind, o.lambda_base());
      FV_CHECK(finite(o.lambda_gamma()) && o.lambda_gamma() >= 0, ConfigError,
               "train.lambda_gamma must be >= 0 for {} (got {})", kind, o.lambda_gamma());
      FV_CHECK(finite(o.lambda_power()) && o.lambda_power() >= 0, ConfigError,
               "train.lambda_power must be >= 0 for {} (got {})", kind, o.lambda_power());
      FV_CHECK(finite(o.lambda_min()) && o.lambda_min() >= 0, ConfigError,
               "train.lambda_min must be >= 0 for {} (got {})", kind, o.lambda_min());
      break;
    }
    case MarginKind::kSMSoftmax:
      FV_CHECK(finite(o.m()) && o.m() >= 0, ConfigError, "train.m must be a real >= 0 for smsoftmax (got {})", o.m());
      break;
    case MarginKind::kCosFace:
      FV_CHECK(finite(o.m()) && o.m() >= 0 && o.m() <= 1, ConfigError,
               "train.m must be in [0, 1] (cosine units) for cosface (got {})", o.m());
      break;
    case MarginKind::kArcFace:
      FV_CHECK(finite(o.m()) && o.m() >= 0 && o.m() <= kPi / 2, ConfigError,
               "train.m must be in [0, pi/2] (radians) for arcface (got {})", o.m());
      break;
    case MarginKind::kSoftmax:
    case MarginKind::kL2Softmax:
      break;
  }
  if (o.kind() == MarginKind::kCosFace || o.kind() == MarginKind::kArcFace) {
    FV_CHECK(finite(o.s()) && o.s() > 0, ConfigError, "train.s must be > 0 for {} (got {})", kind, o.s());
  }
  if (o.kind() == MarginKind::kL2Softmax) {
    FV_CHECK(finite(o.alpha()) && o.alpha() > 0, ConfigError, "train.alpha must be > 0 for l2softmax (got {})",
             o.alpha());
  } else {
    FV_CHECK(!o.learn_alpha(), ConfigError, "train.learn_alpha applies only to l2softmax (loss is {})", kind);
  }
  const bool bias_ok =
      o.kind() == MarginKind::kSoftmax || o.kind() == MarginKind::kL2Softmax || o.kind() == MarginKind::kSMSoftmax;
  FV_CHECK(!o.bias() || bias_ok, ConfigError,
           "train.bias is only allowed for softmax, l2softmax and smsoftmax (loss is {}: its paper defines "
           "the logits without a bias); set train.bias = false",
           kind);
  FV_CHECK(!o.easy_margin() || o.kind() == MarginKind::kArcFace, ConfigError,
           "train.easy_margin applies only to arcface (loss is {})", kind);
}

double lsoftmax_lambda(const HeadOptions& o, int64_t iteration) {
  FV_CHECK_GE(iteration, 0, ConfigError, "the iteration must be >= 0");
  const double annealed =
      o.lambda_base() * std::pow(1.0 + o.lambda_gamma() * static_cast<double>(iteration), -o.lambda_power());
  return std::max(o.lambda_min(), annealed);
}

double l2softmax_alpha_lower_bound(int64_t num_classes, double p) {
  FV_CHECK_GT(num_classes, 2, ConfigError, "the L2-softmax alpha bound needs train.num_classes > 2");
  FV_CHECK(p > 0 && p < 1, ConfigError, "the L2-softmax alpha bound needs 0 < p < 1 (got {})", p);
  return std::log(p * static_cast<double>(num_classes - 2) / (1.0 - p));
}

void bind(OptionSet& set, HeadOptions* o) {
  set.add_enum("train.loss", &o->kind(), margin_kind_names(),
               "loss: softmax, lsoftmax (Liu 2016), asoftmax (SphereFace), l2softmax (Ranjan 2017), smsoftmax "
               "(Liang 2017), cosface, arcface")
      .add("train.m", &o->m(),
           "margin: integer 1..4 (lsoftmax, asoftmax), >= 0 (smsoftmax), cosine units in [0,1] (cosface), "
           "radians in [0,pi/2] (arcface)")
      .add("train.s", &o->s(), "scale of the cosine logits (cosface, arcface)")
      .add("train.alpha", &o->alpha(), "feature norm alpha (l2softmax; initial value when learned)")
      .add("train.learn_alpha", &o->learn_alpha(), "learn alpha (l2softmax)")
      .add("train.bias", &o->bias(), "bias on the logits (softmax, l2softmax, smsoftmax only)")
      .add("train.lambda_base", &o->lambda_base(), "L-Softmax annealing: lambda = max(min, base (1+gamma it)^-power)")
      .add("train.lambda_gamma", &o->lambda_gamma(), "L-Softmax annealing gamma")
      .add("train.lambda_power", &o->lambda_power(), "L-Softmax annealing power")
      .add("train.lambda_min", &o->lambda_min(), "L-Softmax annealing floor")
      .add("train.easy_margin", &o->easy_margin(), "arcface: margin only where cos(theta) > 0");
}

std::string describe(const HeadOptions& o) {
  std::string text = fmt::format("loss={} num_classes={} embedding_dim={}", margin_kind_name(o.kind()),
                                 o.num_classes(), o.embedding_dim());
  switch (o.kind()) {
    case MarginKind::kLSoftmax:
    case MarginKind::kASoftmax:
      text += fmt::format(" m={} lambda_base={} lambda_gamma={} lambda_power={} lambda_min={}",
                          static_cast<int>(o.m()), o.lambda_base(), o.lambda_gamma(), o.lambda_power(), o.lambda_min());
      break;
    case MarginKind::kL2Softmax:
      text += fmt::format(" alpha={} learn_alpha={}", o.alpha(), o.learn_alpha());
      if (o.num_classes() > 2) text += fmt::format(" alpha_low(p=0.9)={:.4f}", l2softmax_alpha_lower_bound(o.num_classes()));
      break;
    case MarginKind::kSMSoftmax:
      text += fmt::format(" m={}", o.m());
      break;
    case MarginKind::kCosFace:
      text += fmt::format(" m={} s={}", o.m(), o.s());
      break;
    case MarginKind::kArcFace:
      text += fmt::format(" m={} s={} easy_margin={}", o.m(), o.s(), o.easy_margin());
      break;
    case MarginKind::kSoftmax:
      break;
  }
  if (o.bias()) text += " bias=true";
  return text;
}

}  // namespace fv
