// fv-synth end to end: determinism (seed, threads), the output tree and CSV layout, ground truth that
// matches the pixels (pupils at the eye centres, skin in the face box), and identity streams.
#include "synth/generator.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "synth/face_model.h"
#include "synth/face_renderer.h"
#include "synth/pairs.h"
#include "synth/rng.h"
#include "support/temp_dir.h"

namespace fv::synth {
namespace {

namespace fs = std::filesystem;

SynthConfig small(const fs::path& out, std::uint64_t seed, int threads) {
  SynthConfig c;
  c.output = out.string();
  c.identities = 20;
  c.images_per_identity = 2;
  c.width = 120;
  c.height = 110;
  c.seed = seed;
  c.threads = threads;
  return c;
}

// Every file under `root` (relative path -> bytes).
std::map<std::string, std::string> tree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) files[fs::relative(e.path(), root).string()] = read_file(e.path());
  return files;
}

std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::istringstream in(read_file(path));
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> t;
    std::istringstream fields(line);
    std::string tok;
    while (std::getline(fields, tok, ',')) t.push_back(tok);
    rows.push_back(t);
  }
  return rows;
}

TEST(SynthRng, UniformAndNormalHaveTheRightMoments) {
  Rng r(42);
  double su = 0, sn = 0, sn2 = 0, sf2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_TRUE(u >= 0 && u < 1);
    su += u;
    const double z = r.normal();
    sn += z;
    sn2 += z * z;
    const double f = r.fast_normal();
    sf2 += f * f;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.02);
  EXPECT_NEAR(sf2 / n, 1.0, 0.02);
  EXPECT_NE(derive_seed(1, 2, 3), derive_seed(1, 3, 2));
  EXPECT_NE(derive_seed(1, 2, 3), derive_seed(2, 2, 3));
}

TEST(SynthGenerator, SameSeedSameBytesWhateverTheThreads) {
  testing::TempDir dir;
  const auto a = generate(small(dir / "a", 5, 1), "hash");
  generate(small(dir / "b", 5, 2), "hash");
  EXPECT_EQ(a.images, 40);
  const auto ta = tree(dir / "a"), tb = tree(dir / "b");
  ASSERT_EQ(ta.size(), 40u + 3u);  // images + ground_truth.csv + pairs.txt + manifest.json
  ASSERT_EQ(ta.size(), tb.size());
  for (const auto& [path, bytes] : ta) {
    ASSERT_TRUE(tb.count(path)) << path;
    EXPECT_TRUE(bytes == tb.at(path)) << path << " differs between threads=1 and threads=2";
  }
  EXPECT_TRUE(ta.count("images/Synth_00001/Synth_00001_0001.jpg"));
  EXPECT_TRUE(ta.count("images/Synth_00020/Synth_00020_0002.jpg"));
  EXPECT_NE(ta.at("manifest.json").find("\"config_hash\": \"hash\""), std::string::npos);
}

TEST(SynthGenerator, OtherSeedOtherBytes) {
  testing::TempDir dir;
  generate(small(dir / "a", 5, 2), "h");
  generate(small(dir / "b", 6, 2), "h");
  const auto ta = tree(dir / "a"), tb = tree(dir / "b");
  int same = 0;
  for (const auto& [path, bytes] : ta) same += path.rfind("images/", 0) == 0 && bytes == tb.at(path);
  EXPECT_EQ(same, 0);
  EXPECT_NE(ta.at("ground_truth.csv"), tb.at("ground_truth.csv"));
  EXPECT_NE(ta.at("pairs.txt"), tb.at("pairs.txt"));
}

TEST(SynthGenerator, CsvLayoutAndImageSize) {
  testing::TempDir dir;
  const auto cfg = small(dir.path(), 3, 2);
  generate(cfg, "h");
  const auto rows = read_csv(dir / "ground_truth.csv");
  ASSERT_EQ(rows.size(), 41u);
  ASSERT_EQ(rows[0].size(), 7u + 10u + 136u);
  EXPECT_EQ(rows[0][0], "path");
  EXPECT_EQ(rows[0][7], "l5_0_x");
  EXPECT_EQ(rows[0][16], "l5_4_y");
  EXPECT_EQ(rows[0][17], "p0_x");
  EXPECT_EQ(rows[0].back(), "p67_y");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    ASSERT_EQ(r.size(), rows[0].size());
    const int label = static_cast<int>((i - 1) / 2);
    EXPECT_EQ(r[2], std::to_string(label));
    EXPECT_EQ(r[1], identity_name(label));
    EXPECT_EQ(r[0], identity_name(label) + "/" + identity_name(label) + "_000" + std::to_string((i - 1) % 2 + 1) + ".jpg");
    const cv::Mat img = cv::imread((dir / "images" / r[0]).string());
    ASSERT_FALSE(img.empty()) << r[0];
    EXPECT_EQ(img.cols, 120);
    EXPECT_EQ(img.rows, 110);
    // Box = bounding box of the 68 points; the 5 points lie inside it.
    const double bx = std::stod(r[3]), by = std::stod(r[4]), bw = std::stod(r[5]), bh = std::stod(r[6]);
    double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
    for (int p = 0; p < 68; ++p) {
      const double x = std::stod(r[17 + 2 * p]), y = std::stod(r[18 + 2 * p]);
      x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
    }
    EXPECT_NEAR(bx, x0, 0.002);
    EXPECT_NEAR(by, y0, 0.002);
    EXPECT_NEAR(bw, x1 - x0, 0.003);
    EXPECT_NEAR(bh, y1 - y0, 0.003);
    for (int p = 0; p < 5; ++p) {
      const double x = std::stod(r[7 + 2 * p]), y = std::stod(r[8 + 2 * p]);
      EXPECT_TRUE(x > bx && x < bx + bw && y > by && y < by + bh) << r[0] << " point " << p;
    }
    // 5-point order: left eye left of right eye, mouth corners likewise, eyes above the nose tip above the mouth.
    EXPECT_LT(std::stod(r[7]), std::stod(r[9]));
    EXPECT_LT(std::stod(r[13]), std::stod(r[15]));
  }
  // Every name in pairs.txt is an identity folder with enough images.
  std::istringstream pairs(read_file(dir / "pairs.txt"));
  std::string line;
  std::getline(pairs, line);
  EXPECT_EQ(line, "10\t" + std::to_string(resolve_pairs_per_fold(0, 20, 2)));
  while (std::getline(pairs, line)) {
    std::istringstream f(line);
    std::string name;
    f >> name;
    EXPECT_TRUE(fs::is_directory(dir / "images" / name)) << line;
  }
}

