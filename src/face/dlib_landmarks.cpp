// dlib's 68-point shape predictor behind the LandmarkPredictor interface, and where its model is found.
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/check.h"
#include "face/landmark_predictor.h"

namespace fv {
namespace {

class DlibLandmarks final : public LandmarkPredictor {
 public:
  explicit DlibLandmarks(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    FV_CHECK(in.good(), IoError, "cannot open the landmark model '{}'", path);
    try {
      dlib::deserialize(model_, in);
    } catch (const dlib::serialization_error& e) {
      throw FormatError(fmt::format("'{}' is not a dlib shape predictor: {}", path, e.what()));
    }
    FV_CHECK_EQ(model_.num_parts(), 68ul, FormatError, "'{}' must be a 68-point model", path);
  }

  Landmarks68 predict(const cv::Mat& bgr, const FaceBox& box) const override {
    const dlib::cv_image<dlib::bgr_pixel> img(bgr);
    const dlib::rectangle r(static_cast<long>(std::lround(box.x)), static_cast<long>(std::lround(box.y)),
                            static_cast<long>(std::lround(box.x + box.w)) - 1,
                            static_cast<long>(std::lround(box.y + box.h)) - 1);
    const dlib::full_object_detection shape = model_(img, r);
    Landmarks68 out;
    for (unsigned long i = 0; i < 68; ++i) {
      out[i] = {static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y())};
    }
    return out;
  }

 private:
  dlib::shape_predictor model_;
};

}  // namespace

std::shared_ptr<const LandmarkPredictor> LandmarkPredictor::create_dlib(const std::string& path) {
  return std::make_shared<DlibLandmarks>(path);
}

std::string find_landmark_model(const std::string& configured) {
  namespace fs = std::filesystem;
  if (!configured.empty()) {
    FV_CHECK(fs::is_regular_file(configured), ConfigError, "landmarks.model: '{}' does not exist", configured);
    return configured;
  }
  std::vector<std::string> places;
  if (const char* env = std::getenv("FV_DLIB_LANDMARKS")) places.emplace_back(env);
  places.emplace_back("/usr/share/dlib/shape_predictor_68_face_landmarks.dat");
  places.emplace_back("/usr/local/share/dlib/shape_predictor_68_face_landmarks.dat");
  for (const auto& p : places) {
    if (fs::is_regular_file(p)) return p;
  }
  std::string list;
  for (const auto& p : places) list += "\n  " + p;
  throw ConfigError(fmt::format(
      "no 68-point landmark model found; install Debian's libdlib-data or set landmarks.model. Searched:{}", list));
}

}  // namespace fv
