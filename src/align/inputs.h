// The inputs of an alignment run: one image, a folder tree or a list file, in a deterministic order.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "align/align_config.h"
#include "face/face_detector.h"
#include "core/landmarks.h"

namespace fv {

struct InputItem {
  std::string path;      // the file to read: input.path joined with the relative path, lexically normalised
  std::string key;       // unique key in the manifest: path, plus "#<line>" for list items
  std::string relative;  // output path stem relative to the output's images/ folder, without extension
  std::string identity;  // identity name (first folder under the root; a list item's parent folder)
  int label = 0;         // index of `identity` in the sorted list of identities
  int line = 0;          // line number in the list file (0 otherwise)
  bool has_box = false;  // a face box given by the list
  FaceBox box;
  bool has_landmarks = false;  // 5 landmarks given by the list (order of core/landmarks.h)
  Landmarks5 landmarks{};
};

struct InputSet {
  std::vector<InputItem> items;        // every input, sorted (folders) or in file order (lists)
  std::vector<std::string> identities; // sorted; identities[label]
};

// Enumerates config.input. Folders: every regular file with one of config.extensions at any depth,
// sorted by relative path (byte order); identity = the first folder below the root ("" for files in the
// root). List files: one item per non-blank, non-'#' line:
//   path                      detect faces
//   path x y w h              use this face box (landmarks from the 68-point model)
//   path x1 y1 ... x5 y5      use these 5 landmarks (order of core/landmarks.h); no detection
// a tab ends the path (which may then contain spaces), numbers are separated by whitespace; identity = the path's
// parent folder.
// Throws FormatError naming the list file and line for malformed lines, ConfigError/IoError otherwise.
InputSet collect_inputs(const AlignConfig& config);

// The contiguous slice [i*N/n, (i+1)*N/n) of `count` items for shard i of n: shard manifests
// concatenated in shard order list the inputs in the same order as one unsharded run.
std::pair<std::size_t, std::size_t> shard_range(std::size_t count, int index, int shards);

}  // namespace fv
