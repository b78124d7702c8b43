// Tests of the YouTube Faces splits parser (the published file, with and without its header; malformed
// lines), frame order, and the per-video mean features.
#include "eval/ytf.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/atomic_file.h"
#include "core/error.h"
#include "support/temp_dir.h"

namespace fv::eval {
namespace {

std::filesystem::path data(const std::string& name) { return testing::source_dir() / "tests/data/eval" / name; }

// The published splits.txt with its header line removed (read-only, outside the repository).
std::filesystem::path published_splits() {
  return testing::source_dir().parent_path() / "shared/data/faces/ytf_protocol/splits.txt";
}

constexpr const char* kHeader = "split number, pair id, first name, second name, is same";

std::string video_a(const YtfPairs& y, std::size_t i) { return y.videos[static_cast<std::size_t>(y.pairs.a[i])]; }
std::string video_b(const YtfPairs& y, std::size_t i) { return y.videos[static_cast<std::size_t>(y.pairs.b[i])]; }

// The FormatError message of parsing `text` (written to a file in `dir`), with "{file}" standing for the path.
std::string parse_error(const testing::TempDir& dir, const std::string& text) {
  const auto file = dir / "splits.txt";
  testing::write_text(file, text);
  try {
    parse_ytf_splits(file);
  } catch (const FormatError& e) {
    std::string m = e.what();
    const std::string f = file.string();
    for (std::size_t p; (p = m.find(f)) != std::string::npos;) m.replace(p, f.size(), "{file}");
    return m;
  }
  return "no error";
}

// Checks the published file's content as parsed; `line0` is the line of the first pair (1 without header).
void expect_published(const YtfPairs& y, int line0) {
  EXPECT_EQ(y.folds, 10);
  ASSERT_EQ(y.pairs.size(), 5000u);  // wc -l says 4,999: the last line has no line break
  EXPECT_EQ(video_a(y, 0), "Sadie_Frost/1");
  EXPECT_EQ(video_b(y, 0), "Sadie_Frost/5");
  EXPECT_EQ(y.pairs.same[0], 1);
  EXPECT_EQ(y.pairs.line[0], line0);
  EXPECT_EQ(video_a(y, 4999), "Ben_Curtis/0");
  EXPECT_EQ(video_b(y, 4999), "Hank_Stram/4");
  EXPECT_EQ(y.pairs.same[4999], 0);
  EXPECT_EQ(y.pairs.line[4999], line0 + 4999);
  EXPECT_EQ(y.videos.size(), 3226u);
  // Each split (a fold of 500 contiguous pairs) holds 250 same and 250 different pairs.
  for (int s = 0; s < 10; ++s) {
    const auto begin = y.pairs.same.begin() + 500 * s;
    EXPECT_EQ(std::count(begin, begin + 500, 1), 250) << "split " << s + 1;
  }
}

TEST(Ytf, PublishedSplitsWithoutTheirHeader) {
  if (!std::filesystem::exists(published_splits())) GTEST_SKIP() << published_splits() << " is not here";
  expect_published(parse_ytf_splits(published_splits()), 1);
}

TEST(Ytf, PublishedSplitsWithTheirHeader) {
  if (!std::filesystem::exists(published_splits())) GTEST_SKIP() << published_splits() << " is not here";
  testing::TempDir dir;
  testing::write_text(dir / "splits.txt", std::string(kHeader) + "\r\n" + read_file(published_splits()));
  expect_published(parse_ytf_splits(dir / "splits.txt"), 2);
}

TEST(Ytf, ALostLineOfThePublishedSplitsIsReported) {
  if (!std::filesystem::exists(published_splits())) GTEST_SKIP() << published_splits() << " is not here";
  const std::string text = read_file(published_splits());
  // Drop line 2250: split 5, pair id 250.
  std::size_t begin = 0;
  for (int line = 1; line < 2250; ++line) begin = text.find('\n', begin) + 1;
  const std::size_t end = text.find('\n', begin) + 1;
  ASSERT_EQ(text.substr(begin, end - begin), "5, 250, Marc_Anthony/2, Marc_Anthony/5, 1\r\n");
  testing::TempDir dir;
  EXPECT_EQ(parse_error(dir, text.substr(0, begin) + text.substr(end)),
            "{file}: split 5 has 499 pairs but split 1 has 500; the 10-fold protocol needs equal splits (fold count "
            "mismatch?); split 5 lacks pair id 250 that split 1 has (a lost line?)");
}

TEST(Ytf, HeaderOrNotTheSameFile) {
  testing::TempDir dir;
  const std::string body = "1, 1, A/0, A/1, 1\r\n1, 2, A/0, B/0, 0\r\n2, 1, B/0, B/1, 1\r\n2, 2, C/0, A/1, 0";
  testing::write_text(dir / "bare.txt", body);
  testing::write_text(dir / "header.txt", std::string(kHeader) + "\r\n" + body);
  // Columns in another order, other columns ignored, names matched case-insensitively.
  testing::write_text(dir / "shuffled.txt",
                      "Is_Same, Second Name, First Name, Pair ID, Split Number, comment\n1, A/1, A/0, 1, 1, x\n"
                      "0, B/0, A/0, 2, 1, y\n1, B/1, B/0, 1, 2, z\n0, A/1, C/0, 2, 2, w\n");
  for (const char* name : {"bare.txt", "header.txt", "shuffled.txt"}) {
    const YtfPairs y = parse_ytf_splits(dir / name);
    EXPECT_EQ(y.folds, 2) << name;
    ASSERT_EQ(y.pairs.size(), 4u) << name;
    EXPECT_EQ(y.videos, (std::vector<std::string>{"A/0", "A/1", "B/0", "B/1", "C/0"})) << name;
    EXPECT_EQ(y.pairs.a, (std::vector<std::int64_t>{0, 0, 2, 4})) << name;
    EXPECT_EQ(y.pairs.b, (std::vector<std::int64_t>{1, 2, 3, 1})) << name;
    EXPECT_EQ(y.pairs.same, (std::vector<std::uint8_t>{1, 0, 1, 0})) << name;
    EXPECT_EQ(y.pairs.line[3], std::string(name) == "bare.txt" ? 4 : 5) << name;
  }
}

TEST(Ytf, SplitsGolden) {
  // A header without a pair id column; the flag is the column named 'is same person', not 'is same video'.
  const YtfPairs y = parse_ytf_splits(data("ytf_splits_small.txt"));
  EXPECT_EQ(y.folds, 2);
  ASSERT_EQ(y.pairs.size(), 4u);
  EXPECT_EQ(video_a(y, 0), "A/0");
  EXPECT_EQ(video_b(y, 0), "A/1");
  EXPECT_EQ(y.pairs.same[0], 1);
  EXPECT_EQ(y.pairs.same[3], 0);
  EXPECT_EQ(y.pairs.line[3], 5);
}

TEST(Ytf, SplitsWithAHeaderWithoutPairIds) {
  // Header line, ", " separators, CRLF line ends, the same-person flag in the column named 'is same'.
  const YtfPairs y = parse_ytf_splits(data("ytf_splits_real_layout.txt"));
  EXPECT_EQ(y.folds, 2);
  ASSERT_EQ(y.pairs.size(), 4u);
  EXPECT_EQ(video_a(y, 0), "Aaron_Eckhart/0");
  EXPECT_EQ(video_b(y, 0), "Aaron_Eckhart/1");
  EXPECT_EQ(y.pairs.same[0], 1);
  EXPECT_EQ(video_b(y, 1), "Abdullah/2");
  EXPECT_EQ(y.pairs.same[1], 0);
  EXPECT_EQ(y.pairs.same[2], 1);
  EXPECT_EQ(y.pairs.same[3], 0);
  EXPECT_EQ(y.pairs.line[3], 5);
}

TEST(Ytf, TheHeaderNamesTheSamePersonColumn) {
  testing::TempDir dir;
  // 'is same' is the fourth of five columns: the fifth (here always 1) must not be taken as the flag.
  testing::write_text(dir / "five.txt", "split number, first name, second name, is same, extra\n1, A/0, A/1, 1, 1\n1, A/0, B/0, 0, 1\n");
  const YtfPairs five = parse_ytf_splits(dir / "five.txt");
  ASSERT_EQ(five.pairs.size(), 2u);
  EXPECT_EQ(five.pairs.same, (std::vector<std::uint8_t>{1, 0}));
  // Without a header the fifth field (published order) is the flag.
  testing::write_text(dir / "bare.txt", "1,1,A/0,A/1,0\n1,2,A/0,B/0,1\n");
  EXPECT_EQ(parse_ytf_splits(dir / "bare.txt").pairs.same, (std::vector<std::uint8_t>{0, 1}));
  const auto f = data("malformed/ytf_header_without_same.txt");
  try {
    parse_ytf_splits(f);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()),
              f.string() + ":1: the header names no 'first name', 'second name', 'is same' column (the published header "
                           "is 'split number, pair id, first name, second name, is same'): 'split, video a, video b, label'");
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
              f2.string() + ":1: expected 'split number, pair id, first name, second name, is same' (5 fields, the "
                            "published layout without its header), found 3: '1, A/0, A/1'");
  }
}

