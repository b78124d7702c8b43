// The classifier's test error on a held-out labelled set (the seed papers' MNIST/CIFAR metric, with the test-time
// network of each loss), measured after training. Verification accuracy during training: validation.h.
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
  bool channels_last = false;  // feed NHWC-strided inputs (the backbone's weights are channels-last)
};

// Puts a module in eval mode and restores its training flag when leaving the scope.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(torch::nn::Module& m) : module_(m), was_training_(m.is_training()) { m.eval(); }
  ~EvalModeGuard() { module_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  torch::nn::Module& module_;
  bool was_training_;
};

struct ClassificationResult {
  std::int64_t samples = 0;
  std::int64_t errors = 0;
  double error_rate() const { return samples > 0 ? static_cast<double>(errors) / static_cast<double>(samples) : 0.0; }
  // How far the samples are from the decision boundary, for judging a margin: the logit gap
  // z_y - max_{j != y} z_j of head.inference_logits (negative = misclassified) at the 10th, 50th and 90th
  // percentile, and the median feature norm |x| (the backbone's output). 0 when there were no samples.
  double gap_p10 = 0.0;
  double gap_median = 0.0;
  double gap_p90 = 0.0;
  double feature_norm_median = 0.0;
};

// Arg-max of head.inference_logits(backbone(x)) against the labels (and the gap statistics above), in eval mode under no-grad (the modules'
// training flags are restored afterwards). When `features_csv` is not empty, writes one line per sample
// "label,f0,f1,..." (the backbone's features, before the head) to it atomically, for feature plots.
// Requires a labelled source (DataError naming the sample otherwise).
ClassificationResult evaluate_classifier(Backbone& backbone, ClassifierHeadImpl& head, const SampleSource& source,
                                         const EvalSettings& settings, const std::filesystem::path& features_csv = {});

}  // namespace fv
