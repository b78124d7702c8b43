// Verification accuracy during training, as insightface's CallBackVerification: every val.every_steps and at the
// end, each validation set is embedded by the backbone being trained and scored by the k-fold protocol of fv-eval
// (protocol/: the same distances and folds as `fv-eval --eval.protocol bin` / `lfw`).
//
// Sets: insightface .bin files (val.bin; named by their stem: lfw, cfp_fp, agedb_30; embedded with flip-sum as
// insightface does; contiguous 10 folds) and an LFW-style pairs.txt over an image folder (val.pairs; named
// "pairs"; no flip; the file's folds, or val.folds interleaved for a file without folds).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataset/sample_source.h"
#include "embedder/embedder.h"
#include "model/backbone.h"
#include "protocol/indexed_pairs.h"
#include "protocol/kfold.h"
#include "train/evaluation.h"
#include "train/train_config.h"

namespace fv {

struct ValidationResult {
  std::string set;
  double accuracy = 0;      // mean k-fold accuracy
  double accuracy_std = 0;  // population std over the folds (np.std, as insightface prints it)
  double threshold = 0;     // mean over the folds of the chosen distance threshold (insightface's best_threshold)
  double best = 0;          // the highest accuracy on this set so far, this one included
  std::int64_t pairs = 0;
  double seconds = 0;
};

class Validator {
 public:
  // Opens every set of `config` now, so that a malformed file stops the run before it trains (FormatError /
  // IoError naming the file, as fv-eval and fv-embed report them).
  Validator(const ValidationConfig& config, EvalSettings settings);
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  bool empty() const { return sets_.empty(); }
  // The set names, in validation order (pairs first, then the .bin files in val.bin order).
  std::vector<std::string> names() const;

  // Seeds the highest accuracy so far from the "validation" lines of a resumed run's train.jsonl, read by the plot
  // library's train.jsonl reader (a missing or unreadable log seeds nothing, with a warning when unreadable).
  void restore(const std::filesystem::path& journal);

  // Embeds and scores every set with `backbone` (eval mode, no grad; its training flag is restored).
  std::vector<ValidationResult> run(const std::shared_ptr<Backbone>& backbone);

 private:
  struct Set;
  static std::unique_ptr<Set> open_pairs(const ValidationConfig& config);
  static std::unique_ptr<Set> open_bin(const std::filesystem::path& path);
  // Notes an accuracy on `set`; returns the highest so far.
  double record_accuracy(const std::string& set, double accuracy);
  std::vector<std::unique_ptr<Set>> sets_;
  EvalSettings settings_;
  std::map<std::string, double> best_;
};

}  // namespace fv
