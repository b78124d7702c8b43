// Fuzz target: the data.pkl of a PyTorch state dict (import/state_dict_layout.h), in memory, without LibTorch.
// Input: one byte N, N little-endian u32 record sizes, then the pickle; the record "data/<k>" exists with size
// sizes[k] when k is a decimal integer below N. Seeds: fuzz/corpus/fuzz_state_dict_pickle, made from files
// written by torch.save (fuzz/make_corpus.sh).
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "fuzz_support.h"
#include "import/state_dict_layout.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t n = data[0];
  if (size < 1 + 4 * n) return 0;
  std::vector<std::uint64_t> sizes(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* p = data + 1 + 4 * i;
    sizes[i] = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
  }
  const fv::RecordSize record_size = [&](const std::string& record) -> std::optional<std::uint64_t> {
    if (record.rfind("data/", 0) != 0) return std::nullopt;
    std::size_t k = 0;
    const char* begin = record.data() + 5;
    const char* end = record.data() + record.size();
    const auto [ptr, ec] = std::from_chars(begin, end, k);
    if (ec != std::errc() || ptr != end || k >= n) return std::nullopt;
    return sizes[k];
  };
  try {
    const fv::StateDictLayout layout =
        fv::parse_state_dict_pickle(fv::fuzz::bytes_of(data + 1 + 4 * n, size - 1 - 4 * n), "fuzz.pth:data.pkl",
                                    record_size);
    // What the LibTorch half relies on: every entry's tensor and storage exist, and every view is in bounds.
    for (const auto& entry : layout.entries) {
      const fv::TensorLayout& t = layout.tensors.at(entry.tensor);
      const fv::StorageLayout& s = layout.storages.at(t.storage);
      if (t.size.size() != t.stride.size() || t.offset < 0) __builtin_trap();
      if (t.numel > 0) {
        std::int64_t last = t.offset;
        for (std::size_t d = 0; d < t.size.size(); ++d) last += (t.size[d] - 1) * t.stride[d];
        if (last >= s.numel) __builtin_trap();
      }
    }
  } catch (const fv::Error&) {
  }
  return 0;
}
