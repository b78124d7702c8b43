// RecordIO against MXNet's own layout, both ways, through tests/dataset/mxnet_recordio.py (dmlc-core's record
// framing, mxnet.recordio.pack/unpack and insightface's packer re-implemented in Python from their code, not ours):
// insightface-style files (header record, identity records after the images, float and float-array labels, a
// record split at a magic number) read with the right image count, class count, labels and pixels; files our
// writer makes (the code fv-align's --output.recordio runs) read back identically by MXNet's reader; and broken
// files (an .idx pointing past the end, a header claiming more images than exist) named in the error.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/image_codec.h"
#include "formats/recordio.h"
#include "core/sha256.h"
#include "dataset/recordio_source.h"
#include "dataset/test_png.h"
#include "support/command.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

const char* const kPython = "/usr/bin/python3";

std::string script() { return (testing::source_dir() / "tests/dataset/mxnet_recordio.py").string(); }

#define FV_REQUIRE_PYTHON() \
  if (!std::filesystem::exists(kPython)) GTEST_SKIP() << "no /usr/bin/python3"

// identities x per_identity PNGs in root/<identity>/<n>.png, each a distinct image.
void write_faces(const std::filesystem::path& root, int identities, int per_identity) {
  for (int i = 0; i < identities; ++i) {
    std::filesystem::create_directories(root / fmt::format("id{:02d}", i));
    for (int n = 0; n < per_identity; ++n) {
      write_file_atomic(root / fmt::format("id{:02d}/{}.png", i, n),
                        testing::make_png(6, 5, static_cast<std::uint8_t>(20 * i + n), static_cast<std::uint8_t>(n), 7));
    }
  }
}

