// A NaN or infinite embedding is a DataError that names where it came from, under every protocol: the
// protocol file's line, the ids (or videos, or image) and the embeddings file.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "formats/embedding_store.h"
#include "core/error.h"
#include "eval/run_eval.h"
#include "support/embedding_rows.h"
#include "support/temp_dir.h"

namespace fv::eval {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

class NonFinite : public ::testing::Test {
 protected:
  // Writes `rows` (id, 2 values) as the embeddings file e.h5.
  void write_set(const testing::EmbeddingRows& rows, std::optional<std::vector<std::int8_t>> flags = std::nullopt) {
    EmbeddingSet set = testing::embedding_set(rows);
    set.pair_flags = std::move(flags);
    write_embeddings(embeddings(), set);
  }

  std::filesystem::path embeddings() const { return dir_ / "e.h5"; }

  EvalConfig config(EvalProtocol protocol, const std::filesystem::path& pairs, int folds = 2) const {
    EvalConfig cfg;
    cfg.protocol = protocol;
    cfg.embeddings = embeddings().string();
    cfg.pairs = pairs.string();
    cfg.output = (dir_ / "out").string();
    cfg.folds = folds;
    cfg.far_targets = "0.5";
    cfg.plot = false;
    return cfg;
  }

  // The DataError message of run_eval(cfg), with "{emb}" for the embeddings file and "{dir}" for the folder.
  std::string error(const EvalConfig& cfg) const {
    try {
      run_eval(cfg, "h", "");
    } catch (const DataError& e) {
      std::string m = e.what();
      for (const auto& [path, tag] : {std::pair{embeddings().string(), "{emb}"}, std::pair{dir_.path().string(), "{dir}"}}) {
        for (std::size_t p; (p = m.find(path)) != std::string::npos;) m.replace(p, path.size(), tag);
      }
      return m;
    }
    return "no DataError";
  }

