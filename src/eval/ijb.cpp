// IJB-B/C: template/media map and pair list parsers, insightface template pooling, pair scoring.
#include "eval/ijb.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>
#include <unordered_map>

#include "core/check.h"
#include "core/error.h"
#include "core/runtime.h"

namespace fv::eval {
namespace {

// Reads whitespace-separated lines with fopen/fgets: the IJB-C pair list has 15.6 million lines.
template <class F>
void for_each_line(const std::filesystem::path& file, F&& f) {
  std::FILE* in = std::fopen(file.c_str(), "r");
  if (in == nullptr) throw IoError(fmt::format("cannot open protocol file '{}'", file.string()));
  char buf[4096];
  int number = 0;
  std::vector<std::string_view> fields;
  try {
    while (std::fgets(buf, sizeof buf, in) != nullptr) {
      ++number;
      std::string_view line(buf);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
      fields.clear();
      std::size_t i = 0;
      while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == ',')) ++i;
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != ',') ++j;
        if (j > i) fields.push_back(line.substr(i, j - i));
        i = j;
      }
      if (!fields.empty()) f(number, line, fields);
    }
  } catch (...) {
    std::fclose(in);
    throw;
  }
  std::fclose(in);
}

std::int64_t to_int(const std::filesystem::path& file, int number, std::string_view line, std::string_view field,
                    const char* what) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc() || ptr != field.data() + field.size()) {
    throw FormatError(fmt::format("{}:{}: {} must be an integer: '{}'", file.string(), number, what, line));
  }
  return v;
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
  std::vector<float> scores;
  scores.reserve(images.size());
  for_each_line(file, [&](int number, std::string_view line, const std::vector<std::string_view>& f) {
    if (f.size() < 2) {
      throw FormatError(fmt::format("{}:{}: expected 'image x1 y1 ... x5 y5 score' (the score last), found {} field: '{}'",
                                    file.string(), number, f.size(), line));
    }
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
      throw FormatError(fmt::format("{}:{}: the detector score (last field) must be a finite number >= 0: '{}'",
                                    file.string(), number, line));
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
  std::unordered_map<std::string, std::int64_t> index;
  index.reserve(set.ids.size());
  for (std::int64_t i = 0; i < set.rows(); ++i) index.emplace(set.ids[static_cast<std::size_t>(i)], i);
  std::vector<std::int64_t> rows;
  std::vector<std::int64_t> templates;
  std::vector<std::int64_t> medias;
  std::vector<std::string> images;  // kept only to check the detector score file row by row
  const bool weighted = !face_scores.empty();
  for_each_line(file, [&](int number, std::string_view line, const std::vector<std::string_view>& f) {
    if (f.size() != 3) {
      throw FormatError(fmt::format("{}:{}: expected 'image template_id media_id' (3 fields), found {} fields: '{}'",
                                    file.string(), number, f.size(), line));
    }
    const std::string id = id_prefix + std::string(f[0]);
    const auto it = index.find(id);
    if (it == index.end()) {
      throw DataError(fmt::format("{}:{}: image id '{}' is not in the embeddings file '{}'", file.string(), number, id,
                                  embeddings_file.string()));
    }
    rows.push_back(it->second);
    if (weighted) images.emplace_back(f[0]);
    templates.push_back(to_int(file, number, line, f[1], "template_id"));
    medias.push_back(to_int(file, number, line, f[2], "media_id"));
  });
  FV_CHECK(!rows.empty(), FormatError, "{}: no images in the template/media map", file.string());
  if (!weighted) return pool_templates(set, rows, templates, medias);
  const std::vector<float> scores = read_ijb_face_scores(face_scores, images, file);
  return pool_templates(set, rows, templates, medias, &scores);
}

IjbPairs read_ijb_pairs(const std::filesystem::path& file) {
  IjbPairs p;
  for_each_line(file, [&](int number, std::string_view line, const std::vector<std::string_view>& f) {
    if (f.size() != 3) {
      throw FormatError(fmt::format("{}:{}: expected 'template_a template_b label' (3 fields), found {} fields: '{}'",
                                    file.string(), number, f.size(), line));
    }
    p.a.push_back(to_int(file, number, line, f[0], "template_a"));
    p.b.push_back(to_int(file, number, line, f[1], "template_b"));
    if (f[2] != "0" && f[2] != "1") {
      throw FormatError(fmt::format("{}:{}: label must be 0 or 1: '{}'", file.string(), number, line));
    }
    p.same.push_back(f[2] == "1" ? 1 : 0);
    p.line.push_back(number);
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
  return s;
}

}  // namespace fv::eval
