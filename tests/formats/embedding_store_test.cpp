// Tests of the HDF5 embeddings file: round trip, format checks, resumable chunked writes.
#include "formats/embedding_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <hdf5.h>

#include <random>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

EmbeddingSet make_set(std::int64_t rows, std::int64_t dim, bool labels, bool flags, unsigned seed) {
  EmbeddingSet s;
  s.attributes.embedding_dim = dim;
  s.attributes.model_hash = "abc123";
  s.attributes.config_hash = "0123456789abcdef";
  s.attributes.flip_mode = "sum";
  s.attributes.normalized = true;
  s.attributes.created = "2026-11-23T09:30:00Z";
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  for (std::int64_t i = 0; i < rows * dim; ++i) s.embeddings.push_back(normal(rng));
  for (std::int64_t i = 0; i < rows; ++i) s.ids.push_back("Name_" + std::to_string(i) + "/Name_" + std::to_string(i) + "_0001.jpg");
  if (labels) {
    s.labels.emplace();
    for (std::int64_t i = 0; i < rows; ++i) s.labels->push_back(i * 7 - 3);
  }
  if (flags) {
    s.pair_flags.emplace();
    for (std::int64_t i = 0; i < rows / 2; ++i) s.pair_flags->push_back(static_cast<std::int8_t>(i % 2));
  }
  return s;
}

void expect_equal(const EmbeddingSet& a, const EmbeddingSet& b) {
  EXPECT_EQ(a.attributes.format_version, b.attributes.format_version);
  EXPECT_EQ(a.attributes.embedding_dim, b.attributes.embedding_dim);
  EXPECT_EQ(a.attributes.model_hash, b.attributes.model_hash);
  EXPECT_EQ(a.attributes.config_hash, b.attributes.config_hash);
  EXPECT_EQ(a.attributes.flip_mode, b.attributes.flip_mode);
  EXPECT_EQ(a.attributes.normalized, b.attributes.normalized);
  EXPECT_EQ(a.attributes.created, b.attributes.created);
  EXPECT_EQ(a.embeddings, b.embeddings);  // bit-for-bit floats
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.pair_flags, b.pair_flags);
}

TEST(EmbeddingStore, RoundTripAllDatasetsAndAttributes) {
  testing::TempDir dir;
  for (int gzip : {0, 4}) {
    const EmbeddingSet set = make_set(38, 8, true, true, 1);
    const auto path = dir / ("e" + std::to_string(gzip) + ".h5");
    write_embeddings(path, set, gzip);
    expect_equal(read_embeddings(path), set);
  }
}

TEST(EmbeddingStore, RoundTripWithoutOptionalDatasets) {
  testing::TempDir dir;
  EmbeddingSet set = make_set(5, 3, false, false, 2);
  set.attributes.normalized = false;
  write_embeddings(dir / "e.h5", set);
  const EmbeddingSet back = read_embeddings(dir / "e.h5");
  expect_equal(back, set);
  EXPECT_FALSE(back.labels.has_value());
  EXPECT_FALSE(back.pair_flags.has_value());
}

TEST(EmbeddingStore, MissingFileIsIoError) {
  testing::TempDir dir;
  EXPECT_THROW(read_embeddings(dir / "nope.h5"), IoError);
}

TEST(EmbeddingStore, NotHdf5IsFormatErrorNamingFile) {
  testing::TempDir dir;
  testing::write_text(dir / "bad.h5", "not hdf5");
  try {
    read_embeddings(dir / "bad.h5");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.h5"), std::string::npos) << e.what();
  }
}

TEST(EmbeddingStore, UnknownFormatVersionIsFormatErrorNamingFile) {
  testing::TempDir dir;
  EmbeddingSet set = make_set(4, 2, false, false, 3);
  set.attributes.format_version = 2;
  write_embeddings(dir / "v2.h5", set);
  try {
    read_embeddings(dir / "v2.h5");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("v2.h5"), std::string::npos) << what;
    EXPECT_NE(what.find("format_version 2"), std::string::npos) << what;
  }
}

TEST(EmbeddingStore, ChunkedWriterMatchesOneShotWrite) {
  testing::TempDir dir;
  const EmbeddingSet set = make_set(50, 4, true, true, 4);
  EmbeddingWriter::Options opt;
  opt.chunk_rows = 8;
  opt.with_labels = true;
  const auto path = dir / "chunked.h5";
  {
    EmbeddingWriter w(path, set.attributes, opt);
    EXPECT_EQ(w.rows(), 0);
    for (std::int64_t start = 0; start < 50; start += 13) {
      const std::int64_t end = std::min<std::int64_t>(50, start + 13);
      std::vector<float> e(set.embeddings.begin() + start * 4, set.embeddings.begin() + end * 4);
      std::vector<std::string> ids(set.ids.begin() + start, set.ids.begin() + end);
      std::vector<std::int64_t> labels(set.labels->begin() + start, set.labels->begin() + end);
      w.append(e, ids, labels);
    }
    EXPECT_EQ(w.rows(), 50);
    EXPECT_FALSE(std::filesystem::exists(path));  // only the .partial file until finish()
    w.finish(set.pair_flags);
  }
  EXPECT_FALSE(std::filesystem::exists(EmbeddingWriter::partial_path(path)));
  expect_equal(read_embeddings(path), set);
}

