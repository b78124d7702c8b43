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
