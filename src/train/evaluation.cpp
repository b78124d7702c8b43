// Test error of a trained classifier.
#include "train/evaluation.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <sstream>
#include <vector>

#include "core/atomic_file.h"
#include "core/check.h"
#include "core/error.h"
#include "dataset/batch_loader.h"

namespace fv {
namespace {

LoaderOptions eval_loader(const EvalSettings& s) {
  LoaderOptions o;
  o.batch_size = s.batch_size;
  o.shuffle = false;
  o.threads = s.threads;
  o.drop_last = false;
  return o;
}

torch::Tensor to_device(Batch& batch, const PreprocessOptions& p, torch::Device device) {
  const auto n = static_cast<int64_t>(batch.size());
  return torch::from_blob(batch.data(), {n, p.channels, p.height, p.width}, torch::kFloat32).to(device);
}

// The q-quantile (0..1, nearest rank) of `values`, or 0 when empty.
double quantile(std::vector<float> values, double q) {
  if (values.empty()) return 0.0;
  const auto k = static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

// z_y - max_{j != y} z_j per row of `logits` [N, C] for `labels` [N].
torch::Tensor logit_gaps(const torch::Tensor& logits, const torch::Tensor& labels) {
  const auto target = logits.gather(1, labels.unsqueeze(1)).squeeze(1);
  const auto others = logits.scatter(1, labels.unsqueeze(1), -std::numeric_limits<float>::infinity());
  return target - std::get<0>(others.max(1));
}

void append(std::vector<float>& out, const torch::Tensor& values) {
  const auto v = values.to(torch::kCPU, torch::kFloat32).contiguous();
  out.insert(out.end(), v.data_ptr<float>(), v.data_ptr<float>() + v.numel());
}

}  // namespace

ClassificationResult evaluate_classifier(Backbone& backbone, ClassifierHeadImpl& head, const SampleSource& source,
                                         const EvalSettings& settings, const std::filesystem::path& features_csv) {
  EvalModeGuard backbone_mode(backbone);
  EvalModeGuard head_mode(head);
  torch::NoGradGuard no_grad;
  BatchLoader loader(source, settings.preprocess, AugmentOptions{}, eval_loader(settings));
  loader.start_epoch(0);
  ClassificationResult result;
  std::vector<float> gaps, norms;
  std::ostringstream csv;
  while (auto batch = loader.next()) {
    for (size_t r = 0; r < batch->size(); ++r)
      FV_CHECK(batch->labels[r] >= 0, DataError, "test sample '{}' has no label", source.id(batch->indices[r]));
    const auto features = backbone.forward(to_device(*batch, settings.preprocess, settings.device));
    const auto logits = head.inference_logits(features).to(torch::kCPU, torch::kFloat32);
    const auto labels = torch::tensor(batch->labels, torch::kInt64);
    result.samples += static_cast<int64_t>(batch->size());
    result.errors += logits.argmax(1).ne(labels).sum().item<int64_t>();
    if (logits.size(1) > 1) append(gaps, logit_gaps(logits, labels));
    append(norms, features.to(torch::kFloat32).norm(2, 1));
    if (!features_csv.empty()) {
      const auto f = features.to(torch::kCPU, torch::kFloat32).contiguous();
      const float* row = f.data_ptr<float>();
      for (int64_t r = 0; r < f.size(0); ++r) {
        csv << batch->labels[static_cast<size_t>(r)];
        for (int64_t c = 0; c < f.size(1); ++c) csv << ',' << row[r * f.size(1) + c];
        csv << '\n';
      }
    }
  }
  if (!features_csv.empty()) write_file_atomic(features_csv, csv.str());
  result.gap_p10 = quantile(gaps, 0.1);
  result.gap_median = quantile(gaps, 0.5);
  result.gap_p90 = quantile(gaps, 0.9);
  result.feature_norm_median = quantile(std::move(norms), 0.5);
  return result;
}

}  // namespace fv
