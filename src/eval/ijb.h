// IJB-B / IJB-C 1:1 verification in the layout of insightface's recognition/_evaluation_/ijb scripts.
//
// Files: the template/media map (ijbb_face_tid_mid.txt / ijbc_face_tid_mid.txt: "image template_id media_id"
// per line) and the template pair list (ijbb_template_pair_label.txt / ijbc_template_pair_label.txt:
// "template_a template_b label", label 1 = same). Image features come from the embeddings file, looked up
// by id = id_prefix + image.
//
// Pooling as insightface (ijb_11.py image2template_feature): an image's feature is its row (for flip_mode
// "concat" the two halves, image and flipped image, are added, as img_feats[:, :D/2] + img_feats[:, D/2:];
// "sum" files already hold that sum); within a template, each media's feature is the mean of its images;
// the template feature is the sum of its media features, then L2-normalised. The score of a pair is the
// dot product of the two template features (cosine similarity).
//
// Optional weighting by detector score (ijb_11.py's use_detector_score, "D1"): insightface's releases of the
// IJB-B/C metadata carry the detector's face score in <target>_name_5pts_score.txt, one line per image,
// "image x1 y1 x2 y2 x3 y3 x4 y4 x5 y5 score" (five landmarks, then the score, space-separated). Row i of
// that file belongs to row i of the template/media map (ijb_11.py reads both in order and pairs them by
// row; here the image names must also agree). With weighting, each image feature (after the flip sum) is
// multiplied by its score before the media mean, so low-confidence detections count less in their template.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "formats/embedding_store.h"
#include "protocol/protocol_reader.h"

namespace fv::eval {

struct IjbTemplates {
  std::vector<std::int64_t> template_ids;  // sorted, distinct
  std::vector<float> features;             // [template_ids.size(), dim], L2-normalised
  std::int64_t dim = 0;
};

// Parses the template/media map and pools the features; when `face_scores` is not empty, weights each image
// by its detector score from that file (see above). Throws IoError if unreadable; FormatError naming the
// file, line and text for a line without 3 fields or a non-integer id; DataError naming the line for an
// image not in the embeddings file or whose embedding holds a NaN or infinity (naming the image, the
// component and the embeddings file); the errors of read_ijb_face_scores.
IjbTemplates read_ijb_template_media(const std::filesystem::path& file, const EmbeddingSet& set,
                                     const std::filesystem::path& embeddings_file, const std::string& id_prefix = "",
                                     const std::filesystem::path& face_scores = {});

// Reads the detector scores of <target>_name_5pts_score.txt (the last field of each line), checking row by
// row that the image names equal `images` (the first fields of the template/media map `map_file`).
// Throws IoError if unreadable; FormatError naming the file, line and text for a line with fewer than 2
// fields, a score that is not a finite number >= 0, or an image name that differs from the map's row
// (naming both files); FormatError naming both files when the line counts differ.
std::vector<float> read_ijb_face_scores(const std::filesystem::path& file, const std::vector<std::string>& images,
                                        const std::filesystem::path& map_file);

// Pools already looked-up image rows (row i of `image_rows` belongs to templates[i], medias[i]); `weights`,
// when given, holds one factor per row (the detector score) applied to the image feature before pooling.
IjbTemplates pool_templates(const EmbeddingSet& set, const std::vector<std::int64_t>& image_rows,
                            const std::vector<std::int64_t>& templates, const std::vector<std::int64_t>& medias,
                            const std::vector<float>* weights = nullptr);

struct IjbPairs {
  std::vector<std::int64_t> a;
  std::vector<std::int64_t> b;
  std::vector<std::uint8_t> same;
  std::vector<int> line;  // 1-based line of each pair, for error messages
};
// Parses "template_a template_b label" lines. Errors as read_ijb_template_media.
IjbPairs read_ijb_pairs(const std::filesystem::path& file);

// The three readers above on a reader already open (a file, or text in memory: tests, fuzzing); the file they
// name in messages is reader.file().
IjbTemplates read_ijb_template_media(protocol::ProtocolReader& reader, const EmbeddingSet& set,
                                     const std::filesystem::path& embeddings_file, const std::string& id_prefix = "",
                                     const std::filesystem::path& face_scores = {});
std::vector<float> read_ijb_face_scores(protocol::ProtocolReader& reader, const std::vector<std::string>& images,
                                        const std::filesystem::path& map_file);
IjbPairs read_ijb_pairs(protocol::ProtocolReader& reader);

struct IjbScores {
  std::vector<double> similarity;
  std::vector<std::uint8_t> same;
};
// Scores every pair (threads: 0 = all cores). Throws DataError naming `pairs_file` and the line for a
// template not in the map or a score that is not finite.
IjbScores score_ijb(const IjbTemplates& templates, const IjbPairs& pairs, const std::filesystem::path& pairs_file,
                    int threads = 0);

}  // namespace fv::eval
