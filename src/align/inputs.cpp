// Enumeration of alignment inputs (image, folder tree, list file), identities and shards.
#include "align/inputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/check.h"

namespace fv {
namespace fs = std::filesystem;
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string without_extension(const fs::path& rel) { return (rel.parent_path() / rel.stem()).generic_string(); }

// With a tab, the path is everything before the first tab (so it may contain spaces) and the numbers
// follow, separated by tabs or spaces; without a tab, all fields are separated by whitespace.
std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string numbers = line;
  const auto tab = line.find('\t');
  if (tab != std::string::npos) {
    std::string path = line.substr(0, tab);
    while (!path.empty() && (path.back() == ' ' || path.back() == '\r')) path.pop_back();
    const auto b = path.find_first_not_of(' ');
    out.push_back(b == std::string::npos ? "" : path.substr(b));
    numbers = line.substr(tab + 1);
  }
  std::istringstream s(numbers);
  std::string field;
  while (s >> field) out.push_back(field);
  return out;
}

float parse_number(const std::string& text, const std::string& file, int line) {
  std::size_t used = 0;
  float v = 0;
  try {
    v = std::stof(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  FV_CHECK(used == text.size() && std::isfinite(v), FormatError, "{}:{}: '{}' is not a finite number", file, line, text);
  return v;
}

InputSet collect_folder(const AlignConfig& config) {
  std::set<std::string> extensions;
  for (const auto& e : config.extensions) extensions.insert(lower(e[0] == '.' ? e.substr(1) : e));
  const fs::path root(config.input);
  std::vector<std::string> relatives;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
       it != end; it.increment(ec)) {
    FV_CHECK(!ec, IoError, "cannot list '{}': {}", root.string(), ec.message());
    if (!it->is_regular_file(ec)) continue;
    std::string ext = lower(it->path().extension().string());
    if (!ext.empty()) ext.erase(0, 1);
    if (!extensions.count(ext)) continue;
    relatives.push_back(fs::relative(it->path(), root).generic_string());
  }
  FV_CHECK(!ec, IoError, "cannot list '{}': {}", root.string(), ec.message());
  std::sort(relatives.begin(), relatives.end());
  InputSet set;
  for (const auto& rel : relatives) {
    InputItem item;
    item.path = (root / rel).lexically_normal().string();
    item.key = item.path;
    item.relative = without_extension(rel);
    const auto slash = rel.find('/');
    item.identity = slash == std::string::npos ? "" : rel.substr(0, slash);
    set.items.push_back(std::move(item));
  }
  return set;
}

InputSet collect_list(const AlignConfig& config) {
  const fs::path list(config.input);
  const fs::path root = config.list_root.empty() ? list.parent_path() : fs::path(config.list_root);
  std::ifstream in(list);
  FV_CHECK(in.good(), IoError, "cannot open the list file '{}'", list.string());
  InputSet set;
  std::map<std::string, int> uses;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto fields = split_fields(line);
    FV_CHECK(!fields.empty() && !fields[0].empty(), FormatError, "{}:{}: empty path", list.string(), line_no);
    const std::size_t numbers = fields.size() - 1;
    FV_CHECK(numbers == 0 || numbers == 4 || numbers == 10, FormatError,
             "{}:{}: expected 'path', 'path x y w h' or 'path x1 y1 ... x5 y5' (left eye, right eye, nose, left "
             "mouth, right mouth), got {} fields",
             list.string(), line_no, fields.size());
    InputItem item;
    item.line = line_no;
    const fs::path p(fields[0]);
    const fs::path full = p.is_absolute() ? p : root / p;
    item.path = full.lexically_normal().string();
    item.key = fmt::format("{}#{}", item.path, line_no);
    fs::path rel = p.is_absolute() ? fs::relative(full, root) : p;
    if (rel.empty() || *rel.begin() == "..") rel = p.relative_path();
    item.relative = without_extension(rel.lexically_normal());
    item.identity = full.parent_path().filename().string();
    if (numbers == 4) {
      item.has_box = true;
      item.box.x = parse_number(fields[1], list.string(), line_no);
      item.box.y = parse_number(fields[2], list.string(), line_no);
      item.box.w = parse_number(fields[3], list.string(), line_no);
      item.box.h = parse_number(fields[4], list.string(), line_no);
      FV_CHECK(item.box.w > 0 && item.box.h > 0, FormatError, "{}:{}: box width and height must be > 0",
               list.string(), line_no);
    } else if (numbers == 10) {
      item.has_landmarks = true;
      for (int k = 0; k < 5; ++k) {
        item.landmarks[k] = {parse_number(fields[1 + 2 * k], list.string(), line_no),
                             parse_number(fields[2 + 2 * k], list.string(), line_no)};
      }
    }
    ++uses[item.relative];
    set.items.push_back(std::move(item));
  }
  // A path listed several times (several boxes in one image, as in IJB-A) gets one output per line.
  for (auto& item : set.items) {
    if (uses[item.relative] > 1) item.relative += fmt::format("_L{}", item.line);
  }
  return set;
}

}  // namespace

InputSet collect_inputs(const AlignConfig& config) {
  AlignInputKind kind = config.input_kind;
  const fs::path input(config.input);
  if (kind == AlignInputKind::kAuto) {
    const std::string ext = lower(input.extension().string());
    if (fs::is_directory(input)) {
      kind = AlignInputKind::kFolder;
    } else if (ext == ".txt" || ext == ".lst" || ext == ".list") {
      kind = AlignInputKind::kList;
    } else {
      kind = AlignInputKind::kImage;
    }
  }
  InputSet set;
  switch (kind) {
    case AlignInputKind::kFolder:
      FV_CHECK(fs::is_directory(input), ConfigError, "input.path: '{}' is not a folder", config.input);
      set = collect_folder(config);
      break;
    case AlignInputKind::kList:
      set = collect_list(config);
      break;
    default: {
      InputItem item;
      item.path = input.lexically_normal().string();
      item.key = item.path;
      item.relative = input.stem().string();
      set.items.push_back(std::move(item));
    }
  }
  std::set<std::string> names;
  for (const auto& item : set.items) names.insert(item.identity);
  set.identities.assign(names.begin(), names.end());
  for (auto& item : set.items) {
    item.label = static_cast<int>(std::lower_bound(set.identities.begin(), set.identities.end(), item.identity) -
                                  set.identities.begin());
  }
  return set;
}

std::pair<std::size_t, std::size_t> shard_range(std::size_t count, int index, int shards) {
  const auto begin = count * static_cast<std::size_t>(index) / static_cast<std::size_t>(shards);
  const auto end = count * static_cast<std::size_t>(index + 1) / static_cast<std::size_t>(shards);
  return {begin, end};
}

}  // namespace fv
