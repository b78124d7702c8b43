// MXNet RecordIO writer and reader (format documented in recordio.h).
#include "formats/recordio.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <fstream>
#include <istream>
#include <sstream>

#include "core/check.h"
#include "core/error.h"

namespace fv {
namespace {

constexpr std::uint32_t kLengthMask = (1u << 29) - 1;
// RecordReader reads a record's payload in steps of this size (see next()).
constexpr std::size_t kReadStep = std::size_t{1} << 20;

void put_u32(std::string* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint32_t get_u32(const unsigned char* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}
std::uint64_t get_u64(const unsigned char* p) {
  return std::uint64_t(get_u32(p)) | std::uint64_t(get_u32(p + 4)) << 32;
}
std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float bits_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

std::FILE* open_or_throw(const std::filesystem::path& path, const char* mode) {
  std::FILE* f = std::fopen(path.c_str(), mode);
  if (!f) throw IoError(fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)));
  return f;
}

}  // namespace

std::string pack_image_record(const IRHeader& header, std::string_view image, const std::vector<float>& labels) {
  std::string out;
  out.reserve(kIRHeaderSize + labels.size() * 4 + image.size());
  put_u32(&out, labels.empty() ? header.flag : static_cast<std::uint32_t>(labels.size()));
  put_u32(&out, float_bits(labels.empty() ? header.label : 0.f));
  put_u64(&out, header.id);
  put_u64(&out, header.id2);
  for (float l : labels) put_u32(&out, float_bits(l));
  out.append(image.data(), image.size());
  return out;
}

ImageRecord unpack_image_record(std::string_view payload, const std::string& where) {
  FV_CHECK(payload.size() >= kIRHeaderSize, FormatError, "{}: record of {} bytes is shorter than its {}-byte IRHeader",
           where, payload.size(), kIRHeaderSize);
  const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
  ImageRecord r;
  r.header.flag = get_u32(p);
  r.header.label = bits_float(get_u32(p + 4));
  r.header.id = get_u64(p + 8);
  r.header.id2 = get_u64(p + 16);
  std::size_t pos = kIRHeaderSize;
  if (r.header.flag > 0) {
    FV_CHECK(payload.size() - pos >= std::size_t(r.header.flag) * 4, FormatError,
             "{}: IRHeader says {} labels follow but the record has only {} bytes left", where, r.header.flag,
             payload.size() - pos);
    for (std::uint32_t i = 0; i < r.header.flag; ++i, pos += 4) r.labels.push_back(bits_float(get_u32(p + pos)));
  }
  r.image.assign(payload.data() + pos, payload.size() - pos);
  return r;
}

// ---- writer ----

RecordWriter::RecordWriter(std::filesystem::path rec_path, std::filesystem::path idx_path)
    : rec_path_(std::move(rec_path)), idx_path_(std::move(idx_path)) {
  if (rec_path_.has_parent_path()) std::filesystem::create_directories(rec_path_.parent_path());
  rec_ = open_or_throw(rec_path_, "ab");
  idx_ = open_or_throw(idx_path_, "ab");
  std::fseek(rec_, 0, SEEK_END);
  offset_ = static_cast<std::uint64_t>(std::ftell(rec_));
}

RecordWriter::~RecordWriter() {
  try {
    close();
  } catch (...) {
  }
}

std::uint64_t RecordWriter::write(std::uint64_t key, std::string_view payload) {
  FV_CHECK(rec_ && idx_, IoError, "RecordWriter for '{}' is closed", rec_path_.string());
  FV_CHECK_LE(payload.size(), std::size_t(kLengthMask), IoError, "record {} for '{}' is too large", key,
              rec_path_.string());
  // As dmlc-core's RecordIOWriter: a magic number at a 4-byte aligned position inside the payload is
  // cut out and the payload split there (cflag 1 first, 2 middle, 3 last part), so that a reader can
  // resynchronise on the magic number anywhere in the file.
  const std::uint64_t at = offset_;
  const char zeros[4] = {0, 0, 0, 0};
  const auto* bytes = reinterpret_cast<const unsigned char*>(payload.data());
  const std::size_t lower_align = payload.size() / 4 * 4;
  std::uint64_t written = 0;
  auto emit = [&](std::uint32_t cflag, std::size_t from, std::size_t length) {
    std::string head;
    put_u32(&head, kRecordIOMagic);
    put_u32(&head, (cflag << 29) | static_cast<std::uint32_t>(length));
    const std::size_t pad = (4 - length % 4) % 4;
    const bool ok = std::fwrite(head.data(), 1, head.size(), rec_) == head.size() &&
                    std::fwrite(payload.data() + from, 1, length, rec_) == length &&
                    std::fwrite(zeros, 1, pad, rec_) == pad;
    FV_CHECK(ok, IoError, "cannot write record {} to '{}': {}", key, rec_path_.string(), std::strerror(errno));
    written += head.size() + length + pad;
  };
  std::size_t start = 0;
  for (std::size_t i = 0; i < lower_align; i += 4) {
    if (get_u32(bytes + i) == kRecordIOMagic) {
      emit(start == 0 ? 1u : 2u, start, i - start);
      start = i + 4;
    }
  }
  emit(start == 0 ? 0u : 3u, start, payload.size() - start);
  FV_CHECK(std::fflush(rec_) == 0, IoError, "cannot write record {} to '{}': {}", key, rec_path_.string(),
           std::strerror(errno));
  const std::string line = fmt::format("{}\t{}\n", key, at);
  const bool ok = std::fwrite(line.data(), 1, line.size(), idx_) == line.size() && std::fflush(idx_) == 0;
  FV_CHECK(ok, IoError, "cannot write to '{}': {}", idx_path_.string(), std::strerror(errno));
  offset_ += written;
  return at;
}

