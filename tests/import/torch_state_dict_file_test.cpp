// The PyTorch state dict reader on archives written here with LibTorch's own zip writer: a hand-made state
// dict (opcodes as torch.save writes them), and hostile data.pkl records: nesting up to 1e7 levels of lists,
// tuples, dicts and mixtures on a 256 KiB stack, declared lengths beyond the record, memo keys never stored.
#include "import/torch_state_dict_file.h"

#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "formats/nested_pickles.h"
#include "support/small_stack.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

using namespace std::string_literals;  // "..."s keeps embedded NUL bytes
using testing::Nesting;

std::string u32le(std::uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

std::string binunicode(const std::string& s) { return "X" + u32le(static_cast<std::uint32_t>(s.size())) + s; }

// A zip archive as torch.save writes it: <archive>/data.pkl, <archive>/data/<key>, <archive>/version.
void write_archive(const std::filesystem::path& path, const std::string& pickle,
                   const std::vector<std::pair<std::string, std::string>>& storages = {}) {
  caffe2::serialize::PyTorchStreamWriter writer(path.string());
  writer.writeRecord("data.pkl", pickle.data(), pickle.size());
  for (const auto& [key, bytes] : storages) writer.writeRecord("data/" + key, bytes.data(), bytes.size());
  writer.writeEndOfFile();
}

std::string format_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected FormatError";
  return {};
}

// OrderedDict([('w', tensor 2x2 float32)]) with its _metadata BUILD, protocol 2, as torch.save pickles it.
TEST(TorchStateDictFile, ReadsAHandMadeStateDict) {
  testing::TempDir dir;
  const std::string p = "\x80\x02" "ccollections\nOrderedDict\n)R"s + binunicode("w") +
                        "ctorch._utils\n_rebuild_tensor_v2\n((" + binunicode("storage") + "ctorch\nFloatStorage\n" +
                        binunicode("0") + binunicode("cpu") + "K\x04tQ" + "K\x00"s + "K\x02K\x02\x86" +
                        "K\x02K\x01\x86" + "\x89" + "ccollections\nOrderedDict\n)RtR" + "s}b.";
  const float values[4] = {1.f, 2.f, 3.f, 4.f};
  write_archive(dir / "sd.pth", p, {{"0", std::string(reinterpret_cast<const char*>(values), sizeof values)}});
  const auto entries = read_torch_state_dict(dir / "sd.pth");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "w");
  EXPECT_TRUE(torch::equal(entries[0].tensor, torch::tensor({1.f, 2.f, 3.f, 4.f}).reshape({2, 2})));

  // The storage record missing: named.
  write_archive(dir / "nostorage.pth", p);
  const std::string what = format_error([&] { read_torch_state_dict(dir / "nostorage.pth"); });
  EXPECT_NE(what.find("nostorage.pth:data.pkl': byte offset "), std::string::npos) << what;
  EXPECT_NE(what.find("(BINPERSID): storage record 'data/0' is missing from the archive"), std::string::npos) << what;
}

// A view of 10^12 elements over a storage of one element (strides 0): refused before anything is allocated.
TEST(TorchStateDictFile, ExpandedViewsAreRefusedBeforeAllocation) {
  testing::TempDir dir;
  auto state_dict = [](const std::string& size_and_stride) {
    return "\x80\x02}"s + binunicode("w") + "ctorch._utils\n_rebuild_tensor_v2\n((" + binunicode("storage") +
           "ctorch\nFloatStorage\n" + binunicode("0") + binunicode("cpu") + "K\x01tQ" + "K\x00"s + size_and_stride +
           "\x89" + "ccollections\nOrderedDict\n)RtRs.";
  };
  const float one = 2.f;
  const std::string storage(reinterpret_cast<const char*>(&one), sizeof one);
  // size (1000000, 1000000), stride (0, 0)
  write_archive(dir / "expand.pth", state_dict("J\x40\x42\x0f\x00J\x40\x42\x0f\x00\x86K\x00K\x00\x86"s), {{"0", storage}});
  const std::string what = format_error([&] { read_torch_state_dict(dir / "expand.pth"); });
  EXPECT_NE(what.find("expand.pth:data.pkl'"), std::string::npos) << what;
  EXPECT_NE(what.find("tensor of size 1000000x1000000 stride 0,0 has 1000000000000 elements, more than its storage "
                      "of 1: an expanded (overlapping) view, refused"),
            std::string::npos)
      << what;
  // The same storage viewed once (size (1, 1)) is read.
  write_archive(dir / "one.pth", state_dict("K\x01K\x01\x86K\x00K\x00\x86"s), {{"0", storage}});
  const auto entries = read_torch_state_dict(dir / "one.pth");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].tensor.item<float>(), 2.f);
}

class PthNesting : public ::testing::TestWithParam<testing::NestingCase> {};

TEST_P(PthNesting, RefusedWithAFormatErrorOnASmallStack) {
  const auto [shape, levels] = GetParam();
  testing::TempDir dir;
  const auto path = dir / "deep.pth";
  write_archive(path, testing::nested_pickle(shape, levels));
  std::optional<std::string> error;
  testing::run_with_small_stack([&] {
    try {
      read_torch_state_dict(path);
    } catch (const FormatError& e) {
      error = e.what();
    }
  });
  ASSERT_TRUE(error.has_value()) << "a nested value was accepted as a state dict";
  EXPECT_NE(error->find(path.string()), std::string::npos) << *error;
  if (levels <= UnpickleLimits{}.max_depth) {  // parsed; not a dict of tensors
    EXPECT_TRUE(error->find("not a state dict") != std::string::npos ||
                error->find("entry 'k' is a dict, not a tensor") != std::string::npos)
        << *error;
  } else if (shape == Nesting::kListsByMark) {
    EXPECT_NE(error->find("data.pkl': byte offset "), std::string::npos) << *error;
    EXPECT_NE(error->find("opcode 0x28 (MARK): more than 1000 MARKs open at once"), std::string::npos) << *error;
  } else {
    EXPECT_NE(error->find("data.pkl': byte offset "), std::string::npos) << *error;
    EXPECT_NE(error->find("(UnpickleLimits::max_"), std::string::npos) << *error;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, PthNesting,
                         ::testing::ValuesIn(testing::nesting_cases({1000, 100000, 200000, 10000000})),
                         testing::nesting_case_name);

TEST(TorchStateDictFile, DeclaredLengthsBeyondTheRecordAndUnknownMemoKeysAreRefused) {
  testing::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\x80\x02X\xff\xff\xff\xff" "abc."s, "byte offset 2, opcode 0x58 (BINUNICODE): truncated: needs 4294967295 bytes"},
      {"\x80\x02" "B"s + u32le(0x7fffffffu) + ".", "byte offset 2, opcode 0x42 (BINBYTES): truncated: needs 2147483647"},
      {"\x80\x02}\x94j\xff\xff\xff\xff."s, "byte offset 4, opcode 0x6a (LONG_BINGET): memo key 4294967295 was never stored"},
      {"\x80\x02}q\x00h\x01."s, "byte offset 5, opcode 0x68 (BINGET): memo key 1 was never stored"},
      {"\x80\x02}\x8e\x01\x00\x00\x00\x00\x00\x00\x00x."s, "byte offset 3, opcode 0x8e (BINBYTES8): not allowed"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto path = dir / fmt::format("h{}.pth", i);
    write_archive(path, cases[i].first);
    const std::string what = format_error([&] { read_torch_state_dict(path); });
    EXPECT_NE(what.find(fmt::format("'{}:data.pkl': {}", path.string(), cases[i].second)), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace fv
