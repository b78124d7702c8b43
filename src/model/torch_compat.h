// The LibTorch API differences between Debian 12's LibTorch 1.13 and 2.x (Debian 13's 2.6, the CUDA wheels), in
// one place: the rest of the code calls these and never tests TORCH_VERSION itself.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

// True when the LibTorch being compiled against is at least major.minor.
#define FV_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace fv {

namespace compat_detail {
// Makes `get_if<T>(...)` a template name in C++17 so that argument-dependent lookup finds c10::get_if
// (LibTorch 1.13's c10::variant) or std::get_if (2.x's std::variant); never chosen itself.
struct NotAVariant;
template <typename T>
void get_if(NotAVariant*);
}  // namespace compat_detail

// A Conv2d's padding when it is explicit (not kValid / kSame), or nullptr. The options hold a c10::variant in
// 1.13 and a std::variant in 2.x.
template <class Padding>
const torch::ExpandingArray<2>* explicit_padding(const Padding& padding) {
  using compat_detail::get_if;
  return get_if<torch::ExpandingArray<2>>(&padding);
}

// Autocast for one device type (CPU or CUDA): on with `dtype`, or off. 2.4 replaced the per-device functions
// (set_enabled / set_cpu_enabled, set_autocast_gpu_dtype / set_autocast_cpu_dtype) by ones taking the device.
inline void set_autocast(c10::DeviceType device, bool enabled, at::ScalarType dtype = at::kBFloat16) {
#if FV_TORCH_AT_LEAST(2, 4)
  if (enabled) at::autocast::set_autocast_dtype(device, dtype);
  at::autocast::set_autocast_enabled(device, enabled);
#else
  if (device == c10::DeviceType::CUDA) {
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  } else {
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
}

// The key of a parameter in an optimizer's state map (Optimizer::state()): the TensorImpl pointer printed as a
// string in 1.13, the pointer itself in 2.x (`map` only tells the key type).
template <class Map>
typename Map::key_type optimizer_state_key(const Map& /*map*/, const torch::Tensor& param) {
  if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
    std::ostringstream key;  // what 1.13's c10::guts::to_string wrote
    key << param.unsafeGetTensorImpl();
    return key.str();
  } else {
    return static_cast<typename Map::key_type>(param.unsafeGetTensorImpl());
  }
}

// c10d's TCPStore: from 2.4 on its options ask for the libuv server by default, which a LibTorch built without
// libuv (Debian 13's 2.6) refuses ("use_libuv was requested but PyTorch was build without libuv support"); the
// classic server exists in every version. Sets useLibUV = false where the field exists (detected, not versioned).
template <class T, class = void>
struct HasUseLibUv : std::false_type {};
template <class T>
struct HasUseLibUv<T, std::void_t<decltype(std::declval<T&>().useLibUV)>> : std::true_type {};
template <class StoreOptions>
void without_libuv(StoreOptions& options) {
  if constexpr (HasUseLibUv<StoreOptions>::value) options.useLibUV = false;
}

// Autocast on for one device type while the object lives (nesting and the cast cache as torch.autocast keeps
// them). `active` false: does nothing.
class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType device, at::ScalarType dtype, bool active = true) : device_(device), active_(active) {
    if (!active_) return;
    set_autocast(device_, true, dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast(device_, false);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType device_;
  bool active_;
};

}  // namespace fv
