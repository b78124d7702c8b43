// The imported dlib face descriptor on real photos Debian ships: the same face (mirrored, cropped, rescaled,
// each re-detected and re-aligned with dlib's chip geometry) stays under dlib's same-person threshold of 0.6
// (Euclidean distance), two different people are above it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>

#include "align/face_detector.h"
#include "align/face_template.h"
#include "core/image_codec.h"
#include "dataset/preprocess.h"
#include "import/dlib_import.h"
#include "model/model_file.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

const char* kAstronaut = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
const char* kMessi = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";
constexpr double kSamePersonThreshold = 0.6;  // dlib dnn_face_recognition_ex.cpp

class DlibPhotoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto dir = testing::source_dir() / "third_party" / "face-api";
    if (!std::filesystem::exists(dir / "face_recognition_model.bin")) return;
    tmp_ = new testing::TempDir;
    DlibImportConfig config;
    config.manifest = (dir / "face_recognition_model-weights_manifest.json").string();
    config.weights = (dir / "face_recognition_model.bin").string();
    config.output = (*tmp_ / "dlib.fvm").string();
    import_dlib(config, "test");
    model_ = new LoadedModel(load_model_file(config.output));
    predictor_ = new std::shared_ptr<const LandmarkPredictor>(LandmarkPredictor::create_dlib(find_landmark_model("")));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete predictor_;
    delete tmp_;
    model_ = nullptr;
    predictor_ = nullptr;
    tmp_ = nullptr;
  }
  void SetUp() override {
    if (!model_) GTEST_SKIP() << "third_party/face-api is absent: run scripts/fetch-face-api.sh (install-deps.sh does)";
    if (!std::filesystem::exists(kAstronaut) || !std::filesystem::exists(kMessi))
      GTEST_SKIP() << kAstronaut << " or " << kMessi << " is absent (Debian python3-skimage, opencv-doc)";
  }

  // HOG detection (largest face), 68 landmarks, dlib's 150x150 chip with padding 0.25, descriptor.
  static torch::Tensor describe(const cv::Mat& bgr, int upsample) {
    DetectorOptions options;
    options.upsample = upsample;
    auto detector = FaceDetector::create(options);
    const auto boxes = detector->detect(bgr);
    EXPECT_FALSE(boxes.empty());
    if (boxes.empty()) return torch::zeros({128});
    FaceBox box = boxes[0];
    for (const auto& b : boxes) box = b.w * b.h > box.w * box.h ? b : box;
    const auto m = dlib_chip_transform((*predictor_)->predict(bgr, box)).matrix();
    const cv::Mat matrix = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
    cv::Mat chip, rgb;
    cv::warpAffine(bgr, chip, matrix, cv::Size(150, 150), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    cv::cvtColor(chip, rgb, cv::COLOR_BGR2RGB);
    RgbImage image;
    image.width = 150;
    image.height = 150;
    image.pixels.assign(rgb.data, rgb.data + 150 * 150 * 3);
    torch::Tensor input = torch::empty({1, 3, 150, 150});
    preprocess_into(image, model_->meta.preprocess, input.data_ptr<float>());
    torch::NoGradGuard no_grad;
    return model_->backbone->forward(input)[0];
  }

  static testing::TempDir* tmp_;
  static LoadedModel* model_;
  static std::shared_ptr<const LandmarkPredictor>* predictor_;
};

testing::TempDir* DlibPhotoTest::tmp_ = nullptr;
LoadedModel* DlibPhotoTest::model_ = nullptr;
std::shared_ptr<const LandmarkPredictor>* DlibPhotoTest::predictor_ = nullptr;

double distance(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).norm().item<double>(); }

TEST_F(DlibPhotoTest, SameFaceBelowThresholdDifferentPeopleAbove) {
  const cv::Mat astronaut = cv::imread(kAstronaut, cv::IMREAD_COLOR);
  const cv::Mat messi = cv::imread(kMessi, cv::IMREAD_COLOR);
  ASSERT_FALSE(astronaut.empty());
  ASSERT_FALSE(messi.empty());
  cv::Mat mirrored, smaller;
  cv::flip(astronaut, mirrored, 1);
  const cv::Mat cropped = astronaut(cv::Rect(40, 20, 400, 420)).clone();
  cv::resize(astronaut, smaller, cv::Size(), 0.6, 0.6, cv::INTER_AREA);

  const torch::Tensor a = describe(astronaut, 0);
  // A descriptor of dlib's model has norm close to 1 (it was trained with a 0.6 distance margin).
  EXPECT_GT(a.norm().item<double>(), 0.3);
  EXPECT_LT(a.norm().item<double>(), 1.5);
  const double d_mirror = distance(a, describe(mirrored, 0));
  const double d_crop = distance(a, describe(cropped, 0));
  const double d_small = distance(a, describe(smaller, 1));
  const double d_messi = distance(a, describe(messi, 1));  // Messi's ~37-px face needs one upsampling
  EXPECT_LT(d_mirror, kSamePersonThreshold);
  EXPECT_LT(d_crop, kSamePersonThreshold);
  EXPECT_LT(d_small, kSamePersonThreshold);
  EXPECT_GT(d_messi, kSamePersonThreshold);
  std::cout << "astronaut vs mirrored " << d_mirror << ", cropped " << d_crop << ", 0.6x " << d_small
            << "; vs messi5 " << d_messi << "\n";
}

}  // namespace
}  // namespace fv