// Each malformed line names the file, the line and its text; parsing stops there.
TEST(Ytf, MalformedLinesNameFileLineAndText) {
  testing::TempDir dir;
  const std::string h = std::string(kHeader) + "\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      // the non-published four-column layout without a header
      {"1, A/0, A/1, 1\n", "{file}:1: expected 'split number, pair id, first name, second name, is same' (5 fields, "
                           "the published layout without its header), found 4: '1, A/0, A/1, 1'"},
      // the four-column layout with a fifth column: the video would be read as the pair id
      {"1, A/0, A/1, 0, 1\n", "{file}:1: the pair id must be a positive integer: '1, A/0, A/1, 0, 1'"},
      {h + "1, 1, A/0, A/1, 1\n1, 2, A/0, 7, 0\n",
       "{file}:3: the second name '7' is not a video '<person>/<video number>': '1, 2, A/0, 7, 0'"},
      {h + "1, 1, A/0, A/x, 1\n", "{file}:2: the second name 'A/x' is not a video '<person>/<video number>': '1, 1, A/0, A/x, 1'"},
      {h + "1, 1, A/0, A/1, yes\n", "{file}:2: field 5 (is same) must be 0 or 1, found 'yes': '1, 1, A/0, A/1, yes'"},
      {h + "0, 1, A/0, A/1, 1\n", "{file}:2: the split number must be a positive integer: '0, 1, A/0, A/1, 1'"},
      {h + "1, 1, A/0, A/1, 1\n1, 1, A/0, B/0, 0\n",
       "{file}:3: pair id 1 appears twice in split 1 (first on line 2): '1, 1, A/0, B/0, 0'"},
      {h + "2, 1, A/0, A/1, 1\n1, 1, A/0, B/0, 0\n", "{file}:3: splits must come in increasing blocks: '1, 1, A/0, B/0, 0'"},
      {h + "1, 1, A/0, A/1\n", "{file}:2: expected at least 5 fields (the columns the header names), found 4: '1, 1, A/0, A/1'"},
      {"split number, pair id, first name, second name, is same, same\n1, 1, A/0, A/1, 1, 1\n",
       "{file}:1: columns 5 and 6 both name the 'is same' column: 'split number, pair id, first name, second name, is "
       "same, same'"},
      {h + "1, 1, A/0, A/1, 1\n1, 2, A/0, \x01\x02, 0\n",
       "{file}:3: the second name '\\x01\\x02' is not a video '<person>/<video number>': '1, 2, A/0, \\x01\\x02, 0'"},
      {h, "{file}: no pairs in the file"},
      {"", "{file}: no pairs in the file"},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(parse_error(dir, text), expected) << text;
}

