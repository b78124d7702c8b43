// Tests for header probing and bounded decoding: every malformed input gets its status, never a crash.
#include "face/image_io.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>

#include "face/test_images.h"
#include "core/atomic_file.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

std::string encode(const cv::Mat& m, const char* ext) {
  std::vector<unsigned char> buf;
  EXPECT_TRUE(cv::imencode(ext, m, buf));
  return std::string(buf.begin(), buf.end());
}

// A PNG whose IHDR claims 20000x20000 followed by nothing decodable: must be rejected before decoding.
std::string huge_png_header() {
  std::string s("\x89PNG\r\n\x1a\n", 8);
  s += std::string("\x00\x00\x00\x0dIHDR", 8);
  s += std::string("\x00\x00\x4e\x20\x00\x00\x4e\x20\x08\x02\x00\x00\x00", 13);
  s += std::string("\x00\x00\x00\x00", 4);  // CRC (not checked by the probe)
  return s;
}

TEST(ImageIo, ProbesHeadersOfCommonFormats) {
  const cv::Mat img(37, 53, CV_8UC3, cv::Scalar(10, 20, 30));
  for (const char* ext : {".jpg", ".png", ".bmp", ".ppm"}) {
    const ImageHeader h = probe_image_header(encode(img, ext));
    EXPECT_TRUE(h.known) << ext;
    EXPECT_EQ(h.width, 53) << ext;
    EXPECT_EQ(h.height, 37) << ext;
    EXPECT_FALSE(h.truncated) << ext;
  }
  const ImageHeader huge = probe_image_header(huge_png_header());
  EXPECT_EQ(huge.width, 20000);
  EXPECT_EQ(huge.height, 20000);
  EXPECT_FALSE(probe_image_header("hello world").known);
}

TEST(ImageIo, MalformedInputsGetTheirStatus) {
  DecodeLimits limits;
  limits.max_pixels = 50'000'000;
  limits.min_size = 32;
  const cv::Mat img(120, 100, CV_8UC3, cv::Scalar(10, 200, 30));
  const std::string jpg = encode(img, ".jpg");

  EXPECT_EQ(decode_image_bytes("", limits).status, DecodeStatus::kUnreadable);
  EXPECT_EQ(decode_image_bytes(jpg.substr(0, jpg.size() / 2), limits).status, DecodeStatus::kTruncated);
  EXPECT_EQ(decode_image_bytes(jpg.substr(0, jpg.size() - 2), limits).status, DecodeStatus::kTruncated);
  // Data appended after the end-of-image marker (as some phones do) is not truncation.
  EXPECT_EQ(decode_image_bytes(jpg + std::string(10000, '\x5a'), limits).status, DecodeStatus::kOk);
  // Progressive JPEGs have several scans; each must be walked to reach the end marker.
  std::vector<unsigned char> progressive;
  ASSERT_TRUE(cv::imencode(".jpg", img, progressive, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  const std::string prog(progressive.begin(), progressive.end());
  EXPECT_EQ(decode_image_bytes(prog, limits).status, DecodeStatus::kOk);
  EXPECT_EQ(decode_image_bytes(prog.substr(0, prog.size() * 3 / 4), limits).status, DecodeStatus::kTruncated);
  EXPECT_EQ(decode_image_bytes("this is a text file, not a JPEG\n", limits).status, DecodeStatus::kUnreadable);
  const std::string png = encode(img, ".png");
  EXPECT_EQ(decode_image_bytes(png.substr(0, png.size() / 2), limits).status, DecodeStatus::kUnreadable);
  const DecodedImage huge = decode_image_bytes(huge_png_header(), limits);
  EXPECT_EQ(huge.status, DecodeStatus::kTooLarge);
  EXPECT_NE(huge.detail.find("20000x20000"), std::string::npos) << huge.detail;
  EXPECT_EQ(decode_image_bytes(encode(cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(9)), ".png"), limits).status,
            DecodeStatus::kTooSmall);

  // Grayscale and 16-bit become 8-bit BGR.
  cv::Mat grey;
  cv::cvtColor(img, grey, cv::COLOR_BGR2GRAY);
  const DecodedImage g = decode_image_bytes(encode(grey, ".png"), limits);
  ASSERT_EQ(g.status, DecodeStatus::kOk);
  EXPECT_EQ(g.bgr.type(), CV_8UC3);
  cv::Mat deep;
  img.convertTo(deep, CV_16U, 257.0);
  const DecodedImage d = decode_image_bytes(encode(deep, ".png"), limits);
  ASSERT_EQ(d.status, DecodeStatus::kOk);
  EXPECT_EQ(d.bgr.type(), CV_8UC3);
  EXPECT_NEAR(d.bgr.at<cv::Vec3b>(5, 5)[1], 200, 1);

  const DecodedImage ok = decode_image_bytes(jpg, limits);
  ASSERT_EQ(ok.status, DecodeStatus::kOk);
  EXPECT_EQ(ok.bgr.cols, 100);
  EXPECT_EQ(ok.bgr.rows, 120);
}

TEST(ImageIo, FileLimitsAndMissingFiles) {
  testing::TempDir dir;
  DecodeLimits limits;
  EXPECT_EQ(decode_image_file(dir / "nope.jpg", limits).status, DecodeStatus::kMissing);
  write_file_atomic(dir / "empty.jpg", "");
  EXPECT_EQ(decode_image_file(dir / "empty.jpg", limits).status, DecodeStatus::kUnreadable);
  write_file_atomic(dir / "big.jpg", std::string(4096, 'x'));
  limits.max_file_bytes = 1000;
  EXPECT_EQ(decode_image_file(dir / "big.jpg", limits).status, DecodeStatus::kTooLarge);
}

TEST(ImageIo, CmykJpegDecodesToBgr) {
  testing::TempDir dir;
  const cv::Mat img(64, 48, CV_8UC3, cv::Scalar(40, 120, 220));
  if (!testing::write_cmyk_jpeg(dir / "cmyk.jpg", img)) GTEST_SKIP() << "libjpeg not available";
  const std::string bytes = read_file(dir / "cmyk.jpg");
  const DecodedImage d = decode_image_bytes(bytes, DecodeLimits{});
  ASSERT_EQ(d.status, DecodeStatus::kOk);
  EXPECT_EQ(d.bgr.type(), CV_8UC3);
  const cv::Vec3b p = d.bgr.at<cv::Vec3b>(30, 20);
  EXPECT_NEAR(p[0], 40, 6);
  EXPECT_NEAR(p[1], 120, 6);
  EXPECT_NEAR(p[2], 220, 6);
}

TEST(ImageIo, EncodesJpegAndPng) {
  const cv::Mat img(20, 30, CV_8UC3, cv::Scalar(1, 2, 3));
  const std::string png = encode_image(img, ImageFormat::kPng, 95, 3);
  const DecodedImage back = decode_image_bytes(png, DecodeLimits{1 << 20, 1 << 20, 1});
  ASSERT_EQ(back.status, DecodeStatus::kOk);
  EXPECT_EQ(cv::norm(back.bgr, img, cv::NORM_INF), 0.0);
  EXPECT_EQ(probe_image_header(encode_image(img, ImageFormat::kJpeg, 90, 3)).format, "jpeg");
}

}  // namespace
}  // namespace fv
