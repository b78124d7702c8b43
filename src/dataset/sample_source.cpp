// Image-folder, list-file and MNIST sample sources.
#include "dataset/sample_source.h"

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/logging.h"

namespace fv {
namespace {

// Samples stored as files: path per sample, optional label.
class FileSource : public SampleSource {
 public:
  FileSource(std::filesystem::path base, std::vector<std::filesystem::path> files, std::vector<std::int64_t> labels,
             std::int64_t classes)
      : base_(std::move(base)), files_(std::move(files)), labels_(std::move(labels)), classes_(classes) {}
  std::size_t size() const override { return files_.size(); }
  RgbImage image(std::size_t i) const override { return read_image(base_ / files_.at(i)); }
  std::int64_t label(std::size_t i) const override { return labels_.empty() ? -1 : labels_.at(i); }
  std::string id(std::size_t i) const override { return files_.at(i).generic_string(); }
  std::int64_t num_classes() const override { return classes_; }

 private:
  std::filesystem::path base_;
  std::vector<std::filesystem::path> files_;
  std::vector<std::int64_t> labels_;
  std::int64_t classes_;
};

class MnistSource : public SampleSource {
 public:
  MnistSource(std::vector<std::uint8_t> pixels, std::vector<std::uint8_t> labels, int rows, int cols)
      : pixels_(std::move(pixels)), labels_(std::move(labels)), rows_(rows), cols_(cols) {}
  std::size_t size() const override { return labels_.size(); }
  RgbImage image(std::size_t i) const override {
    RgbImage img;
    img.width = cols_;
    img.height = rows_;
    img.pixels.resize(static_cast<std::size_t>(rows_) * cols_ * 3);
    const std::uint8_t* p = pixels_.data() + i * rows_ * cols_;
    for (int k = 0; k < rows_ * cols_; ++k) img.pixels[3 * k] = img.pixels[3 * k + 1] = img.pixels[3 * k + 2] = p[k];
    return img;
  }
  std::int64_t label(std::size_t i) const override { return labels_.at(i); }
  std::string id(std::size_t i) const override { return std::to_string(i); }
  std::int64_t num_classes() const override { return 10; }

 private:
  std::vector<std::uint8_t> pixels_;
  std::vector<std::uint8_t> labels_;
  int rows_, cols_;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Reads a file, inflating it when it is gzip-compressed.
std::vector<std::uint8_t> read_maybe_gzip(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw IoError(fmt::format("cannot open '{}': no such file", path.string()));
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw IoError(fmt::format("cannot open '{}'", path.string()));
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> buf(1 << 16);
  int n;
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0) out.insert(out.end(), buf.begin(), buf.begin() + n);
  int err = 0;
  const char* msg = gzerror(f, &err);
  const std::string message = msg ? msg : "";
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) {
    throw FormatError(fmt::format("'{}': corrupt gzip data: {}", path.string(), message));
  }
  return out;
}

std::uint32_t big_endian32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return (std::uint32_t(b[at]) << 24) | (std::uint32_t(b[at + 1]) << 16) | (std::uint32_t(b[at + 2]) << 8) | b[at + 3];
}

}  // namespace

bool has_image_extension(const std::filesystem::path& path) {
  static const char* kExtensions[] = {".jpg", ".jpeg", ".png"};
  const std::string ext = lower(path.extension().string());
  return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* e) { return ext == e; });
}

std::vector<std::filesystem::path> list_image_files(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw IoError(fmt::format("'{}' is not a readable folder", root.string()));
  // An explicit stack, not recursion: the depth comes from the file system. Folders are entered once by their
  // canonical path, so a link back to a folder above does not loop. A folder that cannot be listed is a
  // warning: the root's own failure is the only one that ends the walk.
  std::vector<fs::path> files;
  std::vector<fs::path> pending{root};
  std::set<fs::path> entered;
  std::size_t unreadable = 0;
  while (!pending.empty()) {
    const fs::path dir = pending.back();
    pending.pop_back();
    const fs::path canonical = fs::canonical(dir, ec);
    if (!ec && !entered.insert(canonical).second) {
      log::warn("'{}': a link to a folder already walked ('{}'); skipped", dir.string(), canonical.string());
      continue;
    }
    fs::directory_iterator it(dir, ec);
    if (ec) {
      if (dir == root) throw IoError(fmt::format("cannot walk folder '{}': {}", root.string(), ec.message()));
      log::warn("'{}': cannot list the folder: {}; its images are left out", dir.string(), ec.message());
      ++unreadable;
      continue;
    }
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::error_code type_ec;
      if (it->is_directory(type_ec)) {
        pending.push_back(it->path());
      } else if (it->is_regular_file(type_ec) && has_image_extension(it->path())) {
        files.push_back(it->path().lexically_relative(root));
      }
    }
    if (ec) {
      log::warn("'{}': listing stopped: {}; the rest of its images are left out", dir.string(), ec.message());
      ++unreadable;
    }
  }
  if (unreadable > 0) log::warn("'{}': {} folder(s) could not be listed (see the warnings above)", root.string(), unreadable);
  std::sort(files.begin(), files.end());
  return files;
}