TEST(Ytf, FramesInFrameOrder) {
  EXPECT_TRUE(frame_order_less("A/0/aligned_detect_0.99.jpg", "A/0/aligned_detect_0.100.jpg"));
  EXPECT_FALSE(frame_order_less("A/0/aligned_detect_0.100.jpg", "A/0/aligned_detect_0.99.jpg"));
  EXPECT_TRUE(frame_order_less("A/0/aligned_detect_0.555.jpg", "A/0/aligned_detect_0.1000.jpg"));
  EXPECT_TRUE(frame_order_less("A/0/9.jpg", "A/0/10.jpg"));
  EXPECT_TRUE(frame_order_less("A/0/x.jpg", "A/0/x.jpg.1"));
  EXPECT_FALSE(frame_order_less("A/0/1.jpg", "A/0/1.jpg"));
  // Equal numbers with different leading zeros: byte order, so that the order stays strict.
  EXPECT_TRUE(frame_order_less("A/0/01.jpg", "A/0/1.jpg"));
  EXPECT_FALSE(frame_order_less("A/0/1.jpg", "A/0/01.jpg"));
  std::vector<std::string> frames = {"f.10.jpg", "f.9.jpg", "f.100.jpg", "f.09.jpg", "e.1.jpg"};
  std::sort(frames.begin(), frames.end(), frame_order_less);
  EXPECT_EQ(frames, (std::vector<std::string>{"e.1.jpg", "f.09.jpg", "f.9.jpg", "f.10.jpg", "f.100.jpg"}));
}

