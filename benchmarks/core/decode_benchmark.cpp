// Decoded images/s per core for the OpenCV-free JPEG decoder (the training/embedding input path).
#include <benchmark/benchmark.h>
#include <jpeglib.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/atomic_file.h"
#include "core/image_codec.h"

namespace {

// A 250x250 crop of messi5.jpg re-encoded at quality 90: the size of an LFW / aligned-dataset image.
std::vector<std::uint8_t> make_jpeg(int size, int quality) {
  const fv::RgbImage src = fv::read_image("/usr/share/doc/opencv-doc/examples/data/messi5.jpg");
  std::vector<std::uint8_t> crop(static_cast<size_t>(size) * size * 3);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      for (int c = 0; c < 3; ++c) {
        crop[(y * size + x) * 3 + c] = src.pixels[((y % src.height) * src.width + (x % src.width)) * 3 + c];
      }
    }
  }
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long length = 0;
  jpeg_mem_dest(&cinfo, &buffer, &length);
  cinfo.image_width = size;
  cinfo.image_height = size;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = crop.data() + cinfo.next_scanline * size * 3;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::vector<std::uint8_t> out(buffer, buffer + length);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

void BM_DecodeJpeg(benchmark::State& state) {
  const auto bytes = make_jpeg(static_cast<int>(state.range(0)), 90);
  for (auto _ : state) {
    auto img = fv::decode_image(bytes.data(), bytes.size(), "bench.jpg");
    benchmark::DoNotOptimize(img.pixels.data());
  }
  state.counters["img/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel("one thread per benchmark thread; hardware threads: " +
                 std::to_string(std::thread::hardware_concurrency()));
}
BENCHMARK(BM_DecodeJpeg)->Arg(112)->Arg(250)->ThreadRange(1, 2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
