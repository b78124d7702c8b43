// The prior-box fallback: its geometry and plausibility checks, a blank photo and a dog rejected, a face
// cropped too tight for HOG aligned within 3 px; and, on the shared real photographs (skipped without
// ../shared/data/faces), the measured constants and the landmark error against dlib's reference XML.
#include "face/prior_box.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "support/temp_dir.h"
#include "face/align_face.h"
#include "face/image_io.h"
#include "face/test_images.h"

namespace fv {
namespace {

namespace fs = std::filesystem;

fs::path shared_faces() { return testing::source_dir().parent_path() / "shared/data/faces"; }

std::shared_ptr<const LandmarkPredictor> predictor() {
  static const auto p = LandmarkPredictor::create_dlib(find_landmark_model(""));
  return p;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? NAN : v[static_cast<std::size_t>(q * (v.size() - 1) + 0.5)];
}

// A face-shaped set of 68 points: every point at the mean of its 5-point neighbour, enough for the checks
// that look only at eyes, nose and mouth.
Landmarks68 shape_from(Point2f le, Point2f re, Point2f nose, Point2f lm, Point2f rm) {
  Landmarks68 p{};
  for (auto& q : p) q = nose;
  for (int i = 36; i < 42; ++i) p[i] = le;
  for (int i = 42; i < 48; ++i) p[i] = re;
  p[48] = lm;
  p[54] = rm;
  return p;
}

TEST(PriorBox, CentredBoxAndOverlap) {
  const FaceBox b = centred_prior_box(250, 200, 0.5);
  EXPECT_FLOAT_EQ(b.w, 100.f);
  EXPECT_FLOAT_EQ(b.h, 100.f);
  EXPECT_FLOAT_EQ(b.x, 75.f);
  EXPECT_FLOAT_EQ(b.y, 50.f);
  EXPECT_DOUBLE_EQ(box_iou(b, b), 1.0);
  FaceBox half = b;
  half.x += 50;  // overlaps half of it: 5000 / 15000
  EXPECT_NEAR(box_iou(b, half), 1.0 / 3, 1e-9);
  half.x += 100;
  EXPECT_EQ(box_iou(b, half), 0.0);
}

TEST(PriorBox, HogBoxFromLandmarksFollowsTheFace) {
  // Eyes 40 px apart at y = 100, mouth 44 px below: eye-to-mouth 44, side 2.4 x 42.
  const Landmarks68 p = shape_from({80, 100}, {120, 100}, {100, 125}, {85, 144}, {115, 144});
  const FaceBox b = hog_box_from_landmarks(p);
  EXPECT_NEAR(b.w, kHogBoxSide * (40 + 44) / 2, 1e-3);
  EXPECT_FLOAT_EQ(b.w, b.h);
  EXPECT_NEAR(b.x + b.w / 2, 100, 1e-3);
  EXPECT_NEAR(b.y + b.h / 2, 100 + kHogBoxCentre * 44, 1e-3);
}

TEST(PriorBox, ImplausibleLandmarksNameWhy) {
  const Landmarks68 face = shape_from({80, 100}, {120, 100}, {100, 125}, {85, 144}, {115, 144});
  EXPECT_EQ(implausible_landmarks(face, 200, 200), "");
  // Upside down: the mouth above the eyes (and the eye line turned 180 degrees).
  const Landmarks68 flipped = shape_from({120, 144}, {80, 144}, {100, 125}, {115, 100}, {85, 100});
  EXPECT_NE(implausible_landmarks(flipped, 200, 200), "");
  // Mouth beside the eyes rather than below them.
  const Landmarks68 sideways = shape_from({80, 100}, {120, 100}, {100, 105}, {140, 104}, {150, 104});
  EXPECT_NE(implausible_landmarks(sideways, 200, 200).find("mouth"), std::string::npos);
  // Eyes 4 px apart.
  const Landmarks68 tiny = shape_from({98, 100}, {102, 100}, {100, 102}, {99, 104}, {101, 104});
  EXPECT_NE(implausible_landmarks(tiny, 200, 200).find("eyes are 4.0 px"), std::string::npos);
  // A face far outside a 100x100 image.
  EXPECT_NE(implausible_landmarks(face, 60, 60).find("outside"), std::string::npos);
  // A stretched face: eye-to-mouth 3x the eye distance.
  const Landmarks68 long_face = shape_from({80, 100}, {120, 100}, {100, 150}, {95, 220}, {105, 220});
  EXPECT_NE(implausible_landmarks(long_face, 400, 400).find("eye-to-mouth"), std::string::npos);
  Landmarks68 nan_face = face;
  nan_face[3].x = NAN;
  EXPECT_NE(implausible_landmarks(nan_face, 200, 200).find("finite"), std::string::npos);
}

TEST(PriorBox, BlankPhotoIsNotAFace) {
  for (const int value : {0, 128, 255}) {
    const cv::Mat blank(250, 250, CV_8UC3, cv::Scalar::all(value));
    const PriorBoxFit fit = fit_landmarks_in_prior_box(blank, *predictor(), centred_prior_box(250, 250, 0.5));
    EXPECT_FALSE(fit.ok) << value;
    EXPECT_NE(fit.reason, "") << value;
  }
  // Noise: the same.
  cv::Mat noise(250, 250, CV_8UC3);
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(255));
  EXPECT_FALSE(fit_landmarks_in_prior_box(noise, *predictor(), centred_prior_box(250, 250, 0.5)).ok);
}

// The astronaut's face cut out at `box_scale` times its HOG box, resized to `width`, blurred by `sigma`;
// *to_crop maps photo pixels into it.
cv::Mat cut_face(const cv::Mat& photo, const FaceBox& box, float box_scale, int width, double sigma, cv::Matx23d* to_crop) {
  const float side = box.w * box_scale;
  const cv::Rect rect(static_cast<int>(box.x + box.w / 2 - side / 2), static_cast<int>(box.y + box.h / 2 - side / 2),
                      static_cast<int>(side), static_cast<int>(side));
  const double scale = static_cast<double>(width) / rect.width;
  *to_crop = cv::Matx23d(scale, 0, -rect.x * scale, 0, scale, -rect.y * scale);
  cv::Mat crop;
  cv::resize(photo(rect), crop, {width, width}, 0, 0, cv::INTER_AREA);
  if (sigma > 0) cv::GaussianBlur(crop, crop, {0, 0}, sigma);
  return crop;
}

class PriorBoxPhoto : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::have_photos()) GTEST_SKIP() << "python3-skimage photos not installed";
    photo_ = cv::imread(testing::astronaut_path(), cv::IMREAD_COLOR);
    ASSERT_FALSE(photo_.empty());
    const FaceAlignResult whole = align_face(photo_, context_);
    ASSERT_EQ(whole.status, FaceAlignStatus::kOk);
    face_ = whole.faces[0];
  }
  // Expects each eye of `found` (aligned from `crop`, which to_crop maps the photo into) within 3 px, in
  // 112x112 template pixels, of where the detection in the whole photo puts it.
  void expect_eyes_within_3px(const AlignedFace& found, const cv::Matx23d& to_crop) const {
    const double to_template = context_.target().points[kRightEye].x - context_.target().points[kLeftEye].x;
    const Landmarks5& ref = face_.landmarks;
    const double eye_distance =
        to_crop(0, 0) * std::hypot(ref[kRightEye].x - ref[kLeftEye].x, ref[kRightEye].y - ref[kLeftEye].y);
    for (int i : {kLeftEye, kRightEye}) {
      const cv::Vec2d expected = to_crop * cv::Vec3d(ref[i].x, ref[i].y, 1.0);
      const double err = std::hypot(found.landmarks[i].x - expected[0], found.landmarks[i].y - expected[1]);
      std::printf("eye %d: %.2f px from the whole photo's, in 112x112\n", i, err * to_template / eye_distance);
      EXPECT_LT(err * to_template / eye_distance, 3.0) << "eye " << i;
    }
  }

  cv::Mat photo_;
  FaceAlignContext context_ = FaceAlignContext::load(FaceAlignOptions{});
  AlignedFace face_;  // detected in the whole photo
};

