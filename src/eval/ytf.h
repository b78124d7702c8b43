// YouTube Faces (YTF) verification: splits.txt parsing and video features (mean of frame features).
//
// splits.txt as published with the database (the text form of meta_and_splits.mat's Splits: 5,000 video
// pairs in 10 splits of 500). A header line, then one comma-separated line per pair (", " between fields,
// CRLF line ends, no line break after the last line):
//   split number, pair id, first name, second name, is same
//   1, 1, Sadie_Frost/1, Sadie_Frost/5, 1
// split number: 1..10, in increasing blocks of equal size (a split is a fold); pair id: 1..500 within its
// split; first/second name: the videos "<person>/<video number>", the folders of aligned_images_DB (and
// frame_images_DB); is same: 1 = same person, 0 = different.
// With a header, its names give the columns (compared case-insensitively, '_' as a space): 'split number'
// (or 'split'), 'pair id' (optional), 'first name', 'second name', 'is same' (or 'is same person', 'issame',
// 'same'); other columns are ignored. Copies with the header line removed are common: when the first line
// starts with a number the published five columns are assumed. (`wc -l` counts 4,999 lines in the published
// file: its last line has no line break; all 5,000 pairs are there.)
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "formats/embedding_store.h"
#include "protocol/indexed_pairs.h"
#include "protocol/protocol_reader.h"

namespace fv::eval {

struct YtfPairs {
  std::filesystem::path file;
  std::vector<std::string> videos;  // distinct videos ("<person>/<video number>"), in order of first appearance
  protocol::IndexedPairs pairs;     // a, b index `videos`; line: the pair's line in `file`
  int folds = 0;                    // number of splits
};

// Streams the file and stops at the first bad line. Throws IoError if unreadable; FormatError naming the
// file, line and text for a header without the required columns (or naming one twice), a line with the wrong
// number of fields, a split number or pair id that is not a positive integer, a video not of the form
// "<person>/<video number>", a flag not 0/1, splits that are not in increasing blocks, a pair id that appears
// twice in its split; FormatError naming the file for splits of unequal size (naming the pair ids a short
// split lacks, when the file has pair ids) or a file without pairs.
YtfPairs parse_ytf_splits(const std::filesystem::path& file);
// The same on a reader already open (a file, or text in memory: tests, fuzzing); `file` is in.file().
YtfPairs parse_ytf_splits(protocol::ProtocolReader& in);

// The frames of video "<person>/<n>" are the rows of the embeddings file whose id is
// id_prefix + "<person>/<n>/<frame file>": fv-embed run on the folder aligned_images_DB names the frame
// aligned_images_DB/Aaron_Eckhart/0/aligned_detect_0.555.jpg "Aaron_Eckhart/0/aligned_detect_0.555.jpg"; run on
// the folder above it, the ids begin with "aligned_images_DB/" and id_prefix must say so. Frames are taken in
// frame order (numbers in the file names compared as numbers: aligned_detect_0.99.jpg before
// aligned_detect_0.100.jpg), the first `max_frames` of them (0 = all); a video's feature is their mean,
// before the usual L2 normalisation.
struct VideoFeatures {
  std::vector<float> features;  // [videos.size(), dim], row k for YtfPairs::videos[k]
  std::vector<std::int64_t> frames;  // frames averaged per video
};

// Throws DataError naming the splits file and the line of the first pair that names the video: for a video
// with no frame in the embeddings file (pointing at its frames when only the id prefix differs), or a frame
// whose embedding is not finite (naming both videos of the pair, the frame's id and the embeddings file).
VideoFeatures ytf_video_features(const YtfPairs& ytf, const EmbeddingSet& set, int max_frames,
                                 const std::filesystem::path& embeddings_file, const std::string& id_prefix = "");

// Strict weak order of frame ids with digit runs compared as numbers ("a9" < "a10"); equal numbers with
// different leading zeros fall back to plain byte order.
bool frame_order_less(std::string_view x, std::string_view y);

}  // namespace fv::eval