void RecordWriter::close() {
  bool ok = true;
  if (rec_) ok = std::fclose(rec_) == 0 && ok;
  if (idx_) ok = std::fclose(idx_) == 0 && ok;
  rec_ = idx_ = nullptr;
  FV_CHECK(ok, IoError, "cannot close '{}' / '{}'", rec_path_.string(), idx_path_.string());
}

// ---- reader ----

RecordReader::RecordReader(std::filesystem::path rec_path) : path_(std::move(rec_path)) {
  file_ = open_or_throw(path_, "rb");
}

RecordReader::~RecordReader() {
  if (file_) std::fclose(file_);
}

void RecordReader::seek(std::uint64_t offset) {
  FV_CHECK_LE(offset, static_cast<std::uint64_t>(LONG_MAX), FormatError, "'{}': record offset {} is not a file offset",
              path_.string(), offset);
  FV_CHECK(std::fseek(file_, static_cast<long>(offset), SEEK_SET) == 0, IoError, "cannot seek '{}' to {}",
           path_.string(), offset);
  offset_ = offset;
}

bool RecordReader::next(std::string* payload) {
  payload->clear();
  const std::uint64_t start = offset_;
  for (int part = 0;; ++part) {
    unsigned char head[8];
    const std::size_t got = std::fread(head, 1, 8, file_);
    if (got == 0 && part == 0) return false;
    FV_CHECK(got == 8, FormatError, "'{}': truncated record header at byte offset {}", path_.string(), offset_);
    const std::uint32_t magic = get_u32(head);
    FV_CHECK(magic == kRecordIOMagic, FormatError,
             "'{}': bad RecordIO magic 0x{:08x} at byte offset {} (expected 0x{:08x}); not a RecordIO file or a "
             "wrong offset",
             path_.string(), magic, offset_, kRecordIOMagic);
    const std::uint32_t lrec = get_u32(head + 4);
    const std::uint32_t cflag = lrec >> 29;
    const std::uint32_t length = lrec & kLengthMask;
    FV_CHECK((part == 0 && (cflag == 0 || cflag == 1)) || (part > 0 && (cflag == 2 || cflag == 3)), FormatError,
             "'{}': unexpected continuation flag {} at byte offset {} (record started at {})", path_.string(), cflag,
             offset_, start);
    const std::size_t old = payload->size();
    const std::size_t padded = length + (4 - length % 4) % 4;
    // Read in steps, growing the payload only by what arrived: the length comes from the file, and a header
    // claiming 512 MiB in a 20-byte file must not cost 512 MiB.
    std::size_t body = 0;
    while (body < padded) {
      const std::size_t step = std::min(padded - body, kReadStep);
      payload->resize(old + body + step);
      const std::size_t got_now = std::fread(payload->data() + old + body, 1, step, file_);
      body += got_now;
      if (got_now < step) break;
    }
    FV_CHECK(body == padded, FormatError, "'{}': record at byte offset {} is truncated ({} of {} bytes)",
             path_.string(), offset_, body, padded);
    payload->resize(old + length);
    offset_ += 8 + padded;
    if (cflag == 0 || cflag == 3) return true;
    // dmlc-core split the payload at a magic number it contained: put the magic number back.
    put_u32(payload, kRecordIOMagic);
  }
}

