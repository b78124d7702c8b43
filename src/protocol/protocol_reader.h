// Line-by-line reading of protocol text files (pair lists, YTF splits, IJB lists): one line in memory at a
// time, bounded line length, line numbers, field splitting, and errors that name the file, line and text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fv::protocol {

// The longest line accepted. Real protocol lines are under 200 bytes (two paths and a flag); the bound keeps
// memory flat on a file without line breaks (a binary file passed by mistake) instead of reading it whole.
inline constexpr std::size_t kMaxProtocolLineBytes = std::size_t{1} << 16;

class ProtocolReader {
 public:
  // Throws IoError "cannot open <what> '<file>'" when the file cannot be opened.
  explicit ProtocolReader(std::filesystem::path file, std::string what = "protocol file");
  // Reads `text` (a file's content already in memory; it must outlive the reader) as if it were the file
  // `file`, which only names it in messages. Lines, bounds and errors are those of a file with that content.
  ProtocolReader(std::string_view text, std::filesystem::path file, std::string what = "protocol file");
  ~ProtocolReader();
  ProtocolReader(const ProtocolReader&) = delete;
  ProtocolReader& operator=(const ProtocolReader&) = delete;

  // Reads the next line, without its "\n" or "\r\n" (a last line without a line break counts). Returns false
  // at the end of the file. Throws FormatError naming the file and line for a line longer than
  // kMaxProtocolLineBytes, IoError for a read error.
  bool next();
  const std::filesystem::path& file() const { return file_; }
  int line_number() const { return number_; }
  std::string_view text() const { return line_; }

  // Throws FormatError "<file>:<line>: <what>: '<text>'" for the current line (see quote_line).
  [[noreturn]] void fail(const std::string& what) const;
  // `field` as an integer; fail("<what> must be an integer") otherwise.
  std::int64_t integer(std::string_view field, std::string_view what) const;

 private:
  std::filesystem::path file_;
  std::string what_;
  std::FILE* in_ = nullptr;  // null when reading `memory_`
  std::string_view memory_;
  std::vector<char> buffer_;
  const char* data_ = nullptr;  // the current chunk: buffer_ (a file) or memory_ (all of it)
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  int number_ = 0;
  std::string line_;
};

// A line as error messages quote it: at most 200 bytes (then "... (N bytes)"), control bytes other than tab
// written as \xNN so that a binary file cannot garble the terminal.
std::string quote_line(std::string_view text);

// Fields separated by runs of any of `separators` (no empty fields): "a  b\tc" -> a, b, c.
void split_fields(std::string_view line, std::string_view separators, std::vector<std::string_view>& fields);

// Comma-separated fields, each trimmed of spaces and tabs; empty fields are kept ("a, ,b" -> a, "", b), as a
// CSV reader sees them.
void split_csv(std::string_view line, std::vector<std::string_view>& fields);

// True when `field` is a decimal integer (optional '-') that fits `value`.
bool parse_int(std::string_view field, int& value);
bool parse_int(std::string_view field, std::int64_t& value);

}  // namespace fv::protocol
