// fv-eval's typed configuration: section [eval], bound to --eval.key options and configs/eval.ini.
#pragma once

#include <string>
#include <vector>

#include "core/options.h"
#include "protocol/kfold.h"

namespace fv::eval {

enum class EvalProtocol {
  kLfw,       // LFW View 2 pairs.txt, 10 contiguous folds
  kLfwView1,  // LFW View 1 pairsDevTrain/pairsDevTest, interleaved folds
  kBin,       // insightface .bin set embedded with /pair_flags, 10 contiguous folds
  kPairList,  // generic "id_a id_b same" list, interleaved folds
  kYtf,       // YouTube Faces splits.txt, video = mean of frame features, 10 contiguous folds
  kIjba,      // IJB-A 1:1: eval.pairs is the folder of split1..split10, TAR@FAR per split
  kIjbc,      // IJB-B / IJB-C in insightface's layout (template pooling, TAR@FAR only)
};
const EnumNames<EvalProtocol>& protocol_names();

// IJB-B/C weighting of image features by detector score (insightface ijb_11.py use_detector_score).
enum class FacenessWeighting {
  kAuto,  // weight when eval.ijb_face_scores names a score file, else not
  kOn,    // weight; eval.ijb_face_scores is required
  kOff,   // never weight (a score file given is not read)
};
const EnumNames<FacenessWeighting>& faceness_weighting_names();

struct EvalConfig {
  EvalProtocol protocol = EvalProtocol::kLfw;
  std::string embeddings;  // HDF5 file from fv-embed
  std::string pairs;       // protocol file (pairs.txt, View 1 file, pair list; IJB: the pair label list)
  std::string output;      // report folder
  std::string name;        // run label in reports and plots; default: the embeddings file's stem
  // k-fold accuracy (insightface verification.py defaults)
  int folds = 10;
  protocol::ThresholdMode threshold_mode = protocol::ThresholdMode::kGrid;
  double grid_start = 0.0;
  double grid_stop = 4.0;
  double grid_step = 0.01;
  double val_far = 1e-3;
  double val_grid_step = 0.001;
  // Ids in the embeddings file: LFW prefix + Name/Name_%04d + extension; YTF prefix + Person/video/frame file;
  // IJB prefix + image
  std::string id_prefix;
  std::string id_extension = ".jpg";
  // TAR@FAR targets, comma-separated
  std::string far_targets = "1e-6,1e-5,1e-4,1e-3,1e-2,1e-1";
  // IJB-B/C: the template/media map ("image template_id media_id" per line); the image ids of the map
  // are looked up in the embeddings file's /ids
  std::string ijb_template_media;
  // IJB-B/C: detector scores (insightface's <target>_name_5pts_score.txt: 'image x1 y1 ... x5 y5 score', rows
  // in the order of the template/media map) and whether to weight image features by them
  std::string ijb_face_scores;
  FacenessWeighting ijb_faceness = FacenessWeighting::kAuto;
  // The score file to use, or "" when no weighting applies (resolves ijb_faceness).
  std::string ijb_face_scores_used() const;
  // YouTube Faces: frames per video (0 = all), the first ones in frame order (see ytf.h)
  int ytf_frames = 0;
  // reports
  int roc_max_points = 2000;  // the ROC CSV keeps at most about this many points, spread on log FAR
  bool plot = true;           // draw roc.png with gnuplot
  std::string gnuplot = "gnuplot";

  void bind(OptionSet& options);
  // Throws ConfigError naming the key for a missing file argument or a bad value.
  void validate() const;
  std::vector<double> far_target_values() const;
  protocol::KFoldOptions kfold_options() const;
};

}  // namespace fv::eval