std::string RecordReader::read_at(std::uint64_t offset) {
  seek(offset);
  std::string payload;
  FV_CHECK(next(&payload), FormatError, "'{}': no record at byte offset {} (end of file)", path_.string(), offset);
  return payload;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> read_record_index(const std::filesystem::path& idx_path) {
  std::ifstream in(idx_path);
  FV_CHECK(in.good(), IoError, "cannot open '{}'", idx_path.string());
  return parse_record_index(in, idx_path.string());
}

namespace {

// An index lists each record once: a repeated key (e.g. an index whose keys are all 0) would make every sample
// of that key read the same record. Writers number keys in increasing order, so the check sorts only otherwise.
void check_unique_keys(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& index, const std::string& name) {
  bool increasing = true;
  for (std::size_t i = 1; i < index.size() && increasing; ++i) increasing = index[i - 1].first < index[i].first;
  if (increasing) return;
  std::vector<std::pair<std::uint64_t, std::size_t>> keys;  // (key, line among the entries)
  keys.reserve(index.size());
  for (std::size_t i = 0; i < index.size(); ++i) keys.emplace_back(index[i].first, i);
  std::sort(keys.begin(), keys.end());
  for (std::size_t i = 1; i < keys.size(); ++i) {
    FV_CHECK(keys[i - 1].first != keys[i].first, FormatError,
             "{}: key {} is listed twice (entries {} and {} of the index): an index lists each record once", name,
             keys[i].first, keys[i - 1].second + 1, keys[i].second + 1);
  }
}

}  // namespace

std::vector<std::pair<std::uint64_t, std::uint64_t>> parse_record_index(std::istream& in, const std::string& name) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  std::string line;
  for (std::uint64_t line_no = 1; std::getline(in, line); ++line_no) {
    std::string_view rest = line;
    if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
    if (rest.find_first_not_of(" \t") == std::string_view::npos) continue;
    // Two decimal fields: from_chars takes no sign, so "-1" is refused rather than read as 2^64 - 1.
    std::uint64_t values[2] = {0, 0};
    bool ok = true;
    for (std::uint64_t& value : values) {
      const std::size_t start = rest.find_first_not_of(" \t");
      const char* begin = rest.data() + (start == std::string_view::npos ? rest.size() : start);
      const char* end = rest.data() + rest.size();
      const auto [ptr, ec] = std::from_chars(begin, end, value);
      ok = ok && ec == std::errc() && ptr != begin && value <= static_cast<std::uint64_t>(LONG_MAX);
      rest = std::string_view(ptr, static_cast<std::size_t>(end - ptr));
    }
    ok = ok && rest.find_first_not_of(" \t") == std::string_view::npos;
    // Only the start of a long line is quoted (a binary file passed by mistake has no line breaks).
    FV_CHECK(ok, FormatError, "{}:{}: expected '<key>\\t<offset>' (decimal integers below 2^63), got '{}'{}", name,
             line_no, line.substr(0, 200), line.size() > 200 ? fmt::format("... ({} bytes)", line.size()) : "");
    out.emplace_back(values[0], values[1]);
  }
  FV_CHECK(!in.bad(), IoError, "cannot read '{}'", name);
  check_unique_keys(out, name);
  return out;
}

void truncate_record_files(const std::filesystem::path& rec_path, const std::filesystem::path& idx_path,
                           std::uint64_t keep) {
  namespace fs = std::filesystem;
  if (keep == 0) {
    for (const auto& p : {rec_path, idx_path}) {
      if (fs::exists(p)) fs::resize_file(p, 0);
    }
    return;
  }
  // Byte length of the first `keep` lines of the .idx.
  std::ifstream in(idx_path, std::ios::binary);
  FV_CHECK(in.good(), IoError, "cannot open '{}'", idx_path.string());
  std::string line;
  std::uint64_t idx_bytes = 0, last_offset = 0, lines = 0;
  while (lines < keep && std::getline(in, line)) {
    idx_bytes += line.size() + 1;
    ++lines;
    std::istringstream s(line);
    std::uint64_t key = 0;
    FV_CHECK(static_cast<bool>(s >> key >> last_offset), FormatError, "{}:{}: expected '<key>\\t<offset>', got '{}'",
             idx_path.string(), lines, line);
  }
  FV_CHECK(lines == keep && !in.fail(), FormatError, "'{}' lists {} complete records but {} are needed to resume",
           idx_path.string(), lines, keep);
  in.close();
  std::uint64_t rec_end = 0;
  {
    RecordReader reader(rec_path);
    reader.seek(last_offset);
    std::string payload;
    FV_CHECK(reader.next(&payload), FormatError, "'{}': record {} at byte offset {} is missing", rec_path.string(),
             keep - 1, last_offset);
    rec_end = reader.tell();
  }
  fs::resize_file(rec_path, rec_end);
  fs::resize_file(idx_path, idx_bytes);
}

}  // namespace fv
