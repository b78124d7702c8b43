// Enumeration of alignment inputs (image, folder tree, list file), identities and shards.
#include "align/inputs.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/check.h"
#include "core/logging.h"

namespace fv {
namespace fs = std::filesystem;
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}


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

// A folder's identity on the file system, to recognise a symbolic link back to one of its ancestors.
struct FolderId {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FolderId& o) const { return device == o.device && inode == o.inode; }
};

bool folder_id(const fs::path& path, FolderId* id) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  *id = {st.st_dev, st.st_ino};
  return true;
}

// One entry found by the walk: a regular image file (problem empty) or something that gets a row anyway.
struct Found {
  std::string relative;  // path under the root, '/'-separated, as the user sees it (links not resolved)
  bool folder = false;   // the entry is a folder: at the top level its own name is the identity
  std::string problem;
  AlignStatus status = AlignStatus::kUnreadable;
};

// Walks one folder with error_code calls only, so that no entry can stop the walk: what cannot be listed,
// resolved or read becomes a Found with a problem. `ancestors` holds the folders from the root down to
// `dir`, so that a link back to any of them is a loop rather than an endless descent.
void walk_folder(const fs::path& dir, const std::string& rel_dir, const std::set<std::string>& extensions,
                 std::vector<FolderId>& ancestors, std::vector<Found>& found) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    FV_CHECK(!rel_dir.empty(), IoError, "cannot list '{}': {}", dir.string(), ec.message());
    found.push_back({rel_dir, true, fmt::format("cannot list the folder: {}", ec.message())});
    return;
  }
  for (const fs::directory_iterator end; it != end;) {
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    const std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
    std::string ext = lower(entry.path().extension().string());
    if (!ext.empty()) ext.erase(0, 1);
    const bool image_name = extensions.count(ext) > 0;
    std::error_code lec;
    const bool link = entry.is_symlink(lec);
    std::error_code sec;
    const fs::file_status st = fs::status(entry.path(), sec);  // follows links
    if (sec) {
      // What it was meant to be is unknown: rows for names that could be an image or a folder (identity from
      // its parent, like a file's: no class is made up). A dangling link names nothing (missing); a loop or a
      // permission problem cannot be read.
      std::error_code rec;
      const fs::path target = link ? fs::read_symlink(entry.path(), rec) : fs::path();
      if (!image_name && !ext.empty()) {
        log::debug("'{}' is not an image name and cannot be looked up: {}", entry.path().string(), sec.message());
      } else if (link && sec == std::errc::no_such_file_or_directory) {
        found.push_back({rel, false, fmt::format("dangling symbolic link to '{}'", target.string()),
                         AlignStatus::kMissing});
      } else if (sec == std::errc::too_many_symbolic_link_levels) {
        found.push_back({rel, false, fmt::format("symbolic link loop ('{}' -> '{}')", name, target.string())});
      } else {
        found.push_back({rel, false, fmt::format("cannot look up the file: {}", sec.message())});
      }
    } else if (fs::is_directory(st)) {
      FolderId id;
      if (!folder_id(entry.path(), &id)) {
        found.push_back({rel, true, fmt::format("cannot look up the folder: {}", std::strerror(errno))});
      } else if (std::find(ancestors.begin(), ancestors.end(), id) != ancestors.end()) {
        std::error_code rec;
        found.push_back({rel, true, fmt::format("symbolic link loop ('{}' -> '{}' leads back to a folder above it)",
                                                name, fs::read_symlink(entry.path(), rec).string())});
      } else {
        ancestors.push_back(id);
        walk_folder(entry.path(), rel, extensions, ancestors, found);
        ancestors.pop_back();
      }
    } else if (image_name) {
      if (fs::is_regular_file(st)) {
        found.push_back({rel, false, ""});
      } else {
        // Never opened: reading a FIFO blocks, /dev/zero never ends.
        found.push_back({rel, false, fmt::format("{}{}, not read", link ? "symbolic link to " : "", file_type_name(st.type()))});
      }
    }
    it.increment(ec);
    if (ec) {
      found.push_back({rel_dir.empty() ? "." : rel_dir, true,
                       fmt::format("listing the folder stopped after '{}': {}", name, ec.message())});
      break;
    }
  }
}

