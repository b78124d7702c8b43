// Internal to fv_verify: the OpenCV/dlib half of raw_image_aligner, kept in its own translation unit because
// the align headers and core/image_codec.h both declare fv::ImageFormat and cannot meet in one file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fv::vision {

class FaceWarper {
 public:
  virtual ~FaceWarper() = default;
  // Decodes the photo at `path` (throws IoError/FormatError naming it), detects faces, keeps the largest,
  // fits 68 landmarks and warps to the template. Returns false when no face is found; else fills an RGB image.
  virtual bool align(const std::string& path, int* width, int* height, std::vector<std::uint8_t>* rgb) = 0;
  // templ: 0 arcface, 1 sphereface, 2 dlib_chip. Throws as FaceDetector::create / LandmarkPredictor::create_dlib.
  static std::unique_ptr<FaceWarper> create(int templ, int upsample, const std::string& landmark_model, int width,
                                            int height);
};

}  // namespace fv::vision
