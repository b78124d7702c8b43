// fv-align on fv-synth faces against their ground truth: detection rate, landmark error normalised by the
// inter-ocular distance (NME), and alignment from ground-truth landmarks.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "align/align_config.h"
#include "align/align_run.h"
#include "face/face_template.h"
#include "face/similarity.h"
#include "support/temp_dir.h"
#include "synth/generator.h"
#include "synth/synth_config.h"

namespace fv {
namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  out.push_back(field);
  return out;
}

// Rows of a CSV file as column-name -> text maps.
std::vector<std::map<std::string, std::string>> read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  const auto header = split_csv(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const auto fields = split_csv(line);
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) row[header[i]] = fields[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

Landmarks5 ground_truth_points(const std::map<std::string, std::string>& row) {
  Landmarks5 p;
  for (int i = 0; i < 5; ++i) {
    p[i].x = std::stof(row.at("l5_" + std::to_string(i) + "_x"));
    p[i].y = std::stof(row.at("l5_" + std::to_string(i) + "_y"));
  }
  return p;
}

class SynthFaces : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    synth::SynthConfig s;
    s.output = (dir_->path() / "synth").string();
    s.identities = 20;
    s.images_per_identity = 3;
    s.threads = 2;
    s.validate();
    synth::generate(s, "test");
  }
  static void TearDownTestSuite() { delete dir_; }
  static testing::TempDir* dir_;
};
testing::TempDir* SynthFaces::dir_ = nullptr;

TEST_F(SynthFaces, DetectionRateAndLandmarkErrorOnGroundTruth) {
  AlignConfig c;
  c.input = (dir_->path() / "synth/images").string();
  c.output_dir = (dir_->path() / "aligned").string();
  c.progress = false;
  c.threads = 2;
  c.validate();
  run_align(c, "[test]\n", "0123456789abcdef");

  std::map<std::string, Landmarks5> truth;
  for (const auto& row : read_csv(dir_->path() / "synth/ground_truth.csv")) truth[row.at("path")] = ground_truth_points(row);
  int inputs = 0, found = 0;
  double nme_sum = 0;
  for (const auto& row : read_csv(dir_->path() / "aligned/manifest.csv")) {
    ++inputs;
    if (row.at("status") != "ok") continue;
    ++found;
    const std::string input = row.at("input");
    const Landmarks5& g = truth.at(input.substr(input.find("images/") + 7));
    const char* names[5] = {"le", "re", "no", "lm", "rm"};
    const double iod = std::hypot(g[0].x - g[1].x, g[0].y - g[1].y);
    double err = 0;
    for (int i = 0; i < 5; ++i) {
      err += std::hypot(std::stod(row.at(std::string(names[i]) + "_x")) - g[i].x,
                        std::stod(row.at(std::string(names[i]) + "_y")) - g[i].y);
    }
    nme_sum += err / 5 / iod;
  }
  ASSERT_EQ(inputs, 60);
  const double rate = static_cast<double>(found) / inputs, nme = nme_sum / std::max(found, 1);
  RecordProperty("detection_rate", std::to_string(rate));
  RecordProperty("nme", std::to_string(nme));
  std::printf("fv-synth 20x3: HOG detection rate %.3f, 5-point NME %.4f of the inter-ocular distance\n", rate, nme);
  // Measured 0.89 and 0.079 on 600 demo images; bounds leave room for this smaller sample.
  EXPECT_GE(rate, 0.75);
  EXPECT_LT(nme, 0.12);
}

// Largest and mean distance between the template's eyes and the ground-truth eyes mapped by the fit.
std::pair<double, double> eye_errors(const std::filesystem::path& csv, const std::vector<double>& weights) {
  const FaceTemplate arcface = builtin_template(TemplateKind::kArcface);
  double worst = 0, sum = 0;
  int n = 0;
  for (const auto& row : read_csv(csv)) {
    const Landmarks5 g = ground_truth_points(row);
    const auto m = fit_similarity(g, arcface.points, weights).matrix();
    for (int eye = 0; eye < 2; ++eye) {
      const double x = m[0] * g[eye].x + m[1] * g[eye].y + m[2];
      const double y = m[3] * g[eye].x + m[4] * g[eye].y + m[5];
      const double d = std::hypot(x - arcface.points[eye].x, y - arcface.points[eye].y);
      worst = std::max(worst, d);
      sum += d;
      ++n;
    }
  }
  return {worst, sum / n};
}

TEST_F(SynthFaces, AlignmentFromGroundTruthPutsTheEyesOnTheTemplate) {
  const auto csv = dir_->path() / "synth/ground_truth.csv";
  // Eye-only fit (align.weights = 1 1 0 0 0): two points determine a similarity, so the eyes land exactly.
  const auto [eyes_worst, eyes_mean_unused] = eye_errors(csv, {1, 1, 0, 0, 0});
  EXPECT_LT(eyes_worst, 1.0);
  (void)eyes_mean_unused;
  // The default 5-point fit (4 4 1 1 1) trades eye placement for nose and mouth: identities whose mouth sits
  // lower or wider than the template's cannot have both. Measured here and reported, not a pass criterion.
  const auto [def_worst, def_mean] = eye_errors(csv, {4, 4, 1, 1, 1});
  std::printf("eyes vs ArcFace template: eye-only fit largest %.4f px; default fit mean %.3f px, largest %.3f px\n",
              eyes_worst, def_mean, def_worst);
}

}  // namespace
}  // namespace fv
