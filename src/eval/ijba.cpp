// IJB-A verification splits: CSV parsing, media pooling and per-split TAR@FAR.
#include "eval/ijba.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include "core/error.h"
#include "eval/ijb.h"

namespace fv::eval {
namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> f;
  std::string item;
  std::stringstream ss(line);
  while (std::getline(ss, item, ',')) {
    const auto a = item.find_first_not_of(" \t\r");
    const auto b = item.find_last_not_of(" \t\r");
    f.push_back(a == std::string::npos ? "" : item.substr(a, b - a + 1));
  }
  return f;
}

std::int64_t to_int(const std::filesystem::path& file, int number, const std::string& line, const std::string& field,
                    const char* what) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (field.empty() || ec != std::errc() || ptr != field.data() + field.size()) {
    throw FormatError(fmt::format("{}:{}: {} must be an integer: '{}'", file.string(), number, what, line));
  }
  return v;
}

}  // namespace

IjbaResult evaluate_ijba(const std::filesystem::path& folder, int splits, const EmbeddingSet& set,
                         const std::filesystem::path& embeddings_file, const std::string& id_prefix,
                         const std::vector<double>& far_targets) {
  std::unordered_map<std::string, std::int64_t> index;
  for (std::int64_t i = 0; i < set.rows(); ++i) index.emplace(set.ids[static_cast<std::size_t>(i)], i);
  IjbaResult result;
  for (int s = 1; s <= splits; ++s) {
    const auto meta = folder / fmt::format("split{}", s) / fmt::format("verify_metadata_{}.csv", s);
    const auto comp = folder / fmt::format("split{}", s) / fmt::format("verify_comparisons_{}.csv", s);
    std::ifstream in(meta);
    if (!in) throw IoError(fmt::format("cannot open IJB-A metadata '{}'", meta.string()));
    std::string line;
    int number = 0;
    int c_template = -1, c_subject = -1, c_file = -1, c_media = -1;
    std::vector<std::int64_t> rows, templates, medias;
    std::map<std::int64_t, std::int64_t> subject_of;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      const auto f = split_csv(line);
      if (c_template < 0) {  // header
        for (int k = 0; k < static_cast<int>(f.size()); ++k) {
          if (f[k] == "TEMPLATE_ID") c_template = k;
          if (f[k] == "SUBJECT_ID") c_subject = k;
          if (f[k] == "FILE") c_file = k;
          if (f[k] == "MEDIA_ID") c_media = k;
        }
        if (c_template < 0 || c_subject < 0 || c_file < 0 || c_media < 0) {
          throw FormatError(fmt::format("{}:{}: expected a header naming TEMPLATE_ID, SUBJECT_ID, FILE and MEDIA_ID: '{}'",
                                        meta.string(), number, line));
        }
        continue;
      }
      const int needed = std::max({c_template, c_subject, c_file, c_media}) + 1;
      if (static_cast<int>(f.size()) < needed) {
        throw FormatError(fmt::format("{}:{}: expected at least {} fields, found {}: '{}'", meta.string(), number, needed,
                                      f.size(), line));
      }
      const std::string id = id_prefix + f[static_cast<std::size_t>(c_file)];
      const auto it = index.find(id);
      if (it == index.end()) {
        throw DataError(fmt::format("{}:{}: image id '{}' is not in the embeddings file '{}'", meta.string(), number, id,
                                    embeddings_file.string()));
      }
      const std::int64_t t = to_int(meta, number, line, f[static_cast<std::size_t>(c_template)], "TEMPLATE_ID");
      rows.push_back(it->second);
      templates.push_back(t);
      medias.push_back(to_int(meta, number, line, f[static_cast<std::size_t>(c_media)], "MEDIA_ID"));
      subject_of[t] = to_int(meta, number, line, f[static_cast<std::size_t>(c_subject)], "SUBJECT_ID");
    }
    if (c_template < 0) throw FormatError(fmt::format("{}: the file is empty (expected a header line)", meta.string()));
    const IjbTemplates pooled = pool_templates(set, rows, templates, medias);
    IjbPairs pairs;
    std::ifstream cin(comp);
    if (!cin) throw IoError(fmt::format("cannot open IJB-A comparisons '{}'", comp.string()));
    number = 0;
    while (std::getline(cin, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      const auto f = split_csv(line);
      if (f.size() != 2) {
        throw FormatError(fmt::format("{}:{}: expected 'template_a,template_b' (2 fields), found {}: '{}'", comp.string(),
                                      number, f.size(), line));
      }
      const std::int64_t a = to_int(comp, number, line, f[0], "template_a");
      const std::int64_t b = to_int(comp, number, line, f[1], "template_b");
      for (std::int64_t t : {a, b}) {
        if (subject_of.count(t) == 0) {
          throw DataError(fmt::format("{}:{}: template {} is not in '{}'", comp.string(), number, t, meta.string()));
        }
      }
      pairs.a.push_back(a);
      pairs.b.push_back(b);
      pairs.same.push_back(subject_of[a] == subject_of[b] ? 1 : 0);
      pairs.line.push_back(number);
    }
    const IjbScores scores = score_ijb(pooled, pairs, comp);
    const Roc roc = compute_roc(scores.similarity, scores.same);
    result.split_strict.push_back(tar_at_fars(roc, far_targets, TarAtFarConvention::kStrict));
    result.split_insightface.push_back(tar_at_fars(roc, far_targets, TarAtFarConvention::kInsightface));
    result.split_pairs.push_back(static_cast<std::int64_t>(scores.same.size()));
    result.similarity.insert(result.similarity.end(), scores.similarity.begin(), scores.similarity.end());
    result.same.insert(result.same.end(), scores.same.begin(), scores.same.end());
  }
  return result;
}

}  // namespace fv::eval
