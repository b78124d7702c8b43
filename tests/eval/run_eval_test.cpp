// End-to-end tests of one fv-eval run and of `compare` on synthetic embeddings (reports, CSV, plot).
#include "eval/run_eval.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <random>

#include "core/atomic_file.h"
#include "formats/embedding_store.h"
#include "core/error.h"
#include "support/embedding_rows.h"
#include "support/temp_dir.h"

namespace fv::eval {
namespace {

bool have_gnuplot() { return std::system("gnuplot --version > /dev/null 2>&1") == 0; }

// LFW-style pairs.txt with `folds` x `per_kind` and an embeddings file holding every image it names:
// same-person images share a direction plus noise.
void make_lfw(const testing::TempDir& dir, int folds, int per_kind, double noise) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  std::string pairs = fmt::format("{}\t{}\n", folds, per_kind);
  EmbeddingSet set;
  const int dim = 16;
  set.attributes.embedding_dim = dim;
  set.attributes.model_hash = "model0123";
  set.attributes.config_hash = "embedcfg";
  auto add = [&](const std::string& id, const std::vector<float>& base) {
    set.ids.push_back(id);
    for (int j = 0; j < dim; ++j) set.embeddings.push_back(base[j] + static_cast<float>(noise) * normal(rng));
  };
  auto random_vec = [&] {
    std::vector<float> v(dim);
    for (auto& x : v) x = normal(rng);
    return v;
  };
  int person = 0;
  for (int f = 0; f < folds; ++f) {
    for (int i = 0; i < per_kind; ++i, ++person) {
      const std::string name = fmt::format("P{}", person);
      const auto base = random_vec();
      add(fmt::format("{}/{}_0001.jpg", name, name), base);
      add(fmt::format("{}/{}_0002.jpg", name, name), base);
      pairs += fmt::format("{}\t1\t2\n", name);
    }
    for (int i = 0; i < per_kind; ++i, person += 2) {
      const std::string a = fmt::format("P{}", person);
      const std::string b = fmt::format("P{}", person + 1);
      add(fmt::format("{}/{}_0001.jpg", a, a), random_vec());
      add(fmt::format("{}/{}_0003.jpg", b, b), random_vec());
      pairs += fmt::format("{}\t1\t{}\t3\n", a, b);
    }
  }
  write_file_atomic(dir / "pairs.txt", pairs);
  write_embeddings(dir / "emb.h5", set);
}

EvalConfig lfw_config(const testing::TempDir& dir, const std::string& out) {
  EvalConfig cfg;
  cfg.embeddings = (dir / "emb.h5").string();
  cfg.pairs = (dir / "pairs.txt").string();
  cfg.output = (dir / out).string();
  cfg.plot = have_gnuplot();
  cfg.validate();
  return cfg;
}

TEST(RunEval, LfwWritesEveryReportFile) {
  testing::TempDir dir;
  make_lfw(dir, 10, 20, 0.8);
  const EvalConfig cfg = lfw_config(dir, "out");
  const EvalReport r = run_eval(cfg, "evalhash", "[eval]\nprotocol = lfw\n");
  EXPECT_EQ(r.result.pairs, 400);
  EXPECT_EQ(r.result.positives, 200);
  ASSERT_TRUE(r.result.kfold.has_value());
  EXPECT_EQ(r.result.kfold->fold_accuracy.size(), 10u);
  EXPECT_GT(r.result.kfold->accuracy_mean, 0.8);  // noise 0.8 of a unit-variance base: well separated
  EXPECT_GT(r.result.auc, 0.9);
  EXPECT_EQ(r.model_hash, "model0123");
  EXPECT_EQ(r.embeddings_config_hash, "embedcfg");
  const auto out = std::filesystem::path(cfg.output);
  const ReportSummary back = read_report(out / "report.json");
  EXPECT_EQ(back.name, "emb");
  EXPECT_EQ(back.protocol, "lfw");
  EXPECT_EQ(back.pairs, 400);
  EXPECT_DOUBLE_EQ(back.accuracy_mean, r.result.kfold->accuracy_mean);
  EXPECT_DOUBLE_EQ(back.auc, r.result.auc);
  ASSERT_EQ(back.tar_strict.size(), 6u);
  EXPECT_DOUBLE_EQ(back.tar_strict[3].first, 1e-3);
  EXPECT_DOUBLE_EQ(back.tar_strict[3].second, r.result.tar_strict[3].tar);
  const std::string json = read_file(out / "report.json");
  EXPECT_NE(json.find("\"eval_config_hash\": \"evalhash\""), std::string::npos);
  EXPECT_EQ(read_file(out / "eval.ini"), "[eval]\nprotocol = lfw\n");
  const std::string csv = read_file(out / "roc.csv");
  EXPECT_EQ(csv.rfind("threshold,far,tar\ninf,0,0\n", 0), 0u);
  EXPECT_EQ(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')), r.result.roc.points.size() + 1);
  EXPECT_NE(read_file(out / "summary.md").find("| target FAR | strict TAR"), std::string::npos);
  if (cfg.plot) {
    const std::string png = read_file(out / "roc.png");
    ASSERT_GT(png.size(), 1000u);
    EXPECT_EQ(png.substr(1, 3), "PNG");
  }
}

TEST(RunEval, FoldCountMismatchIsDataError) {
  testing::TempDir dir;
  make_lfw(dir, 5, 4, 0.5);
  EvalConfig cfg = lfw_config(dir, "out");
  EXPECT_THROW(run_eval(cfg, "h", ""), DataError);
  cfg.folds = 5;
  EXPECT_EQ(run_eval(cfg, "h", "").result.kfold->fold_accuracy.size(), 5u);
}

TEST(RunEval, CompareTablesSeveralRunsAndPlotsThemTogether) {
  testing::TempDir dir;
  make_lfw(dir, 10, 10, 0.6);
  EvalConfig a = lfw_config(dir, "a");
  a.name = "run-a";
  run_eval(a, "h1", "");
  EvalConfig b = lfw_config(dir, "b");
  b.name = "run-b";
  b.threshold_mode = protocol::ThresholdMode::kExact;
  run_eval(b, "h2", "");
  const std::string table =
      run_compare({dir / "a/report.json", dir / "b/report.json"}, have_gnuplot() ? dir / "cmp" : "", "gnuplot");
  EXPECT_NE(table.find("| run-a | lfw | model0123 | 200 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| run-b | lfw |"), std::string::npos) << table;
  EXPECT_NE(table.find("TAR@0.001"), std::string::npos) << table;
  if (have_gnuplot()) {
    EXPECT_TRUE(std::filesystem::exists(dir / "cmp/roc_compare.png"));
    EXPECT_EQ(read_file(dir / "cmp/compare.md").find("# fv-eval compare"), 0u);
  }
  testing::write_text(dir / "bad.json", "{\"format\": \"other\"}");
  EXPECT_THROW(run_compare({dir / "bad.json"}, "", "gnuplot"), FormatError);
}

TEST(RunEval, BinProtocolUsesPairFlags) {
  testing::TempDir dir;
  EmbeddingSet set;
  set.attributes.embedding_dim = 2;
  std::vector<std::int8_t> flags;
  for (int i = 0; i < 20; ++i) {
    const bool same = i % 2 == 0;
    flags.push_back(same ? 1 : 0);
    const float angle = static_cast<float>(i);
    set.ids.push_back(std::to_string(2 * i));
    set.ids.push_back(std::to_string(2 * i + 1));
    set.embeddings.insert(set.embeddings.end(), {std::cos(angle), std::sin(angle)});
    const float other = same ? angle + 0.1f : angle + 2.0f;
    set.embeddings.insert(set.embeddings.end(), {std::cos(other), std::sin(other)});
  }
  set.pair_flags = flags;
  write_embeddings(dir / "bin.h5", set);
  EvalConfig cfg;
  cfg.protocol = EvalProtocol::kBin;
  cfg.embeddings = (dir / "bin.h5").string();
  cfg.output = (dir / "out").string();
  cfg.plot = false;
  cfg.validate();
  const EvalReport r = run_eval(cfg, "h", "");
  EXPECT_EQ(r.result.pairs, 20);
  EXPECT_DOUBLE_EQ(r.result.kfold->accuracy_mean, 1.0);
  EXPECT_DOUBLE_EQ(r.result.auc, 1.0);
}

TEST(RunEval, IjbaPerSplitTarMeanAndStd) {
  testing::TempDir dir;
  write_embeddings(dir / "ijba.h5",
                   testing::embedding_set({{"img/1.jpg", {1, 0}}, {"img/2.jpg", {1, 0.1f}}, {"img/3.jpg", {0, 1}},
                                           {"img/4.jpg", {0.1f, 1}}, {"img/5.jpg", {1, 0}}, {"img/6.jpg", {-1, 0}},
                                           {"img/7.jpg", {0, 1}}, {"img/8.jpg", {0, 1}}}));
  const std::string header = "TEMPLATE_ID,SUBJECT_ID,FILE,MEDIA_ID,SIGHTING_ID\n";
  // split 1: perfectly separated; split 2: one genuine pair scores -1, below the impostors (0).
  testing::write_text(dir / "ijba/split1/verify_metadata_1.csv",
                      header + "1,10,img/1.jpg,100,0\n2,10,img/2.jpg,101,0\n3,20,img/3.jpg,102,0\n4,20,img/4.jpg,103,0\n");
  testing::write_text(dir / "ijba/split1/verify_comparisons_1.csv", "1,2\n3,4\n1,3\n2,4\n1,4\n");
  testing::write_text(dir / "ijba/split2/verify_metadata_2.csv",
                      header + "5,30,img/5.jpg,104,0\n6,30,img/6.jpg,105,0\n7,40,img/7.jpg,106,0\n8,40,img/8.jpg,107,0\n");
  testing::write_text(dir / "ijba/split2/verify_comparisons_2.csv", "5,6\n7,8\n5,7\n6,8\n5,8\n");
  EvalConfig cfg;
  cfg.protocol = EvalProtocol::kIjba;
  cfg.embeddings = (dir / "ijba.h5").string();
  cfg.pairs = (dir / "ijba").string();
  cfg.output = (dir / "out").string();
  cfg.folds = 2;
  cfg.far_targets = "0.1";
  cfg.plot = false;
  cfg.validate();
  const EvalReport r = run_eval(cfg, "h", "");
  EXPECT_EQ(r.result.pairs, 10);
  EXPECT_EQ(r.result.positives, 4);
  EXPECT_DOUBLE_EQ(r.extra.at("split_tar_strict@0.1_mean"), 0.75);
  EXPECT_DOUBLE_EQ(r.extra.at("split_tar_strict@0.1_std"), 0.25);
  EXPECT_DOUBLE_EQ(r.extra.at("splits"), 2.0);
  testing::write_text(dir / "ijba/split2/verify_comparisons_2.csv", "5,9\n");
  try {
    run_eval(cfg, "h", "");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("verify_comparisons_2.csv:1: template 9 is not in"), std::string::npos)
        << e.what();
  }
}

TEST(RunEval, IjbcDetectorScoreWeighting) {
  testing::TempDir dir;
  EmbeddingSet set;
  set.attributes.embedding_dim = 2;
  set.ids = {"img1.jpg", "img2.jpg", "img3.jpg", "img4.jpg", "img5.jpg", "img6.jpg"};
  set.embeddings = {2, 0, 0, 2, 3, 0, 0, 5, 1, 0, 0, 1};
  write_embeddings(dir / "e.h5", set);
  const auto data = testing::source_dir() / "tests/data/eval";
  EvalConfig cfg;
  cfg.protocol = EvalProtocol::kIjbc;
  cfg.embeddings = (dir / "e.h5").string();
  cfg.pairs = (data / "ijb_pairs_small.txt").string();
  cfg.ijb_template_media = (data / "ijb_template_media_small.txt").string();
  cfg.ijb_face_scores = (data / "ijb_face_scores_small.txt").string();
  cfg.output = (dir / "out").string();
  cfg.far_targets = "0.5";
  cfg.plot = false;
  cfg.validate();
  // Pairs: (1,2) same, (1,3) and (2,3) different (see ijb_test.cpp for the hand-computed scores).
  // Unweighted: 0.2425 for the genuine pair, 0.8575 and 0.7071 for the impostors -> AUC 0.
  // Weighted by the detector scores: 0.6247 genuine, 0.8451 and 0.1104 impostors -> AUC 0.5.
  const EvalReport weighted = run_eval(cfg, "h", "");  // eval.ijb_faceness = auto: a score file is given
  EXPECT_DOUBLE_EQ(weighted.extra.at("faceness_weighting"), 1.0);
  EXPECT_DOUBLE_EQ(weighted.result.auc, 0.5);
  cfg.ijb_faceness = FacenessWeighting::kOff;
  const EvalReport plain = run_eval(cfg, "h", "");
  EXPECT_DOUBLE_EQ(plain.extra.at("faceness_weighting"), 0.0);
  EXPECT_DOUBLE_EQ(plain.result.auc, 0.0);
}

TEST(RunEval, YtfAndView1EndToEnd) {
  testing::TempDir dir;
  // YTF videos A/0, A/1 (person A, direction x), B/0, B/1 (person B, direction y), C/0 (direction -x).
  write_embeddings(dir / "e.h5", testing::embedding_set({
      {"A/0/1.jpg", {1, 0.1f}}, {"A/0/2.jpg", {1, -0.1f}}, {"A/1/1.jpg", {1, 0.05f}}, {"B/0/1.jpg", {0.1f, 1}},
      {"B/1/1.jpg", {-0.1f, 1}}, {"C/0/1.jpg", {-1, 0}},
      // LFW View 1 images
      {"P/P_0001.jpg", {1, 0}}, {"P/P_0002.jpg", {1, 0.2f}}, {"Q/Q_0001.jpg", {0, 1}}, {"Q/Q_0002.jpg", {0.2f, 1}}}));
  EvalConfig cfg;
  cfg.protocol = EvalProtocol::kYtf;
  cfg.embeddings = (dir / "e.h5").string();
  cfg.pairs = (testing::source_dir() / "tests/data/eval/ytf_splits_small.txt").string();
  cfg.output = (dir / "ytf").string();
  cfg.plot = false;
  cfg.validate();
  EXPECT_THROW(run_eval(cfg, "h", ""), DataError);  // the file has 2 splits, eval.folds is 10
  cfg.folds = 2;
  const EvalReport y = run_eval(cfg, "h", "");
  EXPECT_EQ(y.result.pairs, 4);
  EXPECT_DOUBLE_EQ(y.result.auc, 1.0);
  EXPECT_DOUBLE_EQ(y.extra.at("videos"), 5.0);
  EXPECT_EQ(y.result.kfold->fold_accuracy.size(), 2u);

  write_file_atomic(dir / "view1.txt", "2\nP 1 2\nQ 1 2\nP 1 Q 1\nP 2 Q 2\n");
  cfg.protocol = EvalProtocol::kLfwView1;
  cfg.pairs = (dir / "view1.txt").string();
  cfg.output = (dir / "view1").string();
  const EvalReport v = run_eval(cfg, "h", "");
  EXPECT_EQ(v.result.pairs, 4);
  EXPECT_EQ(v.result.positives, 2);
  // Interleaved folds: each fold has one same and one different pair, so both are separable.
  EXPECT_DOUBLE_EQ(v.result.kfold->accuracy_mean, 1.0);
}

TEST(RunEval, ConfigValidationNamesTheKey) {
  EvalConfig cfg;
  try {
    cfg.validate();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("eval.embeddings"), std::string::npos);
  }
  cfg.embeddings = "e.h5";
  cfg.output = "o";
  cfg.pairs = "p";
  cfg.far_targets = "1e-3, x";
  EXPECT_THROW(cfg.validate(), ConfigError);
  cfg.far_targets = "1e-3,2";
  EXPECT_THROW(cfg.validate(), ConfigError);
  cfg.far_targets = "1e-4, 1e-3";
  EXPECT_EQ(cfg.far_target_values(), (std::vector<double>{1e-4, 1e-3}));
}

}  // namespace
}  // namespace fv::eval
