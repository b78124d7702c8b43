// The table of names: each train.loss name, its MarginKind and the factory of its Margin (train/margins/).
#include <array>

#include "core/error.h"
#include "train/margins/margins.h"

namespace fv {
namespace {

struct MarginEntry {
  const char* name;
  MarginKind kind;
  std::shared_ptr<Margin> (*make)(const HeadOptions&);
};

constexpr std::array<MarginEntry, 7> kMargins = {{
    {"softmax", MarginKind::kSoftmax, make_softmax_margin},
    {"lsoftmax", MarginKind::kLSoftmax, make_lsoftmax_margin},
    {"asoftmax", MarginKind::kASoftmax, make_asoftmax_margin},
    {"l2softmax", MarginKind::kL2Softmax, make_l2softmax_margin},
    {"smsoftmax", MarginKind::kSMSoftmax, make_smsoftmax_margin},
    {"cosface", MarginKind::kCosFace, make_cosface_margin},
    {"arcface", MarginKind::kArcFace, make_arcface_margin},
}};

}  // namespace

const std::vector<std::pair<std::string, MarginKind>>& margin_kind_names() {
  static const std::vector<std::pair<std::string, MarginKind>> names = [] {
    std::vector<std::pair<std::string, MarginKind>> v;
    for (const auto& e : kMargins) v.emplace_back(e.name, e.kind);
    return v;
  }();
  return names;
}

std::shared_ptr<Margin> make_margin(const HeadOptions& o) {
  for (const auto& e : kMargins)
    if (e.kind == o.kind()) return e.make(o);
  throw ConfigError("train.loss: unknown margin kind");
}

}  // namespace fv
