// First-frame GIF decoding with giflib's record-level API, reading from memory.
#include "face/gif_decoder.h"

#include <gif_lib.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace fv {
namespace {

struct Source {
  const unsigned char* data;
  std::size_t size;
  std::size_t offset = 0;
};

// giflib's input callback: copies what is left, so a short count tells giflib the data ended.
int read_bytes(GifFileType* gif, GifByteType* out, int wanted) {
  auto* s = static_cast<Source*>(gif->UserData);
  const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(std::max(wanted, 0)), s->size - s->offset);
  std::memcpy(out, s->data + s->offset, n);
  s->offset += n;
  return static_cast<int>(n);
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};

// `source` tells whether giflib had read every byte when it failed: some of its paths (the LZW set-up after
// an image descriptor, the screen descriptor) report the end of the data as another error, or as none.
DecodedImage failure(int error, const char* what, const Source& source) {
  DecodedImage out;
  // A read past the end is a file cut short; anything else is malformed data.
  const bool truncated =
      error == D_GIF_ERR_READ_FAILED || error == D_GIF_ERR_EOF_TOO_SOON || source.offset >= source.size;
  out.status = truncated ? DecodeStatus::kTruncated : DecodeStatus::kUnreadable;
  const char* reason = GifErrorString(error);
  out.detail = fmt::format("GIF {}: {}", what, truncated ? "data ends before the first frame is complete"
                                                            : (reason ? reason : "unknown giflib error"));
  return out;
}

// Row order of an interlaced frame: passes start at rows 0, 4, 2, 1 with steps 8, 8, 4, 2.
std::vector<int> row_order(int height, bool interlaced) {
  std::vector<int> rows;
  rows.reserve(static_cast<std::size_t>(height));
  if (!interlaced) {
    for (int y = 0; y < height; ++y) rows.push_back(y);
    return rows;
  }
  const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
  for (int pass = 0; pass < 4; ++pass) {
    for (int y = start[pass]; y < height; y += step[pass]) rows.push_back(y);
  }
  return rows;
}

}  // namespace

DecodedImage decode_gif(std::string_view bytes, const DecodeLimits& limits) {
  Source source{reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()};
  int error = 0;
  std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&source, read_bytes, &error));
  // (giflib reports a screen descriptor or colour table cut short as a bad descriptor: the data is used up.)
  if (!gif) return failure(error, "header", source);
  int transparent = NO_TRANSPARENT_COLOR;
  for (;;) {
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR) return failure(gif->Error, "record", source);
    if (type == TERMINATE_RECORD_TYPE) {
      DecodedImage out;
      out.detail = "GIF holds no image";
      return out;
    }
    if (type == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* block = nullptr;
      if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) return failure(gif->Error, "extension", source);
      if (code == GRAPHICS_EXT_FUNC_CODE && block && block[0] >= 4) {
        GraphicsControlBlock gcb;
        if (DGifExtensionToGCB(block[0], block + 1, &gcb) == GIF_OK) transparent = gcb.TransparentColor;
      }
      while (block) {
        if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) return failure(gif->Error, "extension", source);
      }
      continue;
    }
    if (type != IMAGE_DESC_RECORD_TYPE) continue;
    if (DGifGetImageDesc(gif.get()) == GIF_ERROR) return failure(gif->Error, "image descriptor", source);
    const GifImageDesc& frame = gif->Image;
    const ColorMapObject* map = frame.ColorMap ? frame.ColorMap : gif->SColorMap;
    if (!map || map->ColorCount <= 0) return failure(D_GIF_ERR_NO_COLOR_MAP, "frame", source);
    DecodedImage out;
    const std::int64_t frame_pixels = std::int64_t(frame.Width) * frame.Height;
    // The canvas is the logical screen; an encoder that left it 0 gets the frame's extent.
    const int width = gif->SWidth > 0 ? gif->SWidth : frame.Left + frame.Width;
    const int height = gif->SHeight > 0 ? gif->SHeight : frame.Top + frame.Height;
    if (frame.Width <= 0 || frame.Height <= 0 || width <= 0 || height <= 0) {
      out.detail = fmt::format("GIF frame of {}x{} on a {}x{} screen", frame.Width, frame.Height, width, height);
      return out;
    }
    if (frame_pixels > limits.max_pixels || std::int64_t(width) * height > limits.max_pixels) {
      out.status = DecodeStatus::kTooLarge;
      out.detail = fmt::format("GIF frame {}x{} on a {}x{} screen exceeds input.max_pixels={}", frame.Width,
                               frame.Height, width, height, limits.max_pixels);
      return out;
    }
    cv::Mat bgr(height, width, CV_8UC3, cv::Scalar::all(0));
    std::vector<GifPixelType> line(static_cast<std::size_t>(frame.Width));
    for (const int row : row_order(frame.Height, frame.Interlace)) {
      if (DGifGetLine(gif.get(), line.data(), frame.Width) == GIF_ERROR) return failure(gif->Error, "frame", source);
      const int y = frame.Top + row;
      if (y < 0 || y >= height) continue;
      auto* dst = bgr.ptr<cv::Vec3b>(y);
      for (int i = 0; i < frame.Width; ++i) {
        const int x = frame.Left + i;
        const int index = line[static_cast<std::size_t>(i)];
        if (x < 0 || x >= width || index == transparent || index >= map->ColorCount) continue;
        const GifColorType& c = map->Colors[index];
        dst[x] = cv::Vec3b(c.Blue, c.Green, c.Red);
      }
    }
    out.status = DecodeStatus::kOk;
    out.bgr = bgr;
    return out;
  }
}

}  // namespace fv
