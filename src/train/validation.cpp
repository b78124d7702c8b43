// Validation sets opened once, embedded by the training backbone and scored with fv-eval's k-fold protocol.
#include "train/validation.h"

#include <fmt/format.h>

#include <chrono>
#include <map>

#include "core/check.h"
#include "core/error.h"
#include "core/image_codec.h"
#include "core/logging.h"
#include "dataset/pickle_bin.h"
#include "embedder/backbone_embedder.h"
#include "plot/train_curves.h"
#include "protocol/pair_distances.h"
#include "protocol/pairs.h"

namespace fv {

struct Validator::Set {
  std::string name;
  std::unique_ptr<SampleSource> images;
  protocol::IndexedPairs pairs;
  protocol::KFoldOptions kfold;
  FlipMode flip = FlipMode::kNone;
  std::vector<std::string> ids;  // of the images, for error messages
};

namespace {

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

}  // namespace

// val.pairs: every image once, pairs as rows; the file's folds (contiguous), or val.folds interleaved.
std::unique_ptr<Validator::Set> Validator::open_pairs(const ValidationConfig& c) {
  protocol::LfwIdFormat format;
  format.prefix = c.id_prefix;
  format.extension = c.id_extension;
  const protocol::PairList list = protocol::parse_lfw_pairs(c.pairs, format);
  std::map<std::string, std::int64_t> row_of;
  std::vector<std::filesystem::path> paths;
  auto set = std::make_unique<Validator::Set>();
  set->name = "pairs";
  for (const auto& p : list.pairs) {
    for (const auto* id : {&p.a, &p.b}) {
      if (row_of.emplace(*id, static_cast<std::int64_t>(paths.size())).second)
        paths.push_back(std::filesystem::path(c.root) / *id);
    }
    set->pairs.a.push_back(row_of.at(p.a));
    set->pairs.b.push_back(row_of.at(p.b));
    set->pairs.same.push_back(p.same ? 1 : 0);
  }
  set->pairs.file = c.pairs;
  set->images = std::make_unique<PathSource>(std::move(paths));
  set->kfold.folds = list.folds > 1 ? list.folds : c.folds;
  set->kfold.interleaved = list.folds <= 1;
  return set;
}

// val.bin: insightface's layout, pair i = images (2i, 2i+1), 10 contiguous folds, flip-sum.
std::unique_ptr<Validator::Set> Validator::open_bin(const std::filesystem::path& path) {
  auto set = std::make_unique<Validator::Set>();
  set->name = path.stem().string();
  std::vector<std::int8_t> flags;
  set->images = open_bin_set(path, &flags);
  set->pairs = protocol::pairs_from_flags(flags);
  set->kfold.folds = 10;
  set->flip = FlipMode::kSum;
  return set;
}

Validator::Validator(const ValidationConfig& config, EvalSettings settings) : settings_(std::move(settings)) {
  if (!config.pairs.empty()) sets_.push_back(open_pairs(config));
  for (const auto& bin : config.bins) sets_.push_back(open_bin(bin));
  for (const auto& set : sets_) {
    for (std::size_t i = 0; i < set->images->size(); ++i) set->ids.push_back(set->images->id(i));
    FV_CHECK(set->pairs.size() >= static_cast<std::size_t>(set->kfold.folds), DataError,
             "validation set '{}' has {} pairs, fewer than its {} folds", set->name, set->pairs.size(),
             set->kfold.folds);
  }
}

Validator::~Validator() = default;

std::vector<std::string> Validator::names() const {
  std::vector<std::string> out;
  for (const auto& set : sets_) out.push_back(set->name);
  return out;
}

void Validator::restore(const std::filesystem::path& journal) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(journal, ec)) return;
  try {
    for (const auto& v : plot::read_train_jsonl(journal).validations) record_accuracy(v.set, v.accuracy);
  } catch (const Error& e) {
    log::warn("{}: the highest validation accuracies so far are not restored ({})", journal.string(), e.what());
  }
}

double Validator::record_accuracy(const std::string& set, double accuracy) {
  auto [it, added] = best_.emplace(set, accuracy);
  if (!added) it->second = std::max(it->second, accuracy);
  return it->second;
}

std::vector<ValidationResult> Validator::run(const std::shared_ptr<Backbone>& backbone) {
  EvalModeGuard eval_mode(*backbone);
  BackboneInput input;
  input.device = settings_.device;
  input.channels_last = settings_.channels_last;
  BackboneEmbedder embedder(backbone, settings_.preprocess, input, "the training backbone");
  std::vector<ValidationResult> results;
  for (const auto& set : sets_) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<float> embeddings =
        embed_source(embedder, *set->images, set->flip, /*normalize=*/false, settings_.batch_size, settings_.threads);
    const std::int64_t dim = output_dim(embedder.dim(), set->flip);
    const std::vector<double> distances =
        protocol::squared_distances(protocol::l2_normalized(embeddings, dim), dim, set->pairs);
    protocol::require_finite_scores(distances, set->pairs, set->ids, embeddings, dim, set->name);
    const protocol::KFoldResult k = protocol::kfold_verification(distances, set->pairs.same, set->kfold);
    ValidationResult r;
    r.set = set->name;
    r.accuracy = k.accuracy_mean;
    r.accuracy_std = k.accuracy_std;
    for (double t : k.fold_threshold) r.threshold += t / static_cast<double>(k.fold_threshold.size());
    r.best = record_accuracy(set->name, r.accuracy);
    r.pairs = static_cast<std::int64_t>(set->pairs.size());
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    results.push_back(r);
  }
  return results;
}

}  // namespace fv
