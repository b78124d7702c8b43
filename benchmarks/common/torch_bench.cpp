// The device option and synchronisation for the torch benchmarks.
#include "common/torch_bench.h"

#include <fmt/format.h>

#include "common/list_option.h"
#include "common/machine_info.h"

namespace fv::bench {

const EnumNames<DeviceKind>& device_names() {
  static const EnumNames<DeviceKind> names{{"auto", DeviceKind::kAuto}, {"cpu", DeviceKind::kCpu}, {"cuda", DeviceKind::kCuda}};
  return names;
}

void synchronize(const c10::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

void calibrate_batch_norm(Backbone& net, std::vector<std::int64_t> input_shape) {
  // momentum 1: the running statistics become exactly those of the calibration batch.
  std::vector<std::pair<c10::optional<double>*, c10::optional<double>>> saved;
  for (const auto& m : net.modules()) {
    c10::optional<double>* momentum = nullptr;
    if (auto* b = m->as<torch::nn::BatchNorm2d>()) momentum = &b->options.momentum();
    if (auto* b = m->as<torch::nn::BatchNorm1d>()) momentum = &b->options.momentum();
    if (momentum) {
      saved.emplace_back(momentum, *momentum);
      *momentum = 1.0;
    }
  }
  torch::NoGradGuard no_grad;
  net.train();
  const auto device = net.parameters().empty() ? torch::Device(torch::kCPU) : net.parameters().front().device();
  net.forward(torch::randn(input_shape, torch::TensorOptions().device(device)));
  for (auto& [momentum, value] : saved) *momentum = value;
  net.eval();
}

std::vector<BackboneKind> parse_backbones(const std::vector<std::string>& values, const std::string& key) {
  std::vector<BackboneKind> kinds;
  for (const auto& name : split_list(values, key)) kinds.push_back(parse_backbone_kind(name, key));
  return kinds;
}

void sweep_cases(const std::string& stage, const std::string& program, const std::vector<BackboneKind>& kinds,
                 const std::vector<int>& batches, int threads, const c10::Device& device,
                 const std::function<std::string(BackboneKind, int)>& setting,
                 const std::function<double(BackboneKind, int)>& rate) {
  for (const auto kind : kinds) {
    for (const int batch : batches) {
      const std::string name = setting(kind, batch);
      try {
        const double r = rate(kind, batch);
        fmt::print("{}: {:.1f} img/s\n", name, r);
        print_result(stage, program, name, r, "img/s", threads);
      } catch (const c10::Error& e) {  // CUDA out of memory for a large batch: report, go on
        if (!device.is_cuda()) throw;
        const std::string what = e.what();
        fmt::print("{}: failed: {}\n", name, what.substr(0, what.find('\n')));
      }
    }
  }
  std::fflush(stdout);
}

}  // namespace fv::bench