std::vector<nlohmann::json> mxnet_read(const std::filesystem::path& prefix) {
  const auto r = testing::run_command(fmt::format("{} {} read {}", kPython, script(), prefix.string()));
  EXPECT_EQ(r.code, 0) << r.output;
  std::vector<nlohmann::json> out;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

void expect_reads_insightface_file(bool label_vector) {
  testing::TempDir dir;
  write_faces(dir / "faces", 4, 3);
  const auto prefix = dir / "train";
  const auto made = testing::run_command(fmt::format("{} {} pack-insightface --root {} --out {}{} --split-record 5",
                                                     kPython, script(), (dir / "faces").string(), prefix.string(),
                                                     label_vector ? " --label-vector" : ""));
  ASSERT_EQ(made.code, 0) << made.output;
  const auto written = nlohmann::json::parse(read_file(dir / "train.json"));
  // The file really holds what the test is about: 1 header + 12 images + 4 identity records, one split record.
  const auto records = mxnet_read(prefix);
  ASSERT_EQ(records.size(), 17u);
  EXPECT_EQ(records[0].at("flag"), 2);
  EXPECT_EQ(records[0].at("label"), nlohmann::json::array({13.0, 17.0}));

  const auto source = open_recordio(dir / "train.rec");
  ASSERT_EQ(source->size(), 12u) << "the images only: no header or identity record";
  EXPECT_EQ(source->num_classes(), 4);
  for (std::size_t i = 0; i < source->size(); ++i) {
    const auto& w = written.at("images").at(i);
    SCOPED_TRACE(w.dump());
    EXPECT_EQ(source->id(i), std::to_string(w.at("key").get<int>()));
    EXPECT_EQ(source->label(i), w.at("label").get<int>());
    const RgbImage got = source->image(i);
    const RgbImage want = read_image(w.at("file").get<std::string>());
    EXPECT_EQ(got.width, want.width);
    EXPECT_EQ(got.pixels, want.pixels);
  }
}

TEST(MxnetRecordIO, ReadsInsightfaceFilesWithFloatLabels) {
  FV_REQUIRE_PYTHON();
  expect_reads_insightface_file(false);
}

TEST(MxnetRecordIO, ReadsInsightfaceFilesWithFloatArrayLabels) {
  FV_REQUIRE_PYTHON();
  expect_reads_insightface_file(true);
}

TEST(MxnetRecordIO, WhatWeWriteMxnetReadsBackIdentically) {
  FV_REQUIRE_PYTHON();
  testing::TempDir dir;
  struct Row {
    std::uint64_t key;
    float label;
    std::vector<float> labels;
    std::string image;
  };
  std::vector<Row> rows;
  for (std::uint64_t k = 0; k < 5; ++k)
    rows.push_back({k, static_cast<float>(k % 3), {}, testing::make_png(5, 4, static_cast<std::uint8_t>(40 * k), 1, 2)});
  rows[2].labels = {2.f, 0.5f, -1.f};  // a label vector (flag 3)
  // Magic numbers at 4-aligned offsets of the payload (24-byte header + 8 bytes): cut out and split as dmlc does.
  std::string magic(4, '\0');
  for (int b = 0; b < 4; ++b) magic[b] = static_cast<char>((kRecordIOMagic >> (8 * b)) & 0xff);
  rows[3].image = std::string(8, 'x') + magic + "abcd" + magic + magic + "tail!";
  {
    RecordWriter w(dir / "out.rec", dir / "out.idx");
    for (const auto& r : rows) {
      IRHeader h;
      h.label = r.label;
      h.id = r.key;
      w.write(r.key, pack_image_record(h, r.image, r.labels));
    }
  }
  const auto records = mxnet_read(dir / "out");
  ASSERT_EQ(records.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(records[i].dump());
    EXPECT_EQ(records[i].at("key"), rows[i].key);
    EXPECT_EQ(records[i].at("id"), rows[i].key);
    EXPECT_EQ(records[i].at("id2"), 0);
    EXPECT_EQ(records[i].at("size"), rows[i].image.size());
    EXPECT_EQ(records[i].at("sha256"), sha256_hex(rows[i].image));
    if (rows[i].labels.empty()) {
      EXPECT_EQ(records[i].at("flag"), 0);
      EXPECT_EQ(records[i].at("label"), rows[i].label);
    } else {
      EXPECT_EQ(records[i].at("flag"), rows[i].labels.size());
      EXPECT_EQ(records[i].at("label").get<std::vector<float>>(), rows[i].labels);
    }
  }
  // The split really happened: record 3 holds three parts boundaries (cflag 1, 2, 2, 3 after the magic words).
  const std::string rec = read_file(dir / "out.rec");
  std::size_t continuation = 0;
  for (std::size_t at = 0; at + 8 <= rec.size(); at += 4) {
    if (rec.compare(at, 4, magic) != 0) continue;
    const auto lrec = static_cast<std::uint32_t>(static_cast<unsigned char>(rec[at + 4])) |
                      static_cast<std::uint32_t>(static_cast<unsigned char>(rec[at + 5])) << 8 |
                      static_cast<std::uint32_t>(static_cast<unsigned char>(rec[at + 6])) << 16 |
                      static_cast<std::uint32_t>(static_cast<unsigned char>(rec[at + 7])) << 24;
    if ((lrec >> 29) != 0) ++continuation;
  }
  EXPECT_EQ(continuation, 4u);
}

TEST(MxnetRecordIO, BrokenFilesAreNamedWithTheRecord) {
  FV_REQUIRE_PYTHON();
  testing::TempDir dir;
  write_faces(dir / "faces", 2, 3);
  const auto prefix = dir / "train";
  ASSERT_EQ(testing::run_command(fmt::format("{} {} pack-insightface --root {} --out {}", kPython, script(),
                                             (dir / "faces").string(), prefix.string()))
                .code,
            0);
  const std::string idx = read_file(dir / "train.idx");
  const std::string rec = (dir / "train.rec").string();
  // An .idx whose line for key 4 points past the end of the .rec.
  {
    std::string bad = idx;
    const auto line = bad.find("\n4\t") + 1;
    bad.replace(line, bad.find('\n', line) - line, "4\t999999");
    write_file_atomic(dir / "train.idx", bad);
    const auto source = open_recordio(dir / "train.rec");
    ASSERT_EQ(source->size(), 6u);
    try {
      source->image(3);  // key 4
      ADD_FAILURE() << "no error";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(rec), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("record 4"), std::string::npos) << e.what();
    }
  }
  // A header claiming images 1..11 when the file has 6 (and 2 identity records, keys 7 and 8): refused at opening, naming the file and the missing key.
  {
    write_file_atomic(dir / "train.idx", idx);
    const std::string header = pack_image_record(IRHeader{}, "", {12.f, 14.f});
    std::string bytes = read_file(rec);
    bytes.replace(8, header.size(), header);  // record 0's payload has the same size (24 + 8 bytes)
    write_file_atomic(rec, bytes);
    try {
      open_recordio(rec);
      ADD_FAILURE() << "no error";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(rec), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("lacks key 9"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace fv
