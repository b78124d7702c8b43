// Embedding images/s per backbone and batch size, as fv-embed runs a model: preprocessed float images on the
// host -> device -> backbone in eval mode under InferenceMode -> embeddings back on the host (the copies are
// timed too). Random weights with a fixed seed; the figures do not depend on the weights.
//
//   fv_embed_benchmark [--backbone iresnet18,iresnet50,mobilefacenet] [--batch 1,32,128,512]
//                      [--device auto|cpu|cuda] [--half] [--channels_last] [--iters 10] [--warmup 3] [--threads 0]
// --half converts the backbone and inputs to fp16 (backbone->to(kHalf); CUDA only), the usual GPU inference
// precision; embeddings come back as fp32. On CUDA the clock is read after the embeddings are on the host.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <random>

#include "common/list_option.h"
#include "common/machine_info.h"
#include "common/torch_bench.h"
#include "common/torch_info.h"
#include "core/check.h"
#include "core/cli.h"
#include "core/options.h"
#include "model/backbone.h"
#include "model/torch_runtime.h"

namespace {

using Clock = std::chrono::steady_clock;

struct EmbedBenchConfig {
  std::vector<std::string> backbones{"iresnet18", "iresnet50", "mobilefacenet"};
  std::vector<std::string> batches{"1", "32", "128", "512"};
  fv::DeviceKind device = fv::DeviceKind::kAuto;
  bool half = false;
  bool channels_last = false;
  int iters = 10;
  int warmup = 3;
  int threads = 0;

  void bind(fv::OptionSet& o) {
    o.add("backbone", &backbones, "backbones (space or comma separated)");
    o.add("batch", &batches, "batch sizes (space or comma separated)");
    o.add_enum("device", &device, fv::bench::device_names(), "auto (CUDA when present), cpu or cuda");
    o.add("half", &half, "fp16 weights and inputs (CUDA only)");
    o.add("channels_last", &channels_last, "channels-last memory format");
    o.add("iters", &iters, "timed batches per case");
    o.add("warmup", &warmup, "untimed batches before timing");
    o.add("threads", &threads, "CPU intra-op threads (0: OMP_NUM_THREADS or every available core)");
  }
  void validate() const {
    FV_CHECK(iters > 0, fv::ConfigError, "config key 'iters' must be positive, got {}", iters);
    FV_CHECK(warmup >= 0, fv::ConfigError, "config key 'warmup' must be >= 0, got {}", warmup);
  }
};

double embed_rate(fv::BackboneKind kind, int batch, const EmbedBenchConfig& c, const c10::Device& device) {
  torch::manual_seed(1);
  auto net = fv::make_backbone(fv::BackboneOptions(kind));
  const auto& opt = net->options();
  net->eval();
  net->to(device, c.half ? torch::kHalf : torch::kFloat32);
  if (c.channels_last) fv::bench::to_channels_last(*net);
  std::vector<float> inputs(static_cast<std::size_t>(batch) * opt.in_channels() * opt.input_height() * opt.input_width());
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (float& x : inputs) x = u(rng);
  std::vector<float> out(static_cast<std::size_t>(batch) * opt.embedding_dim());
  auto embed_once = [&] {
    c10::InferenceMode inference;
    auto x = torch::from_blob(inputs.data(), {batch, opt.in_channels(), opt.input_height(), opt.input_width()});
    if (!device.is_cpu() || c.half) x = x.to(device, c.half ? torch::kHalf : torch::kFloat32);
    if (c.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    const auto y = net->forward(x).to(torch::kCPU, torch::kFloat32).contiguous();
    std::memcpy(out.data(), y.data_ptr<float>(), out.size() * sizeof(float));
  };
  for (int i = 0; i < c.warmup; ++i) embed_once();
  fv::bench::synchronize(device);
  const auto t0 = Clock::now();
  for (int i = 0; i < c.iters; ++i) embed_once();  // the device-to-host copy waits for the forward
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  FV_CHECK(std::isfinite(out[0]), fv::DataError, "embedding is not finite for batch {}", batch);
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
    std::vector<fv::BackboneKind> kinds;
    for (const auto& name : fv::bench::split_list(c.backbones, "backbone")) kinds.push_back(fv::parse_backbone_kind(name, "backbone"));
    const int threads = fv::configure_torch_threads(c.threads);
    const c10::Device device = fv::select_device(c.device);
    FV_CHECK(!c.half || device.is_cuda(), fv::ConfigError, "config key 'half' needs a CUDA device (device is {})",
             device.str());
    fv::bench::print_machine_line(std::to_string(threads), fv::bench::torch_device_summary(device));
    for (const auto kind : kinds) {
      for (const int batch : batches) {
        const std::string setting = fmt::format("{} batch {} {}{}{}", fv::backbone_kind_name(kind), batch,
                                                device.is_cuda() ? "cuda" : "cpu", c.half ? " fp16" : " fp32",
                                                c.channels_last ? " channels-last" : "");
        try {
          const double rate = embed_rate(kind, batch, c, device);
          fmt::print("{}: {:.1f} img/s\n", setting, rate);
          fv::bench::print_result("embed", "fv_embed_benchmark", setting, rate, "img/s", threads);
        } catch (const c10::Error& e) {  // CUDA out of memory for a large batch: report, go on
          if (!device.is_cuda()) throw;
          const std::string what = e.what();
          fmt::print("{}: failed: {}\n", setting, what.substr(0, what.find('\n')));
        }
      }
    }
    return 0;
  });
}
