// JPEG EXIF orientation: a photo stored rotated or mirrored with each orientation tag (1-8) decodes upright,
// with the tag in big- and little-endian TIFF; and the HOG detector finds the face at the same place in each.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <string>
#include <vector>

#include "face/face_detector.h"
#include "face/image_io.h"
#include "face/test_images.h"

namespace fv {
namespace {

// The stored pixels that orientation `o` displays as `upright` (EXIF 2.32, tag 0x0112): 1 as is, 2 mirrored,
// 3 rotated 180, 4 flipped, 5 transposed, 6 displayed rotated 90 clockwise, 7 transverse, 8 displayed
// rotated 90 counter-clockwise.
cv::Mat stored_for(const cv::Mat& upright, int o) {
  cv::Mat s;
  switch (o) {
    case 1: s = upright.clone(); break;
    case 2: cv::flip(upright, s, 1); break;
    case 3: cv::rotate(upright, s, cv::ROTATE_180); break;
    case 4: cv::flip(upright, s, 0); break;
    case 5: cv::transpose(upright, s); break;
    case 6: cv::rotate(upright, s, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    case 7: cv::transpose(upright, s); cv::rotate(s, s, cv::ROTATE_180); break;
    case 8: cv::rotate(upright, s, cv::ROTATE_90_CLOCKWISE); break;
  }
  return s;
}

// An APP1 "Exif" segment whose IFD0 holds one entry, the orientation (SHORT), in either byte order.
std::string exif_app1(int orientation, bool big_endian) {
  auto u16 = [&](unsigned v) {
    return big_endian ? std::string{char(v >> 8), char(v & 0xff)} : std::string{char(v & 0xff), char(v >> 8)};
  };
  auto u32 = [&](unsigned v) { return big_endian ? u16(v >> 16) + u16(v & 0xffff) : u16(v & 0xffff) + u16(v >> 16); };
  std::string tiff = big_endian ? "MM" : "II";
  tiff += u16(42) + u32(8);                              // TIFF header, IFD0 at offset 8
  tiff += u16(1);                                        // one entry
  tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0);  // Orientation, SHORT, count 1, value
  tiff += u32(0);                                        // no next IFD
  const std::string body = std::string("Exif\0\0", 6) + tiff;
  const unsigned length = static_cast<unsigned>(body.size() + 2);
  return std::string("\xff\xe1", 2) + char(length >> 8) + char(length & 0xff) + body;
}

// `bgr` as a JPEG (quality 95) with the EXIF orientation tag inserted right after SOI.
std::string jpeg_with_orientation(const cv::Mat& bgr, int orientation, bool big_endian) {
  std::vector<unsigned char> buf;
  EXPECT_TRUE(cv::imencode(".jpg", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, 95}));
  const std::string jpg(buf.begin(), buf.end());
  return jpg.substr(0, 2) + exif_app1(orientation, big_endian) + jpg.substr(2);
}

double mean_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size()) return 255;
  cv::Mat d;
  cv::absdiff(a, b, d);
  const cv::Scalar m = cv::mean(d);
  return (m[0] + m[1] + m[2]) / 3;
}

TEST(Exif, EveryOrientationDecodesUpright) {
  if (!testing::have_photos()) GTEST_SKIP() << "python3-skimage's astronaut.png is absent";
  // Not square, so that a missing 90-degree turn shows in the size too.
  const cv::Mat upright = cv::imread(testing::astronaut_path(), cv::IMREAD_COLOR)(cv::Rect(96, 0, 250, 190)).clone();
  auto detector = FaceDetector::create(DetectorOptions{});
  const auto upright_faces = detector->detect(upright);
  ASSERT_EQ(upright_faces.size(), 1u);
  for (int o = 1; o <= 8; ++o) {
    for (bool big_endian : {true, false}) {
      SCOPED_TRACE("orientation " + std::to_string(o) + (big_endian ? " MM" : " II"));
      const DecodedImage d = decode_image_bytes(jpeg_with_orientation(stored_for(upright, o), o, big_endian),
                                                DecodeLimits{});
      ASSERT_EQ(d.status, DecodeStatus::kOk) << d.detail;
      ASSERT_EQ(d.bgr.cols, 250);
      ASSERT_EQ(d.bgr.rows, 190);
      // JPEG re-encoding of rotated blocks costs ~1-2 levels; a wrong orientation costs tens.
      EXPECT_LT(mean_abs_diff(d.bgr, upright), 3.0);
      if (o != 1) {
        // Without the tag the stored pixels come out as stored: sideways, mirrored or upside down.
        const DecodedImage raw = decode_image_bytes(jpeg_with_orientation(stored_for(upright, o), 1, big_endian),
                                                    DecodeLimits{});
        EXPECT_GT(mean_abs_diff(raw.bgr, upright), 20.0);
      }
      const auto faces = detector->detect(d.bgr);
      ASSERT_EQ(faces.size(), 1u) << "HOG finds upright faces only";
      EXPECT_NEAR(faces[0].x, upright_faces[0].x, 4.0);
      EXPECT_NEAR(faces[0].y, upright_faces[0].y, 4.0);
    }
  }
}

}  // namespace
}  // namespace fv
