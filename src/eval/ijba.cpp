// IJB-A verification splits: CSV parsing, media pooling and per-split TAR@FAR.
#include "eval/ijba.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/error.h"
#include "protocol/protocol_reader.h"

namespace fv::eval {
namespace {

bool blank(const std::vector<std::string_view>& f) { return f.size() == 1 && f[0].empty(); }

}  // namespace

IjbaMetadata read_ijba_metadata(protocol::ProtocolReader& in, const protocol::IdIndex& index, const EmbeddingSet& set,
                                const std::filesystem::path& embeddings_file, const std::string& id_prefix) {
  const std::filesystem::path& meta = in.file();
  IjbaMetadata out;
  std::vector<std::string_view> f;
  int c_template = -1, c_subject = -1, c_file = -1, c_media = -1;
  while (in.next()) {
    protocol::split_csv(in.text(), f);
    if (blank(f)) continue;
    if (c_template < 0) {  // header
      for (int k = 0; k < static_cast<int>(f.size()); ++k) {
        if (f[k] == "TEMPLATE_ID") c_template = k;
        if (f[k] == "SUBJECT_ID") c_subject = k;
        if (f[k] == "FILE") c_file = k;
        if (f[k] == "MEDIA_ID") c_media = k;
      }
      if (c_template < 0 || c_subject < 0 || c_file < 0 || c_media < 0) {
        in.fail("expected a header naming TEMPLATE_ID, SUBJECT_ID, FILE and MEDIA_ID");
      }
      continue;
    }
    const int needed = std::max({c_template, c_subject, c_file, c_media}) + 1;
    if (static_cast<int>(f.size()) < needed) in.fail(fmt::format("expected at least {} fields, found {}", needed, f.size()));
    const std::string id = id_prefix + std::string(f[static_cast<std::size_t>(c_file)]);
    const std::int64_t row = index.find(id);
    if (row < 0) {
      throw DataError(fmt::format("{}:{}: image id '{}' is not in the embeddings file '{}'", meta.string(),
                                  in.line_number(), id, embeddings_file.string()));
    }
    const std::string bad = protocol::non_finite_embedding(set, row, embeddings_file);
    if (!bad.empty()) throw DataError(fmt::format("{}:{}: {}", meta.string(), in.line_number(), bad));
    const std::int64_t t = in.integer(f[static_cast<std::size_t>(c_template)], "TEMPLATE_ID");
    out.rows.push_back(row);
    out.templates.push_back(t);
    out.medias.push_back(in.integer(f[static_cast<std::size_t>(c_media)], "MEDIA_ID"));
    out.subject_of[t] = in.integer(f[static_cast<std::size_t>(c_subject)], "SUBJECT_ID");
  }
  if (c_template < 0) throw FormatError(fmt::format("{}: the file is empty (expected a header line)", meta.string()));
  return out;
}

IjbPairs read_ijba_comparisons(protocol::ProtocolReader& in, const IjbaMetadata& metadata,
                               const std::filesystem::path& metadata_file) {
  IjbPairs pairs;
  std::vector<std::string_view> f;
  while (in.next()) {
    protocol::split_csv(in.text(), f);
    if (blank(f)) continue;
    if (f.size() != 2) in.fail(fmt::format("expected 'template_a,template_b' (2 fields), found {}", f.size()));
    const std::int64_t a = in.integer(f[0], "template_a");
    const std::int64_t b = in.integer(f[1], "template_b");
    const auto subject_a = metadata.subject_of.find(a);
    const auto subject_b = metadata.subject_of.find(b);
    for (const auto& [t, it] : {std::pair{a, subject_a}, std::pair{b, subject_b}}) {
      if (it == metadata.subject_of.end()) {
        throw DataError(fmt::format("{}:{}: template {} is not in '{}'", in.file().string(), in.line_number(), t,
                                    metadata_file.string()));
      }
    }
    pairs.a.push_back(a);
    pairs.b.push_back(b);
    pairs.same.push_back(subject_a->second == subject_b->second ? 1 : 0);
    pairs.line.push_back(in.line_number());
  }
  return pairs;
}

IjbaResult evaluate_ijba(const std::filesystem::path& folder, int splits, const EmbeddingSet& set,
                         const std::filesystem::path& embeddings_file, const std::string& id_prefix,
                         const std::vector<double>& far_targets) {
  const protocol::IdIndex index(set);
  IjbaResult result;
  for (int s = 1; s <= splits; ++s) {
    const auto meta = folder / fmt::format("split{}", s) / fmt::format("verify_metadata_{}.csv", s);
    const auto comp = folder / fmt::format("split{}", s) / fmt::format("verify_comparisons_{}.csv", s);
    protocol::ProtocolReader in(meta, "IJB-A metadata");
    const IjbaMetadata metadata = read_ijba_metadata(in, index, set, embeddings_file, id_prefix);
    const IjbTemplates pooled = pool_templates(set, metadata.rows, metadata.templates, metadata.medias);
    protocol::ProtocolReader cin(comp, "IJB-A comparisons");
    const IjbPairs pairs = read_ijba_comparisons(cin, metadata, meta);
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
