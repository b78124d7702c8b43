// Parsers for LFW pairs.txt / View 1 and generic pair lists; id lookup in an embeddings file.
#include "eval/pairs.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "core/check.h"
#include "core/error.h"

namespace fv::eval {
namespace {

struct Line {
  int number = 0;
  std::string text;
  std::vector<std::string> fields;
};

std::vector<Line> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw IoError(fmt::format("cannot open protocol file '{}'", file.string()));
  std::vector<Line> lines;
  std::string text;
  int number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    Line l;
    l.number = number;
    l.text = text;
    std::istringstream fields(text);
    std::string f;
    while (fields >> f) l.fields.push_back(f);
    lines.push_back(std::move(l));
  }
  return lines;
}

[[noreturn]] void fail(const std::filesystem::path& file, const Line& line, const std::string& what) {
  throw FormatError(fmt::format("{}:{}: {}: '{}'", file.string(), line.number, what, line.text));
}

int parse_positive(const std::filesystem::path& file, const Line& line, const std::string& field,
                   const std::string& what) {
  int v = 0;
  const auto* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, v);
  if (ec != std::errc() || ptr != end || v <= 0) fail(file, line, fmt::format("{} must be a positive integer", what));
  return v;
}

// Parses the body of an LFW file: `blocks` blocks of `per_kind` same lines then `per_kind` different lines.
PairList parse_lfw_body(const std::filesystem::path& file, const std::vector<Line>& lines, std::size_t first,
                        int blocks, int per_kind, const std::string& header_text, const LfwIdFormat& format) {
  PairList list;
  list.file = file;
  list.folds = blocks;
  std::vector<const Line*> body;
  for (std::size_t i = first; i < lines.size(); ++i) {
    if (!lines[i].fields.empty()) body.push_back(&lines[i]);
  }
  const std::size_t expected = static_cast<std::size_t>(blocks) * 2 * static_cast<std::size_t>(per_kind);
  if (body.size() < expected) {
    const Line& last = body.empty() ? lines[first - 1] : *body.back();
    fail(file, last,
         fmt::format("the header '{}' announces {} pair lines but the file ends after {} (fold count mismatch?)",
                     header_text, expected, body.size()));
  }
  if (body.size() > expected) {
    fail(file, *body[expected],
         fmt::format("the header '{}' announces {} pair lines; this line is one too many (fold count mismatch?)",
                     header_text, expected));
  }
  for (std::size_t k = 0; k < body.size(); ++k) {
    const Line& l = *body[k];
    const bool same = (k % (2 * static_cast<std::size_t>(per_kind))) < static_cast<std::size_t>(per_kind);
    PairRef p;
    p.same = same;
    p.line = l.number;
    if (same) {
      if (l.fields.size() != 3) {
        fail(file, l, fmt::format("expected a same-person line 'Name n1 n2' (3 fields), found {} fields",
                                  l.fields.size()));
      }
      p.a = format.id(l.fields[0], parse_positive(file, l, l.fields[1], "image number n1"));
      p.b = format.id(l.fields[0], parse_positive(file, l, l.fields[2], "image number n2"));
    } else {
      if (l.fields.size() != 4) {
        fail(file, l, fmt::format("expected a different-person line 'Name1 n1 Name2 n2' (4 fields), found {} fields",
                                  l.fields.size()));
      }
      p.a = format.id(l.fields[0], parse_positive(file, l, l.fields[1], "image number n1"));
      p.b = format.id(l.fields[2], parse_positive(file, l, l.fields[3], "image number n2"));
    }
    list.pairs.push_back(std::move(p));
  }
  return list;
}

std::size_t first_content_line(const std::filesystem::path& file, const std::vector<Line>& lines) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].fields.empty()) return i;
  }
  throw FormatError(fmt::format("{}: the file is empty (expected a header line)", file.string()));
}

}  // namespace

