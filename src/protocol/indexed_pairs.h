// Pairs as rows of an embedding table (ids looked up as a protocol file streams in), and where each pair
// came from, for error messages.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "formats/embedding_store.h"

namespace fv::protocol {

// 21 bytes per pair: the protocol's strings are looked up once and dropped, so that a pair list of 10 million
// lines costs ~200 MB, not its text several times over.
struct IndexedPairs {
  std::filesystem::path file;  // the protocol file the pairs were read from; empty when none (.bin flags)
  std::vector<std::int64_t> a;
  std::vector<std::int64_t> b;
  std::vector<std::uint8_t> same;
  std::vector<std::int32_t> line;  // 1-based line of each pair in `file`; empty when `file` is
  std::size_t size() const { return same.size(); }
};

// The rows of an embeddings file by id (views into set.ids: `set` must outlive the index). With duplicate
// ids the first row wins.
class IdIndex {
 public:
  explicit IdIndex(const EmbeddingSet& set);
  // The row of `id`, or -1 when the file has no such id.
  std::int64_t find(std::string_view id) const;

 private:
  std::unordered_map<std::string_view, std::int64_t> rows_;
};

// Collects pairs as rows of `set` while a parser streams them (see pairs.h's PairSink).
class PairResolver {
 public:
  PairResolver(const EmbeddingSet& set, std::filesystem::path pairs_file, std::filesystem::path embeddings_file);
  // Throws DataError "<pairs_file>:<line>: id '<id>' is not in the embeddings file '<embeddings_file>' (check
  // --eval.id_prefix and --eval.id_extension)".
  void add(std::string_view a, std::string_view b, bool same, int line);
  IndexedPairs take() { return std::move(pairs_); }

 private:
  std::int64_t row(std::string_view id, int line) const;
  IdIndex index_;
  std::filesystem::path embeddings_file_;
  IndexedPairs pairs_;
};

// insightface .bin sets: pair i is rows (2i, 2i+1) of the file, `same` from /pair_flags.
// Throws DataError naming the file when it has no /pair_flags.
IndexedPairs pairs_from_flags(const EmbeddingSet& set, const std::filesystem::path& embeddings_file);
// The same from the flags themselves (a .bin read directly, as fv-train's validation does).
IndexedPairs pairs_from_flags(const std::vector<std::int8_t>& flags);

// Requires a finite score for every pair. Otherwise throws DataError for the first bad pair, naming where it
// came from ("<pairs.file>:<line>", or for pairs without a file "<embeddings_file>: pair <i> (rows a and b)"),
// both names (`names[row]`: the embeddings file's ids, or YTF's videos), the embeddings file, and which of the
// two rows of `table` (rows x dim) is not finite, at which component.
void require_finite_scores(const std::vector<double>& scores, const IndexedPairs& pairs,
                           const std::vector<std::string>& names, const std::vector<float>& table, std::int64_t dim,
                           const std::filesystem::path& embeddings_file);

// The first component of `row` (dim floats) that is NaN or infinite, or -1.
std::int64_t first_non_finite(const float* row, std::int64_t dim);

// "" when row `row` of `set` is finite; else "the embedding of '<id>' in '<embeddings_file>' holds <value> at
// component <j>", for the caller to prefix with the line that brought the row in.
std::string non_finite_embedding(const EmbeddingSet& set, std::int64_t row, const std::filesystem::path& embeddings_file);

}  // namespace fv::protocol
