// Id lookup into an embeddings file, .bin pair flags, and the non-finite checks that name a pair's origin.
#include "protocol/indexed_pairs.h"

#include <fmt/format.h>

#include <cmath>

#include "core/error.h"

namespace fv::protocol {
namespace {

// A value for a message: "nan" whatever the sign bit of the NaN (fmt writes "-nan" for some).
std::string show(double x) { return std::isnan(x) ? std::string("nan") : fmt::format("{}", x); }

// "the embedding of '<name>' in '<file>' holds <value> at component <j>", or "" for a finite row.
std::string non_finite_row(const float* row, std::int64_t dim, const std::string& name,
                           const std::filesystem::path& embeddings_file) {
  const std::int64_t j = first_non_finite(row, dim);
  if (j < 0) return {};
  return fmt::format("the embedding of '{}' in '{}' holds {} at component {}", name, embeddings_file.string(), show(row[j]), j);
}

}  // namespace

IdIndex::IdIndex(const EmbeddingSet& set) {
  rows_.reserve(set.ids.size());
  for (std::size_t i = 0; i < set.ids.size(); ++i) rows_.emplace(set.ids[i], static_cast<std::int64_t>(i));
}

std::int64_t IdIndex::find(std::string_view id) const {
  const auto it = rows_.find(id);
  return it == rows_.end() ? -1 : it->second;
}

PairResolver::PairResolver(const EmbeddingSet& set, std::filesystem::path pairs_file,
                           std::filesystem::path embeddings_file)
    : index_(set), embeddings_file_(std::move(embeddings_file)) {
  pairs_.file = std::move(pairs_file);
}

std::int64_t PairResolver::row(std::string_view id, int line) const {
  const std::int64_t r = index_.find(id);
  if (r < 0) {
    throw DataError(fmt::format("{}:{}: id '{}' is not in the embeddings file '{}' (check --eval.id_prefix and "
                                "--eval.id_extension)",
                                pairs_.file.string(), line, id, embeddings_file_.string()));
  }
  return r;
}

void PairResolver::add(std::string_view a, std::string_view b, bool same, int line) {
  const std::int64_t ra = row(a, line);
  const std::int64_t rb = row(b, line);
  pairs_.a.push_back(ra);
  pairs_.b.push_back(rb);
  pairs_.same.push_back(same ? 1 : 0);
  pairs_.line.push_back(line);
}

IndexedPairs pairs_from_flags(const EmbeddingSet& set, const std::filesystem::path& embeddings_file) {
  if (!set.pair_flags) {
    throw DataError(fmt::format("embeddings file '{}' has no /pair_flags: it was not embedded from a .bin set",
                                embeddings_file.string()));
  }
  return pairs_from_flags(*set.pair_flags);
}

IndexedPairs pairs_from_flags(const std::vector<std::int8_t>& flags) {
  IndexedPairs out;
  for (std::size_t i = 0; i < flags.size(); ++i) {
    out.a.push_back(static_cast<std::int64_t>(2 * i));
    out.b.push_back(static_cast<std::int64_t>(2 * i + 1));
    out.same.push_back(flags[i] != 0 ? 1 : 0);
  }
  return out;
}

void require_finite_scores(const std::vector<double>& scores, const IndexedPairs& pairs,
                           const std::vector<std::string>& names, const std::vector<float>& table, std::int64_t dim,
                           const std::filesystem::path& embeddings_file) {
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (std::isfinite(scores[i])) continue;
    const std::string& a = names[static_cast<std::size_t>(pairs.a[i])];
    const std::string& b = names[static_cast<std::size_t>(pairs.b[i])];
    const std::string where =
        pairs.line.empty()
            ? fmt::format("{}: pair {} (rows {} and {})", embeddings_file.string(), i, pairs.a[i], pairs.b[i])
            : fmt::format("{}:{}", pairs.file.string(), pairs.line[i]);
    std::string note = fmt::format(" (embeddings file '{}')", embeddings_file.string());
    for (const std::int64_t r : {pairs.a[i], pairs.b[i]}) {
      const std::string row = non_finite_row(table.data() + r * dim, dim, names[static_cast<std::size_t>(r)], embeddings_file);
      if (!row.empty()) {
        note = ": " + row;
        break;
      }
    }
    throw DataError(fmt::format("{}: the score of pair '{}' '{}' is {}, not a finite number{}", where, a, b, show(scores[i]), note));
  }
}

std::int64_t first_non_finite(const float* row, std::int64_t dim) {
  for (std::int64_t j = 0; j < dim; ++j) {
    if (!std::isfinite(row[j])) return j;
  }
  return -1;
}

std::string non_finite_embedding(const EmbeddingSet& set, std::int64_t row,
                                 const std::filesystem::path& embeddings_file) {
  return non_finite_row(set.row(row), set.attributes.embedding_dim, set.ids[static_cast<std::size_t>(row)], embeddings_file);
}

}  // namespace fv::protocol
