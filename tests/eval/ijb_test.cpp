// Tests of IJB-B/C parsing, insightface template pooling (hand-computed) and pair scoring.
#include "eval/ijb.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "eval/eval_config.h"
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

TEST(Ijb, DetectorScoreWeightingMovesTemplatesTowardsConfidentImages) {
  EmbeddingSet set = small_set("none", 2);
  set.embeddings = {2, 0, 0, 2, 3, 0, 0, 5, 1, 0, 0, 1};  // as in PoolingAveragesMediaSumsThemAndNormalises
  // Scores (ijb_face_scores_small.txt, last column): img1 0.5, img2 1.0, img3 0.25, img4 0.8, img5 0.9, img6 0.1.
  // template 1: media 10 = mean((1,0), (0,2)) = (0.5,1); media 11 = (0.75,0); sum (1.25,1) -> /sqrt(2.5625).
  // template 2: (0,4) -> (0,1): one image, so its direction is unchanged.
  // template 3: (0.9,0) + (0,0.1) -> (0.9,0.1)/sqrt(0.82): pulled towards the confident img5 (x axis).
  const IjbTemplates t = read_ijb_template_media(data("ijb_template_media_small.txt"), set, "e.h5", "",
                                                 data("ijb_face_scores_small.txt"));
  const double n1 = std::sqrt(2.5625);
  const double n3 = std::sqrt(0.82);
  EXPECT_NEAR(t.features[0], 1.25 / n1, 1e-7);
  EXPECT_NEAR(t.features[1], 1.0 / n1, 1e-7);
  EXPECT_NEAR(t.features[2], 0, 1e-7);
  EXPECT_NEAR(t.features[3], 1, 1e-7);
  EXPECT_NEAR(t.features[4], 0.9 / n3, 1e-7);
  EXPECT_NEAR(t.features[5], 0.1 / n3, 1e-7);
  const IjbPairs p = read_ijb_pairs(data("ijb_pairs_small.txt"));
  const IjbScores weighted = score_ijb(t, p, "pairs.txt", 1);
  const IjbScores plain =
      score_ijb(read_ijb_template_media(data("ijb_template_media_small.txt"), set, "e.h5"), p, "pairs.txt", 1);
  EXPECT_NEAR(weighted.similarity[0], 1.0 / n1, 1e-6);                       // 0.6247, was 1/sqrt(17) = 0.2425
  EXPECT_NEAR(weighted.similarity[1], (1.25 * 0.9 + 0.1) / (n1 * n3), 1e-6);  // 0.8451, was 0.8575
  EXPECT_NEAR(weighted.similarity[2], 0.1 / n3, 1e-6);                       // 0.1104, was 0.7071
  // The predicted direction: the same-person pair (1, 2) gains, the different-person pair (2, 3) loses.
  EXPECT_GT(weighted.similarity[0], plain.similarity[0] + 0.3);
  EXPECT_LT(weighted.similarity[2], plain.similarity[2] - 0.5);
}

TEST(Ijb, ConcatFlipModeIsWeightedAfterTheFlipSum) {
  EmbeddingSet set = small_set("concat", 2);
  set.embeddings = {1, 1, 1, -1, 2, 0, -3, 1, 5, 0, 0, 0};
  const IjbTemplates t = read_ijb_template_media(data("ijb_template_media_small.txt"), set, "e.h5", "",
                                                 data("ijb_face_scores_small.txt"));
  // template 1: media 10 = mean(0.5 * 2, 1.0 * 0) = 0.5, media 11 = 0.25 * 2 = 0.5 -> 1 -> +1.
  // template 2: 0.8 * -2 -> -1. template 3: 0.9 * 5 + 0.1 * 0 -> +1.
  EXPECT_FLOAT_EQ(t.features[0], 1.0f);
  EXPECT_FLOAT_EQ(t.features[1], -1.0f);
  EXPECT_FLOAT_EQ(t.features[2], 1.0f);
}

TEST(Ijb, MalformedScoreFilesNameFileAndLine) {
  EmbeddingSet set = small_set("none", 1);
  set.embeddings = {1, 2, 3, 4, 5, 6};
  const auto map = data("ijb_template_media_small.txt");
  const auto order = data("malformed/ijb_face_scores_wrong_order.txt");
  try {
    read_ijb_template_media(map, set, "e.h5", "", order);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), order.string() + ":3: image 'img4.jpg' but row 3 of the template/media map '" +
                                         map.string() +
                                         "' is 'img3.jpg' (the two files must list the same images in the same order)");
  }
  const auto bad = data("malformed/ijb_face_scores_bad_score.txt");
  try {
    read_ijb_template_media(map, set, "e.h5", "", bad);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()),
              bad.string() + ":2: the detector score (last field) must be a finite number >= 0: "
                             "'img2.jpg 38.1 51.9 73.2 51.4 56.2 71.5 41.7 92.1 70.5 92.4 high'");
  }
  const auto short_file = data("malformed/ijb_face_scores_short.txt");
  try {
    read_ijb_template_media(map, set, "e.h5", "", short_file);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), short_file.string() + ": 2 score lines but the template/media map '" +
                                         map.string() + "' has 6 images");
  }
  EXPECT_THROW(read_ijb_template_media(map, set, "e.h5", "", data("no_such_scores.txt")), IoError);
}

TEST(Ijb, FacenessWeightingConfig) {
  EvalConfig cfg;
  cfg.protocol = EvalProtocol::kIjbc;
  cfg.embeddings = "e.h5";
  cfg.output = "out";
  cfg.pairs = "pairs.txt";
  cfg.ijb_template_media = "map.txt";
  EXPECT_EQ(cfg.ijb_face_scores_used(), "");  // auto, no score file: no weighting (the default)
  cfg.ijb_faceness = FacenessWeighting::kOn;
  try {
    cfg.validate();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'eval.ijb_faceness' is 'on' but 'eval.ijb_face_scores'"), std::string::npos)
        << e.what();
  }
  cfg.ijb_face_scores = "scores.txt";
  EXPECT_NO_THROW(cfg.validate());
  EXPECT_EQ(cfg.ijb_face_scores_used(), "scores.txt");
  cfg.ijb_faceness = FacenessWeighting::kAuto;
  EXPECT_EQ(cfg.ijb_face_scores_used(), "scores.txt");
  cfg.ijb_faceness = FacenessWeighting::kOff;
  EXPECT_EQ(cfg.ijb_face_scores_used(), "");
}

}  // namespace
}  // namespace fv::eval
