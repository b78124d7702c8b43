// fv-verify's jobs: 1:1 decisions and 1:N rankings, and how they are printed.
#pragma once

#include <string>
#include <vector>

#include "verify/gallery_search.h"
#include "verify/verify_config.h"

namespace fv {

struct PairDecision {
  std::string a, b;
  double score = 0;      // cosine similarity
  double threshold = 0;
  std::string threshold_source;  // "verify.threshold" or "<report> at FAR=..."
  bool same = false;
};

struct Ranking {
  std::string probe;
  std::vector<std::string> ids;
  std::vector<float> scores;
};

// The L2-normalised embedding of `what`: a row of `config.embeddings` when given, else an image embedded with
// `config.embedder` (aligned first when verify.align = auto). For a photo with verify.align = auto and
// embed.normalize = true it is, bit for bit, the row fv-embed writes for the PNG fv-align makes of the photo
// with the same [detect], [landmarks], [align] and [embed] keys. Throws DataError naming the id when it is not
// in the file, or naming the image when no face is found in it.
std::vector<float> embedding_of(const VerifyConfig& config, const std::string& what);

// The `strict` TAR@FAR threshold (highest TAR among thresholds whose FAR does not exceed `far`) that an
// fv-eval report.json lists for FAR target `far`. Throws FormatError naming the file for a report of another
// format, ConfigError listing the targets it has when `far` is not among them.
double threshold_from_report(const std::string& report_path, double far);

PairDecision verify_pair(const VerifyConfig& config);
std::vector<Ranking> search(const VerifyConfig& config);

std::string format_text(const PairDecision& d);
std::string format_json(const PairDecision& d);
std::string format_text(const std::vector<Ranking>& r);
std::string format_json(const std::vector<Ranking>& r);

}  // namespace fv
