// Fuzz target: TensorFlow.js weights manifests and their shards (import/tfjs_weights.h), in memory.
// Input: the manifest JSON, a NUL byte, then the bytes every shard the manifest names reads as. Seeds:
// fuzz/corpus/fuzz_tfjs_manifest (the test suite's manifests with their shards, fuzz/make_corpus.sh).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "fuzz_support.h"
#include "import/tfjs_weights.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = fv::fuzz::split_at_nul(fv::fuzz::bytes_of(data, size));
  const std::string_view manifest = parts.first;
  const std::string_view shard = parts.second;
  try {
    const auto tensors = fv::parse_tfjs_weights(manifest, "fuzz.json", [&](const std::string& path) {
      return fv::TfjsShard{path, std::string(shard)};
    });
    for (const auto& t : tensors) {
      std::int64_t count = 1;
      for (std::int64_t d : t.shape) count *= d;  // checked by the reader: it fits
      if (static_cast<std::size_t>(count) != t.values.size()) __builtin_trap();
    }
  } catch (const fv::Error&) {
  }
  return 0;
}
