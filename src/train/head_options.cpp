// Margin names, HeadOptions validation (each loss checks its own keys), the config keys and the description.
#include "train/head_options.h"

#include <fmt/format.h>

#include "core/check.h"
#include "core/error.h"
#include "core/options.h"
#include "train/margin.h"

namespace fv {

MarginKind parse_margin_kind(std::string_view name, std::string_view key) {
  return parse_enum(margin_kind_names(), name, key);
}

std::string margin_kind_name(MarginKind kind) { return enum_name(margin_kind_names(), kind); }

void validate(const HeadOptions& o) {
  FV_CHECK_GT(o.num_classes(), 1, ConfigError, "train.num_classes must be at least 2");
  FV_CHECK_GT(o.embedding_dim(), 0, ConfigError, "train.embedding_dim must be positive");
  make_margin(o);  // each loss validates its own keys
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
  text += make_margin(o)->describe();
  if (o.bias()) text += " bias=true";
  return text;
}

}  // namespace fv
