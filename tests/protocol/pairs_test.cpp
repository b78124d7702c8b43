// Tests of the protocol parsers on golden files, malformed files (expected error messages) and id lookup.
#include "protocol/pairs.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv::protocol {
namespace {

std::filesystem::path data(const std::string& name) { return testing::source_dir() / "tests/data/eval" / name; }

TEST(Pairs, LfwPairsGolden) {
  const PairList l = parse_lfw_pairs(data("lfw_pairs_small.txt"), LfwIdFormat{});
  EXPECT_EQ(l.folds, 2);
  ASSERT_EQ(l.pairs.size(), 12u);
  EXPECT_EQ(l.pairs[0].a, "Aaron_Peirsol/Aaron_Peirsol_0001.jpg");
  EXPECT_EQ(l.pairs[0].b, "Aaron_Peirsol/Aaron_Peirsol_0002.jpg");
  EXPECT_TRUE(l.pairs[0].same);
  EXPECT_EQ(l.pairs[0].line, 2);
  EXPECT_EQ(l.pairs[3].a, "Abdel_Madi_Shabneh/Abdel_Madi_Shabneh_0001.jpg");
  EXPECT_EQ(l.pairs[3].b, "Dean_Barker/Dean_Barker_0001.jpg");
  EXPECT_FALSE(l.pairs[3].same);
  EXPECT_TRUE(l.pairs[6].same);  // second fold starts with same pairs again
  EXPECT_FALSE(l.pairs[11].same);
  EXPECT_EQ(l.pairs[11].b, "Linda_Franklin/Linda_Franklin_0001.jpg");
  EXPECT_EQ(l.pairs[11].line, 13);
  LfwIdFormat custom{"lfw/", ".png"};
  EXPECT_EQ(parse_lfw_pairs(data("lfw_pairs_small.txt"), custom).pairs[0].a, "lfw/Aaron_Peirsol/Aaron_Peirsol_0001.png");
}

TEST(Pairs, LfwView1Golden) {
  const PairList l = parse_lfw_view1(data("lfw_view1_small.txt"), LfwIdFormat{});
  EXPECT_EQ(l.folds, 1);
  ASSERT_EQ(l.pairs.size(), 4u);
  EXPECT_TRUE(l.pairs[1].same);
  EXPECT_EQ(l.pairs[1].b, "Aaron_Peirsol/Aaron_Peirsol_0004.jpg");
  EXPECT_FALSE(l.pairs[2].same);
}

TEST(Pairs, PairListGolden) {
  const PairList l = parse_pair_list(data("pair_list_small.txt"));
  ASSERT_EQ(l.pairs.size(), 3u);
  EXPECT_EQ(l.pairs[0].a, "a/1.jpg");
  EXPECT_FALSE(l.pairs[0].same);
  EXPECT_TRUE(l.pairs[2].same);
  EXPECT_EQ(l.pairs[2].line, 5);
}

// Each malformed file and its expected message ("{file}" stands for the file's path, "\t" for a tab).
TEST(Pairs, MalformedFilesGiveTheExpectedErrors) {
  std::ifstream in(data("malformed/expected_errors.txt"));
  ASSERT_TRUE(in.good());
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto bar = line.find('|');
    ASSERT_NE(bar, std::string::npos) << line;
    const std::string name = line.substr(0, bar);
    std::string expected = line.substr(bar + 1);
    const auto file = data("malformed/" + name);
    for (std::size_t p; (p = expected.find("{file}")) != std::string::npos;) expected.replace(p, 6, file.string());
    for (std::size_t p; (p = expected.find("\\t")) != std::string::npos;) expected.replace(p, 2, "\t");
    try {
      if (name.rfind("pair_list", 0) == 0) {
        parse_pair_list(file);
      } else if (name.rfind("view1", 0) == 0) {
        parse_lfw_view1(file, LfwIdFormat{});
      } else {
        parse_lfw_pairs(file, LfwIdFormat{});
      }
      ADD_FAILURE() << name << ": expected a FormatError";
    } catch (const FormatError& e) {
      EXPECT_EQ(std::string(e.what()), expected) << name;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

TEST(Pairs, MissingFileIsIoError) { EXPECT_THROW(parse_lfw_pairs(data("no_such_file.txt"), {}), IoError); }

TEST(Pairs, UnknownNameIsDataErrorNamingTheLine) {
  EmbeddingSet set;
  set.attributes.embedding_dim = 1;
  set.ids = {"a/1.jpg", "b/1.jpg", "a/2.jpg"};
  set.embeddings = {1, 2, 3};
  const PairList l = parse_pair_list(data("pair_list_small.txt"));
  try {
    resolve_pairs(l, set, "emb.h5");
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              data("pair_list_small.txt").string() +
                  ":5: id 'b/2.jpg' is not in the embeddings file 'emb.h5' (check --eval.id_prefix and "
                  "--eval.id_extension)");
  }
  set.ids.push_back("b/2.jpg");
  set.embeddings.push_back(4);
  const IndexedPairs p = resolve_pairs(l, set, "emb.h5");
  EXPECT_EQ(p.a, (std::vector<std::int64_t>{0, 0, 1}));
  EXPECT_EQ(p.b, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(p.same, (std::vector<std::uint8_t>{0, 1, 1}));
}

TEST(Pairs, BinPairsFromFlags) {
  EmbeddingSet set;
  set.attributes.embedding_dim = 1;
  set.ids = {"0", "1", "2", "3"};
  set.embeddings = {1, 2, 3, 4};
  EXPECT_THROW(pairs_from_flags(set, "x.h5"), DataError);
  set.pair_flags = std::vector<std::int8_t>{1, 0};
  const IndexedPairs p = pairs_from_flags(set, "x.h5");
  EXPECT_EQ(p.a, (std::vector<std::int64_t>{0, 2}));
  EXPECT_EQ(p.b, (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(p.same, (std::vector<std::uint8_t>{1, 0}));
}

}  // namespace
}  // namespace fv::protocol
