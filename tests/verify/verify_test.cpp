// fv-verify: 1:N search against a brute-force ranking (across block boundaries), 1:1 on ids and images.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "formats/embedding_store.h"
#include "core/error.h"
#include "support/temp_dir.h"
#include "verify/gallery_search.h"
#include "verify/verify_run.h"

namespace fv {
namespace {

std::vector<float> random_unit_rows(std::int64_t n, std::int64_t d, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(static_cast<std::size_t>(n * d));
  for (std::int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (std::int64_t k = 0; k < d; ++k) s += std::pow(v[i * d + k] = normal(rng), 2);
    for (std::int64_t k = 0; k < d; ++k) v[i * d + k] = static_cast<float>(v[i * d + k] / std::sqrt(s));
  }
  return v;
}

TEST(GallerySearch, MatchesBruteForceAcrossBlocks) {
  const std::int64_t n = 1000, m = 7, d = 16;
  const auto gallery = random_unit_rows(n, d, 1);
  const auto probes = random_unit_rows(m, d, 2);
  SearchOptions o;
  o.top_k = 10;
  o.gallery_block = 97;  // forces the running top-k merge across 11 blocks
  o.probe_block = 3;
  const auto result = search_gallery(gallery.data(), n, probes.data(), m, d, o);
  ASSERT_EQ(result.size(), 7u);
  for (std::int64_t p = 0; p < m; ++p) {
    std::vector<std::pair<double, std::int64_t>> all;
    for (std::int64_t i = 0; i < n; ++i) {
      double s = 0;
      for (std::int64_t k = 0; k < d; ++k) s += static_cast<double>(probes[p * d + k]) * gallery[i * d + k];
      all.emplace_back(-s, i);
    }
    std::sort(all.begin(), all.end());
    ASSERT_EQ(result[p].size(), 10u);
    for (int k = 0; k < 10; ++k) {
      EXPECT_EQ(result[p][k].index, all[k].second) << "probe " << p << " rank " << k;
      EXPECT_NEAR(result[p][k].score, -all[k].first, 1e-5);
    }
  }
}

TEST(GallerySearch, SmallGalleryAndExactMatch) {
  const auto gallery = random_unit_rows(3, 8, 3);
  const std::vector<float> probe(gallery.begin() + 8, gallery.begin() + 16);  // row 1 itself
  SearchOptions o;
  o.top_k = 5;
  const auto r = search_gallery(gallery.data(), 3, probe.data(), 1, 8, o);
  ASSERT_EQ(r[0].size(), 3u);  // only 3 rows exist
  EXPECT_EQ(r[0][0].index, 1);
  EXPECT_NEAR(r[0][0].score, 1.0, 1e-6);
  o.top_k = 0;
  EXPECT_THROW(search_gallery(gallery.data(), 3, probe.data(), 1, 8, o), ConfigError);
}

TEST(VerifyPair, IdsOfAnEmbeddingsFile) {
  testing::TempDir dir;
  EmbeddingSet set;
  set.attributes.embedding_dim = 2;
  set.attributes.model_hash = "m";
  set.attributes.config_hash = "c";
  set.ids = {"x", "y", "z"};
  set.embeddings = {1, 0, 0.6f, 0.8f, 0, 1};
  write_embeddings(dir / "e.h5", set);
  VerifyConfig c;
  c.embeddings = (dir / "e.h5").string();
  c.a = "x";
  c.b = "y";
  c.threshold = 0.5;
  PairDecision d = verify_pair(c);
  EXPECT_NEAR(d.score, 0.6, 1e-6);
  EXPECT_TRUE(d.same);
  c.b = "z";
  d = verify_pair(c);
  EXPECT_NEAR(d.score, 0.0, 1e-6);
  EXPECT_FALSE(d.same);
  EXPECT_NE(format_json(d).find("\"same\": false"), std::string::npos) << format_json(d);
  c.b = "nobody";
  try {
    verify_pair(c);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("'nobody'"), std::string::npos);
  }
}

TEST(VerifyPair, ImagesEmbeddedOnTheFly) {
  VerifyConfig c;
  c.a = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";
  c.b = c.a;
  EXPECT_NEAR(verify_pair(c).score, 1.0, 1e-6);  // the same image: similarity 1
  c.b = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
  EXPECT_LT(verify_pair(c).score, 0.999);
}

TEST(VerifyPair, ThresholdFromAnEvalReport) {
  testing::TempDir dir;
  testing::write_text(dir / "report.json", R"({"format": "fv-eval-report", "version": 1, "tar_at_far": [
    {"far_target": 0.001, "strict": {"threshold": 0.7, "far": 0.0009, "tar": 0.5},
                          "insightface": {"threshold": 0.65, "far": 0.0011, "tar": 0.55}},
    {"far_target": 0.01, "strict": {"threshold": 0.55, "far": 0.01, "tar": 0.8},
                         "insightface": {"threshold": 0.55, "far": 0.01, "tar": 0.8}}]})");
  EXPECT_DOUBLE_EQ(threshold_from_report((dir / "report.json").string(), 1e-3), 0.7);
  EXPECT_DOUBLE_EQ(threshold_from_report((dir / "report.json").string(), 1e-2), 0.55);
  try {
    threshold_from_report((dir / "report.json").string(), 1e-4);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("0.001, 0.01"), std::string::npos) << e.what();
  }
  testing::write_text(dir / "other.json", R"({"format": "something"})");
  EXPECT_THROW(threshold_from_report((dir / "other.json").string(), 1e-3), FormatError);
  testing::write_text(dir / "bad.json", "{not json");
  EXPECT_THROW(threshold_from_report((dir / "bad.json").string(), 1e-3), FormatError);
}

TEST(Search, RankingFromProbesFile) {
  testing::TempDir dir;
  EmbeddingSet g;
  g.attributes.embedding_dim = 2;
  g.ids = {"a", "b", "c"};
  g.embeddings = {1, 0, 0, 1, 0.8f, 0.6f};
  write_embeddings(dir / "g.h5", g);
  EmbeddingSet p = g;
  p.ids = {"p"};
  p.embeddings = {0.6f, 0.8f};
  write_embeddings(dir / "p.h5", p);
  VerifyConfig c;
  c.gallery = (dir / "g.h5").string();
  c.probes = (dir / "p.h5").string();
  c.top_k = 2;
  const auto r = search(c);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].ids, (std::vector<std::string>{"c", "b"}));  // 0.96, 0.8
  EXPECT_NEAR(r[0].scores[0], 0.96, 1e-6);
}

}  // namespace
}  // namespace fv
