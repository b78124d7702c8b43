// Fuzz target: YouTube Faces splits.txt (eval/ytf.h: parse_ytf_splits), in memory. Seeds: fuzz/corpus/
// fuzz_ytf_splits (the first lines of the published splits.txt, and the test suite's splits files).
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "protocol/protocol_reader.h"
#include "eval/ytf.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fv::protocol::ProtocolReader in(fv::fuzz::bytes_of(data, size), "splits.txt");
    const fv::eval::YtfPairs ytf = fv::eval::parse_ytf_splits(in);
    const auto videos = static_cast<std::int64_t>(ytf.videos.size());
    for (std::size_t k = 0; k < ytf.pairs.size(); ++k) {
      if (ytf.pairs.a[k] < 0 || ytf.pairs.a[k] >= videos || ytf.pairs.b[k] < 0 || ytf.pairs.b[k] >= videos) {
        __builtin_trap();
      }
    }
    if (ytf.folds <= 0 || ytf.pairs.size() % static_cast<std::size_t>(ytf.folds) != 0) __builtin_trap();
  } catch (const fv::Error&) {
  }
  return 0;
}
