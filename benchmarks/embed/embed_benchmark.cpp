// Embedding images/s per backbone and batch size through fv-embed's own model embedder (a model file with
// random weights, fixed seed, loaded by make_model_embedder): preprocessed float images in the loader's memory
// (pinned on CUDA) -> device -> backbone in eval mode under InferenceMode -> embeddings back on the host (the
// copies are timed too). The figures do not depend on the weights.
//
//   fv_embed_benchmark [--backbone iresnet18,iresnet50,mobilefacenet] [--batch 1,32,128,512]
//                      [--device auto|cpu|cuda] [--precision fp32|fp16|bf16] [--memory_format auto|contiguous|
//                      channels_last] [--iters 10] [--warmup 3] [--threads 0]
// fp16/bf16 (CUDA only) run the whole backbone in that type, as embed.precision does; embeddings come back as
// fp32. On CUDA the clock is read after the embeddings are on the host.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <random>

#include <unistd.h>

#include "common/list_option.h"
#include "common/machine_info.h"
#include "common/torch_bench.h"
#include "common/torch_info.h"
#include "core/check.h"
#include "core/cli.h"
#include "core/options.h"
#include "embedder/model_embedder.h"
#include "model/backbone.h"
#include "model/device_memory.h"
#include "model/model_file.h"
#include "model/torch_runtime.h"

namespace {

using Clock = std::chrono::steady_clock;

struct EmbedBenchConfig {
  std::vector<std::string> backbones{"iresnet18", "iresnet50", "mobilefacenet"};
  std::vector<std::string> batches{"1", "32", "128", "512"};
  fv::DeviceKind device = fv::DeviceKind::kAuto;
  fv::Precision precision = fv::Precision::kFp32;
  fv::MemoryFormatMode memory_format = fv::MemoryFormatMode::kAuto;
  int iters = 10;
  int warmup = 3;
  int threads = 0;

  void bind(fv::OptionSet& o) {
    o.add("backbone", &backbones, "backbones (space or comma separated)");
    o.add("batch", &batches, "batch sizes (space or comma separated)");
    o.add_enum("device", &device, fv::bench::device_names(), "auto (CUDA when present), cpu or cuda");
    o.add_enum("precision", &precision, fv::precision_names(), "fp32, or fp16 / bf16 inference (CUDA only)");
    o.add_enum("memory_format", &memory_format, fv::memory_format_names(),
               "auto (channels_last on CUDA), contiguous or channels_last");
    o.add("iters", &iters, "timed batches per case");
    o.add("warmup", &warmup, "untimed batches before timing");
    o.add("threads", &threads, "CPU intra-op threads (0: OMP_NUM_THREADS or every available core)");
  }
  void validate() const {
    FV_CHECK(iters > 0, fv::ConfigError, "config key 'iters' must be positive, got {}", iters);
    FV_CHECK(warmup >= 0, fv::ConfigError, "config key 'warmup' must be >= 0, got {}", warmup);
  }
};

double embed_rate(fv::BackboneKind kind, int batch, const EmbedBenchConfig& c, const std::filesystem::path& dir) {
  torch::manual_seed(1);
  auto net = fv::make_backbone(fv::BackboneOptions(kind));
  const auto& bo = net->options();
  fv::bench::calibrate_batch_norm(*net, {4, bo.in_channels(), bo.input_height(), bo.input_width()});
  fv::ModelMeta meta;
  meta.backbone = net->options();
  meta.preprocess.width = static_cast<int>(net->options().input_width());
  meta.preprocess.height = static_cast<int>(net->options().input_height());
  meta.preprocess.channels = static_cast<int>(net->options().in_channels());
  meta.producer = "fv_embed_benchmark";
  const auto path = dir / (fv::backbone_kind_name(kind) + ".fvm");
  if (!std::filesystem::exists(path)) fv::save_model_file(path, meta, *net);
  fv::ModelEmbedderOptions eo;
  eo.device = c.device;
  eo.precision = c.precision;
  eo.memory_format = c.memory_format;
  auto embedder = fv::make_model_embedder(path, eo);
  const auto& p = embedder->preprocess();
  const std::size_t floats = static_cast<std::size_t>(batch) * p.channels * p.height * p.width;
  auto allocate = embedder->input_allocator();
  const fv::BatchBuffer buffer = allocate ? allocate(floats) : fv::heap_batch_buffer(floats);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (std::size_t i = 0; i < floats; ++i) buffer.data[i] = u(rng);
  std::vector<float> out(static_cast<std::size_t>(batch) * embedder->dim());
  const c10::Device device = fv::select_device(c.device);
  fv::bench::reset_peak_device_memory(device);
  for (int i = 0; i < c.warmup; ++i) embedder->embed(buffer.data, batch, out.data());
  const auto t0 = Clock::now();
  for (int i = 0; i < c.iters; ++i) embedder->embed(buffer.data, batch, out.data());  // returns host embeddings
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  FV_CHECK(std::isfinite(out[0]), fv::DataError, "embedding is not finite for batch {}", batch);
  fv::bench::print_peak_memory("embed", "fv_embed_benchmark", fv::backbone_kind_name(kind), batch, device);
  return batch * c.iters / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  return fv::run_main("fv_embed_benchmark", [&] {
    fv::OptionSet o("fv_embed_benchmark", "embedding images/s per backbone and batch size");
    EmbedBenchConfig c;
    c.bind(o);
    if (!o.parse(argc, argv)) return 0;
    c.validate();
    const auto batches = fv::bench::split_int_list(c.batches, "batch");
    const auto kinds = fv::bench::parse_backbones(c.backbones, "backbone");
    const int threads = fv::configure_torch_threads(c.threads);
    const c10::Device device = fv::select_device(c.device);
    FV_CHECK(c.precision == fv::Precision::kFp32 || device.is_cuda(), fv::ConfigError,
             "config key 'precision' = {} needs a CUDA device (device is {})",
             fv::enum_name(fv::precision_names(), c.precision), device.str());
    // Model files with random weights, one per backbone, in a private temporary folder.
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("fv_embed_benchmark.{}", ::getpid());
    std::filesystem::create_directories(dir);
    struct Cleanup {
      std::filesystem::path dir;
      ~Cleanup() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    } cleanup{dir};
    fv::bench::print_machine_line(std::to_string(threads), fv::bench::torch_device_summary(device));
    fv::bench::sweep_cases(
        "embed", "fv_embed_benchmark", kinds, batches, threads, device,
        [&](fv::BackboneKind kind, int batch) {
          return fmt::format("{} batch {} {} {}{}", fv::backbone_kind_name(kind), batch, device.is_cuda() ? "cuda" : "cpu",
                             fv::enum_name(fv::precision_names(), c.precision),
                             fv::use_channels_last(c.memory_format, device) ? " channels-last" : "");
        },
        [&](fv::BackboneKind kind, int batch) { return embed_rate(kind, batch, c, dir); });
    return 0;
  });
}
