// IJB-B/C: template/media map and pair list parsers, insightface template pooling, pair scoring.
#include "eval/ijb.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <thread>

#include "core/check.h"
#include "core/error.h"
#include "core/runtime.h"
#include "protocol/indexed_pairs.h"
#include "protocol/protocol_reader.h"

namespace fv::eval {
namespace {

// Calls f(reader, fields) for every line with fields (separated by spaces, tabs or commas), streaming: the
// IJB-C pair list has 15.6 million lines.
template <class F>
void for_each_line(protocol::ProtocolReader& in, F&& f) {
  std::vector<std::string_view> fields;
  while (in.next()) {
    protocol::split_fields(in.text(), " \t,", fields);
    if (!fields.empty()) f(in, fields);
  }
}

// Dot product with 8 independent float accumulators: the compiler may vectorise it without -ffast-math
// (a single accumulator is a serial dependency chain); 3x faster on the 15.6M IJB-C pairs.
double dot(const float* a, const float* b, std::int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    for (int l = 0; l < 8; ++l) acc[l] += a[j + l] * b[j + l];
  }
  double sum = 0;
  for (float x : acc) sum += x;
  for (; j < n; ++j) sum += static_cast<double>(a[j]) * b[j];
  return sum;
}

}  // namespace

IjbTemplates pool_templates(const EmbeddingSet& set, const std::vector<std::int64_t>& image_rows,
                            const std::vector<std::int64_t>& templates, const std::vector<std::int64_t>& medias,
                            const std::vector<float>* weights) {
  FV_CHECK(weights == nullptr || weights->size() == image_rows.size(), DataError,
           "{} detector scores for {} images", weights ? weights->size() : 0, image_rows.size());
  const bool concat = set.attributes.flip_mode == "concat";
  const std::int64_t full = set.attributes.embedding_dim;
  FV_CHECK(!concat || full % 2 == 0, DataError, "flip_mode concat needs an even embedding_dim, got {}", full);
  const std::int64_t dim = concat ? full / 2 : full;
  // template -> media -> (sum, count)
  std::map<std::int64_t, std::map<std::int64_t, std::pair<std::vector<double>, int>>> pool;
  for (std::size_t i = 0; i < image_rows.size(); ++i) {
    auto& [sum, count] = pool[templates[i]][medias[i]];
    if (sum.empty()) sum.assign(static_cast<std::size_t>(dim), 0.0);
    const float* row = set.row(image_rows[i]);
    // ijb_11.py: img_input_feats * faceness_scores[:, np.newaxis], after the flip sum, before pooling.
    const double w = weights ? double((*weights)[i]) : 1.0;
    for (std::int64_t j = 0; j < dim; ++j) sum[j] += w * (concat ? double(row[j]) + row[j + dim] : double(row[j]));
    ++count;
  }
  IjbTemplates out;
  out.dim = dim;
  out.features.reserve(pool.size() * static_cast<std::size_t>(dim));
  for (const auto& [tid, media] : pool) {
    std::vector<double> t(static_cast<std::size_t>(dim), 0.0);
    for (const auto& [mid, acc] : media) {
      for (std::int64_t j = 0; j < dim; ++j) t[j] += acc.first[j] / acc.second;  // media mean, summed
    }
    double ss = 0;
    for (double x : t) ss += x * x;
    const double scale = ss > 0 ? 1.0 / std::sqrt(ss) : 0.0;
    out.template_ids.push_back(tid);
    for (double x : t) out.features.push_back(static_cast<float>(x * scale));
  }
  return out;
}

std::vector<float> read_ijb_face_scores(const std::filesystem::path& file, const std::vector<std::string>& images,
                                        const std::filesystem::path& map_file) {
  protocol::ProtocolReader in(file);
  return read_ijb_face_scores(in, images, map_file);
}

std::vector<float> read_ijb_face_scores(protocol::ProtocolReader& reader, const std::vector<std::string>& images,
                                        const std::filesystem::path& map_file) {
  const std::filesystem::path& file = reader.file();
  std::vector<float> scores;
  scores.reserve(images.size());
  for_each_line(reader, [&](const protocol::ProtocolReader& in, const std::vector<std::string_view>& f) {
    const int number = in.line_number();
    if (f.size() < 2) in.fail(fmt::format("expected 'image x1 y1 ... x5 y5 score' (the score last), found {} field", f.size()));
    const std::size_t row = scores.size();
    if (row >= images.size()) {
      throw FormatError(fmt::format("{}:{}: more score lines than the {} images of the template/media map '{}'",
                                    file.string(), number, images.size(), map_file.string()));
    }
    if (f[0] != images[row]) {
      throw FormatError(fmt::format("{}:{}: image '{}' but row {} of the template/media map '{}' is '{}' (the two "
                                    "files must list the same images in the same order)",
                                    file.string(), number, f[0], row + 1, map_file.string(), images[row]));
    }
    const std::string text(f.back());
    char* end = nullptr;
    const double score = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(score) || score < 0) {
      in.fail("the detector score (last field) must be a finite number >= 0");
    }
    scores.push_back(static_cast<float>(score));
  });
  if (scores.size() != images.size()) {
    throw FormatError(fmt::format("{}: {} score lines but the template/media map '{}' has {} images", file.string(),
                                  scores.size(), map_file.string(), images.size()));
  }
  return scores;
}

IjbTemplates read_ijb_template_media(const std::filesystem::path& file, const EmbeddingSet& set,
                                     const std::filesystem::path& embeddings_file, const std::string& id_prefix,
                                     const std::filesystem::path& face_scores) {
  protocol::ProtocolReader in(file);
  return read_ijb_template_media(in, set, embeddings_file, id_prefix, face_scores);
}

