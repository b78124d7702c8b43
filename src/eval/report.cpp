// report.json / roc.csv / summary.md writers and the report reader used by `fv-eval compare`.
#include "eval/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"

namespace fv::eval {
namespace {

using nlohmann::json;

json number(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

json numbers(const std::vector<double>& v) {
  json a = json::array();
  for (double x : v) a.push_back(number(x));
  return a;
}

json tar_json(const TarAtFar& t) { return {{"tar", number(t.tar)}, {"far", number(t.far)}, {"threshold", number(t.threshold)}}; }

double get_number(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nan("");
  return j.at(key).get<double>();
}

std::string fmt_or_dash(double x, const char* spec) {
  return std::isfinite(x) ? fmt::format(fmt::runtime(spec), x) : std::string("-");
}

}  // namespace

std::string report_json(const EvalReport& r) {
  const VerificationResult& v = r.result;
  json j;
  j["format"] = "fv-eval-report";
  j["version"] = 1;
  j["name"] = r.name;
  j["protocol"] = r.protocol;
  j["pairs_file"] = r.pairs_file;
  j["embeddings_file"] = r.embeddings_file;
  j["model_hash"] = r.model_hash;
  j["embeddings_config_hash"] = r.embeddings_config_hash;
  j["eval_config_hash"] = r.eval_config_hash;
  j["created"] = r.created;
  j["pairs"] = v.pairs;
  j["positives"] = v.positives;
  j["negatives"] = v.negatives;
  j["score"] = "cosine similarity of L2-normalised embeddings (higher = same)";
  j["auc"] = number(v.auc);
  j["eer"] = number(v.eer);
  if (v.kfold) {
    const protocol::KFoldResult& k = *v.kfold;
    j["accuracy"] = {{"mean", number(k.accuracy_mean)},
                     {"std", number(k.accuracy_std)},
                     {"folds", numbers(k.fold_accuracy)},
                     {"thresholds", numbers(k.fold_threshold)},
                     {"threshold_mode", r.threshold_mode},
                     {"distance", "squared L2 between L2-normalised embeddings; same if distance < threshold"}};
    j["val"] = {{"far_target", r.val_far},        {"val_mean", number(k.val_mean)},
                {"val_std", number(k.val_std)},   {"far_mean", number(k.far_mean)},
                {"folds_val", numbers(k.fold_val)}, {"folds_far", numbers(k.fold_far)}};
  } else {
    j["accuracy"] = nullptr;
    j["val"] = nullptr;
  }
  json tars = json::array();
  for (std::size_t i = 0; i < v.tar_strict.size(); ++i) {
    tars.push_back({{"far_target", v.tar_strict[i].target_far},
                    {"strict", tar_json(v.tar_strict[i])},
                    {"insightface", tar_json(v.tar_insightface[i])}});
  }
  j["tar_at_far"] = tars;
  json extra = json::object();
  for (const auto& [k, x] : r.extra) extra[k] = number(x);
  j["extra"] = extra;
  j["roc_csv"] = "roc.csv";
  return j.dump(2) + "\n";
}

std::vector<RocPoint> roc_points_for_csv(const Roc& roc, int max_points) {
  const auto& p = roc.points;
  if (static_cast<int>(p.size()) <= max_points) return p;
  std::vector<std::size_t> keep = {0, p.size() - 1};
  std::size_t j = 0;
  for (int level = 0; level < max_points; ++level) {
    const double far = std::pow(10.0, -8.0 + 8.0 * level / (max_points - 1));
    while (j + 1 < p.size() && p[j + 1].far <= far) ++j;
    keep.push_back(j);
  }
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  std::vector<RocPoint> out;
  for (std::size_t k : keep) out.push_back(p[k]);
  return out;
}

std::string roc_csv(const std::vector<RocPoint>& points) {
  std::string s = "threshold,far,tar\n";
  for (const auto& p : points) {
    s += fmt::format("{},{:.17g},{:.17g}\n", std::isfinite(p.threshold) ? fmt::format("{:.17g}", p.threshold) : "inf",
                     p.far, p.tar);
  }
  return s;
}

std::string headline(const EvalReport& r) {
  const VerificationResult& v = r.result;
  std::string s = fmt::format("{} [{}] {} pairs:", r.name, r.protocol, v.pairs);
  if (v.kfold) s += fmt::format(" accuracy {:.4f} +- {:.4f},", v.kfold->accuracy_mean, v.kfold->accuracy_std);
  s += fmt::format(" AUC {:.4f}, EER {:.4f}", v.auc, v.eer);
  for (const auto& t : v.tar_strict) {
    if (t.target_far >= 1e-4) s += fmt::format(", TAR@FAR={:g} {:.4f}", t.target_far, t.tar);
  }
  return s;
}

std::string summary_markdown(const EvalReport& r) {
  const VerificationResult& v = r.result;
  std::string s = fmt::format("# fv-eval: {} ({})\n\n", r.name, r.protocol);
  s += fmt::format("- embeddings: `{}` (model {}, embed config {})\n", r.embeddings_file, r.model_hash,
                   r.embeddings_config_hash);
  s += fmt::format("- protocol file: `{}`\n- eval config hash: {}\n- created: {}\n\n", r.pairs_file,
                   r.eval_config_hash, r.created);
  s += "| pairs | same | different | accuracy | AUC | EER | VAL@FAR |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  const std::string acc = v.kfold ? fmt::format("{:.4f} +- {:.4f}", v.kfold->accuracy_mean, v.kfold->accuracy_std) : "-";
  const std::string val = v.kfold ? fmt::format("{} +- {} @ {:g}", fmt_or_dash(v.kfold->val_mean, "{:.4f}"),
                                                fmt_or_dash(v.kfold->val_std, "{:.4f}"), r.val_far)
                                  : "-";
  s += fmt::format("| {} | {} | {} | {} | {:.4f} | {:.4f} | {} |\n\n", v.pairs, v.positives, v.negatives, acc, v.auc,
                   v.eer, val);
  s += "TAR@FAR. *strict*: the highest TAR whose FAR does not exceed the target (actual FAR shown). "
       "*insightface*: the ROC point nearest the target FAR (IJB-B/C scripts), which may lie above it.\n\n";
  s += "| target FAR | strict TAR | strict FAR | strict threshold | insightface TAR | insightface FAR |\n"
       "| ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (std::size_t i = 0; i < v.tar_strict.size(); ++i) {
    const auto& a = v.tar_strict[i];
    const auto& b = v.tar_insightface[i];
    s += fmt::format("| {:g} | {:.4f} | {:.3g} | {} | {:.4f} | {:.3g} |\n", a.target_far, a.tar, a.far,
                     fmt_or_dash(a.threshold, "{:.4f}"), b.tar, b.far);
  }
  for (const auto& [k, x] : r.extra) s += fmt::format("\n- {}: {}", k, fmt_or_dash(x, "{:.10g}"));
  if (!r.extra.empty()) s += "\n";
  s += "\n![ROC](roc.png)\n";
  return s;
}

ReportSummary read_report(const std::filesystem::path& file) {
  const std::string text = read_file(file);
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    throw FormatError(fmt::format("'{}' is not JSON: {}", file.string(), e.what()));
  }
  if (!j.is_object() || j.value("format", "") != "fv-eval-report") {
    throw FormatError(fmt::format("'{}' is not an fv-eval report (no \"format\": \"fv-eval-report\")", file.string()));
  }
  if (j.value("version", 0) != 1) {
    throw FormatError(fmt::format("'{}': unknown fv-eval report version {}", file.string(), j.value("version", 0)));
  }
  try {
    ReportSummary s;
    s.file = file;
    s.name = j.at("name").get<std::string>();
    s.protocol = j.at("protocol").get<std::string>();
    s.model_hash = j.at("model_hash").get<std::string>();
    s.pairs = j.at("pairs").get<long long>();
    s.auc = get_number(j, "auc");
    s.eer = get_number(j, "eer");
    s.accuracy_mean = s.accuracy_std = std::nan("");
    if (j.contains("accuracy") && j.at("accuracy").is_object()) {
      s.accuracy_mean = get_number(j.at("accuracy"), "mean");
      s.accuracy_std = get_number(j.at("accuracy"), "std");
    }
    for (const auto& t : j.at("tar_at_far")) {
      s.tar_strict.emplace_back(t.at("far_target").get<double>(), get_number(t.at("strict"), "tar"));
    }
    return s;
  } catch (const json::exception& e) {
    throw FormatError(fmt::format("'{}': malformed fv-eval report: {}", file.string(), e.what()));
  }
}