std::string LfwIdFormat::id(const std::string& name, int number) const {
  return fmt::format("{}{}/{}_{:04d}{}", prefix, name, name, number, extension);
}

PairList parse_lfw_pairs(const std::filesystem::path& file, const LfwIdFormat& format) {
  const std::vector<Line> lines = read_lines(file);
  const std::size_t h = first_content_line(file, lines);
  const Line& header = lines[h];
  if (header.fields.size() != 2) {
    fail(file, header, "expected the header 'F<TAB>P' (folds and pairs per kind, e.g. '10\t300')");
  }
  const int folds = parse_positive(file, header, header.fields[0], "header fold count F");
  const int per_kind = parse_positive(file, header, header.fields[1], "header pairs per kind P");
  return parse_lfw_body(file, lines, h + 1, folds, per_kind, header.text, format);
}

PairList parse_lfw_view1(const std::filesystem::path& file, const LfwIdFormat& format) {
  const std::vector<Line> lines = read_lines(file);
  const std::size_t h = first_content_line(file, lines);
  const Line& header = lines[h];
  if (header.fields.size() != 1) {
    fail(file, header, "expected the View 1 header 'N' (pairs per kind, e.g. '1100' or '500')");
  }
  const int n = parse_positive(file, header, header.fields[0], "header pair count N");
  return parse_lfw_body(file, lines, h + 1, 1, n, header.text, format);
}

PairList parse_pair_list(const std::filesystem::path& file) {
  const std::vector<Line> lines = read_lines(file);
  PairList list;
  list.file = file;
  for (const Line& l : lines) {
    if (l.fields.empty() || l.fields[0][0] == '#') continue;
    if (l.fields.size() != 3) {
      fail(file, l, fmt::format("expected 'id_a id_b same' (3 fields), found {} fields", l.fields.size()));
    }
    if (l.fields[2] != "0" && l.fields[2] != "1") fail(file, l, "the third field 'same' must be 0 or 1");
    list.pairs.push_back({l.fields[0], l.fields[1], l.fields[2] == "1", l.number});
  }
  if (list.pairs.empty()) throw FormatError(fmt::format("{}: no pairs in the file", file.string()));
  return list;
}

IndexedPairs resolve_pairs(const PairList& list, const EmbeddingSet& set,
                           const std::filesystem::path& embeddings_file) {
  std::unordered_map<std::string, std::int64_t> index;
  index.reserve(set.ids.size());
  for (std::int64_t i = 0; i < set.rows(); ++i) index.emplace(set.ids[static_cast<std::size_t>(i)], i);
  IndexedPairs out;
  auto find = [&](const std::string& id, int line) {
    const auto it = index.find(id);
    if (it == index.end()) {
      throw DataError(fmt::format("{}:{}: id '{}' is not in the embeddings file '{}' (check --eval.id_prefix and "
                                  "--eval.id_extension)",
                                  list.file.string(), line, id, embeddings_file.string()));
    }
    return it->second;
  };
  for (const PairRef& p : list.pairs) {
    out.a.push_back(find(p.a, p.line));
    out.b.push_back(find(p.b, p.line));
    out.same.push_back(p.same ? 1 : 0);
  }
  return out;
}

IndexedPairs pairs_from_flags(const EmbeddingSet& set, const std::filesystem::path& embeddings_file) {
  if (!set.pair_flags) {
    throw DataError(fmt::format("embeddings file '{}' has no /pair_flags: it was not embedded from a .bin set",
                                embeddings_file.string()));
  }
  IndexedPairs out;
  for (std::size_t i = 0; i < set.pair_flags->size(); ++i) {
    out.a.push_back(static_cast<std::int64_t>(2 * i));
    out.b.push_back(static_cast<std::int64_t>(2 * i + 1));
    out.same.push_back((*set.pair_flags)[i] != 0 ? 1 : 0);
  }
  return out;
}

}  // namespace fv::eval
