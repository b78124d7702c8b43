// Tests for the MXNet RecordIO writer/reader: round trip, magic escaping, bad input errors, truncation.
#include "formats/recordio.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

TEST(RecordIO, KnownBytesOfOneRecord) {
  // Hand-computed bytes: magic, lrecord = length 25 (cflag 0), IRHeader {0, 3.0f, 7, 0}, "x", 3 pad bytes.
  testing::TempDir dir;
  {
    RecordWriter w(dir / "a.rec", dir / "a.idx");
    IRHeader h;
    h.label = 3.f;
    h.id = 7;
    EXPECT_EQ(w.write(7, pack_image_record(h, "x")), 0u);
    EXPECT_EQ(w.tell(), 8u + 28u);
  }
  const std::string bytes = read_file(dir / "a.rec");
  const std::string expected = std::string("\x0a\x23\xd7\xce", 4) + std::string("\x19\x00\x00\x00", 4) +
                               std::string("\x00\x00\x00\x00\x00\x00\x40\x40", 8) +
                               std::string("\x07\x00\x00\x00\x00\x00\x00\x00", 8) + std::string(8, '\0') + "x" +
                               std::string(3, '\0');
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(read_file(dir / "a.idx"), "7\t0\n");
}

TEST(RecordIO, RoundTripLabelsAndBytes) {
  testing::TempDir dir;
  std::mt19937 rng(42);
  std::vector<std::string> images;
  std::vector<float> labels;
  for (int i = 0; i < 50; ++i) {
    std::string img = random_bytes(rng, 1 + rng() % 3000);
    if (i % 7 == 3 && img.size() >= 16) {
      // Plant the magic number at an aligned payload position (payload offset 24 + 12 = 36) and at the end.
      const char magic[4] = {'\x0a', '\x23', '\xd7', '\xce'};
      img.replace(12, 4, magic, 4);
      img.append(magic, 4);
    }
    images.push_back(img);
    labels.push_back(static_cast<float>(i % 9));
  }
  {
    RecordWriter w(dir / "t.rec", dir / "t.idx");
    for (std::size_t i = 0; i < images.size(); ++i) {
      IRHeader h;
      h.label = labels[i];
      h.id = i;
      w.write(i, pack_image_record(h, images[i]));
    }
  }
  const auto index = read_record_index(dir / "t.idx");
  ASSERT_EQ(index.size(), images.size());
  RecordReader reader(dir / "t.rec");
  // Sequential reading.
  std::string payload;
  for (std::size_t i = 0; i < images.size(); ++i) {
    EXPECT_EQ(reader.tell(), index[i].second);
    ASSERT_TRUE(reader.next(&payload));
    const ImageRecord r = unpack_image_record(payload, "test");
    EXPECT_EQ(r.image, images[i]) << i;
    EXPECT_EQ(r.label(), labels[i]);
    EXPECT_EQ(r.header.id, i);
    EXPECT_EQ(index[i].first, i);
  }
  EXPECT_FALSE(reader.next(&payload));
  // Random access through the index, backwards.
  for (std::size_t i = images.size(); i-- > 0;) {
    EXPECT_EQ(unpack_image_record(reader.read_at(index[i].second), "test").image, images[i]);
  }
}

TEST(RecordIO, LabelVectorRoundTrip) {
  IRHeader h;
  h.id = 5;
  const std::string payload = pack_image_record(h, "abc", {2.f, 10.f});
  const ImageRecord r = unpack_image_record(payload, "test");
  EXPECT_EQ(r.header.flag, 2u);
  ASSERT_EQ(r.labels.size(), 2u);
  EXPECT_EQ(r.label(), 2.f);
  EXPECT_EQ(r.labels[1], 10.f);
  EXPECT_EQ(r.image, "abc");
  EXPECT_THROW(unpack_image_record(payload.substr(0, 10), "test"), FormatError);
}

TEST(RecordIO, BadMagicNamesFileAndOffset) {
  testing::TempDir dir;
  {
    RecordWriter w(dir / "b.rec", dir / "b.idx");
    w.write(0, pack_image_record({}, "hello"));
  }
  {
    std::ofstream out(dir / "b.rec", std::ios::binary | std::ios::app);
    out << "garbage!";
  }
  RecordReader reader(dir / "b.rec");
  std::string payload;
  ASSERT_TRUE(reader.next(&payload));
  try {
    reader.next(&payload);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("b.rec"), std::string::npos) << what;
    EXPECT_NE(what.find("byte offset 40"), std::string::npos) << what;
    EXPECT_NE(what.find("magic"), std::string::npos) << what;
  }
}

TEST(RecordIO, TruncatedRecordIsFormatError) {
  testing::TempDir dir;
  {
    RecordWriter w(dir / "c.rec", dir / "c.idx");
    w.write(0, pack_image_record({}, std::string(100, 'z')));
  }
  std::filesystem::resize_file(dir / "c.rec", 60);
  RecordReader reader(dir / "c.rec");
  std::string payload;
  EXPECT_THROW(reader.next(&payload), FormatError);
}

TEST(RecordIO, MalformedIndexLineNamesFileAndLine) {
  testing::TempDir dir;
  testing::write_text(dir / "d.idx", "0\t0\n1\tabc\n");
  try {
    read_record_index(dir / "d.idx");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("d.idx:2"), std::string::npos) << e.what();
  }
}

TEST(RecordIO, RepeatedIndexKeysAreRefused) {
  testing::TempDir dir;
  testing::write_text(dir / "zeros.idx", "0\t0\n0\t40\n0\t80\n");
  try {
    read_record_index(dir / "zeros.idx");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("zeros.idx: key 0 is listed twice (entries 1 and 2 of the index)"),
              std::string::npos)
        << e.what();
  }
  // Keys out of order are fine as long as each appears once (insightface's header record 0 may come last).
  testing::write_text(dir / "shuffled.idx", "2\t80\n0\t0\n1\t40\n");
  EXPECT_EQ(read_record_index(dir / "shuffled.idx").size(), 3u);
  testing::write_text(dir / "late.idx", "5\t0\n1\t8\n7\t16\n1\t24\n");
  EXPECT_THROW(read_record_index(dir / "late.idx"), FormatError);
}

TEST(RecordIO, TruncateKeepsFirstRecordsAndAppendContinues) {
  testing::TempDir dir;
  const auto rec = dir / "e.rec", idx = dir / "e.idx";
  {
    RecordWriter w(rec, idx);
    for (int i = 0; i < 5; ++i) w.write(i, pack_image_record({}, std::string(10 + i, char('a' + i))));
  }
  // Simulate a kill in the middle of record 5: a partial header at the end of the .rec.
  {
    std::ofstream out(rec, std::ios::binary | std::ios::app);
    out.write("\x0a\x23\xd7", 3);
  }
  truncate_record_files(rec, idx, 3);
  EXPECT_EQ(read_record_index(idx).size(), 3u);
  {
    RecordWriter w(rec, idx);
    w.write(3, pack_image_record({}, "new"));
  }
  RecordReader reader(rec);
  std::string payload;
  std::vector<std::string> got;
  while (reader.next(&payload)) got.push_back(unpack_image_record(payload, "t").image);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[2], std::string(12, 'c'));
  EXPECT_EQ(got[3], "new");
  EXPECT_THROW(truncate_record_files(rec, idx, 9), FormatError);
  truncate_record_files(rec, idx, 0);
  EXPECT_EQ(std::filesystem::file_size(rec), 0u);
}

}  // namespace
}  // namespace fv
