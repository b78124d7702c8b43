// Test error of a trained classifier.
#include "train/evaluation.h"

#include <fmt/format.h>

#include <sstream>

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

}  // namespace

ClassificationResult evaluate_classifier(Backbone& backbone, ClassifierHeadImpl& head, const SampleSource& source,
                                         const EvalSettings& settings, const std::filesystem::path& features_csv) {
  EvalModeGuard backbone_mode(backbone);
  EvalModeGuard head_mode(head);
  torch::NoGradGuard no_grad;
  BatchLoader loader(source, settings.preprocess, AugmentOptions{}, eval_loader(settings));
  loader.start_epoch(0);
  ClassificationResult result;
  std::ostringstream csv;
  while (auto batch = loader.next()) {
    for (size_t r = 0; r < batch->size(); ++r)
      FV_CHECK(batch->labels[r] >= 0, DataError, "test sample '{}' has no label", source.id(batch->indices[r]));
    const auto features = backbone.forward(to_device(*batch, settings.preprocess, settings.device));
    const auto predicted = head.inference_logits(features).argmax(1).cpu();
    const auto labels = torch::tensor(batch->labels, torch::kInt64);
    result.samples += static_cast<int64_t>(batch->size());
    result.errors += predicted.ne(labels).sum().item<int64_t>();
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
  return result;
}

}  // namespace fv
