// Opening training and test sets.
#include "train/training_data.h"

#include <fmt/format.h>

#include "core/check.h"
#include "core/error.h"
#include "dataset/recordio_source.h"

namespace fv {
namespace {

class PrefixSource final : public SampleSource {
 public:
  PrefixSource(std::unique_ptr<SampleSource> inner, std::size_t count) : inner_(std::move(inner)), count_(count) {}
  std::size_t size() const override { return count_; }
  RgbImage image(std::size_t i) const override { return inner_->image(i); }
  std::int64_t label(std::size_t i) const override { return inner_->label(i); }
  std::string id(std::size_t i) const override { return inner_->id(i); }
  std::int64_t num_classes() const override { return inner_->num_classes(); }

 private:
  std::unique_ptr<SampleSource> inner_;
  std::size_t count_;
};

}  // namespace

std::unique_ptr<SampleSource> first_samples(std::unique_ptr<SampleSource> source, std::size_t count) {
  if (count == 0 || count >= source->size()) return source;
  return std::make_unique<PrefixSource>(std::move(source), count);
}

DataKind resolve_data_kind(DataKind kind, const std::filesystem::path& path) {
  if (kind != DataKind::kAuto) return kind;
  const std::string name = path.filename().string();
  if (path.extension() == ".rec") return DataKind::kRecordIO;
  if (name.find("idx3-ubyte") != std::string::npos) return DataKind::kMnist;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return DataKind::kFolder;
  return DataKind::kList;
}

std::unique_ptr<SampleSource> open_training_source(const std::filesystem::path& path, DataKind kind,
                                                   const std::filesystem::path& labels, const std::string& key) {
  std::error_code ec;
  FV_CHECK(std::filesystem::exists(path, ec), IoError, "{} '{}' does not exist", key, path.string());
  std::unique_ptr<SampleSource> source;
  switch (resolve_data_kind(kind, path)) {
    case DataKind::kFolder:
      source = open_image_folder(path);
      break;
    case DataKind::kList:
      source = open_list_file(path);
      break;
    case DataKind::kMnist:
      FV_CHECK(!labels.empty(), ConfigError, "{} is an MNIST images file: give its labels file too", key);
      source = open_mnist(path, labels);
      break;
    case DataKind::kRecordIO:
      source = open_recordio(path);
      break;
    case DataKind::kAuto:
      break;
  }
  FV_CHECK(source != nullptr, ConfigError, "{}: cannot open '{}'", key, path.string());
  FV_CHECK(source->size() > 0, DataError, "{} '{}' holds no samples", key, path.string());
  FV_CHECK(source->num_classes() > 0 && source->label(0) >= 0, ConfigError,
           "{} '{}' has no identity labels; training needs labelled samples", key, path.string());
  return source;
}

}  // namespace fv