// An out-of-focus face (1.6x its box, 150 px, Gaussian blur sigma 4): HOG finds nothing; the prior box
// aligns it with the eyes within 3 px (in 112x112) of where the detection in the sharp photo puts them.
// (dlib's HOG, with its five filters and its padding, still finds the sharp astronaut cut at 0.9x its box,
// resized to 80 px, in grey, or turned 35 degrees, so a tight crop alone does not make it fail.)
TEST_F(PriorBoxPhoto, BlurredFaceThatHogMissesAlignsWithinThreePixels) {
  cv::Matx23d to_crop;
  const cv::Mat crop = cut_face(photo_, face_.box, 1.6f, 150, 4.0, &to_crop);
  ASSERT_TRUE(context_.detector()->detect(crop).empty()) << "HOG finds the crop: it no longer tests the fallback";

  const FaceAlignResult r = align_face(crop, context_);
  ASSERT_EQ(r.status, FaceAlignStatus::kNoFace);
  ASSERT_EQ(r.faces.size(), 1u);
  ASSERT_EQ(r.faces[0].source, FaceSource::kPriorBox) << r.prior_box_rejected;
  EXPECT_STREQ(face_source_name(r.faces[0].source), "prior_box");
  expect_eyes_within_3px(r.faces[0], to_crop);
  // align.no_face = skip keeps the old behaviour: nothing.
  FaceAlignOptions skip;
  skip.no_face = NoFacePolicy::kSkip;
  FaceAlignContext skip_context = FaceAlignContext::load(skip);
  EXPECT_TRUE(align_face(crop, skip_context).faces.empty());
}

