// GIF input through giflib: first frames, interlacing, transparency, frames smaller than the screen, and
// every truncation of a file gets a status (never a crash); a Yale face GIF aligns.
#include <gtest/gtest.h>

#include <gif_lib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "face/align_face.h"
#include "face/image_io.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

struct Frame {
  int left = 0, top = 0, width = 0, height = 0;
  bool interlace = false;
  int transparent = NO_TRANSPARENT_COLOR;
  std::vector<GifPixelType> pixels;  // width * height palette indices, row-major
};

int append(GifFileType* gif, const GifByteType* data, int n) {
  static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  return n;
}

// Palette entry i: (R, G, B) = (i, 255 - i, (7 * i) % 256).
GifColorType palette_color(int i) {
  return {static_cast<GifByteType>(i), static_cast<GifByteType>(255 - i), static_cast<GifByteType>((7 * i) % 256)};
}

// A GIF89a with a 256-colour global palette (palette_color) and the given frames, written with giflib's encoder.
std::string make_gif(int width, int height, const std::vector<Frame>& frames) {
  std::string out;
  int error = 0;
  GifFileType* gif = EGifOpen(&out, append, &error);
  EXPECT_NE(gif, nullptr) << GifErrorString(error);
  EGifSetGifVersion(gif, true);
  ColorMapObject* map = GifMakeMapObject(256, nullptr);
  for (int i = 0; i < 256; ++i) map->Colors[i] = palette_color(i);
  EXPECT_EQ(EGifPutScreenDesc(gif, width, height, 8, 0, map), GIF_OK);
  GifFreeMapObject(map);
  for (const Frame& f : frames) {
    GraphicsControlBlock gcb{};
    gcb.DisposalMode = DISPOSAL_UNSPECIFIED;
    gcb.DelayTime = 10;
    gcb.TransparentColor = f.transparent;
    GifByteType ext[4];
    const std::size_t n = EGifGCBToExtension(&gcb, ext);
    EXPECT_EQ(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(n), ext), GIF_OK);
    EXPECT_EQ(EGifPutImageDesc(gif, f.left, f.top, f.width, f.height, f.interlace, nullptr), GIF_OK);
    // giflib's encoder takes an interlaced frame's rows in transmission order (passes from rows 0, 4, 2, 1).
    std::vector<int> rows;
    if (f.interlace) {
      const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
      for (int pass = 0; pass < 4; ++pass) {
        for (int y = start[pass]; y < f.height; y += step[pass]) rows.push_back(y);
      }
    } else {
      for (int y = 0; y < f.height; ++y) rows.push_back(y);
    }
    for (int y : rows) {
      EXPECT_EQ(EGifPutLine(gif, const_cast<GifPixelType*>(f.pixels.data()) + y * f.width, f.width), GIF_OK);
    }
  }
  EXPECT_EQ(EGifCloseFile(gif, &error), GIF_OK) << GifErrorString(error);
  return out;
}

Frame filled(int width, int height, int index) {
  Frame f;
  f.width = width;
  f.height = height;
  f.pixels.assign(static_cast<std::size_t>(width) * height, static_cast<GifPixelType>(index));
  return f;
}

cv::Vec3b bgr_of(int index) {
  const GifColorType c = palette_color(index);
  return {c.Blue, c.Green, c.Red};
}

TEST(Gif, AnimatedGifGivesItsFirstFrame) {
  const std::string gif = make_gif(48, 40, {filled(48, 40, 10), filled(48, 40, 200), filled(48, 40, 77)});
  const DecodedImage d = decode_image_bytes(gif, DecodeLimits{});
  ASSERT_EQ(d.status, DecodeStatus::kOk) << d.detail;
  ASSERT_EQ(d.bgr.type(), CV_8UC3);
  EXPECT_EQ(d.bgr.cols, 48);
  EXPECT_EQ(d.bgr.rows, 40);
  for (int y : {0, 17, 39}) {
    for (int x : {0, 30, 47}) EXPECT_EQ(d.bgr.at<cv::Vec3b>(y, x), bgr_of(10)) << x << "," << y;
  }
}

TEST(Gif, InterlacedRowsComeOutInPlace) {
  Frame f = filled(36, 45, 0);
  f.interlace = true;
  for (int y = 0; y < f.height; ++y) {
    for (int x = 0; x < f.width; ++x) f.pixels[static_cast<std::size_t>(y * f.width + x)] = static_cast<GifPixelType>(3 * y + (x % 2));
  }
  const DecodedImage d = decode_image_bytes(make_gif(36, 45, {f}), DecodeLimits{});
  ASSERT_EQ(d.status, DecodeStatus::kOk) << d.detail;
  for (int y = 0; y < 45; ++y) {
    EXPECT_EQ(d.bgr.at<cv::Vec3b>(y, 4), bgr_of(3 * y)) << "row " << y;
    EXPECT_EQ(d.bgr.at<cv::Vec3b>(y, 5), bgr_of(3 * y + 1)) << "row " << y;
  }
}