TEST(Ytf, VideoFeatureIsTheMeanOfItsFrames) {
  EmbeddingSet set;
  set.attributes.embedding_dim = 2;
  set.ids = {"A/0/2.jpg", "A/0/1.jpg", "A/1/1.jpg", "B/0/1.jpg", "B/1/1.jpg", "C/0/1.jpg", "C/0/2.jpg"};
  set.embeddings = {4, 0, 0, 2, 1, 1, 3, 3, 5, 5, 7, 7, 9, 9};
  const YtfPairs y = parse_ytf_splits(data("ytf_splits_small.txt"));
  const VideoFeatures all = ytf_video_features(y, set, 0, "e.h5");
  ASSERT_EQ(y.videos[0], "A/0");
  EXPECT_FLOAT_EQ(all.features[0], 2.0f);  // mean of (4,0) and (0,2)
  EXPECT_FLOAT_EQ(all.features[1], 1.0f);
  EXPECT_EQ(all.frames[0], 2);
  // first frame only, in frame order: "A/0/1.jpg" = (0, 2)
  const VideoFeatures one = ytf_video_features(y, set, 1, "e.h5");
  EXPECT_FLOAT_EQ(one.features[0], 0.0f);
  EXPECT_FLOAT_EQ(one.features[1], 2.0f);
  EXPECT_EQ(one.frames[0], 1);
  EXPECT_EQ(y.pairs.same, (std::vector<std::uint8_t>{1, 0, 1, 0}));
  EXPECT_EQ(y.videos[static_cast<std::size_t>(y.pairs.a[3])], "C/0");
  set.ids[5] = "D/0/1.jpg";
  set.ids[6] = "D/0/2.jpg";
  try {
    ytf_video_features(y, set, 0, "e.h5");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), data("ytf_splits_small.txt").string() +
                                         ":5: video 'C/0' has no frame in the embeddings file 'e.h5' (ids 'C/0/...')");
  }
}

}  // namespace
}  // namespace fv::eval