// A face cut tighter than its box (0.8x, 112 px) overflows the photo. The landmarks found in the prior box
// there are 13-19 px off (in 112x112) and the box-following check refuses them; detection on the photo with
// a replicated border finds the face instead, with the eyes within 3 px.
TEST_F(PriorBoxPhoto, FaceOverflowingThePhotoIsDetectedWithABorderNotMisaligned) {
  cv::Matx23d to_crop;
  const cv::Mat crop = cut_face(photo_, face_.box, 0.8f, 112, 0.0, &to_crop);
  ASSERT_TRUE(context_.detector()->detect(crop).empty());
  const PriorBoxFit fit =
      fit_landmarks_in_prior_box(crop, *context_.predictor(), centred_prior_box(crop.cols, crop.rows, 0.5));
  EXPECT_FALSE(fit.ok);
  EXPECT_NE(fit.reason.find("follow the box"), std::string::npos) << fit.reason;

  const FaceAlignResult r = align_face(crop, context_);
  ASSERT_EQ(r.status, FaceAlignStatus::kOk);
  EXPECT_TRUE(r.padded_detection);
  ASSERT_EQ(r.faces.size(), 1u);
  EXPECT_EQ(r.faces[0].source, FaceSource::kDetected);
  expect_eyes_within_3px(r.faces[0], to_crop);
}

// ---- Measurements on the shared real photographs ----

struct SharedFace {
  std::string path;
  FaceBox box;
  Landmarks68 points;
};

