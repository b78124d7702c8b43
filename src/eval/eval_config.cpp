// fv-eval's configuration keys, defaults and validation.
#include "eval/eval_config.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "core/check.h"

namespace fv::eval {

const EnumNames<EvalProtocol>& protocol_names() {
  static const EnumNames<EvalProtocol> names = {{"lfw", EvalProtocol::kLfw},
                                                 {"lfw-view1", EvalProtocol::kLfwView1},
                                                 {"bin", EvalProtocol::kBin},
                                                 {"pairlist", EvalProtocol::kPairList},
                                                 {"ytf", EvalProtocol::kYtf},
                                                 {"ijba", EvalProtocol::kIjba},
                                                 {"ijbc", EvalProtocol::kIjbc}};
  return names;
}

const EnumNames<FacenessWeighting>& faceness_weighting_names() {
  static const EnumNames<FacenessWeighting> names = {
      {"auto", FacenessWeighting::kAuto}, {"on", FacenessWeighting::kOn}, {"off", FacenessWeighting::kOff}};
  return names;
}

std::string EvalConfig::ijb_face_scores_used() const {
  return ijb_faceness == FacenessWeighting::kOff ? std::string() : ijb_face_scores;
}

void EvalConfig::bind(OptionSet& o) {
  o.add_enum("eval.protocol", &protocol, protocol_names(),
             "benchmark protocol: lfw (pairs.txt), lfw-view1 (pairsDevTrain/DevTest), bin (insightface .bin "
             "set embedded with pair flags), pairlist (id_a id_b same), ytf (YouTube Faces splits.txt), ijba (IJB-A 1:1, eval.pairs = the folder of split1..split10), ijbc (IJB-B/C, insightface layout)");
  o.add("eval.embeddings", &embeddings, "embeddings HDF5 file written by fv-embed");
  o.add("eval.pairs", &pairs, "protocol file: pairs.txt, pairsDevTest.txt, a pair list, or the IJB pair label list");
  o.add("eval.output", &output, "folder for report.json, roc.csv, roc.png, summary.md and eval.ini");
  o.add("eval.name", &name, "run label in reports and plots (default: the embeddings file name)");
  o.add("eval.folds", &folds, "number of folds of the k-fold accuracy");
  o.add_enum("eval.threshold_mode", &threshold_mode,
             EnumNames<protocol::ThresholdMode>{{"grid", protocol::ThresholdMode::kGrid},
                                                {"exact", protocol::ThresholdMode::kExact}},
             "k-fold thresholds: grid (insightface: arange(start, stop, step)) or exact (midpoints of distances)");
  o.add("eval.grid_start", &grid_start, "first squared-L2 distance threshold of the grid");
  o.add("eval.grid_stop", &grid_stop, "end (excluded) of the threshold grid");
  o.add("eval.grid_step", &grid_step, "step of the accuracy threshold grid");
  o.add("eval.val_far", &val_far, "FAR of VAL@FAR (facenet: 1e-3)");
  o.add("eval.val_grid_step", &val_grid_step, "step of the VAL threshold grid (verification.py: 0.001)");
  o.add("eval.id_prefix", &id_prefix,
        "prefix of ids in the embeddings file (LFW: prefix Name/Name_0001 ext; YTF: prefix Person/video/frame; IJB: "
        "prefix image)");
  o.add("eval.id_extension", &id_extension, "LFW: extension of ids in the embeddings file");
  o.add("eval.far_targets", &far_targets, "comma-separated FARs of the TAR@FAR table");
  o.add("eval.ijb_template_media", &ijb_template_media,
        "IJB-B/C: template/media map (lines 'image template_id media_id'), e.g. ijbc_face_tid_mid.txt");
  o.add("eval.ijb_face_scores", &ijb_face_scores,
        "IJB-B/C: detector scores, e.g. ijbc_name_5pts_score.txt ('image x1 y1 ... x5 y5 score', rows in the "
        "order of eval.ijb_template_media)");
  o.add_enum("eval.ijb_faceness", &ijb_faceness, faceness_weighting_names(),
             "IJB-B/C: multiply each image feature by its detector score before pooling (insightface ijb_11.py "
             "use_detector_score): auto = when eval.ijb_face_scores is given, on (requires it), off");
  o.add("eval.ytf_frames", &ytf_frames, "YouTube Faces: frames averaged per video (0: all)");
  o.add("eval.roc_max_points", &roc_max_points, "at most about this many points in roc.csv (log-FAR spread)");
  o.add("eval.plot", &plot, "draw roc.png with gnuplot");
  o.add("eval.gnuplot", &gnuplot, "gnuplot executable");
}

std::vector<double> EvalConfig::far_target_values() const {
  std::vector<double> v;
  std::stringstream in(far_targets);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.find_first_not_of(" \t") == std::string::npos) continue;
    double x = 0;
    try {
      std::size_t used = 0;
      x = std::stod(item, &used);
      if (item.find_first_not_of(" \t", used) != std::string::npos) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw ConfigError(fmt::format("config key 'eval.far_targets': '{}' is not a number", item));
    }
    FV_CHECK(x > 0 && x <= 1, ConfigError, "config key 'eval.far_targets': {} must lie in (0, 1]", x);
    v.push_back(x);
  }
  FV_CHECK(!v.empty(), ConfigError, "config key 'eval.far_targets' is empty");
  return v;
}

protocol::KFoldOptions EvalConfig::kfold_options() const {
  protocol::KFoldOptions k;
  k.folds = folds;
  k.mode = threshold_mode;
  k.grid_start = grid_start;
  k.grid_stop = grid_stop;
  k.grid_step = grid_step;
  k.val_far = val_far;
  k.val_grid_step = val_grid_step;
  k.interleaved = protocol == EvalProtocol::kLfwView1 || protocol == EvalProtocol::kPairList;
  return k;
}

void EvalConfig::validate() const {
  FV_CHECK(!embeddings.empty(), ConfigError, "config key 'eval.embeddings' is required (the fv-embed HDF5 file)");
  FV_CHECK(!output.empty(), ConfigError, "config key 'eval.output' is required (the report folder)");
  FV_CHECK(protocol == EvalProtocol::kBin || !pairs.empty(), ConfigError,
           "config key 'eval.pairs' is required for this protocol (the protocol's pair file)");
  FV_CHECK(protocol != EvalProtocol::kIjbc || !ijb_template_media.empty(), ConfigError,
           "config key 'eval.ijb_template_media' is required for protocol ijbc");
  FV_CHECK(ijb_faceness != FacenessWeighting::kOn || !ijb_face_scores.empty(), ConfigError,
           "config key 'eval.ijb_faceness' is 'on' but 'eval.ijb_face_scores' (the detector score file) is not given");
  FV_CHECK(folds >= 2, ConfigError, "config key 'eval.folds' must be at least 2, got {}", folds);
  FV_CHECK(grid_step > 0 && val_grid_step > 0 && grid_stop > grid_start, ConfigError,
           "config keys 'eval.grid_start/grid_stop/grid_step/val_grid_step' must give a non-empty grid");
  FV_CHECK(val_far > 0 && val_far < 1, ConfigError, "config key 'eval.val_far' must lie in (0, 1), got {}", val_far);
  FV_CHECK(roc_max_points >= 10, ConfigError, "config key 'eval.roc_max_points' must be at least 10");
  FV_CHECK(ytf_frames >= 0, ConfigError, "config key 'eval.ytf_frames' must be >= 0 (0: all frames)");
  far_target_values();
}

}  // namespace fv::eval