TEST(EmbeddingStore, ResumedWriterGivesTheSameFile) {
  testing::TempDir dir;
  const EmbeddingSet set = make_set(30, 4, false, false, 5);
  EmbeddingWriter::Options opt;
  opt.chunk_rows = 4;
  const auto path = dir / "resumed.h5";
  auto slice = [&](std::int64_t a, std::int64_t b) {
    return std::make_pair(std::vector<float>(set.embeddings.begin() + a * 4, set.embeddings.begin() + b * 4),
                          std::vector<std::string>(set.ids.begin() + a, set.ids.begin() + b));
  };
  {
    // First run: two chunks, then "killed" (destroyed without finish()).
    EmbeddingWriter w(path, set.attributes, opt);
    auto [e1, i1] = slice(0, 10);
    w.append(e1, i1);
    auto [e2, i2] = slice(10, 17);
    w.append(e2, i2);
  }
  {
    EmbeddingWriter w(path, set.attributes, opt);
    ASSERT_EQ(w.rows(), 17);
    auto [e3, i3] = slice(w.rows(), 30);
    w.append(e3, i3);
    w.finish();
  }
  expect_equal(read_embeddings(path), set);
  // A finished file is never appended to.
  EXPECT_THROW(EmbeddingWriter(path, set.attributes, opt), ConfigError);
}

// A kill after the data flush but before rows_committed was updated leaves extra rows: they are trimmed.
TEST(EmbeddingStore, ResumeTrimsRowsWrittenAfterTheLastCommit) {
  testing::TempDir dir;
  const EmbeddingSet set = make_set(12, 3, true, false, 8);
  EmbeddingWriter::Options opt;
  opt.with_labels = true;
  opt.chunk_rows = 4;
  const auto path = dir / "trim.h5";
  auto slice = [&](std::int64_t a, std::int64_t b) {
    return std::make_tuple(std::vector<float>(set.embeddings.begin() + a * 3, set.embeddings.begin() + b * 3),
                           std::vector<std::string>(set.ids.begin() + a, set.ids.begin() + b),
                           std::vector<std::int64_t>(set.labels->begin() + a, set.labels->begin() + b));
  };
  {
    EmbeddingWriter w(path, set.attributes, opt);
    auto [e, i, l] = slice(0, 9);
    w.append(e, i, l);
  }
  {
    // Pretend only 5 rows were committed when the run died.
    const auto partial = EmbeddingWriter::partial_path(path);
    hid_t f = H5Fopen(partial.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    hid_t a = H5Aopen(f, "rows_committed", H5P_DEFAULT);
    const std::int64_t five = 5;
    ASSERT_GE(H5Awrite(a, H5T_NATIVE_INT64, &five), 0);
    H5Aclose(a);
    H5Fclose(f);
  }
  {
    EmbeddingWriter w(path, set.attributes, opt);
    ASSERT_EQ(w.rows(), 5);
    auto [e, i, l] = slice(5, 12);
    w.append(e, i, l);
    w.finish();
  }
  expect_equal(read_embeddings(path), set);
  // Resuming with a different label setting is refused.
  const auto path2 = dir / "labels.h5";
  { EmbeddingWriter w(path2, set.attributes, opt); }
  opt.with_labels = false;
  EXPECT_THROW(EmbeddingWriter(path2, set.attributes, opt), ConfigError);
}

TEST(EmbeddingStore, ResumeWithAnotherModelIsRefused) {
  testing::TempDir dir;
  EmbeddingSet set = make_set(4, 2, false, false, 6);
  const auto path = dir / "r.h5";
  { EmbeddingWriter w(path, set.attributes, {}); }
  set.attributes.model_hash = "other";
  EXPECT_THROW(EmbeddingWriter(path, set.attributes, {}), ConfigError);
}

TEST(EmbeddingStore, AnUnreadablePartialFileIsSetAsideAndTheWriterStartsAgain) {
  testing::TempDir dir;
  EmbeddingSet set = make_set(4, 2, false, false, 8);
  const auto path = dir / "t.h5";
  testing::write_text(EmbeddingWriter::partial_path(path), "\x89HDF\r\n torn by a full disk");
  {
    EmbeddingWriter w(path, set.attributes, {});
    EXPECT_EQ(w.rows(), 0);
    w.append(set.embeddings, set.ids);
    w.finish();
  }
  EXPECT_EQ(read_embeddings(path).ids, set.ids);
  std::ifstream aside(dir / "t.h5.partial.unreadable", std::ios::binary);  // kept, byte for byte
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(aside), {}), "\x89HDF\r\n torn by a full disk");
  // Another model's readable partial file is still refused, not set aside.
  const auto other = dir / "o.h5";
  { EmbeddingWriter w(other, set.attributes, {}); }
  set.attributes.model_hash = "other";
  EXPECT_THROW(EmbeddingWriter(other, set.attributes, {}), ConfigError);
  EXPECT_FALSE(std::filesystem::exists(dir / "o.h5.partial.unreadable"));
}

TEST(EmbeddingStore, InconsistentSetIsRefused) {
  testing::TempDir dir;
  EmbeddingSet set = make_set(4, 2, true, false, 7);
  set.labels->pop_back();
  EXPECT_THROW(write_embeddings(dir / "x.h5", set), ConfigError);
}

}  // namespace
}  // namespace fv
