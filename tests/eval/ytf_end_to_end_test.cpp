// fv-eval's YTF protocol end to end on a synthetic frame tree laid out as the database's aligned_images_DB:
// the frame ids are those fv-embed's image-folder source gives the files, the embeddings go through HDF5.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "formats/embedding_store.h"
#include "core/error.h"
#include "dataset/sample_source.h"
#include "eval/run_eval.h"
#include "eval/ytf.h"
#include "support/temp_dir.h"

namespace fv::eval {
namespace {

constexpr int kDim = 8;
constexpr int kPersons = 4;
constexpr int kVideos = 3;
// Frame numbers 95..104 cross from two to three digits, as YTF's do (aligned_detect_0.99.jpg is followed by
// aligned_detect_0.100.jpg); a plain string sort puts "100".."104" before "95".
constexpr int kFirstFrame = 95;
constexpr int kFrames = 10;

// <root>/aligned_images_DB/P<p>/<v>/aligned_detect_<v>.<k>.jpg, plus files that are no frame of a video: a
// picture beside the video folders and one in a sub-folder of a video. The files are empty: listing them is
// all the image-folder source does before decoding.
void make_tree(const std::filesystem::path& root) {
  const auto db = root / "aligned_images_DB";
  for (int p = 0; p < kPersons; ++p) {
    for (int v = 0; v < kVideos; ++v) {
      for (int k = kFirstFrame; k < kFirstFrame + kFrames; ++k) {
        testing::write_text(db / fmt::format("P{}/{}/aligned_detect_{}.{}.jpg", p, v, v, k), "");
      }
    }
    testing::write_text(db / fmt::format("P{}/portrait.jpg", p), "");
    testing::write_text(db / fmt::format("P{}/0/rejected/aligned_detect_0.1.jpg", p), "");
  }
}

// Person p's frames point along its own direction, except frames >= 100, which point the opposite way: only
// the first five frames in frame order (95..99) give a clean video feature.
EmbeddingSet embed_tree(const std::filesystem::path& input) {
  const auto source = open_image_folder(input);
  std::mt19937 rng(19);
  std::normal_distribution<float> normal;
  std::vector<std::vector<float>> direction(kPersons, std::vector<float>(kDim));
  for (auto& d : direction) {
    for (auto& x : d) x = normal(rng);
  }
  EmbeddingSet set;
  set.attributes.embedding_dim = kDim;
  set.attributes.model_hash = "synthetic";
  for (std::size_t i = 0; i < source->size(); ++i) {
    const std::string id = source->id(i);
    set.ids.push_back(id);
    const int p = id[id.find('P') + 1] - '0';
    const auto dot = id.rfind('.', id.size() - 5);  // before the frame number; none in "P0/portrait.jpg"
    const int frame = dot == std::string::npos ? 0 : std::stoi(id.substr(dot + 1));
    const float sign = frame >= 100 ? -1.0f : 1.0f;
    for (int j = 0; j < kDim; ++j) {
      set.embeddings.push_back(sign * direction[static_cast<std::size_t>(p)][static_cast<std::size_t>(j)] + 0.05f * normal(rng));
    }
  }
  return set;
}

// Two splits of four pairs each, in the published layout with its header.
void write_splits(const std::filesystem::path& file) {
  testing::write_text(file,
                      "split number, pair id, first name, second name, is same\r\n"
                      "1, 1, P0/0, P0/1, 1\r\n1, 2, P1/0, P1/2, 1\r\n1, 3, P0/2, P1/1, 0\r\n1, 4, P2/0, P3/1, 0\r\n"
                      "2, 1, P2/1, P2/2, 1\r\n2, 2, P3/0, P3/2, 1\r\n2, 3, P0/1, P2/0, 0\r\n2, 4, P1/0, P3/2, 0");
}

EvalConfig ytf_config(const testing::TempDir& dir, const std::filesystem::path& embeddings) {
  EvalConfig cfg;
  cfg.protocol = EvalProtocol::kYtf;
  cfg.embeddings = embeddings.string();
  cfg.pairs = (dir / "splits.txt").string();
  cfg.output = (dir / "out").string();
  cfg.folds = 2;
  cfg.ytf_frames = 5;
  cfg.plot = false;
  cfg.validate();
  return cfg;
}

TEST(YtfEndToEnd, FramesOfAnAlignedImagesDbTree) {
  testing::TempDir dir;
  make_tree(dir / "YouTubeFaces");
  write_splits(dir / "splits.txt");
  // fv-embed on the folder aligned_images_DB: ids "P0/0/aligned_detect_0.95.jpg".
  const EmbeddingSet set = embed_tree(dir / "YouTubeFaces/aligned_images_DB");
  ASSERT_EQ(set.ids.size(), static_cast<std::size_t>(kPersons * (kVideos * kFrames + 2)));
  write_embeddings(dir / "e.h5", set);

  // Video P0/0 is the mean of its frames 95..99, not of the first five ids in string order (100..104), and
  // neither the picture beside the video folders nor the one in a sub-folder is a frame.
  const YtfPairs ytf = parse_ytf_splits(dir / "splits.txt");
  const VideoFeatures five = ytf_video_features(ytf, set, 5, dir / "e.h5");
  const VideoFeatures all = ytf_video_features(ytf, set, 0, dir / "e.h5");
  ASSERT_EQ(ytf.videos[0], "P0/0");
  EXPECT_EQ(five.frames[0], 5);
  EXPECT_EQ(all.frames[0], kFrames);
  for (int j = 0; j < kDim; ++j) {
    double mean = 0;
    for (int k = kFirstFrame; k < 100; ++k) {
      const auto it = std::find(set.ids.begin(), set.ids.end(), fmt::format("P0/0/aligned_detect_0.{}.jpg", k));
      ASSERT_NE(it, set.ids.end());
      mean += set.row(it - set.ids.begin())[j];
    }
    EXPECT_FLOAT_EQ(five.features[static_cast<std::size_t>(j)], static_cast<float>(mean / 5)) << j;
  }

  const EvalReport r = run_eval(ytf_config(dir, dir / "e.h5"), "h", "");
  EXPECT_EQ(r.result.pairs, 8);
  EXPECT_EQ(r.result.positives, 4);
  EXPECT_DOUBLE_EQ(r.extra.at("videos"), 12.0);
  EXPECT_DOUBLE_EQ(r.result.auc, 1.0);
  EXPECT_DOUBLE_EQ(r.result.kfold->accuracy_mean, 1.0);
}

TEST(YtfEndToEnd, IdsUnderTheDatabaseFolderNeedTheIdPrefix) {
  testing::TempDir dir;
  make_tree(dir / "YouTubeFaces");
  write_splits(dir / "splits.txt");
  // fv-embed on the folder above: ids "aligned_images_DB/P0/0/aligned_detect_0.95.jpg".
  write_embeddings(dir / "e.h5", embed_tree(dir / "YouTubeFaces"));
  EvalConfig cfg = ytf_config(dir, dir / "e.h5");
  try {
    run_eval(cfg, "h", "");
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir / "splits.txt").string() + ":2: video 'P0/0' has no frame in the embeddings file '" +
                  (dir / "e.h5").string() + "' (ids 'P0/0/...'); its frames are under 'aligned_images_DB/P0/0/' (set "
                                            "eval.id_prefix to 'aligned_images_DB/')");
  }
  cfg.id_prefix = "aligned_images_DB/";
  const EvalReport r = run_eval(cfg, "h", "");
  EXPECT_EQ(r.result.pairs, 8);
  EXPECT_DOUBLE_EQ(r.result.auc, 1.0);
}

}  // namespace
}  // namespace fv::eval
