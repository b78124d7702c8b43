// Fuzz target: the .idx text file of a RecordIO pair (core/recordio.h: parse_record_index), in memory.
// Seeds: fuzz/corpus/fuzz_recordio_index (.idx files written by the project's RecordWriter).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "core/error.h"
#include "formats/recordio.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(fv::fuzz::bytes_of(data, size)));
  try {
    for (const auto& [key, offset] : fv::parse_record_index(in, "fuzz.idx")) {
      if (key >= (std::uint64_t{1} << 63) || offset >= (std::uint64_t{1} << 63)) __builtin_trap();
    }
  } catch (const fv::Error&) {
  }
  return 0;
}
