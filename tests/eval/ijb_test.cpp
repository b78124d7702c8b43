// Tests of IJB-B/C parsing, insightface template pooling (hand-computed) and pair scoring.
#include "eval/ijb.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv::eval {
namespace {

std::filesystem::path data(const std::string& name) { return testing::source_dir() / "tests/data/eval" / name; }

EmbeddingSet small_set(const std::string& flip_mode, std::int64_t dim) {
  EmbeddingSet set;
  set.attributes.embedding_dim = dim;
  set.attributes.flip_mode = flip_mode;
  set.ids = {"img1.jpg", "img2.jpg", "img3.jpg", "img4.jpg", "img5.jpg", "img6.jpg"};
  return set;
}

TEST(Ijb, PoolingAveragesMediaSumsThemAndNormalises) {
  EmbeddingSet set = small_set("none", 2);
  // template 1: media 10 = {(2,0), (0,2)} -> mean (1,1); media 11 = {(3,0)} -> (3,0); sum (4,1) -> /sqrt(17).
  // template 2: (0,5) -> (0,1). template 3: (1,0) + (0,1) -> (1,1)/sqrt(2).
  set.embeddings = {2, 0, 0, 2, 3, 0, 0, 5, 1, 0, 0, 1};
  const IjbTemplates t = read_ijb_template_media(data("ijb_template_media_small.txt"), set, "e.h5");
  ASSERT_EQ(t.template_ids, (std::vector<std::int64_t>{1, 2, 3}));
  ASSERT_EQ(t.dim, 2);
  const double r17 = std::sqrt(17.0);
  EXPECT_NEAR(t.features[0], 4 / r17, 1e-7);
  EXPECT_NEAR(t.features[1], 1 / r17, 1e-7);
  EXPECT_NEAR(t.features[2], 0, 1e-7);
  EXPECT_NEAR(t.features[3], 1, 1e-7);
  EXPECT_NEAR(t.features[4], 1 / std::sqrt(2.0), 1e-7);
  const IjbPairs p = read_ijb_pairs(data("ijb_pairs_small.txt"));
  EXPECT_EQ(p.same, (std::vector<std::uint8_t>{1, 0, 0}));
  const IjbScores s = score_ijb(t, p, "pairs.txt", 2);
  EXPECT_NEAR(s.similarity[0], 1 / r17, 1e-6);                              // (4,1)/r17 . (0,1)
  EXPECT_NEAR(s.similarity[1], (4 + 1) / (r17 * std::sqrt(2.0)), 1e-6);     // template 1 . template 3
  EXPECT_NEAR(s.similarity[2], 1 / std::sqrt(2.0), 1e-6);
}

TEST(Ijb, ConcatFlipModeAddsTheTwoHalves) {
  EmbeddingSet set = small_set("concat", 2);
  // each row: (image, flipped image) halves of width 1; the single-dimension template features are +-1.
  set.embeddings = {1, 1, 1, -1, 2, 0, -3, 1, 5, 0, 0, 0};
  const IjbTemplates t = read_ijb_template_media(data("ijb_template_media_small.txt"), set, "e.h5");
  ASSERT_EQ(t.dim, 1);
  EXPECT_FLOAT_EQ(t.features[0], 1.0f);   // media 10: (2 + 0)/2 = 1; media 11: 2 -> 3 -> 1
  EXPECT_FLOAT_EQ(t.features[1], -1.0f);  // -2
  EXPECT_FLOAT_EQ(t.features[2], 1.0f);   // 5 + 0
}

TEST(Ijb, UnknownImageAndTemplateAreDataErrorsNamingTheLine) {
  EmbeddingSet set = small_set("none", 1);
  set.embeddings = {1, 2, 3, 4, 5, 6};
  try {
    read_ijb_template_media(data("ijb_template_media_small.txt"), set, "e.h5", "loose/");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), data("ijb_template_media_small.txt").string() +
                                         ":1: image id 'loose/img1.jpg' is not in the embeddings file 'e.h5'");
  }
  const IjbTemplates t = read_ijb_template_media(data("ijb_template_media_small.txt"), set, "e.h5");
  IjbPairs p = read_ijb_pairs(data("ijb_pairs_small.txt"));
  p.b[2] = 99;
  try {
    score_ijb(t, p, "pairs.txt", 1);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), "pairs.txt:3: template 99 is not in the template/media map");
  }
}

TEST(Ijb, MalformedFilesAreFormatErrors) {
  EmbeddingSet set = small_set("none", 1);
  set.embeddings = {1, 2, 3, 4, 5, 6};
  const auto f1 = data("malformed/ijb_template_media_missing_field.txt");
  try {
    read_ijb_template_media(f1, set, "e.h5");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()),
              f1.string() + ":1: expected 'image template_id media_id' (3 fields), found 2 fields: 'img1.jpg 1'");
  }
  const auto f2 = data("malformed/ijb_pairs_bad_label.txt");
  try {
    read_ijb_pairs(f2);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), f2.string() + ":1: label must be 0 or 1: '1 2 yes'");
  }
  const auto f3 = data("malformed/ijb_pairs_bad_template.txt");
  try {
    read_ijb_pairs(f3);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), f3.string() + ":1: template_b must be an integer: '1 x 1'");
  }
}

}  // namespace
}  // namespace fv::eval
