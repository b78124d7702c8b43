// Fuzz target: IJB-A split files (eval/ijba.h), in memory: verify_metadata_<N>.csv and
// verify_comparisons_<N>.csv, then the pooling and scoring they drive. Input: the two files joined by a NUL
// byte. The embeddings are a fixed small set (img/1.jpg .. img/8.jpg, and img/9.jpg holding an infinity).
// Seeds: fuzz/corpus/fuzz_ijba (the IJB-A splits of the test suite, tests/eval/run_eval_test.cpp).
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "formats/embedding_store.h"
#include "core/error.h"
#include "eval/ijba.h"
#include "protocol/protocol_reader.h"
#include "fuzz_support.h"

namespace {

const fv::EmbeddingSet& embeddings() {
  static const fv::EmbeddingSet set = [] {
    fv::EmbeddingSet s;
    s.attributes.embedding_dim = 2;
    s.ids = {"img/1.jpg", "img/2.jpg", "img/3.jpg", "img/4.jpg", "img/5.jpg",
             "img/6.jpg", "img/7.jpg", "img/8.jpg", "img/9.jpg"};
    s.embeddings = {1, 0, 1, 0.1f, 0, 1, 0.1f, 1, 1, 0, -1, 0, 0, 1, 0, 1, 1, -INFINITY};
    return s;
  }();
  return set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [metadata_text, comparisons_text] = fv::fuzz::split_at_nul(fv::fuzz::bytes_of(data, size));
  static const fv::protocol::IdIndex index(embeddings());
  try {
    fv::protocol::ProtocolReader in(metadata_text, "split1/verify_metadata_1.csv", "IJB-A metadata");
    const fv::eval::IjbaMetadata metadata =
        fv::eval::read_ijba_metadata(in, index, embeddings(), "fuzz.h5", "");
    const fv::eval::IjbTemplates pooled =
        fv::eval::pool_templates(embeddings(), metadata.rows, metadata.templates, metadata.medias);
    fv::protocol::ProtocolReader cin(comparisons_text, "split1/verify_comparisons_1.csv", "IJB-A comparisons");
    const fv::eval::IjbPairs pairs = fv::eval::read_ijba_comparisons(cin, metadata, in.file());
    const fv::eval::IjbScores scores = fv::eval::score_ijb(pooled, pairs, cin.file(), 1);
    for (double x : scores.similarity) {
      if (!(std::abs(x) <= 1.0001)) __builtin_trap();
    }
  } catch (const fv::Error&) {
  }
  return 0;
}
