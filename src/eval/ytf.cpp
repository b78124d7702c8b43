// YouTube Faces splits.txt parser (the published layout, with or without its header) and per-video features.
#include "eval/ytf.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_map>

#include "core/error.h"
#include "protocol/protocol_reader.h"

namespace fv::eval {
namespace {

enum Column { kSplit, kPairId, kFirst, kSecond, kSame, kColumns };
constexpr std::array<const char*, kColumns> kColumnNames = {"split number", "pair id", "first name", "second name",
                                                            "is same"};
constexpr const char* kPublishedHeader = "split number, pair id, first name, second name, is same";

// The column a header name stands for, or -1. Compared in lower case, '_' as a space, runs of spaces as one.
int column_of(std::string_view name) {
  std::string n;
  for (char c : name) {
    c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == ' ' && (n.empty() || n.back() == ' ')) continue;
    n += c;
  }
  if (!n.empty() && n.back() == ' ') n.pop_back();
  if (n == "split number" || n == "split") return kSplit;
  if (n == "pair id") return kPairId;
  if (n == "first name") return kFirst;
  if (n == "second name") return kSecond;
  if (n == "is same" || n == "is same person" || n == "issame" || n == "same") return kSame;
  return -1;
}

// Where each column is: the published order unless a header says otherwise (-1: absent).
struct Layout {
  std::array<int, kColumns> at = {0, 1, 2, 3, 4};
  bool header = false;
  std::size_t fields = kColumns;  // without a header: exactly this many; with one: at least
};

Layout layout_from_header(const protocol::ProtocolReader& in, const std::vector<std::string_view>& f) {
  Layout l;
  l.header = true;
  l.at.fill(-1);
  for (std::size_t i = 0; i < f.size(); ++i) {
    const int c = column_of(f[i]);
    if (c < 0) continue;
    if (l.at[c] >= 0) in.fail(fmt::format("columns {} and {} both name the '{}' column", l.at[c] + 1, i + 1, kColumnNames[c]));
    l.at[c] = static_cast<int>(i);
  }
  std::string missing;
  for (int c : {kSplit, kFirst, kSecond, kSame}) {
    if (l.at[c] < 0) missing += fmt::format("{}'{}'", missing.empty() ? "" : ", ", kColumnNames[c]);
  }
  if (!missing.empty()) {
    in.fail(fmt::format("the header names no {} column (the published header is '{}')", missing, kPublishedHeader));
  }
  l.fields = static_cast<std::size_t>(*std::max_element(l.at.begin(), l.at.end())) + 1;
  return l;
}

// "<person>/<video number>", the folders of aligned_images_DB.
bool is_video(std::string_view v) {
  const auto slash = v.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == v.size()) return false;
  return std::all_of(v.begin() + static_cast<std::ptrdiff_t>(slash) + 1, v.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

struct Split {
  int number = 0;
  std::size_t begin = 0;  // first pair
  std::size_t end = 0;
};

// "; split 10 lacks pair ids 250 that split 1 has (a lost line?)", or "" when `ids` holds no pair ids.
std::string missing_ids_note(const std::vector<int>& ids, const Split& small, const Split& big) {
  if (ids.empty()) return {};
  std::vector<int> a(ids.begin() + static_cast<std::ptrdiff_t>(small.begin), ids.begin() + static_cast<std::ptrdiff_t>(small.end));
  std::vector<int> b(ids.begin() + static_cast<std::ptrdiff_t>(big.begin), ids.begin() + static_cast<std::ptrdiff_t>(big.end));
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::vector<int> missing;
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(missing));
  if (missing.empty()) return {};
  const std::size_t shown = std::min<std::size_t>(missing.size(), 5);
  return fmt::format("; split {} lacks pair id{} {}{} that split {} has (a lost line?)", small.number,
                     missing.size() > 1 ? "s" : "", fmt::join(missing.begin(), missing.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
                     shown < missing.size() ? fmt::format(" (and {} more)", missing.size() - shown) : "", big.number);
}

// Where the frames of `video` are when the id prefix is wrong: "; its frames are under '<folder>/' (set
// eval.id_prefix to '<prefix>')", or "".
std::string prefix_hint(const std::unordered_map<std::string_view, std::vector<std::int64_t>>& folders,
                        const std::string& video) {
  std::string_view best;
  for (const auto& [folder, rows] : folders) {
    if (folder.size() < video.size() || folder.substr(folder.size() - video.size()) != video) continue;
    if (folder.size() > video.size() && folder[folder.size() - video.size() - 1] != '/') continue;
    if (best.empty() || folder < best) best = folder;
  }
  if (best.empty()) return {};
  return fmt::format("; its frames are under '{}/' (set eval.id_prefix to '{}')", best,
                     best.substr(0, best.size() - video.size()));
}

}  // namespace

YtfPairs parse_ytf_splits(const std::filesystem::path& file) {
  protocol::ProtocolReader in(file);
  return parse_ytf_splits(in);
}

YtfPairs parse_ytf_splits(protocol::ProtocolReader& in) {
  const std::filesystem::path& file = in.file();
  YtfPairs out;
  out.file = file;
  out.pairs.file = file;
  std::unordered_map<std::string, std::int64_t> video_index;
  auto video = [&](std::string_view name) {
    const auto [it, added] = video_index.emplace(std::string(name), static_cast<std::int64_t>(out.videos.size()));
    if (added) out.videos.emplace_back(name);
    return it->second;
  };
  std::vector<Split> splits;
  std::vector<int> pair_ids;                 // per pair, when the file has them
  std::unordered_map<int, int> id_lines;     // pair id -> line, in the current split
  Layout layout;
  bool first_line = true;
  std::vector<std::string_view> f;
  while (in.next()) {
    protocol::split_csv(in.text(), f);
    if (f.size() == 1 && f[0].empty()) continue;  // blank line
    int split = 0;
    if (first_line) {
      first_line = false;
      if (!protocol::parse_int(f[0], split)) {  // a header names the columns
        layout = layout_from_header(in, f);
        continue;
      }
    }
    if (layout.header ? f.size() < layout.fields : f.size() != layout.fields) {
      in.fail(layout.header
                  ? fmt::format("expected at least {} fields (the columns the header names), found {}", layout.fields, f.size())
                  : fmt::format("expected '{}' (5 fields, the published layout without its header), found {}",
                                kPublishedHeader, f.size()));
    }
    const auto field = [&](int c) { return f[static_cast<std::size_t>(layout.at[c])]; };
    if (!protocol::parse_int(field(kSplit), split) || split <= 0) {
      in.fail("the split number must be a positive integer");
    }
    int pair_id = 0;
    if (layout.at[kPairId] >= 0 && (!protocol::parse_int(field(kPairId), pair_id) || pair_id <= 0)) {
      in.fail("the pair id must be a positive integer");
    }
    for (int c : {kFirst, kSecond}) {
      if (!is_video(field(c))) {
        in.fail(fmt::format("the {} '{}' is not a video '<person>/<video number>'", kColumnNames[c],
                            protocol::quote_line(field(c))));
      }
    }
    if (field(kSame) != "0" && field(kSame) != "1") {
      in.fail(fmt::format("field {} (is same) must be 0 or 1, found '{}'", layout.at[kSame] + 1,
                          protocol::quote_line(field(kSame))));
    }
    if (splits.empty() || split != splits.back().number) {
      if (!splits.empty() && split < splits.back().number) in.fail("splits must come in increasing blocks");
      splits.push_back({split, out.pairs.size(), out.pairs.size()});
      id_lines.clear();
    }
    if (layout.at[kPairId] >= 0) {
      const auto [it, added] = id_lines.emplace(pair_id, in.line_number());
      if (!added) in.fail(fmt::format("pair id {} appears twice in split {} (first on line {})", pair_id, split, it->second));
      pair_ids.push_back(pair_id);
    }
    out.pairs.a.push_back(video(field(kFirst)));
    out.pairs.b.push_back(video(field(kSecond)));
    out.pairs.same.push_back(field(kSame) == "1" ? 1 : 0);
    out.pairs.line.push_back(in.line_number());
    splits.back().end = out.pairs.size();
  }
  if (out.pairs.size() == 0) throw FormatError(fmt::format("{}: no pairs in the file", file.string()));
  const Split& reference = splits.front();
  for (const Split& s : splits) {
    const std::size_t n = s.end - s.begin;
    const std::size_t m = reference.end - reference.begin;
    if (n != m) {
      throw FormatError(fmt::format("{}: split {} has {} pairs but split {} has {}; the 10-fold protocol needs equal "
                                    "splits (fold count mismatch?){}",
                                    file.string(), s.number, n, reference.number, m,
                                    n < m ? missing_ids_note(pair_ids, s, reference) : missing_ids_note(pair_ids, reference, s)));
    }
  }
  out.folds = static_cast<int>(splits.size());
  return out;
}

bool frame_order_less(std::string_view x, std::string_view y) {
  const auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < x.size() && j < y.size()) {
    if (digit(x[i]) && digit(y[j])) {
      std::size_t ie = i;
      std::size_t je = j;
      while (ie < x.size() && digit(x[ie])) ++ie;
      while (je < y.size() && digit(y[je])) ++je;
      std::string_view a = x.substr(i, ie - i);
      std::string_view b = y.substr(j, je - j);
      a.remove_prefix(std::min(a.find_first_not_of('0'), a.size()));
      b.remove_prefix(std::min(b.find_first_not_of('0'), b.size()));
      if (a.size() != b.size()) return a.size() < b.size();
      if (a != b) return a < b;
      i = ie;
      j = je;
    } else {
      if (x[i] != y[j]) return static_cast<unsigned char>(x[i]) < static_cast<unsigned char>(y[j]);
      ++i;
      ++j;
    }
  }
  if (i == x.size() && j != y.size()) return true;
  if (i != x.size()) return false;
  return x < y;  // the same up to leading zeros
}

