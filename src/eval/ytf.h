// YouTube Faces (YTF) verification: splits.txt parsing and video features (mean of frame features).
//
// splits.txt: an optional header line, then comma-separated lines whose first field is the split number
// (1..10), the second and third the two videos ("Aaron_Eckhart/0"), and the last the ground truth
// (1 = same person); the official file has 5,000 lines in 10 splits of 500 (5 columns: split number, first
// name, second name, is same video?, is same person; only the first three and the last are used).
// A video's frames are the rows of the embeddings file whose id lies under "<video>/" (ids are relative
// paths such as "Aaron_Eckhart/0/0.555.jpg"); its feature is the mean of its frames' features (all frames,
// or the first `max_frames` in id order), before the usual L2 normalisation.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/embedding_store.h"
#include "eval/pairs.h"

namespace fv::eval {

struct YtfPairs {
  PairList list;  // a, b are video names; folds = number of splits
};

// Throws IoError if unreadable; FormatError naming file, line and text for a line with fewer than 4 fields,
// a non-integer split, a label not 0/1, or splits that are not consecutive blocks of equal size.
YtfPairs parse_ytf_splits(const std::filesystem::path& file);

// The video features (rows x dim, in the order of `videos`), each the mean of its frames.
// Throws DataError naming `splits_file` and the pair's line for a video with no frame in the embeddings.
struct VideoFeatures {
  std::vector<std::string> videos;
  std::vector<float> features;
};
VideoFeatures ytf_video_features(const PairList& list, const EmbeddingSet& set, int max_frames,
                                 const std::filesystem::path& embeddings_file);

// Pairs as rows of VideoFeatures.
IndexedPairs ytf_pairs(const PairList& list, const VideoFeatures& videos);

}  // namespace fv::eval
