// Real photographs from Debian packages and generated malformed images for the alignment tests.
#include "face/test_images.h"

#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <vector>

#ifdef FV_TEST_HAVE_LIBJPEG
#include <jpeglib.h>
#endif

namespace fv::testing {

std::string astronaut_path() { return "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"; }
std::string messi_path() { return "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"; }

bool have_photos() {
  return std::filesystem::exists(astronaut_path()) && std::filesystem::exists(messi_path());
}

cv::Mat astronaut_250() {
  const cv::Mat img = cv::imread(astronaut_path(), cv::IMREAD_COLOR);
  if (img.empty()) return img;
  return img(cv::Rect(96, 0, 250, 250)).clone();
}

bool write_cmyk_jpeg(const std::filesystem::path& path, const cv::Mat& bgr) {
#ifdef FV_TEST_HAVE_LIBJPEG
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = bgr.cols;
  cinfo.image_height = bgr.rows;
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 90, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<unsigned char> row(bgr.cols * 4);
  while (cinfo.next_scanline < cinfo.image_height) {
    const auto* p = bgr.ptr<unsigned char>(cinfo.next_scanline);
    for (int x = 0; x < bgr.cols; ++x) {
      // Adobe-style CMYK as Photoshop writes it (stored inverted): with K = 255 the channels hold R, G, B.
      row[4 * x + 0] = p[3 * x + 2];
      row[4 * x + 1] = p[3 * x + 1];
      row[4 * x + 2] = p[3 * x + 0];
      row[4 * x + 3] = 255;
    }
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&cinfo, &r, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
  return true;
#else
  (void)path;
  (void)bgr;
  return false;
#endif
}

}  // namespace fv::testing
