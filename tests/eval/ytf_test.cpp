// Tests of the YouTube Faces splits parser and the per-video mean features.
#include "eval/ytf.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv::eval {
namespace {

std::filesystem::path data(const std::string& name) { return testing::source_dir() / "tests/data/eval" / name; }

TEST(Ytf, SplitsGolden) {
  const YtfPairs y = parse_ytf_splits(data("ytf_splits_small.txt"));
  EXPECT_EQ(y.list.folds, 2);
  ASSERT_EQ(y.list.pairs.size(), 4u);
  EXPECT_EQ(y.list.pairs[0].a, "A/0");
  EXPECT_EQ(y.list.pairs[0].b, "A/1");
  EXPECT_TRUE(y.list.pairs[0].same);
  EXPECT_FALSE(y.list.pairs[3].same);
  EXPECT_EQ(y.list.pairs[3].line, 5);
}

TEST(Ytf, SplitsInTheOfficialLayout) {
  // Header line, ", " separators, CRLF line ends, the same-person flag in the column named 'is same'.
  const YtfPairs y = parse_ytf_splits(data("ytf_splits_real_layout.txt"));
  EXPECT_EQ(y.list.folds, 2);
  ASSERT_EQ(y.list.pairs.size(), 4u);
  EXPECT_EQ(y.list.pairs[0].a, "Aaron_Eckhart/0");
  EXPECT_EQ(y.list.pairs[0].b, "Aaron_Eckhart/1");
  EXPECT_TRUE(y.list.pairs[0].same);
  EXPECT_EQ(y.list.pairs[1].b, "Abdullah/2");
  EXPECT_FALSE(y.list.pairs[1].same);
  EXPECT_TRUE(y.list.pairs[2].same);
  EXPECT_FALSE(y.list.pairs[3].same);
  EXPECT_EQ(y.list.pairs[3].line, 5);
}

TEST(Ytf, TheHeaderNamesTheSamePersonColumn) {
  testing::TempDir dir;
  // 'is same' is the fourth of five columns: the fifth (here always 1) must not be taken as the flag.
  testing::write_text(dir / "five.txt", "split number, first name, second name, is same, extra\n1, A/0, A/1, 1, 1\n1, A/0, B/0, 0, 1\n");
  const YtfPairs five = parse_ytf_splits(dir / "five.txt");
  ASSERT_EQ(five.list.pairs.size(), 2u);
  EXPECT_TRUE(five.list.pairs[0].same);
  EXPECT_FALSE(five.list.pairs[1].same);
  // Without a header the fourth field is the flag.
  testing::write_text(dir / "bare.txt", "1,A/0,A/1,0\n1,A/0,B/0,1\n");
  const YtfPairs bare = parse_ytf_splits(dir / "bare.txt");
  EXPECT_FALSE(bare.list.pairs[0].same);
  EXPECT_TRUE(bare.list.pairs[1].same);
  // A line too short for the column the header names.
  testing::write_text(dir / "short.txt", "split number, first name, second name, is same video, is same person\n1, A/0, A/1, 0\n");
  try {
    parse_ytf_splits(dir / "short.txt");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "short.txt").string() +
                                         ":2: expected 'split, video_a, video_b, ..., same' (at least 5 fields), found 4: "
                                         "'1, A/0, A/1, 0'");
  }
  const auto f = data("malformed/ytf_header_without_same.txt");
  try {
    parse_ytf_splits(f);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()),
              f.string() + ":1: the header names no same-person column (expected 'split number, first name, second "
                           "name, is same' or a column named 'is same person' after the third): 'split, video a, video b, label'");
  }
}

TEST(Ytf, MalformedSplits) {
  const auto f1 = data("malformed/ytf_unequal_splits.txt");
  try {
    parse_ytf_splits(f1);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), f1.string() + ": split 2 has 1 pairs but split 1 has 2; the 10-fold protocol "
                                                    "needs equal splits (fold count mismatch?)");
  }
  const auto f2 = data("malformed/ytf_missing_field.txt");
  try {
    parse_ytf_splits(f2);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()),
              f2.string() + ":1: expected 'split, video_a, video_b, ..., same' (at least 4 fields), found 3: "
                            "'1, A/0, A/1'");
  }
}

TEST(Ytf, VideoFeatureIsTheMeanOfItsFrames) {
  EmbeddingSet set;
  set.attributes.embedding_dim = 2;
  set.ids = {"A/0/2.jpg", "A/0/1.jpg", "A/1/1.jpg", "B/0/1.jpg", "B/1/1.jpg", "C/0/1.jpg", "C/0/2.jpg"};
  set.embeddings = {4, 0, 0, 2, 1, 1, 3, 3, 5, 5, 7, 7, 9, 9};
  const YtfPairs y = parse_ytf_splits(data("ytf_splits_small.txt"));
  const VideoFeatures all = ytf_video_features(y.list, set, 0, "e.h5");
  ASSERT_EQ(all.videos[0], "A/0");
  EXPECT_FLOAT_EQ(all.features[0], 2.0f);  // mean of (4,0) and (0,2)
  EXPECT_FLOAT_EQ(all.features[1], 1.0f);
  // first frame only, in id order: "A/0/1.jpg" = (0, 2)
  const VideoFeatures one = ytf_video_features(y.list, set, 1, "e.h5");
  EXPECT_FLOAT_EQ(one.features[0], 0.0f);
  EXPECT_FLOAT_EQ(one.features[1], 2.0f);
  const IndexedPairs p = ytf_pairs(y.list, all);
  EXPECT_EQ(p.same, (std::vector<std::uint8_t>{1, 0, 1, 0}));
  EXPECT_EQ(all.videos[static_cast<std::size_t>(p.a[3])], "C/0");
  set.ids[5] = "D/0/1.jpg";
  set.ids[6] = "D/0/2.jpg";
  try {
    ytf_video_features(y.list, set, 0, "e.h5");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), data("ytf_splits_small.txt").string() +
                                         ":5: video 'C/0' has no frame in the embeddings file 'e.h5' (ids 'C/0/...')");
  }
}

}  // namespace
}  // namespace fv::eval
