// Decoded images/s, total and per thread, for the OpenCV-free JPEG path of the training/embedding input:
// decode_image (libjpeg-turbo) alone, and decode + preprocess_into (what BatchLoader does per sample).
//
// Run: build/bin/fv_bench_decode [--benchmark_filter=...] [--benchmark_out=x.json --benchmark_out_format=json]
// Thread counts 1..available cores (google-benchmark threads, each decoding its own copy of the record).
// Counters: img/s = all threads together; img/s/thread = per decoding thread (= per core when threads <= cores).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "common/bench_images.h"
#include "common/machine_context.h"
#include "core/runtime.h"
#include "dataset/preprocess.h"

namespace {

std::vector<std::uint8_t> jpeg_bytes(int size) {
  const std::string s = fv::bench::encode_jpeg(fv::bench::bench_image(size), 90);
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

void set_counters(benchmark::State& state, std::size_t jpeg_size) {
  const auto n = static_cast<double>(state.iterations());
  state.counters["img/s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["img/s/thread"] = benchmark::Counter(n, benchmark::Counter::kIsRate | benchmark::Counter::kAvgThreads);
  state.counters["jpeg_bytes"] = benchmark::Counter(static_cast<double>(jpeg_size), benchmark::Counter::kAvgThreads);
}

// Quality 90 JPEG of size x size (112: an aligned face record; 250: an LFW-sized image) -> RGB.
void BM_DecodeJpeg(benchmark::State& state) {
  const auto bytes = jpeg_bytes(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto img = fv::decode_image(bytes.data(), bytes.size(), "bench.jpg");
    benchmark::DoNotOptimize(img.pixels.data());
  }
  set_counters(state, bytes.size());
}

// Decode + resize to 112x112 + normalise into a float CHW buffer (+ flip every other sample): one loader sample.
void BM_DecodePreprocess(benchmark::State& state) {
  const auto bytes = jpeg_bytes(static_cast<int>(state.range(0)));
  const fv::PreprocessOptions options;  // 112x112x3, (x - 127.5) / 127.5
  std::vector<float> out(static_cast<std::size_t>(options.channels) * options.height * options.width);
  bool flip = false;
  for (auto _ : state) {
    const auto img = fv::decode_image(bytes.data(), bytes.size(), "bench.jpg");
    fv::preprocess_into(img, options, out.data(), flip = !flip);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  const int cores = fv::available_cores();
  fv::bench::add_machine_context(cores > 1 ? "1.." + std::to_string(cores) : "1");
  benchmark::AddCustomContext("fv_image", fv::bench::bench_image_origin() + ", JPEG quality 90");
  // Arg: the JPEG side (112: an aligned face record; 250: an LFW-sized image); decode_preprocess outputs 112x112.
  for (int size : {112, 250}) {
    benchmark::RegisterBenchmark("decode_jpeg", BM_DecodeJpeg)->Arg(size)->DenseThreadRange(1, cores)->UseRealTime();
    benchmark::RegisterBenchmark("decode_preprocess", BM_DecodePreprocess)
        ->Arg(size)
        ->DenseThreadRange(1, cores)
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