// Every HOG detection (upsample 0, the prominent face) in the shared identity sets.
std::vector<SharedFace> shared_detections(int* photos, int* undetected) {
  std::vector<SharedFace> out;
  FaceAlignContext context = FaceAlignContext::load(FaceAlignOptions{});
  for (const char* set : {"att_faces", "yalefaces", "deepface_testset", "face_recognition_examples", "faceapi_bbt",
                          "dlib_johns"}) {
    if (!fs::exists(shared_faces() / set)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(shared_faces() / set)) {
      if (e.is_regular_file() && e.path().filename() != "pairs.txt" && e.path().filename() != "README" &&
          e.path().extension() != ".txt") {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      const DecodedImage d = decode_image_file(f, DecodeLimits{});
      if (d.status != DecodeStatus::kOk) continue;
      ++*photos;
      std::vector<FaceBox> boxes = context.detector()->detect(d.bgr);
      if (boxes.empty()) {
        ++*undetected;
        continue;
      }
      const FaceBox b = choose_faces(boxes, MultiFacePolicy::kProminent, d.bgr.cols, d.bgr.rows)[0];
      out.push_back({f.string(), b, predictor()->predict(d.bgr, b)});
    }
  }
  return out;
}

TEST(PriorBoxMeasured, ConstantsMatchTheSharedPhotosHogDetections) {
  if (!fs::exists(shared_faces())) GTEST_SKIP() << shared_faces() << " is absent";
  int photos = 0, undetected = 0;
  const std::vector<SharedFace> faces = shared_detections(&photos, &undetected);
  ASSERT_GT(faces.size(), 300u);
  std::vector<double> centre, side, ratio, following;
  for (const SharedFace& f : faces) {
    const Landmarks5 p = five_from_68(f.points);
    const double ex = (p[kLeftEye].x + p[kRightEye].x) / 2, ey = (p[kLeftEye].y + p[kRightEye].y) / 2;
    const double mx = (p[kLeftMouth].x + p[kRightMouth].x) / 2, my = (p[kLeftMouth].y + p[kRightMouth].y) / 2;
    const double vx = mx - ex, vy = my - ey, d2 = vx * vx + vy * vy;
    const double eye = std::hypot(p[kRightEye].x - p[kLeftEye].x, p[kRightEye].y - p[kLeftEye].y);
    const double cx = f.box.x + f.box.w / 2 - ex, cy = f.box.y + f.box.h / 2 - ey;
    centre.push_back((cx * vx + cy * vy) / d2);
    side.push_back(f.box.w / ((eye + std::sqrt(d2)) / 2));
    ratio.push_back(std::sqrt(d2) / eye);
  }
  // box_following is 4 predictions per face: measure it on every 4th face.
  int n = 0;
  for (const SharedFace& f : faces) {
    if (n++ % 4) continue;
    const DecodedImage d = decode_image_file(f.path, DecodeLimits{});
    following.push_back(box_following(d.bgr, *predictor(), f.box, f.points));
    if (following.back() > kMaxBoxFollowing) std::printf("  following %.2f: %s\n", following.back(), f.path.c_str());
  }
  std::printf("%d photos, %d undetected, %zu HOG faces\n", photos, undetected, faces.size());
  auto line = [](const char* name, const std::vector<double>& v) {
    std::printf("%-28s p0.5 %.3f  p1 %.3f  p50 %.3f  p99 %.3f  p99.5 %.3f\n", name, percentile(v, 0.005),
                percentile(v, 0.01), percentile(v, 0.5), percentile(v, 0.99), percentile(v, 0.995));
  };
  line("box centre along eyes-mouth", centre);
  line("box side / mean(eye, e-m)", side);
  line("eye-to-mouth / eye", ratio);
  line("box following", following);
  EXPECT_NEAR(percentile(centre, 0.5), kHogBoxCentre, 0.03);
  EXPECT_NEAR(percentile(side, 0.5) / kHogBoxSide, 1.0, 0.03);
  EXPECT_GT(percentile(ratio, 0.005), 0.6);
  EXPECT_LT(percentile(ratio, 0.995), 1.8);
  EXPECT_LT(percentile(following, 0.99), kMaxBoxFollowing);
}

// dlib's reference XML (dlib_faces_landmarks/*_with_face_landmarks.xml): boxes and their 68 points.
struct ReferenceFace {
  std::string file;
  FaceBox box;
  Landmarks68 points;
};

std::vector<ReferenceFace> read_reference_xml(const fs::path& xml) {
  std::ifstream in(xml);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<ReferenceFace> out;
  const std::regex image_re("<image file='([^']+)'"), box_re("<box top='(-?\\d+)' left='(-?\\d+)' width='(\\d+)' height='(\\d+)'");
  const std::regex part_re("<part name='(\\d+)' x='(-?\\d+)' y='(-?\\d+)'/>");
  std::string file;
  std::istringstream lines(text);
  std::string l;
  std::smatch m;
  while (std::getline(lines, l)) {
    if (std::regex_search(l, m, image_re)) file = m[1];
    if (std::regex_search(l, m, box_re)) {
      ReferenceFace f;
      f.file = file;
      f.box = {std::stof(m[2]), std::stof(m[1]), std::stof(m[3]), std::stof(m[4])};
      out.push_back(f);
    }
    if (std::regex_search(l, m, part_re) && !out.empty()) {
      out.back().points[std::stoi(m[1])] = {std::stof(m[2]), std::stof(m[3])};
    }
  }
  return out;
}

// Normalised mean error (300-W: over the outer eye-corner distance, points 36 and 45).
double nme(const Landmarks68& a, const Landmarks68& ref) {
  double sum = 0;
  for (int i = 0; i < 68; ++i) sum += std::hypot(a[i].x - ref[i].x, a[i].y - ref[i].y);
  return sum / 68 / std::hypot(ref[45].x - ref[36].x, ref[45].y - ref[36].y);
}

TEST(PriorBoxMeasured, LandmarkErrorAgainstDlibsReferenceXml) {
  const fs::path dir = shared_faces() / "dlib_faces_landmarks";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is absent";
  std::vector<ReferenceFace> faces = read_reference_xml(dir / "testing_with_face_landmarks.xml");
  const std::vector<ReferenceFace> train = read_reference_xml(dir / "training_with_face_landmarks.xml");
  faces.insert(faces.end(), train.begin(), train.end());
  ASSERT_GE(faces.size(), 40u);
  // In the listed box; and from the centred prior box of crops around the face as tight as AT&T's (1.2x the
  // box) and as loose as LFW's (2.3x), the crops upscaled 2x (the reference faces are ~50 px).
  for (const double scale : {0.0, 1.3, 1.6, 2.3}) {
    std::vector<double> errors;
    int accepted = 0;
    for (const ReferenceFace& f : faces) {
      const cv::Mat photo = cv::imread((dir / f.file).string(), cv::IMREAD_COLOR);
      ASSERT_FALSE(photo.empty()) << f.file;
      if (scale == 0.0) {
        errors.push_back(nme(predictor()->predict(photo, f.box), f.points));
        ++accepted;
        continue;
      }
      const float side = f.box.w * scale;
      const float x0 = f.box.x + f.box.w / 2 - side / 2, y0 = f.box.y + f.box.h / 2 - side / 2;
      // Cut with a border (faces near the photo's edge), then double.
      cv::Mat padded;
      const int pad = static_cast<int>(side);
      cv::copyMakeBorder(photo, padded, pad, pad, pad, pad, cv::BORDER_REPLICATE);
      cv::Mat crop;
      cv::resize(padded(cv::Rect(static_cast<int>(x0) + pad, static_cast<int>(y0) + pad, static_cast<int>(side),
                                 static_cast<int>(side))),
                 crop, {}, 2.0, 2.0, cv::INTER_LINEAR);
      const double ox = static_cast<int>(x0), oy = static_cast<int>(y0);
      const PriorBoxFit fit = fit_landmarks_in_prior_box(crop, *predictor(), centred_prior_box(crop.cols, crop.rows, 0.5));
      if (!fit.ok) {
        std::printf("  %.1fx %s: %s\n", scale, f.file.c_str(), fit.reason.c_str());
        continue;
      }
      ++accepted;
      Landmarks68 back;
      for (int i = 0; i < 68; ++i) back[i] = {static_cast<float>(fit.points[i].x / 2 + ox), static_cast<float>(fit.points[i].y / 2 + oy)};
      errors.push_back(nme(back, f.points));
    }
    double mean = 0;
    for (double e : errors) mean += e / errors.size();
    std::printf("%s: %d of %zu faces kept, NME mean %.4f, median %.4f, max %.4f\n",
                scale == 0.0 ? "listed box           " : (scale < 1.4 ? "prior box, 1.3x crop " : scale < 2 ? "prior box, 1.6x crop " : "prior box, 2.3x crop "),
                accepted, faces.size(), mean, percentile(errors, 0.5), percentile(errors, 1.0));
    if (scale == 0.0) {
      EXPECT_LT(mean, 0.01);  // the XML's points are this model's own output in these boxes
    } else {
      // Measured: 38, 42 and 42 of 43 kept (the rejections are mostly the blurred faces of 2007_007763.jpg),
      // NME 0.026-0.028 (listed box: 0.003, the XML being this model's own output in these boxes).
      EXPECT_GE(accepted, static_cast<int>(faces.size() * 85 / 100));
      EXPECT_LT(mean, 0.04);
    }
  }
}

TEST(PriorBoxMeasured, DogsAreNotFaces) {
  const fs::path dogs = shared_faces() / "dlib_faces_landmarks/dogs.jpg";
  if (!fs::exists(dogs)) GTEST_SKIP() << dogs << " is absent";
  const cv::Mat photo = cv::imread(dogs.string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(photo.empty());
  const PriorBoxFit fit = fit_landmarks_in_prior_box(photo, *predictor(), centred_prior_box(photo.cols, photo.rows, 0.5));
  std::printf("dogs.jpg: box following %.3f: %s\n", fit.box_following, fit.reason.c_str());
  EXPECT_FALSE(fit.ok);
}

}  // namespace
}  // namespace fv
