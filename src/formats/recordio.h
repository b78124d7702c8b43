// MXNet RecordIO (.rec + .idx), the packed format insightface's training sets use: writer and reader.
//
// Record layout (little-endian, as written by MXNet's dmlc-core RecordIOWriter):
//   uint32 magic = 0xced7230a
//   uint32 lrecord = (cflag << 29) | length      cflag 0: whole record; 1/2/3: first/middle/last part
//   `length` bytes of payload, then zero padding to a multiple of 4 bytes
// The payload of an image record (mxnet.recordio.pack) is an IRHeader followed by the encoded image:
//   uint32 flag; float label; uint64 id; uint64 id2     (24 bytes, no padding)
//   if flag > 0: `flag` floats (a label vector) follow the header and `label` is unused
// The .idx file is text, one line per record: "<key>\t<byte offset of the record in .rec>\n".
// The writer splits a payload at a 4-aligned magic number as dmlc-core does (cflag 1/2/3, the magic dropped; the
// reader puts it back), and writes flag 0 (or the label vector's size), id = key, id2 = 0; the reader accepts
// multi-part records and label vectors, so it reads files made by MXNet's im2rec and insightface, and MXNet reads
// ours (tests/dataset/mxnet_recordio_compat_test.cpp).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fv {

inline constexpr std::uint32_t kRecordIOMagic = 0xced7230a;

// mxnet.recordio.IRHeader.
struct IRHeader {
  std::uint32_t flag = 0;
  float label = 0.f;
  std::uint64_t id = 0;
  std::uint64_t id2 = 0;
};
inline constexpr std::size_t kIRHeaderSize = 24;

// One image record unpacked: header, label vector (empty unless flag > 0) and the encoded image bytes.
struct ImageRecord {
  IRHeader header;
  std::vector<float> labels;
  std::string image;
  // The identity label: labels[0] when a label vector is present, header.label otherwise.
  float label() const { return labels.empty() ? header.label : labels[0]; }
};

// Serialises an IRHeader (+ label vector when non-empty, flag set to its size) followed by `image`.
std::string pack_image_record(const IRHeader& header, std::string_view image, const std::vector<float>& labels = {});
// Parses a payload made by pack_image_record / mxnet.recordio.pack. Throws FormatError (naming `where`)
// when the payload is shorter than its header says.
ImageRecord unpack_image_record(std::string_view payload, const std::string& where);

// Appends records to a .rec file and their offsets to the matching .idx file.
// Requires: the payload of one record is < 2^29 bytes. Throws IoError naming the file on write errors.
class RecordWriter {
 public:
  // Opens (creating or appending to) `rec_path` and `idx_path`. Appending starts at the current end of
  // the .rec file; use truncate_record_files() first to drop a partial tail.
  RecordWriter(std::filesystem::path rec_path, std::filesystem::path idx_path);
  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  // Writes one record with `key` and returns its byte offset. Ensures both files are flushed to the OS
  // (not fsync'ed) when it returns, so a killed process leaves complete records behind.
  std::uint64_t write(std::uint64_t key, std::string_view payload);
  std::uint64_t tell() const { return offset_; }
  void close();

 private:
  std::filesystem::path rec_path_;
  std::filesystem::path idx_path_;
  std::FILE* rec_ = nullptr;
  std::FILE* idx_ = nullptr;
  std::uint64_t offset_ = 0;
};

// Reads records sequentially or at offsets from the .idx file.
class RecordReader {
 public:
  // Throws IoError if `rec_path` cannot be opened.
  explicit RecordReader(std::filesystem::path rec_path);
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  // Reads the record at the current position into `payload`; returns false at a clean end of file.
  // Throws FormatError naming the file and byte offset on a bad magic, bad cflag or truncated record.
  // Memory stays within the bytes the file holds: a header declaring more than the file has left is found
  // truncated after reading what is there, not met with an allocation of the declared size.
  bool next(std::string* payload);
  // Moves to `offset` (an offset from the .idx file). Throws FormatError for an offset of 2^63 or more,
  // IoError when the file cannot seek there.
  void seek(std::uint64_t offset);
  std::uint64_t tell() const { return offset_; }
  // Reads the record at `offset`; throws FormatError at end of file.
  std::string read_at(std::uint64_t offset);

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::uint64_t offset_ = 0;
};

// Parses an .idx file into (key, offset) pairs in file order: lines "<key><TAB or spaces><offset>" of two
// decimal integers below 2^63 (an offset fseek and pread accept), blank lines skipped.
// Throws IoError when it cannot be opened, FormatError naming the file and line for any other line, and naming
// the key for a key listed twice.
std::vector<std::pair<std::uint64_t, std::uint64_t>> read_record_index(const std::filesystem::path& idx_path);
// The same on text already open (`name` names it in messages).
std::vector<std::pair<std::uint64_t, std::uint64_t>> parse_record_index(std::istream& in, const std::string& name);

// Cuts a .rec/.idx pair back to its first `keep` records (in .idx order): the .idx keeps `keep` lines and
// the .rec ends right after record keep-1 (both become empty for keep = 0). Used when resuming a killed
// run. Throws FormatError if the .idx lists fewer than `keep` records or the .rec is shorter than that.
void truncate_record_files(const std::filesystem::path& rec_path, const std::filesystem::path& idx_path,
                           std::uint64_t keep);

}  // namespace fv