TEST(Gif, FrameSmallerThanTheScreenAndTransparentPixelsAreBlack) {
  Frame f = filled(20, 10, 50);
  f.left = 7;
  f.top = 5;
  f.transparent = 99;
  f.pixels[3] = 99;  // row 0 (canvas row 5), column 3 (canvas column 10)
  const DecodedImage d = decode_image_bytes(make_gif(40, 36, {f}), DecodeLimits{});
  ASSERT_EQ(d.status, DecodeStatus::kOk) << d.detail;
  ASSERT_EQ(d.bgr.cols, 40);
  ASSERT_EQ(d.bgr.rows, 36);
  EXPECT_EQ(d.bgr.at<cv::Vec3b>(5, 7), bgr_of(50));
  EXPECT_EQ(d.bgr.at<cv::Vec3b>(14, 26), bgr_of(50));
  EXPECT_EQ(d.bgr.at<cv::Vec3b>(5, 10), cv::Vec3b(0, 0, 0));   // transparent
  EXPECT_EQ(d.bgr.at<cv::Vec3b>(4, 7), cv::Vec3b(0, 0, 0));    // above the frame
  EXPECT_EQ(d.bgr.at<cv::Vec3b>(15, 27), cv::Vec3b(0, 0, 0));  // below and right of it
}

TEST(Gif, EveryTruncationGetsAStatusNeverACrash) {
  Frame f = filled(40, 40, 0);
  for (std::size_t i = 0; i < f.pixels.size(); ++i) f.pixels[i] = static_cast<GifPixelType>((i * 31) % 251);
  const std::string gif = make_gif(40, 40, {f, filled(40, 40, 5)});
  const std::string single = make_gif(40, 40, {f});
  // The single-frame file: its first frame's data ends 2 bytes before the end (block terminator 0, trailer ';').
  for (std::size_t n = 0; n < single.size(); ++n) {
    const DecodedImage d = decode_image_bytes(std::string_view(single).substr(0, n), DecodeLimits{});
    if (n < 10) {
      EXPECT_EQ(d.status, DecodeStatus::kUnreadable) << n;  // too short to be recognised as a GIF
    } else if (n + 1 < single.size()) {
      EXPECT_EQ(d.status, DecodeStatus::kTruncated) << n << " of " << single.size() << ": " << d.detail;
    } else {
      EXPECT_EQ(d.status, DecodeStatus::kOk) << "only the trailer missing: " << d.detail;
    }
  }
  // The animated file cut inside its second frame still gives the complete first frame.
  const DecodedImage cut = decode_image_bytes(std::string_view(gif).substr(0, gif.size() - 20), DecodeLimits{});
  EXPECT_EQ(cut.status, DecodeStatus::kOk) << cut.detail;
  const DecodedImage half = decode_image_bytes(std::string_view(single).substr(0, single.size() / 2), DecodeLimits{});
  EXPECT_NE(half.detail.find("GIF"), std::string::npos) << half.detail;
  EXPECT_NE(half.detail.find("ends before"), std::string::npos) << half.detail;
}

TEST(Gif, MalformedAndOversizedGifs) {
  std::string gif = make_gif(40, 40, {filled(40, 40, 1)});
  std::string no_image = gif.substr(0, 13 + 768) + ";";  // header, palette, trailer
  const DecodedImage empty = decode_image_bytes(no_image, DecodeLimits{});
  EXPECT_EQ(empty.status, DecodeStatus::kUnreadable);
  EXPECT_NE(empty.detail.find("no image"), std::string::npos) << empty.detail;
  std::string garbage = gif;
  garbage[13 + 768] = '\x7f';  // an unknown record type where the first extension should start
  EXPECT_EQ(decode_image_bytes(garbage, DecodeLimits{}).status, DecodeStatus::kUnreadable);
  DecodeLimits small;
  small.max_pixels = 1000;
  EXPECT_EQ(decode_image_bytes(gif, small).status, DecodeStatus::kTooLarge);
  // A screen of 20x20 is below the default input.min_size of 32.
  EXPECT_EQ(decode_image_bytes(make_gif(20, 20, {filled(20, 20, 1)}), DecodeLimits{}).status, DecodeStatus::kTooSmall);
}

TEST(Gif, FromAFileByItsHeaderWhateverItsName) {
  testing::TempDir dir;
  const std::string gif = make_gif(40, 40, {filled(40, 40, 9)});
  for (const char* name : {"a.gif", "subject01.happy"}) {
    testing::write_text(dir / name, gif);
    const DecodedImage d = decode_image_file(dir / name, DecodeLimits{});
    ASSERT_EQ(d.status, DecodeStatus::kOk) << name << ": " << d.detail;
    EXPECT_EQ(d.bgr.at<cv::Vec3b>(3, 3), bgr_of(9));
  }
}

// The Yale face set (/work/shared/data/faces/yalefaces, 320x243 grey GIFs) aligns.
TEST(Gif, YaleFaceGifAligns) {
  const auto path = testing::source_dir().parent_path() / "shared/data/faces/yalefaces/subject01/subject01.normal.gif";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is absent";
  const DecodedImage d = decode_image_file(path, DecodeLimits{});
  ASSERT_EQ(d.status, DecodeStatus::kOk) << d.detail;
  EXPECT_EQ(d.bgr.cols, 320);
  EXPECT_EQ(d.bgr.rows, 243);
  FaceAlignContext context = FaceAlignContext::load(FaceAlignOptions{});
  const FaceAlignResult r = align_face(d.bgr, context);
  ASSERT_EQ(r.status, FaceAlignStatus::kOk);
  ASSERT_EQ(r.faces.size(), 1u);
  EXPECT_EQ(r.faces[0].source, FaceSource::kDetected);
  EXPECT_EQ(r.faces[0].bgr.cols, 112);
  // The eyes lie in the upper half of the photo and the face is about frontal: the eye line is level.
  const Landmarks5& p = r.faces[0].landmarks;
  EXPECT_LT(p[kLeftEye].x, p[kRightEye].x);
  EXPECT_NEAR(p[kLeftEye].y, p[kRightEye].y, 10.0);
}

}  // namespace
}  // namespace fv
