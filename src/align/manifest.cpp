// Manifest CSV writing, parsing and crash-safe resuming.
#include "align/manifest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/check.h"

namespace fv {
namespace {

constexpr const char* kStatusNames[kStatusCount] = {"ok",         "no_face",   "no_face_cropped", "several_faces",
                                                   "unreadable", "truncated", "too_small",       "too_large",
                                                   "missing",    "error",     "box_outside_image", "prior_box"};
constexpr int kColumns = 25;

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Splits one CSV record; returns false when a quoted field is not closed.
bool split_csv(const std::string& line, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  fields->push_back(cur);
  return !quoted;
}

std::string num(float v) { return fmt::format("{:.2f}", v); }

}  // namespace

const char* status_name(AlignStatus s) { return kStatusNames[static_cast<int>(s)]; }

AlignStatus parse_status(const std::string& name) {
  for (int i = 0; i < kStatusCount; ++i) {
    if (name == kStatusNames[i]) return static_cast<AlignStatus>(i);
  }
  throw FormatError("unknown manifest status '" + name + "'");
}

std::string ManifestRow::key() const { return line > 0 ? fmt::format("{}#{}", input, line) : input; }

std::string manifest_header() {
  return "input,line,status,face,faces,label,identity,x,y,w,h,score,le_x,le_y,re_x,re_y,no_x,no_y,lm_x,lm_y,rm_x,"
         "rm_y,output,record,detail\n";
}

std::string to_csv_line(const ManifestRow& r) {
  std::string s = fmt::format("{},{},{},{},{},{},{},", csv_field(r.input), r.line, status_name(r.status), r.face,
                              r.faces, r.label, csv_field(r.identity));
  if (r.has_box) {
    s += fmt::format("{},{},{},{},", num(r.x), num(r.y), num(r.w), num(r.h));
  } else {
    s += ",,,,";
  }
  s += r.has_score ? fmt::format("{:.4f},", r.score) : ",";
  for (const auto& p : r.landmarks) s += r.has_landmarks ? fmt::format("{},{},", num(p.x), num(p.y)) : ",,";
  s += fmt::format("{},{},{}\n", csv_field(r.output), r.record, csv_field(r.detail));
  return s;
}

ManifestRow parse_manifest_line(const std::string& text, const std::string& file, int line_no) {
  std::vector<std::string> f;
  FV_CHECK(split_csv(text, &f), FormatError, "{}:{}: unterminated quoted field", file, line_no);
  FV_CHECK_EQ(static_cast<int>(f.size()), kColumns, FormatError, "{}:{}: wrong number of manifest columns", file,
              line_no);
  ManifestRow r;
  try {
    auto to_float = [&](const std::string& s) {
      std::size_t used = 0;
      const float v = std::stof(s, &used);
      if (used != s.size() || !std::isfinite(v)) throw std::invalid_argument(s);
      return v;
    };
    auto to_int = [&](const std::string& s) {
      std::size_t used = 0;
      const long long v = std::stoll(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
      return v;
    };
    r.input = f[0];
    r.line = static_cast<int>(to_int(f[1]));
    r.status = parse_status(f[2]);
    r.face = static_cast<int>(to_int(f[3]));
    r.faces = static_cast<int>(to_int(f[4]));
    r.label = static_cast<int>(to_int(f[5]));
    r.identity = f[6];
    if (!f[7].empty()) {
      r.has_box = true;
      r.x = to_float(f[7]);
      r.y = to_float(f[8]);
      r.w = to_float(f[9]);
      r.h = to_float(f[10]);
    }
    if (!f[11].empty()) {
      r.has_score = true;
      r.score = to_float(f[11]);
    }
    if (!f[12].empty()) {
      r.has_landmarks = true;
      for (int k = 0; k < 5; ++k) r.landmarks[k] = {to_float(f[12 + 2 * k]), to_float(f[13 + 2 * k])};
    }
    r.output = f[22];
    r.record = to_int(f[23]);
    r.detail = f[24];
  } catch (const FormatError& e) {
    throw FormatError(fmt::format("{}:{}: {}", file, line_no, e.what()));
  } catch (const std::exception& e) {
    throw FormatError(fmt::format("{}:{}: malformed manifest value '{}'", file, line_no, e.what()));
  }
  FV_CHECK(r.faces >= 1 && r.face >= 0 && r.face < r.faces, FormatError, "{}:{}: face {} of {} is impossible", file,
           line_no, r.face, r.faces);
  return r;
}

ManifestState read_manifest(const std::filesystem::path& path) {
  ManifestState state;
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) return state;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const std::string header = manifest_header();
  std::size_t pos = 0;
  int line_no = 0;
  std::vector<ManifestRow> group;  // rows of the input being read
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // torn last line: ignored, cut off by the writer
    ++line_no;
    const std::string line = text.substr(pos, nl - pos);
    const std::size_t next = nl + 1;
    if (line + "\n" == header) {
      FV_CHECK(group.empty(), FormatError, "{}:{}: header line inside the rows of '{}'", path.string(), line_no,
               group.empty() ? "" : group.front().input);
      state.has_header = state.has_header || line_no == 1;
      if (line_no == 1) state.valid_bytes = next;
      pos = next;
      continue;
    }
    const ManifestRow row = parse_manifest_line(line, path.string(), line_no);
    FV_CHECK(group.empty() || (group.front().key() == row.key() && row.face == static_cast<int>(group.size())),
             FormatError, "{}:{}: rows of '{}' are incomplete (expected face {} of {})", path.string(), line_no,
             group.empty() ? "" : group.front().input, group.size(), group.empty() ? 0 : group.front().faces);
    FV_CHECK(row.face == static_cast<int>(group.size()), FormatError, "{}:{}: row starts at face {}", path.string(),
             line_no, row.face);
    group.push_back(row);
    if (static_cast<int>(group.size()) == row.faces) {
      for (auto& g : group) {
        if (g.record >= 0) state.records = std::max<std::uint64_t>(state.records, g.record + 1);
        state.rows.push_back(std::move(g));
      }
      group.clear();
      state.valid_bytes = next;
    }
    pos = next;
  }
  return state;
}

ManifestWriter::ManifestWriter(const std::filesystem::path& path, std::uint64_t valid_bytes, bool write_header)
    : path_(path) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  if (std::filesystem::exists(path)) std::filesystem::resize_file(path, valid_bytes);
  file_ = std::fopen(path.c_str(), "ab");
  FV_CHECK(file_ != nullptr, IoError, "cannot open the manifest '{}': {}", path.string(), std::strerror(errno));
  if (write_header) {
    const std::string h = manifest_header();
    FV_CHECK(std::fwrite(h.data(), 1, h.size(), file_) == h.size() && std::fflush(file_) == 0, IoError,
             "cannot write the manifest '{}'", path.string());
  }
}

ManifestWriter::~ManifestWriter() {
  if (file_) std::fclose(file_);
}

void ManifestWriter::append(const std::vector<ManifestRow>& rows) {
  std::string text;
  for (const auto& r : rows) text += to_csv_line(r);
  FV_CHECK(std::fwrite(text.data(), 1, text.size(), file_) == text.size() && std::fflush(file_) == 0, IoError,
           "cannot write the manifest '{}': {}", path_.string(), std::strerror(errno));
}

StatusCounts count_statuses(const std::vector<ManifestRow>& rows) {
  StatusCounts c;
  for (int i = 0; i < kStatusCount; ++i) c.rows[kStatusNames[i]] = 0;
  for (const auto& r : rows) {
    ++c.rows[status_name(r.status)];
    if (r.face == 0) ++c.inputs;
  }
  return c;
}

}  // namespace fv
