// Test error and pair verification of a model being trained.
#include "train/evaluation.h"

#include <fmt/format.h>

#include <map>
#include <sstream>

#include "core/atomic_file.h"
#include "core/check.h"
#include "core/error.h"
#include "dataset/batch_loader.h"
#include "protocol/kfold.h"
#include "protocol/pairs.h"

namespace fv {
namespace {

// Restores a module's training flag when leaving the scope.
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

// Images named by paths (the images of a pairs file), unlabelled.
class PathSource final : public SampleSource {
 public:
  explicit PathSource(std::vector<std::filesystem::path> paths) : paths_(std::move(paths)) {}
  std::size_t size() const override { return paths_.size(); }
  RgbImage image(std::size_t i) const override { return read_image(paths_.at(i)); }
  std::int64_t label(std::size_t) const override { return -1; }
  std::string id(std::size_t i) const override { return paths_.at(i).string(); }
  std::int64_t num_classes() const override { return 0; }

 private:
  std::vector<std::filesystem::path> paths_;
};

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

VerificationResult verify_pairs(Backbone& backbone, const PairsSpec& spec, const EvalSettings& settings) {
  eval::LfwIdFormat format;
  format.prefix = spec.id_prefix;
  format.extension = spec.id_extension;
  const eval::PairList list = eval::parse_lfw_pairs(spec.pairs, format);
  std::map<std::string, std::size_t> row_of;
  std::vector<std::filesystem::path> paths;
  for (const auto& p : list.pairs) {
    for (const auto* id : {&p.a, &p.b}) {
      if (row_of.emplace(*id, paths.size()).second) paths.push_back(spec.root / *id);
    }
  }
  PathSource source(paths);
  EvalModeGuard mode(backbone);
  torch::NoGradGuard no_grad;
  BatchLoader loader(source, settings.preprocess, AugmentOptions{}, eval_loader(settings));
  loader.start_epoch(0);
  std::vector<torch::Tensor> parts;
  while (auto batch = loader.next()) {
    parts.push_back(backbone.forward(to_device(*batch, settings.preprocess, settings.device)).to(torch::kCPU,
                                                                                                  torch::kFloat32));
  }
  const auto embeddings = torch::nn::functional::normalize(
      torch::cat(parts), torch::nn::functional::NormalizeFuncOptions().p(2).dim(1).eps(1e-12));
  std::vector<double> distances;
  std::vector<std::uint8_t> same;
  for (const auto& p : list.pairs) {
    const auto d = (embeddings[static_cast<int64_t>(row_of.at(p.a))] - embeddings[static_cast<int64_t>(row_of.at(p.b))])
                       .pow(2)
                       .sum()
                       .item<double>();
    distances.push_back(d);
    same.push_back(p.same ? 1 : 0);
  }
  eval::KFoldOptions options;
  options.folds = list.folds > 1 ? list.folds : spec.folds;
  options.interleaved = list.folds <= 1;
  const auto r = eval::kfold_verification(distances, same, options);
  return {r.accuracy_mean, r.accuracy_std, static_cast<std::int64_t>(same.size())};
}

}  // namespace fv