VideoFeatures ytf_video_features(const YtfPairs& ytf, const EmbeddingSet& set, int max_frames,
                                 const std::filesystem::path& embeddings_file, const std::string& id_prefix) {
  // Rows by folder (the id up to its last '/'), as views into set.ids.
  std::unordered_map<std::string_view, std::vector<std::int64_t>> folders;
  for (std::size_t i = 0; i < set.ids.size(); ++i) {
    const std::string_view id = set.ids[i];
    const auto slash = id.rfind('/');
    if (slash != std::string_view::npos) folders[id.substr(0, slash)].push_back(static_cast<std::int64_t>(i));
  }
  // The first pair that names each video, for error messages.
  std::vector<std::size_t> first_pair(ytf.videos.size(), 0);
  for (std::size_t k = ytf.pairs.size(); k-- > 0;) {
    first_pair[static_cast<std::size_t>(ytf.pairs.a[k])] = k;
    first_pair[static_cast<std::size_t>(ytf.pairs.b[k])] = k;
  }
  const std::int64_t dim = set.attributes.embedding_dim;
  VideoFeatures out;
  out.features.reserve(ytf.videos.size() * static_cast<std::size_t>(dim));
  std::vector<double> mean(static_cast<std::size_t>(dim));
  for (std::size_t v = 0; v < ytf.videos.size(); ++v) {
    const std::string& video = ytf.videos[v];
    const std::size_t p = first_pair[v];
    const int line = ytf.pairs.line[p];
    const auto it = folders.find(id_prefix + video);
    if (it == folders.end()) {
      throw DataError(fmt::format("{}:{}: video '{}' has no frame in the embeddings file '{}' (ids '{}{}/...'){}",
                                  ytf.file.string(), line, video, embeddings_file.string(), id_prefix, video,
                                  prefix_hint(folders, video)));
    }
    std::vector<std::int64_t>& rows = it->second;
    std::sort(rows.begin(), rows.end(), [&](std::int64_t a, std::int64_t b) {
      return frame_order_less(set.ids[static_cast<std::size_t>(a)], set.ids[static_cast<std::size_t>(b)]);
    });
    const std::size_t n = max_frames > 0 ? std::min(rows.size(), static_cast<std::size_t>(max_frames)) : rows.size();
    std::fill(mean.begin(), mean.end(), 0.0);
    for (std::size_t k = 0; k < n; ++k) {
      const std::string bad = protocol::non_finite_embedding(set, rows[k], embeddings_file);
      if (!bad.empty()) {
        throw DataError(fmt::format("{}:{}: pair '{}' '{}', video '{}': {}", ytf.file.string(), line,
                                    ytf.videos[static_cast<std::size_t>(ytf.pairs.a[p])],
                                    ytf.videos[static_cast<std::size_t>(ytf.pairs.b[p])], video, bad));
      }
      const float* row = set.row(rows[k]);
      for (std::int64_t j = 0; j < dim; ++j) mean[static_cast<std::size_t>(j)] += row[j];
    }
    for (double x : mean) out.features.push_back(static_cast<float>(x / static_cast<double>(n)));
    out.frames.push_back(static_cast<std::int64_t>(n));
  }
  return out;
}

}  // namespace fv::eval
