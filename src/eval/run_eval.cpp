// fv-eval's library entry points: one evaluation run, and the comparison of several reports.
#include "eval/run_eval.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "core/atomic_file.h"
#include "core/check.h"
#include "core/iso_time.h"
#include "formats/embedding_store.h"
#include "core/logging.h"
#include "eval/ijb.h"
#include "eval/ijba.h"
#include "protocol/pairs.h"
#include "eval/roc_plot.h"
#include "eval/ytf.h"

namespace fv::eval {
namespace {

// Seconds since construction or the previous lap(), for the phase timings in the log.
class Stopwatch {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// The pairs of the LFW-family protocols as rows of `set`, streamed from the protocol file (ids are looked up
// line by line and not kept).
protocol::IndexedPairs load_pairs(const EvalConfig& cfg, const EmbeddingSet& set) {
  if (cfg.protocol == EvalProtocol::kBin) return protocol::pairs_from_flags(set, cfg.embeddings);
  const protocol::LfwIdFormat format{cfg.id_prefix, cfg.id_extension};
  protocol::PairResolver resolver(set, cfg.pairs, cfg.embeddings);
  const protocol::PairSink sink = [&](std::string_view a, std::string_view b, bool same, int line) {
    resolver.add(a, b, same, line);
  };
  switch (cfg.protocol) {
    case EvalProtocol::kLfw: {
      const int folds = protocol::read_lfw_pairs(cfg.pairs, format, sink);
      FV_CHECK(folds == cfg.folds, DataError, "{}: the file declares {} folds but eval.folds is {} (fold count mismatch)",
               cfg.pairs, folds, cfg.folds);
      return resolver.take();
    }
    case EvalProtocol::kLfwView1:
      protocol::read_lfw_view1(cfg.pairs, format, sink);
      return resolver.take();
    case EvalProtocol::kPairList:
      protocol::read_pair_list(cfg.pairs, sink);
      return resolver.take();
    case EvalProtocol::kBin:
    case EvalProtocol::kIjba:
    case EvalProtocol::kIjbc:
    case EvalProtocol::kYtf:
      break;
  }
  throw ConfigError("internal: protocol without pairs");
}

}  // namespace

EvalReport run_eval(const EvalConfig& cfg, const std::string& config_hash, const std::string& resolved_ini) {
  log::info("fv-eval: reading embeddings '{}'", cfg.embeddings);
  const EmbeddingSet set = read_embeddings(cfg.embeddings);
  log::info("fv-eval: {} embeddings of dimension {} (model {}, flip {}, normalized {})", set.rows(),
            set.attributes.embedding_dim, set.attributes.model_hash, set.attributes.flip_mode,
            set.attributes.normalized ? 1 : 0);
  EvalReport report;
  report.name = cfg.name.empty() ? std::filesystem::path(cfg.embeddings).stem().string() : cfg.name;
  report.protocol = enum_name(protocol_names(), cfg.protocol);
  report.pairs_file = cfg.pairs;
  report.embeddings_file = cfg.embeddings;
  report.model_hash = set.attributes.model_hash;
  report.embeddings_config_hash = set.attributes.config_hash;
  report.eval_config_hash = config_hash;
  report.created = iso_time_now();
  report.threshold_mode = cfg.threshold_mode == protocol::ThresholdMode::kGrid ? "grid" : "exact";
  report.val_far = cfg.val_far;

  if (cfg.protocol == EvalProtocol::kIjbc) {
    Stopwatch watch;
    const std::string face_scores = cfg.ijb_face_scores_used();
    const IjbTemplates templates =
        read_ijb_template_media(cfg.ijb_template_media, set, cfg.embeddings, cfg.id_prefix, face_scores);
    log::info("fv-eval: {} templates pooled in {:.2f} s ({})", templates.template_ids.size(), watch.lap(),
              face_scores.empty() ? "no detector-score weighting" : "image features weighted by the scores of " + face_scores);
    const IjbPairs pairs = read_ijb_pairs(cfg.pairs);
    log::info("fv-eval: {} pairs read in {:.2f} s", pairs.same.size(), watch.lap());
    const IjbScores scores = score_ijb(templates, pairs, cfg.pairs);
    log::info("fv-eval: pairs scored in {:.2f} s", watch.lap());
    report.result = score_similarities(scores.similarity, scores.same, cfg.far_target_values());
    log::info("fv-eval: ROC ({} points), AUC, EER, TAR@FAR in {:.2f} s", report.result.roc.points.size(), watch.lap());
    report.extra["templates"] = static_cast<double>(templates.template_ids.size());
    report.extra["faceness_weighting"] = face_scores.empty() ? 0.0 : 1.0;
  } else if (cfg.protocol == EvalProtocol::kIjba) {
    const std::vector<double> targets = cfg.far_target_values();
    const IjbaResult ijba = evaluate_ijba(cfg.pairs, cfg.folds, set, cfg.embeddings, cfg.id_prefix, targets);
    report.result = score_similarities(ijba.similarity, ijba.same, targets);
    // Per-split TAR@FAR, mean +- population std over the splits, both conventions.
    for (std::size_t t = 0; t < targets.size(); ++t) {
      for (int convention = 0; convention < 2; ++convention) {
        const auto& per_split = convention == 0 ? ijba.split_strict : ijba.split_insightface;
        double sum = 0;
        double ss = 0;
        for (const auto& split : per_split) sum += split[t].tar;
        const double mean = sum / static_cast<double>(per_split.size());
        for (const auto& split : per_split) ss += (split[t].tar - mean) * (split[t].tar - mean);
        const std::string key = fmt::format("split_tar_{}@{:g}", convention == 0 ? "strict" : "insightface", targets[t]);
        report.extra[key + "_mean"] = mean;
        report.extra[key + "_std"] = std::sqrt(ss / static_cast<double>(per_split.size()));
      }
    }
    report.extra["splits"] = static_cast<double>(ijba.split_pairs.size());
  } else if (cfg.protocol == EvalProtocol::kYtf) {
    const YtfPairs ytf = parse_ytf_splits(cfg.pairs);
    FV_CHECK(ytf.folds == cfg.folds, DataError, "{}: the file has {} splits but eval.folds is {} (fold count mismatch)",
             cfg.pairs, ytf.folds, cfg.folds);
    const VideoFeatures videos = ytf_video_features(ytf, set, cfg.ytf_frames, cfg.embeddings, cfg.id_prefix);
    std::int64_t frames = 0;
    for (std::int64_t n : videos.frames) frames += n;
    log::info("fv-eval: {} pairs of {} videos ({} frames averaged) from '{}'", ytf.pairs.size(), ytf.videos.size(),
              frames, cfg.pairs);
    const std::int64_t dim = set.attributes.embedding_dim;
    const std::vector<double> distances =
        protocol::squared_distances(protocol::l2_normalized(videos.features, dim), dim, ytf.pairs);
    protocol::require_finite_scores(distances, ytf.pairs, ytf.videos, videos.features, dim, cfg.embeddings);
    VerificationOptions options;
    options.kfold = cfg.kfold_options();
    options.far_targets = cfg.far_target_values();
    report.result = score_pairs(distances, ytf.pairs.same, options);
    report.extra["videos"] = static_cast<double>(ytf.videos.size());
  } else {
    std::vector<double> distances;
    std::vector<std::uint8_t> same;
    {
      protocol::IndexedPairs pairs = load_pairs(cfg, set);
      log::info("fv-eval: {} pairs from '{}'", pairs.size(), cfg.pairs.empty() ? cfg.embeddings : cfg.pairs);
      const std::int64_t dim = set.attributes.embedding_dim;
      distances = protocol::squared_distances(protocol::l2_normalized(set.embeddings, dim), dim, pairs);
      protocol::require_finite_scores(distances, pairs, set.ids, set.embeddings, dim, cfg.embeddings);
      same = std::move(pairs.same);
    }  // rows and lines (20 of the 21 bytes a pair) are freed before the metrics allocate theirs
    VerificationOptions options;
    options.kfold = cfg.kfold_options();
    options.far_targets = cfg.far_target_values();
    report.result = score_pairs(distances, same, options);
  }

  const std::filesystem::path out = cfg.output;
  std::filesystem::create_directories(out);
  write_file_atomic(out / "eval.ini", resolved_ini);
  write_file_atomic(out / "roc.csv", roc_csv(roc_points_for_csv(report.result.roc, cfg.roc_max_points)));
  write_file_atomic(out / "report.json", report_json(report));
  write_file_atomic(out / "summary.md", summary_markdown(report));
  if (cfg.plot) {
    plot_rocs({{report.name, out / "roc.csv"}}, out / "roc.png", fmt::format("ROC: {} ({})", report.name, report.protocol),
              cfg.gnuplot);
  }
  return report;
}

std::string run_compare(const std::vector<std::filesystem::path>& reports, const std::filesystem::path& output,
                        const std::string& gnuplot) {
  FV_CHECK(!reports.empty(), ConfigError, "fv-eval compare: give at least one report.json");
  std::vector<ReportSummary> summaries;
  std::vector<RocCurve> curves;
  bool all_csv = true;
  for (const auto& r : reports) {
    summaries.push_back(read_report(r));
    const auto csv = r.parent_path() / "roc.csv";
    if (std::filesystem::exists(csv)) {
      curves.push_back({summaries.back().name, csv});
    } else {
      all_csv = false;
    }
  }
  const std::string table = compare_table(summaries);
  if (!output.empty()) {
    std::filesystem::create_directories(output);
    write_file_atomic(output / "compare.md", "# fv-eval compare\n\n" + table);
    if (all_csv) {
      plot_rocs(curves, output / "roc_compare.png", "ROC comparison", gnuplot);
    } else {
      log::warn("fv-eval compare: not every report has a roc.csv beside it; no combined ROC plot");
    }
  }
  return table;
}

}  // namespace fv::eval
