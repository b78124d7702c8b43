// Image decoding: real photos against values from an independent decoder (scikit-image), every colour
// layout a dataset contains (grey, 16-bit, alpha, CMYK), and corrupt input rejected with the file named.
#include "core/image_codec.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <csetjmp>
#include <jpeglib.h>
#include <png.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace fv {
namespace {

const char* kAstronaut = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
const char* kMessi = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

std::vector<std::uint8_t> encode_jpeg(int w, int h, int components, J_COLOR_SPACE space,
                                      const std::vector<std::uint8_t>& pixels) {
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buffer, &size);
  c.image_width = w;
  c.image_height = h;
  c.input_components = components;
  c.in_color_space = space;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 100, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<std::uint8_t*>(pixels.data()) + c.next_scanline * w * components;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  std::vector<std::uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&c);
  std::free(buffer);
  return out;
}

std::vector<std::uint8_t> encode_png(int w, int h, png_uint_32 format, const void* pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = w;
  image.height = h;
  image.format = format;
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_to_memory(&image, nullptr, &size, 0, pixels, 0, nullptr));
  std::vector<std::uint8_t> out(size);
  EXPECT_TRUE(png_image_write_to_memory(&image, out.data(), &size, 0, pixels, 0, nullptr));
  out.resize(size);
  return out;
}

TEST(ImageCodec, AstronautPngMatchesScikitImage) {
  const RgbImage img = read_image(kAstronaut);
  ASSERT_EQ(img.width, 512);
  ASSERT_EQ(img.height, 512);
  auto px = [&](int y, int x, int c) { return img.pixels[(y * 512 + x) * 3 + c]; };
  EXPECT_EQ(px(100, 200, 0), 81);
  EXPECT_EQ(px(100, 200, 1), 57);
  EXPECT_EQ(px(100, 200, 2), 17);
  EXPECT_EQ(px(400, 50, 0), 234);
  std::int64_t sum = 0;
  for (auto v : img.pixels) sum += v;
  EXPECT_EQ(sum, 90124324);  // PNG is lossless: every pixel agrees
}

TEST(ImageCodec, MessiJpegMatchesScikitImageWithinIdctRounding) {
  const RgbImage img = read_image(kMessi);
  ASSERT_EQ(img.width, 548);
  ASSERT_EQ(img.height, 342);
  const std::uint8_t* p = &img.pixels[(100 * 548 + 200) * 3];
  EXPECT_NEAR(p[0], 70, 2);
  EXPECT_NEAR(p[1], 71, 2);
  EXPECT_NEAR(p[2], 66, 2);
  std::int64_t sum = 0;
  for (auto v : img.pixels) sum += v;
  EXPECT_NEAR(static_cast<double>(sum), 45096758.0, 45096758.0 * 1e-3);
}

TEST(ImageCodec, GreyJpegBecomesRgbWithEqualChannels) {
  std::vector<std::uint8_t> grey(16 * 8);
  for (size_t i = 0; i < grey.size(); ++i) grey[i] = static_cast<std::uint8_t>(i * 2);
  const auto bytes = encode_jpeg(16, 8, 1, JCS_GRAYSCALE, grey);
  const RgbImage img = decode_image(bytes.data(), bytes.size(), "grey.jpg");
  ASSERT_EQ(img.width, 16);
  ASSERT_EQ(img.height, 8);
  for (int i = 0; i < 16 * 8; ++i) {
    EXPECT_EQ(img.pixels[3 * i], img.pixels[3 * i + 1]);
    EXPECT_EQ(img.pixels[3 * i], img.pixels[3 * i + 2]);
    EXPECT_NEAR(img.pixels[3 * i], grey[i], 3);
  }
}

TEST(ImageCodec, CmykJpegIsConverted) {
  // Inverted (Adobe) CMYK of a flat colour: C=255,M=128,Y=0,K=255 -> RGB (255,128,0).
  std::vector<std::uint8_t> cmyk;
  for (int i = 0; i < 8 * 8; ++i) cmyk.insert(cmyk.end(), {255, 128, 0, 255});
  const auto bytes = encode_jpeg(8, 8, 4, JCS_CMYK, cmyk);
  const RgbImage img = decode_image(bytes.data(), bytes.size(), "cmyk.jpg");
  ASSERT_EQ(img.width, 8);
  EXPECT_NEAR(img.pixels[0], 255, 3);
  EXPECT_NEAR(img.pixels[1], 128, 3);
  EXPECT_NEAR(img.pixels[2], 0, 3);
}

TEST(ImageCodec, SixteenBitAndAlphaPng) {
  // PNG_FORMAT_LINEAR_RGB is 16-bit linear; the reader converts to 8-bit sRGB.
  std::vector<std::uint16_t> rgb16(4 * 4 * 3, 65535);
  const auto bytes16 = encode_png(4, 4, PNG_FORMAT_LINEAR_RGB, rgb16.data());
  const RgbImage white = decode_image(bytes16.data(), bytes16.size(), "16bit.png");
  ASSERT_EQ(white.width, 4);
  EXPECT_EQ(white.pixels[0], 255);

  std::vector<std::uint8_t> rgba(4 * 4 * 4);
  for (int i = 0; i < 16; ++i) {
    rgba[4 * i] = 200;
    rgba[4 * i + 3] = static_cast<std::uint8_t>(i < 8 ? 255 : 0);  // top half opaque, bottom transparent
  }
  const auto bytes = encode_png(4, 4, PNG_FORMAT_RGBA, rgba.data());
  const RgbImage img = decode_image(bytes.data(), bytes.size(), "alpha.png");
  EXPECT_EQ(img.pixels[0], 200);         // opaque pixel kept
  EXPECT_EQ(img.pixels[3 * 15], 0);      // transparent pixel composited on black
}

TEST(ImageCodec, ProbeReadsDimensionsWithoutDecoding) {
  const std::string bytes = read_file(kMessi);
  const ImageInfo info = probe_image(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "m");
  EXPECT_EQ(info.format, ImageFormat::kJpeg);
  EXPECT_EQ(info.width, 548);
  EXPECT_EQ(info.height, 342);
}

TEST(ImageCodec, OversizedImageIsRefusedBeforeDecoding) {
  const std::string bytes = read_file(kMessi);
  try {
    decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "big.jpg", 1000);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("big.jpg"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("548x342"), std::string::npos) << e.what();
  }
}

TEST(ImageCodec, CorruptInputNamesTheFile) {
  const std::string bytes = read_file(kMessi);
  const std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + bytes.size() / 2);
  try {
    decode_image(cut.data(), cut.size(), "truncated.jpg");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("'truncated.jpg': corrupt JPEG"), std::string::npos) << e.what();
  }
  const std::string text = "hello, I am not an image";
  EXPECT_THROW(decode_image(reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), "t.jpg"), FormatError);
  EXPECT_THROW(decode_image(nullptr, 0, "empty.jpg"), FormatError);
  const std::string png = read_file(kAstronaut);
  const std::vector<std::uint8_t> cut_png(png.begin(), png.begin() + 100);
  EXPECT_THROW(decode_image(cut_png.data(), cut_png.size(), "cut.png"), FormatError);
}

}  // namespace
}  // namespace fv