std::string compare_table(const std::vector<ReportSummary>& reports) {
  std::set<double, std::greater<>> targets;
  for (const auto& r : reports) {
    for (const auto& t : r.tar_strict) targets.insert(t.first);
  }
  std::string s = "| name | protocol | model | pairs | accuracy | AUC | EER |";
  std::string rule = "| --- | --- | --- | ---: | ---: | ---: | ---: |";
  for (double t : targets) {
    s += fmt::format(" TAR@{:g} |", t);
    rule += " ---: |";
  }
  s += "\n" + rule + "\n";
  for (const auto& r : reports) {
    const std::string acc = std::isfinite(r.accuracy_mean)
                                ? fmt::format("{:.4f} +- {:.4f}", r.accuracy_mean, r.accuracy_std)
                                : std::string("-");
    s += fmt::format("| {} | {} | {} | {} | {} | {} | {} |", r.name, r.protocol, r.model_hash.substr(0, 12), r.pairs,
                     acc, fmt_or_dash(r.auc, "{:.4f}"), fmt_or_dash(r.eer, "{:.4f}"));
    for (double t : targets) {
      double tar = std::nan("");
      for (const auto& [far, v] : r.tar_strict) {
        if (far == t) tar = v;
      }
      s += " " + fmt_or_dash(tar, "{:.4f}") + " |";
    }
    s += "\n";
  }
  return s;
}

}  // namespace fv::eval