// Pupils (near black) are drawn centred on the recorded eye centres, through JPEG; the pixel on the cheek
// (between eye, mouth corner and jaw) has the identity's skin colour when lighting is flat.
TEST(SynthGroundTruth, PupilsAtEyeCentresSkinOnTheCheek) {
  SynthConfig cfg;
  cfg.output = "/unused";
  cfg.seed = 11;
  cfg.blur_max = 0;
  cfg.noise_max = 0;
  cfg.lighting = 0;  // flat shading: skin = identity colour x 0.95
  cfg.light_colour = 0;
  cfg.brightness = 0;
  cfg.beard_prob = 0;
  int checked = 0;
  for (int i = 0; i < 12; ++i) {
    const Identity id = make_identity(cfg, i);
    for (int k = 0; k < 3; ++k) {
      const Variation v = make_variation(cfg, id, k);
      const RenderedFace f = render_face(cfg, id, v);
      ASSERT_EQ(f.image.cols, 250);
      for (int e = 0; e < 2; ++e) {
        const cv::Vec3b px = f.image.at<cv::Vec3b>(static_cast<int>(std::lround(f.five[e].y)),
                                                     static_cast<int>(std::lround(f.five[e].x)));
        EXPECT_LT(std::max({px[0], px[1], px[2]}), 40) << "identity " << i << " image " << k << " eye " << e;
      }
      // Cheek: centroid of lower eyelid, mouth corner and jaw point on the side turned towards the camera
      // (positive yaw moves the nose to image-right and widens the image-left cheek).
      const bool left = v.yaw > 0;
      const Point2f a = f.points[left ? 41 : 46], b = f.points[left ? 48 : 54], j = f.points[left ? 2 : 14];
      const int cx = static_cast<int>(std::lround((a.x + b.x + j.x) / 3)), cy = static_cast<int>(std::lround((a.y + b.y + j.y) / 3));
      const cv::Vec3b cheek = f.image.at<cv::Vec3b>(cy, cx);
      for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(cheek[c], id.skin[c] * 0.95, 6.0) << "identity " << i << " image " << k << " channel " << c;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 36);
}

TEST(SynthGroundTruth, CsvEyeCentresAreDarkInTheJpegs) {
  testing::TempDir dir;
  auto cfg = small(dir.path(), 8, 2);
  cfg.width = cfg.height = 250;
  cfg.noise_max = 0;
  cfg.blur_max = 0;
  cfg.jpeg_quality_min = cfg.jpeg_quality_max = 95;
  generate(cfg, "h");
  const auto rows = read_csv(dir / "ground_truth.csv");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const cv::Mat g = cv::imread((dir / "images" / rows[i][0]).string(), cv::IMREAD_GRAYSCALE);
    for (int e = 0; e < 2; ++e) {
      const int x = static_cast<int>(std::lround(std::stod(rows[i][7 + 2 * e])));
      const int y = static_cast<int>(std::lround(std::stod(rows[i][8 + 2 * e])));
      EXPECT_LT(g.at<std::uint8_t>(y, x), 50) << rows[i][0] << " eye " << e;
    }
  }
}

TEST(SynthModel, IdentitiesAreFixedPerIndexAndDistinct) {
  SynthConfig cfg;
  const Identity a = make_identity(cfg, 3), b = make_identity(cfg, 3), c = make_identity(cfg, 4);
  double same = 0, diff = 0;
  for (int i = 0; i < 68; ++i) {
    same += std::fabs(a.shape[i].x - b.shape[i].x) + std::fabs(a.shape[i].y - b.shape[i].y);
    diff += std::fabs(a.shape[i].x - c.shape[i].x) + std::fabs(a.shape[i].y - c.shape[i].y);
  }
  EXPECT_EQ(same, 0.0);
  EXPECT_GT(diff / 68, 0.005);
  // The image variation does not change the identity's neutral shape, only the posed projection.
  const Variation v0 = make_variation(cfg, a, 0), v1 = make_variation(cfg, a, 1);
  EXPECT_NE(v0.yaw, v1.yaw);
  EXPECT_LE(std::fabs(v0.yaw), 25 * 3.14159265358979 / 180 + 1e-12);
}

}  // namespace
}  // namespace fv::synth
