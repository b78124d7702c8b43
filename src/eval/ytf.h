// YouTube Faces (YTF) verification: splits.txt parsing and video features (mean of frame features).
//
// splits.txt, the YouTube Faces benchmark list (5,000 video pairs in 10 splits of 500, the text form of
// meta_and_splits.mat's Splits). Comma-separated, with a space after each comma and a header line naming the
// columns, as public evaluation code reads it (pandas read_csv, then strips the column names and the video
// names; columns 'split number', 'first name', 'second name', 'is same'), lines such as:
//   split number, first name, second name, is same
//   1, Aaron_Eckhart/0, Aaron_Eckhart/1, 1
// Field 1 is the split number (1..10, in increasing blocks of equal size), fields 2 and 3 the two videos
// ("<person>/<video number>", the folders of frame_images_DB / aligned_images_DB), and the same-person flag
// (1 = same person, 0 = different) is the column the header names 'is same' (also accepted: 'is same person',
// 'is_same', 'issame', 'same'; compared case-insensitively), searched from the fourth column on, so that a
// file with further columns (e.g. 'is same video, is same person') is read correctly. Without a header line
// the flag is the fourth field. Whitespace around fields, CRLF line ends and blank lines are ignored; extra
// trailing fields are ignored.
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

// Throws IoError if unreadable; FormatError naming file, line and text for a header without a same-person
// column, a line with fewer fields than the same-person column needs (at least 4), a non-integer split, a
// flag not 0/1, or splits that are not consecutive blocks of equal size.
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