  testing::TempDir dir_;
};

// LFW ids "<name>/<name>_000<n>.jpg"; a/a_0002.jpg holds a NaN, z/z_0001.jpg too but no pair uses it.
const std::vector<std::pair<std::string, std::vector<float>>> kLfwRows = {
    {"a/a_0001.jpg", {1, 0}}, {"a/a_0002.jpg", {1, kNan}}, {"b/b_0001.jpg", {0, 1}}, {"b/b_0002.jpg", {0.1f, 1}},
    {"z/z_0001.jpg", {kNan, kNan}}};

TEST_F(NonFinite, Lfw) {
  write_set(kLfwRows);
  testing::write_text(dir_ / "pairs.txt", "2\t1\nb\t1\t2\nb\t1\ta\t1\na\t1\t2\na\t1\tb\t2\n");
  EXPECT_EQ(error(config(EvalProtocol::kLfw, dir_ / "pairs.txt")),
            "{dir}/pairs.txt:4: the score of pair 'a/a_0001.jpg' 'a/a_0002.jpg' is nan, not a finite number: the "
            "embedding of 'a/a_0002.jpg' in '{emb}' holds nan at component 1");
}

TEST_F(NonFinite, LfwView1) {
  write_set(kLfwRows);
  testing::write_text(dir_ / "view1.txt", "2\nb 1 2\na 2 1\nb 1 a 1\nb 2 a 1\n");
  EXPECT_EQ(error(config(EvalProtocol::kLfwView1, dir_ / "view1.txt")),
            "{dir}/view1.txt:3: the score of pair 'a/a_0002.jpg' 'a/a_0001.jpg' is nan, not a finite number: the "
            "embedding of 'a/a_0002.jpg' in '{emb}' holds nan at component 1");
}

TEST_F(NonFinite, PairListAndAnUnusedNanRow) {
  write_set(kLfwRows);
  testing::write_text(dir_ / "list.txt",
                      "b/b_0001.jpg b/b_0002.jpg 1\n# the next pair has a NaN\na/a_0001.jpg a/a_0002.jpg 1\n"
                      "a/a_0001.jpg b/b_0001.jpg 0\n");
  EXPECT_EQ(error(config(EvalProtocol::kPairList, dir_ / "list.txt")),
            "{dir}/list.txt:3: the score of pair 'a/a_0001.jpg' 'a/a_0002.jpg' is nan, not a finite number: the "
            "embedding of 'a/a_0002.jpg' in '{emb}' holds nan at component 1");
  // z/z_0001.jpg is NaN too, but no pair names it.
  testing::write_text(dir_ / "list.txt", "b/b_0001.jpg b/b_0002.jpg 1\na/a_0001.jpg b/b_0001.jpg 0\n");
  EXPECT_EQ(run_eval(config(EvalProtocol::kPairList, dir_ / "list.txt"), "h", "").result.pairs, 2);
}

TEST_F(NonFinite, Bin) {
  write_set({{"0", {1, 0}}, {"1", {1, 0.1f}}, {"2", {0, 1}}, {"3", {kInf, 1}}}, std::vector<std::int8_t>{1, 0});
  EvalConfig cfg = config(EvalProtocol::kBin, "");
  EXPECT_EQ(error(cfg), "{emb}: pair 1 (rows 2 and 3): the score of pair '2' '3' is nan, not a finite number: the "
                        "embedding of '3' in '{emb}' holds inf at component 0");
}

TEST_F(NonFinite, Ytf) {
  write_set({{"A/0/f.1.jpg", {1, 0}}, {"A/1/f.1.jpg", {1, 0.1f}}, {"B/0/f.1.jpg", {0, 1}}, {"B/1/f.1.jpg", {0.1f, 1}},
             {"B/1/f.2.jpg", {kNan, 1}}});
  testing::write_text(dir_ / "splits.txt", "1, 1, A/0, A/1, 1\n1, 2, A/0, B/1, 0\n2, 1, B/0, B/1, 1\n2, 2, A/1, B/0, 0\n");
  EXPECT_EQ(error(config(EvalProtocol::kYtf, dir_ / "splits.txt")),
            "{dir}/splits.txt:2: pair 'A/0' 'B/1', video 'B/1': the embedding of 'B/1/f.2.jpg' in '{emb}' holds nan at "
            "component 0");
}

TEST_F(NonFinite, Ijba) {
  write_set({{"img/1.jpg", {1, 0}}, {"img/2.jpg", {1, -kInf}}, {"img/3.jpg", {0, 1}}});
  testing::write_text(dir_ / "ijba/split1/verify_metadata_1.csv",
                      "TEMPLATE_ID,SUBJECT_ID,FILE,MEDIA_ID\n1,10,img/1.jpg,100\n2,10,img/2.jpg,101\n3,20,img/3.jpg,102\n");
  testing::write_text(dir_ / "ijba/split1/verify_comparisons_1.csv", "1,2\n1,3\n");
  EvalConfig cfg = config(EvalProtocol::kIjba, dir_ / "ijba", 1);
  EXPECT_EQ(error(cfg), "{dir}/ijba/split1/verify_metadata_1.csv:3: the embedding of 'img/2.jpg' in '{emb}' holds -inf "
                        "at component 1");
}

TEST_F(NonFinite, Ijbc) {
  write_set({{"img1.jpg", {2, 0}}, {"img2.jpg", {0, 2}}, {"img3.jpg", {3, 0}}, {"img4.jpg", {kNan, 5}},
             {"img5.jpg", {1, 0}}, {"img6.jpg", {0, 1}}});
  const auto data = testing::source_dir() / "tests/data/eval";
  EvalConfig cfg = config(EvalProtocol::kIjbc, data / "ijb_pairs_small.txt");
  cfg.ijb_template_media = (data / "ijb_template_media_small.txt").string();
  EXPECT_EQ(error(cfg), (data / "ijb_template_media_small.txt").string() +
                            ":4: the embedding of 'img4.jpg' in '{emb}' holds nan at component 0");
}

}  // namespace
}  // namespace fv::eval
