// align_face on real photos: the 5-point fit and dlib's exact chip, how each face was found, no face and
// several faces by policy, hints, and per-thread clones.
#include "face/align_face.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "face/dlib_chip.h"
#include "face/test_images.h"
#include "face/warp.h"

namespace fv {
namespace {

class AlignFaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::have_photos()) GTEST_SKIP() << "python3-skimage / opencv-doc photos not installed";
    photo_ = cv::imread(testing::astronaut_path(), cv::IMREAD_COLOR);
    ASSERT_FALSE(photo_.empty());
  }
  cv::Mat photo_;
};

TEST_F(AlignFaceTest, DetectedFaceIsTheWeightedFivePointFit) {
  FaceAlignContext context = FaceAlignContext::load(FaceAlignOptions{});
  const FaceAlignResult r = align_face(photo_, context);
  ASSERT_EQ(r.status, FaceAlignStatus::kOk);
  EXPECT_EQ(r.detections, 1);
  ASSERT_EQ(r.faces.size(), 1u);
  const AlignedFace& face = r.faces[0];
  EXPECT_EQ(face.source, FaceSource::kDetected);
  EXPECT_STREQ(face_source_name(face.source), "detected");
  EXPECT_TRUE(face.has_box);
  EXPECT_TRUE(face.has_landmarks);
  EXPECT_FALSE(face.dlib_chip);
  ASSERT_EQ(face.bgr.cols, 112);
  ASSERT_EQ(face.bgr.rows, 112);
  // The same as the warp of those points with align.weights' default (4 4 1 1 1), and the 68-point model's.
  const cv::Mat expected = warp_to_template(photo_, face.landmarks, context.target(), {4, 4, 1, 1, 1});
  EXPECT_EQ(cv::norm(face.bgr, expected, cv::NORM_INF), 0.0);
  const Landmarks5 five = five_from_68(context.predictor()->predict(photo_, face.box));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(five[i].x, face.landmarks[i].x);
    EXPECT_EQ(five[i].y, face.landmarks[i].y);
  }
}

TEST_F(AlignFaceTest, DlibChipTemplateUsesDlibsExactGeometry) {
  FaceAlignOptions o;
  o.template_kind = TemplateKind::kDlibChip;
  FaceAlignContext context = FaceAlignContext::load(o);
  const FaceAlignResult r = align_face(photo_, context);
  ASSERT_EQ(r.faces.size(), 1u);
  EXPECT_TRUE(r.faces[0].dlib_chip);
  const Landmarks68 points = context.predictor()->predict(photo_, r.faces[0].box);
  EXPECT_EQ(cv::norm(r.faces[0].bgr, warp_dlib_chip(photo_, points, 150), cv::NORM_INF), 0.0);
  // A non-square size has no dlib chip: the 5-point fit onto the scaled dlib_chip template.
  o.width = 150;
  o.height = 160;
  FaceAlignContext oblong = FaceAlignContext::load(o);
  const FaceAlignResult f = align_face(photo_, oblong);
  ASSERT_EQ(f.faces.size(), 1u);
  EXPECT_FALSE(f.faces[0].dlib_chip);
  EXPECT_EQ(f.faces[0].bgr.rows, 160);
}

TEST_F(AlignFaceTest, SizeFallsBackToTheCallersDefault) {
  FaceAlignOptions o;
  o.template_kind = TemplateKind::kSphereface;
  EXPECT_EQ(FaceAlignContext::load(o).target().width, 96);       // the template's own size
  EXPECT_EQ(FaceAlignContext::load(o, 48, 56).target().width, 48);  // e.g. fv-verify's model input
  o.width = 64;
  EXPECT_EQ(FaceAlignContext::load(o, 48, 56).target().width, 64);  // align.width wins
  EXPECT_EQ(FaceAlignContext::load(o, 48, 56).target().height, 56);
}

