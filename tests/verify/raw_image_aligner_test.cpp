// fv-verify's on-the-fly alignment (vision builds): alignment undoes a shift and a scale of the photo,
// a photo without a face is a DataError naming it, and 1:1 verification uses it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/atomic_file.h"
#include "core/error.h"
#include "dataset/preprocess.h"
#include "dataset/test_png.h"
#include "support/temp_dir.h"
#include "verify/raw_image_aligner.h"
#include "verify/verify_run.h"

namespace fv {
namespace {

constexpr const char* kAstronaut = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";

// The astronaut photo cropped at (x0, y0) to w x h and scaled by `scale`, written as PNG.
std::filesystem::path moved_astronaut(const testing::TempDir& dir, int x0, int y0, int w, int h, double scale) {
  const RgbImage src = read_image(kAstronaut);
  RgbImage crop;
  crop.width = w;
  crop.height = h;
  crop.pixels.resize(static_cast<std::size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    std::copy_n(src.pixels.data() + (static_cast<std::size_t>(y + y0) * src.width + x0) * 3, w * 3,
                crop.pixels.data() + static_cast<std::size_t>(y) * w * 3);
  }
  const RgbImage scaled = resize_bilinear(crop, static_cast<int>(w * scale), static_cast<int>(h * scale));
  const auto path = dir / "moved.png";
  write_file_atomic(path, testing::encode_png(scaled.width, scaled.height, scaled.pixels));
  return path;
}

double mean_abs_diff(const RgbImage& a, const RgbImage& b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  double s = 0;
  for (std::size_t i = 0; i < a.pixels.size(); ++i) s += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return s / static_cast<double>(a.pixels.size());
}

TEST(RawImageAligner, UndoesAShiftAndAScale) {
  ASSERT_TRUE(raw_alignment_available());
  testing::TempDir dir;
  RawAlignOptions o;
  o.model_width = 112;
  o.model_height = 112;
  o.face.upsample = 0;  // the astronaut's face is found without upsampling
  auto aligner = make_raw_image_aligner(o);
  const RgbImage a = aligner->align(kAstronaut);
  ASSERT_EQ(a.width, 112);
  ASSERT_EQ(a.height, 112);
  EXPECT_EQ(aligner->align(kAstronaut).pixels, a.pixels);  // deterministic

  // The same face, 60 px to the left and 30 px up in a 0.8x smaller photo.
  const auto moved = moved_astronaut(dir, 60, 30, 400, 400, 0.8);
  const RgbImage b = aligner->align(moved.string());
  const double aligned_diff = mean_abs_diff(a, b);
  // Without alignment (whole photos resized to 112x112) the two differ much more.
  const RgbImage plain_a = resize_bilinear(read_image(kAstronaut), 112, 112);
  const RgbImage plain_b = resize_bilinear(read_image(moved), 112, 112);
  const double plain_diff = mean_abs_diff(plain_a, plain_b);
  EXPECT_LT(aligned_diff, 15.0) << "aligned " << aligned_diff << " vs unaligned " << plain_diff;
  EXPECT_GT(plain_diff, 2 * aligned_diff) << "aligned " << aligned_diff << " vs unaligned " << plain_diff;
  std::printf("mean |difference| of the two photos: aligned %.2f, unaligned %.2f (of 255)\n", aligned_diff, plain_diff);
}

TEST(RawImageAligner, NoFaceIsADataErrorNamingTheFile) {
  testing::TempDir dir;
  const auto path = dir / "gradient.png";
  write_file_atomic(path, testing::make_png(120, 90, 0, 0, 128));
  RawAlignOptions o;
  o.face.no_face = NoFacePolicy::kPriorBox;  // the default would compare the centre crop (with a warning)
  auto aligner = make_raw_image_aligner(o);
  try {
    aligner->align(path.string());
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no face"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("prior box not used: "), std::string::npos) << e.what();
  }
  EXPECT_THROW(aligner->align((dir / "missing.png").string()), IoError);
}

TEST(RawImageAligner, VerifyPairAlignsRawPhotos) {
  testing::TempDir dir;
  VerifyConfig c;
  c.a = kAstronaut;
  c.b = moved_astronaut(dir, 60, 30, 400, 400, 0.8).string();
  c.embedder.pixel_width = 32;
  c.embedder.pixel_height = 32;
  c.embedder.pixel_grey = false;
  c.validate();
  const double plain = verify_pair(c).score;
  c.align = RawAlign::kAuto;
  c.face.upsample = 0;
  c.validate();
  const PairDecision aligned = verify_pair(c);
  EXPECT_GT(aligned.score, plain);
  EXPECT_GT(aligned.score, 0.97);  // raw pixels of the same aligned face, cosine similarity
}

}  // namespace
}  // namespace fv
