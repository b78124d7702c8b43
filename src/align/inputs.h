// The inputs of an alignment run: one image, a folder tree or a list file, in a deterministic order.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "align/align_config.h"
#include "align/manifest.h"
#include "face/face_detector.h"
#include "core/landmarks.h"

namespace fv {

struct InputItem {
  std::string path;      // the file to read: input.path joined with the relative path, lexically normalised
  std::string key;       // unique key in the manifest: path, plus "#<line>" for list items
  std::string relative;  // output path stem under the output's images/ folder, without extension; never
                         // absolute and without '.' or '..' components (confined_stem), unique in the set
  std::string identity;  // identity name (first folder under the root; a list item's parent folder)
  int label = 0;         // index of `identity` in the sorted list of identities
  int line = 0;          // line number in the list file (0 otherwise)
  bool has_box = false;  // a face box given by the list
  FaceBox box;
  bool has_landmarks = false;  // 5 landmarks given by the list (order of core/landmarks.h)
  Landmarks5 landmarks{};
  // Set when the enumeration found that this entry cannot be read as an image (a folder it cannot list, a
  // symbolic-link loop, a dangling link, a FIFO or device): the run writes a row with `problem_status` and
  // this reason without opening anything.
  std::string problem;
  AlignStatus problem_status = AlignStatus::kUnreadable;
};

struct InputSet {
  std::vector<InputItem> items;        // every input, sorted (folders) or in file order (lists)
  std::vector<std::string> identities; // sorted; identities[label]
};

// Enumerates config.input. Folders: every regular file with one of config.extensions at any depth,
// sorted by relative path (byte order); identity = the first folder below the root ("" for files in the
// root). Symbolic links are followed and named by where they sit under the root, never by their target;
// entries that cannot be images are items with a `problem` instead of being skipped silently: a folder that
// cannot be listed, a link loop (a link to one of its own ancestor folders, or to itself), a dangling
// link (status missing), and a FIFO, socket or device whose name has one of config.extensions (an entry
// that cannot be looked up at all gets one when its name has one of them or no extension). Two files
// that differ only in extension (a.jpg, a.png) get relative names "a_jpg", "a_png".
// List files: one item per non-blank, non-'#' line:
//   path                      detect faces
//   path x y w h              use this face box (landmarks from the 68-point model)
//   path x1 y1 ... x5 y5      use these 5 landmarks (order of core/landmarks.h); no detection
// a tab ends the path (which may then contain spaces), numbers are separated by whitespace; identity = the path's
// parent folder. The output name is the path relative to the list's root, or for a path outside it
// (absolute, or through '..') its own components without the root and '..' ("../x.jpg" -> "x",
// "/data/y.jpg" -> "data/y"); names used by several lines get "_L<line>".
// Throws FormatError naming the list file and line for malformed lines, ConfigError/IoError otherwise.
InputSet collect_inputs(const AlignConfig& config);

// The contiguous slice [i*N/n, (i+1)*N/n) of `count` items for shard i of n: shard manifests
// concatenated in shard order list the inputs in the same order as one unsharded run.
std::pair<std::size_t, std::size_t> shard_range(std::size_t count, int index, int shards);

// The output stem of an input named `name` (relative or absolute): lexically normalised, its root and its
// '.' and '..' components dropped, its extension removed, so that images/<stem><anything> always lies
// inside images/. "a/../../b/c.jpg" -> "b/c", "/x/y.png" -> "x/y"; "_" when nothing is left.
std::string confined_stem(const std::filesystem::path& name);

// "a FIFO", "a character device", "a folder", ... for the manifest's detail of an entry that is not read.
const char* file_type_name(std::filesystem::file_type type);

// Whether `path` lies strictly inside the folder `dir`, by lexical comparison of their absolute, lexically
// normalised forms (no file-system access beyond the working directory; symbolic links are not resolved).
bool path_is_within(const std::filesystem::path& path, const std::filesystem::path& dir);

}  // namespace fv