TEST_F(AlignFaceTest, NoFaceIsAResultAndTheCentreCropIsMarkedAsSuch) {
  const cv::Mat blank(200, 300, CV_8UC3, cv::Scalar(90, 90, 90));
  FaceAlignOptions o;
  // The default tries the prior box, refuses its points on a blank photo (saying why), then crops.
  FaceAlignContext by_default = FaceAlignContext::load(o);
  const FaceAlignResult fallback = align_face(blank, by_default);
  EXPECT_EQ(fallback.status, FaceAlignStatus::kNoFace);
  ASSERT_EQ(fallback.faces.size(), 1u);
  EXPECT_EQ(fallback.faces[0].source, FaceSource::kCenterCrop);
  EXPECT_NE(fallback.prior_box_rejected, "");
  o.no_face = NoFacePolicy::kSkip;
  FaceAlignContext skip = FaceAlignContext::load(o);
  const FaceAlignResult none = align_face(blank, skip);
  EXPECT_EQ(none.status, FaceAlignStatus::kNoFace);
  EXPECT_EQ(none.detections, 0);
  EXPECT_TRUE(none.faces.empty());
  EXPECT_EQ(none.prior_box_rejected, "");  // not tried
  o.no_face = NoFacePolicy::kCenterCrop;
  FaceAlignContext crop = FaceAlignContext::load(o);
  const FaceAlignResult cropped = align_face(blank, crop);
  EXPECT_EQ(cropped.status, FaceAlignStatus::kNoFace);
  ASSERT_EQ(cropped.faces.size(), 1u);
  EXPECT_EQ(cropped.faces[0].source, FaceSource::kCenterCrop);
  EXPECT_FALSE(cropped.faces[0].has_box);
  EXPECT_EQ(cv::norm(cropped.faces[0].bgr, center_crop(blank, 112, 112), cv::NORM_INF), 0.0);
  // detect.min_face drops the astronaut's ~180-px face.
  o.no_face = NoFacePolicy::kSkip;
  o.min_face = 400;
  FaceAlignContext big = FaceAlignContext::load(o);
  EXPECT_EQ(align_face(photo_, big).status, FaceAlignStatus::kNoFace);
}

TEST_F(AlignFaceTest, SeveralFacesByPolicy) {
  // Two copies of the astronaut's face, apart on a grey canvas.
  const cv::Mat face = testing::astronaut_250();
  cv::Mat two(260, 560, CV_8UC3, cv::Scalar::all(128));
  face.copyTo(two(cv::Rect(0, 5, 250, 250)));
  face.copyTo(two(cv::Rect(310, 5, 250, 250)));
  FaceAlignOptions o;
  o.policy = MultiFacePolicy::kReject;
  FaceAlignContext reject = FaceAlignContext::load(o);
  const FaceAlignResult r = align_face(two, reject);
  EXPECT_EQ(r.status, FaceAlignStatus::kSeveralFaces);
  EXPECT_EQ(r.detections, 2);
  EXPECT_TRUE(r.faces.empty());
  o.policy = MultiFacePolicy::kAll;
  FaceAlignContext all = FaceAlignContext::load(o);
  const FaceAlignResult a = align_face(two, all);
  ASSERT_EQ(a.faces.size(), 2u);
  EXPECT_LT(a.faces[0].box.x, a.faces[1].box.x);  // left to right
  // The same face 310 px apart (HOG's 8-px grid places the two boxes a little differently).
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(a.faces[1].landmarks[i].x - a.faces[0].landmarks[i].x, 310.0, 2.0) << i;
    EXPECT_NEAR(a.faces[1].landmarks[i].y, a.faces[0].landmarks[i].y, 2.0) << i;
  }
}

TEST_F(AlignFaceTest, HintsAreUsedInsteadOfTheDetector) {
  FaceAlignContext context(FaceAlignOptions{}, builtin_template(TemplateKind::kArcface), nullptr,
                           LandmarkPredictor::create_dlib(find_landmark_model("")));
  EXPECT_THROW(align_face(photo_, context), ConfigError);  // no detector, no hint
  FaceAlignContext detecting = FaceAlignContext::load(FaceAlignOptions{});
  const AlignedFace detected = align_face(photo_, detecting).faces.at(0);
  FaceHint box;
  box.has_box = true;
  box.box = detected.box;
  const FaceAlignResult from_box = align_face(photo_, context, box);
  ASSERT_EQ(from_box.faces.size(), 1u);
  EXPECT_EQ(from_box.faces[0].source, FaceSource::kGiven);
  EXPECT_EQ(cv::norm(from_box.faces[0].bgr, detected.bgr, cv::NORM_INF), 0.0);
  FaceHint points;
  points.has_landmarks = true;
  points.landmarks = detected.landmarks;
  const FaceAlignResult from_points = align_face(photo_, context, points);
  ASSERT_EQ(from_points.faces.size(), 1u);
  EXPECT_EQ(from_points.faces[0].source, FaceSource::kGiven);
  EXPECT_FALSE(from_points.faces[0].has_box);
  EXPECT_EQ(cv::norm(from_points.faces[0].bgr, detected.bgr, cv::NORM_INF), 0.0);
}

TEST_F(AlignFaceTest, ClonesShareTheLandmarkModelAndGiveTheSamePixels) {
  FaceAlignContext context = FaceAlignContext::load(FaceAlignOptions{});
  FaceAlignContext copy = context.clone();
  EXPECT_EQ(copy.predictor(), context.predictor());
  EXPECT_NE(copy.detector(), context.detector());
  EXPECT_EQ(cv::norm(align_face(photo_, copy).faces.at(0).bgr, align_face(photo_, context).faces.at(0).bgr,
                     cv::NORM_INF),
            0.0);
}

}  // namespace
}  // namespace fv
