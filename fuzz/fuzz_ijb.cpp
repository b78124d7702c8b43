// Fuzz target: IJB-B/C protocol files (eval/ijb.h), in memory: the template/media map, the template pair list
// and the detector score file, then the pooling and scoring they drive. Input: the three files joined by NUL
// bytes. The embeddings are a fixed small set (img1.jpg .. img6.jpg, and img7.jpg holding a NaN). Seeds:
// fuzz/corpus/fuzz_ijb (the test suite's IJB files, well-formed and malformed).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "formats/embedding_store.h"
#include "core/error.h"
#include "eval/ijb.h"
#include "protocol/protocol_reader.h"
#include "fuzz_support.h"

namespace {

const fv::EmbeddingSet& embeddings() {
  static const fv::EmbeddingSet set = [] {
    fv::EmbeddingSet s;
    s.attributes.embedding_dim = 2;
    s.ids = {"img1.jpg", "img2.jpg", "img3.jpg", "img4.jpg", "img5.jpg", "img6.jpg", "img7.jpg"};
    s.embeddings = {1, 0, 0.8f, 0.6f, 0, 1, -1, 0, 0.6f, -0.8f, 0.5f, 0.5f, NAN, 1};
    return s;
  }();
  return set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [map, rest] = fv::fuzz::split_at_nul(fv::fuzz::bytes_of(data, size));
  const auto [pair_list, scores] = fv::fuzz::split_at_nul(rest);
  fv::eval::IjbTemplates templates;
  try {
    fv::protocol::ProtocolReader in(map, "ijbc_face_tid_mid.txt");
    templates = fv::eval::read_ijb_template_media(in, embeddings(), "fuzz.h5");
  } catch (const fv::Error&) {
  }
  try {
    fv::protocol::ProtocolReader in(pair_list, "ijbc_template_pair_label.txt");
    const fv::eval::IjbPairs pairs = fv::eval::read_ijb_pairs(in);
    const fv::eval::IjbScores s = fv::eval::score_ijb(templates, pairs, "ijbc_template_pair_label.txt", 1);
    for (double x : s.similarity) {
      if (!(std::abs(x) <= 1.0001)) __builtin_trap();  // cosine similarities of unit (or zero) vectors
    }
  } catch (const fv::Error&) {
  }
  try {
    // The score file is checked row by row against the map's images (its first fields).
    std::vector<std::string> images;
    fv::protocol::ProtocolReader map_in(map, "ijbc_face_tid_mid.txt");
    std::vector<std::string_view> fields;
    while (map_in.next()) {
      fv::protocol::split_fields(map_in.text(), " \t,", fields);
      if (!fields.empty()) images.emplace_back(fields[0]);
    }
    fv::protocol::ProtocolReader in(scores, "ijbc_name_5pts_score.txt");
    const std::vector<float> weights = fv::eval::read_ijb_face_scores(in, images, "ijbc_face_tid_mid.txt");
    for (float w : weights) {
      if (!(w >= 0) || !std::isfinite(w)) __builtin_trap();
    }
  } catch (const fv::Error&) {
  }
  return 0;
}
