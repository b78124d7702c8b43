// RecordIO sample source: .idx offsets, insightface header records, labels from IRHeaders, pooled readers.
#include "dataset/recordio_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "core/check.h"
#include "core/error.h"
#include "core/logging.h"
#include "formats/recordio.h"

namespace fv {
namespace {

std::uint32_t get_u32(const unsigned char* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

// The identity label a record's IRHeader gives, or a reason why it gives none.
struct LabelOrReason {
  std::int64_t label = -1;
  std::string reason;
};

LabelOrReason label_of(const ImageRecord& r) {
  const float l = r.label();
  if (!std::isfinite(l) || l < 0 || l != std::floor(l) || l > 2e9f) {
    return {-1, fmt::format("label {} is not a non-negative integer", l)};
  }
  return {static_cast<std::int64_t>(l), {}};
}

class RecordIOSource : public SampleSource {
 public:
  RecordIOSource(std::filesystem::path rec, std::vector<std::uint64_t> keys, std::vector<std::uint64_t> offsets,
                 std::vector<std::int32_t> labels, std::int64_t classes)
      : rec_(std::move(rec)), keys_(std::move(keys)), offsets_(std::move(offsets)), labels_(std::move(labels)),
        classes_(classes) {}

  std::size_t size() const override { return keys_.size(); }

  RgbImage image(std::size_t i) const override {
    const std::string where = fmt::format("'{}' record {} (byte offset {})", rec_.string(), keys_.at(i), offsets_.at(i));
    std::string payload;
    {
      Lease reader(*this);
      try {
        payload = reader->read_at(offsets_[i]);
      } catch (const FormatError& e) {
        throw FormatError(fmt::format("record {}: {}", keys_[i], e.what()));
      }
    }
    const ImageRecord r = unpack_image_record(payload, where);
    const LabelOrReason l = label_of(r);
    FV_CHECK(l.reason.empty(), FormatError, "{}: {}", where, l.reason);
    FV_CHECK(!r.image.empty(), FormatError, "{}: the record holds no image bytes (a header record?)", where);
    return decode_image(reinterpret_cast<const std::uint8_t*>(r.image.data()), r.image.size(), where);
  }
  std::int64_t label(std::size_t i) const override { return labels_.at(i); }
  std::string id(std::size_t i) const override { return std::to_string(keys_.at(i)); }
  std::int64_t num_classes() const override { return classes_; }

 private:
  // A RecordReader borrowed from the pool for one read (RecordReader keeps a file position).
  class Lease {
   public:
    explicit Lease(const RecordIOSource& s) : s_(s) {
      std::lock_guard<std::mutex> lock(s_.mutex_);
      if (!s_.pool_.empty()) {
        reader_ = std::move(s_.pool_.back());
        s_.pool_.pop_back();
      }
      if (!reader_) reader_ = std::make_unique<RecordReader>(s_.rec_);
    }
    ~Lease() {
      std::lock_guard<std::mutex> lock(s_.mutex_);
      s_.pool_.push_back(std::move(reader_));
    }
    RecordReader* operator->() { return reader_.get(); }

   private:
    const RecordIOSource& s_;
    std::unique_ptr<RecordReader> reader_;
  };

  std::filesystem::path rec_;
  std::vector<std::uint64_t> keys_;
  std::vector<std::uint64_t> offsets_;
  std::vector<std::int32_t> labels_;
  std::int64_t classes_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<RecordReader>> pool_;
};

// Reads just enough of the record at `offset` for its IRHeader and first label (one pread). Falls back to
// reading the whole record when the first part is too short (a multi-part record split inside the header).
LabelOrReason read_label(int fd, RecordReader& reader, std::uint64_t offset, const std::string& where) {
  unsigned char buf[8 + kIRHeaderSize + 4];
  const ssize_t got = ::pread(fd, buf, sizeof buf, static_cast<off_t>(offset));
  if (got < 8 + static_cast<ssize_t>(kIRHeaderSize)) return {-1, "truncated record"};
  if (get_u32(buf) != kRecordIOMagic) return {-1, fmt::format("bad RecordIO magic 0x{:08x}", get_u32(buf))};
  const std::uint32_t length = get_u32(buf + 4) & ((1u << 29) - 1);
  const std::uint32_t flag = get_u32(buf + 8);
  const std::size_t need = kIRHeaderSize + (flag > 0 ? 4 : 0);
  try {
    if (length >= need && got >= static_cast<ssize_t>(8 + need)) {
      // IRHeader: flag u32, label f32, id u64, id2 u64, then `flag` floats when flag > 0.
      ImageRecord r;
      r.header.flag = flag;
      std::memcpy(&r.header.label, buf + 12, 4);
      if (flag > 0) {
        float first;
        std::memcpy(&first, buf + 8 + kIRHeaderSize, 4);
        r.labels.push_back(first);
      }
      return label_of(r);
    }
    return label_of(unpack_image_record(reader.read_at(offset), where));
  } catch (const FormatError& e) {
    return {-1, e.what()};
  }
}

}  // namespace

std::filesystem::path recordio_index_path(const std::filesystem::path& rec_path) {
  return std::filesystem::path(rec_path).replace_extension(".idx");
}

std::unique_ptr<SampleSource> open_recordio(const std::filesystem::path& rec_path) {
  const std::filesystem::path idx_path = recordio_index_path(rec_path);
  std::error_code ec;
  FV_CHECK(std::filesystem::is_regular_file(rec_path, ec), IoError, "RecordIO file '{}' not found", rec_path.string());
  FV_CHECK(std::filesystem::is_regular_file(idx_path, ec), IoError,
           "RecordIO index '{}' not found (MXNet's .idx next to '{}'; fv-align and im2rec write it)", idx_path.string(),
           rec_path.string());
  const auto index = read_record_index(idx_path);
  FV_CHECK(!index.empty(), FormatError, "RecordIO index '{}' lists no record", idx_path.string());
  RecordReader reader(rec_path);
  const std::string rec_name = rec_path.string();

  // insightface header record: key 0, flag > 0, no image; label vector = [first image key, end key).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> samples;
  const auto zero = std::find_if(index.begin(), index.end(), [](const auto& e) { return e.first == 0; });
  bool header = false;
  if (zero != index.end()) {
    try {
      const ImageRecord r =
          unpack_image_record(reader.read_at(zero->second), fmt::format("'{}' record 0", rec_name));
      if (r.header.flag > 0 && r.image.empty()) {
        header = true;
        // labels[0] becomes an integer key: a finite value below 2^63 (a float outside the range of the integer
        // type is undefined behaviour to convert).
        FV_CHECK(r.labels.size() >= 2 && r.labels[0] >= 1 && r.labels[0] < 0x1p63f && r.labels[1] >= r.labels[0],
                 FormatError,
                 "'{}' record 0 is a header record but its label vector {} is not a [start, end) key range", rec_name,
                 r.labels.empty() ? std::string("[]") : fmt::format("[{}, ...]", r.labels[0]));
        const auto first = static_cast<std::uint64_t>(r.labels[0]);
        std::unordered_map<std::uint64_t, std::uint64_t> offset_of;
        offset_of.reserve(index.size());
        for (const auto& [key, offset] : index) offset_of.emplace(key, offset);
        // insightface: imgidx = range(1, int(header.label[0])): the images are keys 1 .. label[0]-1.
        for (std::uint64_t key = 1; key < first; ++key) {
          const auto it = offset_of.find(key);
          FV_CHECK(it != offset_of.end(), FormatError,
                   "'{}': header record 0 says image keys 1..{} but the index '{}' lacks key {}", rec_name, first - 1,
                   idx_path.string(), key);
          samples.emplace_back(key, it->second);
        }
        log::info("'{}': insightface header record: {} image records (keys 1..{}), {} index entries in all", rec_name,
                  samples.size(), first - 1, index.size());
      }
    } catch (const FormatError&) {
      if (header) throw;
      // An unreadable record 0 is an ordinary (unreadable) sample below.
    }
  }
  if (!header) samples = index;
  FV_CHECK(!samples.empty(), FormatError, "'{}' holds no image record", rec_name);

  const int fd = ::open(rec_path.c_str(), O_RDONLY | O_CLOEXEC);
  FV_CHECK(fd >= 0, IoError, "cannot open '{}': {}", rec_name, std::strerror(errno));
  std::vector<std::uint64_t> keys, offsets;
  std::vector<std::int32_t> labels;
  keys.reserve(samples.size());
  offsets.reserve(samples.size());
  labels.reserve(samples.size());
  std::int64_t max_label = -1, bad = 0;
  for (const auto& [key, offset] : samples) {
    const LabelOrReason l = read_label(fd, reader, offset, fmt::format("'{}' record {}", rec_name, key));
    if (!l.reason.empty() && bad++ < 5) log::warn("'{}' record {} (byte offset {}): {}", rec_name, key, offset, l.reason);
    keys.push_back(key);
    offsets.push_back(offset);
    labels.push_back(static_cast<std::int32_t>(l.label));
    max_label = std::max(max_label, l.label);
  }
  ::close(fd);
  if (bad > 0) log::warn("'{}': {} of {} records are unreadable; they will be reported as such", rec_name, bad, keys.size());
  return std::make_unique<RecordIOSource>(rec_path, std::move(keys), std::move(offsets), std::move(labels), max_label + 1);
}

}  // namespace fv
