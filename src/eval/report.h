// fv-eval's report files: report.json (every metric), roc.csv, summary.md; read back for `compare`.
//
// report.json (format "fv-eval-report", version 1):
//   name, protocol, pairs_file, embeddings_file, model_hash, embeddings_config_hash, eval_config_hash,
//   created, pairs, positives, negatives, auc, eer, score ("cosine similarity of L2-normalised embeddings"),
//   accuracy {mean, std, folds[], thresholds[], threshold_mode, distance} (null for protocols without folds),
//   val {far_target, val_mean, val_std, far_mean, folds_val[], folds_far[]} (null likewise),
//   tar_at_far [{far_target, strict {tar, far, threshold}, insightface {tar, far, threshold}}],
//   extra {key: number} (protocol-specific figures), roc_csv ("roc.csv").
// Undefined numbers (NaN, a threshold of +inf) are written as null.
// roc.csv: header "threshold,far,tar", one line per kept ROC point, decreasing threshold.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "eval/verification.h"

namespace fv::eval {

struct EvalReport {
  std::string name;
  std::string protocol;
  std::string pairs_file;
  std::string embeddings_file;
  std::string model_hash;
  std::string embeddings_config_hash;
  std::string eval_config_hash;
  std::string created;
  std::string threshold_mode;
  double val_far = 0;
  VerificationResult result;
  std::map<std::string, double> extra;
};

std::string report_json(const EvalReport& report);

// The ROC points kept in roc.csv: all when there are at most `max_points`, else the first and last point
// and, for each of max_points FAR levels spread evenly on log10 FAR in [1e-8, 1], the last point whose
// FAR does not exceed the level (so TAR@FAR can still be read at every decade).
std::vector<RocPoint> roc_points_for_csv(const Roc& roc, int max_points);
std::string roc_csv(const std::vector<RocPoint>& points);

// Markdown: the headline table and the TAR@FAR table under both conventions.
std::string summary_markdown(const EvalReport& report);

// The one-line headline printed at the end of a run.
std::string headline(const EvalReport& report);

// A report read back from report.json (what `compare` needs).
struct ReportSummary {
  std::filesystem::path file;
  std::string name;
  std::string protocol;
  std::string model_hash;
  long long pairs = 0;
  double accuracy_mean = 0;  // NaN when absent
  double accuracy_std = 0;
  double auc = 0;
  double eer = 0;
  std::vector<std::pair<double, double>> tar_strict;  // (far_target, tar)
};
// Throws IoError if unreadable, FormatError naming the file if it is not an fv-eval report.
ReportSummary read_report(const std::filesystem::path& file);

// One table (Markdown) for several reports: name, protocol, pairs, accuracy, AUC, EER, TAR@FAR (strict)
// for the union of the FAR targets ("-" where a report lacks one).
std::string compare_table(const std::vector<ReportSummary>& reports);

}  // namespace fv::eval