// Makes every output name unique: names used by several items get `suffix(item)`; any clash left after
// that (a file really named like a suffixed one) gets "_2", "_3", ... in item order.
template <typename Suffix>
void make_relatives_unique(std::vector<InputItem>& items, Suffix suffix) {
  std::map<std::string, int> uses;
  for (const auto& item : items) {
    if (item.problem.empty()) ++uses[item.relative];
  }
  for (auto& item : items) {
    if (item.problem.empty() && uses[item.relative] > 1) item.relative += suffix(item);
  }
  std::set<std::string> taken;
  for (auto& item : items) {
    if (!item.problem.empty() || taken.insert(item.relative).second) continue;
    for (int n = 2;; ++n) {
      const std::string name = fmt::format("{}_{}", item.relative, n);
      if (taken.insert(name).second) {
        item.relative = name;
        break;
      }
    }
  }
}

InputSet collect_folder(const AlignConfig& config) {
  std::set<std::string> extensions;
  for (const auto& e : config.extensions) extensions.insert(lower(e[0] == '.' ? e.substr(1) : e));
  const fs::path root(config.input);
  std::vector<Found> found;
  std::vector<FolderId> ancestors(1);
  FV_CHECK(folder_id(root, &ancestors[0]), IoError, "cannot list '{}': {}", root.string(), std::strerror(errno));
  walk_folder(root, "", extensions, ancestors, found);
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.relative < b.relative; });
  InputSet set;
  for (const auto& f : found) {
    InputItem item;
    item.path = (root / f.relative).lexically_normal().string();
    item.key = item.path;
    item.relative = confined_stem(f.relative);
    const auto slash = f.relative.find('/');
    item.identity = slash != std::string::npos ? f.relative.substr(0, slash) : f.folder ? f.relative : "";
    if (item.identity == ".") item.identity.clear();
    item.problem = f.problem;
    item.problem_status = f.status;
    set.items.push_back(std::move(item));
  }
  make_relatives_unique(set.items, [](const InputItem& item) {
    std::string ext = lower(fs::path(item.path).extension().string());
    std::replace(ext.begin(), ext.end(), '.', '_');
    return ext;
  });
  return set;
}

// A folder path made absolute and lexically normal, without a trailing separator.
fs::path normal_folder(const fs::path& dir) {
  fs::path p = fs::absolute(dir.empty() ? fs::path(".") : dir).lexically_normal();
  if (!p.has_filename() && p.has_relative_path()) p = p.parent_path();
  return p;
}

InputSet collect_list(const AlignConfig& config) {
  const fs::path list(config.input);
  const fs::path root = config.list_root.empty() ? list.parent_path() : fs::path(config.list_root);
  std::ifstream in(list);
  FV_CHECK(in.good(), IoError, "cannot open the list file '{}'", list.string());
  InputSet set;
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
    // The name relative to the root, lexically (a link is not resolved); a path that leaves the root keeps
    // its own components, without '..' and the root (confined_stem).
    fs::path rel = p.is_absolute() ? p.lexically_normal().lexically_relative(normal_folder(root)) : p.lexically_normal();
    if (rel.empty() || *rel.begin() == "..") rel = p;
    item.relative = confined_stem(rel);
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
    set.items.push_back(std::move(item));
  }
  // A path listed several times (several boxes in one image, as in IJB-A) gets one output per line; so do
  // different paths that confined_stem maps to one name ("x.jpg" and "../x.jpg").
  make_relatives_unique(set.items, [](const InputItem& item) { return fmt::format("_L{}", item.line); });
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
      item.relative = confined_stem(input.filename());
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

std::string confined_stem(const fs::path& name) {
  fs::path out;
  for (const auto& part : name.lexically_normal().relative_path()) {
    if (part.empty() || part == "." || part == "..") continue;
    out /= part;
  }
  if (out.empty()) return "_";
  // The extension is dropped from the last component only; one whose stem would be "." or ".." ("...",
  // "..jpg") keeps its whole name.
  const fs::path stem = out.stem();
  out = out.parent_path() / (stem.empty() || stem == "." || stem == ".." ? out.filename() : stem);
  return out.generic_string();
}

const char* file_type_name(fs::file_type type) {
  switch (type) {
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::character: return "a character device";
    case fs::file_type::block: return "a block device";
    case fs::file_type::directory: return "a folder";
    default: return "not a regular file";
  }
}

bool path_is_within(const fs::path& path, const fs::path& dir) {
  const fs::path rel = fs::absolute(path).lexically_normal().lexically_relative(normal_folder(dir));
  return !rel.empty() && *rel.begin() != ".." && *rel.begin() != ".";
}

std::pair<std::size_t, std::size_t> shard_range(std::size_t count, int index, int shards) {
  const auto begin = count * static_cast<std::size_t>(index) / static_cast<std::size_t>(shards);
  const auto end = count * static_cast<std::size_t>(index + 1) / static_cast<std::size_t>(shards);
  return {begin, end};
}

}  // namespace fv
