// Pair-based protocol files (LFW pairs.txt, LFW View-1, generic pair lists) and their mapping to the rows
// of an embeddings file.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/embedding_store.h"
#include "protocol/indexed_pairs.h"

namespace fv::protocol {

class ProtocolReader;

// One pair as written in a protocol file: two ids of the embeddings file and the ground truth.
struct PairRef {
  std::string a;
  std::string b;
  bool same = false;
  int line = 0;  // 1-based line in `PairList::file`
};

struct PairList {
  std::filesystem::path file;
  int folds = 0;  // folds declared by the file (LFW: F of the header; View 1: 1); 0 when none
  std::vector<PairRef> pairs;
};

// How an LFW (name, number) becomes an id of the embeddings file:
// prefix + Name + "/" + Name + "_" + %04d(number) + extension, e.g. "Aaron_Peirsol/Aaron_Peirsol_0001.jpg".
struct LfwIdFormat {
  std::string prefix;
  std::string extension = ".jpg";
  std::string id(std::string_view name, int number) const;
};

// Receives the pairs of a protocol file one at a time, in file order: the two ids (as the embeddings file
// names them), the ground truth and the 1-based line. The views are valid during the call only.
using PairSink = std::function<void(std::string_view a, std::string_view b, bool same, int line)>;

// The readers stream the file (one line in memory at a time) and stop at the first malformed line, so a
// garbage file is rejected at its first line without being read whole.

// LFW View 2 `pairs.txt`: header "F<TAB>P" (the official file: 10 300), then F folds, each of P same-person
// lines "Name n1 n2" followed by P different-person lines "Name1 n1 Name2 n2". Pairs come in file order, so
// fold f is pairs [2P f, 2P (f + 1)). Returns F.
// Throws IoError if unreadable; FormatError naming the file, the line and the offending text for a bad
// header, a wrong field count, a non-positive or non-numeric image number, a same line where a different
// line is due (or the reverse), too few or too many lines for the header's F x 2P.
int read_lfw_pairs(const std::filesystem::path& file, const LfwIdFormat& format, const PairSink& sink);

// LFW View 1 `pairsDevTrain.txt` / `pairsDevTest.txt`: header "N" (1100 / 500), then N same-person lines
// and N different-person lines. Errors as read_lfw_pairs.
void read_lfw_view1(const std::filesystem::path& file, const LfwIdFormat& format, const PairSink& sink);

// Generic pair list: lines "id_a id_b same" (same: 1 or 0), blank lines and lines starting with '#'
// skipped. Ids are matched verbatim against the embeddings file. Throws FormatError for a malformed line or
// a file without pairs.
void read_pair_list(const std::filesystem::path& file, const PairSink& sink);

// The same three readers on a reader already open (a file, or text in memory: tests, fuzzing).
int read_lfw_pairs(ProtocolReader& in, const LfwIdFormat& format, const PairSink& sink);
void read_lfw_view1(ProtocolReader& in, const LfwIdFormat& format, const PairSink& sink);
void read_pair_list(ProtocolReader& in, const PairSink& sink);

// The same readers collecting the pairs as strings (small files, tests). folds: F for pairs.txt, 1 for View 1,
// 0 for a pair list.
PairList parse_lfw_pairs(const std::filesystem::path& file, const LfwIdFormat& format);
PairList parse_lfw_view1(const std::filesystem::path& file, const LfwIdFormat& format);
PairList parse_pair_list(const std::filesystem::path& file);

// Looks every id up in `set.ids`. Throws DataError naming the pairs file, the line and the id for an id
// that is not in the embeddings file (`embeddings_file` names the latter in the message).
IndexedPairs resolve_pairs(const PairList& list, const EmbeddingSet& set, const std::filesystem::path& embeddings_file);

}  // namespace fv::protocol
