// An EmbeddingSet from (id, vector) rows, for tests that write small embeddings files by hand.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "formats/embedding_store.h"

namespace fv::testing {

using EmbeddingRows = std::vector<std::pair<std::string, std::vector<float>>>;

// The rows in order; the dimension is the first row's (every row must have it).
inline EmbeddingSet embedding_set(const EmbeddingRows& rows) {
  EmbeddingSet set;
  set.attributes.embedding_dim = rows.empty() ? 0 : static_cast<std::int64_t>(rows.front().second.size());
  for (const auto& [id, v] : rows) {
    set.ids.push_back(id);
    set.embeddings.insert(set.embeddings.end(), v.begin(), v.end());
  }
  return set;
}

}  // namespace fv::testing
