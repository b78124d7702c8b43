// Runs a fuzz target's LLVMFuzzerTestOneInput without libFuzzer: the test build compiles every target of fuzz/
// with the ordinary compiler and ctest replays, through each, a few fixed inputs and its recorded regressions
// (fuzz/regressions/<target>/). A target that no longer compiles against the libraries fails the build; an
// input that crashes it or trips one of its invariants (__builtin_trap) fails the test. The sanitizers and the
// fuzzing itself stay in scripts/fuzz.sh.
//
//   fv_replay_<target> [FILE_OR_FOLDER ...]
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

int run(const std::string& bytes) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  // Fixed inputs every parser must survive: nothing, a NUL (the two-file split), text, and noise.
  std::vector<std::string> fixed = {"", std::string(1, '\0'), "a b 1\nc d 0\n\n", std::string(3, '\0') + "x"};
  std::mt19937 rng(1);
  std::string noise(4096, '\0');
  std::generate(noise.begin(), noise.end(), [&] { return static_cast<char>(rng() & 0xff); });
  fixed.push_back(noise);
  for (const auto& input : fixed) run(input);
  std::size_t files = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg = argv[i];
    std::vector<std::filesystem::path> paths;
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) paths.push_back(entry.path());
      }
      std::sort(paths.begin(), paths.end());
    } else {
      paths.push_back(arg);
    }
    for (const auto& path : paths) {
      std::printf("replay: %s\n", path.string().c_str());
      run(read_file(path));
      ++files;
    }
  }
  std::printf("replay: %zu fixed inputs and %zu files passed\n", fixed.size(), files);
  return 0;
}
