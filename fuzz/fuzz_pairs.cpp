// Fuzz target: the pair protocol files (protocol/pairs.h): LFW pairs.txt, LFW View 1 and generic pair lists, each
// reader on the same input, in memory (protocol/protocol_reader.h). Seeds: fuzz/corpus/fuzz_pairs (the test suite's
// LFW, View 1 and pair-list files, well-formed and malformed).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "protocol/pairs.h"
#include "protocol/protocol_reader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fv::fuzz::bytes_of(data, size);
  const fv::protocol::LfwIdFormat format{"lfw/", ".jpg"};
  std::size_t pairs = 0;
  const fv::protocol::PairSink sink = [&](std::string_view a, std::string_view b, bool, int line) {
    if (a.empty() || b.empty() || line <= 0) __builtin_trap();
    ++pairs;
  };
  try {
    fv::protocol::ProtocolReader in(text, "pairs.txt");
    const int folds = fv::protocol::read_lfw_pairs(in, format, sink);
    if (folds <= 0 || pairs % (2 * static_cast<std::size_t>(folds)) != 0) __builtin_trap();
  } catch (const fv::Error&) {
  }
  try {
    fv::protocol::ProtocolReader in(text, "pairsDevTest.txt");
    fv::protocol::read_lfw_view1(in, format, sink);
  } catch (const fv::Error&) {
  }
  try {
    fv::protocol::ProtocolReader in(text, "pairs.list");
    fv::protocol::read_pair_list(in, sink);
  } catch (const fv::Error&) {
  }
  return 0;
}
