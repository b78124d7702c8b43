// Streaming parsers for LFW pairs.txt / View 1 and generic pair lists.
#include "protocol/pairs.h"

#include <fmt/format.h>

#include "core/error.h"
#include "protocol/protocol_reader.h"

namespace fv::protocol {
namespace {

// istringstream's separators, as the LFW files were read before (tabs in the official files, spaces elsewhere).
constexpr std::string_view kBlanks = " \t\v\f\r";

int parse_positive(const ProtocolReader& in, std::string_view field, const std::string& what) {
  int v = 0;
  if (!parse_int(field, v) || v <= 0) in.fail(fmt::format("{} must be a positive integer", what));
  return v;
}

// The first line with fields (the header), split into `fields`.
void read_header(ProtocolReader& in, std::vector<std::string_view>& fields) {
  do {
    if (!in.next()) throw FormatError(fmt::format("{}: the file is empty (expected a header line)", in.file().string()));
    split_fields(in.text(), kBlanks, fields);
  } while (fields.empty());
}

// The body of an LFW file after its header: `blocks` blocks of `per_kind` same lines then `per_kind`
// different lines.
void read_lfw_body(ProtocolReader& in, int blocks, int per_kind, const LfwIdFormat& format, const PairSink& sink) {
  const std::string header = quote_line(in.text());  // for messages
  const std::size_t block = 2 * static_cast<std::size_t>(per_kind);
  const std::size_t expected = static_cast<std::size_t>(blocks) * block;
  std::size_t count = 0;
  int last_line = in.line_number();  // for the "file ends early" error: the last pair line, else the header
  std::string last_text = header;
  std::vector<std::string_view> f;
  while (in.next()) {
    split_fields(in.text(), kBlanks, f);
    if (f.empty()) continue;
    if (count == expected) {
      in.fail(fmt::format("the header '{}' announces {} pair lines; this line is one too many (fold count mismatch?)",
                          header, expected));
    }
    const bool same = count % block < static_cast<std::size_t>(per_kind);
    if (same && f.size() != 3) {
      in.fail(fmt::format("expected a same-person line 'Name n1 n2' (3 fields), found {} fields", f.size()));
    }
    if (!same && f.size() != 4) {
      in.fail(fmt::format("expected a different-person line 'Name1 n1 Name2 n2' (4 fields), found {} fields", f.size()));
    }
    const int n1 = parse_positive(in, f[1], "image number n1");
    const int n2 = parse_positive(in, same ? f[2] : f[3], "image number n2");
    sink(format.id(f[0], n1), format.id(same ? f[0] : f[2], n2), same, in.line_number());
    ++count;
    last_line = in.line_number();
    last_text.assign(in.text());
  }
  if (count < expected) {
    throw FormatError(fmt::format("{}:{}: the header '{}' announces {} pair lines but the file ends after {} (fold "
                                  "count mismatch?): '{}'",
                                  in.file().string(), last_line, header, expected, count, quote_line(last_text)));
  }
}

// A sink that appends the pairs to `list` as strings.
PairSink collector(PairList& list) {
  return [&list](std::string_view a, std::string_view b, bool same, int line) {
    list.pairs.push_back({std::string(a), std::string(b), same, line});
  };
}

}  // namespace

std::string LfwIdFormat::id(std::string_view name, int number) const {
  return fmt::format("{}{}/{}_{:04d}{}", prefix, name, name, number, extension);
}

int read_lfw_pairs(const std::filesystem::path& file, const LfwIdFormat& format, const PairSink& sink) {
  ProtocolReader in(file);
  return read_lfw_pairs(in, format, sink);
}

int read_lfw_pairs(ProtocolReader& in, const LfwIdFormat& format, const PairSink& sink) {
  std::vector<std::string_view> header;
  read_header(in, header);
  if (header.size() != 2) in.fail("expected the header 'F<TAB>P' (folds and pairs per kind, e.g. '10\t300')");
  const int folds = parse_positive(in, header[0], "header fold count F");
  const int per_kind = parse_positive(in, header[1], "header pairs per kind P");
  read_lfw_body(in, folds, per_kind, format, sink);
  return folds;
}

void read_lfw_view1(const std::filesystem::path& file, const LfwIdFormat& format, const PairSink& sink) {
  ProtocolReader in(file);
  read_lfw_view1(in, format, sink);
}

void read_lfw_view1(ProtocolReader& in, const LfwIdFormat& format, const PairSink& sink) {
  std::vector<std::string_view> header;
  read_header(in, header);
  if (header.size() != 1) in.fail("expected the View 1 header 'N' (pairs per kind, e.g. '1100' or '500')");
  read_lfw_body(in, 1, parse_positive(in, header[0], "header pair count N"), format, sink);
}

void read_pair_list(const std::filesystem::path& file, const PairSink& sink) {
  ProtocolReader in(file);
  read_pair_list(in, sink);
}

void read_pair_list(ProtocolReader& in, const PairSink& sink) {
  std::vector<std::string_view> f;
  bool any = false;
  while (in.next()) {
    split_fields(in.text(), kBlanks, f);
    if (f.empty() || f[0][0] == '#') continue;
    if (f.size() != 3) in.fail(fmt::format("expected 'id_a id_b same' (3 fields), found {} fields", f.size()));
    if (f[2] != "0" && f[2] != "1") in.fail("the third field 'same' must be 0 or 1");
    sink(f[0], f[1], f[2] == "1", in.line_number());
    any = true;
  }
  if (!any) throw FormatError(fmt::format("{}: no pairs in the file", in.file().string()));
}

PairList parse_lfw_pairs(const std::filesystem::path& file, const LfwIdFormat& format) {
  PairList list;
  list.file = file;
  list.folds = read_lfw_pairs(file, format, collector(list));
  return list;
}

PairList parse_lfw_view1(const std::filesystem::path& file, const LfwIdFormat& format) {
  PairList list;
  list.file = file;
  list.folds = 1;
  read_lfw_view1(file, format, collector(list));
  return list;
}

PairList parse_pair_list(const std::filesystem::path& file) {
  PairList list;
  list.file = file;
  read_pair_list(file, collector(list));
  return list;
}

IndexedPairs resolve_pairs(const PairList& list, const EmbeddingSet& set,
                           const std::filesystem::path& embeddings_file) {
  PairResolver resolver(set, list.file, embeddings_file);
  for (const PairRef& p : list.pairs) resolver.add(p.a, p.b, p.same, p.line);
  return resolver.take();
}

}  // namespace fv::protocol
