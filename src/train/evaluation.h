// Measures taken during and after training: the classifier's test error on a held-out labelled set (the
// seed papers' MNIST/CIFAR metric, with the test-time network of each loss) and the verification accuracy
// on an LFW-style pairs set (10-fold, as fv-eval and insightface's verification.py).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "dataset/preprocess.h"
#include "dataset/sample_source.h"
#include "model/backbone.h"
#include "train/classifier_head.h"

namespace fv {

struct EvalSettings {
  PreprocessOptions preprocess;
  int batch_size = 256;
  int threads = 2;
  torch::Device device = torch::kCPU;
};

struct ClassificationResult {
  std::int64_t samples = 0;
  std::int64_t errors = 0;
  double error_rate() const { return samples > 0 ? static_cast<double>(errors) / static_cast<double>(samples) : 0.0; }
};

// Arg-max of head.inference_logits(backbone(x)) against the labels, in eval mode under no-grad (the modules'
// training flags are restored afterwards). When `features_csv` is not empty, writes one line per sample
// "label,f0,f1,..." (the backbone's features, before the head) to it atomically, for feature plots.
// Requires a labelled source (DataError naming the sample otherwise).
ClassificationResult evaluate_classifier(Backbone& backbone, ClassifierHeadImpl& head, const SampleSource& source,
                                         const EvalSettings& settings, const std::filesystem::path& features_csv = {});

struct PairsSpec {
  std::filesystem::path pairs;  // LFW View 2 pairs.txt
  std::filesystem::path root;   // images: root / (prefix + Name/Name_%04d + extension)
  std::string id_prefix;
  std::string id_extension = ".jpg";
  int folds = 10;
};

struct VerificationResult {
  double accuracy = 0;       // mean 10-fold accuracy
  double accuracy_std = 0;
  std::int64_t pairs = 0;
};

// Embeds every image of the pairs once (eval mode, no-grad, L2-normalised), scores pairs by squared L2
// distance and runs the k-fold protocol of fv-eval (contiguous folds of the file). Throws the parser's
// FormatError for a malformed file and IoError naming an unreadable image.
VerificationResult verify_pairs(Backbone& backbone, const PairsSpec& spec, const EvalSettings& settings);

}  // namespace fv
