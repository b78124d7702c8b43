// Streaming line reader and field splitting shared by every protocol parser of fv-eval.
#include "protocol/protocol_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>

#include "core/error.h"

namespace fv::protocol {
namespace {

constexpr std::size_t kBufferBytes = std::size_t{1} << 16;
constexpr std::size_t kQuotedBytes = 200;

template <class T>
bool parse_integer(std::string_view field, T& value) {
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, value);
  return !field.empty() && ec == std::errc() && ptr == end;
}

}  // namespace

ProtocolReader::ProtocolReader(std::filesystem::path file, std::string what)
    : file_(std::move(file)), what_(std::move(what)), buffer_(kBufferBytes) {
  in_ = std::fopen(file_.c_str(), "rb");
  if (in_ == nullptr) {
    throw IoError(fmt::format("cannot open {} '{}': {}", what_, file_.string(), std::strerror(errno)));
  }
}

ProtocolReader::ProtocolReader(std::string_view text, std::filesystem::path file, std::string what)
    : file_(std::move(file)), what_(std::move(what)), memory_(text) {}

ProtocolReader::~ProtocolReader() {
  if (in_ != nullptr) std::fclose(in_);
}

bool ProtocolReader::next() {
  line_.clear();
  bool any = false;  // bytes seen since the previous line break
  for (;;) {
    if (pos_ == end_) {
      if (eof_) break;
      pos_ = 0;
      if (in_ == nullptr) {  // in memory: the whole text is the one chunk
        data_ = memory_.data();
        end_ = memory_.size();
        eof_ = true;
        if (end_ == 0) break;
      } else {
        data_ = buffer_.data();
        end_ = std::fread(buffer_.data(), 1, buffer_.size(), in_);
      }
      if (end_ == 0) {
        if (std::ferror(in_) != 0) {
          throw IoError(fmt::format("{}:{}: read error: {}", file_.string(), number_ + 1, std::strerror(errno)));
        }
        eof_ = true;
        break;
      }
    }
    any = true;
    const char* start = data_ + pos_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    const std::size_t n = newline != nullptr ? static_cast<std::size_t>(newline - start) : end_ - pos_;
    if (line_.size() + n > kMaxProtocolLineBytes) {
      line_.append(start, std::min(n, kQuotedBytes));
      throw FormatError(fmt::format("{}:{}: line longer than {} bytes (not a text protocol file?): '{}...'",
                                    file_.string(), number_ + 1, kMaxProtocolLineBytes,
                                    quote_line(std::string_view(line_).substr(0, kQuotedBytes))));
    }
    line_.append(start, n);
    pos_ += n;
    if (newline != nullptr) {
      ++pos_;
      break;
    }
  }
  if (!any) return false;
  if (number_ == INT_MAX) throw FormatError(fmt::format("{}: more than {} lines", file_.string(), INT_MAX));
  ++number_;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

void ProtocolReader::fail(const std::string& what) const {
  throw FormatError(fmt::format("{}:{}: {}: '{}'", file_.string(), number_, what, quote_line(line_)));
}

std::int64_t ProtocolReader::integer(std::string_view field, std::string_view what) const {
  std::int64_t v = 0;
  if (!parse_int(field, v)) fail(fmt::format("{} must be an integer", what));
  return v;
}

std::string quote_line(std::string_view text) {
  std::string out;
  const std::size_t shown = std::min(text.size(), kQuotedBytes);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown < text.size()) out += fmt::format("... ({} bytes)", text.size());
  return out;
}

void split_fields(std::string_view line, std::string_view separators, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t i = line.find_first_not_of(separators);
  while (i != std::string_view::npos) {
    const std::size_t j = line.find_first_of(separators, i);
    fields.push_back(line.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = line.find_first_not_of(separators, j);
  }
}

void split_csv(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t i = 0;
  for (;;) {
    const std::size_t comma = line.find(',', i);
    std::string_view f = line.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i);
    const std::size_t a = f.find_first_not_of(" \t");
    f = a == std::string_view::npos ? std::string_view() : f.substr(a, f.find_last_not_of(" \t") - a + 1);
    fields.push_back(f);
    if (comma == std::string_view::npos) break;
    i = comma + 1;
  }
}

bool parse_int(std::string_view field, int& value) { return parse_integer(field, value); }
bool parse_int(std::string_view field, std::int64_t& value) { return parse_integer(field, value); }

}  // namespace fv::protocol
