// YouTube Faces splits.txt parser and per-video mean features.
#include "eval/ytf.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <map>
#include <unordered_map>

#include "core/error.h"

namespace fv::eval {
namespace {

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  const auto b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

}  // namespace

namespace {

// Header names of the same-person column, compared after trimming and lower-casing.
bool is_label_column(const std::string& name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n == "is same" || n == "is same person" || n == "is_same" || n == "issame" || n == "same";
}

}  // namespace

YtfPairs parse_ytf_splits(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw IoError(fmt::format("cannot open protocol file '{}'", file.string()));
  YtfPairs out;
  out.list.file = file;
  std::string text;
  int number = 0;
  std::vector<int> split_of_pair;
  auto fail = [&](const std::string& what) {
    throw FormatError(fmt::format("{}:{}: {}: '{}'", file.string(), number, what, text));
  };
  std::size_t label = 3;  // without a header: the fourth field
  bool first_line = true;
  while (std::getline(in, text)) {
    ++number;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (trim(text).empty()) continue;
    std::vector<std::string> f;
    std::string item;
    std::stringstream ss(text);
    while (std::getline(ss, item, ',')) f.push_back(trim(item));
    if (!text.empty() && text.back() == ',') f.push_back("");
    int split = 0;
    const auto [ptr, ec] = std::from_chars(f[0].data(), f[0].data() + f[0].size(), split);
    const bool numeric = !f[0].empty() && ec == std::errc() && ptr == f[0].data() + f[0].size();
    if (!numeric && first_line) {  // the header line names the columns; find the same-person one
      first_line = false;
      std::size_t found = f.size();
      for (std::size_t i = 3; i < f.size(); ++i) {
        if (is_label_column(f[i])) {
          found = i;
          break;
        }
      }
      if (found == f.size()) {
        fail("the header names no same-person column (expected 'split number, first name, second name, is same' "
             "or a column named 'is same person' after the third)");
      }
      label = found;
      continue;
    }
    first_line = false;
    const std::size_t needed = std::max<std::size_t>(4, label + 1);
    if (f.size() < needed) {
      fail(fmt::format("expected 'split, video_a, video_b, ..., same' (at least {} fields), found {}", needed, f.size()));
    }
    if (!numeric || split <= 0) fail("the split number must be a positive integer");
    if (f[label] != "0" && f[label] != "1") {
      fail(fmt::format("field {} (same person) must be 0 or 1, found '{}'", label + 1, f[label]));
    }
    if (f[1].empty() || f[2].empty()) fail("empty video name");
    if (!split_of_pair.empty() && split < split_of_pair.back()) fail("splits must come in increasing blocks");
    split_of_pair.push_back(split);
    out.list.pairs.push_back({f[1], f[2], f[label] == "1", number});
  }
  if (out.list.pairs.empty()) throw FormatError(fmt::format("{}: no pairs in the file", file.string()));
  std::map<int, int> sizes;
  for (int s : split_of_pair) ++sizes[s];
  const int first = sizes.begin()->second;
  for (const auto& [s, n] : sizes) {
    if (n != first) {
      throw FormatError(fmt::format("{}: split {} has {} pairs but split {} has {}; the 10-fold protocol needs equal "
                                    "splits (fold count mismatch?)",
                                    file.string(), s, n, sizes.begin()->first, first));
    }
  }
  out.list.folds = static_cast<int>(sizes.size());
  return out;
}

VideoFeatures ytf_video_features(const PairList& list, const EmbeddingSet& set, int max_frames,
                                 const std::filesystem::path& embeddings_file) {
  // Frames grouped by their parent folder, in id order.
  std::unordered_map<std::string, std::vector<std::pair<std::string, std::int64_t>>> frames;
  for (std::int64_t i = 0; i < set.rows(); ++i) {
    const std::string& id = set.ids[static_cast<std::size_t>(i)];
    const auto slash = id.rfind('/');
    if (slash == std::string::npos) continue;
    frames[id.substr(0, slash)].emplace_back(id, i);
  }
  VideoFeatures out;
  std::unordered_map<std::string, std::size_t> index;
  const std::int64_t dim = set.attributes.embedding_dim;
  auto add = [&](const std::string& video, int line) {
    if (index.count(video) != 0) return;
    auto it = frames.find(video);
    if (it == frames.end()) {
      throw DataError(fmt::format("{}:{}: video '{}' has no frame in the embeddings file '{}' (ids '{}/...')",
                                  list.file.string(), line, video, embeddings_file.string(), video));
    }
    auto& f = it->second;
    std::sort(f.begin(), f.end());
    const std::size_t n = max_frames > 0 ? std::min<std::size_t>(f.size(), static_cast<std::size_t>(max_frames)) : f.size();
    std::vector<double> mean(static_cast<std::size_t>(dim), 0.0);
    for (std::size_t k = 0; k < n; ++k) {
      const float* row = set.row(f[k].second);
      for (std::int64_t j = 0; j < dim; ++j) mean[static_cast<std::size_t>(j)] += row[j];
    }
    for (double x : mean) out.features.push_back(static_cast<float>(x / static_cast<double>(n)));
    index[video] = out.videos.size();
    out.videos.push_back(video);
  };
  for (const PairRef& p : list.pairs) {
    add(p.a, p.line);
    add(p.b, p.line);
  }
  return out;
}

IndexedPairs ytf_pairs(const PairList& list, const VideoFeatures& videos) {
  std::unordered_map<std::string, std::int64_t> index;
  for (std::size_t i = 0; i < videos.videos.size(); ++i) index[videos.videos[i]] = static_cast<std::int64_t>(i);
  IndexedPairs out;
  for (const PairRef& p : list.pairs) {
    out.a.push_back(index.at(p.a));
    out.b.push_back(index.at(p.b));
    out.same.push_back(p.same ? 1 : 0);
  }
  return out;
}

}  // namespace fv::eval
