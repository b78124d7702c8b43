// Shared fixtures for the alignment tests: Debian's real photographs and generated malformed inputs.
#pragma once

#include <opencv2/core.hpp>

#include <filesystem>
#include <string>

namespace fv::testing {

// python3-skimage's astronaut.png (512x512, one frontal face) and opencv-doc's messi5.jpg (small face).
std::string astronaut_path();
std::string messi_path();
// Skips the calling test (GTEST_SKIP needs the test body) when false.
bool have_photos();

// A 250x250 crop of astronaut.png around the face (the benchmark / dataset test image).
cv::Mat astronaut_250();

// Writes `bgr` as a CMYK JPEG (Adobe inverted CMYK, K = 255) with libjpeg; false without libjpeg.
bool write_cmyk_jpeg(const std::filesystem::path& path, const cv::Mat& bgr);

}  // namespace fv::testing
