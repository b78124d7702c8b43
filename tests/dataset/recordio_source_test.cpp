// RecordIO sample source: fv-align files, insightface header records, corrupt records, named errors.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "core/error.h"
#include "formats/recordio.h"
#include "dataset/batch_loader.h"
#include "dataset/recordio_source.h"
#include "dataset/test_png.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

std::string image_record(float label, std::uint64_t id, std::uint8_t shade) {
  IRHeader h;
  h.label = label;
  h.id = id;
  return pack_image_record(h, testing::make_png(4, 3, shade, 10, 20));
}

// Overwrites 4 bytes of `path` at `offset`.
void poke(const std::filesystem::path& path, std::uint64_t offset, const char* bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes, 4);
}

TEST(RecordIOSource, ReadsAnFvAlignStyleFile) {
  testing::TempDir dir;
  const auto rec = dir / "train.rec";
  {
    RecordWriter w(rec, dir / "train.idx");
    const float labels[] = {0, 1, 1, 2};
    for (std::uint64_t k = 0; k < 4; ++k) w.write(k, image_record(labels[k], k, static_cast<std::uint8_t>(50 * k)));
  }
  EXPECT_EQ(recordio_index_path(rec), dir / "train.idx");
  auto s = open_recordio(rec);
  ASSERT_EQ(s->size(), 4u);
  EXPECT_EQ(s->num_classes(), 3);
  EXPECT_EQ(s->label(0), 0);
  EXPECT_EQ(s->label(2), 1);
  EXPECT_EQ(s->label(3), 2);
  EXPECT_EQ(s->id(0), "0");
  EXPECT_EQ(s->id(3), "3");
  const RgbImage img = s->image(2);
  ASSERT_EQ(img.width, 4);
  ASSERT_EQ(img.height, 3);
  // pixel (x=1, y=2) of the shade-100 image: (100 + 1, 10 + 2, 20)
  const std::size_t at = (2 * 4 + 1) * 3;
  EXPECT_EQ(img.pixels[at], 101);
  EXPECT_EQ(img.pixels[at + 1], 12);
  EXPECT_EQ(img.pixels[at + 2], 20);
}

TEST(RecordIOSource, SkipsInsightfaceHeaderRecords) {
  testing::TempDir dir;
  const auto rec = dir / "ms1m.rec";
  {
    RecordWriter w(rec, dir / "ms1m.idx");
    // Record 0: header; images are keys 1..4; keys 5 and 6 are identity ranges (insightface's layout).
    w.write(0, pack_image_record(IRHeader{}, "", {5.f, 7.f}));
    const float labels[] = {0, 0, 1, 1};
    for (std::uint64_t k = 1; k <= 4; ++k) w.write(k, image_record(labels[k - 1], k, static_cast<std::uint8_t>(k)));
    w.write(5, pack_image_record(IRHeader{}, "", {1.f, 3.f}));
    w.write(6, pack_image_record(IRHeader{}, "", {3.f, 5.f}));
  }
  auto s = open_recordio(rec);
  ASSERT_EQ(s->size(), 4u);
  EXPECT_EQ(s->id(0), "1");
  EXPECT_EQ(s->id(3), "4");
  EXPECT_EQ(s->label(1), 0);
  EXPECT_EQ(s->label(2), 1);
  EXPECT_EQ(s->num_classes(), 2);
  EXPECT_EQ(s->image(3).pixels[0], 4);  // shade of key 4

  // A multi-label image at key 0 (flag > 0 but with image bytes) is an image, not a header.
  const auto rec2 = dir / "multi.rec";
  {
    RecordWriter w(rec2, dir / "multi.idx");
    w.write(0, pack_image_record(IRHeader{}, testing::make_png(2, 2, 7, 7, 7), {3.f, 9.f}));
    w.write(1, image_record(1, 1, 8));
  }
  auto m = open_recordio(rec2);
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ(m->label(0), 3);
  EXPECT_EQ(m->num_classes(), 4);
  EXPECT_EQ(m->image(0).pixels[0], 7);
}

TEST(RecordIOSource, CorruptRecordsAreUnreadableSamplesNamedInTheError) {
  testing::TempDir dir;
  const auto rec = dir / "c.rec";
  std::vector<std::uint64_t> offsets;
  {
    RecordWriter w(rec, dir / "c.idx");
    for (std::uint64_t k = 0; k < 5; ++k) offsets.push_back(w.write(k, image_record(static_cast<float>(k), k, 9)));
  }
  poke(rec, offsets[2], "BAD!");  // record 2: magic destroyed
  // record 3: a valid record whose image bytes are not an image
  poke(rec, offsets[3] + 8 + kIRHeaderSize, "junk");
  auto s = open_recordio(rec);
  ASSERT_EQ(s->size(), 5u);
  EXPECT_EQ(s->label(2), -1);
  EXPECT_EQ(s->label(3), 3);
  try {
    s->image(2);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(rec.string()), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(offsets[2])), std::string::npos) << what;
  }
  EXPECT_THROW(s->image(3), FormatError);
  EXPECT_EQ(s->image(4).width, 4);

  // The loader (skip_failures, as fv-embed runs it) reports both and keeps the rest, in order.
  PreprocessOptions p;
  p.width = 4;
  p.height = 3;
  LoaderOptions o;
  o.batch_size = 5;
  o.shuffle = false;
  o.drop_last = false;
  o.skip_failures = true;
  o.threads = 2;
  BatchLoader loader(*s, p, {}, o);
  loader.start_epoch(0);
  auto batch = loader.next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->indices, (std::vector<std::size_t>{0, 1, 4}));
  ASSERT_EQ(batch->failures.size(), 2u);
  EXPECT_EQ(batch->failures[0].index, 2u);
  EXPECT_EQ(batch->failures[1].index, 3u);
}

TEST(RecordIOSource, ConcurrentReadsGiveTheSamePixels) {
  testing::TempDir dir;
  const auto rec = dir / "t.rec";
  {
    RecordWriter w(rec, dir / "t.idx");
    for (std::uint64_t k = 0; k < 32; ++k) w.write(k, image_record(0, k, static_cast<std::uint8_t>(k * 3)));
  }
  auto s = open_recordio(rec);
  std::vector<int> seen(32 * 4, -1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < 32; ++i) seen[t * 32 + i] = s->image(i).pixels[0];
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 32; ++i) EXPECT_EQ(seen[t * 32 + i], i * 3);
  }
}

TEST(RecordIOSource, MissingFilesAndBadHeadersAreNamedErrors) {
  testing::TempDir dir;
  try {
    open_recordio(dir / "none.rec");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("none.rec"), std::string::npos) << e.what();
  }
  const auto rec = dir / "noidx.rec";
  {
    RecordWriter w(rec, dir / "other.idx");
    w.write(0, image_record(0, 0, 1));
  }
  try {
    open_recordio(rec);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("noidx.idx"), std::string::npos) << e.what();
  }
  // A header promising keys 1..9 over an index that has only 1..2.
  const auto bad = dir / "short.rec";
  {
    RecordWriter w(bad, dir / "short.idx");
    w.write(0, pack_image_record(IRHeader{}, "", {10.f, 12.f}));
    w.write(1, image_record(0, 1, 1));
    w.write(2, image_record(0, 2, 1));
  }
  try {
    open_recordio(bad);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("lacks key 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fv
