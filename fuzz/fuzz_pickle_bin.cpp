// Fuzz target: insightface .bin verification sets (dataset/pickle_bin.h on the restricted unpickler), in memory.
// Seeds: fuzz/corpus/fuzz_pickle_bin, .bin files pickled by Python at protocols 2 to 5 (fuzz/make_corpus.sh).
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "dataset/pickle_bin.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const fv::BinSet set = fv::parse_bin_set(fv::fuzz::bytes_of(data, size), "fuzz.bin");
    // Every view must lie in the input or in the reader's own buffers (ASan checks the reads).
    std::size_t sum = 0;
    for (const auto& image : set.images) {
      for (char c : image) sum += static_cast<unsigned char>(c);
    }
    for (std::int8_t flag : set.pair_flags) {
      if (flag != 0 && flag != 1) __builtin_trap();  // the header promises 0/1 flags
    }
    if (set.images.size() != 2 * set.pair_flags.size()) __builtin_trap();
    [[maybe_unused]] volatile std::size_t sink = sum;
  } catch (const fv::Error&) {
  }
  return 0;
}
