// IJB-A 1:1 verification: the 10 splits' metadata and comparison files, media pooling, TAR@FAR per split.
//
// Layout (as distributed, IJB-A_11_sets): <folder>/split<N>/verify_metadata_<N>.csv with a header naming at
// least TEMPLATE_ID, SUBJECT_ID, FILE, MEDIA_ID, and <folder>/split<N>/verify_comparisons_<N>.csv with lines
// "template_a,template_b". A pair is genuine when both templates have the same SUBJECT_ID. Images are
// looked up in the embeddings file by id = id_prefix + FILE. A template's feature is the mean over its
// media of each media's mean feature (equal, after the L2 normalisation, to insightface's sum over media);
// the score is the cosine similarity. TAR@FAR is computed per split and reported as mean +- population std.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "formats/embedding_store.h"
#include "eval/ijb.h"
#include "protocol/indexed_pairs.h"
#include "eval/roc.h"
#include "protocol/protocol_reader.h"

namespace fv::eval {

struct IjbaResult {
  std::vector<double> similarity;  // all splits' pairs, concatenated (for the overall ROC)
  std::vector<std::uint8_t> same;
  std::vector<std::vector<TarAtFar>> split_strict;       // [split][target]
  std::vector<std::vector<TarAtFar>> split_insightface;  // [split][target]
  std::vector<std::int64_t> split_pairs;
};

// Throws IoError for a missing file; FormatError naming file, line and text for a bad header (missing
// column), a line with too few fields or a non-integer id; DataError naming file and line for an image not
// in the embeddings file or with a non-finite embedding, or a compared template absent from the metadata.
// The two files of one split, read as evaluate_ijba reads them (exposed for tests and fuzzing).
struct IjbaMetadata {
  std::vector<std::int64_t> rows;       // per image line: its row in the embeddings file
  std::vector<std::int64_t> templates;  // ... its TEMPLATE_ID
  std::vector<std::int64_t> medias;     // ... its MEDIA_ID
  std::map<std::int64_t, std::int64_t> subject_of;  // TEMPLATE_ID -> SUBJECT_ID
};
// verify_metadata_<N>.csv: a header naming the columns, then one image per line. Errors as evaluate_ijba.
IjbaMetadata read_ijba_metadata(protocol::ProtocolReader& in, const protocol::IdIndex& index, const EmbeddingSet& set,
                                const std::filesystem::path& embeddings_file, const std::string& id_prefix);
// verify_comparisons_<N>.csv: "template_a,template_b" lines, both templates of `metadata` (read from
// `metadata_file`, named in the error for an absent template); same = equal SUBJECT_IDs.
IjbPairs read_ijba_comparisons(protocol::ProtocolReader& in, const IjbaMetadata& metadata,
                               const std::filesystem::path& metadata_file);

IjbaResult evaluate_ijba(const std::filesystem::path& folder, int splits, const EmbeddingSet& set,
                         const std::filesystem::path& embeddings_file, const std::string& id_prefix,
                         const std::vector<double>& far_targets);

}  // namespace fv::eval
