// Where training and embedding samples come from: one interface, one implementation per dataset layout.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/image_codec.h"

namespace fv {

// A dataset of images with optional identity labels. Implementations are immutable after construction and
// safe to read from several threads at once.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual std::size_t size() const = 0;
  // Decoded RGB pixels of sample i. Throws FormatError/IoError naming the sample for unreadable data.
  virtual RgbImage image(std::size_t i) const = 0;
  // Identity label in [0, num_classes()), or -1 when the source has no labels.
  virtual std::int64_t label(std::size_t i) const = 0;
  // Stable identifier written next to embeddings: a relative path or a record index.
  virtual std::string id(std::size_t i) const = 0;
  virtual std::int64_t num_classes() const = 0;
};

// File extensions treated as images by folder walks (lower-case compare).
bool has_image_extension(const std::filesystem::path& path);

// All image files under `root`, any depth, as paths relative to `root`, sorted (deterministic order). Linked
// folders are walked and named by the link; a folder reached twice (a link loop) is walked once; a sub-folder that
// cannot be listed is left out with a warning naming it.
// Throws IoError if `root` is not a readable folder.
std::vector<std::filesystem::path> list_image_files(const std::filesystem::path& root);

// Identity folders: `root/<identity>/.../*.jpg`; label = index of the identity in sorted order.
std::unique_ptr<SampleSource> open_image_folder(const std::filesystem::path& root);

// A list file with one sample per line: `path [label]`; relative paths are taken from `base_dir` (the list's
// folder when empty). '#' starts a comment. Malformed lines throw FormatError naming file and line.
std::unique_ptr<SampleSource> open_list_file(const std::filesystem::path& list, std::filesystem::path base_dir = {});

// MNIST IDX files (gzip-compressed or not): 28x28 grey images (returned as RGB with equal channels) and labels.
// Header magic, counts and sizes are checked; errors name the file.
std::unique_ptr<SampleSource> open_mnist(const std::filesystem::path& images, const std::filesystem::path& labels);

}  // namespace fv