IjbTemplates read_ijb_template_media(protocol::ProtocolReader& reader, const EmbeddingSet& set,
                                     const std::filesystem::path& embeddings_file, const std::string& id_prefix,
                                     const std::filesystem::path& face_scores) {
  const std::filesystem::path& file = reader.file();
  const protocol::IdIndex index(set);
  std::vector<std::int64_t> rows;
  std::vector<std::int64_t> templates;
  std::vector<std::int64_t> medias;
  std::vector<std::string> images;  // kept only to check the detector score file row by row
  const bool weighted = !face_scores.empty();
  for_each_line(reader, [&](const protocol::ProtocolReader& in, const std::vector<std::string_view>& f) {
    if (f.size() != 3) in.fail(fmt::format("expected 'image template_id media_id' (3 fields), found {} fields", f.size()));
    const std::string id = id_prefix + std::string(f[0]);
    const std::int64_t row = index.find(id);
    if (row < 0) {
      throw DataError(fmt::format("{}:{}: image id '{}' is not in the embeddings file '{}'", file.string(),
                                  in.line_number(), id, embeddings_file.string()));
    }
    const std::string bad = protocol::non_finite_embedding(set, row, embeddings_file);
    if (!bad.empty()) throw DataError(fmt::format("{}:{}: {}", file.string(), in.line_number(), bad));
    rows.push_back(row);
    if (weighted) images.emplace_back(f[0]);
    templates.push_back(in.integer(f[1], "template_id"));
    medias.push_back(in.integer(f[2], "media_id"));
  });
  FV_CHECK(!rows.empty(), FormatError, "{}: no images in the template/media map", file.string());
  if (!weighted) return pool_templates(set, rows, templates, medias);
  const std::vector<float> scores = read_ijb_face_scores(face_scores, images, file);
  return pool_templates(set, rows, templates, medias, &scores);
}

IjbPairs read_ijb_pairs(const std::filesystem::path& file) {
  protocol::ProtocolReader in(file);
  return read_ijb_pairs(in);
}

IjbPairs read_ijb_pairs(protocol::ProtocolReader& reader) {
  const std::filesystem::path& file = reader.file();
  IjbPairs p;
  for_each_line(reader, [&](const protocol::ProtocolReader& in, const std::vector<std::string_view>& f) {
    if (f.size() != 3) in.fail(fmt::format("expected 'template_a template_b label' (3 fields), found {} fields", f.size()));
    p.a.push_back(in.integer(f[0], "template_a"));
    p.b.push_back(in.integer(f[1], "template_b"));
    if (f[2] != "0" && f[2] != "1") in.fail("label must be 0 or 1");
    p.same.push_back(f[2] == "1" ? 1 : 0);
    p.line.push_back(in.line_number());
  });
  FV_CHECK(!p.same.empty(), FormatError, "{}: no pairs in the file", file.string());
  return p;
}

IjbScores score_ijb(const IjbTemplates& t, const IjbPairs& pairs, const std::filesystem::path& pairs_file,
                    int threads) {
  // Template id -> row: a dense table when the ids are compact (IJB-B/C ids are < 200,000), else a binary
  // search in the sorted ids; no hash map for 15.6M lookups.
  std::vector<std::int32_t> dense;
  std::int64_t min_id = 0;
  if (!t.template_ids.empty()) {
    min_id = t.template_ids.front();
    const std::int64_t span = t.template_ids.back() - min_id + 1;
    if (span <= 16 * static_cast<std::int64_t>(t.template_ids.size()) + 1024) {
      dense.assign(static_cast<std::size_t>(span), -1);
      for (std::size_t i = 0; i < t.template_ids.size(); ++i) {
        dense[static_cast<std::size_t>(t.template_ids[i] - min_id)] = static_cast<std::int32_t>(i);
      }
    }
  }
  auto row_of = [&](std::int64_t tid, std::size_t k) -> std::int64_t {
    if (!dense.empty()) {
      const std::int64_t off = tid - min_id;
      if (off >= 0 && off < static_cast<std::int64_t>(dense.size()) && dense[static_cast<std::size_t>(off)] >= 0) {
        return dense[static_cast<std::size_t>(off)];
      }
    } else {
      const auto it = std::lower_bound(t.template_ids.begin(), t.template_ids.end(), tid);
      if (it != t.template_ids.end() && *it == tid) return static_cast<std::int64_t>(it - t.template_ids.begin());
    }
    throw DataError(fmt::format("{}:{}: template {} is not in the template/media map", pairs_file.string(),
                                pairs.line[k], tid));
  };
  const std::size_t n = pairs.same.size();
  IjbScores s;
  s.similarity.resize(n);
  s.same = pairs.same;
  const int workers = resolve_threads(threads);
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(workers));
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      try {
        const std::size_t begin = n * static_cast<std::size_t>(w) / static_cast<std::size_t>(workers);
        const std::size_t end = n * static_cast<std::size_t>(w + 1) / static_cast<std::size_t>(workers);
        for (std::size_t k = begin; k < end; ++k) {
          const float* a = t.features.data() + row_of(pairs.a[k], k) * t.dim;
          const float* b = t.features.data() + row_of(pairs.b[k], k) * t.dim;
          s.similarity[k] = dot(a, b, t.dim);
        }
      } catch (...) {
        errors[static_cast<std::size_t>(w)] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  // Image embeddings were checked when pooled, so this is a backstop (a template that pooled to NaN).
  for (std::size_t k = 0; k < n; ++k) {
    if (!std::isfinite(s.similarity[k])) {
      throw DataError(fmt::format("{}:{}: the score of templates {} and {} is not a finite number", pairs_file.string(),
                                  pairs.line[k], pairs.a[k], pairs.b[k]));
    }
  }
  return s;
}

}  // namespace fv::eval
