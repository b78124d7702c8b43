// 1:1 and 1:N verification over embeddings files or images embedded on the fly.
#include "verify/verify_run.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/check.h"
#include "formats/embedding_store.h"
#include "core/image_codec.h"
#include "embedder/embedder.h"

namespace fv {
namespace {

std::vector<float> row_of(const EmbeddingSet& set, const std::string& id, const std::string& file) {
  for (std::int64_t i = 0; i < set.rows(); ++i) {
    if (set.ids[static_cast<std::size_t>(i)] == id) return {set.row(i), set.row(i) + set.attributes.embedding_dim};
  }
  throw DataError(fmt::format("id '{}' is not in '{}' ({} ids)", id, file, set.rows()));
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  FV_CHECK_EQ(a.size(), b.size(), DataError, "embeddings of different dimension cannot be compared");
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

void normalize(std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  n = std::sqrt(n);
  if (n > 0) {
    for (float& x : v) x = static_cast<float>(x / n);
  }
}

// The embedder and (with verify.align = auto) the aligner, created on first use and shared by both images.
struct ImageContext {
  std::unique_ptr<Embedder> embedder;
  std::unique_ptr<RawImageAligner> aligner;
};

std::vector<float> embedding_of(const VerifyConfig& config, const std::string& what, ImageContext& context) {
  std::vector<float> v;
  if (!config.embeddings.empty()) {
    v = row_of(read_embeddings(config.embeddings), what, config.embeddings);
    normalize(v);  // scores are cosine similarities whatever the file's normalisation
  } else {
    if (!context.embedder) context.embedder = make_embedder(config.embedder);
    Embedder& embedder = *context.embedder;
    const PreprocessOptions& p = embedder.preprocess();
    RgbImage image;
    if (config.align == RawAlign::kAuto) {
      if (!context.aligner) {
        RawAlignOptions o;
        o.face = config.face;
        o.model_width = p.width;
        o.model_height = p.height;
        context.aligner = make_raw_image_aligner(o);
      }
      image = context.aligner->align(what);
    } else {
      image = read_image(what);
    }
    std::vector<float> input(static_cast<std::size_t>(p.channels) * p.width * p.height);
    preprocess_into(image, p, input.data());
    // embed.normalize = true normalises as fv-embed does (so the vector is, bit for bit, the row fv-embed
    // writes for this face); normalising again could move the last bit.
    v = embed_with_tta(embedder, input, 1, config.embedder.flip, config.embedder.normalize);
    if (!config.embedder.normalize) normalize(v);
  }
  return v;
}

}  // namespace

std::vector<float> embedding_of(const VerifyConfig& config, const std::string& what) {
  ImageContext context;
  return embedding_of(config, what, context);
}

double threshold_from_report(const std::string& report_path, double far) {
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(read_file(report_path));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("'{}': not a JSON file: {}", report_path, e.what()));
  }
  FV_CHECK(report.value("format", "") == "fv-eval-report" && report.value("version", 0) == 1, FormatError,
           "'{}' is not an fv-eval report (format fv-eval-report, version 1)", report_path);
  std::string targets;
  for (const auto& entry : report.at("tar_at_far")) {
    const double target = entry.at("far_target").get<double>();
    if (std::abs(target - far) <= 1e-9 * far) return entry.at("strict").at("threshold").get<double>();
    targets += fmt::format("{}{}", targets.empty() ? "" : ", ", target);
  }
  throw ConfigError(fmt::format("verify.far = {} is not among the FAR targets of '{}': {}", far, report_path, targets));
}

PairDecision verify_pair(const VerifyConfig& config) {
  PairDecision d;
  d.a = config.a;
  d.b = config.b;
  ImageContext context;
  d.score = dot(embedding_of(config, config.a, context), embedding_of(config, config.b, context));
  d.threshold = config.threshold;
  d.threshold_source = "verify.threshold";
  if (!config.report.empty()) {
    d.threshold = threshold_from_report(config.report, config.far);
    d.threshold_source = fmt::format("{} at FAR={} (strict)", config.report, config.far);
  }
  d.same = d.score >= d.threshold;
  return d;
}

std::vector<Ranking> search(const VerifyConfig& config) {
  const EmbeddingSet gallery = read_embeddings(config.gallery);
  std::vector<std::string> probe_names;
  std::vector<float> probes;
  if (!config.probes.empty()) {
    const EmbeddingSet p = read_embeddings(config.probes);
    FV_CHECK_EQ(p.attributes.embedding_dim, gallery.attributes.embedding_dim, DataError,
                "probes '{}' and gallery '{}' have different embedding dimensions", config.probes, config.gallery);
    probe_names = p.ids;
    probes = p.embeddings;
  } else {
    probe_names = {config.a};
    probes = embedding_of(config, config.a);
    FV_CHECK_EQ(static_cast<std::int64_t>(probes.size()), gallery.attributes.embedding_dim, DataError,
                "probe '{}' and gallery '{}' have different embedding dimensions", config.a, config.gallery);
  }
  SearchOptions options;
  options.top_k = config.top_k;
  const auto matches = search_gallery(gallery.embeddings.data(), gallery.rows(), probes.data(),
                                      static_cast<std::int64_t>(probe_names.size()), gallery.attributes.embedding_dim, options);
  std::vector<Ranking> out;
  for (std::size_t p = 0; p < matches.size(); ++p) {
    Ranking r;
    r.probe = probe_names[p];
    for (const Match& m : matches[p]) {
      r.ids.push_back(gallery.ids[static_cast<std::size_t>(m.index)]);
      r.scores.push_back(m.score);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string format_text(const PairDecision& d) {
  return fmt::format("{}  {}\nsimilarity {:.6f}  threshold {:.6f} ({})  ->  {}\n", d.a, d.b, d.score, d.threshold,
                     d.threshold_source, d.same ? "SAME" : "DIFFERENT");
}

std::string format_json(const PairDecision& d) {
  nlohmann::json j = {{"a", d.a},           {"b", d.b},
                      {"similarity", d.score}, {"threshold", d.threshold},
                      {"threshold_source", d.threshold_source}, {"same", d.same}};
  return j.dump(2) + "\n";
}

std::string format_text(const std::vector<Ranking>& rankings) {
  std::string out;
  for (const auto& r : rankings) {
    out += fmt::format("probe {}\n", r.probe);
    for (std::size_t k = 0; k < r.ids.size(); ++k) out += fmt::format("  {:>3}  {:.6f}  {}\n", k + 1, r.scores[k], r.ids[k]);
  }
  return out;
}

std::string format_json(const std::vector<Ranking>& rankings) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : rankings) {
    nlohmann::json m = nlohmann::json::array();
    for (std::size_t k = 0; k < r.ids.size(); ++k) m.push_back({{"id", r.ids[k]}, {"similarity", r.scores[k]}});
    j.push_back({{"probe", r.probe}, {"matches", m}});
  }
  return j.dump(2) + "\n";
}

}  // namespace fv