std::unique_ptr<SampleSource> open_image_folder(const std::filesystem::path& root) {
  auto files = list_image_files(root);
  if (files.empty()) throw DataError(fmt::format("'{}' holds no .jpg/.jpeg/.png image", root.string()));
  std::map<std::string, std::int64_t> identities;
  for (const auto& f : files) identities.emplace(f.begin()->string(), 0);
  std::int64_t next = 0;
  for (auto& [name, label] : identities) label = next++;
  std::vector<std::int64_t> labels;
  labels.reserve(files.size());
  for (const auto& f : files) labels.push_back(identities.at(f.begin()->string()));
  return std::make_unique<FileSource>(root, std::move(files), std::move(labels), next);
}

std::unique_ptr<SampleSource> open_list_file(const std::filesystem::path& list, std::filesystem::path base_dir) {
  std::ifstream in(list);
  if (!in) throw IoError(fmt::format("cannot open list file '{}'", list.string()));
  if (base_dir.empty()) base_dir = list.parent_path();
  std::vector<std::filesystem::path> files;
  std::vector<std::int64_t> labels;
  std::int64_t max_label = -1;
  bool any_label = false, any_unlabelled = false;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream fields(line);
    std::string path, label_text, extra;
    if (!(fields >> path)) continue;
    if (fields >> label_text) {
      std::int64_t label = -1;
      try {
        std::size_t used = 0;
        label = std::stoll(label_text, &used);
        if (used != label_text.size()) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        throw FormatError(fmt::format("{}:{}: label '{}' is not an integer", list.string(), number, label_text));
      }
      if (label < 0) throw FormatError(fmt::format("{}:{}: label {} is negative", list.string(), number, label));
      if (fields >> extra) throw FormatError(fmt::format("{}:{}: unexpected field '{}' (expected `path [label]`)", list.string(), number, extra));
      labels.push_back(label);
      max_label = std::max(max_label, label);
      any_label = true;
    } else {
      labels.push_back(-1);
      any_unlabelled = true;
    }
    if (any_label && any_unlabelled) {
      throw FormatError(fmt::format("{}:{}: some lines have a label and some do not", list.string(), number));
    }
    files.emplace_back(path);
  }
  if (files.empty()) throw DataError(fmt::format("list file '{}' names no image", list.string()));
  if (!any_label) labels.clear();
  return std::make_unique<FileSource>(base_dir, std::move(files), std::move(labels), max_label + 1);
}

std::unique_ptr<SampleSource> open_mnist(const std::filesystem::path& images, const std::filesystem::path& labels) {
  auto img = read_maybe_gzip(images);
  auto lab = read_maybe_gzip(labels);
  if (img.size() < 16 || big_endian32(img, 0) != 0x00000803) {
    throw FormatError(fmt::format("'{}': not an IDX image file (magic must be 0x00000803)", images.string()));
  }
  if (lab.size() < 8 || big_endian32(lab, 0) != 0x00000801) {
    throw FormatError(fmt::format("'{}': not an IDX label file (magic must be 0x00000801)", labels.string()));
  }
  const std::uint32_t count = big_endian32(img, 4), rows = big_endian32(img, 8), cols = big_endian32(img, 12);
  const std::uint32_t label_count = big_endian32(lab, 4);
  if (count != label_count) {
    throw FormatError(fmt::format("'{}' holds {} images but '{}' holds {} labels", images.string(), count,
                                  labels.string(), label_count));
  }
  const std::uint64_t need = 16 + std::uint64_t(count) * rows * cols;
  if (img.size() != need) {
    throw FormatError(fmt::format("'{}': {} bytes, expected {} for {} images of {}x{}", images.string(), img.size(), need,
                                  count, rows, cols));
  }
  if (lab.size() != 8 + std::uint64_t(count)) {
    throw FormatError(fmt::format("'{}': {} bytes, expected {}", labels.string(), lab.size(), 8 + count));
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    if (lab[8 + i] > 9) throw FormatError(fmt::format("'{}': label {} of item {} is not a digit", labels.string(), lab[8 + i], i));
  }
  img.erase(img.begin(), img.begin() + 16);
  lab.erase(lab.begin(), lab.begin() + 8);
  return std::make_unique<MnistSource>(std::move(img), std::move(lab), static_cast<int>(rows), static_cast<int>(cols));
}

}  // namespace fv
